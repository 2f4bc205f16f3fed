#!/usr/bin/env python3
"""Benchmark of the customer import and the customer list on PostgreSQL.

    .venv/bin/python bench/import_bench.py [--rows 10000,100000] [--quick]
        [--database-url postgres://postgres@127.0.0.1:5432/ebilling_bench]

The script drops and creates the database named in --database-url, migrates
it, loads the demo sites and packages (seed_demo) and --existing customers
with COPY. It writes template-shaped workbooks with make_customers_xlsx.py,
then for each row count measures, each in its own child process:

- product: `import_customers FILE` (read, clean, check duplicates against
  the existing customers, save with history);
- floor: python-calamine read plus a COPY of the raw rows, no checks;
- import-export: django-import-export 4.x with use_bulk, skip_diff, the
  cached instance loader and cached site and package lookups (its fastest
  setup we know of), Resource below;
- naive: openpyxl read plus one Customer.objects.create() per row, only up
  to --naive-max-rows rows.

Every measurement reports wall time inside the child, rows per second and
the child's peak RSS (ru_maxrss of os.wait4). The database is reset to the
existing customers before each run. Last, it fills the database to
--page-customers customers and reports the median server time and query
count of the customer list, its searches and its filters (Django's test
Client, no network).

--quick runs each measurement once instead of --repeat times (median).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
MAKE_WORKBOOK = Path(__file__).resolve().parent / "make_customers_xlsx.py"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ebilling_bench"
KINDS = ("product", "floor", "import-export", "naive")
FLOOR_TABLE = "bench_floor"
HEADERS = ["ID Pelanggan", "Nama", "No HP", "Email", "NIK", "Alamat", "Site", "Paket", "Tanggal Pasang", "Latitude", "Longitude"]


# --- parent -----------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000", help="comma-separated row counts of the workbooks (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="run each measurement once instead of --repeat times")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, median reported (default: %(default)s)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL database to drop, create and use (default: %(default)s)")
    parser.add_argument("--existing", type=int, default=100_000, help="customers in the database before each import (default: %(default)s)")
    parser.add_argument("--page-customers", type=int, default=200_000, help="customers in the database for the list timings (default: %(default)s)")
    parser.add_argument("--page-requests", type=int, default=15, help="requests per list page, median reported (default: %(default)s)")
    parser.add_argument("--naive-max-rows", type=int, default=10_000, help="largest row count the per-row create() loop runs on (default: %(default)s)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="measurements to run (default: %(default)s)")
    parser.add_argument("--workdir", help="folder for the generated workbooks (default: a temporary folder)")
    parser.add_argument("--json", dest="json_out", help="also write the results to this JSON file")
    parser.add_argument("--child", choices=[*KINDS, "seed", "pages"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.row_counts = [int(value) for value in args.rows.split(",") if value.strip()]
    args.kind_list = [kind for kind in args.kinds.split(",") if kind]
    unknown = set(args.kind_list) - set(KINDS)
    if unknown:
        parser.error(f"unknown --kinds {sorted(unknown)}; choose from {', '.join(KINDS)}")
    if args.quick:
        args.repeat = 1
    return args


def database_env(database_url):
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="ebilling.settings")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASE_DIR), env.get("PYTHONPATH")]))
    env.setdefault("LOG_LEVEL", "WARNING")
    # Pages render without a collectstatic run.
    env["STATIC_MANIFEST"] = "0"
    return env


def recreate_database(database_url):
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Database name {name!r} must be letters, digits and underscores.")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def run_manage(env, *arguments):
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *arguments], env=env, check=True, stdout=subprocess.DEVNULL)


def run_child(args, kind, env, **extra):
    """Run one measurement in a child process and return its JSON result, with peak RSS in MiB."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--database-url", args.database_url]
    for name, value in extra.items():
        command += [f"--{name}", str(value)]
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, env=env, stdout=out)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        raise SystemExit(f"The {kind} child failed with exit code {process.returncode}:\n{output}")
    result = json.loads(output.strip().splitlines()[-1])
    # ru_maxrss is in KiB on Linux.
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    return result


