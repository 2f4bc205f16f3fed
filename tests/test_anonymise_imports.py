"""Anonymising a customer erases their data from import batches too: the
findings that name them or belong to their rows, on every tab of the batch
page and in the problem workbook, and the uploaded file."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from customers.importing import problem_files, stored_plan
from customers.models import Customer, ImportBatch, ImportProblem
from tests.importing_helpers import SAMPLE_XLSX, write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "Email", "NIK", "Alamat", "Site", "Paket"]
SITI = {
    "name": "Siti Rahmawati",
    "phone": "+6281311112222",
    "email": "siti.r@contoh.id",
    "nik": "3201015507920003",
    "address": "Gg. Melati 3, Bojonggede",
}
# Each personal value of Siti in every form a page, a finding or a workbook may show it.
SITI_TEXTS = ["Siti Rahmawati", "+6281311112222", "0813-1111-2222", "081311112222", "siti.r@contoh.id",
              "3201015507920003", "Gg. Melati 3"]
YULIANA_TEXTS = ["Yuliana Putri", "+6285600001234", "0856-0000-1234", "+6285600009999", "0856-0000-9999",
                 "yuliana@", "Kp. Sawah RT 03", "Kp. Kebon 7"]


def upload(client, path, mode="create"):
    with open(path, "rb") as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": mode})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def confirm(client, batch, choice="skip"):
    client.post(reverse("customers:batch-confirm", args=[batch.pk]), {"possible_duplicates": choice})
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    return batch


def anonymise(client, customer):
    response = client.post(reverse("audit:customer-anonymise", args=[customer.pk]))
    assert response.status_code == 302


def batch_pages(client, batch):
    """Return the text of the batch page with each tab of findings opened."""
    pages = []
    for kind in ImportProblem.Kind.values:
        response = client.get(reverse("customers:batch-detail", args=[batch.pk]), {"kind": kind})
        assert response.status_code == 200
        pages.append(response.content.decode())
    return "\n".join(pages)


def workbook_text(client, batch):
    """Return every cell of every sheet of the batch's problem workbook, as text."""
    response = client.get(reverse("customers:batch-problems", args=[batch.pk]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.getvalue()))
    return "\n".join(
        str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row if value is not None
    )


def stored_findings_text(batch):
    return "\n".join(f"{finding.value} {finding.params}" for finding in batch.problems.all())


def findings_by_row(batch):
    return {
        (finding.row, finding.code): (finding.value, finding.params, finding.message)
        for finding in batch.problems.all()
    }


def assert_messages_render(batch):
    for finding in batch.problems.all():
        message = finding.message
        assert "%(" not in message, message


@pytest.fixture
def siti(sample_catalogue):
    return Customer.objects.create(number="DEMO-0002", **SITI)


@pytest.fixture
def budi(sample_catalogue):
    return Customer.objects.create(number="DEMO-0001", name="Budi Santoso", phone="+6281234567890")


@pytest.fixture
def skipped_batch(admin_client, siti, budi, tmp_path):
    """A saved batch that skipped a possible duplicate of Siti (row 2) and
    Rina, who shares Siti's phone (row 5), with findings of three other
    people: Agus's problem, Dewi skipped for Budi's phone, Hendra's note."""
    path = write_workbook(tmp_path / "pelanggan.xlsx", [
        HEADER,
        ["PLG-0002", "Siti Rahmawati", "+62 813 1111 2222", "siti.r@contoh.id", "3201015507920003",
         "Gg. Melati 3, Bojonggede", "Bojonggede", "Home 10 Mbps"],
        ["PLG-0003", "Agus Wibowo", "bukan nomor", "agus.w@contoh.id", None, "Jl. Kenanga 9", "Citayam", None],
        ["PLG-0004", "Dewi Lestari", "0812-3456-7890", None, None, "Perum Griya Asri C2", "Citayam", None],
        ["PLG-0005", "Rina Marlina", "0813-1111-2222", "rina@", None, "Jl. Dahlia 4", "Citayam", None],
        ["PLG-0006", "Hendra Gunawan", "081298765432", None, None, "Jl. Raya Bogor Km 45", "Cibinong", "Paket Hemat"],
    ])
    return confirm(admin_client, upload(admin_client, path))


def test_skipped_duplicate_findings_redacted(admin_client, siti, skipped_batch):
    assert skipped_batch.skipped_count == 3
    before = stored_findings_text(skipped_batch)
    assert "3201015507920003" in before
    assert "Siti Rahmawati" in before

    anonymise(admin_client, siti)

    stored = stored_findings_text(skipped_batch)
    pages = batch_pages(admin_client, skipped_batch)
    for text in SITI_TEXTS:
        assert text not in stored
        assert text not in pages


def test_skipped_duplicate_message_names_anonymous(admin_client, siti, skipped_batch):
    anonymise(admin_client, siti)

    finding = skipped_batch.problems.get(row=2, kind=ImportProblem.Kind.SKIPPED)
    assert (finding.row, finding.column, finding.code) == (2, "NIK", "nik_other_subscription_skipped")
    assert finding.value == ""
    assert finding.params["other"] == "DEMO-0002 (Anonim DEMO-0002)"
    assert "DEMO-0002 (Anonim DEMO-0002)" in finding.message
    assert_messages_render(skipped_batch)


