"""Staff pages of the portal: invitation links and NIK, phone or package change requests.

Both are scoped like the customer pages: a site admin reaches only the
customers of their sites, and anyone else gets 404.
"""

import logging

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache

from audit.models import NikReveal
from customers.forms import cell_error_to_validation_error
from customers.models import Customer, mask_nik, name_key
from customers.selectors import (
    customer_labels,
    customers_by_value,
    customers_visible_to,
    deleted_customer_number,
    format_phone,
    shared_value_warning,
)
from ebilling.access import has_staff_permission, staff_required
from portal.accounts import customer_user_for_password
from portal.links import link_create, link_purpose_for, whatsapp_invitation_url, whatsapp_message
from portal.models import REJECT_REASON_MAX_LENGTH, ChangeRequest, PortalLink
from portal.services import (
    ChangeRequestClosed,
    ChangeRequestCustomerDeleted,
    ChangeRequestInvalid,
    ChangeRequestPackageUnavailable,
    ChangeRequestSharedPhone,
    change_request_approve,
    change_request_reject,
    nik_check_name,
    package_unavailable_reason,
    self_renamed_from,
    shared_phone_token,
)

# Decided requests shown under the pending ones, newest first.
RECENT_DECISIONS = 20

logger = logging.getLogger(__name__)