def reset_database(database_url, baseline_id):
    """Remove everything imported since the seed, so each run starts alike."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("DELETE FROM customers_importchange")
        connection.execute("DELETE FROM customers_importproblem")
        connection.execute("UPDATE customers_customer SET import_batch_id = NULL WHERE import_batch_id IS NOT NULL AND id <= %s", [baseline_id])
        connection.execute("DELETE FROM customers_historicalcustomer WHERE id > %s", [baseline_id])
        connection.execute("DELETE FROM customers_customer WHERE id > %s", [baseline_id])
        connection.execute("DELETE FROM customers_importbatch")
        connection.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        connection.execute("DELETE FROM django_tasks_database_dbtaskresult")
        connection.execute("VACUUM ANALYZE")


def measure(args, kind, rows, path, env, baseline_id):
    runs = []
    for _ in range(args.repeat):
        reset_database(args.database_url, baseline_id)
        runs.append(run_child(args, kind, env, file=path))
    seconds = statistics.median(run["seconds"] for run in runs)
    return {
        "kind": kind,
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds if seconds else 0,
        "peak_rss_mib": max(run["peak_rss_mib"] for run in runs),
        "runs": [run["seconds"] for run in runs],
        "created": runs[-1].get("created"),
    }


def machine_description():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, Python {platform.python_version()}, {platform.platform()}"


def print_results(results, pages, args):
    print()
    print(f"Machine: {machine_description()}")
    print(f"Command: {' '.join(sys.argv)}")
    print(f"Existing customers before each import: {args.existing:,}; runs per measurement: {args.repeat} (median)")
    print()
    print("| measurement | rows | seconds | rows/s | peak RSS MiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for result in results:
        print(
            f"| {result['kind']} | {result['rows']:,} | {result['seconds']:.2f} | "
            f"{result['rows_per_second']:,.0f} | {result['peak_rss_mib']:.0f} |"
        )
    print()
    by_key = {(result["kind"], result["rows"]): result for result in results}
    for rows in sorted({result["rows"] for result in results}):
        product = by_key.get(("product", rows))
        floor = by_key.get(("floor", rows))
        import_export = by_key.get(("import-export", rows))
        if product and floor:
            print(f"{rows:,} rows: product/floor = {product['seconds'] / floor['seconds']:.2f}")
        if product and import_export:
            print(f"{rows:,} rows: import-export/product = {import_export['seconds'] / product['seconds']:.2f}")
    if pages:
        print()
        print(f"Customer list with {pages['customers']:,} customers, {pages['requests']} requests each:")
        print("| page | median ms | queries |")
        print("| --- | ---: | ---: |")
        for page in pages["pages"]:
            print(f"| {page['name']} | {page['median_ms']:.1f} | {page['queries']} |")


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child_main(args)

    env = database_env(args.database_url)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ebilling-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)

    print(f"Preparing {args.database_url} with {args.existing:,} customers …", file=sys.stderr)
    recreate_database(args.database_url)
    run_manage(env, "migrate", "--noinput")
    # With the region list loaded, the import also resolves each address to a village, as in production.
    run_manage(env, "load_regions")
    run_manage(env, "seed_demo")
    seeded = run_child(args, "seed", env, count=args.existing)
    baseline_id = seeded["max_id"]

    results = []
    for rows in args.row_counts:
        path = workdir / f"customers_{rows}.xlsx"
        if not path.exists():
            subprocess.run([sys.executable, str(MAKE_WORKBOOK), "--rows", str(rows), "--out", str(path)], check=True)
        for kind in args.kind_list:
            if kind == "naive" and rows > args.naive_max_rows:
                continue
            print(f"Measuring {kind} on {rows:,} rows …", file=sys.stderr)
            results.append(measure(args, kind, rows, path, env, baseline_id))

    pages = None
    if args.page_customers:
        reset_database(args.database_url, baseline_id)
        print(f"Filling to {args.page_customers:,} customers for the list timings …", file=sys.stderr)
        run_child(args, "seed", env, count=args.page_customers)
        pages = run_child(args, "pages", env, count=args.page_requests)
        pages["requests"] = args.page_requests
    print_results(results, pages, args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"machine": machine_description(), "results": results, "pages": pages}, indent=2))
    return 0


# --- children ---------------------------------------------------------------


def child_main(args):
    started = time.perf_counter()
    if args.child == "floor":
        # No Django: the floor is the raw read and write.
        result = floor_import(args.file, args.database_url)
    else:
        import django

        django.setup()
        result = CHILDREN[args.child](args)
    result.setdefault("seconds", time.perf_counter() - started)
    print(json.dumps(result, default=str))
    return 0


def product_import(args):
    """Run import_customers as an admin would, and time it whole."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    started = time.perf_counter()
    call_command("import_customers", args.file, "--json", stdout=out)
    seconds = time.perf_counter() - started
    report = json.loads(out.getvalue())
    return {"seconds": seconds, "created": report["created"], "errors": len(report["errors"])}


