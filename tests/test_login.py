"""Staff and portal logins: lockout, error messages, password hashing, sessions."""

import datetime
import logging
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.urls import reverse

from audit.login import client_ip_address, username_digest
from customers.models import Customer
from portal.links import link_create

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "rahasia-staf-123"
CUSTOMER_PASSWORD = "rahasia-pelanggan-123"
NEW_CUSTOMER_PASSWORD = "jaringan-rumah-baru-58"
WRONG_PASSWORD = "salah-sandi-999"
LOCKOUT_TEXT = "Terlalu banyak percobaan masuk yang gagal"


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(username="staf", password=STAFF_PASSWORD, is_staff=True)


@pytest.fixture
def customer_user(django_user_model):
    user = django_user_model.objects.create_user(username="customer-1", password=CUSTOMER_PASSWORD)
    Customer.objects.create(number="PLG-0001", name="Budi Santoso", phone="+6281234567890", user=user)
    return user


def staff_login(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def portal_login(client, username, password, address="10.0.0.1"):
    return client.post(reverse("portal:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(login, client, username, times, address="10.0.0.1"):
    return [login(client, username, WRONG_PASSWORD, address).status_code for _ in range(times)]


def end_cooloff():
    """Move every recorded failure back past the cool-off, as if 16 minutes passed."""
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - datetime.timedelta(minutes=16))


# --- lockout -------------------------------------------------------------------


def test_staff_locked_after_five_failures(client, staff_user, settings):
    statuses = fail(staff_login, client, "staf", 5)
    locked = staff_login(client, "staf", STAFF_PASSWORD)

    assert settings.AXES_FAILURE_LIMIT == 5
    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert LOCKOUT_TEXT in locked.content.decode()
    assert "15 menit" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_four_failures_then_success(client, staff_user):
    statuses = fail(staff_login, client, "staf", 4)
    response = staff_login(client, "staf", STAFF_PASSWORD)

    assert statuses == [200, 200, 200, 200]
    assert response.status_code == 302
    assert AccessAttempt.objects.count() == 0


def test_lockout_is_per_account_and_address(client, staff_user, django_user_model):
    django_user_model.objects.create_user(username="staf-lain", password=STAFF_PASSWORD, is_staff=True)
    fail(staff_login, client, "staf", 5, address="10.0.0.1")

    other_address = staff_login(client, "staf", STAFF_PASSWORD, address="10.0.0.2")
    client.logout()
    other_account = staff_login(client, "staf-lain", STAFF_PASSWORD, address="10.0.0.1")

    assert other_address.status_code == 302
    assert other_account.status_code == 302


def test_staff_login_after_cooloff(client, staff_user):
    fail(staff_login, client, "staf", 5)
    end_cooloff()

    response = staff_login(client, "staf", STAFF_PASSWORD)

    assert response.status_code == 302


def test_portal_locked_after_five_failures(client, customer_user):
    statuses = fail(portal_login, client, "PLG-0001", 5)
    locked = portal_login(client, "PLG-0001", CUSTOMER_PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert LOCKOUT_TEXT in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_text_per_login_kind(client, staff_user, customer_user):
    """Customers log in with their ID Pelanggan or phone, staff with a username."""
    client.cookies["django_language"] = "en"
    fail(portal_login, client, "PLG-0001", 5)
    fail(staff_login, client, "staf", 5)

    portal_page = portal_login(client, "PLG-0001", CUSTOMER_PASSWORD).content.decode()
    staff_page = staff_login(client, "staf", STAFF_PASSWORD).content.decode()

    assert "Logging in with this customer ID or phone number from your address is blocked for 15 minutes" in portal_page
    assert "ask the admin of your internet provider for a password reset link" in portal_page
    assert "username" not in portal_page
    assert f'<a href="{reverse("portal:login")}">Back to the login page</a>' in portal_page
    assert "Logging in with this username from your address is blocked for 15 minutes" in staff_page
    assert "customer ID" not in staff_page


def test_portal_lockout_counts_every_spelling(client, customer_user):
    """The phone typed three ways is one account, so the failures add up."""
    fail(portal_login, client, "0812-3456-7890", 2)
    fail(portal_login, client, "+62 812 3456 7890", 2)
    fail(portal_login, client, "6281234567890", 1)

    locked = portal_login(client, "081234567890", CUSTOMER_PASSWORD)

    assert locked.status_code == 429


def test_portal_login_after_cooloff(client, customer_user):
    fail(portal_login, client, "PLG-0001", 5)
    end_cooloff()

    response = portal_login(client, "PLG-0001", CUSTOMER_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def set_password_through_link(client, customer, password):
    path = link_create(customer).path
    return client.post(path, {"new_password1": password, "new_password2": password})


def test_reset_link_ends_portal_lockout(client, customer_user):
    customer = Customer.objects.get(number="PLG-0001")
    fail(portal_login, client, "PLG-0001", 5, address="10.0.0.1")
    fail(portal_login, client, "0812-3456-7890", 5, address="10.0.0.2")

    reset = set_password_through_link(client, customer, NEW_CUSTOMER_PASSWORD)
    client.logout()
    by_id = portal_login(client, "PLG-0001", NEW_CUSTOMER_PASSWORD, address="10.0.0.1")
    client.logout()
    by_phone = portal_login(client, "0812-3456-7890", NEW_CUSTOMER_PASSWORD, address="10.0.0.2")

    assert reset.status_code == 302
    assert by_id.status_code == 302
    assert by_phone.status_code == 302
    assert AccessAttempt.objects.count() == 0


def test_reset_link_keeps_shared_phone_lockout(client, customer_user, django_user_model):
    """The lockout of a phone shared by two accounts belongs to both, so one link does not end it."""
    customer = Customer.objects.get(number="PLG-0001")
    other_user = django_user_model.objects.create_user(username="customer-2", password=CUSTOMER_PASSWORD)
    Customer.objects.create(number="PLG-0002", name="Sri Wahyuni", phone="+6281234567890", user=other_user)
    fail(portal_login, client, "PLG-0001", 5, address="10.0.0.1")
    fail(portal_login, client, "0812-3456-7890", 5, address="10.0.0.2")

    reset = set_password_through_link(client, customer, NEW_CUSTOMER_PASSWORD)
    client.logout()
    by_id = portal_login(client, "PLG-0001", NEW_CUSTOMER_PASSWORD, address="10.0.0.1")
    client.logout()
    by_phone = portal_login(client, "0812-3456-7890", NEW_CUSTOMER_PASSWORD, address="10.0.0.2")

    assert reset.status_code == 302
    assert by_id.status_code == 302
    assert by_phone.status_code == 429
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        ("portal:+6281234567890", 6)
    ]


def test_invitation_ends_unowned_phone_lockout(client, db):
    """Before the invitation the phone names no account, so its failures count under the phone itself."""
    customer = Customer.objects.create(number="PLG-0002", name="Siti Rahmawati", phone="+6281311112222")
    fail(portal_login, client, "0813-1111-2222", 5)

    invitation = set_password_through_link(client, customer, NEW_CUSTOMER_PASSWORD)
    client.logout()
    login = portal_login(client, "0813-1111-2222", NEW_CUSTOMER_PASSWORD)

    assert invitation.status_code == 302
    assert login.status_code == 302


def test_invitation_ends_portal_lockout(client, db):
    """Failures count against an ID Pelanggan before its portal account exists."""
    customer = Customer.objects.create(number="PLG-0002", name="Siti Rahmawati", phone="+6281311112222")
    fail(portal_login, client, "PLG-0002", 5)

    invitation = set_password_through_link(client, customer, NEW_CUSTOMER_PASSWORD)
    client.logout()
    login = portal_login(client, "PLG-0002", NEW_CUSTOMER_PASSWORD)

    assert invitation.status_code == 302
    assert login.status_code == 302


def test_portal_success_resets_failure_count(client, customer_user):
    first = fail(portal_login, client, "PLG-0001", 4)
    success = portal_login(client, "PLG-0001", CUSTOMER_PASSWORD)
    client.post(reverse("portal:logout"))
    second = fail(portal_login, client, "PLG-0001", 4)

    assert first == [200, 200, 200, 200]
    assert success.status_code == 302
    assert second == [200, 200, 200, 200]


def test_staff_failures_never_lock_portal(client, customer_user):
    """A customer ID typed at the staff login has a staff lockout of its own."""
    staff_statuses = fail(staff_login, client, "PLG-0001", 5)
    portal = portal_login(client, "PLG-0001", CUSTOMER_PASSWORD)

    assert staff_statuses == [200, 200, 200, 200, 429]
    assert portal.status_code == 302


def test_staff_login_rejects_customer_user(client, customer_user):
    """The internal username and the right password get the wrong-password page."""
    right = staff_login(client, "customer-1", CUSTOMER_PASSWORD)
    wrong = staff_login(client, "customer-1", WRONG_PASSWORD)

    assert right.status_code == 200
    assert "_auth_user_id" not in client.session
    assert error_text(right) == error_text(wrong)


def test_failed_login_logs_no_username(client, caplog):
    """A NIK or phone typed as a username reaches the log only as a digest."""
    caplog.set_level(logging.INFO)

    staff_login(client, "3271010101800011", WRONG_PASSWORD)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "3271010101800011" not in logged
    assert f"username sha256:{username_digest('3271010101800011')}" in logged


# --- messages --------------------------------------------------------------------


def error_text(response):
    match = re.search(r'<div class="errors">(.*?)</div>', response.content.decode(), re.S)
    assert match, "the login page shows no error"
    return match[1]


def test_unknown_user_and_wrong_password_same_message(client, staff_user):
    unknown = staff_login(client, "tidak-ada", WRONG_PASSWORD)
    wrong = staff_login(client, "staf", WRONG_PASSWORD)

    assert unknown.status_code == 200
    assert wrong.status_code == 200
    assert error_text(unknown) == error_text(wrong)


def test_inactive_user_same_message(client, staff_user):
    wrong = staff_login(client, "staf", WRONG_PASSWORD)
    staff_user.is_active = False
    staff_user.save()

    inactive = staff_login(client, "staf", STAFF_PASSWORD, address="10.0.0.9")

    assert error_text(inactive) == error_text(wrong)


# --- passwords and sessions -----------------------------------------------------


def test_passwords_hashed_with_argon2(staff_user):
    assert staff_user.password.startswith("argon2$argon2id$")


def test_pbkdf2_hash_upgraded_at_login(client, staff_user):
    staff_user.password = make_password(STAFF_PASSWORD, hasher="pbkdf2_sha256")
    staff_user.save()

    response = staff_login(client, "staf", STAFF_PASSWORD)

    staff_user.refresh_from_db()
    assert response.status_code == 302
    assert staff_user.password.startswith("argon2$")


def test_session_key_rotated_at_login(client, staff_user):
    session = client.session
    session["language_hint"] = "id"
    session.save()
    before = session.session_key

    staff_login(client, "staf", STAFF_PASSWORD)

    after = client.session.session_key
    assert after != before
    assert client.session["_auth_user_id"] == str(staff_user.pk)
    assert not Session.objects.filter(session_key=before).exists()


def test_session_cookie_flags(client, staff_user, settings):
    settings.SESSION_COOKIE_SECURE = True

    response = staff_login(client, "staf", STAFF_PASSWORD)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"


# --- client address --------------------------------------------------------------


def test_client_address_without_proxy(settings):
    settings.BEHIND_TLS_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert client_ip_address(request) == "192.0.2.10"


def test_client_address_behind_proxy_uses_last_entry(settings):
    """The proxy appends the address it saw; earlier entries are the client's own claims."""
    settings.BEHIND_TLS_PROXY = True
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")

    assert client_ip_address(request) == "203.0.113.5"


def test_forged_forwarded_for_cannot_escape_lockout(client, staff_user, settings):
    settings.BEHIND_TLS_PROXY = True
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        client.post(
            reverse("login"),
            {"username": "staf", "password": WRONG_PASSWORD},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.5",
        )

    locked = client.post(
        reverse("login"),
        {"username": "staf", "password": STAFF_PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5",
    )

    assert locked.status_code == 429
