"""The staff and portal pages in a real browser on a phone-sized viewport.

A page fits the phone when document.documentElement.scrollWidth is no wider
than the viewport. A wide table scrolls inside its own wrapper instead, or,
when it has the class "stack", shows each row as a card. The primary actions
of a page must be on screen and at least TAP_TARGET_MIN pixels high.

Below 700 px the main menu is hidden behind a Menu button, and the customer
form's submit buttons stick to the bottom of the viewport.
"""

import shutil
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Permission

from customers.importing import batches
from customers.importing.matching import learn_alias
from customers.models import Customer, CustomerExport, ImportBatch
from portal.models import ChangeRequest
from tests.browser import browser_page, log_in
from tests.importing_helpers import SAMPLE_XLSX, run_import, write_workbook
from tests.test_portal_fixtures import give_portal_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"
PORTAL_PASSWORD = "kabel-fiber-mawar-91"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Apple's iOS Human Interface Guidelines give tappable controls a hit target of about 44 by 44 points.
TAP_TARGET_MIN = 44

# Maximum height in CSS pixels of the top bar with the menu collapsed, which
# is one row of 44 px controls with its padding.
COLLAPSED_TOP_BAR_MAX_HEIGHT = 80

# Returns the start of the markup of what a tap at the element's center
# hits instead of the element, such as a map drawn over it, or "" when the
# tap hits the element.
COVERING_ELEMENT = """element => {
    const box = element.getBoundingClientRect();
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return element.contains(hit) ? "" : hit.outerHTML.slice(0, 80);
}"""

# Scrolls the page until the map's zoom-in button is at the height of the
# Save button's center.
SCROLL_ZOOM_BUTTON_BEHIND_SAVE = """() => {
    const zoom = document.querySelector(".leaflet-control-zoom-in").getBoundingClientRect();
    const save = document.querySelector("button[name=save]").getBoundingClientRect();
    window.scrollBy(0, (zoom.top + zoom.height / 2) - (save.top + save.height / 2));
}"""

# Returns the focused element's name and bottom edge, and the top edge of
# the customer form's submit bar, in viewport pixels.
FOCUSED_ELEMENT_AND_BAR = """() => {
    const focused = document.activeElement;
    return {
        name: focused.getAttribute("name") || focused.id || focused.className,
        bottom: focused.getBoundingClientRect().bottom,
        barTop: document.querySelector(".submit-bar").getBoundingClientRect().top,
    };
}"""

