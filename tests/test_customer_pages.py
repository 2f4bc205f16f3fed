"""Customer list, export and edit pages, tried by every staff persona."""

import datetime
import io
import re
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from customers.models import Customer, number_key
from customers.selectors import format_phone, phone_search_key
from tests.locking_helpers import WAIT_SECONDS, wait_until_blocked

LIST_URL = "/customers/"
EXPORT_URL = "/customers/export/"

NIK_BUDI = "3201011203900001"
PABUARAN_CIBINONG = "32.01.01.1012"


@pytest.fixture
def catalogue(sample_catalogue):
    sites, packages = sample_catalogue
    return sites, packages


@pytest.fixture
def site_admin(db, django_user_model, catalogue):
    """Staff user limited to the Cibinong site."""
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", password="rahasia-cbn-123", is_staff=True)
    sites["CBN"].staff.add(user)
    return user


@pytest.fixture
def site_admin_client(client, site_admin):
    client.force_login(site_admin)
    return client


@pytest.fixture
def customers(catalogue):
    """Five customers over three sites. PLG-0003 and PLG-0005 are incomplete."""
    sites, packages = catalogue
    rows = [
        ("PLG-0001", "Budi Santoso", "+6281234567890", NIK_BUDI, "Jl. Mawar 5", "CBN", "H20"),
        ("PLG-0002", "Siti Rahmawati", "+6281311112222", "", "Jl. Melati 2", "BJG", "H10"),
        ("PLG-0003", "Agus Salim", "+62218765432", "", "", "CBN", "H10"),
        ("PLG-0004", "Dewi Lestari", "", "", "Jl. Kenanga 9", "CTY", "B50"),
        ("PLG-0005", "Rudi Hartono", "+6285712345678", "", "Jl. Anggrek 1", "CBN", None),
    ]
    created = {}
    for number, name, phone, nik, address, site, package in rows:
        created[number] = Customer.objects.create(
            number=number,
            name=name,
            phone=phone,
            nik=nik,
            address=address,
            site=sites[site],
            package=packages[package] if package else None,
        )
    return created


def row_numbers(response):
    """Return the customer IDs in the list table, in order."""
    return re.findall(r'<td data-label="[^"]+"><a href="/customers/\d+/(?:\?[^"]*)?">([^<]+)</a></td>', response.content.decode())


