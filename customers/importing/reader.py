"""The read stage: open a gated file and stream its customer table.

`open_table(path, fmt)` picks the customer sheet, finds its header row and
returns a Table whose `rows()` yields one RawRow per non-empty data row. The
format backends in customers.importing.readers do the parsing. The rules that
must not differ between formats live here: sheet choice, header detection,
merged-cell filling, and the row and column limits.
"""

import logging
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from customers.importing.cells import RawRow
from customers.importing.gate import FILE_CORRUPT
from customers.importing.headers import TEMPLATE_HEADERS, header_score, normalise_header, two_row_header
from customers.importing.problems import FileRejected, register_file_message
from customers.importing.readers.base import column_letter, header_text, max_columns, max_rows

logger = logging.getLogger(__name__)

# The header row must be within the first rows of a sheet; rows above it are
# titles and blank rows.
HEADER_SEARCH_ROWS = 30
# A header row must name at least two known customer fields, so a title such
# as "Data Pelanggan" or a lone "Nama" cell is not mistaken for one.
MIN_HEADER_SCORE = 2
# A sheet not named like a customer list whose header row names fewer fields
# than this, such as a summary sheet with Nama, Alamat and Jumlah, is read
# only when no later sheet's header names more.
STRONG_HEADER_SCORE = 3
# A visible sheet whose normalised name contains one of these is searched first.
CUSTOMER_SHEET_WORDS = ("pelanggan", "customer")
# The other sheets searched for a header row after the customer sheet is
# found. An .ods file keeps every sheet in one XML part, so each search parses
# that part from its start, through the customer sheet, and costs as much as
# reading the file. Other formats read only a sheet's first rows.
# Sheets past the cap are listed as unchecked (Table.unchecked_sheets), and
# the admin may choose one to read, which checks it then.
# NOTE: both caps are a judgment, not measured.
MAX_PROBED_SHEETS = {"ods": 3, None: 50}
# The headers named in the rejection message: the basic template's columns.
EXPECTED_HEADERS = ", ".join(list(TEMPLATE_HEADERS.values())[:11])

NO_CUSTOMER_SHEET = register_file_message(
    "no_customer_sheet",
    _(
        "No sheet in this file has a header row with customer columns in its first %(rows)s rows. "
        "The header row must name at least two columns such as: %(expected)s. Download the Excel "
        "template to see the expected layout."
    ),
)
SHEET_NOT_FOUND = register_file_message(
    "sheet_not_found",
    _("This file has no sheet named “%(sheet)s” that can be read. Its visible sheets are: %(sheets)s."),
)
SHEET_WITHOUT_HEADER = register_file_message(
    "sheet_without_header",
    _(
        "The sheet %(sheet)s has no header row with customer columns in its first %(rows)s rows. "
        "The header row must name at least two columns such as: %(expected)s. Choose another sheet, "
        "or download the Excel template to see the expected layout."
    ),
)
TOO_MANY_ROWS = register_file_message(
    "too_many_rows",
    _(
        "The sheet %(sheet)s has more than %(limit)s customer rows, the maximum for one import. "
        "Split the rows over several files and upload them one by one."
    ),
)
TOO_MANY_COLUMNS = register_file_message(
    "too_many_columns",
    _(
        "The sheet %(sheet)s has a value in column %(column)s (row %(row)s), beyond the limit of "
        "%(limit)s columns. Delete the columns to the right of the customer table and upload again."
    ),
)


def open_table(path, fmt, filename=None, learned=None, fallback_header=False, sheet=None):
    """Open the gated file at `path` in format `fmt` and locate its customer table.

    `filename` is the name the file was uploaded under, which names the
    sheet of a CSV file, as Excel does; the stored file's name is random.
    `learned` maps normalised headers to fields taught by admins, which
    count towards finding the header row as the built-in aliases do. With
    `fallback_header`, a file whose headers name too few fields takes the
    row that looks most like a header as its header, so that its columns can
    be mapped by hand. `sheet` names the sheet to read in place of the one
    the reader would pick. It must be visible and have a header row.
    Returns a Table, usable as a context manager. Raises FileRejected when the
    file cannot be read, has no customer sheet, or has no such `sheet`.
    """
    source = _guarded(fmt, lambda: _open_source(path, fmt, filename or path))
    try:
        return Table(source, fmt, learned, fallback_header, sheet)
    except BaseException:
        source.close()
        raise


