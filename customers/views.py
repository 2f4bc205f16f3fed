"""Customer list, export, edit and delete pages for staff."""

import dataclasses
import io
import logging
import tempfile

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from customers import exports, services
from customers.bulk import customers_bulk_update
from customers.forms import MISSING_CHOICES, CustomerAddForm, CustomerBulkForm, CustomerFilterForm, CustomerForm
from customers.importing.tasks import run_export_task
from customers.models import Customer, CustomerExport
from customers.selectors import (
    NO_SITE,
    completion_table,
    customer_history,
    customer_label,
    customer_list_rows,
    customers_by_value,
    customers_visible_to,
    deleted_customer_number,
    filter_customers,
    format_phone,
    google_maps_url,
    is_short_number_search,
    next_customer_after,
    next_incomplete_customer,
    shared_value_warning,
    sort_position,
    whatsapp_chat_url,
)
from customers.selection import customer_list_url, list_filter_fields, list_filter_query, select_customers
from ebilling.access import (
    admin_required,
    has_staff_permission,
    is_admin,
    staff_permission_required,
    staff_required,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 50

# Exports up to this size stay in memory, and larger ones spill to a temporary file.
EXPORT_MEMORY_BYTES = 8 * 1024 * 1024


@staff_required
def customer_list(request):
    filter_form = CustomerFilterForm(request.GET, user=request.user)
    customer_filter = filter_form.customer_filter()
    scoped = customers_visible_to(request.user)

    # The chip counts incomplete customers under the other filters, whether
    # or not the chip itself is on.
    without_chip = dataclasses.replace(customer_filter, incomplete_only=False)
    incomplete_count = filter_customers(scoped, without_chip).incomplete().count()
    customers = filter_customers(scoped, customer_filter)
    paginator = Paginator(customer_list_rows(customers, customer_filter.sort), PAGE_SIZE)
    if customer_filter.incomplete_only:
        # Same rows as the chip count, so the second COUNT is skipped.
        paginator.count = incomplete_count
    page = paginator.get_page(request.GET.get("page"))
    for customer in page:
        customer.phone_display = format_phone(customer.phone)
        customer.whatsapp_url = whatsapp_chat_url(customer.phone)

    return render(
        request,
        "customers/customer_list.html",
        {
            "filter_form": filter_form,
            "customer_filter": customer_filter,
            "page": page,
            "incomplete_count": incomplete_count,
            "bulk_form": CustomerBulkForm(None, user=request.user, confirming=False),
            "sort_columns": _sort_columns(customer_filter.sort),
            "filter_fields": list_filter_fields(request.GET),
            "filter_query": list_filter_query(list_filter_fields(request.GET)),
            "short_number_search": is_short_number_search(customer_filter.query),
            "map_site": customer_filter.site if customer_filter.site not in (None, NO_SITE) else None,
            "can_import": has_staff_permission(request.user, "customers.import_customers"),
            "can_export": has_staff_permission(request.user, "customers.export_customers"),
        },
    )


# The list's sortable columns, as (sort key, heading).
SORT_COLUMNS = (
    ("number", gettext_lazy("Customer ID")),
    ("name", gettext_lazy("Name")),
)

# Customers the bulk change page names, as a reminder of what was selected.
BULK_SAMPLE_SIZE = 10


def _sort_columns(sort):
    """Return the list's sortable column headings. Each has the sort key that
    its link requests, reversed when the list is already sorted by it, and its
    aria-sort value ("ascending", "descending" or "")."""
    columns = []
    for key, heading in SORT_COLUMNS:
        if sort == key:
            columns.append({"heading": heading, "sort": f"-{key}", "aria_sort": "ascending"})
        elif sort == f"-{key}":
            columns.append({"heading": heading, "sort": key, "aria_sort": "descending"})
        else:
            columns.append({"heading": heading, "sort": key, "aria_sort": ""})
    return columns


def _bulk_changed_message(bulk_change):
    """Return the HTML success message of a bulk change: the number of
    customers changed, the values set as the bulk change history shows
    them, and the undo link."""
    count = bulk_change.customer_count
    values = render_to_string("customers/_bulk_change_values.html", {"bulk_change": bulk_change}).strip()
    sentence = ngettext("%(count)s customer changed: %(values)s.", "%(count)s customers changed: %(values)s.", count)
    # The translated sentence is escaped here, and the values' template has escaped the names.
    text = mark_safe(conditional_escape(sentence) % {"count": number_format(count, force_grouping=True), "values": values})
    return format_html(
        '{} <a href="{}">{}</a>', text, reverse("customers:bulk-undo", args=[bulk_change.pk]), _("Undo this bulk change")
    )


@staff_required
def customer_dashboard(request):
    """Show per site how many customers lack each field, each number
    linking to the customer list filtered to exactly those customers."""
    rows, total = completion_table(request.user)
    return render(
        request,
        "customers/customer_dashboard.html",
        {
            "rows": [_dashboard_row(row) for row in rows],
            "total": _dashboard_row(total),
            "missing_choices": MISSING_CHOICES,
            "can_export": has_staff_permission(request.user, "customers.export_customers"),
        },
    )


def _dashboard_row(row):
    """Return the dashboard cells of one CompletionRow: its name, the list
    URL behind each of its numbers, and the filter its download button posts."""
    if row.site is None:
        name, site_fields = _("Total"), []
    elif row.site == NO_SITE:
        name, site_fields = _("No site"), [("site", NO_SITE)]
    else:
        name, site_fields = row.site.name, [("site", str(row.site.pk))]
    return {
        "row": row,
        "name": name,
        "key": site_fields[0][1] if site_fields else "total",
        "export_fields": site_fields,
        "list_url": customer_list_url(site_fields),
        "incomplete_url": customer_list_url([*site_fields, ("incomplete", "1")]),
        "missing": [
            (key, row.missing[key], customer_list_url([*site_fields, ("missing", key)])) for key, _label in MISSING_CHOICES
        ],
    }


@require_POST
@staff_required
def customer_bulk(request):
    """Set the package, the site or the status of the customers ticked in
    the list, or of all customers matching its filter.

    The list's submit shows this page with the number of customers and the
    choices. Its confirm button applies them and returns to the list.
    """
    confirming = "confirm" in request.POST
    selection = select_customers(request, confirming=confirming)
    form = selection.form
    if not selection.filter_valid:
        messages.error(
            request,
            _(
                "The filter of the list is not valid, so no customer was selected or changed. "
                "Fix the filter on the customer list, then select the customers again."
            ),
        )
        return redirect(selection.list_url)

    # The selection may be fine while the choices are not, and then the
    # page shows the selection again with the choices' error.
    target = selection.customers
    if confirming and selection.form_valid:
        selected_count = target.count()
        bulk_change = customers_bulk_update(target, form.changes(), user=request.user)
        changed = bulk_change.customer_count if bulk_change is not None else 0
        if bulk_change is None:
            messages.success(
                request,
                ngettext("%(count)s customer changed.", "%(count)s customers changed.", changed)
                % {"count": number_format(changed, force_grouping=True)},
            )
        else:
            messages.success(request, _bulk_changed_message(bulk_change))
        if changed < selected_count:
            unchanged = selected_count - changed
            messages.info(
                request,
                ngettext(
                    "%(count)s customer already had these values and was left as it was.",
                    "%(count)s customers already had these values and were left as they were.",
                    unchanged,
                )
                % {"count": number_format(unchanged, force_grouping=True)},
            )
        return redirect(selection.list_url)

    selected_count = target.count() if target is not None else 0
    sample = list(customer_list_rows(target)[:BULK_SAMPLE_SIZE]) if selected_count else []
    return render(
        request,
        "customers/customer_bulk.html",
        {
            "form": form,
            "all_matching": selection.all_matching,
            "filter_fields": selection.filter_fields,
            "list_url": selection.list_url,
            "selected_count": selected_count,
            "sample": sample,
            "not_shown_count": selected_count - len(sample),
        },
    )


def _invalid_export_filter(request, data):
    messages.error(
        request, _("The filter is not valid, so nothing was exported. Fix the filter on the customer list, then export again.")
    )
    return redirect(customer_list_url(list_filter_fields(data)))


# never_cache sends Cache-Control: no-store, because the file contains
# customers' personal data (phones, addresses, masked NIKs).
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required("customers.export_customers")
def customer_export(request):
    """Send the filtered customers as .xlsx, or as CSV with format=csv.

    A CSV is semicolon-delimited for Excel in Indonesian regional settings,
    or comma-delimited with delimiter=comma.
    """
    data = _export_data(request)
    csv_requested = data.get("format") == "csv"
    file_format = CustomerExport.Format.CSV if csv_requested else CustomerExport.Format.XLSX
    return _export(request, CustomerExport.Scope.ALL, file_format)


def _csv_delimiter(data):
    """Return the CSV layout that `data` requests: semicolon unless delimiter=comma."""
    if data.get("delimiter") == CustomerExport.CsvDelimiter.COMMA:
        return CustomerExport.CsvDelimiter.COMMA
    return CustomerExport.CsvDelimiter.SEMICOLON


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required("customers.export_customers")
def customer_export_incomplete(request):
    """Send the incomplete customers matching the list's filter as a
    workbook in the template's shape, with the Site and Paket drop-downs.

    Uploaded again in create-and-update mode, it fills in what the admin
    typed; masked NIKs are read back as empty, so stored NIKs stay.
    """
    return _export(request, CustomerExport.Scope.INCOMPLETE, CustomerExport.Format.XLSX)


def _export_data(request):
    """Return the export's filter and format: the form of the list's
    download buttons, or the query string of a link to the export."""
    return request.POST if request.method == "POST" else request.GET


def _export(request, scope, file_format):
    """Send the export at once and record it in the export history, or
    queue it for the task worker and show its page when it covers more than
    EXPORT_INLINE_MAX_ROWS customers.

    Only a POST queues an export. A GET of a large export shows a page
    whose button posts the same filter, because a link preview, a
    prefetching browser or a crawler must not create exports.
    """
    data = _export_data(request)
    selection = exports.select_customers(request.user, data, scope)
    if selection is None:
        return _invalid_export_filter(request, data)

    count = selection.customers.count()
    filter_fields = list_filter_fields(data)
    csv_delimiter = _csv_delimiter(data)
    file_name = exports.export_file_name(scope, file_format, timezone.localdate(), selection.customer_filter)
    if count > settings.EXPORT_INLINE_MAX_ROWS:
        if request.method != "POST":
            return _confirm_export(request, scope, file_format, csv_delimiter, count, filter_fields)
        query = list_filter_query(filter_fields).removeprefix("?")
        export = exports.create_export(
            request.user,
            query,
            scope=scope,
            file_format=file_format,
            rows_total=count,
            file_name=file_name,
            csv_delimiter=csv_delimiter,
        )
        run_export_task.enqueue(str(export.pk))
        return redirect("customers:export-detail", pk=export.pk)

    out = tempfile.SpooledTemporaryFile(max_size=EXPORT_MEMORY_BYTES)
    rows_written = []
    site_ids = set()
    exports.write_export(
        selection,
        out,
        file_format=file_format,
        include_nik=False,
        csv_delimiter=csv_delimiter,
        progress=rows_written.append,
        site_ids=site_ids,
    )
    file_size = out.seek(0, io.SEEK_END)
    out.seek(0)
    # A HEAD request gets no body, so it exported no customer.
    if request.method != "HEAD":
        exports.record_sent_export(
            request.user,
            list_filter_query(filter_fields).removeprefix("?"),
            scope=scope,
            file_format=file_format,
            csv_delimiter=csv_delimiter,
            include_nik=False,
            rows=rows_written[-1],
            file_name=file_name,
            file_size=file_size,
            site_ids=site_ids,
        )
    return FileResponse(out, as_attachment=True, filename=file_name, content_type=exports.CONTENT_TYPES[file_format])


def _confirm_export(request, scope, file_format, csv_delimiter, count, filter_fields):
    """Show the page whose button queues a large export with the filter of the link."""
    return render(
        request,
        "customers/export_confirm.html",
        {
            "action": request.path,
            "scope_label": CustomerExport.Scope(scope).label,
            "format_label": (
                CustomerExport.CsvDelimiter(csv_delimiter).label
                if file_format == CustomerExport.Format.CSV
                else CustomerExport.Format(file_format).label
            ),
            "file_format": file_format if file_format == CustomerExport.Format.CSV else "",
            "csv_delimiter": csv_delimiter if file_format == CustomerExport.Format.CSV else "",
            "filter_fields": filter_fields,
            "count": count,
            "inline_max_rows": settings.EXPORT_INLINE_MAX_ROWS,
            "list_url": customer_list_url(filter_fields),
        },
    )


def _stored_values(customer):
    """Return the customer's field values that an edit may change."""
    return {
        field.attname: getattr(customer, field.attname)
        for field in customer._meta.concrete_fields
        if field.attname not in ("updated_at", "name_key", "number_key")
    }


def _warn_shared_phone(request, customers, customer):
    """Add a warning naming the other customers among `customers` with the
    customer's phone number. Families share a phone, so this does not block."""
    others = customers_by_value(customers.exclude(pk=customer.pk), "phone", [customer.phone]).get(customer.phone)
    if others:
        messages.warning(request, shared_value_warning("phone", customer.phone, others))


def _warn_future_installation(request, customer):
    if customer.installed_on and customer.installed_on > timezone.localdate():
        # As on import: a date ahead is more often a mistyped year.
        messages.warning(
            request,
            _("The installation date %(date)s is still in the future. Check the year if the customer is already installed.")
            % {"date": customer.installed_on.strftime("%d/%m/%Y")},
        )


@staff_required
def customer_add(request):
    """Add one customer typed in by staff, with the edit page's rules.

    "Save" opens the new customer's edit page. "Save & add another" opens
    an empty form again with the same site chosen.
    """
    form = CustomerAddForm(request.POST or None, user=request.user, site_id=request.GET.get("site"))
    if request.method == "POST" and form.is_valid():
        customer = form.save_customer(by=request.user)
        if customer is not None:
            messages.success(request, _("Customer %(number)s added.") % {"number": customer.number})
            _warn_future_installation(request, customer)
        elif form.earlier_submission is not None:
            # The same page was sent again, such as by a double click, so
            # the response goes where the first send's response went.
            customer = form.earlier_submission.customer
            if customer is None:
                messages.info(
                    request,
                    _("This form was already saved, and the customer it added was deleted since, so nothing was added."),
                )
                return redirect("customers:list")
            messages.info(
                request,
                _("Customer %(number)s was already added with this form, so it was not added again.")
                % {"number": customer.number},
            )
        if customer is not None:
            if "save_add" not in request.POST:
                return redirect("customers:edit", pk=customer.pk)
            add_url = reverse("customers:add")
            if customer.site_id is not None:
                add_url += f"?site={customer.site_id}"
            return redirect(add_url)

    return render(request, "customers/customer_add.html", {"form": form, "list_url": reverse("customers:list")})


@staff_required
def customer_edit(request, pk):
    """Show the customer's edit form, and save it on POST.

    A POST runs in one transaction with the customer's row locked, so the
    form's check of loaded_version and the save see the same stored record.
    Another save or a delete of the customer committed meanwhile is then
    reported instead of being overwritten, or undone by inserting the
    deleted customer again.
    """
    if request.method != "POST":
        return _customer_edit(request, pk)
    with transaction.atomic():
        if not Customer.objects.select_for_update().filter(pk=pk).exists():
            number = deleted_customer_number(request.user, pk)
            if number is not None:
                messages.error(
                    request, _("Customer %(number)s was deleted, so your changes were not saved.") % {"number": number}
                )
                return redirect(customer_list_url(list_filter_fields(request.GET)))
        return _customer_edit(request, pk)


def _customer_edit(request, pk):
    scoped = customers_visible_to(request.user)
    customer = get_object_or_404(scoped.select_related("site", "package"), pk=pk)
    # Binding the form copies the posted values onto the instance, so what
    # the heading and the buttons show is taken from the stored record first.
    stored = {
        "number": customer.number,
        "name": customer.name,
        "incomplete": customer.is_incomplete,
        "maps_url": google_maps_url(customer.latitude, customer.longitude),
    }
    before = _stored_values(customer)
    list_filter = CustomerFilterForm(request.GET, user=request.user).customer_filter()
    position = sort_position(customer)
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    filter_fields = list_filter_fields(request.GET)
    filter_query = list_filter_query(filter_fields)
    # Opened from the Belum lengkap list or a "missing" list of the
    # dashboard, the list itself is what is left to complete.
    worklist = list_filter.incomplete_only or bool(list_filter.missing)

    saved = request.method == "POST" and form.is_valid()
    if saved and _stored_values(form.instance) == before:
        # No history entry and no new updated_at, which would keep the
        # customer from an undo and reject another admin's open form.
        messages.info(request, _("Nothing changed, so customer %(number)s was not saved.") % {"number": customer.number})
    elif saved:
        if form.instance.phone != before["phone"]:
            # So that the warning below and an approval of another
            # customer's request for this number see each other.
            services.lock_phone_number(form.instance.phone)
        saved = _save_customer_form(form)
        if saved:
            customer = form.instance
            messages.success(request, _("Customer %(number)s saved.") % {"number": customer.number})
            _tell_synced_address(request, form)
            _warn_future_installation(request, customer)
            if customer.phone != before["phone"]:
                _warn_shared_phone(request, scoped, customer)
    if saved:
        if "save_next" not in request.POST:
            return redirect(reverse("customers:edit", args=[customer.pk]) + filter_query)

        # Opened from a filtered list, the next customer is one of that list.
        filtered = filter_customers(scoped, list_filter)
        if worklist:
            next_customer = next_customer_after(filtered, position, list_filter.sort)
        else:
            next_customer = next_incomplete_customer(filtered, position, list_filter.sort)
        if next_customer is None:
            if worklist:
                messages.info(request, _("No other customer is left in this list."))
            else:
                messages.info(request, _("No other customer is incomplete."))
            return redirect(customer_list_url(filter_fields))
        return redirect(reverse("customers:edit", args=[next_customer.pk]) + filter_query)

    delete_url = ""
    if is_admin(request.user):
        delete_url = reverse("customers:delete", args=[customer.pk]) + filter_query
    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "customer": customer,
            "stored": stored,
            "history": customer_history(customer),
            "whatsapp_url": whatsapp_chat_url(customer.phone),
            "list_url": customer_list_url(filter_fields),
            "offer_next": stored["incomplete"] or worklist,
            "can_reveal_nik": has_staff_permission(request.user, "customers.reveal_nik"),
            "can_anonymise": has_staff_permission(request.user, "customers.anonymise_customer"),
            "delete_url": delete_url,
        },
    )


