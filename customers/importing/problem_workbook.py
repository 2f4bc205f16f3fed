"""The workbook of problem rows: the original columns of every row that
could not be saved or that a save skipped as a possible duplicate, plus its row number in the uploaded file ("Baris asal")
and a "Masalah" column listing every finding of the row, ready to fix and
upload again."""

import tempfile

from audit.personal_data import mask_finding, mask_nik_text, nik_headers
from customers.importing.cells import ErrorCell, FormulaWithoutValue
from customers.importing.column_map import batch_overrides, learned_aliases, reviewed_learned_aliases
from customers.importing.cleaners import PHONE_EXTRA_NUMBERS
from customers.importing.dedupe import NIK_MASKED_NOT_SAVED
from customers.importing.gate import inspect_upload
from customers.importing.headers import TEMPLATE_HEADERS, map_headers, normalise_header
from customers.importing.matching import (
    PACKAGE_UNKNOWN,
    PACKAGE_UNKNOWN_KEPT,
    PACKAGE_UNKNOWN_SUGGESTED,
    PACKAGE_UNKNOWN_SUGGESTED_KEPT,
    SITE_UNKNOWN,
    SITE_UNKNOWN_KEPT,
)
from customers.importing.problems import FileRejected, Problem
from customers.importing.reader import open_table
from customers.importing.rows import LEFT_OUT_NOTES
from customers.importing.sheet_writer import RowBuffer, Style, date_style, write_workbook
from customers.importing.template import TEXT_FIELDS
from customers.models import ImportProblem

PROBLEM_COLUMN = "Masalah"
NOTES_SHEET_NAME = "Catatan"
NOTES_COLUMN = "Catatan"
# The notes sheet names each customer by its ID and name in one column,
# under a header that names no field, so an upload of the workbook never
# takes that sheet for a second customer list.
CUSTOMER_COLUMN = "Pelanggan"
# The messages name the row of the uploaded file ("Baris 13"), which is
# another row of this workbook, so each row shows its original number.
SOURCE_ROW_COLUMN = "Baris asal"
# The columns that the workbook adds after the file's own, which an upload
# of the workbook ignores.
ADDED_COLUMNS = (SOURCE_ROW_COLUMN, PROBLEM_COLUMN)
SHEET_NAME = "Pelanggan"
# Problems loaded from the database per query.
PROBLEM_CHUNK = 5000


def _plain(value):
    if isinstance(value, (ErrorCell, FormulaWithoutValue)):
        return str(value)
    return value


# Notes that a value of a saved row was left out, which the admin can fill
# in on the customer's page: these rows are listed on the notes sheet.
LEFT_OUT_CODES = frozenset({
    SITE_UNKNOWN, SITE_UNKNOWN_KEPT, PACKAGE_UNKNOWN, PACKAGE_UNKNOWN_KEPT, PACKAGE_UNKNOWN_SUGGESTED,
    PACKAGE_UNKNOWN_SUGGESTED_KEPT, NIK_MASKED_NOT_SAVED, PHONE_EXTRA_NUMBERS,
    *(code for notes in LEFT_OUT_NOTES.values() for code in notes.values()),
})



def has_left_out_rows(batch):
    """Return whether the batch saved rows with a value left out, which the
    workbook's notes sheet lists."""
    return batch.problems.filter(code__in=LEFT_OUT_CODES).exists()

# Kinds of the findings that keep a row from being saved.
UNSAVED_KINDS = frozenset({ImportProblem.Kind.PROBLEM, ImportProblem.Kind.SKIPPED})


def _row_messages(batch, mask_nik):
    """Return ({row: [message, ...]} of the rows not saved, {row:
    [message, ...]} of the other rows with a value left out), read in chunks.

    Each row lists every finding, its problems first, so that one round of
    fixes clears it, instead of its notes coming up only after its problems
    are fixed.
    """
    messages = {}
    notes = {}
    headers = nik_headers(batch.summary)
    findings = batch.problems.order_by("row", "id")
    row = None
    problems, others = [], []
    left_out = False

    def message(finding):
        if mask_nik:
            mask_finding(finding, headers)
        return Problem(finding.row, finding.column, finding.value, finding.code, finding.params).message

    # Messages are worded only for the rows kept: most findings of a large
    # update are "will change" notes of rows that are in neither sheet.
    def keep_row():
        if problems:
            messages[row] = [message(finding) for finding in problems + others]
        elif left_out:
            notes[row] = [message(finding) for finding in others]

    for finding in findings.iterator(chunk_size=PROBLEM_CHUNK):
        if finding.row != row:
            keep_row()
            row = finding.row
            problems, others = [], []
            left_out = False
        (problems if finding.kind in UNSAVED_KINDS else others).append(finding)
        left_out = left_out or finding.code in LEFT_OUT_CODES
    keep_row()
    return messages, notes


def _row_cells(raw, width, text_columns, nik_columns):
    """Return the (value, style) pairs of one source row's first `width` columns."""
    cells = []
    for index, value in enumerate(raw.cells[:width]):
        if index in nik_columns and value is not None:
            value = mask_nik_text(_plain(value))
        plain = _plain(value)
        if isinstance(value, str) or index in text_columns:
            # As in the template, so a NIK or phone typed again keeps every digit.
            style = Style.TEXT
        else:
            # openpyxl's default shows 2024-02-01 00:00:00, not the sheet's own date form.
            style = date_style(plain)
        cells.append((plain, style))
    for index in range(len(cells), width):
        cells.append((None, Style.TEXT if index in text_columns else Style.GENERAL))
    return cells


