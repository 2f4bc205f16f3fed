"""Files built to exhaust or subvert a reader are rejected before they do harm.

Each file is built here with zipfile or openpyxl: zip bombs (huge entries,
many entries, lying sizes, overlapping entries, extreme compression), XML
entity attacks, and sheets whose shape claims far more than they hold.
"""

import logging
import io
import random
import re
import struct
import zipfile
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from customers.importing.cells import RawRow
from customers.importing.gate import inspect_upload
from customers.importing.problems import FileRejected
from customers.importing.reader import open_table

MIB = 1024 * 1024
SHEET_PART = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!DOCTYPE sst [\n"
    '<!ENTITY a "aaaaaaaaaa">\n'
    + "".join(
        f'<!ENTITY {name} "{("&" + previous + ";") * 10}">\n'
        for previous, name in zip("abcdefgh", "bcdefghi")
    )
    + "]>\n"
    f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&i;</t></si></sst>'
)

EXTERNAL_ENTITY_SHEET = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f'<worksheet xmlns="{MAIN_NS}"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Nama</t></is></c><c r="B1" t="inlineStr"><is><t>No HP</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    "</sheetData></worksheet>"
)


def customer_workbook(path, rows=3, configure=None):
    """Save a small customer workbook (inline strings); `configure(sheet)` may add to it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    sheet.append(["ID Pelanggan", "Nama", "No HP"])
    for number in range(1, rows + 1):
        sheet.append([f"PLG-{number:04d}", f"Pelanggan {number}", f"0812{number:08d}"])
    if configure:
        configure(sheet)
    workbook.save(path)
    return path


INLINE_STRING_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*) t="inlineStr"><is><t>([^<]*)</t></is></c>')


def with_shared_strings(source, target):
    """Copy an openpyxl workbook, moving its inline strings to xl/sharedStrings.xml as Excel stores them."""
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read(SHEET_PART)
        relationships = archive.read("xl/_rels/workbook.xml.rels")
        content_types = archive.read("[Content_Types].xml")
    strings = []

    def to_shared(match):
        strings.append(match.group(3))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2), len(strings) - 1)

    sheet = INLINE_STRING_CELL.sub(to_shared, sheet)
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{len(strings)}">'.encode()
        + b"".join(b"<si><t>%s</t></si>" % text for text in strings)
        + b"</sst>"
    )
    relationships = relationships.replace(
        b"</Relationships>",
        b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    content_types = content_types.replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    replace = {SHEET_PART: sheet, "xl/_rels/workbook.xml.rels": relationships, "[Content_Types].xml": content_types}
    return rewrite(source, target, replace=replace, add=[("xl/sharedStrings.xml", shared)])


def rewrite(source, target, replace=None, add=(), compression=zipfile.ZIP_DEFLATED):
    """Copy the zip `source` to `target`, replacing parts by name and adding (name, data) parts."""
    replace = replace or {}
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", compression) as copy:
        for info in original.infolist():
            copy.writestr(info.filename, replace.get(info.filename, original.read(info)))
        for name, data in add:
            copy.writestr(name, data)
    return target


def hex_text(size, seed=7):
    """Return `size` bytes of pseudo-random hex digits, which deflate about 2:1."""
    generator = random.Random(seed)
    return bytes(generator.choice(b"0123456789abcdef") for _ in range(size))


def central_directory_entries(data):
    """Yield (offset of the central directory record, file name) for each entry."""
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        yield position, data[position + 46:position + 46 + name_length].decode()
        position = data.find(b"PK\x01\x02", position + 46)


def gate_rejection(path):
    with pytest.raises(FileRejected) as caught:
        inspect_upload(path, Path(path).name)
    assert str(caught.value.message).strip()
    return caught.value


def reader_rejection(path, fmt="xlsx"):
    with pytest.raises(FileRejected) as caught:
        with open_table(path, fmt) as table:
            list(table.rows())
    assert str(caught.value.message).strip()
    return caught.value


# --- zip bombs -----------------------------------------------------------------


def test_huge_entry_rejected(tmp_path, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1 * MIB
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "huge.xlsx", add=[("xl/media/data.bin", hex_text(2 * MIB))])
    rejection = gate_rejection(path)
    assert rejection.code == "zip_too_large"
    assert rejection.params == {"limit_bytes": MIB}


def test_extreme_compression_rejected(tmp_path):
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "ratio.xlsx", add=[("xl/worksheets/sheet2.xml", b" " * (20 * MIB))])
    rejection = gate_rejection(path)
    assert rejection.code == "zip_ratio"
    assert rejection.params == {"limit": 100}


def test_small_compressible_part_accepted(tmp_path):
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "small.xlsx", add=[("xl/media/blank.bin", b" " * (MIB - 1))])
    assert inspect_upload(path, "small.xlsx") == "xlsx"


def test_entry_count_boundary_accepted(tmp_path, settings):
    source = customer_workbook(tmp_path / "base.xlsx")
    with zipfile.ZipFile(source) as archive:
        settings.IMPORT_MAX_ZIP_ENTRIES = len(archive.infolist()) + 2
    path = rewrite(source, tmp_path / "many.xlsx", add=[("extra/1.txt", b"1"), ("extra/2.txt", b"2")])
    assert inspect_upload(path, "many.xlsx") == "xlsx"


def test_too_many_entries_rejected(tmp_path, settings):
    source = customer_workbook(tmp_path / "base.xlsx")
    with zipfile.ZipFile(source) as archive:
        base_count = len(archive.infolist())
    settings.IMPORT_MAX_ZIP_ENTRIES = base_count + 2
    extra = [(f"extra/{number}.txt", b"x") for number in range(3)]
    path = rewrite(source, tmp_path / "many.xlsx", add=extra)
    rejection = gate_rejection(path)
    assert rejection.code == "zip_too_many_entries"
    assert rejection.params == {"count": base_count + 3, "limit": base_count + 2}


def test_many_entries_claimed_by_end_record_rejected(tmp_path):
    # An end-of-central-directory record claiming 65,000 entries is refused
    # before zipfile reads the directory.
    source = customer_workbook(tmp_path / "base.xlsx")
    data = bytearray(source.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 65000, 65000)
    path = tmp_path / "claims.xlsx"
    path.write_bytes(bytes(data))
    rejection = gate_rejection(path)
    assert rejection.code == "zip_too_many_entries"
    assert rejection.params == {"count": 65000, "limit": 5000}


def lie_about_size(source, target, part_name, declared_size):
    """Copy `source` with the unpacked size of `part_name` set to `declared_size` in both headers."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        local_offset = archive.getinfo(part_name).header_offset
    struct.pack_into("<L", data, local_offset + 22, declared_size)
    for position, name in central_directory_entries(bytes(data)):
        if name == part_name:
            struct.pack_into("<L", data, position + 24, declared_size)
    target.write_bytes(bytes(data))
    return target


