"""Who may see what: staff personas and their site scope.

An admin (superuser, or staff with the "sites.access_all_sites" permission)
sees every site. Any other staff user is a site admin and sees only the
sites they are listed on. Customers log in to the portal only.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


def is_admin(user):
    return user.is_active and user.is_staff and (user.is_superuser or user.has_perm("sites.access_all_sites"))


def has_staff_permission(user, permission):
    """Return whether a staff user holds `permission` ("app_label.codename").

    Admins hold every permission. A site admin holds only those granted to
    them or to one of their groups, such as "customers.import_customers".
    """
    if not (user.is_active and user.is_staff):
        return False
    return is_admin(user) or user.has_perm(permission)


def visible_sites(user):
    """Return the queryset of sites the staff user may see."""
    from sites.models import Site

    if is_admin(user):
        return Site.objects.all()
    return Site.objects.filter(staff=user)


def staff_required(view):
    """Require a logged-in staff user; others get 404, so a customer cannot
    learn which staff URLs exist."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """Require an admin (all sites); site admins and others get 404."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def staff_permission_required(permission):
    """Require a staff user holding `permission`.

    Non-staff users get 404, as with staff_required. Staff without the
    permission get 403, because the page exists for them but is not theirs
    to use.
    """

    def decorator(view):
        @staff_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_staff_permission(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