def _tell_synced_address(request, form):
    """Name the street line or Alamat that the save changed to follow the other one."""
    customer = form.instance
    if form.synced_field == "street" and customer.street:
        messages.info(
            request,
            _("The street line now reads “%(street)s”, taken from the start of the new Alamat.")
            % {"street": customer.street},
        )
    elif form.synced_field == "street":
        messages.info(request, _("The street line was emptied, because the new Alamat starts with no street."))
    elif form.synced_field == "address":
        messages.info(
            request,
            _("The Alamat now starts with the new street line: “%(address)s”.") % {"address": customer.address},
        )


def _save_customer_form(form):
    """Save the valid edit form and return True. Return False, with the
    error on the ID field, when another customer stored the new ID after
    the form's unique check, such as an import saving at the same moment."""
    try:
        # A savepoint, so that PostgreSQL can go on after the error.
        with transaction.atomic():
            form.save()
    except IntegrityError:
        number = form.cleaned_data["number"]
        if not Customer.objects.filter(number=number).exclude(pk=form.instance.pk).exists():
            raise
        form.add_error("number", ValidationError(_("Another customer already has this customer ID."), code="unique"))
        return False
    return True


@admin_required
def customer_delete(request, pk):
    """Ask for confirmation, then delete the customer and return to the
    list with the filter that the edit page was opened with."""
    filter_fields = list_filter_fields(request.GET)
    if request.method == "POST":
        customer = services.customer_delete(pk, by=request.user)
        if customer is None:
            # Another request deleted the customer first, and its "-" history row keeps the number.
            number = Customer.history.filter(id=pk, history_type="-").values_list("number", flat=True).first()
            if number is None:
                messages.info(request, _("This customer does not exist, so nothing was deleted."))
            else:
                messages.info(request, _("Customer %(number)s was already deleted.") % {"number": number})
        else:
            logger.info("Customer %s deleted by user %s", pk, request.user.pk)
            text = _("Customer %(number)s (%(name)s) deleted.") % {"number": customer.number, "name": customer.name}
            messages.success(
                request,
                format_html('{} <a href="{}">{}</a>', text, reverse("customers:deleted"), _("Restore it under Deleted customers")),
            )
        return redirect(customer_list_url(filter_fields))

    customer = get_object_or_404(Customer.objects.select_related("site", "package"), pk=pk)
    return render(
        request,
        "customers/customer_delete.html",
        {
            "customer": customer,
            "phone_display": format_phone(customer.phone),
            "edit_url": reverse("customers:edit", args=[customer.pk]) + list_filter_query(filter_fields),
        },
    )


