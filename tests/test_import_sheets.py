"""Workbooks with several sheets: the review, or the rejection of the sheet
read, names the sheets it did not read and lets the admin read another one."""

import re
import zipfile
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from customers.importing.reader import open_table
from customers.models import Customer, ImportBatch
from tests.importing_helpers import run_import
from tests.test_reader import ods_file, text_cell

pytestmark = pytest.mark.django_db

HEADER = ["Nama", "No HP", "Alamat"]
CIBINONG_ROWS = [
    ["Ani", "0812-3456-7001", "Jl. Mawar 1"],
    ["Bayu", "0812-3456-7002", "Jl. Melati 2"],
]
BOJONGGEDE_ROWS = [
    ["Cici", "0812-3456-7003", "Jl. Kenanga 3"],
    ["Dodi", "0812-3456-7004", "Jl. Anggrek 4"],
    ["Eka", "0812-3456-7005", "Jl. Dahlia 5"],
    ["Fajar", "0812-3456-7006", "Jl. Tulip 6"],
    ["Gita", "0812-3456-7007", "Jl. Kamboja 7"],
    ["Hadi", "0812-3456-7008", "Jl. Teratai 8"],
]
# A summary sheet whose header names one customer field (Site) only.
REKAP_ROWS = [["Site", "Jumlah", "Total Tagihan"], ["Cibinong", 2, 300000], ["Bojonggede", 6, 900000]]


def write_site_workbook(path, bojonggede_rows=BOJONGGEDE_ROWS):
    """Write the sheets Cibinong, Bojonggede and Rekap, in that order."""
    workbook = Workbook()
    cibinong = workbook.active
    cibinong.title = "Cibinong"
    for row in [HEADER, *CIBINONG_ROWS]:
        cibinong.append(row)
    bojonggede = workbook.create_sheet("Bojonggede")
    for row in [HEADER, *bojonggede_rows]:
        bojonggede.append(row)
    rekap = workbook.create_sheet("Rekap")
    for row in REKAP_ROWS:
        rekap.append(row)
    workbook.save(path)
    return path


def upload(client, path):
    with open(path, "rb") as handle:
        client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    return ImportBatch.objects.order_by("-created_at").first()


def choose_sheet(client, batch, sheet):
    return client.post(reverse("customers:batch-sheet", args=[batch.pk]), {"sheet": sheet}, follow=True)


def batch_page(client, batch):
    return client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()


