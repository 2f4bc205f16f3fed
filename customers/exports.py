"""Customer list exports: choose the customers, write the file, and run
the large exports in the task worker.

The export views and the task call these functions, and none of them
reads an HTTP request.
"""

import dataclasses
import io
import logging
import re
import tempfile
import unicodedata
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.http import QueryDict
from django.utils import timezone, translation

from customers.forms import CustomerFilterForm
from customers.importing.batches import silent_since
from customers.importing.export import DEFAULT_CSV_DELIMITER, write_customers_csv, write_customers_workbook
from customers.models import EXPORT_RETRYABLE_ERRORS, Customer, CustomerExport
from customers.selectors import NO_SITE, customer_list_rows, customers_visible_to, filter_customers
from ebilling.access import has_staff_permission, is_admin, visible_sites
from packages.models import ServicePackage
from sites.models import Site

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = "customers.export_customers"

# The status in an export's file name, in Indonesian like the rest of the
# name, so the name does not change with the language of the page.
FILE_NAME_STATUSES = {
    Customer.Status.ACTIVE: "aktif",
    Customer.Status.INACTIVE: "nonaktif",
    Customer.Status.SUSPENDED: "isolir",
}

CONTENT_TYPES = {
    CustomerExport.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CustomerExport.Format.CSV: "text/csv; charset=utf-8",
}


@dataclasses.dataclass(frozen=True)
class ExportSelection:
    """The customers an export writes, and for an incomplete-customers
    workbook the sites and packages of its drop-down lists."""

    customers: object
    sites: list = None
    packages: list = None
    # The CustomerFilter that chose the customers, which names the file.
    customer_filter: object = None


def select_customers(user, data, scope):
    """Return the ExportSelection of the customer list filter in `data` (a
    QueryDict) as `user` may see it now, or None when the filter is invalid
    for them, such as a site they may not see."""
    filter_form = CustomerFilterForm(data, user=user)
    if not filter_form.is_valid():
        return None
    customer_filter = filter_form.customer_filter()
    if scope == CustomerExport.Scope.INCOMPLETE:
        customer_filter = dataclasses.replace(customer_filter, incomplete_only=True)
    customers = customer_list_rows(filter_customers(customers_visible_to(user), customer_filter), customer_filter.sort)
    if scope != CustomerExport.Scope.INCOMPLETE:
        return ExportSelection(customers, customer_filter=customer_filter)

    sites = list(visible_sites(user).filter(is_active=True).order_by("name"))
    packages = list(ServicePackage.objects.filter(is_active=True).order_by("monthly_price", "name"))
    return ExportSelection(customers, sites, packages, customer_filter=customer_filter)


def write_export(
    selection, out, *, file_format, include_nik, csv_delimiter=DEFAULT_CSV_DELIMITER, progress=None, site_ids=None
):
    """Write the selected customers to the binary stream `out` as .xlsx, or
    as CSV in UTF-8 with a byte-order mark, which makes Excel read it as UTF-8.
    `csv_delimiter` is a key of CSV_DELIMITERS and applies to CSV only.

    `site_ids`, when given, is a set that receives the site id of every
    customer written, None for a customer without a site.
    """
    if file_format == CustomerExport.Format.CSV:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        write_customers_csv(
            selection.customers,
            text,
            delimiter=csv_delimiter,
            include_nik=include_nik,
            progress=progress,
            site_ids=site_ids,
        )
        text.flush()
        text.detach()
        return
    write_customers_workbook(
        selection.customers,
        out,
        include_nik=include_nik,
        sites=selection.sites,
        packages=selection.packages,
        progress=progress,
        site_ids=site_ids,
    )


def export_file_name(scope, file_format, day, customer_filter=None):
    """Return the download name, such as "pelanggan-20250105.xlsx".

    A filter on one site adds its code, or "tanpa-site" for the customers
    without a site, and a filter on a status adds the status, as in
    "pelanggan-CBN-isolir-20250105.xlsx". So exports of different sites
    made on the same day get different names in the Downloads folder.
    """
    parts = ["pelanggan-belum-lengkap" if scope == CustomerExport.Scope.INCOMPLETE else "pelanggan"]
    if customer_filter is not None:
        site = customer_filter.site
        if site == NO_SITE:
            parts.append("tanpa-site")
        elif site is not None:
            parts.append(file_name_part(site.code) or f"site-{site.pk}")
        if customer_filter.status:
            parts.append(FILE_NAME_STATUSES[customer_filter.status])
    parts.append(f"{day:%Y%m%d}")
    return "-".join(parts) + f".{file_format}"


