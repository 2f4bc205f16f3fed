"""What the review step finds and shows before anything is saved."""

import io
from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from customers.importing import batches, pipeline
from customers.importing.problem_workbook import write_problem_workbook
from customers.models import Customer, ImportBatch, ImportProblem
from customers.services import customer_delete
from packages.models import ServicePackage
from sites.models import Site
from tests.importing_helpers import (
    CASES_DIR,
    SAMPLE_CSV,
    SAMPLE_XLSX,
    confirm,
    run_import,
    table_rows,
    unmatched_table,
    upload,
    write_workbook,
)

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Site", "Paket"]


def validate(path, **options):
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, **options)
    return batches.validate_batch(batch)


def findings(batch, kind):
    return [(f.row, f.column, f.code) for f in batch.problems.filter(kind=kind).order_by("row", "id")]


def page_of(client, batch, query=""):
    """Return the batch page, in English, with the URL query `query`."""
    client.cookies["django_language"] = "en"
    return client.get(reverse("customers:batch-detail", args=[batch.pk]) + query).content.decode()


def test_unmatched_names_with_suggestions(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "salah-nama.xlsx", [
        HEADER,
        ["PLG-0101", "Ani", "081200000101", "", "Jl. A", "Cibinnong", "Home 20 Mbp"],
        ["PLG-0102", "Bayu", "081200000102", "", "Jl. B", "Cibinnong", "Paket Rumah"],
    ])

    batch = validate(path)

    assert batch.state == ImportBatch.State.REVIEW
    sites = batch.summary["unmatched_sites"]
    assert [(s["value"], s["rows"], s["suggestions"][0]) for s in sites] == [("Cibinnong", [2, 3], "Cibinong")]
    packages = {p["value"]: p for p in batch.summary["unmatched_packages"]}
    assert packages["Home 20 Mbp"]["suggestions"][0] == "Home 20 Mbps"
    assert packages["Paket Rumah"]["rows"] == [3]
    assert findings(batch, "note") == [(2, "Site", "site_unknown_suggested"), (2, "Paket", "package_unknown_suggested"),
                                       (3, "Site", "site_unknown_suggested"), (3, "Paket", "package_unknown")]
    assert Customer.objects.count() == 0


def test_unmatched_names_list_limited(sample_catalogue, tmp_path, admin_client):
    rows = [HEADER]
    rows += [[f"PLG-1{index:03d}", f"Pelanggan {index}", "", "", "", "", f"Paket Lama {index}"] for index in range(54)]
    rows += [[f"PLG-2{index:03d}", f"Pelanggan Tetap {index}", "", "", "", "", "Paket Promo"] for index in range(3)]
    path = write_workbook(tmp_path / "banyak-paket.xlsx", rows)

    batch = validate(path)

    packages = batch.summary["unmatched_packages"]
    assert len(packages) == pipeline.UNMATCHED_LIST_LIMIT == 50
    assert packages[0]["value"] == "Paket Promo"
    assert packages[0]["count"] == 3
    assert [entry["value"] for entry in packages[1:3]] == ["Paket Lama 0", "Paket Lama 1"]
    assert batch.summary["unmatched_package_count"] == 55
    assert batch.summary["unmatched_site_count"] == 0
    assert len(findings(batch, "note")) == 57
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert page.count('class="alias-form"') == 50
    assert "5 more names that matched nothing are not listed." in page


def test_stored_unmatched_list_cut(sample_catalogue, tmp_path, admin_client):
    path = write_workbook(tmp_path / "paket.xlsx", [HEADER, ["PLG-0401", "Ani", "", "", "", "", "Paket Lama"]])
    batch = validate(path)
    # A summary stored before the list was limited contains every name and no count.
    entry = batch.summary["unmatched_packages"][0]
    batch.summary["unmatched_packages"] = [{**entry, "value": f"Paket Lama {index}"} for index in range(70)]
    del batch.summary["unmatched_package_count"]
    batch.save(update_fields=["summary"])
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert page.count('class="alias-form"') == 50
    assert "Paket Lama 49<" in page
    assert "Paket Lama 50<" not in page
    assert "20 more names that matched nothing are not listed." in page


