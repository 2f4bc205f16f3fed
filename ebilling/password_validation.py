"""Django's password validators with the app's help texts, and the list of
rules shown under a new-password field.

Django's Indonesian catalog calls a password "sandi" in these help texts,
while the app uses "kata sandi" everywhere, so the help texts get msgids
of their own. The checks and error messages are Django's.
"""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_help_text(self):
        return _("Your password must not be too similar to your name, e-mail address or other account data.")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_help_text(self):
        return _("Your password must not be a commonly used password.")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_help_text(self):
        return _("Your password must not consist of digits only.")


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
