"""The plan stored at validation: the commit saves from it without reading
the upload again, and falls back to reading the file whenever the stored
plan is missing, tampered with or stale."""

import datetime
import io
import json
import os
import pickle
import zlib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.importing import batches, pipeline, stored_plan
from customers.importing.matching import learn_alias
from customers.models import Customer, ImportBatch, ImportChange
from sites.models import Site
from tests.importing_helpers import CASES_DIR, SAMPLE_CSV, SAMPLE_XLSX, run_import, write_workbook

pytestmark = pytest.mark.django_db

ALIAS_ROWS = [
    ["Nama", "Alamat", "Site", "Paket"],
    ["Ani", "Jl. A 1", "Cibinong", "20M"],
    ["Bayu", "Jl. B 2", "Cibinong", "20M"],
]
UPDATE_ROWS = [
    ["ID Pelanggan", "Nama", "Paket", "Alamat", "Email"],
    ["PLG-0004", "Dewi Lestari", "Home 30 Mbps", "", ""],
    ["PLG-0006", "Rina Marlina", "H10", "Jl. Kenanga 7", ""],
    ["PLG-0001", "Budi Santoso", "", "", ""],
    ["", "Warga Baru", "H20", "Jl. Baru 9", "baru@example.com"],
]
# Every readable workbook of the test data; case17 is password-protected
# and rejected before any plan exists.
READABLE_FILES = [SAMPLE_XLSX, SAMPLE_CSV] + sorted(
    path for path in CASES_DIR.iterdir() if path.suffix in {".xlsx", ".csv"} and not path.name.startswith("case17")
)
CUSTOMER_FIELDS = [
    "number", "name", "name_key", "phone", "email", "nik", "address", "street", "village_id", "postal_code",
    "latitude", "longitude", "site_id", "package_id", "status", "installed_on",
]


@pytest.fixture
def build_plan_calls(monkeypatch):
    """Record each call of pipeline.build_plan, which still runs unchanged."""
    calls = []
    original = pipeline.build_plan

    def counting_build_plan(path, *args, **kwargs):
        calls.append(Path(path).name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "build_plan", counting_build_plan)
    return calls


def upload(client, path, mode="create"):
    with open(path, "rb") as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": mode})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def validate(path, **options):
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, **options)
    return batches.validate_batch(batch)


def plan_path(batch):
    return Path(batch.file.storage.path(stored_plan.plan_name(batch.file.name)))


def spoil_upload(batch):
    """Overwrite the stored upload, so a commit that read it would fail."""
    Path(batch.file.path).write_bytes(b"this is no longer a workbook")


def confirm(client, batch):
    response = client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    return batch


def expected_new_numbers(path):
    plan = pipeline.review_plan(pipeline.build_plan(path, path.name))
    return sorted(row.fields["number"] for row in plan.rows_of("new") if row.fields.get("number"))


def outcome(batch):
    """Return everything a commit leaves behind, without ids and times."""
    batch.refresh_from_db()
    return {
        "batch": (
            batch.state, batch.rows_read, batch.rows_total, batch.new_count, batch.created_count,
            batch.updated_count, batch.duplicate_count, batch.problem_count, batch.incomplete_count,
        ),
        "summary": batch.summary,
        "findings": list(batch.problems.order_by("id").values_list("kind", "row", "column", "value", "code", "params")),
        "customers": sorted(
            Customer.objects.order_by("number").values_list(*CUSTOMER_FIELDS, "import_batch_id")
        ),
        "changes": sorted(
            ImportChange.objects.filter(batch=batch).values_list("customer__number", "field", "old_value", "new_value")
        ),
    }


def rolled_back_import(path, mode, *, keep_plan):
    """Validate and commit `path` inside a savepoint that is rolled back,
    and return the outcome, with the batch id replaced by "batch"."""
    with transaction.atomic():
        batch = validate(path, mode=mode)
        assert batch.state == ImportBatch.State.REVIEW
        assert plan_path(batch).exists()
        if not keep_plan:
            plan_path(batch).unlink()
        batches.commit_batch(batch)
        result = outcome(batch)
        transaction.set_rollback(True)
    result["customers"] = [
        (*values[:-1], "batch" if values[-1] == batch.pk else values[-1]) for values in result["customers"]
    ]
    return result


