"""Hand-written workbooks on which calamine and the streaming parser disagree.

Each divergent construct sits below row 30, past the rows that
XlsxSource._calamine_rows compares, so only the scan or the workbook checks
can send the sheet to the streaming parser.
"""

import time
import zipfile
from contextlib import closing

import pytest

from customers.importing.readers import xlsx_fast
from customers.importing.readers.xlsx import MAX_MERGE_BYTES, XlsxSource
from tests.test_reader_fast_path import compare_workbook, typed

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"

# Rows 1-35 that both readers read alike, so the first-rows comparison passes.
PLAIN_ROWS = "".join(
    f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>name {row}</t></is></c><c r="B{row}"><v>{row}</v></c></row>'
    for row in range(1, 36)
)


def sheet_xml(rows, root_attributes=""):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"{root_attributes}>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def write_workbook(path, sheets, shared_strings=None, sheet_tags=None):
    """Write an .xlsx with one part per sheet XML in `sheets` and return `path`.

    `sheet_tags` replaces the <sheet> elements of workbook.xml, whose
    relationship ids are rId1, rId2... in the order of `sheets`.
    """
    relationships = "".join(
        f'<Relationship Id="rId{index}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{index}.xml"/>'
        for index in range(1, len(sheets) + 1)
    )
    if shared_strings is not None:
        relationships += (
            f'<Relationship Id="rId100" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
        )
    if sheet_tags is None:
        sheet_tags = "".join(
            f'<sheet name="Sheet{index}" sheetId="{index}" r:id="rId{index}"/>'
            for index in range(1, len(sheets) + 1)
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}">{relationships}</Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"<sheets>{sheet_tags}</sheets></workbook>",
        )
        for index, sheet in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{index}.xml", sheet)
        if shared_strings is not None:
            archive.writestr(
                "xl/sharedStrings.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">{shared_strings}</sst>',
            )
    return path


def scan_first_sheet(path):
    with zipfile.ZipFile(path) as archive:
        return xlsx_fast.scan_sheet(archive, archive.getinfo("xl/worksheets/sheet1.xml"), MAX_MERGE_BYTES)


def assert_readers_agree(path):
    """Assert that iter_rows yields what the streaming parser yields, or raises as it does."""
    with closing(XlsxSource(path, 100)) as source:
        key = source._sheet_parts[0]
        try:
            expected = typed(source._stream_rows(key, None, {}))
        except Exception as error:
            with pytest.raises(type(error)):
                list(source.iter_rows(0))
            return
        assert typed(source.iter_rows(0)) == expected


@pytest.mark.parametrize(
    "late_rows",
    [
        # The float of the text is whole, so calamine's value becomes an int.
        '<row r="40"><c r="A40"><v>1.00000000000000001</v></c></row>',
        '<row r="40"><c r="A40"><v>999999999999999.99999</v></c></row>',
        # The cell reference names another row than <row r>.
        '<row r="40"><c r="A41"><v>1</v></c></row>',
        '<row r="40"><c r="A33"><v>7</v></c></row>',
        # A tab or line feed before an attribute hid it from the type patterns.
        '<row r="40"><c r="A40"\tt="e"><v>0</v></c></row>',
        '<row r="40"><c r="A40"\nt="d"><v>2020</v></c></row>',
        # An empty second cell with the same reference empties calamine's cell.
        '<row r="40"><c r="A40"><v>1</v></c><c r="A40" t="inlineStr"><is><t></t></is></c></row>',
        '<row r="40"><c r="A40"><v>1</v></c><c r="A40" t="inlineStr"><is></is></c></row>',
        # <is> in a cell that is not t="inlineStr", or <v> in one that is.
        '<row r="40"><c r="A40" t="s"><is><t>x</t></is></c></row>',
        '<row r="40"><c r="A40"><is><t>x</t></is></c></row>',
        '<row r="40"><c r="A40" t="inlineStr"><v>5</v></c></row>',
        '<row r="40"><c r="A40" t="inlineStr"><v>3</v><is><t>a</t></is></c></row>',
        # Malformed XML: the streaming parser rejects it, calamine read it.
        '<row r="40"><c r="A40"><v>1</v></c></rowx>',
    ],
)
def test_scan_declines_late_divergence(tmp_path, late_rows):
    path = write_workbook(tmp_path / "book.xlsx", [sheet_xml(PLAIN_ROWS + late_rows)])
    assert scan_first_sheet(path).plain is False
    assert_readers_agree(path)


