"""Which existing customers an import matches: a site admin's import stays
within their sites, an ID matches in any letter case, and an update may
leave Nama empty."""

import pytest

from django.urls import reverse
from django.utils import translation

from customers.importing import batches
from customers.models import Customer, ImportBatch
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "Email", "Site"]


@pytest.fixture
def site_admin(sample_catalogue, django_user_model):
    """A staff user who manages Cibinong only and may import."""
    from django.contrib.auth.models import Permission

    sites, _packages = sample_catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", is_staff=True)
    sites["CBN"].staff.add(user)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="customers"))
    return user


@pytest.fixture
def customers(sample_catalogue):
    """One customer in Cibinong and one in Bojonggede."""
    sites, _packages = sample_catalogue
    own = Customer.objects.create(number="PLG-0001", name="Ani Wijaya", phone="+6281200000001", site=sites["CBN"])
    other = Customer.objects.create(
        number="PLG-0002", name="Siti Rahmawati", phone="+6281200000002", email="siti@example.id", site=sites["BJG"]
    )
    return own, other


def validate(path, **options):
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, **options)
    return batches.validate_batch(batch)


def findings(batch):
    return [(f.row, f.kind, f.column, f.code) for f in batch.problems.order_by("row", "id")]


def test_other_site_id_rejected_in_update(site_admin, customers, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "perbarui.xlsx", [
        HEADER,
        ["PLG-0002", "Siti Diubah", "", "baru@example.id", ""],
    ])

    batch = validate(path, user=site_admin, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)

    assert findings(batch) == [(2, "problem", "ID Pelanggan", "number_other_site")]
    message = batch.problems.get().message
    assert message == (
        "Baris 2, kolom ID Pelanggan: ID “PLG-0002” sudah dipakai pelanggan di site yang tidak Anda kelola. "
        "Beri pelanggan ini ID lain, atau minta bantuan admin."
    )
    other = Customer.objects.get(number="PLG-0002")
    assert other.name == "Siti Rahmawati"
    assert other.email == "siti@example.id"
    assert other.site == sites["BJG"]


def test_other_site_id_rejected_in_create(site_admin, customers, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "tambah.xlsx", [HEADER, ["plg-0002", "Siti Rahmawati", "", "", ""]])

    batch = validate(path, user=site_admin, site=sites["CBN"])

    assert findings(batch) == [(2, "problem", "ID Pelanggan", "number_other_site")]
    assert batch.duplicate_count == 0


def test_other_site_phone_not_matched(site_admin, customers, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "tanpa-id.xlsx", [
        ["Nama", "No HP"],
        ["Siti Rahmawati", "081200000002"],
    ])

    batch = validate(path, user=site_admin, site=sites["CBN"])

    assert batch.new_count == 1
    assert batch.duplicate_count == 0
    assert findings(batch) == []


def test_own_site_customer_updated(site_admin, customers, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "perbarui.xlsx", [HEADER, ["PLG-0001", "Ani Wijaya", "", "ani@example.id", ""]])

    batch = validate(path, user=site_admin, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)

    assert batch.updated_count == 1
    assert Customer.objects.get(number="PLG-0001").email == "ani@example.id"


def test_admin_updates_any_site(admin_user, customers, tmp_path):
    path = write_workbook(tmp_path / "perbarui.xlsx", [HEADER, ["PLG-0002", "Siti Rahmawati", "", "baru@example.id", ""]])

    batch = validate(path, user=admin_user, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)

    assert batch.updated_count == 1
    assert Customer.objects.get(number="PLG-0002").email == "baru@example.id"


def test_lower_case_id_already_present(customers, tmp_path):
    path = write_workbook(tmp_path / "huruf-kecil.xlsx", [HEADER, ["plg-0001", "Ani Wijaya", "", "", ""]])

    batch = validate(path)
    batches.commit_batch(batch)

    assert findings(batch) == [(2, "duplicate", "ID Pelanggan", "present_number")]
    assert batch.new_count == 0
    assert Customer.objects.count() == 2


