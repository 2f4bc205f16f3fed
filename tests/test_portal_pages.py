"""Portal pages for a logged-in customer, and the staff side of change requests."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client

from audit.models import NikReveal
from customers import services
from customers.models import Customer, format_address
from portal.forms import CUSTOMER_BACKEND
from portal.models import ChangeRequest
from regions.matching import MATCHED, RegionMatcher
from regions.models import Village
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    NIK_A,
    NIK_B,
    PASSWORD_A,
    PASSWORD_B,
    catalogue,
    client_a,
    customer_a,
    customer_b,
    error_texts,
    message_texts,
    site_admin_cbn,
    user_a,
    user_b,
)

PABUARAN_CIBINONG = "32.01.01.1012"
NEW_NIK = "3201016608950003"


def profile_data(customer, **changes):
    """Return the profile form's POST data with the customer's stored values and `changes`."""
    data = {
        "name": customer.name,
        "email": customer.email,
        "street": customer.street,
        "address": customer.address,
        "village": customer.village_id or "",
        "location": "",
        "latitude": "" if customer.latitude is None else str(customer.latitude),
        "longitude": "" if customer.longitude is None else str(customer.longitude),
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------------------
# Home page


def test_home_shows_own_data_read_only(client_a, customer_a):
    page = client_a.get("/portal/").content.decode()

    assert "<h1>Halo, Budi Santoso</h1>" in page
    assert '<td id="customer-number" class="nowrap">PLG-0001</td>' in page
    assert '<td id="customer-package">Home 20 Mbps · 20/10 Mbps · Rp200.000</td>' in page
    assert "<td>Cibinong</td>" in page
    assert "<td>Aktif</td>" in page
    assert "<td class=\"nowrap\">0812-3456-7890</td>" in page
    assert "<td>************0001</td>" in page
    assert NIK_A not in page
    details = page.split('<table class="details">')[1].split("</table>")[0]
    assert "<input" not in details
    assert "<select" not in details


def test_home_shows_no_staff_menu(client_a):
    page = client_a.get("/portal/").content.decode()

    assert 'class="menu"' not in page
    assert "/customers/" not in page
    assert '<span class="username">PLG-0001</span>' in page
    assert '<form action="/portal/logout/" method="post" class="inline">' in page


def test_anonymous_redirected_to_portal_login(client, db):
    response = client.get("/portal/profile/")

    assert response.status_code == 302
    assert response.url == "/portal/login/?next=/portal/profile/"


def test_profile_save_after_customer_deleted(client_a, customer_a, admin_user):
    """The admin deleted the customer after the profile page was loaded.
    The delete deactivated the portal account, so the save's request is no
    longer authenticated, and the login page shows why."""
    client_a.cookies["django_language"] = "en"
    services.customer_delete(customer_a.pk, by=admin_user)

    response = client_a.post("/portal/profile/", profile_data(customer_a, name="Budi S."))

    assert response.status_code == 302
    assert response.url == "/portal/login/"
    assert "_auth_user_id" not in client_a.session
    assert message_texts(client_a.get(response.url)) == [
        "Your changes were not saved, because your portal account is no longer active. "
        "Contact the admin of your internet provider."
    ]
    assert not Customer.objects.filter(pk=customer_a.pk).exists()


def test_portal_page_after_anonymising(client_a, customer_a, admin_user):
    client_a.cookies["django_language"] = "en"
    services.customer_anonymise(customer_a, by=admin_user)

    response = client_a.get("/portal/")

    assert response.status_code == 302
    assert response.url == "/portal/login/"
    assert message_texts(client_a.get(response.url)) == [
        "Your portal account is no longer active. Contact the admin of your internet provider."
    ]
    # The session is logged out, so the next page is an ordinary login redirect.
    assert client_a.get("/portal/profile/").url == "/portal/login/?next=/portal/profile/"


def test_closed_staff_session_gets_plain_login(client, django_user_model):
    """Only sessions of the portal's own login get the message."""
    client.cookies["django_language"] = "en"
    staff = django_user_model.objects.create_user(username="staf", password="x", is_staff=True)
    client.force_login(staff)
    django_user_model.objects.filter(pk=staff.pk).update(is_active=False)

    response = client.get("/portal/profile/")

    assert response.url == "/portal/login/?next=/portal/profile/"
    assert message_texts(client.get(response.url)) == []


def test_site_root_sends_customer_to_portal(client_a):
    response = client_a.get("/")

    assert response.status_code == 302
    assert response.url == "/portal/"


def test_portal_pages_are_not_cached(client_a):
    response = client_a.get("/portal/")

    assert "no-store" in response["Cache-Control"].split(", ")
    assert "private" in response["Cache-Control"].split(", ")


# ---------------------------------------------------------------------------
# Editing own data


def test_profile_edit_saves_address_region_and_pin(client_a, customer_a, regions_loaded):
    data = profile_data(
        customer_a,
        name="Budi  Santoso Wijaya",
        email="Budi.Baru@Contoh.ID",
        street="Jl. Kenanga No. 9 RT 001/RW 004",
        address="Perumahan Griya Blok C",
        village=PABUARAN_CIBINONG,
        location="-6.4812, 106.8421",
    )

    response = client_a.post("/portal/profile/", data)

    assert response.status_code == 302
    assert response.url == "/portal/"
    customer_a.refresh_from_db()
    assert customer_a.name == "Budi Santoso Wijaya"
    assert customer_a.email == "Budi.Baru@contoh.id"
    assert customer_a.street == "Jl. Kenanga No. 9 RT 001/RW 004"
    assert customer_a.address == "Perumahan Griya Blok C"
    assert customer_a.village_id == PABUARAN_CIBINONG
    assert customer_a.latitude == Decimal("-6.481200")
    assert customer_a.longitude == Decimal("106.842100")
    home = client_a.get("/portal/")
    assert message_texts(home) == ["Data Anda sudah disimpan."]
    assert '<td id="customer-village">Pabuaran, Cibinong, Kabupaten Bogor, Jawa Barat</td>' in home.content.decode()
    assert '<td id="customer-location">-6.4812, 106.8421</td>' in home.content.decode()


