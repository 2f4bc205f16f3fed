"""Streaming reader for .xlsx and .xlsm workbooks (Office Open XML).

openpyxl's read-only mode hides merged cells, hidden rows and formulas saved
without a result, and it reads a 100,000-row sheet in about 10 s. So this
module reads the package itself:

- workbook.xml for sheet names, visibility and the date system,
- the relationships for part paths,
- sharedStrings.xml,
- the number formats of styles.xml, to tell dates from numbers,
- each sheet's XML, streamed row by row (xmlsafe.py keeps entity attacks out).

Transitional and Strict namespaces, any namespace prefix, UTF-8 and UTF-16
parts, and ZIP entry names with backslashes are accepted.
"""

import codecs
import datetime
import logging
import posixpath
import re
import zipfile

import python_calamine

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import from_ISO8601

from customers.importing.cells import ErrorCell, FormulaWithoutValue
from customers.importing.gate import (
    ROW_TOO_LARGE,
    SHARED_STRING_TOO_LONG,
    SHARED_STRINGS_TOO_LARGE,
    SHARED_STRINGS_TOO_MANY,
    max_shared_strings,
    max_shared_strings_bytes,
)
from customers.importing.problems import FileRejected
from customers.importing.readers import xlsx_fast
from customers.importing.readers.base import (
    EXCEL_MAX_COLUMNS,
    SheetInfo,
    SheetRow,
    column_index,
    column_letter,
    excel_serial_to_datetime,
)
from customers.importing.readers.xmlsafe import (
    CHUNK_BYTES,
    MAX_CHUNKS_PER_ITEM,
    ElementTooLarge,
    EventStream,
    check_prolog,
    namespace_of,
    new_pull_parser,
    prune_open_path,
)

# Built-in number format ids that display a date or time. openpyxl 3.1
# lists the "all languages" ids of ISO/IEC 29500-1 section 18.8.30. The
# language-specific date ids (27-36 and 50-58 East Asian, 71-81 Thai) are
# added here. Duration formats such as [h]:mm:ss (id 46) are not dates, so
# their cells stay numbers.
DATE_FORMAT_IDS = frozenset(
    {
        format_id
        for format_id, code in BUILTIN_FORMATS.items()
        if is_date_format(code) and not is_timedelta_format(code)
    }
    | set(range(27, 37))
    | set(range(50, 59))
    | set(range(71, 82))
)

# mergeCell elements come after the sheet's rows, so their ranges are
# collected by a byte scan before the rows are read. XML text cannot contain
# a raw "<", so the pattern matches only real tags (or text in comments).
MERGE_CELL_PATTERN = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
CELL_RANGE_PATTERN = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")
# Maximum bytes of mergeCell markup kept for the scan. 100,000 ranges take about 3 MB.
MAX_MERGE_BYTES = 32 * 1024 * 1024
MERGE_SCAN_CHUNK = 1024 * 1024

# The <dimension> element comes before <sheetData>, after at most a few small
# elements, so it is looked for in the first bytes of the sheet part only.
DIMENSION_PATTERN = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
SHEET_DATA_PATTERN = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheetData\b")
DIMENSION_SCAN_BYTES = 64 * 1024

# Excel's escape for characters XML cannot hold, such as _x000D_ for a carriage return.
ESCAPED_CHARACTER = re.compile(r"_x([0-9A-Fa-f]{4})_")

# Rows read by both calamine and the streaming parser and compared before
# calamine's rows are used: the header search covers the same rows.
VERIFY_ROWS = 30

logger = logging.getLogger(__name__)

DIGITS = "0123456789"
TRUE_WORDS = ("1", "true")


def _unescape(text):
    if "_x" not in text:
        return text
    return ESCAPED_CHARACTER.sub(lambda match: chr(int(match.group(1), 16)), text)


def _part_key(name):
    return name.replace("\\", "/").lstrip("/").lower()


def _rels_key(part_key):
    folder, name = posixpath.split(part_key)
    return posixpath.join(folder, "_rels", name + ".rels")


def _attribute(element, local_name):
    """Return the attribute `local_name` of `element` in any namespace."""
    value = element.get(local_name)
    if value is not None:
        return value
    suffix = "}" + local_name
    for key, value in element.attrib.items():
        if key.endswith(suffix):
            return value
    return None


