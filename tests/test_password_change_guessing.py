"""Wrong current passwords on the password pages end the session, as
wrong passwords at the login end in a lockout."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    PASSWORD_A,
    STAFF_PASSWORD,
    catalogue,
    client_a,
    customer_a,
    message_texts,
    site_admin_cbn,
    user_a,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "jaringan-rumah-budi-58"
LOGGED_OUT = "The current password was wrong 5 times, so you were logged out. Log in again."


@pytest.fixture
def staff_client(site_admin_cbn):
    client = Client()
    client.force_login(site_admin_cbn)
    client.cookies["django_language"] = "en"
    return client


def change_password(client, path, old):
    return client.post(path, {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def guess(client, path, times):
    return [change_password(client, path, f"tebakan-{number}-salah").status_code for number in range(times)]


@pytest.mark.parametrize(
    ("client_fixture", "page", "login", "user_fixture"),
    [
        ("staff_client", "password-change", "login", "site_admin_cbn"),
        ("client_a", "portal:password-change", "portal:login", "user_a"),
    ],
    ids=["staff", "portal"],
)
def test_fifth_wrong_password_logs_out(request, settings, client_fixture, page, login, user_fixture):
    settings.AXES_FAILURE_LIMIT = 5
    client = request.getfixturevalue(client_fixture)
    client.cookies["django_language"] = "en"
    user = request.getfixturevalue(user_fixture)
    path = reverse(page)

    statuses = guess(client, path, 4)
    fifth = change_password(client, path, "tebakan-5-salah")

    assert statuses == [200, 200, 200, 200]
    assert fifth.status_code == 302
    assert fifth.url == reverse(login)
    assert "_auth_user_id" not in client.session
    assert message_texts(client.get(fifth.url)) == [LOGGED_OUT]
    user.refresh_from_db()
    assert not user.check_password(NEW_PASSWORD)


def test_right_password_resets_count(staff_client, site_admin_cbn, settings):
    settings.AXES_FAILURE_LIMIT = 5
    path = reverse("password-change")
    guess(staff_client, path, 4)

    changed = change_password(staff_client, path, STAFF_PASSWORD)

    assert changed.status_code == 302
    assert changed.url == reverse("customers:list")
    assert "password_change_failures" not in staff_client.session
    assert staff_client.get(path).status_code == 200


def test_other_form_errors_not_counted(client_a, settings):
    settings.AXES_FAILURE_LIMIT = 5
    path = reverse("portal:password-change")

    statuses = [
        client_a.post(path, {"old_password": PASSWORD_A, "new_password1": "a1b2", "new_password2": "a1b2"}).status_code
        for _attempt in range(6)
    ]

    assert statuses == [200] * 6
    assert client_a.session.get("password_change_failures") is None
