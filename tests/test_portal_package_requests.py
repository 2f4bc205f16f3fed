"""Package requests: a customer names the package they pay for in the
portal, and staff approve or reject it like a NIK or phone request."""

import re

import pytest

from customers.services import CHANGE_REQUEST_REASON
from packages.models import ServicePackage
from portal.models import ChangeRequest
from portal.services import PackageNotOffered, change_request_submit
from tests.test_customer_history import history_rows
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
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
from tests.test_portal_pages import customer_client

PACKAGE_URL = "/portal/requests/package/"
REQUESTS_URL = "/portal/staff/requests/"
SENT = "Your request has been sent. An admin will check it before it takes effect."


@pytest.fixture
def english_a(client_a):
    client_a.cookies["django_language"] = "en"
    return client_a


@pytest.fixture
def english_admin(admin_client):
    admin_client.cookies["django_language"] = "en"
    return admin_client


@pytest.fixture
def packages(catalogue):
    _sites, packages = catalogue
    return packages


@pytest.fixture
def without_package(customer_a):
    """Customer A as imported from a sheet without a Paket column."""
    customer_a.package = None
    customer_a.save()
    return customer_a


@pytest.fixture
def request_h30(customer_a, user_a, packages):
    """Customer A's pending request for Home 30 Mbps."""
    return ChangeRequest.objects.create(
        customer=customer_a, field="package", package=packages["H30"], new_value="Home 30 Mbps", created_by=user_a
    )


def english_customer_client(user):
    client = customer_client(user)
    client.cookies["django_language"] = "en"
    return client


def requested_packages():
    return list(ChangeRequest.objects.order_by("id").values_list("field", "package__code", "new_value", "status"))


def portal_request_rows(client):
    """Return the portal home's change requests as (data, new value, status) texts."""
    page = client.get("/portal/").content.decode()
    table = page[page.index('<table id="change-requests"'):]
    cells = re.findall(
        r'<td data-label="Data">(.*?)</td>\s*'
        r'<td data-label="New value">(.*?)</td>\s*'
        r'<td data-label="Status">(.*?)</td>',
        table,
        flags=re.S,
    )
    return [tuple(" ".join(cell.split()) for cell in row) for row in cells]


def package_warnings(response):
    return re.findall(r'<p class="warning-box package-unavailable">(.*?)</p>', response.content.decode(), flags=re.S)


# ---------------------------------------------------------------------------
# The customer's side


def test_home_shows_current_package(english_a):
    page = english_a.get("/portal/").content.decode()

    assert '<td id="customer-package">Home 20 Mbps · 20/10 Mbps · Rp200,000</td>' in page
    assert f'<a class="button" href="{PACKAGE_URL}">Change package</a>' in page


def test_home_says_no_package_recorded(english_a, without_package):
    page = english_a.get("/portal/").content.decode()

    assert '<td id="customer-package">No package recorded yet</td>' in page
    assert f'<a class="button" href="{PACKAGE_URL}">Tell us your package</a>' in page


def test_package_page_offers_active_packages(english_a, packages):
    packages["B50"].is_active = False
    packages["B50"].save()

    page = english_a.get(PACKAGE_URL).content.decode()

    assert '<p id="current-package">Recorded package: Home 20 Mbps · 20/10 Mbps · Rp200,000</p>' in page
    offered = re.findall(r'<input type="radio" name="package" value="(\d+)"', page)
    assert offered == [str(packages[code].pk) for code in ("H10", "H20", "H30", "B100")]
    assert "Bisnis 100 Mbps · 100/100 Mbps · Rp900,000" in page
    assert "Bisnis 50 Mbps" not in page


def test_package_page_without_active_packages(english_a, packages, without_package):
    for package in packages.values():
        package.is_active = False
        package.save()

    page = english_a.get(PACKAGE_URL).content.decode()

    assert '<p id="current-package">No package is recorded for you yet.</p>' in page
    assert '<p id="no-packages">No packages are offered at the moment.' in page
    assert '<input type="radio"' not in page


def test_package_request_waits_for_approval(english_a, without_package, user_a, packages):
    response = english_a.post(PACKAGE_URL, {"package": packages["H30"].pk})

    assert response.status_code == 302
    assert response.url == "/portal/"
    change_request = ChangeRequest.objects.get()
    assert change_request.customer == without_package
    assert change_request.field == ChangeRequest.Field.PACKAGE
    assert change_request.package == packages["H30"]
    assert change_request.new_value == "Home 30 Mbps"
    assert change_request.status == ChangeRequest.Status.PENDING
    assert change_request.created_by == user_a
    without_package.refresh_from_db()
    assert without_package.package is None
    assert message_texts(english_a.get("/portal/")) == [SENT]
    assert portal_request_rows(english_a) == [("Package", "Home 30 Mbps", "Waiting for approval")]


