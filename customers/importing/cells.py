"""Raw cell and row values passed from the reader to the cleaners.

A cell value is one of: None (empty), str, int, float, bool, datetime.datetime,
datetime.date, datetime.time, or one of the two markers below. Number cells
stay int or float so the cleaners can tell a NIK typed as a number from one
typed as text.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCell:
    """A cell holding a spreadsheet error such as #N/A or #REF!."""

    text: str

    def __str__(self):
        return self.text


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell saved without a cached result (written by a script,
    never opened in a spreadsheet program), so its value is unknown."""

    formula: str

    def __str__(self):
        return f"={self.formula}"


@dataclass(frozen=True)
class RawRow:
    """One data row: its 1-based sheet row number and its cells in column order."""

    number: int
    cells: tuple
    hidden: bool = False
