"""Django's password validators with the app's help texts, and the list of
rules shown under a new-password field.

Django's Indonesian catalog calls a password "sandi" in these help texts,
while the app uses "kata sandi" everywhere, so the help texts get msgids
of their own. They read "the password", not "your password", because an
admin also reads them on the form that sets another staff user's password.
Django's own minimum-length help text has "your" too, so it is replaced.
The checks and error messages are Django's.
"""

import re
from difflib import SequenceMatcher

from django.contrib.auth import password_validation
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The user fields that the staff form shows as its one "Full name" field
# (sites/staff_forms.py stores the full name in first_name).
FULL_NAME_ATTRIBUTES = ("first_name", "last_name")


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's similarity check, whose message names the full name where
    Django's names the model field ("first name"), a field no form shows."""

    def validate(self, password, user=None):
        if not user:
            return
        for attribute in self.user_attributes:
            value = getattr(user, attribute, None)
            if not value or not isinstance(value, str) or not self._too_similar(password, value):
                continue
            if attribute in FULL_NAME_ATTRIBUTES:
                raise ValidationError(_("The password is too similar to the full name."), code="password_too_similar")
            try:
                verbose_name = str(user._meta.get_field(attribute).verbose_name)
            except FieldDoesNotExist:
                verbose_name = attribute
            raise ValidationError(
                self.get_error_message(), code="password_too_similar", params={"verbose_name": verbose_name}
            )

    def _too_similar(self, password, value):
        """Apply Django's test: the whole value and each word of it against the password."""
        password = password.lower()
        value = value.lower()
        for part in [*re.split(r"\W+", value), value]:
            if password_validation.exceeds_maximum_length_ratio(password, self.max_similarity, part):
                continue
            if SequenceMatcher(a=password, b=part).quick_ratio() >= self.max_similarity:
                return True
        return False

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
