"""Restoring a deleted customer: the list of deleted customers, the restore
with the values and id of the deletion, and the cases it refuses."""

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from customers.importing import batches
from customers.models import Customer, ImportBatch
from customers.services import customer_delete
from packages.models import ServicePackage
from tests.importing_helpers import write_workbook
from tests.test_customer_delete import (  # noqa: F401 (fixtures)
    IMPORT_HEADER,
    budi,
    catalogue,
    deleted_rows,
    english,
    import_rows,
    page_messages,
    portal_user,
    site_admin,
)

pytestmark = pytest.mark.django_db

DELETED_URL = "/customers/deleted/"


def deletion(customer):
    return Customer.history.get(id=customer.pk, history_type="-")


def restore_url(record):
    return reverse("customers:restore", args=[record.history_id])


def test_deleted_list_names_deletions(english, admin_user, budi, catalogue):
    sites, _packages = catalogue
    Customer.objects.create(number="PLG-0002", name="Siti Aminah", site=sites["CBN"])
    customer_delete(budi.pk, by=admin_user)

    page = " ".join(english.get(DELETED_URL).content.decode().split())

    record = deletion(budi)
    assert (
        f'<tr id="deleted-{record.history_id}"> <td>PLG-0001</td> <td>Budi Santoso</td> <td>0812-3456-7890</td> '
        f"<td>{record.history_date.astimezone().strftime('%d/%m/%Y %H:%M')}</td> <td>admin</td>"
    ) in page
    assert f'action="{restore_url(record)}"' in page
    # A customer that is not deleted is not listed.
    assert "PLG-0002" not in page


def test_restore_brings_back_values_and_history(english, admin_user, budi, portal_user):
    created_at = Customer.objects.get(pk=budi.pk).created_at
    budi.status = Customer.Status.SUSPENDED
    budi.save()
    customer_delete(budi.pk, by=admin_user)
    record = deletion(budi)

    response = english.post(restore_url(record), follow=True)

    assert response.redirect_chain == [(f"/customers/{budi.pk}/", 302)]
    assert page_messages(response) == ["Customer PLG-0001 (Budi Santoso) restored."]
    restored = Customer.objects.get(pk=budi.pk)
    assert (restored.number, restored.name, restored.phone, restored.address) == (
        "PLG-0001", "Budi Santoso", "+6281234567890", "Jl. Mawar 5"
    )
    assert (restored.site, restored.package, restored.status) == (budi.site, budi.package, Customer.Status.SUSPENDED)
    assert restored.created_at == created_at
    # The deactivated portal account stays apart; a new invitation makes another.
    assert restored.user is None
    portal_user.refresh_from_db()
    assert not portal_user.is_active
    types = list(restored.history.order_by("history_date").values_list("history_type", "history_change_reason"))
    # Created, linked to the portal user, suspended, deleted, restored.
    assert types == [("+", None), ("~", None), ("~", None), ("-", None), ("+", "restored")]
    assert restored.history.first().history_user == admin_user
    page = " ".join(english.get(f"/customers/{budi.pk}/").content.decode().split())
    cells = re.findall(r"<tr> <td>[^<]*</td> <td>admin</td> <td> (Restored after deletion|Deleted|Created) ", page)
    assert cells == ["Restored after deletion", "Deleted"]
    assert "Budi Santoso" not in english.get(DELETED_URL).content.decode()


def test_restore_refused_when_number_taken(english, admin_user, budi, catalogue):
    customer_delete(budi.pk, by=admin_user)
    record = deletion(budi)
    newcomer = Customer.objects.create(number="plg-0001", name="Rina Wati")

    response = english.post(restore_url(record), follow=True)

    assert response.redirect_chain == [(DELETED_URL, 302)]
    assert page_messages(response) == [
        "This customer cannot be restored, because customer ID plg-0001 now belongs to plg-0001 (Rina Wati). "
        "Change that customer's ID first if the deleted one should have it back."
    ]
    assert list(Customer.objects.values_list("pk", flat=True)) == [newcomer.pk]


