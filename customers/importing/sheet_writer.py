"""A streaming .xlsx writer of sheets of plain values, for workbooks too
large to write through openpyxl.

openpyxl builds a cell object and an XML element for every cell, which took
about 35 s for 100,000 problem rows on a 2-core machine. This writer formats each row as XML text
and streams it into the ZIP archive, with inline strings (no shared-string
table to keep in memory) and a fixed table of cell styles.
"""

import datetime
import io
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from customers.importing.spreadsheet import FORMULA_TRIGGERS

# Excel keeps at most this many characters in a cell, and openpyxl cuts longer text the same way.
MAX_CELL_CHARACTERS = 32767


class Style:
    """Indices into the cellXfs table of STYLES_XML."""

    GENERAL = 0
    TEXT = 2
    HEADER = 4
    DATE = 6
    DATE_TIME = 7
    TIME = 8
    DURATION = 9
    # A text cell starting with a formula trigger uses the next index, the
    # same style with quotePrefix, so no spreadsheet program runs it as a formula.
    QUOTED = 1


STYLES_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/><numFmt numFmtId="166" formatCode="[hh]:mm:ss"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b val="1"/><color rgb="00FFFFFF"/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="001E8E3E"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="10">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" quotePrefix="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="21" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>
"""

CONTENT_TYPES_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{sheets}
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>
"""

ROOT_RELS_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>
"""

WORKBOOK_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>{sheets}</sheets>
</workbook>
"""

WORKBOOK_RELS_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
{sheets}
</Relationships>
"""
SHEET_CONTENT_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{number}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
SHEET_ENTRY = '<sheet name="{name}" sheetId="{number}" r:id="rId{number}"/>'
SHEET_RELATIONSHIP = (
    '<Relationship Id="rId{number}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet{number}.xml"/>'
)

SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = "</sheetData></worksheet>"

ATTRIBUTE_ESCAPES = {'"': "&quot;"}


def format_cell(reference, value, style):
    """Return the <c> element of one cell as XML text, or "" for an unstyled empty cell.

    `style` is a Style index. Text starting with a formula trigger gets the
    next index, which is the same style with quotePrefix.
    """
    if value is None:
        return f'<c r="{reference}" s="{style}"/>' if style else ""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_CHARACTERS]
        if text.startswith(FORMULA_TRIGGERS):
            style += Style.QUOTED
        return f'<c r="{reference}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{reference}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{reference}" s="{style}"><v>{value}</v></c>'
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        return f'<c r="{reference}" s="{style}"><v>{to_excel(value)}</v></c>'
    raise TypeError(f"Cannot write a {type(value).__name__} to a sheet cell.")


def date_style(value):
    """Return the Style a date or time value gets in a column without a fixed format."""
    if isinstance(value, datetime.datetime):
        # A midnight time is a plain date as typed, shown without 00:00.
        return Style.DATE if value.time() == datetime.time(0, 0) else Style.DATE_TIME
    if isinstance(value, datetime.date):
        return Style.DATE
    if isinstance(value, datetime.time):
        return Style.TIME
    if isinstance(value, datetime.timedelta):
        return Style.DURATION
    return Style.GENERAL


class RowBuffer:
    """Sheet rows formatted as XML text and written to the binary file `out`
    every `flush_rows` rows, numbered from `first_row`."""

    def __init__(self, out, first_row=1, flush_rows=2000):
        self.out = out
        self.flush_rows = flush_rows
        self.next_row = first_row
        self.parts = []
        self._letters = []

    def _letter(self, index):
        while len(self._letters) <= index:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters[index]

    def append(self, cells):
        """Append one row of (value, style) pairs."""
        number = self.next_row
        self.next_row += 1
        xml = "".join(format_cell(f"{self._letter(index)}{number}", value, style) for index, (value, style) in enumerate(cells))
        self.parts.append(f'<row r="{number}">{xml}</row>')
        if len(self.parts) >= self.flush_rows:
            self.flush()

    def flush(self):
        self.out.write("".join(self.parts).encode("utf-8"))
        self.parts.clear()


def write_workbook(out, sheet_name, header, body_file, more_sheets=()):
    """Write an .xlsx to the binary file `out`.

    `header` is the first sheet's first row as (value, style) pairs, and
    `body_file` a binary file of the XML of the rows after it, from a
    RowBuffer started at row 2. `more_sheets` are (name, header, body_file)
    of the sheets after the first, in order.
    """
    sheets = [(sheet_name, header, body_file), *more_sheets]
    numbers = range(1, len(sheets) + 1)
    entries = "".join(
        SHEET_ENTRY.format(name=escape(name, ATTRIBUTE_ESCAPES), number=number)
        for number, (name, _header, _body) in zip(numbers, sheets)
    )
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(
            "[Content_Types].xml", CONTENT_TYPES_XML.format(sheets="".join(SHEET_CONTENT_TYPE.format(number=n) for n in numbers))
        )
        archive.writestr("_rels/.rels", ROOT_RELS_XML)
        archive.writestr("xl/workbook.xml", WORKBOOK_XML.format(sheets=entries))
        archive.writestr(
            "xl/_rels/workbook.xml.rels", WORKBOOK_RELS_XML.format(sheets="".join(SHEET_RELATIONSHIP.format(number=n) for n in numbers))
        )
        archive.writestr("xl/styles.xml", STYLES_XML)
        for number, (_name, sheet_header, sheet_body) in zip(numbers, sheets):
            _write_sheet(archive, number, sheet_header, sheet_body)


def _write_sheet(archive, number, header, body_file):
    """Write the worksheet part of sheet `number` (from 1) to the open ZIP `archive`."""
    header_buffer = io.BytesIO()
    header_rows = RowBuffer(header_buffer)
    header_rows.append(header)
    header_rows.flush()
    with archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as sheet:
        sheet.write(SHEET_START.encode("utf-8"))
        sheet.write(header_buffer.getvalue())
        body_file.seek(0)
        while chunk := body_file.read(1 << 20):
            sheet.write(chunk)
        sheet.write(SHEET_END.encode("utf-8"))
