"""The workbook of problem rows: the original columns of every row that
could not be saved, plus a "Masalah" column saying why, ready to fix and
upload again."""

import datetime
from collections import defaultdict

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from audit.personal_data import mask_finding, mask_nik_text
from customers.importing.cells import ErrorCell, FormulaWithoutValue
from customers.importing.column_map import batch_overrides, learned_aliases, reviewed_learned_aliases
from customers.importing.gate import inspect_upload
from customers.importing.headers import map_headers
from customers.importing.problems import FileRejected, Problem
from customers.importing.reader import open_table
from customers.importing.spreadsheet import HEADER_FILL, HEADER_FONT, TEXT_FORMAT, text_safe_cell
from customers.importing.template import TEXT_FIELDS
from customers.models import ImportProblem

PROBLEM_COLUMN = "Masalah"


DATE_FORMAT = "dd/mm/yyyy"
DATE_TIME_FORMAT = "dd/mm/yyyy hh:mm"


def _plain(value):
    if isinstance(value, (ErrorCell, FormulaWithoutValue)):
        return str(value)
    return value


def write_problem_workbook(batch, out, *, mask_nik=True):
    """Write the batch's problem rows to `out`; an empty sheet with headers
    when there are none or the file is gone.

    With `mask_nik`, NIK cells and the NIKs quoted in messages keep only
    their last four digits.
    """
    messages = defaultdict(list)
    for finding in batch.problems.filter(kind=ImportProblem.Kind.PROBLEM).order_by("row", "id"):
        if mask_nik:
            mask_finding(finding)
        problem = Problem(finding.row, finding.column, finding.value, finding.code, finding.params)
        messages[finding.row].append(problem.message)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Pelanggan")
    header_cells = ()
    nik_columns = set()
    text_columns = set()
    rows = []
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
            with open_table(path, fmt, batch.file_name, learned, fallback_header=bool(batch.column_map)) as table:
                header_cells = table.header_cells
                columns = map_headers(header_cells, batch_overrides(batch.column_map), learned).columns
                # As in the template, so a NIK or phone typed again keeps every digit.
                text_columns = {index for index, field in columns.items() if field in TEXT_FIELDS}
                if mask_nik:
                    nik_columns = {index for index, field in columns.items() if field == "nik"}
                for raw in table.rows():
                    if raw.number in messages:
                        rows.append(raw)
        except (FileRejected, FileNotFoundError):
            header_cells = ()

    header = []
    for title in (*header_cells, PROBLEM_COLUMN):
        cell = text_safe_cell(sheet, title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for raw in rows:
        cells = []
        for index, value in enumerate(raw.cells[: len(header_cells)]):
            if index in nik_columns and value is not None:
                value = mask_nik_text(_plain(value))
            cell = text_safe_cell(sheet, _plain(value))
            if isinstance(value, str) or index in text_columns:
                cell.number_format = TEXT_FORMAT
            elif isinstance(value, datetime.datetime) and value.time() != datetime.time(0, 0):
                cell.number_format = DATE_TIME_FORMAT
            elif isinstance(value, datetime.date):
                # openpyxl's default shows 2024-02-01 00:00:00, not the sheet's own date form.
                cell.number_format = DATE_FORMAT
            cells.append(cell)
        for index in range(len(cells), len(header_cells)):
            cell = WriteOnlyCell(sheet, value=None)
            if index in text_columns:
                cell.number_format = TEXT_FORMAT
            cells.append(cell)
        cells.append(text_safe_cell(sheet, " ".join(messages[raw.number])))
        sheet.append(cells)
    workbook.save(out)