def _open_source(path, fmt, filename):
    # Imported here so that a format's dependencies load only when needed.
    if fmt in ("xlsx", "xlsm"):
        from customers.importing.readers.xlsx import XlsxSource

        return XlsxSource(path, max_columns())
    if fmt == "csv":
        from customers.importing.readers.delimited import CsvSource

        return CsvSource(path, max_columns(), sheet_name=Path(filename).stem)
    if fmt == "ods":
        from customers.importing.readers.ods import OdsSource

        return OdsSource(path, max_columns())
    if fmt == "xls":
        from customers.importing.readers.xls import XlsSource

        return XlsSource(path, max_columns())
    raise ValueError(f"Unknown format {fmt!r}; inspect_upload returns xlsx, xlsm, csv, xls or ods.")


def _guarded(fmt, action):
    """Run `action`, turning any parser failure into FileRejected("file_corrupt").

    Parsers report broken files through many exception types (KeyError for a
    missing part, ParseError, ValueError, zlib.error, UnicodeError...), so the
    boundary catches Exception. MemoryError is let through: it is not a fact
    about the file, and the process may not survive handling it.
    """
    try:
        return action()
    except (FileRejected, MemoryError):
        raise
    except Exception as error:
        # The exception text may quote cell values (personal data), so only
        # its type and where it was raised are logged.
        logger.info("Rejected an unreadable %s file: %s", fmt, _error_origin(error))
        raise FileRejected(FILE_CORRUPT) from error


