"""A double click on the add page's Save: the two POSTs of the same page
run at the same moment on two database connections."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from customers.importing.pipeline import lock_customer_writes
from customers.models import Customer
from tests.locking_helpers import WAIT_SECONDS, wait_for_lock_waiters
from tests.test_customer_add import ADD_URL, add_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_double_save_by_name_adds_once(admin_user):
    """A customer with only a name has no possible duplicate to find, so
    the second POST must find the first one's claim of the page's token."""
    client = Client()
    client.force_login(admin_user)
    data = add_data(form_token="token-race")
    locked, release = threading.Event(), threading.Event()
    responses = {}

    def hold_import_lock():
        # The lock that every add takes before its insert, held until both POSTs are under way.
        try:
            with transaction.atomic():
                lock_customer_writes()
                locked.set()
                release.wait(WAIT_SECONDS)
        finally:
            locked.set()
            connection.close()

    def post(name):
        try:
            responses[name] = client.post(ADD_URL, data)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_import_lock)
    holder.start()
    assert locked.wait(WAIT_SECONDS)
    first = threading.Thread(target=post, args=("first",))
    first.start()
    wait_for_lock_waiters(1)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    wait_for_lock_waiters(2)
    release.set()
    for thread in (holder, first, second):
        thread.join(WAIT_SECONDS)

    customer = Customer.objects.get()
    assert customer.name == "Rina Marlina"
    assert [response.status_code for response in responses.values()] == [302, 302]
    assert {response["Location"] for response in responses.values()} == {f"/customers/{customer.pk}/"}
