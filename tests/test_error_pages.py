"""Error pages use the app's layout and the chosen language, never Django's
built-in English pages."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_staff_client(client, django_user_model):
    """A staff user without any right, who may not open the upload page."""
    user = django_user_model.objects.create_user(username="staf-biasa", is_staff=True)
    client.force_login(user)
    return client


def test_missing_page_keeps_indonesian_layout(admin_client):
    response = admin_client.get("/customers/999999/")
    page = response.content.decode()

    assert response.status_code == 404
    assert '<html lang="id">' in page
    assert "Riwayat impor" in page
    assert "The requested resource was not found" not in page


def test_missing_page_in_english(admin_client):
    admin_client.cookies["django_language"] = "en"

    response = admin_client.get("/tidak-ada/")
    page = response.content.decode()

    assert response.status_code == 404
    assert '<html lang="en">' in page
    assert "<h1>Page not found</h1>" in page
    assert f'href="{reverse("home")}"' in page


def test_denied_page_keeps_layout(plain_staff_client):
    plain_staff_client.cookies["django_language"] = "en"

    response = plain_staff_client.get(reverse("customers:upload"))
    page = response.content.decode()

    assert response.status_code == 403
    assert '<html lang="en">' in page
    assert "<h1>Access denied</h1>" in page
    assert "Import history" in page


def test_server_error_page_in_language():
    request = RequestFactory().get("/customers/")

    with translation.override("en"):
        english = defaults.server_error(request)
    with translation.override("id"):
        indonesian = defaults.server_error(request)

    assert english.status_code == 500
    assert "<h1>Server error</h1>" in english.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="id">' in indonesian.content.decode()


def test_bad_request_page_in_language():
    request = RequestFactory().get("/customers/")

    with translation.override("en"):
        response = defaults.bad_request(request, exception=None)

    assert response.status_code == 400
    assert "<h1>Invalid request</h1>" in response.content.decode()
