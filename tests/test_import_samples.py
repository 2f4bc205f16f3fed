"""The sample workbooks import to exactly the values of expected.json."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from customers.importing import pipeline  # noqa: F401  (registers every message)
from customers.importing.problems import Problem
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


def run_import_text(*args):
    """Run `import_customers` without --json; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_customers", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_summary_in_indonesian(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [
        ["ID Pelanggan", "Nama", "No. HP"],
        ["PLG-0001", "Budi Santoso", "0812-1111-2222"],
        ["PLG-0002", "Siti Aminah", "08x"],
    ])

    with translation.override("id"):
        checked, _err = run_import_text(path, "--dry-run")
        saved, _err = run_import_text(path)
        again, _err = run_import_text(path)
    batch = ImportBatch.objects.get(created_customers__number="PLG-0001")

    assert checked.splitlines()[0] == (
        "Baris dibaca: 2. Hanya pemeriksaan, tidak ada yang disimpan. Pelanggan baru yang akan disimpan: 1; "
        "yang akan diperbarui: 0; sudah ada: 0; baris bermasalah: 1."
    )
    assert saved.splitlines()[0] == (
        "Baris dibaca: 2. Pelanggan baru disimpan: 1; diperbarui: 0; sudah ada: 0; baris bermasalah: 1."
    )
    assert saved.splitlines()[-1] == f"Batch impor: {batch.pk}"
    assert again.splitlines()[0] == (
        "Baris dibaca: 2. Pelanggan baru disimpan: 0; diperbarui: 0; sudah ada: 1; baris bermasalah: 1."
    )



def test_summary_counts_problem_rows(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [
        ["ID Pelanggan", "Nama", "No. HP", "NIK"],
        ["PLG-0001", "Budi Santoso", "0812-1111-2222", ""],
        ["PLG-0002", "", "08x", "1234"],
    ])

    with translation.override("en"):
        out, _err = run_import_text(path, "--dry-run")

    # One row has three problems: each is listed, the row is counted once.
    lines = out.splitlines()
    assert lines[0] == (
        "Rows read: 2. Check only, nothing was saved. New customers to save: 1; "
        "to update: 0; already present: 0; rows with problems: 1."
    )
    assert lines[1] == "Problems (rows not saved):"
    assert len(lines) == 5


def unknown_package_rows(count):
    """Return a header and `count` rows naming a package that does not exist."""
    return [
        ["Nama", "No. HP", "Paket"],
        *([f"Pelanggan {index}", f"0812{index:08d}", "Paket Hilang"] for index in range(1, count + 1)),
    ]


def test_summary_lists_notes(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [
        ["Nama", "No. HP", "Site", "Paket"],
        ["Budi Santoso", "0812-1111-2222", "Cabang Hilang", "Paket Hilang"],
    ])

    with translation.override("en"):
        out, _err = run_import_text(path)
    batch = ImportBatch.objects.get()

    assert out.splitlines()[1:] == [
        "Notes:",
        "  Row 2, column Site: site “Cabang Hilang” is not known. The customer is saved without a site; "
        "add the site or fix the name and upload again.",
        "  Row 2, column Paket: package “Paket Hilang” is not known. The customer is saved without a package; "
        "add the package or fix the name and upload again.",
        f"Import batch: {batch.pk}",
    ]


