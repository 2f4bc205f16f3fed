"""Portal accounts: invitation and reset links, setting a password, login and logout."""

import datetime
import hashlib
import re
from io import StringIO
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from customers.models import Customer
from portal.links import expiry_text, link_create, link_find, link_redeem, whatsapp_url
from portal.models import PortalLink
from sites.models import Site
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    NIK_A,
    PASSWORD_A,
    PASSWORD_B,
    STAFF_PASSWORD,
    catalogue,
    client_a,
    customer_a,
    customer_b,
    error_texts,
    give_portal_password,
    issue_link,
    message_texts,
    site_admin_cbn,
    user_a,
    user_b,
)

NEW_PASSWORD = "jaringan-rumah-budi-58"
INVALID_LINK_TEXT = "Tautan tidak berlaku lagi"
WRONG_LOGIN = (
    "ID Pelanggan atau nomor HP dan kata sandi tidak cocok. Periksa keduanya, lalu coba lagi."
)


def set_password(client, path, password=NEW_PASSWORD, confirmation=None):
    return client.post(path, {"new_password1": password, "new_password2": confirmation or password})


def portal_login(client, username, password):
    return client.post("/portal/login/", {"username": username, "password": password})


# ---------------------------------------------------------------------------
# Links


def test_link_stores_only_token_hash(customer_a):
    issued = link_create(customer_a)

    stored = PortalLink.objects.values().get(pk=issued.link.pk)
    assert len(issued.token) == 43
    assert stored["token_hash"] == hashlib.sha256(issued.token.encode()).hexdigest()
    assert all(issued.token not in str(value) for value in stored.values())
    assert issued.path == f"/portal/link/{issued.token}/"


def test_link_expires_after_setting_days(customer_a, settings):
    settings.PORTAL_INVITATION_DAYS = 3
    now = timezone.now()

    issued = link_create(customer_a, now=now)

    assert issued.link.expires_at == now + datetime.timedelta(days=3)
    assert link_find(issued.token, now=now + datetime.timedelta(days=3) - datetime.timedelta(seconds=1)) == issued.link
    assert link_find(issued.token, now=now + datetime.timedelta(days=3)) is None


def test_link_purpose_invitation_then_reset(customer_a):
    assert link_create(customer_a).link.purpose == PortalLink.Purpose.INVITATION

    give_portal_password(customer_a, PASSWORD_A)

    assert link_create(customer_a).link.purpose == PortalLink.Purpose.PASSWORD_RESET


def test_new_link_revokes_older_link(client, customer_a):
    first = link_create(customer_a)
    second = link_create(customer_a)

    assert client.get(first.path).status_code == 404
    assert client.get(second.path).status_code == 200
    first.link.refresh_from_db()
    assert first.link.revoked_at is not None


def test_link_redeem_succeeds_once(customer_a):
    issued = link_create(customer_a)

    assert link_redeem(issued.link) is True
    assert link_redeem(issued.link) is False


def test_unknown_token_gives_404(client, db):
    response = client.get("/portal/link/tidak-ada-token-seperti-ini/")

    assert response.status_code == 404
    assert INVALID_LINK_TEXT in response.content.decode()


# ---------------------------------------------------------------------------
# Setting a password through a link


def test_invitation_sets_password_and_logs_in(client, customer_a):
    path = issue_link(customer_a)

    page = client.get(path)
    response = set_password(client, path)

    assert page.status_code == 200
    assert "<h1>Buat kata sandi Anda</h1>" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert response.status_code == 302
    assert response.url == "/portal/"
    customer_a.refresh_from_db()
    user = customer_a.user
    assert user.username == f"customer-{customer_a.pk}"
    assert user.is_staff is False
    assert user.is_superuser is False
    assert user.check_password(NEW_PASSWORD)
    home = client.get("/portal/")
    assert home.status_code == 200
    assert message_texts(home) == ["Kata sandi Anda sudah dibuat. Anda sudah masuk ke Portal Pelanggan."]


