from django.utils.functional import SimpleLazyObject

from ebilling.access import is_admin


def access(request):
    """Add `user_is_admin`, so templates offer admin-only links only to
    admins, and for staff the number of change requests waiting for them,
    counted only when a page shows the menu."""
    user = getattr(request, "user", None)
    context = {"user_is_admin": user is not None and is_admin(user)}
    if user is not None and user.is_authenticated and user.is_staff:
        context["pending_change_requests"] = SimpleLazyObject(lambda: _pending_change_requests(user))
    return context


def _pending_change_requests(user):
    from customers.selectors import customers_visible_to
    from portal.models import ChangeRequest

    return ChangeRequest.objects.pending().filter(customer__in=customers_visible_to(user)).count()