def test_lower_case_id_updates_customer(customers, tmp_path):
    path = write_workbook(tmp_path / "huruf-kecil.xlsx", [HEADER, ["plg-0002", "Siti Rahmawati", "", "baru@example.id", ""]])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)

    assert batch.updated_count == 1
    updated = Customer.objects.get(number="PLG-0002")
    assert updated.email == "baru@example.id"
    assert Customer.objects.count() == 2


def test_lower_case_id_repeats_row(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "ulang.xlsx", [
        HEADER,
        ["DP-001", "Budi", "", "", ""],
        ["dp-001", "Budi", "", "", ""],
    ])

    batch = validate(path)

    assert findings(batch) == [(3, "problem", "ID Pelanggan", "repeated_row")]
    assert batch.new_count == 1


def test_update_keeps_name_when_empty(customers, tmp_path):
    path = write_workbook(tmp_path / "perbarui.xlsx", [HEADER, ["PLG-0002", "", "", "baru@example.id", ""]])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)

    assert batch.updated_count == 1
    assert [(row, code) for row, _kind, _column, code in findings(batch)] == [(2, "will_update")]
    updated = Customer.objects.get(number="PLG-0002")
    assert updated.name == "Siti Rahmawati"
    assert updated.email == "baru@example.id"


def test_update_unknown_id_needs_name(customers, tmp_path):
    path = write_workbook(tmp_path / "perbarui.xlsx", [HEADER, ["PLG-0099", "", "", "baru@example.id", ""]])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(2, "problem", "ID Pelanggan", "unknown_number_name_missing")]
    assert batch.problems.get().message == (
        "Baris 2, kolom ID Pelanggan: tidak ada pelanggan dengan ID “PLG-0099”, dan namanya kosong. "
        "Periksa ID-nya, atau isi nama untuk menambah pelanggan baru."
    )
    assert batch.new_count == 0


def test_create_mode_still_needs_name(customers, tmp_path):
    path = write_workbook(tmp_path / "tambah.xlsx", [HEADER, ["PLG-0002", "", "", "baru@example.id", ""]])

    batch = validate(path)

    assert findings(batch) == [(2, "problem", "Nama", "name_missing")]


