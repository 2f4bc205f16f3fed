"""The problem workbook lists every finding of a problem row with its row in
the uploaded file, and the saved rows with a value left out on a second sheet."""

import io
import shutil

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from customers.importing.problem_workbook import write_problem_workbook
from customers.models import Customer, ImportBatch
from tests.importing_helpers import DATA_DIR, validate_upload, write_workbook

pytestmark = pytest.mark.django_db


def workbook_of(batch):
    out = io.BytesIO()
    with translation.override("en"):
        write_problem_workbook(batch, out)
    return load_workbook(io.BytesIO(out.getvalue()))


def sheet_values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def tester_batch(sample_catalogue, admin_user, tmp_path):
    path = tmp_path / "pelanggan-des.xlsx"
    shutil.copy(DATA_DIR / "walkux" / "pelanggan-des.xlsx", path)
    return validate_upload(path, user=admin_user)


def test_masalah_lists_every_finding(tester_batch):
    sheet = workbook_of(tester_batch)["Pelanggan"]

    values = sheet_values(sheet)
    assert values[0][-3:] == ["Keterangan", "Baris asal", "Masalah"]
    assert [row[-2] for row in values[1:]] == [12, 13]
    assert values[2][-1] == (
        "Row 13, column No HP: “0812345678901234” is not a valid phone number. Write it like 0812-3456-7890. "
        "Row 13, column NIK: NIK “********0390” has 12 digits, but a NIK has 16 digits. Check it against the KTP. "
        "Row 13, column Tgl Pasang: “Sept 2024” is not a date. Write it like 31/12/2023 or 5 Januari 2024. "
        "Row 13, column Paket: package “Paket 50rb” is not known. Fix the name or add the package before you "
        "upload this row again, or the customer is saved without a package."
    )


def test_notes_sheet_lists_saved_rows(tester_batch):
    workbook = workbook_of(tester_batch)

    assert workbook.sheetnames == ["Pelanggan", "Catatan"]
    values = sheet_values(workbook["Catatan"])
    assert values[0] == ["Baris asal", "Pelanggan", "Catatan"]
    assert [row[:2] for row in values[1:]] == [
        [6, "Bpk. Dedi Kurniawan"],
        [9, "Rina Wati"],
        [10, "Toko Sumber Rezeki"],
        [11, "Joko Widodo"],
        [14, "Yanto"],
    ]
    assert values[1][2] == (
        "Row 6, column Paket: package “Hom 20 Mbps” is not known. Did you mean “Home 20 Mbps”? The customer is "
        "saved without a package; fix the name or add the package and upload again."
    )
    assert values[4][2] == (
        "Row 11, column Tgl Pasang: “2024-02-30” is not a valid date, so the customer is saved without this date. "
        "Fill in the date on the customer's page, day first, like 31/12/2023."
    )


def test_notes_sheet_skips_update_notes(sample_catalogue, admin_user, tmp_path):
    # An update's "will change" notes leave nothing out, so they are not listed.
    Customer.objects.create(number="PLG-0101", name="Ani", phone="+6281200000101")
    path = write_workbook(tmp_path / "perbarui.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Paket"],
        ["PLG-0101", "Ani", "081200000109", ""],
        ["PLG-0102", "Bayu", "081200000102", "Paket Rumah"],
    ])
    batch = validate_upload(path, user=admin_user, mode=ImportBatch.Mode.UPDATE)

    values = sheet_values(workbook_of(batch)["Catatan"])

    assert [row[:2] for row in values] == [["Baris asal", "Pelanggan"], [3, "PLG-0102 Bayu"]]


def test_reupload_replaces_added_columns(sample_catalogue, admin_user, tmp_path):
    path = write_workbook(tmp_path / "hp-salah.xlsx", [
        ["Nama", "No HP"],
        ["Ani", "081200000101"],
        ["Bayu", "bukan nomor"],
    ])
    first = validate_upload(path, user=admin_user)
    again = tmp_path / "masalah.xlsx"
    workbook_of(first).save(again)

    second = validate_upload(again, user=admin_user)
    values = sheet_values(workbook_of(second)["Pelanggan"])

    assert values == [
        ["Nama", "No HP", "Baris asal", "Masalah"],
        ["Bayu", "bukan nomor", 2, "Row 2, column No HP: “bukan nomor” is not a valid phone number. "
                                   "Write it like 0812-3456-7890."],
    ]


def test_left_out_rows_link_without_problems(sample_catalogue, admin_user, admin_client, tmp_path):
    path = write_workbook(tmp_path / "paket.xlsx", [
        ["Nama", "No HP", "Paket"],
        ["Ani", "081200000101", "Paket Rumah"],
    ])
    batch = validate_upload(path, user=admin_user)
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert batch.problem_count == 0
    link = reverse("customers:batch-problems", args=[batch.pk])
    assert (
        f'<a href="{link}" id="left-out-rows">Download the rows saved with a value left out</a> '
        "— fill those values in on the customers' pages."
    ) in page
