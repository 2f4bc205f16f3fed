"""Upload, review and batch pages of the customer import."""

import logging
import tempfile
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from customers.import_forms import ColumnMapForm, UploadForm
from customers.importing import batches, dedupe, pipeline, problem_files, undo
from customers.importing.column_map import learn_header_alias, learned_aliases
from customers.importing.headers import SOURCE_LEARNED, TEMPLATE_HEADERS, normalise_header
from customers.importing.matching import alias_target, learn_alias, match_key
from customers.importing.pipeline import UNMATCHED_LIST_LIMIT, site_scope
from customers.importing.problem_workbook import has_left_out_rows, write_problem_workbook
from customers.importing.problems import FILE_MESSAGES, FileRejected
from customers.importing.tasks import commit_batch_task, validate_batch_task
from customers.importing.template import write_template
from customers.models import HeaderAlias, ImportBatch, ImportProblem
from customers.selectors import customers_visible_to
from audit.log_filters import mask_digit_runs
from audit.models import NikReveal
from audit.personal_data import mask_finding, mask_nik_text, nik_headers
from ebilling.access import (
    admin_required,
    has_staff_permission,
    is_admin,
    staff_permission_required,
    staff_required,
    visible_sites,
)
from packages.models import ServicePackage

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FINDINGS_PER_PAGE = 100
CUSTOMERS_PER_PAGE = 50
# Rows listed on the undo confirmation page under "will be undone"; what
# cannot be undone is always listed in full.
UNDO_LIST_LIMIT = 500
# The values of the review's choice for possible duplicates. A save
# request without the choice saves them, as saves did before the choice.
SKIP_POSSIBLE_DUPLICATES = "skip"
SAVE_POSSIBLE_DUPLICATES = "save"

logger = logging.getLogger(__name__)


def visible_batches(user):
    """Batches the staff user may see: all for an admin, otherwise those the
    site admin uploaded to one of their sites.

    A batch's findings name the customers its uploader may see, so another
    site admin of the same site, who may manage other sites, could learn
    of customers outside their own sites from them.
    """
    batches_qs = ImportBatch.objects.select_related("created_by", "site")
    if is_admin(user):
        return batches_qs
    return batches_qs.filter(created_by=user, site__in=visible_sites(user))


def xlsx_response(content, filename):
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_permission_required("customers.import_customers")
def template_download(request):
    sites = list(visible_sites(request.user).filter(is_active=True).order_by("name"))
    packages = list(ServicePackage.objects.filter(is_active=True).order_by("monthly_price", "name"))
    out = BytesIO()
    write_template(out, sites, packages)
    return xlsx_response(out.getvalue(), "template-pelanggan.xlsx")


@staff_permission_required("customers.import_customers")
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            batch = batches.create_batch(
                uploaded,
                uploaded.name,
                user=request.user,
                site=form.cleaned_data["site"],
                mode=form.cleaned_data["mode"],
            )
        except FileRejected as error:
            form.add_error("file", error.message)
        else:
            validate_batch_task.enqueue(str(batch.pk))
            return redirect("customers:batch-detail", pk=batch.pk)
    return render(request, "customers/upload.html", {"form": form})


def _created_customers_page(request, batch):
    # A customer moved to another site since the import is listed only to those who see that site.
    customers = customers_visible_to(request.user).filter(import_batch=batch)
    customers = customers.select_related("site", "package").order_by("number_key", "number")
    return Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("customers_page"))


def _created_without_site_or_package(request, batch):
    """Count the customers of a saved batch that have no site or no package.

    An unknown Site or Paket name saves its row without that field, with a
    note. Such rows stay off the problem workbook's first sheet (they are on
    its notes sheet), because they are saved and a second upload in create
    mode would find them already present. The batch page points to the
    customer list too, where a bulk change sets them.
    """
    if batch.state != ImportBatch.State.DONE:
        return {"created_without_site": 0, "created_without_package": 0}
    return customers_visible_to(request.user).filter(import_batch=batch).aggregate(
        created_without_site=Count("pk", filter=Q(site__isnull=True)),
        created_without_package=Count("pk", filter=Q(package__isnull=True)),
    )