def test_restore_twice_restores_once(english, admin_user, budi):
    customer_delete(budi.pk, by=admin_user)
    record = deletion(budi)
    english.post(restore_url(record), follow=True)

    response = english.post(restore_url(record), follow=True)

    assert page_messages(response) == ["This customer is no longer deleted, so nothing was restored."]
    assert Customer.objects.filter(pk=budi.pk).count() == 1
    reasons = Customer.history.filter(id=budi.pk, history_type="+").order_by("history_date")
    assert list(reasons.values_list("history_change_reason", flat=True)) == [None, "restored"]


def test_restore_empties_deleted_package(english, admin_user, budi):
    package = budi.package
    customer_delete(budi.pk, by=admin_user)
    ServicePackage.objects.filter(pk=package.pk).delete()
    record = deletion(budi)

    response = english.post(restore_url(record), follow=True)

    assert page_messages(response) == [
        "Customer PLG-0001 (Budi Santoso) restored.",
        "Deleted since, so left empty: package. Choose them again on this page.",
    ]
    restored = Customer.objects.get(pk=budi.pk)
    assert restored.package is None
    assert restored.site == budi.site


def test_only_latest_deletion_listed(english, admin_user, budi):
    customer_delete(budi.pk, by=admin_user)
    english.post(restore_url(deletion(budi)))
    customer_delete(budi.pk, by=admin_user)

    page = english.get(DELETED_URL).content.decode()

    latest = Customer.history.filter(id=budi.pk, history_type="-").latest("history_date")
    assert page.count("<td>PLG-0001</td>") == 1
    assert f'id="deleted-{latest.history_id}"' in page


def test_site_admin_refused(admin_user, budi, catalogue, django_user_model):
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", is_staff=True)
    sites["CBN"].staff.add(user)
    customer_delete(budi.pk, by=admin_user)
    client = Client()
    client.force_login(user)

    listing = client.get(DELETED_URL)
    restoring = client.post(restore_url(deletion(budi)))

    assert (listing.status_code, restoring.status_code) == (404, 404)
    assert not Customer.objects.exists()


def test_get_does_not_restore(english, admin_user, budi):
    customer_delete(budi.pk, by=admin_user)

    response = english.get(restore_url(deletion(budi)))

    assert response.status_code == 405
    assert not Customer.objects.exists()


def test_import_undo_after_restore(english, admin_user, catalogue, tmp_path):
    batch = import_rows(tmp_path / "baru.xlsx", [
        ["PLG-0401", "Ani", "081200000401", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-0402", "Bayu", "081200000402", "", "Jl. B", "Citayam", "H20"],
    ], user=admin_user)
    ani = Customer.objects.get(number="PLG-0401")
    customer_delete(ani.pk, by=admin_user)
    english.post(restore_url(deletion(ani)))
    undo_url = reverse("customers:batch-undo", args=[batch.pk])

    page = english.get(undo_url).content.decode()

    # The restored customer is the import's customer again, not a deleted one.
    assert '<strong id="count-remove">2</strong>' in page
    assert "<td>PLG-0401</td><td>Ani</td>" in page
    assert deleted_rows(page) == []

    english.post(undo_url)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE
    assert not Customer.objects.exists()


def test_import_undo_after_second_deletion(english, admin_user, catalogue, tmp_path):
    batch = import_rows(tmp_path / "baru.xlsx", [
        ["PLG-0401", "Ani", "081200000401", "", "Jl. A", "Cibinong", "H10"],
    ], user=admin_user)
    ani = Customer.objects.get(number="PLG-0401")
    customer_delete(ani.pk, by=admin_user)
    english.post(restore_url(deletion(ani)))
    customer_delete(ani.pk, by=admin_user)
    latest = Customer.history.filter(id=ani.pk, history_type="-").latest("history_date")

    page = english.get(reverse("customers:batch-undo", args=[batch.pk])).content.decode()

    assert deleted_rows(page) == [[
        "PLG-0401",
        "Remove customer Ani",
        f"Deleted after the import, on {timezone.localtime(latest.history_date):%d/%m/%Y %H:%M} by admin.",
    ]]


def test_import_undo_removals_not_listed(english, admin_user, catalogue, tmp_path):
    batch = import_rows(tmp_path / "baru.xlsx", [["PLG-0701", "Gita", "081200000701", "", "Jl. G", "", ""]], user=admin_user)
    english.post(reverse("customers:batch-undo", args=[batch.pk]), follow=True)
    assert not Customer.objects.filter(number="PLG-0701").exists()

    page = english.get(DELETED_URL).content.decode()

    assert "PLG-0701" not in page
    assert Customer.history.get(number="PLG-0701", history_type="-").history_change_reason == "import undo"


def test_restore_keeps_first_date_in_history(english, admin_user, budi):
    created_at = Customer.objects.get(pk=budi.pk).created_at
    customer_delete(budi.pk, by=admin_user)

    english.post(restore_url(deletion(budi)))

    restored = Customer.objects.get(pk=budi.pk)
    assert restored.history.first().created_at == created_at


# --- uploads with the ID of a deleted customer -------------------------------------


def validate_rows(path, rows, *, user, mode=ImportBatch.Mode.CREATE):
    """Validate a workbook of `rows` as the worker does, and return the batch in review."""
    write_workbook(path, rows)
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=user, mode=mode)
    batches.validate_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    return batch


