"""Masking of NIKs in what staff see of an import: review findings and
problem-row workbooks."""

from audit.log_filters import mask_digit_runs
from customers.importing.headers import field_for_header

# Findings with these codes carry a NIK as their value, whatever the column.
NIK_CODE_PREFIX = "nik_"
# Parameters of a finding that repeat a stored value of the finding's column.
VALUE_PARAMS = ("old",)


def mask_nik_text(text):
    """Return `text` with every digit but the last four replaced by "*".

    Works on a NIK as typed, with separators or in Excel's exponent form,
    so "3201-0112-0390-0001" becomes "****-****-****-0001". Text with four
    digits or fewer is returned unchanged.
    """
    text = str(text)
    digits = sum(char.isdigit() for char in text)
    if digits <= 4:
        return text
    hidden = digits - 4
    masked = []
    for char in text:
        if char.isdigit() and hidden:
            masked.append("*")
            hidden -= 1
        else:
            masked.append(char)
    return "".join(masked)


def is_nik_column(header):
    """Return whether a column header, as written in the file, names the NIK field."""
    return field_for_header(header) == "nik"


def nik_headers(summary):
    """Return the headers of the columns that a batch's review read as the
    NIK, from its stored summary: also those mapped by hand or by a learned alias."""
    return frozenset(column["header"] for column in (summary or {}).get("columns", []) if column.get("field") == "nik")


def mask_finding(finding, nik_column_headers=frozenset()):
    """Mask the NIKs of an ImportProblem in place and return it.

    Only a finding of a NIK column (a header that names the NIK field or is
    in `nik_column_headers`) or with a NIK message code is masked: its value
    and stored-value parameters keep their last four digits, and its other
    parameters their runs of 16 or more digits. Any other finding keeps its
    value as typed, so that an admin can see a 16-digit phone number that
    was rejected.
    """
    is_nik = (
        finding.code.startswith(NIK_CODE_PREFIX)
        or finding.column in nik_column_headers
        or is_nik_column(finding.column)
    )
    if not is_nik:
        return finding
    finding.value = mask_nik_text(finding.value)
    params = dict(finding.params or {})
    for name in VALUE_PARAMS:
        if params.get(name):
            params[name] = mask_nik_text(params[name])
    finding.params = {name: mask_digit_runs(str(value)) for name, value in params.items()}
    return finding