def test_profile_alamat_edit_retakes_street(client_a, customer_a):
    Customer.objects.filter(pk=customer_a.pk).update(
        street="Jl. Melati No. 3 RT 004/RW 011", address="Jl. Melati No. 3 RT 004/RW 011, dekat masjid"
    )
    customer_a.refresh_from_db()

    response = client_a.post(
        "/portal/profile/", profile_data(customer_a, address="Jl. Kenari No. 10 RT 001/RW 002, depan warung")
    )

    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.address == "Jl. Kenari No. 10 RT 001/RW 002, depan warung"
    assert customer_a.street == "Jl. Kenari No. 10 RT 001/RW 002"


def test_profile_edit_reads_typed_coordinates(client_a, customer_a):
    response = client_a.post("/portal/profile/", profile_data(customer_a, latitude="-6,4812", longitude="106,8421"))

    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert (customer_a.latitude, customer_a.longitude) == (Decimal("-6.481200"), Decimal("106.842100"))


def test_profile_edit_swaps_reversed_coordinates(client_a, customer_a):
    client_a.post("/portal/profile/", profile_data(customer_a, latitude="106.8421", longitude="-6.4812"))

    customer_a.refresh_from_db()
    assert (customer_a.latitude, customer_a.longitude) == (Decimal("-6.481200"), Decimal("106.842100"))


def test_profile_edit_reads_maps_link(client_a, customer_a):
    link = "https://www.google.com/maps/place/Cibinong/@-6.48,106.84,17z/data=!3d-6.4812!4d106.8421"

    client_a.post("/portal/profile/", profile_data(customer_a, location=link))

    customer_a.refresh_from_db()
    assert (customer_a.latitude, customer_a.longitude) == (Decimal("-6.481200"), Decimal("106.842100"))


@pytest.mark.parametrize(
    ("changes", "field_errors"),
    [
        ({"name": "   "}, ["Bidang ini tidak boleh kosong."]),
        ({"email": "budi@"}, ["“budi@” bukan alamat email yang valid. Tulis seperti nama@contoh.id."]),
        ({"latitude": "-6.4812"}, ["Latitude “-6.4812” tidak punya longitude. Isi keduanya atau kosongkan keduanya."]),
        ({"latitude": "51.5", "longitude": "-0.12"}, ["Latitude “51.5” berada di luar Indonesia, yang terletak antara -11.5 dan 6.5. Periksa titik lokasinya."]),
        ({"village": "99.99.99.9999"}, ["Masukkan pilihan yang valid. Pilihan tersebut bukan salah satu dari pilihan yang tersedia."]),
    ],
)
def test_profile_edit_rejects_invalid_values(client_a, customer_a, changes, field_errors):
    response = client_a.post("/portal/profile/", profile_data(customer_a, **changes))

    assert response.status_code == 200
    assert error_texts(response) == field_errors
    stored = Customer.objects.get(pk=customer_a.pk)
    assert (stored.name, stored.email, stored.latitude) == ("Budi Santoso", "budi@contoh.id", None)


@pytest.fixture
def second_subscription_a(customer_a):
    """A second subscription of the person of customer A: same NIK, same name."""
    return Customer.objects.create(number="PLG-0003", name="BUDI  santoso", nik=NIK_A, site=customer_a.site)


def test_profile_rename_rejected_for_shared_nik(client_a, customer_a, second_subscription_a):
    client_a.cookies["django_language"] = "en"

    renamed = client_a.post("/portal/profile/", profile_data(customer_a, name="Siti Rahmawati"))
    # Changing only case or spacing keeps the name key, so the NIK stays under one name.
    recased = client_a.post("/portal/profile/", profile_data(customer_a, name="budi santoso"))

    assert renamed.status_code == 200
    assert error_texts(renamed) == [
        "Your NIK is also registered for another customer account, so your name cannot be changed here. "
        "Contact the admin of your internet provider to change it."
    ]
    assert "PLG-0003" not in renamed.content.decode()
    assert recased.status_code == 302
    assert Customer.objects.get(pk=customer_a.pk).name == "budi santoso"


def test_profile_edit_history_user_is_customer(client_a, customer_a, user_a):
    before = customer_a.history.count()

    client_a.post("/portal/profile/", profile_data(customer_a, street="Jl. Anggrek No. 1 RT 005/RW 001"))

    assert customer_a.history.count() == before + 1
    latest = customer_a.history.latest("history_id")
    assert latest.history_user == user_a
    assert latest.history_type == "~"
    assert latest.street == "Jl. Anggrek No. 1 RT 005/RW 001"
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["street"]


def test_profile_edit_without_changes_adds_no_history(client_a, customer_a):
    before = customer_a.history.count()

    response = client_a.post("/portal/profile/", profile_data(customer_a))

    assert response.status_code == 302
    assert customer_a.history.count() == before
    assert message_texts(client_a.get("/portal/")) == ["Tidak ada yang diubah."]


def test_profile_edit_keeps_concurrent_staff_change(client_a, customer_a, catalogue):
    _sites, packages = catalogue
    page = client_a.get("/portal/profile/")
    Customer.objects.filter(pk=customer_a.pk).update(package=packages["B50"])

    client_a.post("/portal/profile/", profile_data(customer_a, street="Jl. Baru 1"))

    stored = Customer.objects.get(pk=customer_a.pk)
    assert page.status_code == 200
    assert stored.package == packages["B50"]
    assert stored.street == "Jl. Baru 1"


