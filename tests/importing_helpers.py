"""Helpers shared by the import tests: run the command, build workbooks."""

import io
import json
import re
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse
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


def upload(client, path, mode="create"):
    """Upload the file at `path` through the upload page and return its batch, checked."""
    from customers.models import ImportBatch

    with open(path, "rb") as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": mode})
    assert response.status_code == 302
    return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def confirm(client, batch, **data):
    """Press the review's save button of `batch` with the form `data`, and reload the batch."""
    from customers.importing import batches

    url = reverse("customers:batch-confirm", args=[batch.pk])
    response = client.post(url, {"review": batches.review_fingerprint(batch), **data})
    batch.refresh_from_db()
    return response


def table_rows(page, table_id, labels):
    """Return, for each row of the table `table_id` in the HTML `page`, the
    texts of its cells whose data-label attributes are `labels`, in that order."""
    start = page.index(f'<table id="{table_id}"')
    table = page[start : page.index("</table>", start)]
    cells = "".join(rf'<td[^>]* data-label="{re.escape(label)}">([^<]*)</td>' for label in labels)
    return re.findall(cells, table)


def unmatched_table(page):
    """Return (column, value, rows, close names) of each row of the batch
    page's table of names that matched nothing, in English."""
    return table_rows(page, "unmatched", ["Column", "Value", "Rows", "Close known names, closest first"])
