"""A small run of bench/import_bench.py, so the benchmark keeps working.

The benchmark needs PostgreSQL (COPY). It uses the server of DATABASE_URL
when that is PostgreSQL, otherwise the local server at 127.0.0.1:5432 that
CI starts, and a database of its own that the test drops at the end.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH = BASE_DIR / "bench" / "import_bench.py"
LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def bench_database_url():
    configured = os.environ.get("DATABASE_URL", "")
    server = configured if configured.startswith(("postgres://", "postgresql://")) else LOCAL_SERVER
    parts = urlsplit(server)
    url = urlunsplit(parts._replace(scheme="postgres", path=f"/ebilling_bench_test_{os.getpid()}"))
    yield url
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgres", path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "ebilling_bench_test_{os.getpid()}" WITH (FORCE)')


def test_bench_small_run(bench_database_url, tmp_path):
    results_path = tmp_path / "results.json"

    completed = subprocess.run(
        [
            sys.executable, str(BENCH), "--rows", "200", "--quick", "--existing", "300",
            "--page-customers", "600", "--page-requests", "2",
            "--database-url", bench_database_url, "--workdir", str(tmp_path), "--json", str(results_path),
        ],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=600,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(results_path.read_text())
    measured = {(result["kind"], result["rows"]): result for result in results["results"]}
    assert sorted(measured) == [("floor", 200), ("import-export", 200), ("naive", 200), ("product", 200)]
    for result in measured.values():
        assert result["created"] == 200, result["kind"]
        assert result["seconds"] > 0, result["kind"]
        assert result["peak_rss_mib"] > 10, result["kind"]
    pages = results["pages"]
    assert pages["customers"] == 600
    assert [page["name"] for page in pages["pages"]] == [
        "list", "list page 100", "search ID", "search name", "search phone", "search NIK",
        "filter incomplete", "filter site", "filter site + incomplete",
        "sort by name", "sort by name, page 100", "sort by name, reversed", "site + sort by name",
        "filter status", "sort by ID, reversed", "filter district", "filter regency",
    ]
    for page in pages["pages"]:
        # The area filter's selects list the provinces, and below a chosen
        # area the regencies, districts and villages: up to five queries.
        assert 1 <= page["queries"] <= 16, page["name"]
    assert "200 rows: product/floor = " in completed.stdout
    assert "200 rows: import-export/product = " in completed.stdout
    assert "| product | 200 |" in completed.stdout
