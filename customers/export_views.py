"""Pages of the customer list exports: progress, download and Try again
of those the task worker writes, and the export history, which also lists
the exports sent directly in the response to their request."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from customers import exports
from customers.import_views import PROGRESS_QUIET_SECONDS, ProgressRate
from customers.importing.tasks import run_export_task
from customers.models import CustomerExport
from ebilling.access import staff_permission_required

EXPORTS_PER_PAGE = 50


def worker_silence(export):
    """Return the whole seconds since the export's worker last reported, when
    that is at least PROGRESS_QUIET_SECONDS; else None."""
    if export.state != CustomerExport.State.RUNNING or export.heartbeat_at is None:
        return None
    seconds = int((timezone.now() - export.heartbeat_at).total_seconds())
    return seconds if seconds >= PROGRESS_QUIET_SECONDS else None


def progress_rate(export):
    """Return the running export's ProgressRate, or None before there is one
    to measure or while the worker is silent."""
    if export.state != CustomerExport.State.RUNNING or export.started_at is None or not export.rows_done:
        return None
    if worker_silence(export) is not None:
        return None
    elapsed = (timezone.now() - export.started_at).total_seconds()
    if elapsed <= 0:
        return None
    rate = export.rows_done / elapsed
    seconds_left = None
    if export.rows_total >= export.rows_done:
        seconds_left = round((export.rows_total - export.rows_done) / rate)
    return ProgressRate(rows_per_second=round(rate), seconds_left=seconds_left)


def _progress_context(export):
    return {
        "export": export,
        "rate": progress_rate(export),
        "silent_seconds": worker_silence(export),
        "stale_minutes": round(settings.IMPORT_STALE_SECONDS / 60),
    }


def _list_url(export):
    """Return the customer list URL with the export's filter."""
    query = QueryDict(export.query, mutable=True)
    if export.scope == CustomerExport.Scope.INCOMPLETE:
        query["incomplete"] = "1"
    return reverse("customers:list") + (f"?{query.urlencode()}" if query else "")


@staff_permission_required(exports.EXPORT_PERMISSION)
def export_detail(request, pk):
    exports.fail_stale_exports()
    export = get_object_or_404(exports.visible_exports(request.user), pk=pk)
    context = {
        **_progress_context(export),
        "may_download": exports.may_download(export, request.user, exports.download_scope(request.user)),
        "list_url": _list_url(export),
        "kept_until": exports.kept_until(export),
        "retention_days": settings.EXPORT_RETENTION_DAYS,
    }
    return render(request, "customers/export_detail.html", context)


@staff_permission_required(exports.EXPORT_PERMISSION)
def export_progress(request, pk):
    exports.fail_stale_exports()
    export = get_object_or_404(exports.visible_exports(request.user), pk=pk)
    response = render(request, "customers/_export_progress.html", _progress_context(export))
    if not export.is_running:
        # Reload the whole page once the work is over, to show the download button.
        response["HX-Refresh"] = "true"
    return response


# never_cache sends Cache-Control: no-store, because the file contains
# customers' personal data.
@never_cache
@staff_permission_required(exports.EXPORT_PERMISSION)
def export_download(request, pk):
    """Send the export's file to an admin, or to its requester while they
    still see every site whose customers the file contains."""
    export = get_object_or_404(exports.visible_exports(request.user), pk=pk)
    # A stale or shared download link leads to the export page, which shows
    # why there is nothing to download, instead of a bare "Not found".
    if export.state != CustomerExport.State.DONE or not export.file:
        return redirect("customers:export-detail", pk=export.pk)
    if not exports.may_download(export, request.user, exports.download_scope(request.user)):
        return redirect("customers:export-detail", pk=export.pk)
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404("This export's file is missing from storage.") from None
    return FileResponse(
        handle, as_attachment=True, filename=export.file_name, content_type=exports.CONTENT_TYPES[export.format]
    )


@staff_permission_required(exports.EXPORT_PERMISSION)
@require_POST
def export_retry(request, pk):
    export = get_object_or_404(exports.visible_exports(request.user), pk=pk)
    if exports.queue_retry(export):
        run_export_task.enqueue(str(export.pk))
    elif export.state == CustomerExport.State.FAILED:
        # The export page shows what to do instead.
        messages.error(request, _("This export cannot be tried again."))
    else:
        messages.error(request, _("Only a failed export can be tried again."))
    return redirect("customers:export-detail", pk=export.pk)


@staff_permission_required(exports.EXPORT_PERMISSION)
def export_list(request):
    """List the customer list exports: the user's own, or every one for an admin."""
    exports.fail_stale_exports()
    export_page = Paginator(exports.visible_exports(request.user).order_by("-created_at"), EXPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    scope = exports.download_scope(request.user)
    for export in export_page:
        has_file = export.state == CustomerExport.State.DONE and bool(export.file)
        export.may_download = has_file and exports.may_download(export, request.user, scope)
    return render(
        request,
        "customers/export_list.html",
        {"page": export_page, "retention_days": settings.EXPORT_RETENTION_DAYS},
    )
