"""The admin's notes on a customer ("Keterangan"): import, update, undo,
template, export round trip, staff form, history, and never the portal."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from customers.importing import batches, cleaners
from customers.importing.problems import CellError
from customers.importing.template import TEMPLATE_FIELDS
from customers.models import Customer, ImportBatch, ImportChange
from customers.selectors import customer_history
from customers.services import customer_anonymise
from tests.importing_helpers import CASES_DIR, run_import, write_workbook
from tests.test_customer_pages import form_data
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    catalogue,
    client_a,
    customer_a,
    user_a,
)

pytestmark = pytest.mark.django_db

NOTES = "ODP-12 port 3\nrumah pojok cat hijau"


def import_rows(path, rows, *, user=None, mode=ImportBatch.Mode.CREATE):
    """Validate and commit a workbook of `rows` (header first) as the worker does, and return the batch."""
    return import_file(write_workbook(path, rows), user=user, mode=mode)


def import_file(path, *, user=None, mode=ImportBatch.Mode.CREATE):
    """Validate and commit the workbook at `path` as the worker does, and return the batch."""
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=user, mode=mode)
    batches.validate_batch(batch)
    batches.commit_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE, batch.error_code
    return batch


def findings(batch):
    return [(problem.row, problem.kind, problem.column, problem.code) for problem in batch.problems.order_by("row", "id")]


@pytest.fixture
def stored(sample_catalogue):
    """A customer with notes, which update-mode imports change."""
    sites, packages = sample_catalogue
    return Customer.objects.create(
        number="PLG-0500", name="Wati", address="Jl. Lama 1", site=sites["CBN"], package=packages["H10"],
        notes="tunggakan 2 bulan",
    )


# ---------------------------------------------------------------------------
# Cleaning


def test_clean_notes_keeps_line_breaks():
    text = "  ODP-12\u00a0 port 3 \r\n\r\n\u200brumah pojok\tcat hijau\u2028"

    assert cleaners.clean_notes(text) == "ODP-12 port 3\nrumah pojok cat hijau"


def test_clean_notes_number_cell():
    assert cleaners.clean_notes(12.0) == "12"


def test_clean_notes_limit():
    with pytest.raises(CellError) as raised:
        cleaners.clean_notes("a" * 11, 10)

    assert raised.value.code == cleaners.TEXT_TOO_LONG
    assert raised.value.params == {"length": 11, "limit": 10}
    assert cleaners.clean_notes("a" * 10, 10) == "a" * 10


# ---------------------------------------------------------------------------
# Import of new customers


@pytest.mark.parametrize("header", ["Keterangan", "Ket.", "CATATAN", "Remarks"])
def test_import_saves_notes(sample_catalogue, tmp_path, header):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [
        ["Nama", "Alamat", header],
        ["Ani", "Jl. Mawar 1", "  ODP-12 port 3\n\nrumah pojok\u200b cat hijau "],
        ["Bayu", "Jl. Melati 2", None],
    ])

    code, result, stderr = run_import(path)

    assert (code, stderr) == (0, "")
    assert (result["created"], result["errors"]) == (2, [])
    assert dict(Customer.objects.values_list("name", "notes")) == {"Ani": NOTES, "Bayu": ""}


def test_case_workbook_keeps_keterangan(sample_catalogue):
    # A title above the header row, and Keterangan in the last column.
    code, result, _stderr = run_import(CASES_DIR / "case12_header_baris4.xlsx")

    assert (code, result["created"]) == (0, 3)
    assert dict(Customer.objects.values_list("number", "notes")) == {
        "PLG-0001": "lunas", "PLG-0002": "", "PLG-0003": "lunas",
    }


def test_import_history_records_notes(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [["Nama", "Alamat", "Keterangan"], ["Ani", "Jl. Mawar 1", NOTES]])

    run_import(path)

    created = Customer.history.get(name="Ani")
    assert (created.history_type, created.notes) == ("+", NOTES)


def test_import_cuts_long_notes_with_note(admin_user, sample_catalogue, tmp_path):
    long_notes = "pindah alamat " * 100

    batch = import_rows(tmp_path / "panjang.xlsx", [
        ["Nama", "Alamat", "Ket"],
        ["Ani", "Jl. Mawar 1", long_notes],
    ], user=admin_user)

    customer = Customer.objects.get()
    assert customer.notes == long_notes[:1000]
    assert customer.notes.endswith("alamat pindah")
    assert batch.created_count == 1
    assert findings(batch) == [(2, "note", "Ket", "notes_cut")]
    with translation.override("en"):
        assert batch.problems.get().message == (
            "Row 2, column Ket: the notes are 1399 characters long, over the limit of 1000, so only the first "
            "1000 characters are read. Shorten the notes in the file, or edit them on the customer's page."
        )


def test_import_error_cell_leaves_notes_out(admin_user, sample_catalogue, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nama", "Alamat", "Keterangan"])
    sheet.append(["Ani", "Jl. Mawar 1", "#N/A"])
    path = tmp_path / "galat.xlsx"
    workbook.save(path)
    assert sheet["C2"].data_type == "e"

    batch = import_file(path, user=admin_user)

    assert batch.created_count == 1
    assert Customer.objects.get().notes == ""
    assert findings(batch) == [(2, "note", "Keterangan", "cell_error_left_out")]
    with translation.override("en"):
        assert batch.problems.get().message == (
            "Row 2, column Keterangan: the cell shows the spreadsheet error “#N/A”, so the customer is saved "
            "without this value. Fill it in on the customer's page, or fix the formula and upload the file "
            "again in the mode Create and update."
        )


def test_import_joins_notes_columns(admin_user, sample_catalogue, tmp_path):
    """Every notes column is kept: their non-blank cells are joined left
    to right, one per line, and the review lists none as a duplicate."""
    batch = import_rows(tmp_path / "dua-catatan.xlsx", [
        ["Nama", "Keterangan", "Alamat", "Catatan", "Keterangan"],
        ["Ani", "lunas s/d Mei", "Jl. Mawar 1", "ODP-12 port 3\nrumah pojok", "pindah dari Bogor"],
        ["Bayu", None, "Jl. Mawar 2", "minta pasang ulang", None],
        ["Cici", "-", "Jl. Mawar 3", None, "  "],
    ], user=admin_user)

    assert batch.created_count == 3
    assert findings(batch) == []
    assert dict(Customer.objects.values_list("name", "notes")) == {
        "Ani": "lunas s/d Mei\nODP-12 port 3\nrumah pojok\npindah dari Bogor",
        "Bayu": "minta pasang ulang",
        "Cici": "",
    }
    assert batch.summary["duplicate_columns"] == []
    assert [(column["header"], column["field"]) for column in batch.summary["columns"]] == [
        ("Nama", "name"), ("Keterangan", "notes"), ("Alamat", "address"), ("Catatan", "notes"), ("Keterangan", "notes"),
    ]


def test_import_joined_notes_cut_with_note(admin_user, sample_catalogue, tmp_path):
    first = "a" * 600
    second = "b" * 500

    batch = import_rows(tmp_path / "panjang.xlsx", [
        ["Nama", "Alamat", "Keterangan", "Catatan"],
        ["Ani", "Jl. Mawar 1", first, second],
        ["Bayu", "Jl. Mawar 2", None, "c" * 1200],
    ], user=admin_user)

    assert batch.created_count == 2
    notes = dict(Customer.objects.values_list("name", "notes"))
    assert notes["Ani"] == first + "\n" + "b" * 399
    assert notes["Bayu"] == "c" * 1000
    assert findings(batch) == [
        (2, "note", "Keterangan, Catatan", "notes_joined_cut"),
        (3, "note", "Catatan", "notes_cut"),
    ]
    with translation.override("en"):
        assert batch.problems.get(row=2).message == (
            "Row 2, columns Keterangan, Catatan: the notes of these columns, joined one per line, are 1101 "
            "characters long, over the limit of 1000, so only the first 1000 characters are read. Shorten the "
            "notes in the file, or edit them on the customer's page."
        )


def test_import_error_cell_in_second_notes_column(admin_user, sample_catalogue, tmp_path):
    batch = import_rows(tmp_path / "galat.xlsx", [
        ["Nama", "Alamat", "Keterangan", "Catatan"],
        ["Ani", "Jl. Mawar 1", "lunas", "#REF!"],
    ], user=admin_user)

    assert Customer.objects.get().notes == "lunas"
    assert findings(batch) == [(2, "note", "Catatan", "cell_error_left_out")]
    assert batch.problems.get().value == "#REF!"


def test_unknown_column_mapped_to_notes(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "info.xlsx", [
        ["Nama", "Alamat", "Info Teknisi"],
        ["Ani", "Jl. Mawar 1", "kabel putus"],
    ])
    with open(path, "rb") as handle:
        admin_client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    batch = ImportBatch.objects.get()
    assert batch.summary["unknown_columns"] == ["Info Teknisi"]
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert '<option value="notes">Keterangan</option>' in page

    admin_client.post(reverse("customers:batch-columns", args=[batch.pk]), {"column_2": "notes"})
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    assert Customer.objects.get().notes == "kabel putus"


# ---------------------------------------------------------------------------
# Update mode and undo


def test_update_replaces_notes(admin_user, stored, tmp_path):
    batch = import_rows(tmp_path / "ubah.xlsx", [
        ["ID Pelanggan", "Nama", "Keterangan"],
        ["PLG-0500", "Wati", "pindah alamat"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    stored.refresh_from_db()
    assert stored.notes == "pindah alamat"
    assert batch.updated_count == 1
    assert findings(batch) == [(2, "note", "Keterangan", "will_update")]
    assert list(ImportChange.objects.values_list("field", "old_value", "new_value")) == [
        ("notes", "tunggakan 2 bulan", "pindah alamat"),
    ]
    latest = stored.history.first()
    assert (latest.history_type, latest.notes) == ("~", "pindah alamat")


def test_update_sheet_of_id_and_notes(admin_user, stored, tmp_path):
    batch = import_rows(tmp_path / "keterangan.xlsx", [
        ["ID Pelanggan", "Ket."],
        ["PLG-0500", "lunas"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    stored.refresh_from_db()
    assert (stored.name, stored.address, stored.notes) == ("Wati", "Jl. Lama 1", "lunas")
    assert batch.updated_count == 1


def test_update_empty_cell_keeps_notes(admin_user, stored, tmp_path):
    batch = import_rows(tmp_path / "kosong.xlsx", [
        ["ID Pelanggan", "Nama", "Alamat", "Keterangan"],
        ["PLG-0500", "Wati", "Jl. Baru 2", ""],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    stored.refresh_from_db()
    assert (stored.address, stored.notes) == ("Jl. Baru 2", "tunggakan 2 bulan")
    assert batch.updated_count == 1
    assert ImportChange.objects.filter(field="notes").count() == 0


def test_undo_restores_notes(admin_client, admin_user, stored, tmp_path):
    batch = import_rows(tmp_path / "ubah.xlsx", [
        ["ID Pelanggan", "Nama", "Keterangan"],
        ["PLG-0500", "Wati", "pindah alamat"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    response = admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE
    stored.refresh_from_db()
    assert stored.notes == "tunggakan 2 bulan"
    assert stored.history.first().notes == "tunggakan 2 bulan"


# ---------------------------------------------------------------------------
# Template and export


def test_template_ends_with_notes_column(admin_client, sample_catalogue):
    admin_client.cookies["django_language"] = "en"

    workbook = load_workbook(io.BytesIO(admin_client.get(reverse("customers:template")).content))

    sheet = workbook["Pelanggan"]
    headers = [cell.value for cell in sheet[1]]
    assert len(headers) == len(TEMPLATE_FIELDS) == 18
    assert headers[-1] == "Keterangan"
    assert sheet["R2"].value == "Rumah pojok cat hijau, ODP-12 port 3"
    assert sheet["R3"].number_format == "@"
    assert sheet["R5000"].number_format == "@"
    instructions = [row[0] for row in workbook["Petunjuk"].iter_rows(values_only=True)]
    assert instructions[-1] == (
        "11. Keterangan: your own notes on the customer, such as ODP-12 port 3, up to 1000 characters. "
        "Customers do not see them in the portal. In the mode Create and update, an empty cell keeps the stored notes."
    )


def test_export_writes_notes_column(admin_client, stored):
    Customer.objects.filter(pk=stored.pk).update(notes=NOTES)

    response = admin_client.get(reverse("customers:export"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Pelanggan"]

    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-2:] == ("Keterangan", "Kode Wilayah")
    assert rows[1][-2] == NOTES
    assert sheet.cell(row=2, column=len(rows[0]) - 1).number_format == "@"


@pytest.mark.parametrize("notes", [NOTES, "- tunggakan 2 bulan", "=ODP 12", "1/2"])
def test_export_round_trip_keeps_notes(stored, tmp_path, notes):
    Customer.objects.filter(pk=stored.pk).update(notes=notes)
    before = list(Customer.objects.values())
    path = tmp_path / "ekspor.xlsx"
    call_command("export_customers", str(path), "--include-nik", stdout=io.StringIO())

    code, result, stderr = run_import(path, "--update")

    assert (code, stderr) == (0, "")
    assert result["errors"] == []
    assert (result["rows"], result["created"], result["updated"], result["duplicates"]) == (1, 0, 0, 1)
    assert list(Customer.objects.values()) == before


# ---------------------------------------------------------------------------
# Staff pages


def test_edit_form_saves_notes(admin_client, stored):
    url = reverse("customers:edit", args=[stored.pk])

    response = admin_client.post(url, form_data(stored, notes=" ODP-12 port 3\r\n\r\nrumah pojok cat hijau "))

    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.notes == NOTES
    change = customer_history(stored)[0].changes
    assert [(entry.field, entry.old, entry.new) for entry in change] == [("notes", "tunggakan 2 bulan", NOTES)]
    with translation.override("en"):
        assert change[0].label == "Notes"


def test_edit_form_rejects_long_notes(admin_client, stored):
    url = reverse("customers:edit", args=[stored.pk])
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(url, form_data(stored, notes="a" * 1001))

    assert response.status_code == 200
    errors = [str(error) for error in response.context["form"].errors["notes"]]
    assert errors == [f"“{'a' * 1001}” is 1001 characters long, over the limit of 1000. Shorten it."]
    stored.refresh_from_db()
    assert stored.notes == "tunggakan 2 bulan"


def test_edit_page_shows_notes_textarea(admin_client, stored):
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:edit", args=[stored.pk])).content.decode()

    assert '<label for="id_notes">Notes</label>' in page
    assert (
        '<textarea name="notes" cols="40" rows="4" aria-describedby="id_notes_helptext" id="id_notes">\n'
        "tunggakan 2 bulan</textarea>"
    ) in page
    assert '<div class="field wide">\n    <label for="id_notes">' in page
    assert (
        "Your own notes on this customer, such as ODP-12 port 3. The customer does not see them in the portal."
    ) in page


def test_add_form_saves_notes(admin_client, sample_catalogue):
    sites, packages = sample_catalogue

    response = admin_client.post(reverse("customers:add"), {
        "number": "", "name": "Ani", "phone": "", "email": "", "nik": "", "address": "Jl. Mawar 1",
        "site": sites["CBN"].pk, "package": packages["H10"].pk, "status": "active", "installed_on": "",
        "latitude": "", "longitude": "", "postal_code": "", "notes": "ODP-12 port 3", "save": "",
    })

    assert response.status_code == 302
    assert Customer.objects.get(name="Ani").notes == "ODP-12 port 3"


def test_anonymise_clears_notes(admin_user, stored):
    customer_anonymise(stored, by=admin_user)

    stored.refresh_from_db()
    assert stored.notes == ""
    assert list(stored.history.values_list("notes", flat=True)) == ["", ""]


# ---------------------------------------------------------------------------
# Portal


def test_portal_never_shows_notes(client_a, customer_a):
    Customer.objects.filter(pk=customer_a.pk).update(notes="tunggakan 2 bulan, pelanggan rewel")

    pages = [client_a.get(path).content.decode() for path in ("/portal/", "/portal/profile/", "/portal/requests/new/")]

    for page in pages:
        assert "tunggakan" not in page
        assert 'name="notes"' not in page


def test_portal_profile_cannot_change_notes(client_a, customer_a):
    Customer.objects.filter(pk=customer_a.pk).update(notes="tunggakan 2 bulan")

    client_a.post("/portal/profile/", {
        "name": customer_a.name, "email": customer_a.email, "street": customer_a.street,
        "address": customer_a.address, "village": "", "location": "", "latitude": "", "longitude": "",
        "notes": "lunas",
    })

    customer_a.refresh_from_db()
    assert customer_a.notes == "tunggakan 2 bulan"
