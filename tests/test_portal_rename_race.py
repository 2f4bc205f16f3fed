"""Portal writes that race other writes of the same customer on a second
database connection. Two customers with one NIK rename at the same moment,
and a change request is approved, or a profile saved, while the customer
is being deleted."""

import threading

import pytest
from django.db import connection, transaction

from customers import services
from customers.importing.pipeline import lock_customer_writes
from customers.models import Customer
from portal.models import ChangeRequest
from portal.services import (
    ChangeRequestCustomerDeleted,
    ProfileCustomerDeleted,
    change_request_approve,
    customer_profile_update,
)
from tests.test_portal_fixtures import (  # noqa: F401 (fixtures)
    NIK_A,
    NIK_B,
    catalogue,
    client_a,
    customer_a,
    error_texts,
    user_a,
)
from tests.locking_helpers import WAIT_SECONDS, wait_until_blocked
from tests.test_portal_pages import profile_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_shared_nik_renames_serialised(client_a, customer_a):
    """A and B share a NIK under two names. B takes A's name while A takes
    B's: the second rename must see the first and be rejected, or the NIK
    would stay under two names."""
    client_a.cookies["django_language"] = "en"
    customer_b = Customer.objects.create(number="PLG-0003", name="Andi Wijaya", nik=NIK_A, site=customer_a.site)
    b_locked, b_release = threading.Event(), threading.Event()
    outcome = {}

    def rename_b():
        try:
            with transaction.atomic():
                outcome["b"] = customer_profile_update(customer_b, {"name": "Budi Santoso"})
                b_locked.set()
                b_release.wait(WAIT_SECONDS)
        finally:
            b_locked.set()
            connection.close()

    def rename_a():
        try:
            outcome["a"] = client_a.post("/portal/profile/", profile_data(customer_a, name="Andi Wijaya"))
        finally:
            connection.close()

    first = threading.Thread(target=rename_b)
    first.start()
    assert b_locked.wait(WAIT_SECONDS)
    second = threading.Thread(target=rename_a)
    second.start()
    wait_until_blocked()
    b_release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)

    assert outcome["b"] == ["name"]
    assert outcome["a"].status_code == 200
    assert error_texts(outcome["a"]) == [
        "Your NIK is also registered for another customer account, so your name cannot be changed here. "
        "Contact the admin of your internet provider to change it."
    ]
    names = dict(Customer.objects.filter(nik=NIK_A).values_list("number", "name"))
    assert names == {"PLG-0001": "Budi Santoso", "PLG-0003": "Budi Santoso"}


@pytest.mark.parametrize(("field", "new_value"), [("phone", "+6285712345678"), ("nik", NIK_B)])
def test_approve_during_delete_no_deadlock(customer_a, user_a, admin_user, field, new_value):
    """An admin deletes customer A while another approves A's pending phone
    or NIK request. The delete holds the import lock and A's row lock and
    then deletes A's requests. The approval must wait for the delete and
    find the request gone, not lock the request first and deadlock with
    the delete. A phone approval waits for the import lock, a NIK approval
    for A's row."""
    change_request = ChangeRequest.objects.create(
        customer=customer_a, field=field, new_value=new_value, created_by=user_a
    )
    delete_locked, delete_release = threading.Event(), threading.Event()
    outcome = {}

    def delete_a():
        try:
            with transaction.atomic():
                # The locks that customer_delete() takes first, held while the approval starts.
                lock_customer_writes()
                Customer.objects.select_for_update().get(pk=customer_a.pk)
                delete_locked.set()
                delete_release.wait(WAIT_SECONDS)
                outcome["delete"] = services.customer_delete(customer_a.pk, by=admin_user)
        except Exception as error:  # reported to the test below
            outcome["delete"] = error
        finally:
            delete_locked.set()
            connection.close()

    def approve_a():
        try:
            outcome["approve"] = change_request_approve(change_request, admin_user)
        except Exception as error:  # reported to the test below
            outcome["approve"] = error
        finally:
            connection.close()

    first = threading.Thread(target=delete_a)
    first.start()
    assert delete_locked.wait(WAIT_SECONDS)
    second = threading.Thread(target=approve_a)
    second.start()
    wait_until_blocked()
    delete_release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)

    assert isinstance(outcome["delete"], Customer)
    assert outcome["delete"].number == "PLG-0001"
    assert isinstance(outcome["approve"], ChangeRequestCustomerDeleted)
    assert not Customer.objects.filter(pk=customer_a.pk).exists()
    assert not ChangeRequest.objects.filter(pk=change_request.pk).exists()


