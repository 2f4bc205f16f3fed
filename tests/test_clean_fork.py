"""Row cleaning in a forked child process gives the plan of one process."""

import datetime
import logging
import os
import pickle
import random
import time

import pytest
from openpyxl import Workbook

from customers.importing import forked, forked_cleaning, pipeline
from customers.importing.cells import RawRow
from customers.importing.headers import map_headers
from customers.importing.rows import clean_row
from tests.importing_helpers import CASES_DIR, SAMPLE_CSV, SAMPLE_XLSX
from tests.test_region_fork import HUNG_CHILD_SLEEP_SECONDS, NEVER_FORK, plan_snapshot

pytestmark = pytest.mark.django_db

CHILD_LOG_PREFIX = "Child process %s cleaned rows"
HEADER = [
    "ID Pelanggan", "Nama", "No HP", "Email", "NIK", "Alamat", "Site", "Paket",
    "Tanggal Pasang", "Latitude", "Longitude", "RT/RW", "Keterangan", "", "Catatan Lain",
]
# Rows of each chunk in the tests, so a few hundred rows span many chunks.
TEST_CHUNK_ROWS = 40


@pytest.fixture
def catalogue(sample_catalogue, regions_loaded):
    return sample_catalogue


def build(path, monkeypatch, clean_fork_min_rows, **options):
    monkeypatch.setattr(pipeline, "REGION_FORK_MIN_ROWS", NEVER_FORK)
    monkeypatch.setattr(forked_cleaning, "CLEAN_FORK_MIN_ROWS", clean_fork_min_rows)
    monkeypatch.setattr(forked_cleaning, "CHUNK_ROWS", TEST_CHUNK_ROWS)
    return pipeline.build_plan(path, path.name, **options)


def cleaning_children(caplog):
    """Return the pids that forked children reported after cleaning rows."""
    return [
        record.args[0]
        for record in caplog.records
        if record.name == forked_cleaning.logger.name and record.msg.startswith(CHILD_LOG_PREFIX)
    ]


def mixed_rows(count, seed=5):
    """Return sheet rows (header first) mixing valid rows, problem rows,
    notes, total rows, the template's example row, rows with only an
    unmapped cell and a cell in the column without a header."""
    rng = random.Random(seed)
    rows = [HEADER]
    for index in range(count):
        number = f"PLG-{index:05d}"
        row = [
            number,
            f"Pelanggan {index}",
            f"0812{rng.randint(1000000, 9999999)}",
            f"p{index}@contoh.id",
            f"320101{1 + index % 28:02d}0190{index:04d}",
            f"Jl. Mawar No. {index}, Pabuaran, Cibinong",
            rng.choice(["Cibinong", "Bojonggede", "Situ Lain", None]),
            rng.choice(["Home 20 Mbps", "home 10 mbps", "Paket Hilang", None]),
            datetime.datetime(2024, 1 + index % 12, 1 + index % 28),
            -6.48 - index / 100_000,
            106.84 + index / 100_000,
            None,
            None,
            None,
            None,
        ]
        kind = index % 13
        if kind == 1:
            row[1] = None  # no name: a problem
        elif kind == 2:
            row[3] = "bukan email"  # an email left out with a note
        elif kind == 3:
            row[2] = "12"  # an invalid phone: a problem
        elif kind == 4:
            row[8] = datetime.datetime(2099, 1, 1)  # a date after today: a note
        elif kind == 5:
            row[9], row[10] = 106.84, -6.48  # swapped coordinates: a note
        elif kind == 6:
            row[11] = "004/011"
        elif kind == 7:
            row[12] = "x" * 1200  # notes cut: a note
        elif kind == 8:
            row[5] = "Jl. Melati RT 02 RW 03, Cibinong"
            row[11] = "004/011"  # another RT/RW than the Alamat's: a note
        elif kind == 9:
            row[13] = "tanpa judul"  # a cell in the column without a header
        elif kind == 10:
            row[4] = "3201013102900001"  # a NIK born on 31 February: a problem
        if index % 97 == 50:
            row = ["Total", None, None, None, None, None, None, None, None, None, None, None, None, None, index]
        if index == 230:
            row[0] = "CONTOH-001"
        if index % 61 == 30:
            row = [None] * 14 + ["hanya catatan"]
        rows.append(row)
    return rows