def test_masked_nik_of_new_row_noted(sample_catalogue, tmp_path):
    Customer.objects.create(number="PLG-0301", name="Ani", nik="3201014101900001")
    path = write_workbook(tmp_path / "nik-tersamar.xlsx", [
        HEADER,
        ["PLG-0301", "Ani", "", "************0001", "Jl. A", "", ""],
        ["PLG-0302", "Bayu", "", "************0002", "Jl. B", "", ""],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    assert (batch.new_count, batch.updated_count, batch.problem_count) == (1, 1, 0)
    assert findings(batch, "note") == [
        (2, "Alamat", "will_fill"),
        (2, "Jalan (dengan RT/RW)", "will_fill"),
        (3, "NIK", "nik_masked_not_saved"),
    ]
    note = batch.problems.get(code="nik_masked_not_saved")
    assert note.value == "************0002"
    with translation.override("en"):
        assert note.message == (
            "Row 3, column NIK: “************0002” is a masked NIK, so this new customer is saved without a NIK. "
            "Type all 16 digits from the KTP to save it."
        )
    batches.commit_batch(ImportBatch.objects.get(pk=batch.pk))
    assert Customer.objects.get(number="PLG-0301").nik == "3201014101900001"
    assert Customer.objects.get(number="PLG-0302").nik == ""


def test_chosen_site_conflicts_listed(sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "konflik.xlsx", [
        HEADER,
        ["PLG-0201", "Ani", "081200000201", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-0202", "Bayu", "081200000202", "", "Jl. B", "Citayam", "H10"],
        ["PLG-0203", "Cici", "081200000203", "", "Jl. C", "", "H10"],
    ])

    batch = validate(path, site=sites["CBN"])

    assert findings(batch, "conflict") == [(3, "Site", "site_conflict")]
    conflict = batch.problems.get(kind="conflict")
    with translation.override("en"):
        assert conflict.message == (
            "Row 3, column Site: the row names site “Citayam”, but this upload is bound to site Cibinong. "
            "The customer is saved at Cibinong. To save it at the row's site instead, upload the row again "
            "with that site or no site chosen."
        )
    batches.commit_batch(batch)
    assert set(Customer.objects.values_list("site__code", flat=True)) == {"CBN"}


def conflict_messages(batch):
    with translation.override("en"):
        return [(f.row, f.code, f.message) for f in batch.problems.filter(kind="conflict").order_by("row", "id")]


def note_messages(batch, column):
    with translation.override("en"):
        return [(f.row, f.code, f.message) for f in batch.problems.filter(kind="note", column=column).order_by("row")]


def test_conflict_on_present_rows_unsaved(sample_catalogue):
    sites, _packages = sample_catalogue
    run_import(SAMPLE_XLSX)
    stored_sites = dict(Customer.objects.values_list("number", "site__code"))

    batch = validate(SAMPLE_XLSX, site=sites["CTY"])

    assert (batch.new_count, batch.duplicate_count, batch.problem_count) == (0, 8, 0)
    bound = "but this upload is bound to site Citayam. Check which site is right before you upload the row again."
    assert conflict_messages(batch) == [
        (2, "site_conflict_unsaved", f"Row 2, column Site: the row names site “Cibinong”, {bound}"),
        (3, "site_conflict_unsaved", f"Row 3, column Site: the row names site “Bojonggede”, {bound}"),
        (6, "site_conflict_unsaved", f"Row 6, column Site: the row names site “Cibinong”, {bound}"),
        (8, "site_conflict_unsaved", f"Row 8, column Site: the row names site “CBN”, {bound}"),
        (9, "site_conflict_unsaved", f"Row 9, column Site: the row names site “bojonggede”, {bound}"),
    ]
    batches.commit_batch(batch)
    batch.refresh_from_db()
    assert batch.created_count == 0
    assert dict(Customer.objects.values_list("number", "site__code")) == stored_sites


def test_conflict_on_new_row_saved(sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "campur.xlsx", [
        HEADER,
        ["PLG-0001", "Budi Santoso", "081234567890", "", "Jl. Mawar 5", "Cibinong", "H10"],
        ["PLG-0701", "Ani", "081200000701", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-0702", "", "081200000702", "", "Jl. B", "Cibinong", "H10"],
    ])

    batch = validate(path, site=sites["CTY"])

    assert conflict_messages(batch) == [
        (2, "site_conflict_unsaved",
         "Row 2, column Site: the row names site “Cibinong”, but this upload is bound to site Citayam. "
         "Check which site is right before you upload the row again."),
        (3, "site_conflict",
         "Row 3, column Site: the row names site “Cibinong”, but this upload is bound to site Citayam. "
         "The customer is saved at Citayam. To save it at the row's site instead, upload the row again "
         "with that site or no site chosen."),
        (4, "site_conflict_unsaved",
         "Row 4, column Site: the row names site “Cibinong”, but this upload is bound to site Citayam. "
         "Check which site is right before you upload the row again."),
    ]


def test_unknown_names_on_unsaved_rows(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "tak-dikenal.xlsx", [
        HEADER,
        ["PLG-0001", "Budi Santoso", "081234567890", "", "Jl. Mawar 5", "Cimanggis", "Paket Rumah"],
        ["PLG-0801", "Ani", "081200000801", "", "Jl. A", "Cimanggis", "Paket Rumah"],
        ["PLG-0802", "", "081200000802", "", "Jl. B", "Cimanggis", "Paket Rumah"],
        ["PLG-0801", "Ani", "081200000801", "", "Jl. A", "Cimanggis", "Paket Rumah"],
    ])

    batch = validate(path)

    assert (batch.new_count, batch.duplicate_count, batch.problem_count) == (1, 1, 2)
    site_unsaved = (
        "column Site: site “Cimanggis” is not known. Fix the name or add the site "
        "before you upload this row again, or the customer is saved without a site."
    )
    assert note_messages(batch, "Site") == [
        (2, "site_unknown_unsaved", f"Row 2, {site_unsaved}"),
        (3, "site_unknown",
         "Row 3, column Site: site “Cimanggis” is not known. The customer is saved without a site; "
         "add the site or fix the name and upload again."),
        (4, "site_unknown_unsaved", f"Row 4, {site_unsaved}"),
        (5, "site_unknown_unsaved", f"Row 5, {site_unsaved}"),
    ]
    package_unsaved = (
        "column Paket: package “Paket Rumah” is not known. Fix the name or add the package "
        "before you upload this row again, or the customer is saved without a package."
    )
    assert note_messages(batch, "Paket") == [
        (2, "package_unknown_unsaved", f"Row 2, {package_unsaved}"),
        (3, "package_unknown",
         "Row 3, column Paket: package “Paket Rumah” is not known. The customer is saved without a package; "
         "add the package or fix the name and upload again."),
        (4, "package_unknown_unsaved", f"Row 4, {package_unsaved}"),
        (5, "package_unknown_unsaved", f"Row 5, {package_unsaved}"),
    ]


def test_unknown_names_on_update_row(sample_catalogue, tmp_path):
    sites, packages = sample_catalogue
    Customer.objects.create(
        number="PLG-0901", name="Wati", phone="+6281200000901", address="Jl. Lama 1",
        site=sites["BJG"], package=packages["H20"],
    )
    path = write_workbook(tmp_path / "ubah.xlsx", [
        HEADER,
        ["PLG-0901", "Wati", "081200000901", "", "Jl. Baru 9", "Cimanggis", "Paket Rumah"],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    assert batch.updated_count == 1
    assert note_messages(batch, "Site") == [
        (2, "site_unknown_kept",
         "Row 2, column Site: site “Cimanggis” is not known. The customer keeps the stored site; "
         "add the site or fix the name and upload again."),
    ]
    assert note_messages(batch, "Paket") == [
        (2, "package_unknown_kept",
         "Row 2, column Paket: package “Paket Rumah” is not known. The customer keeps the stored package; "
         "add the package or fix the name and upload again."),
    ]
    batches.commit_batch(batch)
    wati = Customer.objects.get(number="PLG-0901")
    assert wati.address == "Jl. Baru 9"
    assert wati.site == sites["BJG"]
    assert wati.package == packages["H20"]


def test_present_rows_name_the_customer(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "tanpa-id.xlsx", [
        ["Nama", "No HP", "NIK"],
        ["budi  SANTOSO", "0812 3456 7890", ""],
        ["Siti Rahmawati", "", "3201015507920003"],
        ["Budi Santoso", "081299990000", ""],
    ])

    batch = validate(path)

    assert (batch.new_count, batch.duplicate_count) == (1, 2)
    present = list(batch.problems.filter(kind="duplicate").order_by("row"))
    assert [(p.row, p.params["number"]) for p in present] == [(2, "PLG-0001"), (3, "PLG-0002")]
    assert present[0].message == (
        "Baris 2: “budi SANTOSO” sudah ada sebagai pelanggan “PLG-0001” (nama sama dan No HP sama). Tidak disimpan lagi."
    )


def test_same_nik_other_name_is_problem(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "nik.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "NIK"],
        ["", "Orang Lain", "081277770000", "3201011203900001"],
        ["PLG-0100", "Budi Santoso", "081277770001", "3201011203900001"],
        ["", "Budi Santoso", "081277770002", "3201011203900001"],
    ])

    batch = validate(path)

    assert findings(batch, "problem") == [(2, "NIK", "nik_other_name")]
    assert findings(batch, "note") == [(3, "NIK", "nik_other_subscription")]
    assert findings(batch, "duplicate") == [(4, "Nama", "present_person")]
    assert batch.new_count == 1


def test_shared_phone_other_name_is_noted(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "hp.xlsx", [["Nama", "No HP"], ["Ibu Budi", "081234567890"]])

    batch = validate(path)

    assert findings(batch, "note") == [(2, "No HP", "phone_other_name")]
    assert batch.new_count == 1


def test_same_name_phone_other_id_noted(sample_catalogue, tmp_path, client, admin_user):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "ganda.xlsx", [
        ["ID Pelanggan", "Nama", "No HP"],
        ["BARU-0001", "budi santoso", "0812-3456-7890"],
        ["BARU-0002", "Wati", "081299990000"],
        ["BARU-0003", "Wati", "081299990000"],
        ["BARU-0004", "Yanto", "081299990000"],
    ])

    batch = validate(path, user=admin_user)

    assert findings(batch, "note") == [
        (2, "No HP", "phone_same_name_other_id"),
        (4, "No HP", "phone_same_name_other_id"),
        (5, "No HP", "phone_other_name"),
    ]
    assert batch.new_count == 4
    assert batch.summary["counts"]["possible_duplicates"] == 3
    note = batch.problems.get(row=2)
    assert note.message == (
        "Baris 2, kolom No HP: nama dan No. HP “0812-3456-7890” sama dengan PLG-0001 (Budi Santoso), dengan ID lain "
        "(kemungkinan ganda). Jika pelanggannya sama, hapus baris ini atau pakai ID pelanggan itu; "
        "jika bukan, baris ini disimpan sebagai langganan lain."
    )
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert (
        '<p class="warning-box" id="possible-duplicates">3 new rows are possible duplicates of stored customers or of '
        "other rows of this file: the same phone or NIK under another ID or name. Check the notes, then choose below "
        'whether to skip them or save them as new customers. <a href="?kind=note#findings">Show the notes</a></p>'
    ) in page


def test_repeated_rows_without_id(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "ulang.xlsx", [
        ["Nama", "No HP"],
        ["Dewi", "081211110000"],
        ["Eko", "081211110001"],
        ["dewi", "0812-1111-0000"],
    ])

    batch = validate(path)

    assert findings(batch, "problem") == [(4, "Nama", "repeated_row")]
    assert batch.problems.get(kind="problem").params["first_row"] == "2"
    assert batch.new_count == 2


def test_update_mode_changes_filled_cells_only(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "perbarui.xlsx", [
        ["ID Pelanggan", "Nama", "Paket", "Alamat", "Email"],
        ["PLG-0004", "Dewi Lestari", "Home 30 Mbps", "", ""],
        ["PLG-0006", "Rina Marlina", "H10", "Jl. Kenanga 7", ""],
        ["PLG-0001", "Budi Santoso", "", "", ""],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    assert (batch.updated_count, batch.duplicate_count, batch.new_count) == (2, 1, 0)
    notes = batch.problems.filter(code__in=["will_update", "will_fill"]).order_by("row", "id")
    changes = [(f.row, f.column) for f in notes]
    assert sorted(changes) == [(2, "Paket"), (3, "Alamat"), (3, "Jalan (dengan RT/RW)"), (3, "Paket")]
    before = Customer.objects.get(number="PLG-0004")
    assert before.package is None

    batches.commit_batch(batch)

    dewi = Customer.objects.select_related("package").get(number="PLG-0004")
    rina = Customer.objects.select_related("package").get(number="PLG-0006")
    assert dewi.package.code == "H30"
    assert dewi.address == "Perum Griya Asri Blok C2, Citayam"
    assert dewi.email == ""
    assert (rina.package.code, rina.address) == ("H10", "Jl. Kenanga 7")
    assert not rina.is_incomplete
    assert Customer.objects.count() == 8
    assert Customer.objects.incomplete().count() == 1


def test_unknown_columns_and_other_sheets_listed(sample_catalogue):
    batch = validate(CASES_DIR / "case12_header_baris4.xlsx")

    assert batch.summary["header_row"] == 4
    assert batch.summary["unknown_columns"] == ["No"]


@pytest.mark.parametrize(
    "name, created, problem_rows",
    [
        ("case01_baris_hantu.xlsx", 3, []),
        ("case03_rumus_tanpa_cache.xlsx", 2, [4]),
        ("case04_tanggal_campur.xlsx", 5, []),
        ("case05_hp_tanpa_nol.xlsx", 5, []),
        ("case07_nik_15_digit.xlsx", 1, [3, 4]),
        ("case09_csv_bom.csv", 3, []),
        ("case10_csv_titik_koma.csv", 3, []),
        ("case12_header_baris4.xlsx", 3, []),
        ("case13_sel_gabung.xlsx", 3, []),
        ("case15_duplikat.xlsx", 3, [4, 5]),
    ],
)
def test_cases_through_upload_page(name, created, problem_rows, admin_client, sample_catalogue):
    with open(CASES_DIR / name, "rb") as handle:
        response = admin_client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert sorted({p.row for p in batch.problems.filter(kind="problem")}) == problem_rows

    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert batch.created_count == created
    assert Customer.objects.count() == created
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]) + "?kind=problem").content.decode()
    for finding in batch.problems.filter(kind="problem"):
        assert f'<td data-label="Baris">{finding.row}</td>' in page


def test_password_case_through_upload_page(admin_client, sample_catalogue):
    with open(CASES_DIR / "case17_terkunci_sandi.xlsx", "rb") as handle:
        admin_client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})

    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.FAILED
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert "kata sandi" in page
    assert Customer.objects.count() == 0


def test_installed_dates_kept(sample_catalogue):
    batch = validate(CASES_DIR / "case04_tanggal_campur.xlsx")
    batches.commit_batch(batch)

    assert Customer.objects.order_by("number").first().installed_on == date(2024, 8, 17)


def test_csv_sheet_named_after_upload(sample_catalogue):
    batch = validate(SAMPLE_CSV)

    assert batch.summary["sheet"] == "pelanggan-contoh-titikkoma"


def test_csv_review_names_no_sheet(admin_client, sample_catalogue):
    batch = validate(SAMPLE_CSV)

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert f"<li>Judul kolom di baris {batch.summary['header_row']}.</li>" in page
    assert "Sheet yang dibaca" not in page


def test_header_only_sheet_rejected(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "kosong.xlsx", [["Pengantar"], HEADER])

    batch = validate(path)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "no_customer_rows"
    assert batch.error_params == {"sheet": "Pelanggan", "header_row": 2}
    message = batches.FileRejected(batch.error_code, **batch.error_params).message
    assert message == (
        "Sheet “Pelanggan” tidak berisi baris pelanggan di bawah baris judul kolom (baris 2). "
        "Isi minimal satu pelanggan, lalu unggah file itu lagi."
    )


def test_template_with_only_example_rejected(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "template.xlsx", [HEADER, ["contoh-001", "Contoh Pelanggan", "", "", "", "", ""]])

    batch = validate(path)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "only_example_row"
    message = batches.FileRejected(batch.error_code, **batch.error_params).message
    assert message == (
        "Sheet “Pelanggan” hanya berisi baris contoh dari template (baris 2, “CONTOH-001”), yang tidak pernah "
        "disimpan. Isi pelanggan Anda di bawahnya atau menggantikannya, lalu unggah file itu lagi."
    )


def test_shared_phone_note_local_format(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "keluarga.xlsx", [
        HEADER,
        ["PLG-0301", "Ani", "+6281200000301", "", "", "", ""],
        ["PLG-0302", "Bayu", "081200000301", "", "", "", ""],
    ])

    batch = validate(path)

    note = batch.problems.get(code="phone_other_name")
    assert note.value == "0812-0000-0301"


def changed_rows(page):
    """Return (row, outcome in the review, outcome at the save) of each row of the changed-since-review box."""
    return table_rows(page, "changed-rows", ["Row", "In the review", "At the save"])


def outcome_counts(page):
    """Return (outcome, in the review, at the save) of each row of the box's table of counts."""
    return table_rows(page, "changed-outcome-counts", ["Outcome", "In the review", "At the save"])


def test_result_notes_changed_review_counts(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "baru.xlsx", [HEADER, ["PLG-0401", "Ani", "081200000401", "", "Jl. A", "", ""]])
    batch = upload(admin_client, path)
    # Saved elsewhere between this batch's review and its save.
    Customer.objects.create(number="PLG-0401", name="Ani")

    confirm(admin_client, batch)
    page = page_of(admin_client, batch)

    assert (batch.created_count, batch.duplicate_count) == (0, 1)
    assert batch.summary["changed_since_review"] == {
        "review": {"new": 1, "possible_duplicate": 0, "update": 0, "present": 0, "invalid": 0},
        "saved": {"new": 0, "possible_duplicate": 0, "update": 0, "present": 1, "invalid": 0},
        "changed": 1,
        "rows": [[2, "new", "present"]],
    }
    assert (
        "Customer data changed between the review and the save, so 1 row has another outcome than the review showed."
    ) in page
    assert changed_rows(page) == [("2", "New", "Already present")]


def test_result_lists_changes_with_equal_counts(admin_client, admin_user, sample_catalogue, tmp_path):
    Customer.objects.create(number="PLG-0501", name="Ani", phone="+6281200000501")
    Customer.objects.create(number="PLG-0509", name="Cici", phone="+6281200000999")
    path = write_workbook(tmp_path / "campur.xlsx", [
        HEADER,
        ["PLG-0501", "Ani", "081200000501", "", "Jl. A", "", ""],
        ["PLG-0502", "Bayu", "081200000502", "", "Jl. B", "", ""],
        ["PLG-0503", "Cici", "081200000503", "", "Jl. C", "", ""],
    ])
    batch = upload(admin_client, path)
    assert (batch.new_count, batch.duplicate_count, batch.summary["counts"]["possible_duplicates"]) == (2, 1, 0)

    # Between the review and the save, another admin deletes the customer of
    # row 2, adds the customer of row 3 and gives Cici the phone of row 4,
    # which leaves every count as the review counted it.
    customer_delete(Customer.objects.get(number="PLG-0501").pk, by=admin_user)
    Customer.objects.create(number="PLG-0502", name="Bayu", phone="+6281200000502")
    Customer.objects.filter(number="PLG-0509").update(phone="+6281200000503")
    confirm(admin_client, batch, possible_duplicates="save")
    page = page_of(admin_client, batch)

    assert (batch.created_count, batch.duplicate_count, batch.problem_count) == (2, 1, 0)
    assert changed_rows(page) == [
        ("2", "Already present", "New"),
        ("3", "New", "Already present"),
        ("4", "New", "Possible duplicate"),
    ]
    assert outcome_counts(page) == [
        ("New", "2", "1"),
        ("Possible duplicate", "0", "1"),
        ("Update", "0", "0"),
        ("Already present", "1", "1"),
        ("Problem", "0", "0"),
    ]
    assert "review_counts" not in batch.summary


def test_changed_rows_listed_from_stale_plan(admin_client, sample_catalogue, tmp_path, caplog):
    path = write_workbook(tmp_path / "baru.xlsx", [HEADER, ["PLG-0701", "Ani", "081200000701", "", "Jl. A", "", ""]])
    batch = upload(admin_client, path)
    # A new site makes the stored plan stale, so the save reads the file again.
    Site.objects.create(code="DPK", name="Depok")
    Customer.objects.create(number="PLG-0701", name="Ani")

    confirm(admin_client, batch)

    assert "stored plan rejected" in caplog.text
    assert changed_rows(page_of(admin_client, batch)) == [("2", "New", "Already present")]


def test_changed_rows_list_bounded(admin_client, sample_catalogue, tmp_path):
    rows = [[f"PLG-6{index:03d}", f"Pelanggan {index}", "", "", "Jl. A", "", ""] for index in range(53)]
    batch = upload(admin_client, write_workbook(tmp_path / "banyak.xlsx", [HEADER, *rows]))
    Customer.objects.bulk_create(Customer(number=row[0], name=row[1]) for row in rows)

    confirm(admin_client, batch)
    page = page_of(admin_client, batch)

    assert batch.summary["changed_since_review"]["changed"] == 53
    assert changed_rows(page) == [(str(row), "New", "Already present") for row in range(2, 52)]
    assert "3 more rows whose outcome changed are not listed." in page


def test_result_without_change_has_no_warning(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "baru.xlsx", [HEADER, ["PLG-0402", "Bayu", "081200000402", "", "Jl. B", "", ""]])
    batch = validate(path)

    batches.commit_batch(batch)
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    batch.refresh_from_db()
    assert batch.created_count == 1
    assert "review_counts" not in batch.summary
    assert 'id="changed-since-review"' not in page


def test_unknown_name_note_suggests_first_candidate(admin_client, sample_catalogue, tmp_path):
    ServicePackage.objects.create(
        code="H20P", name="Home 20 Mbps Promo", download_mbps=20, upload_mbps=10, monthly_price=180000
    )
    path = write_workbook(tmp_path / "nama.xlsx", [
        HEADER,
        ["PLG-0801", "Ani", "081200000801", "", "Jl. A", "Cibinnong", "Bisnis 50"],
        ["PLG-0802", "Bayu", "081200000802", "", "Jl. B", "", "Home 20 Mbp"],
    ])

    batch = upload(admin_client, path)
    page = page_of(admin_client, batch)
    notes = page_of(admin_client, batch, "?kind=note")

    assert unmatched_table(page) == [
        ("Site", "Cibinnong", "2", "Cibinong"),
        ("Paket", "Bisnis 50", "2", "Bisnis 50 Mbps"),
        # Two packages are as close, so the note suggests neither.
        ("Paket", "Home 20 Mbp", "3", "Home 20 Mbps, Home 20 Mbps Promo"),
    ]
    assert (
        "Row 2, column Site: site “Cibinnong” is not known. Did you mean “Cibinong”? The customer is saved "
        "without a site; fix the name or add the site and upload again."
    ) in notes
    assert (
        "Row 2, column Paket: package “Bisnis 50” is not known. Did you mean “Bisnis 50 Mbps”? The customer is "
        "saved without a package; fix the name or add the package and upload again."
    ) in notes
    assert (
        "Row 3, column Paket: package “Home 20 Mbp” is not known. The customer is saved without a package; "
        "add the package or fix the name and upload again."
    ) in notes


def test_problem_workbook_keeps_dates_readable(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "tanggal.xlsx", [
        ["ID Pelanggan", "Nama", "Tanggal Pasang", "No HP"],
        ["PLG-0701", "Ani", date(2024, 2, 1), "bukan nomor"],
    ])
    batch = validate(path)
    out = tmp_path / "masalah.xlsx"

    with open(out, "wb") as handle:
        write_problem_workbook(batch, handle)

    cell = load_workbook(out).active["C2"]
    assert cell.value == datetime(2024, 2, 1)
    assert cell.number_format == "dd/mm/yyyy"


def test_problem_workbook_formats_text_columns(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "nik-angka.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat"],
        ["PLG-0702", "Ani", None, 3201011203900000, None],
    ])
    batch = validate(path)
    out = tmp_path / "masalah.xlsx"

    with open(out, "wb") as handle:
        write_problem_workbook(batch, handle, mask_nik=False)

    sheet = load_workbook(out).active
    assert findings(batch, "problem") == [(2, "NIK", "nik_number_cell")]
    # The NIK stays a number, so it is reported again until it is typed as text.
    assert sheet["D2"].value == 3201011203900000
    assert sheet["D2"].number_format == "@"
    assert sheet["C2"].value is None
    assert sheet["C2"].number_format == "@"
    assert sheet["A2"].number_format == "@"
    assert sheet["E2"].number_format == "General"


