"""Completing customers: the incomplete-customer workbook, its upload in
create-and-update mode, the Kode Wilayah export column, and the whole
path from the sample upload to no incomplete customer left."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from customers.importing.template import TEMPLATE_FIELDS
from customers.models import BulkChange, Customer, ImportBatch
from tests.importing_helpers import SAMPLE_XLSX, run_import

pytestmark = pytest.mark.django_db

EXPORT_INCOMPLETE_URL = "/customers/export/incomplete/"
TEMPLATE_HEADERS = [
    "ID Pelanggan", "Nama", "No. HP / WhatsApp", "Email", "NIK", "Alamat", "Site", "Paket", "Tanggal Pasang",
    "Latitude", "Longitude", "Kelurahan/Desa", "Kecamatan", "Kabupaten/Kota", "Provinsi", "Kode Pos", "Status",
    "Keterangan",
]
PABUARAN_CIBINONG = "32.01.01.1012"


@pytest.fixture
def catalogue(sample_catalogue, regions_loaded):
    return sample_catalogue


@pytest.fixture
def sample_imported(catalogue):
    code, result, _stderr = run_import(SAMPLE_XLSX)
    assert code == 0
    assert result["created"] == 8
    return result


def download(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def sheet_rows(body):
    """Return the Pelanggan sheet of a workbook as dicts keyed by header."""
    sheet = load_workbook(io.BytesIO(body))["Pelanggan"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def fill_in(body, values_by_number):
    """Type values into the downloaded workbook as an admin would, by header.

    `values_by_number` maps an ID Pelanggan to {header: value}. Returns the
    saved workbook's bytes.
    """
    workbook = load_workbook(io.BytesIO(body))
    sheet = workbook["Pelanggan"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        number = row[headers.index("ID Pelanggan")].value
        for header, value in values_by_number.get(number, {}).items():
            row[headers.index(header)].value = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload_update(client, content, name="pelanggan-belum-lengkap.xlsx"):
    """Upload a workbook in create-and-update mode and confirm its review."""
    response = client.post(
        reverse("customers:upload"), {"file": SimpleUploadedFile(name, content), "mode": "update"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert batch.state == ImportBatch.State.REVIEW, batch.error_code
    client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    return batch


def stored_values():
    """Return every customer's stored fields, by ID Pelanggan."""
    return {row["number"]: row for row in Customer.objects.values()}


# ---------------------------------------------------------------------------
# The incomplete-customer workbook


def test_incomplete_download_lists_only_incomplete(admin_client, sample_imported):
    body = download(admin_client.get(EXPORT_INCOMPLETE_URL))

    rows = sheet_rows(body)
    assert [row["ID Pelanggan"] for row in rows] == ["PLG-0003", "PLG-0004", "PLG-0006"]
    assert rows[0]["Paket"] == "Home 30 Mbps"
    assert rows[0]["Alamat"] is None
    assert rows[1]["Paket"] is None
    assert rows[1]["Site"] == "Citayam"


def test_incomplete_download_in_template_shape(admin_client, sample_imported, expected):
    response = admin_client.get(EXPORT_INCOMPLETE_URL)

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.fullmatch(
        r'attachment; filename="pelanggan-belum-lengkap-\d{8}\.xlsx"', response["Content-Disposition"]
    )
    workbook = load_workbook(io.BytesIO(download(response)))
    assert workbook.sheetnames == ["Pelanggan", "Daftar"]
    assert workbook["Daftar"].sheet_state == "hidden"
    sheet = workbook["Pelanggan"]
    assert [cell.value for cell in sheet[1]] == [*TEMPLATE_HEADERS, "Kode Wilayah"]
    nik_letter = "ABCDEFGHIJKLMNOPQR"[TEMPLATE_FIELDS.index("nik")]
    assert sheet[f"{nik_letter}2"].number_format == "@"