def test_invitation_link_works_once(client, customer_a):
    path = issue_link(customer_a)
    set_password(client, path)
    client.logout()

    again = client.get(path)
    second_post = set_password(client, path, password="kata-sandi-lain-7788")

    assert again.status_code == 404
    assert INVALID_LINK_TEXT in again.content.decode()
    assert second_post.status_code == 404
    customer_a.refresh_from_db()
    assert customer_a.user.check_password(NEW_PASSWORD)


def test_expired_link_gives_404(client, customer_a):
    issued = link_create(customer_a, now=timezone.now() - datetime.timedelta(days=8))

    response = client.get(issued.path)
    post = set_password(client, issued.path)

    assert response.status_code == 404
    assert INVALID_LINK_TEXT in response.content.decode()
    assert post.status_code == 404
    customer_a.refresh_from_db()
    assert customer_a.user is None


@pytest.mark.parametrize(
    ("password", "confirmation", "expected_error"),
    [
        ("a1b2c3", None, "Kata sandi terlalu pendek. Harus mengandung setidaknya 8 karakter."),
        ("12345678901", None, "Kata sandi ini seluruhnya terdiri dari angka."),
        ("budisantoso", None, "Kata sandi terlalu mirip dengan nama Anda."),
    ],
)
def test_set_password_rejects_weak_password(client, customer_a, password, confirmation, expected_error):
    path = issue_link(customer_a)

    response = set_password(client, path, password, confirmation)

    assert response.status_code == 200
    assert expected_error in error_texts(response)
    assert PortalLink.objects.usable().filter(customer=customer_a).count() == 1
    customer_a.refresh_from_db()
    assert customer_a.user is None


def test_reset_link_replaces_password(client, customer_a, user_a):
    path = issue_link(customer_a)

    page = client.get(path)
    set_password(client, path)

    assert "<h1>Buat kata sandi baru</h1>" in page.content.decode()
    user_a.refresh_from_db()
    assert user_a.check_password(NEW_PASSWORD)
    assert not user_a.check_password(PASSWORD_A)
    assert get_user_model().objects.filter(customer=customer_a).get() == user_a
    client.logout()
    assert portal_login(client, "PLG-0001", PASSWORD_A).status_code == 200
    assert portal_login(client, "PLG-0001", NEW_PASSWORD).status_code == 302


def test_reset_link_says_password_changed(client, customer_a, user_a):
    path = issue_link(customer_a)
    client.cookies["django_language"] = "en"

    set_password(client, path)

    assert message_texts(client.get("/portal/")) == [
        "Your password has been changed. You are logged in to the customer portal."
    ]


def test_invitation_after_unlinked_user_gets_new_user(client, customer_a, django_user_model):
    old_user = django_user_model.objects.create_user(username=f"customer-{customer_a.pk}", password="lama-123-sandi")
    path = issue_link(customer_a)

    response = set_password(client, path)

    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.user.username == f"customer-{customer_a.pk}-2"
    assert customer_a.user != old_user
    old_user.refresh_from_db()
    assert old_user.check_password("lama-123-sandi")


def test_deactivated_account_link_gives_404(client, customer_a, user_a):
    path = issue_link(customer_a)
    user_a.is_active = False
    user_a.save()

    assert client.get(path).status_code == 404
    assert set_password(client, path).status_code == 404
    user_a.refresh_from_db()
    assert user_a.is_active is False
    assert user_a.check_password(PASSWORD_A)


# ---------------------------------------------------------------------------
# Login


@pytest.mark.parametrize(
    "login",
    [
        "PLG-0001",
        "plg-0001",
        " PLG-0001 ",
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "+6281234567890",
        "+62 812-3456-7890",
        "62 812 3456 7890",
        "6281234567890",
        "81234567890",
        "(0812) 3456 7890",
        "+62 (0) 812 3456 7890",
    ],
)
def test_login_by_customer_id_or_phone(client, user_a, login):
    response = portal_login(client, login, PASSWORD_A)

    assert response.status_code == 302
    assert response.url == "/portal/"
    assert int(client.session["_auth_user_id"]) == user_a.pk
    assert client.session["_auth_user_backend"] == "portal.backends.CustomerBackend"