def test_lying_size_counted_while_unpacking(tmp_path, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1 * MIB
    source = rewrite(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "big.xlsx", add=[("xl/media/data.bin", hex_text(2 * MIB))])
    path = lie_about_size(source, tmp_path / "lie.xlsx", "xl/media/data.bin", 100)
    rejection = gate_rejection(path)
    assert rejection.code == "zip_too_large"
    assert rejection.params == {"limit_bytes": MIB}


def test_lying_size_within_limit_rejected_as_corrupt(tmp_path):
    source = rewrite(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "big.xlsx", add=[("xl/media/data.bin", hex_text(5000))])
    path = lie_about_size(source, tmp_path / "lie.xlsx", "xl/media/data.bin", 100)
    assert gate_rejection(path).code == "file_corrupt"


def test_overlapping_entries_rejected(tmp_path):
    source = rewrite(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "two.xlsx", add=[("xl/media/copy.xml", b"<a/>")])
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        sheet_offset = archive.getinfo(SHEET_PART).header_offset
    for position, name in central_directory_entries(bytes(data)):
        if name == "xl/media/copy.xml":
            struct.pack_into("<L", data, position + 42, sheet_offset)
    path = tmp_path / "overlap.xlsx"
    path.write_bytes(bytes(data))
    assert gate_rejection(path).code == "zip_overlap"


# --- XML entity attacks ----------------------------------------------------------


def test_shared_strings_workbook_read(tmp_path):
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    with open_table(source, inspect_upload(source, "shared.xlsx")) as table:
        assert table.header_cells == ("ID Pelanggan", "Nama", "No HP")
        assert list(table.rows())[0] == RawRow(2, ("PLG-0001", "Pelanggan 1", "081200000001"), False)


def test_billion_laughs_in_shared_strings_gate(tmp_path):
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    path = rewrite(source, tmp_path / "laughs.xlsx", replace={"xl/sharedStrings.xml": BILLION_LAUGHS.encode()})
    assert gate_rejection(path).code == "xml_unsafe"


def test_billion_laughs_in_shared_strings_reader(tmp_path):
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    path = rewrite(source, tmp_path / "laughs.xlsx", replace={"xl/sharedStrings.xml": BILLION_LAUGHS.encode()})
    assert reader_rejection(path).code == "xml_unsafe"


def test_billion_laughs_in_sheet_gate(tmp_path):
    sheet = BILLION_LAUGHS.replace("DOCTYPE sst", "DOCTYPE worksheet").replace(
        f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&i;</t></si></sst>',
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row>'
        "</sheetData></worksheet>",
    )
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "laughs.xlsx", replace={SHEET_PART: sheet.encode()})
    assert gate_rejection(path).code == "xml_unsafe"
    assert reader_rejection(path).code == "xml_unsafe"


