"""Region matching in a forked child process gives the plan of one process."""

import logging
import os
import random
import signal
import time

import pytest

from customers.importing import forked, pipeline
from tests.importing_helpers import CASES_DIR, SAMPLE_CSV, SAMPLE_XLSX, write_workbook

pytestmark = pytest.mark.django_db

# Larger than any test workbook, so build_plan stays in one process.
NEVER_FORK = 10**9
# How long a child made to hang sleeps: long enough that waiting for it
# shows, short enough that a test without the timeout still ends.
HUNG_CHILD_SLEEP_SECONDS = 20
FORK_LOG_PREFIX = "Child process "


@pytest.fixture
def catalogue(sample_catalogue, regions_loaded):
    return sample_catalogue


def plan_snapshot(plan):
    """Return every value of a plan that the review and the save read, with
    the params of each finding, which Problem's == leaves out."""

    def problems(entries):
        return [(p.row, p.column, p.value, p.code, dict(p.params)) for p in entries]

    rows = []
    for row in plan.rows:
        rows.append({
            "number": row.clean.number,
            "kind": row.kind,
            "fields": dict(row.fields),
            "village_from_address": row.village_from_address,
            "rt_rw": row.rt_rw,
            "name_missing": row.name_missing,
            "site_from_choice": row.site_from_choice,
            "column_site_id": row.column_site_id,
            "problems": problems(row.clean.problems),
            "notes": problems(row.clean.notes),
            "findings": [(kind, *problems([p])[0]) for kind, p in row.findings],
        })
    return {
        "rows": rows,
        "file_findings": [(kind, *problems([p])[0]) for kind, p in plan.file_findings],
        "counts": plan.counts(),
        "summary": plan.summary(),
        "unmatched_sites": {k: (e.value, e.rows, e.suggestions, e.closest) for k, e in plan.unmatched_sites.items()},
        "unmatched_packages": {
            k: (e.value, e.rows, e.suggestions, e.closest) for k, e in plan.unmatched_packages.items()
        },
    }


def build(path, monkeypatch, fork_min_rows, **options):
    monkeypatch.setattr(pipeline, "REGION_FORK_MIN_ROWS", fork_min_rows)
    return pipeline.build_plan(path, path.name, **options)


def child_pids(caplog):
    """Return the pids that forked children reported after matching regions."""
    return [
        record.args[0]
        for record in caplog.records
        if record.name == pipeline.logger.name and record.msg.startswith(FORK_LOG_PREFIX)
    ]


def regional_rows(count, seed=7):
    """Return a header and `count` rows mixing Alamat that share their region
    part, region columns, RT/RW, unknown sites and packages, and empty cells."""
    rng = random.Random(seed)
    streets = ["Jl. Mawar", "Jl. Melati", "Gg. Masjid", "Perum Griya Asri Blok C"]
    regions = [
        "Pabuaran, Cibinong",
        "Kel. Pakansari, Kec. Cibinong, Kab. Bogor",
        "Bojonggede",
        "Kel. Sukahati, Kec. Cibinong",
        "Tidakada, Antah",
        "Citayam",
    ]
    sites = ["Cibinong", "Bojonggede", "Citayam", "Situ Lain", None]
    packages = ["Home 20 Mbps", "home 10 mbps", "Paket Hilang", None]
    rows = [["Nama", "No HP", "Alamat", "Kelurahan/Desa", "Kecamatan", "RT/RW", "Site", "Paket"]]
    for index in range(count):
        address = f"{rng.choice(streets)} No. {rng.randint(1, 99)}, {rng.choice(regions)}"
        village = district = rt_rw = None
        if index % 7 == 3:
            address = None
        if index % 5 == 1:
            village, district = rng.choice([("Pabuaran", "Cibinong"), ("Desa Tidakada", "Cibinong"), ("Citayam", None)])
        if index % 4 == 2:
            rt_rw = f"{rng.randint(1, 9):02d}/{rng.randint(1, 9):02d}"
        phone = f"0812{rng.randint(1000000, 9999999)}"
        rows.append([f"Pelanggan {index}", phone, address, village, district, rt_rw, rng.choice(sites), rng.choice(packages)])
    return rows


@pytest.mark.parametrize(
    "path",
    [SAMPLE_XLSX, SAMPLE_CSV, CASES_DIR / "case12_header_baris4.xlsx", CASES_DIR / "case15_duplikat.xlsx"],
    ids=lambda path: path.name,
)
def test_sample_workbooks_same_plan(catalogue, monkeypatch, caplog, path):
    caplog.set_level(logging.DEBUG, logger=pipeline.logger.name)
    one_process = plan_snapshot(build(path, monkeypatch, NEVER_FORK))
    assert child_pids(caplog) == []

    two_processes = plan_snapshot(build(path, monkeypatch, 1))

    assert len(child_pids(caplog)) == 1
    assert two_processes == one_process


