#!/usr/bin/env python3
"""Benchmark of the problem-row workbook of a large batch on PostgreSQL.

    .venv/bin/python bench/problem_workbook_bench.py [--rows 100000] [--profile]
        [--database-url postgres://postgres@127.0.0.1:5432/ebilling_probwb_bench]

The script drops and creates the database named in --database-url, migrates
it and loads the demo sites and packages. It writes a template-shaped
workbook of --rows customers whose phone number and NIK are invalid in every
row, and validates it as a batch. Then it downloads the batch's problem
workbook through the view as an admin, and writes it once more with masked
NIKs, as for a site admin without the NIK right. Each step runs in its own
child process, so the reported peak RSS (ru_maxrss of os.wait4) is that
step's own. --profile also prints the top of a cProfile run of the download.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import database_env, recreate_database, run_manage  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ebilling_probwb_bench"
HEADERS = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Kode Pos", "Tanggal Pasang", "Site", "Paket"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the workbook, all with a problem (default: %(default)s)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL database to drop, create and use (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=1, help="downloads to time (default: %(default)s)")
    parser.add_argument("--profile", action="store_true", help="print the top 25 functions of a cProfile run of one download")
    parser.add_argument("--reuse-batch", help="time the download of this batch of an earlier run, without preparing the database again")
    parser.add_argument("--child", choices=["validate", "download", "masked"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--batch", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_problem_rows(path, rows):
    """Write a workbook of `rows` customers whose phone number and NIK are invalid."""
    import datetime

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Pelanggan")
    sheet.append(HEADERS)
    for number in range(1, rows + 1):
        sheet.append([
            f"PLG-{number:06d}",
            f"Pelanggan {number}",
            f"bukan nomor {number}",
            f"3201{number:012d}",
            f"Jl. Mawar No. {number % 200}, RT 01/RW 02",
            "16911",
            datetime.date(2024, 1, 1) + datetime.timedelta(days=number % 365),
            "Cibinong",
            "Home 20 Mbps",
        ])
    workbook.save(path)


def run_child(args, env, kind, **extra):
    """Run one step in a child process and return its JSON result, with peak RSS in MiB."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--database-url", args.database_url]
    if args.profile:
        command.append("--profile")
    for name, value in extra.items():
        command += [f"--{name}", str(value)]
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, env=env, stdout=out)
        _pid, status, usage = os.wait4(process.pid, 0)
        out.seek(0)
        output = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"The {kind} child failed:\n{output}")
    lines = output.strip().splitlines()
    result = json.loads(lines[-1])
    result["output"] = "\n".join(lines[:-1])
    # ru_maxrss is in KiB on Linux.
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    return result


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child_main(args)

    env = database_env(args.database_url)
    if args.reuse_batch:
        time_downloads(args, env, args.reuse_batch)
        return 0
    recreate_database(args.database_url)
    run_manage(env, "migrate", "--noinput")
    run_manage(env, "seed_demo")
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / f"masalah-{args.rows}.xlsx"
        started = time.perf_counter()
        write_problem_rows(path, args.rows)
        print(f"workbook of {args.rows} rows written in {time.perf_counter() - started:.1f} s")
        validated = run_child(args, env, "validate", file=path)
        print(f"validate: {validated['seconds']:.1f} s, {validated['problems']} problems, peak RSS {validated['peak_rss_mib']:.0f} MiB")
        print(f"batch: {validated['batch']}")
        time_downloads(args, env, validated["batch"])
    return 0


def time_downloads(args, env, batch_id):
    """Time --repeat downloads as an admin and as many writes with masked NIKs."""
    for _ in range(args.repeat):
        download = run_child(args, env, "download", batch=batch_id)
        if download["output"]:
            print(download["output"])
        print(
            f"download as admin: {download['seconds']:.1f} s, {download['bytes'] / 2**20:.1f} MiB workbook, "
            f"{download['rows']} rows, peak RSS {download['peak_rss_mib']:.0f} MiB"
        )
        masked = run_child(args, env, "masked", batch=batch_id)
        print(f"write with masked NIKs: {masked['seconds']:.1f} s, peak RSS {masked['peak_rss_mib']:.0f} MiB")


# --- children ------------------------------------------------------------------


def child_main(args):
    import django

    django.setup()
    if args.child == "validate":
        result = validate(args.file)
    elif args.child == "masked":
        result = write_masked(args.batch)
    else:
        result = download(args.batch, args.profile)
    print(json.dumps(result))
    return 0


def validate(path):
    from customers.importing import batches
    from customers.models import ImportProblem

    started = time.perf_counter()
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, Path(path).name)
    batch = batches.validate_batch(batch)
    seconds = time.perf_counter() - started
    problems = batch.problems.filter(kind=ImportProblem.Kind.PROBLEM).count()
    return {"seconds": seconds, "batch": str(batch.pk), "problems": problems, "state": batch.state}


def download(batch_id, profile):
    """GET the batch's problem workbook as an admin, with Django's test Client."""
    import cProfile
    import io
    import pstats

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from openpyxl import load_workbook

    settings.ALLOWED_HOSTS = ["*"]
    admin, _created = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(admin)
    url = reverse("customers:batch-problems", args=[batch_id])

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {url} returned {response.status_code}")
    if profiler:
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(25)
        print(report.getvalue())
    # Written in write-only mode, the sheet has no dimension, so rows are counted.
    rows = sum(1 for _row in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True)) - 1
    return {"seconds": seconds, "bytes": len(body), "rows": rows}


def write_masked(batch_id):
    """Write the problem workbook with masked NIKs, as for a site admin without the NIK right."""
    from customers.importing.problem_workbook import write_problem_workbook
    from customers.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        write_problem_workbook(batch, out, mask_nik=True)
        seconds = time.perf_counter() - started
        size = out.tell()
    return {"seconds": seconds, "bytes": size, "rows": None}


if __name__ == "__main__":
    sys.exit(main())