def test_login_page_in_indonesian(client, db):
    page = client.get("/portal/login/").content.decode()

    assert "<h1>Portal Pelanggan</h1>" in page
    assert '<label for="id_username">ID Pelanggan atau nomor HP</label>' in page
    assert '<label for="id_password">Kata sandi</label>' in page
    assert '<a href="/portal/password/forgot/">Lupa kata sandi?</a>' in page


def test_wrong_password_same_as_unknown_user(client, user_a):
    wrong_password = portal_login(client, "PLG-0001", "salah-sandi-123")
    unknown_user = portal_login(client, "PLG-9999", "salah-sandi-123")
    unknown_phone = portal_login(client, "0899-0000-1111", "salah-sandi-123")

    assert wrong_password.status_code == 200
    assert error_texts(wrong_password) == [WRONG_LOGIN]
    assert error_texts(unknown_user) == [WRONG_LOGIN]
    assert error_texts(unknown_phone) == [WRONG_LOGIN]
    assert "_auth_user_id" not in client.session


def test_nik_is_not_a_login(client, user_a):
    response = portal_login(client, NIK_A, PASSWORD_A)

    assert response.status_code == 200
    assert error_texts(response) == [WRONG_LOGIN]
    assert "_auth_user_id" not in client.session


def test_staff_cannot_log_in_through_portal(client, admin_user):
    response = portal_login(client, "admin", STAFF_PASSWORD)

    assert response.status_code == 200
    assert error_texts(response) == [WRONG_LOGIN]
    assert "_auth_user_id" not in client.session


def test_staff_login_rejects_customer_id(client, user_a):
    response = client.post("/login/", {"username": "PLG-0001", "password": PASSWORD_A})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_inactive_customer_cannot_log_in(client, user_a):
    user_a.is_active = False
    user_a.save()

    response = portal_login(client, "PLG-0001", PASSWORD_A)

    assert error_texts(response) == [WRONG_LOGIN]


def test_customer_without_account_cannot_log_in(client, customer_a):
    response = portal_login(client, "PLG-0001", "")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_shared_phone_logs_in_by_password(client, customer_a, customer_b):
    Customer.objects.filter(pk=customer_b.pk).update(phone=customer_a.phone)
    user_a = give_portal_password(customer_a, PASSWORD_A)
    user_b = give_portal_password(customer_b, PASSWORD_B)

    portal_login(client, "0812-3456-7890", PASSWORD_B)
    logged_in_as_b = int(client.session["_auth_user_id"])
    client.post("/portal/logout/")
    portal_login(client, "0812-3456-7890", PASSWORD_A)

    assert logged_in_as_b == user_b.pk
    assert int(client.session["_auth_user_id"]) == user_a.pk


def test_shared_phone_with_same_password_asks_for_id(client, customer_a, customer_b):
    Customer.objects.filter(pk=customer_b.pk).update(phone=customer_a.phone)
    give_portal_password(customer_a, PASSWORD_A)
    give_portal_password(customer_b, PASSWORD_A)

    response = portal_login(client, "0812-3456-7890", PASSWORD_A)

    assert error_texts(response) == [
        "Nomor HP ini dipakai beberapa akun pelanggan dengan kata sandi ini. Masuk dengan ID Pelanggan Anda."
    ]
    assert "_auth_user_id" not in client.session
    assert portal_login(client, "PLG-0002", PASSWORD_A).status_code == 302


