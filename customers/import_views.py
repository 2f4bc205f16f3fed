"""Upload, review and batch pages of the customer import."""

from io import BytesIO

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.import_forms import UploadForm
from customers.importing import batches
from customers.importing.problem_workbook import write_problem_workbook
from customers.importing.problems import FILE_MESSAGES, FileRejected
from customers.importing.tasks import commit_batch_task, validate_batch_task
from customers.importing.template import write_template
from customers.models import ImportBatch, ImportProblem
from ebilling.access import is_admin, staff_required, visible_sites
from packages.models import ServicePackage

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FINDINGS_PER_PAGE = 100


def visible_batches(user):
    """Batches the staff user may see: all for an admin, otherwise those
    bound to one of their sites."""
    batches_qs = ImportBatch.objects.select_related("created_by", "site")
    if is_admin(user):
        return batches_qs
    return batches_qs.filter(site__in=visible_sites(user))


def xlsx_response(content, filename):
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required
def template_download(request):
    sites = list(visible_sites(request.user).filter(is_active=True).order_by("name"))
    packages = list(ServicePackage.objects.filter(is_active=True).order_by("monthly_price", "name"))
    out = BytesIO()
    write_template(out, sites, packages)
    return xlsx_response(out.getvalue(), "template-pelanggan.xlsx")


@staff_required
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


def _findings_page(request, batch):
    kind = request.GET.get("kind", "problem")
    if kind not in ImportProblem.Kind.values:
        kind = "problem"
    findings = batch.problems.filter(kind=kind).order_by("row", "id")
    page = Paginator(findings, FINDINGS_PER_PAGE).get_page(request.GET.get("page"))
    return kind, page


@staff_required
def batch_detail(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    kind, page = _findings_page(request, batch)
    kind_counts = dict.fromkeys(ImportProblem.Kind.values, 0)
    for entry in batch.problems.order_by().values("kind").annotate(total=Count("id")):
        kind_counts[entry["kind"]] = entry["total"]
    previous = batches.previous_import(batch.file_sha256, exclude=batch)
    error_message = ""
    if batch.state == ImportBatch.State.FAILED and batch.error_code in FILE_MESSAGES:
        error_message = FileRejected(batch.error_code, **batch.error_params).message
    context = {
        "batch": batch,
        "summary": batch.summary or {},
        "kind": kind,
        "page": page,
        "kinds": [(value, label, kind_counts[value]) for value, label in ImportProblem.Kind.choices],
        "previous": previous,
        "error_message": error_message,
    }
    return render(request, "customers/batch_detail.html", context)


@staff_required
def batch_progress(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    response = render(request, "customers/_batch_progress.html", {"batch": batch})
    if not batch.is_running:
        # Reload the whole page once the work is over, to show the review.
        response["HX-Refresh"] = "true"
    return response


@staff_required
@require_POST
def batch_confirm(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    if batch.state != ImportBatch.State.REVIEW:
        messages.error(request, _("This batch is not waiting for review any more."))
        return redirect("customers:batch-detail", pk=batch.pk)
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.QUEUED, phase="queued")
    commit_batch_task.enqueue(str(batch.pk))
    return redirect("customers:batch-detail", pk=batch.pk)


@staff_required
@require_POST
def batch_cancel(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    if batch.state != ImportBatch.State.REVIEW:
        messages.error(request, _("This batch is not waiting for review any more."))
        return redirect("customers:batch-detail", pk=batch.pk)
    batch.state = ImportBatch.State.CANCELLED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["state", "finished_at"])
    messages.success(request, _("Upload cancelled. Nothing was saved."))
    return redirect("customers:upload")


@staff_required
def batch_problem_workbook(request, pk):
    batch = get_object_or_404(visible_batches(request.user), pk=pk)
    out = BytesIO()
    write_problem_workbook(batch, out)
    return xlsx_response(out.getvalue(), f"masalah-{batch.pk.hex[:8]}.xlsx")


@staff_required
def batch_list(request):
    batch_page = Paginator(visible_batches(request.user).order_by("-created_at"), 50).get_page(request.GET.get("page"))
    return render(request, "customers/batch_list.html", {"page": batch_page})