# Returns the text of each table cell in main that reaches past the viewport's
# left or right edge, also inside a scrolling wrapper.
CELLS_OFF_SCREEN = """width => Array.from(document.querySelectorAll("main td"))
    .filter(cell => {
        const box = cell.getBoundingClientRect();
        return box.width > 0 && (box.left < 0 || box.right > width);
    })
    .map(cell => cell.innerText.trim().slice(0, 40))"""


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
    """The staff pages to open, each with the CSS selectors of its primary
    actions, or an empty list for a page checked for its width only. An
    imported batch, a batch under review, an edited customer with a portal
    password, change requests, a site admin and remembered Site and Paket
    names give every table rows."""
    sites, packages = sample_catalogue
    # A long file name without spaces, which must wrap in the batch page's heading.
    workbook = tmp_path / "data_pelanggan_cabang_cibinong_desember_2026_revisi_final.xlsx"
    shutil.copy(SAMPLE_XLSX, workbook)
    exit_code, _result, stderr = run_import(workbook)
    assert exit_code == 0, stderr
    batch = ImportBatch.objects.get()
    review_workbook = write_workbook(tmp_path / "tinjau.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Alamat", "Site", "Paket"],
        ["PLG-0301", "Andi Wijaya", "081200000301", "Jl. Anggrek No. 1", "Cibinongg", "H10"],
        ["PLG-0302", "Sari Dewi", "0812", "Jl. Anggrek No. 2", "Cibinong", "Paket 99"],
    ])
    with open(review_workbook, "rb") as handle:
        review_batch = batches.validate_batch(batches.create_batch(handle, review_workbook.name))

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
        reject_reason="Nomor tidak aktif, mohon kirim nomor WhatsApp yang dipakai sekarang",
    )
    ChangeRequest.objects.create(
        customer=customer,
        field=ChangeRequest.Field.PACKAGE,
        package=packages["B100"],
        new_value=packages["B100"].name,
    )
    give_portal_password(customer, PORTAL_PASSWORD)

    site_admin = django_user_model.objects.create_user(
        username="admin.cibinong.bojonggede", first_name="Raden Ajeng Siti Nurhaliza", is_staff=True
    )
    site_admin.managed_sites.add(sites["CBN"], sites["BJG"])
    site_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="customers"))

    site_alias = learn_alias("site", "POP Cibinong Pabuaran Tengah Gang Masjid", sites["CBN"], site_admin)
    learn_alias("package", "Paket Rumahan Hemat 20 Mbps Promo Desember", packages["H20"], site_admin)

    export = CustomerExport.objects.create(
        created_by=site_admin,
        state=CustomerExport.State.FAILED,
        error_code="worker_lost",
        rows_total=125_000,
        file_name="pelanggan-belum-lengkap-20250105.xlsx",
    )

    return {
        "/customers/": [
            ".button.upload",
            "#customer-add",
            ".filters button[type=submit]",
            "#bulk-fold summary",
            "#customers tbody td:first-child a",
            "#customers th.select label",
            "#customers td.select label",
        ],
        "/customers/?incomplete=1&status=active": [
            ".filters select[name=status]",
            "#incomplete-filter",
            "#bulk-fold summary",
        ],
        f"/customers/{customer.pk}/": ["button[name=save]", "#whatsapp-chat"],
        "/customers/new/": ["button[name=save]", "button[name=save_add]"],
        "/customers/dashboard/": [],
        "/customers/upload/": ["main button.primary"],
        "/customers/imports/": [".button.upload", "#batches tbody td:first-child a"],
        f"/customers/imports/{batch.pk}/": ["#undo-link"],
        f"/customers/imports/{batch.pk}/?kind=problem": ["#undo-link"],
        f"/customers/imports/{batch.pk}/undo/": [],
        f"/customers/imports/{review_batch.pk}/": [
            "#confirm-button",
            "#unmatched .alias-form select",
            "#unmatched .alias-form button",
            "#findings .chip",
        ],
        "/customers/imports/names/": [],
        f"/customers/imports/names/site/{site_alias.pk}/delete/": ["#delete-confirm"],
        "/customers/exports/": ["#exports tbody td:first-child a"],
        f"/customers/exports/{export.pk}/": ["#retry-button"],
        "/regions/map/": [],
        "/sites/": [],
        f"/sites/{sites['CBN'].pk}/": [],
        "/packages/": [],
        f"/packages/{packages['H20'].pk}/": [],
        "/portal/staff/requests/": [
            "#waiting-requests button.primary",
            "#waiting-requests input[name=reason]",
            "#waiting-requests button.danger",
        ],
        f"/portal/staff/customers/{customer.pk}/link/": [],
        f"/customers/{customer.pk}/anonymise/": [],
        "/staff/": ["main a[href='/staff/new/']", "#staff tbody a"],
        "/staff/new/": [],
        f"/staff/{site_admin.pk}/": [],
    }


def open_page(page, url):
    """Open `url` and wait for its load event, failing the test unless the response is 200."""
    response = page.goto(url)
    assert response.status == 200, f"{url} returned {response.status}"
    page.wait_for_load_state("load")


def find_misplaced_actions(page, selectors):
    """Return a description of each element matching `selectors` that is
    off screen or shorter than TAP_TARGET_MIN, as (selector, problem, box)."""
    misplaced = []
    for selector in selectors:
        elements = page.locator(selector).all()
        if not elements:
            misplaced.append((selector, "not found", None))
        for element in elements:
            box = element.bounding_box()
            if box is None:
                misplaced.append((selector, "hidden", None))
            elif box["x"] < 0 or box["x"] + box["width"] > PHONE["width"]:
                misplaced.append((selector, "off screen", box))
            elif box["height"] < TAP_TARGET_MIN:
                misplaced.append((selector, "too short", box))
    return misplaced


