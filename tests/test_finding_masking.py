"""Only NIK findings are masked on the review page and in the problem
workbook: a rejected 16-digit phone number is shown as typed. Staff who
may see full NIKs reveal those of a page of findings, and each reveal is
recorded."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from audit.models import NikReveal
from audit.personal_data import mask_finding
from customers.importing import batches
from customers.importing.problem_workbook import write_problem_workbook
from customers.models import ImportProblem
from tests.importing_helpers import upload, write_workbook

pytestmark = pytest.mark.django_db

PHONE_MESSAGE = (
    "Row 2, column No HP: “0812345678901234” is not a valid phone number. Write it like 0812-3456-7890."
)
NIK_MESSAGE = "Row 2, column NIK: NIK “********0390” has 12 digits, but a NIK has 16 digits. Check it against the KTP."


@pytest.fixture
def phone_batch(sample_catalogue, admin_user, tmp_path):
    path = write_workbook(tmp_path / "hp-panjang.xlsx", [
        ["Nama", "No HP", "NIK"],
        ["Lestari", "0812345678901234", "320101120390"],
    ])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=admin_user)
    return batches.validate_batch(batch)


def test_review_shows_long_phone(admin_client, phone_batch):
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:batch-detail", args=[phone_batch.pk])).content.decode()

    assert PHONE_MESSAGE in page
    assert NIK_MESSAGE in page
    assert "320101120390" not in page


def test_problem_workbook_shows_long_phone(phone_batch):
    out = io.BytesIO()

    with translation.override("en"):
        write_problem_workbook(phone_batch, out, mask_nik=True)

    sheet = load_workbook(io.BytesIO(out.getvalue()))["Pelanggan"]
    row = [cell.value for cell in sheet[2]]
    assert row[:3] == ["Lestari", "0812345678901234", "********0390"]
    assert row[4] == f"{PHONE_MESSAGE} {NIK_MESSAGE}"


def test_mapped_nik_column_masked():
    finding = ImportProblem(
        row=3, column="Nomor Identitas", value="3201011203900001", code="cell_error", params={"old": "3201011203900002"}
    )

    mask_finding(finding, frozenset({"Nomor Identitas"}))

    assert (finding.value, finding.params) == ("************0001", {"old": "************0002"})


def test_other_column_kept():
    finding = ImportProblem(row=3, column="No HP", value="0812345678901234", code="phone_invalid", params={})

    mask_finding(finding, frozenset({"Nomor Identitas"}))

    assert finding.value == "0812345678901234"


@pytest.fixture
def nik_sheet(sample_catalogue, tmp_path):
    # Row 2's NIK has 12 digits and row 3's phone is too long, so only row 2 has a NIK finding.
    return write_workbook(tmp_path / "nik-pendek.xlsx", [
        ["Nama", "No HP", "NIK"],
        ["Lestari", "081234567890", "320101120390"],
        ["Bayu", "0812345678901234", "3201011203900002"],
    ])


def reveal_page(client, batch, query="?kind=problem"):
    return client.post(reverse("customers:batch-nik-reveal", args=[batch.pk]) + query)


def test_review_reveals_nik_once_recorded(admin_client, admin_user, nik_sheet):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, nik_sheet)
    masked = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert NIK_MESSAGE in masked
    assert 'id="nik-reveal-button"' in masked

    response = reveal_page(admin_client, batch)

    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert (
        "Row 2, column NIK: NIK “320101120390” has 12 digits, but a NIK has 16 digits. Check it against the KTP."
    ) in page
    assert '<td class="value" data-label="Value">320101120390</td>' in page
    assert 'id="nik-revealed"' in page
    reveal = NikReveal.objects.get()
    assert (reveal.user, reveal.username, reveal.batch, reveal.batch_file_name, reveal.rows) == (
        admin_user, "admin", batch, "nik-pendek.xlsx", "2"
    )
    assert (reveal.customer, reveal.customer_number) == (None, "")
    again = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]) + "?kind=problem").content.decode()
    assert "320101120390" not in again
    assert NikReveal.objects.count() == 1


def test_review_reveal_link_masks_again(admin_client, nik_sheet):
    batch = upload(admin_client, nik_sheet)

    response = admin_client.get(reverse("customers:batch-nik-reveal", args=[batch.pk]) + "?kind=problem&page=1")

    assert response.status_code == 302
    assert response.url == reverse("customers:batch-detail", args=[batch.pk]) + "?kind=problem&page=1"
    assert NikReveal.objects.count() == 0


def test_review_nik_stays_masked_without_right(sample_catalogue, nik_sheet, django_user_model):
    sites, _packages = sample_catalogue
    site_admin = django_user_model.objects.create_user(username="admin-cbn", is_staff=True)
    sites["CBN"].staff.add(site_admin)
    site_admin.user_permissions.add(Permission.objects.get(codename="import_customers"))
    client = Client()
    client.force_login(site_admin)
    client.cookies["django_language"] = "en"
    batch = upload(client, nik_sheet)

    page = client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    response = reveal_page(client, batch)

    assert NIK_MESSAGE in page
    assert "320101120390" not in page
    assert 'id="nik-reveal-button"' not in page
    assert response.status_code == 403
    assert "320101120390" not in response.content.decode()
    assert NikReveal.objects.count() == 0
