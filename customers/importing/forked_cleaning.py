"""Clean the rows of a large sheet in two processes: this one and a forked child.

clean_row() depends on its row, the header map, the workbook's date system
and today's date alone, so any process can clean any row. The child cleans
chunks of rows while this process reads the sheet, plans the cleaned rows
and cleans the chunks that it reads while the child is busy. cleaned_rows()
still yields the rows in sheet order, so everything that depends on the
order of rows stays in this process and gets the rows as one process would.
"""

import dataclasses
import logging
from itertools import islice

from customers.importing.cells import RawRow
from customers.importing.forked import FAILED, ForkedWorker, can_fork
from customers.importing.rows import CleanRow, clean_row

logger = logging.getLogger(__name__)

# Rows from which a forked child cleans part of the sheet: the reader's row
# estimate, or for formats without one, the rows read so far. Cleaning takes
# about 95 µs of CPU a row, and the pickling of a row sent to the child and
# back costs this process about 19 µs of it (benchmark workbook, 2-vCPU AMD
# EPYC). The fork and the child's exit took about 30 ms of wall time and
# 5 ms of CPU. So at 5,000 rows the child's share saves an estimated 0.2 to
# 0.3 s, and smaller files keep to one process.
CLEAN_FORK_MIN_ROWS = 5_000
# Rows in each chunk that one of the two processes cleans. At most three
# chunks are held at a time, and 1,000 rows make each pipe transfer (about
# 250 KB of requests and 520 KB of results) large enough that its fixed
# cost does not count.
CHUNK_ROWS = 1_000


def cleaned_rows(raw_rows, header_map, *, date1904, today, row_estimate):
    """Yield (raw, clean_row(raw, ...)) for each RawRow of `raw_rows`, in order.

    `row_estimate()` returns the reader's estimate of the sheet's rows or
    None. It is called after the first row is read, because a reader may
    only know it then. From CLEAN_FORK_MIN_ROWS rows on, a forked child
    cleans part of the chunks of rows (see _cleaned_in_two_processes).
    Close the generator when the caller stops early or raises, so the
    child is killed and reaped.
    """

    def clean(raw):
        return clean_row(raw, header_map, date1904=date1904, today=today)

    raw_rows = iter(raw_rows)
    count = 0
    for raw in raw_rows:
        yield raw, clean(raw)
        count += 1
        if count in (1, CLEAN_FORK_MIN_ROWS) and _worth_forking(count, row_estimate()):
            yield from _cleaned_in_two_processes(raw_rows, clean)
            return


def _worth_forking(count, estimate):
    return max(count, estimate or 0) >= CLEAN_FORK_MIN_ROWS and can_fork()


def _cleaned_in_two_processes(raw_rows, clean):
    """Yield (raw, clean(raw)) for each row of `raw_rows`, in order, with
    the chunks shared between this process and a forked child.

    The child cleans one chunk at a time. While it does, this process
    hands the chunk before it to the caller and reads the next chunk. When
    the child's chunk is done by then, the next chunk goes to the child as
    well. Otherwise this process cleans the next chunk itself, so neither
    process waits long for the other, whatever share of a CPU core each
    gets. At most one chunk is in the pipes, so neither process can block
    the other's write. When the child fails, this process cleans the rest.
    """

    def clean_in_child(rows):
        return [_packed(clean(RawRow(*row))) for row in rows]

    # The chunk the child is cleaning, or None.
    sent = None
    with ForkedWorker(clean_in_child, "row cleaning") as child:
        while True:
            chunk = list(islice(raw_rows, CHUNK_ROWS))
            if not chunk:
                break
            if sent is None:
                child.send(_request(chunk))
                sent = chunk
            elif child.has_result():
                done = _received(child, sent, clean)
                child.send(_request(chunk))
                sent = chunk
                yield from done
            else:
                own = [(raw, clean(raw)) for raw in chunk]
                yield from _received(child, sent, clean)
                yield from own
                sent = None
        if sent is not None:
            yield from _received(child, sent, clean)
        report = child.close()
    if report is not None:
        logger.debug(
            "Child process %s cleaned rows with %.2f s of CPU and a peak RSS of %s KiB.",
            child.pid, report["cpu_seconds"], report["max_rss_kib"],
        )


def _request(chunk):
    return [(raw.number, raw.cells, raw.hidden) for raw in chunk]


def _received(child, chunk, clean):
    """Return (raw, clean row) for each row of the chunk the child was
    sent, cleaning them here when the child failed."""
    packed = child.receive()
    if packed is FAILED:
        return [(raw, clean(raw)) for raw in chunk]
    return [(raw, _unpacked(fields)) for raw, fields in zip(chunk, packed)]


# A CleanRow is sent as a tuple of its fields, in the order of CleanRow's
# __init__ parameters. Unpickling a tuple and calling CleanRow() took 0.32 s
# per 20,000 benchmark rows, and unpickling the CleanRow itself 0.41 s.
_CLEAN_ROW_FIELDS = tuple(field.name for field in dataclasses.fields(CleanRow))


def _packed(clean):
    if clean is None:
        return None
    return tuple(getattr(clean, name) for name in _CLEAN_ROW_FIELDS)


def _unpacked(fields):
    if fields is None:
        return None
    return CleanRow(*fields)