def column_headings(response):
    """Return the text of the list table's column headings, in order."""
    cells = re.findall(r"<th[^>]*>(.*?)</th>", response.content.decode(), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def chip_count(response):
    # A count of zero has the class "count zero".
    chip = r'class="chip[^"]*"[^>]*>Belum lengkap<span class="count(?: zero)?">(\d+)</span>'
    match = re.search(chip, response.content.decode())
    assert match, "the Belum lengkap chip is missing"
    return int(match[1])


def create_numbered_customers(site, count, *, package, incomplete_every=0, prefix="PLG"):
    """Create `count` customers on `site`, where every `incomplete_every`-th has no address."""
    Customer.objects.bulk_create(
        Customer(
            number=f"{prefix}-{index:04d}",
            number_key=number_key(f"{prefix}-{index:04d}"),
            name=f"Pelanggan {index}",
            name_key=f"pelanggan {index}",
            site=site,
            package=package,
            address="" if incomplete_every and index % incomplete_every == 0 else "Jl. Contoh",
        )
        for index in range(1, count + 1)
    )


# ---------------------------------------------------------------------------
# Access


@pytest.mark.parametrize("url_name", ["customers:list", "customers:export"])
def test_anonymous_redirected_to_login(client, db, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/login/?next={url}"


def test_anonymous_edit_redirected_to_login(client, customers):
    url = reverse("customers:edit", args=[customers["PLG-0001"].pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/login/?next={url}"


def test_non_staff_user_gets_404(client, django_user_model, customers):
    user = django_user_model.objects.create_user(username="pelanggan", password="rahasia-pelanggan-1")
    client.force_login(user)

    assert client.get(LIST_URL).status_code == 404
    assert client.get(EXPORT_URL).status_code == 404
    assert client.get(reverse("customers:edit", args=[customers["PLG-0001"].pk])).status_code == 404


# ---------------------------------------------------------------------------
# List


def test_list_shows_columns_in_indonesian(admin_client, customers):
    response = admin_client.get(LIST_URL)
    page = response.content.decode()

    assert response.status_code == 200
    assert column_headings(response) == ["ID Pelanggan ▲", "Nama", "No. HP / WhatsApp", "Site", "Paket", "Status", "", ""]
    assert row_numbers(response) == ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]
    assert '<td data-label="Site">Cibinong</td>' in page
    assert '<td data-label="Paket">Home 20 Mbps</td>' in page
    assert '<td data-label="Status">Aktif</td>' in page


def test_list_formats_phone_numbers(admin_client, customers):
    page = admin_client.get(LIST_URL).content.decode()

    assert (
        '<td class="phone" data-label="No. HP / WhatsApp"><a href="https://wa.me/6281234567890" target="_blank" rel="noopener noreferrer" '
        'title="Chat WhatsApp">0812-3456-7890</a></td>'
    ) in page
    # A landline has no WhatsApp chat.
    assert '<td class="phone" data-label="No. HP / WhatsApp">021-8765432</td>' in page
    assert "+6281234567890" not in page


def test_edit_page_links_whatsapp_chat(admin_client, customers):
    mobile = admin_client.get(edit_url(customers["PLG-0005"])).content.decode()
    landline = admin_client.get(edit_url(customers["PLG-0003"])).content.decode()
    without_phone = admin_client.get(edit_url(customers["PLG-0004"])).content.decode()

    assert (
        '<a class="button whatsapp" id="whatsapp-chat" href="https://wa.me/6285712345678" target="_blank" '
        'rel="noopener noreferrer">Chat WhatsApp</a>'
    ) in mobile
    assert 'id="whatsapp-chat"' not in landline
    assert 'id="whatsapp-chat"' not in without_phone


def test_edit_page_links_google_maps(admin_client, customers):
    customer = customers["PLG-0001"]
    customer.latitude = Decimal("-6.481200")
    customer.longitude = Decimal("106.842100")
    customer.save()

    with_location = admin_client.get(edit_url(customer)).content.decode()
    without_location = admin_client.get(edit_url(customers["PLG-0002"])).content.decode()

    assert (
        '<a class="button" id="google-maps" href="https://www.google.com/maps?q=-6.481200,106.842100" '
        'target="_blank" rel="noopener noreferrer">'
    ) in with_location
    assert 'id="google-maps"' not in without_location


def test_list_never_shows_nik(admin_client, customers):
    page = admin_client.get(LIST_URL).content.decode()

    assert NIK_BUDI not in page
    assert "3201011203" not in page


def test_list_marks_incomplete_customers(admin_client, customers):
    page = admin_client.get(LIST_URL).content.decode()

    assert page.count('<span class="badge incomplete">Belum lengkap</span>') == 2


def test_list_has_upload_and_export_buttons(admin_client, customers):
    page = admin_client.get(LIST_URL + "?q=budi&incomplete=1&page=1").content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="TOKEN"', page)

    assert '<a class="button upload" href="/customers/upload/">UPLOAD</a>' in page
    assert (
        '<form method="post" action="/customers/export/" class="inline">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="TOKEN">\n'
        '  <input type="hidden" name="q" value="budi">\n'
        '  <input type="hidden" name="incomplete" value="1">\n'
        '  <button type="submit" id="export-xlsx">Ekspor</button>\n</form>'
    ) in page


@pytest.mark.parametrize(
    "query",
    [
        "0812-3456-7890", "081234567890", "62812 3456 7890", "+62 812 3456 7890", "+62-812-3456-7890", "0812 3456",
        "+62 0812 3456 7890",
    ],
)
def test_search_phone_in_any_notation(admin_client, customers, query):
    response = admin_client.get(LIST_URL, {"q": query})

    assert row_numbers(response) == ["PLG-0001"]


@pytest.mark.parametrize(
    ("query", "expected_numbers"),
    [
        ("budi", ["PLG-0001"]),
        ("SANTOSO", ["PLG-0001"]),
        ("budi   santoso", ["PLG-0001"]),
        ("plg-0002", ["PLG-0002"]),
        ("0002", ["PLG-0002"]),
        ("04", ["PLG-0004"]),
        ("PLG-000", ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]),
        (NIK_BUDI, ["PLG-0001"]),
        ("3201 0112 0390 0001", ["PLG-0001"]),
        ("3201.0112.0390.0001", ["PLG-0001"]),
        ("320101120390", []),
        ("ＰＬＧ-０００２", ["PLG-0002"]),
        ("０８１３１１１１", ["PLG-0002"]),
        ("tidak ada", []),
    ],
)
def test_search_by_id_name_and_nik(admin_client, customers, query, expected_numbers):
    response = admin_client.get(LIST_URL, {"q": query})

    assert row_numbers(response) == expected_numbers


def test_search_too_long_shows_error(admin_client, customers):
    response = admin_client.get(LIST_URL, {"q": "x" * 101})

    assert row_numbers(response) == []
    assert '<p class="error" id="id_q_error">Pastikan nilai ini mengandung paling banyak 100 karakter (sekarang 101 karakter).</p>' in response.content.decode()


def test_search_landline(admin_client, customers):
    response = admin_client.get(LIST_URL, {"q": "021-8765432"})

    assert row_numbers(response) == ["PLG-0003"]


def test_filter_by_site(admin_client, customers, catalogue):
    sites, _packages = catalogue

    response = admin_client.get(LIST_URL, {"site": sites["CBN"].pk})

    assert row_numbers(response) == ["PLG-0001", "PLG-0003", "PLG-0005"]


def test_incomplete_filter(admin_client, customers):
    response = admin_client.get(LIST_URL, {"incomplete": "1"})

    assert row_numbers(response) == ["PLG-0003", "PLG-0005"]
    assert chip_count(response) == 2
    assert 'class="chip active"' in response.content.decode()


def test_incomplete_chip_count_always_visible(admin_client, customers, catalogue):
    sites, _packages = catalogue

    assert chip_count(admin_client.get(LIST_URL)) == 2
    assert chip_count(admin_client.get(LIST_URL, {"site": sites["BJG"].pk})) == 0
    assert chip_count(admin_client.get(LIST_URL, {"site": sites["CBN"].pk})) == 2
    assert chip_count(admin_client.get(LIST_URL, {"q": "rudi"})) == 1


def test_filters_combine(admin_client, customers, catalogue):
    sites, _packages = catalogue

    response = admin_client.get(LIST_URL, {"site": sites["CBN"].pk, "incomplete": "1", "q": "agus"})

    assert row_numbers(response) == ["PLG-0003"]
    assert chip_count(response) == 1


def test_site_admin_sees_only_their_sites(site_admin_client, customers):
    response = site_admin_client.get(LIST_URL)

    assert row_numbers(response) == ["PLG-0001", "PLG-0003", "PLG-0005"]
    assert chip_count(response) == 2
    page = response.content.decode()
    assert "Bojonggede" not in page
    assert "Citayam" not in page


def test_site_admin_cannot_filter_other_site(site_admin_client, customers, catalogue):
    sites, _packages = catalogue

    response = site_admin_client.get(LIST_URL, {"site": sites["BJG"].pk})

    assert response.status_code == 200
    assert row_numbers(response) == []
    assert "Siti Rahmawati" not in response.content.decode()


def test_site_admin_cannot_find_other_site_by_search(site_admin_client, customers):
    response = site_admin_client.get(LIST_URL, {"q": "Siti"})

    assert row_numbers(response) == []


def test_pagination_keeps_filters(admin_client, catalogue):
    sites, packages = catalogue
    create_numbered_customers(sites["CBN"], 130, package=packages["H10"], incomplete_every=2)
    create_numbered_customers(sites["BJG"], 5, package=None, prefix="BJG")

    first = admin_client.get(LIST_URL, {"site": sites["CBN"].pk, "incomplete": "1"})
    second = admin_client.get(LIST_URL, {"site": sites["CBN"].pk, "incomplete": "1", "page": "2"})

    assert len(row_numbers(first)) == 50
    assert row_numbers(first)[0] == "PLG-0002"
    assert row_numbers(second) == [f"PLG-{index:04d}" for index in range(102, 131, 2)]
    assert chip_count(second) == 65
    page = first.content.decode()
    assert f'href="?site={sites["CBN"].pk}&amp;incomplete=1&amp;page=2" rel="next"' in page
    assert "Halaman 1 dari 2 (65 pelanggan)" in page


@pytest.mark.parametrize(("language", "pagination", "chip"), [
    ("id", "Halaman 1 dari 21 (1.001 pelanggan)", '<span class="count">1.001</span>'),
    ("en", "Page 1 of 21 (1,001 customers)", '<span class="count">1,001</span>'),
])
def test_list_totals_grouped(admin_client, catalogue, language, pagination, chip):
    sites, packages = catalogue
    create_numbered_customers(sites["CBN"], 1001, package=packages["H10"], incomplete_every=1)
    admin_client.cookies["django_language"] = language

    page = admin_client.get(LIST_URL).content.decode()

    assert pagination in page
    assert chip in page


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("number", ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]),
        ("-number", ["PLG-0005", "PLG-0004", "PLG-0003", "PLG-0002", "PLG-0001"]),
        ("name", ["PLG-0003", "PLG-0001", "PLG-0004", "PLG-0005", "PLG-0002"]),
        ("-name", ["PLG-0002", "PLG-0005", "PLG-0004", "PLG-0001", "PLG-0003"]),
        # Not a sortable column.
        ("site", ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]),
        ("unknown", ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]),
    ],
)
def test_list_sorts_by_column(admin_client, customers, sort, order):
    response = admin_client.get(LIST_URL, {"sort": sort})

    assert response.status_code == 200
    assert row_numbers(response) == order


