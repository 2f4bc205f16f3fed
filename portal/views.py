"""Customer portal pages: login, password links, own data and NIK, phone or package change requests.

Every page that shows data takes the customer from the logged-in user
(request.customer), never from the URL. A change request id in a URL is
looked up among the customer's own requests, so another customer's id gives
404. A link token is a secret: whoever holds a usable one may set that
customer's password, as with Django's own password reset links.
"""

import logging

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from customers.models import Customer
from customers.selectors import format_phone
from ebilling import password_forms
from ebilling.views import password_change_page
from portal.access import customer_required, portal_customer
from portal.contact import active_site_contacts
from portal.accounts import LinkAlreadyUsed, customer_set_password, customer_user_for_password
from portal.forms import CUSTOMER_BACKEND, ChangeRequestForm, CustomerProfileForm, PackageRequestForm, PortalLoginForm
from portal.links import link_find
from portal.models import ChangeRequest, PortalLink
from portal.services import (
    PROFILE_FIELDS,
    ChangeRequestClosed,
    PackageNotOffered,
    ProfileCustomerDeleted,
    change_request_cancel,
    change_request_submit,
    customer_profile_update,
)

logger = logging.getLogger(__name__)

# Change requests listed on the home page, newest first.
RECENT_CHANGE_REQUESTS = 10


@customer_required
def home(request):
    customer = request.customer
    related = ("site", "package", "village__district__regency__province")
    customer_shown = Customer.objects.select_related(*related).get(pk=customer.pk)
    change_requests = customer.change_requests.select_related("package")[:RECENT_CHANGE_REQUESTS]
    return render(
        request,
        "portal/home.html",
        {
            "customer": customer_shown,
            "phone_display": format_phone(customer_shown.phone),
            "change_requests": change_requests,
        },
    )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    if portal_customer(request.user) is not None:
        return redirect("portal:home")

    form = PortalLoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth_login(request, form.user)
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = reverse("portal:home")
        return redirect(next_url)

    return render(request, "portal/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    auth_logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("portal:login")


def password_forgot(request):
    """Tell a customer whom to ask for a reset link. The visitor is not
    logged in, so every active Site with a contact number is listed."""
    return render(request, "portal/password_forgot.html", {"contacts": active_site_contacts()})


@sensitive_post_parameters("new_password1", "new_password2")
@csrf_protect
@never_cache
def link_view(request, token):
    """Set a password through an invitation or password reset link.

    The token is in the URL. It does not leak to other sites through the
    Referer header, because the page loads only the app's own files and
    SecurityMiddleware sends Referrer-Policy: same-origin. A stricter
    no-referrer would make Chromium send "Origin: null" with the form,
    which Django's CSRF check rejects.
    """
    link = link_find(token)
    user = customer_user_for_password(link.customer) if link is not None else None
    if user is None:
        return render(request, "portal/link_invalid.html", status=404)

    form = password_forms.SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = customer_set_password(link, user, form.cleaned_data["new_password1"])
        except LinkAlreadyUsed:
            return render(request, "portal/link_invalid.html", status=404)
        auth_login(request, user, backend=CUSTOMER_BACKEND)
        if link.purpose == PortalLink.Purpose.PASSWORD_RESET:
            messages.success(request, _("Your password has been changed. You are logged in to the customer portal."))
        else:
            messages.success(request, _("Your password is set. You are logged in to the customer portal."))
        return redirect("portal:home")

    return render(
        request,
        "portal/password_set.html",
        {
            "form": form,
            "customer": link.customer,
            "is_reset": link.purpose == PortalLink.Purpose.PASSWORD_RESET,
        },
    )


@customer_required
def profile_edit(request):
    customer = request.customer
    form = CustomerProfileForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        changed_fields = form.changed_fields()
        values = {name: form.cleaned_data[name] for name in PROFILE_FIELDS if name in changed_fields}
        try:
            changed = customer_profile_update(customer, values)
        except ValidationError as error:
            # Another customer with the same NIK was renamed after the form's check.
            form.add_error("name", error)
            return render(request, "portal/profile_form.html", {"form": form})
        except ProfileCustomerDeleted:
            # Staff deleted the customer after this request was authenticated.
            # The delete also deactivated the portal account, so this logs the customer out.
            logger.info("Profile of customer %s not saved, because the customer was deleted", customer.pk)
            auth_logout(request)
            messages.error(
                request,
                _(
                    "Your data was not saved, because your customer account was deleted. "
                    "Contact the admin of your internet provider."
                ),
            )
            return redirect("portal:login")
        if changed:
            messages.success(request, _("Your data has been saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("portal:home")

    return render(request, "portal/profile_form.html", {"form": form})


@customer_required
def change_request_new(request):
    customer = request.customer
    form = ChangeRequestForm(request.POST or None, customer=customer, initial={"field": request.GET.get("field")})
    if request.method == "POST" and form.is_valid():
        _change_request, created = change_request_submit(
            customer, form.cleaned_data["field"], form.cleaned_data["value"], request.user
        )
        _report_submitted(request, created)
        return redirect("portal:home")

    return render(request, "portal/change_request_form.html", {"form": form})


@customer_required
def package_request_new(request):
    """Show the customer's package, and on POST request the chosen package.

    A customer who does not know their package leaves without sending anything.
    """
    customer = Customer.objects.select_related("package").get(pk=request.customer.pk)
    form = PackageRequestForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            _change_request, created = change_request_submit(
                customer, ChangeRequest.Field.PACKAGE, form.cleaned_data["package"], request.user
            )
        except PackageNotOffered:
            # Staff deactivated or deleted the package after the form's check.
            form.add_error("package", form.fields["package"].error_messages["invalid_choice"])
        else:
            _report_submitted(request, created)
            return redirect("portal:home")

    pending = customer.change_requests.pending().filter(field=ChangeRequest.Field.PACKAGE).select_related("package")
    return render(
        request,
        "portal/package_request_form.html",
        {"form": form, "customer": customer, "pending": pending.first()},
    )


def _report_submitted(request, created):
    if created:
        messages.success(request, _("Your request has been sent. An admin will check it before it takes effect."))
    else:
        messages.info(request, _("The same request has already been sent and is waiting for approval."))


@customer_required
def change_request_cancel_view(request, pk):
    # The lookup comes before the method check, so another customer's id
    # gives 404 for any method.
    change_request = get_object_or_404(ChangeRequest, pk=pk, customer=request.customer)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        change_request_cancel(change_request, request.user)
    except ChangeRequestClosed:
        messages.error(request, _("This request was already decided and can no longer be cancelled."))
    else:
        messages.success(request, _("Your request has been cancelled."))
    return redirect("portal:home")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@customer_required
def password_change(request):
    """Change the logged-in customer's own password."""
    return password_change_page(request, home_url="portal:home", login_url="portal:login")