@pytest.mark.parametrize(
    ("failed_logins", "last_login"),
    [
        (["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "081234567890", "81234567890"], "(0812) 3456 7890"),
        (["PLG-0001", "plg-0001", "PLG-0001 ", "0812-3456-7890", "+62 812 3456 7890"], "081234567890"),
    ],
    ids=["phone-notations", "id-and-phone"],
)
def test_lockout_counts_per_account(client, user_a, settings, failed_logins, last_login):
    assert len(failed_logins) == settings.AXES_FAILURE_LIMIT

    statuses = [portal_login(client, login, "salah-sandi-123").status_code for login in failed_logins]
    locked = portal_login(client, last_login, PASSWORD_A)

    # The failure that reaches the limit is the first to get the lockout page.
    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_follows_local_next_only(client, user_a):
    local = client.post(
        "/portal/login/?next=/portal/profile/",
        {"username": "PLG-0001", "password": PASSWORD_A, "next": "/portal/profile/"},
    )
    client.post("/portal/logout/")
    external = client.post(
        "/portal/login/", {"username": "PLG-0001", "password": PASSWORD_A, "next": "https://contoh.example/"}
    )

    assert local.url == "/portal/profile/"
    assert external.url == "/portal/"


def test_logged_in_customer_skips_login_page(client_a):
    response = client_a.get("/portal/login/")

    assert response.status_code == 302
    assert response.url == "/portal/"


def test_logout_returns_to_portal_login(client_a):
    response = client_a.post("/portal/logout/")

    assert response.status_code == 302
    assert response.url == "/portal/login/"
    assert "_auth_user_id" not in client_a.session
    assert client_a.get("/portal/logout/").status_code == 405


def test_forgot_password_page_says_to_contact_admin(client, db):
    page = client.get("/portal/password/forgot/").content.decode()

    assert "<h1>Lupa kata sandi?</h1>" in page
    assert "Hubungi admin penyedia internet Anda" in page


def test_forgot_password_lists_site_contacts(client, customer_a):
    Site.objects.filter(code="CBN").update(contact_phone="+6281211112222")
    Site.objects.filter(code="BJG").update(contact_phone="+62218765432")
    Site.objects.filter(code="CTY").update(contact_phone="+6281399998888", is_active=False)

    page = " ".join(client.get("/portal/password/forgot/").content.decode().split())

    contacts = re.search(r'<ul id="site-contacts">(.*?)</ul>', page).group(1).strip()
    assert contacts == (
        '<li>Site Bojonggede: <a href="tel:+62218765432">021-8765432</a></li> '
        '<li>Site Cibinong: <a href="https://wa.me/6281211112222" target="_blank" rel="noopener noreferrer">'
        "WhatsApp 0812-1111-2222</a></li>"
    )
    assert "Hubungi admin penyedia internet Anda, misalnya lewat WhatsApp" not in page


def test_portal_footer_names_site_contact(client_a, customer_a):
    Site.objects.filter(code="CBN").update(contact_phone="+6281211112222")
    client_a.cookies["django_language"] = "en"

    page = " ".join(client_a.get("/portal/").content.decode().split())

    assert (
        '<footer class="portal-contact" id="portal-contact"> Questions about your service or this portal? '
        'Contact the admin of Site Cibinong: <a href="https://wa.me/6281211112222" target="_blank" '
        'rel="noopener noreferrer">WhatsApp 0812-1111-2222</a> </footer>'
    ) in page


def test_portal_footer_absent_without_number(client_a, customer_a):
    page = client_a.get("/portal/").content.decode()

    assert 'id="portal-contact"' not in page


def test_staff_pages_show_no_portal_footer(admin_client, customer_a):
    Site.objects.filter(code="CBN").update(contact_phone="+6281211112222")

    page = admin_client.get(f"/customers/{customer_a.pk}/").content.decode()

    assert 'id="portal-contact"' not in page


@pytest.mark.parametrize(
    ("contact_phone", "note", "params"),
    [
        (
            "+6281211112222",
            "Sent by the admin of Site %(site)s. Questions: WhatsApp %(phone)s (%(url)s).",
            {"site": "Cibinong", "phone": "0812-1111-2222", "url": "https://wa.me/6281211112222"},
        ),
        (
            "+62218765432",
            "Sent by the admin of Site %(site)s. Questions: call %(phone)s.",
            {"site": "Cibinong", "phone": "021-8765432"},
        ),
    ],
)
def test_invitation_message_names_site_contact(admin_client, customer_a, contact_phone, note, params):
    Site.objects.filter(code="CBN").update(contact_phone=contact_phone)

    created = admin_client.post(f"/portal/staff/customers/{customer_a.pk}/link/").content.decode()

    whatsapp = created.split('id="whatsapp-link" href="')[1].split('"')[0].replace("&amp;", "&")
    message = parse_qs(urlsplit(whatsapp).query)["text"][0]
    with translation.override("id"):
        expected = translation.gettext(note) % params
    assert message.startswith("Halo Budi Santoso, Anda diundang ke Portal Pelanggan")
    assert message.endswith(f". {expected}")


def test_password_change_keeps_session(client_a, user_a):
    response = client_a.post(
        "/portal/password/change/",
        {"old_password": PASSWORD_A, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == "/portal/"
    user_a.refresh_from_db()
    assert user_a.check_password(NEW_PASSWORD)
    assert client_a.get("/portal/").status_code == 200


def test_password_change_needs_old_password(client_a, user_a):
    response = client_a.post(
        "/portal/password/change/",
        {"old_password": "bukan-sandi-lama", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert error_texts(response) == ["Kata sandi saat ini salah. Ketik sekali lagi."]
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD_A)


# ---------------------------------------------------------------------------
# Staff invitation page and WhatsApp link


def test_staff_invitation_page_shows_link_and_whatsapp(admin_client, customer_a):
    url = f"/portal/staff/customers/{customer_a.pk}/link/"

    page = admin_client.get(url).content.decode()
    response = admin_client.post(url)
    created = response.content.decode()

    assert "Pelanggan belum punya kata sandi portal." in page
    assert '<button type="submit" class="primary">Buat tautan undangan</button>' in page
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"].split(", ")
    link = PortalLink.objects.get(customer=customer_a)
    assert link.created_by.username == "admin"
    assert link.purpose == PortalLink.Purpose.INVITATION
    link_url = created.split('id="portal-link" value="')[1].split('"')[0]
    assert link_url.startswith("http://testserver/portal/link/")
    assert link_find(link_url.rstrip("/").rsplit("/", 1)[1]) == link
    assert 'data-copy-target="portal-link"' in created

    whatsapp = created.split('id="whatsapp-link" href="')[1].split('"')[0].replace("&amp;", "&")
    parts = urlsplit(whatsapp)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
    message = parse_qs(parts.query)["text"][0]
    expiry = timezone.localtime(link.expires_at)
    assert message == (
        f"Halo Budi Santoso, Anda diundang ke Portal Pelanggan (ID Pelanggan PLG-0001). "
        f"Buka tautan ini untuk membuat kata sandi: {link_url}. Tautan hanya bisa dipakai sekali dan berlaku "
        f"sampai {expiry.day} {MONTHS_ID[expiry.month]} {expiry.year} {expiry:%H:%M} WIB."
    )


MONTHS_ID = {
    1: "Januari", 2: "Februari", 3: "Maret", 4: "April", 5: "Mei", 6: "Juni",
    7: "Juli", 8: "Agustus", 9: "September", 10: "Oktober", 11: "November", 12: "Desember",
}


def test_whatsapp_message_always_indonesian(admin_client, customer_a, user_a):
    admin_client.cookies["django_language"] = "en"

    created = admin_client.post(f"/portal/staff/customers/{customer_a.pk}/link/").content.decode()

    whatsapp = created.split('id="whatsapp-link" href="')[1].split('"')[0].replace("&amp;", "&")
    message = parse_qs(urlsplit(whatsapp).query)["text"][0]
    assert message.startswith("Halo Budi Santoso, buka tautan ini untuk membuat kata sandi baru Portal Pelanggan")
    assert "Create password reset link" not in created
    assert "Send via WhatsApp" in created


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Jakarta", "13 Desember 2026 07:49 WIB"),
        ("Asia/Makassar", "13 Desember 2026 08:49 WITA"),
        ("Asia/Jayapura", "13 Desember 2026 09:49 WIT"),
        ("Asia/Dubai", "13 Desember 2026 04:49 UTC+04:00"),
        ("America/Noronha", "12 Desember 2026 22:49 UTC-02:00"),
    ],
)
def test_link_expiry_names_time_zone(settings, zone, expected):
    settings.TIME_ZONE = zone
    moment = datetime.datetime(2026, 12, 13, 0, 49, tzinfo=datetime.timezone.utc)

    with translation.override("id"):
        assert expiry_text(moment) == expected


def test_whatsapp_url_without_phone():
    assert whatsapp_url("", "Halo & selamat") == "https://wa.me/?text=Halo%20%26%20selamat"
    assert whatsapp_url("+62 812-3456", "a") == "https://wa.me/628123456?text=a"


def test_staff_invitation_whatsapp_for_landline(admin_client, customer_a):
    # A Jakarta landline has no WhatsApp, so the link lets the admin pick the contact.
    customer_a.phone = "+62218765432"
    customer_a.save()

    created = admin_client.post(f"/portal/staff/customers/{customer_a.pk}/link/").content.decode()

    whatsapp = created.split('id="whatsapp-link" href="')[1].split('"')[0].replace("&amp;", "&")
    parts = urlsplit(whatsapp)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/")
    assert "Halo Budi Santoso" in parse_qs(parts.query)["text"][0]


def test_staff_invitation_page_scoped_to_sites(client, site_admin_cbn, customer_a, customer_b):
    client.force_login(site_admin_cbn)

    assert client.get(f"/portal/staff/customers/{customer_a.pk}/link/").status_code == 200
    assert client.get(f"/portal/staff/customers/{customer_b.pk}/link/").status_code == 404
    assert client.post(f"/portal/staff/customers/{customer_b.pk}/link/").status_code == 404
    assert not PortalLink.objects.filter(customer=customer_b).exists()


def test_invitation_page_rejects_deactivated_account(admin_client, customer_a, user_a):
    user_a.is_active = False
    user_a.save()

    response = admin_client.post(f"/portal/staff/customers/{customer_a.pk}/link/")

    assert "Akun portal pelanggan ini dinonaktifkan, jadi tautan tidak dapat dibuat." in response.content.decode()
    assert not PortalLink.objects.exists()


def test_customer_edit_page_links_to_invitation(admin_client, customer_a):
    page = admin_client.get(f"/customers/{customer_a.pk}/").content.decode()

    assert f'<a class="button" href="/portal/staff/customers/{customer_a.pk}/link/">Undang ke Portal</a>' in page


# ---------------------------------------------------------------------------
# invite_customer command


def test_invite_customer_prints_working_link(client, customer_a, settings):
    settings.PORTAL_BASE_URL = "https://billing.contoh.id/"
    out = StringIO()

    call_command("invite_customer", "PLG-0001", stdout=out)

    url = out.getvalue().strip()
    assert url.startswith("https://billing.contoh.id/portal/link/")
    path = urlsplit(url).path
    assert client.get(path).status_code == 200
    assert set_password(client, path).status_code == 302


def test_invite_customer_prints_whatsapp_link(customer_a):
    out = StringIO()

    call_command("invite_customer", "PLG-0001", "--whatsapp", stdout=out)

    url, whatsapp = out.getvalue().split()
    assert url.startswith("http://127.0.0.1:8000/portal/link/")
    assert whatsapp.startswith("https://wa.me/6281234567890?text=")
    assert url in unquote(whatsapp)


def test_invite_customer_whatsapp_for_landline(customer_a):
    customer_a.phone = "+62218765432"
    customer_a.save()
    out = StringIO()

    call_command("invite_customer", "PLG-0001", "--whatsapp", stdout=out)

    url, whatsapp = out.getvalue().split()
    assert whatsapp.startswith("https://wa.me/?text=")
    assert url in unquote(whatsapp)


def test_invite_customer_rejects_unknown_number_in_english(db):
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("invite_customer", "PLG-9999")

    assert str(raised.value) == "No customer has the ID Pelanggan PLG-9999. Check the ID in the customer list."


def test_invite_customer_matches_id_in_any_letter_case(customer_a):
    out = StringIO()

    call_command("invite_customer", "plg-0001", stdout=out)

    assert out.getvalue().startswith("http://127.0.0.1:8000/portal/link/")
    assert PortalLink.objects.filter(customer=customer_a).count() == 1


def test_invite_customer_unknown_id_in_indonesian(customer_a):
    with pytest.raises(CommandError) as raised:
        call_command("invite_customer", "PLG-9999")

    assert str(raised.value) == (
        "Tidak ada pelanggan dengan ID Pelanggan PLG-9999. Periksa ID di daftar pelanggan."
    )
