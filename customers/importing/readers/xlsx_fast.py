"""Fast path for plain .xlsx sheets: python-calamine reads the cells.

The streaming parser in xlsx.py takes about 3 s for a 100,000-row sheet,
python-calamine (Rust) about 1 s (open_table on the 100,000-row benchmark
workbook, 2-core machine). calamine cannot report merged cells,
hidden rows, error cells or formulas without a cached value, and it trims
text and types numbers differently. So it is used only for a "plain" sheet,
one where both readers give the same cells:

- `SheetScan` reads the sheet XML once, in chunks, and declines any
  construct the two readers treat differently (formulas, merges, hidden
  rows, error and date cells, rich or whitespace-edged text, numbers whose
  int/float type calamine loses, namespaces, character references...).
  The same scan collects the mergeCell markup for the streaming parser.
- `shared_strings_plain` and `style_verdicts_agree` check the workbook parts
  calamine reads besides the sheet.
- `CalamineRows` converts calamine's rows to SheetRows and stops at the first
  value whose conversion is in doubt, so the caller can resume there with the
  streaming parser.

Any doubt means a fallback to the streaming parser, never a different value.
"""

import datetime
import io
import re
import xml.parsers.expat
import zipfile

import python_calamine as calamine

from customers.importing.readers.base import column_letter

# Bytes of sheet XML read at a time.
SCAN_CHUNK_BYTES = 1024 * 1024
# Maximum bytes between two "<" (one text node or one tag). A longer stretch
# makes the sheet non-plain instead of growing the scan buffer without bound.
MAX_CARRY_BYTES = 4 * 1024 * 1024
# Bytes read before the prolog and root tag are checked. A root tag longer
# than this (minus the prolog) makes the sheet non-plain.
HEAD_BYTES = 64 * 1024

# calamine stores the sheet as a dense grid of about 32 bytes per cell
# (measured with python-calamine 0.9.1: 26,000,000 cells took 807 MB). A
# sheet whose grid may be larger than this many cells is left to the
# streaming parser, whose memory does not depend on the sheet's size.
MAX_GRID_CELLS = 10_000_000

# Maximum cell styles compared by the style probe. Excel allows 64,000.
MAX_STYLES = 65_536
# Maximum size of the styles part copied into the style probe.
MAX_STYLES_BYTES = 4 * 1024 * 1024

MAIN_NAMESPACE = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MERGE_START_MARKER = b"mergeCell"
# Maximum size of workbook.xml checked by `workbook_sheets_plain`.
MAX_WORKBOOK_BYTES = 4 * 1024 * 1024

# Scan blocks end before the last row start tag (sheets) or item start tag
# (shared strings), so every row or item is checked whole.
ROW_START_MARKER = b"<row"
ITEM_START_MARKER = b"<si"
# The start tags counted for SheetScan.row_tags, with or without a prefix.
ROW_TAG_MARKERS = (b"<row ", b"<row>", b":row ", b":row>")
# The end of a chunk counted again with the next chunk: one byte less than
# the longest marker, so a tag split between two chunks is counted once.
ROW_TAG_OVERLAP = max(len(marker) for marker in ROW_TAG_MARKERS) - 1

