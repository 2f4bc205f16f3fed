"""A small run of bench/browser_upload.py, so the browser benchmark keeps working.

The benchmark needs PostgreSQL (COPY, and a second connection for the save's
progress). It uses the server of DATABASE_URL when that is PostgreSQL,
otherwise the local server at 127.0.0.1:5432 that CI starts, and the
database ebilling_browser_bench_test, which the test drops at the end.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

pytestmark = pytest.mark.browser

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH = BASE_DIR / "bench" / "browser_upload.py"
LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_NAME = "ebilling_browser_bench_test"


def load_import_bench():
    spec = importlib.util.spec_from_file_location("import_bench", BASE_DIR / "bench" / "import_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench_database_url():
    configured = os.environ.get("DATABASE_URL", "")
    server = configured if configured.startswith(("postgres://", "postgresql://")) else LOCAL_SERVER
    parts = urlsplit(server)
    yield urlunsplit(parts._replace(scheme="postgres", path=f"/{DATABASE_NAME}"))
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgres", path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')


def created_by_command(database_url, baseline_id, workbook):
    """Return how many customers `import_customers` creates from the workbook on the seeded database.

    import_bench.reset_database removes everything saved after the seed, so
    the command line import checks the file against the same customers that
    the browser upload saw.
    """
    import_bench = load_import_bench()
    import_bench.reset_database(database_url, baseline_id)
    completed = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "import_customers", str(workbook), "--json"],
        cwd=BASE_DIR, env=import_bench.database_env(database_url), capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])["created"]


def test_browser_bench_small_run(bench_database_url, tmp_path):
    results_path = tmp_path / "results.json"

    completed = subprocess.run(
        [
            sys.executable, str(BENCH), "--rows", "300", "--existing", "200",
            "--database-url", bench_database_url, "--workdir", str(tmp_path), "--json", str(results_path),
        ],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=900,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    run = json.loads(results_path.read_text())["run"]
    expected_created = created_by_command(bench_database_url, run["baseline_id"], run["workbook"])
    assert expected_created > 0
    assert run["result_counts"]["rows"] == 300
    assert run["result_counts"]["created"] == expected_created
    assert run["review_counts"]["new"] == expected_created
    assert run["validation"]["progress_samples"] >= 1
    assert run["save"]["progress_samples"] >= 1
    assert run["validation"]["page_loads_with_progress"] == 1
    assert run["save"]["page_loads_with_progress"] == 1
    assert run["reloads"] == 0
    assert [navigation["cause"] for navigation in run["navigations"]][:1] == ["upload submit"]
    assert "confirm submit" in [navigation["cause"] for navigation in run["navigations"]]
    assert run["validation"]["seconds"] > 0
    assert run["save"]["seconds"] > 0
    assert run["peak_rss_mib"]["worker"] > 10
    assert run["peak_rss_mib"]["web worker"] > 10
    assert "Validation (upload click to review shown): " in completed.stdout
    assert "reloads while the batch ran: 0" in completed.stdout
