"""The workbook of problem rows: the original columns of every row that
could not be saved, plus a "Masalah" column saying why, ready to fix and
upload again."""

import tempfile
from collections import defaultdict

from audit.personal_data import mask_finding, mask_nik_text
from customers.importing.cells import ErrorCell, FormulaWithoutValue
from customers.importing.column_map import batch_overrides, learned_aliases, reviewed_learned_aliases
from customers.importing.gate import inspect_upload
from customers.importing.headers import TEMPLATE_HEADERS, map_headers
from customers.importing.problems import FileRejected, Problem
from customers.importing.reader import open_table
from customers.importing.sheet_writer import RowBuffer, Style, date_style, write_workbook
from customers.importing.template import TEXT_FIELDS
from customers.models import ImportProblem

PROBLEM_COLUMN = "Masalah"
SHEET_NAME = "Pelanggan"
# Problems loaded from the database per query.
PROBLEM_CHUNK = 5000


def _plain(value):
    if isinstance(value, (ErrorCell, FormulaWithoutValue)):
        return str(value)
    return value


def _problem_messages(batch, mask_nik):
    """Return {row number: [message, ...]} of the batch's problems, read in chunks."""
    messages = defaultdict(list)
    findings = batch.problems.filter(kind=ImportProblem.Kind.PROBLEM).order_by("row", "id")
    for finding in findings.iterator(chunk_size=PROBLEM_CHUNK):
        if mask_nik:
            mask_finding(finding)
        problem = Problem(finding.row, finding.column, finding.value, finding.code, finding.params)
        messages[finding.row].append(problem.message)
    return messages


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
    """Write the batch's problem rows to the binary file `out`; an empty
    sheet with headers when there are none or the file is gone.

    With `mask_nik`, NIK cells and the NIKs quoted in messages keep only
    their last four digits. Rows are streamed through a temporary file, so
    memory grows with the problem messages, not with the rows written. The
    file is read up to the last problem row only.
    """
    messages = _problem_messages(batch, mask_nik)
    last_row = max(messages, default=0)
    header_cells = ()
    with tempfile.TemporaryFile() as body:
        rows = RowBuffer(body, first_row=2)
        written = []
        if batch.file and messages:
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
                    text_columns = {index for index, field in columns.items() if field in TEXT_FIELDS}
                    nik_columns = {index for index, field in columns.items() if field == "nik"} if mask_nik else set()
                    for raw in table.rows():
                        if raw.number > last_row:
                            break
                        if raw.number in messages:
                            cells = _row_cells(raw, len(header_cells), text_columns, nik_columns)
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
                    rows.append([(" ".join(messages[number]), Style.GENERAL)])
        rows.flush()

        header = [(title, Style.HEADER) for title in (*header_cells, PROBLEM_COLUMN)]
        write_workbook(out, SHEET_NAME, header, body)