def test_package_page_shows_pending_request(english_a, request_h30):
    page = english_a.get(PACKAGE_URL).content.decode()

    assert (
        '<p class="warning-box" id="pending-package">Your request for Home 30 Mbps is waiting for approval. '
        "A new request replaces it.</p>"
    ) in page


def test_new_package_request_replaces_pending_one(english_a, customer_a, packages):
    english_a.post("/portal/requests/new/", {"field": "phone", "value": "0857-1234-5678"})
    english_a.post(PACKAGE_URL, {"package": packages["H30"].pk})
    english_a.post(PACKAGE_URL, {"package": packages["B50"].pk})

    assert requested_packages() == [
        ("phone", None, "+6285712345678", "pending"),
        ("package", "H30", "Home 30 Mbps", "replaced"),
        ("package", "B50", "Bisnis 50 Mbps", "pending"),
    ]
    assert portal_request_rows(english_a) == [
        ("Package", "Bisnis 50 Mbps", "Waiting for approval"),
        ("Package", "Home 30 Mbps", "Replaced"),
        ("Phone / WhatsApp", "0857-1234-5678", "Waiting for approval"),
    ]


def test_double_submit_keeps_one_request(english_a, packages):
    english_a.post(PACKAGE_URL, {"package": packages["H30"].pk})
    english_a.post(PACKAGE_URL, {"package": packages["H30"].pk})

    assert requested_packages() == [("package", "H30", "Home 30 Mbps", "pending")]
    assert message_texts(english_a.get("/portal/")) == [
        SENT,
        "The same request has already been sent and is waiting for approval.",
    ]


def test_renamed_package_request_kept_once(english_a, packages):
    """The same package is the same request, whatever its name when first requested."""
    english_a.post(PACKAGE_URL, {"package": packages["H30"].pk})
    packages["H30"].name = "Home 30 Mbps Plus"
    packages["H30"].save()
    english_a.post(PACKAGE_URL, {"package": packages["H30"].pk})

    assert requested_packages() == [("package", "H30", "Home 30 Mbps", "pending")]
    assert portal_request_rows(english_a) == [("Package", "Home 30 Mbps Plus", "Waiting for approval")]


@pytest.mark.parametrize(
    ("choice", "expected_error"),
    [
        ("", "Choose your package."),
        ("H20", "Home 20 Mbps is already your package."),
        ("inactive", "This package is no longer offered. Choose another one."),
        ("999999", "This package is no longer offered. Choose another one."),
        ("abc", "This package is no longer offered. Choose another one."),
    ],
)
def test_package_request_validated(english_a, packages, choice, expected_error):
    packages["B50"].is_active = False
    packages["B50"].save()
    value = {"H20": packages["H20"].pk, "inactive": packages["B50"].pk}.get(choice, choice)

    response = english_a.post(PACKAGE_URL, {"package": value})

    assert response.status_code == 200
    assert error_texts(response) == [expected_error]
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("change", ["deactivated", "deleted"])
def test_submit_rechecks_package(customer_a, user_a, packages, change):
    """The package is checked again under a lock, because staff may change it after the form's check."""
    chosen = packages["H30"]
    if change == "deleted":
        ServicePackage.objects.filter(pk=chosen.pk).delete()
    else:
        ServicePackage.objects.filter(pk=chosen.pk).update(is_active=False)

    with pytest.raises(PackageNotOffered):
        change_request_submit(customer_a, ChangeRequest.Field.PACKAGE, chosen, user_a)

    assert not ChangeRequest.objects.exists()


def test_nik_phone_form_offers_no_package(english_a, packages):
    page = english_a.get("/portal/requests/new/").content.decode()
    response = english_a.post("/portal/requests/new/", {"field": "package", "value": packages["H30"].pk})

    assert re.findall(r'<input type="radio" name="field" value="(\w+)"', page) == ["nik", "phone"]
    assert response.status_code == 200
    assert error_texts(response) == ["Select a valid choice. package is not one of the available choices."]
    assert not ChangeRequest.objects.exists()