# Workers report every few seconds at most. After this long without a
# report, the progress shows the silence instead of a time left.
PROGRESS_QUIET_SECONDS = 30


@dataclass(frozen=True)
class ProgressRate:
    """Rows per second of the running phase and the seconds it still needs, or None."""

    rows_per_second: int
    seconds_left: int


def _progress_live():
    """Return whether other connections see the save's progress (PostgreSQL) or not (SQLite)."""
    return settings.IMPORT_PROGRESS_DATABASE is not None


def worker_silence(batch):
    """Return the whole seconds since the batch's worker last reported, when
    that is at least PROGRESS_QUIET_SECONDS and it should have reported; else None."""
    if batch.state not in batches.RUNNING_STATES or batch.heartbeat_at is None:
        return None
    if batch.state == ImportBatch.State.IMPORTING and not _progress_live():
        # The save's progress stays invisible until it commits.
        return None
    seconds = int((timezone.now() - batch.heartbeat_at).total_seconds())
    return seconds if seconds >= PROGRESS_QUIET_SECONDS else None


def progress_rate(batch):
    """Return the running phase's ProgressRate, or None before there is one to
    measure or while the worker is silent."""
    if not batch.is_running or batch.phase_started_at is None or not batch.rows_done:
        return None
    if batch.phase == "opening":
        # In the opening phase rows_done is a percentage, not a row count.
        return None
    if worker_silence(batch) is not None:
        return None
    elapsed = (timezone.now() - batch.phase_started_at).total_seconds()
    if elapsed <= 0:
        return None
    rate = batch.rows_done / elapsed
    seconds_left = None
    if batch.phase_total and batch.phase_total >= batch.rows_done:
        seconds_left = round((batch.phase_total - batch.rows_done) / rate)
    return ProgressRate(rows_per_second=round(rate), seconds_left=seconds_left)


def _progress_context(batch):
    return {
        "rate": progress_rate(batch),
        "progress_live": _progress_live(),
        "silent_seconds": worker_silence(batch),
        "stale_minutes": round(settings.IMPORT_STALE_SECONDS / 60),
    }


def _findings_page(request, batch, kind_counts, *, reveal_nik=False):
    """Return (kind, page of findings, nik_rows) for the request's kind and page.

    Without a kind in the request, the first tab with findings opens, so a
    file without problems opens on its notes. The findings' NIKs are
    masked, unless `reveal_nik` is given. `nik_rows` are the sheet rows of
    the page's findings that masking changes, whose NIKs a reveal shows in
    full.
    """
    kind = request.GET.get("kind")
    if kind not in ImportProblem.Kind.values:
        kind = next((value for value in ImportProblem.Kind.values if kind_counts[value]), ImportProblem.Kind.PROBLEM)
    findings = batch.problems.filter(kind=kind).order_by("row", "id")
    page = Paginator(findings, FINDINGS_PER_PAGE).get_page(request.GET.get("page"))
    headers = nik_headers(batch.summary)
    nik_rows = {}
    for finding in page:
        value, params = finding.value, finding.params
        # mask_finding replaces the params dict rather than changing it.
        mask_finding(finding, headers)
        if (finding.value, finding.params) == (value, params):
            continue
        nik_rows[finding.row] = True
        if reveal_nik:
            finding.value, finding.params = value, params
    return kind, page, list(nik_rows)


def _column_form(request, batch, data=None):
    """Return the column matching form of the batch for this user, or None
    when the batch or the user cannot map its columns."""
    columns = (batch.summary or {}).get("columns")
    if not columns or not batches.can_map_columns(batch):
        return None
    if not has_staff_permission(request.user, "customers.import_customers"):
        return None
    form = ColumnMapForm(data, columns=columns, learned=learned_aliases())
    return form if form.columns else None


