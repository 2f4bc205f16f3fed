"""The reader: sheet choice, header row, cell values and row numbers per format."""

import datetime
import struct
import zipfile
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from customers.importing.cells import ErrorCell, FormulaWithoutValue, RawRow
from customers.importing.gate import inspect_upload
from customers.importing.problems import FileRejected
from customers.importing.reader import open_table

DATA_DIR = Path(__file__).parent / "data"
CASES_DIR = DATA_DIR / "cases"
SAMPLES_DIR = DATA_DIR / "samples"

TEMPLATE_HEADERS = (
    "ID Pelanggan", "Nama", "No HP", "Email", "NIK", "Alamat", "Site", "Paket",
    "Tanggal Pasang", "Latitude", "Longitude",
)
EXPECTED_HEADERS_TEXT = (
    "ID Pelanggan, Nama, No. HP / WhatsApp, Email, NIK, Alamat, Site, Paket, Tanggal Pasang, Latitude, Longitude"
)


def read(path):
    """Gate and read `path`; return (table attributes, rows)."""
    fmt = inspect_upload(path, Path(path).name)
    with open_table(path, fmt) as table:
        rows = list(table.rows())
        return table, rows


def read_rejection(path):
    with pytest.raises(FileRejected) as caught:
        read(path)
    assert str(caught.value.message).strip()
    return caught.value


