"""Indexes that keep the customer list's search and filters fast on PostgreSQL.

With 200,000 customers the search ORs a case-insensitive ID prefix
(UPPER(number) LIKE 'X%'), a name substring (name_key LIKE '%x%'), a phone
prefix and a NIK, and without an index for every branch PostgreSQL scans
the whole table: 120-250 ms a page in bench/import_bench.py, against
10-55 ms with these indexes. The incomplete filter and its count use the
partial index.

pg_trgm is a trusted extension from PostgreSQL 13 on, so the database
owner may create it. Other databases get none of this: the operations do
nothing there, and the model state is unchanged.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "customers_customer_name_key_trgm": (
        "CREATE INDEX IF NOT EXISTS customers_customer_name_key_trgm "
        "ON customers_customer USING gin (name_key gin_trgm_ops)"
    ),
    "customers_customer_number_upper_like": (
        "CREATE INDEX IF NOT EXISTS customers_customer_number_upper_like "
        "ON customers_customer (UPPER(number::text) text_pattern_ops)"
    ),
    "customers_customer_incomplete_number": (
        "CREATE INDEX IF NOT EXISTS customers_customer_incomplete_number "
        "ON customers_customer (number) WHERE package_id IS NULL OR address = ''"
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in INDEXES.values():
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_history_without_field_indexes"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
