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
