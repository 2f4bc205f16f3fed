"""The Django admin's user pages, with the staff username rule of the Staf screen."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError

from sites.staff import staff_username_check


class StaffUsernameChangeForm(UserChangeForm):
    """The user change form, rejecting a portal-style username for a staff user.

    Only a new name, or a name that becomes staff, is checked, so an older
    staff account with such a name can still be edited.
    """

    def clean(self):
        cleaned = super().clean()
        username = cleaned.get("username")
        if not username or not (cleaned.get("is_staff") or cleaned.get("is_superuser")):
            return cleaned

        # The instance keeps its stored values until _post_clean().
        was_staff = self.instance.is_staff or self.instance.is_superuser
        try:
            staff_username_check(username, previous=self.instance.username if was_staff else None)
        except ValidationError as error:
            self.add_error("username", error)
        return cleaned


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffUsernameUserAdmin(UserAdmin):
    form = StaffUsernameChangeForm