def file_name_part(text):
    """Return `text` reduced to ASCII letters and digits, with each run of
    other characters as one "-" and accents dropped ("Çi/Bn" becomes "Ci-Bn")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")


def visible_exports(user):
    """Exports the staff user may open: all for an admin, otherwise their own."""
    exports = CustomerExport.objects.select_related("created_by")
    if is_admin(user):
        return exports
    return exports.filter(created_by=user)


def download_scope(user):
    """Return the ids of the sites whose customers `user` may download now,
    or None for an admin, who may download every export they can open."""
    if is_admin(user):
        return None
    return frozenset(visible_sites(user).values_list("pk", flat=True))


def covered_site_ids(export, user):
    """Return the set of site ids whose customers the export's file contains,
    with None for customers without a site, or None when that is unknown.

    An export written before site_ids was recorded is judged by its filter
    as `user` may use it now: a filter on one of their sites limited the
    file to that site, and any other filter leaves the sites unknown.
    """
    if export.site_ids is not None:
        return set(export.site_ids)
    filter_form = CustomerFilterForm(QueryDict(export.query), user=user)
    if filter_form.is_valid() and isinstance(filter_form.cleaned_data.get("site"), Site):
        return {filter_form.cleaned_data["site"].pk}
    return None


def may_download(export, user, scope):
    """Return whether `user`, whose download_scope() is `scope`, may still
    download the export's file: an admin always, anyone else only while
    they see every site whose customers the file contains."""
    if scope is None:
        return True
    covered = covered_site_ids(export, user)
    return covered is not None and covered <= scope


def create_export(
    user, query, *, scope, file_format, rows_total, file_name, csv_delimiter=DEFAULT_CSV_DELIMITER
):
    """Record a queued export of the customer list filter `query` (a query
    string without "?") for `user`. The caller enqueues its task."""
    return CustomerExport.objects.create(
        created_by=user,
        query=query,
        scope=scope,
        format=file_format,
        csv_delimiter=csv_delimiter,
        # The customer list's export masks NIK for every staff user, as the
        # immediate download does.
        include_nik=False,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        phase="queued",
        rows_total=rows_total,
        file_name=file_name,
    )


def record_sent_export(
    user, query, *, scope, file_format, csv_delimiter, include_nik, rows, file_name, file_size, site_ids
):
    """Record an export whose file was written in the request and sent in
    its response, so the export history lists it like a queued one. No file
    is kept. `site_ids` is the set that write_export filled."""
    now = timezone.now()
    export = CustomerExport.objects.create(
        created_by=user,
        query=query,
        scope=scope,
        format=file_format,
        csv_delimiter=csv_delimiter,
        include_nik=include_nik,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        state=CustomerExport.State.DONE,
        phase="done",
        rows_done=rows,
        rows_total=rows,
        started_at=now,
        finished_at=now,
        file_name=file_name,
        file_size=file_size,
        site_ids=_sorted_site_ids(site_ids),
        sent_directly=True,
    )
    logger.info("Customer export %s of %s rows sent directly to user %s", export.pk, rows, user.pk)
    return export


def _sorted_site_ids(site_ids):
    """Return `site_ids` as a list: customers without a site (None) first, then the sites by id."""
    return sorted(site_ids, key=lambda pk: (pk is not None, pk or 0))


def claim_export(export_id):
    """Move a queued export to running and return it, or return None when it
    is not queued: another task has it, or it is finished."""
    now = timezone.now()
    claimed = CustomerExport.objects.filter(pk=export_id, state=CustomerExport.State.QUEUED).update(
        state=CustomerExport.State.RUNNING, phase="writing", rows_done=0, started_at=now, heartbeat_at=now
    )
    if not claimed:
        logger.info("Customer export %s is not queued, so the task does nothing", export_id)
        return None
    return CustomerExport.objects.select_related("created_by").get(pk=export_id)


def run_export(export):
    """Write and store the file of a claimed export, choosing the customers
    with the requester's current rights. The export ends done or failed."""
    with translation.override(export.language):
        user = export.created_by
        if user is None or not has_staff_permission(user, EXPORT_PERMISSION):
            logger.info("Customer export %s failed: its requester may not export customers", export.pk)
            _fail(export, "no_permission")
            return export
        selection = select_customers(user, QueryDict(export.query), export.scope)
        if selection is None:
            logger.info("Customer export %s failed: its filter is not valid for its requester", export.pk)
            _fail(export, "invalid_filter")
            return export
        try:
            _write_and_store(export, selection)
        except Exception:
            logger.exception("Customer export %s failed while writing its file", export.pk)
            _fail(export, "internal_error")
    return export