def test_problem_workbook_keeps_cell_types(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "jenis-sel.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Tanggal Pasang", "Aktif", "Jam", "Jumlah", "=Catatan"],
        ["PLG-0703", "+Ani", "bukan nomor", datetime(2024, 2, 1, 13, 30), True, time(7, 45), 2.5, "-5"],
    ])
    batch = validate(path)
    out = tmp_path / "masalah.xlsx"

    with open(out, "wb") as handle:
        write_problem_workbook(batch, handle)

    sheet = load_workbook(out).active
    header = [(cell.value, cell.font.b, cell.fill.fgColor.rgb, cell.quotePrefix) for cell in sheet[1]]
    assert header[:2] == [("ID Pelanggan", True, "001E8E3E", False), ("Nama", True, "001E8E3E", False)]
    assert header[7] == ("=Catatan", True, "001E8E3E", True)
    assert header[8:] == [("Baris asal", True, "001E8E3E", False), ("Masalah", True, "001E8E3E", False)]
    row = {cell.column_letter: cell for cell in sheet[2]}
    assert (row["B"].value, row["B"].data_type, row["B"].quotePrefix) == ("+Ani", "s", True)
    assert (row["B"].number_format, row["C"].number_format) == ("@", "@")
    assert (row["D"].value, row["D"].number_format) == (datetime(2024, 2, 1, 13, 30), "dd/mm/yyyy hh:mm")
    assert (row["E"].value, row["E"].data_type) == (True, "b")
    assert (row["F"].value, row["F"].number_format) == (time(7, 45), "h:mm:ss")
    assert (row["G"].value, row["G"].number_format) == (2.5, "General")
    assert (row["H"].value, row["H"].quotePrefix, row["H"].number_format) == ("-5", True, "@")
    assert (row["I"].value, row["I"].number_format) == (2, "General")
    assert row["J"].value.startswith("Baris 2, kolom No HP:")
    assert row["J"].number_format == "General"


