"""Isolation: every portal URL, tried by customer A with customer B's identifiers.

Customer pages take the customer from the session, never from the URL, so
the only identifiers a customer could swap are change request ids, link
tokens and the customer ids of the staff pages. Each gives 404. Extra
POST fields (package, site, status, number, nik, phone, user, another
customer's id) change nothing.
"""

import pytest
from django.urls import reverse

from customers.models import Customer
from portal import urls as portal_urls
from portal.links import link_create
from portal.models import ChangeRequest, PortalLink
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    PASSWORD_A,
    PASSWORD_B,
    catalogue,
    client_a,
    customer_a,
    customer_b,
    give_portal_password,
    site_admin_cbn,
    user_a,
    user_b,
)

NEW_PASSWORD = "jaringan-rumah-budi-58"
NEW_NIK = "3201016608950003"

# Every portal URL name, with what customer A uses in place of an identifier:
# "own" pages have no identifier and show the logged-in customer, "public"
# pages show no customer data, and "b" pages are tried with B's identifier.
URL_CASES = {
    "home": "own",
    "profile": "own",
    "request-new": "own",
    "request-package": "own",
    "password-change": "own",
    "login": "public",
    "logout": "public",
    "password-forgot": "public",
    "link": "b",
    "request-cancel": "b",
    "staff-customer-link": "b",
    "staff-requests": "staff",
    "staff-request-approve": "b",
    "staff-request-reject": "b",
}


def extra_fields(customer_b, catalogue):
    """Return fields posted on top of a form, naming customer B or protected fields."""
    sites, packages = catalogue
    return {
        "package": packages["B100"].pk,
        "site": sites["BJG"].pk,
        "status": "suspended",
        "number": "PLG-9999",
        "nik": NEW_NIK,
        "phone": "0857-1234-5678",
        "user": customer_b.user_id,
        "customer": customer_b.pk,
        "customer_id": customer_b.pk,
        "id": customer_b.pk,
        "pk": customer_b.pk,
        "is_staff": "on",
        "is_superuser": "on",
    }


def customer_state(customer):
    """Return every stored column of the customer and its user's password hash."""
    row = Customer.objects.values().get(pk=customer.pk)
    row.pop("updated_at")
    user = Customer.objects.get(pk=customer.pk).user
    row["password"] = user.password if user else None
    row["is_staff"] = user.is_staff if user else None
    return row


@pytest.fixture
def world(customer_a, customer_b, user_a, user_b):
    """B's change request, B's used and B's unused link, and A's pending request."""
    b_request = ChangeRequest.objects.create(customer=customer_b, field="phone", new_value="+6285799990000")
    b_used = link_create(customer_b)
    PortalLink.objects.filter(pk=b_used.link.pk).update(used_at=b_used.link.created_at)
    a_request = ChangeRequest.objects.create(customer=customer_a, field="phone", new_value="+6285788887777")
    return {"b_request": b_request, "b_used_token": b_used.token, "a_request": a_request}


def b_url(name, customer_b, world):
    """Return the URL of `name` with customer B's identifier."""
    kwargs = {
        "link": {"token": world["b_used_token"]},
        "request-cancel": {"pk": world["b_request"].pk},
        "staff-customer-link": {"pk": customer_b.pk},
        "staff-request-approve": {"pk": world["b_request"].pk},
        "staff-request-reject": {"pk": world["b_request"].pk},
    }[name]
    return reverse(f"portal:{name}", kwargs=kwargs)


def test_cases_cover_every_portal_url():
    names = {pattern.name for pattern in portal_urls.urlpatterns}

    assert names == set(URL_CASES)