def _column_rows(form):
    """Return (column entry, bound field, samples) for each column of the
    form, with the NIKs and other long digit runs of the samples masked:
    the last digits show what a column holds, and the page records no
    NIK reveal.

    A column chosen in this batch whose header is now learned with the same
    field is marked `remembered`, so the card does not call it this file's only.
    """
    rows = []
    for column in form.columns:
        mask = mask_nik_text if column["field"] == "nik" else mask_digit_runs
        samples = [mask(sample) for sample in column["samples"]]
        remembered = column["field"] is not None and form.learned.get(normalise_header(column["header"])) == column["field"]
        rows.append(({**column, "remembered": remembered}, form[form.field_name(column)], samples))
    return rows


def _learned_columns(summary):
    """Return (header, template header) of each column that a learned header alias mapped."""
    return [
        (column["header"], TEMPLATE_HEADERS[column["field"]])
        for column in summary.get("columns", [])
        if column["source"] == SOURCE_LEARNED and column["field"]
    ]


def _unmatched_names(summary):
    """Return the unmatched Site names and Paket names to list, at most
    UNMATCHED_LIST_LIMIT of each, and how many more there are. Summaries
    stored before the limit list every name."""
    limit = UNMATCHED_LIST_LIMIT
    listed = {}
    unlisted = 0
    for kind in ("site", "package"):
        entries = summary.get(f"unmatched_{kind}s", [])
        listed[kind] = entries[:limit]
        unlisted += summary.get(f"unmatched_{kind}_count", len(entries)) - len(listed[kind])
    return listed["site"], listed["package"], unlisted


# The labels of pipeline.ROW_OUTCOMES, in that order.
OUTCOME_LABELS = {
    dedupe.NEW: gettext_lazy("New"),
    pipeline.POSSIBLE_DUPLICATE: gettext_lazy("Possible duplicate"),
    dedupe.UPDATE: gettext_lazy("Update"),
    dedupe.PRESENT: gettext_lazy("Already present"),
    dedupe.INVALID: gettext_lazy("Problem"),
}


def _changes_since_review(summary):
    """Return what the result page shows of the rows whose outcome changed
    between the review and the save (see pipeline.outcome_changes), or None."""
    changes = summary.get("changed_since_review")
    if not changes:
        return None
    return {
        "changed": changes["changed"],
        "unlisted": changes["changed"] - len(changes["rows"]),
        "counts": [
            (label, changes["review"][outcome], changes["saved"][outcome]) for outcome, label in OUTCOME_LABELS.items()
        ],
        "rows": [(row, OUTCOME_LABELS[before], OUTCOME_LABELS[after]) for row, before, after in changes["rows"]],
    }


@staff_required
def batch_detail(request, pk):
    batches.fail_stale_batches()
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    context = _batch_context(request, batch, _column_form(request, batch))
    return render(request, "customers/batch_detail.html", context)


# never_cache sends Cache-Control: no-store, because the page shows full NIKs.
@never_cache
@staff_permission_required("customers.reveal_nik")
def batch_nik_reveal(request, pk):
    """On POST, show the batch page with the full NIKs of the findings of
    the requested kind and page, and record one NIK reveal for them.

    A GET, as from a link of the page shown, redirects to the batch page
    with the same query, where NIKs are masked again.
    """
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    if request.method != "POST":
        query = request.GET.urlencode()
        return redirect(reverse("customers:batch-detail", args=[batch.pk]) + (f"?{query}" if query else ""))

    context = _batch_context(request, batch, _column_form(request, batch), reveal_nik=True)
    nik_rows = context["nik_rows"]
    if nik_rows:
        NikReveal.objects.create(
            user=request.user,
            username=request.user.get_username(),
            batch=batch,
            batch_file_name=batch.file_name,
            rows=", ".join(map(str, nik_rows)),
        )
        logger.info("NIKs of %s rows of import batch %s shown to user %s", len(nik_rows), batch.pk, request.user.pk)
    return render(request, "customers/batch_detail.html", context)


