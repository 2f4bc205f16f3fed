"""Django's createsuperuser, rejecting the usernames reserved for portal users.

The ebilling app comes before django.contrib.auth in INSTALLED_APPS, so
this command replaces Django's own.
"""

from django.contrib.auth.management.commands import createsuperuser
from django.core.exceptions import ValidationError

from sites.staff import staff_username_check


class Command(createsuperuser.Command):
    def _validate_username(self, username, verbose_field_name, database):
        # NOTE: _validate_username() is a private hook of Django 5.2's command,
        # called for a --username option, a prompt answer and DJANGO_SUPERUSER_USERNAME.
        error = super()._validate_username(username, verbose_field_name, database)
        if error:
            return error
        try:
            staff_username_check(username)
        except ValidationError as rejection:
            return "; ".join(rejection.messages)
        return None
