"""Sheet shapes of real ISP workbooks, read end to end: review, save and
the import_customers command."""

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers.importing.problem_workbook import write_problem_workbook
from customers.models import Customer, ImportBatch
from tests.importing_helpers import run_import

pytestmark = pytest.mark.django_db

# "No" and "Nama Pelanggan" stand alone, "Kontak" and "Alamat" are groups
# merged over the columns of the second row.
GROUPS_ROW = ["No", "Nama Pelanggan", "Kontak", None, "Alamat", None, None, None, "Paket"]
LABELS_ROW = [None, None, "No. HP", "Email", "Jalan", "RT/RW", "Desa/Kelurahan", "Kecamatan", None]
DATA_ROWS = [
    [1, "Ani", "0812-3456-7801", "ani@contoh.id", "Jl. Mawar 1", "001/002", "Pabuaran", "Cibinong", "Home 10 Mbps"],
    [2, "Bayu", "0812-ABCD", None, "Jl. Mawar 2", None, None, None, "Home 10 Mbps"],
    [3, "Cici", "81234567803", None, "Jl. Mawar 3", None, "Pabuaran", "Cibinong", None],
]


def two_row_header_workbook(path):
    """Write GROUPS_ROW and LABELS_ROW merged as Excel users merge them,
    the single cells down over the second row, and DATA_ROWS below."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    for row in [GROUPS_ROW, LABELS_ROW, *DATA_ROWS]:
        sheet.append(row)
    sheet.merge_cells("C1:D1")
    sheet.merge_cells("E1:H1")
    for column in "ABI":
        sheet.merge_cells(f"{column}1:{column}2")
    workbook.save(path)
    return path


def test_two_row_header_through_upload_page(admin_client, sample_catalogue, regions_loaded, tmp_path):
    path = two_row_header_workbook(tmp_path / "pelanggan.xlsx")
    admin_client.cookies["django_language"] = "en"

    with open(path, "rb") as handle:
        admin_client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    batch = ImportBatch.objects.get()

    assert batch.state == ImportBatch.State.REVIEW
    assert (batch.summary["header_first_row"], batch.summary["header_row"]) == (1, 2)
    assert batch.summary["unknown_columns"] == ["No"]
    assert batch.summary["duplicate_columns"] == []
    assert [(p.row, p.column, p.value, p.code) for p in batch.problems.filter(kind="problem")] == [
        (4, "No. HP", "0812-ABCD", "phone_invalid"),
    ]
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert "<li>Sheet read: Pelanggan, header on rows 1 and 2.</li>" in page
    # The problem rows come back under a one-row header that reads the same.
    out = tmp_path / "masalah.xlsx"
    with open(out, "wb") as handle:
        write_problem_workbook(batch, handle)
    problem_rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert problem_rows[0][:9] == (
        "No", "Nama Pelanggan", "No. HP", "Email", "Alamat Jalan", "RT/RW", "Desa/Kelurahan", "Kecamatan", "Paket",
    )
    assert problem_rows[1][:3] == (2, "Bayu", "0812-ABCD")
    assert problem_rows[1][problem_rows[0].index("Baris asal")] == 4

    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.created_count == 2
    saved = Customer.objects.order_by("name").values_list(
        "name", "phone", "email", "street", "village_id", "package__code"
    )
    assert list(saved) == [
        ("Ani", "+6281234567801", "ani@contoh.id", "Jl. Mawar 1 RT 001/RW 002", "32.01.01.1012", "H10"),
        ("Cici", "+6281234567803", "", "Jl. Mawar 3", "32.01.01.1012", None),
    ]


def test_two_row_header_csv_command(sample_catalogue, tmp_path):
    """The same sheet saved by Excel as CSV (Windows-1252, ";", CRLF):
    the merged cells are empty fields."""
    path = tmp_path / "pelanggan.csv"
    path.write_bytes(
        b"No;Nama Pelanggan;Kontak;;Alamat;;;;Paket\r\n"
        b";;No. HP;Email;Jalan;RT/RW;Desa/Kelurahan;Kecamatan;\r\n"
        b"1;Ani;0812-3456-7801;ani@contoh.id;Jl. Mawar 1;001/002;Pabuaran;Cibinong;Home 10 Mbps\r\n"
        b"2;Bayu;0812-ABCD;;Jl. Mawar 2;;;;Home 10 Mbps\r\n"
        b"3;Cici;81234567803;;Jl. Mawar 3;;Pabuaran;Cibinong;\r\n"
    )

    code, result, _stderr = run_import(path)

    assert code == 0
    assert (result["rows"], result["created"]) == (3, 2)
    assert [(error["row"], error["column"], error["code"]) for error in result["errors"]] == [
        (4, "No. HP", "phone_invalid"),
    ]
    assert dict(Customer.objects.values_list("name", "phone")) == {
        "Ani": "+6281234567801", "Cici": "+6281234567803",
    }


# The same customers as number cells in an .xlsx and as Excel saves those
# cells to CSV on a computer set to Indonesian: what the cell shows, with a
# decimal comma, ";" between fields, Windows-1252 and CRLF.
NUMBERS_HEADER = ["ID Pelanggan", "Nama", "No HP", "Alamat", "RT", "RW", "Kode Pos", "Latitude", "Longitude"]
NUMBER_CELLS = [
    [12, "Ani", 81234567801, "Jl. Mawar 1", 1, 2, 16911, -6.4812, 106.8543],
    [1001, "Bayu", 6281234567802, "Jl. Mawar 2", 4, 11, 16912, -6.4813, 106.8544],
]
NUMBERS_CSV = (
    b"ID Pelanggan;Nama;No HP;Alamat;RT;RW;Kode Pos;Latitude;Longitude\r\n"
    b"12;Ani;81234567801;Jl. Mawar 1;1;2;16911;-6,4812;106,8543\r\n"
    b"1001;Bayu;6281234567802;Jl. Mawar 2;4;11;16912;-6,4813;106,8544\r\n"
)
SAVED_FIELDS = ("number", "name", "phone", "address", "postal_code", "latitude", "longitude")


def saved_customers():
    return list(Customer.objects.order_by("number").values_list(*SAVED_FIELDS))


@pytest.mark.parametrize("name, content", [
    ("excel.csv", NUMBERS_CSV),
    # LibreOffice's default CSV: UTF-8, "," between fields, a decimal point, LF.
    ("libreoffice.csv", NUMBERS_CSV.replace(b",", b".").replace(b";", b",").replace(b"\r\n", b"\n")),
])
def test_csv_number_cells_read_as_xlsx(sample_catalogue, tmp_path, name, content):
    """Phone numbers that lost their leading 0, RT and RW without their
    zeros and a numeric ID read from CSV as from number cells. The ID
    "12" stays "12", as the number cell 12 does, because nothing in the
    file shows that it was 0012."""
    workbook = Workbook()
    workbook.active.append(NUMBERS_HEADER)
    for row in NUMBER_CELLS:
        workbook.active.append(row)
    workbook.save(tmp_path / "angka.xlsx")
    run_import(tmp_path / "angka.xlsx")
    from_xlsx = saved_customers()
    Customer.objects.all().delete()
    (tmp_path / name).write_bytes(content)

    code, result, _stderr = run_import(tmp_path / name)

    assert (code, result["created"], result["errors"]) == (0, 2, [])
    assert saved_customers() == from_xlsx
    assert [row[:4] for row in from_xlsx] == [
        ("1001", "Bayu", "+6281234567802", "Jl. Mawar 2 RT 004/RW 011"),
        ("12", "Ani", "+6281234567801", "Jl. Mawar 1 RT 001/RW 002"),
    ]


def test_csv_rounded_phone_and_dated_rt_rw(sample_catalogue, tmp_path):
    """What Excel's CSV lost cannot be read back. A 12-digit phone number
    shown as 8,12346E+11 rejects its row. An RT/RW that Excel made a date
    is left out of the Alamat with a note, as its date cell is in an .xlsx."""
    path = tmp_path / "pelanggan.csv"
    path.write_bytes(
        b"Nama;No HP;Alamat;RT/RW\r\n"
        b"Ani;8,12346E+11;Jl. Mawar 1;001/002\r\n"
        b"Bayu;81234567802;Jl. Mawar 2;02-Jan\r\n"
    )

    _code, result, _stderr = run_import(path)

    assert [(error["row"], error["column"], error["code"]) for error in result["errors"]] == [
        (2, "No HP", "phone_scientific"),
    ]
    assert [(note["row"], note["column"], note["code"]) for note in result["notes"]] == [
        (3, "RT/RW", "rt_rw_date"),
    ]
    assert list(Customer.objects.values_list("name", "address")) == [("Bayu", "Jl. Mawar 2")]