def write_sheet(path, rows, hidden=()):
    """Write `rows` to an .xlsx at `path`, hiding the sheet rows in `hidden`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    for row in rows:
        sheet.append(row)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    workbook.save(path)
    return path


@pytest.fixture
def mixed_workbook(tmp_path):
    return write_sheet(tmp_path / "campuran.xlsx", mixed_rows(600), hidden=(7, 95, 333, 560))


@pytest.mark.parametrize(
    "path",
    [
        SAMPLE_XLSX,
        SAMPLE_CSV,
        CASES_DIR / "case04_tanggal_campur.xlsx",
        CASES_DIR / "case12_header_baris4.xlsx",
        CASES_DIR / "case13_sel_gabung.xlsx",
        CASES_DIR / "case15_duplikat.xlsx",
    ],
    ids=lambda path: path.name,
)
def test_sample_workbooks_same_plan(catalogue, monkeypatch, caplog, path):
    caplog.set_level(logging.DEBUG, logger=forked_cleaning.logger.name)
    one_process = plan_snapshot(build(path, monkeypatch, NEVER_FORK))
    assert cleaning_children(caplog) == []

    two_processes = plan_snapshot(build(path, monkeypatch, 1))

    assert len(cleaning_children(caplog)) == 1
    assert two_processes == one_process


def test_mixed_workbook_same_plan(catalogue, monkeypatch, caplog, mixed_workbook):
    caplog.set_level(logging.DEBUG, logger=forked_cleaning.logger.name)
    one_process = build(mixed_workbook, monkeypatch, NEVER_FORK)

    two_processes = build(mixed_workbook, monkeypatch, 100)

    pids = cleaning_children(caplog)
    assert len(pids) == 1
    assert pids[0] != os.getpid()
    assert plan_snapshot(two_processes) == plan_snapshot(one_process)
    assert two_processes.hidden_rows == [7, 95, 333, 560]
    assert len(two_processes.rows) == 600 - 6 - 1 - 10
    footers = [(problem.row, problem.code) for _kind, problem in two_processes.file_findings]
    assert footers == [
        (52, "footer_skipped"), (149, "footer_skipped"), (232, "example_skipped"), (246, "footer_skipped"),
        (343, "footer_skipped"), (440, "footer_skipped"), (537, "footer_skipped"),
    ]
    assert two_processes.counts()["invalid"] == one_process.counts()["invalid"] == 136


def test_mixed_workbook_row_values(catalogue, monkeypatch, caplog, mixed_workbook):
    caplog.set_level(logging.DEBUG, logger=forked_cleaning.logger.name)

    plan = build(mixed_workbook, monkeypatch, 100)

    assert len(cleaning_children(caplog)) == 1

    # Sheet row 601 (data row 599, kind 1) is in the last chunk and has no name.
    last = plan.rows[-1]
    assert last.clean.number == 601
    assert last.kind == "invalid"
    assert [(problem.code, problem.column) for problem in last.clean.problems] == [("name_missing", "Nama")]
    # Sheet row 13 is data row 11 (kind 11): valid, in the child's first chunk.
    row = next(row for row in plan.rows if row.clean.number == 13)
    assert row.fields["number"] == "PLG-00011"
    assert row.fields["installed_on"] == datetime.date(2024, 12, 12)
    notes = next(row for row in plan.rows if row.clean.number == 22).clean.notes
    assert [(note.code, dict(note.params)) for note in notes] == [
        ("notes_cut", {"length": 1200, "limit": 1000}),
    ]


def test_first_chunk_cleaned_in_child(catalogue, monkeypatch, mixed_workbook):
    cleaned_in = {}
    original = forked_cleaning.clean_row

    def clean_and_record(raw, *args, **kwargs):
        cleaned_in[raw.number] = os.getpid()
        return original(raw, *args, **kwargs)

    monkeypatch.setattr(forked_cleaning, "clean_row", clean_and_record)

    build(mixed_workbook, monkeypatch, 100)

    # The child's records stay in the child. This process cleaned the
    # first row, read before the fork, and whole chunks that it read while
    # the child was busy, but never the first chunk, which the child gets.
    assert set(cleaned_in.values()) == {os.getpid()}
    assert 2 in cleaned_in
    assert not set(range(3, 3 + TEST_CHUNK_ROWS)) & set(cleaned_in)
    assert len(cleaned_in) < 600
    chunks = {(number - 3) // TEST_CHUNK_ROWS for number in cleaned_in if number > 2}
    whole_chunks = set()
    for chunk in chunks:
        whole_chunks.update(range(3 + chunk * TEST_CHUNK_ROWS, 3 + (chunk + 1) * TEST_CHUNK_ROWS))
    assert set(cleaned_in) - {2} == whole_chunks & set(range(3, 602))


@pytest.mark.parametrize("failure", ["exit", "truncate", "hang"])
def test_failed_child_same_plan(catalogue, monkeypatch, caplog, settings, mixed_workbook, failure):
    """A child that exits, writes half of its result or sends nothing until
    the timeout, after which it is killed, gives the plan of one process,
    in far less time than a hung child sleeps."""
    one_process = plan_snapshot(build(mixed_workbook, monkeypatch, NEVER_FORK))
    settings.IMPORT_CHILD_TIMEOUT_SECONDS = 1
    monkeypatch.setattr(forked, "TEST_HANG_SECONDS", HUNG_CHILD_SLEEP_SECONDS)
    monkeypatch.setenv(forked.FAILURE_VARIABLE, failure)
    caplog.set_level(logging.DEBUG)

    started = time.monotonic()
    two_processes = plan_snapshot(build(mixed_workbook, monkeypatch, 100))
    elapsed = time.monotonic() - started

    warnings = [record.getMessage() for record in caplog.records if record.name == forked.logger.name]
    assert len(warnings) == 1
    if failure == "exit":
        assert f"failed with exit code {forked.TEST_FAILURE_EXIT_STATUS}" in warnings[0]
    elif failure == "truncate":
        assert "wrote no complete result" in warnings[0]
    else:
        assert "for row cleaning sent nothing for 1 s and was killed" in warnings[0]
    assert cleaning_children(caplog) == []
    assert elapsed < HUNG_CHILD_SLEEP_SECONDS / 2
    assert two_processes == one_process


def test_progress_rises_with_child(catalogue, monkeypatch, caplog, mixed_workbook):
    monkeypatch.setattr(pipeline, "PROGRESS_EVERY", 100)
    caplog.set_level(logging.DEBUG, logger=forked_cleaning.logger.name)
    calls = []

    build(mixed_workbook, monkeypatch, 100, progress=lambda *call: calls.append(call))

    assert len(cleaning_children(caplog)) == 1

    reading = [call for call in calls if call[0] == "reading"]
    assert reading == [("reading", 0, 600)] + [("reading", done) for done in (100, 200, 300, 400, 500)]


def test_clean_row_survives_pipe():
    header_map = map_headers(HEADER)
    rows = mixed_rows(40)
    today = datetime.date(2026, 1, 1)
    for number, cells in enumerate(rows[1:], start=2):
        raw = RawRow(number, tuple(cells), hidden=number == 9)
        clean = clean_row(raw, header_map, today=today)
        packed = pickle.dumps(forked_cleaning._packed(clean), protocol=pickle.HIGHEST_PROTOCOL)
        copy = forked_cleaning._unpacked(pickle.loads(packed))
        if clean is None:
            assert copy is None
            continue
        assert (copy.number, copy.values, copy.cells, copy.masked_nik) == (
            clean.number, clean.values, clean.cells, clean.masked_nik
        )
        for copied, original in zip(copy.problems + copy.notes, clean.problems + clean.notes):
            assert (copied.row, copied.column, copied.value, copied.code, copied.params) == (
                original.row, original.column, original.value, original.code, original.params
            )
            assert copied.message == original.message


def test_worker_killed_when_parent_raises():
    with pytest.raises(RuntimeError, match="parent part failed"):
        with forked.ForkedWorker(lambda request: request, "a test") as child:
            child.send([1, 2])
            assert child.receive() == [1, 2]
            raise RuntimeError("parent part failed")

    assert os.waitstatus_to_exitcode(child._status) == -9
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)


def test_worker_answers_in_order():
    with forked.ForkedWorker(lambda request: (os.getpid(), request * 2), "a test") as child:
        for request in range(5):
            child.send(request)
        answers = [child.receive() for _request in range(5)]
        report = child.close()

    assert answers == [(child.pid, 0), (child.pid, 2), (child.pid, 4), (child.pid, 6), (child.pid, 8)]
    assert child.pid != os.getpid()
    assert report["max_rss_kib"] > 0
    assert os.waitstatus_to_exitcode(child._status) == 0
