"""Load the shipped region tables (regions/data/*.csv.gz) into the database.

The data is the `data/` folder of the npm package idn-area-data 4.0.1,
under the Open Database License (regions/data/LICENSE-ODbL.md).
"""

import csv
import functools
import gzip
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from regions.models import District, Province, Regency, Village

DATA_DIR = Path(__file__).resolve().parent / "data"

# Rows per INSERT. SQLite lowers it further to stay under its limit of
# variables per statement.
BATCH_SIZE = 5000


@dataclass(frozen=True)
class RegionLevel:
    """One region table: its model, its CSV file and the CSV column of its parent code."""

    name: str
    model: type
    file_name: str
    parent_column: str | None
    parent_field: str | None


LEVELS = (
    RegionLevel("provinces", Province, "provinces.csv.gz", None, None),
    RegionLevel("regencies", Regency, "regencies.csv.gz", "province_code", "province_id"),
    RegionLevel("districts", District, "districts.csv.gz", "regency_code", "regency_id"),
    RegionLevel("villages", Village, "villages.csv.gz", "district_code", "district_id"),
)


@dataclass(frozen=True)
class LoadResult:
    """Row counts per level name ("provinces", …) after a load, and whether anything was written."""

    counts: dict
    written: bool


@functools.cache
def read_level_rows(file_name):
    """Return the (code, parent code or None, name) tuples of one shipped CSV file."""
    level = next(level for level in LEVELS if level.file_name == file_name)
    with gzip.open(DATA_DIR / file_name, "rt", encoding="utf-8", newline="") as data:
        return tuple(
            (row["code"], row[level.parent_column] if level.parent_column else None, row["name"])
            for row in csv.DictReader(data)
        )


def shipped_counts():
    """Return the number of rows per level name in the shipped files."""
    return {level.name: len(read_level_rows(level.file_name)) for level in LEVELS}


def database_counts(using=DEFAULT_DB_ALIAS):
    return {level.name: level.model.objects.using(using).count() for level in LEVELS}


def load_regions(*, force=False, using=DEFAULT_DB_ALIAS):
    """Insert the shipped provinces, regencies, districts and villages.

    Does nothing when every table already contains as many rows as its file,
    unless force is set. Otherwise it inserts missing rows and rewrites the
    name and parent of existing ones, in one transaction. Rows that the files
    no longer contain are kept, because customers may refer to them.
    """
    expected = shipped_counts()
    if not force and database_counts(using) == expected:
        return LoadResult(counts=expected, written=False)

    connection = connections[using]
    with transaction.atomic(using=using):
        for level in LEVELS:
            rows = read_level_rows(level.file_name)
            if connection.vendor == "postgresql":
                _copy_level_postgresql(connection, level, rows)
            else:
                _bulk_create_level(level, rows, using)

    return LoadResult(counts=database_counts(using), written=True)


def _bulk_create_level(level, rows, using):
    objects = []
    for code, parent_code, name in rows:
        fields = {"code": code, "name": name}
        if level.parent_field:
            fields[level.parent_field] = parent_code
        objects.append(level.model(**fields))

    update_fields = ["name"] + ([level.parent_field.removesuffix("_id")] if level.parent_field else [])
    level.model.objects.using(using).bulk_create(
        objects,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=update_fields,
    )


def _copy_level_postgresql(connection, level, rows):
    """COPY the rows into a temporary table, then upsert them from there.

    COPY cannot skip or update rows that already exist, so it fills a
    temporary table that an INSERT … ON CONFLICT merges into the real one.
    """
    table = connection.ops.quote_name(level.model._meta.db_table)
    columns = ["code", "name"]
    if level.parent_field:
        columns.append(level.parent_field)
    column_list = ", ".join(columns)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column != "code")
    changed = " OR ".join(f"{table}.{column} IS DISTINCT FROM EXCLUDED.{column}" for column in columns[1:])

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE region_rows (LIKE {table})")
        with cursor.cursor.copy(f"COPY region_rows ({column_list}) FROM STDIN") as copy:
            for code, parent_code, name in rows:
                copy.write_row((code, name, parent_code) if level.parent_field else (code, name))
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM region_rows "
            f"ON CONFLICT (code) DO UPDATE SET {updates} WHERE {changed}"
        )
        cursor.execute("DROP TABLE region_rows")
