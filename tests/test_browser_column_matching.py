"""An admin matches an unrecognised column in a real browser."""

import pytest

from customers.models import Customer, ImportBatch
from tests.browser import browser_page, log_in
from tests.importing_helpers import write_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_match_phone_column_in_browser(live_server, sample_catalogue, tmp_path, django_user_model):
    django_user_model.objects.create_user(username="admin", password="rahasia-admin-123", is_staff=True, is_superuser=True)
    path = write_workbook(tmp_path / "kontak.xlsx", [
        ["Nama", "Alamat", "Kontak Utama"],
        ["Ani", "Jl. Mawar 1", "0812-3456-7001"],
        ["Bayu", "Jl. Melati 2", "0812 3456 7002"],
    ])

    with browser_page(live_server.url) as page:
        log_in(page, live_server.url, "admin", "rahasia-admin-123")
        page.goto(f"{live_server.url}/customers/upload/")
        page.set_input_files("input[name=file]", str(path))
        page.click("button.primary[type=submit]")
        page.wait_for_selector("#column-map")
        assert page.inner_text("#unknown-columns").split(": ", 1)[1].startswith("Kontak Utama (")
        assert "0812-3456-7001 · 0812 3456 7002" in page.inner_text("#column-map")

        page.select_option("select[name=column_2]", "phone")
        page.click("#check-again")
        page.wait_for_selector("#confirm-button")
        assert page.locator("#unknown-columns").count() == 0
        assert page.input_value("select[name=column_2]") == "phone"
        page.click("#confirm-button")
        page.wait_for_selector("#count-created")
        assert page.inner_text("#count-created") == "2"

    assert ImportBatch.objects.get().column_map == {"2": "phone"}
    assert sorted(Customer.objects.values_list("phone", flat=True)) == ["+6281234567001", "+6281234567002"]