NATURAL_ORDER = ["9", "10", "100", "PLG-2", "plg-3", "PLG-10", "PLG-10A", "PLG-10B", "PLG-100"]


@pytest.mark.parametrize(
    ("number", "key"),
    [("PLG-0001", "PLG-011"), ("plg-10", "PLG-0210"), ("1001", "041001"), ("0", "010"), ("A1B22", "A011B0222"), ("", "")],
)
def test_number_key_pads_digit_runs(number, key):
    assert number_key(number) == key


def test_list_sorts_numbers_naturally(admin_client, catalogue):
    sites, _packages = catalogue
    for number in reversed(NATURAL_ORDER):
        Customer.objects.create(number=number, name=f"Pelanggan {number}", site=sites["CBN"])

    ascending = admin_client.get(LIST_URL)
    descending = admin_client.get(LIST_URL, {"sort": "-number", "site": sites["CBN"].pk})

    assert row_numbers(ascending) == NATURAL_ORDER
    assert row_numbers(descending) == NATURAL_ORDER[::-1]


def test_save_next_walks_natural_order(admin_client, catalogue):
    sites, _packages = catalogue
    walk = {}
    for number in ["PLG-9", "PLG-10", "PLG-100"]:
        walk[number] = Customer.objects.create(number=number, name=f"Pelanggan {number}", site=sites["CBN"])
    data = form_data(walk["PLG-9"], save_next="")
    del data["save"]

    response = admin_client.post(edit_url(walk["PLG-9"]) + "?incomplete=on", data)

    assert response.url == edit_url(walk["PLG-10"]) + "?incomplete=on"


def test_sort_heading_links_reverse_order(admin_client, customers, catalogue):
    sites, _packages = catalogue
    query = {"site": str(sites["CBN"].pk), "sort": "name"}

    response = admin_client.get(LIST_URL, query)
    page = response.content.decode()

    assert column_headings(response)[:2] == ["ID Pelanggan", "Nama ▲"]
    site_id = sites["CBN"].pk
    assert f'<th aria-sort="ascending"><a class="sort" href="?site={site_id}&amp;sort=-name" title="Urutkan menurut Nama">' in page
    assert f'<a class="sort" href="?site={site_id}&amp;sort=number" title="Urutkan menurut ID Pelanggan">' in page
    # The search form and the edit links keep the order.
    assert '<input type="hidden" name="sort" value="name" id="id_sort">' in page
    assert f'<a href="{edit_url(customers["PLG-0003"])}?site={site_id}&amp;sort=name">PLG-0003</a>' in page
    reversed_page = admin_client.get(LIST_URL, {**query, "sort": "-name"})
    assert column_headings(reversed_page)[1] == "Nama ▼"
    assert row_numbers(reversed_page) == ["PLG-0005", "PLG-0001", "PLG-0003"]


def test_list_page_size_is_50(admin_client, catalogue):
    sites, _packages = catalogue
    create_numbered_customers(sites["CBN"], 120, package=None)

    assert len(row_numbers(admin_client.get(LIST_URL))) == 50
    assert len(row_numbers(admin_client.get(LIST_URL, {"page": "3"}))) == 20


def test_list_query_count_is_constant(admin_client, site_admin_client, catalogue):
    sites, packages = catalogue
    create_numbered_customers(sites["CBN"], 3, package=packages["H10"])

    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST_URL)
    Customer.objects.all().delete()
    create_numbered_customers(sites["CBN"], 30, package=packages["H10"], incomplete_every=3)
    create_numbered_customers(sites["BJG"], 30, package=packages["H20"], prefix="BJG")
    with CaptureQueriesContext(connection) as many:
        admin_client.get(LIST_URL)

    assert len(few.captured_queries) == len(many.captured_queries)


def test_list_counts_without_joins(admin_client, catalogue):
    sites, _packages = catalogue
    create_numbered_customers(sites["CBN"], 3, package=None)

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(LIST_URL, {"incomplete": "1"})

    # The menu's count of waiting change requests is the other COUNT.
    counts = [
        query["sql"]
        for query in queries.captured_queries
        if "COUNT(" in query["sql"].upper() and "portal_changerequest" not in query["sql"]
    ]
    assert len(counts) == 1
    assert "JOIN" not in counts[0].upper()


# ---------------------------------------------------------------------------
# Phone display and search keys


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+6281234567890", "0812-3456-7890"),
        ("+628123456789", "0812-3456-789"),
        ("+62218765432", "021-8765432"),
        ("+62274123456", "0274-123456"),
        ("", ""),
        ("+6591234567", "+65 9123 4567"),
    ],
)
def test_format_phone(stored, shown):
    assert format_phone(stored) == shown


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456", "+628123456"),
        ("+62 (812) 3456", "+628123456"),
        ("812.3456", "+628123456"),
        ("0812", ""),
        ("budi 0812", ""),
    ],
)
def test_phone_search_key(text, key):
    assert phone_search_key(text) == key


def test_short_number_search_gets_hint(admin_client, customers):
    short = admin_client.get(LIST_URL, {"q": "0812"}).content.decode()
    name = admin_client.get(LIST_URL, {"q": "Zainal"}).content.decode()

    hint = "Untuk mencari No. HP, ketik minimal 6 angka, seperti 081234."
    assert f"Tidak ada pelanggan yang cocok. {hint}</td>" in short
    assert "Tidak ada pelanggan yang cocok." in name
    assert hint not in name


# ---------------------------------------------------------------------------
# Export


def read_export(response):
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