def test_update_notes_show_names(customers, sample_catalogue, tmp_path):
    _sites, packages = sample_catalogue
    Customer.objects.filter(number="PLG-0002").update(package=packages["H10"], nik="3201011203900004")
    path = write_workbook(tmp_path / "perbarui.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "NIK", "Site", "Paket"],
        ["PLG-0002", "Siti Rahmawati", "0812-0000-0099", "3201011203900005", "Citayam", "Home 20 Mbps"],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    messages = [finding.message for finding in batch.problems.filter(code="will_update").order_by("id")]
    assert messages == [
        "Baris 2, kolom No HP: “0812-0000-0002” akan diubah menjadi “0812-0000-0099”.",
        "Baris 2, kolom Site: “Bojonggede” akan diubah menjadi “Citayam”.",
        "Baris 2, kolom Paket: “Home 10 Mbps” akan diubah menjadi “Home 20 Mbps”.",
    ]
    nik_note = batch.problems.get(code="nik_will_change")
    assert nik_note.value == "************0005"
    with translation.override("en"):
        assert nik_note.message == (
            "Row 2, column NIK: the NIK will change (the old NIK ends in 0004, the new NIK in 0005)."
        )


def test_other_sites_batch_not_linked(site_admin, admin_user, sample_catalogue, client, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "pelanggan.xlsx", [HEADER, ["PLG-0101", "Ani", "", "", "Bojonggede"]])
    earlier = validate(path, user=admin_user)
    batches.commit_batch(earlier)
    client.force_login(site_admin)

    batch = validate(path, user=site_admin, site=sites["CBN"])
    page = client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert earlier.state == ImportBatch.State.DONE
    assert "sudah pernah diimpor" not in page
    assert str(earlier.pk) not in page


def test_update_note_for_empty_field(customers, tmp_path):
    path = write_workbook(tmp_path / "perbarui.xlsx", [HEADER, ["PLG-0001", "Ani Wijaya", "", "ani@example.id", ""]])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    note = batch.problems.get()
    assert note.code == "will_fill"
    assert note.message == "Baris 2, kolom Email: sekarang kosong, akan diisi “ani@example.id”."


def test_other_site_name_not_revealed(site_admin, customers, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "tebak.xlsx", [
        ["ID Pelanggan", "Nama", "NIK"],
        ["", "Tebakan Salah", "3201011203900102"],
        ["PLG-0002", "", "3201011203900102"],
    ])

    batch = validate(path, user=site_admin, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(3, "problem", "ID Pelanggan", "number_other_site")]


def test_other_site_nik_keeps_one_person(site_admin, customers, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    Customer.objects.filter(number="PLG-0002").update(nik="3201011203900102")
    path = write_workbook(tmp_path / "nik.xlsx", [
        ["Nama", "NIK"],
        ["Budi Santoso", "3201011203900102"],
        ["Siti Rahmawati", "3201011203900102"],
    ])

    batch = validate(path, user=site_admin, site=sites["CBN"])

    # The same person may hold a subscription in another site; another name may not take the NIK.
    assert findings(batch) == [(2, "problem", "NIK", "nik_other_name")]
    assert batch.new_count == 1
    message = batch.problems.get().message
    assert "pelanggan di site yang tidak Anda kelola" in message
    assert "PLG-0002" not in message
    assert "Siti" not in message


def test_hidden_customer_follows_viewer_language(site_admin, customers, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    Customer.objects.filter(number="PLG-0002").update(nik="3201011203900102")
    path = write_workbook(tmp_path / "nik.xlsx", [["Nama", "NIK"], ["Budi Santoso", "3201011203900102"]])

    batch = validate(path, user=site_admin, site=sites["CBN"], language="id")

    with translation.override("en"):
        assert batch.problems.get().message == (
            "Row 2, column NIK: NIK “3201011203900102” already belongs to a customer of a site you do not manage "
            "under another name. One NIK belongs to one person: check the NIK or the name."
        )


def test_non_ascii_id_any_case(sample_catalogue, tmp_path):
    Customer.objects.create(number="äb-001", name="Ani")
    path = write_workbook(tmp_path / "huruf.xlsx", [HEADER, ["ÄB-001", "Ani", "", "", ""]])

    batch = validate(path)

    assert findings(batch) == [(2, "duplicate", "ID Pelanggan", "present_number")]


def test_case_twins_prefer_own_site(site_admin, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    Customer.objects.create(number="DP-001", name="Dewi", site=sites["BJG"])
    own = Customer.objects.create(number="dp-001", name="Dewi", site=sites["CBN"])
    path = write_workbook(tmp_path / "kembar.xlsx", [HEADER, ["Dp-001", "Dewi", "", "dewi@example.id", ""]])

    batch = validate(path, user=site_admin, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)

    own.refresh_from_db()
    assert batch.updated_count == 1
    assert own.email == "dewi@example.id"
    assert Customer.objects.get(number="DP-001").email == ""


def test_undo_leaves_customers_moved_away(site_admin, customers, sample_catalogue, client, tmp_path):
    sites, _packages = sample_catalogue
    path = write_workbook(tmp_path / "perbarui.xlsx", [
        HEADER,
        ["PLG-0001", "Ani Wijaya", "", "ani@example.id", ""],
        ["PLG-0101", "Budi Pindah", "", "", ""],
        ["PLG-0102", "Cici Tetap", "", "", ""],
    ])
    batch = validate(path, user=site_admin, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)
    # An admin moves the updated customer and one created customer to Citayam.
    Customer.objects.filter(number__in=["PLG-0001", "PLG-0101"]).update(site=sites["CTY"])
    client.force_login(site_admin)

    page = client.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()
    client.post(reverse("customers:batch-undo", args=[batch.pk]))

    assert '<strong id="count-remove">1</strong>' in page
    assert '<strong id="count-restore">0</strong>' in page
    assert "2 pelanggan dari impor ini sekarang ada di Site yang tidak Anda kelola" in page
    assert "Budi Pindah" not in page
    assert "PLG-0001" not in page
    assert sorted(Customer.objects.values_list("number", flat=True)) == ["PLG-0001", "PLG-0002", "PLG-0101"]
    assert Customer.objects.get(number="PLG-0001").email == "ani@example.id"


def update_alamat_of_refined_street(tmp_path, alamat):
    """Give PLG-0001 a street refined with its RT/RW, then upload `alamat` for it in update mode."""
    Customer.objects.filter(number="PLG-0001").update(address="Jl Mawar 4", street="Jl Mawar 4 RT 001/RW 002")
    path = write_workbook(tmp_path / "perbarui.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Alamat"],
        ["PLG-0001", "Ani Wijaya", "081200000001", alamat],
    ])
    batch = validate(path, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)
    return batch


def test_unchanged_alamat_keeps_refined_street(customers, tmp_path):
    batch = update_alamat_of_refined_street(tmp_path, "Jl Mawar 4")

    assert findings(batch) == [(2, "duplicate", "", "no_changes")]
    assert Customer.objects.get(number="PLG-0001").street == "Jl Mawar 4 RT 001/RW 002"


def test_changed_alamat_updates_street(customers, tmp_path):
    batch = update_alamat_of_refined_street(tmp_path, "Jl Kenanga 7")

    assert batch.updated_count == 1
    moved = Customer.objects.get(number="PLG-0001")
    assert (moved.address, moved.street) == ("Jl Kenanga 7", "Jl Kenanga 7")


def test_unchanged_alamat_keeps_picked_village(customers, regions_loaded, tmp_path):
    address = "Jl Mawar 5, Pabuaran, Cibinong"
    Customer.objects.filter(number="PLG-0001").update(address=address, street="Jl Mawar 5", village_id="32.01.01.1007")
    path = write_workbook(tmp_path / "ekspor.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Alamat"],
        ["PLG-0001", "Ani Wijaya", "081200000001", address],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    assert findings(batch) == [(2, "duplicate", "", "no_changes")]


def test_unchanged_alamat_fills_nothing(customers, regions_loaded, tmp_path):
    address = "Jl Mawar 5, Pabuaran, Cibinong"
    Customer.objects.filter(number="PLG-0001").update(address=address, street="", village=None)
    path = write_workbook(tmp_path / "ekspor.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Alamat"],
        ["PLG-0001", "Ani Wijaya", "081200000001", address],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)
    batches.commit_batch(batch)

    assert findings(batch) == [(2, "duplicate", "", "no_changes")]
    stored = Customer.objects.get(number="PLG-0001")
    assert (stored.street, stored.village_id) == ("", None)


def test_update_counts_customer_still_incomplete(customers, sample_catalogue, tmp_path):
    _sites, packages = sample_catalogue
    Customer.objects.filter(number="PLG-0002").update(address="Jl. Melati 2")
    path = write_workbook(tmp_path / "paket.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Paket"],
        ["PLG-0001", "Ani Wijaya", "081200000001", "Home 10 Mbps"],
        ["PLG-0002", "Siti Rahmawati", "081200000002", "Home 10 Mbps"],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE)

    assert batch.updated_count == 2
    # PLG-0001 has no Alamat; PLG-0002 is complete once it has a package.
    assert batch.incomplete_count == 1


def test_status_note_follows_viewer_language(admin_client, customers, tmp_path):
    path = write_workbook(tmp_path / "status.xlsx", [
        ["ID Pelanggan", "Nama", "No HP", "Status"],
        ["PLG-0001", "Ani Wijaya", "", "isolir"],
    ])

    batch = validate(path, mode=ImportBatch.Mode.UPDATE, language="en")
    note = batch.problems.get(code="will_update")

    with translation.override("id"):
        assert note.message == "Baris 2, kolom Status: “Aktif” akan diubah menjadi “Isolir”."
        assert note.shown_value == "Isolir"
    with translation.override("en"):
        assert note.message == "Row 2, column Status: “Active” will change to “Suspended”."
        assert note.shown_value == "Suspended"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk]), {"kind": "note"}).content.decode()
    assert '<td class="value" data-label="Nilai">Isolir</td>' in page
