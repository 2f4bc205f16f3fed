"""Shared fixtures: reference data and staff personas.

Tests run on SQLite unless DATABASE_URL is set (CI sets it to PostgreSQL).
"""

import json
import logging
import re
from pathlib import Path

import pytest
from django.utils import translation

DATA_DIR = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Run background tasks inline so a request finishes its import; tests
    of the real worker override this."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Serve static files without the manifest that collectstatic writes,
    so tests need no collectstatic run."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _default_language():
    """Restore the default language after each test. LocaleMiddleware leaves
    the language of the last request active, such as "en" from a cookie."""
    yield
    translation.deactivate()


@pytest.fixture
def expected():
    return json.loads((DATA_DIR / "samples" / "expected.json").read_text())


@pytest.fixture
def sample_catalogue(db, expected):
    """The sites and packages the sample workbooks refer to."""
    from packages.models import ServicePackage
    from sites.models import Site

    sites = {s["code"]: Site.objects.create(code=s["code"], name=s["name"]) for s in expected["sites"]}
    packages = {p["code"]: ServicePackage.objects.create(**p) for p in expected["packages"]}
    return sites, packages


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_user(
        username="admin", password="rahasia-admin-123", is_staff=True, is_superuser=True
    )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def regions_loaded(django_db_setup, django_db_blocker):
    """Every province, regency, district and village of regions/data, loaded
    once per session (1 to 2 seconds) and kept, because each test rolls back
    only its own changes.

    A transactional test (live_server, transaction=True) empties every table
    when it ends. Django then sends post_migrate, and the handler below loads
    the regions again, so later tests still find them.
    """
    from django.db.models.signals import post_migrate

    from regions.loading import load_regions

    def reload_regions(sender, using, **kwargs):
        if sender.name == "regions":
            load_regions(using=using)

    with django_db_blocker.unblock():
        load_regions()
    post_migrate.connect(reload_regions, weak=False, dispatch_uid="tests.conftest.regions_loaded")


# --- No NIK in log output ----------------------------------------------------

NIK_IN_LOG = re.compile(r"\d{16}")


class NikLogCapture(logging.Handler):
    """Keep every formatted log record that contains a run of 16 digits.

    Installed first on the root logger, ahead of the console handler's NIK
    mask, so it receives each record as eBilling or a library logged it.
    """

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.leaks = []

    def emit(self, record):
        text = self.format(record)
        if NIK_IN_LOG.search(text):
            self.leaks.append(text[:1000])


_nik_log_capture = NikLogCapture()


def pytest_sessionstart(session):
    # First in the list, so it runs before any handler filter masks the record.
    logging.getLogger().handlers.insert(0, _nik_log_capture)


def pytest_sessionfinish(session, exitstatus):
    logging.getLogger().removeHandler(_nik_log_capture)
    if _nik_log_capture.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _nik_log_capture.leaks:
        terminalreporter.section("NIK in log output", red=True)
        terminalreporter.line(f"{len(_nik_log_capture.leaks)} log records contain a run of 16 digits, such as:")
        for text in _nik_log_capture.leaks[:10]:
            terminalreporter.line(text)


@pytest.fixture
def migration_executor(transactional_db):
    """A MigrationExecutor whose database is migrated forward to every
    latest migration again after the test, so later tests see the whole schema."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    yield MigrationExecutor(connection)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
