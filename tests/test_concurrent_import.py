"""Two commits of the same customers at the same moment save one copy."""

import threading

import pytest
from django.db import connection

from customers.importing import batches, pipeline
from customers.models import Customer
from tests.importing_helpers import SAMPLE_XLSX, write_workbook

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
