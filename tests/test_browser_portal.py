"""The customer portal in a real browser: invitation, password, login and own data.

Map tiles are never fetched: tests.browser aborts every request that is not
for the live server, and Leaflet works without its tiles.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from portal.links import link_create
from tests.browser import browser_page
from tests.test_portal_fixtures import give_portal_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "jaringan-rumah-budi-58"
PABUARAN_CIBINONG = "32.01.01.1012"


@pytest.fixture
def customer(sample_catalogue, regions_loaded):
    sites, packages = sample_catalogue
    return Customer.objects.create(
        number="PLG-0001",
        name="Budi Santoso",
        phone="+6281234567890",
        site=sites["CBN"],
        package=packages["H20"],
    )


def wait_for_option(page, select_id, value):
    page.wait_for_selector(f"#{select_id} option[value='{value}']", state="attached")


def test_invited_customer_saves_map_pin(live_server, customer):
    invitation = link_create(customer)

    with browser_page(live_server.url) as page:
        # The invitation link: set a password, which also logs in.
        page.goto(live_server.url + invitation.path)
        assert page.inner_text("h1") == "Buat kata sandi Anda"
        page.fill("#id_new_password1", PASSWORD)
        page.fill("#id_new_password2", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/portal/")

        # Log out, then log in again with the phone number in another notation.
        page.click(".account button.link")
        page.wait_for_url(f"{live_server.url}/portal/login/")
        page.fill("#id_username", "0812 3456 7890")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/portal/")
        assert page.inner_text("#customer-number") == "PLG-0001"

        # Edit own data: street with RT/RW, address, village and map pin.
        page.click("text=Ubah data saya")
        page.wait_for_url(f"{live_server.url}/portal/profile/")
        assert page.evaluate("typeof L") == "object", "Leaflet did not load: /static/leaflet/leaflet.js is not served"
        page.fill("#id_street", "Jl. Mawar No. 5 RT 002/RW 003")
        page.fill("#id_address", "Dekat masjid Al-Ikhlas")

        page.select_option("#id_village_province", "32")
        wait_for_option(page, "id_village_regency", "32.01")
        page.select_option("#id_village_regency", "32.01")
        wait_for_option(page, "id_village_district", "32.01.01")
        page.select_option("#id_village_district", "32.01.01")
        wait_for_option(page, "id_village_village", PABUARAN_CIBINONG)
        page.select_option("#id_village_village", PABUARAN_CIBINONG)

        # Paste the coordinates as a person does: through the clipboard.
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        page.evaluate("navigator.clipboard.writeText('-6.4812, 106.8421')")
        page.focus("#id_location")
        page.keyboard.press("Control+V")
        # expect() polls without eval, which the content security policy forbids.
        expect(page.locator("#id_latitude")).to_have_value("-6.481200")
        assert page.input_value("#id_longitude") == "106.842100"
        assert page.inner_text(".location-feedback") == "Pin dipasang di -6.481200, 106.842100."
        assert page.locator(".leaflet-marker-icon").count() == 1

        page.click("#profile-form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/portal/")
        assert page.inner_text(".messages") == "Data Anda sudah disimpan."

    customer.refresh_from_db()
    assert customer.user is not None
    assert customer.user.is_staff is False
    assert customer.street == "Jl. Mawar No. 5 RT 002/RW 003"
    assert customer.address == "Dekat masjid Al-Ikhlas"
    assert customer.village_id == PABUARAN_CIBINONG
    assert customer.latitude == Decimal("-6.481200")
    assert customer.longitude == Decimal("106.842100")
    latest = customer.history.latest("history_id")
    assert latest.history_user == customer.user


def test_staff_copies_invitation_link(live_server, customer, django_user_model):
    django_user_model.objects.create_user(username="admin", password="rahasia-admin-123", is_staff=True, is_superuser=True)

    with browser_page(live_server.url) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "rahasia-admin-123")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/customers/")

        page.goto(f"{live_server.url}/customers/{customer.pk}/")
        page.click("text=Undang ke Portal")
        page.click("text=Buat tautan undangan")
        link = page.input_value("#portal-link")
        assert link.startswith(f"{live_server.url}/portal/link/")
        assert page.get_attribute("#whatsapp-link", "href").startswith("https://wa.me/6281234567890?text=Halo%20Budi")

        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        page.click("[data-copy-target=portal-link]")
        expect(page.locator("[data-copy-target=portal-link]")).to_have_text("Tersalin")
        assert page.evaluate("navigator.clipboard.readText()") == link


def log_in_to_profile(page, live_server_url):
    page.goto(f"{live_server_url}/portal/login/")
    page.fill("#id_username", "PLG-0001")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server_url}/portal/")
    page.goto(f"{live_server_url}/portal/profile/")


def test_use_my_location_sets_pin(live_server, customer):
    give_portal_password(customer, PASSWORD)

    with browser_page(live_server.url) as page:
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        page.context.grant_permissions(["geolocation"], origin=live_server.url)
        page.context.set_geolocation({"latitude": -6.4812, "longitude": 106.8421, "accuracy": 12})
        log_in_to_profile(page, live_server.url)
        page.click(".location-locate")
        expect(page.locator("#id_latitude")).to_have_value("-6.481200")
        longitude = page.input_value("#id_longitude")
        feedback = page.inner_text(".location-feedback")
        markers = page.locator(".leaflet-marker-icon").count()

    assert longitude == "106.842100"
    assert feedback == (
        "Pin set at your location, -6.481200, 106.842100 (accurate to about 12 m). Drag the pin if it is off."
    )
    assert markers == 1


@pytest.mark.parametrize(
    ("accuracy", "feedback"),
    [
        # The default of Playwright's and Chromium's emulated positions.
        (0, "Pin set at your location, -6.481200, 106.842100. Drag the pin if it is off."),
        (0.4, "Pin set at your location, -6.481200, 106.842100 (accurate to about 1 m). Drag the pin if it is off."),
    ],
)
def test_use_my_location_below_one_metre(live_server, customer, accuracy, feedback):
    give_portal_password(customer, PASSWORD)

    with browser_page(live_server.url) as page:
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        page.context.grant_permissions(["geolocation"], origin=live_server.url)
        page.context.set_geolocation({"latitude": -6.4812, "longitude": 106.8421, "accuracy": accuracy})
        log_in_to_profile(page, live_server.url)
        page.click(".location-locate")
        expect(page.locator("#id_latitude")).to_have_value("-6.481200")
        feedback_text = page.inner_text(".location-feedback")

    assert feedback_text == feedback


def test_use_my_location_refused(live_server, customer):
    give_portal_password(customer, PASSWORD)

    with browser_page(live_server.url) as page:
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        log_in_to_profile(page, live_server.url)
        page.click(".location-locate")
        expect(page.locator(".location-feedback.error")).to_have_text(
            "Access to your location was refused. Allow it in the browser settings for this site, or drag the pin."
        )
        latitude = page.input_value("#id_latitude")

    assert latitude == ""
