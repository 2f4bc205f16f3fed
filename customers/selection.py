"""The customers that a bulk action of the customer list applies to.

The list posts its bulk bar as a CustomerBulkForm together with its filter,
so each bulk action (change, invitation) gets either the ticked customers
or all customers matching the filter as the list showed them.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse

from customers.forms import CustomerBulkForm, CustomerFilterForm
from customers.selectors import customers_visible_to, filter_customers

# The query parameters that make up the list's filter and order, carried
# from the list to the bulk change so "all matching" means the same customers,
# and to the edit page so "save and next" walks the list as it was shown.
FILTER_PARAMETERS = ("q", "site", "missing", "status", "area", "incomplete", "sort")


def list_filter_fields(data):
    """Return the list filter's (name, value) pairs present in `data`."""
    return [(name, data[name]) for name in FILTER_PARAMETERS if data.get(name)]


def list_filter_query(filter_fields):
    """Return the filter's query string with its "?", or "" without a filter."""
    query = QueryDict(mutable=True)
    for name, value in filter_fields:
        query[name] = value
    return f"?{query.urlencode()}" if query else ""


def customer_list_url(filter_fields):
    return reverse("customers:list") + list_filter_query(filter_fields)


@dataclass
class CustomerSelection:
    """The bound bulk form of a bulk action and the customers it selects."""

    form: CustomerBulkForm
    # The result of form.is_valid(), which includes the choices checked when confirming.
    form_valid: bool
    all_matching: bool
    # False when "all matching" was chosen with a filter that is not valid.
    filter_valid: bool
    filter_fields: list
    list_url: str
    # None when a ticked customer is not visible to the user, when nothing
    # was selected, or when the filter of "all matching" is not valid.
    customers: QuerySet | None


def select_customers(request, *, confirming):
    """Bind the bulk form and the list's filter to request.POST and return
    the CustomerSelection: the ticked customers, or all customers matching
    the filter, limited to those the user may see.

    `confirming` is passed to CustomerBulkForm, which then also requires a
    value to set.
    """
    form = CustomerBulkForm(request.POST, user=request.user, confirming=confirming)
    filter_form = CustomerFilterForm(request.POST, user=request.user)
    filter_fields = list_filter_fields(request.POST)
    scoped = customers_visible_to(request.user)

    form_valid = form.is_valid()
    all_matching = bool(form.cleaned_data.get("all_matching"))
    # Such a filter matches no customer. The list shows the invalid field's error.
    filter_valid = not all_matching or filter_form.is_valid()
    selected = form.cleaned_data.get("customers")

    customers = None
    if "customers" not in form.errors:
        if all_matching and filter_valid:
            customers = filter_customers(scoped, filter_form.customer_filter())
        elif not all_matching and selected:
            customers = scoped.filter(pk__in=[customer.pk for customer in selected])

    return CustomerSelection(
        form=form,
        form_valid=form_valid,
        all_matching=all_matching,
        filter_valid=filter_valid,
        filter_fields=filter_fields,
        list_url=customer_list_url(filter_fields),
        customers=customers,
    )
