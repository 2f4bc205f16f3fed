"""Logging filters that keep personal data out of log output.

Imported by the LOGGING setting before Django's apps load, so this module
must not import models.
"""

import logging
import re

# A NIK is 16 digits. Any run of 16 or more digits in a log line is masked,
# because a log cannot tell a NIK from another long number.
NIK_RUN = re.compile(r"\d{16,}")


def mask_digit_runs(text):
    """Return `text` with every run of 16 or more digits masked but its last four."""
    return NIK_RUN.sub(lambda match: "*" * (len(match[0]) - 4) + match[0][-4:], text)


class MaskNikFilter(logging.Filter):
    """Mask NIK-like digit runs in a record's message and exception text.

    This is a safety net: eBilling's own code logs ids only. The record is
    rewritten in place, so later handlers see the masked text too.
    """

    def filter(self, record):
        message = record.getMessage()
        masked = mask_digit_runs(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_digit_runs(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_digit_runs(record.stack_info)
        return True
