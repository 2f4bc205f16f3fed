"""Uploads run by a real `manage.py db_worker` process: validation, saving,
progress seen from another connection, and a worker killed mid-save.

The worker is a child process on the test database, so these tests commit
(transaction=True). The mid-save tests stop the worker inside its save by
locking the history table, which only PostgreSQL allows, so they need
PostgreSQL (as CI runs).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from customers.importing import batches, pipeline, tasks, undo
from customers.models import Customer, ImportBatch
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(django_settings.BASE_DIR)
MAKE_WORKBOOK = BASE_DIR / "bench" / "make_customers_xlsx.py"
WAIT_SECONDS = 120
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stopping a worker inside its save needs PostgreSQL's LOCK TABLE"
)


def database_url():
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture
def worker(settings, tmp_path):
    """Start db_worker processes on the test database; every one is killed at the end."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    env = dict(os.environ, DATABASE_URL=database_url(), MEDIA_ROOT=str(settings.MEDIA_ROOT), LOG_LEVEL="INFO")
    started = []

    def start():
        log = open(tmp_path / f"worker-{len(started)}.log", "w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.2", "--no-reload"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        log.close()


@pytest.fixture
def workbook(tmp_path):
    """A 6,000-row template-shaped workbook: two save chunks of at most 5,000 rows."""
    path = tmp_path / "pelanggan-6000.xlsx"
    subprocess.run([sys.executable, str(MAKE_WORKBOOK), "--rows", "6000", "--out", str(path)], check=True)
    return path


def wait_for(condition, description, tmp_path):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    logs = "\n".join(path.read_text()[-3000:] for path in sorted(tmp_path.glob("worker-*.log")))
    pytest.fail(f"Timed out after {WAIT_SECONDS} s waiting for {description}. Worker output:\n{logs}")


def batch_in(state, pk):
    def check():
        batch = ImportBatch.objects.get(pk=pk)
        return batch if batch.state == state else None

    return check


def upload(client, path):
    with open(path, "rb") as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    assert response.status_code == 302
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def expected_new_rows(path):
    """Return the numbers an uninterrupted import of `path` saves, from the same pipeline."""
    plan = pipeline.review_plan(pipeline.build_plan(path, path.name))
    return sorted(row.fields["number"] for row in plan.rows_of("new"))


# A save writes each chunk's history rows right after its customers.
HISTORY_TABLE = "customers_historicalcustomer"
HISTORY_INSERT = "INSERT INTO%historicalcustomer%"


@contextmanager
def table_locked(table):
    """Hold a lock on `table` from a connection of its own, so a save
    blocks when it writes to that table, inside its open transaction.
    Reads go on: the save reads the history table before it writes to it,
    to find the IDs of deleted customers."""
    with psycopg.connect(database_url()) as locker:
        locker.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield
        locker.rollback()


def statement_waiting_for_lock(pattern):
    """Return whether a statement matching the ILIKE `pattern` waits for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            [pattern],
        )
        return cursor.fetchone()[0] > 0


def kill_worker_at_lock(admin_client, pk, worker_process, table, pattern, tmp_path):
    """Confirm the batch, let the worker's save block on `table`, kill the
    worker there, and wait until PostgreSQL has rolled the save back."""
    with table_locked(table):
        admin_client.post(reverse("customers:batch-confirm", args=[pk]))
        wait_for(lambda: statement_waiting_for_lock(pattern), f"the save to reach {table}", tmp_path)
        os.kill(worker_process.pid, signal.SIGKILL)
        worker_process.wait()
    # The dead worker's server process rolls back once it finds its client gone.
    wait_for(lambda: not statement_waiting_for_lock(pattern), "the killed save to end", tmp_path)


def test_worker_validates_and_saves(admin_client, sample_catalogue, worker, workbook, tmp_path):
    expected = expected_new_rows(workbook)
    pk = upload(admin_client, workbook)
    worker()

    review = wait_for(batch_in(ImportBatch.State.REVIEW, pk), "the review", tmp_path)

    assert review.rows_read == 6000
    assert review.new_count == len(expected)
    assert Customer.objects.count() == 0

    admin_client.post(reverse("customers:batch-confirm", args=[pk]))
    done = wait_for(batch_in(ImportBatch.State.DONE, pk), "the save", tmp_path)

    assert done.created_count == len(expected)
    assert done.phase == "done"
    assert done.phase_total == len(expected)
    assert done.rows_done == len(expected)
    assert done.confirmed_at is not None
    assert sorted(Customer.objects.values_list("number", flat=True)) == expected
    assert Customer.history.filter(history_type="+").count() == len(expected)
    page = admin_client.get(reverse("customers:batch-detail", args=[pk])).content.decode()
    assert 'data-state="done"' in page


@needs_postgresql
def test_progress_visible_during_save(admin_client, sample_catalogue, worker, workbook, tmp_path):
    expected = expected_new_rows(workbook)
    pk = upload(admin_client, workbook)
    worker()
    wait_for(batch_in(ImportBatch.State.REVIEW, pk), "the review", tmp_path)

    with table_locked(HISTORY_TABLE):
        admin_client.post(reverse("customers:batch-confirm", args=[pk]))
        wait_for(lambda: statement_waiting_for_lock(HISTORY_INSERT), "the save to reach the history rows", tmp_path)

        saving = ImportBatch.objects.get(pk=pk)
        fragment = admin_client.get(reverse("customers:batch-progress", args=[pk])).content.decode()

        assert saving.state == ImportBatch.State.IMPORTING
        assert saving.phase == "saving"
        assert saving.phase_total == len(expected)
        assert saving.rows_done == 0
        assert (timezone.now() - saving.heartbeat_at).total_seconds() < 60
        assert Customer.objects.count() == 0
        assert 'data-phase="saving"' in fragment
        assert f'max="{len(expected)}"' in fragment
        assert "Menyimpan pelanggan" in fragment

    done = wait_for(batch_in(ImportBatch.State.DONE, pk), "the save", tmp_path)
    assert done.created_count == len(expected)


@needs_postgresql
def test_killed_worker_saves_nothing(admin_client, sample_catalogue, worker, workbook, tmp_path, settings):
    expected = expected_new_rows(workbook)
    pk = upload(admin_client, workbook)
    first = worker()
    wait_for(batch_in(ImportBatch.State.REVIEW, pk), "the review", tmp_path)

    # The customers are written by then, inside the save's open transaction.
    kill_worker_at_lock(admin_client, pk, first, HISTORY_TABLE, HISTORY_INSERT, tmp_path)

    assert Customer.objects.count() == 0
    assert Customer.history.count() == 0
    assert ImportBatch.objects.get(pk=pk).state == ImportBatch.State.IMPORTING

    settings.IMPORT_STALE_SECONDS = 1
    time.sleep(1.5)
    page = admin_client.get(reverse("customers:batch-detail", args=[pk])).content.decode()
    failed = ImportBatch.objects.get(pk=pk)

    assert failed.state == ImportBatch.State.FAILED
    assert failed.error_code == "worker_lost"
    assert "Tidak ada data dari batch ini yang disimpan." in page
    assert 'id="retry-button"' in page
    assert "Coba lagi" in page

    admin_client.post(reverse("customers:batch-retry", args=[pk]))
    assert ImportBatch.objects.get(pk=pk).state == ImportBatch.State.QUEUED
    worker()
    done = wait_for(batch_in(ImportBatch.State.DONE, pk), "the retried save", tmp_path)

    assert done.created_count == len(expected)
    assert done.error_code == ""
    assert sorted(Customer.objects.values_list("number", flat=True)) == expected
    assert Customer.history.filter(history_type="+").count() == len(expected)
    assert Customer.objects.filter(import_batch_id=pk).count() == len(expected)


@needs_postgresql
def test_worker_killed_before_done_saves_nothing(admin_client, sample_catalogue, worker, workbook, tmp_path):
    pk = upload(admin_client, workbook)
    first = worker()
    wait_for(batch_in(ImportBatch.State.REVIEW, pk), "the review", tmp_path)

    # The findings come after the customers and their history rows.
    kill_worker_at_lock(admin_client, pk, first, "customers_importproblem", "%customers_importproblem%", tmp_path)

    # Customers and the batch's state are one transaction, so Try again
    # cannot import the same rows a second time.
    assert Customer.objects.count() == 0
    assert Customer.history.count() == 0
    assert ImportBatch.objects.get(pk=pk).state == ImportBatch.State.IMPORTING


def test_stale_batch_marked_failed(admin_client, settings):
    old = timezone.now() - timedelta(seconds=120)
    running = ImportBatch.objects.create(
        file_name="a.xlsx", file_sha256="a" * 64, state=ImportBatch.State.IMPORTING, heartbeat_at=old, started_at=old
    )
    fresh = ImportBatch.objects.create(
        file_name="b.xlsx", file_sha256="b" * 64, state=ImportBatch.State.IMPORTING, heartbeat_at=timezone.now()
    )
    queued = ImportBatch.objects.create(file_name="c.xlsx", file_sha256="c" * 64, state=ImportBatch.State.QUEUED)
    settings.IMPORT_STALE_SECONDS = 60

    admin_client.get(reverse("customers:batch-list"))

    running.refresh_from_db()
    fresh.refresh_from_db()
    queued.refresh_from_db()
    assert running.state == ImportBatch.State.FAILED
    assert running.error_params == {"seconds": 60}
    assert fresh.state == ImportBatch.State.IMPORTING
    assert queued.state == ImportBatch.State.QUEUED


def test_retry_only_for_lost_workers(admin_client, worker):
    rejected = ImportBatch.objects.create(
        file_name="rusak.xlsx", file_sha256="d" * 64, state=ImportBatch.State.FAILED, error_code="file_corrupt"
    )

    response = admin_client.post(reverse("customers:batch-retry", args=[rejected.pk]), follow=True)

    rejected.refresh_from_db()
    assert rejected.state == ImportBatch.State.FAILED
    assert "Batch ini tidak dapat dicoba lagi." in response.content.decode()


def test_retry_refused_after_file_purged(admin_client):
    lost = ImportBatch.objects.create(
        file_name="hilang.xlsx", file_sha256="e" * 64, state=ImportBatch.State.FAILED, error_code="worker_lost",
        error_params={"seconds": 60},
    )
    lost.file.name = "imports/2026/01/sudah-dihapus.xlsx"
    lost.save(update_fields=["file"])

    page = admin_client.get(reverse("customers:batch-detail", args=[lost.pk])).content.decode()
    response = admin_client.post(reverse("customers:batch-retry", args=[lost.pk]), follow=True)

    lost.refresh_from_db()
    assert 'id="retry-button"' not in page
    assert lost.state == ImportBatch.State.FAILED
    assert "Batch ini tidak dapat dicoba lagi." in response.content.decode()


@needs_postgresql
def test_retried_batch_saved_by_one_run(sample_catalogue, admin_user, tmp_path):
    """A worker waits for the import lock so long that a page marks its
    batch lost, and the admin presses Try again, which a second worker
    takes. Only one run may save. The batch must end with the counts of
    that run, or it shows zero new customers and cannot be undone."""
    rows = [["ID Pelanggan", "Nama", "No HP"]] + [[f"PLG-07{i:02d}", f"Pelanggan {i}", f"08120000070{i:02d}"] for i in range(5)]
    path = write_workbook(tmp_path / "tunggu.xlsx", rows)
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=admin_user)
    batches.validate_batch(batch)
    assert batches.queue_confirm(batch)
    holder_locked, holder_release = threading.Event(), threading.Event()

    def hold_import_lock():
        try:
            with transaction.atomic():
                pipeline.lock_customer_writes()
                holder_locked.set()
                holder_release.wait(WAIT_SECONDS)
        finally:
            holder_locked.set()
            connection.close()

    def run_commit_task():
        try:
            tasks.commit_batch_task.func(str(batch.pk))
        finally:
            connection.close()

    holder = threading.Thread(target=hold_import_lock)
    holder.start()
    assert holder_locked.wait(WAIT_SECONDS)
    first = threading.Thread(target=run_commit_task)
    first.start()
    wait_for(lambda: statement_waiting_for_lock("%pg_advisory_xact_lock%"), "the first run to wait for the lock", tmp_path)
    # No progress arrives while a run waits for the lock, so the batch looks lost.
    ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert batches.fail_stale_batches() == 1
    batch.refresh_from_db()
    assert batches.queue_retry(batch) == "commit"
    second = threading.Thread(target=run_commit_task)
    second.start()
    wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).state == ImportBatch.State.IMPORTING, "the retry", tmp_path)
    wait_for(lambda: waiting_for_lock_count() == 2, "both runs to wait for the lock", tmp_path)
    holder_release.set()
    for thread in (holder, first, second):
        thread.join(WAIT_SECONDS)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert batch.created_count == 5
    assert batch.new_count == 5
    assert batch.duplicate_count == 0
    assert Customer.objects.filter(import_batch=batch).count() == 5
    assert undo.batch_can_undo(batch)


def waiting_for_lock_count():
    """Return how many other connections wait for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]
