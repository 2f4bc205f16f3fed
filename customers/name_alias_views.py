"""Pages that list and remove the Site and Paket names remembered for uploads.

An admin may list and remove every name. A site admin who may import lists
the Site names that point at their sites and removes those, because they
may add such names in a review. They also list every Paket name, but only
an admin removes one, because packages serve every site and only an admin
may give a known name another meaning.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from ebilling.access import admin_required, is_admin, staff_permission_required, visible_sites
from packages.models import PackageAlias
from sites.models import SiteAlias


def site_aliases_visible_to(user):
    return SiteAlias.objects.filter(site__in=visible_sites(user))


@staff_permission_required("customers.import_customers")
def name_alias_list(request):
    context = {
        "site_aliases": site_aliases_visible_to(request.user).select_related("site", "created_by").order_by("name"),
        "package_aliases": PackageAlias.objects.select_related("package", "created_by").order_by("name"),
        "removes_package_names": is_admin(request.user),
    }
    return render(request, "customers/name_alias_list.html", context)


@staff_permission_required("customers.import_customers")
def site_alias_delete(request, pk):
    """Ask for confirmation, then forget a remembered Site name. A site
    admin gets 404 for a name that points at another site."""
    alias = get_object_or_404(site_aliases_visible_to(request.user).select_related("site", "created_by"), pk=pk)
    message = _("Later uploads no longer read the site name %(name)s as %(site)s.") % {
        "name": alias.name,
        "site": alias.site.name,
    }
    return _confirm_alias_delete(request, alias, "site", alias.site, message)


@admin_required
def package_alias_delete(request, pk):
    """Ask for confirmation, then forget a remembered Paket name."""
    alias = get_object_or_404(PackageAlias.objects.select_related("package", "created_by"), pk=pk)
    message = _("Later uploads no longer read the package name %(name)s as %(package)s.") % {
        "name": alias.name,
        "package": alias.package.name,
    }
    return _confirm_alias_delete(request, alias, "package", alias.package, message)


def _confirm_alias_delete(request, alias, kind, target, message):
    """Show the confirmation page of `alias` on GET. On POST delete it, show
    `message` and return to the list."""
    if request.method == "POST":
        alias.delete()
        messages.success(request, message)
        return redirect("customers:name-alias-list")
    context = {"alias": alias, "kind": kind, "target": target}
    return render(request, "customers/name_alias_delete.html", context)
