"""Row problems and whole-file rejections raised by the import pipeline.

Every user-facing import message is defined once, here, under a stable code.
Tests assert the code; screens, problem workbooks and the command's JSON show
the translated message. Templates use named placeholders so translators can
reorder them.
"""

from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy

# Message templates for problems found in one cell or one row. Placeholders:
# %(row)s, %(column)s and %(value)s are always available; others are listed
# by the code that raises the problem. Values from the sheet or a stored
# customer are set off in quotation marks (“%(value)s”), but row numbers,
# column names, counts and limits are not.
ROW_MESSAGES = {}

# Message templates that report a change as done, for notes that announce
# one ("will change to") and are shown after the import saved it.
SAVED_ROW_MESSAGES = {}

# Message templates for a whole file that cannot be read.
FILE_MESSAGES = {}

# File message parameters that are counts, shown with the locale's thousands
# separator ("100.000"). Row and line numbers are left as the sheet shows them.
GROUPED_FILE_PARAMS = frozenset({"limit", "rows"})

# File message parameters that are sizes in bytes, shown as every page shows
# a file size: with Django's filesizeformat ("25,0 MB"). They are stored with
# a failed batch as plain numbers and formatted in the reader's language.
SIZE_FILE_PARAMS = frozenset({"size_bytes", "limit_bytes"})

# Batches that failed before sizes were stored in bytes keep them in whole
# MiB under these names.
MEGABYTE_FILE_PARAMS = {"size_mb": "size_bytes", "limit_mb": "limit_bytes"}
MIB = 1024 * 1024


def register_row_message(code, template):
    """Register the message template of a row problem code and return the code."""
    ROW_MESSAGES[code] = template
    return code


def register_saved_message(code, template):
    """Register the message template that a row note of `code` shows once
    its change is saved, and return the code."""
    SAVED_ROW_MESSAGES[code] = template
    return code


def register_file_message(code, template):
    """Register the message template of a file rejection code and return the code."""
    FILE_MESSAGES[code] = template
    return code


def file_size_text(size, *, round_up=False):
    """Return a size in bytes as Django's filesizeformat shows it: "4,0 KB", "25,0 MB".

    filesizeformat shows one decimal and rounds to the nearest, so a file
    1 byte over a 25 MB limit would read "25,0 MB" like the limit itself.
    With `round_up`, the size is first rounded up to the next tenth of its
    unit, and that file reads "25,1 MB".
    """
    if round_up and size >= 1024:
        unit = 1024
        while size >= unit * 1024 and unit < 1024**5:
            unit *= 1024
        tenths = -(-size * 10 // unit)
        size = tenths * unit / 10
    return filesizeformat(size)


class CellError(Exception):
    """A cell value that cannot be used; raised by the cleaners.

    `code` is a key of ROW_MESSAGES and `params` fills its placeholders
    (beyond row, column and value, which the caller adds).
    """

    def __init__(self, code, **params):
        super().__init__(code)
        self.code = code
        self.params = params


class FileRejected(Exception):
    """A file that cannot be imported at all; nothing is read from it.

    A rejection of the sheet that was read, rather than of the whole file,
    carries the other sheets that may be read instead. `customer_sheets`
    lists (name, row estimate or None) for those that look like customer
    lists. `unchecked_sheets` names those not searched for a header row.
    Table.offer_other_sheets() in the reader sets both.
    """

    customer_sheets = ()
    unchecked_sheets = ()

    def __init__(self, code, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self):
        params = dict(self.params)
        for old_name, name in MEGABYTE_FILE_PARAMS.items():
            if old_name in params:
                params[name] = params.pop(old_name) * MIB
        for name in GROUPED_FILE_PARAMS.intersection(params):
            if isinstance(params[name], int):
                params[name] = number_format(params[name], force_grouping=True)
        for name in SIZE_FILE_PARAMS.intersection(params):
            # A file's size is rounded up, so a file over a limit never reads as equal to it.
            params[name] = file_size_text(params[name], round_up=name == "size_bytes")
        return gettext(FILE_MESSAGES[self.code]) % params

    def __str__(self):
        return f"{self.code}: {self.message}"


# The maximum length of a value repeated whole in a message. A longer one,
# such as a 500-character name, is cut with an ellipsis.
MESSAGE_VALUE_LENGTH = 60

# The %(other)s of a finding that names another row of the file, or a
# customer the uploader may not see. Findings store `other_row` or
# `other_hidden`, and the message words them in the viewer's language.
OTHER_ROW = gettext_lazy("row %(row)s")
OTHER_HIDDEN = gettext_lazy("a customer of a site you do not manage")

def status_label(code):
    """Return a customer status code's label in the active language, or the code when it names no status."""
    from customers.models import Customer

    if code not in Customer.Status.values:
        return code
    return str(Customer.Status(code).label)


# Findings stored before these messages named the stored customer's ID have
# no "number" parameter, so the ID as typed in the file is used instead.
NUMBER_FROM_VALUE_CODES = frozenset({"present_number", "no_changes"})


@dataclass(frozen=True)
class Problem:
    """One problem on one row: the sheet row number, the column header as it
    appears in the file, the raw value as text, and a message code."""

    row: int
    column: str
    value: str
    code: str
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def message(self):
        return self._render(ROW_MESSAGES[self.code])

    @property
    def saved_message(self):
        """The message after the import saved the row: the change that a
        note announces is reported as done."""
        return self._render(SAVED_ROW_MESSAGES.get(self.code, ROW_MESSAGES[self.code]))

    def _render(self, template):
        value = self.value
        if len(value) > MESSAGE_VALUE_LENGTH:
            # The whole value is in the finding's own column.
            value = value[: MESSAGE_VALUE_LENGTH - 1] + "…"
        values = {"row": self.row, "column": self.column, "value": value}
        if self.code in NUMBER_FROM_VALUE_CODES:
            values["number"] = value
        values.update(self.params)
        if "new_status" in self.params:
            values["value"] = status_label(self.params["new_status"])
        if "old_status" in self.params:
            values["old"] = status_label(self.params["old_status"])
        if "other_row" in self.params:
            values["other"] = OTHER_ROW % {"row": self.params["other_row"]}
        elif self.params.get("other_hidden"):
            values["other"] = str(OTHER_HIDDEN)
        return gettext(template) % values

    def as_dict(self):
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message,
        }
