"""The problem-row workbooks that the task worker writes after checking or
saving a batch, stored beside its upload, so the download reads neither
the upload nor every problem of a large file inside a web request.

Each batch with problems gets two files: "<upload>.problems.xlsx" with
NIKs masked, and "<upload>.problems-nik.xlsx" with full NIKs for staff who
may see them. Their messages are in the batch's language. Both go when
the upload is purged, and a batch without them (checked before they were
written, or whose upload is gone) gets its workbook written on request.
"""

import logging
import tempfile
import time

from django.core.files.base import File
from django.utils import timezone

from customers.importing.problem_workbook import has_left_out_rows, write_problem_workbook
from customers.models import ImportBatch

logger = logging.getLogger(__name__)

MASKED_SUFFIX = ".problems.xlsx"
FULL_NIK_SUFFIX = ".problems-nik.xlsx"


def workbook_name(upload_name, *, mask_nik):
    """Return the storage name of the upload's problem workbook."""
    return f"{upload_name}{MASKED_SUFFIX if mask_nik else FULL_NIK_SUFFIX}"


def workbook_names(upload_name):
    """Return the storage names of both problem workbooks of the upload."""
    return [workbook_name(upload_name, mask_nik=mask_nik) for mask_nik in (True, False)]


def upload_name(name):
    """Return the upload's storage name if `name` is a problem workbook's name, else None."""
    for suffix in (MASKED_SUFFIX, FULL_NIK_SUFFIX):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def delete(batch):
    """Delete the batch's stored problem workbooks, if there are any."""
    if batch.file:
        for name in workbook_names(batch.file.name):
            batch.file.storage.delete(name)


def store(batch):
    """Write and store the batch's problem workbooks, replacing older ones.
    A batch without problem rows, skipped rows or rows saved with a value
    left out keeps none.

    Called by the worker once the batch's problems are stored. A failure is
    logged, and the download then writes the workbook itself. Each workbook
    reads the upload again: about a minute for a sheet of a million rows on
    a loaded 2-core machine. So the batch's heartbeat is renewed before
    each, and a batch still being checked is not taken as lost.
    """
    delete(batch)
    if not batch.file or not (batch.problem_count or batch.skipped_count or has_left_out_rows(batch)):
        return
    started = time.monotonic()
    storage = batch.file.storage
    # NOTE: each copy reads the upload again. Writing both in one pass would
    # halve this worker time, which a large file with problems spends twice.
    for mask_nik in (True, False):
        name = workbook_name(batch.file.name, mask_nik=mask_nik)
        ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
        try:
            with tempfile.TemporaryFile() as out:
                write_problem_workbook(batch, out, mask_nik=mask_nik)
                out.seek(0)
                saved = storage.save(name, File(out, name=name))
        except Exception:
            logger.exception("Import batch %s: storing the problem workbook failed; it is written on download", batch.pk)
            delete(batch)
            return
        if saved != name:
            # Another run stored one meanwhile, so this copy would never be found.
            storage.delete(saved)
    logger.info("Import batch %s: stored its problem workbooks in %.2f s", batch.pk, time.monotonic() - started)


def open_stored(batch, *, mask_nik):
    """Return the stored problem workbook of the batch opened for reading, or None."""
    if not batch.file:
        return None
    try:
        return batch.file.storage.open(workbook_name(batch.file.name, mask_nik=mask_nik), "rb")
    except FileNotFoundError:
        return None
