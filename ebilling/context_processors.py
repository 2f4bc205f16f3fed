from django.utils.functional import SimpleLazyObject

from ebilling.access import is_admin


def access(request):
    """Add `user_is_admin`, so templates offer admin-only links only to
    admins, and for staff the number of change requests waiting for them,
    counted only when a page shows the menu. For other logged-in users add
    `portal_contact`, their Site's SiteContact or None, looked up only when
    a page shows it."""
    user = getattr(request, "user", None)
    context = {"user_is_admin": user is not None and is_admin(user)}
    if user is not None and user.is_authenticated and user.is_staff:
        context["pending_change_requests"] = SimpleLazyObject(lambda: _pending_change_requests(user))
    elif user is not None and user.is_authenticated:
        # The footer of portal pages names the customer's Site contact.
        context["portal_contact"] = SimpleLazyObject(lambda: _portal_contact(user))
    return context


def _portal_contact(user):
    from portal.access import portal_customer
    from portal.contact import site_contact

    customer = portal_customer(user)
    return site_contact(customer.site) if customer is not None else None


def _pending_change_requests(user):
    from customers.selectors import customers_visible_to
    from portal.models import ChangeRequest

    return ChangeRequest.objects.pending().filter(customer__in=customers_visible_to(user)).count()