def test_incomplete_download_has_dropdowns(admin_client, sample_imported, expected):
    workbook = load_workbook(io.BytesIO(download(admin_client.get(EXPORT_INCOMPLETE_URL))))

    lists = workbook["Daftar"]
    assert [cell.value for cell in lists[1]] == ["Site", "Paket"]
    site_names = [cell.value for cell in lists["A"][1:] if cell.value is not None]
    package_names = [cell.value for cell in lists["B"][1:] if cell.value is not None]
    assert site_names == ["Bojonggede", "Cibinong", "Citayam"]
    assert package_names == ["Home 10 Mbps", "Home 20 Mbps", "Home 30 Mbps", "Bisnis 50 Mbps", "Bisnis 100 Mbps"]
    validations = {
        validation.formula1: str(validation.sqref) for validation in workbook["Pelanggan"].data_validations.dataValidation
    }
    assert validations == {"Daftar!$A$2:$A$4": "G2:G5000", "Daftar!$B$2:$B$6": "H2:H5000"}


def test_incomplete_download_masks_nik(admin_client, catalogue, tmp_path):
    Customer.objects.create(number="PLG-0100", name="Ani", nik="3201011203900001", address="")

    rows = sheet_rows(download(admin_client.get(EXPORT_INCOMPLETE_URL)))

    assert rows[0]["NIK"] == "************0001"


def test_incomplete_download_follows_list_filter(admin_client, sample_imported, catalogue):
    sites, _packages = catalogue

    by_site = sheet_rows(download(admin_client.get(EXPORT_INCOMPLETE_URL, {"site": sites["CTY"].pk})))
    without_site = sheet_rows(download(admin_client.get(EXPORT_INCOMPLETE_URL, {"site": "none"})))
    without_package = sheet_rows(download(admin_client.get(EXPORT_INCOMPLETE_URL, {"missing": "package"})))

    assert [row["ID Pelanggan"] for row in by_site] == ["PLG-0003", "PLG-0004"]
    assert [row["ID Pelanggan"] for row in without_site] == ["PLG-0006"]
    assert [row["ID Pelanggan"] for row in without_package] == ["PLG-0004", "PLG-0006"]


def test_incomplete_download_site_admin_scope(client, django_user_model, sample_imported, catalogue):
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cty", password="rahasia-cty-123", is_staff=True)
    sites["CTY"].staff.add(user)
    user.user_permissions.add(*_permissions("export_customers"))
    client.force_login(user)

    workbook = load_workbook(io.BytesIO(download(client.get(EXPORT_INCOMPLETE_URL))))

    rows = sheet_rows(download(client.get(EXPORT_INCOMPLETE_URL)))
    assert [row["ID Pelanggan"] for row in rows] == ["PLG-0003", "PLG-0004"]
    site_names = [cell.value for cell in workbook["Daftar"]["A"][1:] if cell.value is not None]
    assert site_names == ["Citayam"]


def test_incomplete_download_needs_export_right(client, django_user_model, sample_imported, catalogue):
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cty", password="rahasia-cty-123", is_staff=True)
    sites["CTY"].staff.add(user)
    client.force_login(user)

    assert client.get(EXPORT_INCOMPLETE_URL).status_code == 403


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)


def test_filled_download_completes_customers(admin_client, sample_imported):
    body = download(admin_client.get(EXPORT_INCOMPLETE_URL))
    before = stored_values()
    filled = fill_in(body, {
        "PLG-0003": {"Alamat": "Jl. Kenanga No. 7 RT 02/RW 04, Pabuaran, Cibinong"},
        "PLG-0004": {"Paket": "Home 20 Mbps"},
    })

    batch = upload_update(admin_client, filled)

    after = stored_values()
    assert (batch.created_count, batch.updated_count) == (0, 2)
    assert after["PLG-0003"]["address"] == "Jl. Kenanga No. 7 RT 02/RW 04, Pabuaran, Cibinong"
    assert after["PLG-0003"]["street"] == "Jl. Kenanga No. 7 RT 02/RW 04"
    assert after["PLG-0003"]["village_id"] == PABUARAN_CIBINONG
    assert after["PLG-0004"]["package_id"] == Customer.objects.get(number="PLG-0004").package.pk
    assert Customer.objects.get(number="PLG-0004").package.code == "H20"
    assert sorted(Customer.objects.incomplete().values_list("number", flat=True)) == ["PLG-0006"]
    changed = {"PLG-0003": {"address", "street", "village_id"}, "PLG-0004": {"package_id"}}
    for number, row in after.items():
        expected_changes = changed.get(number, set())
        differing = {name for name in row if row[name] != before[number][name]} - {"updated_at"}
        assert differing == expected_changes, number
        assert row["nik"] == before[number]["nik"], number


