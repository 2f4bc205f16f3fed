"""Import batches: store an upload, validate it, commit it, record findings.

These functions are what the views, the task worker and the
import_customers command call; they never touch an HTTP request.
"""

import hashlib
import json
import logging
import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from customers.importing import pipeline, problem_files, stored_plan
from customers.importing.column_map import batch_overrides, reviewed_learned_aliases
from customers.importing.problems import FileRejected, register_file_message
from customers.models import ImportBatch, ImportProblem

logger = logging.getLogger(__name__)

FINDINGS_CHUNK = 5000

TOO_LARGE = register_file_message(
    "too_large",
    _("The file is %(size_bytes)s, larger than the limit of %(limit_bytes)s. Split it into smaller files and upload each."),
)
WORKER_LOST = register_file_message(
    "worker_lost",
    _(
        "The worker processing this file stopped reporting for %(seconds)s seconds and was taken as lost. "
        "Nothing of this batch was saved. Press Try again to run it again."
    ),
)
INTERNAL_ERROR = register_file_message(
    "internal_error",
    _("The file could not be processed because of an error in eBilling. Nothing was saved. Please report it to your administrator."),
)

# Failures that are not about the file itself, so running again may succeed.
RETRYABLE_ERRORS = ("worker_lost", "internal_error")
RUNNING_STATES = {ImportBatch.State.VALIDATING, ImportBatch.State.IMPORTING}

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


def create_batch(
    file_obj, filename, *, user=None, site=None, mode=ImportBatch.Mode.CREATE, language=None, sheet=""
):
    """Store an uploaded file as a new queued batch that reads `sheet`, or
    the sheet the reader picks when it is "".

    Raises FileRejected when the file is over the size limit; nothing is
    stored then.
    """
    sha256, size = digest_file(file_obj)
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise FileRejected(TOO_LARGE, size_bytes=size, limit_bytes=limit)
    batch = ImportBatch(
        created_by=user,
        file_name=_display_name(filename),
        file_size=size,
        file_sha256=sha256,
        site=site,
        mode=mode,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
        sheet=sheet,
    )
    batch.file.save(_stored_name(filename), File(file_obj), save=False)
    batch.save()
    return batch


def delete_upload(name):
    """Delete the stored upload `name`, with the plan and the problem
    workbooks stored beside it. A file already gone is no error."""
    storage = ImportBatch.file.field.storage
    storage.delete(stored_plan.plan_name(name))
    for workbook in problem_files.workbook_names(name):
        storage.delete(workbook)
    storage.delete(name)


def previous_import(sha256, *, among=None, before=None, sheet=None):
    """Return the latest finished (DONE) batch of the same file, or None.

    `among` limits the search to a queryset of batches, such as those the
    viewing user may open. With `before`, only batches uploaded before that
    batch count, so the first import's page never points at a later repeat.
    With `sheet`, only a batch that read that sheet counts, so reading the
    next sheet of a workbook is not taken for a repeat. An undone batch is
    not DONE, so uploading the file again after an undo is no repeat.
    """
    batches = (ImportBatch.objects if among is None else among).filter(file_sha256=sha256, state=ImportBatch.State.DONE)
    if sheet is not None:
        batches = batches.filter(summary__sheet=sheet)
    if before is not None:
        batches = batches.filter(created_at__lt=before.created_at).exclude(pk=before.pk)
    return batches.select_related("created_by").order_by("-finished_at").first()