def _batch_context(request, batch, column_form, *, reveal_nik=False):
    kind_counts = dict.fromkeys(ImportProblem.Kind.values, 0)
    for entry in batch.problems.order_by().values("kind").annotate(total=Count("id")):
        kind_counts[entry["kind"]] = entry["total"]
    kind, page, nik_rows = _findings_page(request, batch, kind_counts, reveal_nik=reveal_nik)
    summary = batch.summary or {}
    previous = batches.previous_import(
        batch.file_sha256, among=visible_batches(request.user), before=batch, sheet=summary.get("sheet")
    )
    unmatched_sites, unmatched_packages, unlisted_unmatched = _unmatched_names(batch.summary or {})
    error_message = ""
    if batch.state == ImportBatch.State.FAILED and batch.error_code in FILE_MESSAGES:
        error_message = FileRejected(batch.error_code, **batch.error_params).message
    context = {
        "batch": batch,
        "summary": batch.summary or {},
        "kind": kind,
        "page": page,
        "nik_rows": nik_rows,
        "nik_revealed": reveal_nik and bool(nik_rows),
        "can_reveal_nik": has_staff_permission(request.user, "customers.reveal_nik"),
        # The tab of skipped rows shows only once a save skipped some.
        "kinds": [
            (value, label, kind_counts[value])
            for value, label in ImportProblem.Kind.choices
            if value != ImportProblem.Kind.SKIPPED or kind_counts[value]
        ],
        "skip_choice": SKIP_POSSIBLE_DUPLICATES,
        "save_choice": SAVE_POSSIBLE_DUPLICATES,
        "previous": previous,
        "error_message": error_message,
        **_progress_context(batch),
        "can_retry": batches.can_retry(batch),
        # The page explains why a batch has no file any more.
        "retention_days": settings.IMPORT_RETENTION_DAYS,
        "review_fingerprint": batches.review_fingerprint(batch),
        "can_undo": undo.batch_can_undo(batch),
        "update_mode_label": ImportBatch.Mode.UPDATE.label,
        "created_page": _created_customers_page(request, batch),
        **_created_without_site_or_package(request, batch),
        # Only active ones are offered, as the portal and approvals offer them.
        "alias_sites": visible_sites(request.user).filter(is_active=True).order_by("name"),
        "alias_packages": ServicePackage.objects.filter(is_active=True).order_by("name"),
        "column_form": column_form,
        "column_rows": _column_rows(column_form) if column_form else [],
        "learned_columns": _learned_columns(batch.summary or {}),
        "unmatched_sites": unmatched_sites,
        "unmatched_packages": unmatched_packages,
        "unlisted_unmatched": unlisted_unmatched,
        "changes_since_review": _changes_since_review(summary),
        "learns_columns": is_admin(request.user),
        # A site admin's Paket name applies to their upload only (see batch_alias).
        "remembers_package_names": is_admin(request.user),
        # The problem workbook's notes sheet lists these rows, and its link
        # is shown for them when the batch has no problem rows.
        "has_left_out_rows": not batch.problem_count and has_left_out_rows(batch),
    }
    context["sheet_choices"], context["unchecked_sheet_choices"] = _sheet_choices(request, batch)
    return context


def _sheet_choices(request, batch):
    if not has_staff_permission(request.user, "customers.import_customers"):
        return [], []
    return batches.sheet_choices(batch)


@staff_required
def batch_progress(request, pk):
    batches.fail_stale_batches()
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    context = {"batch": batch, **_progress_context(batch)}
    response = render(request, "customers/_batch_progress.html", context)
    if not batch.is_running:
        # Reload the whole page once the work is over, to show the review.
        response["HX-Refresh"] = "true"
    return response