def find_actions_off_viewport(page, selectors):
    """Return each of `selectors` whose element is not wholly inside the
    viewport at the current scroll position, with its box."""
    viewport = page.viewport_size
    off_viewport = []
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        if box is None or box["x"] < 0 or box["y"] < 0:
            off_viewport.append((selector, box))
        elif box["x"] + box["width"] > viewport["width"] or box["y"] + box["height"] > viewport["height"]:
            off_viewport.append((selector, box))
    return off_viewport


@dataclass
class PhoneLayoutProblems:
    """What does not fit the phone viewport, each as a dict by page path."""

    too_wide: dict = field(default_factory=dict)
    cells_off_screen: dict = field(default_factory=dict)
    misplaced_actions: dict = field(default_factory=dict)


def check_pages_on_phone(page, base_url, paths, problems):
    """Open each path of `paths`, a dict of path to action selectors, and
    add what does not fit the phone viewport to `problems`."""
    for path, action_selectors in paths.items():
        open_page(page, base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.too_wide[path] = width
        if not action_selectors:
            continue
        cells = page.evaluate(CELLS_OFF_SCREEN, PHONE["width"])
        if cells:
            problems.cells_off_screen[path] = cells
        misplaced = find_misplaced_actions(page, action_selectors)
        if misplaced:
            problems.misplaced_actions[path] = misplaced


def test_pages_fit_phone_width(page, live_server, staff_paths):
    problems = PhoneLayoutProblems()
    check_pages_on_phone(page, live_server.url, staff_paths, problems)

    page.click(".account button.link")
    check_pages_on_phone(page, live_server.url, {"/portal/login/": ["main button.primary"]}, problems)
    page.fill("#id_username", "PLG-0100")
    page.fill("#id_password", PORTAL_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    portal_paths = {
        "/portal/": [".actions a.button", "#change-requests button.link"],
        "/portal/profile/": ["#profile-form button.primary"],
        "/portal/requests/new/": ["main button.primary"],
        "/portal/requests/package/": ["main button.primary"],
        "/portal/password/change/": ["main button.primary"],
    }
    check_pages_on_phone(page, live_server.url, portal_paths, problems)

    assert problems.too_wide == {}
    assert problems.cells_off_screen == {}
    assert problems.misplaced_actions == {}


def test_wide_table_scrolls_inside_wrapper(page, live_server, sample_catalogue):
    open_page(page, f"{live_server.url}/customers/dashboard/")

    table = page.locator("table#completion")
    table_width = table.evaluate("table => table.scrollWidth")
    wrapper_overflow = table.evaluate("table => getComputedStyle(table.parentElement).overflowX")

    assert table_width > PHONE["width"]
    assert wrapper_overflow == "auto"


def test_menu_collapses_on_phone_only(page, live_server, sample_catalogue):
    sites, packages = sample_catalogue
    customer = Customer.objects.create(
        number="PLG-0100", name="Budi Santoso", site=sites["CBN"], package=packages["H10"]
    )
    ChangeRequest.objects.create(customer=customer, field=ChangeRequest.Field.NIK, new_value="3271010101800022")
    ChangeRequest.objects.create(customer=customer, field=ChangeRequest.Field.PHONE, new_value="+6285711112222")
    open_page(page, f"{live_server.url}/customers/")

    toggle = page.locator(".menu-toggle summary")
    links = page.locator("nav.menu a")
    assert page.locator("header.topbar").bounding_box()["height"] < COLLAPSED_TOP_BAR_MAX_HEIGHT
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert links.count() == 8
    assert [link.is_visible() for link in links.all()] == [False] * 8
    toggle_box = toggle.bounding_box()
    assert toggle_box["height"] >= TAP_TARGET_MIN
    assert toggle_box["x"] + toggle_box["width"] <= PHONE["width"]
    # The waiting change requests stay counted on the collapsed button.
    badge = toggle.locator("#menu-pending-requests")
    assert badge.is_visible()
    assert badge.inner_text() == "2"

    # Enter on the focused button opens the menu, as a click does.
    toggle.focus()
    page.keyboard.press("Enter")
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None, links.nth(index).inner_text()
        assert box["x"] >= 0, links.nth(index).inner_text()
        assert box["x"] + box["width"] <= PHONE["width"], links.nth(index).inner_text()
    logout = page.locator(".account button.link").bounding_box()
    assert logout["x"] + logout["width"] <= PHONE["width"]

    toggle.click()
    assert [link.is_visible() for link in links.all()] == [False] * 8

    # On a desktop the menu is one row beside the brand, even with the button closed.
    page.set_viewport_size(DESKTOP)
    brand_top = page.locator(".topbar .brand").bounding_box()["y"]
    link_tops = {round(link.bounding_box()["y"]) for link in links.all()}
    logout_top = page.locator(".account button.link").bounding_box()["y"]

    assert not toggle.is_visible()
    assert len(link_tops) == 1
    assert abs(min(link_tops) - brand_top) < 10
    assert abs(logout_top - brand_top) < 10
    assert page.locator("nav.menu #pending-requests").inner_text() == "2"


def test_save_bar_on_phone(page, live_server, sample_catalogue):
    sites, _packages = sample_catalogue
    # Without a package and an address both are incomplete, so the edit page offers Save & next.
    first = Customer.objects.create(number="PLG-0001", name="Budi Santoso", site=sites["CBN"])
    second = Customer.objects.create(number="PLG-0002", name="Sari Dewi", site=sites["CBN"])
    open_page(page, f"{live_server.url}/customers/{first.pk}/")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert find_actions_off_viewport(page, ["button[name=save]", "button[name=save_next]"]) == []
    assert page.locator("button[name=save]").evaluate(COVERING_ELEMENT) == ""
    # Leaflet's zoom buttons, on the location map, are tap targets too.
    for selector in [".leaflet-control-zoom-in", ".leaflet-control-zoom-out"]:
        box = page.locator(selector).bounding_box()
        assert box["width"] >= TAP_TARGET_MIN, selector
        assert box["height"] >= TAP_TARGET_MIN, selector

    # The bar is above the map, whose zoom buttons are in a layer of z-index
    # 1000, so a tap on Save reaches Save, not the map scrolled behind it.
    page.evaluate(SCROLL_ZOOM_BUTTON_BEHIND_SAVE)
    assert page.locator("button[name=save]").evaluate(COVERING_ELEMENT) == ""

    # Tab from the first field reaches Save, and no field it passes is behind the bar.
    page.evaluate("window.scrollTo(0, 0)")
    page.focus("#id_number")
    behind_bar = []
    for _press in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_ELEMENT_AND_BAR)
        if focused["name"] == "save":
            break
        if focused["bottom"] > focused["barTop"]:
            behind_bar.append(focused)
    assert focused["name"] == "save"
    assert behind_bar == []

    # At the end of the page the bar sits below the last field.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last_field = page.locator("#id_longitude").bounding_box()
    assert last_field["y"] + last_field["height"] <= page.locator(".submit-bar").bounding_box()["y"]

    # Enter on Save & next posts save_next, which opens the next incomplete customer.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/customers/{second.pk}/")

    open_page(page, f"{live_server.url}/customers/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert find_actions_off_viewport(page, ["button[name=save]", "button[name=save_add]"]) == []

    # On a desktop the submit buttons stay below the last field, in one row with Cancel.
    page.set_viewport_size(DESKTOP)
    open_page(page, f"{live_server.url}/customers/{second.pk}/")
    action_tops = {
        selector: round(page.locator(selector).bounding_box()["y"])
        for selector in ["button[name=save]", "button[name=save_next]", "main a.button[href='/customers/']"]
    }
    last_field = page.locator("#id_longitude").bounding_box()
    assert len(set(action_tops.values())) == 1, action_tops
    assert action_tops["button[name=save]"] > last_field["y"] + last_field["height"]
# Maximum height in CSS pixels of one customer card on the phone: a line
# with the 44 px ID link, a line of details and the card's padding.
CUSTOMER_CARD_MAX_HEIGHT = 100
# The ids of the customer list's sections that fold on a phone.
FOLDS = ("export-fold", "export-help-fold", "filter-fold", "bulk-fold")


def create_customers(site, package, count):
    for index in range(1, count + 1):
        Customer.objects.create(
            number=f"PLG-{index:04d}",
            name=f"Pelanggan Nomor {index}",
            phone=f"+62812000{index:05d}",
            address=f"Jl. Mawar No. {index}",
            site=site,
            package=package,
        )


def test_customer_list_folds_on_phone(page, live_server, sample_catalogue):
    sites, packages = sample_catalogue
    create_customers(sites["CBN"], packages["H10"], 28)
    open_page(page, f"{live_server.url}/customers/")

    folds = {fold: page.locator(f"#{fold}").evaluate("fold => fold.open") for fold in FOLDS}
    first_card = page.locator("#customers tbody tr").first.bounding_box()
    card_heights = [row.bounding_box()["height"] for row in page.locator("#customers tbody tr").all()]
    bulk_hidden = page.locator("#bulk-submit").is_visible()
    page.click("#bulk-fold summary")
    bulk_box = page.locator("#bulk-submit").bounding_box()

    assert folds == dict.fromkeys(FOLDS, False)
    assert first_card["y"] + first_card["height"] <= PHONE["height"]
    assert max(card_heights) <= CUSTOMER_CARD_MAX_HEIGHT
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert bulk_hidden is False
    assert bulk_box["height"] >= TAP_TARGET_MIN
    assert bulk_box["x"] + bulk_box["width"] <= PHONE["width"]

    # On a desktop every section is open and its summary hidden.
    page.set_viewport_size(DESKTOP)
    open_page(page, f"{live_server.url}/customers/")
    for fold in FOLDS:
        assert page.locator(f"#{fold}").evaluate("fold => fold.open") is True, fold
        assert page.locator(f"#{fold} > summary").is_visible() is False, fold
    assert page.locator("#bulk-submit").is_visible()
    assert page.locator("#export-csv-help").is_visible()


def test_filter_fold_open_with_filter(page, live_server, sample_catalogue):
    sites, packages = sample_catalogue
    create_customers(sites["CBN"], packages["H10"], 3)

    open_page(page, f"{live_server.url}/customers/?status=active")
    with_status = page.locator("#filter-fold").evaluate("fold => fold.open")
    open_page(page, f"{live_server.url}/customers/?site={sites['CBN'].pk}")
    with_site = page.locator("#filter-fold").evaluate("fold => fold.open")
    open_page(page, f"{live_server.url}/customers/?q=Mawar")
    with_search_only = page.locator("#filter-fold").evaluate("fold => fold.open")

    assert with_status is True
    assert with_site is True
    assert with_search_only is False


def test_dashboard_hints_sideways_scroll(page, live_server, sample_catalogue):
    open_page(page, f"{live_server.url}/customers/dashboard/")

    hint = page.locator("#completion-scroll-hint")
    shown_at_start = hint.is_visible()
    page.locator("#completion-scroll").evaluate("wrapper => wrapper.scrollTo(wrapper.scrollWidth, 0)")
    page.wait_for_function("() => document.getElementById('completion-scroll-hint').hidden")
    page.set_viewport_size(DESKTOP)
    open_page(page, f"{live_server.url}/customers/dashboard/")
    shown_on_desktop = hint.is_visible()

    assert shown_at_start is True
    assert shown_on_desktop is False


def test_zero_count_badge_is_grey(page, live_server, sample_catalogue, tmp_path):
    workbook = write_workbook(tmp_path / "satu.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Alamat", "Site", "Paket"],
        ["PLG-0301", "Andi Wijaya", "0812", "Jl. Anggrek No. 1", "Cibinong", "H10"],
    ])
    with open(workbook, "rb") as handle:
        batch = batches.validate_batch(batches.create_batch(handle, workbook.name))
    open_page(page, f"{live_server.url}/customers/imports/{batch.pk}/")

    counts = page.locator("#findings .chip .count").evaluate_all(
        "counts => counts.map(count => [count.innerText, getComputedStyle(count).backgroundColor])"
    )

    red, grey = "rgb(197, 34, 31)", "rgb(234, 238, 242)"
    assert counts == [["1", red], ["0", grey], ["0", grey], ["0", grey]]


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
