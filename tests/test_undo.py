"""Undoing a finished import: created customers removed, updated fields
restored, and what someone changed since kept and listed."""

import threading
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from customers.importing import batches, undo
from customers.models import Customer, ImportBatch, ImportChange
from tests.importing_helpers import write_workbook
from tests.locking_helpers import WAIT_SECONDS, wait_until_blocked

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Site", "Paket", "Latitude", "Longitude"]
REGION_HEADER = [
    "ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Site", "Paket", "Tanggal Pasang",
    "Kelurahan/Desa", "Kecamatan", "Kota/Kabupaten",
]
PABUARAN_CIBINONG = "32.01.01.1012"


def import_rows(path, rows, *, user=None, mode=ImportBatch.Mode.CREATE, header=HEADER, site=None):
    """Validate and commit a workbook of `rows` as the worker does, and return the batch."""
    write_workbook(path, [header, *rows])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=user, mode=mode, site=site)
    batches.validate_batch(batch)
    batches.commit_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    return batch


@pytest.fixture
def existing(sample_catalogue, regions_loaded):
    """A customer that update-mode imports change. With the region list
    loaded, an import also splits the street line out of the address."""
    sites, packages = sample_catalogue
    return Customer.objects.create(
        number="PLG-0500", name="Wati", phone="+6281200000500", address="Jl. Lama 1",
        site=sites["CBN"], package=packages["H10"],
    )


