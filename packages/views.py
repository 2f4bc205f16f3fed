from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from customers.importing.matching import remember_old_names
from ebilling.access import admin_required, staff_required
from packages.forms import PackageForm
from packages.models import ServicePackage


@staff_required
def package_list(request):
    packages = ServicePackage.objects.order_by("-is_active", "monthly_price", "name")
    return render(request, "packages/package_list.html", {"packages": packages})


@admin_required
def package_create(request):
    form = PackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        package = form.save()
        messages.success(request, _("Package %(name)s saved.") % {"name": package.name})
        return redirect("packages:list")
    return render(request, "packages/package_form.html", {"form": form})


@admin_required
def package_edit(request, pk):
    package = get_object_or_404(ServicePackage, pk=pk)
    # Validation copies the posted values onto the instance.
    old_names = [package.name, package.code]
    form = PackageForm(request.POST or None, instance=package)
    if request.method == "POST" and form.is_valid():
        form.save()
        # Sheets keep using the old name; uploads keep matching it.
        remember_old_names("package", package, old_names, request.user)
        messages.success(request, _("Package %(name)s saved.") % {"name": package.name})
        return redirect("packages:list")
    return render(request, "packages/package_form.html", {"form": form, "package": package})