def test_export_filtered_customers(admin_client, customers):
    response = admin_client.get(EXPORT_URL, {"incomplete": "1"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="pelanggan-')
    rows = read_export(response)
    assert [row["ID Pelanggan"] for row in rows] == ["PLG-0003", "PLG-0005"]
    assert rows[0]["Site"] == "Cibinong"
    assert rows[0]["Paket"] == "Home 10 Mbps"
    assert rows[1]["Paket"] is None


def test_export_follows_status_filter(admin_client, customers):
    Customer.objects.filter(number__in=["PLG-0002", "PLG-0005"]).update(status=Customer.Status.SUSPENDED)

    rows = read_export(admin_client.get(EXPORT_URL, {"status": "suspended"}))

    assert [(row["ID Pelanggan"], row["Status"]) for row in rows] == [("PLG-0002", "Isolir"), ("PLG-0005", "Isolir")]


def test_export_follows_list_sort(admin_client, customers):
    rows = read_export(admin_client.get(EXPORT_URL, {"sort": "-name"}))

    assert [row["ID Pelanggan"] for row in rows] == ["PLG-0002", "PLG-0005", "PLG-0004", "PLG-0001", "PLG-0003"]


def test_export_masks_nik(admin_client, customers):
    rows = read_export(admin_client.get(EXPORT_URL, {"q": "budi"}))

    assert [row["ID Pelanggan"] for row in rows] == ["PLG-0001"]
    assert rows[0]["NIK"] == "************0001"
    assert rows[0]["Nama"] == "Budi Santoso"


def grant(user, codename):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="customers", codename=codename))


def test_export_site_admin_limited_to_their_sites(site_admin_client, site_admin, customers, catalogue):
    sites, _packages = catalogue
    grant(site_admin, "export_customers")

    everything = read_export(site_admin_client.get(EXPORT_URL))
    other_site = site_admin_client.get(EXPORT_URL, {"site": sites["BJG"].pk}, follow=True)

    assert [row["ID Pelanggan"] for row in everything] == ["PLG-0001", "PLG-0003", "PLG-0005"]
    # An invalid filter exports nothing and sends the user back to the list.
    assert other_site.redirect_chain == [(f"{LIST_URL}?site={sites['BJG'].pk}", 302)]
    assert [str(message) for message in other_site.context["messages"]] == [
        "Filter belum benar, jadi tidak ada yang diekspor. Perbaiki filter di daftar pelanggan, lalu ekspor lagi."
    ]


def test_export_needs_export_permission(site_admin_client, customers):
    response = site_admin_client.get(EXPORT_URL)

    assert response.status_code == 403


def test_list_hides_buttons_without_permissions(site_admin_client, customers):
    page = site_admin_client.get(LIST_URL).content.decode()

    assert "UPLOAD" not in page
    assert "/customers/export/" not in page


# ---------------------------------------------------------------------------
# Edit


def edit_url(customer):
    return reverse("customers:edit", args=[customer.pk])


def form_data(customer, **changes):
    """Return the POST data of the edit form as it would be submitted unchanged."""
    data = {
        "number": customer.number,
        "name": customer.name,
        "phone": format_phone(customer.phone),
        "email": customer.email,
        "nik": "",
        "address": customer.address,
        "site": customer.site_id or "",
        "package": customer.package_id or "",
        "status": customer.status,
        "installed_on": customer.installed_on.isoformat() if customer.installed_on else "",
        "latitude": "" if customer.latitude is None else str(customer.latitude),
        "longitude": "" if customer.longitude is None else str(customer.longitude),
        "postal_code": customer.postal_code,
        "notes": customer.notes,
        "save": "",
    }
    data.update(changes)
    return data


def field_errors(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def test_edit_page_shows_fields_and_masked_nik(admin_client, customers):
    response = admin_client.get(edit_url(customers["PLG-0001"]))
    page = response.content.decode()

    assert response.status_code == 200
    for label in [
        "ID Pelanggan", "Nama", "No. HP / WhatsApp", "Email", "NIK", "Alamat", "Site", "Paket",
        "Status", "Tanggal Pasang", "Latitude", "Longitude", "Kode Pos", "Wilayah",
    ]:
        assert f">{label}</label>" in page
    # The village picker's own last list, not the whole picker, is Kelurahan/Desa.
    assert page.count(">Kelurahan/Desa</label>") == 1
    assert NIK_BUDI not in page
    assert 'placeholder="************0001"' in page
    assert 'value="0812-3456-7890"' in page
    assert ">Simpan</button>" in page
    assert "Simpan & berikutnya" not in page
    assert "Riwayat perubahan" in page


def test_edit_page_writes_date_day_first(admin_client, customers):
    customer = customers["PLG-0001"]
    Customer.objects.filter(pk=customer.pk).update(
        installed_on=datetime.date(2024, 1, 5), latitude=Decimal("-6.4812"), longitude=Decimal("106.8")
    )

    page = admin_client.get(edit_url(customer)).content.decode()

    assert re.search(r'<input type="text" name="installed_on" value="05/01/2024"[^>]*placeholder="dd/mm/yyyy"', page)
    assert "Tulis hari lebih dulu: 05/01/2024 adalah 5 Januari 2024." in page
    assert 'name="latitude" value="-6.4812"' in page
    assert 'name="longitude" value="106.8"' in page


def test_edit_saves_cleaned_values(admin_client, customers):
    customer = customers["PLG-0001"]

    response = admin_client.post(
        edit_url(customer),
        form_data(
            customer,
            phone="0857 1111 2222",
            email="Budi@Contoh.ID",
            installed_on="5 Januari 2024",
            latitude="-6,4812",
            longitude="106.8421",
            postal_code="16911",
            address="  Jl. Mawar\u00a0No. 5  ",
        ),
    )

    assert response.status_code == 302
    assert response.url == edit_url(customer)
    customer.refresh_from_db()
    assert customer.phone == "+6285711112222"
    assert customer.email == "Budi@contoh.id"
    assert customer.installed_on == datetime.date(2024, 1, 5)
    assert customer.latitude == Decimal("-6.481200")
    assert customer.longitude == Decimal("106.842100")
    assert customer.postal_code == "16911"
    assert customer.address == "Jl. Mawar No. 5"
    assert customer.nik == NIK_BUDI


def test_edit_success_message_in_indonesian(admin_client, customers):
    customer = customers["PLG-0001"]

    response = admin_client.post(edit_url(customer), form_data(customer, name="Budi Santosa"), follow=True)

    assert [str(message) for message in response.context["messages"]] == ["Pelanggan PLG-0001 disimpan."]


def test_unchanged_edit_writes_nothing(admin_client, customers):
    customer = customers["PLG-0003"]
    Customer.objects.filter(pk=customer.pk).update(
        installed_on=datetime.date(2024, 1, 5), latitude=Decimal("-6.4812"), longitude=Decimal("106.8421")
    )
    customer.refresh_from_db()
    history_before = customer.history.count()
    data = form_data(customer, installed_on="05/01/2024", latitude="-6.4812", longitude="106.8421", save_next="")
    del data["save"]

    response = admin_client.post(edit_url(customer), data, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Tidak ada yang berubah, jadi pelanggan PLG-0003 tidak disimpan."
    ]
    # Simpan & berikutnya still moves on to the next incomplete customer.
    assert response.redirect_chain[-1][0] == edit_url(customers["PLG-0005"])
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.updated_at == customer.updated_at
    assert customer.history.count() == history_before


def test_edit_swaps_latitude_and_longitude_back(admin_client, customers):
    customer = customers["PLG-0001"]

    admin_client.post(edit_url(customer), form_data(customer, latitude="106.8421", longitude="-6.4812"))

    customer.refresh_from_db()
    assert customer.latitude == Decimal("-6.481200")
    assert customer.longitude == Decimal("106.842100")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "“12345” is not a valid phone number. Write it like 0812-3456-7890."),
        ("phone", "+1 202 555 0100", "“+1 202 555 0100” is not an Indonesian phone number. Write an Indonesian number like 0812-3456-7890."),
        ("phone", "0812-3456-7890 / 0813-1111-2222", "“0812-3456-7890 / 0813-1111-2222” contains more than one phone number. Enter one number only."),
        ("nik", "32010112039000", "NIK “32010112039000” has 14 digits, but a NIK has 16 digits. Check it against the KTP."),
        ("nik", "3201013203900001", "Digits 7 to 12 of NIK “3201013203900001” are not a valid date of birth. Check it against the KTP."),
        ("postal_code", "1691", "“1691” is not a postal code. A postal code has 5 digits and does not start with 0, like 16911."),
        ("email", "budi@", "“budi@” is not a valid email address. Write it like nama@contoh.id."),
        ("installed_on", "12/31/2023", "“12/31/2023” has the month before the day. Write the day first, like 31/12/2023."),
        ("latitude", "utara", "“utara” is not a coordinate. Write it as a decimal number like -6.4812."),
        ("name", "\u200b", "The name is empty. Every customer needs a name, so fill it in."),
    ],
)
def test_edit_rejects_with_import_messages(admin_client, customers, field, value, message):
    customer = customers["PLG-0001"]
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(edit_url(customer), form_data(customer, **{field: value}))

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    customer.refresh_from_db()
    assert customer.phone == "+6281234567890"
    assert customer.nik == NIK_BUDI
    assert customer.name == "Budi Santoso"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "“12345” bukan nomor HP yang valid. Tulis seperti 0812-3456-7890."),
        ("name", "\u200b", "Nama kosong. Setiap pelanggan wajib punya nama, jadi isi namanya."),
    ],
)
def test_edit_rejects_in_indonesian(admin_client, customers, field, value, message):
    customer = customers["PLG-0001"]

    response = admin_client.post(edit_url(customer), form_data(customer, **{field: value}))

    assert field_errors(response, field) == [message]