def test_customer_cancels_package_request(english_a, request_h30, customer_a, packages):
    response = english_a.post(f"/portal/requests/{request_h30.pk}/cancel/")

    assert response.status_code == 302
    request_h30.refresh_from_db()
    assert request_h30.status == ChangeRequest.Status.CANCELLED
    customer_a.refresh_from_db()
    assert customer_a.package == packages["H20"]
    assert message_texts(english_a.get("/portal/")) == ["Your request has been cancelled."]


# ---------------------------------------------------------------------------
# The staff side


def test_staff_list_shows_package_request(english_admin, request_h30):
    response = english_admin.get(REQUESTS_URL)

    page = response.content.decode()
    row = page[page.index(f'<tr id="change-request-{request_h30.pk}">'):]
    row = row[: row.index("</tr>")]
    assert '<td data-label="Data">Package</td>' in row
    assert '<td data-label="Current value">Home 20 Mbps · 20/10 Mbps · Rp200,000</td>' in row
    assert '<td data-label="New value"><strong>Home 30 Mbps · 30/15 Mbps · Rp250,000</strong></td>' in row
    assert package_warnings(response) == []


def test_staff_list_shows_missing_current_package(english_admin, without_package, request_h30):
    page = english_admin.get(REQUESTS_URL).content.decode()

    assert '<td data-label="Current value">—</td>' in page


def test_approval_sets_package_with_history(english_admin, admin_user, without_package, request_h30, packages):
    response = english_admin.post(f"/portal/staff/requests/{request_h30.pk}/approve/")

    assert response.status_code == 302
    assert response.url == REQUESTS_URL
    request_h30.refresh_from_db()
    assert request_h30.status == ChangeRequest.Status.APPROVED
    assert request_h30.decided_by == admin_user
    without_package.refresh_from_db()
    assert without_package.package == packages["H30"]
    latest = without_package.history.latest("history_id")
    assert latest.history_user == admin_user
    assert latest.history_change_reason == CHANGE_REQUEST_REASON
    assert latest.package_id == packages["H30"].pk
    assert [change.field for change in latest.diff_against(latest.prev_record).changes] == ["package"]
    assert message_texts(english_admin.get(REQUESTS_URL)) == [
        "The change for customer PLG-0001 has been approved and saved."
    ]
    who, changes = history_rows(english_admin, without_package)[0]
    assert who == "admin"
    assert changes.startswith('<p class="muted">From the customer\'s change request, approved by admin</p>')
    assert "<li><strong>Package</strong>: — → Home 30 Mbps</li>" in changes


def test_approved_package_shown_to_customer(english_admin, user_a, request_h30):
    english_admin.post(f"/portal/staff/requests/{request_h30.pk}/approve/")

    customer = english_customer_client(user_a)
    page = customer.get("/portal/").content.decode()
    assert '<td id="customer-package">Home 30 Mbps · 30/15 Mbps · Rp250,000</td>' in page
    assert portal_request_rows(customer) == [("Package", "Home 30 Mbps", "Approved")]


def test_decided_package_request_listed_by_name(english_admin, request_h30):
    english_admin.post(f"/portal/staff/requests/{request_h30.pk}/approve/")

    page = english_admin.get(REQUESTS_URL).content.decode()

    decided = page.split("<h2>Recently decided</h2>")[1]
    assert '<td data-label="New value">Home 30 Mbps</td>' in decided
    assert '<td data-label="Status">Approved</td>' in decided


def test_rejection_reason_shown_on_portal(english_admin, admin_user, user_a, customer_a, request_h30, packages):
    english_admin.post(
        f"/portal/staff/requests/{request_h30.pk}/reject/", {"reason": "Tagihan Anda masih Home 20 Mbps."}
    )

    request_h30.refresh_from_db()
    assert request_h30.status == ChangeRequest.Status.REJECTED
    assert request_h30.decided_by == admin_user
    assert request_h30.reject_reason == "Tagihan Anda masih Home 20 Mbps."
    customer_a.refresh_from_db()
    assert customer_a.package == packages["H20"]
    assert portal_request_rows(english_customer_client(user_a)) == [
        ("Package", "Home 30 Mbps", 'Rejected<br><span class="muted">Reason: Tagihan Anda masih Home 20 Mbps.</span>')
    ]


def test_deactivated_package_not_set(english_admin, customer_a, request_h30, packages):
    packages["H30"].is_active = False
    packages["H30"].save()
    inactive = (
        "Package Home 30 Mbps is no longer active, so it cannot be set. "
        "An admin can activate it again in the package list. Otherwise reject the request."
    )
    assert package_warnings(english_admin.get(REQUESTS_URL)) == [inactive]

    response = english_admin.post(f"/portal/staff/requests/{request_h30.pk}/approve/")

    assert response.status_code == 302
    request_h30.refresh_from_db()
    assert request_h30.status == ChangeRequest.Status.PENDING
    assert request_h30.decided_at is None
    customer_a.refresh_from_db()
    assert customer_a.package == packages["H20"]
    assert message_texts(english_admin.get(REQUESTS_URL)) == [
        f"The request of customer PLG-0001 was not applied: {inactive}"
    ]