class FormInputs(HTMLParser):
    """The name and value of every input and textarea of a page, as a browser posts them."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") and attributes.get("type") != "submit":
            self.values[attributes["name"]] = attributes.get("value") or ""
        elif tag == "textarea":
            self._textarea = attributes["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def posted_form(page):
    parser = FormInputs()
    parser.feed(page.content.decode())
    # A textarea's first newline belongs to the markup, not to the value.
    return {name: value.removeprefix("\n") for name, value in parser.values.items()}


def test_profile_edit_keeps_fields_staff_changed_meanwhile(client_a, customer_a):
    Customer.objects.filter(pk=customer_a.pk).update(address="Jl. Mawar No. 5", email="budi@contoh.id")
    data = posted_form(client_a.get("/portal/profile/"))
    stored = Customer.objects.get(pk=customer_a.pk)
    stored.name = "Budi Santoso Wijaya"
    stored.address = "Jl. Mawar No. 7, depan masjid"
    stored.save()

    data["email"] = "budi.baru@contoh.id"
    response = client_a.post("/portal/profile/", data)

    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.name, stored.address, stored.email) == (
        "Budi Santoso Wijaya",
        "Jl. Mawar No. 7, depan masjid",
        "budi.baru@contoh.id",
    )
    assert customer_a.history.latest("history_id").diff_against(
        customer_a.history.order_by("-history_id")[1]
    ).changed_fields == ["email"]


def test_profile_page_has_map_and_region_widgets(client_a, customer_a):
    page = client_a.get("/portal/profile/").content.decode()

    assert 'data-location-picker' in page
    assert 'data-region-picker' in page
    assert '<script src="/static/regions/location-picker.js"></script>' in page
    assert 'name="nik"' not in page
    assert 'name="phone"' not in page
    assert 'name="package"' not in page


def test_profile_page_explains_address_filling(client_a, customer_a):
    page = client_a.get("/portal/profile/").content.decode()

    assert "Alamat lengkap, dengan petunjuk seperti patokan. Diisi dari jalan dan kelurahan/desa bila dikosongkan." in page


# ---------------------------------------------------------------------------
# Completing the address through the portal

PABUARAN_ADDRESS = "Jl. Mawar No. 5, Pabuaran, Cibinong, Kab. Bogor"
MAPS_LINK = "https://www.google.com/maps/place/Cibinong/@-6.48,106.84,17z/data=!3d-6.4812!4d106.8421"


def staff_incomplete_numbers(staff_client):
    """Return the customer IDs that the staff list shows under its Belum lengkap filter."""
    page = staff_client.get("/customers/", {"incomplete": "1"}).content.decode()
    return re.findall(r'<td data-label="[^"]+"><a href="/customers/\d+/(?:\?[^"]*)?">([^<]+)</a></td>', page)


def dashboard_incomplete_count(staff_client):
    """Return the dashboard's Belum lengkap count over all sites."""
    page = staff_client.get("/customers/dashboard/").content.decode()
    total = page[page.index('data-site="total"'):]
    return int(re.search(r'data-count="incomplete" href="[^"]*">(\d+)</a>', total)[1])


@pytest.fixture
def staff_client(admin_user):
    """A second browser, logged in as an admin, next to the customer's client_a."""
    staff = Client()
    staff.force_login(admin_user)
    return staff


@pytest.fixture
def customer_a_without_address(customer_a):
    """Customer A with a package but no Alamat and no street, as invited."""
    Customer.objects.filter(pk=customer_a.pk).update(address="", street="")
    customer_a.refresh_from_db()
    return customer_a


def test_profile_street_village_completes_customer(
    client_a, customer_a_without_address, user_a, staff_client, regions_loaded
):
    customer = customer_a_without_address
    assert customer.is_incomplete
    assert staff_incomplete_numbers(staff_client) == ["PLG-0001"]
    assert dashboard_incomplete_count(staff_client) == 1

    data = profile_data(customer, street="Jl. Mawar No. 5", village=PABUARAN_CIBINONG, location=MAPS_LINK)
    response = client_a.post("/portal/profile/", data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.address == PABUARAN_ADDRESS
    assert not customer.is_incomplete
    assert not Customer.objects.incomplete().filter(pk=customer.pk).exists()
    assert Customer.objects.complete().filter(pk=customer.pk).exists()
    assert staff_incomplete_numbers(staff_client) == []
    assert dashboard_incomplete_count(staff_client) == 0

    latest = customer.history.latest("history_id")
    assert latest.history_user == user_a
    assert latest.address == PABUARAN_ADDRESS
    changed = {change.field for change in latest.diff_against(latest.prev_record).changes}
    assert changed == {"street", "address", "village", "latitude", "longitude"}


def test_profile_keeps_typed_address(client_a, customer_a, regions_loaded):
    # The Alamat typed before the street and village are chosen stays.
    client_a.post("/portal/profile/", profile_data(customer_a, village=PABUARAN_CIBINONG))
    customer_a.refresh_from_db()
    assert customer_a.address == "Dekat masjid"

    # A cleared Alamat is written from the street and village.
    client_a.post("/portal/profile/", profile_data(customer_a, address=""))
    customer_a.refresh_from_db()
    assert customer_a.address == "Jl. Mawar No. 5 RT 002/RW 003, Pabuaran, Cibinong, Kab. Bogor"

    # Directions typed over the written Alamat stay when the street changes.
    client_a.post("/portal/profile/", profile_data(customer_a, address="Pagar hijau"))
    customer_a.refresh_from_db()
    client_a.post("/portal/profile/", profile_data(customer_a, street="Jl. Kenanga No. 9"))
    customer_a.refresh_from_db()
    assert customer_a.street == "Jl. Kenanga No. 9"
    assert customer_a.address == "Pagar hijau"


def test_profile_written_address_follows_street(client_a, customer_a_without_address, regions_loaded):
    customer = customer_a_without_address
    client_a.post("/portal/profile/", profile_data(customer, street="Jl. Mawar No. 5", village=PABUARAN_CIBINONG))
    customer.refresh_from_db()
    assert customer.address == PABUARAN_ADDRESS

    # The form shows the written Alamat, so it is posted back unchanged with the new street.
    client_a.post("/portal/profile/", profile_data(customer, street="Jl. Kenanga No. 9"))

    customer.refresh_from_db()
    assert customer.address == "Jl. Kenanga No. 9, Pabuaran, Cibinong, Kab. Bogor"


def test_written_address_matches_its_village(db, regions_loaded):
    village = Village.objects.get(code=PABUARAN_CIBINONG)

    result = RegionMatcher().match(address=format_address("Jl. Mawar No. 5", village))

    assert result.status == MATCHED
    assert result.village_code == PABUARAN_CIBINONG
    assert result.street == "Jl. Mawar No. 5"


# ---------------------------------------------------------------------------
# Change requests by the customer


def test_nik_change_request_waits_for_approval(client_a, customer_a, user_a):
    response = client_a.post("/portal/requests/new/", {"field": "nik", "value": "3201 0166 0895 0003"})

    assert response.status_code == 302
    change_request = ChangeRequest.objects.get()
    assert change_request.customer == customer_a
    assert change_request.field == "nik"
    assert change_request.new_value == NEW_NIK
    assert change_request.status == ChangeRequest.Status.PENDING
    assert change_request.created_by == user_a
    customer_a.refresh_from_db()
    assert customer_a.nik == NIK_A
    home = client_a.get("/portal/")
    assert message_texts(home) == ["Permintaan Anda sudah dikirim. Admin akan memeriksanya sebelum berlaku."]
    assert '<td data-label="Nilai baru">************0003</td>' in home.content.decode()
    assert NEW_NIK not in home.content.decode()


def test_phone_change_request_stored_as_e164(client_a, customer_a):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})

    change_request = ChangeRequest.objects.get()
    assert change_request.new_value == "+6285712345678"
    assert '<td data-label="Nilai baru">0857-1234-5678</td>' in client_a.get("/portal/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "expected_error"),
    [
        ("nik", "123", "NIK “123” terdiri dari 3 digit, padahal NIK terdiri dari 16 digit. Periksa dengan KTP."),
        ("nik", "9901011203900001", "NIK “9901011203900001” diawali 99, yang bukan kode provinsi Indonesia. Periksa dengan KTP."),
        ("nik", NIK_A, "3201011203900001 sudah menjadi data Anda saat ini."),
        ("phone", "12345", "“12345” bukan nomor HP yang valid. Tulis seperti 0812-3456-7890."),
        ("phone", "+1 202 555 0143", "“+1 202 555 0143” bukan nomor Indonesia. Tulis nomor Indonesia seperti 0812-3456-7890."),
        ("phone", "0812-3456-7890", "0812-3456-7890 sudah menjadi data Anda saat ini."),
        ("phone", "0812-3456-7890 / 0857-1234-5678", "“0812-3456-7890 / 0857-1234-5678” berisi lebih dari satu nomor HP. Isi satu nomor saja."),
    ],
)
def test_change_request_validated_on_submit(client_a, customer_a, field, value, expected_error):
    response = client_a.post("/portal/requests/new/", {"field": field, "value": value})

    assert response.status_code == 200
    assert error_texts(response) == [expected_error]
    assert not ChangeRequest.objects.exists()


