"""A person uploads the sample workbook in a real browser."""

import pytest
from openpyxl import load_workbook

from customers.models import Customer
from tests.browser import browser_page
from tests.importing_helpers import SAMPLE_XLSX

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_sample_in_browser(live_server, sample_catalogue, expected, tmp_path, django_user_model):
    django_user_model.objects.create_user(username="admin", password="rahasia-admin-123", is_staff=True, is_superuser=True)

    with browser_page(live_server.url) as page:
        page.goto(f"{live_server.url}/customers/")
        assert page.locator("h1").first.inner_text() == "Masuk"
        page.fill("#id_username", "admin")
        page.fill("#id_password", "rahasia-admin-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/customers/")

        page.click("a.button.upload")
        page.wait_for_url(f"{live_server.url}/customers/upload/")
        with page.expect_download() as download_info:
            page.click("text=Unduh Template Excel")
        template_path = tmp_path / "template.xlsx"
        download_info.value.save_as(template_path)
        assert load_workbook(template_path).sheetnames == ["Pelanggan", "Daftar", "Petunjuk"]

        page.set_input_files("input[name=file]", str(SAMPLE_XLSX))
        page.click("button.primary[type=submit]")
        page.wait_for_selector("#confirm-button")
        assert page.inner_text("#count-new") == "8"
        page.click("#confirm-button")
        page.wait_for_selector("#count-created")
        assert page.inner_text("#count-created") == "8"

        page.goto(f"{live_server.url}/customers/?incomplete=1")
        chip = page.locator("#incomplete-filter")
        assert chip.locator(".count").inner_text() == str(expected["incomplete_count"])
        rows = page.locator("table#customers tbody tr")
        assert rows.count() == expected["incomplete_count"]
        shown = sorted(rows.nth(i).locator("td").first.inner_text() for i in range(rows.count()))
        assert shown == sorted(c["number"] for c in expected["customers"] if c["incomplete"])

    assert Customer.objects.count() == 8