def test_edit_rejects_latitude_without_longitude(admin_client, customers):
    customer = customers["PLG-0001"]
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(edit_url(customer), form_data(customer, latitude="-6.4812", longitude=""))

    assert field_errors(response, "longitude") == [
        "Latitude “-6.4812” has no longitude. Fill in both or neither."
    ]


def test_edit_rejects_duplicate_customer_id(admin_client, customers):
    customer = customers["PLG-0001"]

    response = admin_client.post(edit_url(customer), form_data(customer, number="PLG-0002"))

    assert field_errors(response, "number") == ["Pelanggan lain sudah memakai ID Pelanggan ini."]


def test_edit_nik_blank_keeps_stored_value(admin_client, customers):
    customer = customers["PLG-0001"]

    admin_client.post(edit_url(customer), form_data(customer, nik=""))

    customer.refresh_from_db()
    assert customer.nik == NIK_BUDI


def test_edit_nik_masked_value_keeps_stored_value(admin_client, customers):
    customer = customers["PLG-0001"]

    admin_client.post(edit_url(customer), form_data(customer, nik="************0001"))

    customer.refresh_from_db()
    assert customer.nik == NIK_BUDI


def test_edit_nik_new_value_replaces(admin_client, customers):
    customer = customers["PLG-0001"]

    admin_client.post(edit_url(customer), form_data(customer, nik="3201 0155 0792 0003"))

    customer.refresh_from_db()
    assert customer.nik == "3201015507920003"


def test_edit_records_history_with_user(admin_client, admin_user, customers):
    customer = customers["PLG-0001"]

    admin_client.post(edit_url(customer), form_data(customer, nik="3201015507920003", phone="085711112222"))

    latest = customer.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == admin_user
    assert latest.history_type == "~"
    assert latest.nik == "3201015507920003"