def floor_import(path, database_url):
    """Read with python-calamine and COPY the raw cells as text: no checks at all."""
    import psycopg
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    columns = ", ".join(f"c{index} text" for index in range(len(HEADERS)))
    with psycopg.connect(database_url) as connection:
        connection.execute(f"CREATE TABLE {FLOOR_TABLE} ({columns})")
        with connection.cursor().copy(f"COPY {FLOOR_TABLE} FROM STDIN") as copy:
            for row in rows[1:]:
                copy.write_row([None if value == "" else str(value) for value in row[: len(HEADERS)]])
    return {"seconds": time.perf_counter() - started, "created": len(rows) - 1}


def import_export_import(args):
    """Import with django-import-export 4.x: use_bulk, skip_diff, cached instance loader."""
    import tablib
    from import_export import fields, resources, widgets
    from import_export.instance_loaders import CachedInstanceLoader

    from customers.models import Customer
    from packages.models import ServicePackage
    from sites.models import Site

    class CachedForeignKeyWidget(widgets.ForeignKeyWidget):
        """ForeignKeyWidget that looks each name up once, not once per row,
        so the comparison measures import-export rather than 200,000
        site and package queries."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._cache = {}

        def clean(self, value, row=None, **kwargs):
            if value not in self._cache:
                self._cache[value] = super().clean(value, row=row, **kwargs)
            return self._cache[value]

    class CustomerResource(resources.ModelResource):
        number = fields.Field(attribute="number", column_name="ID Pelanggan")
        name = fields.Field(attribute="name", column_name="Nama")
        phone = fields.Field(attribute="phone", column_name="No HP", widget=widgets.CharWidget())
        email = fields.Field(attribute="email", column_name="Email", widget=widgets.CharWidget(allow_blank=True))
        nik = fields.Field(attribute="nik", column_name="NIK", widget=widgets.CharWidget())
        address = fields.Field(attribute="address", column_name="Alamat")
        site = fields.Field(attribute="site", column_name="Site", widget=CachedForeignKeyWidget(Site, "name"))
        package = fields.Field(attribute="package", column_name="Paket", widget=CachedForeignKeyWidget(ServicePackage, "name"))
        installed_on = fields.Field(attribute="installed_on", column_name="Tanggal Pasang", widget=widgets.DateWidget())
        latitude = fields.Field(attribute="latitude", column_name="Latitude", widget=widgets.DecimalWidget())
        longitude = fields.Field(attribute="longitude", column_name="Longitude", widget=widgets.DecimalWidget())

        class Meta:
            model = Customer
            import_id_fields = ["number"]
            fields = ("number", "name", "phone", "email", "nik", "address", "site", "package", "installed_on", "latitude", "longitude")
            use_bulk = True
            batch_size = 2000
            skip_diff = True
            instance_loader_class = CachedInstanceLoader

    started = time.perf_counter()
    with open(args.file, "rb") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="xlsx")
    result = CustomerResource().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    return {
        "seconds": time.perf_counter() - started,
        "created": result.totals.get("new", 0),
        "errors": len(result.invalid_rows) + len(result.row_errors()),
    }


def naive_import(args):
    """Read with openpyxl and create one customer per row with Model.objects.create()."""
    from openpyxl import load_workbook

    from customers.models import Customer
    from packages.models import ServicePackage
    from sites.models import Site

    started = time.perf_counter()
    sites = {site.name: site for site in Site.objects.all()}
    packages = {package.name: package for package in ServicePackage.objects.all()}
    workbook = load_workbook(args.file, read_only=True)
    created = 0
    for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True):
        # openpyxl's read-only rows stop at the last filled cell.
        padded = (*row, *([None] * len(HEADERS)))[: len(HEADERS)]
        number, name, phone, email, nik, address, site, package, installed_on, latitude, longitude = padded
        Customer.objects.create(
            number=number, name=name, phone=str(phone or ""), email=email or "", nik=nik or "", address=address or "",
            site=sites.get(site), package=packages.get(package),
            installed_on=installed_on.date() if installed_on else None, latitude=latitude, longitude=longitude,
        )
        created += 1
    workbook.close()
    return {"seconds": time.perf_counter() - started, "created": created}


def seed_customers(args):
    """COPY customers until the table contains --count, and return the highest id.

    The seeded customers use NIKs of province 11 and phones starting
    +62899, which the generated workbooks never use, so an import finds them
    only through its duplicate checks, not as matches.
    """
    import random

    from django.db import connection
    from django.utils import timezone

    from customers.importing.saving import copy_rows
    from customers.models import Customer, name_key, number_key
    from packages.models import ServicePackage
    from regions.models import Village
    from sites.models import Site

    rng = random.Random(7)
    have = Customer.objects.count()
    start = (Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    site_ids = list(Site.objects.values_list("id", flat=True))
    package_ids = list(ServicePackage.objects.values_list("id", flat=True))
    # Complete customers live in the villages of Kabupaten Bogor, so the
    # list's area filter has districts of every size to find.
    village_ids = list(Village.objects.filter(district__regency_id="32.01").order_by("code").values_list("code", flat=True))
    first = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Sri", "Eko", "Wahyu", "Putri", "Joko", "Ani"]
    last = ["Santoso", "Wijaya", "Lestari", "Saputra", "Hidayat", "Kurniawan", "Pratama", "Nugroho"]
    now = timezone.now()
    columns = [field.attname for field in Customer._meta.concrete_fields]
    rows = []
    for offset in range(max(0, args.count - have)):
        customer_id = start + offset
        name = f"{rng.choice(first)} {rng.choice(last)} {customer_id}"
        incomplete = rng.random() < 0.1
        rows.append({
            "id": customer_id, "number": f"LAMA-{customer_id:07d}", "number_key": number_key(f"LAMA-{customer_id:07d}"),
            "name": name, "name_key": name_key(name),
            "phone": f"+62899{customer_id:08d}", "email": "", "nik": f"1101{customer_id:012d}",
            "address": "" if incomplete else f"Jl. Lama No. {customer_id}", "street": "",
            "village_id": None if incomplete or not village_ids else rng.choice(village_ids),
            "postal_code": "", "latitude": None, "longitude": None, "site_id": rng.choice(site_ids),
            "package_id": None if incomplete else rng.choice(package_ids),
            "status": "suspended" if offset % 20 == 0 else "active",
            "installed_on": None, "notes": "", "import_batch_id": None, "user_id": None,
            "created_at": now, "updated_at": now,
        })
    with connection.cursor() as cursor:
        copy_rows(Customer, columns, rows)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM customers_customer))",
            [Customer._meta.db_table],
        )
        cursor.execute("ANALYZE customers_customer")
    return {"max_id": Customer.objects.order_by("-id").values_list("id", flat=True).first(), "count": Customer.objects.count()}


def list_pages(args):
    """Median server time and query count of the customer list pages, as an admin."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from customers.models import Customer
    from sites.models import Site

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    admin = get_user_model().objects.filter(is_superuser=True).first()
    client = Client()
    client.force_login(admin)

    sample = Customer.objects.filter(number__startswith="LAMA-").order_by("id")[Customer.objects.count() // 2]
    site = Site.objects.order_by("id").first()
    pages = [
        ("list", {}),
        ("list page 100", {"page": "100"}),
        ("search ID", {"q": sample.number}),
        ("search name", {"q": sample.name.split()[0] + " " + sample.name.split()[1]}),
        ("search phone", {"q": "0" + sample.phone[3:]}),
        ("search NIK", {"q": sample.nik}),
        ("filter incomplete", {"incomplete": "1"}),
        ("filter site", {"site": str(site.pk)}),
        ("filter site + incomplete", {"site": str(site.pk), "incomplete": "1"}),
        ("sort by name", {"sort": "name"}),
        ("sort by name, page 100", {"sort": "name", "page": "100"}),
        ("sort by name, reversed", {"sort": "-name"}),
        ("site + sort by name", {"site": str(site.pk), "sort": "name"}),
        ("filter status", {"status": "suspended"}),
        ("sort by ID, reversed", {"sort": "-number"}),
        ("filter district", {"area": "32.01.01"}),
        ("filter regency", {"area": "32.01"}),
    ]
    results = []
    for name, query in pages:
        client.get("/customers/", query)
        timings = []
        queries = None
        for _ in range(args.count):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get("/customers/", query)
                timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"The list page {name!r} returned status {response.status_code}, expected 200.")
            queries = len(captured.captured_queries)
        results.append({"name": name, "median_ms": statistics.median(timings) * 1000, "queries": queries})
    return {"customers": Customer.objects.count(), "pages": results}


CHILDREN = {
    "product": product_import,
    "import-export": import_export_import,
    "naive": naive_import,
    "seed": seed_customers,
    "pages": list_pages,
}


if __name__ == "__main__":
    sys.exit(main())