def row_state(plan):
    return [
        (
            row.clean.number,
            [(p.as_dict(), p.params) for p in row.clean.problems],
            [(p.as_dict(), p.params) for p in row.clean.notes],
            row.fields,
            row.kind,
            [(kind, p.as_dict(), p.params) for kind, p in row.findings],
        )
        for row in plan.rows
    ]


# --- The commit saves from the stored plan --------------------------------


def test_commit_does_not_read_upload(admin_client, sample_catalogue, build_plan_calls):
    expected = expected_new_numbers(SAMPLE_XLSX)
    build_plan_calls.clear()
    batch = upload(admin_client, SAMPLE_XLSX)
    assert build_plan_calls == [batch.file.name.rsplit("/", 1)[-1]]
    assert plan_path(batch).exists()
    spoil_upload(batch)

    batch = confirm(admin_client, batch)

    assert batch.state == ImportBatch.State.DONE
    assert len(build_plan_calls) == 1
    assert batch.created_count == len(expected)
    assert sorted(Customer.objects.values_list("number", flat=True)) == expected
    assert set(Customer.objects.values_list("import_batch", flat=True)) == {batch.pk}


def test_commit_after_upload_deleted(admin_client, sample_catalogue):
    expected = expected_new_numbers(SAMPLE_XLSX)
    batch = upload(admin_client, SAMPLE_XLSX)
    os.remove(batch.file.path)

    batch = confirm(admin_client, batch)

    assert batch.state == ImportBatch.State.DONE
    assert sorted(Customer.objects.values_list("number", flat=True)) == expected


@pytest.mark.parametrize("path", READABLE_FILES, ids=lambda path: path.name)
def test_stored_plan_equals_fresh_plan(sample_catalogue, regions_loaded, path):
    batch = validate(path)
    assert batch.state == ImportBatch.State.REVIEW

    loaded = stored_plan.load(batch)
    fresh = pipeline.build_plan(batch.file.path, batch.file_name)

    assert loaded is not None
    assert row_state(loaded) == row_state(fresh)
    assert loaded.summary() == fresh.summary()
    assert [(kind, p.as_dict(), p.params) for kind, p in loaded.findings()] == [
        (kind, p.as_dict(), p.params) for kind, p in fresh.findings()
    ]


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("sample", ImportBatch.Mode.CREATE),
        ("update", ImportBatch.Mode.UPDATE),
        ("case15_duplikat.xlsx", ImportBatch.Mode.CREATE),
        ("case04_tanggal_campur.xlsx", ImportBatch.Mode.UPDATE),
    ],
)
def test_commit_outcome_same_as_reread(sample_catalogue, regions_loaded, tmp_path, name, mode):
    # Customers already present make some rows duplicates or updates.
    run_import(SAMPLE_XLSX)
    if name == "sample":
        path = SAMPLE_XLSX
    elif name == "update":
        path = write_workbook(tmp_path / "perbarui.xlsx", UPDATE_ROWS)
    else:
        path = CASES_DIR / name

    from_stored_plan = rolled_back_import(path, mode, keep_plan=True)
    from_file = rolled_back_import(path, mode, keep_plan=False)

    assert from_stored_plan["batch"] == from_file["batch"]
    assert from_stored_plan["summary"] == from_file["summary"]
    assert from_stored_plan["findings"] == from_file["findings"]
    assert from_stored_plan["customers"] == from_file["customers"]
    assert from_stored_plan["changes"] == from_file["changes"]
    if name == "update":
        assert len(from_file["changes"]) > 0


