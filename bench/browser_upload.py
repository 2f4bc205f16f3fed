#!/usr/bin/env python3
"""Benchmark of a large upload through the web pages, in headless Chromium.

    .venv/bin/python bench/browser_upload.py [--rows 100000] [--existing 100000]
        [--database-url postgres://postgres@127.0.0.1:5432/ebilling_browser_bench]
        [--workdir DIR] [--port PORT] [--json FILE]

The script drops and creates the database named in --database-url, then
prepares it as bench/import_bench.py does: migrate, load_regions, seed_demo
and --existing customers written with COPY. It writes a workbook of --rows
rows with make_customers_xlsx.py (or reuses the one already in --workdir),
creates a superuser, collects the static files into --workdir and starts
gunicorn on 127.0.0.1 with DEBUG=0, plus one `manage.py db_worker`.

Playwright then drives Debian's Chromium as an admin would: log in, open the
upload page, upload the workbook, wait for the review, click "Simpan baris
yang valid" and wait for the result. From each click on, it reads the
progress box (#batch-progress: state, phase, rows done, the <progress> bar
and the "rows per second / seconds left" text) every 0.5 s, and it never
reloads the page itself. It records every page navigation and its cause, so
the report shows whether the bar moved without a reload.

It prints the validation time (upload click to review shown), the save time
(confirm click to result shown) and the progress values seen in each phase.
It also prints the counts on the review and result pages and the peak RSS
(VmHWM) of the task worker and of the gunicorn processes. --json also writes
every sample.
The server and the worker are stopped when the script ends, also on errors.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import import_bench
from import_bench import BASE_DIR, MAKE_WORKBOOK

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ebilling_browser_bench"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The same switches as tests/browser.py: no sandbox (containers), no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_USERNAME = "bench-admin"
# Only for the throwaway database that this script creates.
ADMIN_PASSWORD = "bench-admin-password-7431"
SAMPLE_INTERVAL = 0.5
SERVER_START_TIMEOUT = 60
STOP_TIMEOUT = 15
RUNNING_STATES = {"queued", "validating", "importing"}
ENDED_STATES = {"failed", "cancelled", "undone"}
REVIEW_COUNT_IDS = ["count-rows", "count-new", "count-updated", "count-present", "count-problems", "count-incomplete"]
RESULT_COUNT_IDS = ["count-rows", "count-created", "count-updated", "count-present", "count-problems", "count-incomplete"]

# Reads the progress box (#batch-progress) of the batch page. htmx replaces
# the box every second while the batch runs (hx-trigger="every 1s").
# loaded_at is the wall-clock time, in epoch milliseconds, at which the
# current document fired DOMContentLoaded.
SAMPLE_SCRIPT = """() => {
  const box = document.querySelector('#batch-progress');
  const bar = document.querySelector('#progress-bar');
  const textOf = (selector) => {
    const element = document.querySelector(selector);
    return element ? element.textContent.replace(/\\s+/g, ' ').trim() : null;
  };
  const navigation = performance.getEntriesByType('navigation')[0];
  return {
    path: location.pathname,
    state: box ? box.dataset.state : null,
    phase: box ? box.dataset.phase : null,
    rows_done: box ? Number(box.dataset.done) : null,
    phase_total: box ? Number(box.dataset.total) : null,
    phase_label: textOf('#progress-phase'),
    progress_text: textOf('#progress-text'),
    bar_value: bar && bar.hasAttribute('value') ? bar.value : null,
    bar_max: bar && bar.hasAttribute('max') ? bar.max : null,
    bar_position: bar ? bar.position : null,
    review_shown: document.querySelector('#confirm-button') !== null,
    result_shown: document.querySelector('#count-created') !== null,
    error: textOf('#batch-error'),
    form_error: textOf('.field.has-error .error') || textOf('.errors'),
    loaded_at: navigation && navigation.domContentLoadedEventEnd > 0
      ? performance.timeOrigin + navigation.domContentLoadedEventEnd : null,
  };
}"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows of the uploaded workbook (default: %(default)s)")
    parser.add_argument("--existing", type=int, default=100_000, help="customers in the database before the upload (default: %(default)s)")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database to drop, create and use (default: %(default)s)",
    )
    parser.add_argument("--workdir", help="folder for the workbook, static files, media and logs (default: a temporary folder)")
    parser.add_argument("--port", type=int, help="port of the web server on 127.0.0.1 (default: a free port)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (default: %(default)s)")
    parser.add_argument(
        "--phase-timeout", type=float, default=1800,
        help="seconds to wait for the review, and again for the result, before giving up (default: %(default)s)",
    )
    parser.add_argument("--json", dest="json_out", help="also write the results and every sample to this JSON file")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.existing < 0:
        parser.error("--existing must be 0 or more")
    return args


