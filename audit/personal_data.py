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


def mask_finding(finding):
    """Mask the NIKs of an ImportProblem in place and return it.

    A finding of the NIK column, or with a NIK message code, gets its value
    and stored-value parameters masked. Any other value or parameter gets
    only its runs of 16 or more digits masked.
    """
    if finding.code.startswith(NIK_CODE_PREFIX) or is_nik_column(finding.column):
        finding.value = mask_nik_text(finding.value)
        params = dict(finding.params or {})
        for name in VALUE_PARAMS:
            if params.get(name):
                params[name] = mask_nik_text(params[name])
        finding.params = params
    else:
        finding.value = mask_digit_runs(str(finding.value))
    finding.params = {name: mask_digit_runs(str(value)) for name, value in (finding.params or {}).items()}
    return finding
