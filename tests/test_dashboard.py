"""The completion dashboard and the list filters its numbers link to."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from sites.models import Site

pytestmark = pytest.mark.django_db

DASHBOARD_URL = "/customers/dashboard/"
LIST_URL = "/customers/"
COLUMNS = ["total", "incomplete", "package", "address", "region", "location", "phone"]


@pytest.fixture
def catalogue(sample_catalogue, regions_loaded):
    return sample_catalogue


@pytest.fixture
def customers(catalogue):
    """Customers lacking different fields, on two sites and without a site.

    Cibinong: PLG-0001 complete; PLG-0002 no package and no phone; PLG-0003
    no address, no village, no map location. Citayam: PLG-0004 no map
    location (latitude only). No site: PLG-0005 lacks everything.
    """
    sites, packages = catalogue
    full = {
        "phone": "+6281234567890",
        "address": "Jl. Mawar 5",
        "village_id": "32.01.01.1012",
        "latitude": Decimal("-6.4812"),
        "longitude": Decimal("106.8421"),
        "package": packages["H10"],
    }
    rows = [
        ("PLG-0001", sites["CBN"], {}),
        ("PLG-0002", sites["CBN"], {"package": None, "phone": ""}),
        ("PLG-0003", sites["CBN"], {"address": "", "village_id": None, "latitude": None, "longitude": None}),
        ("PLG-0004", sites["CTY"], {"longitude": None}),
        ("PLG-0005", None, {key: (None if key != "phone" and key != "address" else "") for key in full}),
    ]
    for number, site, changes in rows:
        Customer.objects.create(number=number, name=f"Pelanggan {number}", site=site, **{**full, **changes})


@pytest.fixture
def site_admin_client(client, django_user_model, catalogue):
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", password="rahasia-cbn-123", is_staff=True)
    sites["CBN"].staff.add(user)
    client.force_login(user)
    return client


def table_rows(page):
    """Return {data-site: {column: (number, link)}} of the dashboard table."""
    rows = {}
    for key, body in re.findall(r'<tr[^>]*data-site="([^"]+)">(.*?)</tr>', page, flags=re.S):
        cells = re.findall(r'<a data-count="(\w+)" href="([^"]*)">(\d+)</a>', body)
        rows[key] = {column: (int(number), unescape(link)) for column, link, number in cells}
    return rows


def numbers(row):
    return [row[column][0] for column in COLUMNS]


def list_count(client, url):
    """Return the number of customers the list at `url` shows in its count."""
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def test_dashboard_counts_per_site(admin_client, customers, catalogue):
    sites, _packages = catalogue

    response = admin_client.get(DASHBOARD_URL)

    assert response.status_code == 200
    rows = table_rows(response.content.decode())
    assert list(rows) == [str(sites["BJG"].pk), str(sites["CBN"].pk), str(sites["CTY"].pk), "none", "total"]
    assert numbers(rows[str(sites["BJG"].pk)]) == [0, 0, 0, 0, 0, 0, 0]
    assert numbers(rows[str(sites["CBN"].pk)]) == [3, 2, 1, 1, 1, 1, 1]
    assert numbers(rows[str(sites["CTY"].pk)]) == [1, 0, 0, 0, 0, 1, 0]
    assert numbers(rows["none"]) == [1, 1, 1, 1, 1, 1, 1]
    assert numbers(rows["total"]) == [5, 3, 2, 2, 2, 3, 2]


def test_dashboard_headings_in_indonesian(admin_client, customers):
    page = admin_client.get(DASHBOARD_URL).content.decode()

    headings = re.findall(r"<th[^>]*>([^<]*)</th>", page)
    assert headings == [
        "Site", "Pelanggan", "Belum lengkap", "Tanpa paket", "Tanpa alamat", "Tanpa kelurahan/desa",
        "Tanpa titik lokasi", "Tanpa no. HP", "",
    ]
    assert "<td>Tanpa site</td>" in page
    assert "<td>Total</td>" in page


def test_every_dashboard_link_lists_that_many(admin_client, customers):
    rows = table_rows(admin_client.get(DASHBOARD_URL).content.decode())

    links = [(site, column, number, link) for site, row in rows.items() for column, (number, link) in row.items()]
    assert len(links) == 5 * len(COLUMNS)
    for site, column, number, link in links:
        assert list_count(admin_client, link) == number, f"{site} {column} {link}"


def test_dashboard_links_name_the_filter(admin_client, customers, catalogue):
    sites, _packages = catalogue

    rows = table_rows(admin_client.get(DASHBOARD_URL).content.decode())

    cibinong = rows[str(sites["CBN"].pk)]
    assert cibinong["total"][1] == f"/customers/?site={sites['CBN'].pk}"
    assert cibinong["incomplete"][1] == f"/customers/?site={sites['CBN'].pk}&incomplete=1"
    assert cibinong["region"][1] == f"/customers/?site={sites['CBN'].pk}&missing=region"
    assert rows["none"]["phone"][1] == "/customers/?site=none&missing=phone"
    assert rows["total"]["location"][1] == "/customers/?missing=location"
    assert rows["total"]["total"][1] == "/customers/"


def test_site_admin_dashboard_shows_own_sites(site_admin_client, customers, catalogue):
    sites, _packages = catalogue

    page = site_admin_client.get(DASHBOARD_URL).content.decode()

    rows = table_rows(page)
    assert list(rows) == [str(sites["CBN"].pk), "total"]
    assert numbers(rows["total"]) == [3, 2, 1, 1, 1, 1, 1]
    assert "Citayam" not in page
    assert "Tanpa site" not in page
    for _column, (number, link) in rows["total"].items():
        assert list_count(site_admin_client, link) == number, link


def test_dashboard_query_count_is_constant(admin_client, catalogue):
    sites, packages = catalogue
    Customer.objects.create(number="PLG-0001", name="Satu", site=sites["CBN"])

    with CaptureQueriesContext(connection) as few:
        admin_client.get(DASHBOARD_URL)
    for index in range(20):
        site = Site.objects.create(code=f"S{index:02d}", name=f"Site {index:02d}")
        for number in range(3):
            Customer.objects.create(
                number=f"S{index:02d}-{number}",
                name="Banyak",
                address="Jl. Banyak",
                site=site,
                package=packages["H10"] if number else None,
            )
    Customer.objects.create(number="PLG-0002", name="Tanpa site")
    with CaptureQueriesContext(connection) as many:
        page = admin_client.get(DASHBOARD_URL).content.decode()

    assert len(few.captured_queries) == len(many.captured_queries)
    assert numbers(table_rows(page)["total"])[:3] == [62, 22, 22]


def download_form(site_value, button):
    """Return the HTML of a download form posting `site_value` (or no site
    field for None), with the csrf token's value written as TOKEN."""
    site_field = f'\n  <input type="hidden" name="site" value="{site_value}">' if site_value is not None else ""
    return (
        '<form method="post" action="/customers/export/incomplete/" class="inline">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="TOKEN">{site_field}\n  {button}\n</form>'
    )


