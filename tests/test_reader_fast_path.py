"""The calamine fast path for plain xlsx sheets yields what the streaming parser yields.

Every comparison is type-aware: 1, 1.0 and True are equal in Python but not
to the cleaners, and neither are a date and a midnight datetime.
"""

import datetime
import io
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from openpyxl import Workbook

from customers.importing.readers import xlsx_fast
from customers.importing.readers.xlsx import MAX_MERGE_BYTES, XlsxSource, _merged_ranges

DATA = Path(__file__).parent / "data"
WORKBOOKS = sorted(path for pattern in ("*.xlsx", "*.xlsm") for path in DATA.rglob(pattern))


def typed(rows):
    return [
        (row.number, [(value.__class__, value) for value in row.cells], row.hidden, row.overflow_column, row.merges)
        for row in rows
    ]


def streamed_rows(source, sheet_index):
    key = source._sheet_parts[sheet_index]
    merges = _merged_ranges(source._merge_markup(key))
    return typed(source._stream_rows(key, None, merges))


def fast_path_taken(source, sheet_index):
    key = source._sheet_parts[sheet_index]
    scan = xlsx_fast.scan_sheet(source._archive, source._parts[key], MAX_MERGE_BYTES)
    return scan.plain and source._calamine_may_read(sheet_index, key)


def compare_workbook(path, max_columns=100):
    """Return {sheet index: fast path taken} after asserting both readers agree on every sheet."""
    fast_path_by_sheet = {}
    try:
        source = XlsxSource(path, max_columns)
    except Exception:
        return fast_path_by_sheet
    with closing(source):
        for index, key in enumerate(source._sheet_parts):
            if key is None:
                continue
            try:
                expected = streamed_rows(source, index)
            except Exception:
                # The file is rejected by the streaming parser, the reader's contract.
                continue
            actual = typed(source.iter_rows(index))
            assert actual == expected, f"{path.name} sheet {index}"
            fast_path_by_sheet[index] = fast_path_taken(source, index)
    return fast_path_by_sheet


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda path: str(path.relative_to(DATA)))
def test_fast_path_matches_streaming_parser(path):
    compare_workbook(path)


def test_fast_path_used_for_some_data_files():
    fast_files = [path for path in WORKBOOKS if any(compare_workbook(path).values())]
    assert fast_files


def save(workbook, tmp_path, name="book.xlsx"):
    path = tmp_path / name
    workbook.save(path)
    return path


def tricky_workbook():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    # Rows 1-2 and column A stay empty, so calamine's grid starts at B3.
    sheet["B3"] = "Nama"
    sheet["C3"] = "No HP"
    sheet["D3"] = "NIK"
    sheet["E3"] = "Tanggal"
    sheet["F3"] = "Jam"
    sheet["G3"] = "Angka"
    sheet["H3"] = "Aktif"

    rows = [
        ("Ani", 81234567801, 3201010101010001, datetime.datetime(2021, 3, 4), 1.5, 0, True),
        ("Budi Śantoso 日本", "0812", "3201010101010001", datetime.datetime(2021, 3, 4, 13, 45, 10), -2.25, 123, False),
        ("", None, 9007199254740992, datetime.date(2000, 2, 29), 1e-7, 2.5e-3, None),
        ("x" * 5000, 0.1, -0, datetime.datetime(1900, 3, 1), 3.14159, -17, True),
    ]
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=2):
            sheet.cell(row=4 + offset, column=column, value=value)

    for row in range(4, 8):
        sheet.cell(row=row, column=5).number_format = "dd/mm/yyyy hh:mm:ss"
    sheet["E5"].number_format = "[$-409]d-mmm-yy;@"
    sheet["F4"].number_format = "0.00"

    # A blank row between data rows, and a trailing row of formatting only.
    sheet["B10"] = "Citra"
    sheet["C10"] = 628123
    sheet["D12"].number_format = "0"

    other = workbook.create_sheet("Catatan")
    other["A1"] = "not customers"
    hidden = workbook.create_sheet("Tersembunyi")
    hidden["A1"] = "Nama"
    hidden.sheet_state = "hidden"
    return workbook


def test_tricky_values_take_fast_path(tmp_path):
    path = save(tricky_workbook(), tmp_path)
    fast_path_by_sheet = compare_workbook(path)
    assert fast_path_by_sheet[0] is True


