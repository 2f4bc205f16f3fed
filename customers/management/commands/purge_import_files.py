"""Delete uploaded customer files, and the files of customer exports,
once they are no longer needed.

Run it daily from cron or a systemd timer (docs/security.md shows both).
"""

import datetime
import logging
import posixpath

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from customers.importing import problem_files, stored_plan
from customers.importing.batches import RETRYABLE_ERRORS, delete_upload
from customers.models import CustomerExport, ImportBatch

logger = logging.getLogger(__name__)

# Folder of the storage that ImportBatch.file uploads go to ("imports/%Y/%m/").
UPLOAD_FOLDER = "imports"
# Folder of the storage that CustomerExport.file goes to ("exports/%Y/%m/").
EXPORT_FOLDER = "exports"

FINISHED_STATES = (
    ImportBatch.State.DONE,
    ImportBatch.State.FAILED,
    ImportBatch.State.CANCELLED,
    ImportBatch.State.UNDONE,
)


class Command(BaseCommand):
    help = (
        "Delete the uploaded files of import batches older than IMPORT_RETENTION_DAYS. The batch records, "
        "with each file's name, size and SHA-256, stay, so a re-upload of the same file is still recognised. "
        "Also delete the files of customer exports finished more than EXPORT_RETENTION_DAYS ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep the files of the last DAYS days (default: the IMPORT_RETENTION_DAYS setting)",
        )
        parser.add_argument(
            "--export-days",
            type=int,
            default=None,
            help="keep the export files of the last DAYS days (default: the EXPORT_RETENTION_DAYS setting)",
        )
        parser.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")

    def handle(self, *args, **options):
        days = settings.IMPORT_RETENTION_DAYS if options["days"] is None else options["days"]
        if days < 0:
            raise CommandError(f"--days must be 0 or more, not {days}.")
        export_days = settings.EXPORT_RETENTION_DAYS if options["export_days"] is None else options["export_days"]
        if export_days < 0:
            raise CommandError(f"--export-days must be 0 or more, not {export_days}.")
        cutoff = timezone.now() - datetime.timedelta(days=days)
        export_cutoff = timezone.now() - datetime.timedelta(days=export_days)
        dry_run = options["dry_run"]

        expired = self._expire_reviews(cutoff, dry_run)
        purged = self._purge_batch_files(cutoff, dry_run)
        plans = self._purge_unneeded_plans(dry_run)
        orphans = self._purge_orphan_files(cutoff, dry_run)
        export_files = self._purge_export_files(export_cutoff, dry_run)
        export_orphans = self._purge_orphan_export_files(export_cutoff, dry_run)

        if dry_run:
            self.stdout.write(
                f"Would delete {purged} batch files and {orphans} unreferenced files older than {days} days, "
                f"and cancel {expired} batches left in review."
            )
        else:
            self.stdout.write(
                f"Deleted {purged} batch files and {orphans} unreferenced files older than {days} days, "
                f"and cancelled {expired} batches left in review."
            )
        if plans:
            verb = "Would delete" if dry_run else "Deleted"
            self.stdout.write(f"{verb} {plans} stored plans of batches that will not be committed.")
        if export_files or export_orphans:
            verb = "Would delete" if dry_run else "Deleted"
            self.stdout.write(
                f"{verb} {export_files} export files and {export_orphans} unreferenced export files "
                f"older than {export_days} days."
            )
        if not dry_run:
            logger.info(
                "Purged %s batch files, %s stored plans and %s unreferenced files; cancelled %s reviews",
                purged, plans, orphans, expired,
            )
            logger.info("Purged %s export files and %s unreferenced export files", export_files, export_orphans)

    def _expire_reviews(self, cutoff, dry_run):
        """Cancel batches left waiting for review since before `cutoff`.

        Their file and stored plan are about to go, and a confirmation
        needs one of them.
        """
        stale = ImportBatch.objects.filter(state=ImportBatch.State.REVIEW, created_at__lt=cutoff)
        if dry_run:
            return stale.count()
        return stale.update(state=ImportBatch.State.CANCELLED, finished_at=timezone.now())

    def _purge_batch_files(self, cutoff, dry_run):
        """Delete the files of finished batches uploaded before `cutoff`.

        Queued, validating and importing batches keep their file whatever
        their age, because a worker may be reading it. Batches in review
        are included because a dry run still finds the old ones in review,
        which a real run has just cancelled.
        """
        batches = (
            ImportBatch.objects.filter(created_at__lt=cutoff, state__in=[*FINISHED_STATES, ImportBatch.State.REVIEW])
            .exclude(file="")
            .only("pk", "file")
        )
        count = 0
        for batch in batches.iterator():
            count += 1
            if dry_run:
                continue
            name = batch.file.name
            # Clear the reference first: a file left behind by a crash here
            # is an orphan, which the next run deletes.
            ImportBatch.objects.filter(pk=batch.pk).update(file="")
            delete_upload(name)
        return count

    def _purge_unneeded_plans(self, dry_run):
        """Delete the stored plans of batches that will not be committed,
        whatever their age, and return how many there were.

        The import deletes a plan when its batch ends, but a batch cancelled
        by _expire_reviews, or a worker stopped at the wrong moment, leaves
        one behind. A batch that failed for a retryable reason keeps its
        plan, because Try again commits from it.
        """
        finished = ImportBatch.objects.filter(state__in=FINISHED_STATES).exclude(
            state=ImportBatch.State.FAILED, error_code__in=RETRYABLE_ERRORS
        )
        count = 0
        for name in finished.exclude(file="").values_list("file", flat=True).iterator():
            plan = stored_plan.plan_name(name)
            if not default_storage.exists(plan):
                continue
            count += 1
            if not dry_run:
                default_storage.delete(plan)
        return count

    def _purge_orphan_files(self, cutoff, dry_run):
        """Delete files in the upload folder that no batch refers to and
        that were last modified before `cutoff`. A stored plan or problem
        workbook counts as referenced while its upload is."""
        referenced = set(ImportBatch.objects.exclude(file="").values_list("file", flat=True))
        count = 0
        for name in _walk(UPLOAD_FOLDER):
            if name in referenced or stored_plan.upload_name(name) in referenced:
                continue
            if problem_files.upload_name(name) in referenced:
                continue
            if default_storage.get_modified_time(name) >= cutoff:
                continue
            count += 1
            if not dry_run:
                default_storage.delete(name)
        return count

    def _purge_export_files(self, cutoff, dry_run):
        """Delete the files of exports finished before `cutoff`. The export
        records stay, so the export history still lists them."""
        finished = (
            CustomerExport.objects.filter(finished_at__lt=cutoff)
            .exclude(state__in=[CustomerExport.State.QUEUED, CustomerExport.State.RUNNING])
            .exclude(file="")
            .only("pk", "file")
        )
        count = 0
        for export in finished.iterator():
            count += 1
            if dry_run:
                continue
            name = export.file.name
            # Clear the reference first, as for uploads: a file left behind
            # by a crash here is an orphan, which the next run deletes.
            CustomerExport.objects.filter(pk=export.pk).update(file="")
            default_storage.delete(name)
        return count

    def _purge_orphan_export_files(self, cutoff, dry_run):
        """Delete files in the export folder that no export refers to and
        that were last modified before `cutoff`."""
        referenced = set(CustomerExport.objects.exclude(file="").values_list("file", flat=True))
        count = 0
        for name in _walk(EXPORT_FOLDER):
            if name in referenced or default_storage.get_modified_time(name) >= cutoff:
                continue
            count += 1
            if not dry_run:
                default_storage.delete(name)
        return count


def _walk(folder):
    """Yield the name of every file under `folder` of the default storage."""
    if not default_storage.exists(folder):
        return
    folders, files = default_storage.listdir(folder)
    for name in files:
        yield posixpath.join(folder, name)
    for sub in folders:
        yield from _walk(posixpath.join(folder, sub))