def test_summary_notes_in_indonesian(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", unknown_package_rows(1))

    with translation.override("id"):
        out, _err = run_import_text(path, "--dry-run")

    assert out.splitlines()[2] == (
        "  Baris 2, kolom Paket: Paket “Paket Hilang” tidak dikenal. Pelanggan disimpan tanpa Paket. "
        "Tambahkan Paket tersebut atau perbaiki namanya, lalu unggah lagi."
    )


def test_summary_caps_notes_with_batch_path(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", unknown_package_rows(23))

    with translation.override("en"):
        out, _err = run_import_text(path)
    batch = ImportBatch.objects.get()

    lines = out.splitlines()
    assert lines[1] == "Notes:"
    assert len(lines) == 24
    assert lines[21].startswith("  Row 21, column Paket:")
    assert lines[22] == f"  … and 3 more, all listed on the batch page /customers/imports/{batch.pk}/?kind=note"
    assert lines[23] == f"Import batch: {batch.pk}"


def test_dry_run_caps_notes_without_batch(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", unknown_package_rows(21))

    with translation.override("en"):
        out, _err = run_import_text(path, "--dry-run")

    lines = out.splitlines()
    assert len(lines) == 23
    assert lines[-1] == "  … and 1 more. Run the command with --json to list them all."


def test_json_lists_every_note(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", unknown_package_rows(23))

    with translation.override("en"):
        code, result, _stderr = run_import(path)

    assert code == 0
    assert result["created"] == 23
    assert result["errors"] == []
    assert len(result["notes"]) == 23
    assert result["notes"][0] == {
        "row": 2,
        "column": "Paket",
        "value": "Paket Hilang",
        "message": "Row 2, column Paket: package “Paket Hilang” is not known. The customer is saved without "
        "a package; add the package or fix the name and upload again.",
        "code": "package_unknown",
        "kind": "note",
    }

def update_rows():
    """Return a header and a row that changes the status and the name of
    PLG-0021 and fills in its empty email."""
    return [
        ["ID Pelanggan", "Nama", "Status", "Email"],
        ["PLG-0021", "Agus Wibisono", "isolir", "agus@example.com"],
    ]


@pytest.fixture
def stored_customer(sample_catalogue):
    return Customer.objects.create(number="PLG-0021", name="Agus Wibowo", status=Customer.Status.ACTIVE)


def test_update_summary_after_save(stored_customer, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", update_rows())

    with translation.override("en"):
        out, _err = run_import_text(path, "--update")
    batch = ImportBatch.objects.get()

    assert out.splitlines() == [
        "Rows read: 1. New customers saved: 0; updated: 1; already present: 0; rows with problems: 0.",
        "Notes:",
        "  Row 2, column Nama: the name was changed from “Agus Wibowo” to “Agus Wibisono”. "
        "If the ID Pelanggan was wrong, undo this import.",
        "  Row 2, column Email: was empty, set to “agus@example.com”.",
        "  Row 2, column Status: “Active” was changed to “Suspended”.",
        f"Import batch: {batch.pk}",
    ]
    stored_customer.refresh_from_db()
    assert stored_customer.status == Customer.Status.SUSPENDED


def test_batch_note_after_save(stored_customer, tmp_path):
    """The batch page of a saved import reports the change as done."""
    path = write_workbook(tmp_path / "pelanggan.xlsx", update_rows())

    run_import_text(path, "--update")
    note = ImportProblem.objects.get(code="will_update")

    with translation.override("en"):
        assert note.message == "Row 2, column Status: “Active” was changed to “Suspended”."


def test_update_summary_of_dry_run(stored_customer, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", update_rows())

    with translation.override("en"):
        out, _err = run_import_text(path, "--update", "--dry-run")

    assert out.splitlines()[1:] == [
        "Notes:",
        "  Row 2, column Nama: the name will change from “Agus Wibowo” to “Agus Wibisono”. "
        "Make sure the ID Pelanggan is right.",
        "  Row 2, column Email: empty now, will be set to “agus@example.com”.",
        "  Row 2, column Status: “Active” will change to “Suspended”.",
    ]
    stored_customer.refresh_from_db()
    assert stored_customer.status == Customer.Status.ACTIVE


def test_update_json_after_save(stored_customer, tmp_path):
    """The --json output keeps the codes and the review's messages."""
    path = write_workbook(tmp_path / "pelanggan.xlsx", update_rows())

    with translation.override("en"):
        code, result, _stderr = run_import(path, "--update")

    assert code == 0
    assert result["updated"] == 1
    assert [(note["column"], note["code"], note["message"]) for note in result["notes"]] == [
        ("Nama", "name_will_change", "Row 2, column Nama: the name will change from “Agus Wibowo” to "
         "“Agus Wibisono”. Make sure the ID Pelanggan is right."),
        ("Email", "will_fill", "Row 2, column Email: empty now, will be set to “agus@example.com”."),
        ("Status", "will_update", "Row 2, column Status: “Active” will change to “Suspended”."),
    ]
    assert sorted(result["notes"][0]) == ["code", "column", "kind", "message", "row", "value"]


@pytest.mark.parametrize("code, message", [
    ("nik_will_change", "Row 2, column NIK: the NIK was changed (the old NIK ended in 0001, the new NIK ends in 0002)."),
    ("nik_will_change_same_end", "Row 2, column NIK: the NIK was changed in its first 12 digits "
     "(the old and the new NIK both end in 0002)."),
])
def test_nik_change_message_after_save(code, message):
    problem = Problem(2, "NIK", "************0002", code, {"old_end": "0001", "new_end": "0002"})

    with translation.override("en"):
        assert problem.saved_message == message


def test_summary_in_english(sample_catalogue):
    with translation.override("en"):
        out, _err = run_import_text(SAMPLE_XLSX, "--dry-run")

    # Region notes follow when another test of the session loaded the region list.
    lines = out.splitlines()
    assert lines[0] == (
        "Rows read: 8. Check only, nothing was saved. New customers to save: 8; "
        "to update: 0; already present: 0; rows with problems: 0."
    )
    assert "Problems (rows not saved):" not in lines


def test_unknown_site_named_in_indonesian(sample_catalogue):
    with translation.override("id"), pytest.raises(CommandError) as raised:
        run_import_text(SAMPLE_XLSX, "--site", "XYZ")

    assert str(raised.value) == "Site “XYZ” tidak ditemukan. Gunakan kode atau nama site."
    assert Customer.objects.count() == 0


def test_missing_file_named_in_indonesian(tmp_path):
    missing = tmp_path / "tidak-ada.xlsx"

    with translation.override("id"):
        code, _result, stderr = run_import(missing)

    assert code == 2
    assert stderr == f"File tidak ditemukan: {missing}\n"
