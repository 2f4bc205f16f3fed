"""The import history page and the customers a batch created."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.importing import batches
from customers.models import Customer, ImportBatch, ImportProblem
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Site", "Paket"]


def imported(path, rows, **options):
    write_workbook(path, [HEADER, *rows])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, **options)
    batches.validate_batch(batch)
    batches.commit_batch(batch)
    batch.refresh_from_db()
    return batch


def row_html(page, batch):
    start = page.index(f'<tr id="batch-{batch.pk}">')
    return page[start:page.index("</tr>", start)]


def test_history_lists_every_batch(admin_client, admin_user, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    done = imported(tmp_path / "pelanggan-cibinong.xlsx", [
        ["PLG-1001", "Ani", "081200001001", "", "Jl. A", "", "H10"],
        ["PLG-1002", "Bayu", "081200001002", "", "Jl. B", "", "H10"],
        ["PLG-1003", "", "081200001003", "", "Jl. C", "", "H10"],
    ], user=admin_user, site=sites["CBN"])
    ImportBatch.objects.filter(pk=done.pk).update(
        started_at=timezone.now() - timedelta(seconds=75), finished_at=timezone.now()
    )
    failed = ImportBatch.objects.create(
        file_name="rusak.xlsx", file_size=2048, file_sha256="0" * 64, state=ImportBatch.State.FAILED,
        mode=ImportBatch.Mode.UPDATE, error_code="file_corrupt",
    )

    response = admin_client.get(reverse("customers:batch-list"))

    page = response.content.decode()
    assert response.status_code == 200
    first = row_html(page, done)
    assert "admin" in first
    assert "pelanggan-cibinong.xlsx" in first
    assert "Cibinong" in first
    assert '<td data-label="Mode">Tambah saja</td>' in first
    assert '<td class="count-new" data-label="Baru">2</td>' in first
    assert '<td class="count-updated" data-label="Diperbarui">0</td>' in first
    assert '<td class="count-present" data-label="Sudah ada">0</td>' in first
    assert '<td class="count-problems" data-label="Baris bermasalah">1</td>' in first
    assert '<td data-label="Status">Selesai</td>' in first
    assert '<td class="duration" data-label="Durasi">1:15</td>' in first
    assert f'href="{reverse("customers:batch-detail", args=[done.pk])}"' in first
    second = row_html(page, failed)
    assert "rusak.xlsx" in second
    assert '<td data-label="Status">Gagal</td>' in second
    assert "2,0" in second
    assert '<td class="duration" data-label="Durasi">—</td>' in second
    assert page.index(f'id="batch-{failed.pk}"') < page.index(f'id="batch-{done.pk}"')


def test_history_hides_other_sites(client, django_user_model, sample_catalogue, admin_user, tmp_path):
    sites, _packages = sample_catalogue
    site_admin = django_user_model.objects.create_user(username="admin-cbn", password="x" * 12, is_staff=True)
    sites["CBN"].staff.add(site_admin)
    own = imported(tmp_path / "milik.xlsx", [["PLG-1101", "Cici", "081200001101", "", "Jl. C"]],
                   site=sites["CBN"], user=site_admin)
    other = imported(tmp_path / "lain.xlsx", [["PLG-1102", "Dodi", "081200001102", "", "Jl. D"]], site=sites["CTY"])
    client.force_login(site_admin)

    page = client.get(reverse("customers:batch-list")).content.decode()

    assert f'id="batch-{own.pk}"' in page
    assert f'id="batch-{other.pk}"' not in page
    assert client.get(reverse("customers:batch-detail", args=[other.pk])).status_code == 404


def test_history_hides_admins_own_site_batch(client, django_user_model, sample_catalogue, admin_user, tmp_path):
    """An admin's batch names customers of every site in its findings."""
    sites, _packages = sample_catalogue
    by_admin = imported(tmp_path / "pusat.xlsx", [["PLG-1103", "Eka", "081200001103", "", "Jl. E"]],
                        site=sites["CBN"], user=admin_user)
    site_admin = django_user_model.objects.create_user(username="admin-cbn", password="x" * 12, is_staff=True)
    sites["CBN"].staff.add(site_admin)
    client.force_login(site_admin)

    page = client.get(reverse("customers:batch-list")).content.decode()

    assert f'id="batch-{by_admin.pk}"' not in page
    assert client.get(reverse("customers:batch-detail", args=[by_admin.pk])).status_code == 404