def deleted_notes(batch):
    """Return (row, column, value, code) of the batch's notes on deleted customers' IDs."""
    notes = batch.problems.filter(code__startswith="deleted_number").order_by("row")
    return [(note.row, note.column, note.value, note.code) for note in notes]


def deletion_day(customer):
    return timezone.localtime(deletion(customer).history_date).strftime("%d/%m/%Y")


def test_deleted_number_noted_in_create(admin_user, budi, tmp_path):
    customer_delete(budi.pk, by=admin_user)

    batch = validate_rows(tmp_path / "baru.xlsx", [
        IMPORT_HEADER,
        ["plg-0001", "Budi Santoso", "081234567890", "", "Jl. Mawar 5", "Cibinong", "H10"],
        ["PLG-0002", "Siti Aminah", "081200000002", "", "Jl. Kenanga 2", "Cibinong", "H10"],
    ], user=admin_user)

    assert deleted_notes(batch) == [(2, "ID Pelanggan", "plg-0001", "deleted_number")]
    with translation.override("en"):
        assert batch.problems.get(code="deleted_number").message == (
            f"Row 2, column ID Pelanggan: ID “plg-0001” belonged to a customer deleted on {deletion_day(budi)}. "
            "This row is saved as a new customer. To keep that customer's data and history, restore it "
            "under Deleted customers first, then upload the file again."
        )
    assert batch.summary["counts"]["new"] == 2
    assert batch.summary["counts"]["deleted_numbers"] == 1