def test_edit_street_village_fills_address(admin_client, admin_user, customers, regions_loaded):
    customer = customers["PLG-0003"]
    assert row_numbers(admin_client.get(LIST_URL, {"incomplete": "1"})) == ["PLG-0003", "PLG-0005"]

    response = admin_client.post(
        edit_url(customer), form_data(customer, street="Jl. Dahlia No. 3", village=PABUARAN_CIBINONG)
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.address == "Jl. Dahlia No. 3, Pabuaran, Cibinong, Kab. Bogor"
    assert not customer.is_incomplete
    incomplete_list = admin_client.get(LIST_URL, {"incomplete": "1"})
    assert row_numbers(incomplete_list) == ["PLG-0005"]
    assert chip_count(incomplete_list) == 1
    latest = customer.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == admin_user
    assert latest.address == "Jl. Dahlia No. 3, Pabuaran, Cibinong, Kab. Bogor"


def test_edit_keeps_typed_address(admin_client, customers, regions_loaded):
    customer = customers["PLG-0003"]
    admin_client.post(edit_url(customer), form_data(customer, street="Jl. Dahlia No. 3", village=PABUARAN_CIBINONG))
    customer.refresh_from_db()
    assert customer.address == "Jl. Dahlia No. 3, Pabuaran, Cibinong, Kab. Bogor"

    admin_client.post(
        edit_url(customer),
        form_data(customer, address="Rumah pojok", street="Jl. Dahlia No. 4", village=PABUARAN_CIBINONG),
    )

    customer.refresh_from_db()
    assert customer.street == "Jl. Dahlia No. 4"
    assert customer.address == "Rumah pojok"


def test_edit_alamat_retakes_street(admin_client, customers):
    customer = customers["PLG-0004"]
    customer.address = "Jl. Melati No. 3 RT 004/RW 011, Pabuaran, Cibinong"
    customer.street = "Jl. Melati No. 3 RT 004/RW 011"
    customer.save()

    response = admin_client.post(
        edit_url(customer),
        form_data(customer, address="Jl. Kenari No. 10 RT 002/RW 005, Pabuaran", street=customer.street),
        follow=True,
    )

    customer.refresh_from_db()
    assert customer.address == "Jl. Kenari No. 10 RT 002/RW 005, Pabuaran"
    assert customer.street == "Jl. Kenari No. 10 RT 002/RW 005"
    shown = [str(message) for message in response.context["messages"]]
    assert "Jalan sekarang berisi “Jl. Kenari No. 10 RT 002/RW 005”, diambil dari awal Alamat yang baru." in shown


def test_edit_alamat_without_street_empties_street(admin_client, customers):
    customer = customers["PLG-0004"]
    customer.street = "Jl. Kenanga 9"
    customer.save()

    response = admin_client.post(
        edit_url(customer), form_data(customer, address="Depan masjid Al-Ikhlas", street=customer.street), follow=True
    )

    customer.refresh_from_db()
    assert customer.address == "Depan masjid Al-Ikhlas"
    assert customer.street == ""
    shown = [str(message) for message in response.context["messages"]]
    assert "Jalan dikosongkan, karena Alamat yang baru tidak diawali nama jalan." in shown


def test_edit_alamat_keeping_street_keeps_it(admin_client, customers):
    customer = customers["PLG-0004"]
    customer.street = "Jl. Kenanga 9"
    customer.save()

    admin_client.post(edit_url(customer), form_data(customer, address="Jl. Kenanga 9, pagar hijau", street=customer.street))

    customer.refresh_from_db()
    assert customer.address == "Jl. Kenanga 9, pagar hijau"
    assert customer.street == "Jl. Kenanga 9"


def test_edit_street_rewrites_alamat_start(admin_client, customers):
    customer = customers["PLG-0004"]
    customer.address = "Jl. Melati No. 3 RT 004/RW 011, dekat masjid"
    customer.street = "Jl. Melati No. 3 RT 004/RW 011"
    customer.save()

    response = admin_client.post(
        edit_url(customer), form_data(customer, street="Jl. Kenari No. 10 RT 004/RW 011"), follow=True
    )

    customer.refresh_from_db()
    assert customer.street == "Jl. Kenari No. 10 RT 004/RW 011"
    assert customer.address == "Jl. Kenari No. 10 RT 004/RW 011, dekat masjid"
    shown = [str(message) for message in response.context["messages"]]
    assert "Alamat sekarang diawali jalan yang baru: “Jl. Kenari No. 10 RT 004/RW 011, dekat masjid”." in shown


def test_edit_page_shows_change_history(admin_client, customers, catalogue):
    sites, packages = catalogue
    customer = customers["PLG-0003"]
    admin_client.post(
        edit_url(customer),
        form_data(customer, nik="3201015507920003", address="Jl. Dahlia 3", package=packages["H30"].pk),
    )

    page = admin_client.get(edit_url(customer)).content.decode()

    history = page[page.index("Riwayat perubahan"):]
    assert "<td>admin</td>" in history
    assert "<li><strong>Alamat</strong>: — → Jl. Dahlia 3</li>" in history
    assert "<li><strong>NIK</strong>: — → ************0003</li>" in history
    assert "<li><strong>Paket</strong>: Home 10 Mbps → Home 30 Mbps</li>" in history
    assert "Dibuat" in history
    assert "3201015507920003" not in page


def test_edit_history_masks_old_and_new_nik(admin_client, customers):
    customer = customers["PLG-0001"]
    admin_client.post(edit_url(customer), form_data(customer, nik="3201015507920003"))

    page = admin_client.get(edit_url(customer)).content.decode()

    assert "<li><strong>NIK</strong>: ************0001 → ************0003</li>" in page
    assert NIK_BUDI not in page


def test_site_admin_cannot_open_other_site_customer(site_admin_client, customers):
    other = customers["PLG-0002"]

    assert site_admin_client.get(edit_url(other)).status_code == 404
    assert site_admin_client.post(edit_url(other), form_data(other, name="Diubah")).status_code == 404
    other.refresh_from_db()
    assert other.name == "Siti Rahmawati"


def test_site_admin_site_choices_limited(site_admin_client, customers, catalogue):
    sites, _packages = catalogue
    customer = customers["PLG-0001"]

    response = site_admin_client.get(edit_url(customer))
    choices = list(response.context["form"].fields["site"].queryset)

    assert choices == [sites["CBN"]]


def test_site_admin_cannot_move_customer_to_other_site(site_admin_client, customers, catalogue):
    sites, _packages = catalogue
    customer = customers["PLG-0001"]

    response = site_admin_client.post(edit_url(customer), form_data(customer, site=sites["BJG"].pk))

    assert response.status_code == 200
    assert field_errors(response, "site") == [
        "Masukkan pilihan yang valid. Pilihan tersebut bukan salah satu dari pilihan yang tersedia."
    ]
    customer.refresh_from_db()
    assert customer.site == sites["CBN"]


def test_site_admin_must_keep_a_site(site_admin_client, customers):
    customer = customers["PLG-0001"]

    response = site_admin_client.post(edit_url(customer), form_data(customer, site=""))

    assert field_errors(response, "site") == ["Bidang ini tidak boleh kosong."]


def test_package_choices_active_plus_current(admin_client, customers, catalogue):
    _sites, packages = catalogue
    packages["H10"].is_active = False
    packages["H10"].save()

    on_h10 = admin_client.get(edit_url(customers["PLG-0002"])).context["form"].fields["package"].queryset
    on_h20 = admin_client.get(edit_url(customers["PLG-0001"])).context["form"].fields["package"].queryset

    assert packages["H10"] in on_h10
    assert packages["H10"] not in on_h20
    assert packages["B100"] in on_h20


def test_save_next_button_only_for_incomplete(admin_client, customers):
    complete_page = admin_client.get(edit_url(customers["PLG-0001"])).content.decode()
    incomplete_page = admin_client.get(edit_url(customers["PLG-0003"])).content.decode()

    assert "Simpan & berikutnya" not in complete_page
    assert '<button type="submit" name="save_next">Simpan & berikutnya</button>' in incomplete_page


def test_save_next_opens_next_incomplete(admin_client, customers):
    customer = customers["PLG-0003"]
    data = form_data(customer, address="Jl. Dahlia 3", save_next="")
    del data["save"]

    response = admin_client.post(edit_url(customer), data)

    assert response.status_code == 302
    assert response.url == edit_url(customers["PLG-0005"])
    customer.refresh_from_db()
    assert customer.address == "Jl. Dahlia 3"


def test_save_next_stays_in_list_filter(admin_client, customers, catalogue):
    sites, _packages = catalogue
    Customer.objects.filter(number="PLG-0004").update(address="")
    customer = customers["PLG-0003"]
    query = f"?site={sites['CBN'].pk}&incomplete=on"
    listed = admin_client.get(LIST_URL + query).content.decode()
    html_query = query.replace("&", "&amp;")
    assert f'<a href="{edit_url(customer)}{html_query}">PLG-0003</a>' in listed
    data = form_data(customer, address="Jl. Dahlia 3", save_next="")
    del data["save"]

    response = admin_client.post(edit_url(customer) + query, data)

    # PLG-0004 comes next by ID, but it is in another site than the list shows.
    assert response.url == edit_url(customers["PLG-0005"]) + query
    page = admin_client.get(response.url).content.decode()
    assert f'<a class="button" href="{LIST_URL}{html_query}">Batal</a>' in page


@pytest.mark.parametrize(
    ("sort", "current", "following", "twin"),
    [
        # Incomplete by name, Z to A: Rudi, Dewi, Agus, then Rudi again.
        ("-name", "PLG-0005", "PLG-0004", False),
        ("-name", "PLG-0003", "PLG-0005", False),
        ("-number", "PLG-0005", "PLG-0004", False),
        # With PLG-0004 renamed to Rudi Hartono too, the ID orders the two.
        ("name", "PLG-0004", "PLG-0005", True),
        ("-name", "PLG-0005", "PLG-0004", True),
    ],
)
def test_save_next_follows_list_sort(admin_client, customers, sort, current, following, twin):
    Customer.objects.filter(number="PLG-0004").update(address="")
    if twin:
        Customer.objects.filter(number="PLG-0004").update(name="Rudi Hartono", name_key="rudi hartono")
    customer = customers[current]
    customer.refresh_from_db()
    query = f"?incomplete=on&sort={sort}"
    # A new name does not move the customer in the walk through the list.
    data = form_data(customer, name="Zainal Abidin", save_next="")
    del data["save"]

    response = admin_client.post(edit_url(customer) + query, data)

    assert response.status_code == 302
    assert response.url == edit_url(customers[following]) + query
    customer.refresh_from_db()
    assert customer.name == "Zainal Abidin"


def test_save_next_works_through_missing_list(admin_client, customers):
    customer = customers["PLG-0001"]
    query = "?missing=location"
    page = admin_client.get(edit_url(customer) + query).content.decode()
    # PLG-0001 is complete, but the list is of customers without a map location.
    assert '<button type="submit" name="save_next">Simpan & berikutnya</button>' in page
    data = form_data(customer, latitude="-6.4812", longitude="106.8421", save_next="")
    del data["save"]

    response = admin_client.post(edit_url(customer) + query, data)

    assert response.url == edit_url(customers["PLG-0002"]) + query
    Customer.objects.exclude(pk=customer.pk).update(latitude=Decimal("-6.5"), longitude=Decimal("106.8"))
    customer.refresh_from_db()
    last = admin_client.post(edit_url(customer) + query, form_data(customer, save_next=""), follow=True)
    # The first save's message waited for a page to show it.
    assert [str(message) for message in last.context["messages"]] == [
        "Pelanggan PLG-0001 disimpan.",
        "Tidak ada yang berubah, jadi pelanggan PLG-0001 tidak disimpan.",
        "Tidak ada pelanggan lain yang tersisa di daftar ini.",
    ]


def test_save_next_starts_again_from_first(admin_client, customers):
    customer = customers["PLG-0005"]
    data = form_data(customer, save_next="")

    response = admin_client.post(edit_url(customer), data)

    assert response.url == edit_url(customers["PLG-0003"])


def test_save_next_when_none_left(admin_client, customers, catalogue):
    _sites, packages = catalogue
    Customer.objects.filter(number="PLG-0003").update(address="Jl. Dahlia 3")
    customer = customers["PLG-0005"]

    response = admin_client.post(
        edit_url(customer), form_data(customer, package=packages["H20"].pk, save_next=""), follow=True
    )

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "Pelanggan PLG-0005 disimpan.",
        "Tidak ada lagi pelanggan yang belum lengkap.",
    ]


