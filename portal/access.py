"""Access checks of the customer portal pages."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.views.decorators.cache import never_cache


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

    Anonymous visitors go to the portal login. Staff and users without a
    customer get 404, as customers do on staff pages. Responses are never
    cached, because every page shows personal data.
    """

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        customer = portal_customer(request.user)
        if customer is None:
            raise Http404
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapper
