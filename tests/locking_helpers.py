"""Helpers for the tests that hold a lock in one thread while another
request runs into it."""

import threading
import time

from django.db import connection, transaction

# Seconds a test waits for a thread, an event or a lock before it fails.
WAIT_SECONDS = 30


def wait_for_lock_waiters(count):
    """Wait until `count` other connections wait for a lock (PostgreSQL), or
    give them a second to reach it (SQLite, whose lock view is not queryable)."""
    if connection.vendor != "postgresql":
        time.sleep(1)
        return
    deadline = time.monotonic() + WAIT_SECONDS
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"fewer than {count} other connections waited for a lock within {WAIT_SECONDS} s")


def wait_until_blocked():
    """Wait until another connection waits for a lock."""
    wait_for_lock_waiters(1)


def run_behind_lock(take_lock, first, second):
    """Call `take_lock()` in a transaction on a connection of its own, then
    call `first` and `second` in threads of their own, `second` once
    `first` waits for a lock, and end the transaction once both wait.

    Returns {"first": …, "second": …}, what each call returned or raised.
    On PostgreSQL `first` is the first to get what it waited for.
    """
    locked, release = threading.Event(), threading.Event()
    outcome = {}

    def hold():
        try:
            with transaction.atomic():
                take_lock()
                locked.set()
                release.wait(WAIT_SECONDS)
        finally:
            locked.set()
            connection.close()

    def run(name, work):
        try:
            outcome[name] = work()
        except Exception as error:  # reported to the caller
            outcome[name] = error
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(WAIT_SECONDS)
    threads = {name: threading.Thread(target=run, args=(name, work)) for name, work in (("first", first), ("second", second))}
    threads["first"].start()
    wait_for_lock_waiters(1)
    threads["second"].start()
    wait_for_lock_waiters(2)
    release.set()
    for thread in (holder, *threads.values()):
        thread.join(WAIT_SECONDS)
    return outcome
