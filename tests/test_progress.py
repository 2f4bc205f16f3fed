"""The progress a validation reports: the "opening" phase while an .xlsx
sheet is scanned, the rows read out of an estimated total, and how the
batch page shows both."""

import math
import zipfile
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from customers import import_views
from customers.importing import batches, pipeline
from customers.importing.reader import open_table
from customers.importing.readers import xlsx_fast
from customers.models import ImportBatch
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "Alamat"]


def customer_rows(count):
    rows = []
    for index in range(1, count + 1):
        rows.append([f"PLG-{index:05d}", f"Pelanggan {index}", f"0812{index:08d}", f"Jl. Mawar No. {index}"])
    return rows


def recorder():
    calls = []

    def progress(phase, rows_done, total=None):
        calls.append((phase, rows_done, total))

    return calls, progress


def test_scan_reports_share_read(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_fast, "SCAN_CHUNK_BYTES", 4096)
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, *customer_rows(300)])
    fractions = []
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        scan = xlsx_fast.scan_sheet(archive, info, 1024 * 1024, on_progress=fractions.append)
        chunks = math.ceil(info.file_size / 4096)

    assert scan.plain
    # The first report covers the head (at least HEAD_BYTES, read as one piece).
    assert len(fractions) == chunks - xlsx_fast.HEAD_BYTES // 4096 + 1
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


def test_validation_reports_opening_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_fast, "SCAN_CHUNK_BYTES", 4096)
    monkeypatch.setattr(pipeline, "PROGRESS_EVERY", 100)
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, *customer_rows(450)])
    calls, progress = recorder()

    plan = pipeline.build_plan(path, path.name, progress=progress)

    opening = [call for call in calls if call[0] == "opening"]
    reading = [call for call in calls if call[0] == "reading"]
    assert plan.rows_read == 450
    assert calls == opening + reading
    assert len(opening) >= 2
    percents = [percent for _phase, percent, _total in opening]
    assert all(later - earlier >= pipeline.OPENING_STEP for earlier, later in zip(percents, percents[1:]))
    assert percents[-1] == 99
    assert {total for _phase, _percent, total in opening} == {100}
    assert reading == [("reading", 0, 450), ("reading", 100, None), ("reading", 200, None),
                       ("reading", 300, None), ("reading", 400, None)]


def test_scan_counts_rows_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_fast, "SCAN_CHUNK_BYTES", 4096)
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, *customer_rows(300)])
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        scan = xlsx_fast.scan_sheet(archive, info, 1024 * 1024)

    assert info.file_size > 4 * 4096
    assert scan.row_tags == 301


def test_estimate_counts_styled_blank_rows(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    for row in [HEADER, *customer_rows(20)]:
        sheet.append(row)
    # Two blank rows with a fill: openpyxl writes a row tag for each.
    sheet["A30"].fill = PatternFill("solid", fgColor="FFFF00")
    sheet["A31"].fill = PatternFill("solid", fgColor="FFFF00")
    path = tmp_path / "pelanggan.xlsx"
    workbook.save(path)

    with open_table(path, "xlsx") as table:
        rows = list(table.rows())
        estimate = table.row_estimate

    assert len(rows) == 20
    assert estimate == 22


def test_reread_counts_out_of_known_total(tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, *customer_rows(5)])
    calls, progress = recorder()

    pipeline.build_plan(path, path.name, progress=progress, row_total=7)

    assert ("reading", 0, 7) in calls
    assert ("reading", 0, 5) not in calls


def test_csv_has_no_opening_phase(tmp_path):
    path = tmp_path / "pelanggan.csv"
    lines = [",".join(HEADER)] + [",".join(row) for row in customer_rows(3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls, progress = recorder()

    plan = pipeline.build_plan(path, path.name, progress=progress)

    assert plan.rows_read == 3
    assert calls == []


def test_reading_total_survives_opening(tmp_path):
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, *customer_rows(2)])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name)
    report = batches.ProgressReporter(batch)

    report("reading", 0, 450)
    report("opening", 35, 100)
    batch.refresh_from_db()
    assert batch.phase == "opening"
    assert batch.rows_done == 35
    assert batch.phase_total == 100

    report("reading", 0)
    batch.refresh_from_db()
    assert batch.phase == "reading"
    assert batch.rows_done == 0
    assert batch.phase_total == 450