def test_approve_page_during_delete(client, customer_a, user_a, admin_user):
    """The approve button is pressed while another admin deletes the
    customer. The page must report that the customer was deleted."""
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    change_request = ChangeRequest.objects.create(
        customer=customer_a, field="phone", new_value="+6285712345678", created_by=user_a
    )
    delete_locked, delete_release = threading.Event(), threading.Event()
    outcome = {}

    def delete_a():
        try:
            with transaction.atomic():
                lock_customer_writes()
                Customer.objects.select_for_update().get(pk=customer_a.pk)
                delete_locked.set()
                delete_release.wait(WAIT_SECONDS)
                services.customer_delete(customer_a.pk, by=admin_user)
        finally:
            delete_locked.set()
            connection.close()

    def approve_a():
        try:
            outcome["approve"] = client.post(
                f"/portal/staff/requests/{change_request.pk}/approve/", {"customer": customer_a.pk}
            )
        finally:
            connection.close()

    first = threading.Thread(target=delete_a)
    first.start()
    assert delete_locked.wait(WAIT_SECONDS)
    second = threading.Thread(target=approve_a)
    second.start()
    wait_until_blocked()
    delete_release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)

    assert outcome["approve"].status_code == 302
    assert [str(message) for message in outcome["approve"].wsgi_request._messages] == [
        "Customer PLG-0001 was deleted, so this request can no longer be applied."
    ]
    assert not Customer.objects.filter(pk=customer_a.pk).exists()


def test_profile_update_of_deleted_customer(customer_a):
    customer = Customer.objects.get(pk=customer_a.pk)
    Customer.objects.filter(pk=customer_a.pk).delete()

    with pytest.raises(ProfileCustomerDeleted):
        customer_profile_update(customer, {"name": "Budi S."})


def test_profile_save_during_delete(client_a, customer_a, admin_user):
    """Customer A saves their profile while an admin deletes A. The save
    waits for the delete's row lock and must end with a message, not a
    server error."""
    client_a.cookies["django_language"] = "en"
    delete_locked, delete_release = threading.Event(), threading.Event()
    outcome = {}

    def delete_a():
        try:
            with transaction.atomic():
                Customer.objects.select_for_update().get(pk=customer_a.pk)
                delete_locked.set()
                delete_release.wait(WAIT_SECONDS)
                services.customer_delete(customer_a.pk, by=admin_user)
        finally:
            delete_locked.set()
            connection.close()

    def save_profile_a():
        try:
            outcome["save"] = client_a.post("/portal/profile/", profile_data(customer_a, name="Budi S."))
        except Exception as error:  # reported to the test below
            outcome["save"] = error
        finally:
            connection.close()

    first = threading.Thread(target=delete_a)
    first.start()
    assert delete_locked.wait(WAIT_SECONDS)
    second = threading.Thread(target=save_profile_a)
    second.start()
    wait_until_blocked()
    delete_release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)

    response = outcome["save"]
    assert response.status_code == 302
    assert response.url == "/portal/login/"
    assert [str(message) for message in response.wsgi_request._messages] == [
        "Your data was not saved, because your customer account was deleted. "
        "Contact the admin of your internet provider."
    ]
    assert "_auth_user_id" not in client_a.session
    assert not Customer.objects.filter(pk=customer_a.pk).exists()
