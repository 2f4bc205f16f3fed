"""File sizes read the same on every page: Django's filesizeformat, as
"4.0 KB" or "256.0 MB", in the lists, on the batch page and in the
messages about files over a size limit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from customers.importing.problems import FileRejected, file_size_text
from customers.models import ImportBatch

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


@pytest.fixture
def english_client(admin_client):
    admin_client.cookies["django_language"] = "en"
    return admin_client


def failed_batch(code, params, file_size):
    return ImportBatch.objects.create(
        file_name="besar.xlsx", file_size=file_size, file_sha256="0" * 64,
        state=ImportBatch.State.FAILED, error_code=code, error_params=params,
    )


def test_upload_page_over_limit_message(english_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 4096
    upload = SimpleUploadedFile("besar.csv", b"Nama\n" + b"x" * 4092)

    response = english_client.post(reverse("customers:upload"), {"file": upload, "mode": "create"})

    assert response.status_code == 200
    assert (
        "The file is 4.1\xa0KB, larger than the limit of 4.0\xa0KB. Split it into smaller files and upload each."
    ) in response.content.decode()


def test_batch_page_size_and_limit(english_client):
    batch = failed_batch("zip_too_large", {"limit_bytes": 256 * MIB}, 3 * MIB)

    page = english_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert " · 3.0\xa0MB" in page
    assert "The file unpacks to more than 256.0\xa0MB, the limit for one import" in page


def test_batch_page_stored_megabytes(english_client):
    # A batch that failed before sizes were stored in bytes keeps whole MiB.
    batch = failed_batch("file_too_large", {"size_mb": 26, "limit_mb": 25}, 26 * MIB)

    page = english_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert "The file is 26.0\xa0MB, larger than the limit of 25.0\xa0MB." in page


def test_batch_list_size(english_client):
    failed_batch("file_corrupt", {}, 4097)

    page = english_client.get(reverse("customers:batch-list")).content.decode()

    assert "besar.xlsx <span class=\"muted\">(4.0\xa0KB)</span>" in page


def test_size_over_limit_reads_larger():
    with translation.override("en"):
        message = FileRejected("file_too_large", size_bytes=25 * MIB + 1, limit_bytes=25 * MIB).message

    assert message.startswith("The file is 25.1\xa0MB, larger than the limit of 25.0\xa0MB.")


@pytest.mark.parametrize(
    ("size", "round_up", "text"),
    [
        (0, False, "0\xa0bytes"),
        (1023, True, "1023\xa0bytes"),
        (1024, True, "1.0\xa0KB"),
        (1025, True, "1.1\xa0KB"),
        (MIB - 1, True, "1.0\xa0MB"),
        (25 * MIB, True, "25.0\xa0MB"),
        (25 * MIB + 1, False, "25.0\xa0MB"),
        (25 * MIB + 1, True, "25.1\xa0MB"),
    ],
)
def test_file_size_text(size, round_up, text):
    with translation.override("en"):
        assert file_size_text(size, round_up=round_up) == text