def test_scan_declines_prefixed_cell(tmp_path):
    # calamine read <o:c> by local name and aborted the process allocating a
    # grid to XFD1048576 (512 GiB), so calamine must never see this sheet.
    rows = PLAIN_ROWS + '<row r="40"><o:c r="XFD1048576"><o:v>9</o:v></o:c></row>'
    path = write_workbook(tmp_path / "book.xlsx", [sheet_xml(rows, ' xmlns:o="urn:example"')])
    assert scan_first_sheet(path).plain is False
    assert_readers_agree(path)


@pytest.mark.parametrize(
    "comment",
    [
        '<t xml:space="preserve">a</t>' + " </t>" * 190_000,
        "<t a " * 190_000,
        '<row r="1" ' * 90_000,
    ],
)
def test_scan_time_linear(tmp_path, comment):
    # Under 1 MB of sheet XML, so the gate does not check its compression
    # ratio. The old scan took 44 s and 250 s on the first two.
    rows = PLAIN_ROWS + f"<!--{comment}-->"
    path = write_workbook(tmp_path / "book.xlsx", [sheet_xml(rows)])
    started = time.monotonic()
    scan = scan_first_sheet(path)
    assert time.monotonic() - started < 5
    assert scan.plain is False


@pytest.mark.parametrize(
    "items",
    [
        # An <si> in another namespace: calamine counts it, the streaming parser does not.
        '<si><t>a</t></si><si xmlns="urn:example"><t>b</t></si><si><t>c</t></si>',
        '<si><t>a</t><o:t xmlns:o="urn:example">b</o:t></si><si><t>c</t></si>',
        '<si><t>a</t><si><t>x</t></si></si><si><t>c</t></si>',
        # calamine trims unless the attribute is xml:space="preserve".
        '<si><t foo="preserve"> a </t></si><si><t> b </t></si><si><t>c</t></si>',
        # An empty item lets a second cell with the same reference empty the first.
        "<si><t/></si><si><t>b</t></si><si><t>c</t></si>",
    ],
)
def test_workbook_check_declines_shared_strings(tmp_path, items):
    late_rows = (
        '<row r="40"><c r="A40" t="s"><v>1</v></c><c r="B40"><v>1</v></c><c r="B40" t="s"><v>0</v></c></row>'
    )
    path = write_workbook(tmp_path / "book.xlsx", [sheet_xml(PLAIN_ROWS + late_rows)], shared_strings=items)
    with closing(XlsxSource(path, 100)) as source:
        assert source._workbook_plain() is False
    assert_readers_agree(path)


@pytest.mark.parametrize(
    "sheet_tags",
    [
        # calamine reads the first sheet of a name for both.
        '<sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Data" sheetId="2" r:id="rId2"/>',
        # The streaming parser takes the unprefixed id, calamine r:id.
        '<sheet name="Data" sheetId="1" id="rId2" r:id="rId1"/>',
    ],
)
def test_workbook_check_declines_ambiguous_sheet(tmp_path, sheet_tags):
    first = sheet_xml(PLAIN_ROWS + '<row r="40"><c r="A40"><v>1</v></c></row>')
    second = sheet_xml(PLAIN_ROWS + '<row r="40"><c r="A40"><v>2</v></c></row>')
    path = write_workbook(tmp_path / "book.xlsx", [first, second], sheet_tags=sheet_tags)
    fast_path_by_sheet = compare_workbook(path)
    assert not any(fast_path_by_sheet.values())


def test_plain_late_rows_take_fast_path(tmp_path):
    late_rows = (
        '<row r="40"><c r="A40" t="inlineStr"><is><t>Ani</t></is></c><c r="B40"><v>0.1</v></c>'
        '<c r="C40" t="inlineStr"/><c r="D40" t="s"><v>0</v></c></row>'
    )
    path = write_workbook(tmp_path / "book.xlsx", [sheet_xml(PLAIN_ROWS + late_rows)], shared_strings="<si><t>b</t></si>")
    assert compare_workbook(path)[0] is True