def test_reactivated_package_can_be_approved(english_admin, customer_a, request_h30, packages):
    packages["H30"].is_active = False
    packages["H30"].save()
    english_admin.post(f"/portal/staff/requests/{request_h30.pk}/approve/")
    packages["H30"].is_active = True
    packages["H30"].save()

    english_admin.post(f"/portal/staff/requests/{request_h30.pk}/approve/")

    request_h30.refresh_from_db()
    assert request_h30.status == ChangeRequest.Status.APPROVED
    customer_a.refresh_from_db()
    assert customer_a.package == packages["H30"]


def test_deleted_package_not_set(english_admin, user_a, customer_a, request_h30, packages):
    packages["H30"].delete()
    deleted = "Package Home 30 Mbps was deleted, so it cannot be set. Reject the request and tell the customer why."

    listed = english_admin.get(REQUESTS_URL)
    response = english_admin.post(f"/portal/staff/requests/{request_h30.pk}/approve/")

    assert listed.status_code == 200
    assert package_warnings(listed) == [deleted]
    assert '<td data-label="New value"><strong>Home 30 Mbps (deleted package)</strong>' in listed.content.decode()
    assert response.status_code == 302
    request_h30.refresh_from_db()
    assert request_h30.package is None
    assert request_h30.status == ChangeRequest.Status.PENDING
    customer_a.refresh_from_db()
    assert customer_a.package == packages["H20"]
    assert message_texts(english_admin.get(REQUESTS_URL)) == [
        f"The request of customer PLG-0001 was not applied: {deleted}"
    ]
    customer = english_customer_client(user_a)
    assert customer.get(PACKAGE_URL).status_code == 200
    assert portal_request_rows(customer) == [("Package", "Home 30 Mbps (deleted package)", "Waiting for approval")]


def test_deleted_package_request_rejected(english_admin, user_a, request_h30, packages):
    packages["H30"].delete()

    english_admin.post(f"/portal/staff/requests/{request_h30.pk}/reject/", {"reason": "Paket sudah tidak ada."})

    request_h30.refresh_from_db()
    assert request_h30.status == ChangeRequest.Status.REJECTED
    decided = english_admin.get(REQUESTS_URL).content.decode().split("<h2>Recently decided</h2>")[1]
    assert '<td data-label="New value">Home 30 Mbps (deleted package)</td>' in decided
    assert portal_request_rows(english_customer_client(user_a)) == [
        (
            "Package",
            "Home 30 Mbps (deleted package)",
            'Rejected<br><span class="muted">Reason: Paket sudah tidak ada.</span>',
        )
    ]


def test_decided_request_does_not_block_package_delete(english_admin, request_h30, packages):
    english_admin.post(f"/portal/staff/requests/{request_h30.pk}/reject/")

    packages["H30"].delete()

    request_h30.refresh_from_db()
    assert request_h30.package_id is None
    assert request_h30.new_value == "Home 30 Mbps"


def test_other_site_package_request_not_decided(client, site_admin_cbn, customer_b, user_b, packages):
    """Customer B is in Bojonggede, outside the site admin's Cibinong."""
    request_b = ChangeRequest.objects.create(
        customer=customer_b, field="package", package=packages["H30"], new_value="Home 30 Mbps", created_by=user_b
    )
    client.force_login(site_admin_cbn)

    page = client.get(REQUESTS_URL).content.decode()
    approve = client.post(f"/portal/staff/requests/{request_b.pk}/approve/")
    reject = client.post(f"/portal/staff/requests/{request_b.pk}/reject/")

    assert f'id="change-request-{request_b.pk}"' not in page
    assert approve.status_code == 404
    assert reject.status_code == 404
    request_b.refresh_from_db()
    assert request_b.status == ChangeRequest.Status.PENDING
    customer_b.refresh_from_db()
    assert customer_b.package == packages["H10"]


def test_own_site_package_request_decided(client, site_admin_cbn, customer_a, request_h30, packages):
    client.force_login(site_admin_cbn)

    response = client.post(f"/portal/staff/requests/{request_h30.pk}/approve/")

    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.package == packages["H30"]