# Tags where the readers differ, each pattern anchored on a literal so the
# regex engine skips to it: formulas, inline strings with attributes, rich
# text and phonetic runs, comments, CDATA and processing instructions, and
# empty <v>.
DECLINED_TAG_PATTERN = re.compile(rb"<(?:f[\s/>]|is[\s/]|r[\s>]|rPh[\s/>]|[!?]|v/>|v></v>)")
# Cells without a leading r attribute (the readers number those
# differently), and cell references beyond column ZZ or in lower case.
DECLINED_CELL_PATTERN = re.compile(rb'<c(?:[>/]|\s(?!r="[A-Z]{1,2}[1-9]))')
# Rows without a leading r attribute, and hidden rows.
DECLINED_ROW_PATTERN = re.compile(rb'<row(?:[>/]|\s(?!r="[1-9])|\s[^<>]*?hidden)')
# Cell types other than shared string, number, inline string, and boolean
# with a <v> of 0 or 1. calamine returns errors as "" and rejects other
# boolean texts.
DECLINED_TYPE_PATTERN = re.compile(rb' t="(?!(?:s|n|inlineStr)"|b"[^<>]*><v>[01]</v>)')
# Style indices other than plain decimal ones: the streaming parser matches
# the attribute text, calamine its number, so "01" differs.
DECLINED_STYLE_PATTERN = re.compile(rb' s="(?![1-9]\d*"|0")')
# Whitespace around "=" and single-quoted attribute values. The patterns
# above assume the form Excel writes, so other forms are declined.
DECLINED_ATTRIBUTE_PATTERN = re.compile(rb"=(?:[\s']|(?<=\s=))")
# Entity and character references other than the five predefined entities.
DECLINED_REFERENCE_PATTERN = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")
# Text that calamine trims: a <t> without xml:space="preserve" whose text
# starts or ends with whitespace. The <t> and its text must be in one block.
TRIMMED_TEXT_PATTERN = re.compile(
    rb'<t(?:\s(?![^<>]*xml:space="preserve")[^<>]*)?>(?:\s|[^<]*\s</t>)'
)
# Elements with a namespace prefix: the streaming parser skips those in
# another namespace, but calamine reads them by local name, so a <o:c> could
# place a cell far outside the grid bound of the scan.
PREFIXED_ELEMENT_PATTERN = re.compile(rb"</?[A-Za-z_][\w.\-]*:")
# Tab or line feed inside a tag: the patterns above assume single spaces
# between attributes, so ' t="e"' must not hide behind a tab.
TAG_WHITESPACE_PATTERN = re.compile(rb"<[^<>]*[\t\n]")
# A cell whose reference names another row than its <row r>: the streaming
# parser places it by the row's number, calamine by the cell's reference.
# The possessive loop stops at the row's end tag or the next row.
MISPLACED_CELL_PATTERN = re.compile(
    rb'<row r="(\d+)"[^<>]*(?<!/)>(?:[^<]++|<(?!c r=|/?row[\s>/])|<c r="[A-Z]{1,2}\1")*+<c r="'
)
# Inline strings in the one form both readers read alike: <is> right after
# the start tag of a t="inlineStr" cell and right before its </c>, or no
# content at all (openpyxl writes <c r="B6" t="inlineStr" /> for ""). calamine
# reads an <is> in a cell of another type, the streaming parser does not.
INLINE_CELL_PATTERN = re.compile(rb'<c [^<>]* t="inlineStr"[^<>]*><is>')
EMPTY_INLINE_CELL_PATTERN = re.compile(rb'<c [^<>]* t="inlineStr"[^<>]*/>')
INLINE_TYPE_MARKER = b' t="inlineStr"'
INLINE_START_MARKER = b"<is>"
DECLINED_INLINE_END_PATTERN = re.compile(rb"</is>(?!</c>)")
# An inline string or shared string item without text. A second cell with
# the same reference in the row then overwrites the first in calamine's grid,
# but the streaming parser skips empty values and keeps the first.
EMPTY_INLINE_PATTERN = re.compile(rb"<is>(?:<(?!/is>)[^<>]*>|\s)*+</is>")
EMPTY_ITEM_PATTERN = re.compile(rb"<si(?:\s[^<>]*)?(?:/>|>(?:<(?!/si>)[^<>]*>|\s)*+</si>)")
# An <si> inside another <si>: the readers number the items differently.
NESTED_ITEM_PATTERN = re.compile(rb"<si[\s>](?:[^<]++|<(?!/?si[\s>/]))*+<si[\s>/]")
# A <v> whose text is not a number of at most 15 digits (16 characters with
# the point) with an optional fraction ending in a non-zero digit. Such a
# decimal survives the round trip through a double, so its float is whole
# only when the text is, and int() or float() of the text equals calamine's
# float converted back by `_calamine_number`. The others, such as
# "1.00000000000000001" whose float is 1.0, are checked one by one in
# `_number_agrees`.
NUMBER_CANDIDATE_PATTERN = re.compile(rb"<v>(?!-?(?=[\d.]{1,16}<)\d+(?:\.\d*[1-9])?<)([^<]*)")
NUMBER_TEXT_PATTERN = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
SHEET_TAG_PATTERN = re.compile(rb"<(?:[\w.\-]+:)?sheet\s[^<>]*>")
ID_ATTRIBUTE_PATTERN = re.compile(rb"\s(?:[\w.\-]+:)?id\s*=")
ROW_NUMBER_PATTERN = re.compile(rb'<row r="(\d+)"')
TWO_LETTER_CELL_PATTERN = re.compile(rb'<c r="[A-Z]{2}')
XML_DECLARATION_PATTERN = re.compile(rb"^<\?xml[^>]*\?>")
ENCODING_PATTERN = re.compile(rb"encoding\s*=\s*[\"']([^\"']*)[\"']")
ROOT_TAG_PATTERN = re.compile(rb"^\s*<worksheet\s[^>]*>")

