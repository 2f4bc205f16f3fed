"""CSV exports for Excel in Indonesian regional settings, and their round trip.

Excel opens a .csv with the Windows list separator and decimal separator,
which are ";" and "," in Indonesian settings. The default CSV export is
therefore semicolon-delimited with decimal commas, and delimiter=comma gives
the comma-delimited file other programs expect. Both are UTF-8 with a
byte-order mark, write dates as yyyy-mm-dd and phones as 0812-3456-7890,
and are read back by our own importer without a change or a problem.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from customers.importing.gate import inspect_upload
from customers.importing.reader import open_table
from customers.models import Customer, CustomerExport
from tests.importing_helpers import SAMPLE_XLSX, run_import

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("customers:export")
BOM = b"\xef\xbb\xbf"
TRICKY_NAME = 'Toko "Maju"; Jaya, Tbk'


@pytest.fixture
def imported(sample_catalogue):
    """The 8 sample customers, plus one whose values Excel and our importer could misread."""
    code, result, _stderr = run_import(SAMPLE_XLSX)
    assert (code, result["created"]) == (0, 8)
    sites, packages = sample_catalogue
    Customer.objects.create(
        number="PLG-0100",
        name=TRICKY_NAME,
        phone="+6281234567899",
        nik="3271010101800099",
        address="=HYPERLINK(\"http://example.invalid\")",
        site=sites["CBN"],
        package=packages["H20"],
        installed_on=datetime.date(2024, 3, 4),
        latitude=Decimal("-0.000010"),
        longitude=Decimal("109.333000"),
        postal_code="16914",
        notes="- tunggakan 2 bulan;\nODP-12, port 3",
    )


def download(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def rows_by_number(body, delimiter):
    """Return the data rows of a CSV export as dicts keyed by header, by ID Pelanggan."""
    assert body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"), newline=""), delimiter=delimiter))
    return {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}


def stored_values():
    return {row["number"]: row for row in Customer.objects.values()}


def test_default_csv_semicolon_with_bom(admin_client, imported):
    body = download(admin_client.get(EXPORT_URL, {"format": "csv"}))

    first_line = body.split(b"\r\n", 1)[0]
    assert body.startswith(BOM + b"ID Pelanggan;Nama;")
    assert b"," not in first_line
    assert b"sep=" not in body


def test_comma_csv_on_request(admin_client, imported):
    body = download(admin_client.get(EXPORT_URL, {"format": "csv", "delimiter": "comma"}))

    row = rows_by_number(body, ",")["PLG-0100"]
    assert body.startswith(BOM + b"ID Pelanggan,Nama,")
    assert row["Latitude"] == "-0.00001"
    assert row["Longitude"] == "109.333"


def test_unknown_delimiter_means_semicolon(admin_client, imported):
    body = download(admin_client.get(EXPORT_URL, {"format": "csv", "delimiter": "tab"}))

    assert body.startswith(BOM + b"ID Pelanggan;Nama;")


def test_semicolon_csv_cells(admin_client, imported):
    body = download(admin_client.get(EXPORT_URL, {"format": "csv"}))

    row = rows_by_number(body, ";")["PLG-0100"]
    assert row["Nama"] == TRICKY_NAME
    assert row["No. HP / WhatsApp"] == "0812-3456-7899"
    assert row["NIK"] == "************0099"
    assert row["Tanggal Pasang"] == "2024-03-04"
    # Decimal commas, and no exponent such as the "-1e-05" of str(float).
    assert row["Latitude"] == "-0,00001"
    assert row["Longitude"] == "109,333"
    assert row["Kode Pos"] == "16914"
    assert row["Keterangan"] == "'- tunggakan 2 bulan;\nODP-12, port 3"


def test_delimiter_in_name_is_quoted(admin_client, imported):
    body = download(admin_client.get(EXPORT_URL, {"format": "csv"}))

    assert b'PLG-0100;"Toko ""Maju""; Jaya, Tbk";0812-3456-7899;' in body


def test_formula_text_gets_apostrophe(admin_client, imported):
    body = download(admin_client.get(EXPORT_URL, {"format": "csv"}))

    row = rows_by_number(body, ";")["PLG-0100"]
    assert row["Alamat"] == "'=HYPERLINK(\"http://example.invalid\")"


def test_command_writes_full_nik(tmp_path, imported):
    out = tmp_path / "pelanggan.csv"

    call_command("export_customers", str(out), "--csv", "--include-nik", stdout=io.StringIO())

    row = rows_by_number(out.read_bytes(), ";")["PLG-0100"]
    assert row["NIK"] == "3271010101800099"
    assert row["No. HP / WhatsApp"] == "0812-3456-7899"
    assert row["Tanggal Pasang"] == "2024-03-04"


def test_command_comma_delimiter(tmp_path, imported):
    out = tmp_path / "pelanggan.csv"

    call_command("export_customers", str(out), "--csv", "--delimiter", "comma", stdout=io.StringIO())

    body = out.read_bytes()
    row = rows_by_number(body, ",")["PLG-0100"]
    assert body.startswith(BOM + b"ID Pelanggan,Nama,")
    assert row["Nama"] == TRICKY_NAME
    assert row["Latitude"] == "-0.00001"


def test_command_delimiter_needs_csv(tmp_path, imported):
    out = tmp_path / "pelanggan.xlsx"

    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("export_customers", str(out), "--delimiter", "comma", stdout=io.StringIO())

    assert str(raised.value) == "--delimiter sets the layout of a CSV file. Add --csv, or leave out --delimiter."
    assert not out.exists()


@pytest.mark.parametrize("delimiter", ["semicolon", "comma"])
def test_page_csv_round_trip_changes_nothing(admin_client, imported, tmp_path, delimiter):
    before = stored_values()
    path = tmp_path / "pelanggan.csv"
    path.write_bytes(download(admin_client.get(EXPORT_URL, {"format": "csv", "delimiter": delimiter})))

    code, result, stderr = run_import(path, "--update")

    assert (code, stderr) == (0, "")
    assert result["errors"] == []
    assert (result["rows"], result["created"], result["updated"], result["duplicates"]) == (9, 0, 0, 9)
    assert stored_values() == before


@pytest.mark.parametrize("delimiter", ["semicolon", "comma"])
def test_command_csv_round_trip_changes_nothing(imported, tmp_path, delimiter):
    before = stored_values()
    path = tmp_path / "pelanggan.csv"
    call_command(
        "export_customers", str(path), "--csv", "--include-nik", "--delimiter", delimiter, stdout=io.StringIO()
    )

    code, result, stderr = run_import(path, "--update")

    assert (code, stderr) == (0, "")
    assert result["errors"] == []
    assert (result["rows"], result["created"], result["updated"], result["duplicates"]) == (9, 0, 0, 9)
    assert stored_values() == before


def test_line_break_in_name_stays_in_its_row(admin_client, imported, tmp_path):
    # The importer collapses line breaks to spaces later, but the export
    # must not split the record, so the reader sees one row with the whole name.
    Customer.objects.filter(number="PLG-0100").update(name='Toko "Maju";\r\nJaya')
    path = tmp_path / "pelanggan.csv"
    path.write_bytes(download(admin_client.get(EXPORT_URL, {"format": "csv"})))

    with open_table(path, inspect_upload(path, path.name)) as table:
        rows = list(table.rows())

    assert [row.cells[0] for row in rows][-1] == "PLG-0100"
    assert len(rows) == 9
    assert rows[-1].cells[1] == 'Toko "Maju";\r\nJaya'
    assert rows[-1].cells[2] == "0812-3456-7899"


def test_queued_comma_export(admin_client, imported, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1

    response = admin_client.post(EXPORT_URL, {"format": "csv", "delimiter": "comma"})

    export = CustomerExport.objects.get()
    assert response.status_code == 302
    assert export.csv_delimiter == CustomerExport.CsvDelimiter.COMMA
    export.refresh_from_db()
    body = export.file.read()
    assert body.startswith(BOM + b"ID Pelanggan,Nama,")
    assert rows_by_number(body, ",")["PLG-0100"]["Latitude"] == "-0.00001"


def test_confirm_page_keeps_comma_choice(admin_client, imported, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(EXPORT_URL, {"format": "csv", "delimiter": "comma"}).content.decode()

    assert '<input type="hidden" name="delimiter" value="comma">' in page
    assert '<p class="muted">Customers matching the filter · CSV (comma)</p>' in page


def test_list_offers_csv_layouts(admin_client, imported):
    admin_client.cookies["django_language"] = "en"

    page = " ".join(admin_client.get(reverse("customers:list")).content.decode().split())

    assert '<option value="semicolon" selected>CSV (Excel Indonesia, semicolon)</option>' in page
    assert '<option value="comma">CSV (comma)</option>' in page
    assert (
        "Excel with Indonesian regional settings opens the semicolon CSV in columns, and other programs may need "
        "the comma CSV. Excel drops the leading zeros of an ID Pelanggan made only of digits, so use Export "
        "(.xlsx) to edit such IDs in Excel."
    ) in page


@pytest.mark.django_db(transaction=True)
def test_migration_marks_old_exports_comma(migration_executor):
    before = [("customers", "0016_customer_status_index")]
    migration_executor.migrate(before)
    old_model = migration_executor.loader.project_state(before).apps.get_model("customers", "CustomerExport")
    old_export = old_model.objects.create(format="csv", file_name="pelanggan-20261201.csv")

    after = [("customers", "0017_customerexport_csv_delimiter")]
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    # The model as of that migration, because later ones add columns.
    migrated_model = executor.loader.project_state(after).apps.get_model("customers", "CustomerExport")

    assert migrated_model.objects.get(pk=old_export.pk).csv_delimiter == "comma"
    assert migrated_model.objects.create(format="csv", file_name="baru.csv").csv_delimiter == "semicolon"