def workbook_file(path, sheets, configure=None):
    """Write an .xlsx with the sheets {title: [rows]} and return its path.

    `configure(workbook)`, when given, may adjust the workbook before it is saved.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    if configure:
        configure(workbook)
    workbook.save(path)
    return path


# --- the case workbooks ---------------------------------------------------------


def test_case01_ghost_rows():
    table, rows = read(CASES_DIR / "case01_baris_hantu.xlsx")
    assert table.format == "xlsx"
    assert table.sheet_name == "Pelanggan"
    assert table.header_row == 1
    assert table.header_cells == TEMPLATE_HEADERS
    assert [row.number for row in rows] == [2, 3, 5]
    assert [row.cells[0] for row in rows] == ["PLG-0001", "PLG-0002", "PLG-0003"]
    assert table.hidden_rows == []


def test_case01_first_row_values():
    _table, rows = read(CASES_DIR / "case01_baris_hantu.xlsx")
    assert rows[0] == RawRow(
        2,
        (
            "PLG-0001", "Budi Santoso", "081234567801", "budi.santoso@example.com",
            "3273011708900001", "Jl. Merdeka No. 10, Bogor", "CBN", "Home 20 Mbps",
            datetime.datetime(2024, 8, 17), -6.914744, 107.60981,
        ),
        False,
    )


def test_case03_formula_cached_and_missing():
    table, rows = read(CASES_DIR / "case03_rumus_tanpa_cache.xlsx")
    assert table.other_sheets == ("Referensi",)
    assert [row.number for row in rows] == [2, 3, 4]
    assert rows[0].cells[0] == "PLG-0001"
    assert rows[2].cells[7] == FormulaWithoutValue("Referensi!A4")
    assert rows[1].cells[7] == "Home 30 Mbps"


def test_case04_dates_and_serials():
    _table, rows = read(CASES_DIR / "case04_tanggal_campur.xlsx")
    assert [row.cells[8] for row in rows] == [
        datetime.datetime(2024, 8, 17),
        45355,
        "31/12/2023",
        "04/03/2024",
        "17 Agustus 2024",
    ]


def test_case05_phone_numbers_keep_type():
    _table, rows = read(CASES_DIR / "case05_hp_tanpa_nol.xlsx")
    assert [row.cells[2] for row in rows] == [
        81234567801, 6281234567802, "0812-3456-7803", "+62 812 3456 7804", "(0812) 3456-7805",
    ]


def test_case07_nik_numbers():
    _table, rows = read(CASES_DIR / "case07_nik_15_digit.xlsx")
    assert [row.cells[4] for row in rows] == ["3273011708900001", 3273014403920000, 3204052512880000]


def test_case09_bom_stripped():
    table, rows = read(CASES_DIR / "case09_csv_bom.csv")
    assert table.format == "csv"
    assert table.sheet_name == "case09_csv_bom"
    assert table.header_cells == TEMPLATE_HEADERS
    assert [row.number for row in rows] == [2, 3, 4]
    assert rows[0].cells[9:] == ("-6.914744", "107.609810")


def test_case10_semicolons():
    table, rows = read(CASES_DIR / "case10_csv_titik_koma.csv")
    assert table.header_cells == TEMPLATE_HEADERS
    assert len(rows) == 3
    assert rows[0].cells[5] == "Jl. Merdeka No. 10, Bogor"
    assert rows[0].cells[9:] == ("-6,914744", "107,609810")


def test_case12_header_on_row_4():
    table, rows = read(CASES_DIR / "case12_header_baris4.xlsx")
    assert table.header_row == 4
    assert table.header_cells == (
        "No", "Nama Pelanggan", "ID Pelanggan", "No. HP", "E-mail", "NIK", "Alamat", "Paket",
        "Site", "Tgl Pasang", "Lat", "Long", "Keterangan",
    )
    assert [row.number for row in rows] == [5, 6, 7]
    assert rows[1].cells[12] is None
    assert rows[2].cells[:3] == (3, "Andi Pratama", "PLG-0003")


def test_case13_merged_values_filled():
    _table, rows = read(CASES_DIR / "case13_sel_gabung.xlsx")
    assert [row.cells[6] for row in rows] == ["CBN", "CBN", "CBN"]
    assert [row.cells[7] for row in rows] == ["Home 20 Mbps", "Home 20 Mbps", "Bisnis 100 Mbps"]


def test_case15_all_rows_read():
    _table, rows = read(CASES_DIR / "case15_duplikat.xlsx")
    assert [(row.number, row.cells[0]) for row in rows] == [
        (2, "PLG-0001"), (3, "PLG-0002"), (4, "PLG-0001"), (5, "PLG-0004"), (6, "PLG-0003"),
    ]


def test_case17_password_rejected():
    rejection = read_rejection(CASES_DIR / "case17_terkunci_sandi.xlsx")
    assert rejection.code == "file_encrypted"


def test_sample_workbook_and_csv_agree():
    _table, workbook_rows = read(SAMPLES_DIR / "pelanggan-contoh.xlsx")
    _table, csv_rows = read(SAMPLES_DIR / "pelanggan-contoh-titikkoma.csv")
    assert [row.number for row in workbook_rows] == [row.number for row in csv_rows] == list(range(2, 10))
    assert [row.cells[:2] for row in workbook_rows] == [row.cells[:2] for row in csv_rows]


# --- sheet choice and header row -----------------------------------------------


def test_named_sheet_preferred(tmp_path):
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"Data": [["Nama", "No HP"], ["Lain", "0811"]], "Data Pelanggan": [["Nama", "Alamat"], ["Budi", "Jl. A"]]},
    )
    table, rows = read(path)
    assert table.sheet_name == "Data Pelanggan"
    assert table.other_sheets == ("Data",)
    assert rows == [RawRow(2, ("Budi", "Jl. A"), False)]


def test_first_visible_sheet_with_headers(tmp_path):
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"Petunjuk": [["Isi kolom Nama dan No HP"]], "Daftar": [["Nama", "No HP"], ["Budi", "0811"]], "Lain": []},
    )
    table, _rows = read(path)
    assert table.sheet_name == "Daftar"
    assert table.other_sheets == ("Petunjuk", "Lain")


def test_hidden_sheet_skipped(tmp_path):
    def hide_first(workbook):
        workbook["Pelanggan"].sheet_state = "hidden"

    path = workbook_file(
        tmp_path / "w.xlsx",
        {"Pelanggan": [["Nama", "No HP"], ["Lama", "0811"]], "Baru": [["Nama", "No HP"], ["Budi", "0812"]]},
        hide_first,
    )
    table, rows = read(path)
    assert table.sheet_name == "Baru"
    assert rows == [RawRow(2, ("Budi", "0812"), False)]


def test_named_sheet_without_headers_falls_back(tmp_path):
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"Pelanggan": [["catatan saja"]], "Sheet2": [["Nama", "Email"], ["Budi", "b@example.com"]]},
    )
    table, _rows = read(path)
    assert table.sheet_name == "Sheet2"


def test_best_header_row_wins(tmp_path):
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"S": [["Nama", "Alamat"], [], ["ID Pelanggan", "Nama", "No HP", "Alamat"], ["PLG-1", "Budi", "0811", "Jl"]]},
    )
    table, rows = read(path)
    assert table.header_row == 3
    assert [row.number for row in rows] == [4]


def test_header_below_row_30_rejected(tmp_path):
    path = workbook_file(tmp_path / "w.xlsx", {"S": [[f"judul {n}"] for n in range(30)] + [["Nama", "No HP"]]})
    rejection = read_rejection(path)
    assert rejection.code == "no_customer_sheet"
    assert rejection.params == {"rows": 30, "expected": EXPECTED_HEADERS_TEXT}


def test_header_on_row_30_found(tmp_path):
    path = workbook_file(tmp_path / "w.xlsx", {"S": [[f"judul {n}"] for n in range(29)] + [["Nama", "No HP"], ["B", "1"]]})
    table, rows = read(path)
    assert table.header_row == 30
    assert [row.number for row in rows] == [31]


def test_single_known_header_rejected(tmp_path):
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "Hobi"], ["Budi", "catur"]]})
    assert read_rejection(path).code == "no_customer_sheet"


# --- two-row headers --------------------------------------------------------------

TWO_ROW_HEADER = [
    ["No", "Nama Pelanggan", "Kontak", None, "Alamat", None, None, None, None, "Paket"],
    [None, None, "No. HP", "Email", "Jalan", "RT/RW", "Desa/Kelurahan", "Kecamatan", "Kabupaten/Kota"],
]
TWO_ROW_HEADER_TEXTS = (
    "No", "Nama Pelanggan", "No. HP", "Email", "Alamat Jalan", "RT/RW", "Desa/Kelurahan", "Kecamatan", "Kabupaten/Kota",
    "Paket",
)


def merge_two_row_header(vertical):
    """Return a configure function that merges the groups of TWO_ROW_HEADER,
    and with `vertical` its single cells down over the second row."""

    def merge(workbook):
        sheet = workbook["Pelanggan"]
        sheet.merge_cells("C1:D1")
        sheet.merge_cells("E1:I1")
        if vertical:
            for column in "ABJ":
                sheet.merge_cells(f"{column}1:{column}2")

    return merge


@pytest.mark.parametrize("vertical", [True, False])
def test_two_row_header_under_groups(tmp_path, vertical):
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"Pelanggan": [*TWO_ROW_HEADER, [1, "Ani", "0812-3456-7801"], [2, "Bayu", None, "bayu@contoh.id"]]},
        merge_two_row_header(vertical),
    )
    table, rows = read(path)
    assert table.header_first_row == 1
    assert table.header_row == 2
    assert table.header_cells == TWO_ROW_HEADER_TEXTS
    assert [row.number for row in rows] == [3, 4]
    assert rows[0].cells[:3] == (1, "Ani", "0812-3456-7801")


def test_two_row_header_below_title(tmp_path):
    """The upper row names fewer fields than the lower one, and a title and
    a blank row are above them."""
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"Pelanggan": [["DATA PELANGGAN 2024"], [], *TWO_ROW_HEADER, [1, "Ani", "0812-3456-7801"]]},
        lambda workbook: workbook["Pelanggan"].merge_cells("A1:J1"),
    )
    table, rows = read(path)
    assert (table.header_first_row, table.header_row) == (3, 4)
    assert table.header_cells == TWO_ROW_HEADER_TEXTS
    assert [row.number for row in rows] == [5]


def test_two_row_header_joins_group_label(tmp_path):
    """A lower label that names no field alone is read with its group's label."""
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"S": [
            ["Nama", "Kontak", None, "Kode", None, "Tanggal"],
            [None, "HP", "Email", "Pos", "Wilayah", "Pasang"],
            ["Ani", "0812-3456-7801", None, 16911, "32.01.01.1012", "17/08/2024"],
        ]},
    )
    table, rows = read(path)
    assert table.header_row == 2
    assert table.header_cells == ("Nama", "HP", "Email", "Kode Pos", "Kode Wilayah", "Tanggal Pasang")
    assert [row.number for row in rows] == [3]


