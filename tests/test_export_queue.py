"""Customer list exports over EXPORT_INLINE_MAX_ROWS, written by the task
worker: queueing, the requester's rights at run time, the export page,
the download, Try again and the purge of old files."""

import csv
import datetime
import io
import os
import threading
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from customers import export_views, exports
from customers.importing import export as export_writer
from customers.importing.tasks import run_export_task
from customers.models import Customer, CustomerExport
from customers.selectors import NO_SITE, CustomerFilter
from sites.models import Site

EXPORT_URL = "/customers/export/"
INCOMPLETE_URL = "/customers/export/incomplete/"
HEADER = (
    "ID Pelanggan", "Nama", "No. HP / WhatsApp", "Email", "NIK", "Alamat", "Site", "Paket", "Tanggal Pasang",
    "Latitude", "Longitude", "Kelurahan/Desa", "Kecamatan", "Kabupaten/Kota", "Provinsi", "Kode Pos", "Status",
    "Keterangan", "Kode Wilayah",
)


@pytest.fixture(autouse=True)
def small_threshold(settings):
    """Queue every export of more than two customers."""
    settings.EXPORT_INLINE_MAX_ROWS = 2


@pytest.fixture
def deferred_tasks(settings):
    """Keep enqueued tasks in the queue, so a test can change rights before one runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def catalogue(sample_catalogue):
    return sample_catalogue


@pytest.fixture
def customers(catalogue):
    """Five customers over three sites. PLG-0003 and PLG-0005 are incomplete."""
    sites, packages = catalogue
    rows = [
        ("PLG-0001", "Budi Santoso", "+6281234567890", "3201011203900001", "Jl. Mawar 5", "CBN", "H20"),
        ("PLG-0002", "Siti Rahmawati", "+6281311112222", "", "Jl. Melati 2", "BJG", "H10"),
        ("PLG-0003", "Agus Salim", "+62218765432", "", "", "CBN", "H10"),
        ("PLG-0004", "Dewi Lestari", "", "", "Jl. Kenanga 9", "CTY", "B50"),
        ("PLG-0005", "Rudi Hartono", "+6285712345678", "", "Jl. Anggrek 1", "CBN", None),
    ]
    created = {}
    for number, name, phone, nik, address, site, package in rows:
        created[number] = Customer.objects.create(
            number=number,
            name=name,
            phone=phone,
            nik=nik,
            address=address,
            site=sites[site],
            package=packages[package] if package else None,
            installed_on=datetime.date(2024, 1, 5) if number == "PLG-0001" else None,
        )
    return created


def grant(user, codename="export_customers"):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="customers", codename=codename))


@pytest.fixture
def make_site_admin(django_user_model, catalogue):
    """Return a function making a staff user of the given site codes, with the export right."""
    sites, _packages = catalogue

    def make(username, *codes, can_export=True):
        user = django_user_model.objects.create_user(username=username, password="rahasia-123-abc", is_staff=True)
        for code in codes:
            sites[code].staff.add(user)
        if can_export:
            grant(user)
        return user

    return make


def export_url(name, export):
    return reverse(f"customers:{name}", args=[export.pk])


def body_of(response):
    return b"".join(response.streaming_content)


def workbook_rows(body, sheet_index=0):
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return [tuple(row) for row in workbook.worksheets[sheet_index].iter_rows(values_only=True)]


def queue(client, url=EXPORT_URL, data=None):
    """Post an export request that is queued, and return the export."""
    response = client.post(url, data or {})
    assert response.status_code == 302, response.content.decode()[:500]
    export = CustomerExport.objects.get()
    assert response.url == export_url("export-detail", export)
    return export


def test_queued_export_writes_exact_cells(admin_client, admin_user, customers, catalogue):
    sites, _packages = catalogue

    export = queue(admin_client, data={"site": sites["CBN"].pk, "page": "2"})

    export.refresh_from_db()
    today = timezone.localdate()
    assert export.created_by == admin_user
    assert export.query == f"site={sites['CBN'].pk}"
    assert export.scope == CustomerExport.Scope.ALL
    assert export.format == CustomerExport.Format.XLSX
    assert export.include_nik is False
    assert export.language == "id"
    assert export.state == CustomerExport.State.DONE
    assert (export.rows_done, export.rows_total) == (3, 3)
    assert export.file_name == f"pelanggan-CBN-{today:%Y%m%d}.xlsx"
    assert export.file.name.startswith(f"exports/{today:%Y/%m}/")
    assert export.file_size == Path(export.file.path).stat().st_size
    assert export.finished_at is not None
    assert export.error_code == ""
    assert workbook_rows(Path(export.file.path).read_bytes()) == [
        HEADER,
        (
            "PLG-0001", "Budi Santoso", "081234567890", None, "************0001", "Jl. Mawar 5", "Cibinong",
            "Home 20 Mbps", datetime.datetime(2024, 1, 5), None, None, None, None, None, None, None, "Aktif", None, None,
        ),
        (
            "PLG-0003", "Agus Salim", "0218765432", None, None, None, "Cibinong", "Home 10 Mbps", None,
            None, None, None, None, None, None, None, "Aktif", None, None,
        ),
        (
            "PLG-0005", "Rudi Hartono", "085712345678", None, None, "Jl. Anggrek 1", "Cibinong", None, None,
            None, None, None, None, None, None, None, "Aktif", None, None,
        ),
    ]


def test_owner_and_admin_download_file(client, admin_user, make_site_admin, customers):
    owner = make_site_admin("admin-cbn", "CBN")
    other = make_site_admin("admin-bjg", "BJG")
    client.force_login(owner)
    export = queue(client)
    stored = Path(export.file.path).read_bytes()

    by_owner = client.get(export_url("export-download", export))
    client.force_login(admin_user)
    by_admin = client.get(export_url("export-download", export))
    client.force_login(other)
    other_responses = [
        client.get(export_url(name, export)) for name in ("export-detail", "export-progress", "export-download")
    ]
    other_retry = client.post(export_url("export-retry", export))

    export.refresh_from_db()
    assert by_owner.status_code == 200
    assert by_owner["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert by_owner["Content-Disposition"] == f'attachment; filename="{export.file_name}"'
    assert body_of(by_owner) == stored
    assert [row[0] for row in workbook_rows(stored)] == ["ID Pelanggan", "PLG-0001", "PLG-0003", "PLG-0005"]
    assert by_admin.status_code == 200
    assert body_of(by_admin) == stored
    assert [response.status_code for response in other_responses] == [404, 404, 404]
    assert other_retry.status_code == 404
    assert export.state == CustomerExport.State.DONE


def test_download_needs_export_right(client, make_site_admin, customers):
    owner = make_site_admin("admin-cbn", "CBN")
    client.force_login(owner)
    export = queue(client)
    owner.user_permissions.clear()

    response = client.get(export_url("export-download", export))

    assert response.status_code == 403


def test_export_records_covered_sites(client, admin_user, make_site_admin, customers, catalogue):
    sites, _packages = catalogue
    Customer.objects.create(number="PLG-0006", name="Tanpa Site", address="Jl. Dahlia 3")
    owner = make_site_admin("admin-dua", "CBN", "BJG")
    client.force_login(owner)
    own_export = queue(client)
    client.force_login(admin_user)
    admin_export = queue_again(client)

    own_export.refresh_from_db()
    admin_export.refresh_from_db()
    assert own_export.site_ids == sorted([sites["CBN"].pk, sites["BJG"].pk])
    assert admin_export.site_ids == [None, *sorted(site.pk for site in sites.values())]


def test_lost_site_blocks_download(client, admin_user, make_site_admin, customers, catalogue):
    sites, _packages = catalogue
    owner = make_site_admin("admin-dua", "CBN", "BJG")
    client.force_login(owner)
    export = queue(client)
    sites["BJG"].staff.remove(owner)

    download = client.get(export_url("export-download", export))
    detail = client.get(export_url("export-detail", export)).content.decode()
    history = client.get(reverse("customers:export-list")).content.decode()
    client.force_login(admin_user)
    by_admin = client.get(export_url("export-download", export))

    # The link leads to the export page, which shows the reason.
    assert (download.status_code, download.url) == (302, export_url("export-detail", export))
    assert 'id="download-button"' not in detail
    assert (
        '<p class="warning-box" id="download-refused">Anda tidak lagi mengelola semua Site yang pelanggannya ada '
        "di file ini, jadi file ini tidak bisa diunduh. Ekspor lagi dari daftar pelanggan.</p>"
    ) in detail
    assert f'id="export-{export.pk}"' in history
    assert export_url("export-download", export) not in history
    assert by_admin.status_code == 200


def test_demoted_admin_loses_no_site_export(client, admin_user, customers, catalogue):
    sites, _packages = catalogue
    Customer.objects.create(number="PLG-0006", name="Tanpa Site", address="Jl. Dahlia 3")
    client.force_login(admin_user)
    export = queue(client)
    admin_user.is_superuser = False
    admin_user.save(update_fields=["is_superuser"])
    for site in sites.values():
        site.staff.add(admin_user)
    grant(admin_user)

    response = client.get(export_url("export-download", export))

    assert (response.status_code, response.url) == (302, export_url("export-detail", export))


@pytest.mark.parametrize(
    ("filtered", "lost", "status_code"),
    [("CBN", "BJG", 200), ("CBN", "CBN", 302), (None, "BJG", 302)],
    ids=["filter on kept site", "filter on lost site", "no site filter"],
)
def test_legacy_export_judged_by_filter(client, make_site_admin, customers, catalogue, filtered, lost, status_code):
    sites, _packages = catalogue
    owner = make_site_admin("admin-dua", "CBN", "BJG")
    client.force_login(owner)
    export = queue(client, data={"site": sites[filtered].pk} if filtered else {})
    CustomerExport.objects.filter(pk=export.pk).update(site_ids=None)
    sites[lost].staff.remove(owner)

    response = client.get(export_url("export-download", export))

    assert response.status_code == status_code


def test_site_scope_read_at_run_time(client, make_site_admin, customers, catalogue, deferred_tasks):
    sites, _packages = catalogue
    owner = make_site_admin("admin-dua", "CBN", "BJG")
    client.force_login(owner)
    export = queue(client)
    export.refresh_from_db()
    queued_total = export.rows_total
    sites["BJG"].staff.remove(owner)

    run_export_task.call(str(export.pk))

    export.refresh_from_db()
    assert queued_total == 4
    assert export.state == CustomerExport.State.DONE
    assert (export.rows_done, export.rows_total) == (3, 3)
    rows = workbook_rows(Path(export.file.path).read_bytes())
    assert [row[0] for row in rows[1:]] == ["PLG-0001", "PLG-0003", "PLG-0005"]
    assert {row[6] for row in rows[1:]} == {"Cibinong"}


def test_filter_site_lost_fails_export(client, make_site_admin, customers, catalogue, deferred_tasks, settings):
    sites, _packages = catalogue
    owner = make_site_admin("admin-dua", "CBN", "BJG")
    client.force_login(owner)
    export = queue(client, data={"site": sites["CBN"].pk})
    sites["CBN"].staff.remove(owner)

    run_export_task.call(str(export.pk))

    export.refresh_from_db()
    assert export.state == CustomerExport.State.FAILED
    assert export.error_code == "invalid_filter"
    assert export.file.name == ""
    assert export.finished_at is not None
    assert list((Path(settings.MEDIA_ROOT) / "exports").glob("**/*.*")) == []


@pytest.mark.parametrize("change", ["deactivated", "right removed"])
def test_requester_without_rights_gets_nothing(client, make_site_admin, customers, deferred_tasks, change):
    owner = make_site_admin("admin-cbn", "CBN")
    client.force_login(owner)
    export = queue(client)
    if change == "deactivated":
        owner.is_active = False
        owner.save(update_fields=["is_active"])
    else:
        owner.user_permissions.clear()

    run_export_task.call(str(export.pk))

    export.refresh_from_db()
    assert export.state == CustomerExport.State.FAILED
    assert export.error_code == "no_permission"
    assert export.file.name == ""


def test_failed_export_page_shows_reason(admin_client, customers, deferred_tasks):
    export = queue(admin_client)
    CustomerExport.objects.filter(pk=export.pk).update(
        state=CustomerExport.State.FAILED, error_code="no_permission", finished_at=timezone.now()
    )

    page = admin_client.get(export_url("export-detail", export)).content.decode()

    assert (
        '<p class="message error" id="export-error">Akun yang meminta ekspor ini tidak lagi boleh mengekspor '
        "pelanggan, jadi tidak ada yang diekspor.</p>"
    ) in page
    assert 'id="retry-button"' not in page
    assert 'id="retry-advice"' in page


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        ("worker_lost", None),
        ("internal_error", None),
        (
            "no_permission",
            "Trying again would fail the same way. When the account may export customers again, "
            "which an admin sets on the Staff page, export again from the customer list.",
        ),
        ("invalid_filter", "Trying again would fail the same way, because it uses the same filter."),
        ("", "This export cannot be tried again. Export again from the customer list."),
    ],
    ids=["worker_lost", "internal_error", "no_permission", "invalid_filter", "no code"],
)
def test_retry_offered_only_when_retryable(admin_client, customers, deferred_tasks, code, advice):
    export = queue(admin_client)
    CustomerExport.objects.filter(pk=export.pk).update(
        state=CustomerExport.State.FAILED, error_code=code, finished_at=timezone.now()
    )
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(export_url("export-detail", export)).content.decode()

    if advice is None:
        assert 'id="retry-button"' in page
        assert 'id="retry-advice"' not in page
    else:
        assert 'id="retry-button"' not in page
        assert f'<p class="warning-box" id="retry-advice">{advice}</p>' in page
    # Only a known reason gets the error box, because an empty box would be blank.
    assert ('id="export-error"' in page) == bool(code)


@pytest.mark.parametrize("code", ["worker_lost", "internal_error"])
def test_retry_queues_retryable_failure(admin_client, customers, deferred_tasks, code):
    export = queue(admin_client)
    CustomerExport.objects.filter(pk=export.pk).update(
        state=CustomerExport.State.FAILED, error_code=code, finished_at=timezone.now()
    )

    response = admin_client.post(export_url("export-retry", export))

    export.refresh_from_db()
    assert (response.status_code, response.url) == (302, export_url("export-detail", export))
    assert export.state == CustomerExport.State.QUEUED
    assert export.error_code == ""
    assert export.finished_at is None


@pytest.mark.parametrize("code", ["no_permission", "invalid_filter", ""], ids=["no_permission", "invalid_filter", "no code"])
def test_retry_of_unretryable_failure_rejected(admin_client, customers, deferred_tasks, code):
    export = queue(admin_client)
    failed_at = timezone.now()
    CustomerExport.objects.filter(pk=export.pk).update(
        state=CustomerExport.State.FAILED, error_code=code, finished_at=failed_at
    )
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(export_url("export-retry", export), follow=True)

    export.refresh_from_db()
    assert export.state == CustomerExport.State.FAILED
    assert export.error_code == code
    assert export.finished_at == failed_at
    assert [str(message) for message in response.context["messages"]] == ["This export cannot be tried again."]


def test_stale_export_fails_then_retries(admin_client, customers, settings, deferred_tasks):
    export = queue(admin_client)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_SECONDS + 5)
    CustomerExport.objects.filter(pk=export.pk).update(
        state=CustomerExport.State.RUNNING, started_at=long_ago, heartbeat_at=long_ago, rows_done=2
    )

    admin_client.get(export_url("export-detail", export))
    export.refresh_from_db()
    failed_state, failed_code = export.state, export.error_code
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    response = admin_client.post(export_url("export-retry", export))

    export.refresh_from_db()
    assert (failed_state, failed_code) == (CustomerExport.State.FAILED, "worker_lost")
    assert response.status_code == 302
    assert response.url == export_url("export-detail", export)
    assert export.state == CustomerExport.State.DONE
    assert export.error_code == ""
    assert (export.rows_done, export.rows_total) == (5, 5)
    assert Path(export.file.path).exists()


def test_retry_of_done_export_rejected(admin_client, customers):
    export = queue(admin_client)
    first_file = export.file.name

    response = admin_client.post(export_url("export-retry", export), follow=True)

    export.refresh_from_db()
    assert export.state == CustomerExport.State.DONE
    assert export.file.name == first_file
    assert [str(message) for message in response.context["messages"]] == [
        "Hanya ekspor yang gagal yang dapat dicoba lagi."
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_export_at_threshold_is_immediate(admin_client, customers, settings, method):
    settings.EXPORT_INLINE_MAX_ROWS = 5

    response = getattr(admin_client, method)(EXPORT_URL)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="pelanggan-')
    assert len(workbook_rows(body_of(response))) == 6
    assert CustomerExport.objects.get().sent_directly


@pytest.mark.parametrize("method", ["get", "post"])
def test_invalid_filter_refused_before_queueing(client, make_site_admin, customers, catalogue, method):
    sites, _packages = catalogue
    client.force_login(make_site_admin("admin-cbn", "CBN"))

    response = getattr(client, method)(EXPORT_URL, {"site": sites["BJG"].pk, "format": "csv"})

    assert response.status_code == 302
    assert response.url == f"/customers/?site={sites['BJG'].pk}"
    assert CustomerExport.objects.count() == 0


class FormReader(HTMLParser):
    """Collect the action and the hidden inputs of every form of a page,
    keyed by the id of the form's submit button."""

    def __init__(self):
        super().__init__()
        self.forms = {}
        self._action = None
        self._hidden = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._action, self._hidden = attributes.get("action"), []
        elif tag == "input" and attributes.get("type") == "hidden" and self._action is not None:
            self._hidden.append((attributes["name"], attributes["value"]))
        elif tag == "button" and attributes.get("type") == "submit" and self._action is not None:
            self.forms[attributes.get("id")] = (self._action, self._hidden)

    def handle_endtag(self, tag):
        if tag == "form":
            self._action = None