# Oldest date that python-calamine 0.9.1 and openpyxl's from_excel convert
# alike. Before 1 March 1900 the 1900 date system counts a nonexistent
# 29 February and the two libraries shift serials differently.
FIRST_SAFE_DATE = datetime.date(1900, 3, 1)
FIRST_SAFE_DATETIME = datetime.datetime(1900, 3, 1)

# Cell value of the style probe: a date with a time, so every date, time and
# duration format turns it into a date or time type.
PROBE_SERIAL = "45000.25"
PROBE_CELLS_PER_ROW = 100
DATE_TYPES = (datetime.date, datetime.time, datetime.timedelta)


class SheetScan:
    """The result of one byte scan of a sheet part.

    Attributes:
        merge_markup: the bytes from the first mergeCell tag on (see
            XlsxSource._merge_markup), empty when the sheet has no merges.
        plain: whether calamine may read the sheet.
        reason: why the sheet is not plain, for logs and tests.
        last_row: the highest <row r> number.
        row_tags: the number of row start tags, counted in every sheet, plain
            or not, up to where the scan stopped.
        grid_cells: an upper bound of the cells calamine allocates.
    """

    def __init__(self):
        self.merge_markup = b""
        self.plain = True
        self.reason = ""
        self.last_row = 0
        self.row_tags = 0
        self.grid_cells = 0
        self._two_letter_columns = False

    def decline(self, reason):
        if self.plain:
            self.plain = False
            self.reason = reason


def scan_sheet(archive, info, max_merge_bytes, on_progress=None):
    """Scan the sheet part `info` once for merge markup and plainness.

    `on_progress(fraction)`, when given, is called after each chunk with
    the share of the part read so far, from 0 to 1. Returns a SheetScan.
    Its merge markup is what XlsxSource._merge_markup would return, except
    for a UTF-16 part: then `merge_markup` is None and the sheet is not
    plain (calamine reads UTF-8 only).
    """
    scan = SheetScan()
    merges = MergeMarkup()
    carry = b""
    checker = _well_formedness_checker()
    scanned = 0
    with archive.open(info) as stream:
        chunk = stream.read(SCAN_CHUNK_BYTES)
        # The prolog and root tag are checked as one piece.
        while chunk and len(chunk) < HEAD_BYTES:
            more = stream.read(SCAN_CHUNK_BYTES)
            if not more:
                break
            chunk += more
        if chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
            scan.decline("UTF-16 part")
            scan.merge_markup = None
            return scan
        body = _check_head(scan, chunk)
        previous_end = b""
        while chunk:
            counted = previous_end + chunk
            scan.row_tags += sum(counted.count(marker) for marker in ROW_TAG_MARKERS)
            previous_end = chunk[-ROW_TAG_OVERLAP:]
            if merges.feed(chunk):
                scan.decline("merged cells")
            if merges.size > max_merge_bytes:
                break

            if scan.plain:
                _check_well_formed(scan, checker, chunk)
            if scan.plain:
                window = carry + (body if body is not None else chunk)
                cut = window.rfind(ROW_START_MARKER)
                if cut > 0:
                    _check_block(scan, window[:cut])
                    carry = window[cut:]
                else:
                    carry = window
                if len(carry) > MAX_CARRY_BYTES:
                    scan.decline("row longer than the scan buffer")
            body = None
            if on_progress is not None:
                scanned += len(chunk)
                on_progress(min(1.0, scanned / max(info.file_size, 1)))
            chunk = stream.read(SCAN_CHUNK_BYTES)
    if scan.plain:
        _check_well_formed(scan, checker, b"", final=True)
    if scan.plain:
        _check_block(scan, carry)
    scan.merge_markup = merges.markup()
    if scan.plain:
        _finish(scan)
    return scan


