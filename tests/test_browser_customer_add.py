"""Adding a customer from the customer list in a real browser."""

import pytest

from customers.models import Customer
from tests.browser import browser_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"


def test_add_customer_from_list(live_server, regions_loaded, sample_catalogue, django_user_model):
    sites, packages = sample_catalogue
    Customer.objects.create(number="PLG-0007", name="Budi Santoso", site=sites["CBN"])
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)

    with browser_page(live_server.url) as page:
        # The test reads the messages in English.
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        log_in(page, live_server.url, "admin", PASSWORD)
        page.click("#customer-add")
        page.wait_for_url(f"{live_server.url}/customers/new/")
        page.fill("#id_name", "Rina Marlina")
        page.fill("#id_phone", "0812 9999 8888")
        page.select_option("#id_site", str(sites["CTY"].pk))
        page.select_option("#id_package", str(packages["H20"].pk))
        page.click("button[name=save_add]")
        page.wait_for_url(f"{live_server.url}/customers/new/?site={sites['CTY'].pk}")
        message = page.inner_text(".messages")
        chosen_site = page.input_value("#id_site")

    customer = Customer.objects.get(name="Rina Marlina")
    assert customer.number == "PLG-0008"
    assert customer.phone == "+6281299998888"
    assert customer.site == sites["CTY"]
    assert customer.package == packages["H20"]
    assert message == "Customer PLG-0008 added."
    assert chosen_site == str(sites["CTY"].pk)
