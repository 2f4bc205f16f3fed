"""The importer fills the village from region columns or from the Alamat."""

import pytest
from django.utils import translation

from customers.importing import batches
from customers.models import Customer
from tests.importing_helpers import SAMPLE_XLSX, run_import, write_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(sample_catalogue, regions_loaded):
    return sample_catalogue


def test_sample_addresses_matched(catalogue):
    run_import(SAMPLE_XLSX)

    budi = Customer.objects.get(number="PLG-0001")
    assert budi.village_id == "32.01.01.1012"
    assert budi.village.name == "Pabuaran"
    assert budi.street == "Jl. Mawar No. 5 RT 01/RW 02"
    assert budi.address == "Jl. Mawar No. 5 RT 01/RW 02, Pabuaran, Cibinong"


def test_region_columns_matched(catalogue, tmp_path):
    path = write_workbook(tmp_path / "wilayah.xlsx", [
        ["Nama", "Alamat", "Kelurahan/Desa", "Kecamatan", "Kota/Kabupaten", "Provinsi"],
        ["Ani", "Jl. Mawar 1 RT 01/RW 02", "Kel. Pabuaran", "Kec. Cibinong", "Kab. Bogor", "Jawa Barat"],
        ["Bayu", "Jl. Mawar 2", "PABUARAN", "cibinong", "", ""],
        ["Cici", "Jl. Mawar 3", "Pabuaran", "", "", ""],
        ["Dodi", "Jl. Mawar 4", "Desa Tidakada", "Cibinong", "", ""],
    ])

    code, result, _stderr = run_import(path)

    assert code == 0
    villages = dict(Customer.objects.values_list("name", "village_id"))
    assert villages == {"Ani": "32.01.01.1012", "Bayu": "32.01.01.1012", "Cici": None, "Dodi": None}
    batch_id = result["batch"]
    notes = {(p.row, p.code) for p in batches.ImportProblem.objects.filter(batch_id=batch_id, kind="note")}
    assert notes == {(4, "region_ambiguous"), (5, "region_unmatched")}


def test_region_code_column_wins(catalogue, tmp_path):
    path = write_workbook(tmp_path / "kode.xlsx", [
        ["Nama", "Alamat", "Kelurahan/Desa", "Kode Wilayah"],
        ["Ani", "Jl. Mawar 1", "Nama Lain", "32.01.01.1012"],
    ])

    run_import(path)

    assert Customer.objects.get().village_id == "32.01.01.1012"


def test_unknown_region_code_noted(catalogue, tmp_path):
    path = write_workbook(tmp_path / "kode.xlsx", [
        ["Nama", "Alamat", "Kode Wilayah"],
        ["Ani", "Jl. Mawar 1", "32.01.01.9999"],
        ["Bayu", "Jl. Mawar 2", "32.01.01"],
        ["Cici", "Jl. Mawar 3", "32.01.01.1012"],
    ])

    code, result, _stderr = run_import(path)

    assert code == 0
    assert dict(Customer.objects.values_list("name", "village_id")) == {
        "Ani": None, "Bayu": None, "Cici": "32.01.01.1012",
    }
    notes = batches.ImportProblem.objects.filter(batch_id=result["batch"], kind="note").order_by("row")
    assert [(note.row, note.column, note.value, note.code) for note in notes] == [
        (2, "Kode Wilayah", "32.01.01.9999", "region_code_unmatched"),
        (3, "Kode Wilayah", "32.01.01", "region_code_unmatched"),
    ]
    with translation.override("en"):
        assert notes[0].message == (
            "Row 2, column Kode Wilayah: Kode Wilayah “32.01.01.9999” is not the code of a village in the region "
            "list. A village code has four parts, like 32.01.01.1007. Check the code, or pick the village on "
            "the customer's page."
        )