def page_forms(response):
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader.forms


def without_token(fields):
    return [(name, value) for name, value in fields if name != "csrfmiddlewaretoken"]


def test_list_buttons_post_every_filter(admin_client, customers, catalogue):
    sites, _packages = catalogue
    query = {
        "q": "a",
        "site": str(sites["CBN"].pk),
        "missing": "address",
        "status": "active",
        "incomplete": "1",
        "sort": "-name",
        "page": "1",
    }
    expected = [
        ("q", "a"),
        ("site", str(sites["CBN"].pk)),
        ("missing", "address"),
        ("status", "active"),
        ("incomplete", "1"),
        ("sort", "-name"),
    ]

    forms = page_forms(admin_client.get(reverse("customers:list"), query))

    assert forms["export-xlsx"][0] == EXPORT_URL
    assert without_token(forms["export-xlsx"][1]) == expected
    assert forms["export-csv"][0] == EXPORT_URL
    assert without_token(forms["export-csv"][1]) == [*expected, ("format", "csv")]
    assert forms["export-incomplete"][0] == INCOMPLETE_URL
    assert without_token(forms["export-incomplete"][1]) == [field for field in expected if field[0] != "incomplete"]
    for button in ("export-xlsx", "export-csv", "export-incomplete"):
        assert forms[button][1][0][0] == "csrfmiddlewaretoken", button