# --- preparation -------------------------------------------------------------


def prepare_database(args, env):
    """Recreate and fill the database as import_bench does, and return the highest seeded customer id."""
    print(f"Preparing {args.database_url} with {args.existing:,} customers …", file=sys.stderr)
    import_bench.recreate_database(args.database_url)
    import_bench.run_manage(env, "migrate", "--noinput")
    import_bench.run_manage(env, "load_regions")
    import_bench.run_manage(env, "seed_demo")
    seeded = import_bench.run_child(args, "seed", env, count=args.existing)
    return seeded["max_id"]


def ensure_workbook(workdir, rows):
    """Return the path of the workbook with `rows` rows, writing it unless it already exists.

    The name matches import_bench's, and make_customers_xlsx.py writes the
    same bytes for the same row count, so both benchmarks can share a folder.
    """
    path = workdir / f"customers_{rows}.xlsx"
    if not path.exists():
        print(f"Writing {path} …", file=sys.stderr)
        subprocess.run([sys.executable, str(MAKE_WORKBOOK), "--rows", str(rows), "--out", str(path)], check=True)
    return path


def create_admin(env):
    admin_env = dict(env, DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD)
    import_bench.run_manage(admin_env, "createsuperuser", "--noinput", "--username", ADMIN_USERNAME, "--email", "")


def server_env(env, workdir):
    """Return the environment of the web server and the worker: production settings except TLS.

    DEBUG=0 with the manifest static files that collectstatic writes, served
    by WhiteNoise as in production. The settings module below only moves
    STATIC_ROOT into the workdir, so the script never writes into the
    project's own staticfiles/ folder. The cookies drop their Secure flag
    because the benchmark talks plain HTTP to 127.0.0.1, with no TLS proxy.
    """
    settings_dir = workdir / "settings"
    settings_dir.mkdir(exist_ok=True)
    (settings_dir / "browser_bench_settings.py").write_text(
        '"""Settings of bench/browser_upload.py: the project settings with static files in the workdir."""\n\n'
        "from ebilling.settings import *  # noqa: F403\n\n"
        f"STATIC_ROOT = {str(workdir / 'static')!r}\n"
    )
    served = dict(env)
    served.pop("STATIC_MANIFEST", None)
    served.update(
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="browser_bench_settings",
        PYTHONPATH=os.pathsep.join([str(settings_dir), env["PYTHONPATH"]]),
        MEDIA_ROOT=str(workdir / "media"),
        ALLOWED_HOSTS="127.0.0.1",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        LOG_LEVEL="INFO",
    )
    return served


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- server and worker -------------------------------------------------------