def test_undo_removes_created_customers(admin_client, admin_user, sample_catalogue, tmp_path):
    batch = import_rows(tmp_path / "baru.xlsx", [
        ["PLG-0401", "Ani", "081200000401", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-0402", "Bayu", "081200000402", "", "Jl. B", "Citayam", "H20"],
    ], user=admin_user)

    page = admin_client.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()

    assert '<strong id="count-remove">2</strong>' in page
    assert '<strong id="count-kept">0</strong>' in page
    assert "<td>PLG-0401</td><td>Ani</td>" in page
    assert "<td>PLG-0402</td><td>Bayu</td>" in page
    assert Customer.objects.count() == 2

    response = admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE
    assert batch.undone_by == admin_user
    assert batch.undone_at is not None
    assert Customer.objects.count() == 0
    deletions = Customer.history.filter(history_type="-").order_by("number")
    assert [(record.number, record.history_user) for record in deletions] == [
        ("PLG-0401", admin_user), ("PLG-0402", admin_user),
    ]


def test_undo_restores_updated_fields(admin_client, admin_user, existing, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    batch = import_rows(tmp_path / "ubah.xlsx", [
        ["PLG-0500", "Wati", "081299990500", "", "Jl. Baru 2", "Citayam", "H10", "-6.5", "106.8"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    changes = sorted(ImportChange.objects.filter(batch=batch).values_list("field", "old_value", "new_value"))
    assert changes == [
        ("address", "Jl. Lama 1", "Jl. Baru 2"),
        ("latitude", None, "-6.500000"),
        ("longitude", None, "106.800000"),
        ("phone", "+6281200000500", "+6281299990500"),
        ("site_id", str(sites["CBN"].pk), str(sites["CTY"].pk)),
        ("street", None, "Jl. Baru 2"),
    ]

    admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    existing.refresh_from_db()
    assert existing.phone == "+6281200000500"
    assert existing.address == "Jl. Lama 1"
    assert existing.site.code == "CBN"
    assert existing.latitude is None
    assert existing.longitude is None
    assert existing.street == ""
    assert existing.history.first().history_type == "~"
    assert existing.history.first().history_user == admin_user


def test_undo_keeps_what_changed_since(admin_client, admin_user, existing, sample_catalogue, tmp_path):
    batch = import_rows(tmp_path / "campur.xlsx", [
        ["PLG-0500", "Wati", "081299990500", "", "Jl. Baru 2", "Cibinong", "H10"],
        ["PLG-0601", "Cici", "081200000601", "", "Jl. C", "Cibinong", "H10"],
        ["PLG-0602", "Dodi", "081200000602", "", "Jl. D", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    edited = Customer.objects.get(number="PLG-0601")
    edited.address = "Jl. C Nomor 9"
    edited.save()
    existing.refresh_from_db()
    existing.phone = "+6281277770500"
    existing.save()

    page = admin_client.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()

    assert '<strong id="count-remove">1</strong>' in page
    assert '<strong id="count-restore">2</strong>' in page
    assert '<strong id="count-kept">1</strong>' in page
    assert '<strong id="count-unrestorable">1</strong>' in page
    cannot = page[page.index('id="cannot-undo"'):page.index('id="will-remove"')]
    assert "PLG-0601" in cannot
    assert "Hapus pelanggan Cici" in cannot
    assert "0812-7777-0500" in cannot
    assert "PLG-0602" not in cannot

    admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    assert sorted(Customer.objects.values_list("number", flat=True)) == ["PLG-0500", "PLG-0601"]
    existing.refresh_from_db()
    assert existing.phone == "+6281277770500"
    assert existing.address == "Jl. Lama 1"
    assert Customer.objects.get(number="PLG-0601").address == "Jl. C Nomor 9"
    admin_client.cookies["django_language"] = "en"
    detail = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert "<h2>1 customer created by this import was kept by the undo</h2>" in detail


def test_undo_plan_reasons(admin_user, existing, tmp_path):
    batch = import_rows(tmp_path / "rencana.xlsx", [
        ["PLG-0500", "Wati", "081299990500", "", "Jl. Baru 2", "Cibinong", "H10"],
        ["PLG-0701", "Eka", "081200000701", "", "Jl. E", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    created = Customer.objects.get(number="PLG-0701")
    created.name = "Eka Putri"
    created.save()

    plan = undo.plan_undo(batch)

    assert plan.removable == []
    assert [(kept.number, kept.reason) for kept in plan.kept] == [("PLG-0701", undo.EDITED_SINCE)]
    assert [(item.change.field, item.restorable) for item in plan.restores] == [
        ("phone", True), ("address", True), ("street", True),
    ]
    assert undo.stored_value("latitude", "-6.500000") == Decimal("-6.500000")
    assert undo.stored_value("address", None) == ""
    assert undo.stored_value("installed_on", None) is None


def test_undo_rejected_unless_done(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "tinjau.xlsx", [HEADER, ["PLG-0801", "Fani", "081200000801", "", "Jl. F"]])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name)
    batches.validate_batch(batch)

    response = admin_client.post(reverse("customers:batch-undo", args=[batch.pk]), follow=True)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert "Hanya impor yang sudah selesai yang dapat dibatalkan." in response.content.decode()
    with pytest.raises(undo.UndoNotAllowed):
        undo.undo_batch(batch, None)


def test_undo_twice_rejected(admin_client, admin_user, sample_catalogue, tmp_path):
    batch = import_rows(tmp_path / "dua-kali.xlsx", [["PLG-0901", "Gita", "081200000901", "", "Jl. G"]], user=admin_user)
    # Followed, so the page shows the first undo's message and the second response has only its own.
    admin_client.post(reverse("customers:batch-undo", args=[batch.pk]), follow=True)
    Customer.objects.create(number="PLG-0901", name="Gita Baru")

    response = admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Impor ini sudah dibatalkan, jadi tidak ada yang diubah."
    ]
    assert Customer.objects.filter(number="PLG-0901").count() == 1
    detail = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert 'id="undone-note"' in detail
    assert 'id="undo-link"' not in detail


def test_detail_offers_undo_when_done(admin_client, admin_user, sample_catalogue, tmp_path):
    batch = import_rows(tmp_path / "tawar.xlsx", [["PLG-0951", "Hana", "081200000951", "", "Jl. H"]], user=admin_user)

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert f'href="{reverse("customers:batch-undo", args=[batch.pk])}"' in page
    assert "Batalkan impor" in page


def test_undo_page_back_link_is_not_cancel(admin_client, admin_user, sample_catalogue, tmp_path):
    batch = import_rows(tmp_path / "kembali.xlsx", [["PLG-0952", "Ika", "081200000952", "", "Jl. I"]], user=admin_user)

    page = admin_client.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()

    detail_url = reverse("customers:batch-detail", args=[batch.pk])
    assert f'<a class="button" id="undo-back" href="{detail_url}">Kembali ke batch tanpa membatalkan</a>' in page
    # "Batal" beside "Batalkan impor" reads as a second way to undo.
    assert ">Batal<" not in page


def test_undo_page_masks_nik(admin_client, admin_user, existing, tmp_path):
    Customer.objects.filter(pk=existing.pk).update(nik="3201011203900004")
    Customer.objects.create(number="PLG-0501", name="Yanto", phone="+6281200000501", nik="3201011203900007")
    batch = import_rows(tmp_path / "nik.xlsx", [
        ["PLG-0500", "Wati", "081200000500", "3201011203900005", "Jl. Lama 1", "Cibinong", "H10"],
        ["PLG-0501", "Yanto", "081200000501", "3201011203900008", "", "", ""],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    edited = Customer.objects.get(number="PLG-0501")
    edited.nik = "3201011203900009"
    edited.save()

    page = admin_client.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()

    restore = page[page.index('id="will-restore"'):]
    assert "<td>PLG-0500</td><td>NIK</td><td>************0005</td><td>************0004</td>" in restore
    cannot = page[page.index('id="cannot-undo"'):page.index('id="will-restore"')]
    assert "Kembalikan NIK ke ************0007" in cannot
    assert "sekarang ************0009, bukan ************0008" in cannot
    for last_digits in ("0004", "0005", "0007", "0008", "0009"):
        assert f"320101120390{last_digits}" not in page

    response = admin_client.post(reverse("customers:batch-undo", args=[batch.pk]), follow=True)

    assert response.status_code == 200
    assert "32010112039000" not in response.content.decode()
    assert Customer.objects.get(number="PLG-0500").nik == "3201011203900004"


def test_undo_page_names_values(admin_client, admin_user, existing, tmp_path):
    batch = import_rows(tmp_path / "nama.xlsx", [
        ["PLG-0500", "Wati", "081200000500", "", "Jl. Lama 1", "Citayam", "H20", "05/03/2024",
         "Pabuaran", "Cibinong", "Kab. Bogor"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE, header=REGION_HEADER)
    existing.refresh_from_db()
    existing.package = None
    existing.save()

    page = admin_client.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()

    restore = page[page.index('id="will-restore"'):]
    assert "<td>PLG-0500</td><td>Site</td><td>Citayam</td><td>Cibinong</td>" in restore
    assert "<td>PLG-0500</td><td>Tanggal Pasang</td><td>05/03/2024</td><td>—</td>" in restore
    assert f"<td>PLG-0500</td><td>Kelurahan/Desa</td><td>Pabuaran ({PABUARAN_CIBINONG})</td><td>—</td>" in restore
    cannot = page[page.index('id="cannot-undo"'):page.index('id="will-restore"')]
    assert "Kembalikan Paket ke Home 10 Mbps" in cannot
    assert "sekarang —, bukan Home 20 Mbps" in cannot


def test_empty_batch_not_undoable(admin_client, admin_user, existing, tmp_path):
    batch = import_rows(tmp_path / "sama.xlsx", [
        ["PLG-0500", "Wati", "081200000500", "", "Jl. Lama 1", "Cibinong", "H10"],
    ], user=admin_user)
    assert (batch.created_count, batch.updated_count) == (0, 0)

    detail = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert 'id="undo-link"' not in detail
    assert "Batalkan impor" not in detail
    assert undo.batch_can_undo(batch) is False

    with translation.override("id"):
        expected = translation.gettext("This import saved nothing, so there is nothing to undo.")
    for method in (admin_client.get, admin_client.post):
        response = method(reverse("customers:batch-undo", args=[batch.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("customers:batch-detail", args=[batch.pk])
        page = admin_client.get(response["Location"]).content.decode()
        assert f'<li class="message error">{expected}</li>' in page
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    with pytest.raises(undo.UndoNotAllowed):
        undo.undo_batch(batch, admin_user)


def test_undo_keeps_portal_account_holder(admin_client, admin_user, django_user_model, sample_catalogue, tmp_path):
    batch = import_rows(tmp_path / "portal.xlsx", [
        ["PLG-0801", "Ani", "081200000801", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-0802", "Bayu", "081200000802", "", "Jl. B", "Cibinong", "H10"],
    ], user=admin_user)
    account = django_user_model.objects.create_user(username="pelanggan-0801")
    # Activating a portal account sets the link with an UPDATE, without a history row.
    Customer.objects.filter(number="PLG-0801").update(user=account)

    page = admin_client.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()
    admin_client.post(reverse("customers:batch-undo", args=[batch.pk]))

    assert '<strong id="count-kept">1</strong>' in page
    assert "Pelanggan ini punya akun Portal Pelanggan, jadi tetap ada." in page
    assert list(Customer.objects.values_list("number", "user")) == [("PLG-0801", account.pk)]


# ---------------------------------------------------------------------------
# Undo order: an import, then a later update import of the same customers

ORDER_ROWS = [
    ["PLG-1001", "Ani", "081200001001", "", "Jl. A", "Cibinong", "H10"],
    ["PLG-1002", "Bayu", "081200001002", "", "Jl. B", "Cibinong", "H10"],
    ["PLG-1003", "Cici", "081200001003", "", "Jl. C", "Cibinong", "H10"],
    ["PLG-1004", "Dodi", "081200001004", "", "Jl. D", "Cibinong", "H10"],
]


@pytest.fixture
def created_then_updated(admin_user, sample_catalogue, tmp_path):
    """Import A creates PLG-1001 to PLG-1004, then update import B changes
    the phone of PLG-1001 and the address of PLG-1002."""
    first = import_rows(tmp_path / "a.xlsx", ORDER_ROWS, user=admin_user)
    later = import_rows(tmp_path / "b.xlsx", [
        ["PLG-1001", "Ani", "081299991001", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-1002", "Bayu", "081200001002", "", "Jl. B Baru", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    assert later.updated_count == 2
    return first, later


def undo_url(batch):
    return reverse("customers:batch-undo", args=[batch.pk])


def test_undo_later_then_first_removes_all(admin_client, created_then_updated):
    first, later = created_then_updated

    admin_client.post(undo_url(later))
    page = admin_client.get(undo_url(first)).content.decode()
    admin_client.post(undo_url(first))

    assert '<strong id="count-remove">4</strong>' in page
    assert '<strong id="count-kept">0</strong>' in page
    assert Customer.objects.count() == 0
    first.refresh_from_db()
    assert first.state == ImportBatch.State.UNDONE


def test_undo_first_blocked_by_later(admin_client, created_then_updated):
    first, later = created_then_updated
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(first)).content.decode()
    response = admin_client.post(undo_url(first), follow=True)

    assert 'id="later-imports"' in page
    assert f'href="{undo_url(later)}"' in page
    assert 'id="undo-confirm"' not in page
    assert 'id="will-remove"' not in page
    cannot = page[page.index('id="cannot-undo"'):]
    assert cannot.count(' later-import"') == 2
    assert "PLG-1001" in cannot
    assert "PLG-1002" in cannot
    assert "PLG-1003" not in cannot
    assert "Changed by the later import b.xlsx of " in cannot
    first.refresh_from_db()
    assert first.state == ImportBatch.State.DONE
    assert Customer.objects.count() == 4
    assert response.redirect_chain == [(undo_url(first), 302)]
    assert (
        '<li class="message error">Nothing was undone. Undo the later imports listed below first.</li>'
        in response.content.decode()
    )


def test_undo_first_again_after_later(admin_client, created_then_updated):
    first, later = created_then_updated
    admin_client.post(undo_url(first))

    admin_client.post(undo_url(later))
    admin_client.post(undo_url(first))

    assert Customer.objects.count() == 0
    first.refresh_from_db()
    assert first.state == ImportBatch.State.UNDONE


def test_undo_first_blocked_on_same_field(admin_user, existing, tmp_path):
    first = import_rows(tmp_path / "a.xlsx", [
        ["PLG-0500", "Wati", "081299990500", "", "Jl. Lama 1", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    later = import_rows(tmp_path / "b.xlsx", [
        ["PLG-0500", "Wati", "081288880500", "", "Jl. Lama 1", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    plan = undo.plan_undo(first)

    assert {item.change.field: item.reason for item in plan.restores} == {"phone": undo.LATER_IMPORT}
    assert [(entry.batch, entry.customer_count) for entry in plan.later_imports] == [(later, 1)]
    with pytest.raises(undo.UndoBlocked):
        undo.undo_batch(first, admin_user)
    existing.refresh_from_db()
    assert existing.phone == "+6281288880500"

    undo.undo_batch(later, admin_user)
    undo.undo_batch(first, admin_user)

    existing.refresh_from_db()
    assert existing.phone == "+6281200000500"


def test_undo_not_blocked_by_other_field(admin_user, existing, tmp_path):
    first = import_rows(tmp_path / "a.xlsx", [
        ["PLG-0500", "Wati", "081299990500", "", "Jl. Lama 1", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    import_rows(tmp_path / "b.xlsx", [
        ["PLG-0500", "Wati Lestari", "081299990500", "", "Jl. Lama 1", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    undo.undo_batch(first, admin_user)

    existing.refresh_from_db()
    assert existing.phone == "+6281200000500"
    assert existing.name == "Wati Lestari"


def test_undo_keeps_edit_after_later_undo(admin_user, created_then_updated):
    first, later = created_then_updated
    edited = Customer.objects.get(number="PLG-1002")
    edited.name = "Bayu Aji"
    edited.save()
    undo.undo_batch(later, admin_user)

    plan = undo.undo_batch(first, admin_user)

    assert [(kept.number, kept.reason) for kept in plan.kept] == [("PLG-1002", undo.EDITED_SINCE)]
    assert plan.kept[0].changed_at == edited.history.filter(name="Bayu Aji").earliest("history_date").history_date
    assert list(Customer.objects.values_list("number", "name", "address")) == [("PLG-1002", "Bayu Aji", "Jl. B")]


def test_blocking_import_unlinked_for_site_admin(client, admin_user, django_user_model, sample_catalogue, tmp_path):
    from django.contrib.auth.models import Permission

    sites, _packages = sample_catalogue
    site_admin = django_user_model.objects.create_user(username="admin-cbn", is_staff=True)
    sites["CBN"].staff.add(site_admin)
    site_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="customers"))
    first = import_rows(tmp_path / "a.xlsx", ORDER_ROWS, user=site_admin, site=sites["CBN"])
    later = import_rows(tmp_path / "b.xlsx", [
        ["PLG-1001", "Ani", "081299991001", "", "Jl. A", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    client.force_login(site_admin)

    page = client.get(undo_url(first)).content.decode()

    box = page[page.index('id="later-imports"'):page.index('id="cannot-undo"')]
    assert "b.xlsx" in box
    assert undo_url(later) not in box
    assert client.get(undo_url(later)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_undo_keeps_concurrent_edit(admin_user, sample_catalogue, tmp_path):
    """Staff change the status of PLG-0601 while an undo of the import that
    set it runs. The undo must judge the field after that save, keep it as
    changed since, and still restore PLG-0602's phone."""
    first = Customer.objects.create(number="PLG-0601", name="Ani", phone="+6281200000601")
    Customer.objects.create(number="PLG-0602", name="Bayu", phone="+6281200000602")
    batch = import_rows(
        tmp_path / "perbarui.xlsx",
        [["PLG-0601", "Isolir", ""], ["PLG-0602", "", "085712345678"]],
        user=admin_user,
        mode=ImportBatch.Mode.UPDATE,
        header=["ID Pelanggan", "Status", "No HP"],
    )
    edit_locked, edit_release = threading.Event(), threading.Event()
    outcome = {}

    def edit_status():
        try:
            with transaction.atomic():
                customer = Customer.objects.select_for_update().get(pk=first.pk)
                customer.status = Customer.Status.INACTIVE
                customer.save()
                edit_locked.set()
                edit_release.wait(WAIT_SECONDS)
        except Exception as error:  # reported to the test below
            outcome["edit"] = error
        finally:
            edit_locked.set()
            connection.close()

    def undo_import():
        try:
            outcome["undo"] = undo.undo_batch(batch, admin_user)
        except Exception as error:  # reported to the test below
            outcome["undo"] = error
        finally:
            connection.close()

    editor = threading.Thread(target=edit_status)
    editor.start()
    assert edit_locked.wait(WAIT_SECONDS)
    undoer = threading.Thread(target=undo_import)
    undoer.start()
    wait_until_blocked()
    edit_release.set()
    editor.join(WAIT_SECONDS)
    undoer.join(WAIT_SECONDS)

    assert "edit" not in outcome
    plan = outcome["undo"]
    assert [(item.number, item.change.field) for item in plan.unrestorable] == [("PLG-0601", "status")]
    assert [item.reason for item in plan.unrestorable] == [undo.CHANGED_SINCE]
    assert [(item.number, item.change.field) for item in plan.restorable] == [("PLG-0602", "phone")]
    stored = {number: (status, phone) for number, status, phone in Customer.objects.values_list("number", "status", "phone")}
    assert stored == {
        "PLG-0601": (Customer.Status.INACTIVE, "+6281200000601"),
        "PLG-0602": (Customer.Status.ACTIVE, "+6281200000602"),
    }
