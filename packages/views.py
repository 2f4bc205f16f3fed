from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

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
    form = PackageForm(request.POST or None, instance=package)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Package %(name)s saved.") % {"name": package.name})
        return redirect("packages:list")
    return render(request, "packages/package_form.html", {"form": form, "package": package})