def read_peak_rss_kib(pid):
    """Return VmHWM of the process in KiB, or None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def child_pids(parent_pid):
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The fourth field of /proc/PID/stat is the parent pid. The name
            # in brackets before it may contain spaces, so split after it.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent_pid:
            children.append(int(entry.name))
    return children


class Services:
    """The gunicorn server and the db_worker that the benchmark starts, with their peak RSS."""

    def __init__(self, env, workdir, port, web_workers):
        self.env = env
        self.workdir = workdir
        self.port = port
        self.web_workers = web_workers
        self.url = f"http://127.0.0.1:{port}"
        self.web = None
        self.worker = None
        self.peak_rss_kib = {}
        self.roles = {}

    def start(self):
        web_log = open(self.workdir / "web.log", "w")
        worker_log = open(self.workdir / "worker.log", "w")
        with web_log, worker_log:
            self.web = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"), "ebilling.wsgi",
                    "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.web_workers),
                    "--access-logfile", "-",
                ],
                cwd=BASE_DIR, env=self.env, stdout=web_log, stderr=subprocess.STDOUT,
            )
            self.worker = subprocess.Popen(
                [sys.executable, str(BASE_DIR / "manage.py"), "db_worker", "--no-reload"],
                cwd=BASE_DIR, env=self.env, stdout=worker_log, stderr=subprocess.STDOUT,
            )
        self.roles = {self.web.pid: "web master", self.worker.pid: "worker"}
        self.wait_until_ready()

    def wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            self.check_alive()
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # On a loaded machine the first request may time out, so only
                # the overall deadline ends the wait.
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"gunicorn did not return 200 for {self.url}/healthz within {SERVER_START_TIMEOUT} s. "
                    f"See {self.workdir / 'web.log'}."
                )
            time.sleep(0.5)

    def check_alive(self):
        for process, log in ((self.web, "web.log"), (self.worker, "worker.log")):
            if process.poll() is not None:
                tail = (self.workdir / log).read_text()[-3000:]
                raise SystemExit(f"{process.args[0]} exited with code {process.returncode}; end of {log}:\n{tail}")

    def record_peak_rss(self):
        """Read VmHWM of the worker and every gunicorn process, keeping each one's maximum.

        VmHWM is already a high-water mark, so a process read once before it
        exits is measured whole. gunicorn may replace a worker process, and
        reading at every sample keeps the replaced one's peak too.
        """
        if self.web is None:
            return
        for pid in child_pids(self.web.pid):
            self.roles.setdefault(pid, "web worker")
        for pid in list(self.roles):
            kib = read_peak_rss_kib(pid)
            if kib is not None:
                self.peak_rss_kib[pid] = max(kib, self.peak_rss_kib.get(pid, 0))

    def peak_rss_mib(self, role):
        values = [kib for pid, kib in self.peak_rss_kib.items() if self.roles.get(pid) == role]
        return max(values) / 1024 if values else None

    def stop(self):
        """Stop the worker and the server: SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        self.record_peak_rss()
        for process in (self.worker, self.web):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.worker, self.web):
            if process is None:
                continue
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"Process {process.pid} did not stop within {STOP_TIMEOUT} s, so it was killed.", file=sys.stderr)
                process.kill()
                process.wait()


# --- browser -----------------------------------------------------------------


class NavigationLog:
    """Main-frame navigations of the page, each with its cause.

    A navigation is expected after a form submit and after a progress
    response carrying HX-Refresh (the product's full-page refresh once the
    batch stops running). Any other navigation is counted as a reload.
    """

    def __init__(self, page, clock):
        self.page = page
        self.clock = clock
        self.pending_causes = []
        self.navigations = []
        page.on("framenavigated", self.on_navigated)
        page.on("response", self.on_response)

    def expect(self, cause):
        self.pending_causes.append(cause)

    def on_response(self, response):
        if response.url.endswith("/progress/") and response.headers.get("hx-refresh") == "true":
            self.expect("HX-Refresh")

    def on_navigated(self, frame):
        if frame != self.page.main_frame:
            return
        cause = self.pending_causes.pop(0) if self.pending_causes else "reload"
        self.navigations.append({"seconds": round(self.clock(), 3), "url": frame.url, "cause": cause})

    @property
    def page_load(self):
        return len(self.navigations)


