"""The sample workbooks import to exactly the values of expected.json."""

from datetime import date
from decimal import Decimal

import pytest

from customers.models import Customer, ImportBatch, ImportProblem
from tests.importing_helpers import SAMPLE_CSV, SAMPLE_XLSX, run_import, write_workbook

pytestmark = pytest.mark.django_db


def assert_matches_expected(expected):
    customers = {c.number: c for c in Customer.objects.select_related("site", "package")}
    assert sorted(customers) == [row["number"] for row in expected["customers"]]
    for row in expected["customers"]:
        customer = customers[row["number"]]
        assert customer.name == row["name"], row["number"]
        assert customer.phone == row["phone"], row["number"]
        assert customer.email == row["email"], row["number"]
        assert customer.nik == row["nik"], row["number"]
        assert (customer.site.code if customer.site else None) == row["site"], row["number"]
        assert (customer.package.code if customer.package else None) == row["package"], row["number"]
        expected_date = date.fromisoformat(row["installed_on"]) if row["installed_on"] else None
        assert customer.installed_on == expected_date, row["number"]
        expected_lat = Decimal(str(row["latitude"])) if row["latitude"] is not None else None
        expected_long = Decimal(str(row["longitude"])) if row["longitude"] is not None else None
        assert customer.latitude == expected_lat, row["number"]
        assert customer.longitude == expected_long, row["number"]
        assert customer.is_incomplete == row["incomplete"], row["number"]
    assert Customer.objects.incomplete().count() == expected["incomplete_count"]


@pytest.mark.parametrize("path", [SAMPLE_XLSX, SAMPLE_CSV], ids=["xlsx", "csv"])
def test_sample_imports_expected_values(path, sample_catalogue, expected):
    code, result, _stderr = run_import(path)

    assert code == 0
    assert result["rows"] == 8
    assert result["created"] == 8
    assert result["errors"] == []
    assert_matches_expected(expected)


@pytest.mark.parametrize("first, second", [(SAMPLE_XLSX, SAMPLE_XLSX), (SAMPLE_XLSX, SAMPLE_CSV), (SAMPLE_CSV, SAMPLE_XLSX)])
def test_sample_second_import_adds_nobody(first, second, sample_catalogue, expected):
    run_import(first)

    code, result, _stderr = run_import(second)

    assert code == 0
    assert result["created"] == 0
    assert result["duplicates"] == 8
    assert Customer.objects.count() == 8
    assert_matches_expected(expected)


def test_sample_dry_run_saves_nothing(sample_catalogue):
    code, result, _stderr = run_import(SAMPLE_XLSX, "--dry-run")

    assert code == 0
    assert result["would_create"] == 8
    assert result["created"] == 0
    assert result["batch"] is None
    assert Customer.objects.count() == 0
    # Nothing is left in the import history to be saved later.
    assert ImportBatch.objects.count() == 0
    assert ImportProblem.objects.count() == 0


def test_failed_dry_run_leaves_no_batch(sample_catalogue, tmp_path):
    # Read as a workbook, then rejected for having no Nama column.
    path = write_workbook(tmp_path / "tanpa-nama.xlsx", [["Kode", "Catatan"], ["A1", "tanpa nama"]])

    code, _result, stderr = run_import(path, "--dry-run")

    assert code == 2
    assert stderr
    assert ImportBatch.objects.count() == 0


def test_sample_site_option_binds_site(sample_catalogue):
    code, result, _stderr = run_import(SAMPLE_XLSX, "--site", "CTY")

    assert code == 0
    assert result["created"] == 8
    assert set(Customer.objects.values_list("site__code", flat=True)) == {"CTY"}
