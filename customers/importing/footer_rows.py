"""Recognise the total rows that ISP sheets put below a list or below each
Site's part of it ("Total", "Jumlah: 10 pelanggan", "Subtotal Cibinong"),
so that they are skipped instead of saved as customers."""

import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from customers.importing import cleaners
from customers.importing.cells import ErrorCell, FormulaWithoutValue
from customers.importing.problems import register_row_message
from customers.importing.readers.base import column_letter

FOOTER_SKIPPED = register_row_message(
    "footer_skipped",
    _("Row %(row)s, column %(column)s: “%(value)s” is a total row, not a customer, so the row was skipped."),
)

# "Grand total" and "subtotal" never start a customer's name, so any text
# may follow them. "Total" and "Jumlah" may start one ("Total Jaya"), so
# they count as a label alone, before a colon or before a count, with up to
# three words in between ("Jumlah pelanggan aktif: 8", "Total Cibinong 5").
# NOTE: a customer named only "Total" or "Jumlah", on a row with no other
# text, is skipped too; its note names the row.
FOOTER_LABEL = re.compile(
    r"""
    (?:grand\s*total|sub\s*-?\s*total)\b.*
    | (?:total|jumlah)
      (?:
        \s*[:=].*
        | (?:\s+[^\W\d]+){0,3}\s*[:=]?\s*\d[\d.,]*(?:\s*(?:pelanggan|orang|plg))?
        | \s+pelanggan
      )?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A count or an amount typed as text: "10", "1.250", "Rp 1.500.000", or a
# count of customers beside the label ("18 pelanggan").
NUMBER_TEXT = re.compile(r"(?:rp\.?\s*)?\d[\d.,\s]*(?:pelanggan|orang|plg)?", re.IGNORECASE)
# Cells a total row may hold beside its label: counts and sums, which may
# be formulas saved without a result or formulas that failed.
NUMBER_CELL_TYPES = (int, float, Decimal, FormulaWithoutValue, ErrorCell)


def footer_label(cells):
    """Return the index of the row's total label, or None.

    A row is a total row when its only text is such a label and every other
    cell is blank or a number, as text or not.
    """
    label = None
    for index, value in enumerate(cells):
        if value is None or (isinstance(value, NUMBER_CELL_TYPES) and not isinstance(value, bool)):
            continue
        if not isinstance(value, str):
            # A date or a boolean is not part of a total row.
            return None
        text = value.strip()
        if label is None and FOOTER_LABEL.fullmatch(text):
            label = index
        elif not (cleaners.is_blank(value) or NUMBER_TEXT.fullmatch(text)):
            return None
    return label


def footer_column(header_map, index):
    """Return the header of column `index` as the file names it, or its letter without one."""
    field_name = header_map.columns.get(index)
    if field_name is not None:
        return header_map.label(field_name)
    return header_map.headers.get(index) or column_letter(index)