def test_redaction_keeps_rows_and_counts(admin_client, siti, skipped_batch):
    kinds_before = sorted(skipped_batch.problems.values_list("row", "kind", "code", "column"))

    anonymise(admin_client, siti)

    skipped_batch.refresh_from_db()
    assert sorted(skipped_batch.problems.values_list("row", "kind", "code", "column")) == kinds_before
    assert (skipped_batch.skipped_count, skipped_batch.problem_count, skipped_batch.created_count) == (3, 1, 1)
    assert list(skipped_batch.problems.filter(row=2).exclude(value="").values_list("code", "value")) == []


def test_redaction_spares_other_rows(admin_client, siti, skipped_batch):
    before = findings_by_row(skipped_batch)
    others = {key: value for key, value in before.items() if key[0] in (3, 4, 6)}
    assert {code for _row, code in others} >= {"phone_invalid", "phone_other_name_skipped", "package_unknown"}

    anonymise(admin_client, siti)

    after = findings_by_row(skipped_batch)
    assert {key: value for key, value in after.items() if key[0] in (3, 4, 6)} == others
    assert after[(2, "nik_other_subscription_skipped")] != before[(2, "nik_other_subscription_skipped")]


def test_shared_phone_row_keeps_own_findings(admin_client, siti, skipped_batch):
    before = findings_by_row(skipped_batch)
    rina_own = {key: value for key, value in before.items() if key[0] == 5 and key[1] != "phone_other_name_skipped"}
    assert rina_own

    anonymise(admin_client, siti)

    after = findings_by_row(skipped_batch)
    assert {key: value for key, value in after.items() if key[0] == 5 and key[1] != "phone_other_name_skipped"} == rina_own
    value, params, message = after[(5, "phone_other_name_skipped")]
    assert (value, params["other"]) == ("", "DEMO-0002 (Anonim DEMO-0002)")


def test_problem_workbook_without_siti(admin_client, siti, skipped_batch):
    assert "3201015507920003" in workbook_text(admin_client, skipped_batch)

    anonymise(admin_client, siti)

    text = workbook_text(admin_client, skipped_batch)
    for value in SITI_TEXTS:
        assert value not in text


def test_uploaded_files_deleted(admin_client, siti, skipped_batch, django_capture_on_commit_callbacks):
    name = skipped_batch.file.name
    stored = [name, stored_plan.plan_name(name), *problem_files.workbook_names(name)]
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        anonymise(admin_client, siti)

    skipped_batch.refresh_from_db()
    assert skipped_batch.file.name == ""
    assert [default_storage.exists(item) for item in stored] == [False] * len(stored)


def test_batch_page_says_file_deleted(admin_client, siti, skipped_batch):
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[skipped_batch.pk])).content.decode()
    assert 'id="file-deleted"' not in page

    anonymise(admin_client, siti)

    page = admin_client.get(reverse("customers:batch-detail", args=[skipped_batch.pk])).content.decode()
    assert 'id="file-deleted"' in page
    assert "The uploaded file is no longer stored" in page


def test_review_batch_cancelled(admin_client, siti, budi, tmp_path):
    path = write_workbook(tmp_path / "tinjau.xlsx", [
        HEADER,
        ["PLG-0002", "Siti Rahmawati", "0813-1111-2222", None, "3201015507920003", None, None, None],
        ["PLG-0005", "Rina Marlina", "0821-2222-3333", None, None, None, None, None],
    ])
    batch = upload(admin_client, path)
    assert batch.state == ImportBatch.State.REVIEW

    anonymise(admin_client, siti)

    batch.refresh_from_db()
    assert (batch.state, batch.file.name) == (ImportBatch.State.CANCELLED, "")
    assert (batch.error_code, batch.error_params) == ("cancelled_anonymised", {"number": "DEMO-0002", "by": "admin"})
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert (
        '<p class="warning-box" id="cancelled-anonymised">This review was cancelled because customer DEMO-0002, '
        "whose data the file holds, was anonymised by admin. Upload the file again without that customer's rows.</p>"
    ) in page
    for text in SITI_TEXTS:
        assert text not in stored_findings_text(batch)


@pytest.fixture
def yuliana_batches(admin_client, sample_catalogue, tmp_path):
    """Two saved batches: one that created Yuliana with her e-mail left
    out, one that changed her phone and Alamat. Each also saves Rudi."""
    created = write_workbook(tmp_path / "baru.xlsx", [
        HEADER,
        ["PLG-0008", "Yuliana Putri", "+6285600001234", "yuliana@", None, "Kp. Sawah RT 03/RW 05, Bojonggede",
         "Bojonggede", "Paket Hemat"],
        ["PLG-0009", "Rudi Hartono", "+6285700005678", "rudi@", None, "Jl. Anggrek 2, Citayam", "Citayam",
         "Paket Hemat"],
    ])
    first = confirm(admin_client, upload(admin_client, created))
    updated = write_workbook(tmp_path / "ubah.xlsx", [
        HEADER,
        ["PLG-0008", "Yuliana Putri", "0856-0000-9999", None, None, "Kp. Kebon 7, Bojonggede", None, None],
        ["PLG-0009", "Rudi Hartono", "0857-0000-9999", None, None, None, None, None],
    ])
    second = confirm(admin_client, upload(admin_client, updated, mode="update"))
    return Customer.objects.get(number="PLG-0008"), first, second