def test_review_warns_of_other_customer_sheet(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx"))

    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["sheet"] == "Cibinong"
    assert batch.rows_read == 2
    assert batch.summary["customer_sheets"] == [{"name": "Bojonggede", "rows": 6}]
    page = batch_page(admin_client, batch)
    assert "Sheet “Bojonggede” also looks like a customer list (about 6 rows) and was not read." in page
    assert "Sheet “Rekap” also" not in page
    assert page.count('class="warning-box other-customer-sheet"') == 1
    assert '<option value="Bojonggede">Bojonggede</option>' in page
    assert '<option value="Rekap">' not in page


def declare_dimension(path, part, cell_range):
    """Rewrite the <dimension> of one sheet part of the .xlsx at `path`."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries[part], replaced = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{cell_range}"'.encode(), entries[part])
    assert replaced == 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("cell_range, rows", [
    ("A1:XFD1048576", None),
    ("A1:C300002", None),
    ("A1:C300001", 300_000),
])
def test_other_sheet_declared_size(admin_client, sample_catalogue, tmp_path, cell_range, rows):
    """A declared size past IMPORT_MAX_ROWS gives no row count."""
    admin_client.cookies["django_language"] = "en"
    path = write_site_workbook(tmp_path / "rtrw.xlsx")
    declare_dimension(path, "xl/worksheets/sheet2.xml", cell_range)

    batch = upload(admin_client, path)

    assert batch.summary["customer_sheets"] == [{"name": "Bojonggede", "rows": rows}]
    page = batch_page(admin_client, batch)
    if rows is None:
        assert "Sheet “Bojonggede” also looks like a customer list and was not read." in page
        assert "also looks like a customer list (about" not in page
    else:
        assert "Sheet “Bojonggede” also looks like a customer list (about 300,000 rows) and was not read." in page


def test_command_omits_declared_grid_size(sample_catalogue, tmp_path):
    path = write_site_workbook(tmp_path / "rtrw.xlsx")
    declare_dimension(path, "xl/worksheets/sheet2.xml", "A1:XFD1048576")
    out = StringIO()

    with translation.override("en"):
        call_command("import_customers", str(path), "--dry-run", stdout=out)

    assert out.getvalue().splitlines()[-2] == "Sheet “Bojonggede” also looks like a customer list and was not read."


def test_review_without_other_customer_sheet(admin_client, sample_catalogue, tmp_path):
    workbook = Workbook()
    workbook.active.title = "Pelanggan"
    for row in [HEADER, *CIBINONG_ROWS]:
        workbook.active.append(row)
    rekap = workbook.create_sheet("Rekap")
    for row in REKAP_ROWS:
        rekap.append(row)
    workbook.save(tmp_path / "satu.xlsx")

    batch = upload(admin_client, tmp_path / "satu.xlsx")

    assert batch.summary["customer_sheets"] == []
    page = batch_page(admin_client, batch)
    assert "other-customer-sheet" not in page
    assert 'id="sheet-form"' not in page


def test_chosen_sheet_read_and_saved(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx"))

    response = choose_sheet(admin_client, batch, "Bojonggede")

    assert "The file is being checked again, reading the sheet Bojonggede." in response.content.decode()
    batch.refresh_from_db()
    assert batch.sheet == "Bojonggede"
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["sheet"] == "Bojonggede"
    assert batch.rows_read == 6
    assert batch.new_count == 6
    assert batch.summary["customer_sheets"] == [{"name": "Cibinong", "rows": 2}]
    page = batch_page(admin_client, batch)
    assert "Sheet read: Bojonggede, header on row 1." in page
    assert "Sheet “Cibinong” also looks like a customer list (about 2 rows) and was not read." in page

    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert batch.created_count == 6
    assert sorted(Customer.objects.values_list("name", flat=True)) == [row[0] for row in BOJONGGEDE_ROWS]


def test_chosen_sheet_row_numbers(admin_client, sample_catalogue, tmp_path):
    rows = [*BOJONGGEDE_ROWS[:2], ["", "0812-3456-7099", "Jl. Tanpa Nama"], *BOJONGGEDE_ROWS[2:]]
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx", bojonggede_rows=rows))
    assert batch.problem_count == 0

    choose_sheet(admin_client, batch, "Bojonggede")

    batch.refresh_from_db()
    assert batch.rows_read == 7
    assert batch.problem_count == 1
    problem = batch.problems.get(kind="problem")
    # Row 4 of Bojonggede: the Cibinong sheet has no row 4.
    assert problem.row == 4
    assert problem.code == "name_missing"


def test_problem_workbook_reads_chosen_sheet(admin_client, sample_catalogue, tmp_path):
    rows = [*BOJONGGEDE_ROWS[:2], ["", "0812-3456-7099", "Jl. Tanpa Nama"]]
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx", bojonggede_rows=rows))
    choose_sheet(admin_client, batch, "Bojonggede")

    response = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert [cell.value for cell in sheet[2]][:3] == [None, "0812-3456-7099", "Jl. Tanpa Nama"]
    assert sheet.max_row == 2


@pytest.mark.parametrize("sheet", ["Rekap", "Tidak Ada", ""])
def test_sheet_choice_outside_list_rejected(admin_client, sample_catalogue, tmp_path, sheet):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx"))

    response = choose_sheet(admin_client, batch, sheet)

    assert (
        f"“{sheet}” is not a sheet of this file that looks like a customer list. Choose one of: Cibinong, Bojonggede."
        in response.content.decode()
    )
    batch.refresh_from_db()
    assert batch.sheet == ""
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["sheet"] == "Cibinong"
    assert batch.rows_read == 2


def test_sheet_choice_after_save_rejected(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx"))
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    response = choose_sheet(admin_client, batch, "Bojonggede")

    assert "The sheet of this batch can no longer be chosen." in response.content.decode()
    batch.refresh_from_db()
    assert batch.sheet == ""
    assert batch.state == ImportBatch.State.DONE
    assert Customer.objects.count() == 2


def test_command_reads_chosen_sheet(sample_catalogue, tmp_path):
    path = write_site_workbook(tmp_path / "rtrw.xlsx")

    code, result, _stderr = run_import(path, "--sheet", "Bojonggede")

    assert code == 0
    assert result["rows"] == 6
    assert result["created"] == 6
    assert sorted(Customer.objects.values_list("name", flat=True)) == [row[0] for row in BOJONGGEDE_ROWS]
    batch = ImportBatch.objects.get()
    assert batch.sheet == "Bojonggede"
    assert batch.summary["sheet"] == "Bojonggede"


def test_command_names_unread_customer_sheet(sample_catalogue, tmp_path):
    path = write_site_workbook(tmp_path / "rtrw.xlsx")

    code, result, _stderr = run_import(path, "--dry-run")

    assert code == 0
    assert result["rows"] == 2
    assert result["other_customer_sheets"] == [{"name": "Bojonggede", "rows": 6}]


def test_command_summary_names_unread_sheet(sample_catalogue, tmp_path):
    path = write_site_workbook(tmp_path / "rtrw.xlsx")
    out = StringIO()

    with translation.override("en"):
        call_command("import_customers", str(path), "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-2:] == [
        "Sheet “Bojonggede” also looks like a customer list (about 6 rows) and was not read.",
        "Run the command again with --sheet NAME to import another sheet.",
    ]


def test_command_rejects_unknown_sheet(sample_catalogue, tmp_path):
    path = write_site_workbook(tmp_path / "rtrw.xlsx")

    with translation.override("en"):
        code, result, stderr = run_import(path, "--sheet", "Tidak Ada")

    assert code == 2
    assert result is None
    assert stderr == (
        "This file has no sheet named “Tidak Ada” that can be read. Its visible sheets are: "
        "Cibinong, Bojonggede, Rekap.\n"
    )
    assert Customer.objects.count() == 0


def test_command_rejects_sheet_without_header(sample_catalogue, tmp_path):
    path = write_site_workbook(tmp_path / "rtrw.xlsx")

    with translation.override("en"):
        code, _result, stderr = run_import(path, "--sheet", "Rekap")

    assert code == 2
    assert stderr.startswith("The sheet Rekap has no header row with customer columns in its first 30 rows.")
    assert Customer.objects.count() == 0


def test_next_sheet_of_saved_file(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    path = write_site_workbook(tmp_path / "rtrw.xlsx")
    first = upload(admin_client, path)
    assert (
        "To import the customers of another sheet as well, save this one, then upload the same file again "
        "and choose that sheet." in batch_page(admin_client, first)
    )
    admin_client.post(reverse("customers:batch-confirm", args=[first.pk]))
    assert (
        "To import the customers of another sheet, upload the same file again and choose that sheet."
        in batch_page(admin_client, first)
    )

    second = upload(admin_client, path)
    # The upload reads Cibinong again, which the first batch saved.
    assert second.state == ImportBatch.State.REVIEW
    assert "This file was already imported on" in batch_page(admin_client, second)

    choose_sheet(admin_client, second, "Bojonggede")

    page = batch_page(admin_client, second)
    assert "Sheet read: Bojonggede, header on row 1." in page
    assert "This file was already imported on" not in page
    admin_client.post(reverse("customers:batch-confirm", args=[second.pk]))
    second.refresh_from_db()
    assert second.state == ImportBatch.State.DONE
    assert second.created_count == 6
    assert Customer.objects.count() == 8

    third = upload(admin_client, path)
    choose_sheet(admin_client, third, "Bojonggede")
    assert "This file was already imported on" in batch_page(admin_client, third)
    third.refresh_from_db()
    assert third.new_count == 0
    assert third.duplicate_count == 6


def test_stale_review_tab_saves_nothing(admin_client, sample_catalogue, tmp_path):
    """A save sent from a review page opened before another tab chose
    another sheet would save rows the admin never reviewed."""
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx"))
    first_page = batch_page(admin_client, batch)
    old_review = re.search(r'name="review" value="([0-9a-f]{16})"', first_page)[1]
    choose_sheet(admin_client, batch, "Bojonggede")

    response = admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]), {"review": old_review}, follow=True)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert Customer.objects.count() == 0
    assert (
        "Nothing was saved: this file was checked again with another sheet or column matching after you "
        "opened the review. Check the review below, then save again."
    ) in response.content.decode()

    new_review = re.search(r'name="review" value="([0-9a-f]{16})"', batch_page(admin_client, batch))[1]
    assert new_review != old_review
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]), {"review": new_review})

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert Customer.objects.count() == len(BOJONGGEDE_ROWS)


# --- A rejected sheet names the others ----------------------------------------

# Phone and address name two customer fields, so this is a header row, but it
# has no Nama. Pemilik (owner) is unknown, so it may be matched to Nama by hand.
NO_NAME_HEADER = ["Pemilik", "No HP", "Alamat"]


def write_no_name_workbook(path):
    """Write the sheets Pelanggan, which the reader prefers by its name but
    which has no Nama column, and Data, a customer list."""
    workbook = Workbook()
    preferred = workbook.active
    preferred.title = "Pelanggan"
    for row in [NO_NAME_HEADER, ["Ani", "0812-3456-7001", "Jl. Mawar 1"]]:
        preferred.append(row)
    data = workbook.create_sheet("Data")
    for row in [HEADER, *CIBINONG_ROWS]:
        data.append(row)
    workbook.save(path)
    return path


def test_rejected_sheet_offers_other_sheet(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_no_name_workbook(tmp_path / "tanpa-nama.xlsx"))

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "missing_required"
    assert batch.summary["sheet"] == "Pelanggan"
    assert batch.summary["customer_sheets"] == [{"name": "Data", "rows": 2}]
    assert batch.summary["unchecked_sheets"] == []
    page = batch_page(admin_client, batch)
    assert "The sheet Pelanggan has no column Nama." in page
    assert "Sheet “Data” also looks like a customer list (about 2 rows) and was not read." in page
    assert "Choose a sheet below to read it in place of the sheet Pelanggan." in page
    assert '<option value="Data">Data</option>' in page
    assert '<option value="Pelanggan"' not in page
    # Matching the columns of the rejected sheet by hand stays possible.
    assert 'id="column-matching"' in page

    response = choose_sheet(admin_client, batch, "Data")

    assert "The file is being checked again, reading the sheet Data." in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["sheet"] == "Data"
    assert batch.new_count == 2
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Ani", "Bayu"]


def test_empty_template_sheet_offers_filled_sheet(admin_client, sample_catalogue, tmp_path):
    """The admin filled a new sheet of the template and left its Pelanggan sheet empty."""
    admin_client.cookies["django_language"] = "en"
    workbook = Workbook()
    workbook.active.title = "Pelanggan"
    workbook.active.append(HEADER)
    filled = workbook.create_sheet("Sheet1")
    for row in [HEADER, *BOJONGGEDE_ROWS]:
        filled.append(row)
    workbook.save(tmp_path / "template.xlsx")

    batch = upload(admin_client, tmp_path / "template.xlsx")

    assert batch.error_code == "no_customer_rows"
    assert batch.summary == {
        "sheet": "Pelanggan", "customer_sheets": [{"name": "Sheet1", "rows": 6}], "unchecked_sheets": [],
    }
    choose_sheet(admin_client, batch, "Sheet1")
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.new_count == 6


def test_rejection_without_other_sheet_offers_none(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    workbook = Workbook()
    workbook.active.title = "Pelanggan"
    workbook.active.append(HEADER)
    workbook.save(tmp_path / "kosong.xlsx")

    batch = upload(admin_client, tmp_path / "kosong.xlsx")

    assert batch.error_code == "no_customer_rows"
    page = batch_page(admin_client, batch)
    assert 'id="sheet-form"' not in page
    assert 'id="next-sheet-hint"' not in page
    response = choose_sheet(admin_client, batch, "Pelanggan")
    assert "The sheet of this batch can no longer be chosen." in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED


def test_unreadable_file_offers_no_sheet(admin_client, sample_catalogue, tmp_path):
    """Only a rejection of the sheet read lets another sheet be chosen."""
    batch = upload(admin_client, write_site_workbook(tmp_path / "rtrw.xlsx"))
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.FAILED, error_code="file_corrupt")

    choose_sheet(admin_client, batch, "Bojonggede")

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED
    assert batch.sheet == ""


def test_command_names_sheets_on_rejection(sample_catalogue, tmp_path):
    path = write_no_name_workbook(tmp_path / "tanpa-nama.xlsx")

    with translation.override("en"):
        code, _result, stderr = run_import(path)

    assert code == 2
    assert stderr.splitlines()[-2:] == [
        "Sheet “Data” also looks like a customer list (about 2 rows) and was not read.",
        "Run the command again with --sheet NAME to import another sheet.",
    ]
    assert stderr.startswith("The sheet Pelanggan has no column Nama.")
    assert Customer.objects.count() == 0


def test_command_chosen_sheet_without_header_names_others(sample_catalogue, tmp_path):
    path = write_site_workbook(tmp_path / "rtrw.xlsx")

    with translation.override("en"):
        code, _result, stderr = run_import(path, "--sheet", "Rekap")

    assert code == 2
    assert stderr.splitlines()[1:] == [
        "Sheet “Cibinong” also looks like a customer list (about 2 rows) and was not read.",
        "Sheet “Bojonggede” also looks like a customer list (about 6 rows) and was not read.",
        "Run the command again with --sheet NAME to import another sheet.",
    ]


# --- Sheets past the limit of sheets searched -----------------------------------


def ods_row(values):
    return "<table:table-row>" + "".join(text_cell(value) for value in values) + "</table:table-row>"


def write_many_sheets_ods(path):
    """Write an .ods whose first and fifth sheets are customer lists. Only
    three other sheets of an .ods are searched, so the fifth is not."""
    customers = "".join(ods_row(row) for row in [HEADER, *CIBINONG_ROWS])
    late = "".join(ods_row(row) for row in [HEADER, *BOJONGGEDE_ROWS])
    notes = ods_row(["Catatan"])
    tables = (
        f'<table:table table:name="Cibinong">{customers}</table:table>'
        + "".join(f'<table:table table:name="Catatan {number}">{notes}</table:table>' for number in (1, 2, 3))
        + f'<table:table table:name="Bojonggede">{late}</table:table>'
        + f'<table:table table:name="Arsip">{notes}</table:table>'
    )
    return ods_file(path, tables)


def test_unchecked_sheet_offered_and_read(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_many_sheets_ods(tmp_path / "banyak.ods"))

    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["customer_sheets"] == []
    assert batch.summary["unchecked_sheets"] == ["Bojonggede", "Arsip"]
    page = batch_page(admin_client, batch)
    assert (
        "These sheets were not checked for customer columns, because the file has too many sheets: "
        "Bojonggede, Arsip." in page
    )
    assert (
        '<optgroup label="Not checked"><option value="Bojonggede">Bojonggede</option>'
        '<option value="Arsip">Arsip</option></optgroup>' in page
    )

    response = choose_sheet(admin_client, batch, "Bojonggede")

    assert "The file is being checked again, reading the sheet Bojonggede." in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["sheet"] == "Bojonggede"
    assert batch.new_count == 6


def test_unchecked_sheet_without_header_rejected(admin_client, sample_catalogue, tmp_path):
    """A hand-posted sheet past the limit is checked once chosen. Its
    rejection offers the sheet read before."""
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_many_sheets_ods(tmp_path / "banyak.ods"))

    choose_sheet(admin_client, batch, "Arsip")

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "sheet_without_header"
    assert batch.summary == {
        "sheet": "Arsip",
        "customer_sheets": [{"name": "Cibinong", "rows": None}],
        "unchecked_sheets": ["Catatan 3", "Bojonggede"],
    }
    page = batch_page(admin_client, batch)
    assert "The sheet Arsip has no header row with customer columns in its first 30 rows." in page
    assert '<option value="Cibinong">Cibinong</option>' in page

    choose_sheet(admin_client, batch, "Cibinong")

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["sheet"] == "Cibinong"
    assert batch.new_count == 2


def test_command_names_unchecked_sheets(sample_catalogue, tmp_path):
    path = write_many_sheets_ods(tmp_path / "banyak.ods")
    out = StringIO()

    with translation.override("en"):
        call_command("import_customers", str(path), "--dry-run", stdout=out)

    assert out.getvalue().splitlines()[-2:] == [
        "These sheets were not checked for customer columns, because the file has too many sheets: Bojonggede, Arsip.",
        "Run the command again with --sheet NAME to import another sheet.",
    ]


def test_fallback_header_lists_no_unchecked_sheet(tmp_path):
    """Without a header row in any sheet, every sheet was searched, so none
    is called unchecked and none is searched again."""
    rows = ods_row(["Bulan", "Jumlah"]) + ods_row(["Januari", "12"])
    tables = "".join(f'<table:table table:name="Lembar {number}">{rows}</table:table>' for number in range(1, 6))
    path = ods_file(tmp_path / "tanpa-header.ods", tables)

    with open_table(path, "ods", fallback_header=True) as table:
        assert table.sheet_name == "Lembar 1"
        assert table.header_cells == ("Bulan", "Jumlah")
        assert table.unchecked_sheets() == []
        assert table.other_customer_sheets() == []


# A summary sheet before the customer list: its header names two customer
# fields (Nama and Alamat), and Jumlah is no customer field.
SUMMARY_ROWS = [["Nama", "Alamat", "Jumlah"], ["Budi", "Cibinong", 2], ["Sari", "Bojonggede", 6]]


def write_summary_first(path, customer_rows):
    workbook = Workbook()
    workbook.active.title = "Ringkasan"
    for row in SUMMARY_ROWS:
        workbook.active.append(row)
    data = workbook.create_sheet("Data")
    for row in customer_rows:
        data.append(row)
    workbook.save(path)
    return path


def test_summary_sheet_passed_over_for_richer_header(admin_client, sample_catalogue, tmp_path):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, write_summary_first(tmp_path / "ringkasan.xlsx", [HEADER, *CIBINONG_ROWS]))

    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["sheet"] == "Data"
    assert batch.rows_read == 2
    assert batch.summary["customer_sheets"] == [{"name": "Ringkasan", "rows": 2}]
    page = batch_page(admin_client, batch)
    assert "Sheet “Ringkasan” also looks like a customer list (about 2 rows) and was not read." in page


def test_weak_header_read_when_no_sheet_names_more(sample_catalogue, tmp_path):
    path = write_summary_first(tmp_path / "ringkasan.xlsx", [["Nama", "Alamat"], ["Ani", "Jl. Mawar 1"]])

    with open_table(path, "xlsx") as table:
        assert (table.sheet_name, table.header_row) == ("Ringkasan", 1)


def test_weak_header_kept_when_later_sheet_too_wide(sample_catalogue, tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 5
    wide = [["Nama", "No HP", "Alamat", "Email", "NIK", "Site", "Paket"], ["Ani", "0812-3456-7001"]]
    path = write_summary_first(tmp_path / "ringkasan.xlsx", wide)

    with open_table(path, "xlsx") as table:
        assert table.sheet_name == "Ringkasan"


def test_named_sheet_wins_over_richer_header(sample_catalogue, tmp_path):
    workbook = Workbook()
    workbook.active.title = "Data Pelanggan"
    for row in [["Nama", "Alamat"], ["Ani", "Jl. Mawar 1"]]:
        workbook.active.append(row)
    other = workbook.create_sheet("Lain")
    for row in [HEADER, *CIBINONG_ROWS]:
        other.append(row)
    workbook.save(tmp_path / "bernama.xlsx")

    with open_table(tmp_path / "bernama.xlsx", "xlsx") as table:
        assert table.sheet_name == "Data Pelanggan"