def test_retry_commits_from_stored_plan(admin_client, sample_catalogue, build_plan_calls):
    expected = expected_new_numbers(SAMPLE_XLSX)
    batch = upload(admin_client, SAMPLE_XLSX)
    # What fail_stale_batches leaves after a worker was killed mid-save.
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.FAILED, error_code="worker_lost", error_params={"seconds": 60},
        confirmed_at=timezone.now(), finished_at=timezone.now(),
    )
    spoil_upload(batch)
    calls_before = len(build_plan_calls)

    admin_client.post(reverse("customers:batch-retry", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert len(build_plan_calls) == calls_before
    assert sorted(Customer.objects.values_list("number", flat=True)) == expected
    assert not plan_path(batch).exists()


# --- A stored plan that cannot be trusted is not used ---------------------


def flip_payload_byte(data):
    middle = len(data) - 10
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def change_header(data):
    return data.replace(b'"mode": "create"', b'"mode": "update"')


def truncate(data):
    return data[: len(data) // 2]


def replace_hmac(data):
    start = len(stored_plan.MAGIC)
    return data[:start] + b"\0" * stored_plan.DIGEST_SIZE + data[start + stored_plan.DIGEST_SIZE :]


def not_a_plan(data):
    return pickle.dumps({"rows": []})


@pytest.mark.parametrize("tamper", [flip_payload_byte, change_header, truncate, replace_hmac, not_a_plan])
def test_tampered_plan_rejected(sample_catalogue, caplog, tamper):
    batch = validate(SAMPLE_XLSX)
    path = plan_path(batch)
    original = path.read_bytes()
    path.write_bytes(tamper(original))

    assert stored_plan.load(batch) is None
    assert "stored plan rejected" in caplog.text


def tamper_with_payload(batch, monkeypatch):
    path = plan_path(batch)
    path.write_bytes(flip_payload_byte(path.read_bytes()))


def change_plan_code(batch, monkeypatch):
    # As after a release that changed a cleaning rule between review and save.
    monkeypatch.setattr(stored_plan, "code_fingerprint", lambda: "0" * 64)


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [(tamper_with_payload, "its HMAC does not match"), (change_plan_code, "(code changed)")],
)
def test_unusable_plan_falls_back_to_file(
    admin_client, sample_catalogue, build_plan_calls, caplog, monkeypatch, spoil, reason
):
    expected = expected_new_numbers(SAMPLE_XLSX)
    batch = upload(admin_client, SAMPLE_XLSX)
    spoil(batch, monkeypatch)
    calls_before = len(build_plan_calls)

    batch = confirm(admin_client, batch)

    assert batch.state == ImportBatch.State.DONE
    assert len(build_plan_calls) == calls_before + 1
    assert reason in caplog.text
    assert sorted(Customer.objects.values_list("number", flat=True)) == expected


def test_plan_of_other_batch_rejected(sample_catalogue, caplog):
    first = validate(SAMPLE_XLSX)
    second = validate(SAMPLE_XLSX)
    plan_path(second).write_bytes(plan_path(first).read_bytes())

    assert stored_plan.load(second) is None
    assert "batch changed" in caplog.text


class CallOnLoad:
    """Unpickles by calling os.getcwd, as a hostile payload would call any function."""

    def __reduce__(self):
        return (os.getcwd, ())


def test_signed_plan_with_foreign_class_rejected(sample_catalogue, caplog):
    batch = validate(SAMPLE_XLSX)
    header = json.dumps(stored_plan._header(batch, stored_plan.catalogue_fingerprint())).encode()
    payload = zlib.compress(pickle.dumps(CallOnLoad()))
    body = stored_plan.HEADER_LENGTH.pack(len(header)) + header + payload
    # Signed with the real key, so only the unpickler's class check stops it.
    plan_path(batch).write_bytes(stored_plan.MAGIC + stored_plan._mac(body) + body)

    assert stored_plan.load(batch) is None
    assert "getcwd is not allowed in a stored plan" in caplog.text


# --- Catalogue changes between review and commit --------------------------


def test_alias_learned_elsewhere_before_commit(admin_client, sample_catalogue, tmp_path, build_plan_calls):
    sites, packages = sample_catalogue
    first = upload(admin_client, write_workbook(tmp_path / "pertama.xlsx", ALIAS_ROWS))
    second = upload(admin_client, write_workbook(tmp_path / "kedua.xlsx", [*ALIAS_ROWS, ["Cici", "Jl. C 3", "", "20M"]]))
    assert [entry["value"] for entry in first.summary["unmatched_packages"]] == ["20M"]

    # The alias is learned on the other batch's review page.
    admin_client.post(
        reverse("customers:batch-alias", args=[second.pk]),
        {"kind": "package", "name": "20M", "target": packages["H20"].pk},
    )
    calls_before = len(build_plan_calls)
    first = confirm(admin_client, first)

    assert first.state == ImportBatch.State.DONE
    assert build_plan_calls[calls_before:] == [first.file.name.rsplit("/", 1)[-1]]
    assert first.summary["unmatched_packages"] == []
    assert first.incomplete_count == 0
    saved = dict(Customer.objects.filter(import_batch=first).values_list("name", "package__code"))
    assert saved == {"Ani": "H20", "Bayu": "H20"}


def test_alias_on_own_review_keeps_stored_plan(admin_client, sample_catalogue, tmp_path, build_plan_calls):
    sites, packages = sample_catalogue
    batch = upload(admin_client, write_workbook(tmp_path / "alias.xlsx", ALIAS_ROWS))

    admin_client.post(
        reverse("customers:batch-alias", args=[batch.pk]),
        {"kind": "package", "name": "20M", "target": packages["H20"].pk},
    )
    spoil_upload(batch)
    calls_before = len(build_plan_calls)
    batch = confirm(admin_client, batch)

    assert batch.state == ImportBatch.State.DONE
    assert len(build_plan_calls) == calls_before
    saved = dict(Customer.objects.filter(import_batch=batch).values_list("name", "package__code"))
    assert saved == {"Ani": "H20", "Bayu": "H20"}


def test_site_created_before_commit(admin_client, sample_catalogue, tmp_path, build_plan_calls):
    rows = [["Nama", "Alamat", "Site"], ["Dedi", "Jl. D 4", "POP Depok"]]
    batch = upload(admin_client, write_workbook(tmp_path / "depok.xlsx", rows))
    assert [entry["value"] for entry in batch.summary["unmatched_sites"]] == ["POP Depok"]
    depok = Site.objects.create(code="DPK", name="POP Depok")
    calls_before = len(build_plan_calls)

    batch = confirm(admin_client, batch)

    assert len(build_plan_calls) == calls_before + 1
    assert batch.summary["unmatched_sites"] == []
    assert Customer.objects.get(name="Dedi").site_id == depok.pk


def test_catalogue_fingerprint_changes(sample_catalogue):
    sites, packages = sample_catalogue
    before = stored_plan.catalogue_fingerprint()
    sites["CBN"].name = "Cibinong Kota"
    sites["CBN"].save()
    renamed = stored_plan.catalogue_fingerprint()
    learn_alias("site", "Cbn Raya", sites["CBN"])
    aliased = stored_plan.catalogue_fingerprint()

    assert len({before, renamed, aliased}) == 3
    assert stored_plan.catalogue_fingerprint() == aliased


# --- The plan file goes when the batch no longer needs it -----------------


def test_plan_removed_after_commit(admin_client, sample_catalogue):
    batch = upload(admin_client, SAMPLE_XLSX)
    path = plan_path(batch)
    assert path.exists()

    confirm(admin_client, batch)

    assert not path.exists()
    assert Path(batch.file.path).exists()


def test_plan_removed_after_cancel(admin_client, sample_catalogue):
    batch = upload(admin_client, SAMPLE_XLSX)
    path = plan_path(batch)

    admin_client.post(reverse("customers:batch-cancel", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CANCELLED
    assert not path.exists()


def test_no_plan_after_rejected_file(sample_catalogue):
    batch = validate(CASES_DIR / "case17_terkunci_sandi.xlsx")

    assert batch.state == ImportBatch.State.FAILED
    assert not plan_path(batch).exists()


def test_no_plan_left_after_failed_commit(sample_catalogue):
    batch = validate(SAMPLE_XLSX)
    path = plan_path(batch)
    path.unlink()
    spoil_upload(batch)

    batches.commit_batch(batch)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code not in batches.RETRYABLE_ERRORS
    assert not path.exists()


def purge(*args):
    out = io.StringIO()
    call_command("purge_import_files", *args, stdout=out)
    return out.getvalue()


def age(batch, days):
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))


def test_purge_removes_plan_of_expired_review(admin_client, sample_catalogue, settings):
    batch = upload(admin_client, SAMPLE_XLSX)
    path = plan_path(batch)
    age(batch, settings.IMPORT_RETENTION_DAYS + 1)

    purge()

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CANCELLED
    assert not path.exists()


def test_purge_removes_plans_of_finished_batches(sample_catalogue):
    cancelled = validate(SAMPLE_XLSX)
    lost = validate(SAMPLE_XLSX)
    review = validate(SAMPLE_XLSX)
    # Saved with update(), as a crash or another process might, so no
    # receiver deleted the plans.
    ImportBatch.objects.filter(pk=cancelled.pk).update(state=ImportBatch.State.CANCELLED)
    ImportBatch.objects.filter(pk=lost.pk).update(state=ImportBatch.State.FAILED, error_code="worker_lost")

    dry_run = purge("--dry-run")
    assert plan_path(cancelled).exists()
    output = purge()

    assert "Would delete 1 stored plans of batches that will not be committed." in dry_run
    assert "Deleted 1 stored plans of batches that will not be committed." in output
    assert not plan_path(cancelled).exists()
    assert Path(cancelled.file.path).exists()
    assert plan_path(lost).exists()
    assert plan_path(review).exists()


def test_purge_deletes_old_orphan_plans(sample_catalogue, settings):
    current = validate(SAMPLE_XLSX)
    folder = Path(settings.MEDIA_ROOT) / "imports" / "2024" / "01"
    folder.mkdir(parents=True)
    orphan = folder / ("a" * 32 + ".xlsx.plan")
    orphan.write_bytes(b"old")
    past = (timezone.now() - datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS + 1)).timestamp()
    os.utime(orphan, (past, past))
    os.utime(plan_path(current), (past, past))

    output = purge()

    assert not orphan.exists()
    assert plan_path(current).exists()
    assert "and 1 unreferenced files" in output


def test_plan_header_names_batch(sample_catalogue):
    batch = validate(SAMPLE_XLSX)
    data = plan_path(batch).read_bytes()
    start = len(stored_plan.MAGIC) + stored_plan.DIGEST_SIZE
    (length,) = stored_plan.HEADER_LENGTH.unpack_from(data, start)
    header = json.loads(data[start + stored_plan.HEADER_LENGTH.size : start + stored_plan.HEADER_LENGTH.size + length])

    assert header["batch"] == str(batch.pk)
    assert header["sha256"] == batch.file_sha256
    assert header["mode"] == "create"
    assert header["site"] is None


def test_code_fingerprint_follows_sources(tmp_path, monkeypatch):
    base = stored_plan.BASE_DIR
    for file in stored_plan.plan_source_files(base):
        copy = tmp_path / file.relative_to(base)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(file.read_bytes())
    compute = stored_plan.code_fingerprint.__wrapped__
    assert compute() == stored_plan.code_fingerprint()
    monkeypatch.setattr(stored_plan, "BASE_DIR", tmp_path)
    assert compute() == stored_plan.code_fingerprint()

    cleaners = tmp_path / "customers" / "importing" / "cleaners.py"
    cleaners.write_text(cleaners.read_text() + "\n# A changed rule.\n")
    changed = compute()
    unrelated = tmp_path / "customers" / "views.py"
    unrelated.write_text("# Not read by build_plan.\n")

    assert changed != stored_plan.code_fingerprint()
    assert compute() == changed
