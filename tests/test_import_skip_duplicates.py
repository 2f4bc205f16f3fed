"""Skipping the possible duplicates of an import: the review's choice, the
save, the result, the problem workbook, undo and the command's flag."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from customers.importing.problem_workbook import write_problem_workbook
from customers.models import Customer, ImportBatch
from tests.importing_helpers import confirm, run_import, unmatched_table, upload, write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Paket"]
# Rows 2 to 4 are possible duplicates of the stored customers, rows 5 and 6 are new.
ROWS = [
    ["DEMO-0002", "Siti Rahmawati", "081234560002", "", "Jl. Melati 2", "Home 20 Mbps"],
    ["DEMO-0003", "Budi Santoso", "", "3201011203900001", "Jl. Mawar 3", "Home 20 Mbps"],
    ["DEMO-0004", "Eko Wijaya", "081234560004", "", "Jl. Kenanga 4", "Paket Lama"],
    ["DEMO-0005", "Rina Marlina", "081234560005", "", "Jl. Anggrek 5", "Home 20 Mbps"],
    ["DEMO-0006", "Joko Susilo", "081234560006", "", "Jl. Dahlia 6", "Home 10 Mbps"],
]
STORED_NUMBERS = ["PLG-0002", "PLG-0003", "PLG-0004"]
SKIPPED_FINDINGS = [
    (2, "No HP", "phone_same_name_other_id_skipped"),
    (3, "NIK", "nik_other_subscription_skipped"),
    (4, "No HP", "phone_other_name_skipped"),
]
ROW_2_SKIPPED_MESSAGE = (
    "Row 2, column No HP: the name and phone “0812-3456-0002” are the same as PLG-0002 (Siti Rahmawati), "
    "under another ID (possible duplicate). This row is not saved, because this import skips possible "
    "duplicates. If it is another subscription, upload the row again without skipping possible duplicates."
)


@pytest.fixture
def stored_customers(sample_catalogue):
    Customer.objects.create(number="PLG-0002", name="Siti Rahmawati", phone="+6281234560002")
    Customer.objects.create(number="PLG-0003", name="Budi Santoso", nik="3201011203900001")
    Customer.objects.create(number="PLG-0004", name="Ani Wijaya", phone="+6281234560004")


@pytest.fixture
def sheet(tmp_path):
    return write_workbook(tmp_path / "migrasi.xlsx", [HEADER, *ROWS])


def page_of(client, batch, query=""):
    return client.get(reverse("customers:batch-detail", args=[batch.pk]) + query).content.decode()


def findings(batch, kind):
    return [(f.row, f.column, f.code) for f in batch.problems.filter(kind=kind).order_by("row", "id")]


def numbers():
    return sorted(Customer.objects.values_list("number", flat=True))


def test_review_offers_skip_by_default(admin_client, stored_customers, sheet):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, sheet)

    page = page_of(admin_client, batch)

    assert batch.summary["counts"]["possible_duplicates"] == 3
    assert (
        '<label><input type="radio" form="confirm-form" name="possible_duplicates" value="skip" '
        'id="skip-possible-duplicates" checked> Skip the 3 possible duplicates: they are not saved, and the '
        "result lists them to check.</label>"
    ) in page
    assert (
        '<label><input type="radio" form="confirm-form" name="possible_duplicates" value="save" '
        'id="save-possible-duplicates"> Save them as new customers.</label>'
    ) in page
    assert 'id="kind-skipped"' not in page


def test_review_counts_possible_duplicates_among_new(admin_client, stored_customers, sheet):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, sheet)

    page = page_of(admin_client, batch)

    assert '<strong id="count-new">5</strong>' in page
    assert (
        '<small class="stat-part" id="count-new-possible-duplicates">'
        "of which 3 are possible duplicates, skipped by default</small>"
    ) in page


def test_review_opens_first_tab_with_findings(admin_client, stored_customers, sheet):
    batch = upload(admin_client, sheet)
    assert batch.problems.filter(kind="problem").count() == 0

    page = page_of(admin_client, batch)
    chosen = page_of(admin_client, batch, "?kind=problem")

    assert '<a class="chip active" href="?kind=note" id="kind-note">' in page
    assert '<a class="chip active" href="?kind=problem" id="kind-problem">' in chosen


def test_review_without_duplicates_has_no_choice(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "baru.xlsx", [HEADER, ROWS[3], ROWS[4]])
    batch = upload(admin_client, path)

    page = page_of(admin_client, batch)

    assert 'id="possible-duplicates-choice"' not in page
    assert '<input type="hidden" name="possible_duplicates" value="skip">' in page


def test_web_save_skips_possible_duplicates(admin_client, stored_customers, sheet):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, sheet)
    assert (batch.new_count, batch.problem_count, batch.skipped_count) == (5, 0, 0)

    response = confirm(admin_client, batch, possible_duplicates="skip")

    assert response.status_code == 302
    assert batch.state == ImportBatch.State.DONE
    assert batch.skip_possible_duplicates is True
    assert numbers() == ["DEMO-0005", "DEMO-0006", *STORED_NUMBERS]
    assert (batch.created_count, batch.new_count, batch.problem_count, batch.skipped_count) == (2, 2, 0, 3)
    assert findings(batch, "skipped") == SKIPPED_FINDINGS
    assert (batch.summary["counts"]["invalid"], batch.summary["counts"]["skipped"]) == (0, 3)
    # The skipped row's note of an unknown Paket no longer states that it is saved without one.
    assert findings(batch, "note") == [(4, "Paket", "package_unknown_unsaved")]
    assert "review_counts" not in batch.summary
    page = page_of(admin_client, batch)
    assert '<strong id="count-created">2</strong>' in page
    assert '<strong id="count-skipped">3</strong>' in page
    assert (
        '<p class="warning-box" id="skipped-possible-duplicates">3 rows were not saved, because they are possible '
        "duplicates and this import skipped possible duplicates. "
        '<a href="?kind=skipped#findings">Show the skipped rows</a></p>'
    ) in page
    assert 'id="unsaved-rows"' in page
    assert 'id="changed-since-review"' not in page
    skipped_page = page_of(admin_client, batch, "?kind=skipped")
    assert f'<td class="finding-message" data-label="Message">{ROW_2_SKIPPED_MESSAGE}</td>' in skipped_page
    history = admin_client.get(reverse("customers:batch-list")).content.decode()
    row = history[history.index(f'id="batch-{batch.pk}"'):]
    assert '<td class="count-new" data-label="New">2</td>' in row
    assert '<td class="count-problems" data-label="Problem rows">0</td>' in row
    assert '<td class="count-skipped" data-label="Skipped">3</td>' in row


def test_web_save_keeps_possible_duplicates(admin_client, stored_customers, sheet):
    batch = upload(admin_client, sheet)

    confirm(admin_client, batch, possible_duplicates="save")

    assert batch.skip_possible_duplicates is False
    assert numbers() == ["DEMO-0002", "DEMO-0003", "DEMO-0004", "DEMO-0005", "DEMO-0006", *STORED_NUMBERS]
    assert (batch.created_count, batch.skipped_count) == (5, 0)
    assert findings(batch, "skipped") == []


def test_save_without_choice_keeps_duplicates(admin_client, stored_customers, sheet):
    batch = upload(admin_client, sheet)

    confirm(admin_client, batch)

    assert batch.skip_possible_duplicates is False
    assert (batch.created_count, batch.skipped_count) == (5, 0)


def test_unknown_choice_saves_nothing(admin_client, stored_customers, sheet):
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, sheet)

    response = confirm(admin_client, batch, possible_duplicates="maybe")

    assert response.status_code == 302
    assert batch.state == ImportBatch.State.REVIEW
    assert numbers() == STORED_NUMBERS
    page = page_of(admin_client, batch)
    assert "Nothing was saved: choose whether to skip or save the possible duplicates, then save again." in page


def test_skip_follows_save_time_check(admin_client, sample_catalogue, tmp_path):
    """The rows skipped are the possible duplicates found at the save, which
    may differ from those of the review."""
    path = write_workbook(tmp_path / "berubah.xlsx", [HEADER, ROWS[0], ROWS[3]])
    stored = Customer.objects.create(number="PLG-0005", name="Rina Marlina", phone="+6281234560005")
    batch = upload(admin_client, path)
    assert batch.summary["counts"]["possible_duplicates"] == 1
    # Between the review and the save, one customer is deleted and another is added.
    stored.delete()
    Customer.objects.create(number="PLG-0002", name="Siti Rahmawati", phone="+6281234560002")

    confirm(admin_client, batch, possible_duplicates="skip")

    assert numbers() == ["DEMO-0005", "PLG-0002"]
    assert findings(batch, "skipped") == [(2, "No HP", "phone_same_name_other_id_skipped")]
    assert (batch.created_count, batch.skipped_count) == (1, 1)


def test_problem_workbook_lists_skipped_rows(admin_client, stored_customers, sheet):
    batch = upload(admin_client, sheet)
    confirm(admin_client, batch, possible_duplicates="skip")
    out = io.BytesIO()

    with translation.override("en"):
        write_problem_workbook(batch, out, mask_nik=False)

    rows = list(load_workbook(out)["Pelanggan"].iter_rows(values_only=True))
    assert rows[0] == (*HEADER, "Baris asal", "Masalah")
    # An empty cell is read back as None.
    expected = [tuple(cell or None for cell in (*cells, number)) for number, cells in zip((2, 3, 4), ROWS)]
    assert [row[:7] for row in rows[1:]] == expected
    assert rows[1][7] == ROW_2_SKIPPED_MESSAGE
    download = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))
    stored = load_workbook(io.BytesIO(b"".join(download.streaming_content)))["Pelanggan"]
    assert [row[6] for row in stored.iter_rows(min_row=2, values_only=True)] == [2, 3, 4]


def test_result_lists_unmatched_saved_rows(admin_client, stored_customers, tmp_path):
    # Paket Lama is named by the skipped row 4, the new rows 7 and 8, and row 9, rejected for its phone.
    path = write_workbook(tmp_path / "migrasi.xlsx", [
        HEADER,
        *ROWS,
        ["DEMO-0007", "Dewi Lestari", "081234560007", "", "Jl. Teratai 7", "Paket Lama"],
        ["DEMO-0008", "Hadi Pratama", "081234560008", "", "Jl. Cempaka 8", "Paket Lama"],
        ["DEMO-0009", "Wati Suryani", "bukan nomor", "", "Jl. Flamboyan 9", "Paket Lama"],
    ])
    admin_client.cookies["django_language"] = "en"
    batch = upload(admin_client, path)
    assert [(entry["value"], entry["rows"]) for entry in batch.summary["unmatched_packages"]] == [
        ("Paket Lama", [4, 7, 8, 9])
    ]

    confirm(admin_client, batch, possible_duplicates="skip")

    assert batch.skipped_count == 3
    assert [(entry["value"], entry["rows"], entry["count"]) for entry in batch.summary["unmatched_packages"]] == [
        ("Paket Lama", [7, 8], 2)
    ]
    assert batch.summary["unmatched_package_count"] == 1
    page = page_of(admin_client, batch)
    assert unmatched_table(page) == [("Paket", "Paket Lama", "7, 8", "—")]
    assert "<h3>Names that matched nothing, in the saved rows</h3>" in page
    assert (
        '<p class="muted" id="unmatched-help">Only the rows this import saved are counted and listed: their new '
        "customers were saved without this site or package, and their updated customers kept the stored one. "
        "Set it in the customer list.</p>"
    ) in page


def test_result_omits_name_of_skipped_rows(admin_client, stored_customers, sheet):
    batch = upload(admin_client, sheet)

    confirm(admin_client, batch, possible_duplicates="skip")

    # Only the skipped row 4 names Paket Lama, so no saved customer lacks that package.
    assert batch.summary["unmatched_packages"] == []
    assert batch.summary["unmatched_package_count"] == 0
    assert 'id="unmatched"' not in page_of(admin_client, batch)


def test_undo_after_skipping_save(admin_client, stored_customers, sheet):
    batch = upload(admin_client, sheet)
    confirm(admin_client, batch, possible_duplicates="skip")

    response = admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    batch.refresh_from_db()
    assert response.status_code == 302
    assert batch.state == ImportBatch.State.UNDONE
    assert numbers() == STORED_NUMBERS
    assert list(Customer.objects.filter(number="PLG-0002").values_list("name", "phone")) == [
        ("Siti Rahmawati", "+6281234560002")
    ]
    assert (batch.created_count, batch.skipped_count) == (2, 3)


def test_command_flag_skips_possible_duplicates(stored_customers, sheet):
    code, result, _stderr = run_import(sheet, "--skip-possible-duplicates")

    assert code == 0
    assert (result["created"], result["errors"]) == (2, [])
    assert [(f["row"], f["column"], f["code"]) for f in result["skipped"]] == SKIPPED_FINDINGS
    assert numbers() == ["DEMO-0005", "DEMO-0006", *STORED_NUMBERS]
    batch = ImportBatch.objects.get(pk=result["batch"])
    assert batch.skip_possible_duplicates is True
    assert (batch.created_count, batch.problem_count, batch.skipped_count) == (2, 0, 3)


def test_command_saves_duplicates_without_flag(stored_customers, sheet):
    code, result, _stderr = run_import(sheet)

    assert code == 0
    assert (result["created"], result["skipped"]) == (5, [])
    assert ImportBatch.objects.get(pk=result["batch"]).skip_possible_duplicates is False


def test_command_dry_run_counts_skipped(stored_customers, sheet):
    code, result, _stderr = run_import(sheet, "--dry-run", "--skip-possible-duplicates")

    assert code == 0
    assert result["would_create"] == 2
    assert [f["row"] for f in result["skipped"]] == [2, 3, 4]
    assert numbers() == STORED_NUMBERS


def test_command_text_names_skipped_rows(stored_customers, sheet):
    out = io.StringIO()

    with translation.override("en"):
        call_command("import_customers", str(sheet), "--skip-possible-duplicates", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "Rows read: 5. New customers saved: 2; updated: 0; already present: 0; rows with problems: 0."
    )
    assert lines[1] == "Possible duplicates skipped, not saved: 3 rows."
    start = lines.index("Possible duplicates skipped:")
    assert lines[start + 1] == f"  {ROW_2_SKIPPED_MESSAGE}"
    assert len(lines[start + 1 : start + 4]) == 3
