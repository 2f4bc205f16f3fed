"""Workbooks with one customer sheet per site: the review warns about the
sheets it did not read."""

import pytest
from django.urls import reverse
from openpyxl import Workbook

from customers.models import ImportBatch

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