def sample_until(page, services, navigation_log, clock, done_key, timeout):
    """Read the progress box every SAMPLE_INTERVAL seconds until the sample's `done_key` is true.

    Returns the samples and the wall-clock time (epoch seconds) at which the
    page that showed `done_key` finished loading.
    """
    samples = []
    started = clock()
    tick = 0
    last_error = None
    while True:
        try:
            sample = page.evaluate(SAMPLE_SCRIPT)
        except Exception as error:  # noqa: BLE001 - Playwright raises its base Error while a navigation replaces the document.
            sample = None
            last_error = error
        now = clock()
        services.record_peak_rss()
        if sample is not None:
            sample["seconds"] = round(now, 3)
            sample["page_load"] = navigation_log.page_load
            samples.append(sample)
            if sample["form_error"]:
                raise SystemExit(f"The upload form rejected the workbook: {sample['form_error']}")
            if sample["state"] in ENDED_STATES:
                raise SystemExit(f"The batch ended as {sample['state']!r}: {sample['error'] or sample['progress_text']}")
            if sample[done_key] and sample["loaded_at"] is not None:
                return samples, sample["loaded_at"] / 1000
        if now - started > timeout:
            detail = samples[-1] if samples else repr(last_error)
            raise SystemExit(f"Timed out after {timeout:.0f} s waiting for {done_key}; last sample: {detail}")
        services.check_alive()
        tick += 1
        page.wait_for_timeout(max(0.0, started + tick * SAMPLE_INTERVAL - clock()) * 1000)


def read_counts(page, element_ids):
    counts = {}
    for element_id in element_ids:
        element = page.query_selector(f"#{element_id}")
        if element is not None:
            counts[element_id.removeprefix("count-")] = int(element.inner_text().replace(".", "").replace(",", ""))
    return counts


def summarize_phase(samples, started_at, shown_at):
    """Return the phase's timing and the progress values that its running samples showed."""
    running = [sample for sample in samples if sample["state"] in RUNNING_STATES]
    values = []
    for sample in running:
        value = (sample["phase"], sample["rows_done"], sample["phase_total"])
        if value not in values:
            values.append(value)
    return {
        "seconds": shown_at - started_at,
        "samples": len(samples),
        "progress_samples": len(running),
        "distinct_progress_values": len(values),
        "progress_values": [list(value) for value in values],
        "page_loads_with_progress": len({sample["page_load"] for sample in running}),
        "phases": list(dict.fromkeys(sample["phase"] for sample in running if sample["phase"])),
    }


