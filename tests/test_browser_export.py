"""A large export's page in a real browser: the progress bar moves without
a reload, and the download button appears when the worker has finished."""

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from customers.importing.tasks import run_export_task
from customers.models import Customer, CustomerExport
from tests.browser import browser_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"


def test_export_progress_then_download(live_server, sample_catalogue, settings, django_user_model, tmp_path):
    sites, packages = sample_catalogue
    settings.EXPORT_INLINE_MAX_ROWS = 2
    # The test thread runs the task itself, after checking the queued page.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    for index in range(1, 6):
        Customer.objects.create(
            number=f"PLG-{index:04d}", name=f"Pelanggan {index}", site=sites["CBN"], package=packages["H10"]
        )

    with browser_page(live_server.url) as page:
        log_in(page, live_server.url, "admin", PASSWORD)
        # The list's Export button posts its filter with the csrf token.
        page.goto(f"{live_server.url}/customers/?site={sites['CBN'].pk}")
        page.click("#export-xlsx")
        page.wait_for_selector("#export-progress[data-state=queued]")
        export = CustomerExport.objects.get()
        page_url = page.url

        CustomerExport.objects.filter(pk=export.pk).update(
            state=CustomerExport.State.RUNNING, phase="writing", rows_done=3
        )
        page.wait_for_selector("#export-progress[data-done='3']")
        progress_text = " ".join(page.inner_text("#progress-text").split())
        bar_value = page.get_attribute("#progress-bar", "value")

        # Queued again, so the task claims it as a worker would.
        CustomerExport.objects.filter(pk=export.pk).update(state=CustomerExport.State.QUEUED, rows_done=0)
        run_export_task.call(str(export.pk))
        page.wait_for_selector("#download-button")
        reloaded_url = page.url
        with page.expect_download() as download_info:
            page.click("#download-button")
        download = download_info.value
        path = tmp_path / download.suggested_filename
        download.save_as(path)

    assert page_url == f"{live_server.url}/customers/exports/{export.pk}/"
    assert export.query == f"site={sites['CBN'].pk}"
    assert progress_text.startswith("3 dari 5 baris")
    assert bar_value == "3"
    assert reloaded_url == page_url
    assert download.suggested_filename == export.file_name
    assert export.file_name == f"pelanggan-CBN-{timezone.localdate():%Y%m%d}.xlsx"
    rows = list(load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert [row[0] for row in rows] == ["ID Pelanggan", "PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004", "PLG-0005"]