def test_two_row_header_from_csv(tmp_path):
    """A two-row header as Excel saves it to CSV: the merged cells are empty fields."""
    path = tmp_path / "pelanggan.csv"
    path.write_bytes(
        b"No;Nama Pelanggan;Kontak;;Alamat;;;;;Paket\r\n"
        b";;No. HP;Email;Jalan;RT/RW;Desa/Kelurahan;Kecamatan;Kabupaten/Kota;\r\n"
        b"1;Ani;0812-3456-7801;;Jl. Mawar 1;001/002;Pabuaran;Cibinong;Kab. Bogor;Home 10 Mbps\r\n"
    )
    table, rows = read(path)
    assert (table.header_first_row, table.header_row) == (1, 2)
    assert table.header_cells == TWO_ROW_HEADER_TEXTS
    assert [row.number for row in rows] == [3]


def test_one_row_header_over_text_row(tmp_path):
    """A plain header whose first data row is all text, with a value under
    an empty header cell, stays a one-row header."""
    path = workbook_file(
        tmp_path / "w.xlsx",
        {"Pelanggan": [
            ["Nama", "No HP", None, "Alamat", "Kecamatan"],
            ["Ani", "0812-3456-7801", "pelanggan lama", "Jl. Mawar 1", "Cibinong"],
            ["Bayu", "0812-3456-7802", None, "Jl. Mawar 2", "Cibinong"],
        ]},
    )
    table, rows = read(path)
    assert (table.header_first_row, table.header_row) == (1, 1)
    assert table.header_cells == ("Nama", "No HP", "", "Alamat", "Kecamatan")
    assert [row.number for row in rows] == [2, 3]


# --- xlsx cell values -----------------------------------------------------------


def test_xlsx_value_types(tmp_path):
    def add_cells(workbook):
        sheet = workbook["S"]
        sheet["C2"] = "=A2&B2"
        sheet["D2"] = "#N/A"
        sheet["E2"].value = 45292.5
        sheet["E2"].number_format = "dd/mm/yyyy hh:mm"
        sheet["F2"].value = 0.75
        sheet["F2"].number_format = "h:mm"
        sheet["G2"].value = 1.5
        sheet["G2"].number_format = "[h]:mm"

    path = workbook_file(
        tmp_path / "w.xlsx",
        {"S": [["Nama", "No HP", "Rumus", "Galat", "Waktu", "Jam", "Durasi", "Aktif"], ["Budi", 8123, None, None, None, None, None, True]]},
        add_cells,
    )
    _table, rows = read(path)
    assert rows == [
        RawRow(
            2,
            (
                "Budi", 8123, FormulaWithoutValue("A2&B2"), ErrorCell("#N/A"),
                datetime.datetime(2024, 1, 1, 12, 0), datetime.time(18, 0), 1.5, True,
            ),
            False,
        )
    ]