def test_change_request_names_what_is_missing(client_a, customer_a):
    response = client_a.post("/portal/requests/new/", {"field": "", "value": ""})

    assert response.status_code == 200
    assert error_texts(response) == ["Pilih data yang ingin diubah.", "Ketik NIK atau No. HP yang baru."]
    assert not ChangeRequest.objects.exists()


def test_new_request_replaces_pending_one(client_a, customer_a):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-9999-0000"})
    client_a.post("/portal/requests/new/", {"field": "nik", "value": NEW_NIK})

    rows = list(ChangeRequest.objects.order_by("id").values_list("field", "new_value", "status"))
    assert rows == [
        ("phone", "+6285712345678", "replaced"),
        ("phone", "+6285799990000", "pending"),
        ("nik", NEW_NIK, "pending"),
    ]
    assert '<td data-label="Status">Digantikan permintaan baru</td>' in client_a.get("/portal/").content.decode()


def test_repeated_request_kept_once(client_a, customer_a):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857 1234 5678"})
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "+62 857-1234-5678"})

    rows = list(ChangeRequest.objects.values_list("field", "new_value", "status"))
    assert rows == [("phone", "+6285712345678", "pending")]
    assert message_texts(client_a.get("/portal/")) == [
        "Permintaan Anda sudah dikirim. Admin akan memeriksanya sebelum berlaku.",
        "Permintaan yang sama sudah dikirim dan sedang menunggu persetujuan.",
        "Permintaan yang sama sudah dikirim dan sedang menunggu persetujuan.",
    ]


def test_repeated_request_message_english(client_a, customer_a):
    client_a.cookies["django_language"] = "en"
    client_a.post("/portal/requests/new/", {"field": "nik", "value": NEW_NIK})
    client_a.post("/portal/requests/new/", {"field": "nik", "value": NEW_NIK})

    assert ChangeRequest.objects.count() == 1
    home = client_a.get("/portal/")
    assert message_texts(home) == [
        "Your request has been sent. An admin will check it before it takes effect.",
        "The same request has already been sent and is waiting for approval.",
    ]
    assert '<td data-label="Status">Waiting for approval</td>' in home.content.decode()


def test_decided_request_can_be_sent_again(client_a, customer_a):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    ChangeRequest.objects.update(status=ChangeRequest.Status.REJECTED)
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})

    rows = list(ChangeRequest.objects.order_by("id").values_list("new_value", "status"))
    assert rows == [("+6285712345678", "rejected"), ("+6285712345678", "pending")]


def test_customer_cancels_own_request(client_a, customer_a):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    change_request = ChangeRequest.objects.get()

    response = client_a.post(f"/portal/requests/{change_request.pk}/cancel/")
    again = client_a.post(f"/portal/requests/{change_request.pk}/cancel/")

    assert response.status_code == 302
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.CANCELLED
    assert message_texts(client_a.get("/portal/")) == [
        "Permintaan Anda sudah dikirim. Admin akan memeriksanya sebelum berlaku.",
        "Permintaan Anda sudah dibatalkan.",
        "Permintaan ini sudah diputuskan dan tidak bisa dibatalkan lagi.",
    ]
    assert again.status_code == 302


# ---------------------------------------------------------------------------
# Change requests by staff


@pytest.fixture
def requests_a_and_b(customer_a, customer_b, user_a, user_b):
    """A pending NIK change of customer A (Cibinong) and phone change of customer B (Bojonggede)."""
    request_a = ChangeRequest.objects.create(customer=customer_a, field="nik", new_value=NEW_NIK, created_by=user_a)
    request_b = ChangeRequest.objects.create(
        customer=customer_b, field="phone", new_value="+6285712345678", created_by=user_b
    )
    return request_a, request_b


def test_staff_list_shows_pending_requests(admin_client, requests_a_and_b):
    page = admin_client.get("/portal/staff/requests/").content.decode()

    request_a, request_b = requests_a_and_b
    assert f'id="change-request-{request_a.pk}"' in page
    assert f'id="change-request-{request_b.pk}"' in page
    assert '<td data-label="Nilai sekarang">************0001</td>' in page
    assert f'<td data-label="Nilai baru"><strong>{NEW_NIK}</strong></td>' in page
    assert '<td data-label="Nilai sekarang">0813-1111-2222</td>' in page
    assert '<td data-label="Nilai baru"><strong>0857-1234-5678</strong></td>' in page
    assert (
        '<a href="/portal/staff/requests/">Permintaan perubahan '
        '<span class="count" id="pending-requests" title="Menunggu keputusan">2</span></a>'
    ) in page


def shared_value_warnings(response):
    return re.findall(r'<p class="warning-box shared-value">(.*?)</p>', response.content.decode(), flags=re.S)