def test_external_entity_in_sheet_rejected(tmp_path):
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "xxe.xlsx", replace={SHEET_PART: EXTERNAL_ENTITY_SHEET.encode()})
    assert gate_rejection(path).code == "xml_unsafe"
    assert reader_rejection(path).code == "xml_unsafe"


def test_external_entity_in_shared_strings_rejected(tmp_path):
    document = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>'
        f'<sst xmlns="{MAIN_NS}"><si><t>&xxe;</t></si></sst>'
    )
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    path = rewrite(source, tmp_path / "xxe.xlsx", replace={"xl/sharedStrings.xml": document.encode()})
    assert gate_rejection(path).code == "xml_unsafe"
    assert reader_rejection(path).code == "xml_unsafe"


def test_utf16_doctype_rejected(tmp_path):
    source = customer_workbook(tmp_path / "base.xlsx")
    document = EXTERNAL_ENTITY_SHEET.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    path = rewrite(source, tmp_path / "xxe16.xlsx", replace={SHEET_PART: document})
    assert gate_rejection(path).code == "xml_unsafe"
    assert reader_rejection(path).code == "xml_unsafe"


def test_undeclared_entity_rejected_as_corrupt(tmp_path):
    sheet = EXTERNAL_ENTITY_SHEET.replace('<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', "")
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "entity.xlsx", replace={SHEET_PART: sheet.encode()})
    assert reader_rejection(path).code == "file_corrupt"


# --- sheet shapes ----------------------------------------------------------------


def test_dimension_claiming_million_rows_read(tmp_path):
    def ghost_rows(sheet):
        fill = PatternFill("solid", fgColor="FFF2CC")
        for row in range(6, 2006):
            sheet.cell(row=row, column=1).fill = fill
        sheet.cell(row=1_048_576, column=11).fill = fill

    path = customer_workbook(tmp_path / "ghost.xlsx", configure=ghost_rows)
    with zipfile.ZipFile(path) as archive:
        assert b'<dimension ref="A1:K1048576" />' in archive.read(SHEET_PART)
    fmt = inspect_upload(path, "ghost.xlsx")
    with open_table(path, fmt) as table:
        rows = list(table.rows())
    assert rows == [
        RawRow(2, ("PLG-0001", "Pelanggan 1", "081200000001"), False),
        RawRow(3, ("PLG-0002", "Pelanggan 2", "081200000002"), False),
        RawRow(4, ("PLG-0003", "Pelanggan 3", "081200000003"), False),
    ]


def test_header_search_stops_after_row_30(tmp_path):
    ghost_rows = "".join(f'<row r="{number}"><c r="A{number}" s="1"/></row>' for number in range(3, 41))
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Nama</t></is></c><c r="B1" t="inlineStr"><is><t>No HP</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Budi</t></is></c></row>'
        f"{ghost_rows}<row r=\"41\"><c"
    )
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "tail.xlsx", replace={SHEET_PART: sheet.encode()})
    with open_table(path, "xlsx") as table:
        assert table.header_row == 1
        with pytest.raises(FileRejected) as caught:
            list(table.rows())
    assert caught.value.code == "file_corrupt"


def test_cells_at_a1_and_xfd1048576_rejected(tmp_path):
    def far_cell(sheet):
        sheet["XFD1048576"] = "ujung"

    path = customer_workbook(tmp_path / "far.xlsx", configure=far_cell)
    fmt = inspect_upload(path, "far.xlsx")
    rejection = reader_rejection(path, fmt)
    assert rejection.code == "too_many_columns"
    assert rejection.params == {"sheet": "Pelanggan", "column": "XFD", "row": 1_048_576, "limit": 100}


def test_row_with_millions_of_cells_rejected(tmp_path):
    generator = random.Random(3)
    cells = "".join(f"<c><v>{generator.randrange(10**9)}</v></c>" for _ in range(300_000))
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Nama</t></is></c><c r="B1" t="inlineStr"><is><t>No HP</t></is></c></row>'
        f'<row r="2">{cells}</row></sheetData></worksheet>'
    )
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "wide.xlsx", replace={SHEET_PART: sheet.encode()})
    rejection = reader_rejection(path)
    assert rejection.code == "file_corrupt"
    assert str(rejection.__cause__) == "row too large"


