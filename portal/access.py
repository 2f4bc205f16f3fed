"""Access checks of the customer portal pages."""

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from portal.forms import CUSTOMER_BACKEND

logger = logging.getLogger(__name__)


def portal_customer(user):
    """Return the customer whose portal account `user` is, or None.

    Staff never count as customers, even when linked to one, so an admin
    cannot act in the portal under a customer's name.
    """
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return None
    try:
        return user.customer
    except ObjectDoesNotExist:
        return None


def customer_required(view):
    """Require a logged-in customer and put their record in request.customer.

    Anonymous visitors go to the portal login, with a message when their
    portal account was deactivated while they were logged in. Staff and
    users without a customer get 404, as customers do on staff pages.
    Responses are never cached, because every page shows personal data.
    """

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if _session_of_closed_account(request):
                return _end_closed_session(request)
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        customer = portal_customer(request.user)
        if customer is None:
            raise Http404
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapper


def _session_of_closed_account(request):
    """Return whether the session was logged in to a portal account that has
    been deactivated since, as deleting or anonymising its customer does.

    Django's authentication treats such a session as anonymous but keeps
    its user id. The id is stored on the server, so only the holder of
    the session learns that their own account was closed.
    """
    if request.session.get(BACKEND_SESSION_KEY) != CUSTOMER_BACKEND:
        return False
    user_model = get_user_model()
    try:
        user_id = user_model._meta.pk.to_python(request.session.get(SESSION_KEY))
    except ValidationError:
        return False
    if user_id is None:
        return False
    return user_model.objects.filter(pk=user_id, is_active=False, is_staff=False, is_superuser=False).exists()


def _end_closed_session(request):
    """Log out a session of a deactivated portal account and send it to the
    portal login with a message. A form sent from such a session is not saved."""
    logger.info("Logged out a portal session of deactivated user %s", request.session[SESSION_KEY])
    auth_logout(request)
    if request.method == "POST":
        message = _(
            "Your changes were not saved, because your portal account is no longer active. "
            "Contact the admin of your internet provider."
        )
    else:
        message = _("Your portal account is no longer active. Contact the admin of your internet provider.")
    messages.error(request, message)
    return redirect("portal:login")