def approve_anyway_tokens(response):
    return re.findall(r'name="approve_anyway" value="([0-9a-f]+)"', response.content.decode())


def test_request_list_warns_of_shared_phone(admin_client, customer_a, customer_b, user_b):
    """Families share a phone, so the approval goes through once ticked."""
    admin_client.cookies["django_language"] = "en"
    change_request = ChangeRequest.objects.create(
        customer=customer_b, field="phone", new_value=customer_a.phone, created_by=user_b
    )

    listed = admin_client.get("/portal/staff/requests/")
    [token] = approve_anyway_tokens(listed)
    approved = admin_client.post(
        f"/portal/staff/requests/{change_request.pk}/approve/", {"approve_anyway": token}, follow=True
    )

    warning = "Phone number 0812-3456-7890 is also used by PLG-0001 (Budi Santoso)."
    assert shared_value_warnings(listed) == [warning]
    assert message_texts(approved) == ["The change for customer PLG-0002 has been approved and saved.", warning]
    assert Customer.objects.get(pk=customer_b.pk).phone == customer_a.phone


def test_shared_phone_approval_needs_tick(client, admin_client, customer_a, customer_b, user_a, user_b):
    admin_client.cookies["django_language"] = "en"
    change_request = ChangeRequest.objects.create(
        customer=customer_b, field="phone", new_value=customer_a.phone, created_by=user_b
    )

    refused = admin_client.post(f"/portal/staff/requests/{change_request.pk}/approve/", follow=True)

    assert message_texts(refused) == [
        "Phone number 0812-3456-7890 is also used by PLG-0001 (Budi Santoso). The request of customer PLG-0002 "
        "was not approved, because each customer with this number can log in to the portal with it. If they "
        "share the phone, tick “Approve anyway” and approve again. Otherwise reject the request."
    ]
    assert Customer.objects.get(pk=customer_b.pk).phone == "+6281311112222"
    assert ChangeRequest.objects.get(pk=change_request.pk).status == ChangeRequest.Status.PENDING
    assert approve_anyway_tokens(refused) != []


def test_approve_anyway_covers_listed_holders(admin_client, customer_a, customer_b, user_b, catalogue):
    change_request = ChangeRequest.objects.create(
        customer=customer_b, field="phone", new_value=customer_a.phone, created_by=user_b
    )
    [token] = approve_anyway_tokens(admin_client.get("/portal/staff/requests/"))
    sites, _packages = catalogue
    Customer.objects.create(number="PLG-0009", name="Joko", phone=customer_a.phone, site=sites["CBN"])

    admin_client.post(f"/portal/staff/requests/{change_request.pk}/approve/", {"approve_anyway": token})

    assert Customer.objects.get(pk=customer_b.pk).phone == "+6281311112222"
    assert ChangeRequest.objects.get(pk=change_request.pk).status == ChangeRequest.Status.PENDING


def test_phone_of_hidden_customer_counted(client, site_admin_cbn, customer_a, customer_b, user_a):
    client.force_login(site_admin_cbn)
    client.cookies["django_language"] = "en"
    change_request = ChangeRequest.objects.create(
        customer=customer_a, field="phone", new_value=customer_b.phone, created_by=user_a
    )

    listed = client.get("/portal/staff/requests/")
    refused = client.post(f"/portal/staff/requests/{change_request.pk}/approve/", follow=True)

    warning = "Phone number 0813-1111-2222 is also used by 1 customer of a site you do not manage."
    assert shared_value_warnings(listed) == [warning]
    assert message_texts(refused)[0].startswith(warning + " The request of customer PLG-0001 was not approved")
    assert "PLG-0002" not in listed.content.decode() + refused.content.decode()
    assert Customer.objects.get(pk=customer_a.pk).phone == "+6281234567890"


def test_shared_phone_logins_stay_apart(client, admin_client, customer_a, customer_b, user_a, user_b):
    change_request = ChangeRequest.objects.create(
        customer=customer_b, field="phone", new_value=customer_a.phone, created_by=user_b
    )
    [token] = approve_anyway_tokens(admin_client.get("/portal/staff/requests/"))
    admin_client.post(f"/portal/staff/requests/{change_request.pk}/approve/", {"approve_anyway": token})

    client.post("/portal/login/", {"username": "0812-3456-7890", "password": PASSWORD_B})
    logged_in_as = int(client.session["_auth_user_id"])
    client.post("/portal/logout/")
    client.post("/portal/login/", {"username": "0812-3456-7890", "password": PASSWORD_A})

    assert logged_in_as == user_b.pk
    assert int(client.session["_auth_user_id"]) == user_a.pk


def test_request_list_warns_of_nik_owner(admin_client, site_admin_cbn, requests_a_and_b, customer_a, customer_b):
    """The NIK of a person under another name, which approval rejects in
    every site; a holder outside the user's sites is not named."""
    admin_client.cookies["django_language"] = "en"
    Customer.objects.filter(pk=customer_b.pk).update(nik=NEW_NIK)
    request_a, _request_b = requests_a_and_b
    site_admin_client = Client()
    site_admin_client.force_login(site_admin_cbn)
    site_admin_client.cookies["django_language"] = "en"

    listed = admin_client.get("/portal/staff/requests/")
    listed_for_site_admin = site_admin_client.get("/portal/staff/requests/")
    approved = site_admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/", follow=True)

    assert shared_value_warnings(listed) == [
        "NIK ************0003 is already used by PLG-0002 (Siti Rahmawati) under another name, "
        "so this request cannot be approved."
    ]
    hidden_holder = (
        "NIK ************0003 is already used by a customer of a site you do not manage under another name, "
        "so this request cannot be approved."
    )
    assert shared_value_warnings(listed_for_site_admin) == [hidden_holder]
    assert message_texts(approved) == [
        "The request of customer PLG-0001 was not applied: NIK “************0003” already belongs to a customer of "
        "a site you do not manage under another name. One NIK belongs to one person: check the NIK or the name. "
        "Reject it instead."
    ]
    assert Customer.objects.get(pk=customer_a.pk).nik == customer_a.nik
    request_a.refresh_from_db()
    assert request_a.status == ChangeRequest.Status.PENDING