def drive_browser(services, workbook, timeout):
    """Upload the workbook, confirm the review and return the timings, counts, samples and navigations."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="id-ID")
            page = context.new_page()
            # The upload click waits for its navigation, which starts only after
            # the server has stored the whole workbook.
            page.set_default_timeout(300_000)

            page.goto(f"{services.url}/customers/")
            page.fill("#id_username", ADMIN_USERNAME)
            page.fill("#id_password", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{services.url}/customers/", timeout=30_000)
            page.goto(f"{services.url}/customers/upload/")
            page.set_input_files("input[name=file]", str(workbook))

            origin = time.monotonic()
            navigation_log = NavigationLog(page, lambda: time.monotonic() - origin)
            clock = navigation_log.clock

            navigation_log.expect("upload submit")
            upload_clicked_at = time.time()
            page.click("button.primary[type=submit]")
            validation_samples, review_shown_at = sample_until(
                page, services, navigation_log, clock, "review_shown", timeout
            )
            review_counts = read_counts(page, REVIEW_COUNT_IDS)

            confirm_button = page.get_by_role("button", name="Simpan baris yang valid")
            navigation_log.expect("confirm submit")
            save_clicked_at = time.time()
            save_clicked_seconds = clock()
            confirm_button.click()
            save_samples, result_shown_at = sample_until(page, services, navigation_log, clock, "result_shown", timeout)
            result_counts = read_counts(page, RESULT_COUNT_IDS)
            context.close()
        finally:
            browser.close()

    validation = summarize_phase(validation_samples, upload_clicked_at, review_shown_at)
    save = summarize_phase(save_samples, save_clicked_at, result_shown_at)
    navigations = navigation_log.navigations
    return {
        "validation": validation,
        "save": save,
        "total_seconds": validation["seconds"] + save["seconds"],
        "review_counts": review_counts,
        "result_counts": result_counts,
        "navigations": navigations,
        "reloads": sum(1 for navigation in navigations if navigation["cause"] == "reload"),
        "hx_refreshes": sum(1 for navigation in navigations if navigation["cause"] == "HX-Refresh"),
        # Sample times count from the upload click; the save's samples start here.
        "save_clicked_seconds": save_clicked_seconds,
        "samples": {"validation": validation_samples, "save": save_samples},
    }


# --- report ------------------------------------------------------------------


def print_phase(name, phase):
    print(
        f"{name}: {phase['seconds']:.1f} s; {phase['progress_samples']} progress samples, "
        f"{phase['distinct_progress_values']} distinct progress values on "
        f"{phase['page_loads_with_progress']} page load(s); phases {', '.join(phase['phases']) or '—'}"
    )


def print_timeline(samples):
    """Print each sample whose progress differs from the one before, as the admin saw it."""
    previous = None
    for sample in samples:
        if sample["state"] not in RUNNING_STATES:
            continue
        value = (sample["phase"], sample["rows_done"], sample["phase_total"])
        if value == previous:
            continue
        previous = value
        bar = "—" if sample["bar_position"] is None or sample["bar_position"] < 0 else f"{sample['bar_position']:.0%}"
        print(
            f"  {sample['seconds']:7.1f} s  {sample['state']:<10} {sample['phase'] or '—':<8} bar {bar:>4}  "
            f"{sample['progress_text'] or sample['phase_label'] or ''}"
        )


def print_report(results):
    run = results["run"]
    print()
    print(f"Machine: {results['machine']}")
    print(f"Command: {results['command']}")
    print(
        f"Workbook: {run['rows']:,} rows, {run['workbook_bytes'] / 1024:,.0f} KiB; "
        f"customers before the upload: {run['existing']:,}"
    )
    print(f"Server: gunicorn with {run['web_workers']} workers, DEBUG=0, one db_worker, PostgreSQL")
    print()
    print_phase("Validation (upload click to review shown)", run["validation"])
    print_timeline(run["samples"]["validation"])
    print_phase("Save (confirm click to result shown)", run["save"])
    print_timeline(run["samples"]["save"])
    print(f"Total: {run['total_seconds']:.1f} s")
    print()
    print("Review counts: " + ", ".join(f"{name} {value:,}" for name, value in run["review_counts"].items()))
    print("Result counts: " + ", ".join(f"{name} {value:,}" for name, value in run["result_counts"].items()))
    print(
        f"Page navigations: {len(run['navigations'])} "
        f"({', '.join(navigation['cause'] for navigation in run['navigations'])}); "
        f"reloads while the batch ran: {run['reloads']}"
    )
    print(
        "Peak RSS (VmHWM): "
        f"db_worker {format_mib(run['peak_rss_mib']['worker'])}, "
        f"largest gunicorn worker {format_mib(run['peak_rss_mib']['web worker'])}, "
        f"gunicorn master {format_mib(run['peak_rss_mib']['web master'])}"
    )


def format_mib(value):
    return "—" if value is None else f"{value:.0f} MiB"


def main(argv=None):
    args = parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ebilling-browser-bench-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    env = import_bench.database_env(args.database_url)

    baseline_id = prepare_database(args, env)
    workbook = ensure_workbook(workdir, args.rows)
    create_admin(env)
    served_env = server_env(env, workdir)
    import_bench.run_manage(served_env, "collectstatic", "--noinput")

    services = Services(served_env, workdir, args.port or free_port(), args.web_workers)
    try:
        print(f"Starting gunicorn on {services.url} and one db_worker; logs in {workdir} …", file=sys.stderr)
        services.start()
        print(f"Uploading {workbook.name} in Chromium …", file=sys.stderr)
        run = drive_browser(services, workbook, args.phase_timeout)
    finally:
        services.stop()

    run.update(
        rows=args.rows,
        existing=args.existing,
        baseline_id=baseline_id,
        workbook=str(workbook),
        workbook_bytes=workbook.stat().st_size,
        web_workers=args.web_workers,
        peak_rss_mib={role: services.peak_rss_mib(role) for role in ("worker", "web worker", "web master")},
    )
    results = {"machine": import_bench.machine_description(), "command": " ".join(sys.argv), "run": run}
    print_report(results)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
