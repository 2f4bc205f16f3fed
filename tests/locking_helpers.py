"""Helpers for the tests that hold a lock in one thread while another
request runs into it."""

import time

from django.db import connection

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
