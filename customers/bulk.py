"""Bulk changes on many customers at once: set the package or the site.

The change is set-based: one UPDATE of the matching customers and one
INSERT … SELECT that copies them to the history table, whatever their
number. On PostgreSQL most of the remaining time is the UPDATE itself,
which writes a new version of every row and of each of its indexes. Like
the import's COPY path (saving.py), this sends no history signals.
"""

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer

HistoricalCustomer = Customer.history.model

# The change reason of the history rows a bulk change writes, so the
# customer's page can tell them from single edits.
BULK_CHANGE_REASON = "bulk"

# The fields a bulk change may set, as attribute names.
BULK_FIELDS = ("package_id", "site_id")


def customers_bulk_update(customers, changes, *, user):
    """Set `changes` ({"package_id": 3, "site_id": 1}) on every customer of
    the queryset `customers` that does not have those values yet.

    Each changed customer gets one "~" history row by `user`, with the
    change reason BULK_CHANGE_REASON and the same date as its new
    updated_at, copied from its stored row, so a customer edited meanwhile
    keeps that edit in its history. Returns the number of customers changed.
    """
    if not changes or not set(changes) <= set(BULK_FIELDS):
        raise ValueError(f"Invalid bulk change {sorted(changes)}: set one or more of {BULK_FIELDS}.")

    now = timezone.now()
    targets = customers.exclude(Q(**changes)).order_by().values("pk")
    if targets.query.is_empty():
        # A .none() queryset has no SQL to embed.
        return 0
    target_sql, target_params = targets.query.get_compiler(connection=connection).as_sql()
    new_values = {**changes, "updated_at": now}

    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _update_returning_to_history(target_sql, target_params, new_values, user=user, date=now)
        return _update_after_history(target_sql, target_params, new_values, user=user, date=now)


def _update_returning_to_history(target_sql, target_params, new_values, *, user, date):
    """Update the customers and copy the updated rows to the history in one
    statement, through UPDATE … RETURNING in a WITH clause. PostgreSQL only."""
    set_sql, set_params = _set_clause(new_values)
    target_columns, source_columns, extra_params = _history_columns(user, date)
    quote = connection.ops.quote_name
    sql = (
        f"WITH changed AS (UPDATE {quote(Customer._meta.db_table)} SET {set_sql} "
        f"WHERE {quote('id')} IN ({target_sql}) RETURNING *) "
        f"INSERT INTO {quote(HistoricalCustomer._meta.db_table)} ({target_columns}) "
        f"SELECT {source_columns} FROM changed"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *target_params, *extra_params])
        return cursor.rowcount


def _update_after_history(target_sql, target_params, new_values, *, user, date):
    """Write the history rows with the new values, then update the same
    customers.

    Both statements select the customers with the same query. That is
    exact on SQLite, where settings.py starts transactions with BEGIN
    IMMEDIATE, which takes the only write lock, so no other connection can
    change a customer between the two statements.
    """
    target_columns, source_columns, extra_params = _history_columns(user, date, new_values)
    quote = connection.ops.quote_name
    insert_sql = (
        f"INSERT INTO {quote(HistoricalCustomer._meta.db_table)} ({target_columns}) "
        f"SELECT {source_columns} FROM {quote(Customer._meta.db_table)} WHERE {quote('id')} IN ({target_sql})"
    )
    set_sql, set_params = _set_clause(new_values)
    update_sql = f"UPDATE {quote(Customer._meta.db_table)} SET {set_sql} WHERE {quote('id')} IN ({target_sql})"
    with connection.cursor() as cursor:
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


def _history_columns(user, date, new_values=None):
    """Return the INSERT column list, the SELECT list and its parameters
    that copy a customer row to a "~" bulk history row.

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
        "history_change_reason": BULK_CHANGE_REASON,
        "history_type": "~",
        "history_user_id": user.pk if user is not None else None,
    }
    target.extend(quote(column) for column in extra)
    source.extend(["%s"] * len(extra))
    params.extend(extra.values())
    return ", ".join(target), ", ".join(source), params
