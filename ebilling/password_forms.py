"""Django's login and password forms in the app's wording, for staff and customers alike.

Django's Indonesian catalog uses "sandi" where the app uses "kata sandi".
These forms give every label, help text and error of a password field a
msgid of the app's own. Where the English text equals Django's, a context
keeps the msgids apart, so Django's translation never shows through.
"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ebilling.password_validation import password_rules_html

PASSWORD_LABELS = {
    "old_password": _("Current password"),
    "new_password1": pgettext_lazy("password form", "New password"),
    "new_password2": _("Repeat new password"),
}

PASSWORD_ERRORS = {
    "password_mismatch": _("The two new passwords do not match. Type the same password in both fields."),
    "password_incorrect": _("Your current password is wrong. Type it again."),
}

STAFF_LOGIN_ERRORS = {
    "invalid_login": _("The username and the password do not match. Check both and try again."),
}


class PasswordWordingMixin:
    """Set the labels, help texts and errors of a SetPasswordForm or PasswordChangeForm."""

    error_messages = PASSWORD_ERRORS

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        for name, label in PASSWORD_LABELS.items():
            if name in self.fields:
                self.fields[name].label = label
        self.fields["new_password1"].help_text = password_rules_html(user)
        self.fields["new_password2"].help_text = _("Type the new password again, to check it.")


class SetPasswordForm(PasswordWordingMixin, auth_forms.SetPasswordForm):
    """A new password without the old one, as set through a portal link."""


class PasswordChangeForm(PasswordWordingMixin, auth_forms.PasswordChangeForm):
    """A new password after the current one."""


class StaffLoginForm(auth_forms.AuthenticationForm):
    """The staff login, which logs in staff users only.

    Customers log in through the portal, whose lockout counts failures per
    ID Pelanggan. A customer's portal user is rejected here with the
    wrong-password message, so this page does not confirm a guessed
    customer password.
    """

    error_messages = {**auth_forms.AuthenticationForm.error_messages, **STAFF_LOGIN_ERRORS}

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise self.get_invalid_login_error()


class StaffAdminLoginForm(AdminAuthenticationForm):
    """The Django admin's login form, with the staff login's error message."""

    error_messages = {**AdminAuthenticationForm.error_messages, **STAFF_LOGIN_ERRORS}
