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
    headers or the built-in aliases."""

    def __init__(self, header_map):
        self.samples = {
            index: [] for index, source in header_map.sources.items() if source != SOURCE_TEMPLATE
        }
        self._pending = set(self.samples)

    @property
    def complete(self):
        return not self._pending

    def add(self, cells):
        """Take the samples still wanted from one row's raw cells."""
        if not self._pending:
            return
        for index in list(self._pending):
            if index >= len(cells):
                continue
            text = cell_text(cells[index]).strip()
            if not text:
                continue
            samples = self.samples[index]
            samples.append(text[:SAMPLE_LENGTH])
            if len(samples) >= SAMPLE_COUNT:
                self._pending.discard(index)


def column_summary(header_map, samples):
    """Return every non-empty header cell as the batch summary stores it.

    Each entry has the column's `index`, its `header` text and the `field`
    it fills (None when ignored or repeated). `source` is the SOURCE_*
    constant its field came from (None when the header names nothing), and
    `samples` are its first values when it can be mapped by hand.
    """
    return [
        {
            "index": index,
            "header": text,
            "field": header_map.columns.get(index),
            "source": header_map.sources.get(index),
            "samples": samples.get(index, []),
        }
        for index, text in sorted(header_map.headers.items())
    ]
