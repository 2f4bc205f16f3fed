"""Start-up refusal without defusedxml, security headers and policy, deploy
checks, retention of uploads, anonymising, and NIK masking in review pages,
problem workbooks and logs."""

import datetime
import io
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.log_filters import MaskNikFilter
from customers.models import Customer, ImportBatch, ImportChange
from customers.services import ANONYMISED_REASON
from portal.models import ChangeRequest
from tests.conftest import NikLogCapture
from tests.importing_helpers import SAMPLE_XLSX, write_workbook

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [PROJECT_DIR / "templates", *PROJECT_DIR.glob("*/templates")]


def run_manage(*args, env=None):
    # tests/browser.py sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which
    # check --deploy rightly reports, so the child does not inherit it.
    inherited = {name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        cwd=PROJECT_DIR,
        env={**inherited, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- defusedxml at start ---------------------------------------------------------


def test_app_refuses_to_start_without_defusedxml():
    result = run_manage("check", env={"OPENPYXL_DEFUSEDXML": "False"})

    assert result.returncode != 0
    assert "openpyxl is not using defusedxml" in result.stderr


def test_app_starts_with_defusedxml():
    result = run_manage("check")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_audit_ready_checks_defusedxml(monkeypatch):
    import openpyxl.xml

    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)

    with pytest.raises(ImproperlyConfigured):
        apps.get_app_config("audit").ready()


# --- deploy settings -------------------------------------------------------------


PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "billing.example.id",
    "CSRF_TRUSTED_ORIGINS": "https://billing.example.id",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_SSL_REDIRECT": "1",
    "BEHIND_TLS_PROXY": "1",
}


def test_check_deploy_passes_with_production_env():
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(60)}

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_with_development_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": "django-insecure-local-development-key-change-me"}

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.django_db
def test_security_headers(client):
    response = client.get(reverse("login"))

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_hsts_header_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def template_files():
    for folder in TEMPLATE_DIRS:
        yield from folder.rglob("*.html")