CUSTOMER_DELETED = gettext_lazy("Customer %(number)s was deleted, so this request can no longer be applied.")
CUSTOMER_DELETED_ON_REJECT = gettext_lazy(
    "Customer %(number)s was deleted, and its requests with it, so there is nothing left to reject."
)
# A restore brings the customer back without the change requests that were
# deleted with it (see customers.services.customer_restore).
CUSTOMER_RESTORED = gettext_lazy(
    "This request no longer exists: it was deleted together with customer %(number)s, who was restored "
    "later without their change requests. If the change is still needed, edit the customer."
)
CUSTOMER_RESTORED_ON_REJECT = gettext_lazy(
    "This request no longer exists: it was deleted together with customer %(number)s, who was restored "
    "later without their change requests. There is nothing left to reject."
)


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
                "whatsapp_url": whatsapp_invitation_url(customer.phone, whatsapp_message(issued, url)),
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
    recorded as a NIK reveal. Packages show their speed and price too."""
    customer = change_request.customer
    if change_request.field == ChangeRequest.Field.PACKAGE:
        current = customer.package.summary if customer.package else ""
        requested = change_request.package.summary if change_request.package else change_request.package_name
        return current, requested
    if change_request.field == ChangeRequest.Field.NIK:
        if not has_staff_permission(user, "customers.reveal_nik"):
            return mask_nik(customer.nik), mask_nik(change_request.new_value)
        NikReveal.objects.create(
            user=user, username=user.get_username(), customer=customer, customer_number=customer.number
        )
        return mask_nik(customer.nik), change_request.new_value
    return format_phone(customer.phone), format_phone(change_request.new_value)


def _phone_holders_text(visible, hidden_count):
    """Return the customers who have a phone number as a message names them:
    those the user may see by ID and name, the others only counted."""
    parts = [customer_labels(visible)] if visible else []
    if hidden_count:
        parts.append(
            ngettext(
                "%(count)s customer of a site you do not manage",
                "%(count)s customers of sites you do not manage",
                hidden_count,
            )
            % {"count": hidden_count}
        )
    return ", ".join(parts)


def _shared_phone_warning(phone, visible, hidden_count):
    # The same message as shared_value_warning(), with the hidden customers counted.
    return _("Phone number %(phone)s is also used by %(customers)s.") % {
        "phone": format_phone(phone),
        "customers": _phone_holders_text(visible, hidden_count),
    }


def _shared_value_warning(change_request, others, hidden_other_name=False, hidden_count=0):
    """Return the warning for a requested value that the `others` customers
    already have, or "" when there are none. `hidden_other_name` is set when a
    customer outside the user's sites has the requested NIK under another name,
    and `hidden_count` counts the customers outside them with the requested phone."""
    if change_request.field == ChangeRequest.Field.NIK:
        checked_name = change_request.nik_check_name
        other_names = [other for other in others if name_key(other.name) != name_key(checked_name)]
        if other_names or hidden_other_name:
            # change_request_approve() rejects this NIK, so the list warns before anyone tries.
            holders = customer_labels(other_names) if other_names else _("a customer of a site you do not manage")
            return _(
                "NIK %(nik)s is already used by %(customers)s under another name, so this request cannot be approved."
            ) % {"nik": mask_nik(change_request.new_value), "customers": holders}
    if change_request.field == ChangeRequest.Field.PHONE and (others or hidden_count):
        return _shared_phone_warning(change_request.new_value, others, hidden_count)
    if not others:
        return ""
    return shared_value_warning(change_request.field, change_request.new_value, others)


def _add_shared_value_warnings(pending, user):
    """Set shared_warning on each pending request, which is "" unless another
    customer the user may see already has the requested phone number or NIK,
    or a customer of another site has the phone number, or the NIK under
    another name. A phone request that others have also gets
    shared_phone_token, which its "Approve anyway" box posts."""
    visible = customers_visible_to(user)
    for field in (ChangeRequest.Field.NIK, ChangeRequest.Field.PHONE):
        requests = [change_request for change_request in pending if change_request.field == field]
        values = [change_request.new_value for change_request in requests]
        found = customers_by_value(visible, field, values)
        hidden = {}
        if values:
            hidden = customers_by_value(Customer.objects.exclude(pk__in=visible.values("pk")), field, values)
        for change_request in requests:
            others = [other for other in found.get(change_request.new_value, []) if other.pk != change_request.customer_id]
            hidden_others = hidden.get(change_request.new_value, [])
            change_request.shared_phone_token = ""
            if field == ChangeRequest.Field.PHONE:
                change_request.shared_warning = _shared_value_warning(
                    change_request, others, hidden_count=len(hidden_others)
                )
                if others or hidden_others:
                    change_request.shared_phone_token = shared_phone_token([*others, *hidden_others])
                continue
            requester_key = name_key(change_request.nik_check_name)
            hidden_other_name = any(name_key(other.name) != requester_key for other in hidden_others)
            change_request.shared_warning = _shared_value_warning(change_request, others, hidden_other_name)


@staff_required
def change_request_list(request):
    requests = _visible_change_requests(request.user).select_related(
        "customer", "customer__site", "customer__package", "package", "decided_by"
    )
    pending = list(requests.pending().order_by("created_at", "id"))
    decided = list(requests.exclude(status=ChangeRequest.Status.PENDING).order_by("-decided_at", "-id")[:RECENT_DECISIONS])
    for change_request in pending:
        change_request.current_display, change_request.new_display = _display_values(change_request, request.user)
        # A name the customer typed in the portal is shown with the one it
        # replaced, and a requested NIK is checked against the replaced one.
        change_request.self_rename = self_renamed_from(change_request.customer)
        change_request.nik_check_name = nik_check_name(change_request.customer, change_request.self_rename)
        change_request.package_warning = ""
        if change_request.field == ChangeRequest.Field.PACKAGE:
            # change_request_approve() rejects an inactive or deleted package, so the list warns first.
            change_request.package_warning = package_unavailable_reason(change_request, change_request.package)
    _add_shared_value_warnings(pending, request.user)
    return render(request, "portal/staff/change_request_list.html", {"pending": pending, "decided": decided})


@staff_required
def change_request_approve_view(request, pk):
    # The lookup comes before the method check, so a request outside the
    # user's sites gives 404 for any method.
    change_request = _visible_change_requests(request.user).select_related("customer").filter(pk=pk).first()
    if change_request is None:
        return _missing_change_request(request, pk, CUSTOMER_DELETED, CUSTOMER_RESTORED)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    number = change_request.customer.number
    try:
        change_request_approve(change_request, request.user, request.POST.get("approve_anyway", ""))
    except ChangeRequestSharedPhone as shared:
        holder_pks = [holder.pk for holder in shared.holders]
        visible_pks = set(customers_visible_to(request.user).filter(pk__in=holder_pks).values_list("pk", flat=True))
        visible = [holder for holder in shared.holders if holder.pk in visible_pks]
        warning = _shared_phone_warning(change_request.new_value, visible, len(shared.holders) - len(visible))
        messages.error(
            request,
            _(
                "%(warning)s The request of customer %(number)s was not approved, because each customer with "
                "this number can log in to the portal with it. If they share the phone, tick “Approve anyway” "
                "and approve again. Otherwise reject the request."
            )
            % {"warning": warning, "number": number},
        )
    except ChangeRequestCustomerDeleted:
        logger.info("Approval of change request %s failed: customer %s was deleted", pk, change_request.customer_id)
        messages.error(request, CUSTOMER_DELETED % {"number": number})
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
    except ChangeRequestPackageUnavailable as unavailable:
        logger.info(
            "Approval of change request %s failed: package %s is inactive or deleted", pk, change_request.package_id
        )
        messages.error(
            request,
            _("The request of customer %(number)s was not applied: %(reason)s")
            % {"number": number, "reason": unavailable.reason},
        )
    else:
        messages.success(request, _("The change for customer %(number)s has been approved and saved.") % {"number": number})
        _warn_shared_value(request, change_request)
    return redirect("portal:staff-requests")


def _missing_change_request(request, pk, deleted_message, restored_message):
    """Redirect a decision on a change request that is not found to the
    list with `deleted_message` when its customer was deleted, which deletes
    the customer's requests, or with `restored_message` when the customer
    has been restored since. Raise Http404 otherwise. The approve and reject
    forms post the customer's id for this, because the request row is gone."""
    customer_pk = request.POST.get("customer", "") if request.method == "POST" else ""
    number = None
    # At most 18 ASCII digits, which fit the 64-bit primary key.
    if customer_pk.isascii() and customer_pk.isdigit() and len(customer_pk) <= 18:
        number = deleted_customer_number(request.user, int(customer_pk))
    if number is None:
        raise Http404
    if Customer.objects.filter(pk=int(customer_pk)).exists():
        logger.info("Decision on change request %s rejected: customer %s was deleted and restored", pk, customer_pk)
        message = restored_message
    else:
        logger.info("Decision on change request %s rejected: customer %s was deleted", pk, customer_pk)
        message = deleted_message
    messages.error(request, message % {"number": number})
    return redirect("portal:staff-requests")