def uploaded_batch(tmp_path):
    """Return a new batch of a two-customer workbook, not yet validated."""
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, *customer_rows(2)])
    with open(path, "rb") as handle:
        return batches.create_batch(handle, path.name)


def test_page_shows_opening_percentage(admin_client, tmp_path):
    batch = uploaded_batch(tmp_path)
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.VALIDATING, phase="opening", rows_done=40, phase_total=100,
        phase_started_at=timezone.now() - timedelta(seconds=4), heartbeat_at=timezone.now(),
    )

    page = admin_client.get(reverse("customers:batch-progress", args=[batch.pk])).content.decode()

    assert '<span id="progress-phase">Membuka file</span>' in page
    assert '<progress id="progress-bar" max="100" value="40"></progress>' in page
    assert "40% sheet sudah diperiksa sebelum barisnya dibaca" in page
    # No rate is shown for a percentage.
    assert "per detik" not in page
    assert "40 dari 100" not in page


def test_page_shows_reading_estimate(admin_client, tmp_path, monkeypatch):
    batch = uploaded_batch(tmp_path)
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.VALIDATING, phase="reading", rows_done=1200, phase_total=4800,
        phase_started_at=now - timedelta(seconds=4), heartbeat_at=now,
    )
    # The rate is measured at `now`, whatever the request takes.
    monkeypatch.setattr(import_views, "timezone", SimpleNamespace(now=lambda: now))

    page = admin_client.get(reverse("customers:batch-progress", args=[batch.pk])).content.decode()

    assert '<span id="progress-phase">Membaca dan memeriksa baris</span>' in page
    assert '<progress id="progress-bar" max="4800" value="1200"></progress>' in page
    assert "1.200 dari sekitar 4.800 baris" in page
    assert "300 baris per detik" in page
    assert "sisa sekitar 12 detik" in page


def test_silent_worker_replaces_time_left(admin_client, tmp_path, monkeypatch):
    batch = uploaded_batch(tmp_path)
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.VALIDATING, phase="reading", rows_done=1200, phase_total=4800,
        phase_started_at=now - timedelta(seconds=50), heartbeat_at=now - timedelta(seconds=45),
    )
    monkeypatch.setattr(import_views, "timezone", SimpleNamespace(now=lambda: now))
    url = reverse("customers:batch-progress", args=[batch.pk])

    page = admin_client.get(url).content.decode()

    assert "1.200 dari sekitar 4.800 baris" in page
    assert (
        "Worker belum melapor selama 45 detik. Jika worker berhenti, impor ini ditandai gagal 5 menit "
        "setelah laporan terakhirnya, lalu dapat diulang."
    ) in page
    assert "per detik" not in page
    assert "sisa sekitar" not in page

    # A report within the quiet time brings the time left back.
    ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=now - timedelta(seconds=29))
    page = admin_client.get(url).content.decode()
    assert "belum melapor" not in page
    assert "24 baris per detik" in page


@pytest.mark.parametrize("progress_database, first_phase", [(None, "saving"), ("progress", "checking")])
def test_save_names_phase_before_transaction(settings, monkeypatch, tmp_path, progress_database, first_phase):
    settings.IMPORT_PROGRESS_DATABASE = progress_database
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, *customer_rows(3)])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name)
    batches.validate_batch(batch)
    phases = []
    original = batches.ProgressReporter.__call__

    def recording(self, phase, rows_done, total=None):
        phases.append((phase, rows_done, total))
        return original(self, phase, rows_done, total)

    monkeypatch.setattr(batches.ProgressReporter, "__call__", recording)

    batches.commit_batch(batch)

    # Without a second connection nothing written inside the save's
    # transaction shows, so "saving" is written before it starts.
    assert phases[0] == ("reading", 0, 3)
    assert phases[1][0] == first_phase
    if progress_database is None:
        assert phases[1] == ("saving", 0, 3)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