def test_problem_workbook_download_streams(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "unduh.xlsx", [["ID Pelanggan", "Nama", "No HP"], ["PLG-0704", "Ani", "bukan nomor"]])
    batch = validate(path)

    response = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="masalah-{batch.pk.hex[:8]}.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.getvalue())).active.iter_rows(values_only=True))
    assert [row[:3] for row in rows] == [("ID Pelanggan", "Nama", "No HP"), ("PLG-0704", "Ani", "bukan nomor")]


def english(finding):
    with translation.override("en"):
        return finding.message


def test_present_id_named_as_stored(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "huruf-kecil.xlsx", [HEADER, ["plg-0001", "Budi Santoso", "", "", "", "", ""]])

    batch = validate(path)

    present = batch.problems.get(kind="duplicate")
    assert present.value == "plg-0001"
    assert english(present) == "Row 2: customer “PLG-0001” already exists (same ID Pelanggan). It is not saved again."


def test_unchanged_update_names_stored_id(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "perbarui.xlsx", [HEADER, ["plg-0001", "Budi Santoso", "", "", "", "", ""]])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    present = batch.problems.get(kind="duplicate")
    assert present.code == "no_changes"
    assert english(present) == "Row 2: customer “PLG-0001” already exists and the row changes nothing."


def test_stored_present_finding_without_number():
    # Stored before the message named the stored ID, so its params are empty.
    finding = ImportProblem(row=2, column="ID Pelanggan", value="plg-0001", code="present_number", params={})

    assert english(finding) == "Row 2: customer “plg-0001” already exists (same ID Pelanggan). It is not saved again."


