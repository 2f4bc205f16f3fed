"""The approval of a phone change request races another write that gives
the same number to another customer, on a second database connection:
another approval, an add (which saves under the import lock, as an import
does) or an edit.

The approval checks who has the number before it saves it. Without a lock
both writers pass their checks before either commits, and the number ends
up with two customers, unconfirmed by the approver and unwarned on the
edit page.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from customers.models import Customer
from portal.models import ChangeRequest
from tests.locking_helpers import run_behind_lock
from tests.test_customer_add import ADD_URL, add_data
from tests.test_customer_pages import edit_url, form_data
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    catalogue,
    customer_a,
    customer_b,
    user_a,
    user_b,
)

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PHONE = "+6285712345678"
SHARED_PHONE_MESSAGE = (
    "No. HP 0857-1234-5678 juga dipakai oleh {holder}. Permintaan pelanggan {number} tidak disetujui, "
    "karena setiap pelanggan dengan nomor ini dapat masuk ke portal dengan nomor itu. Jika mereka memakai "
    "HP yang sama, centang “Tetap setujui” lalu setujui lagi. Jika tidak, tolak permintaan ini."
)


@pytest.fixture
def admin_clients(admin_user):
    """Two clients logged in as the same admin, as two browser tabs are,
    so that both writes record the admin whose row lock_user() locks."""
    clients = (Client(), Client())
    for client in clients:
        client.force_login(admin_user)
    return clients


def approve_url(change_request):
    return f"/portal/staff/requests/{change_request.pk}/approve/"


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


def lock_user(user):
    """Return a function that locks the row of `user`, the staff member
    whose name both writes record, for run_behind_lock().

    Each write records the user in a history row, whose foreign key
    PostgreSQL checks at the commit, so each write then waits there with
    its check and its save done. SQLite runs the two one after the other.
    """
    return lambda: get_user_model().objects.select_for_update().get(pk=user.pk)


def allowed_outcomes(outcomes, started_first):
    """Return the list of allowed outcomes among `outcomes` ({writer: the
    outcome when that writer commits first}): on PostgreSQL the one of
    `started_first`, which holds the lock the other waits for. SQLite
    lets the two requests take its write lock in either order."""
    if connection.vendor == "postgresql":
        return [outcomes[started_first]]
    return list(outcomes.values())


def test_two_approvals_of_one_phone(admin_user, admin_clients, customer_a, customer_b, user_a, user_b):
    """Customers A and B both ask for the same new number, and the two
    requests are approved at the same moment. The second approval must see
    the first one's customer with the number and be rejected, changing
    nothing."""
    first_client, second_client = admin_clients
    request_a = ChangeRequest.objects.create(customer=customer_a, field="phone", new_value=NEW_PHONE, created_by=user_a)
    request_b = ChangeRequest.objects.create(customer=customer_b, field="phone", new_value=NEW_PHONE, created_by=user_b)

    outcome = run_behind_lock(
        lock_user(admin_user),
        lambda: first_client.post(approve_url(request_a), {"customer": customer_a.pk}),
        lambda: second_client.post(approve_url(request_b), {"customer": customer_b.pk}),
    )

    assert outcome["first"].status_code == 302
    assert outcome["second"].status_code == 302
    found = {
        "first": messages_of(outcome["first"]),
        "second": messages_of(outcome["second"]),
        "numbers": list(Customer.objects.filter(phone=NEW_PHONE).values_list("number", flat=True)),
        "phones": dict(Customer.objects.values_list("number", "phone")),
        "statuses": [ChangeRequest.objects.get(pk=pk).status for pk in (request_a.pk, request_b.pk)],
    }
    a_first = {
        "first": ["Perubahan untuk pelanggan PLG-0001 sudah disetujui dan disimpan."],
        "second": [SHARED_PHONE_MESSAGE.format(holder="PLG-0001 (Budi Santoso)", number="PLG-0002")],
        "numbers": ["PLG-0001"],
        "phones": {"PLG-0001": NEW_PHONE, "PLG-0002": "+6281311112222"},
        "statuses": ["approved", "pending"],
    }
    b_first = {
        "first": [SHARED_PHONE_MESSAGE.format(holder="PLG-0002 (Siti Rahmawati)", number="PLG-0001")],
        "second": ["Perubahan untuk pelanggan PLG-0002 sudah disetujui dan disimpan."],
        "numbers": ["PLG-0002"],
        "phones": {"PLG-0001": "+6281234567890", "PLG-0002": NEW_PHONE},
        "statuses": ["pending", "approved"],
    }
    assert found in allowed_outcomes({"a": a_first, "b": b_first}, "a")


@pytest.mark.parametrize("started_first", ["edit", "approval"])
def test_edit_beside_phone_approval(admin_user, admin_clients, customer_a, customer_b, user_a, started_first):
    """B's edit form saves the number of A's request while the
    request is approved. When the edit commits first, the approval must
    see B's number and be rejected, changing nothing. When the approval
    commits first, the edit's warning must name A, who has the number now.
    Unlocked, neither sees the other, and the number is given to both
    unconfirmed and unwarned."""
    edit_client, approve_client = admin_clients
    change_request = ChangeRequest.objects.create(
        customer=customer_a, field="phone", new_value=NEW_PHONE, created_by=user_a
    )
    writes = {
        "edit": lambda: edit_client.post(edit_url(customer_b), form_data(customer_b, phone="0857-1234-5678")),
        "approval": lambda: approve_client.post(approve_url(change_request), {"customer": customer_a.pk}),
    }
    second = "approval" if started_first == "edit" else "edit"

    outcome = run_behind_lock(lock_user(admin_user), writes[started_first], writes[second])

    responses = {started_first: outcome["first"], second: outcome["second"]}
    assert responses["edit"].status_code == 302
    assert responses["approval"].status_code == 302
    found = {
        "edit": messages_of(responses["edit"]),
        "approval": messages_of(responses["approval"]),
        "numbers": list(Customer.objects.filter(phone=NEW_PHONE).order_by("number").values_list("number", flat=True)),
        "status": ChangeRequest.objects.get(pk=change_request.pk).status,
    }
    edit_first = {
        "edit": ["Pelanggan PLG-0002 disimpan."],
        "approval": [SHARED_PHONE_MESSAGE.format(holder="PLG-0002 (Siti Rahmawati)", number="PLG-0001")],
        "numbers": ["PLG-0002"],
        "status": "pending",
    }
    approval_first = {
        "edit": ["Pelanggan PLG-0002 disimpan.", "No. HP 0857-1234-5678 juga dipakai oleh PLG-0001 (Budi Santoso)."],
        "approval": ["Perubahan untuk pelanggan PLG-0001 sudah disetujui dan disimpan."],
        "numbers": ["PLG-0001", "PLG-0002"],
        "status": "approved",
    }
    assert found in allowed_outcomes({"edit": edit_first, "approval": approval_first}, started_first)


def test_add_during_phone_approval(admin_user, admin_clients, customer_a, user_a):
    """A new customer with A's requested number is added, under the import
    lock that imports take too, while A's request is approved. The approval
    must wait for the add, see the new customer and be rejected."""
    add_client, approve_client = admin_clients
    change_request = ChangeRequest.objects.create(
        customer=customer_a, field="phone", new_value=NEW_PHONE, created_by=user_a
    )

    outcome = run_behind_lock(
        lock_user(admin_user),
        lambda: add_client.post(ADD_URL, add_data(number="PLG-0009", phone="0857-1234-5678")),
        lambda: approve_client.post(approve_url(change_request), {"customer": customer_a.pk}),
    )

    assert outcome["second"].status_code == 302
    found = {
        "add status": outcome["first"].status_code,
        "approval": messages_of(outcome["second"]),
        "numbers": list(Customer.objects.filter(phone=NEW_PHONE).order_by("number").values_list("number", flat=True)),
        "status": ChangeRequest.objects.get(pk=change_request.pk).status,
    }
    add_first = {
        "add status": 302,
        "approval": [SHARED_PHONE_MESSAGE.format(holder="PLG-0009 (Rina Marlina)", number="PLG-0001")],
        "numbers": ["PLG-0009"],
        "status": "pending",
    }
    # On SQLite the approval may commit first. The add then finds A with the
    # number and shows its form again, to confirm the possible duplicate.
    approval_first = {
        "add status": 200,
        "approval": ["Perubahan untuk pelanggan PLG-0001 sudah disetujui dan disimpan."],
        "numbers": ["PLG-0001"],
        "status": "approved",
    }
    assert found in allowed_outcomes({"add": add_first, "approval": approval_first}, "add")