def test_save_next_stays_in_site_scope(site_admin_client, customers, catalogue):
    sites, _packages = catalogue
    Customer.objects.create(number="PLG-0004A", name="Lain Site", site=sites["BJG"])
    customer = customers["PLG-0003"]

    response = site_admin_client.post(edit_url(customer), form_data(customer, save_next=""))

    assert response.url == edit_url(customers["PLG-0005"])


def test_edit_rejects_id_differing_in_case(admin_client, customers):
    customer = customers["PLG-0002"]

    response = admin_client.post(edit_url(customer), form_data(customer, number="plg-0001"))

    assert response.status_code == 200
    assert field_errors(response, "number") == ["Pelanggan lain sudah memakai ID Pelanggan ini."]
    customer.refresh_from_db()
    assert customer.number == "PLG-0002"


def test_edit_refuses_save_over_newer_change(admin_client, customers):
    customer = customers["PLG-0001"]
    page = admin_client.get(edit_url(customer)).content.decode()
    loaded = re.search(r'name="loaded_version" value="([^"]+)"', page).group(1)
    # The customer saves a new email in the portal while the page is open.
    fresh = Customer.objects.get(pk=customer.pk)
    fresh.email = "baru@example.id"
    fresh.save()

    response = admin_client.post(
        edit_url(customer), form_data(customer, status="suspended", loaded_version=loaded)
    )

    assert response.status_code == 200
    assert [str(error) for error in response.context["form"].non_field_errors()] == [
        "Pelanggan ini diubah setelah halaman ini Anda buka, jadi tidak ada yang disimpan. "
        "Muat ulang halaman, lalu ulangi perubahan Anda."
    ]
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.email == "baru@example.id"
    assert stored.status == customer.status


def test_edit_saves_with_current_version(admin_client, customers):
    customer = customers["PLG-0001"]
    page = admin_client.get(edit_url(customer)).content.decode()
    loaded = re.search(r'name="loaded_version" value="([^"]+)"', page).group(1)

    response = admin_client.post(edit_url(customer), form_data(customer, email="ani@example.id", loaded_version=loaded))

    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).email == "ani@example.id"


def test_edit_refuses_nik_of_other_person(admin_client, customers):
    customer = customers["PLG-0002"]

    response = admin_client.post(edit_url(customer), form_data(customer, nik=NIK_BUDI))

    assert response.status_code == 200
    [error] = field_errors(response, "nik")
    assert error.startswith("NIK “************0001” sudah dimiliki PLG-0001 (Budi Santoso) dengan nama lain.")
    assert Customer.objects.get(pk=customer.pk).nik == ""


