"""Shared fixtures: reference data and staff personas.

Tests run on SQLite unless DATABASE_URL is set (CI sets it to PostgreSQL).
"""

import json
from pathlib import Path

import pytest

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