def test_request_list_names_same_person_nik(admin_client, requests_a_and_b, customer_a):
    admin_client.cookies["django_language"] = "en"
    request_a, _request_b = requests_a_and_b
    Customer.objects.create(number="PLG-0003", name="Budi Santoso", nik=NEW_NIK, site=customer_a.site)

    listed = admin_client.get("/portal/staff/requests/")
    approved = admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/", follow=True)

    warning = "NIK ************0003 is also used by PLG-0003 (Budi Santoso)."
    assert shared_value_warnings(listed) == [warning]
    assert message_texts(approved) == ["The change for customer PLG-0001 has been approved and saved.", warning]
    assert Customer.objects.get(pk=customer_a.pk).nik == NEW_NIK


def test_site_admin_sees_only_own_sites_requests(client, site_admin_cbn, requests_a_and_b):
    request_a, request_b = requests_a_and_b
    client.force_login(site_admin_cbn)

    page = client.get("/portal/staff/requests/").content.decode()
    approve_b = client.post(f"/portal/staff/requests/{request_b.pk}/approve/")
    reject_b = client.post(f"/portal/staff/requests/{request_b.pk}/reject/")

    assert f'id="change-request-{request_a.pk}"' in page
    assert f'id="change-request-{request_b.pk}"' not in page
    assert approve_b.status_code == 404
    assert reject_b.status_code == 404
    request_b.refresh_from_db()
    assert request_b.status == ChangeRequest.Status.PENDING
    assert Customer.objects.get(pk=request_b.customer_id).phone == "+6281311112222"


def test_approval_applies_change_with_history(admin_client, admin_user, requests_a_and_b, customer_a):
    request_a, _request_b = requests_a_and_b

    response = admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/")

    assert response.status_code == 302
    assert response.url == "/portal/staff/requests/"
    request_a.refresh_from_db()
    assert request_a.status == ChangeRequest.Status.APPROVED
    assert request_a.decided_by == admin_user
    assert request_a.decided_at is not None
    customer_a.refresh_from_db()
    assert customer_a.nik == NEW_NIK
    latest = customer_a.history.latest("history_id")
    assert latest.history_user == admin_user
    assert latest.nik == NEW_NIK
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["nik"]
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "Perubahan untuk pelanggan PLG-0001 sudah disetujui dan disimpan."
    ]


def test_approved_phone_becomes_login(client, admin_client, requests_a_and_b, customer_b):
    _request_a, request_b = requests_a_and_b

    admin_client.post(f"/portal/staff/requests/{request_b.pk}/approve/")
    client.post("/portal/login/", {"username": "0857 1234 5678", "password": "kabel-fiber-melati-37"})

    customer_b.refresh_from_db()
    assert customer_b.phone == "+6285712345678"
    assert int(client.session["_auth_user_id"]) == customer_b.user_id


def test_rejection_changes_nothing(admin_client, admin_user, requests_a_and_b, customer_a):
    request_a, _request_b = requests_a_and_b
    before = customer_a.history.count()

    admin_client.post(f"/portal/staff/requests/{request_a.pk}/reject/")

    request_a.refresh_from_db()
    assert request_a.status == ChangeRequest.Status.REJECTED
    assert request_a.decided_by == admin_user
    customer_a.refresh_from_db()
    assert customer_a.nik == NIK_A
    assert customer_a.history.count() == before
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "Permintaan pelanggan PLG-0001 sudah ditolak."
    ]


def customer_client(user):
    """A second test client, logged in to the portal as `user`."""
    client = Client()
    client.force_login(user, backend=CUSTOMER_BACKEND)
    return client


def test_rejection_reason_shown_to_customer(admin_client, user_a, requests_a_and_b):
    request_a, _request_b = requests_a_and_b
    staff_page = admin_client.get("/portal/staff/requests/").content.decode()
    assert '<input type="text" name="reason" maxlength="300"' in staff_page

    admin_client.post(
        f"/portal/staff/requests/{request_a.pk}/reject/", {"reason": "  Foto KTP   tidak terbaca. " + "x" * 400}
    )

    request_a.refresh_from_db()
    reason = ("Foto KTP tidak terbaca. " + "x" * 400)[:300]
    assert request_a.reject_reason == reason
    portal_page = customer_client(user_a).get("/portal/").content.decode()
    assert f'Ditolak<br><span class="muted">Alasan: {reason}</span>' in portal_page


def test_rejection_without_reason_shows_none(admin_client, user_a, requests_a_and_b):
    request_a, _request_b = requests_a_and_b

    admin_client.post(f"/portal/staff/requests/{request_a.pk}/reject/")

    request_a.refresh_from_db()
    assert request_a.reject_reason == ""
    assert '<td data-label="Status">Ditolak</td>' in customer_client(user_a).get("/portal/").content.decode()


def test_menu_counts_waiting_requests(admin_client, site_admin_cbn, requests_a_and_b):
    site_admin_client = Client()
    site_admin_client.force_login(site_admin_cbn)

    admin_menu = admin_client.get("/customers/").content.decode()
    cibinong_menu = site_admin_client.get("/customers/").content.decode()
    ChangeRequest.objects.update(status=ChangeRequest.Status.REJECTED)
    empty_menu = admin_client.get("/customers/").content.decode()

    badge = '<span class="count" id="pending-requests" title="Menunggu keputusan">{}</span>'
    assert badge.format(2) in admin_menu
    # Customer B is in Bojonggede, outside the site admin's site.
    assert badge.format(1) in cibinong_menu
    assert 'id="pending-requests"' not in empty_menu


def test_decided_request_cannot_be_decided_again(admin_client, requests_a_and_b, customer_a):
    request_a, _request_b = requests_a_and_b
    admin_client.post(f"/portal/staff/requests/{request_a.pk}/reject/")

    admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/")

    request_a.refresh_from_db()
    assert request_a.status == ChangeRequest.Status.REJECTED
    customer_a.refresh_from_db()
    assert customer_a.nik == NIK_A
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "Permintaan pelanggan PLG-0001 sudah ditolak.",
        "Permintaan ini sudah diputuskan atau dibatalkan.",
    ]


def test_approval_after_customer_deleted(admin_client, admin_user, requests_a_and_b, customer_a):
    """Deleting a customer deletes its requests, so the list's approve form
    posts the customer's id to say why the request is gone."""
    admin_client.cookies["django_language"] = "en"
    request_a, _request_b = requests_a_and_b
    page = admin_client.get("/portal/staff/requests/").content.decode()
    assert f'<input type="hidden" name="customer" value="{customer_a.pk}">' in page
    services.customer_delete(customer_a.pk, by=admin_user)

    response = admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/", {"customer": customer_a.pk})

    assert response.status_code == 302
    assert response.url == "/portal/staff/requests/"
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "Customer PLG-0001 was deleted, so this request can no longer be applied."
    ]


