import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from ebilling import password_forms
from ebilling.access import staff_required

logger = logging.getLogger(__name__)

# Session key of the number of wrong current passwords typed on the
# password page in this session.
PASSWORD_CHANGE_FAILURES_KEY = "password_change_failures"


@never_cache
def healthz(request):
    """Return 200 "ok" when the database runs a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("portal:home")
    return redirect("customers:list")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@staff_required
def password_change(request):
    """Change the logged-in staff member's own password."""
    return password_change_page(request, home_url="customers:list", login_url="login")


def password_change_page(request, *, home_url, login_url):
    """Show and handle the own-password form for staff and customers alike.

    `home_url` names the URL that Cancel and a successful change lead to.
    The page checks the current password without authenticate(), so the
    login lockout does not count it. Instead, after AXES_FAILURE_LIMIT
    wrong current passwords in one session, that session is logged out and
    sent to `login_url`, where the lockout applies. So a stolen session
    gets at most that many guesses.
    """
    form = password_forms.PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        request.session.pop(PASSWORD_CHANGE_FAILURES_KEY, None)
        # Keeps this session logged in. Other sessions of the account end.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect(home_url)
    if request.method == "POST" and form.has_error("old_password", "password_incorrect"):
        failures = request.session.get(PASSWORD_CHANGE_FAILURES_KEY, 0) + 1
        request.session[PASSWORD_CHANGE_FAILURES_KEY] = failures
        if failures >= settings.AXES_FAILURE_LIMIT:
            logger.warning(
                "User %s typed a wrong current password %s times on the password page, so the session was logged out",
                request.user.pk,
                failures,
            )
            logout(request)
            messages.error(
                request,
                _("The current password was wrong %(count)s times, so you were logged out. Log in again.")
                % {"count": failures},
            )
            return redirect(login_url)

    return render(request, "account/password_change.html", {"form": form, "home_url": home_url})
