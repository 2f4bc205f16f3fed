"""Columns mapped by hand in review, and the header aliases learned from them.

A column whose header names no field can be given one on the batch page.
The choice is stored on the batch (ImportBatch.column_map, keyed by the
0-based column index as text, "" to ignore the column) and passed to
map_headers() as overrides each time the batch's file is read. An admin's
choice is also stored as a HeaderAlias, so later uploads map that header
by themselves.
"""

from customers.importing.cleaners import cell_text
from customers.importing.headers import SOURCE_LEARNED, SOURCE_TEMPLATE, TEMPLATE_HEADERS, normalise_header

# Sample values shown for each column that can be mapped by hand.
SAMPLE_COUNT = 3
SAMPLE_LENGTH = 60
# Columns without a header looked at for data, and the rows looked at.
BLANK_COLUMN_LIMIT = 30
BLANK_SAMPLE_ROWS = 100
# Data rows read for samples when the header row alone rejected the file.
SAMPLE_ROWS_ON_REJECTION = 200


def batch_overrides(column_map):
    """Return a stored column_map as map_headers() overrides: column index to
    field, or to None for an ignored column. Entries naming no template
    field or no column index are dropped."""
    overrides = {}
    for key, field_name in (column_map or {}).items():
        if not str(key).isdigit():
            continue
        if field_name == "":
            overrides[int(key)] = None
        elif field_name in TEMPLATE_HEADERS:
            overrides[int(key)] = field_name
    return overrides


def reviewed_learned_aliases(summary):
    """Return the learned header aliases that a batch's review applied, as
    build_plan() takes them, so that its save reads the columns as they were
    reviewed even after learned aliases were added or removed. Returns None
    for a summary without columns, and then the current aliases apply."""
    columns = (summary or {}).get("columns")
    if columns is None:
        return None
    return {
        normalise_header(column["header"]): column["field"]
        for column in columns
        if column.get("source") == SOURCE_LEARNED and column.get("field")
    }


def learned_aliases():
    """Return the learned header aliases: normalised header to field."""
    from customers.models import HeaderAlias

    return dict(HeaderAlias.objects.values_list("key", "field"))


def learn_header_alias(header, field_name, user=None):
    """Store that the column header `header` means `field_name` in every
    later upload, replacing what it meant before. Returns the alias, or None
    for a header too long to store whole, which the batch's own mapping
    still reads."""
    from customers.models import HeaderAlias

    key = normalise_header(header)
    if len(key) > HeaderAlias._meta.get_field("key").max_length:
        return None
    alias, _created = HeaderAlias.objects.update_or_create(
        key=key, defaults={"name": header[:200], "field": field_name, "created_by": user}
    )
    return alias


class SampleCollector:
    """The first SAMPLE_COUNT non-empty cells of the columns that can be
    mapped by hand: those whose field did not come from the template's
    headers or the built-in aliases, and those without a header, empty or
    right of the header row's last cell, that hold data in the first
    BLANK_SAMPLE_ROWS rows."""

    def __init__(self, header_map):
        self._named = {
            index: [] for index, source in header_map.sources.items() if source != SOURCE_TEMPLATE
        }
        self._pending = set(self._named)
        # A sheet may have thousands of empty header cells, so only the
        # first ones are looked at, and only in the first rows.
        width = header_map.width
        blank = [*header_map.blank[:BLANK_COLUMN_LIMIT], *range(width, width + BLANK_COLUMN_LIMIT)]
        self._blank = {index: [] for index in blank}
        self._blank_rows_left = BLANK_SAMPLE_ROWS

    @property
    def complete(self):
        return not self._pending and not (self._blank and self._blank_rows_left)

    @property
    def samples(self):
        """Column index to its samples; a column without a header only when it has some."""
        found = {index: values for index, values in self._blank.items() if values}
        return {**found, **self._named}

    def add(self, cells):
        """Take the samples still wanted from one row's raw cells."""
        if self._blank and self._blank_rows_left:
            self._blank_rows_left -= 1
            self._take(cells, self._blank, [index for index, values in self._blank.items() if len(values) < SAMPLE_COUNT])
        if self._pending:
            for index in self._take(cells, self._named, list(self._pending)):
                self._pending.discard(index)

    @staticmethod
    def _take(cells, samples_by_index, indexes):
        """Add each of the `indexes` columns' non-empty cell to its samples,
        and return the columns that now have SAMPLE_COUNT samples."""
        full = []
        for index in indexes:
            if index >= len(cells):
                continue
            text = cell_text(cells[index]).strip()
            if not text:
                continue
            samples = samples_by_index[index]
            samples.append(text[:SAMPLE_LENGTH])
            if len(samples) >= SAMPLE_COUNT:
                full.append(index)
        return full


def column_summary(header_map, samples):
    """Return every non-empty header cell, and every column without a
    header that has samples, as the batch summary stores them.

    Each entry has the column's `index`, its `header` text ("" for none)
    and the `field` it fills (None when ignored or repeated, "notes" for
    every notes column). `source` is
    the SOURCE_* constant its field came from (None when the header names
    nothing), and `samples` are its first values when it can be mapped by
    hand.
    """
    headers = dict(header_map.headers)
    for index in samples:
        headers.setdefault(index, "")
    return [
        {
            "index": index,
            "header": text,
            "field": "notes" if index in header_map.joined_notes else header_map.columns.get(index),
            "source": header_map.sources.get(index),
            "samples": samples.get(index, []),
        }
        for index, text in sorted(headers.items())
    ]
