"""Edge cases of the faster import: stored plans, shared empty findings,
the in-file duplicate check, the region step after reading and undo."""

import datetime

import pytest
from django.utils import translation

from customers.importing import batches, undo
from customers.models import Customer, ImportBatch, ImportChange, ImportProblem
from customers.selectors import search_customers
from tests.importing_helpers import run_import, write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Site", "Paket"]


def validate_and_commit(path, rows, *, user=None, mode=ImportBatch.Mode.CREATE, header=HEADER):
    """Validate and commit a workbook of `rows` as the worker does, and return the batch."""
    write_workbook(path, [header, *rows])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=user, mode=mode)
    batches.validate_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    batches.commit_batch(batch)
    batch.refresh_from_db()
    return batch


def finding_codes(batch):
    return sorted(batch.problems.values_list("row", "code"))


def test_phone_under_three_names(sample_catalogue, tmp_path):
    batch = validate_and_commit(tmp_path / "hp.xlsx", [
        ["", "Ani", "081200000701", "", "Jl. A", "Cibinong", "H10"],
        ["", "Budi", "081200000701", "", "Jl. B", "Cibinong", "H10"],
        ["", "Cici", "081200000701", "", "Jl. C", "Cibinong", "H10"],
        ["", "Budi", "081200000701", "", "Jl. B", "Cibinong", "H10"],
    ])

    assert batch.state == ImportBatch.State.DONE
    assert batch.created_count == 3
    assert finding_codes(batch) == [(3, "phone_other_name"), (4, "phone_other_name"), (5, "repeated_row")]
    repeated = batch.problems.get(code="repeated_row")
    assert repeated.params["first_row"] == "3"


def test_nik_under_two_names_then_third(sample_catalogue, tmp_path):
    nik = "3201010101900001"
    batch = validate_and_commit(tmp_path / "nik.xlsx", [
        ["PLG-0711", "Ani", "081200000711", nik, "Jl. A", "Cibinong", "H10"],
        ["PLG-0712", "Budi", "081200000712", nik, "Jl. B", "Cibinong", "H10"],
        ["PLG-0713", "Budi", "081200000713", nik, "Jl. B", "Cibinong", "H10"],
        ["PLG-0714", "Ani", "081200000714", nik, "Jl. A2", "Cibinong", "H10"],
    ])

    assert batch.state == ImportBatch.State.DONE
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Ani", "Ani"]
    assert finding_codes(batch) == [
        (3, "nik_other_name"), (4, "nik_other_name"), (5, "nik_other_subscription"),
    ]


def test_every_row_a_problem(sample_catalogue, tmp_path):
    batch = validate_and_commit(tmp_path / "rusak.xlsx", [
        ["", "", "081200000721", "", "Jl. A", "Cibinong", "H10"],
        ["", "Budi", "12", "", "Jl. B", "Cibinong", "H10"],
    ])

    assert batch.state == ImportBatch.State.DONE
    assert batch.created_count == 0
    assert Customer.objects.count() == 0


def test_update_mode_command_changes_fields(sample_catalogue, tmp_path):
    sites, packages = sample_catalogue
    Customer.objects.create(number="PLG-0800", name="Wati", phone="+6281200000800", site=sites["CBN"])
    path = write_workbook(tmp_path / "ubah.xlsx", [
        HEADER,
        ["PLG-0800", "Wati", "081299990800", "", "Jl. Baru", "Cibinong", "H10"],
        ["PLG-0801", "Yani", "081200000801", "", "Jl. Y", "Cibinong", "H10"],
    ])

    code, result, _err = run_import(path, "--update")

    assert code == 0
    assert result["updated"] == 1
    assert result["created"] == 1
    assert Customer.objects.get(number="PLG-0800").phone == "+6281299990800"