def test_dashboard_download_forms(admin_client, customers, catalogue):
    sites, _packages = catalogue

    page = admin_client.get(DASHBOARD_URL).content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="TOKEN"', page)

    assert download_form(
        None, '<button type="submit" class="primary" id="export-incomplete">Unduh pelanggan belum lengkap</button>'
    ) in page
    cibinong = sites["CBN"].pk
    assert download_form(
        cibinong, f'<button type="submit" class="link download" id="export-incomplete-{cibinong}">Unduh</button>'
    ) in page
    assert download_form(
        "none", '<button type="submit" class="link download" id="export-incomplete-none">Unduh</button>'
    ) in page
    # Citayam has no incomplete customer, so nothing to download.
    assert f'id="export-incomplete-{sites["CTY"].pk}"' not in page
    assert "/customers/export/incomplete/?" not in page


def test_dashboard_hides_downloads_without_export_right(site_admin_client, customers):
    page = site_admin_client.get(DASHBOARD_URL).content.decode()

    assert "/customers/export/" not in page


def test_menu_links_dashboard_and_map(admin_client, customers):
    page = admin_client.get(LIST_URL).content.decode()

    menu = page[page.index('<nav class="menu"'):page.index("</nav>")]
    assert '<a href="/customers/dashboard/">Kelengkapan data</a>' in menu
    assert '<a href="/regions/map/">Peta</a>' in menu


