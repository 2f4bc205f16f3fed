"""Staff actions on a customer's personal data: show the full NIK, anonymise."""

import logging

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from audit.models import NikReveal
from customers.selectors import customers_visible_to
from customers.services import ImportRunning, customer_anonymise
from ebilling.access import staff_permission_required

logger = logging.getLogger(__name__)


@never_cache
@require_POST
@staff_permission_required("customers.reveal_nik")
def nik_reveal(request, pk):
    """Show a customer's full NIK and record who saw it."""
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    if not customer.nik:
        messages.info(request, _("Customer %(number)s has no NIK.") % {"number": customer.number})
        return redirect("customers:edit", pk=customer.pk)

    NikReveal.objects.create(
        user=request.user, username=request.user.get_username(), customer=customer, customer_number=customer.number
    )
    logger.info("NIK of customer %s shown to user %s", customer.pk, request.user.pk)
    return render(request, "audit/nik_reveal.html", {"customer": customer})


@staff_permission_required("customers.anonymise_customer")
def anonymise(request, pk):
    """Ask for confirmation, then erase the customer's personal data."""
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    if request.method == "POST":
        try:
            customer = customer_anonymise(customer, by=request.user)
        except ImportRunning:
            messages.error(
                request,
                _(
                    "An import is being checked or saved now, and it may hold this customer's data. "
                    "Nothing was erased: anonymise the customer again once the import is ready for review or done."
                ),
            )
            return render(request, "audit/customer_anonymise.html", {"customer": customer}, status=409)
        logger.info("Customer %s anonymised by user %s", customer.pk, request.user.pk)
        messages.success(
            request, _("The personal data of customer %(number)s was erased.") % {"number": customer.number}
        )
        return redirect("customers:edit", pk=customer.pk)
    return render(request, "audit/customer_anonymise.html", {"customer": customer})
