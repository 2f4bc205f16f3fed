"""Bulk changes on many customers at once: set the package, the site or the
status.

The change is set-based: one UPDATE of the matching customers, one INSERT …
SELECT that copies them to the history table and one that records their
old package, site and status for the undo (BulkChangeItem), whatever their
number.
On PostgreSQL most of the remaining time is the UPDATE itself, which writes
a new version of every row and of each of its indexes. Like the import's
COPY path (saving.py), this sends no history signals.
"""

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import BulkChange, BulkChangeItem, Customer

HistoricalCustomer = Customer.history.model

# The change reasons of the history rows a bulk change and its undo write,
# so the customer's page can tell them from single edits.
BULK_CHANGE_REASON = "bulk"
BULK_UNDO_REASON = "bulk undo"

# The fields a bulk change may set, as attribute names.
BULK_FIELDS = ("package_id", "site_id", "status")


def customers_bulk_update(customers, changes, *, user):
    """Set `changes` ({"package_id": 3, "site_id": 1, "status": "suspended"})
    on every customer of the queryset `customers` that does not have all of
    those values yet.

    Each changed customer gets one "~" history row by `user`, with the
    change reason BULK_CHANGE_REASON and the same date as its new
    updated_at, copied from its stored row, so a customer edited meanwhile
    keeps that edit in its history. It also gets a BulkChangeItem with its
    old package, site and status. Returns the BulkChange, whose
    customer_count is the number of customers changed, or None when no
    customer changed.
    """
    if not changes or not set(changes) <= set(BULK_FIELDS):
        raise ValueError(f"Invalid bulk change {sorted(changes)}: set one or more of {BULK_FIELDS}.")

    now = timezone.now()
    targets = customers.exclude(Q(**changes)).order_by().values("pk")
    if targets.query.is_empty():
        # A .none() queryset has no SQL to embed.
        return None
    target_sql, target_params = targets.query.get_compiler(connection=connection).as_sql()
    new_values = {**changes, "updated_at": now}

    with transaction.atomic():
        bulk_change = BulkChange.objects.create(created_by=user, created_at=now, **changes)
        if connection.vendor == "postgresql":
            changed = _update_returning_to_history(target_sql, target_params, new_values, bulk_change, user=user)
        else:
            changed = _update_after_history(target_sql, target_params, new_values, bulk_change, user=user)
        if not changed:
            bulk_change.delete()
            return None
        BulkChange.objects.filter(pk=bulk_change.pk).update(customer_count=changed)
    bulk_change.customer_count = changed
    return bulk_change


def _update_returning_to_history(target_sql, target_params, new_values, bulk_change, *, user):
    """Lock the customers, record their old package, site and status,
    update them and copy the updated rows to the history in one statement.
    PostgreSQL only.

    The first WITH clause locks the rows and reads their latest committed
    values, so the recorded old values are those the UPDATE replaces. It
    locks them in primary key order, as the import's updates and the undos
    do, so two bulk changes of overlapping customers wait for each other
    instead of deadlocking. PostgreSQL locks the rows after the sort.
    """
    set_sql, set_params = _set_clause(new_values)
    target_columns, source_columns, extra_params = _history_columns(user, bulk_change.created_at)
    quote = connection.ops.quote_name
    customer_table = quote(Customer._meta.db_table)
    sql = (
        "WITH old AS (SELECT id, package_id AS old_package_id, site_id AS old_site_id, status AS old_status "
        f"FROM {customer_table} WHERE {quote('id')} IN ({target_sql}) ORDER BY id FOR UPDATE), "
        f"changed AS (UPDATE {customer_table} SET {set_sql} FROM old WHERE {customer_table}.id = old.id "
        f"RETURNING {customer_table}.*, old.old_package_id, old.old_site_id, old.old_status), "
        f"items AS (INSERT INTO {quote(BulkChangeItem._meta.db_table)} "
        "(bulk_change_id, customer_id, old_package_id, old_site_id, old_status) "
        "SELECT %s, id, old_package_id, old_site_id, old_status FROM changed) "
        f"INSERT INTO {quote(HistoricalCustomer._meta.db_table)} ({target_columns}) "
        f"SELECT {source_columns} FROM changed"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*target_params, *set_params, bulk_change.pk, *extra_params])
        return cursor.rowcount


def _update_after_history(target_sql, target_params, new_values, bulk_change, *, user):
    """Record the old package, site and status, write the history rows with
    the new values, then update the same customers.

    The statements select the customers with the same query. That is
    exact on SQLite, where settings.py starts transactions with BEGIN
    IMMEDIATE, which takes the only write lock, so no other connection can
    change a customer between the statements.
    """
    target_columns, source_columns, extra_params = _history_columns(user, bulk_change.created_at, new_values)
    quote = connection.ops.quote_name
    customer_table = quote(Customer._meta.db_table)
    items_sql = (
        f"INSERT INTO {quote(BulkChangeItem._meta.db_table)} "
        "(bulk_change_id, customer_id, old_package_id, old_site_id, old_status) "
        f"SELECT %s, id, package_id, site_id, status FROM {customer_table} WHERE {quote('id')} IN ({target_sql})"
    )
    insert_sql = (
        f"INSERT INTO {quote(HistoricalCustomer._meta.db_table)} ({target_columns}) "
        f"SELECT {source_columns} FROM {customer_table} WHERE {quote('id')} IN ({target_sql})"
    )
    set_sql, set_params = _set_clause(new_values)
    update_sql = f"UPDATE {customer_table} SET {set_sql} WHERE {quote('id')} IN ({target_sql})"
    with connection.cursor() as cursor:
        cursor.execute(items_sql, [bulk_change.pk, *target_params])
        cursor.execute(insert_sql, [*extra_params, *target_params])
        cursor.execute(update_sql, [*set_params, *target_params])
        return cursor.rowcount


def _set_clause(values):
    """Return the SET list and parameters of an UPDATE of the customer
    fields `values` ({attname: value})."""
    assignments, params = [], []
    for attname, value in values.items():
        model_field = Customer._meta.get_field(attname.removesuffix("_id"))
        assignments.append(f"{connection.ops.quote_name(model_field.column)} = %s")
        params.append(model_field.get_db_prep_save(value, connection))
    return ", ".join(assignments), params


def _history_columns(user, date, new_values=None, *, reason=BULK_CHANGE_REASON):
    """Return the INSERT column list, the SELECT list and its parameters
    that copy a customer row to a "~" history row with the change reason
    `reason`.

    Columns named in `new_values` are taken from its parameters instead of
    the stored row, for the copy made before the UPDATE.
    """
    new_values = new_values or {}
    customer_columns = {field.attname: field.column for field in Customer._meta.concrete_fields}
    quote = connection.ops.quote_name
    target, source, params = [], [], []
    for model_field in HistoricalCustomer._meta.concrete_fields:
        if model_field.attname not in customer_columns:
            continue
        target.append(quote(model_field.column))
        if model_field.attname in new_values:
            source.append("%s")
            params.append(model_field.get_db_prep_save(new_values[model_field.attname], connection))
        else:
            source.append(quote(customer_columns[model_field.attname]))

    history_date = HistoricalCustomer._meta.get_field("history_date").get_db_prep_save(date, connection)
    extra = {
        "history_date": history_date,
        "history_change_reason": reason,
        "history_type": "~",
        "history_user_id": user.pk if user is not None else None,
    }
    target.extend(quote(column) for column in extra)
    source.extend(["%s"] * len(extra))
    params.extend(extra.values())
    return ", ".join(target), ", ".join(source), params
