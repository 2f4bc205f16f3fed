"""A double click on the bulk invitation confirm: the two POSTs of the same
confirmation page run at the same moment on two database connections."""

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from customers.models import Customer
from portal.links import link_create
from portal.models import PortalLink
from tests.locking_helpers import WAIT_SECONDS, wait_for_lock_waiters

pytestmark = pytest.mark.django_db(transaction=True)

INVITE_URL = "/customers/bulk/invite/"


def test_double_confirm_makes_links_once(admin_user):
    """Both POSTs read the session before either response saves it. The
    second must still find the first one's claim of the page's token and
    make no links, because new links would revoke the ones just made."""
    customer = Customer.objects.create(number="PLG-0001", name="Budi Santoso", phone="+6281234567890")
    # The older link's row is locked below, so that both POSTs are under way
    # before the first one can replace it.
    older = link_create(customer).link
    first_client = Client()
    first_client.force_login(admin_user)
    # A double click sends the same session cookie twice.
    second_client = Client()
    second_client.cookies[settings.SESSION_COOKIE_NAME] = first_client.cookies[settings.SESSION_COOKIE_NAME].value
    confirm = {"bulk-customers": [customer.pk], "confirm": "", "invite_token": "token-race"}
    locked, release = threading.Event(), threading.Event()
    responses = {}

    def hold_older_link():
        try:
            with transaction.atomic():
                PortalLink.objects.select_for_update().get(pk=older.pk)
                locked.set()
                release.wait(WAIT_SECONDS)
        finally:
            locked.set()
            connection.close()

    def post(name, client):
        try:
            responses[name] = client.post(INVITE_URL, confirm)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_older_link)
    holder.start()
    assert locked.wait(WAIT_SECONDS)
    first = threading.Thread(target=post, args=("first", first_client))
    first.start()
    wait_for_lock_waiters(1)
    second = threading.Thread(target=post, args=("second", second_client))
    second.start()
    wait_for_lock_waiters(2)
    release.set()
    for thread in (holder, first, second):
        thread.join(WAIT_SECONDS)

    # SQLite lets the two POSTs take its write lock in either order.
    first_response, resent = sorted(responses.values(), key=lambda response: response.status_code)
    assert first_response.status_code == 200
    assert 'id="invited"' in first_response.content.decode()
    assert resent.status_code == 302
    assert [str(message) for message in resent.wsgi_request._messages] == [
        "Tautan undangan ini sudah dibuat dan hanya ditampilkan sekali. Membuatnya lagi akan mematikan tautan "
        "yang sudah terkirim; untuk mengirim ulang satu tautan, buka halaman pelanggannya."
    ]
    # The older link and the one link of the first POST, which is still usable.
    assert PortalLink.objects.filter(customer=customer).count() == 2
    usable = PortalLink.objects.usable().get(customer=customer)
    assert usable.pk != older.pk
