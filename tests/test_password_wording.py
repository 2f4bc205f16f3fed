"""Password pages of staff and customers: one word for a password, and the staff password page.

Django's Indonesian catalog uses "sandi" where the app uses "kata sandi".
The Indonesian checks look for a bare "sandi" on every page. The English
checks read the app's own labels and messages.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    PASSWORD_A,
    STAFF_PASSWORD,
    catalogue,
    client_a,
    customer_a,
    error_texts,
    issue_link,
    message_texts,
    site_admin_cbn,
    user_a,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "jaringan-rumah-budi-58"
# "sandi" not preceded by "kata", as in Django's "Sandi baru" or "sandi lama".
BARE_SANDI = re.compile(r"(?<!kata )\bsandi\b", re.I)


def bare_sandi(response):
    return BARE_SANDI.findall(response.content.decode())


def labels(response):
    return re.findall(r'<label for="[^"]+">(.*?)</label>', response.content.decode())


def in_english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def staff_client(site_admin_cbn):
    """A client of its own, so that a test may also use the customer's client_a."""
    client = Client()
    client.force_login(site_admin_cbn)
    return client


def change_password(client, path, old, new, confirmation=None):
    return client.post(
        path, {"old_password": old, "new_password1": new, "new_password2": confirmation or new}
    )


# --- Indonesian: no bare "sandi" ---------------------------------------------


def test_staff_pages_never_say_bare_sandi(client, staff_client):
    path = reverse("password-change")
    pages = {
        "change form": staff_client.get(path),
        "wrong current": change_password(staff_client, path, "salah-sekali-99", NEW_PASSWORD),
        "mismatch": change_password(staff_client, path, STAFF_PASSWORD, NEW_PASSWORD, "lain-sekali-77"),
        "too short": change_password(staff_client, path, STAFF_PASSWORD, "a1b2"),
    }
    staff_client.logout()
    pages["failed login"] = client.post(reverse("login"), {"username": "admin-cbn", "password": "salah-99"})
    pages["failed admin login"] = client.post(
        "/django-admin/login/", {"username": "admin-cbn", "password": "salah-99"}
    )

    found = {name: bare_sandi(page) for name, page in pages.items()}

    assert found == {name: [] for name in pages}


def test_portal_pages_never_say_bare_sandi(client, client_a, customer_a):
    path = reverse("portal:password-change")
    pages = {
        "change form": client_a.get(path),
        "wrong current": change_password(client_a, path, "salah-sekali-99", NEW_PASSWORD),
        "mismatch": change_password(client_a, path, PASSWORD_A, NEW_PASSWORD, "lain-sekali-77"),
        "too common": change_password(client_a, path, PASSWORD_A, "password123"),
    }
    link = issue_link(customer_a)
    client_a.logout()
    pages["reset link"] = client.get(link)
    pages["reset mismatch"] = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": "lain-77x"})
    pages["failed login"] = client.post(reverse("portal:login"), {"username": "PLG-0001", "password": "salah"})

    found = {name: bare_sandi(page) for name, page in pages.items()}

    assert found == {name: [] for name in pages}


# --- English: the app's own labels and messages ---------------------------------


def test_change_labels_and_help_texts(staff_client, client_a):
    for client, path in ((staff_client, reverse("password-change")), (client_a, reverse("portal:password-change"))):
        page = in_english(client).get(path)
        text = page.content.decode()

        assert labels(page) == ["Current password", "New password", "Repeat new password"]
        assert "<li>The password must not be a commonly used password.</li>" in text
        assert "<li>The password must not consist of digits only.</li>" in text
        assert "<li>The password must not be too similar to the name, e-mail address or other data of the account.</li>" in text
        assert "Type the new password again, to check it." in text


def test_link_page_labels(client, customer_a):
    page = in_english(client).get(issue_link(customer_a))

    assert labels(page) == ["New password", "Repeat new password"]


def test_mismatch_and_wrong_current_messages(staff_client):
    path = reverse("password-change")
    in_english(staff_client)

    wrong = change_password(staff_client, path, "salah-sekali-99", NEW_PASSWORD)
    mismatch = change_password(staff_client, path, STAFF_PASSWORD, NEW_PASSWORD, "lain-sekali-77")

    assert error_texts(wrong) == ["Your current password is wrong. Type it again."]
    assert error_texts(mismatch) == [
        "The two new passwords do not match. Type the same password in both fields."
    ]


def test_link_mismatch_message(client, customer_a):
    path = issue_link(customer_a)

    response = in_english(client).post(path, {"new_password1": NEW_PASSWORD, "new_password2": "lain-sekali-77"})

    assert response.status_code == 200
    assert error_texts(response) == [
        "The two new passwords do not match. Type the same password in both fields."
    ]


def test_staff_login_error_message(client, site_admin_cbn):
    response = in_english(client).post(reverse("login"), {"username": "admin-cbn", "password": "salah-99"})

    assert "The username and the password do not match. Check both and try again." in response.content.decode()


# --- the similarity check names the field the form shows -------------------------

# Django's Indonesian name of User.first_name, which no form shows: the
# staff form's one name field is "Nama lengkap" (full name).
FIRST_NAME_ID = "nama depan"
SIMILAR_TO_FULL_NAME = "The password is too similar to the full name."


def test_staff_form_names_full_name(admin_client, catalogue):
    sites, _packages = catalogue
    data = {
        "username": "admin-bjg", "full_name": "Dewi Lestari", "email": "", "role": "site_admin",
        "sites": [sites["BJG"].pk], "rights": [], "is_active": "on",
        "password1": "Dewi-Lestari", "password2": "Dewi-Lestari",
    }

    indonesian = admin_client.post(reverse("staff:create"), data)
    english = in_english(admin_client).post(reverse("staff:create"), data)

    assert indonesian.status_code == 200
    assert FIRST_NAME_ID not in indonesian.content.decode()
    assert english.context["form"].errors["password2"] == [SIMILAR_TO_FULL_NAME]


def test_staff_password_page_names_full_name(staff_client, site_admin_cbn):
    site_admin_cbn.first_name = "Dewi Lestari"
    site_admin_cbn.save(update_fields=["first_name"])
    path = reverse("password-change")

    indonesian = change_password(staff_client, path, STAFF_PASSWORD, "Dewi-Lestari")
    english = change_password(in_english(staff_client), path, STAFF_PASSWORD, "Dewi-Lestari")

    assert indonesian.status_code == 200
    assert FIRST_NAME_ID not in indonesian.content.decode()
    assert error_texts(english) == [SIMILAR_TO_FULL_NAME]


# --- the staff password page ------------------------------------------------------


def test_staff_password_change_keeps_session(staff_client, site_admin_cbn):
    response = change_password(staff_client, reverse("password-change"), STAFF_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("customers:list")
    site_admin_cbn.refresh_from_db()
    assert site_admin_cbn.check_password(NEW_PASSWORD)
    assert message_texts(staff_client.get(reverse("customers:list"))) == ["Kata sandi Anda sudah diganti."]


def test_staff_header_links_password_page(staff_client):
    page = staff_client.get(reverse("customers:list")).content.decode()

    assert f'<a class="username" href="{reverse("password-change")}" title="Ganti kata sandi">admin-cbn</a>' in page


def test_customer_gets_404_on_staff_page(client_a):
    assert client_a.get(reverse("password-change")).status_code == 404


def test_admin_password_page_redirects(admin_client):
    response = admin_client.get(reverse("admin:password_change"))

    assert response.status_code == 302
    assert response.url == reverse("password-change")
