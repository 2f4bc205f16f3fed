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


LEAVE_PROMPTED = """() => {
    const event = new Event("beforeunload", {cancelable: true});
    window.dispatchEvent(event);
    return event.defaultPrevented;
}"""


def invite_in_english(page, live_server_url, numbers):
    """Log in as admin with English pages, tick the customers `numbers` and
    create their invitation links."""
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server_url}])
    log_in(page, live_server_url, "admin", PASSWORD)
    for number in numbers:
        page.check(f"input[aria-label='Select {number}']")
    page.click("#bulk-invite")
    page.click("#invite-confirm")
    page.wait_for_selector("#invited")
    # The table appears before the deferred invite-sent.js has run.
    page.wait_for_load_state("load")


def test_leaving_with_unsent_invitations_asks(live_server, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    for number, name, phone in [("PLG-0001", "Budi Santoso", "+6281234567890"), ("PLG-0002", "Siti Aminah", "")]:
        Customer.objects.create(number=number, name=name, phone=phone, site=sites["CBN"])
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)

    with browser_page(live_server.url) as page:
        invite_in_english(page, live_server.url, ["PLG-0001", "PLG-0002"])
        second_button = page.inner_text("#invited tbody tr:nth-child(2) a.whatsapp")
        prompted_at_start = page.evaluate(LEAVE_PROMPTED)
        with page.expect_popup() as popup:
            page.click("#invited tbody tr:first-child a.whatsapp")
        popup.value.close()
        prompted_with_one_unsent = page.evaluate(LEAVE_PROMPTED)
        with page.expect_popup() as popup:
            page.click("#invited tbody tr:nth-child(2) a.whatsapp")
        popup.value.close()
        prompted_when_all_sent = page.evaluate(LEAVE_PROMPTED)

    assert second_button == "Send via WhatsApp (choose the contact in WhatsApp)"
    assert prompted_at_start is True
    assert prompted_with_one_unsent is True
    assert prompted_when_all_sent is False


def test_copy_all_ends_leave_prompt(live_server, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    Customer.objects.create(number="PLG-0001", name="Budi Santoso", phone="+6281234567890", site=sites["CBN"])
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)

    with browser_page(live_server.url) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        invite_in_english(page, live_server.url, ["PLG-0001"])
        prompted_before = page.evaluate(LEAVE_PROMPTED)
        page.click(".invite-copy-all summary")
        page.click("#invite-copy-all")
        page.wait_for_function("() => navigator.clipboard.readText().then((text) => text.length > 0)")
        page.wait_for_function("() => document.getElementById('invite-copy-all').textContent === 'Copied'")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        shown = page.input_value("#invite-all-messages")
        prompted_after = page.evaluate(LEAVE_PROMPTED)

    assert prompted_before is True
    assert copied == shown
    assert copied.startswith("PLG-0001 · Budi Santoso · 0812-3456-7890\nHalo Budi Santoso, Anda diundang")
    assert prompted_after is False


def test_failed_copy_keeps_leave_prompt(live_server, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    Customer.objects.create(number="PLG-0001", name="Budi Santoso", phone="+6281234567890", site=sites["CBN"])
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)

    with browser_page(live_server.url) as page:
        invite_in_english(page, live_server.url, ["PLG-0001"])
        # A clipboard that refuses, as a browser without the permission does.
        page.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); }")
        page.click(".invite-copy-all summary")
        page.click("#invite-copy-all")
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'invite-all-messages'")
        prompted_after = page.evaluate(LEAVE_PROMPTED)

    assert prompted_after is True
