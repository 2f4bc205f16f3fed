"""Total rows ("TOTAL: 10 pelanggan", "Subtotal Cibinong") are skipped,
not saved as customers."""

import shutil

import pytest
from django.utils import translation

from customers.importing import batches
from customers.importing.footer_rows import footer_label
from customers.models import Customer
from tests.importing_helpers import DATA_DIR, validate_upload, write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["No", "ID Pelanggan", "Nama", "No HP", "Site", "Paket", "Biaya"]


def footer_notes(batch):
    with translation.override("en"):
        return [(f.row, f.column, f.value, f.message) for f in batch.problems.filter(code="footer_skipped")]


def test_total_rows_skipped(sample_catalogue, admin_user, tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [
        HEADER,
        [1, "PLG-0101", "Ani", "081200000101", "Cibinong", "H10", 150000],
        [2, "PLG-0102", "Bayu", "081200000102", "Cibinong", "H10", 150000],
        [None, None, "Subtotal Cibinong", None, None, None, 300000],
        [3, "PLG-0103", "Totalia Sari", "081200000103", "Citayam", "H20", 200000],
        [None, None, "Jumlah", 3, None, None, "=SUM(G2:G5)"],
        [None, None, "TOTAL: 3 pelanggan", None, None, None, None],
    ])

    batch = validate_upload(path, user=admin_user)

    assert footer_notes(batch) == [
        (4, "Nama", "Subtotal Cibinong",
         "Row 4, column Nama: “Subtotal Cibinong” is a total row, not a customer, so the row was skipped."),
        (6, "Nama", "Jumlah", "Row 6, column Nama: “Jumlah” is a total row, not a customer, so the row was skipped."),
        (7, "Nama", "TOTAL: 3 pelanggan",
         "Row 7, column Nama: “TOTAL: 3 pelanggan” is a total row, not a customer, so the row was skipped."),
    ]
    assert (batch.rows_read, batch.new_count, batch.problem_count) == (3, 3, 0)
    batches.commit_batch(batch)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Ani", "Bayu", "Totalia Sari"]


def test_total_in_id_column_with_count_in_name(sample_catalogue, admin_user, tmp_path):
    # The label in ID Pelanggan and the count in Nama, as a tester typed it
    # below the filled-in template, with a sum of the fees beside them.
    path = write_workbook(tmp_path / "pelanggan.xlsx", [
        HEADER,
        [1, "PLG-0101", "Ani", "081200000101", "Cibinong", "H10", 150000],
        [None, "TOTAL", "1 pelanggan", None, None, None, "=SUM(G2:G2)"],
    ])

    batch = validate_upload(path, user=admin_user)

    assert footer_notes(batch) == [
        (3, "ID Pelanggan", "TOTAL",
         "Row 3, column ID Pelanggan: “TOTAL” is a total row, not a customer, so the row was skipped."),
    ]
    assert (batch.rows_read, batch.new_count, batch.problem_count) == (1, 1, 0)


def test_tester_workbook_total_skipped(sample_catalogue, admin_user, tmp_path):
    # The last row of this workbook holds only "TOTAL: 10 pelanggan" in Nama Pelanggan.
    path = tmp_path / "pelanggan-des.xlsx"
    shutil.copy(DATA_DIR / "walkux" / "pelanggan-des.xlsx", path)

    batch = validate_upload(path, user=admin_user)

    assert [(row, column, value) for row, column, value, _message in footer_notes(batch)] == [
        (15, "Nama Pelanggan", "TOTAL: 10 pelanggan"),
    ]
    batches.commit_batch(batch)
    assert not Customer.objects.filter(name__icontains="total").exists()


@pytest.mark.parametrize("cells, index", [
    (("Grand Total", None, 25), 0),
    ((None, "Total pelanggan", "Rp 3.000.000"), 1),
    (("Jumlah pelanggan aktif: 8",), 0),
    (("Sub-total",), 0),
    (("Totalia",), None),
    (("Total Jaya",), None),
    (("Total", "Cibinong"), None),
    (("PLG-0001", "Jumlah"), None),
    (("TOTAL", "18 pelanggan"), 0),
    (("Jumlah", "5 orang", "Rp 750.000"), 0),
    (("Budi", "18 pelanggan"), None),
    (("Total", "pelanggan baru"), None),
])
def test_footer_label_cases(cells, index):
    assert footer_label(cells) == index
