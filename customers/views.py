"""Customer list, export and edit pages for staff."""

import dataclasses
import io
import tempfile

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.forms import CustomerFilterForm, CustomerForm
from customers.importing.export import write_customers_csv, write_customers_workbook
from customers.selectors import (
    customer_history,
    customer_list_rows,
    customers_visible_to,
    filter_customers,
    format_phone,
    next_incomplete_customer,
)
from ebilling.access import has_staff_permission, staff_permission_required, staff_required

PAGE_SIZE = 50
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

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
    paginator = Paginator(customer_list_rows(customers), PAGE_SIZE)
    if customer_filter.incomplete_only:
        # Same rows as the chip count, so the second COUNT is skipped.
        paginator.count = incomplete_count
    page = paginator.get_page(request.GET.get("page"))
    for customer in page:
        customer.phone_display = format_phone(customer.phone)

    return render(
        request,
        "customers/customer_list.html",
        {
            "filter_form": filter_form,
            "customer_filter": customer_filter,
            "page": page,
            "incomplete_count": incomplete_count,
            "can_import": has_staff_permission(request.user, "customers.import_customers"),
            "can_export": has_staff_permission(request.user, "customers.export_customers"),
        },
    )


@staff_permission_required("customers.export_customers")
def customer_export(request):
    """Send the filtered customers as .xlsx, or as CSV with ?format=csv."""
    filter_form = CustomerFilterForm(request.GET, user=request.user)
    customers = filter_customers(customers_visible_to(request.user), filter_form.customer_filter())

    out = tempfile.SpooledTemporaryFile(max_size=EXPORT_MEMORY_BYTES)
    if request.GET.get("format") == "csv":
        # The byte-order mark makes Excel read the file as UTF-8.
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        write_customers_csv(customer_list_rows(customers), text, include_nik=False)
        text.flush()
        text.detach()
        extension, content_type = "csv", CSV_CONTENT_TYPE
    else:
        write_customers_workbook(customer_list_rows(customers), out, include_nik=False)
        extension, content_type = "xlsx", XLSX_CONTENT_TYPE
    out.seek(0)

    file_name = f"pelanggan-{timezone.localdate():%Y%m%d}.{extension}"
    return FileResponse(out, as_attachment=True, filename=file_name, content_type=content_type)


@staff_required
def customer_edit(request, pk):
    scoped = customers_visible_to(request.user)
    customer = get_object_or_404(scoped.select_related("site", "package"), pk=pk)
    # Binding the form copies the posted values onto the instance, so what
    # the heading and the buttons show is taken from the stored record first.
    stored = {"number": customer.number, "name": customer.name, "incomplete": customer.is_incomplete}
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)

    if request.method == "POST" and form.is_valid():
        customer = form.save()
        messages.success(request, _("Customer %(number)s saved.") % {"number": customer.number})
        if "save_next" not in request.POST:
            return redirect("customers:edit", pk=customer.pk)

        next_customer = next_incomplete_customer(scoped, customer)
        if next_customer is None:
            messages.info(request, _("No other customer is incomplete."))
            return redirect("customers:list")
        return redirect("customers:edit", pk=next_customer.pk)

    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "customer": customer,
            "stored": stored,
            "history": customer_history(customer),
            "can_reveal_nik": has_staff_permission(request.user, "customers.reveal_nik"),
            "can_anonymise": has_staff_permission(request.user, "customers.anonymise_customer"),
        },
    )