def test_bad_postal_code_saved_with_note(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "kodepos.xlsx", [
        ["Nama", "Alamat", "Kode Pos"],
        ["Ani", "Jl. A", "0691"],
        ["Bayu", "Jl. B", "16911"],
    ])

    batch = validate(path)

    assert (batch.new_count, batch.problem_count) == (2, 0)
    assert findings(batch, "problem") == []
    assert findings(batch, "note") == [(2, "Kode Pos", "postal_code_left_out")]
    note = batch.problems.get(kind="note")
    assert english(note) == (
        "Row 2, column Kode Pos: “0691” is not a postal code, so the customer is saved without one. "
        "A postal code has 5 digits and does not start with 0, like 16911. Fill it in on the customer's page."
    )
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]), {"kind": "note"}).content.decode()
    assert "“0691” is not a postal code, so the customer is saved without one." in page

    batches.commit_batch(batch)

    assert dict(Customer.objects.values_list("name", "postal_code")) == {"Ani": "", "Bayu": "16911"}


def test_unusable_optional_values_saved_with_notes(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "opsional.xlsx", [
        ["Nama", "Alamat", "Paket", "NIK", "Email", "Titik Lokasi", "Tanggal Pasang"],
        ["Ani", "Jl. A", "Home 10 Mbps", 3201011203900007, "a@b.c<script>", "https://goo.gl/maps/abc123", "12/31/2023"],
        ["Bayu", "Jl. B", "Home 10 Mbps", None, "budi gmail.com", "https://maps.app.goo.gl/XyZ789", None],
        ["Citra", None, "Home 10 Mbps", 3201011203900000, "citra@contoh.id", "-6.4812, 106.8421", None],
    ])

    batch = validate(path)

    assert findings(batch, "problem") == [(4, "NIK", "nik_number_cell")]
    assert findings(batch, "note") == [
        (2, "Email", "email_left_out"),
        (2, "Titik Lokasi", "coordinates_short_link_left_out"),
        (2, "Tanggal Pasang", "date_left_out"),
        (3, "Email", "email_left_out"),
        (3, "Titik Lokasi", "coordinates_short_link_left_out"),
    ]
    note = batch.problems.get(row=2, column="Titik Lokasi")
    assert note.value == "https://goo.gl/maps/abc123"
    assert english(note) == (
        "Row 2, column Titik Lokasi: “https://goo.gl/maps/abc123” is a short Google Maps link, which eBilling "
        "cannot open, so the customer is saved without this map location. Open the link on a phone and paste "
        "the coordinates shown, like -6.4812, 106.8421, or the long link on the customer's page. The customer "
        "can also set the location in the portal."
    )
    counts = batch.summary["counts"]
    assert (counts["new"], counts["invalid"], counts["incomplete"]) == (2, 1, 0)
    assert (batch.new_count, batch.problem_count, batch.incomplete_count) == (2, 1, 0)
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]), {"kind": "note"}).content.decode()
    assert "is a short Google Maps link, which eBilling cannot open, so the customer is saved without" in page

    out = tmp_path / "masalah.xlsx"
    with open(out, "wb") as handle:
        write_problem_workbook(batch, handle, mask_nik=False)
    sheet = load_workbook(out).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Citra"]

    batches.commit_batch(batch)

    saved = Customer.objects.order_by("name").values_list("name", "nik", "email", "latitude", "longitude", "installed_on")
    assert list(saved) == [
        ("Ani", "3201011203900007", "", None, None, None),
        ("Bayu", "", "", None, None, None),
    ]


