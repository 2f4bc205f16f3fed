"""Bulk changes on many customers at once: set the package or the site."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from customers.models import Customer

# The change reason of the history rows a bulk change writes, so the
# customer's page can tell them from single edits.
BULK_CHANGE_REASON = "bulk"

# Customers locked, updated and given history rows per round trip.
CHUNK_SIZE = 1000

# The fields a bulk change may set, as attribute names.
BULK_FIELDS = ("package_id", "site_id")


def customers_bulk_update(customers, changes, *, user):
    """Set `changes` ({"package_id": 3, "site_id": 1}) on every customer of
    the queryset `customers` that does not have those values yet.

    Each changed customer gets one history row by `user`, with the change
    reason BULK_CHANGE_REASON and the same date. The rows are locked in
    chunks, in one transaction, so a customer edited meanwhile is changed
    from its stored state. Returns the number of customers changed.
    """
    if not changes or not set(changes) <= set(BULK_FIELDS):
        raise ValueError(f"Invalid bulk change {sorted(changes)}: set one or more of {BULK_FIELDS}.")

    already_set = Q(**changes)
    fields = [*changes, "updated_at"]
    now = timezone.now()
    changed = 0
    last_pk = 0
    with transaction.atomic():
        while True:
            chunk = list(
                customers.exclude(already_set)
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update()[:CHUNK_SIZE]
            )
            if not chunk:
                break
            for customer in chunk:
                for name, value in changes.items():
                    setattr(customer, name, value)
                customer.updated_at = now
            bulk_update_with_history(
                chunk,
                Customer,
                fields,
                batch_size=CHUNK_SIZE,
                default_user=user,
                default_change_reason=BULK_CHANGE_REASON,
                default_date=now,
            )
            changed += len(chunk)
            last_pk = chunk[-1].pk
    return changed
