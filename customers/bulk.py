"""Bulk changes on many customers at once: set the package or the site.

The history rows are copied from the updated customer rows with one
INSERT … SELECT per chunk. django-simple-history's
bulk_update_with_history() builds a model instance and an INSERT
parameter list per history row instead. Setting the package of 50,000
customers took 22 s with it on SQLite and 0.4 s this way. On PostgreSQL
it took 10 s against 5.5 s, most of which is now the UPDATE itself. These
are single runs on a shared 2-core machine. Like the import's COPY path
(saving.py), this sends no history signals.
"""

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer

HistoricalCustomer = Customer.history.model

# The change reason of the history rows a bulk change writes, so the
# customer's page can tell them from single edits.
BULK_CHANGE_REASON = "bulk"

# Customers locked, updated and given history rows per round trip. With
# the four history values, a chunk stays under the 999 query parameters
# that Django allows for SQLite, because older SQLite builds accept no more.
CHUNK_SIZE = 900

# The fields a bulk change may set, as attribute names.
BULK_FIELDS = ("package_id", "site_id")


def customers_bulk_update(customers, changes, *, user):
    """Set `changes` ({"package_id": 3, "site_id": 1}) on every customer of
    the queryset `customers` that does not have those values yet.

    Each changed customer gets one "~" history row by `user`, with the
    change reason BULK_CHANGE_REASON and the same date as its new
    updated_at. The rows are locked in chunks, in one transaction, so a
    customer edited meanwhile is changed from its stored state. Returns the
    number of customers changed.
    """
    if not changes or not set(changes) <= set(BULK_FIELDS):
        raise ValueError(f"Invalid bulk change {sorted(changes)}: set one or more of {BULK_FIELDS}.")

    already_set = Q(**changes)
    now = timezone.now()
    changed = 0
    last_pk = 0
    with transaction.atomic():
        while True:
            chunk = list(
                customers.exclude(already_set)
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)[:CHUNK_SIZE]
            )
            if not chunk:
                break
            Customer.objects.filter(pk__in=chunk).update(**changes, updated_at=now)
            _copy_to_history(chunk, user=user, date=now)
            changed += len(chunk)
            last_pk = chunk[-1]
    return changed


def _copy_to_history(customer_ids, *, user, date):
    """Insert one "~" history row per customer, copied from its stored row."""
    customer_columns = {field.attname: field.column for field in Customer._meta.concrete_fields}
    copied = [
        (field.column, customer_columns[field.attname])
        for field in HistoricalCustomer._meta.concrete_fields
        if field.attname in customer_columns
    ]
    extra = {
        "history_date": HistoricalCustomer._meta.get_field("history_date").get_db_prep_value(date, connection),
        "history_change_reason": BULK_CHANGE_REASON,
        "history_type": "~",
        "history_user_id": user.pk if user is not None else None,
    }

    quote = connection.ops.quote_name
    target = ", ".join([*(quote(column) for column, _source in copied), *(quote(column) for column in extra)])
    source = ", ".join([*(quote(column) for _column, column in copied), *(["%s"] * len(extra))])
    placeholders = ", ".join(["%s"] * len(customer_ids))
    sql = (
        f"INSERT INTO {quote(HistoricalCustomer._meta.db_table)} ({target}) "
        f"SELECT {source} FROM {quote(Customer._meta.db_table)} WHERE {quote('id')} IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*extra.values(), *customer_ids])
