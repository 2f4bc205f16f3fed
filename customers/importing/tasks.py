"""Background tasks of the import and of large exports, run by
`manage.py db_worker`.

Each task first claims its batch or export, and runs only when that is
still queued, so a task enqueued twice (a double click, a retry racing a
slow worker) does the work once.
"""

import logging

from django.utils import timezone
from django_tasks import task

from customers import exports
from customers.importing import batches
from customers.models import ImportBatch

logger = logging.getLogger(__name__)


def _claim(batch_id, running_state):
    """Move a queued batch to `running_state` and return it, or return None
    when it is not queued: another task has it, or it is finished."""
    claimed = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.QUEUED).update(
        state=running_state, heartbeat_at=timezone.now()
    )
    if not claimed:
        logger.info("Import batch %s is not queued, so the task does nothing", batch_id)
        return None
    return ImportBatch.objects.get(pk=batch_id)


@task()
def validate_batch_task(batch_id):
    batch = _claim(batch_id, ImportBatch.State.VALIDATING)
    if batch is not None:
        batches.validate_batch(batch)


@task()
def commit_batch_task(batch_id):
    batch = _claim(batch_id, ImportBatch.State.IMPORTING)
    if batch is not None:
        batches.commit_batch(batch)


@task()
def run_export_task(export_id):
    export = exports.claim_export(export_id)
    if export is not None:
        exports.run_export(export)
