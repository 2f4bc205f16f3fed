"""Exports never hand a spreadsheet program a formula, and numbers stay numbers.

A text cell starting with =, +, -, @, tab, CR or LF is a formula (or a DDE
payload) to Excel and LibreOffice. In .xlsx exports, from the page and from
the command, such text keeps its exact characters in a string cell with the
quotePrefix style. In CSV, semicolon-delimited by default, it gets a
leading apostrophe. The property tests
generate customers whose text fields start with anything, export them, read
the files back and compare.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from customers.importing.spreadsheet import FORMULA_TRIGGERS, unneutralise
from customers.importing.template import TEMPLATE_FIELDS, TEMPLATE_HEADERS
from customers.models import Customer
from packages.models import ServicePackage
from sites.models import Site
from tests.importing_helpers import run_import

pytestmark = pytest.mark.django_db

# PostgreSQL text cannot contain NUL, and XML 1.0 (so .xlsx) cannot contain
# the other C0 control characters except tab, LF and CR. The cell cleaners
# remove them from imported and edited customer text, so the generated
# text leaves them out.
XML_FORBIDDEN = "".join(chr(code) for code in range(32) if chr(code) not in "\t\n\r")
TRIGGER_PREFIX = st.sampled_from(["", *FORMULA_TRIGGERS, "=HYPERLINK(", "=cmd|' /C calc'!A0", "@SUM(", "+62", "-"])
SAFE_TEXT = st.text(st.characters(blacklist_characters=XML_FORBIDDEN, blacklist_categories=("Cs",)), max_size=40)


def field_text(max_size):
    return st.builds(lambda prefix, rest: (prefix + rest)[:max_size], TRIGGER_PREFIX, SAFE_TEXT)


CUSTOMER_TEXT = st.fixed_dictionaries(
    {
        "number": field_text(30).filter(lambda text: text.strip() != ""),
        "name": field_text(200),
        "email": field_text(254),
        "address": field_text(500),
        "postal_code": field_text(5),
        "site": field_text(100).filter(lambda text: text.strip() != ""),
        "package": field_text(100).filter(lambda text: text.strip() != ""),
        "latitude": st.decimals(min_value=-11, max_value=6, places=6),
        "longitude": st.decimals(min_value=95, max_value=141, places=6),
    }
)

# Export column -> key of the generated values, for the columns checked.
CHECKED_COLUMNS = {
    "number": "number",
    "name": "name",
    "email": "email",
    "address": "address",
    "postal_code": "postal_code",
    "site": "site",
    "package": "package",
}

HYPOTHESIS = hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def create_customer(values):
    site = Site.objects.create(name=values["site"], code="SX")
    package = ServicePackage.objects.create(
        name=values["package"], code="PX", download_mbps=10, upload_mbps=5, monthly_price=150_000
    )
    return Customer.objects.create(
        number=values["number"],
        name=values["name"],
        email=values["email"],
        address=values["address"],
        postal_code=values["postal_code"],
        site=site,
        package=package,
        latitude=values["latitude"],
        longitude=values["longitude"],
    )


def xlsx_rows(body):
    """Return the export's data rows as {header: cell} dicts of openpyxl cells."""
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, row)) for row in rows[1:]]


def csv_rows(text):
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def assert_text_cell_safe(value, expected, column):
    assert isinstance(value, str), column
    assert not value.startswith(FORMULA_TRIGGERS), f"{column}: {value!r}"
    assert unneutralise(value) == expected, column


def assert_xlsx_text_cell(cell, expected, column):
    assert cell.data_type == "s", f"{column}: {cell.value!r}"
    assert cell.value == expected, column
    assert cell.quotePrefix == expected.startswith(FORMULA_TRIGGERS), column