class XlsxSource:
    """An .xlsx or .xlsm package opened for streaming.

    Raises ValueError, KeyError, zipfile.BadZipFile or ParseError for a
    broken package; the reader turns them into FileRejected. When
    `opening_progress` is set, the sheet scan before the rows calls it with
    the share of the sheet scanned (see xlsx_fast.scan_sheet). Once the
    first row is read, `row_tags` is the number of rows in the sheet's XML.
    """

    opening_progress = None
    # The row start tags of the sheet last scanned by iter_rows, None before.
    row_tags = None

    def __init__(self, path, max_columns):
        self.max_columns = max_columns
        self._style_count = 0
        # Whether calamine may read this workbook's plain sheets: None until checked.
        self._calamine_allowed = None
        # Column letters already converted, such as {"A": 0, "AB": 27}.
        self._column_indices = {}
        self._archive = zipfile.ZipFile(path)
        try:
            self._parts = {_part_key(info.filename): info for info in self._archive.infolist()}
            workbook_key = self._main_part_key()
            self._workbook_key = workbook_key
            self._workbook_folder = posixpath.dirname(workbook_key)
            relationships = self._relationships(workbook_key)
            self.date1904 = False
            self.sheets = []
            self._sheet_parts = []
            self._read_workbook(workbook_key, relationships)
            self._shared_strings = self._read_shared_strings(relationships)
            self._date_styles = self._read_date_styles(relationships)
        except BaseException:
            self._archive.close()
            raise

    def close(self):
        self._archive.close()

    # --- package structure ------------------------------------------------

    def _opener(self, key):
        info = self._parts[key]
        return lambda: self._archive.open(info)

    def _events(self, key):
        return EventStream(self._opener(key))

    def _main_part_key(self):
        if "_rels/.rels" in self._parts:
            for _event, element in self._events("_rels/.rels"):
                target = element.get("Target")
                if (element.get("Type") or "").endswith("/officeDocument") and target:
                    return _part_key(target)
        return "xl/workbook.xml"

    def _relationships(self, part_key):
        """Return {relationship id: (type suffix, part key)} for a part's relationships."""
        rels_key = _rels_key(part_key)
        if rels_key not in self._parts:
            return {}
        folder = posixpath.dirname(part_key)
        relationships = {}
        for _event, element in self._events(rels_key):
            target = element.get("Target")
            if target is None or element.get("TargetMode") == "External":
                continue
            target = target.replace("\\", "/")
            if target.startswith("/"):
                key = _part_key(target)
            else:
                key = _part_key(posixpath.normpath(posixpath.join(folder, target)))
            kind = (element.get("Type") or "").rpartition("/")[2]
            relationships[element.get("Id")] = (kind, key)
        return relationships

    def _related_part(self, relationships, kind, fallback):
        for relationship_kind, key in relationships.values():
            if relationship_kind == kind and key in self._parts:
                return key
        fallback_key = posixpath.join(self._workbook_folder, fallback)
        return fallback_key if fallback_key in self._parts else None

    def _read_workbook(self, workbook_key, relationships):
        for _event, element in self._events(workbook_key):
            local = element.tag.rpartition("}")[2]
            if local == "workbookPr":
                self.date1904 = (element.get("date1904") or "").lower() in TRUE_WORDS
            elif local == "sheet":
                name = element.get("name") or ""
                state = element.get("state") or "visible"
                kind, key = relationships.get(_attribute(element, "id"), (None, None))
                readable = kind == "worksheet" and key in self._parts
                self.sheets.append(SheetInfo(name=name, visible=state == "visible", readable=readable))
                self._sheet_parts.append(key if readable else None)

    def _read_shared_strings(self, relationships):
        key = self._related_part(relationships, "sharedStrings", "sharedStrings.xml")
        self._shared_strings_key = key
        if key is None:
            return []
        # The gate has checked that every part unpacks to its declared size.
        # The strings are held in memory here and again by calamine, so they are bounded.
        limit = max_shared_strings_bytes()
        if self._parts[key].file_size > limit:
            raise FileRejected(SHARED_STRINGS_TOO_LARGE, limit_bytes=limit)
        # Short strings pass the byte limit by the million, so their number is bounded too.
        max_count = max_shared_strings()
        strings = []
        events = self._events(key)
        item_tag = None
        pending = None
        try:
            for _event, element in events:
                if item_tag is None:
                    item_tag = namespace_of(element.tag) + "si"
                    self._set_tags(namespace_of(element.tag))
                    continue
                if element.tag == item_tag:
                    if pending is not None:
                        strings.append(self._rich_text(pending))
                        if len(strings) >= max_count:
                            raise FileRejected(SHARED_STRINGS_TOO_MANY, limit=max_count)
                    pending = element
                    events.keep = element
        except ElementTooLarge:
            # Only the string being read is kept, so it alone spans the chunks.
            raise FileRejected(SHARED_STRING_TOO_LONG) from None
        if pending is not None:
            strings.append(self._rich_text(pending))
        return strings

    def _read_date_styles(self, relationships):
        """Return the cell style indices (as attribute strings) whose number format is a date."""
        key = self._related_part(relationships, "styles", "styles.xml")
        self._styles_key = key
        if key is None:
            return frozenset()
        custom_formats = {}
        cell_format_ids = []
        section = None
        for _event, element in self._events(key):
            local = element.tag.rpartition("}")[2]
            if local in ("numFmts", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "fonts", "fills", "borders"):
                section = local
            elif local == "numFmt" and section == "numFmts":
                try:
                    custom_formats[int(element.get("numFmtId"))] = element.get("formatCode") or ""
                except (TypeError, ValueError):
                    continue
            elif local == "xf" and section == "cellXfs":
                try:
                    cell_format_ids.append(int(element.get("numFmtId") or 0))
                except ValueError:
                    cell_format_ids.append(0)

        self._style_count = len(cell_format_ids)
        date_styles = set()
        for index, format_id in enumerate(cell_format_ids):
            code = custom_formats.get(format_id)
            if code is None:
                is_date = format_id in DATE_FORMAT_IDS
            else:
                is_date = is_date_format(code) and not is_timedelta_format(code)
            if is_date:
                date_styles.add(str(index))
        return frozenset(date_styles)

    # --- cells --------------------------------------------------------------

    def _set_tags(self, namespace):
        self._tag_t = namespace + "t"
        self._tag_r = namespace + "r"

    def _rich_text(self, element):
        """Return the text of an <si> or <is> element: its <t>, or the <t> of its runs.

        Phonetic runs (<rPh>) are left out.
        """
        tag_t = self._tag_t
        tag_r = self._tag_r
        parts = []
        for child in element:
            if child.tag == tag_t:
                parts.append(child.text or "")
            elif child.tag == tag_r:
                for run_child in child:
                    if run_child.tag == tag_t:
                        parts.append(run_child.text or "")
        return _unescape("".join(parts))

    # --- rows ---------------------------------------------------------------

    def iter_rows(self, sheet_index, last_row=None):
        """Yield the SheetRow of every <row> of a sheet that has a value, in file order.

        Parsing stops at the first row numbered above `last_row`, when given.
        Merged ranges are then left out of the rows, because only the header
        search passes `last_row` and it does not use them. Without
        `last_row`, a plain sheet (see xlsx_fast.py) is read by calamine, and
        the streaming parser takes over from the first row calamine cannot
        convert with certainty.
        """
        key = self._sheet_parts[sheet_index]
        if last_row is not None:
            yield from self._stream_rows(key, last_row, {})
            return

        scan = xlsx_fast.scan_sheet(
            self._archive, self._parts[key], MAX_MERGE_BYTES, on_progress=self.opening_progress
        )
        self.row_tags = scan.row_tags
        markup = self._merge_markup(key) if scan.merge_markup is None else scan.merge_markup
        merges = _merged_ranges(markup)
        first_row = 1
        if scan.plain and self._calamine_may_read(sheet_index, key):
            first_row = yield from self._calamine_rows(sheet_index, key)
            if first_row is None:
                return
        elif not scan.plain:
            logger.debug("Sheet %s read by the streaming parser: %s", sheet_index, scan.reason)
        yield from self._stream_rows(key, None, merges, first_row)

    def _stream_rows(self, key, last_row, merges, first_row=1):
        """Yield the SheetRows of the sheet part `key` parsed by the streaming parser.

        Rows numbered below `first_row` are parsed but not converted. A row
        is read when the next row starts (or the sheet ends), because it
        is complete then. Finished elements are pruned after every chunk, so
        memory stays flat whatever the sheet's size.
        """

        with self._archive.open(self._parts[key]) as stream:
            check_prolog(stream)

        parser = new_pull_parser()
        with self._archive.open(self._parts[key]) as stream:
            root = _read_root(parser, stream)
            namespace = namespace_of(root.tag)
            row_tag = namespace + "row"
            self._set_cell_tags(namespace)
            pending = None
            pending_number = 0
            chunk_number = pending_chunk = 0
            finished = False
            while True:
                for _event, element in parser.read_events():
                    if element.tag == row_tag:
                        if pending is not None and len(pending) and pending_number >= first_row:
                            row = self._convert_row(pending, pending_number, merges)
                            if row is not None:
                                yield row
                        number = element.get("r")
                        pending_number = int(number) if number else pending_number + 1
                        if pending_number < 1:
                            raise ValueError("row number below 1")
                        if last_row is not None and pending_number > last_row:
                            return
                        pending = element
                        pending_chunk = chunk_number
                if finished:
                    break
                if pending is not None and chunk_number - pending_chunk > MAX_CHUNKS_PER_ITEM:
                    raise self._row_too_large(key, pending, pending_number)
                prune_open_path(root, pending)

                chunk = stream.read(CHUNK_BYTES)
                chunk_number += 1
                if chunk:
                    parser.feed(chunk)
                else:
                    # close() raises ParseError for a truncated sheet and queues the last events.
                    parser.close()
                    finished = True
        if pending is not None and len(pending) and pending_number >= first_row:
            row = self._convert_row(pending, pending_number, merges)
            if row is not None:
                yield row

    def _row_too_large(self, key, row, number):
        """Return the error for the <row> element `row`, numbered `number`,
        that spans more than MAX_CHUNKS_PER_ITEM chunks.

        A row of at most Excel's number of cells rarely gets that far unless
        a cell is longer than Excel allows, so the cell being read when the
        bound ran out is named. A row with more cells was not written by a
        spreadsheet program, so it is reported as a damaged file.
        """
        if not len(row) or len(row) > EXCEL_MAX_COLUMNS:
            return ValueError("row too large")
        cell = row[-1].get("r") or f"{column_letter(len(row) - 1)}{number}"
        sheet = self.sheets[self._sheet_parts.index(key)].name
        return FileRejected(ROW_TOO_LARGE, row=number, sheet=sheet, cell=cell)

    def _set_cell_tags(self, namespace):
        self._set_tags(namespace)
        self._tag_c = namespace + "c"
        self._tag_v = namespace + "v"
        self._tag_f = namespace + "f"
        self._tag_is = namespace + "is"

    def _convert_row(self, element, number, merges):
        """Return the SheetRow of a complete <row> element, or None when it has no values.

        The common cells (numbers, shared strings, plain inline strings) are
        decoded inline because this loop runs once per cell; the rest go
        through _cell_value.
        """
        tag_c = self._tag_c
        tag_v = self._tag_v
        tag_t = self._tag_t
        tag_is = self._tag_is
        shared_strings = self._shared_strings
        date_styles = self._date_styles
        max_columns = self.max_columns
        columns = self._column_indices
        cells = []
        overflow = None
        column = -1
        for cell in element:
            if cell.tag != tag_c:
                continue
            reference = cell.get("r")
            if reference is None:
                column += 1
            else:
                letters = reference.rstrip(DIGITS)
                column = columns.get(letters)
                if column is None:
                    column = column_index(letters)
                    if len(letters) <= 3:
                        columns[letters] = column

            children = len(cell)
            if not children:
                # A <c/> without <v>, <f> or <is> carries only formatting.
                continue
            kind = cell.get("t")
            only_child = cell[0] if children == 1 else None
            if only_child is None:
                value = self._cell_value(cell)
            elif kind == "s" and only_child.tag == tag_v and only_child.text:
                value = _shared_string(shared_strings, only_child.text)
            elif kind == "inlineStr" and only_child.tag == tag_is and len(only_child) == 1 and only_child[0].tag == tag_t:
                value = only_child[0].text or None
                if value and "_x" in value:
                    value = _unescape(value)
            elif (kind is None or kind == "n") and only_child.tag == tag_v and only_child.text:
                text = only_child.text
                if "." in text or "E" in text or "e" in text:
                    try:
                        value = float(text)
                    except ValueError:
                        value = _unescape(text.strip()) or None
                else:
                    try:
                        value = int(text)
                    except ValueError:
                        value = _unescape(text.strip()) or None
                if value.__class__ is not str and value is not None and cell.get("s") in date_styles:
                    value = excel_serial_to_datetime(value, self.date1904)
            else:
                value = self._cell_value(cell)
            if value is None:
                continue

            if column >= max_columns:
                if overflow is None or column < overflow:
                    overflow = column
                continue
            filled = len(cells)
            if column == filled:
                cells.append(value)
            elif column > filled:
                cells.extend([None] * (column - filled))
                cells.append(value)
            else:
                cells[column] = value
        if not cells and overflow is None:
            return None
        hidden = (element.get("hidden") or "").lower() in TRUE_WORDS
        return SheetRow(number, cells, hidden, overflow, merges.get(number, ()))

    def _cell_value(self, cell):
        """Return the value of a <c> element as the reader contract types it."""
        kind = cell.get("t")
        text = None
        has_value = False
        formula = None
        inline = None
        for child in cell:
            tag = child.tag
            if tag == self._tag_v:
                text = child.text
                has_value = True
            elif tag == self._tag_f:
                formula = child
            elif tag == self._tag_is:
                inline = child

        if kind is None or kind == "n":
            if not text:
                return FormulaWithoutValue(formula.text or "") if formula is not None else None
            try:
                number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
            except ValueError:
                return _unescape(text.strip()) or None
            if cell.get("s") in self._date_styles:
                return excel_serial_to_datetime(number, self.date1904)
            return number
        if kind == "s":
            if text is None:
                return None
            return _shared_string(self._shared_strings, text)
        if kind == "inlineStr":
            if inline is not None:
                return self._rich_text(inline) or None
            return _unescape(text) if text else None
        if formula is not None and not has_value:
            return FormulaWithoutValue(formula.text or "")
        if kind == "str":
            return _unescape(text) if text else None
        if kind == "b":
            return (text or "").strip().lower() in TRUE_WORDS
        if kind == "e":
            return ErrorCell(text or "#N/A")
        if kind == "d":
            return _iso_date(text)
        return _unescape(text) if text else None

    # --- calamine fast path ---------------------------------------------------

    def _calamine_may_read(self, sheet_index, key):
        """Return whether calamine reads the workbook parts as this parser does.

        The sheet's own plainness is checked by xlsx_fast.scan_sheet. Here the
        workbook must use the 1900 date system, name its parts as calamine
        looks them up (calamine matches ZIP names exactly, this parser
        ignores case and backslashes), and have shared strings and date
        styles calamine reads alike. The workbook checks run once.
        """
        if self._calamine_allowed is None:
            self._calamine_allowed = self._workbook_plain()
        return self._calamine_allowed and self._parts[key].filename == key

    def _workbook_plain(self):
        if self.date1904 or len(self._parts) != len(self._archive.infolist()):
            return False
        if self._workbook_key != "xl/workbook.xml" or self._parts[self._workbook_key].filename != "xl/workbook.xml":
            return False
        sheet_names = [sheet.name for sheet in self.sheets]
        if not xlsx_fast.workbook_sheets_plain(self._archive, self._parts[self._workbook_key], sheet_names):
            return False
        shared = self._shared_strings_key
        if shared is not None:
            if self._parts[shared].filename != "xl/sharedStrings.xml":
                return False
            if not xlsx_fast.shared_strings_plain(self._archive, self._parts[shared]):
                return False
        styles = self._styles_key
        if styles is not None and self._parts[styles].filename != "xl/styles.xml":
            return False
        return xlsx_fast.style_verdicts_agree(
            self._archive,
            self._parts[styles] if styles is not None else None,
            self._date_styles,
            self._style_count,
        )

    def _calamine_rows(self, sheet_index, key):
        """Yield the sheet's SheetRows read by calamine, and return the row to resume at.

        Returns None when calamine read the whole sheet, else the number of
        the first row the streaming parser must read. Before yielding, the
        rows up to VERIFY_ROWS are compared with this parser's, so a sheet
        calamine locates or numbers differently falls back entirely.
        """
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(self._archive.filename)
        except BaseException as error:
            if not xlsx_fast.calamine_failed(error):
                raise
            logger.info("calamine could not open a plain workbook: %s", type(error).__name__)
            return 1
        with workbook:
            if workbook.sheet_names != [sheet.name for sheet in self.sheets]:
                return 1
            try:
                sheet = workbook.get_sheet_by_index(sheet_index)
            except BaseException as error:
                if not xlsx_fast.calamine_failed(error):
                    raise
                logger.info("calamine could not read a plain sheet: %s", type(error).__name__)
                return 1
            if sheet.merged_cell_ranges:
                return 1

            rows = xlsx_fast.CalamineRows(sheet, self.max_columns, SheetRow)
            iterator = iter(rows)
            expected = list(self._stream_rows(key, VERIFY_ROWS, {}))
            head = []
            for row in iterator:
                if row.number > VERIFY_ROWS:
                    head.append(row)
                    break
                head.append(row)
            verified = [row for row in head if row.number <= VERIFY_ROWS]
            if rows.resume_row is not None and rows.resume_row <= VERIFY_ROWS:
                return 1
            if verified != expected:
                logger.info("calamine and the streaming parser differ in the first rows; using the streaming parser")
                return 1
            yield from head
            yield from iterator
            return rows.resume_row

    def declared_last_row(self, sheet_index):
        """Return the last row of the sheet's declared used range (its
        <dimension>), or None when the sheet declares none.

        Only the first DIMENSION_SCAN_BYTES of the part are read. The range
        is what the writing program recorded, so it may count blank rows
        that carry a style, and a crafted file may state any number.
        """
        key = self._sheet_parts[sheet_index]
        with self._archive.open(self._parts[key]) as stream:
            head = stream.read(DIMENSION_SCAN_BYTES)
        decoder = _utf16_decoder(head)
        if decoder is not None:
            head = decoder.decode(head).encode("utf-8")
        sheet_data = SHEET_DATA_PATTERN.search(head)
        match = DIMENSION_PATTERN.search(head, 0, sheet_data.start() if sheet_data else len(head))
        if match is None:
            return None
        cell_range = CELL_RANGE_PATTERN.match(match.group(1).decode("ascii", errors="replace").strip())
        if cell_range is None:
            return None
        return int(cell_range.group(4) or cell_range.group(2))

    # --- merged cells -------------------------------------------------------

    def _merge_markup(self, key):
        """Return the sheet's bytes from its first mergeCell tag on, as UTF-8.

        Returns b"" when the sheet has no merged cells. UTF-16 parts are
        transcoded first so the byte pattern applies.
        """
        merges = xlsx_fast.MergeMarkup()
        with self._archive.open(self._parts[key]) as stream:
            chunk = stream.read(MERGE_SCAN_CHUNK)
            decoder = _utf16_decoder(chunk)
            while True:
                final = not chunk
                data = decoder.decode(chunk, final).encode("utf-8") if decoder else chunk
                merges.feed(data)
                if final:
                    break
                if merges.size > MAX_MERGE_BYTES:
                    # NOTE: ranges past the first 32 MiB of mergeCell markup are ignored.
                    break
                chunk = stream.read(MERGE_SCAN_CHUNK)
        return merges.markup()