class MergeMarkup:
    """The bytes of a sheet part from its first mergeCell tag on, collected
    from the chunks fed in order."""

    # Bytes kept before the marker, so a prefix such as "<x:" stays with it.
    LEAD_BYTES = 64

    def __init__(self):
        self.parts = []
        self.size = 0
        self._carry = b""

    def feed(self, data):
        """Add the next chunk and return whether the markup has started."""
        if self.parts:
            self.parts.append(data)
            self.size += len(data)
            return True
        window = self._carry + data
        position = window.find(MERGE_START_MARKER)
        if position < 0:
            self._carry = window[-self.LEAD_BYTES :]
            return False
        start = max(0, position - self.LEAD_BYTES)
        self.parts.append(window[start:])
        self.size += len(window) - start
        return True

    def markup(self):
        return b"".join(self.parts)


def _well_formedness_checker():
    """Return an expat parser that only checks well-formedness.

    calamine reads some XML that the streaming parser rejects (such as a
    mismatched end tag), so such a sheet must reach the streaming parser.
    The parser is namespace-aware like the streaming parser, so an unbound
    prefix is an error too. It has no content handlers, so it builds nothing.
    """
    checker = xml.parsers.expat.ParserCreate(namespace_separator="}")
    checker.StartDoctypeDeclHandler = _reject_declaration
    checker.EntityDeclHandler = _reject_declaration
    return checker


def _reject_declaration(*_arguments):
    raise ValueError("DOCTYPE or ENTITY declaration")


def _check_well_formed(scan, checker, chunk, final=False):
    try:
        checker.Parse(chunk, final)
    except (xml.parsers.expat.ExpatError, ValueError):
        scan.decline("not well-formed XML")


