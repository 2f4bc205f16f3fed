"""Shared helpers for the workbooks eBilling writes (template, export,
problem rows)."""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

# A cell starting with one of these is a formula (or a DDE payload) to some
# spreadsheet program. An apostrophe in front makes it plain text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1E8E3E")
TEXT_FORMAT = "@"


def neutralise(value):
    """Return `value` safe to put in a spreadsheet cell: text loses the
    control characters that XML cannot contain (openpyxl rejects them), and
    text starting with a formula trigger gets a leading apostrophe. Numbers,
    dates and None pass unchanged."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unneutralise(text):
    """Undo neutralise() on text read back from one of our workbooks."""
    if isinstance(text, str) and len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def column_letter(index):
    """Return the column letter of a 0-based column index."""
    return get_column_letter(index + 1)