def test_reject_after_customer_deleted(admin_client, admin_user, requests_a_and_b, customer_a):
    admin_client.cookies["django_language"] = "en"
    request_a, _request_b = requests_a_and_b
    page = admin_client.get("/portal/staff/requests/").content.decode()
    assert page.count(f'<input type="hidden" name="customer" value="{customer_a.pk}">') == 2
    services.customer_delete(customer_a.pk, by=admin_user)

    response = admin_client.post(
        f"/portal/staff/requests/{request_a.pk}/reject/", {"customer": customer_a.pk, "reason": "Salah ketik"}
    )

    assert response.status_code == 302
    assert response.url == "/portal/staff/requests/"
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "Customer PLG-0001 was deleted, and its requests with it, so there is nothing left to reject."
    ]


def restore_customer(customer, admin_user):
    """Restore the deleted `customer` from its deletion's history row."""
    record = services.deleted_customers().get(id=customer.pk)
    services.customer_restore(record.history_id, by=admin_user)


def test_approval_after_customer_restored(admin_client, admin_user, requests_a_and_b, customer_a):
    """A restore brings the customer back without the requests deleted
    with it, so the request is gone although the customer exists."""
    admin_client.cookies["django_language"] = "en"
    request_a, _request_b = requests_a_and_b
    services.customer_delete(customer_a.pk, by=admin_user)
    restore_customer(customer_a, admin_user)
    assert not ChangeRequest.objects.filter(customer=customer_a).exists()

    response = admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/", {"customer": customer_a.pk})

    assert response.status_code == 302
    assert response.url == "/portal/staff/requests/"
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "This request no longer exists: it was deleted together with customer PLG-0001, who was restored "
        "later without their change requests. If the change is still needed, edit the customer."
    ]
    customer_a.refresh_from_db()
    assert customer_a.nik == NIK_A


def test_reject_after_customer_restored(admin_client, admin_user, requests_a_and_b, customer_a):
    admin_client.cookies["django_language"] = "en"
    request_a, _request_b = requests_a_and_b
    services.customer_delete(customer_a.pk, by=admin_user)
    restore_customer(customer_a, admin_user)

    response = admin_client.post(
        f"/portal/staff/requests/{request_a.pk}/reject/", {"customer": customer_a.pk, "reason": "Salah ketik"}
    )

    assert response.status_code == 302
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "This request no longer exists: it was deleted together with customer PLG-0001, who was restored "
        "later without their change requests. There is nothing left to reject."
    ]
    assert not ChangeRequest.objects.filter(customer=customer_a).exists()


def test_reject_of_other_site_deleted_customer_404(client, site_admin_cbn, admin_user, requests_a_and_b, customer_b):
    client.force_login(site_admin_cbn)
    _request_a, request_b = requests_a_and_b
    services.customer_delete(customer_b.pk, by=admin_user)

    response = client.post(f"/portal/staff/requests/{request_b.pk}/reject/", {"customer": customer_b.pk})

    assert response.status_code == 404


def test_deleted_customer_of_other_site_404(client, site_admin_cbn, admin_user, requests_a_and_b, customer_b):
    """Customer B is in Bojonggede, outside the site admin's site, so its
    number stays hidden."""
    client.force_login(site_admin_cbn)
    _request_a, request_b = requests_a_and_b
    services.customer_delete(customer_b.pk, by=admin_user)

    response = client.post(f"/portal/staff/requests/{request_b.pk}/approve/", {"customer": customer_b.pk})

    assert response.status_code == 404


@pytest.mark.parametrize("customer", ["", "abc", "١٢", "9" * 30])
def test_missing_request_without_deleted_customer_404(admin_client, customer_a, customer):
    response = admin_client.post("/portal/staff/requests/999/approve/", {"customer": customer})

    assert response.status_code == 404


def test_missing_request_of_existing_customer_404(admin_client, customer_a):
    response = admin_client.post("/portal/staff/requests/999/approve/", {"customer": customer_a.pk})

    assert response.status_code == 404


def test_approval_rechecks_value(admin_client, customer_a, user_a):
    change_request = ChangeRequest.objects.create(customer=customer_a, field="nik", new_value="9901011203900001")

    admin_client.post(f"/portal/staff/requests/{change_request.pk}/approve/")

    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.PENDING
    customer_a.refresh_from_db()
    assert customer_a.nik == NIK_A
    assert message_texts(admin_client.get("/portal/staff/requests/")) == [
        "Permintaan pelanggan PLG-0001 tidak diterapkan: NIK “9901011203900001” diawali 99, yang bukan kode "
        "provinsi Indonesia. Periksa dengan KTP. Tolak saja permintaan ini."
    ]


def test_staff_decisions_need_post(admin_client, requests_a_and_b):
    request_a, _request_b = requests_a_and_b

    assert admin_client.get(f"/portal/staff/requests/{request_a.pk}/approve/").status_code == 405
    assert admin_client.get(f"/portal/staff/requests/{request_a.pk}/reject/").status_code == 405


def test_decided_requests_listed_with_decider(admin_client, requests_a_and_b):
    request_a, _request_b = requests_a_and_b
    admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/")

    page = admin_client.get("/portal/staff/requests/").content.decode()

    decided = page.split("<h2>Baru diputuskan</h2>")[1]
    assert '<td data-label="Status">Disetujui</td>' in decided
    assert '<td data-label="Oleh">admin</td>' in decided
    assert '<td data-label="Nilai baru">************0003</td>' in decided
    assert NEW_NIK not in decided


def test_customer_cancel_names_customer(client, client_a, customer_a, user_a, admin_user):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    client_a.post(f"/portal/requests/{ChangeRequest.objects.get().pk}/cancel/")
    client.logout()
    client.force_login(admin_user)

    page = client.get("/portal/staff/requests/").content.decode()

    decided = page.split("<h2>Baru diputuskan</h2>")[1]
    assert '<td data-label="Oleh">Pelanggan (Budi Santoso)</td>' in decided
    assert user_a.get_username() not in decided