def test_fast_path_row_numbers_with_leading_gaps(tmp_path):
    path = save(tricky_workbook(), tmp_path)
    with closing(XlsxSource(path, 100)) as source:
        numbers = [row.number for row in source.iter_rows(0)]
    assert numbers == [3, 4, 5, 6, 7, 10]


def test_fast_path_number_types(tmp_path):
    path = save(tricky_workbook(), tmp_path)
    with closing(XlsxSource(path, 100)) as source:
        rows = {row.number: row.cells for row in source.iter_rows(0)}
    assert rows[4][2] == 81234567801
    assert rows[4][2].__class__ is int
    assert rows[4][3].__class__ is int
    assert rows[4][5] == 1.5
    assert rows[4][7] is True
    assert rows[5][4] == datetime.datetime(2021, 3, 4, 13, 45, 10)


def test_fast_path_column_limit(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "Nama"
    sheet["B1"] = "No HP"
    sheet["A2"] = "Ani"
    sheet["F2"] = "beyond"
    path = save(workbook, tmp_path)
    fast_path_by_sheet = compare_workbook(path, max_columns=3)
    assert fast_path_by_sheet[0] is True
    with closing(XlsxSource(path, 3)) as source:
        rows = list(source.iter_rows(0))
    assert rows[1].overflow_column == 5


def declined(tmp_path, workbook):
    path = save(workbook, tmp_path)
    fast_path_by_sheet = compare_workbook(path)
    return fast_path_by_sheet[0] is False


def test_declines_formula(tmp_path):
    workbook = Workbook()
    workbook.active["A1"] = "=1+1"
    assert declined(tmp_path, workbook)


def test_declines_merged_cells(tmp_path):
    workbook = Workbook()
    workbook.active["A1"] = "Nama"
    workbook.active["A2"] = "Ani"
    workbook.active.merge_cells("A2:B3")
    assert declined(tmp_path, workbook)


def test_declines_hidden_rows(tmp_path):
    workbook = Workbook()
    workbook.active["A1"] = "Nama"
    workbook.active["A2"] = "Ani"
    workbook.active.row_dimensions[2].hidden = True
    assert declined(tmp_path, workbook)


def test_declines_date1904(tmp_path):
    workbook = Workbook()
    workbook.epoch = datetime.datetime(1904, 1, 1)
    workbook.active["A1"] = datetime.datetime(2020, 1, 1)
    workbook.active["A1"].number_format = "yyyy-mm-dd"
    assert declined(tmp_path, workbook)


def test_declines_duration_format(tmp_path):
    workbook = Workbook()
    workbook.active["A1"] = 1.25
    workbook.active["A1"].number_format = "[h]:mm:ss"
    assert declined(tmp_path, workbook)


def test_edge_whitespace_text_matches(tmp_path):
    workbook = Workbook()
    workbook.active["A1"] = "  Ani  "
    path = save(workbook, tmp_path)
    compare_workbook(path)


def rewritten(path, tmp_path, part, replace):
    """Return a copy of the workbook at `path` with `replace` applied to one part's text."""
    target = tmp_path / ("edited-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = replace(data.decode("utf-8")).encode("utf-8")
            copy.writestr(info, data)
    return target


def plain_sheet_xml(rows):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + rows
        + "</sheetData></worksheet>"
    )


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>',
        '<row r="1"><c r="A1"><v>123.0</v></c></row>',
        '<row r="1"><c r="A1"><v>1E3</v></c></row>',
        '<row r="1"><c r="A1"><v>92010101010100011</v></c></row>',
        '<row r="1"><c r="A1"><v> 12 </v></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><is><t> padded </t></is></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a&#10;b</t></is></c></row>',
        '<row r="1"><c r="A1" t="str"><v>text</v></c></row>',
        '<row r="1"><c r="A1" t="b"><v>true</v></c></row>',
        '<row r="2"><c r="A2"><v>2</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>',
        '<row r="1"><c r="A5"><v>1</v></c></row>',
        '<row r="1"><c r="AAA1"><v>1</v></c></row>',
        '<row r="1"><c><v>1</v></c></row>',
        '<row r="1" hidden="true"><c r="A1"><v>1</v></c></row>',
        '<row r="1"><c r="A1"><f>1+1</f></c></row>',
        '<row r="1"><c r="A1" t = "e"><v>#N/A</v></c></row>',
    ],
)
def test_scan_declines_special_sheet(tmp_path, rows):
    path = save(Workbook(), tmp_path)
    path = rewritten(path, tmp_path, "xl/worksheets/sheet1.xml", lambda _text: plain_sheet_xml(rows))
    with zipfile.ZipFile(path) as archive:
        scan = xlsx_fast.scan_sheet(archive, archive.getinfo("xl/worksheets/sheet1.xml"), MAX_MERGE_BYTES)
    assert scan.plain is False
    compare_workbook(path)