def _added_column_indexes(titles, columns):
    """Return the indexes of the columns that an earlier problem workbook
    added to this file, whose row numbers and messages are out of date."""
    added = {normalise_header(title) for title in ADDED_COLUMNS}
    return {
        index for index, title in enumerate(titles)
        if index not in columns and title is not None and normalise_header(str(title)) in added
    }


def _header_titles(header_cells, columns):
    """Return the header row to write: the file's header cells, widened to
    every column read for a field.

    A column without a header that was given a field by hand gets that
    field's template header, so the fixed file is read the same way
    without choosing again.
    """
    width = max([len(header_cells), *(index + 1 for index in columns)])
    titles = [*header_cells, *[None] * (width - len(header_cells))]
    for index, field_name in columns.items():
        if titles[index] is None or not str(titles[index]).strip():
            titles[index] = TEMPLATE_HEADERS[field_name]
    return titles


def write_problem_workbook(batch, out, *, mask_nik=True):
    """Write the batch's problem rows to the binary file `out`: an empty
    sheet with headers when there are none, and only each row's number and
    messages when the upload was deleted or cannot be read.

    A second sheet, "Catatan", lists the rows that were saved with a value
    left out, such as an unknown Paket. They are not on the first sheet,
    because uploading them again in the mode Create only would find them
    already present: the admin fills those values in on the customer's page.

    With `mask_nik`, NIK cells and the NIKs quoted in messages keep only
    their last four digits. Rows are streamed through a temporary file, so
    memory grows with the messages, not with the rows written. The file is
    read up to the last row that either sheet lists.
    """
    messages, notes = _row_messages(batch, mask_nik)
    last_row = max(max(messages, default=0), max(notes, default=0))
    # The ID Pelanggan and name of each row on the notes sheet, as typed.
    customers = {}
    header_cells = ()
    with tempfile.TemporaryFile() as body, tempfile.TemporaryFile() as notes_body:
        rows = RowBuffer(body, first_row=2)
        written = []
        if not batch.file:
            # The upload was deleted (see purge_import_files and
            # redaction.py), so each row keeps its number and messages.
            for number in sorted(messages):
                rows.append([(number, Style.GENERAL), (" ".join(messages[number]), Style.GENERAL)])
        elif messages or notes:
            try:
                path = batch.file.path
                fmt = inspect_upload(path, batch.file_name)
                # The file is read as its review read it: with the learned
                # header aliases applied then, and the fallback header row of
                # a batch whose columns were mapped by hand.
                learned = reviewed_learned_aliases(batch.summary)
                if learned is None:
                    learned = learned_aliases()
                with open_table(
                    path, fmt, batch.file_name, learned, fallback_header=bool(batch.column_map), sheet=batch.sheet or None
                ) as table:
                    columns = map_headers(table.header_cells, batch_overrides(batch.column_map), learned).columns
                    header_cells = _header_titles(table.header_cells, columns)
                    stale = _added_column_indexes(header_cells, columns)
                    header_cells = [title for index, title in enumerate(header_cells) if index not in stale]
                    text_columns = {index for index, field in columns.items() if field in TEXT_FIELDS}
                    nik_columns = {index for index, field in columns.items() if field == "nik"} if mask_nik else set()
                    customer_columns = sorted(index for index, name in columns.items() if name in ("number", "name"))
                    for raw in table.rows():
                        if raw.number > last_row:
                            break
                        if raw.number in notes:
                            customers[raw.number] = _customer_text(raw, customer_columns)
                        if raw.number in messages:
                            cells = _row_cells(raw, len(header_cells) + len(stale), text_columns, nik_columns)
                            cells = [cell for index, cell in enumerate(cells) if index not in stale]
                            cells.append((raw.number, Style.GENERAL))
                            cells.append((" ".join(messages[raw.number]), Style.GENERAL))
                            rows.append(cells)
                            written.append(raw.number)
            except (FileRejected, FileNotFoundError):
                # Without a readable file the rows read so far keep only their messages.
                header_cells = ()
                body.seek(0)
                body.truncate()
                rows = RowBuffer(body, first_row=2)
                for number in written:
                    rows.append([(number, Style.GENERAL), (" ".join(messages[number]), Style.GENERAL)])
        rows.flush()
        notes_rows = RowBuffer(notes_body, first_row=2)
        for number in sorted(notes):
            notes_rows.append([
                (number, Style.GENERAL),
                (customers.get(number), Style.TEXT),
                (" ".join(notes[number]), Style.GENERAL),
            ])
        notes_rows.flush()

        header = [(title, Style.HEADER) for title in (*header_cells, *ADDED_COLUMNS)]
        notes_header = [(title, Style.HEADER) for title in (SOURCE_ROW_COLUMN, CUSTOMER_COLUMN, NOTES_COLUMN)]
        write_workbook(out, SHEET_NAME, header, body, [(NOTES_SHEET_NAME, notes_header, notes_body)])


def _customer_text(raw, indexes):
    """Return the row's cells at `indexes` (its ID Pelanggan and name) as one text, or None when they are empty."""
    values = [raw.cells[index] for index in indexes if index < len(raw.cells)]
    texts = [str(_plain(value)).strip() for value in values if value is not None]
    return " ".join(text for text in texts if text) or None
