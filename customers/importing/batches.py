"""Import batches: store an upload, validate it, commit it, record findings.

These functions are what the views, the task worker and the
import_customers command call; they never touch an HTTP request.
"""

import hashlib
import logging
import os
import uuid

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from customers.importing import pipeline
from customers.importing.problems import FileRejected, register_file_message
from customers.models import ImportBatch, ImportProblem

logger = logging.getLogger(__name__)

FINDINGS_CHUNK = 5000

TOO_LARGE = register_file_message(
    "too_large",
    _("The file is %(size)s bytes; the limit is %(limit)s bytes. Split it into smaller files and upload each."),
)
INTERNAL_ERROR = register_file_message(
    "internal_error",
    _("The file could not be processed because of an error in eBilling. Nothing was saved. Please report it to your administrator."),
)

KNOWN_EXTENSIONS = {".xlsx", ".xlsm", ".csv", ".xls", ".ods", ".txt"}


def _stored_name(filename):
    """Return a generated storage name keeping only a known extension, so a
    hostile file name never reaches the file system."""
    extension = os.path.splitext(filename or "")[1].lower()
    if extension not in KNOWN_EXTENSIONS:
        extension = ""
    return f"{uuid.uuid4().hex}{extension}"


def _display_name(filename):
    """Return the uploaded name without path parts or control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "upload"


def digest_file(file_obj):
    """Return (sha256 hex, size in bytes), reading the file in chunks."""
    digest = hashlib.sha256()
    size = 0
    file_obj.seek(0)
    for chunk in iter(lambda: file_obj.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    file_obj.seek(0)
    return digest.hexdigest(), size


def create_batch(file_obj, filename, *, user=None, site=None, mode=ImportBatch.Mode.CREATE, language=None):
    """Store an uploaded file as a new queued batch.

    Raises FileRejected when the file is over the size limit; nothing is
    stored then.
    """
    sha256, size = digest_file(file_obj)
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise FileRejected(TOO_LARGE, size=size, limit=limit)
    batch = ImportBatch(
        created_by=user,
        file_name=_display_name(filename),
        file_size=size,
        file_sha256=sha256,
        site=site,
        mode=mode,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    batch.file.save(_stored_name(filename), File(file_obj), save=False)
    batch.save()
    return batch


def previous_import(sha256, *, exclude=None):
    """Return the latest finished batch of the same file, or None."""
    batches = ImportBatch.objects.filter(file_sha256=sha256, state=ImportBatch.State.DONE)
    if exclude is not None:
        batches = batches.exclude(pk=exclude.pk)
    return batches.select_related("created_by").order_by("-finished_at").first()


def _progress_reporter(batch):
    def report(phase, rows_done):
        ImportBatch.objects.filter(pk=batch.pk).update(phase=phase, rows_done=rows_done, heartbeat_at=timezone.now())

    return report


def _set_state(batch, state, **fields):
    batch.state = state
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=["state", *fields])


def _fail(batch, error):
    if isinstance(error, FileRejected):
        code, params = error.code, error.params
    else:
        code, params = INTERNAL_ERROR, {}
    _set_state(batch, ImportBatch.State.FAILED, error_code=code, error_params=params, finished_at=timezone.now())


def store_findings(batch, plan):
    """Replace the batch's stored findings and counts with the plan's."""
    counts = plan.counts()
    with transaction.atomic():
        batch.problems.all().delete()
        findings = (
            ImportProblem(
                batch=batch,
                kind=kind,
                row=problem.row,
                column=str(problem.column)[:100],
                value=str(problem.value)[:500],
                code=problem.code,
                params={key: str(value) for key, value in problem.params.items()},
            )
            for kind, problem in plan.findings()
        )
        chunk = []
        for finding in findings:
            chunk.append(finding)
            if len(chunk) >= FINDINGS_CHUNK:
                ImportProblem.objects.bulk_create(chunk)
                chunk = []
        if chunk:
            ImportProblem.objects.bulk_create(chunk)
        batch.summary = plan.summary()
        batch.rows_read = counts["rows"]
        batch.rows_total = counts["rows"]
        batch.new_count = counts["new"]
        batch.updated_count = counts["update"]
        batch.duplicate_count = counts["present"]
        batch.problem_count = counts["invalid"]
        batch.incomplete_count = counts["incomplete"]
        batch.save(
            update_fields=[
                "summary", "rows_read", "rows_total", "new_count", "updated_count",
                "duplicate_count", "problem_count", "incomplete_count",
            ]
        )
    return counts


def validate_batch(batch):
    """Read and check the batch's file without saving customers; the batch
    ends ready for review, or failed with the reason."""
    with translation.override(batch.language):
        _set_state(batch, ImportBatch.State.VALIDATING, started_at=timezone.now(), phase="reading", rows_done=0)
        try:
            plan = pipeline.build_plan(
                batch.file.path,
                batch.file_name,
                site=batch.site,
                update_mode=batch.mode == ImportBatch.Mode.UPDATE,
                progress=_progress_reporter(batch),
            )
            pipeline.review_plan(plan)
        except FileRejected as error:
            logger.info("Import batch %s rejected: %s", batch.pk, error.code)
            _fail(batch, error)
            return batch
        except Exception as error:
            logger.exception("Import batch %s failed during validation", batch.pk)
            _fail(batch, error)
            return batch
        store_findings(batch, plan)
        _set_state(batch, ImportBatch.State.REVIEW, phase="review")
    return batch


def commit_batch(batch):
    """Read the file again and save its valid rows in one transaction."""
    with translation.override(batch.language):
        _set_state(batch, ImportBatch.State.IMPORTING, phase="reading", rows_done=0, heartbeat_at=timezone.now())
        try:
            plan = pipeline.build_plan(
                batch.file.path,
                batch.file_name,
                site=batch.site,
                update_mode=batch.mode == ImportBatch.Mode.UPDATE,
                progress=_progress_reporter(batch),
            )
            pipeline.commit_plan(plan, batch, progress=_progress_reporter(batch))
        except FileRejected as error:
            _fail(batch, error)
            return batch
        except Exception as error:
            logger.exception("Import batch %s failed while saving; nothing was saved", batch.pk)
            _fail(batch, error)
            return batch
        counts = store_findings(batch, plan)
        _set_state(
            batch,
            ImportBatch.State.DONE,
            phase="done",
            created_count=counts["new"],
            finished_at=timezone.now(),
        )
    return batch
