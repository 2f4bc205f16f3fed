"""Generated ID Pelanggan: a number that any customer ever had, even one
deleted or removed by an undone import, is never handed out again."""

import pytest

from customers.importing import undo
from customers.importing.numbers import next_numbers
from customers.models import Customer
from customers.services import customer_delete, customer_restore, deleted_customers
from tests.test_customer_add import ADD_URL, add_data
from tests.test_undo import import_rows

pytestmark = pytest.mark.django_db

HEADER = ["Nama", "No HP"]


def test_import_after_undo_skips_numbers(admin_user, sample_catalogue, tmp_path):
    first = import_rows(tmp_path / "pertama.xlsx", [["Siti", "081200000001"], ["Ani", "081200000002"]], header=HEADER)
    assert sorted(Customer.objects.values_list("number", "name")) == [("PLG-0001", "Siti"), ("PLG-0002", "Ani")]

    undo.undo_batch(first, admin_user)
    assert not Customer.objects.exists()
    import_rows(tmp_path / "kedua.xlsx", [["Gilang", "081200000003"]], header=HEADER)

    assert list(Customer.objects.values_list("number", "name")) == [("PLG-0003", "Gilang")]


def test_add_page_skips_deleted_number(client, admin_user, sample_catalogue):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    Customer.objects.create(number="PLG-0001", name="Budi")
    siti = Customer.objects.create(number="PLG-0002", name="Siti")
    customer_delete(siti.pk, by=admin_user)

    response = client.post(ADD_URL, add_data(name="Gilang"), follow=True)

    assert [str(message) for message in response.context["messages"]] == ["Customer PLG-0003 added."]
    assert Customer.objects.get(name="Gilang").number == "PLG-0003"


def test_deleted_longer_number_counts(admin_user):
    # "PLG-10000" sorts below "PLG-9999" as text, in the history table too.
    Customer.objects.create(number="PLG-9999", name="Ada")
    deleted = Customer.objects.create(number="PLG-10000", name="Dihapus")
    customer_delete(deleted.pk, by=admin_user)

    assert next_numbers(2) == ["PLG-10001", "PLG-10002"]


def test_reserved_below_history_ignored(admin_user):
    deleted = Customer.objects.create(number="PLG-0005", name="Dihapus")
    customer_delete(deleted.pk, by=admin_user)

    assert next_numbers(2, reserved={"PLG-0003"}) == ["PLG-0006", "PLG-0007"]


def test_many_numbers_take_two_queries(admin_user, django_assert_num_queries):
    deleted = Customer.objects.create(number="PLG-0040", name="Dihapus")
    customer_delete(deleted.pk, by=admin_user)

    with django_assert_num_queries(2):
        numbers = next_numbers(100_000)

    assert len(numbers) == 100_000
    assert numbers[0] == "PLG-0041"
    assert numbers[-1] == "PLG-100040"


def test_leading_zeros_do_not_outrank(db):
    Customer.objects.create(number="PLG-00009", name="Budi")
    Customer.objects.create(number="PLG-0010", name="Siti")

    assert next_numbers(2) == ["PLG-0011", "PLG-0012"]


def test_deleted_lowercase_number_skipped(admin_user):
    # IDs match in any letter case, so "PLG-0007" would be the deleted "plg-0007".
    Customer.objects.create(number="PLG-0006", name="Ada")
    deleted = Customer.objects.create(number="plg-0007", name="Dihapus")
    customer_delete(deleted.pk, by=admin_user)

    assert next_numbers(2) == ["PLG-0008", "PLG-0009"]


def test_reserved_lowercase_number_skipped(db):
    Customer.objects.create(number="PLG-0006", name="Ada")

    assert next_numbers(2, reserved={"plg-0007"}) == ["PLG-0008", "PLG-0009"]


def test_import_then_restore_lowercase_deleted(admin_user, sample_catalogue, tmp_path):
    Customer.objects.create(number="PLG-0006", name="Ada")
    deleted = Customer.objects.create(number="plg-0007", name="Dihapus")
    customer_delete(deleted.pk, by=admin_user)
    deletion = deleted_customers().get()

    import_rows(tmp_path / "baru.xlsx", [["Gilang", "081200000003"]], header=HEADER)
    restored, emptied = customer_restore(deletion.history_id, by=admin_user)

    assert Customer.objects.get(name="Gilang").number == "PLG-0008"
    assert restored.number == "plg-0007"
    assert emptied == []