def test_site_admin_rename_keeps_nik(site_admin_client, customers):
    # The same person has a subscription in Bojonggede, a site the site admin does not manage.
    Customer.objects.filter(number="PLG-0002").update(name="Budi Santoso", name_key="budi santoso", nik=NIK_BUDI)
    customer = customers["PLG-0001"]

    response = site_admin_client.post(edit_url(customer), form_data(customer, name="Yuliana Putri"))

    assert response.status_code == 200
    [error] = field_errors(response, "nik")
    assert error.startswith(
        "NIK “************0001” sudah dimiliki pelanggan di site yang tidak Anda kelola dengan nama lain."
    )
    assert "PLG-0002" not in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).name == "Budi Santoso"


def test_edit_allows_nik_of_same_person(admin_client, customers):
    customer = customers["PLG-0002"]

    response = admin_client.post(edit_url(customer), form_data(customer, name="Budi Santoso", nik=NIK_BUDI))

    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).nik == NIK_BUDI


def saved_messages(client, customer, **changes):
    response = client.post(edit_url(customer), form_data(customer, **changes), follow=True)
    return [str(message) for message in response.context["messages"]]


def test_edit_warns_of_shared_phone(admin_client, customers):
    """Families share a phone, so the save goes through with a warning."""
    admin_client.cookies["django_language"] = "en"
    customer = customers["PLG-0002"]

    shared = saved_messages(admin_client, customer, phone="0812 3456 7890")
    customer.refresh_from_db()
    renamed = saved_messages(admin_client, customer, name="Siti Rahmawati Putri")

    assert shared == [
        "Customer PLG-0002 saved.",
        "Phone number 0812-3456-7890 is also used by PLG-0001 (Budi Santoso).",
    ]
    assert customer.phone == "+6281234567890"
    # The phone did not change in this save, so there is nothing to warn of.
    assert renamed == ["Customer PLG-0002 saved."]


def test_shared_phone_warning_names_visible_customers(site_admin_client, customers):
    site_admin_client.cookies["django_language"] = "en"
    Customer.objects.filter(number="PLG-0002").update(phone="+6285712345678")

    shared = saved_messages(site_admin_client, customers["PLG-0003"], phone="0857-1234-5678")

    assert shared == [
        "Customer PLG-0003 saved.",
        "Phone number 0857-1234-5678 is also used by PLG-0005 (Rudi Hartono).",
    ]


def test_edit_selects_name_empty_choice(admin_client, customers):
    page = admin_client.get(edit_url(customers["PLG-0005"])).content.decode()

    assert '<option value="" selected>Tanpa paket</option>' in page
    assert '<option value="">Tanpa site</option>' in page
    assert "---------" not in page


def test_site_admin_gets_no_empty_site(site_admin_client, customers):
    page = site_admin_client.get(edit_url(customers["PLG-0001"])).content.decode()

    assert "Tanpa site" not in page
    assert re.search(r'<select name="site" id="id_site">\s*<option value="\d+" selected>Cibinong</option>\s*</select>', page)


def test_edit_warns_of_future_date(admin_client, customers):
    customer = customers["PLG-0001"]
    future = timezone.localdate() + datetime.timedelta(days=400)

    response = admin_client.post(edit_url(customer), form_data(customer, installed_on=future.strftime("%d/%m/%Y")), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Pelanggan PLG-0001 disimpan.",
        f"Tanggal Pasang {future:%d/%m/%Y} masih di masa depan. Periksa tahunnya jika pelanggan sudah terpasang.",
    ]
    assert Customer.objects.get(pk=customer.pk).installed_on == future


@pytest.mark.django_db(transaction=True)
def test_edit_rejects_save_during_other_save(admin_client, customers):
    """Another connection saves PLG-0001's email and keeps the row locked
    while an admin posts a form opened before that save. The form's version
    check must wait for the other save and reject the form, or its stale
    email overwrites the new one."""
    admin_client.cookies["django_language"] = "en"
    customer = customers["PLG-0001"]
    page = admin_client.get(edit_url(customer)).content.decode()
    loaded = re.search(r'name="loaded_version" value="([^"]+)"', page).group(1)
    other_locked, other_release = threading.Event(), threading.Event()
    outcome = {}

    def other_save():
        try:
            with transaction.atomic():
                fresh = Customer.objects.select_for_update().get(pk=customer.pk)
                fresh.email = "baru@example.id"
                fresh.save()
                other_locked.set()
                other_release.wait(WAIT_SECONDS)
        except Exception as error:  # reported to the test below
            outcome["other"] = error
        finally:
            other_locked.set()
            connection.close()

    def post_form():
        try:
            data = form_data(customer, status="suspended", loaded_version=loaded)
            outcome["post"] = admin_client.post(edit_url(customer), data)
        finally:
            connection.close()

    first = threading.Thread(target=other_save)
    first.start()
    assert other_locked.wait(WAIT_SECONDS)
    second = threading.Thread(target=post_form)
    second.start()
    wait_until_blocked()
    other_release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)

    assert "other" not in outcome
    response = outcome["post"]
    assert response.status_code == 200
    assert [str(error) for error in response.context["form"].non_field_errors()] == [
        "This customer was changed after you opened this page, so nothing was saved. "
        "Reload the page, then make your changes again."
    ]
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.email == "baru@example.id"
    assert stored.status == Customer.Status.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_edit_id_taken_during_save(admin_client, customers):
    """Another connection inserts PLG-0900 and has not committed when an
    admin saves PLG-0001 under that ID. The form's unique check cannot see
    the row yet, so the save must turn the database's unique error into
    the form's error instead of a server error."""
    admin_client.cookies["django_language"] = "en"
    customer = customers["PLG-0001"]
    insert_done, insert_release = threading.Event(), threading.Event()
    outcome = {}

    def insert_other():
        try:
            with transaction.atomic():
                Customer.objects.create(number="PLG-0900", name="Andi Wijaya")
                insert_done.set()
                insert_release.wait(WAIT_SECONDS)
        except Exception as error:  # reported to the test below
            outcome["insert"] = error
        finally:
            insert_done.set()
            connection.close()

    def post_form():
        try:
            outcome["post"] = admin_client.post(edit_url(customer), form_data(customer, number="PLG-0900"))
        finally:
            connection.close()

    first = threading.Thread(target=insert_other)
    first.start()
    assert insert_done.wait(WAIT_SECONDS)
    second = threading.Thread(target=post_form)
    second.start()
    wait_until_blocked()
    insert_release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)

    assert "insert" not in outcome
    response = outcome["post"]
    assert response.status_code == 200
    # On SQLite the edit waits for the insert and the form's unique check reports
    # the ID with a lazy message, which is read in the test's language.
    with translation.override("en"):
        assert field_errors(response, "number") == ["Another customer already has this customer ID."]
    assert Customer.objects.get(pk=customer.pk).number == "PLG-0001"
    assert Customer.objects.filter(number="PLG-0900").count() == 1