# ---------------------------------------------------------------------------
# The list filters behind the numbers


def list_numbers(client, **query):
    response = client.get(LIST_URL, query)
    return [customer.number for customer in response.context["page"]]


@pytest.mark.parametrize(
    ("missing", "expected_numbers"),
    [
        ("package", ["PLG-0002", "PLG-0005"]),
        ("address", ["PLG-0003", "PLG-0005"]),
        ("region", ["PLG-0003", "PLG-0005"]),
        ("location", ["PLG-0003", "PLG-0004", "PLG-0005"]),
        ("phone", ["PLG-0002", "PLG-0005"]),
        ("", ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]),
        # An unknown choice is an invalid filter, which lists no customer.
        ("nothing", []),
    ],
)
def test_list_missing_filter(admin_client, customers, missing, expected_numbers):
    assert list_numbers(admin_client, missing=missing) == expected_numbers


@pytest.mark.parametrize(
    ("status", "expected_numbers"),
    [
        ("suspended", ["PLG-0002", "PLG-0004"]),
        ("inactive", ["PLG-0005"]),
        ("active", ["PLG-0001", "PLG-0003"]),
        ("", ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]),
        ("isolir", []),
    ],
)
def test_list_status_filter(admin_client, customers, status, expected_numbers):
    Customer.objects.filter(number__in=["PLG-0002", "PLG-0004"]).update(status=Customer.Status.SUSPENDED)
    Customer.objects.filter(number="PLG-0005").update(status=Customer.Status.INACTIVE)

    assert list_numbers(admin_client, status=status) == expected_numbers


def test_status_filter_carried_to_links(admin_client, customers, catalogue):
    sites, _packages = catalogue
    Customer.objects.filter(number__in=["PLG-0002", "PLG-0004"]).update(status=Customer.Status.SUSPENDED)

    page = admin_client.get(LIST_URL, {"status": "suspended", "site": sites["CBN"].pk}).content.decode()

    assert '<label for="id_status">Status</label>' in page
    assert '<option value="suspended" selected>Isolir</option>' in page
    assert list_numbers(admin_client, status="suspended", site=sites["CBN"].pk) == ["PLG-0002"]
    edit = Customer.objects.get(number="PLG-0002").pk
    assert f'<a href="/customers/{edit}/?site={sites["CBN"].pk}&amp;status=suspended">PLG-0002</a>' in page
    assert '<input type="hidden" name="status" value="suspended">' in page


def test_list_no_site_filter(admin_client, customers):
    assert list_numbers(admin_client, site="none") == ["PLG-0005"]


def test_unknown_missing_filter_shows_error(admin_client, customers):
    page = admin_client.get(LIST_URL, {"missing": "bogus"}).content.decode()

    assert '<p class="error" id="id_missing_error">Masukkan pilihan yang valid. bogus bukan salah satu dari pilihan yang tersedia.</p>' in page


def test_site_admin_no_site_filter(site_admin_client, customers):
    assert list_numbers(site_admin_client, site="none") == []


def test_list_missing_filter_combines(admin_client, customers, catalogue):
    sites, _packages = catalogue

    assert list_numbers(admin_client, site=sites["CBN"].pk, missing="location") == ["PLG-0003"]
    assert list_numbers(admin_client, missing="package", incomplete="1") == ["PLG-0002", "PLG-0005"]


def test_list_missing_select_in_indonesian(admin_client, customers):
    page = admin_client.get(LIST_URL, {"missing": "region"}).content.decode()

    assert '<label for="id_missing">Data belum diisi</label>' in page
    assert '<option value="region" selected>Tanpa kelurahan/desa</option>' in page
    assert '<option value="none">Tanpa site</option>' in page


def test_list_links_map_of_chosen_site(admin_client, customers, catalogue):
    sites, _packages = catalogue

    everything = admin_client.get(LIST_URL).content.decode()
    one_site = admin_client.get(LIST_URL, {"site": sites["CBN"].pk}).content.decode()

    assert '<a class="button" id="map-link" href="/regions/map/">Peta</a>' in everything
    assert f'<a class="button" id="map-link" href="/regions/map/?site={sites["CBN"].pk}">Peta</a>' in one_site