ERROR_HEADER = ["Nama", "Site", "Paket", "Kode Wilayah", "Email", "Titik Lokasi", "Tanggal Pasang"]


def test_error_cells_in_optional_columns_noted(sample_catalogue, tmp_path):
    """A spreadsheet error (here from VLOOKUP) in an optional column leaves
    the value out, as an unknown Paket name does, and the row is saved."""
    path = write_workbook(tmp_path / "vlookup.xlsx", [
        ERROR_HEADER,
        ["Ani", "#N/A", "#N/A", "#N/A", "#N/A", "#REF!", "#VALUE!"],
        ["Bayu", "Cibinong", "Home 10 Mbps", None, "bayu@contoh.id", None, None],
    ])

    batch = validate(path)

    assert findings(batch, "problem") == []
    assert findings(batch, "note") == [
        (2, "Site", "cell_error_left_out"),
        (2, "Paket", "cell_error_left_out"),
        (2, "Kode Wilayah", "cell_error_left_out"),
        (2, "Email", "cell_error_left_out"),
        (2, "Titik Lokasi", "cell_error_left_out"),
        (2, "Tanggal Pasang", "cell_error_left_out"),
    ]
    assert [note.value for note in batch.problems.filter(kind="note").order_by("id")] == [
        "#N/A", "#N/A", "#N/A", "#N/A", "#REF!", "#VALUE!",
    ]
    assert english(batch.problems.get(column="Paket")) == (
        "Row 2, column Paket: the cell shows the spreadsheet error “#N/A”, so the customer is saved without "
        "this value. Fill it in on the customer's page, or fix the formula and upload the file again in the "
        "mode Create and update."
    )
    assert batch.new_count == 2

    batches.commit_batch(batch)

    ani = Customer.objects.get(name="Ani")
    assert (ani.site_id, ani.package_id, ani.village_id, ani.email) == (None, None, None, "")
    assert (ani.latitude, ani.longitude, ani.installed_on) == (None, None, None)
    assert Customer.objects.get(name="Bayu").package.name == "Home 10 Mbps"


