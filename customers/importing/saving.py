"""Bulk writes of customers and their history rows for the commit and undo.

On PostgreSQL, new customers are written with COPY (psycopg 3's
cursor.copy) instead of bulk_create_with_history, which builds a model
instance and an INSERT parameter list for every row. Their ids are taken
from the table's sequence first. Their django-simple-history rows are then
copied inside the database with INSERT … SELECT, so the values cross the
connection once. Other databases use bulk_create_with_history.

COPY skips Model.save() and the signals, so this module sets what save()
would: name_key, number_key, created_at and updated_at, and the defaults of fields the
row leaves out.
"""

from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from customers.models import Customer, name_key, number_key

# Rows per chunk: one COPY of customers and one of their history rows, then
# one progress report.
CHUNK_ROWS = 5000

HistoricalCustomer = Customer.history.model


def _customer_columns():
    return [field.attname for field in Customer._meta.concrete_fields]


def _history_columns():
    return [field.attname for field in HistoricalCustomer._meta.concrete_fields if field.attname != "history_id"]


def customer_values(fields, defaults, known):
    """Return the full attribute dict of a new customer from a row's model fields.

    Raises ValueError for a key that is not a Customer attribute, because
    COPY would otherwise drop it without a word.
    """
    if not fields.keys() <= known:
        raise ValueError(f"Unknown Customer attributes: {sorted(fields.keys() - known)}")
    values = defaults.copy()
    values.update(fields)
    values["name_key"] = name_key(values["name"])
    values["number_key"] = number_key(values["number"])
    return values


def insert_customers(field_dicts, batch, *, progress=None):
    """Insert one new customer per dict of model fields, with a "+" history row each.

    Calls progress(done) after each chunk. Returns the number inserted.
    Must run inside the caller's transaction.
    """
    now = timezone.now()
    known = set(_customer_columns())
    defaults = {field.attname: field.get_default() for field in Customer._meta.concrete_fields}
    defaults.update(import_batch_id=batch.pk, created_at=now, updated_at=now)
    del defaults["id"]
    insert = _copy_chunk if connection.vendor == "postgresql" else _bulk_create_chunk

    done = 0
    for start in range(0, len(field_dicts), CHUNK_ROWS):
        chunk = field_dicts[start : start + CHUNK_ROWS]
        # A generator, so on PostgreSQL each row's values are built while
        # the server is still storing the rows sent before it.
        rows = (customer_values(fields, defaults, known) for fields in chunk)
        insert(rows, len(chunk), history_user_id=batch.created_by_id, history_date=now)
        done += len(chunk)
        if progress:
            progress(done)
    return done


def _copy_chunk(rows, count, *, history_user_id, history_date):
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
        )
        ids = [customer_id for (customer_id,) in cursor.fetchall()]
    copy_rows(Customer, _customer_columns(), _with_ids(rows, ids))
    copy_history_in_database(ids, "+", history_user_id=history_user_id, history_date=history_date)


def _with_ids(rows, ids):
    for values, customer_id in zip(rows, ids, strict=True):
        values["id"] = customer_id
        yield values


def copy_history_in_database(ids, history_type, *, history_user_id, history_date, change_reason=None):
    """Write a `history_type` history row for each stored customer in `ids`
    with one INSERT … SELECT; PostgreSQL only."""
    columns = [attname for attname in _history_columns() if not attname.startswith("history_")]
    quoted = ", ".join(_column(HistoricalCustomer, attname) for attname in columns)
    source = ", ".join(_column(Customer, attname) for attname in columns)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(HistoricalCustomer._meta.db_table)} "
        f"({quoted}, history_type, history_date, history_user_id, history_change_reason) "
        f"SELECT {source}, %s, %s, %s, %s FROM {connection.ops.quote_name(Customer._meta.db_table)} "
        "WHERE id = ANY(string_to_array(%s, ',')::bigint[])"
    )
    # The ids go as one text: psycopg would build an array parameter in
    # Python, a value at a time.
    with connection.cursor() as cursor:
        cursor.execute(sql, [history_type, history_date, history_user_id, change_reason, ",".join(map(str, ids))])


def _bulk_create_chunk(rows, count, *, history_user_id, history_date):
    customers = [Customer(**values) for values in rows]
    bulk_create_with_history(
        customers, Customer, batch_size=CHUNK_ROWS, default_user=_user(history_user_id), default_date=history_date
    )


def _user(user_id):
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user_id)


def copy_rows(model, columns, rows):
    """COPY `rows` (dicts keyed by attname) into `model`'s table; PostgreSQL only."""
    quoted = ", ".join(_column(model, attname) for attname in columns)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])


def _column(model, attname):
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return connection.ops.quote_name(field.column)
    raise ValueError(f"{model.__name__} has no column for {attname!r}")


def write_history(customer_rows, history_type, *, history_user_id, history_date, change_reason=None):
    """Write one history row of `history_type` ("+", "~" or "-") per customer dict.

    Each dict contains the customer's attributes as stored. COPY on PostgreSQL,
    bulk_create elsewhere.
    """
    columns = _history_columns()
    extra = {
        "history_type": history_type,
        "history_date": history_date,
        "history_user_id": history_user_id,
        "history_change_reason": change_reason,
    }
    rows = [{**{column: values.get(column) for column in columns}, **extra} for values in customer_rows]
    if connection.vendor == "postgresql":
        copy_rows(HistoricalCustomer, columns, rows)
    else:
        HistoricalCustomer.objects.bulk_create([HistoricalCustomer(**row) for row in rows], batch_size=CHUNK_ROWS)
