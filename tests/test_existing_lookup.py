"""The duplicate check's lookup of stored customers by ID, phone and NIK.

On PostgreSQL the keys go to the server as joined texts. A few keys are
looked up in the indexes, many with hash tables, and a key that a joined
text cannot carry goes as an array. Each way must find the same customers.
On SQLite the same tests cover the ORM lookup.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.importing import dedupe
from customers.models import Customer
from sites.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(db):
    site = Site.objects.create(code="CBN", name="Cibinong")
    customers = [
        Customer(number="PLG-001", name="Ani", phone="+6281200000001", nik="3201010101900001", site=site),
        Customer(number="plg-002", name="Budi", phone="+6281200000002", site=site),
        Customer(number="PLG-003", name="Cici", nik="3201010101900003", site=site),
        Customer(number="PLG-004", name="Dodi", phone="+6281200000004", site=site),
        # An ID typed with a line break in it, as a staff form could keep it.
        Customer(number="PLG\n005", name="Eka", site=site),
    ]
    for customer in customers:
        customer.save()
    return {customer.name: customer.pk for customer in customers}


def names_found(stored, numbers=(), phones=(), niks=()):
    found = dedupe._load_existing(set(numbers), set(phones), set(niks))
    by_id = {pk: name for name, pk in stored.items()}
    return sorted(by_id[pk] for pk in found)


def test_few_keys_find_each_kind(stored):
    assert names_found(
        stored, numbers={"PLG-001", "PLG-002", "PLG-999"}, phones={"+6281200000004"}, niks={"3201010101900003"}
    ) == ["Ani", "Budi", "Cici", "Dodi"]


def test_many_keys_find_each_kind(stored):
    # More keys of one kind than dedupe.HASHED_KEYS, so PostgreSQL reads
    # the table once instead of looking each key up in the indexes.
    filler = {f"X-{index}" for index in range(dedupe.HASHED_KEYS)}
    with CaptureQueriesContext(connection) as queries:
        found = names_found(
            stored, numbers=filler | {"PLG-002"}, phones={"+6281200000001"}, niks={"3201010101900003"}
        )
    assert found == ["Ani", "Budi", "Cici"]
    if connection.vendor == "postgresql":
        assert [query["sql"].count("IN (SELECT unnest(string_to_array(") for query in queries] == [4]


def test_many_keys_find_nothing_extra(stored):
    filler = {f"X-{index}" for index in range(dedupe.HASHED_KEYS)}
    assert names_found(stored, numbers=filler, phones={"+6281299999999"}) == []


def test_key_with_separator_still_found(stored):
    assert names_found(stored, numbers={"PLG\n005", "PLG-004"}) == ["Dodi", "Eka"]


def test_key_with_separator_among_many(stored):
    filler = {f"X-{index}" for index in range(dedupe.HASHED_KEYS)}
    assert names_found(stored, numbers=filler | {"plg\n005"}) == ["Eka"]


def test_separator_does_not_split_into_other_ids(stored):
    # Split at the line break, this key would be "PLG-001" and "PLG-003".
    assert names_found(stored, numbers={"PLG-001\nPLG-003"}) == []


def test_empty_key_matches_nobody(stored):
    assert names_found(stored, numbers={""}, phones={"+6281200000002"}) == ["Budi"]


def test_keys_split_over_queries(stored, monkeypatch):
    monkeypatch.setattr(dedupe, "QUERY_KEYS", 2000)
    filler = {f"X-{index}" for index in range(dedupe.HASHED_KEYS)}
    with CaptureQueriesContext(connection) as queries:
        found = names_found(stored, numbers=filler | {"PLG-002", "PLG\n005"}, phones={"+6281200000004"})
    assert found == ["Budi", "Dodi", "Eka"]
    if connection.vendor == "postgresql":
        assert len(queries) == 3
