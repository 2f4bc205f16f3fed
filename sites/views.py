from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from customers.importing.matching import remember_old_names
from ebilling.access import admin_required, staff_required, visible_sites
from sites.forms import SiteForm


@staff_required
def site_list(request):
    sites = visible_sites(request.user).order_by("-is_active", "name")
    return render(request, "sites/site_list.html", {"sites": sites})


@admin_required
def site_create(request):
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        site = form.save()
        messages.success(request, _("Site %(name)s saved.") % {"name": site.name})
        return redirect("sites:list")
    return render(request, "sites/site_form.html", {"form": form})


@admin_required
def site_edit(request, pk):
    site = get_object_or_404(visible_sites(request.user), pk=pk)
    # Validation copies the posted values onto the instance.
    old_names = [site.name, site.code]
    form = SiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        form.save()
        # Sheets keep using the old name; uploads keep matching it.
        remember_old_names("site", site, old_names, request.user)
        messages.success(request, _("Site %(name)s saved.") % {"name": site.name})
        return redirect("sites:list")
    return render(request, "sites/site_form.html", {"form": form, "site": site})
