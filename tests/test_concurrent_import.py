"""Two commits of the same customers at the same moment save one copy, and
an update import keeps what other connections save meanwhile."""

import threading

import pytest
from django.db import connection, transaction

from customers.importing import batches, pipeline
from customers.models import Customer, ImportBatch, ImportChange
from tests.importing_helpers import SAMPLE_XLSX, write_workbook
from tests.locking_helpers import WAIT_SECONDS, wait_until_blocked

pytestmark = pytest.mark.django_db(transaction=True)


def commit_twice_at_once(path, user):
    """Build two plans of the same file, then commit both in two threads
    released by one barrier. Return the two threads' errors."""
    plans = []
    batch_list = []
    for _ in range(2):
        with open(path, "rb") as handle:
            batch = batches.create_batch(handle, path.name, user=user)
        batch_list.append(batch)
        plans.append(pipeline.build_plan(batch.file.path, batch.file_name))
    barrier = threading.Barrier(2)
    errors = []

    def commit(plan, batch):
        try:
            barrier.wait()
            pipeline.commit_plan(plan, batch)
        except Exception as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=commit, args=pair) for pair in zip(plans, batch_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_commits_with_ids(sample_catalogue, admin_user):
    errors = commit_twice_at_once(SAMPLE_XLSX, admin_user)

    assert errors == []
    assert Customer.objects.count() == 8
    assert Customer.objects.values("number").distinct().count() == 8


def test_concurrent_commits_without_ids(sample_catalogue, admin_user, tmp_path):
    rows = [["Nama", "No HP", "Paket"]] + [[f"Pelanggan {i}", f"0812000010{i:02d}", "H10"] for i in range(30)]
    path = write_workbook(tmp_path / "tanpa-id.xlsx", rows)

    errors = commit_twice_at_once(path, admin_user)

    assert errors == []
    assert Customer.objects.count() == 30
    assert sorted(Customer.objects.values_list("number", flat=True)) == [f"PLG-{i:04d}" for i in range(1, 31)]
    assert Customer.objects.values("phone").distinct().count() == 30


def test_update_keeps_concurrent_edit(sample_catalogue, admin_user, tmp_path):
    """An update import changes the status of PLG-0001 and the phone of
    PLG-0002 while a staff member's save of PLG-0001's phone keeps its row locked.
    The import writes the phone column of every customer it updates, so it
    must read PLG-0001 after that save, or it writes the old phone back."""
    first = Customer.objects.create(number="PLG-0001", name="Budi Santoso", phone="+6281234567890")
    Customer.objects.create(number="PLG-0002", name="Siti Rahmawati", phone="+6281311112222")
    path = write_workbook(
        tmp_path / "perbarui.xlsx",
        [["ID Pelanggan", "Status", "No HP"], ["PLG-0001", "Isolir", ""], ["PLG-0002", "", "085712345678"]],
    )
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=admin_user, mode=ImportBatch.Mode.UPDATE)
    plan = pipeline.build_plan(batch.file.path, batch.file_name, update_mode=True)
    edit_locked, edit_release = threading.Event(), threading.Event()
    errors = []

    def edit_phone():
        try:
            with transaction.atomic():
                customer = Customer.objects.select_for_update().get(pk=first.pk)
                customer.phone = "+6281999990000"
                customer.save()
                edit_locked.set()
                edit_release.wait(WAIT_SECONDS)
        except Exception as error:  # reported to the test below
            errors.append(error)
        finally:
            edit_locked.set()
            connection.close()

    def commit():
        try:
            pipeline.commit_plan(plan, batch)
        except Exception as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    editor = threading.Thread(target=edit_phone)
    editor.start()
    assert edit_locked.wait(WAIT_SECONDS)
    importer = threading.Thread(target=commit)
    importer.start()
    wait_until_blocked()
    edit_release.set()
    editor.join(WAIT_SECONDS)
    importer.join(WAIT_SECONDS)

    assert errors == []
    stored = dict(Customer.objects.values_list("number", "phone"))
    assert stored == {"PLG-0001": "+6281999990000", "PLG-0002": "+6285712345678"}
    assert Customer.objects.get(number="PLG-0001").status == Customer.Status.SUSPENDED
    changes = sorted(ImportChange.objects.filter(batch=batch).values_list("customer__number", "field", "new_value"))
    assert changes == [("PLG-0001", "status", "suspended"), ("PLG-0002", "phone", "+6285712345678")]