@pytest.mark.parametrize("name", [name for name, kind in URL_CASES.items() if kind == "b"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_customer_a_gets_404_with_b_identifiers(client_a, customer_a, customer_b, catalogue, world, name, method):
    before_a = customer_state(customer_a)
    before_b = customer_state(customer_b)
    url = b_url(name, customer_b, world)

    response = getattr(client_a, method)(url, extra_fields(customer_b, catalogue) if method == "post" else None)

    assert response.status_code == 404
    assert customer_state(customer_a) == before_a
    assert customer_state(customer_b) == before_b
    world["b_request"].refresh_from_db()
    assert world["b_request"].status == ChangeRequest.Status.PENDING


@pytest.mark.parametrize("name", [name for name, kind in URL_CASES.items() if kind in {"own", "public"}])
def test_customer_a_never_sees_b(client_a, customer_b, world, name):
    response = client_a.get(reverse(f"portal:{name}"), follow=True)

    page = response.content.decode()
    assert response.status_code in {200, 405}
    for value in (customer_b.number, customer_b.name, "0813-1111-2222", "0857-9999-0000", customer_b.nik[-4:]):
        assert value not in page


def test_staff_list_is_404_for_customer(client_a, world):
    assert client_a.get(reverse("portal:staff-requests")).status_code == 404


def test_customer_a_gets_404_on_own_staff_urls(client_a, customer_a, world):
    own_urls = [
        reverse("portal:staff-customer-link", kwargs={"pk": customer_a.pk}),
        reverse("portal:staff-request-approve", kwargs={"pk": world["a_request"].pk}),
        reverse("portal:staff-request-reject", kwargs={"pk": world["a_request"].pk}),
    ]

    for url in own_urls:
        assert client_a.get(url).status_code == 404
        assert client_a.post(url).status_code == 404
    world["a_request"].refresh_from_db()
    assert world["a_request"].status == ChangeRequest.Status.PENDING
    assert not PortalLink.objects.filter(customer=customer_a).exists()


# ---------------------------------------------------------------------------
# Extra POST fields


def test_profile_post_ignores_extra_fields(client_a, customer_a, customer_b, catalogue, world):
    before_a = customer_state(customer_a)
    before_b = customer_state(customer_b)
    data = {
        "name": "Budi Santoso",
        "email": "budi@contoh.id",
        "street": "Jl. Kenanga No. 9",
        "address": "Dekat masjid",
        "village": "",
        "location": "",
        "latitude": "",
        "longitude": "",
        **extra_fields(customer_b, catalogue),
    }

    response = client_a.post(reverse("portal:profile"), data)

    assert response.status_code == 302
    after_a = customer_state(customer_a)
    assert after_a.pop("street") == "Jl. Kenanga No. 9"
    before_a.pop("street")
    assert after_a == before_a
    assert customer_state(customer_b) == before_b


def test_change_request_post_ignores_extra_fields(client_a, customer_a, customer_b, catalogue, world):
    before_a = customer_state(customer_a)
    before_b = customer_state(customer_b)
    data = {
        **extra_fields(customer_b, catalogue),
        "field": "nik",
        "value": NEW_NIK,
        "status": "approved",
        "new_value": "3201011203900009",
        "created_by": customer_b.user_id,
    }

    response = client_a.post(reverse("portal:request-new"), data)

    assert response.status_code == 302
    created = ChangeRequest.objects.get(field="nik")
    assert created.customer == customer_a
    assert created.new_value == NEW_NIK
    assert created.status == ChangeRequest.Status.PENDING
    assert created.created_by == customer_a.user
    assert customer_state(customer_a) == before_a
    assert customer_state(customer_b) == before_b


def test_package_request_post_ignores_extra_fields(client_a, customer_a, customer_b, catalogue, world):
    _sites, packages = catalogue
    before_a = customer_state(customer_a)
    before_b = customer_state(customer_b)
    data = {
        **extra_fields(customer_b, catalogue),
        "package": packages["H30"].pk,
        "field": "nik",
        "status": "approved",
        "new_value": "Bisnis 100 Mbps",
        "created_by": customer_b.user_id,
    }

    response = client_a.post(reverse("portal:request-package"), data)

    assert response.status_code == 302
    created = ChangeRequest.objects.get(field="package")
    assert created.customer == customer_a
    assert created.package == packages["H30"]
    assert created.new_value == "Home 30 Mbps"
    assert created.status == ChangeRequest.Status.PENDING
    assert created.created_by == customer_a.user
    assert customer_state(customer_a) == before_a
    assert customer_state(customer_b) == before_b


def test_password_change_post_ignores_extra_fields(client_a, customer_a, customer_b, catalogue, world):
    before_b = customer_state(customer_b)
    data = {
        **extra_fields(customer_b, catalogue),
        "username": f"customer-{customer_b.pk}",
        "old_password": PASSWORD_A,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }

    response = client_a.post(reverse("portal:password-change"), data)

    assert response.status_code == 302
    assert Customer.objects.get(pk=customer_a.pk).user.check_password(NEW_PASSWORD)
    assert customer_state(customer_b) == before_b
    assert Customer.objects.get(pk=customer_b.pk).user.check_password(PASSWORD_B)


def test_link_post_ignores_extra_fields(client, customer_a, customer_b, catalogue):
    give_portal_password(customer_b, PASSWORD_B)
    before_b = customer_state(customer_b)
    issued = link_create(customer_a)
    data = {**extra_fields(customer_b, catalogue), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    response = client.post(issued.path, data)

    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.user.check_password(NEW_PASSWORD)
    assert customer_a.user.is_staff is False
    assert customer_a.user.is_superuser is False
    assert customer_a.status == "active"
    assert int(client.session["_auth_user_id"]) == customer_a.user_id
    assert customer_state(customer_b) == before_b


def test_login_post_ignores_extra_fields(client, customer_a, customer_b, catalogue, user_a, user_b):
    data = {**extra_fields(customer_b, catalogue), "username": "PLG-0001", "password": PASSWORD_A}

    client.post(reverse("portal:login"), data)

    assert int(client.session["_auth_user_id"]) == user_a.pk


# ---------------------------------------------------------------------------
# Staff on customer pages, customers on staff pages

CUSTOMER_PAGE_NAMES = [name for name, kind in URL_CASES.items() if kind == "own"]


@pytest.mark.parametrize("name", CUSTOMER_PAGE_NAMES)
def test_staff_gets_404_on_customer_pages(admin_client, name):
    assert admin_client.get(reverse(f"portal:{name}")).status_code == 404


def test_staff_gets_404_on_request_cancel(admin_client, world):
    url = reverse("portal:request-cancel", kwargs={"pk": world["a_request"].pk})

    assert admin_client.post(url).status_code == 404
    world["a_request"].refresh_from_db()
    assert world["a_request"].status == ChangeRequest.Status.PENDING


@pytest.mark.parametrize("name", CUSTOMER_PAGE_NAMES)
def test_staff_linked_to_customer_gets_404(client, admin_user, customer_a, name):
    Customer.objects.filter(pk=customer_a.pk).update(user=admin_user)
    client.force_login(admin_user)

    assert client.get(reverse(f"portal:{name}")).status_code == 404


def test_non_customer_user_gets_404(client, django_user_model, db):
    user = django_user_model.objects.create_user(username="tamu", password="rahasia-tamu-123")
    client.force_login(user)

    for name in CUSTOMER_PAGE_NAMES:
        assert client.get(reverse(f"portal:{name}")).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/customers/",
        "/customers/export/",
        "/customers/upload/",
        "/customers/upload/template/",
        "/customers/imports/",
        "/sites/",
        "/packages/",
        "/regions/map/",
        "/regions/map/points/",
    ],
)
def test_customer_gets_404_on_staff_pages(client_a, url):
    assert client_a.get(url).status_code == 404


def test_customer_gets_404_on_own_staff_edit_page(client_a, customer_a):
    assert client_a.get(f"/customers/{customer_a.pk}/").status_code == 404
    assert client_a.post(f"/customers/{customer_a.pk}/", {"package": "", "status": "inactive"}).status_code == 404


def test_anonymous_redirected_from_staff_portal_pages(client, customer_b, world):
    url = b_url("staff-customer-link", customer_b, world)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/login/?next={url}"