def test_list_csv_button_queues_filtered_export(admin_client, customers, catalogue, deferred_tasks):
    sites, _packages = catalogue
    list_page = admin_client.get(reverse("customers:list"), {"site": sites["CBN"].pk, "sort": "-name"})
    action, fields = page_forms(list_page)["export-csv"]

    response = admin_client.post(action, dict(fields))

    export = CustomerExport.objects.get()
    assert (response.status_code, response.url) == (302, export_url("export-detail", export))
    assert export.query == f"site={sites['CBN'].pk}&sort=-name"
    assert export.format == CustomerExport.Format.CSV
    assert export.scope == CustomerExport.Scope.ALL
    assert export.state == CustomerExport.State.QUEUED


@pytest.mark.parametrize(
    ("url", "scope_label", "count"),
    [
        (EXPORT_URL, "Customers matching the filter", 5),
        (INCOMPLETE_URL, "Incomplete customers matching the filter", 2),
    ],
    ids=["export", "incomplete"],
)
def test_get_of_large_export_creates_nothing(admin_client, customers, deferred_tasks, settings, url, scope_label, count):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    admin_client.cookies["django_language"] = "en"

    response = admin_client.get(url, {"q": "a", "sort": "name", "page": "2", "unknown": "x"})

    page = " ".join(response.content.decode().split())
    action, fields = page_forms(response)["export-start"]
    assert response.status_code == 200
    assert CustomerExport.objects.count() == 0
    assert action == url
    assert without_token(fields) == [("q", "a"), ("sort", "name")]
    assert fields[0][0] == "csrfmiddlewaretoken"
    assert f'<p class="muted">{scope_label} · Excel (.xlsx)</p>' in page
    assert (
        f'<p id="export-size">{count} customers match this filter, more than the 1 sent at once, so the file is written '
        "in the background. Its page shows the progress and then a download button.</p>"
    ) in page
    assert '<a class="button" href="/customers/?q=a&amp;sort=name">Customer list</a>' in page


