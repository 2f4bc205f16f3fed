"""Portal invitations for ticked customers in a real browser: the list's
second bulk button, the confirmation and the WhatsApp buttons."""

import pytest

from customers.models import Customer
from portal.models import PortalLink
from tests.browser import browser_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"


def test_invite_ticked_customers(live_server, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    for number, name, phone in [
        ("PLG-0001", "Budi Santoso", "+6281234567890"),
        ("PLG-0002", "Siti Aminah", "+6281311112222"),
        ("PLG-0003", "Agus Salim", "+6281355556666"),
    ]:
        Customer.objects.create(number=number, name=name, phone=phone, site=sites["CBN"])
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)

    with browser_page(live_server.url) as page:
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        log_in(page, live_server.url, "admin", PASSWORD)
        page.check("input[aria-label='Select PLG-0001']")
        page.check("input[aria-label='Select PLG-0003']")
        page.click("#bulk-invite")
        page.wait_for_url(f"{live_server.url}/customers/bulk/invite/")
        planned = page.inner_text("#invite-list")
        page.click("#invite-confirm")
        page.wait_for_selector("#invited")
        with page.expect_popup() as popup:
            page.click("#invited tbody tr:first-child a.whatsapp")
        popup.value.close()
        first_row = page.get_attribute("#invited tbody tr:first-child", "class")
        first_button = page.inner_text("#invited tbody tr:first-child a.whatsapp")
        second_row = page.get_attribute("#invited tbody tr:nth-child(2)", "class")

    assert planned.splitlines() == ["PLG-0001 · Budi Santoso · 0812-3456-7890", "PLG-0003 · Agus Salim · 0813-5555-6666"]
    assert sorted(PortalLink.objects.values_list("customer__number", flat=True)) == ["PLG-0001", "PLG-0003"]
    assert first_row == "sent"
    assert first_button == "Opened in WhatsApp"
    assert second_row is None
