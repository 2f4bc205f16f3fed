"""The staff accounts screen: admins list, add and edit staff users."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from ebilling.access import admin_required
from sites.staff import staff_editable_by, staff_rows
from sites.staff_forms import StaffForm


@admin_required
def staff_list(request):
    editable = set(staff_editable_by(request.user).values_list("pk", flat=True))
    return render(request, "sites/staff_list.html", {"rows": staff_rows(), "editable": editable})


@sensitive_post_parameters("password1", "password2")
@admin_required
def staff_create(request):
    form = StaffForm(request.POST or None, editor=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Staff user %(username)s saved.") % {"username": user.get_username()})
        return redirect("staff:list")
    return render(request, "sites/staff_form.html", {"form": form})


@sensitive_post_parameters("password1", "password2")
@admin_required
def staff_edit(request, pk):
    staff_user = get_object_or_404(staff_editable_by(request.user), pk=pk)
    form = StaffForm(request.POST or None, instance=staff_user, editor=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if user.pk == request.user.pk:
            # A new password ends the user's sessions, so the editor's own session is kept valid.
            update_session_auth_hash(request, user)
        messages.success(request, _("Staff user %(username)s saved.") % {"username": user.get_username()})
        return redirect("staff:list")
    return render(request, "sites/staff_form.html", {"form": form, "staff_user": staff_user})