class ProgressReporter:
    """Write a batch's phase, rows done and heartbeat as the work advances.

    Called as report(phase, rows_done, total=None). A new phase restarts
    the rate clock (phase_started_at) and sets phase_total: the phase's last
    total given, 0 when none is known.
    While the default connection is inside a transaction (the save), the
    update goes through settings.IMPORT_PROGRESS_DATABASE, a second
    connection in autocommit, so other connections see it at once. Progress
    is advisory: a failed write is logged and never stops the import.
    """

    def __init__(self, batch):
        self.batch_id = batch.pk
        self.phase = None
        # The last total given for each phase, kept when a phase is resumed
        # after another (reading resumes after opening).
        self.totals = {}
        self.progress_alias = getattr(settings, "IMPORT_PROGRESS_DATABASE", None)

    def __call__(self, phase, rows_done, total=None):
        now = timezone.now()
        fields = {"phase": phase, "rows_done": rows_done, "heartbeat_at": now}
        if total is not None:
            self.totals[phase] = total
        if phase != self.phase:
            self.phase = phase
            fields.update(phase_started_at=now, phase_total=self.totals.get(phase) or 0)
        elif total is not None:
            fields["phase_total"] = total
        self._write(fields)

    def _write(self, fields):
        alias = DEFAULT_DB_ALIAS
        if self.progress_alias and connections[DEFAULT_DB_ALIAS].in_atomic_block:
            alias = self.progress_alias
        try:
            ImportBatch.objects.using(alias).filter(pk=self.batch_id).update(**fields)
        except Exception as error:
            if alias == DEFAULT_DB_ALIAS:
                raise
            # Test runs forbid the second alias, and a server may refuse one
            # more connection. The default connection still records the
            # progress, which others see once the transaction commits.
            logger.warning(
                "Import batch %s: progress write through %r failed (%s); using the default connection from now on",
                self.batch_id, alias, type(error).__name__,
            )
            self.progress_alias = None
            ImportBatch.objects.filter(pk=self.batch_id).update(**fields)


def _set_state(batch, state, **fields):
    batch.state = state
    if state in RUNNING_STATES:
        fields.setdefault("heartbeat_at", timezone.now())
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=["state", *fields])


def silent_since(limit):
    """Return the condition matching a running record (batch or export)
    whose worker last reported before `limit`, or never reported and
    started before it."""
    return Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)


def fail_stale_batches():
    """Mark failed every running batch whose worker has not reported for
    IMPORT_STALE_SECONDS, and return how many were marked.

    A worker killed mid-save leaves nothing saved, because the save is one
    transaction, but its batch would show "importing" for ever. Pages call
    this when they show batches, so no extra process is needed to notice,
    and any web host can. A queued batch waits for a worker and is never
    stale.
    """
    seconds = settings.IMPORT_STALE_SECONDS
    now = timezone.now()
    limit = now - timedelta(seconds=seconds)
    stale = ImportBatch.objects.filter(state__in=[ImportBatch.State.VALIDATING, ImportBatch.State.IMPORTING]).filter(
        silent_since(limit)
    )
    count = stale.update(
        state=ImportBatch.State.FAILED, error_code=WORKER_LOST, error_params={"seconds": seconds}, finished_at=now
    )
    if count:
        logger.warning("Marked %s import batch(es) failed: no progress for %s seconds", count, seconds)
    return count


def can_retry(batch):
    """Return whether the batch failed for a reason that another attempt may
    not meet, and its file is still stored (retention may have deleted it)."""
    if batch.state != ImportBatch.State.FAILED or batch.error_code not in RETRYABLE_ERRORS:
        return False
    return bool(batch.file) and batch.file.storage.exists(batch.file.name)


def queue_retry(batch):
    """Put a failed batch back in the queue and return the step to run again:
    "commit" when its review had been confirmed, else "validate". Returns
    None when the batch is no longer retryable (another request won)."""
    claimed = ImportBatch.objects.filter(
        pk=batch.pk, state=ImportBatch.State.FAILED, error_code__in=RETRYABLE_ERRORS
    ).update(
        state=ImportBatch.State.QUEUED, phase="queued", rows_done=0, phase_total=0,
        error_code="", error_params={}, finished_at=None,
    )
    if not claimed:
        return None
    batch.refresh_from_db()
    return "commit" if batch.confirmed_at else "validate"


class ReviewChanged(Exception):
    """The batch was checked again with another sheet or column matching
    after the review page whose save button was pressed had been opened."""