INLINE_CODE = [
    ("inline script", re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("event handler attribute", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
    ("style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("style element", re.compile(r"<style\b", re.I)),
]


def test_templates_have_no_inline_code():
    """The policy blocks inline scripts and styles, so templates load them from static files only."""
    found = [
        f"{path.relative_to(PROJECT_DIR)}: {kind}"
        for path in template_files()
        for kind, pattern in INLINE_CODE
        if pattern.search(path.read_text())
    ]

    assert len(list(template_files())) > 10
    assert found == []


# --- retention of uploaded files ------------------------------------------------


def upload(client, path):
    with open(path, "rb") as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def age(batch, days):
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))


def purge(*args):
    out = io.StringIO()
    call_command("purge_import_files", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_purge_then_reupload_is_recognised(admin_client, sample_catalogue, settings):
    first = upload(admin_client, SAMPLE_XLSX)
    admin_client.post(reverse("customers:batch-confirm", args=[first.pk]))
    first.refresh_from_db()
    stored = Path(first.file.path)
    age(first, settings.IMPORT_RETENTION_DAYS + 1)

    output = purge()

    first.refresh_from_db()
    assert first.state == ImportBatch.State.DONE
    assert not stored.exists()
    assert first.file.name == ""
    assert len(first.file_sha256) == 64
    assert output == "Deleted 1 batch files and 0 unreferenced files older than 30 days, and cancelled 0 batches left in review.\n"

    second = upload(admin_client, SAMPLE_XLSX)
    page = admin_client.get(reverse("customers:batch-detail", args=[second.pk])).content.decode()
    assert second.file_sha256 == first.file_sha256
    assert "File ini sudah pernah diimpor pada" in page
    assert reverse("customers:batch-detail", args=[first.pk]) in page
    assert (second.new_count, second.duplicate_count) == (0, 8)


@pytest.mark.django_db
def test_purge_keeps_recent_and_running_batches(admin_client, sample_catalogue, settings):
    recent = upload(admin_client, SAMPLE_XLSX)
    running = upload(admin_client, SAMPLE_XLSX)
    ImportBatch.objects.filter(pk=running.pk).update(state=ImportBatch.State.VALIDATING)
    age(running, settings.IMPORT_RETENTION_DAYS + 5)

    purge()

    recent.refresh_from_db()
    running.refresh_from_db()
    assert Path(recent.file.path).exists()
    assert Path(running.file.path).exists()
    assert recent.state == ImportBatch.State.REVIEW
    assert running.state == ImportBatch.State.VALIDATING


@pytest.mark.django_db
def test_purge_cancels_stale_review(admin_client, sample_catalogue, settings):
    batch = upload(admin_client, SAMPLE_XLSX)
    stored = Path(batch.file.path)
    age(batch, settings.IMPORT_RETENTION_DAYS + 1)

    purge()

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CANCELLED
    assert batch.finished_at is not None
    assert not stored.exists()


@pytest.mark.django_db
def test_purge_deletes_old_orphan_files(settings):
    folder = Path(settings.MEDIA_ROOT) / "imports" / "2024" / "01"
    folder.mkdir(parents=True)
    old = folder / ("a" * 32 + ".xlsx")
    new = folder / ("b" * 32 + ".xlsx")
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    past = (timezone.now() - datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS + 1)).timestamp()
    os.utime(old, (past, past))

    output = purge()

    assert not old.exists()
    assert new.exists()
    assert output == "Deleted 0 batch files and 1 unreferenced files older than 30 days, and cancelled 0 batches left in review.\n"


@pytest.mark.django_db
def test_purge_dry_run_deletes_nothing(admin_client, sample_catalogue, settings):
    batch = upload(admin_client, SAMPLE_XLSX)
    age(batch, settings.IMPORT_RETENTION_DAYS + 1)

    output = purge("--dry-run")

    batch.refresh_from_db()
    assert Path(batch.file.path).exists()
    assert batch.state == ImportBatch.State.REVIEW
    assert output == "Would delete 1 batch files and 0 unreferenced files older than 30 days, and cancel 1 batches left in review.\n"


@pytest.mark.django_db
def test_purge_days_option(admin_client, sample_catalogue):
    batch = upload(admin_client, SAMPLE_XLSX)
    admin_client.post(reverse("customers:batch-cancel", args=[batch.pk]))
    age(batch, 3)

    purge("--days", "2")

    batch.refresh_from_db()
    assert batch.file.name == ""


@pytest.mark.django_db
def test_problem_workbook_after_purge(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "masalah.xlsx", [["Nama", "NIK"], ["Budi", "12345"]])
    batch = upload(admin_client, path)
    admin_client.post(reverse("customers:batch-cancel", args=[batch.pk]))
    purge("--days", "0")

    response = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    rows = list(load_workbook(io.BytesIO(response.getvalue())).active.iter_rows(values_only=True))
    assert response.status_code == 200
    # Without the upload, each problem row keeps its number and message.
    assert rows == [
        ("Baris asal", "Masalah"),
        (2, "Baris 2, kolom NIK: NIK “12345” terdiri dari 5 digit, padahal NIK terdiri dari 16 digit. Periksa dengan KTP."),
    ]


# --- anonymising ---------------------------------------------------------------


@pytest.fixture
def known_customer(db, django_user_model, admin_user):
    portal_user = django_user_model.objects.create_user(
        username="customer-budi", password="rahasia-budi-123", email="budi@contoh.id", first_name="Budi"
    )
    customer = Customer.objects.create(
        number="PLG-0001",
        name="Budi Santoso",
        phone="+6281234567890",
        email="budi@contoh.id",
        nik="3271010101800011",
        address="Jl. Mawar 5",
        street="Jl. Mawar 5 RT 01/RW 02",
        postal_code="16911",
        latitude="-6.481200",
        longitude="106.842100",
        user=portal_user,
    )
    customer.name = "Budi Santoso Putra"
    customer.phone = "+6281299998888"
    customer.save()
    batch = ImportBatch.objects.create(file_name="a.xlsx", file_sha256="a" * 64, state=ImportBatch.State.DONE)
    ImportChange.objects.create(batch=batch, customer=customer, field="phone", old_value="+6281234567890", new_value="+6281299998888")
    ImportChange.objects.create(batch=batch, customer=customer, field="status", old_value="inactive", new_value="active")
    ChangeRequest.objects.create(customer=customer, field=ChangeRequest.Field.NIK, new_value="3271010101800022")
    return customer


PERSONAL_VALUES = [
    "Budi Santoso",
    "+6281234567890",
    "+6281299998888",
    "budi@contoh.id",
    "3271010101800011",
    "Jl. Mawar 5",
    "16911",
]


def test_anonymise_asks_for_confirmation(admin_client, known_customer):
    response = admin_client.get(reverse("audit:customer-anonymise", args=[known_customer.pk]))

    page = response.content.decode()
    known_customer.refresh_from_db()
    assert response.status_code == 200
    assert "Anonimkan pelanggan PLG-0001" in page
    assert "dari temuan batch impor" in page
    assert "Langkah ini tidak dapat dibatalkan." in page
    assert known_customer.name == "Budi Santoso Putra"


def test_anonymise_erases_personal_data(admin_client, admin_user, known_customer):
    response = admin_client.post(reverse("audit:customer-anonymise", args=[known_customer.pk]))

    customer = Customer.objects.get(pk=known_customer.pk)
    user = customer.user
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:edit", args=[customer.pk])
    assert customer.name == "Anonim PLG-0001"
    assert (customer.phone, customer.email, customer.nik, customer.address, customer.street) == ("", "", "", "", "")
    assert (customer.postal_code, customer.latitude, customer.longitude, customer.village) == ("", None, None, None)
    assert customer.number == "PLG-0001"
    assert user.is_active is False
    assert user.has_usable_password() is False
    assert (user.email, user.first_name) == ("", "")
    assert ChangeRequest.objects.filter(customer=customer).count() == 0


def test_anonymise_scrubs_history_and_records_itself(admin_client, admin_user, known_customer):
    admin_client.post(reverse("audit:customer-anonymise", args=[known_customer.pk]))

    records = list(known_customer.history.order_by("history_date", "history_id"))
    stored = "\n".join(
        str(value) for record in records for value in record.__dict__.values() if value not in (None, "")
    )
    changes = list(ImportChange.objects.filter(customer=known_customer).order_by("field").values_list("field", "old_value", "new_value"))
    latest = records[-1]
    page = admin_client.get(reverse("customers:edit", args=[known_customer.pk])).content.decode()
    assert len(records) == 3
    for value in PERSONAL_VALUES:
        assert value not in stored, value
        assert value not in page, value
    assert latest.history_change_reason == ANONYMISED_REASON
    assert latest.history_user == admin_user
    assert latest.name == "Anonim PLG-0001"
    assert changes == [("phone", None, None), ("status", "inactive", "active")]
    assert "Anonim PLG-0001" in page


def test_anonymise_needs_permission(client, known_customer, django_user_model):
    site_admin = django_user_model.objects.create_user(username="admin-site", is_staff=True)
    client.force_login(site_admin)

    response = client.post(reverse("audit:customer-anonymise", args=[known_customer.pk]))

    known_customer.refresh_from_db()
    assert response.status_code == 403
    assert known_customer.name == "Budi Santoso Putra"


# --- NIK masking in review pages and problem workbooks ----------------------------


NIK_ROWS = [
    ["ID Pelanggan", "Nama", "No HP", "NIK"],
    ["PLG-0101", "Ani Lestari", "081200000101", "327101010180001"],
    ["PLG-0102", "Bayu Aji", "081200000102", "3271O10101800012"],
    ["PLG-0103", "Citra Dewi", "081200000103", "3271010101800011"],
]


@pytest.fixture
def nik_batch(admin_client, sample_catalogue, tmp_path):
    """A reviewed upload with a 15-digit NIK, a NIK with a letter O, and the NIK of another person."""
    Customer.objects.create(number="PLG-0001", name="Budi Santoso", nik="3271010101800011")
    path = write_workbook(tmp_path / "nik.xlsx", NIK_ROWS)
    return upload(admin_client, path)


def test_review_page_masks_nik(admin_client, nik_batch):
    page = admin_client.get(reverse("customers:batch-detail", args=[nik_batch.pk]), {"kind": "problem"}).content.decode()

    assert nik_batch.problem_count == 3
    assert "327101010180001" not in page
    assert "3271O10101800012" not in page
    assert "3271010101800011" not in page
    assert "***********0001" in page
    assert "****O**********0012" not in page
    assert "****O*******0012" in page
    assert "************0011" in page


def problem_workbook(client, batch):
    response = client.get(reverse("customers:batch-problems", args=[batch.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    return [row for row in sheet.iter_rows(values_only=True)]


def test_problem_workbook_masks_nik_without_permission(client, nik_batch, django_user_model, sample_catalogue):
    sites, _packages = sample_catalogue
    site_admin = django_user_model.objects.create_user(username="admin-site", is_staff=True)
    site_admin.user_permissions.add(Permission.objects.get(codename="import_customers"))
    for site in sites.values():
        site.staff.add(site_admin)
    ImportBatch.objects.filter(pk=nik_batch.pk).update(site=sites["CBN"], created_by=site_admin)
    client.force_login(site_admin)

    rows = problem_workbook(client, nik_batch)

    text = "\n".join(str(value) for row in rows for value in row)
    assert rows[0] == ("ID Pelanggan", "Nama", "No HP", "NIK", "Baris asal", "Masalah")
    assert [row[3] for row in rows[1:]] == ["***********0001", "****O*******0012", "************0011"]
    assert "327101010180001" not in text
    assert "3271010101800011" not in text


def test_problem_workbook_full_nik_with_permission(admin_client, nik_batch):
    rows = problem_workbook(admin_client, nik_batch)

    assert [row[3] for row in rows[1:]] == ["327101010180001", "3271O10101800012", "3271010101800011"]


# --- logs --------------------------------------------------------------------------


def format_through_filter(record):
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(MaskNikFilter())
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.handle(record)
    return handler.stream.getvalue()


def test_log_filter_masks_nik_in_message_and_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "NIK %s of %s", ("3271010101800011", "PLG-0001"), None)

    output = format_through_filter(record)

    assert output == "NIK ************0011 of PLG-0001\n"


def test_log_filter_masks_nik_in_exception():
    try:
        raise ValueError("invalid literal for int(): '3271010101800011x'")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    output = format_through_filter(record)

    assert "3271010101800011" not in output
    assert "************0011x" in output


def test_log_filter_keeps_short_numbers():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "batch %s row %s", ("123456789012345", 4), None)

    assert format_through_filter(record) == "batch 123456789012345 row 4\n"


def test_session_log_capture_catches_nik():
    capture = NikLogCapture()
    logger = logging.getLogger("tests.capture")
    logger.addHandler(capture)
    logger.propagate = False
    try:
        logger.warning("customer %s", "3271010101800011")
        logger.warning("batch %s", "0f8e4c2a-1b2c-4d5e-8f90-123456789abc")
    finally:
        logger.removeHandler(capture)
        logger.propagate = True

    assert capture.leaks == ["WARNING tests.capture customer 3271010101800011"]


def test_capture_installed_before_console_mask():
    """The session capture must see records before the console handler's filter masks them."""
    root = logging.getLogger()

    assert isinstance(root.handlers[0], NikLogCapture)


# --- the policy in a real browser --------------------------------------------------

# Collects every Content-Security-Policy violation of a page, from before
# its first script runs.
COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI + " " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_run_without_policy_violations(live_server, sample_catalogue, django_user_model):
    from tests.browser import browser_page

    django_user_model.objects.create_user(username="pusat", password="rahasia-pusat-123", is_staff=True, is_superuser=True)
    sites, packages = sample_catalogue
    customer = Customer.objects.create(
        number="PLG-0001", name="Budi Santoso", site=sites["CBN"], package=packages["H10"],
        latitude="-6.481200", longitude="106.842100", nik="3271010101800011",
    )
    batch = ImportBatch.objects.create(file_name="a.xlsx", file_sha256="a" * 64, state=ImportBatch.State.QUEUED)
    pages = [
        "/customers/",
        f"/customers/{customer.pk}/",
        "/customers/upload/",
        "/customers/imports/",
        f"/customers/imports/{batch.pk}/",
        "/regions/map/",
        "/sites/",
        "/packages/",
    ]
    violations = {}

    with browser_page(live_server.url) as page:
        page.add_init_script(COLLECT_VIOLATIONS)
        page.goto(f"{live_server.url}/login/")
        violations["/login/"] = page.evaluate("window.cspViolations")
        page.fill("#id_username", "pusat")
        page.fill("#id_password", "rahasia-pusat-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/customers/")
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            # The batch page polls its progress through htmx every second.
            page.wait_for_timeout(1500 if "imports/" in path else 300)
            violations[path] = page.evaluate("window.cspViolations")

        page.goto(f"{live_server.url}/customers/")
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")
        language = page.get_attribute("html", "lang")

    assert {path: found for path, found in violations.items() if found} == {}
    assert language == "en"