@staff_permission_required("customers.import_customers")
@require_POST
def batch_confirm(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    choice = request.POST.get("possible_duplicates", SAVE_POSSIBLE_DUPLICATES)
    if choice not in (SKIP_POSSIBLE_DUPLICATES, SAVE_POSSIBLE_DUPLICATES):
        messages.error(
            request,
            _("Nothing was saved: choose whether to skip or save the possible duplicates, then save again."),
        )
        return redirect("customers:batch-detail", pk=batch.pk)
    # The state is checked in the UPDATE itself, so a double click queues
    # the save once, and never again once a worker has started it.
    try:
        queued = batches.queue_confirm(
            batch, request.POST.get("review"), skip_possible_duplicates=choice == SKIP_POSSIBLE_DUPLICATES
        )
    except batches.ReviewChanged:
        logger.info("Save of batch %s rejected: its review changed since user %s opened it", batch.pk, request.user.pk)
        messages.error(
            request,
            _(
                "Nothing was saved: this file was checked again with another sheet or column matching "
                "after you opened the review. Check the review below, then save again."
            ),
        )
        return redirect("customers:batch-detail", pk=batch.pk)
    if not queued:
        messages.error(request, _("This batch is not waiting for review any more."))
        return redirect("customers:batch-detail", pk=batch.pk)
    commit_batch_task.enqueue(str(batch.pk))
    return redirect("customers:batch-detail", pk=batch.pk)


@staff_permission_required("customers.import_customers")
@require_POST
def batch_cancel(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    if not batches.cancel_review(batch):
        messages.error(request, _("This batch is not waiting for review any more."))
        return redirect("customers:batch-detail", pk=batch.pk)
    messages.success(request, _("Upload cancelled. Nothing was saved."))
    return redirect("customers:upload")


# never_cache sends Cache-Control: no-store, because the rows contain
# customers' personal data.
@never_cache
@staff_permission_required("customers.import_customers")
def batch_problem_workbook(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    if batch.state in (ImportBatch.State.QUEUED, ImportBatch.State.VALIDATING):
        # Its findings are not stored yet, so a workbook now would look like one without problems.
        messages.error(request, _("The file is still being checked. Download the problem rows when the check is done."))
        return redirect("customers:batch-detail", pk=batch.pk)
    mask_nik = not has_staff_permission(request.user, "customers.reveal_nik")
    if not mask_nik and nik_headers(batch.summary):
        # The workbook contains the problem rows whole, with their full NIKs.
        NikReveal.objects.create(
            user=request.user, username=request.user.get_username(), batch=batch, batch_file_name=batch.file_name
        )
        logger.info("NIKs of import batch %s downloaded by user %s", batch.pk, request.user.pk)
    # The worker stores the workbook after checking the batch, because
    # writing it reads the upload again, which for a large file takes
    # longer than a web request may.
    out = problem_files.open_stored(batch, mask_nik=mask_nik)
    if out is None:
        # A temporary file rather than memory, because 100,000 problem rows make a workbook of several MB.
        out = tempfile.TemporaryFile()
        write_problem_workbook(batch, out, mask_nik=mask_nik)
        out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"masalah-{batch.pk.hex[:8]}.xlsx", content_type=XLSX_TYPE)


@staff_required
def batch_list(request):
    batches.fail_stale_batches()
    batch_page = Paginator(visible_batches(request.user).order_by("-created_at"), 50).get_page(request.GET.get("page"))
    # Other batches were checked but never saved (or not yet), so their counts are what a save would do.
    saved_states = [ImportBatch.State.DONE, ImportBatch.State.UNDONE, ImportBatch.State.IMPORTING]
    return render(request, "customers/batch_list.html", {"page": batch_page, "saved_states": saved_states})


@staff_permission_required("customers.import_customers")
@require_POST
def batch_retry(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    step = batches.queue_retry(batch) if batches.can_retry(batch) else None
    if step is None:
        messages.error(request, _("This batch cannot be tried again."))
    elif step == "commit":
        commit_batch_task.enqueue(str(batch.pk))
    else:
        validate_batch_task.enqueue(str(batch.pk))
    return redirect("customers:batch-detail", pk=batch.pk)


def _undo_not_allowed(request, batch):
    """Add the message that explains why the batch cannot be undone."""
    if batch.state == ImportBatch.State.UNDONE:
        messages.info(request, _("This import was already undone, so nothing was changed."))
    elif batch.state == ImportBatch.State.DONE:
        messages.error(request, _("This import saved nothing, so there is nothing to undo."))
    else:
        messages.error(request, _("Only a finished import can be undone."))


@staff_permission_required("customers.import_customers")
def batch_undo(request, pk):
    """Show what undoing the batch would do; on POST, do it."""
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    if not undo.batch_can_undo(batch):
        _undo_not_allowed(request, batch)
        return redirect("customers:batch-detail", pk=batch.pk)

    if request.method == "POST":
        try:
            plan = undo.undo_batch(batch, request.user, site_scope(request.user))
        except undo.UndoBlocked:
            messages.error(request, _("Nothing was undone. Undo the later imports listed below first."))
            return redirect("customers:batch-undo", pk=batch.pk)
        except undo.UndoNotAllowed:
            # Another request, such as a second click, changed the batch first.
            batch.refresh_from_db(fields=["state"])
            _undo_not_allowed(request, batch)
            return redirect("customers:batch-detail", pk=batch.pk)
        messages.success(
            request,
            _("Import undone: %(removed)s customers removed, %(restored)s fields restored.")
            % {
                "removed": number_format(len(plan.removable), force_grouping=True),
                "restored": number_format(len(plan.restorable), force_grouping=True),
            },
        )
        return redirect("customers:batch-detail", pk=batch.pk)

    plan = undo.plan_undo(batch, site_scope(request.user))
    restorable = plan.restorable[:UNDO_LIST_LIMIT]
    undo.fill_value_texts(restorable + plan.unrestorable)
    # A site admin may open only the later imports they uploaded.
    openable = set(
        visible_batches(request.user)
        .filter(pk__in=[entry.batch.pk for entry in plan.later_imports])
        .values_list("pk", flat=True)
    )
    context = {
        "openable_batches": openable,
        "batch": batch,
        "plan": plan,
        "removable": plan.removable[:UNDO_LIST_LIMIT],
        "restorable": restorable,
        "list_limit": UNDO_LIST_LIMIT,
    }
    return render(request, "customers/batch_undo.html", context)


@staff_permission_required("customers.import_customers")
@require_POST
def batch_alias(request, pk):
    """Remember what an unmatched Site or Paket value means, then check the
    batch again so the review shows the new matches.

    A site admin's Paket name applies to this batch only, because packages
    serve every site and a remembered name would change the uploads of
    sites they do not manage.
    """
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    if batch.state != ImportBatch.State.REVIEW:
        messages.error(request, _("This batch is not waiting for review any more."))
        return redirect("customers:batch-detail", pk=batch.pk)
    kind = request.POST.get("kind")
    name = request.POST.get("name", "").strip()
    if kind == "site":
        target = visible_sites(request.user).filter(pk=request.POST.get("target") or None, is_active=True).first()
    elif kind == "package":
        target = ServicePackage.objects.filter(pk=request.POST.get("target") or None, is_active=True).first()
    else:
        target = None
    if target is None or not name:
        messages.error(request, _("Choose the site or package that this name means."))
        return redirect("customers:batch-detail", pk=batch.pk)
    # Aliases serve every later upload, so a name is learned only from the
    # review that listed it, and only an admin may give a known name a new meaning.
    summary_key = "unmatched_sites" if kind == "site" else "unmatched_packages"
    listed = {match_key(entry["value"]) for entry in (batch.summary or {}).get(summary_key, [])}
    remembers = kind == "site" or is_admin(request.user)
    existing = alias_target(kind, name) if remembers else None
    if match_key(name) not in listed or (
        existing is not None and existing != target and not is_admin(request.user)
    ):
        messages.error(request, _("This name is not one this review asks about."))
        return redirect("customers:batch-detail", pk=batch.pk)

    with transaction.atomic():
        # Checked in the UPDATE, as on confirming: a batch confirmed or
        # cancelled since the check above is not queued to be checked again.
        queued = ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.REVIEW).update(
            state=ImportBatch.State.QUEUED, phase="queued"
        )
        if not queued:
            messages.error(request, _("This batch is not waiting for review any more."))
            return redirect("customers:batch-detail", pk=batch.pk)
        if remembers:
            learn_alias(kind, name, target, request.user)
        else:
            batch.refresh_from_db(fields=["package_names"])
            batch.package_names = {**batch.package_names, match_key(name): target.pk}
            batch.save(update_fields=["package_names"])
    validate_batch_task.enqueue(str(batch.pk))
    if not remembers:
        messages.success(
            request,
            _("In this upload, %(name)s means %(target)s. The file is being checked again.")
            % {"name": name, "target": target.name},
        )
        return redirect("customers:batch-detail", pk=batch.pk)
    text = _("From now on, %(name)s means %(target)s. The file is being checked again.") % {
        "name": name,
        "target": target.name,
    }
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            text,
            reverse("customers:name-alias-list"),
            _("Remembered site and package names"),
        ),
    )
    return redirect("customers:batch-detail", pk=batch.pk)


