"""Django's password validators with the app's help texts, and the list of
rules shown under a new-password field.

Django's Indonesian catalog calls a password "sandi" in these help texts,
while the app uses "kata sandi" everywhere, so the help texts get msgids
of their own. They read "the password", not "your password", because an
admin also reads them on the form that sets another staff user's password.
Django's own minimum-length help text has "your" too, so it is replaced.
The checks and error messages are Django's.
"""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_help_text(self):
        return _("The password must not be too similar to the name, e-mail address or other data of the account.")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_help_text(self):
        return ngettext(
            "The password must contain at least %(min_length)d character.",
            "The password must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_help_text(self):
        return _("The password must not be a commonly used password.")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_help_text(self):
        return _("The password must not consist of digits only.")


def password_rules_html(user):
    """Return the help texts of the configured validators that apply to `user`, as an HTML list.

    A validator with an applies_to(user) method, such as the portal's
    customer ID check, is listed only when it returns True.
    """
    validators = [
        validator
        for validator in password_validation.get_default_password_validators()
        if not hasattr(validator, "applies_to") or validator.applies_to(user)
    ]
    return password_validation.password_validators_help_text_html(validators)