DELETED_PER_PAGE = 50

RESTORE_EMPTIED_LABELS = {
    "site": gettext_lazy("site"),
    "package": gettext_lazy("package"),
    "village": gettext_lazy("village"),
}


@admin_required
def deleted_customer_list(request):
    """List the deleted customers, the latest deletion first, each with a restore button."""
    page = Paginator(services.deleted_customers(), DELETED_PER_PAGE).get_page(request.GET.get("page"))
    for record in page:
        record.phone_display = format_phone(record.phone)
    return render(request, "customers/deleted_customer_list.html", {"page": page})


@require_POST
@admin_required
def deleted_customer_restore(request, history_id):
    """Restore a deleted customer and open its page."""
    try:
        customer, emptied = services.customer_restore(history_id, by=request.user)
    except services.CustomerRestoreRefused as refused:
        if refused.code == "number_taken":
            messages.error(
                request,
                _(
                    "This customer cannot be restored, because customer ID %(number)s now belongs to %(owner)s. "
                    "Change that customer's ID first if the deleted one should have it back."
                )
                % {"number": refused.owner.number, "owner": customer_label(refused.owner)},
            )
        else:
            messages.info(request, _("This customer is no longer deleted, so nothing was restored."))
        return redirect("customers:deleted")
    logger.info("Customer %s restored by user %s", customer.pk, request.user.pk)
    messages.success(
        request, _("Customer %(number)s (%(name)s) restored.") % {"number": customer.number, "name": customer.name}
    )
    if emptied:
        messages.warning(
            request,
            _("Deleted since, so left empty: %(fields)s. Choose them again on this page.")
            % {"fields": ", ".join(str(RESTORE_EMPTIED_LABELS[name]) for name in emptied)},
        )
    return redirect("customers:edit", pk=customer.pk)