def test_batch_page_lists_created_customers(admin_client, sample_catalogue, tmp_path):
    rows = [[f"PLG-{2000 + index}", f"Pelanggan {index}", f"0812000{2000 + index:05d}", "", "Jl. X"] for index in range(60)]
    batch = imported(tmp_path / "banyak.xlsx", rows)
    Customer.objects.create(number="PLG-9999", name="Bukan dari batch ini")

    first = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    second = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]), {"customers_page": 2}).content.decode()

    section = first[first.index('id="created-customers"'):]
    assert "60 pelanggan" in section
    assert ">PLG-2000</a>" in section
    assert ">PLG-2049</a>" in section
    assert ">PLG-2050</a>" not in section
    assert "?customers_page=2#created-customers" in section
    later = second[second.index('id="created-customers"'):]
    assert ">PLG-2050</a>" in later
    assert ">PLG-2059</a>" in later
    assert "PLG-9999" not in later


def test_batch_page_shows_problems(admin_client, sample_catalogue, tmp_path):
    batch = imported(tmp_path / "masalah.xlsx", [
        ["PLG-1201", "Eka", "081200001201", "", "Jl. E"],
        ["PLG-1202", "Fani", "nomor salah", "", "Jl. F"],
    ])

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert batch.problem_count == 1
    findings = page[page.index('id="findings"'):]
    assert '<td data-label="Baris">3</td><td data-label="Kolom">No HP</td><td class="value" data-label="Nilai">nomor salah</td>' in findings


def test_duration_text():
    started = timezone.now()

    batch = ImportBatch(started_at=started, finished_at=started + timedelta(hours=1, minutes=2, seconds=3))

    assert batch.duration_text == "1:02:03"
    assert ImportBatch(started_at=started, finished_at=started + timedelta(seconds=9)).duration_text == "0:09"
    assert ImportBatch(started_at=started).duration_text == ""


def large_batch(state):
    return ImportBatch.objects.create(
        file_name="besar.xlsx", file_sha256="1" * 64, state=state, rows_read=123_456, new_count=100_000,
        created_count=100_000, updated_count=2_500, duplicate_count=20_000, problem_count=1_234,
        incomplete_count=50_000,
    )


def test_history_marks_counts_never_saved(admin_client):
    waiting = large_batch(ImportBatch.State.REVIEW)
    saved = large_batch(ImportBatch.State.DONE)

    page = admin_client.get(reverse("customers:batch-list")).content.decode()

    assert '<td class="count-new unsaved" data-label="Baru">100.000</td>' in row_html(page, waiting)
    assert "Tidak ada yang disimpan dari file ini" in row_html(page, waiting)
    assert '<td class="count-new" data-label="Baru">100.000</td>' in row_html(page, saved)
    assert "Tidak ada yang disimpan" not in row_html(page, saved)


@pytest.mark.parametrize(("language", "label", "grouped"), [("id", "Baru", "100.000"), ("en", "New", "100,000")])
def test_history_counts_grouped(admin_client, language, label, grouped):
    batch = large_batch(ImportBatch.State.DONE)
    admin_client.cookies["django_language"] = language

    page = admin_client.get(reverse("customers:batch-list")).content.decode()

    assert f'<td class="count-new" data-label="{label}">{grouped}</td>' in row_html(page, batch)


@pytest.mark.parametrize(("language", "separator"), [("id", "."), ("en", ",")])
def test_review_counts_grouped(admin_client, language, separator):
    batch = large_batch(ImportBatch.State.REVIEW)
    admin_client.cookies["django_language"] = language

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert f'<strong id="count-rows">123{separator}456</strong>' in page
    assert f'<strong id="count-new">100{separator}000</strong>' in page
    assert f'<strong id="count-present">20{separator}000</strong>' in page
    assert f'<strong id="count-problems">1{separator}234</strong>' in page
    assert f'<strong id="count-incomplete">50{separator}000</strong>' in page


def test_findings_pages_keep_kind(admin_client, admin_user):
    batch = ImportBatch.objects.create(
        created_by=admin_user, file_name="banyak.xlsx", file_sha256="b" * 64, state=ImportBatch.State.DONE
    )
    ImportProblem.objects.bulk_create(
        ImportProblem(batch=batch, kind="note", row=row, column="Nama", value="x", code="example_skipped")
        for row in range(2, 103)
    )

    first = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]), {"kind": "note"}).content.decode()
    second = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]), {"kind": "note", "page": "2"})

    assert '<a href="?kind=note&amp;page=2">Berikutnya →</a>' in first
    assert "<span>Halaman 1 dari 2</span>" in first
    assert '<a href="?kind=note&amp;page=1">← Sebelumnya</a>' in second.content.decode()
    assert len(second.context["page"].object_list) == 1


def test_batch_list_pages(admin_client, admin_user):
    ImportBatch.objects.bulk_create(
        ImportBatch(created_by=admin_user, file_name=f"f{number}.xlsx", file_sha256=f"{number:064d}")
        for number in range(51)
    )

    first = admin_client.get(reverse("customers:batch-list")).content.decode()

    assert '<a href="?page=2">Berikutnya →</a>' in first
    assert "<span>Halaman 1 dari 2</span>" in first
