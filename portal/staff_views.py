"""Staff pages of the portal: invitation links and NIK or phone change requests.

Both are scoped like the customer pages: a site admin reaches only the
customers of their sites, and anyone else gets 404.
"""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from audit.models import NikReveal
from customers.forms import cell_error_to_validation_error
from customers.models import mask_nik
from customers.selectors import customers_visible_to, format_phone
from ebilling.access import has_staff_permission, staff_required
from portal.accounts import customer_user_for_password
from portal.links import link_create, link_purpose_for, whatsapp_message, whatsapp_url
from portal.models import ChangeRequest, PortalLink
from portal.services import (
    ChangeRequestClosed,
    ChangeRequestInvalid,
    change_request_approve,
    change_request_reject,
)

# Decided requests shown under the pending ones, newest first.
RECENT_DECISIONS = 20


@never_cache
@staff_required
def customer_link(request, pk):
    """Show the customer's portal account, and on POST create a new link.

    The link's token is shown only in the response to that POST, because
    only its hash is stored, and never_cache keeps browsers from storing it.
    """
    customer = get_object_or_404(customers_visible_to(request.user).select_related("user"), pk=pk)
    context = {
        "customer": customer,
        "purpose": link_purpose_for(customer),
        "Purpose": PortalLink.Purpose,
        "phone_display": format_phone(customer.phone),
        "usable_link": customer.portal_links.usable().first(),
        # A deactivated portal account stays closed: a link would not open it.
        "account_blocked": customer_user_for_password(customer) is None,
    }

    if request.method == "POST" and not context["account_blocked"]:
        issued = link_create(customer, created_by=request.user)
        url = request.build_absolute_uri(issued.path)
        context.update(
            {
                "issued": issued,
                "url": url,
                "whatsapp_url": whatsapp_url(customer.phone, whatsapp_message(issued, url)),
                "usable_link": issued.link,
            }
        )
        return render(request, "portal/staff/customer_link.html", context)

    return render(request, "portal/staff/customer_link.html", context)


def _visible_change_requests(user):
    return ChangeRequest.objects.filter(customer__in=customers_visible_to(user))


def _display_values(change_request, user):
    """Return (current, requested) as staff see them. The current NIK is
    masked. The requested NIK is shown whole, so it can be checked against
    the KTP, only to staff allowed to reveal NIKs, and each showing is
    recorded as a NIK reveal."""
    customer = change_request.customer
    if change_request.field == ChangeRequest.Field.NIK:
        if not has_staff_permission(user, "customers.reveal_nik"):
            return mask_nik(customer.nik), mask_nik(change_request.new_value)
        NikReveal.objects.create(
            user=user, username=user.get_username(), customer=customer, customer_number=customer.number
        )
        return mask_nik(customer.nik), change_request.new_value
    return format_phone(customer.phone), format_phone(change_request.new_value)


@staff_required
def change_request_list(request):
    requests = _visible_change_requests(request.user).select_related("customer", "customer__site", "decided_by")
    pending = list(requests.pending().order_by("created_at", "id"))
    decided = list(requests.exclude(status=ChangeRequest.Status.PENDING).order_by("-decided_at", "-id")[:RECENT_DECISIONS])
    for change_request in pending:
        change_request.current_display, change_request.new_display = _display_values(change_request, request.user)
    return render(request, "portal/staff/change_request_list.html", {"pending": pending, "decided": decided})


@staff_required
def change_request_approve_view(request, pk):
    # The lookup comes before the method check, so a request outside the
    # user's sites gives 404 for any method.
    change_request = get_object_or_404(_visible_change_requests(request.user).select_related("customer"), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    number = change_request.customer.number
    try:
        change_request_approve(change_request, request.user)
    except ChangeRequestClosed:
        messages.error(request, _("This request was already decided or cancelled."))
    except ChangeRequestInvalid as invalid:
        value = change_request.new_value
        if change_request.field == ChangeRequest.Field.NIK and not has_staff_permission(request.user, "customers.reveal_nik"):
            value = mask_nik(value)
        error = cell_error_to_validation_error(invalid.error, value)
        messages.error(
            request,
            _("The request of customer %(number)s was not applied: %(reason)s Reject it instead.")
            % {"number": number, "reason": " ".join(error.messages)},
        )
    else:
        messages.success(request, _("The change for customer %(number)s has been approved and saved.") % {"number": number})
    return redirect("portal:staff-requests")


@staff_required
def change_request_reject_view(request, pk):
    change_request = get_object_or_404(_visible_change_requests(request.user).select_related("customer"), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        change_request_reject(change_request, request.user)
    except ChangeRequestClosed:
        messages.error(request, _("This request was already decided or cancelled."))
    else:
        messages.success(
            request, _("The request of customer %(number)s has been rejected.") % {"number": change_request.customer.number}
        )
    return redirect("portal:staff-requests")
