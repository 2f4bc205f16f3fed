"""Authentication backend for the customer portal."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from portal.accounts import customer_users_for_login


class CustomerBackend(ModelBackend):
    """Authenticate a customer by ID Pelanggan or phone number and password.

    It acts only when called with portal=True, which the portal login form
    passes, so the staff login at /login/ never accepts a customer's ID or
    phone. `username` must already be a key from customer_login_key().

    A failed portal login raises PermissionDenied, which makes
    django.contrib.auth.authenticate() stop without asking the backends
    listed after this one. That keeps ModelBackend from logging a staff user
    in through the portal form, as long as this backend is listed before it.

    When several customers share the phone number, the password picks the
    account. If it matches more than one, nobody is logged in and
    request.portal_login_ambiguous is set, so the form can ask for the ID
    Pelanggan instead.
    """

    def authenticate(self, request, username=None, password=None, portal=False, **kwargs):
        if not portal:
            return None
        if not username or password is None:
            raise PermissionDenied

        candidates = [user for user in customer_users_for_login(username) if self.user_can_authenticate(user)]
        if not candidates:
            # Hash once anyway, so an unknown ID takes as long as a wrong
            # password and response times do not reveal which IDs exist.
            get_user_model()().set_password(password)
            raise PermissionDenied

        matches = [user for user in candidates if user.check_password(password)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1 and request is not None:
            request.portal_login_ambiguous = True
        raise PermissionDenied