def test_street_line_keeps_letter_case(catalogue, tmp_path):
    path = write_workbook(tmp_path / "alamat.xlsx", [
        ["ID Pelanggan", "Nama", "Alamat"],
        ["PLG-2001", "Ani", "Griya Asri, Pakansari, Cibinong"],
        ["PLG-2002", "Bayu", "GRIYA ASRI, PAKANSARI, CIBINONG"],
    ])

    run_import(path)

    streets = dict(Customer.objects.values_list("number", "street"))
    villages = set(Customer.objects.values_list("village_id", flat=True))
    assert streets == {"PLG-2001": "Griya Asri", "PLG-2002": "GRIYA ASRI"}
    assert villages == {"32.01.01.1007"}


def test_district_without_village_noted(catalogue, tmp_path):
    path = write_workbook(tmp_path / "kecamatan.xlsx", [
        ["Nama", "Alamat", "Kecamatan"],
        ["Ani", "Jl. Mawar 1", "Cibinong"],
    ])

    _code, result, _stderr = run_import(path)

    assert Customer.objects.get().village_id is None
    note = batches.ImportProblem.objects.get(batch_id=result["batch"], kind="note")
    assert note.code == "region_without_village"
    with translation.override("en"):
        assert note.message == (
            "Row 2, column Kecamatan: “Cibinong” does not name one village, because the row has no "
            "Kelurahan/Desa. Add a Kelurahan/Desa column, or pick the village on the customer's page."
        )


def test_error_cells_in_region_names_noted(catalogue, tmp_path):
    """A VLOOKUP that failed in a region column leaves that part out with a
    note, and the row is saved and matched on its other region columns."""
    path = write_workbook(tmp_path / "vlookup.xlsx", [
        ["Nama", "Alamat", "Desa/Kelurahan", "Kecamatan", "Kabupaten/Kota", "Provinsi"],
        ["Ani", "Jl. Mawar 1", "Pabuaran", "Cibinong", "#N/A", "#REF!"],
        ["Bayu", "Jl. Mawar 2", "#VALUE!", "#DIV/0!", "Kab. Bogor", "Jawa Barat"],
    ])

    code, result, _stderr = run_import(path)

    assert code == 0
    assert result["created"] == 2
    assert result["errors"] == []
    assert dict(Customer.objects.values_list("name", "village_id")) == {"Ani": "32.01.01.1012", "Bayu": None}
    notes = batches.ImportProblem.objects.filter(batch_id=result["batch"], kind="note").order_by("row", "id")
    assert [(note.row, note.column, note.value, note.code) for note in notes] == [
        (2, "Kabupaten/Kota", "#N/A", "cell_error_left_out"),
        (2, "Provinsi", "#REF!", "cell_error_left_out"),
        (3, "Desa/Kelurahan", "#VALUE!", "cell_error_left_out"),
        (3, "Kecamatan", "#DIV/0!", "cell_error_left_out"),
        (3, "Kabupaten/Kota", "Kab. Bogor, Jawa Barat", "region_without_village"),
    ]
    with translation.override("en"):
        assert notes[0].message == (
            "Row 2, column Kabupaten/Kota: the cell shows the spreadsheet error “#N/A”, so the customer is saved "
            "without this value. Fill it in on the customer's page, or fix the formula and upload the file again "
            "in the mode Create and update."
        )


def test_formula_in_region_name_rejects(catalogue, tmp_path):
    """A region cell whose formula has no saved result rejects its row, as
    a Site or Paket cell does: its value is unknown, not known to be wrong."""
    path = write_workbook(tmp_path / "rumus.xlsx", [
        ["Nama", "Alamat", "Kecamatan"],
        ["Ani", "Jl. Mawar 1", "=VLOOKUP(A2,Wilayah!A:B,2,FALSE)"],
    ])

    _code, result, _stderr = run_import(path)

    assert result["created"] == 0
    assert [(error["row"], error["column"], error["code"]) for error in result["errors"]] == [
        (2, "Kecamatan", "cell_formula_without_value"),
    ]
