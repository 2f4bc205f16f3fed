"""The customer list's area filter in a real browser: the cascading selects
may stop at any level, and the lowest level chosen filters the list."""

import re

import pytest

from customers.models import Customer
from tests.browser import browser_page, log_in, wait_for_option

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"


@pytest.fixture
def page(live_server, regions_loaded, sample_catalogue, django_user_model):
    """A browser page logged in as an admin, with customers in three areas."""
    sites, _packages = sample_catalogue
    rows = [
        ("PLG-0001", "Budi Santoso", "32.01.01.1012"),  # Pabuaran, Kecamatan Cibinong
        ("PLG-0002", "Siti Rahmawati", "32.01.01.1007"),  # Pakansari, Kecamatan Cibinong
        ("PLG-0003", "Agus Salim", "32.01.13.2001"),  # Bojongbaru, Kecamatan Bojonggede
        ("PLG-0004", "Dewi Lestari", "32.76.01.1007"),  # Depok Jaya, Kota Depok
    ]
    for number, name, village in rows:
        Customer.objects.create(number=number, name=name, site=sites["CBN"], village_id=village)
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    with browser_page(live_server.url) as page:
        log_in(page, live_server.url, "admin", PASSWORD)
        yield page


def listed_numbers(page):
    return page.locator("#customers tbody td[data-label='ID Pelanggan'] a").all_inner_texts()


def search(page):
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")


def test_filter_by_district_then_by_regency(page, live_server):
    page.goto(f"{live_server.url}/customers/")
    assert listed_numbers(page) == ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004"]

    page.select_option("#id_area_province", "32")
    wait_for_option(page, "id_area_regency", "32.01")
    page.select_option("#id_area_regency", "32.01")
    wait_for_option(page, "id_area_district", "32.01.01")
    page.fill("#id_area_district_filter", "cibinong")
    wait_for_option(page, "id_area_village", "32.01.01.1012")
    search(page)

    assert re.search(r"[?&]area=32\.01\.01(&|$)", page.url)
    assert listed_numbers(page) == ["PLG-0001", "PLG-0002"]
    # The page shows the chosen district and offers its villages.
    assert page.input_value("#id_area_district") == "32.01.01"
    assert page.input_value("#id_area_village") == ""

    # Back to "choose a district": the regency chosen above filters instead.
    page.select_option("#id_area_district", "")
    assert page.input_value("#id_area") == "32.01"
    search(page)

    assert listed_numbers(page) == ["PLG-0001", "PLG-0002", "PLG-0003"]
