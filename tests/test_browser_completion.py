"""Completing a customer in a real browser: the region selects and the map
pin on the edit page, and the bulk change from the list."""

from decimal import Decimal

import pytest

from customers.bulk import BULK_CHANGE_REASON
from customers.models import Customer
from tests.browser import browser_page, log_in, wait_for_option

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"
PABUARAN_CIBINONG = "32.01.01.1012"


@pytest.fixture
def page(live_server, regions_loaded, django_user_model):
    """A browser page logged in as an admin."""
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    with browser_page(live_server.url) as page:
        log_in(page, live_server.url, "admin", PASSWORD)
        yield page


def test_edit_page_picks_village_and_pin(page, live_server, sample_catalogue):
    sites, packages = sample_catalogue
    customer = Customer.objects.create(
        number="PLG-0001", name="Budi Santoso", address="Jl. Mawar No. 5", site=sites["CBN"], package=packages["H20"]
    )
    edit_url = f"{live_server.url}/customers/{customer.pk}/"
    page.goto(edit_url)
    assert page.evaluate("typeof L") == "object", "Leaflet did not load on the edit page"

    # Province, regency, district and village, each list loaded without a page reload.
    page.select_option("#id_village_province", "32")
    wait_for_option(page, "id_village_regency", "32.01")
    page.select_option("#id_village_regency", "32.01")
    wait_for_option(page, "id_village_district", "32.01.01")
    page.fill("#id_village_district_filter", "cibinong")
    wait_for_option(page, "id_village_village", PABUARAN_CIBINONG)
    page.fill("#id_village_village_filter", "pabuaran")
    page.press("#id_village_village_filter", "Enter")
    assert page.input_value("#id_village") == PABUARAN_CIBINONG
    assert page.url == edit_url

    # Coordinates pasted into the map's text box move the pin and fill both inputs.
    page.fill("#id_location", "-6.4812, 106.8421")
    page.press("#id_location", "Enter")
    assert page.input_value("#id_latitude") == "-6.481200"
    assert page.input_value("#id_longitude") == "106.842100"
    assert page.inner_text(".location-feedback") == "Pin dipasang di -6.481200, 106.842100."

    page.fill("#id_street", "Jl. Mawar No. 5 RT 01/RW 02")
    page.click("button[name=save]")
    page.wait_for_selector(".message.success")
    assert page.inner_text(".message.success") == "Pelanggan PLG-0001 disimpan."

    customer.refresh_from_db()
    assert customer.village_id == PABUARAN_CIBINONG
    assert customer.latitude == Decimal("-6.481200")
    assert customer.longitude == Decimal("106.842100")
    assert customer.street == "Jl. Mawar No. 5 RT 01/RW 02"
    # The saved village fills the four selects again.
    assert page.input_value("#id_village_district") == "32.01.01"
    assert page.input_value("#id_village_village") == PABUARAN_CIBINONG
    history = page.inner_text("section.history")
    assert f"Kelurahan/Desa: — → Pabuaran ({PABUARAN_CIBINONG})" in history


def test_list_ticks_page_and_sets_package(page, live_server, sample_catalogue):
    sites, packages = sample_catalogue
    for index in range(1, 4):
        Customer.objects.create(number=f"PLG-000{index}", name=f"Pelanggan {index}", site=sites["CBN"])
    Customer.objects.create(number="PLG-0009", name="Lengkap", address="Jl. A", site=sites["BJG"], package=packages["H10"])

    page.goto(f"{live_server.url}/customers/?missing=package")
    page.check("[data-select-page]")
    assert page.locator("input[name='bulk-customers']:checked").count() == 3
    page.select_option("#id_bulk-package", label="Home 20 Mbps")
    page.click("#bulk-submit")
    page.wait_for_selector("#bulk-count")
    assert page.inner_text("#bulk-count") == "3 pelanggan dipilih."

    page.click("#bulk-confirm")
    page.wait_for_url(f"{live_server.url}/customers/?missing=package")
    assert page.inner_text(".message.success") == "3 pelanggan diubah: Paket: Home 20 Mbps. Batalkan perubahan massal ini"
    assert page.locator("input[name='bulk-customers']").count() == 0

    packages_by_number = dict(Customer.objects.values_list("number", "package__code"))
    assert packages_by_number == {"PLG-0001": "H20", "PLG-0002": "H20", "PLG-0003": "H20", "PLG-0009": "H10"}
    assert Customer.history.filter(history_change_reason=BULK_CHANGE_REASON).count() == 3