def test_deep_nesting_rejected(tmp_path):
    opening = "".join(f"<n{level}>" for level in range(200))
    closing = "".join(f"</n{level}>" for level in reversed(range(200)))
    sheet = f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}">{opening}{"x" * 20000}{closing}<sheetData/></worksheet>'
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "deep.xlsx", replace={SHEET_PART: sheet.encode()})
    rejection = reader_rejection(path)
    assert rejection.code == "file_corrupt"
    assert str(rejection.__cause__) == "XML nesting too deep"


def test_overlapping_merged_ranges_bounded(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 6
    merges = "".join('<mergeCell ref="A2:F4"/>' for _ in range(5000))
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Nama</t></is></c><c r="B1" t="inlineStr"><is><t>No HP</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Sama</t></is></c></row>'
        '<row r="3"><c r="B3" t="inlineStr"><is><t>0811</t></is></c></row>'
        f'</sheetData><mergeCells count="5000">{merges}</mergeCells></worksheet>'
    )
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "merges.xlsx", replace={SHEET_PART: sheet.encode()})
    with open_table(path, "xlsx") as table:
        rows = list(table.rows())
    assert rows == [RawRow(2, ("Sama",) * 6, False), RawRow(3, ("Sama",) * 6, False)]


def test_truncated_sheet_stream_rejected(tmp_path):
    source = customer_workbook(tmp_path / "base.xlsx", rows=50)
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read(SHEET_PART)
    path = rewrite(source, tmp_path / "cut.xlsx", replace={SHEET_PART: sheet[: len(sheet) // 2]})
    assert reader_rejection(path).code == "file_corrupt"


def test_cell_over_excel_limit_named(tmp_path):
    # 5 MB in one cell, beyond the 4 MiB a row may span while it is read.
    # openpyxl cuts a longer text to Excel's limit, so the sheet is edited.
    source = customer_workbook(tmp_path / "base.xlsx")
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read(SHEET_PART)
    assert sheet.count(b"<t>Pelanggan 2</t>") == 1
    sheet = sheet.replace(b"<t>Pelanggan 2</t>", b"<t>" + b"x" * 5_000_000 + b"</t>")
    path = rewrite(source, tmp_path / "nama-panjang.xlsx", replace={SHEET_PART: sheet})

    rejection = reader_rejection(path)

    assert rejection.code == "row_too_large"
    assert rejection.params == {"row": 3, "sheet": "Pelanggan", "cell": "B3"}
    with translation.override("en"):
        assert str(rejection.message) == (
            "Cell B3 of sheet “Pelanggan” is most likely longer than Excel's limit of 32,767 characters: "
            "row 3 passes 4 MB of data there, so the file was not read. Shorten that cell, save the file "
            "and upload it again."
        )


def test_shared_string_over_excel_limit_rejected(tmp_path):
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    with zipfile.ZipFile(source) as original:
        strings = original.read("xl/sharedStrings.xml")
    long_string = b"<si><t>" + b"x" * 5_000_000 + b"</t></si></sst>"
    path = rewrite(source, tmp_path / "teks-panjang.xlsx", replace={"xl/sharedStrings.xml": strings.replace(b"</sst>", long_string)})

    rejection = reader_rejection(path)

    assert rejection.code == "shared_string_too_long"
    with translation.override("en"):
        assert str(rejection.message) == (
            "A cell of the file holds more than 4 MB of text, longer than Excel's limit of 32,767 characters "
            "per cell, so the file was not read. Find that cell, shorten it, save the file and upload it again."
        )


def test_missing_shared_string_rejected(tmp_path, caplog):
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read(SHEET_PART)
    assert b'<c r="A2" t="s"><v>3</v></c>' in sheet
    sheet = sheet.replace(b'<c r="A2" t="s"><v>3</v></c>', b'<c r="A2" t="s"><v>999</v></c>')
    path = rewrite(source, tmp_path / "index.xlsx", replace={SHEET_PART: sheet})
    caplog.set_level(logging.INFO, logger="customers.importing.reader")

    assert reader_rejection(path).code == "file_corrupt"
    # The log names where the reader failed, so a reader bug is not taken for a broken file.
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert re.fullmatch(r"Rejected an unreadable xlsx file[a-z ]*: \w+ at \w+\.py:\d+", messages[0])


def test_stored_zip_workbook_accepted(tmp_path):
    source = customer_workbook(tmp_path / "base.xlsx")
    path = rewrite(source, tmp_path / "stored.xlsx", compression=zipfile.ZIP_STORED)
    assert inspect_upload(path, "stored.xlsx") == "xlsx"
    with open_table(path, "xlsx") as table:
        assert len(list(table.rows())) == 3


def test_zip_with_unsupported_compression_rejected(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    path = tmp_path / "bzip2.xlsx"
    path.write_bytes(buffer.getvalue())
    assert gate_rejection(path).code == "file_corrupt"


# --- shared strings --------------------------------------------------------------


def with_extra_shared_strings(source, target, size):
    """Copy the workbook `source` with about `size` bytes of unused strings added to its shared strings."""
    with zipfile.ZipFile(source) as original:
        strings = original.read("xl/sharedStrings.xml")
    text = hex_text(size).decode()
    extra = "".join(f"<si><t>{text[start:start + 1000]}</t></si>" for start in range(0, size, 1000))
    return rewrite(source, target, replace={"xl/sharedStrings.xml": strings.replace(b"</sst>", extra.encode() + b"</sst>")})


def test_huge_shared_strings_rejected(tmp_path, settings):
    settings.IMPORT_MAX_SHARED_STRINGS_BYTES = 1 * MIB
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    path = with_extra_shared_strings(source, tmp_path / "teks-besar.xlsx", 2 * MIB)
    assert inspect_upload(path, path.name) == "xlsx"

    rejection = reader_rejection(path)

    assert rejection.code == "shared_strings_too_large"
    assert rejection.params == {"limit_bytes": MIB}
    with translation.override("en"):
        assert str(rejection.message) == (
            "The text of the file's cells (its shared strings) unpacks to more than 1.0\xa0MB, the limit "
            "for one import, so it was not read. Split the customers over several files, or delete "
            "other sheets, and upload again."
        )


def test_shared_strings_below_limit_read(tmp_path, settings):
    settings.IMPORT_MAX_SHARED_STRINGS_BYTES = 1 * MIB
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    path = with_extra_shared_strings(source, tmp_path / "teks-kecil.xlsx", MIB // 2)

    with open_table(path, "xlsx") as table:
        rows = [raw.cells[:3] for raw in table.rows()]

    assert rows == [
        ("PLG-0001", "Pelanggan 1", "081200000001"),
        ("PLG-0002", "Pelanggan 2", "081200000002"),
        ("PLG-0003", "Pelanggan 3", "081200000003"),
    ]


def test_too_many_shared_strings_rejected(tmp_path, settings):
    # The header and three rows of three cells make 12 shared strings.
    settings.IMPORT_MAX_SHARED_STRINGS = 11
    path = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "banyak-teks.xlsx")

    rejection = reader_rejection(path)

    assert rejection.code == "shared_strings_too_many"
    assert rejection.params == {"limit": 11}
    with translation.override("en"):
        assert str(rejection.message) == (
            "The file's cells contain more than 11 different texts (its shared strings), the limit for one "
            "import, so it was not read. Split the customers over several files, or delete other sheets, "
            "and upload again."
        )


def test_shared_strings_at_count_limit_read(tmp_path, settings):
    settings.IMPORT_MAX_SHARED_STRINGS = 12
    path = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "cukup-teks.xlsx")

    with open_table(path, "xlsx") as table:
        rows = [raw.cells[:3] for raw in table.rows()]

    assert [row[0] for row in rows] == ["PLG-0001", "PLG-0002", "PLG-0003"]


def test_many_short_shared_strings_rejected(tmp_path):
    # 2,000,001 one-character strings: 34 MB of XML, far below the byte
    # limit, compressed to about 2.4 MB as a random sequence.
    source = with_shared_strings(customer_workbook(tmp_path / "base.xlsx"), tmp_path / "shared.xlsx")
    with zipfile.ZipFile(source) as original:
        strings = original.read("xl/sharedStrings.xml")
    letters = random.Random(7).choices("abcdefghijklmnopqrstuvwxyz0123456789", k=2_000_000 - 12 + 1)
    extra = "".join(f"<si><t>{letter}</t></si>" for letter in letters).encode()
    path = rewrite(source, tmp_path / "pendek.xlsx", replace={"xl/sharedStrings.xml": strings.replace(b"</sst>", extra + b"</sst>")})
    assert inspect_upload(path, path.name) == "xlsx"

    rejection = reader_rejection(path)

    assert rejection.code == "shared_strings_too_many"
    assert rejection.params == {"limit": 2_000_000}