def test_deleted_number_noted_in_update(admin_user, budi, tmp_path):
    customer_delete(budi.pk, by=admin_user)

    batch = validate_rows(tmp_path / "status.xlsx", [
        ["ID Pelanggan", "Nama", "Status"],
        ["PLG-0001", "Budi Santoso", "Isolir"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert deleted_notes(batch) == [(2, "ID Pelanggan", "PLG-0001", "deleted_number")]
    assert batch.summary["counts"]["new"] == 1
    assert batch.summary["counts"]["update"] == 0
    assert batch.summary["counts"]["deleted_numbers"] == 1


def test_deleted_number_dated_by_latest_deletion(admin_user, budi, tmp_path):
    customer_delete(budi.pk, by=admin_user)
    # Budi's history is moved 40 days back, so the two deletions fall on different days.
    Customer.history.filter(id=budi.pk).update(history_date=F("history_date") - timedelta(days=40))
    newcomer = Customer.objects.create(number="PLG-0001", name="Rina Wati")
    customer_delete(newcomer.pk, by=admin_user)

    batch = validate_rows(tmp_path / "baru.xlsx", [IMPORT_HEADER, ["PLG-0001", "Rina Wati", "", "", "", "", ""]],
                          user=admin_user)

    assert deletion_day(budi) != deletion_day(newcomer)
    assert batch.problems.get(code="deleted_number").params == {"date": deletion_day(newcomer), "customer": "PLG-0001"}


def test_deleted_number_outside_ascii_noted(admin_user, catalogue, tmp_path):
    customer = Customer.objects.create(number="plg-é1", name="Émile")
    customer_delete(customer.pk, by=admin_user)

    batch = validate_rows(tmp_path / "baru.xlsx", [IMPORT_HEADER, ["PLG-É1", "Émile", "", "", "", "", ""]], user=admin_user)

    assert deleted_notes(batch) == [(2, "ID Pelanggan", "PLG-É1", "deleted_number")]


def test_undo_removed_number_not_noted(english, admin_user, catalogue, tmp_path):
    batch = import_rows(tmp_path / "baru.xlsx", [["PLG-0701", "Gita", "081200000701", "", "Jl. G", "", ""]], user=admin_user)
    english.post(reverse("customers:batch-undo", args=[batch.pk]), follow=True)
    assert Customer.history.filter(number="PLG-0701", history_type="-").exists()

    again = validate_rows(tmp_path / "lagi.xlsx", [IMPORT_HEADER, ["PLG-0701", "Gita", "081200000701", "", "Jl. G", "", ""]],
                          user=admin_user)

    assert deleted_notes(again) == []
    assert again.summary["counts"]["new"] == 1
    assert again.summary["counts"]["deleted_numbers"] == 0


def test_restored_number_matched_without_note(english, admin_user, budi, tmp_path):
    customer_delete(budi.pk, by=admin_user)
    english.post(restore_url(deletion(budi)))

    batch = validate_rows(tmp_path / "status.xlsx", [
        ["ID Pelanggan", "Status"],
        ["plg-0001", "Isolir"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)

    assert deleted_notes(batch) == []
    assert batch.summary["counts"]["update"] == 1
    assert batch.summary["counts"]["new"] == 0
    assert batch.summary["counts"]["deleted_numbers"] == 0


def test_site_admin_noted_for_own_sites(admin_user, site_admin, budi, catalogue, tmp_path):
    sites, _packages = catalogue
    other = Customer.objects.create(number="PLG-0002", name="Siti Aminah", site=sites["BJG"])
    customer_delete(budi.pk, by=admin_user)
    customer_delete(other.pk, by=admin_user)

    batch = validate_rows(tmp_path / "baru.xlsx", [
        IMPORT_HEADER,
        ["PLG-0001", "Budi Santoso", "", "", "", "Cibinong", ""],
        ["PLG-0002", "Siti Aminah", "", "", "", "Cibinong", ""],
    ], user=site_admin)

    # A customer deleted from another site stays unknown to the site admin.
    assert deleted_notes(batch) == [(2, "ID Pelanggan", "PLG-0001", "deleted_number_ask_admin")]
    with translation.override("en"):
        assert batch.problems.get(code="deleted_number_ask_admin").message == (
            f"Row 2, column ID Pelanggan: ID “PLG-0001” belonged to a customer deleted on {deletion_day(budi)}. "
            "This row is saved as a new customer. To keep that customer's data and history, ask an admin "
            "to restore it under Deleted customers first, then upload the file again."
        )
    assert batch.summary["counts"]["deleted_numbers"] == 1


def test_review_page_counts_deleted_numbers(english, admin_user, budi, catalogue, tmp_path):
    sites, _packages = catalogue
    other = Customer.objects.create(number="PLG-0002", name="Siti Aminah", site=sites["CBN"])
    customer_delete(budi.pk, by=admin_user)
    customer_delete(other.pk, by=admin_user)

    batch = validate_rows(tmp_path / "baru.xlsx", [
        IMPORT_HEADER,
        ["PLG-0001", "Budi Santoso", "", "", "", "", ""],
        ["PLG-0002", "Siti Aminah", "", "", "", "", ""],
        ["PLG-0003", "Rina Wati", "", "", "", "", ""],
    ], user=admin_user)

    page = " ".join(english.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode().split())
    assert (
        '<p class="warning-box" id="deleted-numbers">2 new rows have the ID Pelanggan of deleted customers, '
        "so they are saved as new customers without those customers' history. Check the notes before saving."
    ) in page



def test_history_names_emptied_fields(english, admin_user, budi):
    package = budi.package
    customer_delete(budi.pk, by=admin_user)
    ServicePackage.objects.filter(pk=package.pk).delete()
    english.post(restore_url(deletion(budi)))

    page = english.get(reverse("customers:edit", args=[budi.pk])).content.decode()

    assert (
        'Restored after deletion<p class="muted restore-emptied">Deleted since, so left empty: package</p>'
    ) in page


def test_history_restore_without_emptied(english, admin_user, budi):
    customer_delete(budi.pk, by=admin_user)
    english.post(restore_url(deletion(budi)))

    page = english.get(reverse("customers:edit", args=[budi.pk])).content.decode()

    assert "Restored after deletion" in page
    assert "restore-emptied" not in page
