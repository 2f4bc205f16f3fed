"""The staff pages in a real browser on a phone-sized viewport.

A page fits the phone when document.documentElement.scrollWidth is no wider
than the viewport. A wide table scrolls inside its own wrapper instead.
"""

import shutil

import pytest
from django.contrib.auth.models import Permission

from customers.importing import batches
from customers.models import Customer, CustomerExport, ImportBatch
from portal.models import ChangeRequest
from tests.browser import browser_page, log_in
from tests.importing_helpers import SAMPLE_XLSX, run_import, write_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def page(live_server, regions_loaded, django_user_model):
    """A browser page logged in as an admin, with the phone viewport."""
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    with browser_page(live_server.url) as page:
        page.set_viewport_size(PHONE)
        log_in(page, live_server.url, "admin", PASSWORD)
        yield page


@pytest.fixture
def staff_paths(sample_catalogue, tmp_path, django_user_model):
    """The staff pages to open, with an imported batch, an edited customer,
    change requests and a site admin, so every table has rows."""
    sites, packages = sample_catalogue
    # A long file name without spaces, which must wrap in the batch page's heading.
    workbook = tmp_path / "data_pelanggan_cabang_cibinong_desember_2026_revisi_final.xlsx"
    shutil.copy(SAMPLE_XLSX, workbook)
    exit_code, _result, stderr = run_import(workbook)
    assert exit_code == 0, stderr
    batch = ImportBatch.objects.get()

    customer = Customer.objects.create(
        number="PLG-0100",
        name="Raden Ajeng Siti Nurhaliza Kartikasari Wijayakusuma",
        phone="+6281234567890",
        nik="3271010101800011",
        street="Jl. Raya Pabuaran Cibinong No. 125 RT 004/RW 011",
        address="Perumahan Griya Asri Blok C7, samping masjid Al-Ikhlas",
        site=sites["CBN"],
        package=packages["H20"],
    )
    customer.package = packages["H10"]
    customer.save()
    ChangeRequest.objects.create(customer=customer, field=ChangeRequest.Field.NIK, new_value="3271010101800022")
    ChangeRequest.objects.create(
        customer=customer,
        field=ChangeRequest.Field.PHONE,
        new_value="+6285711112222",
        status=ChangeRequest.Status.REJECTED,
    )

    site_admin = django_user_model.objects.create_user(
        username="admin.cibinong.bojonggede", first_name="Raden Ajeng Siti Nurhaliza", is_staff=True
    )
    site_admin.managed_sites.add(sites["CBN"], sites["BJG"])
    site_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="customers"))

    export = CustomerExport.objects.create(
        created_by=site_admin,
        state=CustomerExport.State.FAILED,
        error_code="worker_lost",
        rows_total=125_000,
        file_name="pelanggan-belum-lengkap-20250105.xlsx",
    )

    return [
        "/customers/",
        "/customers/?incomplete=1",
        f"/customers/{customer.pk}/",
        "/customers/new/",
        "/customers/dashboard/",
        "/customers/upload/",
        "/customers/imports/",
        f"/customers/imports/{batch.pk}/",
        f"/customers/imports/{batch.pk}/?kind=problem",
        f"/customers/imports/{batch.pk}/undo/",
        "/customers/exports/",
        f"/customers/exports/{export.pk}/",
        "/regions/map/",
        "/sites/",
        f"/sites/{sites['CBN'].pk}/",
        "/packages/",
        f"/packages/{packages['H20'].pk}/",
        "/portal/staff/requests/",
        f"/portal/staff/customers/{customer.pk}/link/",
        f"/customers/{customer.pk}/anonymise/",
        "/staff/",
        "/staff/new/",
        f"/staff/{site_admin.pk}/",
    ]


def open_page(page, url):
    """Open `url` and wait for its load event, failing the test unless the response is 200."""
    response = page.goto(url)
    assert response.status == 200, f"{url} returned {response.status}"
    page.wait_for_load_state("load")


def test_staff_pages_fit_phone_width(page, live_server, staff_paths):
    widths = {}
    for path in staff_paths:
        open_page(page, live_server.url + path)
        widths[path] = page.evaluate("document.documentElement.scrollWidth")

    too_wide = {path: width for path, width in widths.items() if width > PHONE["width"]}
    assert too_wide == {}


def test_wide_table_scrolls_inside_wrapper(page, live_server, staff_paths):
    open_page(page, f"{live_server.url}/customers/imports/")

    table = page.locator("table#batches")
    table_width = table.evaluate("table => table.scrollWidth")
    wrapper_overflow = table.evaluate("table => getComputedStyle(table.parentElement).overflowX")

    assert table_width > PHONE["width"]
    assert wrapper_overflow == "auto"


def test_navigation_links_visible_on_phone(page, live_server):
    open_page(page, f"{live_server.url}/customers/")

    links = page.locator("nav.menu a")
    assert links.count() == 8
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None, links.nth(index).inner_text()
        assert box["x"] >= 0, links.nth(index).inner_text()
        assert box["x"] + box["width"] <= PHONE["width"], links.nth(index).inner_text()
    logout = page.locator(".account button.link").bounding_box()
    assert logout["x"] + logout["width"] <= PHONE["width"]


def test_navigation_one_row_on_desktop(page, live_server):
    page.set_viewport_size(DESKTOP)
    open_page(page, f"{live_server.url}/customers/")

    brand_top = page.locator(".topbar .brand").bounding_box()["y"]
    link_tops = {round(link.bounding_box()["y"]) for link in page.locator("nav.menu a").all()}
    logout_top = page.locator(".account button.link").bounding_box()["y"]

    assert len(link_tops) == 1
    assert abs(min(link_tops) - brand_top) < 10
    assert abs(logout_top - brand_top) < 10


def test_favicon_linked_and_served(page, live_server):
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    open_page(page, f"{live_server.url}/customers/")
    assert failed == []

    # Headless Chromium fetches no icon by itself, so the test requests the linked one.
    icon_link = page.locator("link[rel=icon]")
    assert icon_link.count() == 1
    icon = page.request.get(live_server.url + icon_link.get_attribute("href"))
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")


def test_findings_message_column_on_desktop(page, live_server, sample_catalogue, tmp_path):
    maps_link = "https://www.google.com/maps/place/-6.4817,106.8540/@-6.4817,106.8540,17z/data=" + "x" * 200
    workbook = write_workbook(tmp_path / "panjang.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Alamat", "Site", "Paket", "Latitude", "Longitude"],
        ["PLG-0301", "A" * 1000, "081200000301", "Jl. A", "Cibinong", "H10", maps_link, "106.8540"],
    ])
    with open(workbook, "rb") as handle:
        batch = batches.validate_batch(batches.create_batch(handle, workbook.name))
    page.set_viewport_size(DESKTOP)

    open_page(page, f"{live_server.url}/customers/imports/{batch.pk}/?kind=problem")

    table = page.locator("table.findings")
    assert table.evaluate("table => table.scrollWidth <= table.parentElement.clientWidth")
    for message in page.locator("table.findings td.finding-message").all():
        box = message.bounding_box()
        assert box["x"] + box["width"] <= DESKTOP["width"], message.inner_text()
