"""Making a site admin on the staff screen in a real browser, then logging in as them."""

import pytest

from customers.models import Customer
from tests.browser import browser_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "rahasia-admin-123"
NEW_PASSWORD = "Rahasia-Staf-2026"


@pytest.fixture
def page(live_server, django_user_model):
    """A browser page logged in as an admin."""
    django_user_model.objects.create_user(username="admin", password=ADMIN_PASSWORD, is_staff=True, is_superuser=True)
    with browser_page(live_server.url) as page:
        log_in(page, live_server.url, "admin", ADMIN_PASSWORD)
        yield page


def test_create_site_admin_and_log_in(page, live_server, sample_catalogue):
    sites, _packages = sample_catalogue
    Customer.objects.create(number="PLG-0001", name="Budi Santoso", site=sites["CBN"])
    Customer.objects.create(number="PLG-0002", name="Sri Wahyuni", site=sites["BJG"])

    # English, because the staff screen's texts have no Indonesian translation yet.
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.click("nav.menu a[href='/staff/']")
    page.click("a[href='/staff/new/']")
    page.fill("#id_username", "admin-cbn")
    page.fill("#id_full_name", "Dewi Lestari")

    # Sites and rights show only while the role is site admin.
    page.check("input[name=role][value=admin]")
    assert page.is_hidden("#id_sites")
    assert page.is_hidden("#id_rights")
    page.check("input[name=role][value=site_admin]")
    assert page.is_visible("#id_sites")

    page.check(f"input[name=sites][value='{sites['CBN'].pk}']")
    page.check("input[name=rights][value='customers.export_customers']")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/")

    row = page.locator("#staff tr", has_text="admin-cbn")
    assert row.locator("td").nth(1).inner_text() == "Dewi Lestari"
    assert row.locator("td").nth(2).inner_text() == "Site admin"
    assert row.locator("td").nth(3).inner_text() == "Cibinong"
    assert row.locator("td").nth(4).inner_text() == "Can export customers"

    page.click(".account button.link")
    log_in(page, live_server.url, "admin-cbn", NEW_PASSWORD)
    assert page.locator("text=PLG-0001").count() == 1
    assert page.locator("text=PLG-0002").count() == 0
    assert page.locator("nav.menu a[href='/staff/']").count() == 0