def test_generated_workbook_forks_once(catalogue, monkeypatch, caplog, tmp_path):
    path = write_workbook(tmp_path / "wilayah.xlsx", regional_rows(400))
    caplog.set_level(logging.DEBUG, logger=pipeline.logger.name)
    one_process = build(path, monkeypatch, NEVER_FORK)

    two_processes = build(path, monkeypatch, 100)

    pids = child_pids(caplog)
    assert len(pids) == 1
    assert pids[0] != os.getpid()
    assert plan_snapshot(two_processes) == plan_snapshot(one_process)
    # The child's half, checked by value as well.
    row = two_processes.rows[-1]
    assert row.clean.number == 401
    assert (row.fields.get("village_id"), row.fields.get("street")) == (
        one_process.rows[-1].fields.get("village_id"),
        one_process.rows[-1].fields.get("street"),
    )


def test_generated_workbook_known_villages(catalogue, monkeypatch, tmp_path):
    rows = [["Nama", "Alamat"]]
    for index in range(60):
        rows.append([f"Pelanggan {index}", f"Jl. Mawar No. {index + 1}, Pabuaran, Cibinong"])
    path = write_workbook(tmp_path / "pabuaran.xlsx", rows)

    plan = build(path, monkeypatch, 10)

    assert [row.fields.get("village_id") for row in plan.rows] == ["32.01.01.1012"] * 60
    assert plan.rows[0].fields["street"] == "Jl. Mawar No. 1"
    assert plan.rows[59].fields["street"] == "Jl. Mawar No. 60"
    assert all(row.village_from_address for row in plan.rows)


@pytest.mark.parametrize("failure", ["exit", "truncate", "hang"])
def test_failed_child_same_plan(catalogue, monkeypatch, caplog, settings, tmp_path, failure):
    """A child that exits, writes half of its result or sends nothing until
    the timeout, after which it is killed, gives the plan of one process,
    in far less time than a hung child sleeps."""
    path = write_workbook(tmp_path / "wilayah.xlsx", regional_rows(300, seed=11))
    one_process = plan_snapshot(build(path, monkeypatch, NEVER_FORK))
    settings.IMPORT_CHILD_TIMEOUT_SECONDS = 1
    monkeypatch.setattr(forked, "TEST_HANG_SECONDS", HUNG_CHILD_SLEEP_SECONDS)
    monkeypatch.setenv(forked.FAILURE_VARIABLE, failure)
    caplog.set_level(logging.DEBUG)

    started = time.monotonic()
    two_processes = plan_snapshot(build(path, monkeypatch, 100))
    elapsed = time.monotonic() - started

    warnings = [record.getMessage() for record in caplog.records if record.name == forked.logger.name]
    assert len(warnings) == 1
    if failure == "exit":
        assert f"failed with exit code {forked.TEST_FAILURE_EXIT_STATUS}" in warnings[0]
    elif failure == "truncate":
        assert "wrote an invalid result" in warnings[0]
    else:
        assert "for region matching sent nothing for 1 s and was killed" in warnings[0]
    assert child_pids(caplog) == []
    assert elapsed < HUNG_CHILD_SLEEP_SECONDS / 2
    assert two_processes == one_process


def test_shared_match_taken_from_first_half(catalogue, monkeypatch, caplog, tmp_path):
    # "Pabuaran 2, Cibinong" matches Pabuaran, but "Jl. Mawar 1, Cibinong"
    # fits several villages named Cibinong. Both share the region part
    # "cibinong", so every row takes the match of the first of them.
    rows = [["Nama", "Alamat"]]
    rows += [[f"Awal {index}", f"Jl. Mawar {index + 1}, Cibinong"] for index in range(10)]
    rows += [["Tengah", "Pabuaran 2, Cibinong"], ["Bojong", "Pabuaran 1, Bojonggede"]]
    rows += [[f"Akhir {index}", f"Jl. Mawar {index + 1}, Bojonggede"] for index in range(4)]
    rows += [[f"Akhir {index}", f"Jl. Melati {index + 1}, Cibinong"] for index in range(4, 8)]
    path = write_workbook(tmp_path / "urutan.xlsx", rows)
    caplog.set_level(logging.DEBUG, logger=pipeline.logger.name)
    one_process = build(path, monkeypatch, NEVER_FORK)

    two_processes = build(path, monkeypatch, 10)

    assert len(child_pids(caplog)) == 1
    villages = [row.fields.get("village_id") for row in two_processes.rows]
    assert villages == [None] * 11 + ["32.01.13.1007"] * 5 + [None] * 4
    notes = [[problem.code for _kind, problem in row.findings] for row in two_processes.rows]
    assert notes == [["region_ambiguous"]] * 11 + [[]] * 5 + [["region_ambiguous"]] * 4
    assert two_processes.rows[10].fields["street"] == "Pabuaran 2"
    assert plan_snapshot(two_processes) == plan_snapshot(one_process)


def test_forked_call_returns_child_value():
    with forked.ForkedCall(lambda: ("done", os.getpid()), "a test") as child:
        outcome = child.result()

    assert outcome == ("done", child.pid)
    assert child.pid != os.getpid()


def test_forked_call_killed_when_parent_raises():
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="parent part failed"):
        with forked.ForkedCall(lambda: time.sleep(60), "a test") as child:
            raise RuntimeError("parent part failed")

    assert time.monotonic() - started < 30
    assert os.waitstatus_to_exitcode(child._status) == -signal.SIGKILL
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)