def test_filled_download_keeps_niks(admin_client, catalogue):
    sites, packages = catalogue
    Customer.objects.create(number="PLG-0200", name="Ani Lestari", nik="3201011203900001", site=sites["CBN"])

    body = download(admin_client.get(EXPORT_INCOMPLETE_URL))
    filled = fill_in(body, {"PLG-0200": {"Alamat": "Jl. Mawar 1", "Paket": "Home 10 Mbps"}})
    upload_update(admin_client, filled)

    customer = Customer.objects.get(number="PLG-0200")
    assert customer.nik == "3201011203900001"
    assert customer.package == packages["H10"]
    assert customer.address == "Jl. Mawar 1"
    assert not customer.is_incomplete


def test_unfilled_download_changes_nothing(admin_client, sample_imported):
    body = download(admin_client.get(EXPORT_INCOMPLETE_URL))
    before = stored_values()

    batch = upload_update(admin_client, body)

    assert (batch.created_count, batch.updated_count, batch.duplicate_count) == (0, 0, 3)
    assert stored_values() == before


# ---------------------------------------------------------------------------
# Kode Wilayah in the export


def test_export_writes_region_code(admin_client, sample_imported):
    rows = sheet_rows(download(admin_client.get("/customers/export/")))

    budi = next(row for row in rows if row["ID Pelanggan"] == "PLG-0001")
    rina = next(row for row in rows if row["ID Pelanggan"] == "PLG-0006")
    assert budi["Kode Wilayah"] == PABUARAN_CIBINONG
    assert budi["Kelurahan/Desa"] == "Pabuaran"
    assert budi["Kecamatan"] == "Cibinong"
    assert rina["Kode Wilayah"] is None


def test_csv_export_writes_region_code(admin_client, sample_imported):
    body = download(admin_client.get("/customers/export/", {"format": "csv"})).decode("utf-8-sig")

    lines = body.splitlines()
    assert lines[0].endswith(";Status;Keterangan;Kode Wilayah")
    budi = next(line for line in lines if line.startswith("PLG-0001;"))
    assert budi.endswith(f";{PABUARAN_CIBINONG}")


def test_export_uploaded_in_update_mode_changes_nothing(admin_client, sample_imported, tmp_path):
    out = tmp_path / "ekspor.xlsx"
    printed = io.StringIO()
    with translation.override("id"):
        call_command("export_customers", str(out), stdout=printed)
    assert printed.getvalue() == f"Pelanggan ditulis: 8, ke {out}\n"
    before = stored_values()

    batch = upload_update(admin_client, out.read_bytes(), name="ekspor.xlsx")

    assert (batch.created_count, batch.updated_count, batch.duplicate_count) == (0, 0, 8)
    assert stored_values() == before


def test_region_code_moves_customer_to_village(admin_client, sample_imported):
    body = download(admin_client.get("/customers/export/", {"q": "PLG-0001"}))
    filled = fill_in(body, {"PLG-0001": {"Kode Wilayah": "32.01.01.1007"}})

    upload_update(admin_client, filled)

    assert Customer.objects.get(number="PLG-0001").village_id == "32.01.01.1007"