def _merged_ranges(markup):
    """Return {top row: ((first column, last column, last row), ...)} for a sheet's mergeCell markup."""
    by_row = {}
    for match in MERGE_CELL_PATTERN.finditer(markup):
        cell_range = CELL_RANGE_PATTERN.match(match.group(1).decode("ascii", errors="replace").strip())
        if cell_range is None or cell_range.group(3) is None:
            continue
        first_column = column_index(cell_range.group(1))
        last_column = column_index(cell_range.group(3))
        first_row = int(cell_range.group(2))
        last_row = int(cell_range.group(4))
        first_row, last_row = min(first_row, last_row), max(first_row, last_row)
        first_column, last_column = min(first_column, last_column), max(first_column, last_column)
        if first_row == last_row and first_column == last_column:
            continue
        by_row.setdefault(first_row, []).append((first_column, last_column, last_row))
    return {row: tuple(ranges) for row, ranges in by_row.items()}


def _shared_string(strings, text):
    """Return the shared string a <v> index names, None for an empty one.

    Raises IndexError for an index outside the list, negative ones included.
    """
    index = int(text)
    if index < 0:
        raise IndexError("negative shared string index")
    return strings[index] or None


def _read_root(parser, stream):
    """Feed `stream` to `parser` until the root element starts, and return it."""
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
        for _event, element in parser.read_events():
            return element
        if not chunk:
            raise ValueError("XML part has no root element")


def _utf16_decoder(head):
    """Return an incremental UTF-16 decoder when a part starts as UTF-16, else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return codecs.getincrementaldecoder("utf-16")()
    if head.startswith(b"<\x00"):
        return codecs.getincrementaldecoder("utf-16-le")()
    if head.startswith(b"\x00<"):
        return codecs.getincrementaldecoder("utf-16-be")()
    return None


def _iso_date(text):
    """Return the value of a t="d" cell (ISO 8601 text, written by Strict files)."""
    if not text:
        return None
    try:
        value = from_ISO8601(text.strip())
    except ValueError:
        return text
    if isinstance(value, datetime.datetime) or isinstance(value, datetime.time):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    return text