def test_error_cells_keep_stored_values(sample_catalogue, tmp_path):
    sites, packages = sample_catalogue
    Customer.objects.create(
        number="PLG-0902", name="Wati", email="wati@contoh.id", installed_on=date(2023, 1, 15),
        site=sites["BJG"], package=packages["H20"],
    )
    path = write_workbook(tmp_path / "ubah.xlsx", [
        ["ID Pelanggan", *ERROR_HEADER, "No HP"],
        ["PLG-0902", "Wati", "#N/A", "#N/A", None, "#N/A", None, "#N/A", "0812-3456-7890"],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch, "problem") == []
    assert [(note.column, note.code) for note in batch.problems.filter(kind="note").order_by("id")] == [
        ("Site", "cell_error"), ("Paket", "cell_error"), ("Email", "cell_error"), ("Tanggal Pasang", "cell_error"),
        ("No HP", "will_fill"),
    ]
    batches.commit_batch(batch)
    wati = Customer.objects.get(number="PLG-0902")
    assert wati.phone == "+6281234567890"
    assert (wati.site, wati.package, wati.email, wati.installed_on) == (
        sites["BJG"], packages["H20"], "wati@contoh.id", date(2023, 1, 15),
    )


@pytest.mark.parametrize("column", ["Nama", "ID Pelanggan", "No HP", "NIK", "Status"])
def test_error_cells_in_required_columns_reject(sample_catalogue, tmp_path, column):
    headers = ["Nama", "ID Pelanggan", "No HP", "NIK", "Status"]
    row = ["Ani", "PLG-0903", "0812-3456-7890", None, "Aktif"]
    row[headers.index(column)] = "#N/A"
    path = write_workbook(tmp_path / "wajib.xlsx", [headers, row])

    batch = validate(path)

    assert findings(batch, "problem") == [(2, column, "cell_error")]
    assert batch.problems.get(kind="problem").value == "#N/A"
    assert Customer.objects.count() == 0


def test_name_joiner_kept_and_matched(sample_catalogue, tmp_path):
    """A zero width joiner inside a name is saved, and a stored name
    without it is the same person."""
    technologist = "\U0001f469\u200d\U0001f4bb"
    Customer.objects.create(number="PLG-0950", name="Wati \U0001f469\U0001f4bb", phone="+6281200000950")
    path = write_workbook(tmp_path / "emoji.xlsx", [
        ["Nama", "No HP"],
        [f"Ani\u200b {technologist}\u200d", "0812-0000-0951"],
        [f"Wati {technologist}", "0812-0000-0950"],
        [f"ANI {technologist}", "0812-0000-0951"],
    ])

    batch = validate(path)

    assert batch.new_count == 1
    assert [(f.row, f.kind, f.code) for f in batch.problems.order_by("row", "id")] == [
        (3, "duplicate", "present_person"),
        (4, "problem", "repeated_row"),
    ]
    batches.commit_batch(batch)
    ani = Customer.objects.get(phone="+6281200000951")
    assert ani.name == f"Ani {technologist}"
    assert ani.name_key == "ani \U0001f469\U0001f4bb"


def test_left_out_notes_of_unsaved_rows(sample_catalogue, tmp_path):
    """A bad email on a rejected row or on an already present customer keeps
    the cleaner's wording, because no customer is saved from that row."""
    first = write_workbook(tmp_path / "awal.xlsx", [
        ["ID Pelanggan", "Nama", "Alamat", "Email"],
        ["PLG-0100", "Dewi", "Jl. D", "dewi@contoh.id"],
    ])
    batches.commit_batch(validate(first))
    path = write_workbook(tmp_path / "lagi.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Alamat", "Email"],
        ["PLG-0100", "Dewi", None, "Jl. D", "dewi contoh.id"],
        ["PLG-0101", "Eko", "12345", "Jl. E", "eko@"],
        ["PLG-0102", "Fitri", None, "Jl. F", "fitri contoh.id"],
    ])

    batch = validate(path)

    assert findings(batch, "problem") == [(3, "No HP", "phone_invalid")]
    assert findings(batch, "note") == [
        (2, "Email", "email_invalid"),
        (3, "Email", "email_invalid"),
        (4, "Email", "email_left_out"),
    ]
    note = batch.problems.get(row=2, column="Email")
    assert "saved without" not in english(note)
    assert english(note).startswith("Row 2, column Email: “dewi contoh.id” is not a valid email address")