def review_fingerprint(batch):
    """Return a short hash of the choices a review was made with: the sheet
    and the column matching. The save button posts it back."""
    choices = json.dumps([batch.sheet, batch.column_map], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(choices.encode()).hexdigest()[:16]


def queue_confirm(batch, fingerprint=None, *, skip_possible_duplicates=False):
    """Queue a batch that waits for review to be saved, storing whether the
    save leaves out the possible duplicates. Returns False, changing
    nothing, when another request (a second click on the save button, a
    cancel) moved it out of review first.

    Raises ReviewChanged, changing nothing, when `fingerprint` (see
    review_fingerprint) is given and the batch has been checked again with
    other choices since, as from a second browser tab: the rows saved would
    then be others than those the admin reviewed.
    """
    with transaction.atomic():
        current = ImportBatch.objects.select_for_update().filter(pk=batch.pk, state=ImportBatch.State.REVIEW).first()
        if current is None:
            return False
        if fingerprint is not None and fingerprint != review_fingerprint(current):
            raise ReviewChanged
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportBatch.State.QUEUED, phase="queued", rows_done=0, confirmed_at=timezone.now(),
            skip_possible_duplicates=skip_possible_duplicates,
        )
    return True


def cancel_review(batch):
    """Cancel a batch that waits for review. Returns False, changing
    nothing, when another request confirmed or cancelled it first."""
    cancelled = ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.REVIEW).update(
        state=ImportBatch.State.CANCELLED, finished_at=timezone.now()
    )
    if not cancelled:
        return False
    # An UPDATE sends no post_save, so the stored plan is deleted here.
    stored_plan.delete(batch)
    return True


def can_map_columns(batch):
    """Return whether the batch's columns may be mapped by hand: while it
    waits for review, or after its header row alone rejected it."""
    if batch.state == ImportBatch.State.REVIEW:
        return True
    return batch.state == ImportBatch.State.FAILED and batch.error_code in pipeline.MAPPABLE_REJECTIONS


def queue_column_map(batch, column_map):
    """Store the batch's column mapping and queue the batch to be checked
    again, with its findings and counts cleared until then.

    Returns False, changing nothing, when the batch cannot be mapped any
    more because another request confirmed, cancelled or queued it.
    """
    mappable = Q(state=ImportBatch.State.REVIEW) | Q(
        state=ImportBatch.State.FAILED, error_code__in=pipeline.MAPPABLE_REJECTIONS
    )
    return _queue_check_again(batch, mappable, column_map=column_map)


def can_choose_sheet(batch):
    """Return whether another sheet of the batch's file may be chosen: while
    the batch waits for review, or after the sheet it read was rejected."""
    if batch.state == ImportBatch.State.REVIEW:
        return True
    return batch.state == ImportBatch.State.FAILED and batch.error_code in pipeline.SHEET_REJECTIONS


def sheet_choices(batch):
    """Return (checked, unchecked): the sheets the batch may be read from.

    `checked` starts with the sheet a batch waiting for review read, then
    has the sheets its review or rejection found to look like customer
    lists. `unchecked` has the sheets past the reader's limit of sheets
    searched, which are checked only once chosen. Returns ([], []) when
    there is no other sheet to choose or the batch's sheet cannot be chosen.
    """
    summary = batch.summary or {}
    others = [entry["name"] for entry in summary.get("customer_sheets", [])]
    unchecked = list(summary.get("unchecked_sheets", []))
    if not (others or unchecked) or not can_choose_sheet(batch):
        return [], []
    if batch.state == ImportBatch.State.REVIEW:
        # A rejected sheet is left out: reading it again gives the same rejection.
        others.insert(0, summary["sheet"])
    return others, unchecked


