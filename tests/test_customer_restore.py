"""Restoring a deleted customer: the list of deleted customers, the restore
with the values and id of the deletion, and the cases it refuses."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, ImportBatch
from customers.services import customer_delete
from packages.models import ServicePackage
from tests.test_customer_delete import (  # noqa: F401 (fixtures)
    budi,
    catalogue,
    deleted_rows,
    english,
    import_rows,
    page_messages,
    portal_user,
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