def xml_text(text):
    """Return `text` as an XML parser reads it back: CR LF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_xlsx(body, values):
    [row] = xlsx_rows(body)
    for field, key in CHECKED_COLUMNS.items():
        cell = row[TEMPLATE_HEADERS[field]]
        expected = xml_text(values[key])
        assert cell.data_type != "f", f"{field} is a formula: {cell.value!r}"
        if expected == "":
            assert cell.value in (None, ""), field
        else:
            assert_xlsx_text_cell(cell, expected, field)
    for field in ("latitude", "longitude"):
        cell = row[TEMPLATE_HEADERS[field]]
        assert cell.data_type == "n", field
        assert Decimal(str(cell.value)) == values[field], field


def check_csv(text, values):
    [row] = csv_rows(text)
    for field, key in CHECKED_COLUMNS.items():
        value = row[TEMPLATE_HEADERS[field]]
        if values[key] == "":
            assert value == "", field
        else:
            assert_text_cell_safe(value, values[key], field)
    for field in ("latitude", "longitude"):
        value = row[TEMPLATE_HEADERS[field]]
        assert not value.startswith("'"), field
        # The semicolon CSV writes decimal commas, as Indonesian Excel reads them.
        assert Decimal(value.replace(",", ".")) == values[field], field


@HYPOTHESIS
@given(values=CUSTOMER_TEXT)
def test_page_export_neutralises_formulas(admin_client, values):
    with transaction.atomic():
        create_customer(values)

        xlsx = admin_client.get(reverse("customers:export"))
        csv_response = admin_client.get(reverse("customers:export"), {"format": "csv"})
        xlsx_body = b"".join(xlsx.streaming_content)
        csv_body = b"".join(csv_response.streaming_content)
        transaction.set_rollback(True)

    assert xlsx.status_code == 200
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_body.startswith(b"\xef\xbb\xbf")
    check_xlsx(xlsx_body, values)
    check_csv(csv_body.decode("utf-8-sig"), values)


@HYPOTHESIS
@given(values=CUSTOMER_TEXT)
def test_command_export_neutralises_formulas(tmp_path, values):
    with transaction.atomic():
        create_customer(values)
        call_command("export_customers", str(tmp_path / "pelanggan.xlsx"), stdout=io.StringIO())
        call_command("export_customers", str(tmp_path / "pelanggan.csv"), "--csv", stdout=io.StringIO())
        transaction.set_rollback(True)

    check_xlsx((tmp_path / "pelanggan.xlsx").read_bytes(), values)
    with open(tmp_path / "pelanggan.csv", encoding="utf-8-sig", newline="") as handle:
        check_csv(handle.read(), values)


@pytest.mark.parametrize("payload", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "=cmd|' /C calc'!A0"])
def test_known_payloads_exported_as_text(admin_client, payload):
    values = {
        "number": "PLG-0001",
        "name": payload,
        "email": "",
        "address": payload,
        "postal_code": "",
        "site": payload,
        "package": payload,
        "latitude": Decimal("-6.481200"),
        "longitude": Decimal("106.842100"),
    }
    create_customer(values)

    xlsx = b"".join(admin_client.get(reverse("customers:export")).streaming_content)
    csv_text = b"".join(admin_client.get(reverse("customers:export"), {"format": "csv"}).streaming_content)

    [xlsx_row] = xlsx_rows(xlsx)
    [csv_row] = csv_rows(csv_text.decode("utf-8-sig"))
    assert xlsx_row["Nama"].value == xml_text(payload)
    assert xlsx_row["Nama"].data_type == "s"
    assert xlsx_row["Nama"].quotePrefix is True
    assert csv_row["Nama"] == "'" + payload
    assert xlsx_row["Latitude"].value == -6.4812
    assert csv_row["Latitude"] == "-6,4812"


def test_csv_export_masks_nik(admin_client):
    Customer.objects.create(number="PLG-0001", name="Budi", nik="3271010101800011")

    text = b"".join(admin_client.get(reverse("customers:export"), {"format": "csv"}).streaming_content).decode("utf-8-sig")

    [row] = csv_rows(text)
    assert row["NIK"] == "************0011"
    assert "3271010101800011" not in text


def test_csv_export_file_name(admin_client):
    response = admin_client.get(reverse("customers:export"), {"format": "csv"})

    assert response["Content-Disposition"].startswith('attachment; filename="pelanggan-')
    assert response["Content-Disposition"].endswith('.csv"')


def test_export_drops_xml_control_characters(admin_client):
    # Stored before forms normalised site names, or written by a script.
    values = {
        "number": "PLG-0001",
        "name": "Budi\x01 Santoso",
        "email": "",
        "address": "Jl. Mawar\x0b 5",
        "postal_code": "",
        "site": "Cibi\x1fnong",
        "package": "=Home\x08 20",
        "latitude": Decimal("-6.481200"),
        "longitude": Decimal("106.842100"),
    }
    create_customer(values)

    response = admin_client.get(reverse("customers:export"))
    row = xlsx_rows(b"".join(response.streaming_content))[0]

    assert response.status_code == 200
    assert row[TEMPLATE_HEADERS["name"]].value == "Budi Santoso"
    assert row[TEMPLATE_HEADERS["address"]].value == "Jl. Mawar 5"
    assert row[TEMPLATE_HEADERS["site"]].value == "Cibinong"
    assert row[TEMPLATE_HEADERS["package"]].value == "=Home 20"


def test_site_form_normalises_name(admin_client):
    response = admin_client.post(
        reverse("sites:create"), {"name": " Cibi\x01nong\u00a0 Barat ", "code": "cbb", "address": "", "is_active": "on"}
    )

    assert response.status_code == 302
    assert Site.objects.get(code="CBB").name == "Cibinong Barat"


def test_formula_text_export_round_trips(tmp_path):
    Customer.objects.create(number="PLG-0001", name="=Budi Santoso", address="-Jl. Mawar 5")
    Customer.objects.create(number="PLG-0002", name="-Siti", address="@Blok C", email="+siti@example.id")
    out = tmp_path / "ekspor.xlsx"
    call_command("export_customers", str(out), stdout=io.StringIO())
    sheet = load_workbook(out)["Pelanggan"]
    name_column = TEMPLATE_FIELDS.index("name") + 1

    assert sheet.cell(row=2, column=name_column).value == "=Budi Santoso"
    assert sheet.cell(row=3, column=name_column).value == "-Siti"

    Customer.objects.all().delete()
    code, result, _stderr = run_import(out)

    assert code == 0
    assert result["errors"] == []
    assert result["created"] == 2
    stored = {customer.number: (customer.name, customer.address, customer.email) for customer in Customer.objects.all()}
    assert stored == {
        "PLG-0001": ("=Budi Santoso", "-Jl. Mawar 5", ""),
        "PLG-0002": ("-Siti", "@Blok C", "+siti@example.id"),
    }