def queue_sheet(batch, sheet):
    """Store the sheet to read and queue the batch to be checked again, as
    queue_column_map does. The column mapping is cleared, because its column
    positions are those of the sheet read before.

    Returns False, changing nothing, when the batch's sheet can no longer be
    chosen, because it no longer waits for review or was queued again.
    """
    choosable = Q(state=ImportBatch.State.REVIEW) | Q(
        state=ImportBatch.State.FAILED, error_code__in=pipeline.SHEET_REJECTIONS
    )
    return _queue_check_again(batch, choosable, sheet=sheet, column_map={})


def _queue_check_again(batch, allowed, **fields):
    """Set `fields` on the batch and queue it to be checked again, with its
    findings and counts cleared, if it is still in a state that `allowed` matches."""
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(allowed, pk=batch.pk).update(
            **fields, state=ImportBatch.State.QUEUED, phase="queued", rows_done=0, phase_total=0,
            error_code="", error_params={}, finished_at=None, confirmed_at=None, rows_read=0, rows_total=0,
            new_count=0, updated_count=0, duplicate_count=0, problem_count=0, incomplete_count=0,
        )
        if not claimed:
            return False
        batch.problems.all().delete()
    batch.refresh_from_db()
    return True


def _fail(batch, error):
    if isinstance(error, FileRejected):
        code, params = error.code, error.params
    else:
        code, params = INTERNAL_ERROR, {}
    _set_state(batch, ImportBatch.State.FAILED, error_code=code, error_params=params, finished_at=timezone.now())
    if code not in RETRYABLE_ERRORS:
        # No retry will come, so the stored plan is of no further use.
        stored_plan.delete(batch)


def store_findings(batch, plan, *, saved=False):
    """Replace the batch's stored findings and counts with the plan's, and
    return the counts (see pipeline.result_counts). Pass `saved` when the
    plan was just committed (see Plan.summary)."""
    counts = pipeline.result_counts(plan)
    # Each finding of a customer's row names the customer under CUSTOMER_PARAM,
    # so anonymising the customer finds the row (see redaction.py).
    row_customers = plan.row_customers()
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
                params=_stored_params(problem, row_customers),
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
        batch.summary = plan.summary(saved=saved)
        # The summary's counts, like the batch's, keep skipped rows apart from the rows with problems.
        batch.summary["counts"] = counts
        batch.rows_read = counts["rows"]
        batch.rows_total = counts["rows"]
        batch.new_count = counts["new"]
        batch.updated_count = counts["update"]
        batch.duplicate_count = counts["present"]
        batch.problem_count = counts["invalid"]
        batch.incomplete_count = counts["incomplete"]
        batch.skipped_count = counts["skipped"]
        batch.save(
            update_fields=[
                "summary", "rows_read", "rows_total", "new_count", "updated_count",
                "duplicate_count", "problem_count", "incomplete_count", "skipped_count",
            ]
        )
    return counts


# The finding parameter that stores the ID Pelanggan of the customer that
# the finding's row saved, updated or matched. No message shows it.
CUSTOMER_PARAM = "customer"


def _stored_params(problem, row_customers):
    params = {key: str(value) for key, value in problem.params.items()}
    number = row_customers.get(problem.row)
    if number is not None:
        params[CUSTOMER_PARAM] = number
    return params


