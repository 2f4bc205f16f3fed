"""Helpers shared by the import tests: run the command, build workbooks."""

import io
import json
from pathlib import Path

from django.core.management import call_command
from openpyxl import Workbook

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_XLSX = DATA_DIR / "samples" / "pelanggan-contoh.xlsx"
SAMPLE_CSV = DATA_DIR / "samples" / "pelanggan-contoh-titikkoma.csv"
CASES_DIR = DATA_DIR / "cases"


def run_import(path, *args):
    """Run `import_customers PATH --json` and return (exit code, JSON result or None, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_customers", str(path), "--json", *args, stdout=out, stderr=err)
    except SystemExit as stop:
        return stop.code, None, err.getvalue()
    return 0, json.loads(out.getvalue()), err.getvalue()


def write_workbook(path, rows):
    """Write `rows` (lists of cell values, header first) to an .xlsx at `path`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def validate_upload(path, **options):
    """Create an import batch of the file at `path` with `options` (user,
    site, mode, …), check it as the upload page does, and return it reloaded."""
    from customers.importing import batches

    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, **options)
    batches.validate_batch(batch)
    batch.refresh_from_db()
    return batch
