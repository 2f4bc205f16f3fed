"""Two admins run bulk changes over overlapping sets of customers at the
same moment, on two database connections. Each change locks its customers
in one statement, so both must lock them in the same order, or each can
hold a row that the other waits for and PostgreSQL aborts one of them with
a deadlock error."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.bulk import customers_bulk_update
from customers.bulk_undo import undo_bulk_change
from customers.models import BulkChange, Customer
from tests.locking_helpers import run_behind_lock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customers(sample_catalogue):
    """Four customers, PLG-0001 stored last, so that a sequential scan of
    the table, which reads the rows where they are stored, meets it after
    the others, while an index scan of the primary key meets it first."""
    sites, _packages = sample_catalogue
    rows = [
        Customer.objects.create(number=f"PLG-000{index}", name=f"Pelanggan {index}", site=sites["CBN"])
        for index in range(1, 5)
    ]
    # An UPDATE writes a new version of the row after the others.
    Customer.objects.filter(pk=rows[0].pk).update(name="Pelanggan 1 baru")
    return rows


def prefer_index_scans():
    """Make this connection's planner read the customers through the
    primary key's index, in key order, as it may on a large table. On a
    table of four rows it would scan the table, as the other connection
    does, and a bitmap scan too reads the rows where they are stored."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_bitmapscan = off")


def lock_customer(pk):
    """Return a function that locks customer `pk` for run_behind_lock().

    The two bulk writes then both want that row next. The first takes it,
    and with the locks taken in different orders it then waits for a row
    that the second holds, while the second waits for the held row.
    """
    return lambda: Customer.objects.select_for_update().get(pk=pk)


def test_overlapping_bulk_changes_no_deadlock(customers, admin_user, sample_catalogue):
    _sites, packages = sample_catalogue
    first_three = [customer.pk for customer in customers[:3]]
    all_four = [customer.pk for customer in customers]

    def suspend():
        return customers_bulk_update(Customer.objects.filter(pk__in=first_three), {"status": "suspended"}, user=admin_user)

    def set_package():
        prefer_index_scans()
        return customers_bulk_update(
            Customer.objects.filter(pk__in=all_four), {"package_id": packages["H20"].pk}, user=admin_user
        )

    outcome = run_behind_lock(lock_customer(customers[1].pk), suspend, set_package)

    assert isinstance(outcome["first"], BulkChange)
    assert isinstance(outcome["second"], BulkChange)
    assert (outcome["first"].customer_count, outcome["second"].customer_count) == (3, 4)
    stored = dict(Customer.objects.values_list("number", "status"))
    assert stored == {"PLG-0001": "suspended", "PLG-0002": "suspended", "PLG-0003": "suspended", "PLG-0004": "active"}
    assert set(Customer.objects.values_list("package__code", flat=True)) == {"H20"}


def test_bulk_undo_beside_bulk_change_no_deadlock(customers, admin_user, sample_catalogue):
    """An undo of one bulk change and a new bulk change of the same
    customers lock them in one order too."""
    _sites, packages = sample_catalogue
    all_four = [customer.pk for customer in customers]
    earlier = customers_bulk_update(
        Customer.objects.filter(pk__in=all_four), {"package_id": packages["H10"].pk}, user=admin_user
    )
    # The earlier change wrote new versions of the rows, so PLG-0001 is stored last again.
    Customer.objects.filter(pk=customers[0].pk).update(name="Pelanggan 1")

    def undo():
        return undo_bulk_change(earlier, admin_user)

    def suspend():
        prefer_index_scans()
        return customers_bulk_update(Customer.objects.filter(pk__in=all_four), {"status": "suspended"}, user=admin_user)

    outcome = run_behind_lock(lock_customer(customers[1].pk), undo, suspend)

    assert outcome["first"] == 4
    assert isinstance(outcome["second"], BulkChange)
    assert outcome["second"].customer_count == 4
    assert set(Customer.objects.values_list("package", flat=True)) == {None}
    assert set(Customer.objects.values_list("status", flat=True)) == {"suspended"}


@pytest.mark.parametrize("change", ["bulk change", "bulk undo"])
def test_customer_locks_in_primary_key_order(customers, admin_user, sample_catalogue, change):
    """The statement that locks the customers sorts them by primary key
    before FOR UPDATE, which PostgreSQL then locks in that order."""
    _sites, packages = sample_catalogue
    selection = Customer.objects.filter(pk__in=[customer.pk for customer in customers])

    earlier = None
    if change == "bulk undo":
        earlier = customers_bulk_update(selection, {"package_id": packages["H10"].pk}, user=admin_user)

    with CaptureQueriesContext(connection) as queries:
        if earlier is None:
            customers_bulk_update(selection, {"status": "suspended"}, user=admin_user)
        else:
            undo_bulk_change(earlier, admin_user)

    locking = [query["sql"] for query in queries if "FOR UPDATE" in query["sql"] and '"customers_customer"' in query["sql"]]
    if connection.vendor != "postgresql":
        # SQLite has no row locks, and its BEGIN IMMEDIATE serialises the writers.
        assert locking == []
        return
    assert len(locking) == 1
    assert "ORDER BY" in locking[0]
    assert locking[0].index("ORDER BY") < locking[0].index("FOR UPDATE")
