"""Portal invitations for the customers ticked in the list, or all matching
its filter: a confirmation page, then one link per customer with its
WhatsApp button."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from customers.invite_views import BULK_INVITE_LIMIT
from customers.models import Customer
from customers.services import customer_anonymise
from portal.links import hash_token, link_create
from portal.models import PortalLink
from tests.test_portal_fixtures import give_portal_password

pytestmark = pytest.mark.django_db

INVITE_URL = "/customers/bulk/invite/"
# The confirm button and the confirmation page's token.
CONFIRM = {"confirm": "", "invite_token": "token-1"}
PASSWORD = "rahasia-admin-123"


@pytest.fixture
def customers(sample_catalogue):
    """PLG-0001 to PLG-0003 in Cibinong, PLG-0004 in Bojonggede. PLG-0002
    has a landline, PLG-0003 has no phone."""
    sites, _packages = sample_catalogue
    rows = [
        ("PLG-0001", "Budi Santoso", "+6281234567890", sites["CBN"]),
        ("PLG-0002", "Siti Aminah", "+62218765432", sites["CBN"]),
        ("PLG-0003", "Agus Salim", "", sites["CBN"]),
        ("PLG-0004", "Dewi Lestari", "+6281311112222", sites["BJG"]),
    ]
    return {
        number: Customer.objects.create(number=number, name=name, phone=phone, site=site)
        for number, name, phone, site in rows
    }


@pytest.fixture
def site_admin_client(sample_catalogue):
    sites, _packages = sample_catalogue
    user = get_user_model().objects.create_user(username="admin-cbn", password=PASSWORD, is_staff=True)
    sites["CBN"].staff.add(user)
    client = Client()
    client.force_login(user)
    return client


def ticked(*customers, confirm=False):
    data = {"bulk-customers": [customer.pk for customer in customers]}
    if confirm:
        data.update(CONFIRM)
    return data


def page_text(response):
    return " ".join(response.content.decode().split())


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


def test_confirmation_lists_invited_and_left_out(admin_client, customers):
    give_portal_password(customers["PLG-0002"], "kabel-fiber-mawar-91")
    blocked = give_portal_password(customers["PLG-0003"], "kabel-fiber-melati-37")
    blocked.is_active = False
    blocked.save()
    link_create(customers["PLG-0001"])

    response = admin_client.post(INVITE_URL, ticked(*customers.values()))

    page = page_text(response)
    assert response.status_code == 200
    assert "2 pelanggan mendapat tautan undangan portal:" in page
    assert (
        "<li>PLG-0001 · Budi Santoso · 0812-3456-7890 <span class=\"muted\">· "
        "menggantikan tautan yang dikirim sebelumnya dan belum dipakai</span></li>"
    ) in page
    assert "<li>PLG-0004 · Dewi Lestari · 0813-1111-2222</li>" in page
    assert "Tidak diundang: 2 pelanggan" in page
    assert (
        "<li>PLG-0002 · Siti Aminah: Sudah punya kata sandi portal. Kirim tautan atur ulang kata sandi "
        "dari halaman pelanggan bila perlu.</li>"
    ) in page
    assert "<li>PLG-0003 · Agus Salim: Akun portal dinonaktifkan.</li>" in page
    assert 'id="invite-confirm"' in page
    # Nothing is made before the confirm.
    assert PortalLink.objects.count() == 1


def test_confirm_makes_one_link_each(admin_client, customers):
    earlier = link_create(customers["PLG-0001"]).link

    response = admin_client.post(INVITE_URL, ticked(*customers.values(), confirm=True))

    page = page_text(response)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Tautan undangan dibuat untuk 4 pelanggan. Kirim masing-masing dengan tombol WhatsApp-nya." in page
    links = {link.customer.number: link for link in PortalLink.objects.usable().select_related("customer")}
    assert sorted(links) == ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004"]
    assert all(link.purpose == PortalLink.Purpose.INVITATION for link in links.values())
    earlier.refresh_from_db()
    assert earlier.revoked_at is not None

    buttons = re.findall(r'<a class="button whatsapp" href="(https://wa\.me/(\d*)\?text=[^"]*)"', page)
    # The landline and the missing number open WhatsApp to pick the contact.
    assert [number for _url, number in buttons] == ["6281234567890", "", "", "6281311112222"]
    # Each button carries its customer's own working link.
    for (url, _number), number in zip(buttons, ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004"]):
        text = parse_qs(urlsplit(url.replace("&amp;", "&")).query)["text"][0]
        token = re.search(r"http://testserver/portal/link/([^/]+)/", text).group(1)
        assert hash_token(token) == links[number].token_hash
        assert text.startswith(f"Halo {Customer.objects.get(number=number).name}, Anda diundang ke Portal Pelanggan")


def test_all_matching_follows_filter(admin_client, customers, sample_catalogue):
    sites, _packages = sample_catalogue

    response = admin_client.post(
        INVITE_URL, {"bulk-all_matching": "on", "site": str(sites["BJG"].pk), **CONFIRM}
    )

    assert response.status_code == 200
    assert list(PortalLink.objects.values_list("customer__number", flat=True)) == ["PLG-0004"]


def test_site_admin_cannot_invite_other_sites(site_admin_client, customers):
    response = site_admin_client.post(INVITE_URL, ticked(customers["PLG-0004"], confirm=True))

    assert response.status_code == 302
    assert response.url == "/customers/"
    assert PortalLink.objects.count() == 0


def test_site_admin_all_matching_stays_in_sites(site_admin_client, customers):
    response = site_admin_client.post(INVITE_URL, {"bulk-all_matching": "on", **CONFIRM})

    assert response.status_code == 200
    assert sorted(PortalLink.objects.values_list("customer__number", flat=True)) == ["PLG-0001", "PLG-0002", "PLG-0003"]


def test_too_many_customers_refused(admin_client, sample_catalogue):
    Customer.objects.bulk_create(
        Customer(number=f"PLG-{index:04d}", name=f"Pelanggan {index}", name_key=f"pelanggan {index}")
        for index in range(1, BULK_INVITE_LIMIT + 2)
    )

    response = admin_client.post(INVITE_URL, {"bulk-all_matching": "on", "q": "Pelanggan", **CONFIRM})

    assert response.status_code == 302
    assert response.url == "/customers/?q=Pelanggan"
    assert messages_of(response) == [
        f"{BULK_INVITE_LIMIT + 1} pelanggan dipilih, tetapi undangan dibuat untuk paling banyak "
        f"{BULK_INVITE_LIMIT} pelanggan sekaligus. Persempit daftar, misalnya per site atau dengan "
        "Belum lengkap, lalu pilih lagi."
    ]
    assert PortalLink.objects.count() == 0


def test_nothing_selected(admin_client, customers):
    response = admin_client.post(INVITE_URL, {"status": "active"})

    assert response.status_code == 302
    assert response.url == "/customers/?status=active"
    assert messages_of(response) == [
        "Belum ada pelanggan yang dipilih. Centang pelanggan di daftar, atau pilih semua pelanggan yang cocok dengan filter."
    ]


def in_indonesian(msgid):
    """Return the Indonesian text of a msgid, the English one until it is translated."""
    with translation.override("id"):
        return translation.gettext(msgid)


def test_get_redirects_to_list(admin_client, customers):
    response = admin_client.get(INVITE_URL)

    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert messages_of(response) == [
        in_indonesian("To invite customers to the portal, tick them in the list, then press Invite selected to portal.")
    ]
    assert PortalLink.objects.count() == 0


def test_button_without_chat_says_pick_contact(admin_client, customers):
    response = admin_client.post(INVITE_URL, ticked(*customers.values(), confirm=True))

    buttons = re.findall(r'<a class="button whatsapp" href="https://wa\.me/(\d*)\?[^"]*"[^>]*>([^<]*)</a>', page_text(response))
    plain = in_indonesian("Send via WhatsApp")
    pick = in_indonesian("Send via WhatsApp (choose the contact in WhatsApp)")
    assert buttons == [("6281234567890", plain), ("", pick), ("", pick), ("6281311112222", plain)]


def test_result_offers_all_messages(admin_client, customers):
    response = admin_client.post(INVITE_URL, ticked(customers["PLG-0001"], customers["PLG-0003"], confirm=True))

    page = response.content.decode()
    text = re.search(r'<textarea id="invite-all-messages"[^>]*>([^<]*)</textarea>', page).group(1)
    blocks = text.split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("PLG-0001 · Budi Santoso · 0812-3456-7890\nHalo Budi Santoso, Anda diundang")
    assert blocks[1].startswith("PLG-0003 · Agus Salim\nHalo Agus Salim, Anda diundang")
    for block, number in zip(blocks, ["PLG-0001", "PLG-0003"]):
        token = re.search(r"http://testserver/portal/link/([^/]+)/", block).group(1)
        assert hash_token(token) == PortalLink.objects.get(customer__number=number).token_hash
    assert 'id="invite-copy-all" data-copy-target="invite-all-messages"' in page


def test_list_offers_invite_button(admin_client, customers):
    page = admin_client.get("/customers/").content.decode()

    assert (
        '<button type="submit" id="bulk-invite" formaction="/customers/bulk/invite/">'
        "Undang yang dipilih ke portal</button>"
    ) in page


def test_deleted_customer_in_selection(admin_client, customers):
    ticked_ids = ticked(customers["PLG-0001"], customers["PLG-0004"])
    customers["PLG-0004"].delete()
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(INVITE_URL, {**ticked_ids, "site": ""})

    assert response.status_code == 302
    assert response.url == "/customers/"
    assert messages_of(response) == [
        "A selected customer was not found, because it was deleted or is no longer in a site you manage. "
        "Select the customers in the list again."
    ]
    assert PortalLink.objects.count() == 0


def test_anonymised_and_inactive_left_out(admin_client, admin_user, customers):
    customer_anonymise(customers["PLG-0001"], by=admin_user)
    Customer.objects.filter(number="PLG-0004").update(status=Customer.Status.INACTIVE)

    page = page_text(admin_client.post(INVITE_URL, ticked(*customers.values())))

    assert "<li>PLG-0001 · Anonim PLG-0001: Sudah dianonimkan.</li>" in page
    assert "<li>PLG-0004 · Dewi Lestari: Statusnya Nonaktif.</li>" in page
    assert "2 pelanggan mendapat tautan undangan portal:" in page


def test_confirmation_carries_token(admin_client, customers):
    page = admin_client.post(INVITE_URL, ticked(customers["PLG-0001"])).content.decode()

    token = re.search(r'<input type="hidden" name="invite_token" value="([^"]+)">', page).group(1)
    response = admin_client.post(INVITE_URL, {**ticked(customers["PLG-0001"]), "confirm": "", "invite_token": token})

    assert 'id="invited"' in response.content.decode()
    assert PortalLink.objects.count() == 1


def test_resent_confirm_keeps_links(admin_client, customers):
    admin_client.post(INVITE_URL, ticked(customers["PLG-0001"], confirm=True))
    sent = PortalLink.objects.get()

    response = admin_client.post(INVITE_URL, ticked(customers["PLG-0001"], confirm=True))

    assert response.status_code == 302
    assert messages_of(response) == [
        "Tautan undangan ini sudah dibuat dan hanya ditampilkan sekali. Membuatnya lagi akan mematikan tautan "
        "yang sudah terkirim; untuk mengirim ulang satu tautan, buka halaman pelanggannya."
    ]
    assert list(PortalLink.objects.usable()) == [sent]


def test_confirm_without_token_makes_nothing(admin_client, customers):
    response = admin_client.post(INVITE_URL, {**ticked(customers["PLG-0001"]), "confirm": ""})

    assert 'id="invite-confirm"' in response.content.decode()
    assert PortalLink.objects.count() == 0