def test_all_present_offers_no_save(admin_client, sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    path = write_workbook(tmp_path / "lagi.xlsx", [HEADER, ["PLG-0001", "Budi Santoso", "", "", "", "", ""]])
    batch = validate(path)
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert 'id="confirm-button"' not in page
    assert (
        "Nothing can be saved: every customer in this file is already present. To change those customers "
        "with this file, upload it again in the mode Create and update."
    ) in page
    assert 'id="upload-again"' in page


def test_all_problem_rows_offer_no_save(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "salah.xlsx", [HEADER, ["PLG-0501", "", "0812x", "", "", "", ""]])
    batch = validate(path)
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert batch.problem_count == 1
    assert 'id="confirm-button"' not in page
    assert (
        "Nothing can be saved: every row has a problem or is already present. "
        "Download the problem rows, fix them and upload them again."
    ) in page



def test_batch_page_cuts_long_values(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "panjang.xlsx", [
        HEADER,
        ["PLG-0301", "A" * 1000, "081200000301", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-0302", "Bayu", "081200000302", "", "Jl. B", "C" * 150, "H10"],
    ])
    batch = validate(path)
    url = reverse("customers:batch-detail", args=[batch.pk])

    html = admin_client.get(url, {"kind": "problem"}).content.decode()
    assert f'<td class="value" data-label="Nilai">{"A" * 79}…</td>' in html
    assert "A" * 80 not in html

    # The unmatched site is cut both in the unmatched-names table and in its note.
    html = admin_client.get(url, {"kind": "note"}).content.decode()
    assert html.count(f'<td class="value" data-label="Nilai">{"C" * 79}…</td>') == 2


def test_row_reference_follows_viewer_language(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "nik-ganda.xlsx", [
        ["Nama", "No HP", "NIK"],
        ["Budi Santoso", "081277770001", "3201011203900001"],
        ["Orang Lain", "081277770002", "3201011203900001"],
    ])

    batch = validate(path, language="en")
    finding = batch.problems.get(kind="problem")

    assert finding.code == "nik_other_name"
    with translation.override("id"):
        assert finding.message == (
            "Baris 3, kolom NIK: NIK “3201011203900001” sudah dimiliki baris 2 dengan nama lain. "
            "Satu NIK hanya milik satu orang: periksa NIK atau namanya."
        )
    with translation.override("en"):
        assert finding.message == (
            "Row 3, column NIK: NIK “3201011203900001” already belongs to row 2 under another name. "
            "One NIK belongs to one person: check the NIK or the name."
        )


def test_phone_note_row_follows_viewer_language(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "hp-ganda.xlsx", [
        ["Nama", "No HP"],
        ["Ibu Ani", "081277770003"],
        ["Pak Ani", "081277770003"],
    ])

    batch = validate(path, language="id")
    finding = batch.problems.get(kind="note")

    assert finding.code == "phone_other_name"
    with translation.override("en"):
        assert finding.message == (
            "Row 3, column No HP: phone “0812-7777-0003” is also used by row 2 under another name (possible duplicate)."
        )


def test_saved_batch_points_to_customers_without_site(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "nama-asing.xlsx", [
        HEADER,
        ["PLG-0101", "Ani", "081200000101", "", "Jl. A", "Cabang Hilang", "Home 20 Mbps"],
        ["PLG-0102", "Bayu", "081200000102", "", "Jl. B", "Cabang Hilang", "Paket Hilang"],
        ["PLG-0103", "Citra", "081200000103", "", "Jl. C", "Cibinong", "Paket Hilang"],
        ["PLG-0104", "Dedi", "081200000104", "", "Jl. D", "Cibinong", "Home 20 Mbps"],
    ])
    batch = validate(path)
    batches.commit_batch(batch)
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert (
        '<p class="warning-box" id="created-without-site">2 customers saved by this import have no site. '
        "Set it in the customer list: tick the customers and choose Set site. "
        '<a href="/customers/?site=none">Show the customers without a site</a></p>'
    ) in page
    assert (
        '<p class="warning-box" id="created-without-package">2 customers saved by this import have no package. '
        "Set it in the customer list: tick the customers and choose Set package. "
        '<a href="/customers/?missing=package">Show the customers without a package</a></p>'
    ) in page


def test_problem_workbook_omits_saved_unknown_names(sample_catalogue, tmp_path):
    # Rows saved without their unknown Site or Paket are not problem rows:
    # uploading them again in create mode would find them already present.
    path = write_workbook(tmp_path / "nama-asing.xlsx", [
        HEADER,
        ["PLG-0101", "Ani", "081200000101", "", "Jl. A", "Cabang Hilang", "Paket Hilang"],
        ["PLG-0102", "", "081200000102", "", "Jl. B", "Cibinong", "Home 20 Mbps"],
    ])
    batch = validate(path)
    batches.commit_batch(batch)
    out = io.BytesIO()

    with translation.override("en"):
        write_problem_workbook(batch, out)

    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    rows = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows == ["PLG-0102"]