def _write_and_store(export, selection):
    rows_total = selection.customers.count()
    CustomerExport.objects.filter(pk=export.pk).update(rows_total=rows_total, heartbeat_at=timezone.now())

    def report(rows_done):
        CustomerExport.objects.filter(pk=export.pk).update(rows_done=rows_done, heartbeat_at=timezone.now())

    site_ids = set()
    with tempfile.TemporaryFile() as out:
        write_export(
            selection,
            out,
            file_format=export.format,
            include_nik=export.include_nik,
            csv_delimiter=export.csv_delimiter,
            progress=report,
            site_ids=site_ids,
        )
        CustomerExport.objects.filter(pk=export.pk).update(phase="storing", heartbeat_at=timezone.now())
        file_size = out.seek(0, io.SEEK_END)
        out.seek(0)
        stored_name = f"{uuid.uuid4().hex}.{export.format}"
        export.file.save(stored_name, File(out, name=stored_name), save=False)

    # Conditional, because a worker silent for too long may have been marked
    # failed meanwhile, and its Try again may already be queued.
    finished = CustomerExport.objects.filter(pk=export.pk, state=CustomerExport.State.RUNNING).update(
        state=CustomerExport.State.DONE,
        phase="done",
        file=export.file.name,
        file_size=file_size,
        finished_at=timezone.now(),
        site_ids=_sorted_site_ids(site_ids),
    )
    if not finished:
        logger.warning(
            "Customer export %s was no longer running when its file was stored, so the file was deleted", export.pk
        )
        export.file.delete(save=False)
        return
    export.refresh_from_db()


def _fail(export, code):
    if export.file:
        export.file.delete(save=False)
    CustomerExport.objects.filter(pk=export.pk).update(
        state=CustomerExport.State.FAILED,
        phase="",
        error_code=code,
        file="",
        finished_at=timezone.now(),
        site_ids=None,
    )
    export.refresh_from_db()


def fail_stale_exports():
    """Mark failed every running export whose worker has not reported for
    IMPORT_STALE_SECONDS, and return how many were marked.

    Pages call this when they show exports, as they do for import batches.
    A queued export waits for a worker and is never stale.
    """
    seconds = settings.IMPORT_STALE_SECONDS
    now = timezone.now()
    stale = CustomerExport.objects.filter(state=CustomerExport.State.RUNNING).filter(
        silent_since(now - timedelta(seconds=seconds))
    )
    count = stale.update(state=CustomerExport.State.FAILED, phase="", error_code="worker_lost", finished_at=now)
    if count:
        logger.warning("Marked %s customer export(s) failed: no progress for %s seconds", count, seconds)
    return count


def queue_retry(export):
    """Put a failed export back in the queue and return True, or return
    False when it is not failed (another request won) or failed for a
    reason that is not in EXPORT_RETRYABLE_ERRORS."""
    claimed = CustomerExport.objects.filter(
        pk=export.pk, state=CustomerExport.State.FAILED, error_code__in=EXPORT_RETRYABLE_ERRORS
    ).update(
        state=CustomerExport.State.QUEUED,
        phase="queued",
        rows_done=0,
        error_code="",
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
        site_ids=None,
    )
    return bool(claimed)


def kept_until(export):
    """Return the day purge_import_files deletes the export's file, or None while it has none."""
    if export.finished_at is None or not export.file:
        return None
    return timezone.localdate(export.finished_at + timedelta(days=settings.EXPORT_RETENTION_DAYS))