def test_customer_cancel_names_customer_english(client, client_a, customer_a, user_a, admin_user):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    client_a.post(f"/portal/requests/{ChangeRequest.objects.get().pk}/cancel/")
    client.logout()
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"

    page = client.get("/portal/staff/requests/").content.decode()

    decided = page.split("<h2>Recently decided</h2>")[1]
    assert '<td data-label="Who">Customer (Budi Santoso)</td>' in decided
    assert user_a.get_username() not in decided


def test_replaced_request_listed_for_staff(client, client_a, customer_a, admin_user):
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    client_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-9999-0000"})
    client.logout()
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"

    page = client.get("/portal/staff/requests/").content.decode()

    decided = page.split("<h2>Recently decided</h2>")[1]
    assert '<td data-label="New value">0857-1234-5678</td>' in decided
    assert '<td data-label="Status">Replaced</td>' in decided
    assert '<td data-label="Who">Customer (Budi Santoso)</td>' in decided
    assert '<td data-label="Status">Cancelled</td>' not in decided


def test_requested_nik_masked_without_reveal_right(client, client_a, customer_a, site_admin_cbn):
    client_a.post("/portal/requests/new/", {"field": "nik", "value": NEW_NIK})
    client.force_login(site_admin_cbn)

    page = client.get("/portal/staff/requests/").content.decode()

    assert "<strong>************0003</strong>" in page
    assert NEW_NIK not in page
    assert not NikReveal.objects.exists()


def test_requested_nik_shown_and_logged_for_admin(client, client_a, customer_a, admin_user):
    client_a.post("/portal/requests/new/", {"field": "nik", "value": NEW_NIK})
    client.force_login(admin_user)

    page = client.get("/portal/staff/requests/").content.decode()

    assert f"<strong>{NEW_NIK}</strong>" in page
    reveal = NikReveal.objects.get()
    assert (reveal.username, reveal.customer_number) == ("admin", customer_a.number)


@pytest.mark.django_db(transaction=True)
def test_migration_fills_address_of_stuck_customer(regions_loaded, migration_executor):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("customers", "0006_fewer_customer_indexes")]
    migration_executor.migrate(before)
    # The model as it was at that migration: later columns are missing.
    OldCustomer = migration_executor.loader.project_state(before).apps.get_model("customers", "Customer")
    stuck = OldCustomer.objects.create(
        number="PLG-0901", name="Ani", street="Jl. Mawar No. 5", village_id="32.01.01.1012"
    )
    typed = OldCustomer.objects.create(
        number="PLG-0902", name="Bayu", street="Jl. Melati 1", address="Dekat masjid", village_id="32.01.01.1012"
    )

    executor = MigrationExecutor(connection)
    executor.migrate([("customers", "0007_fill_address_from_street_village")])

    stuck.refresh_from_db()
    typed.refresh_from_db()
    assert stuck.address == PABUARAN_ADDRESS
    assert typed.address == "Dekat masjid"


@pytest.mark.django_db(transaction=True)
def test_migration_fills_number_keys(migration_executor):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("customers", "0013_bulkchangeitem_restored_at")]
    migration_executor.migrate(before)
    OldCustomer = migration_executor.loader.project_state(before).apps.get_model("customers", "Customer")
    for number in ["PLG-10", "plg-0009", "1001"]:
        OldCustomer.objects.create(number=number, name=f"Pelanggan {number}")

    executor = MigrationExecutor(connection)
    executor.migrate([("customers", "0014_customer_number_key")])

    keys = dict(Customer.objects.values_list("number", "number_key"))
    assert keys == {"PLG-10": "PLG-0210", "plg-0009": "PLG-019", "1001": "041001"}


def test_approval_refuses_nik_of_other_person(admin_client, requests_a_and_b, customer_a, customer_b):
    request_a, _request_b = requests_a_and_b
    Customer.objects.filter(pk=customer_b.pk).update(nik=NEW_NIK)

    admin_client.post(f"/portal/staff/requests/{request_a.pk}/approve/")

    request_a.refresh_from_db()
    customer_a.refresh_from_db()
    assert request_a.status == ChangeRequest.Status.PENDING
    assert customer_a.nik != NEW_NIK
    [message] = message_texts(admin_client.get("/portal/staff/requests/"))
    assert message.startswith(
        f"Permintaan pelanggan {customer_a.number} tidak diterapkan: NIK “{NEW_NIK}” sudah dimiliki "
        f"{customer_b.number} ({customer_b.name}) dengan nama lain."
    )


def portal_client(user):
    """Return a client of its own logged in to the portal as `user`, beside the staff client."""
    client = Client()
    client.force_login(user, backend=CUSTOMER_BACKEND)
    return client


def test_self_rename_does_not_unlock_other_persons_nik(admin_client, user_a, customer_a, customer_b):
    # The customer takes customer B's name in the portal, then requests B's
    # NIK. The NIK is checked against the name staff last saw.
    portal = portal_client(user_a)
    portal.post("/portal/profile/", profile_data(customer_a, name=customer_b.name))
    customer_a.refresh_from_db()
    assert customer_a.name == customer_b.name
    portal.post("/portal/requests/new/", {"field": "nik", "value": NIK_B})
    change_request = ChangeRequest.objects.get(customer=customer_a)

    admin_client.cookies["django_language"] = "en"
    page = admin_client.get("/portal/staff/requests/").content.decode()
    assert "The customer changed this name in the portal on" in page
    assert "it was “Budi Santoso”." in page
    assert "under another name, so this request cannot be approved." in page

    admin_client.post(f"/portal/staff/requests/{change_request.pk}/approve/")

    change_request.refresh_from_db()
    customer_a.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.PENDING
    assert customer_a.nik != NIK_B
    [message] = message_texts(admin_client.get("/portal/staff/requests/"))
    assert message.startswith(
        f"The request of customer {customer_a.number} was not applied: NIK “{NIK_B}” already belongs to "
        f"{customer_b.number} ({customer_b.name}) under another name."
    )


def test_staff_rename_counts_as_seen(admin_client, user_a, customer_a, customer_b):
    # A name staff saved themselves is the name a requested NIK is checked against.
    customer_a.name = customer_b.name
    customer_a.save()
    portal_client(user_a).post("/portal/requests/new/", {"field": "nik", "value": NIK_B})
    change_request = ChangeRequest.objects.get(customer=customer_a)

    admin_client.cookies["django_language"] = "en"
    page = admin_client.get("/portal/staff/requests/").content.decode()
    assert "changed this name in the portal" not in page

    admin_client.post(f"/portal/staff/requests/{change_request.pk}/approve/")

    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.Status.APPROVED
