"""Types and helpers shared by the format backends."""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

# Excel's own grid size: 1,048,576 rows by 16,384 columns (A to XFD).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


def max_columns():
    """Return IMPORT_MAX_COLUMNS: a value in a column beyond it rejects the file.

    The template has 11 columns and ISP sheets seldom have more than 30; 100
    leaves room for notes columns while refusing sheets that run to XFD.
    """
    return getattr(settings, "IMPORT_MAX_COLUMNS", 100)


def max_rows():
    """Return IMPORT_MAX_ROWS, the maximum number of non-empty data rows."""
    return getattr(settings, "IMPORT_MAX_ROWS", 300_000)


@dataclass(frozen=True)
class SheetInfo:
    """A sheet as listed by the workbook.

    `readable` is False for chart sheets and for sheets whose part is missing:
    they are listed to the admin but never searched for customers.
    """

    name: str
    visible: bool
    readable: bool = True


class SheetRow(NamedTuple):
    """One row of a sheet as a backend yields it.

    `cells` lists the values from column A up to the last non-empty value
    within the column limit, with None in the gaps. Empty cells and empty
    strings are None. `overflow_column` is the 0-based index of the first
    non-empty cell at or beyond the column limit, or None. `merges` lists the
    merged ranges whose top-left cell is in this row, as
    (first column, last column, last row) with 0-based columns and 1-based rows.
    """

    number: int
    cells: list
    hidden: bool = False
    overflow_column: int = None
    merges: tuple = ()


def column_letter(index):
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters):
    """Return the 0-based column index of spreadsheet column letters ("A" -> 0).

    Raises ValueError when `letters` is not a column name.
    """
    if not letters or not letters.isascii() or not letters.isalpha():
        raise ValueError("invalid column letters")
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def excel_serial_to_datetime(serial, date1904):
    """Convert an Excel date serial to a datetime, or a time when it is under 1.

    Returns the serial unchanged when it is outside the dates Python can
    represent, so the cleaner reports it as an invalid date. The 1900 system
    counts the nonexistent 29 February 1900 (Lotus 1-2-3 compatibility);
    openpyxl's from_excel corrects serials below 60 for it.
    """
    epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
    try:
        return from_excel(serial, epoch)
    except (OverflowError, ValueError):
        return serial


def header_text(value):
    """Return a header cell as text: "" for empty, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