def test_create_and_update_undo(admin_user, sample_catalogue, regions_loaded, tmp_path):
    sites, packages = sample_catalogue
    existing = Customer.objects.create(
        number="PLG-0810", name="Wati", phone="+6281200000810", address="Jl. Lama 1", site=sites["CBN"],
    )
    batch = validate_and_commit(tmp_path / "campur.xlsx", [
        ["PLG-0810", "Wati", "081299990810", "", "Jl. Baru 2", "Citayam", "H10"],
        ["PLG-0811", "Yani", "081200000811", "", "Jl. Y", "Cibinong", "H10"],
        ["PLG-0812", "Zaki", "081200000812", "", "Jl. Z", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    assert batch.state == ImportBatch.State.DONE
    assert batch.updated_count == 1
    edited = Customer.objects.get(number="PLG-0812")
    edited.address = "Jl. Z Nomor 9"
    edited.save()

    plan = undo.undo_batch(batch, admin_user)

    assert [row[1] for row in plan.removable] == ["PLG-0811"]
    assert [item.number for item in plan.kept] == ["PLG-0812"]
    existing.refresh_from_db()
    assert existing.phone == "+6281200000810"
    assert existing.address == "Jl. Lama 1"
    assert existing.site_id == sites["CBN"].pk
    assert sorted(Customer.objects.values_list("number", flat=True)) == ["PLG-0810", "PLG-0812"]
    assert not ImportChange.objects.filter(customer__number="PLG-0811").exists()
    removed = Customer.history.filter(number="PLG-0811").order_by("history_date").values_list("history_type", "name")
    assert list(removed) == [("+", "Yani"), ("-", "Yani")]


def test_retry_after_failed_commit(sample_catalogue, tmp_path, monkeypatch):
    path = write_workbook(tmp_path / "ulang.xlsx", [
        HEADER,
        ["", "Ani", "081200000821", "", "Jl. A", "Cibinong", "H10"],
        ["", "Budi", "081200000821", "", "Jl. B", "Cibinong", "H10"],
    ])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name)
    batches.validate_batch(batch)
    batch.confirmed_at = batch.created_at
    batch.save(update_fields=["confirmed_at"])

    from customers.importing import saving

    real_insert = saving.insert_customers

    def failing_insert(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(saving, "insert_customers", failing_insert)
    batches.commit_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED
    monkeypatch.setattr(saving, "insert_customers", real_insert)

    assert batches.queue_retry(batch) == "commit"
    batches.commit_batch(batch)
    batch.refresh_from_db()

    assert batch.state == ImportBatch.State.DONE
    assert batch.created_count == 2
    assert finding_codes(batch) == [(3, "phone_other_name")]


def test_example_row_with_address_skipped(sample_catalogue, regions_loaded, tmp_path):
    from customers.importing.template import EXAMPLE_NUMBER

    batch = validate_and_commit(tmp_path / "contoh.xlsx", [
        [EXAMPLE_NUMBER, "Contoh", "081200000831", "", "Jl. Contoh 1, Kel. Antah, Kec. Berantah", "Cibinong", "H10"],
        ["", "Ani", "081200000832", "", "Jl. A", "Cibinong", "H10"],
    ])

    assert finding_codes(batch) == [(2, "example_skipped")]
    assert batch.created_count == 1
    # Skipped, not a problem row: the review counts no problem for it.
    assert batch.problem_count == 0
    assert batch.rows_read == 1


@pytest.mark.parametrize("text, numbers", [
    ("0812000008", ["PLG-0840"]),
    ("+6281200000840", ["PLG-0840"]),
    ("plg-084", ["PLG-0840", "PLG-0841"]),
    ("budi", ["PLG-0841"]),
    ("3201010101900002", ["PLG-0841"]),
])
def test_list_search_after_index_drop(db, text, numbers):
    Customer.objects.create(number="PLG-0840", name="Ani", phone="+6281200000840")
    Customer.objects.create(number="PLG-0841", name="Budi Santoso", phone="+6285700000841", nik="3201010101900002")

    found = search_customers(Customer.objects.all(), text)

    assert sorted(found.values_list("number", flat=True)) == numbers


def test_undo_after_nik_reveal_and_link(admin_client, admin_user, sample_catalogue, tmp_path):
    from django.db import connection
    from django.urls import reverse

    from audit.models import NikReveal
    from portal.links import link_create
    from portal.models import PortalLink

    batch = validate_and_commit(tmp_path / "nik-dilihat.xlsx", [
        ["PLG-0851", "Ani", "081200000851", "3201010101900051", "Jl. A", "Cibinong", "H10"],
    ], user=admin_user)
    customer = Customer.objects.get(number="PLG-0851")
    admin_client.post(reverse("audit:nik-reveal", args=[customer.pk]))
    assert NikReveal.objects.filter(customer=customer).count() == 1
    link_create(customer, created_by=admin_user)
    if connection.vendor == "postgresql":
        # Django's foreign keys are deferred, and the test's transaction never
        # commits, so the check has to run at once to be seen.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    undo.undo_batch(batch, admin_user)

    assert not Customer.objects.filter(number="PLG-0851").exists()
    reveal = NikReveal.objects.get()
    assert reveal.customer_id is None
    assert reveal.customer_number == "PLG-0851"
    assert not PortalLink.objects.exists()


def test_update_name_then_undo(admin_user, sample_catalogue, tmp_path):
    sites, packages = sample_catalogue
    Customer.objects.create(number="PLG-0860", name="Wati", phone="+6281200000860", site=sites["CBN"])
    batch = validate_and_commit(tmp_path / "nama.xlsx", [
        ["PLG-0860", "Wati  Susanti", "", "", "", "", ""],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    assert batch.updated_count == 1
    assert list(search_customers(Customer.objects.all(), "susanti").values_list("number", flat=True)) == ["PLG-0860"]

    undo.undo_batch(batch, admin_user)

    customer = Customer.objects.get(number="PLG-0860")
    assert customer.name == "Wati"
    assert customer.phone == "+6281200000860"
    assert not search_customers(Customer.objects.all(), "susanti").exists()


def test_header_only_file_saves_nothing(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "kosong.xlsx", [HEADER])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name)

    batches.validate_batch(batch)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "no_customer_rows"
    assert Customer.objects.count() == 0


def test_dry_run_then_update_command(sample_catalogue, regions_loaded, tmp_path):
    sites, packages = sample_catalogue
    Customer.objects.create(number="PLG-0870", name="Wati", phone="+6281200000870", address="Jl. Lama")
    path = write_workbook(tmp_path / "ulang.xlsx", [
        HEADER,
        ["PLG-0870", "Wati", "", "", "Jl. Baru 1, Kel. Pakansari, Kec. Cibinong, Kab. Bogor", "Cibinong", "H10"],
        ["", "Ani", "081200000871", "", "", "", ""],
        ["", "Ani", "081200000871", "", "", "", ""],
    ])

    code, dry, _err = run_import(path, "--update", "--dry-run")
    assert code == 0
    assert (dry["would_create"], dry["would_update"], len(dry["errors"])) == (1, 1, 1)
    assert Customer.objects.count() == 1

    code, done, _err = run_import(path, "--update")
    assert code == 0
    assert (done["created"], done["updated"], len(done["errors"])) == (1, 1, 1)
    updated = Customer.objects.get(number="PLG-0870")
    assert updated.address.startswith("Jl. Baru 1")
    assert updated.street == "Jl. Baru 1"
    assert updated.package_id == packages["H10"].pk


def test_id_date_cell_rejects_row(sample_catalogue, tmp_path):
    batch = validate_and_commit(tmp_path / "tanggal.xlsx", [
        ["W7-T01", "Ani", "081211118801", "", "Jl. A", "CBN", "H10"],
        [datetime.datetime(2024, 3, 3), "Tipe Salah", "081211118803", "", "Jl. D", "CBN", "H10"],
    ])

    problems = [(p.row, p.kind, p.column, p.value, p.code) for p in batch.problems.all()]
    with translation.override("en"):
        message = batch.problems.get().message
    assert problems == [(3, ImportProblem.Kind.PROBLEM, "ID Pelanggan", "2024-03-03", "number_date")]
    assert message == (
        "Row 3, column ID Pelanggan: “2024-03-03” is a date because Excel changed the ID typed in the cell "
        "into one, so the row was not saved. Format the column as Text, type the ID again and upload the "
        "file again."
    )
    assert list(Customer.objects.values_list("number", flat=True)) == ["W7-T01"]