def test_xlsx_date1904(tmp_path):
    def use_1904(workbook):
        workbook.epoch = CALENDAR_MAC_1904

    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "Tanggal Pasang"], ["Budi", datetime.date(2024, 8, 17)]]}, use_1904)
    table, rows = read(path)
    assert table.date1904 is True
    assert rows[0].cells == ("Budi", datetime.datetime(2024, 8, 17))


def test_xlsx_hidden_rows_listed(tmp_path):
    def hide_row_3(workbook):
        workbook["S"].row_dimensions[3].hidden = True

    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP"], ["A", "1"], ["B", "2"], ["C", "3"]]}, hide_row_3)
    fmt = inspect_upload(path, "w.xlsx")
    with open_table(path, fmt) as table:
        rows = list(table.rows())
        assert table.hidden_rows == [3]
    assert [row.hidden for row in rows] == [False, True, False]


def test_xlsx_blank_and_whitespace_rows_skipped(tmp_path):
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP", "Alamat"], ["A"], [None, "  "], [], [None, None, "Jl"]]})
    _table, rows = read(path)
    assert rows == [RawRow(2, ("A", None, None), False), RawRow(5, (None, None, "Jl"), False)]


def test_xlsx_merged_range_below_header_only(tmp_path):
    def merge(workbook):
        sheet = workbook["S"]
        sheet.merge_cells("A1:A2")
        sheet.merge_cells("B2:C3")

    path = workbook_file(
        tmp_path / "w.xlsx",
        {"S": [["Nama", "No HP", "Alamat"], [None, "0811", None], ["Ani", None, None], ["Budi", "0812", "Jl"]]},
        merge,
    )
    _table, rows = read(path)
    assert rows == [
        RawRow(2, (None, "0811", "0811"), False),
        RawRow(3, ("Ani", "0811", "0811"), False),
        RawRow(4, ("Budi", "0812", "Jl"), False),
    ]


def test_xlsx_strict_namespaces(tmp_path):
    source = workbook_file(tmp_path / "w.xlsx", {"Pelanggan": [["Nama", "No HP"], ["Budi", 811]]})
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(strict, "w") as rewritten:
        for info in original.infolist():
            data = original.read(info)
            data = data.replace(
                b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main"
            ).replace(
                b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                b"http://purl.oclc.org/ooxml/officeDocument/relationships",
            )
            rewritten.writestr(info.filename, data)
    _table, rows = read(strict)
    assert rows == [RawRow(2, ("Budi", 811), False)]


def test_xlsx_utf16_parts_and_backslash_names(tmp_path):
    source = workbook_file(tmp_path / "w.xlsx", {"Pelanggan": [["Nama", "No HP"], ["Budi", "0811"]]})
    converted = tmp_path / "utf16.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(converted, "w") as rewritten:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith(".xml"):
                text = data.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'")
                text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
                data = text.encode("utf-16")
            rewritten.writestr(info.filename.replace("/", "\\"), data)
    _table, rows = read(converted)
    assert rows == [RawRow(2, ("Budi", "0811"), False)]


# --- limits --------------------------------------------------------------------