@staff_permission_required("customers.import_customers")
@require_POST
def batch_columns(request, pk):
    """Store the fields chosen for the file's unmatched columns and check the
    file again. An admin's choices are also learned for later uploads."""
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    form = _column_form(request, batch, request.POST)
    if form is None:
        messages.error(request, _("The columns of this batch can no longer be matched."))
        return redirect("customers:batch-detail", pk=batch.pk)
    if not form.is_valid():
        return render(request, "customers/batch_detail.html", _batch_context(request, batch, form))

    learns = is_admin(request.user)
    with transaction.atomic():
        if not batches.queue_column_map(batch, form.column_map()):
            messages.error(request, _("The columns of this batch can no longer be matched."))
            return redirect("customers:batch-detail", pk=batch.pk)
        # A site admin's choice must not change how other admins' files are read.
        if learns:
            for header, field_name in form.aliases_to_learn():
                learn_header_alias(header, field_name, request.user)
    validate_batch_task.enqueue(str(batch.pk))
    if learns:
        messages.success(request, _("Columns matched and remembered for later uploads. The file is being checked again."))
    else:
        messages.success(request, _("Columns matched for this file. The file is being checked again."))
    return redirect("customers:batch-detail", pk=batch.pk)


@staff_permission_required("customers.import_customers")
@require_POST
def batch_sheet(request, pk):
    """Store the sheet chosen among those that look like customer lists, or
    those not checked, and check the file again, reading that sheet."""
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    checked, unchecked = batches.sheet_choices(batch)
    choices = checked + unchecked
    if not choices:
        messages.error(request, _("The sheet of this batch can no longer be chosen."))
        return redirect("customers:batch-detail", pk=batch.pk)
    sheet = request.POST.get("sheet", "")
    if sheet not in choices:
        logger.info("Sheet choice for batch %s rejected: %r is not one of %r", batch.pk, sheet[:100], choices)
        messages.error(
            request,
            _("“%(sheet)s” is not a sheet of this file that looks like a customer list. Choose one of: %(sheets)s.")
            % {"sheet": sheet[:100], "sheets": ", ".join(choices)},
        )
        return redirect("customers:batch-detail", pk=batch.pk)
    if not batches.queue_sheet(batch, sheet):
        messages.error(request, _("The sheet of this batch can no longer be chosen."))
        return redirect("customers:batch-detail", pk=batch.pk)
    validate_batch_task.enqueue(str(batch.pk))
    messages.success(request, _("The file is being checked again, reading the sheet %(sheet)s.") % {"sheet": sheet})
    return redirect("customers:batch-detail", pk=batch.pk)


@admin_required
def header_alias_list(request):
    """List the learned column names, which only admins teach and remove."""
    aliases = HeaderAlias.objects.select_related("created_by").order_by("name")
    return render(request, "customers/header_alias_list.html", {"aliases": aliases})


@admin_required
@require_POST
def header_alias_delete(request, pk):
    alias = get_object_or_404(HeaderAlias, pk=pk)
    alias.delete()
    messages.success(
        request,
        _("Later uploads no longer read the column %(name)s as %(field)s.")
        % {"name": alias.name, "field": alias.get_field_display()},
    )
    return redirect("customers:header-alias-list")