def test_stale_region_code_noted(admin_client, sample_imported):
    body = download(admin_client.get("/customers/export/", {"q": "PLG-0001"}))
    # The admin retypes the village and leaves the Kode Wilayah column as exported.
    filled = fill_in(body, {"PLG-0001": {"Kelurahan/Desa": "Pakansari"}})

    response = admin_client.post(
        reverse("customers:upload"), {"file": SimpleUploadedFile("ekspor.xlsx", filled), "mode": "update"}
    )

    batch = ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    notes = list(batch.problems.filter(code="region_code_other_names"))
    assert [(note.row, note.column, note.value) for note in notes] == [(2, "Kode Wilayah", PABUARAN_CIBINONG)]
    with translation.override("en"):
        assert notes[0].message == (
            "Row 2, column Kode Wilayah: Kode Wilayah “32.01.01.1012” is the village Pabuaran, Cibinong, "
            "Kabupaten Bogor, Jawa Barat, but the region names of this row are “Pakansari, Cibinong, "
            "Kabupaten Bogor, Jawa Barat”. eBilling goes by the Kode Wilayah. To use the names, empty the "
            "Kode Wilayah cell and upload the file again."
        )
    assert Customer.objects.get(number="PLG-0001").village_id == PABUARAN_CIBINONG


def test_unchanged_export_has_no_region_code_note(admin_client, sample_imported):
    body = download(admin_client.get("/customers/export/"))

    response = admin_client.post(
        reverse("customers:upload"), {"file": SimpleUploadedFile("ekspor.xlsx", body), "mode": "update"}
    )

    batch = ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert batch.problems.filter(code="region_code_other_names").count() == 0


# ---------------------------------------------------------------------------
# From the sample upload to no incomplete customer, without opening any one


def dashboard_counts(client):
    """Return the total row of the dashboard as {column key: number}."""
    page = client.get(reverse("customers:dashboard")).content.decode()
    total = page[page.index('data-site="total"'):]
    total = total[: total.index("</tr>")]
    return {key: int(number) for key, number in re.findall(r'data-count="(\w+)" href="[^"]*">(\d+)</a>', total)}


def test_sample_upload_completed_in_bulk(admin_client, catalogue):
    sites, packages = catalogue
    with open(SAMPLE_XLSX, "rb") as handle:
        response = admin_client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    batch = ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    # 1. The dashboard shows what is missing.
    counts = dashboard_counts(admin_client)
    assert counts["total"] == 8
    assert counts["incomplete"] == 3
    assert counts["package"] == 2
    assert counts["address"] == 2

    # 2. One package for every customer without one, on all of them at once.
    data = {"missing": "package", "bulk-all_matching": "on", "bulk-package": packages["H10"].pk}
    review = admin_client.post(reverse("customers:bulk"), data)
    assert "2 pelanggan yang cocok dengan filter daftar dipilih." in review.content.decode()
    response = admin_client.post(reverse("customers:bulk"), {**data, "confirm": ""}, follow=True)
    bulk_change = BulkChange.objects.get()
    assert [str(message) for message in response.context["messages"]] == [
        f'2 pelanggan diubah: Paket: Home 10 Mbps. <a href="/customers/bulk/changes/{bulk_change.pk}/undo/">'
        "Batalkan perubahan massal ini</a>"
    ]
    assert dashboard_counts(admin_client)["package"] == 0

    # 3. The addresses, typed into the incomplete-customer workbook.
    body = download(admin_client.get(EXPORT_INCOMPLETE_URL))
    assert [row["ID Pelanggan"] for row in sheet_rows(body)] == ["PLG-0003", "PLG-0006"]
    filled = fill_in(body, {
        "PLG-0003": {"Alamat": "Jl. Kenanga No. 7, Citayam"},
        "PLG-0006": {"Alamat": "Jl. Mawar No. 9 RT 01/RW 02, Pabuaran, Cibinong", "Site": "Cibinong"},
    })
    update = upload_update(admin_client, filled)

    assert update.updated_count == 2
    counts = dashboard_counts(admin_client)
    assert counts["incomplete"] == 0
    assert counts["package"] == 0
    assert counts["address"] == 0
    assert Customer.objects.incomplete().count() == 0
    rina = Customer.objects.get(number="PLG-0006")
    assert rina.site == sites["CBN"]
    assert rina.village_id == PABUARAN_CIBINONG
    assert rina.package == packages["H10"]