def test_created_and_updated_rows_redacted(admin_client, yuliana_batches):
    yuliana, first, second = yuliana_batches
    assert "yuliana@" in stored_findings_text(first)
    assert "0856-0000-9999" in stored_findings_text(second)

    anonymise(admin_client, yuliana)

    for batch in (first, second):
        stored = stored_findings_text(batch)
        pages = batch_pages(admin_client, batch)
        workbook = workbook_text(admin_client, batch)
        for text in YULIANA_TEXTS:
            assert text not in stored
            assert text not in pages
            assert text not in workbook
        assert_messages_render(batch)


def test_created_row_keeps_package_note(admin_client, yuliana_batches):
    yuliana, first, _second = yuliana_batches

    anonymise(admin_client, yuliana)

    assert first.problems.get(row=2, column="Paket").value == "Paket Hemat"
    assert first.problems.get(row=2, column="Email").value == ""


def test_redaction_spares_rudi(admin_client, yuliana_batches):
    yuliana, first, second = yuliana_batches
    before = [findings_by_row(batch) for batch in (first, second)]
    rudi = [{key: value for key, value in findings.items() if key[0] == 3} for findings in before]
    assert all(rudi)

    anonymise(admin_client, yuliana)

    after = [findings_by_row(batch) for batch in (first, second)]
    assert [{key: value for key, value in findings.items() if key[0] == 3} for findings in after] == rudi
    assert after[1] != before[1]


def test_findings_without_customer_link(admin_client, yuliana_batches):
    # Findings stored before they named their row's customer are matched
    # by the values that the customer's history holds.
    yuliana, first, second = yuliana_batches
    for finding in ImportProblem.objects.filter(batch__in=[first, second]):
        finding.params.pop("customer", None)
        finding.save(update_fields=["params"])
    texts = ["0856-0000-1234", "0856-0000-9999", "Kp. Sawah RT 03", "Kp. Kebon 7"]
    before = stored_findings_text(first) + stored_findings_text(second)
    assert [text for text in texts if text in before] == texts

    anonymise(admin_client, yuliana)

    after = stored_findings_text(first) + stored_findings_text(second)
    assert [text for text in texts if text in after] == []


def test_sample_upload_after_demo_anonymised(admin_client, regions_loaded, tmp_path):
    # The demo's DEMO-0002 is a possible duplicate of the sample's PLG-0002,
    # which the default choice skips. PLG-0008 is saved with an Alamat note.
    call_command("seed_demo", stdout=io.StringIO())
    batch = confirm(admin_client, upload(admin_client, SAMPLE_XLSX))
    demo = Customer.objects.get(number="DEMO-0002")
    created = Customer.objects.get(number="PLG-0008")
    # The sample rows' phone, NIK and Alamat, which the demo customer does not all have.
    texts = [demo.name, "0813-1111-2222", "3201015507920003", "Gg. Melati 3", created.name, "Kp. Sawah"]
    before = batch_pages(admin_client, batch) + workbook_text(admin_client, batch)
    assert [text for text in texts if text in before] == texts

    anonymise(admin_client, demo)
    anonymise(admin_client, created)

    after = batch_pages(admin_client, batch) + workbook_text(admin_client, batch) + stored_findings_text(batch)
    assert [text for text in texts if text in after] == []
    assert_messages_render(batch)


def test_confirmation_names_import_data(admin_client, siti):
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("audit:customer-anonymise", args=[siti.pk])).content.decode()

    assert "also from the change history and from the findings of import batches" in page
    assert "The uploaded files of the import batches that contain this customer's rows are deleted too" in page


@pytest.mark.parametrize("state", [ImportBatch.State.QUEUED, ImportBatch.State.VALIDATING, ImportBatch.State.IMPORTING])
def test_anonymise_refused_while_an_import_runs(admin_client, siti, tmp_path, state):
    path = write_workbook(tmp_path / "berjalan.xlsx", [
        HEADER,
        ["PLG-0002", "Siti Rahmawati", "0813-1111-2222", None, "3201015507920003", None, None, None],
    ])
    batch = upload(admin_client, path)
    # As if a worker were still reading the file.
    ImportBatch.objects.filter(pk=batch.pk).update(state=state)
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(reverse("audit:customer-anonymise", args=[siti.pk]))

    assert response.status_code == 409
    assert "Nothing was erased: anonymise the customer again once the import is ready for review or done." in (
        response.content.decode()
    )
    siti.refresh_from_db()
    assert (siti.name, siti.nik) == ("Siti Rahmawati", "3201015507920003")
    batch.refresh_from_db()
    assert (batch.state, bool(batch.file)) == (state, True)
