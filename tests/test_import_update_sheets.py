"""Update-mode uploads of small sheets: an ID Pelanggan column and a few
others, whose rows change only the columns the sheet has."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from customers.importing import batches
from customers.importing.problems import FileRejected
from customers.models import Customer, ImportBatch, ImportChange
from customers.services import customer_anonymise
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(sample_catalogue):
    """Two active customers with a package, an Alamat and a location."""
    sites, packages = sample_catalogue
    common = {"site": sites["CBN"], "package": packages["H10"], "address": "Jl. Melati 3"}
    first = Customer.objects.create(
        number="PLG-0011", name="Agus Wibowo", phone="+6281200000011", nik="3201011203900001",
        latitude=Decimal("-6.480000"), longitude=Decimal("106.850000"), **common,
    )
    second = Customer.objects.create(
        number="PLG-0012", name="Dewi Lestari", phone="+6281200000012",
        latitude=Decimal("-6.490000"), longitude=Decimal("106.860000"), **common,
    )
    return first, second


def validate(path, rows, **options):
    write_workbook(path, rows)
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, **options)
    batches.validate_batch(batch)
    batch.refresh_from_db()
    return batch


def findings(batch):
    return [(f.row, f.kind, f.column, f.code) for f in batch.problems.order_by("row", "id")]


def test_isolir_list_accepted_in_update(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "isolir.xlsx", [
        ["ID Pelanggan", "Status"],
        ["PLG-0011", "Isolir"],
        ["PLG-0012", "Aktif"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert batch.state == ImportBatch.State.REVIEW
    assert findings(batch) == [
        (2, "note", "Status", "will_update"),
        (3, "duplicate", "", "no_changes"),
    ]
    counts = batch.summary["counts"]
    assert counts["update"] == 1
    assert counts["present"] == 1
    assert counts["invalid"] == 0
    assert counts["new"] == 0
    assert counts["incomplete"] == 0


def test_isolir_list_rejected_in_create(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "isolir.xlsx", [
        ["ID Pelanggan", "Status"],
        ["PLG-0011", "Isolir"],
    ], user=admin_user)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "missing_required"
    message = str(FileRejected(batch.error_code, **batch.error_params).message)
    assert message.endswith(
        "Untuk mengubah pelanggan yang sudah tersimpan saja, unggah dengan mode Tambah dan perbarui: "
        "ID Pelanggan dan kolom yang ingin diubah sudah cukup."
    )


def test_gps_list_rejected_in_create(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "gps.xlsx", [
        ["ID Pelanggan", "Nama", "Latitude", "Longitude"],
        ["PLG-0011", "Agus Wibowo", "-6.5", "106.8"],
    ], user=admin_user)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "too_few_columns"


def test_id_only_sheet_rejected_in_update(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "id.xlsx", [
        ["ID Pelanggan", "Status Bayar"],
        ["PLG-0011", "lunas"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "no_customer_sheet"


def test_isolir_list_saves_and_undoes(stored, admin_user, admin_client, tmp_path):
    first, second = stored
    batch = validate(tmp_path / "isolir.xlsx", [
        ["ID Pelanggan", "Status"],
        ["PLG-0011", "Isolir"],
        ["PLG-0012", "isolir"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)
    batch.refresh_from_db()

    assert batch.state == ImportBatch.State.DONE
    assert batch.updated_count == 2
    assert batch.new_count == 0
    changes = sorted(ImportChange.objects.filter(batch=batch).values_list("customer__number", "field", "old_value", "new_value"))
    assert changes == [
        ("PLG-0011", "status", "active", "suspended"),
        ("PLG-0012", "status", "active", "suspended"),
    ]
    first.refresh_from_db()
    assert first.status == Customer.Status.SUSPENDED
    assert first.name == "Agus Wibowo"
    assert first.nik == "3201011203900001"
    assert first.address == "Jl. Melati 3"
    assert first.package.code == "H10"
    assert first.latitude == Decimal("-6.480000")
    latest = first.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    assert latest.status == Customer.Status.SUSPENDED

    response = admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE
    for customer in (first, second):
        customer.refresh_from_db()
        assert customer.status == Customer.Status.ACTIVE
    assert first.history.first().status == Customer.Status.ACTIVE


def test_gps_list_saves_and_undoes(stored, admin_user, admin_client, tmp_path):
    first, second = stored
    batch = validate(tmp_path / "gps.xlsx", [
        ["ID Pelanggan", "Nama", "Latitude", "Longitude"],
        ["PLG-0011", "", "-6,5", "106,8"],
        ["PLG-0012", "Dewi Lestari", "-6.51", "106.81"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["counts"]["update"] == 2
    assert batch.summary["counts"]["invalid"] == 0

    batches.commit_batch(batch)
    batch.refresh_from_db()

    assert batch.updated_count == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.latitude, first.longitude) == (Decimal("-6.500000"), Decimal("106.800000"))
    assert (second.latitude, second.longitude) == (Decimal("-6.510000"), Decimal("106.810000"))
    assert first.name == "Agus Wibowo"
    assert first.phone == "+6281200000011"
    assert first.status == Customer.Status.ACTIVE
    assert first.address == "Jl. Melati 3"

    admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.latitude, first.longitude) == (Decimal("-6.480000"), Decimal("106.850000"))
    assert (second.latitude, second.longitude) == (Decimal("-6.490000"), Decimal("106.860000"))


def test_unknown_id_without_name_column(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "isolir.xlsx", [
        ["ID Pelanggan", "Status"],
        ["PLG-0099", "Isolir"],
        ["PLG-0011", "Isolir"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)
    batch.refresh_from_db()

    assert findings(batch)[0] == (2, "problem", "ID Pelanggan", "unknown_number_name_missing")
    assert batch.summary["counts"]["invalid"] == 1
    assert batch.new_count == 0
    assert batch.updated_count == 1
    assert not Customer.objects.filter(number="PLG-0099").exists()


def test_matched_row_reports_other_problems(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "hp.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Latitude", "Longitude"],
        ["PLG-0011", "", "0812x", "-6.5", "106.8"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(2, "problem", "No HP", "phone_invalid")]
    assert batch.summary["counts"]["invalid"] == 1


def test_unusable_optional_values_keep_stored(stored, admin_user, tmp_path):
    first, _second = stored
    Customer.objects.filter(pk=first.pk).update(
        email="agus@contoh.id", postal_code="16911", installed_on=date(2023, 1, 15),
    )
    batch = validate(tmp_path / "opsional.xlsx", [
        ["ID Pelanggan", "No HP", "Email", "Titik Lokasi", "Tanggal Pasang", "Kode Pos"],
        ["PLG-0011", "0812-0000-0099", "budi@", "https://goo.gl/maps/abc123", "31/02/2024", "1691"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    # An update row keeps the stored values, so its notes have the cleaner's
    # wording instead of "the customer is saved without this value".
    assert findings(batch) == [
        (2, "note", "Email", "email_invalid"),
        (2, "note", "Titik Lokasi", "coordinates_short_link"),
        (2, "note", "Tanggal Pasang", "date_invalid"),
        (2, "note", "Kode Pos", "postal_code_invalid"),
        (2, "note", "No HP", "will_update"),
    ]
    counts = batch.summary["counts"]
    assert (counts["update"], counts["invalid"]) == (1, 0)

    batches.commit_batch(batch)

    first.refresh_from_db()
    assert first.phone == "+6281200000099"
    assert first.email == "agus@contoh.id"
    assert (first.latitude, first.longitude) == (Decimal("-6.480000"), Decimal("106.850000"))
    assert first.installed_on == date(2023, 1, 15)
    assert first.postal_code == "16911"
    assert list(ImportChange.objects.filter(batch=batch).values_list("field", flat=True)) == ["phone"]


ROW_WITHOUT_ID = ["ID Pelanggan", "Nama", "No HP", "Alamat"]


def test_row_without_id_names_customer(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "tanpa-id.xlsx", [
        ROW_WITHOUT_ID,
        ["", "Dewi Lestari", "0812-0000-0012", "Jl. Kenanga 9"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)
    batch.refresh_from_db()

    assert findings(batch) == [(2, "duplicate", "Nama", "present_without_number")]
    with translation.override("en"):
        assert batch.problems.get().message == (
            "Row 2: same as customer PLG-0012, but without an ID Pelanggan, so its changes are not saved. "
            "Fill in ID Pelanggan PLG-0012 so this row updates that customer."
        )
    assert batch.summary["counts"]["present"] == 1
    assert batch.updated_count == 0
    assert Customer.objects.get(number="PLG-0012").address == "Jl. Melati 3"


def test_row_without_id_unchanged(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "tanpa-id.xlsx", [
        ROW_WITHOUT_ID,
        ["", "Dewi Lestari", "0812-0000-0012", "Jl. Melati 3"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(2, "duplicate", "Nama", "present_person")]


def test_row_without_id_in_create(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "tanpa-id.xlsx", [
        ROW_WITHOUT_ID,
        ["", "Dewi Lestari", "0812-0000-0012", "Jl. Kenanga 9"],
    ], user=admin_user)

    assert findings(batch) == [(2, "duplicate", "Nama", "present_person")]


def test_row_without_id_other_site(stored, sample_catalogue, django_user_model, tmp_path):
    from django.contrib.auth.models import Permission

    sites, _packages = sample_catalogue
    site_admin = django_user_model.objects.create_user(username="admin-cty", is_staff=True)
    sites["CTY"].staff.add(site_admin)
    site_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="customers"))

    batch = validate(tmp_path / "tanpa-id.xlsx", [
        ROW_WITHOUT_ID,
        ["", "Dewi Lestari", "0812-0000-0012", "Jl. Kenanga 9"],
    ], user=site_admin, site=sites["CTY"], mode=ImportBatch.Mode.UPDATE)

    assert batch.summary["counts"]["new"] == 1
    assert [code for _row, _kind, _column, code in findings(batch)] == []
    assert "PLG-0012" not in " ".join(finding.message for finding in batch.problems.all())


def test_nik_change_same_last_digits(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "nik.xlsx", [
        ["ID Pelanggan", "NIK"],
        ["PLG-0011", "3201011203950001"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(2, "note", "NIK", "nik_will_change_same_end")]
    note = batch.problems.get()
    assert note.value == "************0001"
    assert "3201011203950001" not in str(note.params)
    with translation.override("en"):
        assert note.message == (
            "Row 2, column NIK: the NIK will change in its first 12 digits (the old and the new NIK both end in 0001)."
        )


def test_phone_of_other_customer_noted(stored, admin_user, admin_client, tmp_path):
    # PLG-0011 gets the number stored for PLG-0012, as a slip when typing.
    batch = validate(tmp_path / "hp.xlsx", [
        ["ID Pelanggan", "No HP"],
        ["PLG-0011", "0812-0000-0012"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [
        (2, "note", "No HP", "phone_other_name"),
        (2, "note", "No HP", "will_update"),
    ]
    assert batch.summary["counts"]["update"] == 1
    assert batch.summary["counts"]["possible_duplicates"] == 0
    with translation.override("en"):
        assert batch.problems.get(code="phone_other_name").message == (
            "Row 2, column No HP: phone “0812-0000-0012” is also used by PLG-0012 (Dewi Lestari) "
            "under another name (possible duplicate)."
        )
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert 'id="possible-duplicates"' not in page


def test_own_phone_kept_not_noted(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "hp.xlsx", [
        ["ID Pelanggan", "No HP", "Status"],
        ["PLG-0011", "0812-0000-0011", "Isolir"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(2, "note", "Status", "will_update")]


def test_name_change_warns_in_review(stored, admin_user, admin_client, tmp_path):
    batch = validate(tmp_path / "nama.xlsx", [
        ["ID Pelanggan", "Nama"],
        ["PLG-0011", "Andi Pratama"],
        ["PLG-0012", "DEWI  LESTARI"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [
        (2, "note", "Nama", "name_will_change"),
        (3, "note", "Nama", "will_update"),
    ]
    assert batch.summary["counts"]["name_changes"] == 1
    assert batch.summary["counts"]["update"] == 2
    with translation.override("en"):
        assert batch.problems.get(row=2).message == (
            "Row 2, column Nama: the name will change from “Agus Wibowo” to “Andi Pratama”. "
            "Make sure the ID Pelanggan is right."
        )
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert (
        '<p class="warning-box" id="name-changes">1 row changes the name of a stored customer. '
        "Check that its ID Pelanggan is right before saving."
    ) in page


def test_no_name_warning_without_changes(stored, admin_user, admin_client, tmp_path):
    batch = validate(tmp_path / "status.xlsx", [
        ["ID Pelanggan", "Nama", "Status"],
        ["PLG-0011", "Agus Wibowo", "Isolir"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert batch.summary["counts"]["name_changes"] == 0
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert 'id="name-changes"' not in page


def test_chosen_site_keeps_stored_customers_in_place(stored, sample_catalogue, admin_user, tmp_path):
    # An isolir list uploaded with a site chosen: the choice places new
    # customers and must not move the stored ones.
    sites, _packages = sample_catalogue
    first, second = stored
    unsited = Customer.objects.create(number="PLG-0013", name="Rina Wati", phone="+6281200000013")
    batch = validate(tmp_path / "isolir.xlsx", [
        ["ID Pelanggan", "Nama", "Status"],
        ["PLG-0011", "", "Isolir"],
        ["PLG-0012", "", ""],
        ["PLG-0013", "", ""],
        ["PLG-0014", "Yudi Hartono", "Aktif"],
    ], user=admin_user, site=sites["CTY"], mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [
        (2, "note", "Status", "will_update"),
        (2, "note", "", "site_choice_kept"),
        (3, "duplicate", "", "no_changes"),
        (3, "note", "", "site_choice_kept"),
        (4, "note", "Site", "will_fill"),
    ]
    with translation.override("id"):
        assert batch.problems.get(row=2, code="site_choice_kept").message == (
            f"Baris 2: pelanggan “PLG-0011” terdaftar di Site {sites['CBN'].name}, bukan {sites['CTY'].name}. "
            f"Site yang dipilih untuk upload ini hanya menempatkan pelanggan baru, jadi pelanggan ini tetap di "
            f"{sites['CBN'].name}. Untuk memindahkannya, tulis {sites['CTY'].name} di kolom Site-nya."
        )

    batches.commit_batch(batch)
    batch.refresh_from_db()

    assert batch.state == ImportBatch.State.DONE
    assert (batch.new_count, batch.updated_count) == (1, 2)
    first.refresh_from_db()
    second.refresh_from_db()
    unsited.refresh_from_db()
    assert (first.site, first.status) == (sites["CBN"], Customer.Status.SUSPENDED)
    assert (second.site, second.status) == (sites["CBN"], Customer.Status.ACTIVE)
    # A stored customer without a site gets the chosen one.
    assert unsited.site == sites["CTY"]
    assert Customer.objects.get(number="PLG-0014").site == sites["CTY"]
    changes = sorted(ImportChange.objects.filter(batch=batch).values_list("customer__number", "field", "new_value"))
    assert changes == [
        ("PLG-0011", "status", "suspended"),
        ("PLG-0013", "site_id", str(sites["CTY"].pk)),
    ]


def test_site_column_still_moves_customer(stored, sample_catalogue, admin_user, tmp_path):
    sites, _packages = sample_catalogue
    first, _second = stored
    batch = validate(tmp_path / "move.xlsx", [
        ["ID Pelanggan", "Site"],
        ["PLG-0011", sites["CTY"].name],
    ], user=admin_user, site=sites["CTY"], mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(2, "note", "Site", "will_update")]
    batches.commit_batch(batch)
    first.refresh_from_db()
    assert first.site == sites["CTY"]


def test_site_column_of_other_site_keeps_customer(stored, sample_catalogue, admin_user, tmp_path):
    # An export of several sites uploaded with one site chosen: a row that
    # names a third site keeps the customer too, as a site conflict.
    sites, _packages = sample_catalogue
    first, second = stored
    batch = validate(tmp_path / "ekspor.xlsx", [
        ["ID Pelanggan", "Site", "Status"],
        ["PLG-0011", sites["CBN"].name, "Isolir"],
        ["PLG-0012", sites["BJG"].name, ""],
    ], user=admin_user, site=sites["CTY"], mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [
        (2, "note", "Status", "will_update"),
        (3, "duplicate", "", "no_changes"),
        (3, "conflict", "Site", "site_conflict_kept"),
    ]
    batches.commit_batch(batch)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.site, first.status) == (sites["CBN"], Customer.Status.SUSPENDED)
    assert second.site == sites["CBN"]


def test_site_column_of_stored_site_keeps_customer(stored, sample_catalogue, admin_user, tmp_path):
    # A re-uploaded export names each customer's own site in the Site
    # column: a site chosen for the upload must not move them.
    sites, _packages = sample_catalogue
    first, second = stored
    batch = validate(tmp_path / "ekspor.xlsx", [
        ["ID Pelanggan", "Nama", "Site", "Status"],
        ["PLG-0011", "Agus Wibowo", sites["CBN"].name, "Isolir"],
        ["PLG-0012", "Dewi Lestari", sites["CBN"].name, ""],
    ], user=admin_user, site=sites["CTY"], mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [
        (2, "note", "Status", "will_update"),
        (3, "duplicate", "", "no_changes"),
    ]

    batches.commit_batch(batch)
    batch.refresh_from_db()

    assert (batch.new_count, batch.updated_count) == (0, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.site, first.status) == (sites["CBN"], Customer.Status.SUSPENDED)
    assert second.site == sites["CBN"]
    changes = list(ImportChange.objects.filter(batch=batch).values_list("customer__number", "field", "new_value"))
    assert changes == [("PLG-0011", "status", "suspended")]


def test_create_mode_names_unsaved_changes(stored, admin_user, admin_client, tmp_path):
    # An edited export uploaded in Tambah saja: the new row is saved, the
    # edited one is not, and the review explains how to save it.
    batch = validate(tmp_path / "ekspor.xlsx", [
        ["ID Pelanggan", "Nama", "Alamat", "Status"],
        ["PLG-0011", "Agus Wibowo", "Jl. Melati 3", "Isolir"],
        ["PLG-0012", "Dewi Lestari", "Jl. Melati 3", "Aktif"],
        ["PLG-0013", "Rina Wati", "Jl. Mawar 9", "Aktif"],
    ], user=admin_user)

    assert findings(batch) == [
        (2, "duplicate", "ID Pelanggan", "present_number_changed"),
        (3, "duplicate", "ID Pelanggan", "present_number"),
    ]
    assert batch.summary["counts"]["changes_not_saved"] == 1
    with translation.override("id"):
        assert batch.problems.get(row=2).message == (
            "Baris 2: pelanggan “PLG-0011” sudah ada (ID Pelanggan sama), dan baris ini berisi nilai lain untuknya. "
            "Mode Tambah saja tidak mengubah pelanggan yang sudah tersimpan: untuk menyimpan nilai itu, unggah file "
            "dengan mode Tambah dan perbarui."
        )
    page = " ".join(admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode().split())
    assert (
        '<p class="warning-box" id="changes-not-saved">1 baris berisi nilai lain untuk pelanggan yang sudah '
        "tersimpan, dan mode ini tidak menyimpannya. Untuk mengubah pelanggan itu, unggah file lagi dengan mode "
        "Tambah dan perbarui."
    ) in page


def test_anonymised_customer_not_refilled(stored, admin_user, tmp_path):
    # An export made before the customer was anonymised, uploaded again.
    first, _second = stored
    customer_anonymise(first, by=admin_user)
    batch = validate(tmp_path / "ekspor-lama.xlsx", [
        ["ID Pelanggan", "Nama", "No. HP", "NIK", "Status"],
        ["PLG-0011", "Agus Wibowo", "0812-0000-0011", "3201011203900001", "Isolir"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [
        (2, "note", "", "anonymised_not_refilled"),
        (2, "note", "Status", "will_update"),
    ]
    with translation.override("id"):
        assert batch.problems.get(code="anonymised_not_refilled").message == (
            "Baris 2: pelanggan “PLG-0011” sudah dianonimkan, jadi data pribadi di baris ini (Nama, No. HP, NIK) "
            "tidak disimpan untuknya. Kolom lainnya disimpan."
        )
    batches.commit_batch(batch)
    first.refresh_from_db()
    assert (first.name, first.phone, first.nik, first.status) == ("Anonim PLG-0011", "", "", Customer.Status.SUSPENDED)


def test_create_mode_names_other_person_under_stored_id(stored, admin_user, tmp_path):
    # A hand-added customer took PLG-0011, which the ISP's sheet gives to
    # someone else: the advice must not be to overwrite it.
    batch = validate(tmp_path / "sheet.xlsx", [
        ["ID Pelanggan", "Nama", "Alamat"],
        ["PLG-0011", "Budi Santoso", "Jl. Kenanga 1"],
    ], user=admin_user)

    assert findings(batch) == [(2, "duplicate", "ID Pelanggan", "present_number_other_name")]
    assert batch.summary["counts"]["changes_not_saved"] == 0
    with translation.override("id"):
        assert batch.problems.get().message == (
            "Baris 2, kolom ID Pelanggan: ID “PLG-0011” sudah dipakai oleh PLG-0011 (Agus Wibowo), dengan nama lain. "
            "Baris ini tidak disimpan. Jika ini orang lain, beri ID lain, atau kosongkan ID-nya agar mendapat ID baru."
        )
