"""Streaming reader for OpenDocument spreadsheets (.ods).

content.xml is streamed with the same safeguards as .xlsx sheets (see
xmlsafe.py). OpenDocument compresses runs of equal rows and cells with
number-rows-repeated and number-columns-repeated; a crafted file can claim a
billion of them. Empty repeats only advance the row or column counter, and
non-empty repeated cells are expanded only up to the column limit, so no
repeat count turns into memory. Non-empty repeated rows are yielded one by
one and stop when the reader's row limit rejects the file.
"""

import datetime
import re
import zipfile

from customers.importing.cells import ErrorCell, FormulaWithoutValue
from customers.importing.gate import ODS_REPEATED_ROWS, max_ods_repeated_rows
from customers.importing.problems import FileRejected
from customers.importing.readers.base import SheetInfo, SheetRow
from customers.importing.readers.xmlsafe import EventStream

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"

TABLE_TAG = TABLE + "table"
ROW_TAG = TABLE + "table-row"
CELL_TAG = TABLE + "table-cell"
COVERED_CELL_TAG = TABLE + "covered-table-cell"
PARAGRAPH_TAGS = (TEXT + "p", TEXT + "h")
SPACE_TAG = TEXT + "s"
TAB_TAG = TEXT + "tab"
LINE_BREAK_TAG = TEXT + "line-break"
ANNOTATION_TAG = OFFICE + "annotation"
STYLE_TAG = STYLE + "style"
TABLE_PROPERTIES_TAG = STYLE + "table-properties"

VALUE_TYPE = OFFICE + "value-type"
CALC_VALUE_TYPE = CALCEXT + "value-type"
NUMBER_TYPES = ("float", "percentage", "currency")

