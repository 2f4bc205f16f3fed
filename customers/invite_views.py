"""Portal invitations for many customers at once, from the customer list's bulk bar.

Staff send invitations by WhatsApp, one chat at a time, so the page lists
every invited customer with a button that opens WhatsApp with the
invitation typed in. A link's token exists only in the response that
creates it (see portal.links), so that page is the only place to get it.
"""

import secrets
from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from customers.selection import select_customers
from customers.selectors import format_phone, whatsapp_chat_url
from customers.services import anonymised_name_for
from customers.submissions import form_submission_claim
from ebilling.access import staff_required
from portal.accounts import customer_user_for_password
from portal.links import link_create, whatsapp_invitation_url, whatsapp_message
from portal.models import PortalLink

# Each invitation is sent by hand, so a larger selection is more than one
# sitting and is narrowed first.
BULK_INVITE_LIMIT = 100

ANONYMISED = gettext_lazy("Anonymised.")
INACTIVE = gettext_lazy("The status is Inactive.")
HAS_PASSWORD = gettext_lazy("Already has a portal password. Send a password reset from the customer's page if needed.")
ACCOUNT_BLOCKED = gettext_lazy("The portal account is deactivated.")


@dataclass
class InviteRow:
    """One selected customer: invited, or left out for `reason`."""

    customer: Customer
    reason: str = ""
    replaces_link: bool = False
    url: str = ""
    whatsapp_url: str = ""
    message: str = ""

    @property
    def phone_display(self):
        return format_phone(self.customer.phone)

    @property
    def has_whatsapp_chat(self):
        """Whether the WhatsApp button opens the customer's own chat. Without
        a mobile number it opens WhatsApp, where the admin picks the contact."""
        return bool(whatsapp_chat_url(self.customer.phone))


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def customer_bulk_invite(request):
    """Show who of the ticked customers, or of all matching the list's
    filter, gets a portal invitation, and on confirm create the links.

    A GET, such as a bookmark or a phone reopening the page, has no
    selection and is sent to the customer list.
    """
    if request.method == "GET":
        messages.info(
            request,
            _("To invite customers to the portal, tick them in the list, then press Invite selected to portal."),
        )
        return redirect(reverse("customers:list"))
    selection = select_customers(request, confirming=False)
    form = selection.form
    list_url = selection.list_url
    all_matching = selection.all_matching
    if "customers" in form.errors:
        messages.error(
            request,
            _(
                "A selected customer was not found, because it was deleted or is no longer in a site you manage. "
                "Select the customers in the list again."
            ),
        )
        return redirect(list_url)
    if not (all_matching or form.cleaned_data.get("customers")):
        messages.error(
            request, _("No customers are selected. Tick customers in the list, or choose all customers matching the filter.")
        )
        return redirect(list_url)
    if not selection.filter_valid:
        messages.error(
            request,
            _("The filter of the list is not valid, so no customer was selected. Fix the filter on the customer list, then select the customers again."),
        )
        return redirect(list_url)

    target = selection.customers
    count = target.count()
    if count > BULK_INVITE_LIMIT:
        messages.error(
            request,
            ngettext(
                "%(count)s customer is selected, but invitations are made for at most %(limit)s customers at a time. "
                "Narrow the list, for example by site or with Incomplete, then select again.",
                "%(count)s customers are selected, but invitations are made for at most %(limit)s customers at a time. "
                "Narrow the list, for example by site or with Incomplete, then select again.",
                count,
            )
            % {"count": number_format(count, force_grouping=True), "limit": BULK_INVITE_LIMIT},
        )
        return redirect(list_url)

    customers = list(target.select_related("user").order_by("number_key", "number"))
    with_link = set(
        PortalLink.objects.usable().filter(customer__in=customers).values_list("customer_id", flat=True)
    )
    rows = [_invite_row(customer, customer.pk in with_link) for customer in customers]
    invited = [row for row in rows if not row.reason]
    left_out = [row for row in rows if row.reason]

    token = request.POST.get("invite_token", "")
    done = "confirm" in request.POST and bool(token) and bool(invited)
    if done:
        # The confirmation page's token is claimed in the links' transaction,
        # so the same page sent again (a double click, a reload of the result)
        # makes no new links, which would stop the ones already sent.
        with transaction.atomic():
            _submission, claimed = form_submission_claim(token)
            if not claimed:
                messages.info(
                    request,
                    _(
                        "These invitation links were already made and are shown only once. Making them again would "
                        "stop the links already sent; to send one again, open the customer's page."
                    ),
                )
                return redirect(list_url)
            for row in invited:
                issued = link_create(row.customer, created_by=request.user, purpose=PortalLink.Purpose.INVITATION)
                row.url = request.build_absolute_uri(issued.path)
                row.message = whatsapp_message(issued, row.url)
                row.whatsapp_url = whatsapp_invitation_url(row.customer.phone, row.message)

    return render(
        request,
        "customers/customer_bulk_invite.html",
        {
            "done": done,
            "all_messages": _all_messages_text(invited) if done else "",
            "invited": invited,
            "left_out": left_out,
            "all_matching": all_matching,
            "form": form,
            "filter_fields": selection.filter_fields,
            "list_url": list_url,
            "invite_token": secrets.token_urlsafe(16),
        },
    )


def _all_messages_text(rows):
    """Return every invitation of the result page as one text to copy, each
    under the customer's ID, name and phone, for staff who send them later
    or from another device."""
    blocks = []
    for row in rows:
        heading = " · ".join(part for part in (row.customer.number, row.customer.name, row.phone_display) if part)
        blocks.append(f"{heading}\n{row.message}")
    return "\n\n".join(blocks)


def _invite_row(customer, replaces_link):
    if customer.name == anonymised_name_for(customer.number):
        return InviteRow(customer, reason=ANONYMISED)
    if customer.status == Customer.Status.INACTIVE:
        return InviteRow(customer, reason=INACTIVE)
    if customer_user_for_password(customer) is None:
        return InviteRow(customer, reason=ACCOUNT_BLOCKED)
    if customer.user is not None and customer.user.has_usable_password():
        return InviteRow(customer, reason=HAS_PASSWORD)
    return InviteRow(customer, replaces_link=replaces_link)