def test_scan_accepts_plain_sheet(tmp_path):
    rows = (
        '<row r="2"><c r="B2" t="inlineStr"><is><t>Ani</t></is></c><c r="C2"><v>-6.25</v></c>'
        '<c r="D2" t="b"><v>1</v></c><c r="E2"><v>3201010101010001</v></c></row>'
    )
    path = save(Workbook(), tmp_path)
    path = rewritten(path, tmp_path, "xl/worksheets/sheet1.xml", lambda _text: plain_sheet_xml(rows))
    with zipfile.ZipFile(path) as archive:
        scan = xlsx_fast.scan_sheet(archive, archive.getinfo("xl/worksheets/sheet1.xml"), MAX_MERGE_BYTES)
    assert scan.plain is True
    assert compare_workbook(path)[0] is True


def test_scan_finds_merges_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_fast, "SCAN_CHUNK_BYTES", 64)
    workbook = Workbook()
    for row in range(1, 40):
        workbook.active.cell(row=row, column=1, value=f"row {row}")
    workbook.active.merge_cells("A3:B4")
    path = save(workbook, tmp_path)
    with closing(XlsxSource(path, 100)) as source:
        key = source._sheet_parts[0]
        scan = xlsx_fast.scan_sheet(source._archive, source._parts[key], MAX_MERGE_BYTES)
        assert _merged_ranges(scan.merge_markup) == _merged_ranges(source._merge_markup(key))
    assert scan.plain is False


def test_small_chunks_give_same_verdict(tmp_path, monkeypatch):
    path = save(tricky_workbook(), tmp_path)
    with closing(XlsxSource(path, 100)) as source:
        info = source._parts[source._sheet_parts[0]]
        whole = xlsx_fast.scan_sheet(source._archive, info, MAX_MERGE_BYTES)
        monkeypatch.setattr(xlsx_fast, "SCAN_CHUNK_BYTES", 7)
        chunked = xlsx_fast.scan_sheet(source._archive, info, MAX_MERGE_BYTES)
    assert (whole.plain, whole.last_row) == (chunked.plain, chunked.last_row)


def test_style_probe_detects_disagreement(tmp_path):
    workbook = Workbook()
    workbook.active["A1"] = 1.25
    workbook.active["A1"].number_format = "[h]:mm:ss"
    workbook.active["A2"] = 2.5
    workbook.active["A2"].number_format = "dd/mm/yyyy"
    path = save(workbook, tmp_path)
    with closing(XlsxSource(path, 100)) as source:
        assert source._workbook_plain() is False


def test_fast_path_resumes_at_early_date(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    for row in range(1, 40):
        sheet.cell(row=row, column=1, value=row)
    sheet["B35"] = 12.5
    sheet["B35"].number_format = "hh:mm"
    path = save(workbook, tmp_path)
    fast_path_by_sheet = compare_workbook(path)
    assert fast_path_by_sheet[0] is True
    with closing(XlsxSource(path, 100)) as source:
        rows = list(source.iter_rows(0))
    assert [row.number for row in rows] == list(range(1, 40))


def test_gap_rows_keep_sheet_numbers(tmp_path):
    rows = '<row r="7"><c r="C7"><v>1</v></c></row><row r="9"><c r="C9"><v>2.5</v></c></row>'
    path = save(Workbook(), tmp_path)
    path = rewritten(path, tmp_path, "xl/worksheets/sheet1.xml", lambda _text: plain_sheet_xml(rows))
    assert compare_workbook(path)[0] is True
    with closing(XlsxSource(path, 100)) as source:
        rows = list(source.iter_rows(0))
    assert [(row.number, row.cells) for row in rows] == [(7, [None, None, 1]), (9, [None, None, 2.5])]


def test_probe_workbook_opens():
    data = xlsx_fast._probe_workbook('<row r="1"><c r="A1"><v>1</v></c></row>', None)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_calamine_failure_recognised():
    import python_calamine

    with pytest.raises(python_calamine.CalamineError) as raised:
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"PK\x03\x04 not a workbook"))

    assert xlsx_fast.calamine_failed(raised.value) is True
    assert xlsx_fast.calamine_failed(KeyboardInterrupt()) is False
    assert xlsx_fast.calamine_failed(ValueError("other")) is False
