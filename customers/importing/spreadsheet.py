"""Shared helpers for the workbooks eBilling writes (template, export,
problem rows)."""

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

# A cell starting with one of these is a formula (or a DDE payload) to some
# spreadsheet program. In CSV an apostrophe in front makes it plain text. In
# .xlsx the cell's string type and quotePrefix style do that, with no apostrophe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1E8E3E")
TEXT_FORMAT = "@"


def neutralise(value):
    """Return `value` safe to put in a CSV cell: text loses the control
    characters that XML cannot contain, and text starting with a formula
    trigger gets a leading apostrophe. Numbers, dates and None pass unchanged."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def keep_text(cell):
    """Mark a text cell as a string, never a formula, and return the cell.

    openpyxl writes a str starting with "=" as a formula unless the cell is
    given the string type. Text starting with a formula trigger also gets the
    quotePrefix style, the .xlsx form of text typed after an apostrophe.
    NOTE: that Excel then keeps an edited cell as text was not tried in Excel.
    """
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    return cell


def text_safe_cell(sheet, value):
    """Return a WriteOnlyCell of `value` for an .xlsx: text keeps its exact
    characters, without the XML-illegal control characters, and is never a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return keep_text(WriteOnlyCell(sheet, value=value))


def unneutralise(text):
    """Undo neutralise() on text read back from one of our workbooks."""
    if isinstance(text, str) and len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def column_letter(index):
    """Return the column letter of a 0-based column index."""
    return get_column_letter(index + 1)
