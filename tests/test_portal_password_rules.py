"""A customer's portal password may not contain their ID Pelanggan or phone number, but a staff password may.

A too-similar password is rejected in the customer's words, never with Django's field names.
"""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from customers.models import Customer
from ebilling.password_validation import password_rules_html
from portal.accounts import customer_user_for_password
from portal.models import PortalLink
from portal.password_validation import CustomerIdentifierValidator
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    PASSWORD_A,
    STAFF_PASSWORD,
    catalogue,
    client_a,
    customer_a,
    error_texts,
    issue_link,
    site_admin_cbn,
    user_a,
)

pytestmark = pytest.mark.django_db

CUSTOMER_ID_ERROR = "Kata sandi memuat ID Pelanggan Anda. Pilih kata sandi tanpa ID Pelanggan."
PHONE_ERROR = "Kata sandi memuat No. HP Anda. Pilih kata sandi tanpa No. HP."
RULE_HELP = "Kata sandi Anda tidak boleh memuat ID Pelanggan atau No. HP Anda."


def validation_codes(password, user):
    """Return the codes of the identifier errors validate_password() raises, leaving out Django's own."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [item.code for item in error.error_list if item.code.startswith("password_contains_")]
    return []


def similarity_messages(password, user):
    """Return the similarity errors validate_password() raises, in English."""
    with translation.override("en"):
        try:
            validate_password(password, user)
        except ValidationError as error:
            return [item.messages[0] for item in error.error_list if item.code == "password_too_similar"]
    return []


def set_password(client, path, password):
    return client.post(path, {"new_password1": password, "new_password2": password})


# --- the validator ----------------------------------------------------------------


def test_identifier_check_cases(user_a):
    cases = {
        "PLG-0001abc": ["password_contains_customer_number"],
        "rumah-plg0001": ["password_contains_customer_number"],
        "Plg 0001 budi": ["password_contains_customer_number"],
        "081234567890": ["password_contains_phone"],
        "budi-0812-3456-7890": ["password_contains_phone"],
        "+62 812 3456 7890 rumah": ["password_contains_phone"],
        "rumah6281234567890": ["password_contains_phone"],
        "x81234567890x": ["password_contains_phone"],
        "jaringan-rumah-budi-58": [],
        "PLG-0002-kabel": [],
        "0812345-kabel-99": [],
    }

    found = {password: validation_codes(password, user_a) for password in cases}

    assert found == cases


def test_unsaved_invitation_user_checked(customer_a):
    user = customer_user_for_password(customer_a)

    assert user.pk is None
    assert "password_contains_phone" in validation_codes("rumah-081234567890", user)


def test_short_customer_id_not_checked(customer_a):
    Customer.objects.filter(pk=customer_a.pk).update(number="A12")
    customer_a.refresh_from_db()
    user = customer_user_for_password(customer_a)

    assert validation_codes("kabel-a12-rumah", user) == []
    assert validation_codes("kabel-a12-081234567890", user) == ["password_contains_phone"]


def test_staff_passwords_unaffected(site_admin_cbn, customer_a, user_a):
    """Staff never count as customers, even when linked to one, so IDs and phone digits are allowed."""
    password = "PLG-0001-081234567890"
    customer_codes = validation_codes(password, user_a)
    customer_a.user = site_admin_cbn
    customer_a.save()

    assert customer_codes == ["password_contains_customer_number"]
    assert validation_codes(password, site_admin_cbn) == []
    assert validation_codes(password, None) == []
    assert not CustomerIdentifierValidator().applies_to(site_admin_cbn)


def test_rule_listed_for_customers_only(user_a, site_admin_cbn):
    assert RULE_HELP in password_rules_html(user_a)
    assert RULE_HELP not in password_rules_html(site_admin_cbn)


def test_similarity_names_customer_data(user_a, site_admin_cbn):
    cases = {
        "budisantoso": ["The password is too similar to your name."],
        "budi@contoh.id": ["The password is too similar to your e-mail address."],
        "PLG-0010x": ["The password is too similar to your customer ID."],
        "081234567809": ["The password is too similar to your phone number."],
        # The internal username is compared for staff only, because no login accepts a customer's.
        f"{user_a.username}-rumah": [],
        "kabel-fiber-mawar-91": [],
    }

    found = {password: similarity_messages(password, user_a) for password in cases}

    assert found == cases
    assert similarity_messages("admin-cbn-99", site_admin_cbn) == ["The password is too similar to the username."]


# --- the pages --------------------------------------------------------------------


def test_invitation_rejects_customer_id(client, customer_a):
    path = issue_link(customer_a)

    response = set_password(client, path, "PLG-0001abc")

    assert response.status_code == 200
    assert error_texts(response) == [CUSTOMER_ID_ERROR]
    assert RULE_HELP in response.content.decode()
    assert PortalLink.objects.usable().filter(customer=customer_a).count() == 1
    customer_a.refresh_from_db()
    assert customer_a.user is None


def test_invitation_names_similar_name(client, customer_a):
    client.cookies["django_language"] = "en"

    response = set_password(client, issue_link(customer_a), "budisantoso")

    assert response.status_code == 200
    assert error_texts(response) == ["The password is too similar to your name."]
    assert "first name" not in response.content.decode()


def test_reset_link_rejects_phone(client, customer_a, user_a):
    path = issue_link(customer_a)

    response = set_password(client, path, "081234567890")

    assert response.status_code == 200
    assert PHONE_ERROR in error_texts(response)
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD_A)


def test_password_change_rejects_phone(client_a, user_a):
    response = client_a.post(
        reverse("portal:password-change"),
        {"old_password": PASSWORD_A, "new_password1": "kabel-0812-3456-7890", "new_password2": "kabel-0812-3456-7890"},
    )

    assert response.status_code == 200
    assert error_texts(response) == [PHONE_ERROR]
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD_A)


def test_staff_page_accepts_phone_digits(site_admin_cbn, customer_a, client_a):
    client = Client()
    client.force_login(site_admin_cbn)
    new_password = "PLG-0001-081234567890"

    staff_page = client.get(reverse("password-change"))
    portal_page = client_a.get(reverse("portal:password-change"))
    response = client.post(
        reverse("password-change"),
        {"old_password": STAFF_PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )

    assert RULE_HELP not in staff_page.content.decode()
    assert RULE_HELP in portal_page.content.decode()
    assert response.status_code == 302
    site_admin_cbn.refresh_from_db()
    assert site_admin_cbn.check_password(new_password)
