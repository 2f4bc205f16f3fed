"""Background tasks of the import, run by `manage.py db_worker`."""

from django_tasks import task

from customers.importing import batches
from customers.models import ImportBatch


@task()
def validate_batch_task(batch_id):
    batch = ImportBatch.objects.get(pk=batch_id)
    batches.validate_batch(batch)


@task()
def commit_batch_task(batch_id):
    batch = ImportBatch.objects.get(pk=batch_id)
    batches.commit_batch(batch)