def validate_batch(batch):
    """Read and check the batch's file without saving customers; the batch
    ends ready for review, or failed with the reason.

    The plan built here is stored beside the upload (stored_plan), so the
    commit after review need not read the file again.
    """
    with translation.override(batch.language):
        _set_state(batch, ImportBatch.State.VALIDATING, started_at=timezone.now())
        progress = ProgressReporter(batch)
        progress("reading", 0)
        # A plan and problem workbooks from an earlier check of this batch are stale from here on.
        stored_plan.delete(batch)
        problem_files.delete(batch)
        try:
            catalogue = stored_plan.catalogue_fingerprint()
            plan = _build_plan(batch, progress)
            # Compressed before review_plan, which commit_plan runs again on
            # the rows as build_plan returned them.
            payload = stored_plan.compress_or_none(batch, plan)
            progress("checking", 0, len(plan.rows))
            pipeline.review_plan(plan, site_ids=pipeline.site_scope(batch.created_by))
            review = stored_plan.encode_review(pipeline.row_outcomes(plan), _row_numbers(plan))
            stored_plan.save(batch, payload, catalogue, review)
            # The compressed plan (8.7 MB for the 100,000-row benchmark file) is not needed any more.
            del payload
        except FileRejected as error:
            logger.info("Import batch %s rejected: %s", batch.pk, error.code)
            if error.code == pipeline.NO_CUSTOMER_SHEET:
                # No row names enough fields, so the row that looks most like
                # a header is offered for mapping by hand, under the same rejection.
                error = _with_fallback_columns(batch, error)
            batch.summary = _rejection_summary(error)
            batch.save(update_fields=["summary"])
            _fail(batch, error)
            return batch
        except Exception as error:
            logger.exception("Import batch %s failed during validation", batch.pk)
            _fail(batch, error)
            # A retry validates again, so a plan stored before the error goes.
            stored_plan.delete(batch)
            return batch
        store_findings(batch, plan)
        _set_state(batch, ImportBatch.State.REVIEW, phase="review")
        # After the review opens, because each workbook reads the upload
        # again. A download before they are stored writes the workbook itself.
        problem_files.store(batch)
    return batch


def _rejection_summary(rejection):
    """Return the summary stored with a batch that `rejection` failed: what
    the batch page offers to resolve it, or {} when it offers nothing."""
    summary = {}
    if isinstance(rejection, pipeline.HeaderRejected):
        # The batch page offers these columns for mapping by hand.
        summary.update(
            columns=rejection.columns,
            sheet=rejection.params["sheet"],
            header_row=rejection.params["header_row"],
            header_first_row=rejection.header_first_row or rejection.params["header_row"],
        )
    if rejection.code in pipeline.SHEET_REJECTIONS:
        # The batch page offers these sheets to read in place of the rejected one.
        summary.update(
            sheet=rejection.params["sheet"],
            customer_sheets=pipeline.customer_sheet_entries(rejection.customer_sheets),
            unchecked_sheets=list(rejection.unchecked_sheets),
        )
    return summary


def _with_fallback_columns(batch, rejection):
    """Return `rejection` as a HeaderRejected with the columns of the file's
    row that looks most like a header, or unchanged when it has no such row."""
    try:
        pipeline.build_plan(batch.file.path, batch.file_name, fallback_header=True, sheet=batch.sheet or None)
    except pipeline.HeaderRejected as fallback:
        params = {**fallback.params, **rejection.params}
        return pipeline.HeaderRejected(rejection.code, fallback.columns, fallback.header_first_row, **params)
    except FileRejected:
        pass
    return rejection


def _build_plan(batch, progress, row_total=None, learned=None):
    """Read and check the batch's file with the batch's site and mode."""
    return pipeline.build_plan(
        batch.file.path,
        batch.file_name,
        site=batch.site,
        update_mode=batch.mode == ImportBatch.Mode.UPDATE,
        progress=progress,
        row_total=row_total,
        column_overrides=batch_overrides(batch.column_map),
        learned=learned,
        # Columns mapped by hand after the header row was not found are
        # those of the row that looks most like a header.
        fallback_header=bool(batch.column_map),
        sheet=batch.sheet or None,
        package_names=batch.package_names,
    )


def _plan_to_commit(batch, progress):
    """Return the plan stored at validation, or build it from the file again
    when there is none or it cannot be used."""
    plan = stored_plan.load(batch)
    if plan is not None:
        return plan
    # The file is read with the learned header aliases its review applied.
    return _build_plan(batch, progress, row_total=batch.rows_read, learned=reviewed_learned_aliases(batch.summary))


def _row_numbers(plan):
    return [row.clean.number for row in plan.rows]


def _review_counts(batch):
    return {
        "new": batch.new_count,
        "update": batch.updated_count,
        "present": batch.duplicate_count,
        "invalid": batch.problem_count,
    }