def _check_head(scan, head):
    """Check the prolog and root tag of the first chunk.

    Returns the bytes after the XML declaration for the block checks, or
    None when the part is not plain.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        scan.decline("UTF-16 part")
        return None
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    declaration = XML_DECLARATION_PATTERN.match(head)
    if declaration is not None:
        encoding = ENCODING_PATTERN.search(declaration.group(0))
        if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
            scan.decline("encoding other than UTF-8")
            return None
        head = head[declaration.end() :]
    root = ROOT_TAG_PATTERN.match(head)
    if root is None:
        scan.decline("root is not an unprefixed <worksheet>")
        return None
    root_tag = root.group(0)
    if b'xmlns="' + MAIN_NAMESPACE + b'"' not in root_tag or root_tag.count(MAIN_NAMESPACE) != 1:
        scan.decline("namespace other than the Transitional main namespace")
        return None
    # The root tag's own xmlns declarations are expected, so the block checks,
    # which decline any other namespace declaration, start after it.
    return head[root.end() :]


def _check_block(scan, block):
    """Decline the sheet when `block` (whole rows, or the parts around them) has a special construct."""
    if not block:
        return
    if b"\r" in block or b"_x" in block or b"xmlns" in block:
        scan.decline("carriage return, _xHHHH_ escape or namespace declaration")
        return
    for pattern, reason, markers in BLOCK_CHECKS:
        # A pattern cannot match a block without any of its markers, and
        # `in` runs far faster than the regex engine.
        if markers and not any(marker in block for marker in markers):
            continue
        if pattern.search(block) is not None:
            scan.decline(reason)
            return
    if INLINE_TYPE_MARKER in block or INLINE_START_MARKER in block:
        inline_cells = len(INLINE_CELL_PATTERN.findall(block))
        empty_inline_cells = len(EMPTY_INLINE_CELL_PATTERN.findall(block))
        if (
            block.count(INLINE_TYPE_MARKER) != inline_cells + empty_inline_cells
            or block.count(INLINE_START_MARKER) != inline_cells
        ):
            scan.decline("inline string outside a t=\"inlineStr\" cell, or such a cell without one")
            return
    for match in NUMBER_CANDIDATE_PATTERN.finditer(block):
        if not _number_agrees(match.group(1)):
            scan.decline("number whose type or value calamine changes")
            return

    previous = scan.last_row
    for match in ROW_NUMBER_PATTERN.finditer(block):
        number = int(match.group(1))
        if number <= previous:
            scan.decline("rows out of order")
            return
        previous = number
    scan.last_row = previous

    if TWO_LETTER_CELL_PATTERN.search(block) is not None:
        scan._two_letter_columns = True
    if _cell_row_bound_pattern(scan.last_row).search(block) is not None:
        scan.decline("cell reference below the last row")


# The checks of `_check_block` in order: pattern, reason, and the literals of
# which a match contains at least one (None: no such literal).
BLOCK_CHECKS = (
    (PREFIXED_ELEMENT_PATTERN, "element with a namespace prefix", (b":",)),
    (TAG_WHITESPACE_PATTERN, "tab or line feed inside a tag", (b"\t", b"\n")),
    (TRIMMED_TEXT_PATTERN, "text with leading or trailing whitespace", (b"<t",)),
    (DECLINED_TAG_PATTERN, "formula, comment, rich text or unusual tag", None),
    (DECLINED_CELL_PATTERN, "cell without a leading reference or beyond column ZZ", (b"<c",)),
    (DECLINED_ROW_PATTERN, "hidden row or row without a number", (b"<row",)),
    (DECLINED_TYPE_PATTERN, "error, date, formula string or unusual boolean cell", (b' t="',)),
    (DECLINED_STYLE_PATTERN, "unusual style index", (b' s="',)),
    (DECLINED_ATTRIBUTE_PATTERN, "unusual attribute syntax", (b"=",)),
    (DECLINED_REFERENCE_PATTERN, "character or entity reference", (b"&",)),
    (MISPLACED_CELL_PATTERN, "cell reference naming another row", (b"<row",)),
    (DECLINED_INLINE_END_PATTERN, "inline string followed by another element", (b"</is>",)),
    (EMPTY_INLINE_PATTERN, "empty inline string", (b"<is>",)),
)


def _cell_row_bound_pattern(last_row):
    """Return a pattern for cell references whose row number is at or above (d+1)*10**(n-1).

    `last_row` has n digits and first digit d, so a cell within the rows of
    the sheet never matches, and a match bounds the grid calamine allocates.
    """
    digits = str(max(last_row, 1))
    length = len(digits)
    first = int(digits[0])
    alternatives = [rb"\d{%d,}" % (length + 1)]
    if first < 9:
        alternatives.append(rb"[%d-9]\d{%d}\"" % (first + 1, length - 1))
    return _compiled(rb'<c r="[A-Z]{1,2}(?:' + b"|".join(alternatives) + rb")")


_PATTERNS = {}


def _compiled(source):
    pattern = _PATTERNS.get(source)
    if pattern is None:
        pattern = _PATTERNS[source] = re.compile(source)
    return pattern


def _finish(scan):
    digits = str(max(scan.last_row, 1))
    height = (int(digits[0]) + 1) * 10 ** (len(digits) - 1)
    width = 702 if scan._two_letter_columns else 26
    scan.grid_cells = height * width
    if scan.grid_cells > MAX_GRID_CELLS:
        scan.decline("sheet grid too large for calamine")


def _number_agrees(raw):
    """Return whether the streaming parser and the fast path give the same value for a <v> text."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return False
    if NUMBER_TEXT_PATTERN.fullmatch(text) is None:
        return False
    if "." in text or "E" in text or "e" in text:
        streamed = float(text)
    else:
        streamed = int(text)
    fast = _calamine_number(float(text))
    return streamed.__class__ is fast.__class__ and streamed == fast