def _warn_shared_value(request, change_request):
    """Add a warning when the approved phone number or NIK is also another
    visible customer's. Families share a phone, so this does not block."""
    if change_request.field == ChangeRequest.Field.PACKAGE:
        return
    others = customers_by_value(
        customers_visible_to(request.user).exclude(pk=change_request.customer_id),
        change_request.field,
        [change_request.new_value],
    ).get(change_request.new_value)
    if others:
        messages.warning(request, shared_value_warning(change_request.field, change_request.new_value, others))


@staff_required
def change_request_reject_view(request, pk):
    change_request = _visible_change_requests(request.user).select_related("customer").filter(pk=pk).first()
    if change_request is None:
        return _missing_change_request(request, pk, CUSTOMER_DELETED_ON_REJECT, CUSTOMER_RESTORED_ON_REJECT)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    # The reason is optional; a longer one is cut rather than refused, so the decision is never lost.
    reason = " ".join(request.POST.get("reason", "").split())[:REJECT_REASON_MAX_LENGTH]
    try:
        change_request_reject(change_request, request.user, reason)
    except ChangeRequestClosed:
        if Customer.objects.filter(pk=change_request.customer_id).exists():
            messages.error(request, _("This request was already decided or cancelled."))
        else:
            # A delete committed between the lookup and the update took the request with it.
            logger.info("Rejection of change request %s failed: customer %s was deleted", pk, change_request.customer_id)
            messages.error(request, CUSTOMER_DELETED_ON_REJECT % {"number": change_request.customer.number})
    else:
        messages.success(
            request, _("The request of customer %(number)s has been rejected.") % {"number": change_request.customer.number}
        )
    return redirect("portal:staff-requests")