def _saved_counts(batch):
    return {**_review_counts(batch), "skipped": batch.skipped_count}


def _expected_counts(batch, reviewed):
    """Return what _saved_counts() is after the save when no customer changed
    since the review: the `reviewed` counts, with the review's possible
    duplicates moved from new to skipped when the save skips them."""
    expected = {**reviewed, "skipped": 0}
    if batch.skip_possible_duplicates:
        possible = (batch.summary or {}).get("counts", {}).get("possible_duplicates", 0)
        expected["new"] -= possible
        expected["skipped"] += possible
    return expected


def _claimed_by_this_run(batch):
    """Return whether the batch still has the started_at that this run set.

    No progress is written while a run waits for the import lock, so a page
    may mark the batch lost meanwhile, and Try again starts another run,
    which sets its own started_at. Only the latest run may save, because an
    older one would save the customers and the latest would then find them
    present and store counts of zero, leaving a batch that cannot be undone.
    """
    started_at = ImportBatch.objects.filter(pk=batch.pk).values_list("started_at", flat=True).first()
    return started_at == batch.started_at


def _note_changes_since_review(batch, plan, reviewed_outcomes, reviewed, expected):
    """Store in the batch's summary what changed between its review and its
    save, because customers changed meanwhile.

    That is the rows whose outcome changed (see pipeline.outcome_changes).
    Without the review's row outcomes (no stored plan file, or a file read
    again with other rows), it is the review's counts if the saved ones differ.
    """
    if reviewed_outcomes is not None:
        changes = pipeline.outcome_changes(reviewed_outcomes, plan)
        if changes is None:
            return
        batch.summary["changed_since_review"] = changes
    elif _saved_counts(batch) != expected:
        batch.summary["review_counts"] = reviewed
    else:
        return
    batch.save(update_fields=["summary"])


def commit_batch(batch):
    """Save the batch's valid rows in one transaction, from the plan stored
    at validation when it is still current, otherwise from the file."""
    with translation.override(batch.language):
        _set_state(batch, ImportBatch.State.IMPORTING, started_at=timezone.now())
        progress = ProgressReporter(batch)
        progress("reading", 0, batch.rows_read)
        reviewed = _review_counts(batch)
        expected = _expected_counts(batch, reviewed)
        try:
            plan = _plan_to_commit(batch, progress)
            reviewed_outcomes = stored_plan.load_review(batch, _row_numbers(plan))
            if not getattr(settings, "IMPORT_PROGRESS_DATABASE", None):
                # Nothing reported inside the transaction shows before it
                # commits, so the page names the whole step from here.
                progress("saving", 0, len(plan.rows))
            # The customers and the batch's "done" are saved together. A
            # worker lost between the two would leave saved customers under
            # a batch that Try again would import a second time.
            with transaction.atomic():
                # The lock is taken before the check, so no other run can
                # save this batch between the check and commit_plan().
                pipeline.lock_customer_writes()
                if not _claimed_by_this_run(batch):
                    logger.warning(
                        "Import batch %s was started again while this run waited for the import lock, "
                        "so this run saves nothing",
                        batch.pk,
                    )
                    return batch
                pipeline.commit_plan(plan, batch, progress=progress)
                counts = store_findings(batch, plan, saved=True)
                _note_changes_since_review(batch, plan, reviewed_outcomes, reviewed, expected)
                _set_state(
                    batch,
                    ImportBatch.State.DONE,
                    phase="done",
                    created_count=counts["new"],
                    finished_at=timezone.now(),
                )
        except FileRejected as error:
            _fail(batch, error)
            return batch
        except Exception as error:
            logger.exception("Import batch %s failed while saving; nothing was saved", batch.pk)
            _fail(batch, error)
            return batch
        stored_plan.delete(batch)
        # Saving stored the findings again, and they may differ from the review's.
        problem_files.store(batch)
    return batch