def _calamine_number(value):
    """Convert calamine's float for a number cell to what the streaming parser gives.

    The streaming parser returns int for a <v> without ".", "E" or "e". Excel
    and openpyxl write whole numbers that way, and the scan declines texts
    such as "123.0" where this rule would differ.
    """
    if value.is_integer():
        return int(value)
    return value


# --- other parts -----------------------------------------------------------


def shared_strings_plain(archive, info):
    """Return whether calamine reads the shared strings part `info` as the streaming parser does.

    calamine trims text without xml:space="preserve", reads only UTF-8 and
    does not normalise line ends, so those constructs are declined.
    """
    carry = b""
    first = True
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(SCAN_CHUNK_BYTES)
            if first:
                first = False
                if chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
                    return False
                if chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
                declaration = XML_DECLARATION_PATTERN.match(chunk)
                if declaration is not None:
                    encoding = ENCODING_PATTERN.search(declaration.group(0))
                    if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
                        return False
                    chunk = chunk[declaration.end() :]
                if chunk.count(MAIN_NAMESPACE) > 1:
                    return False
                # Namespace declarations are expected on the root tag only.
                root_end = chunk.find(b">")
                if root_end < 0 or b"xmlns" in chunk[root_end:]:
                    return False
                chunk = chunk[root_end + 1 :]
            window = carry + chunk
            if not chunk:
                return _shared_block_plain(window)
            cut = window.rfind(ITEM_START_MARKER)
            if cut > 0:
                if not _shared_block_plain(window[:cut]):
                    return False
                carry = window[cut:]
            else:
                carry = window
            if len(carry) > MAX_CARRY_BYTES:
                return False


def _shared_block_plain(block):
    if b"\r" in block or b"_x" in block or b"<rPh" in block or b"<!" in block or b"<?" in block:
        return False
    if b"xmlns" in block:
        return False
    for pattern in (
        DECLINED_REFERENCE_PATTERN,
        PREFIXED_ELEMENT_PATTERN,
        TRIMMED_TEXT_PATTERN,
        EMPTY_ITEM_PATTERN,
        NESTED_ITEM_PATTERN,
    ):
        if pattern.search(block) is not None:
            return False
    return True


def workbook_sheets_plain(archive, info, sheet_names):
    """Return whether calamine finds the same part for every sheet as the streaming parser.

    calamine looks a sheet up by name, so duplicate names make it read the
    first sheet of that name. The streaming parser takes the first attribute
    named id in any namespace, so a <sheet> must have exactly one such
    attribute, spelled r:id as calamine expects.
    """
    if len(set(sheet_names)) != len(sheet_names):
        return False
    if info.file_size > MAX_WORKBOOK_BYTES:
        return False
    data = archive.read(info)
    for tag in SHEET_TAG_PATTERN.findall(data):
        if len(ID_ATTRIBUTE_PATTERN.findall(tag)) != 1 or tag.count(b' r:id="') != 1:
            return False
    return True


