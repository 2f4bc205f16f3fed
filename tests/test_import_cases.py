"""Each workbook of tests/data/cases behaves as its README says."""

from datetime import date
from decimal import Decimal

import pytest

from customers.models import Customer
from tests.importing_helpers import CASES_DIR, run_import

pytestmark = pytest.mark.django_db


def import_case(name, *args):
    code, result, stderr = run_import(CASES_DIR / name, *args)
    assert code == 0, stderr
    return result


def error_cells(result):
    return sorted((error["row"], error["column"]) for error in result["errors"])


def test_ghost_rows_case(sample_catalogue):
    result = import_case("case01_baris_hantu.xlsx")

    assert result["created"] == 3
    assert result["errors"] == []
    assert Customer.objects.count() == 3


def test_formula_without_cache_case(sample_catalogue):
    result = import_case("case03_rumus_tanpa_cache.xlsx")

    assert result["created"] == 2
    assert error_cells(result) == [(4, "Paket")]
    assert sorted(Customer.objects.values_list("number", flat=True)) == ["PLG-0001", "PLG-0002"]
    assert not Customer.objects.filter(name__startswith="=").exists()
    assert not Customer.objects.filter(package__name__startswith="=").exists()


def test_mixed_dates_case(sample_catalogue):
    result = import_case("case04_tanggal_campur.xlsx")

    assert result["created"] == 5
    dates = list(Customer.objects.order_by("number").values_list("installed_on", flat=True))
    assert dates == [date(2024, 8, 17), date(2024, 3, 4), date(2023, 12, 31), date(2024, 3, 4), date(2024, 8, 17)]


def test_phones_without_zero_case(sample_catalogue):
    result = import_case("case05_hp_tanpa_nol.xlsx")

    assert result["created"] == 5
    phones = sorted(Customer.objects.values_list("phone", flat=True))
    assert phones == [f"+628123456780{digit}" for digit in range(1, 6)]


def test_nik_as_number_case(sample_catalogue):
    result = import_case("case07_nik_15_digit.xlsx")

    assert result["created"] == 1
    assert error_cells(result) == [(3, "NIK"), (4, "NIK")]
    assert [error["value"] for error in result["errors"]] == ["3273014403920000", "3204052512880000"]
    for error in result["errors"]:
        assert "15" in error["message"]
    assert list(Customer.objects.values_list("number", "nik")) == [("PLG-0001", "3273011708900001")]


def test_csv_bom_case(sample_catalogue):
    result = import_case("case09_csv_bom.csv")

    assert result["created"] == 3
    assert Customer.objects.filter(number="PLG-0001").exists()


def test_csv_semicolon_case(sample_catalogue):
    result = import_case("case10_csv_titik_koma.csv")

    assert result["created"] == 3
    customer = Customer.objects.get(number="PLG-0001")
    assert customer.latitude == Decimal("-6.914744")
    assert customer.longitude == Decimal("107.609810")
    assert "," in customer.address


def test_header_on_row_four_case(sample_catalogue):
    result = import_case("case12_header_baris4.xlsx")

    assert result["created"] == 3
    assert result["errors"] == []
    customer = Customer.objects.select_related("site", "package").get(number="PLG-0002")
    assert customer.name == "Siti Rahmawati"
    assert customer.phone == "+6281234567802"
    assert customer.email == "siti.rahmawati@example.com"
    assert customer.nik == "3273014403920002"
    assert customer.site.code == "BJG"
    assert customer.package.name == "Home 30 Mbps"
    assert customer.installed_on == date(2024, 3, 4)
    assert customer.latitude == Decimal("-6.885110")


def test_merged_cells_case(sample_catalogue):
    result = import_case("case13_sel_gabung.xlsx")

    assert result["created"] == 3
    assert set(Customer.objects.values_list("site__code", flat=True)) == {"CBN"}
    packages = list(Customer.objects.order_by("number").values_list("package__name", flat=True))
    assert packages == ["Home 20 Mbps", "Home 20 Mbps", "Bisnis 100 Mbps"]


def test_duplicates_case(sample_catalogue):
    result = import_case("case15_duplikat.xlsx")

    assert result["created"] == 3
    assert [(error["row"], error["column"]) for error in result["errors"]] == [(4, "ID Pelanggan"), (5, "NIK")]
    assert "baris 2" in result["errors"][0]["message"]
    assert sorted(Customer.objects.values_list("number", flat=True)) == ["PLG-0001", "PLG-0002", "PLG-0003"]
    assert Customer.objects.get(number="PLG-0001").phone == "+6281234567801"


def test_password_protected_case(sample_catalogue):
    code, result, stderr = run_import(CASES_DIR / "case17_terkunci_sandi.xlsx")

    assert code == 2
    assert result is None
    assert "sandi" in stderr
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "case01_baris_hantu.xlsx", "case03_rumus_tanpa_cache.xlsx", "case04_tanggal_campur.xlsx",
        "case05_hp_tanpa_nol.xlsx", "case07_nik_15_digit.xlsx", "case09_csv_bom.csv", "case10_csv_titik_koma.csv",
        "case12_header_baris4.xlsx", "case13_sel_gabung.xlsx", "case15_duplikat.xlsx",
    ],
)
def test_case_second_import_adds_nobody(name, sample_catalogue):
    first = import_case(name)
    count = Customer.objects.count()

    second = import_case(name)

    assert second["created"] == 0
    assert second["duplicates"] == first["created"]
    assert Customer.objects.count() == count


@pytest.mark.parametrize("name", ["case04_tanggal_campur.xlsx", "case15_duplikat.xlsx"])
def test_case_dry_run_matches_import(name, sample_catalogue):
    dry = import_case(name, "--dry-run")
    assert Customer.objects.count() == 0

    real = import_case(name)

    assert dry["would_create"] == real["created"]
    assert dry["errors"] == real["errors"]