# Maximum text length of one cell. A <text:s> element can repeat a space any
# number of times, so the length is checked while the text is assembled.
MAX_CELL_TEXT = 1_000_000
# OpenDocument collapses each run of spaces, tabs and line breaks in
# paragraph text to one space; repeated spaces are written as <text:s>.
WHITESPACE_RUN = re.compile(r"[ \t\r\n]+")
DURATION = re.compile(r"^-?P(?:\d+D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def _repeat(value):
    """Return a repeat count attribute as an int of at least 1."""
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


class OdsSource:
    """An .ods file opened for streaming its content.xml."""

    date1904 = False

    def __init__(self, path, max_columns):
        self.max_columns = max_columns
        self._archive = zipfile.ZipFile(path)
        try:
            parts = {info.filename.replace("\\", "/").lstrip("/").lower(): info for info in self._archive.infolist()}
            self._content = parts["content.xml"]
            self.sheets = self._read_sheets()
        except BaseException:
            self._archive.close()
            raise

    def close(self):
        self._archive.close()

    def _events(self, events=("start", "end")):
        return EventStream(lambda: self._archive.open(self._content), events)

    def _read_sheets(self):
        """List the top-level tables; a table whose style has display="false" is hidden."""
        hidden_styles = set()
        style_name = None
        tables = []
        depth = 0
        for event, element in self._events():
            tag = element.tag
            if event == "start":
                if tag == STYLE_TAG:
                    style_name = element.get(STYLE + "name")
                elif tag == TABLE_PROPERTIES_TAG and element.get(TABLE + "display") == "false":
                    hidden_styles.add(style_name)
                elif tag == TABLE_TAG:
                    if depth == 0:
                        tables.append((element.get(TABLE + "name") or "", element.get(TABLE + "style-name")))
                    depth += 1
            elif tag == TABLE_TAG:
                depth -= 1
        return [SheetInfo(name=name, visible=style not in hidden_styles) for name, style in tables]

    def iter_rows(self, sheet_index, last_row=None):
        """Yield the SheetRow of every non-empty row of the sheet, expanding repeats.

        Parsing stops at the first row numbered above `last_row`, when given.
        Raises FileRejected("ods_repeated_rows") once the copies of repeated
        non-empty rows pass max_ods_repeated_rows().
        """
        max_copies = max_ods_repeated_rows()
        copies = 0
        stream = self._events()
        table_number = -1
        depth = 0
        row_number = 1
        for event, element in stream:
            tag = element.tag
            if tag == TABLE_TAG:
                if event == "start":
                    depth += 1
                    if depth == 1:
                        table_number += 1
                else:
                    depth -= 1
                    if depth == 0 and table_number == sheet_index:
                        return
                continue
            if tag != ROW_TAG or depth != 1 or table_number != sheet_index:
                continue
            if event == "start":
                stream.keep = element
                continue

            if last_row is not None and row_number > last_row:
                return
            repeat = _repeat(element.get(TABLE + "number-rows-repeated"))
            cells, overflow, spans = self._row_cells(element)
            if not cells and overflow is None:
                row_number += repeat
                continue
            hidden = element.get(TABLE + "visibility") in ("collapse", "filter")
            first_copy_row = row_number
            for copy in range(repeat):
                if last_row is not None and row_number > last_row:
                    return
                if copy:
                    copies += 1
                    if copies > max_copies:
                        raise FileRejected(
                            ODS_REPEATED_ROWS,
                            sheet=self.sheets[sheet_index].name,
                            row=first_copy_row,
                            rows=repeat,
                            limit=max_copies,
                        )
                merges = tuple(
                    (first, last, row_number + rows - 1) for first, last, rows in spans
                ) if copy == 0 else ()
                yield SheetRow(row_number, list(cells), hidden, overflow, merges)
                row_number += 1

    def _row_cells(self, row):
        """Return (cells, overflow column, spans) of a complete row element.

        Spans are (first column, last column, rows spanned) of cells that
        start a merged range.
        """
        max_columns = self.max_columns
        cells = []
        overflow = None
        spans = []
        column = 0
        for cell in row:
            if cell.tag != CELL_TAG and cell.tag != COVERED_CELL_TAG:
                continue
            repeat = _repeat(cell.get(TABLE + "number-columns-repeated"))
            value = self._cell_value(cell)
            if value is not None:
                if cell.tag == CELL_TAG:
                    columns_spanned = _repeat(cell.get(TABLE + "number-columns-spanned"))
                    rows_spanned = _repeat(cell.get(TABLE + "number-rows-spanned"))
                    if columns_spanned > 1 or rows_spanned > 1:
                        spans.append((column, column + columns_spanned - 1, rows_spanned))
                stored = max(0, min(repeat, max_columns - column))
                if stored:
                    if len(cells) < column:
                        cells.extend([None] * (column - len(cells)))
                    cells[column:column + stored] = [value] * stored
                if stored < repeat and overflow is None:
                    overflow = column + stored
            column += repeat
        return cells, overflow, spans

    def _cell_value(self, cell):
        value_type = cell.get(VALUE_TYPE)
        formula = cell.get(TABLE + "formula")
        if cell.get(CALC_VALUE_TYPE) == "error":
            return ErrorCell(_cell_text(cell) or "#N/A")
        if value_type is None:
            if formula:
                return FormulaWithoutValue(formula)
            return _cell_text(cell) or None
        if value_type in NUMBER_TYPES:
            return _number(cell.get(OFFICE + "value"), cell)
        if value_type == "date":
            return _date(cell.get(OFFICE + "date-value"))
        if value_type == "time":
            return _time(cell.get(OFFICE + "time-value"))
        if value_type == "boolean":
            return (cell.get(OFFICE + "boolean-value") or "").lower() in ("true", "1")
        text = cell.get(OFFICE + "string-value")
        if text is None:
            text = _cell_text(cell)
        return text or None


def _number(text, cell):
    if not text:
        return _cell_text(cell) or None
    try:
        if "." in text or "e" in text or "E" in text:
            return float(text)
        return int(text)
    except ValueError:
        return _cell_text(cell) or text


def _date(text):
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            value = datetime.date.fromisoformat(text.strip())
        except ValueError:
            return text
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    return datetime.datetime(value.year, value.month, value.day)


def _time(text):
    match = DURATION.match((text or "").strip())
    if not match:
        return text or None
    hours, minutes, seconds = int(match.group(1) or 0), int(match.group(2) or 0), float(match.group(3) or 0)
    if hours >= 24 or minutes >= 60 or seconds >= 60:
        return text
    whole = int(seconds)
    return datetime.time(hours, minutes, whole, round((seconds - whole) * 1_000_000) % 1_000_000)


def _cell_text(cell):
    """Return the text of a cell's paragraphs, joined by line breaks; comments left out."""
    paragraphs = []
    budget = [MAX_CELL_TEXT]
    for child in cell:
        if child.tag in PARAGRAPH_TAGS:
            parts = []
            _collect_text(child, parts, budget)
            paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def _collect_text(element, parts, budget):
    _append(parts, element.text, budget)
    for child in element:
        tag = child.tag
        if tag == SPACE_TAG:
            _append(parts, " " * min(_repeat(child.get(TEXT + "c")), budget[0] + 1), budget, collapse=False)
        elif tag == TAB_TAG:
            _append(parts, "\t", budget, collapse=False)
        elif tag == LINE_BREAK_TAG:
            _append(parts, "\n", budget, collapse=False)
        elif tag != ANNOTATION_TAG:
            _collect_text(child, parts, budget)
        _append(parts, child.tail, budget)


def _append(parts, text, budget, collapse=True):
    if not text:
        return
    if collapse:
        text = WHITESPACE_RUN.sub(" ", text)
    budget[0] -= len(text)
    if budget[0] < 0:
        raise ValueError("cell text too long")
    parts.append(text)