def style_verdicts_agree(archive, styles_info, date_styles, style_count):
    """Return whether calamine types dates by the same cell styles as the streaming parser.

    Both read the number formats of styles.xml, but with different rules
    (calamine, for example, returns durations such as [h]:mm as timedelta).
    So calamine reads a probe workbook with this file's styles part and one
    date-like number per cell style, plus one cell without a style, and its
    types are compared with `date_styles`.
    """
    if style_count > MAX_STYLES:
        return False
    if styles_info is None:
        styles = None
    else:
        if styles_info.file_size > MAX_STYLES_BYTES:
            return False
        styles = archive.read(styles_info)

    indices = list(range(style_count + 1))
    rows = []
    for row_index in range(0, len(indices), PROBE_CELLS_PER_ROW):
        cells = "".join(
            f'<c r="{column_letter(position)}{row_index // PROBE_CELLS_PER_ROW + 1}" s="{style}">'
            f"<v>{PROBE_SERIAL}</v></c>"
            for position, style in enumerate(indices[row_index : row_index + PROBE_CELLS_PER_ROW])
        )
        rows.append(f'<row r="{row_index // PROBE_CELLS_PER_ROW + 1}">{cells}</row>')
    unstyled_row = len(rows) + 1
    rows.append(f'<row r="{unstyled_row}"><c r="A{unstyled_row}"><v>{PROBE_SERIAL}</v></c></row>')

    probe = _probe_workbook("".join(rows), styles)
    try:
        with calamine.CalamineWorkbook.from_filelike(io.BytesIO(probe)) as workbook:
            values = [list(row) for row in workbook.get_sheet_by_index(0).iter_rows()]
    except BaseException as error:
        if not calamine_failed(error):
            raise
        return False
    for style in indices:
        row = values[style // PROBE_CELLS_PER_ROW]
        position = style % PROBE_CELLS_PER_ROW
        if position >= len(row):
            return False
        if isinstance(row[position], DATE_TYPES) != (str(style) in date_styles):
            return False
    return not isinstance(values[unstyled_row - 1][0], DATE_TYPES)


def calamine_failed(error):
    """Return whether `error` came from calamine: one of its own errors, or a
    panic in its Rust code, which pyo3 raises as PanicException, a
    BaseException that `except Exception` lets through."""
    return isinstance(error, calamine.CalamineError) or type(error).__name__ == "PanicException"


def _probe_workbook(sheet_rows, styles):
    main = MAIN_NAMESPACE.decode()
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    workbook_rels = (
        f'<Relationship Id="rId1" Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/>'
    )
    if styles is not None:
        workbook_rels += f'<Relationship Id="rId2" Type="{relationships}/styles" Target="styles.xml"/>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{relationships}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">{workbook_rels}</Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{relationships}">'
            '<sheets><sheet name="Probe" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>{sheet_rows}</sheetData></worksheet>',
        )
    return buffer.getvalue()


# --- rows ------------------------------------------------------------------


class CalamineRows:
    """Iterable of the SheetRows of one plain sheet, read by calamine.

    Iteration stops early at the first value whose conversion is in doubt.
    Those are times, durations, dates before 1 March 1900, datetimes with a
    fraction of a second, and types calamine does not return for xlsx
    number cells. `resume_row` is then the number of the row not yielded,
    and the caller reads it and the rows below with the streaming parser.
    When iteration ends normally, `resume_row` is None.
    """

    def __init__(self, sheet, max_columns, sheet_row_type):
        self._sheet = sheet
        self._max_columns = max_columns
        self._sheet_row_type = sheet_row_type
        self.resume_row = None

    def __iter__(self):
        start = self._sheet.start
        if start is None:
            return
        # python-calamine 0.9.1 iter_rows() yields every row from row 1, but
        # each row's list starts at the first used column.
        offset = start[1]
        max_columns = self._max_columns
        sheet_row = self._sheet_row_type
        number = 0
        for values in self._sheet.iter_rows():
            number += 1
            cells = []
            overflow = None
            column = offset - 1
            for value in values:
                column += 1
                cls = value.__class__
                if cls is str:
                    if not value:
                        continue
                elif cls is float:
                    if value.is_integer():
                        value = int(value)
                elif cls is bool:
                    pass
                elif cls is datetime.date:
                    if value < FIRST_SAFE_DATE:
                        self.resume_row = number
                        return
                    value = datetime.datetime(value.year, value.month, value.day)
                elif cls is datetime.datetime:
                    # NOTE: calamine rounds the whole serial to milliseconds, but
                    # openpyxl's from_excel rounds only its fraction. So the two could
                    # differ for a serial within float error of half a millisecond
                    # from a whole second. Spreadsheet programs are not known to write one.
                    if value.microsecond or value < FIRST_SAFE_DATETIME:
                        self.resume_row = number
                        return
                else:
                    self.resume_row = number
                    return

                if column >= max_columns:
                    if overflow is None:
                        overflow = column
                    continue
                filled = len(cells)
                if column > filled:
                    cells.extend([None] * (column - filled))
                cells.append(value)
            if cells or overflow is not None:
                yield sheet_row(number, cells, False, overflow, ())
