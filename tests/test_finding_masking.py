"""Only NIK findings are masked on the review page and in the problem
workbook: a rejected 16-digit phone number is shown as typed."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from audit.personal_data import mask_finding
from customers.importing import batches
from customers.importing.problem_workbook import write_problem_workbook
from customers.models import ImportProblem
from tests.importing_helpers import write_workbook

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