def test_confirm_page_button_queues_export(admin_client, customers, deferred_tasks):
    confirm = admin_client.get(EXPORT_URL, {"q": "a", "format": "csv"})
    action, fields = page_forms(confirm)["export-start"]

    response = admin_client.post(action, dict(fields))

    export = CustomerExport.objects.get()
    assert without_token(fields) == [("q", "a"), ("format", "csv"), ("delimiter", "semicolon")]
    assert (response.status_code, response.url) == (302, export_url("export-detail", export))
    assert export.query == "q=a"
    assert export.format == CustomerExport.Format.CSV
    assert export.rows_total == 5


@pytest.mark.parametrize("url", [EXPORT_URL, INCOMPLETE_URL])
def test_export_post_needs_csrf_token(admin_user, customers, deferred_tasks, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(url, {"q": "a"})

    assert response.status_code == 403
    assert CustomerExport.objects.count() == 0


def test_export_rejects_other_methods(admin_client, customers, deferred_tasks):
    response = admin_client.put(EXPORT_URL)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert CustomerExport.objects.count() == 0


@pytest.mark.parametrize(
    ("scope", "file_format", "site", "status", "expected"),
    [
        ("all", "xlsx", None, "", "pelanggan-20261205.xlsx"),
        ("incomplete", "xlsx", None, "", "pelanggan-belum-lengkap-20261205.xlsx"),
        ("all", "xlsx", Site(pk=1, code="CBN"), "suspended", "pelanggan-CBN-isolir-20261205.xlsx"),
        ("all", "csv", Site(pk=1, code="CBN"), "", "pelanggan-CBN-20261205.csv"),
        ("all", "xlsx", None, "inactive", "pelanggan-nonaktif-20261205.xlsx"),
        ("incomplete", "xlsx", Site(pk=2, code="BJG"), "active", "pelanggan-belum-lengkap-BJG-aktif-20261205.xlsx"),
        ("all", "xlsx", NO_SITE, "", "pelanggan-tanpa-site-20261205.xlsx"),
        ("all", "xlsx", Site(pk=3, code="ÇI/BN  2"), "", "pelanggan-CI-BN-2-20261205.xlsx"),
        ("all", "csv", Site(pk=7, code="//"), "", "pelanggan-site-7-20261205.csv"),
    ],
    ids=[
        "no filter", "incomplete", "site and status", "site as csv", "status", "incomplete site and status",
        "no site", "unsafe code", "code without letters",
    ],
)
def test_export_file_name(scope, file_format, site, status, expected):
    customer_filter = CustomerFilter(site=site, status=status)

    name = exports.export_file_name(scope, file_format, datetime.date(2026, 12, 5), customer_filter)

    assert name == expected


def test_immediate_export_named_by_filter(admin_client, customers, catalogue):
    sites, _packages = catalogue
    Customer.objects.filter(number__in=["PLG-0001", "PLG-0005"]).update(status=Customer.Status.SUSPENDED)

    response = admin_client.post(EXPORT_URL, {"site": sites["CBN"].pk, "status": "suspended", "format": "csv"})

    today = timezone.localdate()
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="pelanggan-CBN-isolir-{today:%Y%m%d}.csv"'
    assert CustomerExport.objects.get().file_name == f"pelanggan-CBN-isolir-{today:%Y%m%d}.csv"


def test_queued_export_named_by_filter(admin_client, customers, deferred_tasks, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    Customer.objects.filter(number__in=["PLG-0003", "PLG-0005"]).update(site=None)

    export = queue(admin_client, url=INCOMPLETE_URL, data={"site": NO_SITE, "status": "active"})

    assert export.rows_total == 2
    assert export.file_name == f"pelanggan-belum-lengkap-tanpa-site-aktif-{timezone.localdate():%Y%m%d}.xlsx"


def test_queued_csv_export_content(admin_client, customers, catalogue):
    sites, _packages = catalogue

    export = queue(admin_client, data={"site": sites["CBN"].pk, "format": "csv"})

    export.refresh_from_db()
    body = Path(export.file.path).read_bytes()
    download = admin_client.get(export_url("export-download", export))
    assert export.format == CustomerExport.Format.CSV
    assert export.csv_delimiter == CustomerExport.CsvDelimiter.SEMICOLON
    assert export.file_name == f"pelanggan-CBN-{timezone.localdate():%Y%m%d}.csv"
    assert body.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")) == [
        list(HEADER),
        [
            "PLG-0001", "Budi Santoso", "0812-3456-7890", "", "************0001", "Jl. Mawar 5", "Cibinong",
            "Home 20 Mbps", "2024-01-05", "", "", "", "", "", "", "", "Aktif", "", "",
        ],
        ["PLG-0003", "Agus Salim", "021-8765432", "", "", "", "Cibinong", "Home 10 Mbps", *[""] * 8, "Aktif", "", ""],
        ["PLG-0005", "Rudi Hartono", "0857-1234-5678", "", "", "Jl. Anggrek 1", "Cibinong", *[""] * 9, "Aktif", "", ""],
    ]
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert body_of(download) == body


def test_queued_incomplete_export_content(admin_client, customers, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1

    export = queue(admin_client, url=INCOMPLETE_URL, data={"q": "a"})

    export.refresh_from_db()
    body = Path(export.file.path).read_bytes()
    assert export.scope == CustomerExport.Scope.INCOMPLETE
    assert export.query == "q=a"
    assert export.file_name == f"pelanggan-belum-lengkap-{timezone.localdate():%Y%m%d}.xlsx"
    assert [row[0] for row in workbook_rows(body)] == ["ID Pelanggan", "PLG-0003", "PLG-0005"]
    assert workbook_rows(body, sheet_index=1)[0] == ("Site", "Paket")


def test_progress_shows_rows_and_time_left(admin_client, customers, deferred_tasks, monkeypatch):
    export = queue(admin_client)
    now = timezone.now()
    CustomerExport.objects.filter(pk=export.pk).update(
        state=CustomerExport.State.RUNNING,
        phase="writing",
        rows_done=2000,
        rows_total=5000,
        started_at=now - datetime.timedelta(seconds=10),
        heartbeat_at=now,
    )
    # The rate is measured at `now`, however long the request takes.
    monkeypatch.setattr(export_views, "timezone", SimpleNamespace(now=lambda: now))

    response = admin_client.get(export_url("export-progress", export))
    page = " ".join(response.content.decode().split())

    assert response.status_code == 200
    assert "HX-Refresh" not in response
    assert 'hx-get="%s"' % export_url("export-progress", export) in page
    assert '<progress id="progress-bar" max="5000" value="2000"></progress>' in page
    assert "2.000 dari 5.000 baris · 200 baris per detik · sisa sekitar 15 detik" in page


def test_progress_refreshes_page_when_done(admin_client, customers):
    export = queue(admin_client)

    progress = admin_client.get(export_url("export-progress", export))
    detail = admin_client.get(export_url("export-detail", export)).content.decode()

    assert progress["HX-Refresh"] == "true"
    assert f'<a class="button primary" id="download-button" href="{export_url("export-download", export)}">' in detail


def test_export_history_lists_own_exports(client, admin_user, make_site_admin, customers):
    first = make_site_admin("admin-cbn", "CBN")
    second = make_site_admin("admin-cbn-2", "CBN")
    client.force_login(first)
    first_export = queue(client)
    client.force_login(second)
    client.post(EXPORT_URL, {"format": "csv"})
    second_export = CustomerExport.objects.get(created_by=second)

    second_page = client.get(reverse("customers:export-list")).content.decode()
    client.force_login(admin_user)
    admin_page = client.get(reverse("customers:export-list")).content.decode()

    assert f'id="export-{second_export.pk}"' in second_page
    assert f'id="export-{first_export.pk}"' not in second_page
    assert f'id="export-{first_export.pk}"' in admin_page
    assert f'id="export-{second_export.pk}"' in admin_page


def test_direct_export_recorded_once(client, make_site_admin, customers, catalogue, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 5
    sites, _packages = catalogue
    user = make_site_admin("admin-cbn", "CBN")
    client.force_login(user)
    started = timezone.now()

    response = client.post(EXPORT_URL, {"site": sites["CBN"].pk, "format": "csv", "delimiter": "comma"})

    body = body_of(response)
    export = CustomerExport.objects.get()
    assert response.status_code == 200
    assert export.created_by == user
    assert started <= export.created_at <= timezone.now()
    assert export.query == f"site={sites['CBN'].pk}"
    assert export.scope == CustomerExport.Scope.ALL
    assert export.format == CustomerExport.Format.CSV
    assert export.csv_delimiter == CustomerExport.CsvDelimiter.COMMA
    assert export.include_nik is False
    assert export.state == CustomerExport.State.DONE
    assert (export.rows_done, export.rows_total) == (3, 3)
    assert export.site_ids == [sites["CBN"].pk]
    assert export.sent_directly is True
    assert export.file.name == ""
    assert export.file_size == len(body)
    assert export.file_name == response["Content-Disposition"].split('filename="')[1].rstrip('"')


def test_incomplete_direct_export_recorded(admin_client, admin_user, customers, catalogue):
    response = admin_client.get(INCOMPLETE_URL)

    export = CustomerExport.objects.get()
    assert response.status_code == 200
    assert export.created_by == admin_user
    assert export.scope == CustomerExport.Scope.INCOMPLETE
    assert export.format == CustomerExport.Format.XLSX
    assert (export.rows_done, export.rows_total) == (2, 2)
    assert export.site_ids == [catalogue[0]["CBN"].pk]
    assert export.sent_directly is True


def test_direct_export_history_per_role(client, admin_user, make_site_admin, customers, catalogue, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 5
    sites, _packages = catalogue
    owner = make_site_admin("admin-cbn", "CBN")
    other = make_site_admin("admin-cbn-2", "CBN")
    client.force_login(owner)
    client.post(EXPORT_URL, {"site": sites["CBN"].pk})
    export = CustomerExport.objects.get()
    row = f'<tr id="export-{export.pk}">'

    owner_page = client.get(reverse("customers:export-list")).content.decode()
    owner_detail = client.get(export_url("export-detail", export))
    owner_download = client.get(export_url("export-download", export))
    client.force_login(other)
    other_page = client.get(reverse("customers:export-list")).content.decode()
    other_detail = client.get(export_url("export-detail", export))
    client.force_login(admin_user)
    admin_page = client.get(reverse("customers:export-list")).content.decode()
    admin_detail = client.get(export_url("export-detail", export)).content.decode()

    assert row in owner_page
    assert '<span class="muted sent-directly">' in owner_page
    assert owner_detail.status_code == 200
    assert 'id="sent-directly"' in owner_detail.content.decode()
    assert 'id="download-button"' not in owner_detail.content.decode()
    assert 'id="file-deleted"' not in owner_detail.content.decode()
    assert owner_download.status_code == 302
    assert owner_download.url == export_url("export-detail", export)
    assert row not in other_page
    assert other_detail.status_code == 404
    assert row in admin_page
    assert 'id="sent-directly"' in admin_detail


def test_direct_export_page_wording(admin_client, customers, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 5
    admin_client.cookies["django_language"] = "en"
    admin_client.get(EXPORT_URL)
    export = CustomerExport.objects.get()

    page = admin_client.get(reverse("customers:export-list")).content.decode()
    detail = admin_client.get(export_url("export-detail", export)).content.decode()

    assert '<span class="muted sent-directly">(downloaded directly, file not kept)</span>' in page
    assert (
        '<p class="muted" id="sent-directly">5 customers, downloaded directly. The file was not kept: '
        "export again from the customer list.</p>"
    ) in detail
    assert '<span id="export-nik">NIK masked</span>' in detail


# --- retention ------------------------------------------------------------------


def purge(*args):
    out = io.StringIO()
    call_command("purge_import_files", *args, stdout=out)
    return out.getvalue()


def test_purge_deletes_old_export_files(admin_client, customers, settings):
    old = queue(admin_client)
    recent = queue_again(admin_client)
    CustomerExport.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS + 1)
    )
    old.refresh_from_db()
    old_path = Path(old.file.path)

    output = purge()

    old.refresh_from_db()
    recent.refresh_from_db()
    page = admin_client.get(export_url("export-detail", old)).content.decode()
    assert output == (
        "Deleted 0 batch files and 0 unreferenced files older than 30 days, and cancelled 0 batches left in review.\n"
        "Deleted 1 export files and 0 unreferenced export files older than 7 days.\n"
    )
    assert not old_path.exists()
    assert old.file.name == ""
    assert old.state == CustomerExport.State.DONE
    assert Path(recent.file.path).exists()
    # The old download link leads to the export page, which shows that the file is deleted.
    assert admin_client.get(export_url("export-download", old)).status_code == 302
    assert 'id="file-deleted"' in page


def queue_again(client):
    """Post a second export request that is queued, as CSV, and return the export."""
    response = client.post(EXPORT_URL, {"format": "csv"})
    assert response.status_code == 302
    return CustomerExport.objects.get(format=CustomerExport.Format.CSV)


def test_purge_deletes_orphan_export_files(settings, db):
    folder = Path(settings.MEDIA_ROOT) / "exports" / "2024" / "01"
    folder.mkdir(parents=True)
    old = folder / ("a" * 32 + ".xlsx")
    new = folder / ("b" * 32 + ".xlsx")
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    past = (timezone.now() - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS + 1)).timestamp()
    os.utime(old, (past, past))

    output = purge("--dry-run")
    kept_by_dry_run = old.exists()
    purge()

    assert output.endswith("Would delete 0 export files and 1 unreferenced export files older than 7 days.\n")
    assert kept_by_dry_run
    assert not old.exists()
    assert new.exists()


def test_purge_keeps_running_export(admin_client, customers, deferred_tasks):
    export = queue(admin_client)
    CustomerExport.objects.filter(pk=export.pk).update(state=CustomerExport.State.RUNNING)

    output = purge("--export-days", "0")

    assert CustomerExport.objects.get(pk=export.pk).state == CustomerExport.State.RUNNING
    assert "export" not in output


@pytest.mark.django_db(transaction=True)
def test_export_lets_others_write_meanwhile(customers, catalogue, monkeypatch):
    sites, _packages = catalogue
    monkeypatch.setattr(export_writer, "EXPORT_CHUNK", 2)
    writing = threading.Event()
    errors = []
    writers = []

    def write_site_address():
        # Another request's write, still uncommitted when the export reports progress.
        try:
            with transaction.atomic():
                Site.objects.filter(pk=sites["CTY"].pk).update(address="Jl. Raya Citayam 1")
                writing.set()
        except DatabaseError as error:
            errors.append(error)
            writing.set()
        finally:
            connection.close()

    reported = []

    def progress(rows_done):
        if not writers:
            writers.append(threading.Thread(target=write_site_address))
            writers[0].start()
            writing.wait(timeout=5)
        Site.objects.filter(pk=sites["CBN"].pk).update(address=f"{rows_done} baris")
        reported.append(rows_done)

    export_writer.write_customers_workbook(Customer.objects.order_by("number"), io.BytesIO(), progress=progress)
    writers[0].join(timeout=40)

    assert reported == [2, 4, 5]
    assert errors == []
    assert Site.objects.get(pk=sites["CTY"].pk).address == "Jl. Raya Citayam 1"
    assert Site.objects.get(pk=sites["CBN"].pk).address == "5 baris"


NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.parametrize(
    ("url", "data"),
    [(EXPORT_URL, {}), (EXPORT_URL, {"format": "csv"}), (INCOMPLETE_URL, {})],
)
def test_immediate_export_not_cached(admin_client, customers, settings, url, data):
    settings.EXPORT_INLINE_MAX_ROWS = 5

    response = admin_client.get(url, data)

    assert response["Content-Disposition"].startswith('attachment; filename="pelanggan-')
    assert response["Cache-Control"] == NO_STORE


def test_stored_export_not_cached(admin_client, customers):
    export = queue(admin_client)

    response = admin_client.get(export_url("export-download", export))

    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE
