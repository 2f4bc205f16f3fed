"""The problem-row workbook: written by the worker, served from storage,
and read from the upload only up to the last problem row."""

import io
from contextlib import contextmanager

import pytest
from django.core.files.storage import default_storage
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from customers.importing import batches, problem_files, problem_workbook
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP"]


def validate(path):
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name)
    return batches.validate_batch(batch)


def downloaded_rows(client, batch):
    response = client.get(reverse("customers:batch-problems", args=[batch.pk]))
    assert response.status_code == 200
    return [row[:3] for row in load_workbook(io.BytesIO(response.getvalue())).active.iter_rows(values_only=True)]


def test_download_serves_stored_workbook(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "masalah.xlsx", [HEADER, ["PLG-0801", "Ani", "bukan nomor"]])
    batch = validate(path)
    # Without the upload, a workbook written on request has only the messages.
    default_storage.delete(batch.file.name)

    rows = downloaded_rows(admin_client, batch)

    assert rows == [tuple(HEADER), ("PLG-0801", "Ani", "bukan nomor")]


def test_download_not_cached(admin_client, sample_catalogue, tmp_path):
    batch = validate(write_workbook(tmp_path / "masalah.xlsx", [HEADER, ["PLG-0805", "Fajar", "bukan nomor"]]))

    response = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_worker_stores_both_workbooks(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "masalah.xlsx", [HEADER, ["PLG-0802", "Budi", "bukan nomor"]])

    batch = validate(path)

    names = problem_files.workbook_names(batch.file.name)
    assert [default_storage.exists(name) for name in names] == [True, True]


def test_no_workbook_without_problems(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "baik.xlsx", [HEADER, ["PLG-0803", "Citra", "081200000803"]])

    batch = validate(path)

    names = problem_files.workbook_names(batch.file.name)
    assert [default_storage.exists(name) for name in names] == [False, False]


def test_purge_deletes_stored_workbooks(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "masalah.xlsx", [HEADER, ["PLG-0804", "Dewi", "bukan nomor"]])
    batch = validate(path)
    names = problem_files.workbook_names(batch.file.name)
    admin_client.post(reverse("customers:batch-cancel", args=[batch.pk]))

    call_command("purge_import_files", "--days", "0", stdout=io.StringIO())

    assert [default_storage.exists(name) for name in names] == [False, False]
    assert downloaded_rows(admin_client, batch) == [
        ("Baris asal", "Masalah"),
        (2, "Baris 2, kolom No HP: “bukan nomor” bukan nomor HP yang valid. Tulis seperti 0812-3456-7890."),
    ]


def test_reading_stops_after_last_problem(sample_catalogue, tmp_path, monkeypatch):
    rows = [HEADER, ["PLG-0900", "Eko", "bukan nomor"]]
    rows += [[f"PLG-{number}", f"Pelanggan {number}", f"0812000{number}"] for number in range(1000, 1300)]
    batch = validate(write_workbook(tmp_path / "panjang.xlsx", rows))
    numbers_read = []
    real_open_table = problem_workbook.open_table

    @contextmanager
    def counting_open_table(*args, **kwargs):
        with real_open_table(*args, **kwargs) as table:
            real_rows = table.rows

            def rows_read():
                for raw in real_rows():
                    numbers_read.append(raw.number)
                    yield raw

            table.rows = rows_read
            yield table

    monkeypatch.setattr(problem_workbook, "open_table", counting_open_table)

    with open(tmp_path / "out.xlsx", "wb") as out:
        problem_workbook.write_problem_workbook(batch, out)

    assert numbers_read == [2, 3]


def test_download_while_checking_redirects(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "antre.xlsx", [HEADER, ["PLG-0806", "Gita", "bukan nomor"]])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name)

    response = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:batch-detail", args=[batch.pk])
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert shown == ["File masih diperiksa. Unduh baris bermasalah setelah pemeriksaan selesai."]