def _error_origin(error):
    """Return an exception's type and the file and line that raised it, such
    as "KeyError at xlsx_fast.py:301", so that the log separates a bug in a
    reader from a broken file."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    if traceback is None:
        return type(error).__name__
    frame = traceback.tb_frame
    return f"{type(error).__name__} at {Path(frame.f_code.co_filename).name}:{traceback.tb_lineno}"


class Table:
    """The customer table of one file.

    Attributes:
        format: "xlsx", "xlsm", "csv", "xls" or "ods".
        sheet_name: the customer sheet. For CSV it is the file name without
            its extension, the name Excel gives the sheet.
        other_sheets: the names of every other sheet, in workbook order.
        header_row: the 1-based sheet row of the header. The data starts
            below it.
        header_first_row: the 1-based sheet row where the header starts.
            It is header_row - 1 for a header written over two rows (see
            headers.two_row_header), else header_row.
        header_cells: the header texts, up to the last non-empty one. Those
            of a two-row header combine its two rows.
        date1904: whether date serials count from 1904 instead of 1900.
        hidden_rows: the numbers of the hidden data rows read so far. `rows()`
            fills this list in place, so it is complete only once `rows()`
            is exhausted.
    """

    def __init__(self, source, fmt, learned=None, fallback_header=False, sheet=None):
        self._source = source
        self.format = fmt
        self._learned = learned
        self._fallback_header = fallback_header
        self._chosen_sheet = sheet
        self.date1904 = bool(source.date1904)
        self.hidden_rows = []
        # Set when no visible sheet has a header row, so the header is the
        # row that looks most like one (fallback_header).
        self._no_header_in_any_sheet = False

        found = _guarded(fmt, self._find_customer_sheet)
        self._sheet_index, self.header_row, self.header_cells, self.header_first_row = found
        sheets = source.sheets
        self.sheet_name = sheets[self._sheet_index].name
        self.other_sheets = tuple(sheet.name for index, sheet in enumerate(sheets) if index != self._sheet_index)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self._source.close()

    # --- sheet and header --------------------------------------------------

    def _find_customer_sheet(self):
        """Return (sheet index, header row number, header texts, first header
        row number) of the customer sheet.

        Visible sheets named like "Pelanggan" or "Customers" are tried first,
        and the first with a header row wins. Then every other visible sheet
        is tried in workbook order: the first whose header row names at least
        STRONG_HEADER_SCORE fields wins, else the one whose header names the
        most (the first on a tie). A sheet chosen by name is the only one
        tried. Hidden sheets and chart sheets are never used.
        """
        candidates = self._candidate_indexes()
        if self._chosen_sheet is not None:
            named = [self._chosen_index(candidates)]
            ordered = named
        else:
            named = [
                index
                for index in candidates
                if any(word in normalise_header(self._source.sheets[index].name) for word in CUSTOMER_SHEET_WORDS)
            ]
            ordered = named + [index for index in candidates if index not in named]
        for index in named:
            found = self._find_header(index)
            if found is not None:
                return (index, *found)
        best = None
        for index in ordered[len(named) :]:
            # Once a sheet is found, a later sheet that cannot be read is
            # passed over instead of rejecting the file.
            found = self._scored_header(index) if best is None else self._header_if_readable(index)
            if found is None:
                continue
            score, row_number, texts, first_row = found
            if best is None or score > best[0]:
                best = (score, index, row_number, texts, first_row)
            if best[0] >= STRONG_HEADER_SCORE:
                break
        if best is not None:
            return best[1:]
        if self._fallback_header:
            best = None
            for index in ordered:
                found = self._widest_text_row(index)
                # The widest row of any sheet wins, the first one on a tie.
                if found is not None and (best is None or found[0] > best[0]):
                    best = (found[0], index, found[1], found[2], found[1])
            if best is not None:
                self._no_header_in_any_sheet = self._chosen_sheet is None
                return best[1:]
        if self._chosen_sheet is not None:
            rejection = FileRejected(
                SHEET_WITHOUT_HEADER, sheet=self._chosen_sheet, rows=HEADER_SEARCH_ROWS, expected=EXPECTED_HEADERS
            )
            raise self._offer_sheets_besides(ordered[0], rejection)
        raise FileRejected(NO_CUSTOMER_SHEET, rows=HEADER_SEARCH_ROWS, expected=EXPECTED_HEADERS)

    def _candidate_indexes(self):
        """Return the indexes of the sheets that may hold customers: visible worksheets."""
        return [index for index, sheet in enumerate(self._source.sheets) if sheet.visible and sheet.readable]

    def _chosen_index(self, candidates):
        for index in candidates:
            if self._source.sheets[index].name == self._chosen_sheet:
                return index
        names = ", ".join(self._source.sheets[index].name for index in candidates)
        raise FileRejected(SHEET_NOT_FOUND, sheet=self._chosen_sheet, sheets=names)

    def other_customer_sheets(self):
        """Return (name, row estimate or None) for each other visible sheet
        whose header row names customer fields, in workbook order.

        Each sheet's header search reads at most HEADER_SEARCH_ROWS rows, and
        at most MAX_PROBED_SHEETS sheets are searched. A sheet that cannot be
        read, or whose header row is too wide, is left out: it is not the
        sheet being imported, so it does not reject the file.
        """
        return self._customer_sheets_besides(self._sheet_index)

    def unchecked_sheets(self):
        """Return the names of the other visible sheets past MAX_PROBED_SHEETS,
        which other_customer_sheets() does not search, in workbook order."""
        return self._unchecked_sheets_besides(self._sheet_index)

    def offer_other_sheets(self, rejection):
        """Set the other sheets that may be read in place of this table's
        sheet on `rejection`, a FileRejected about this sheet, and return it."""
        return self._offer_sheets_besides(self._sheet_index, rejection)

    def _offer_sheets_besides(self, sheet_index, rejection):
        rejection.customer_sheets = self._customer_sheets_besides(sheet_index)
        rejection.unchecked_sheets = self._unchecked_sheets_besides(sheet_index)
        return rejection

    def _other_indexes(self, sheet_index):
        """Return the indexes of the visible sheets other than `sheet_index`:
        (those searched for a header row, those past MAX_PROBED_SHEETS)."""
        if self._no_header_in_any_sheet:
            # Every visible sheet was searched in vain, so none is searched again.
            return [], []
        others = [index for index in self._candidate_indexes() if index != sheet_index]
        limit = MAX_PROBED_SHEETS.get(self.format, MAX_PROBED_SHEETS[None])
        return others[:limit], others[limit:]

    def _unchecked_sheets_besides(self, sheet_index):
        _probed, unchecked = self._other_indexes(sheet_index)
        return [self._source.sheets[index].name for index in unchecked]

    def _customer_sheets_besides(self, sheet_index):
        found = []
        probed, _unchecked = self._other_indexes(sheet_index)
        for index in probed:
            header = self._header_if_readable(index)
            if header is None:
                continue
            found.append((self._source.sheets[index].name, self._sheet_row_estimate(index, header[1])))
        return found

    def _header_if_readable(self, sheet_index):
        """Return _scored_header(sheet_index), or None when the sheet cannot
        be read or its header row is too wide. For sheets other than the
        one read, whose errors must not reject the file."""
        try:
            return self._scored_header(sheet_index)
        except MemoryError:
            raise
        except Exception as error:
            logger.info("Skipped another sheet while looking for customer lists: %s", _error_origin(error))
            return None

    def _sheet_row_estimate(self, sheet_index, header_row):
        """Return the rows below `header_row` by the sheet's declared size,
        or None when the format declares none or declares more rows than
        IMPORT_MAX_ROWS.

        Some programs declare the whole grid (A1:XFD1048576) and a crafted
        file may declare any size, so a count past the limit is not shown.
        """
        last_row = getattr(self._source, "declared_last_row", None)
        if last_row is None:
            return None
        try:
            last = last_row(sheet_index)
        except Exception as error:
            logger.info("Could not read another sheet's declared size: %s", _error_origin(error))
            return None
        if last is None:
            return None
        rows = max(last - header_row, 0)
        if rows > max_rows():
            return None
        return rows

    def _widest_text_row(self, sheet_index):
        """Return (cell count, row number, header texts) of the row within
        HEADER_SEARCH_ROWS that looks most like a header, or None.

        A candidate has at least MIN_HEADER_SCORE text cells and at most one
        other cell (a year such as 2024 among the headers). The one with the
        most cells wins and the first one on a tie, so a short title row above
        the headers loses to them, and the headers to the data rows below."""
        best = None
        rows = self._source.iter_rows(sheet_index, last_row=HEADER_SEARCH_ROWS)
        try:
            for row in rows:
                values = [value for value in row.cells if value is not None and str(value).strip()]
                texts = sum(1 for value in values if isinstance(value, str))
                if texts < MIN_HEADER_SCORE or len(values) - texts > 1:
                    continue
                if best is None or len(values) > best[0]:
                    if row.overflow_column is not None:
                        self._reject_columns(sheet_index, row.number, row.overflow_column)
                    best = (len(values), row.number, tuple(header_text(value) for value in row.cells))
        finally:
            rows.close()
        return best

    def _find_header(self, sheet_index):
        """Return (row number, header texts, first row number) of the best
        header row, or None (see _scored_header).

        The best row is the one within the first HEADER_SEARCH_ROWS rows that
        names the most customer fields; the first one wins a tie.
        """
        found = self._scored_header(sheet_index)
        return None if found is None else found[1:]

    def _scored_header(self, sheet_index):
        """Return (score, row number, header texts, first row number) of the
        best header row, as _find_header() finds it, or None. The score is
        the number of customer fields the header names (headers.header_score).

        A header written over two rows (see headers.two_row_header) is taken
        whole when it names more fields than the best row alone, which is
        then its upper or lower row. Its row number is that of its lower
        row, below which the data starts, and its first row number that of
        its upper row. A one-row header's first row number is its own.
        """
        best_score = MIN_HEADER_SCORE - 1
        best = None
        # Every row read, so that the rows beside the best one can be paired with it.
        read_rows = []
        rows = self._source.iter_rows(sheet_index, last_row=HEADER_SEARCH_ROWS)
        try:
            for row in rows:
                texts = tuple(header_text(value) for value in row.cells)
                read_rows.append((row, texts))
                score = header_score(texts, self._learned)
                if score > best_score:
                    best_score = score
                    best = len(read_rows) - 1
        finally:
            rows.close()
        if best is None:
            return None
        header_rows = [read_rows[best]]
        texts = read_rows[best][1]
        for upper, lower in ((best - 1, best), (best, best + 1)):
            if upper < 0 or lower >= len(read_rows) or read_rows[upper][0].number + 1 != read_rows[lower][0].number:
                continue
            paired = two_row_header(read_rows[upper][1], read_rows[lower][1], self._learned)
            if paired is None:
                continue
            score = header_score(paired, self._learned)
            if score > best_score:
                best_score, texts = score, paired
                header_rows = [read_rows[upper], read_rows[lower]]
        for row, _texts in header_rows:
            if row.overflow_column is not None:
                self._reject_columns(sheet_index, row.number, row.overflow_column)
        return best_score, header_rows[-1][0].number, texts, header_rows[0][0].number

    def _reject_columns(self, sheet_index, row_number, column):
        raise FileRejected(
            TOO_MANY_COLUMNS,
            sheet=self._source.sheets[sheet_index].name,
            column=column_letter(column),
            row=row_number,
            limit=max_columns(),
        )

    # --- data rows ---------------------------------------------------------

    @property
    def row_estimate(self):
        """Return an estimate of the data rows `rows()` yields, or None when unknown.

        Only .xlsx has one, once its first data row is read: the row tags
        after the header's, at most IMPORT_MAX_ROWS. Blank rows that carry
        only a style have tags too, so the estimate may exceed the rows.
        """
        row_tags = getattr(self._source, "row_tags", None)
        if not row_tags:
            return None
        # The header row has a tag of its own.
        return min(max(row_tags - 1, 0), max_rows())

    def rows(self, opening=None):
        """Yield a RawRow for every non-empty data row below the header.

        `opening(fraction)` is called while a format that prepares the
        sheet before its first row (xlsx scans it) does so.

        A row is empty when it has no values or only whitespace text. Cells
        are padded with None to the header's width. A merged range that
        starts below the header gives its top-left value to every cell it
        covers in non-empty rows. Raises FileRejected on a value beyond
        IMPORT_MAX_COLUMNS, after IMPORT_MAX_ROWS data rows, or when the
        file turns out broken part-way.
        """
        self.hidden_rows.clear()
        if hasattr(self._source, "opening_progress"):
            self._source.opening_progress = opening
        rows = self._source.iter_rows(self._sheet_index)
        try:
            yield from self._data_rows(rows)
        except (FileRejected, MemoryError):
            raise
        except Exception as error:
            logger.info("Rejected an unreadable %s file while reading rows: %s", self.format, _error_origin(error))
            raise FileRejected(FILE_CORRUPT) from error
        finally:
            rows.close()

    def _data_rows(self, rows):
        header_row = self.header_row
        width = len(self.header_cells)
        row_limit = max_rows()
        column_limit = max_columns()
        merges = MergeFiller(header_row, column_limit)
        count = 0
        for row in rows:
            number = row.number
            if number <= header_row:
                continue
            if row.overflow_column is not None:
                self._reject_columns(self._sheet_index, number, row.overflow_column)
            cells = row.cells
            if _is_blank(cells):
                continue

            count += 1
            if count > row_limit:
                raise FileRejected(TOO_MANY_ROWS, sheet=self.sheet_name, limit=row_limit)
            if row.merges:
                merges.start(number, cells, row.merges)
            if merges.active:
                merges.fill(number, cells)
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            if row.hidden:
                self.hidden_rows.append(number)
            yield RawRow(number, tuple(cells), row.hidden)


def _is_blank(cells):
    for value in cells:
        if value is not None and (value.__class__ is not str or value.strip()):
            return False
    return True


class MergeFiller:
    """Fill the cells covered by merged ranges with their top-left value.

    Only ranges starting below the header row are filled, so a header merged
    over several columns does not repeat its text into data rows. In a valid
    sheet the ranges covering one row never overlap, so their total width is
    at most the column limit. Ranges beyond that width are dropped, which
    bounds the work per row for crafted files.
    """

    def __init__(self, header_row, column_limit):
        self._header_row = header_row
        self._column_limit = column_limit
        self.active = []

    def start(self, number, cells, ranges):
        if number <= self._header_row:
            return
        for first_column, last_column, last_row in ranges:
            if first_column >= len(cells) or cells[first_column] is None:
                continue
            last_column = min(last_column, self._column_limit - 1)
            width = sum(active[1] - active[0] + 1 for active in self.active)
            if width + last_column - first_column + 1 > self._column_limit:
                continue
            self.active.append((first_column, last_column, last_row, cells[first_column]))

    def fill(self, number, cells):
        self.active = [active for active in self.active if active[2] >= number]
        for first_column, last_column, _last_row, value in self.active:
            if len(cells) <= last_column:
                cells.extend([None] * (last_column + 1 - len(cells)))
            for column in range(first_column, last_column + 1):
                cells[column] = value