def test_row_limit_boundary_accepted(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP"], ["A", 1], [], ["B", 2], ["C", 3]]})
    _table, rows = read(path)
    assert [row.number for row in rows] == [2, 4, 5]


def test_row_limit_exceeded_rejected(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP"], ["A", 1], ["B", 2], ["C", 3], ["D", 4]]})
    rejection = read_rejection(path)
    assert rejection.code == "too_many_rows"
    assert rejection.params == {"sheet": "S", "limit": 3}


def test_column_limit_boundary_accepted(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 5
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP"], ["A", 1, None, None, "ujung"]]})
    _table, rows = read(path)
    assert rows == [RawRow(2, ("A", 1, None, None, "ujung"), False)]


def test_column_limit_exceeded_rejected(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 5
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP"], ["A", 1], ["B", 2, None, None, None, "x"]]})
    rejection = read_rejection(path)
    assert rejection.code == "too_many_columns"
    assert rejection.params == {"sheet": "S", "column": "F", "row": 3, "limit": 5}


def test_column_limit_in_header_row_rejected(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 3
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP", "Alamat", "Catatan"], ["A", 1]]})
    rejection = read_rejection(path)
    assert rejection.code == "too_many_columns"
    assert rejection.params == {"sheet": "S", "column": "D", "row": 1, "limit": 3}


def test_rows_can_be_read_twice(tmp_path):
    path = workbook_file(tmp_path / "w.xlsx", {"S": [["Nama", "No HP"], ["A", 1], ["B", 2]]})
    with open_table(path, "xlsx") as table:
        first = list(table.rows())
        second = list(table.rows())
    assert first == second == [RawRow(2, ("A", 1), False), RawRow(3, ("B", 2), False)]


# --- CSV -----------------------------------------------------------------------


def csv_file(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_tab_delimited(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama\tNo HP\tAlamat\nBudi\t0811\tJl. A, No. 1\n")
    _table, rows = read(path)
    assert rows == [RawRow(2, ("Budi", "0811", "Jl. A, No. 1"), False)]


def test_csv_pipe_delimited():
    table, rows = read(DATA_DIR / "csv" / "pipe_delimited.csv")
    assert table.header_row == 1
    assert rows == [
        RawRow(2, ("ENC-001", "José Ñúñez", "081200000051", "Jl. Café", "CBN", "H20"), False),
        RawRow(3, ("ENC-002", "Müller Straße", "081200000052", "Jl. Ä", "CBN", "H20"), False),
    ]


def test_csv_pipes_inside_comma_values(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama,No HP,Alamat\nBudi | Toko,0811,Jl. A | B\n")
    _table, rows = read(path)
    assert rows == [RawRow(2, ("Budi | Toko", "0811", "Jl. A | B"), False)]


def test_csv_sep_line(tmp_path):
    path = csv_file(tmp_path / "p.csv", "sep=;\r\nNama;No HP\r\nBudi;0811\r\n")
    table, rows = read(path)
    assert table.header_row == 1
    assert rows == [RawRow(2, ("Budi", "0811"), False)]


def test_csv_quoted_line_break_and_blank_lines(tmp_path):
    path = csv_file(tmp_path / "p.csv", 'Nama,Alamat\r\n"Budi","Jl. A\r\nRT 01"\r\n\r\n"Ani","Jl. B"\r\n')
    _table, rows = read(path)
    assert rows == [RawRow(2, ("Budi", "Jl. A\r\nRT 01"), False), RawRow(4, ("Ani", "Jl. B"), False)]


def test_csv_cr_only_lines(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama,No HP\rBudi,0811\rAni,0812\r")
    _table, rows = read(path)
    assert [row.cells for row in rows] == [("Budi", "0811"), ("Ani", "0812")]


def test_csv_windows_1252_fallback(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama;Alamat\nJosé;Jl. Café No. 2 – Bogor\n", "cp1252")
    _table, rows = read(path)
    assert rows == [RawRow(2, ("José", "Jl. Café No. 2 – Bogor"), False)]


def test_csv_utf16_bom(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama\tAlamat\r\nSiti\tJl. Ñ\r\n", "utf-16")
    _table, rows = read(path)
    assert rows == [RawRow(2, ("Siti", "Jl. Ñ"), False)]


def test_csv_utf8_without_bom(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama,Alamat\nJosé,Jl. Café\n")
    _table, rows = read(path)
    assert rows[0].cells == ("José", "Jl. Café")


def test_csv_mixed_encoding_rejected(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(
        "Nama;Alamat\r\nCafé Ümit;Jl. Ä\r\n".encode() + "Café Ümit;Jl. Ä\r\n".encode("cp1252")
    )

    rejection = read_rejection(path)

    assert rejection.code == "csv_mixed_encoding"
    assert rejection.params == {"line": 3, "value": "Caf\ufffd \ufffdmit;Jl. \ufffd"}


def test_csv_utf8_after_cp1252_rejected(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("Nama,Alamat\nJosé,Jl. A\n".encode("cp1252") + "Ümit,Jl. B\n".encode())

    rejection = read_rejection(path)

    assert rejection.code == "csv_mixed_encoding"
    assert rejection.params == {"line": 2, "value": "Jos\ufffd,Jl. A"}


def test_csv_utf8_bom_with_cp1252_rejected(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xef\xbb\xbfNama;Alamat\r\n" + "Café Bom;Jl. B\r\n".encode("cp1252"))

    rejection = read_rejection(path)

    assert rejection.code == "csv_mixed_encoding"
    assert rejection.params == {"line": 2, "value": "Caf\ufffd Bom;Jl. B"}
    with translation.override("en"):
        assert rejection.message == (
            "Line 2 of the CSV file (in a text editor) has a character that is not valid UTF-8 "
            "(“Caf\ufffd Bom;Jl. B”), but the rest of the file is UTF-8. Read either way, some names would "
            "be garbled, so nothing was imported. Open the file in Excel, correct that line, save it with "
            "Save As as “CSV UTF-8 (Comma delimited) (*.csv)” and upload it again."
        )


def test_csv_utf8_cut_at_end_rejected(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("Nama,Alamat\nÜmit,Jl. B\nAni,Jl. ".encode() + "é".encode()[:1])

    rejection = read_rejection(path)

    assert rejection.code == "csv_mixed_encoding"
    assert rejection.params == {"line": 3, "value": "Ani,Jl. \ufffd"}


def test_csv_cells_are_text(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama,No HP,Latitude\nBudi,81234567801,-6.5\n")
    _table, rows = read(path)
    assert rows[0].cells == ("Budi", "81234567801", "-6.5")


def test_csv_unclosed_quote_rejected(tmp_path):
    path = csv_file(tmp_path / "p.csv", 'Nama,Alamat\nBudi,"Jl. A\n' + "x" * 200_000 + "\n")
    rejection = read_rejection(path)
    assert rejection.code == "csv_row_unreadable"
    assert rejection.params == {"row": 2, "line": 2, "limit": 131_072}


def test_csv_quote_over_many_lines_names_start(tmp_path):
    # The quote on row 3 runs over 140,000 empty lines, until the field size limit.
    path = csv_file(tmp_path / "p.csv", 'Nama;No HP\nBudi;081200000001\n"' + "\n" * 140_000)

    rejection = read_rejection(path)

    assert rejection.code == "csv_row_unreadable"
    assert rejection.params == {"row": 3, "line": 3, "limit": 131_072}
    with translation.override("en"):
        assert str(rejection.message) == (
            "Row 3 of the CSV file (line 3 in a text editor) could not be read: a field is longer than "
            "131,072 characters or a quotation mark is not closed. Check that row, save the file again "
            "and upload it."
        )


def test_csv_quote_open_at_end_rejected():
    rejection = read_rejection(DATA_DIR / "csv" / "quote_unclosed.csv")
    assert rejection.code == "csv_quote_unclosed"
    assert rejection.params == {"row": 2, "line": 2, "column": "B", "value": "Unclosed,081200000071,Jl X"}


def test_csv_quote_swallowing_rows_rejected(tmp_path):
    # The stray quote before Ani closes the field, two lines further down.
    text = (
        "ID Pelanggan,Nama,No HP,Alamat\n"
        'QB-001,"Unclosed,081200000071,Jl X\n'
        "QB-002,Ok,081200000072,Jl Y\n"
        'QB-003,"Ani",081200000073,"Jl Z"\n'
    )
    rejection = read_rejection(csv_file(tmp_path / "p.csv", text))
    assert rejection.code == "csv_quote_unclosed"
    assert rejection.params == {"row": 2, "line": 2, "column": "B", "value": "Unclosed,081200000071,Jl X"}


def test_csv_unclosed_quote_after_multiline_address(tmp_path):
    text = (
        "sep=,\n"
        "ID Pelanggan,Nama,No HP,Alamat\n"
        'A-1,Budi,0811,"Jl. Merdeka No. 5,\nRT 01, RW 02"\n'
        'A-2,Ani,0812,"Jl. B No. 7, Blok C, Perumahan Griya Asri Indah Permai Sejahtera Abadi\n'
        "A-3,Cici,0813,Jl. C\n"
    )
    rejection = read_rejection(csv_file(tmp_path / "p.csv", text))
    assert rejection.code == "csv_quote_unclosed"
    assert rejection.params == {
        "row": 3,
        "line": 5,
        "column": "D",
        "value": "Jl. B No. 7, Blok C, Perumahan Griya Asri Indah Permai Seja…",
    }


def test_csv_quote_unclosed_message():
    rejection = read_rejection(DATA_DIR / "csv" / "quote_unclosed.csv")
    with translation.override("en"):
        assert rejection.message == (
            "Row 2 of the CSV file (line 2 in a text editor, column B) has a quotation mark that is not closed, so the "
            "value starting “Unclosed,081200000071,Jl X” runs on over the rows below it. Open the file "
            "in Excel or a text editor, close or remove that quotation mark, save the file and upload it again."
        )
    with translation.override("id"):
        assert rejection.message == (
            "Baris 2 file CSV (baris 2 di editor teks, kolom B) memuat tanda kutip yang tidak ditutup, sehingga "
            "nilai yang diawali “Unclosed,081200000071,Jl X” menelan baris-baris di bawahnya. Buka file "
            "di Excel atau editor teks, tutup atau hapus tanda kutip itu, simpan file, lalu unggah lagi."
        )


def test_csv_multiline_addresses_read(tmp_path):
    text = (
        "ID Pelanggan,Nama,No HP,Alamat,Site\n"
        'A-1,Budi,0811,"Jl. Merdeka No. 5,\nRT 01, RW 02, Kel. Sukamaju",CBN\n'
        'A-2,"Ani\nSuryani",0812,"Jl. B\r\nBlok C, No. 7\nBogor",CBN\n'
        'A-3,Cici,0813,"Jl. C ""Gang Mawar""\nNo. 1",BJG\n'
    )
    _table, rows = read(csv_file(tmp_path / "p.csv", text))
    assert rows == [
        RawRow(2, ("A-1", "Budi", "0811", "Jl. Merdeka No. 5,\nRT 01, RW 02, Kel. Sukamaju", "CBN"), False),
        RawRow(3, ("A-2", "Ani\nSuryani", "0812", "Jl. B\r\nBlok C, No. 7\nBogor", "CBN"), False),
        RawRow(4, ("A-3", "Cici", "0813", 'Jl. C "Gang Mawar"\nNo. 1', "BJG"), False),
    ]


def test_csv_nul_after_sample_rejected(tmp_path):
    path = csv_file(tmp_path / "p.csv", "Nama,No HP\n" + "Budi,0811\n" * 20_000 + "Ani,08\x0012\n")
    assert read_rejection(path).code == "csv_nul"


# --- ODS -----------------------------------------------------------------------

ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


def ods_file(path, tables, styles=""):
    """Write an .ods whose spreadsheet body is `tables` (table:table elements as text)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES} office:version="1.2">'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path


def text_cell(text, attributes=""):
    return f'<table:table-cell office:value-type="string" {attributes}><text:p>{text}</text:p></table:table-cell>'


ODS_HEADER = (
    "<table:table-row>" + text_cell("Nama") + text_cell("No HP") + text_cell("Site")
    + text_cell("Tanggal Pasang") + "</table:table-row>"
)


def test_ods_values_merges_and_repeats(tmp_path):
    rows = (
        "<table:table-row>"
        + text_cell("Budi  <text:s text:c=\"2\"/>Santoso<office:annotation><text:p>catatan</text:p></office:annotation>")
        + '<table:table-cell office:value-type="float" office:value="81234567801"/>'
        + text_cell("CBN", 'table:number-rows-spanned="2" table:number-columns-spanned="1"')
        + '<table:table-cell office:value-type="date" office:date-value="2024-08-17"/>'
        + "</table:table-row>"
        + '<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="4"/></table:table-row>'
        + "<table:table-row>"
        + text_cell("Ani<text:line-break/>Lestari")
        + '<table:table-cell table:formula="of:=[.A1]"/>'
        + "<table:covered-table-cell/>"
        + '<table:table-cell office:value-type="time" office:time-value="PT13H30M00S"/>'
        + "</table:table-row>"
        + '<table:table-row table:number-rows-repeated="2" table:visibility="collapse">'
        + text_cell("Sama") + '<table:table-cell table:number-columns-repeated="2"/>'
        + '<table:table-cell office:value-type="string" calcext:value-type="error"><text:p>#N/A</text:p></table:table-cell>'
        + "</table:table-row>"
        + '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
    )
    path = ods_file(
        tmp_path / "p.ods",
        '<table:table table:name="Catatan" table:style-name="ta2"><table:table-row>'
        + text_cell("Nama") + text_cell("No HP") + "</table:table-row></table:table>"
        + f'<table:table table:name="Pelanggan" table:style-name="ta1">{ODS_HEADER}{rows}</table:table>',
        styles='<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>',
    )
    table, rows = read(path)
    assert table.format == "ods"
    assert table.sheet_name == "Pelanggan"
    assert table.other_sheets == ("Catatan",)
    assert table.hidden_rows == [7, 8]
    assert rows == [
        RawRow(2, ("Budi   Santoso", 81234567801, "CBN", datetime.datetime(2024, 8, 17)), False),
        RawRow(6, ("Ani\nLestari", FormulaWithoutValue("of:=[.A1]"), None, datetime.time(13, 30)), False),
        RawRow(7, ("Sama", None, None, ErrorCell("#N/A")), True),
        RawRow(8, ("Sama", None, None, ErrorCell("#N/A")), True),
    ]


def test_ods_repeated_value_columns_rejected(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 10
    row = '<table:table-row>' + text_cell("X", 'table:number-columns-repeated="999999999"') + "</table:table-row>"
    path = ods_file(tmp_path / "p.ods", f'<table:table table:name="S">{ODS_HEADER}{row}</table:table>')
    rejection = read_rejection(path)
    assert rejection.code == "too_many_columns"
    assert rejection.params == {"sheet": "S", "column": "K", "row": 2, "limit": 10}


def test_ods_repeated_value_rows_rejected(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 1000
    row = '<table:table-row table:number-rows-repeated="999999999">' + text_cell("X") + "</table:table-row>"
    path = ods_file(tmp_path / "p.ods", f'<table:table table:name="S">{ODS_HEADER}{row}</table:table>')
    rejection = read_rejection(path)
    assert rejection.code == "too_many_rows"
    assert rejection.params == {"sheet": "S", "limit": 1000}


def repeated_row(text, times):
    return f'<table:table-row table:number-rows-repeated="{times}">' + text_cell(text) + "</table:table-row>"


def test_ods_repeated_rows_at_limit_read(tmp_path, settings):
    settings.IMPORT_MAX_ODS_REPEATED_ROWS = 3
    rows = repeated_row("Sama", 2) + repeated_row("Lagi", 3)
    path = ods_file(tmp_path / "p.ods", f'<table:table table:name="S">{ODS_HEADER}{rows}</table:table>')

    _table, read_rows = read(path)

    assert [(row.number, row.cells[0]) for row in read_rows] == [
        (2, "Sama"), (3, "Sama"), (4, "Lagi"), (5, "Lagi"), (6, "Lagi"),
    ]


def test_ods_repeated_rows_over_limit_rejected(tmp_path, settings):
    settings.IMPORT_MAX_ODS_REPEATED_ROWS = 3
    rows = repeated_row("Sama", 2) + repeated_row("Lagi", 4)
    path = ods_file(tmp_path / "p.ods", f'<table:table table:name="S">{ODS_HEADER}{rows}</table:table>')

    rejection = read_rejection(path)

    assert rejection.code == "ods_repeated_rows"
    assert rejection.params == {"sheet": "S", "row": 4, "rows": 4, "limit": 3}
    with translation.override("en"):
        assert str(rejection.message) == (
            "Sheet “S” repeats identical non-empty rows more than 3 times (row 4 alone is repeated 4 times), "
            "which a customer list does not do, so the file was not read. Delete the repeated rows, save the "
            "file and upload it again."
        )


def test_ods_small_file_of_many_rows_rejected(tmp_path):
    # A file of under 2 KB: one row of 100 cells repeated 290,000 times.
    cells = text_cell("X", 'table:number-columns-repeated="100"')
    row = f'<table:table-row table:number-rows-repeated="290000">{cells}</table:table-row>'
    path = ods_file(tmp_path / "p.ods", f'<table:table table:name="S">{ODS_HEADER}{row}</table:table>')
    assert path.stat().st_size < 2048

    rejection = read_rejection(path)

    assert rejection.code == "ods_repeated_rows"
    assert rejection.params == {"sheet": "S", "row": 2, "rows": 290_000, "limit": 10_000}


# --- XLS -----------------------------------------------------------------------


def biff2_record(record_id, data):
    return struct.pack("<HH", record_id, len(data)) + data


def biff2_label(row, column, text):
    encoded = text.encode("latin-1")
    return biff2_record(0x0004, struct.pack("<HH", row, column) + b"\x00\x00\x00" + bytes([len(encoded)]) + encoded)


def biff2_number(row, column, value):
    return biff2_record(0x0003, struct.pack("<HH", row, column) + b"\x00\x00\x00" + struct.pack("<d", value))


def biff2_bool_or_error(row, column, value, is_error):
    return biff2_record(0x0005, struct.pack("<HH", row, column) + b"\x00\x00\x00" + bytes([value, is_error]))


def test_xls_biff2_values(tmp_path):
    data = (
        biff2_record(0x0009, struct.pack("<HH", 0x0002, 0x0010))
        + biff2_label(0, 0, "ID Pelanggan") + biff2_label(0, 1, "Nama") + biff2_label(0, 2, "No HP")
        + biff2_label(0, 3, "Aktif")
        + biff2_label(1, 0, "PLG-0001") + biff2_label(1, 1, "José") + biff2_number(1, 2, 81234567801)
        + biff2_bool_or_error(1, 3, 1, 0)
        + biff2_label(3, 0, "PLG-0002") + biff2_number(3, 2, 2.5) + biff2_bool_or_error(3, 3, 0x2A, 1)
        + biff2_record(0x000A, b"")
    )
    path = tmp_path / "lama.xls"
    path.write_bytes(data)
    table, rows = read(path)
    assert table.format == "xls"
    assert table.sheet_name == "Sheet 1"
    assert table.header_cells == ("ID Pelanggan", "Nama", "No HP", "Aktif")
    assert rows == [
        RawRow(2, ("PLG-0001", "José", 81234567801, True), False),
        RawRow(4, ("PLG-0002", None, 2.5, ErrorCell("#N/A")), False),
    ]


def test_xls_encrypted_rejected():
    rejection = read_rejection(DATA_DIR / "realworld" / "messytables__encrypted_no_password.xls")
    assert rejection.code == "file_encrypted"


def test_xls_unreadable_rejected():
    rejection = read_rejection(DATA_DIR / "realworld" / "ExcelDataReader__Test_git_issue_368_header.xls")
    assert rejection.code == "xls_unreadable"


def test_xls_timeout_rejected(tmp_path, settings):
    settings.IMPORT_XLS_TIMEOUT_SECONDS = 0.001
    rejection = read_rejection(DATA_DIR / "realworld" / "calamine__OOM_alloc.xls")
    assert rejection.code == "read_timed_out"
    assert rejection.params == {"seconds": 0.001}


def test_xls_memory_limit_rejected(tmp_path, settings):
    settings.IMPORT_XLS_MAX_MEMORY_BYTES = 8 * 1024 * 1024
    rejection = read_rejection(DATA_DIR / "realworld" / "calamine__OOM_alloc.xls")
    assert rejection.code == "read_out_of_memory"
    assert rejection.params == {"limit_bytes": 8 * 1024 * 1024}
