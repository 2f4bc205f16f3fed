"""Staff accounts: each staff user's role, sites and rights, read and saved.

An admin is a superuser or has the permission "sites.access_all_sites". Any other staff
user is a site admin, limited to the sites they are listed on and to the
rights granted to them. Users linked to a customer are portal users, never
staff, even when someone ticked is_staff for them in the Django admin.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from ebilling.access import is_admin
from portal.accounts import USERNAME_PREFIX as PORTAL_USERNAME_PREFIX

ADMIN_PERMISSION = "sites.access_all_sites"

# The rights granted to site admins one by one: "app_label.codename" and
# the permission's name, which labels its checkbox.
RIGHTS = {f"customers.{codename}": name for codename, name in Customer._meta.permissions}


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SITE_ADMIN = "site_admin", _("Site admin")


@dataclass(frozen=True)
class StaffRow:
    """One staff user as the staff list shows them."""

    user: object
    role: str
    sites: list
    rights: list

    @property
    def role_label(self):
        return Role(self.role).label

    @property
    def right_labels(self):
        return [RIGHTS[right] for right in self.rights]


def staff_username_check(username, *, previous=None):
    """Raise ValidationError when a staff username starts with the portal's
    "customer-" prefix, in any letter case, because the portal names its
    users that way. An unchanged `previous` name of the same user passes,
    so an older account can still be edited or deactivated."""
    username = get_user_model().normalize_username(username)
    if previous is not None and username.casefold() == previous.casefold():
        return
    if username.casefold().startswith(PORTAL_USERNAME_PREFIX.casefold()):
        raise ValidationError(
            _(
                "Usernames starting with “%(prefix)s” are reserved for customers' portal accounts. "
                "Choose another username."
            ),
            code="portal_prefix",
            params={"prefix": PORTAL_USERNAME_PREFIX},
        )


def staff_users():
    """Return the staff users, without customers' portal users."""
    return get_user_model().objects.filter(is_staff=True, customer__isnull=True)


def staff_editable_by(editor):
    """Return the staff users `editor` may edit: all of them for a
    superuser, all but the superusers for any other admin, because setting
    a superuser's password would make the editor one."""
    users = staff_users()
    if not editor.is_superuser:
        users = users.filter(is_superuser=False)
    return users


def _keys(permissions):
    return {f"{permission.content_type.app_label}.{permission.codename}" for permission in permissions}


def direct_permission_keys(user):
    """Return the "app_label.codename" of every permission granted to the user directly."""
    return _keys(user.user_permissions.all())


def group_permission_keys(user):
    """Return the "app_label.codename" of every permission the user's groups grant."""
    return _keys(permission for group in user.groups.all() for permission in group.permissions.all())


def permission_keys(user):
    """Return the "app_label.codename" of every permission the user has
    directly or through a group.

    Unlike user.has_perm(), it works for inactive users too, so the list
    shows what a deactivated user would have again once reactivated.
    """
    return direct_permission_keys(user) | group_permission_keys(user)


def staff_role(user):
    if user.is_superuser or ADMIN_PERMISSION in permission_keys(user):
        return Role.ADMIN
    return Role.SITE_ADMIN


def staff_rows():
    """Return a StaffRow for every staff user, ordered by username, in a fixed number of queries."""
    users = staff_users().order_by("username").prefetch_related(
        "managed_sites",
        "user_permissions__content_type",
        "groups__permissions__content_type",
    )
    rows = []
    for user in users:
        role = staff_role(user)
        if role == Role.ADMIN:
            rows.append(StaffRow(user, role, sites=[], rights=[]))
            continue
        keys = permission_keys(user)
        rights = [right for right in RIGHTS if right in keys]
        rows.append(StaffRow(user, role, sites=sorted(user.managed_sites.all(), key=str), rights=rights))
    return rows


def _permissions(keys):
    """Return the Permission objects for "app_label.codename" keys, with one
    query. Raises Permission.DoesNotExist when a key names no permission."""
    condition = models.Q(pk__in=[])
    for key in keys:
        app_label, codename = key.split(".")
        condition |= models.Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.filter(condition))
    if len(permissions) != len(set(keys)):
        raise Permission.DoesNotExist(f"Not every permission of {sorted(keys)} exists.")
    return permissions


def staff_save(user, *, editor, role, sites, rights, password=None):
    """Save a staff user with their role, sites and rights, in one transaction.

    An admin gets "sites.access_all_sites" and no sites or rights of their
    own, because they hold them all. A site admin loses superuser status
    and the admin permission, and gets exactly `sites` and `rights`. Other
    permissions granted in the Django admin stay. `password`, when given,
    replaces the old one. Raises PermissionDenied when `editor` is no longer
    an admin by the time the rows are locked.
    """
    user_model = get_user_model()
    with transaction.atomic():
        # Two admins demoting each other at the same moment could leave no
        # admin at all, so both rows are locked and the editor checked again.
        locked = {editor.pk, user.pk} - {None}
        list(user_model.objects.select_for_update().filter(pk__in=locked).order_by("pk"))
        if not is_admin(user_model.objects.get(pk=editor.pk)):
            raise PermissionDenied

        user.is_staff = True
        if role == Role.SITE_ADMIN:
            user.is_superuser = False
        if password:
            user.set_password(password)
        user.save()

        managed = _permissions([ADMIN_PERMISSION, *RIGHTS])
        user.user_permissions.remove(*managed)
        if role == Role.ADMIN:
            user.managed_sites.clear()
            if not user.is_superuser:
                user.user_permissions.add(*_permissions([ADMIN_PERMISSION]))
        else:
            user.managed_sites.set(sites)
            user.user_permissions.add(*_permissions(rights))

    # Drop the permission cache that has_perm() keeps on this instance.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user
