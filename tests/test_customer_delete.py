"""Deleting one customer: admins only, confirmed by a POST, recorded in the
change history, the portal account deactivated, and the undo pages of
imports and bulk changes still readable afterwards."""

import re
import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import NikReveal
from customers import services
from customers.bulk import customers_bulk_update
from customers.importing import batches
from customers.models import BulkChangeItem, Customer, ImportBatch, ImportChange
from portal.links import link_create
from portal.models import ChangeRequest, PortalLink
from tests.importing_helpers import write_workbook
from tests.locking_helpers import WAIT_SECONDS, wait_until_blocked

pytestmark = pytest.mark.django_db

CUSTOMER_PERMISSIONS = ("import_customers", "export_customers", "reveal_nik", "anonymise_customer")
IMPORT_HEADER = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Site", "Paket"]


@pytest.fixture
def catalogue(sample_catalogue):
    return sample_catalogue


@pytest.fixture
def budi(catalogue):
    sites, packages = catalogue
    return Customer.objects.create(
        number="PLG-0001",
        name="Budi Santoso",
        phone="+6281234567890",
        address="Jl. Mawar 5",
        site=sites["CBN"],
        package=packages["H10"],
    )


@pytest.fixture
def portal_user(django_user_model, budi):
    user = django_user_model.objects.create_user(
        username=f"customer-{budi.pk}", password="kabel-fiber-melati-37", email="budi@contoh.id", first_name="Budi"
    )
    budi.user = user
    budi.save(update_fields=["user"])
    return user


@pytest.fixture
def english(admin_client):
    admin_client.cookies["django_language"] = "en"
    return admin_client


@pytest.fixture
def site_admin(django_user_model, catalogue):
    """A site admin of Cibinong holding every customer permission."""
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", is_staff=True)
    sites["CBN"].staff.add(user)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="customers", codename__in=CUSTOMER_PERMISSIONS)
    )
    return user


def delete_url(customer, query=""):
    return reverse("customers:delete", args=[customer.pk]) + query


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


def cell(page, cell_id):
    """Return the text of the confirmation page's cell `cell_id`."""
    match = re.search(rf'<td id="{cell_id}">(.*?)</td>', page, flags=re.S)
    assert match is not None, cell_id
    return match.group(1)


def import_rows(path, rows, *, user, mode=ImportBatch.Mode.CREATE, site=None):
    """Validate and commit a workbook of `rows` as the worker does, and return the batch."""
    write_workbook(path, [IMPORT_HEADER, *rows])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=user, mode=mode, site=site)
    batches.validate_batch(batch)
    batches.commit_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    return batch


def deleted_rows(page):
    """Return the import undo page's rows of deleted customers as lists of cell texts."""
    rows = re.findall(r'<tr class="deleted">(.*?)</tr>', page, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(r"<td>(.*?)</td>", row, flags=re.S)] for row in rows]


def local_minute(moment):
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


# --- the link on the edit page -------------------------------------------------


def test_edit_page_links_delete_for_admin(english, budi, catalogue):
    sites, _packages = catalogue

    page = english.get(reverse("customers:edit", args=[budi.pk]), {"q": "budi", "site": sites["CBN"].pk}).content.decode()

    link = f'<a class="button danger" id="customer-delete" href="/customers/{budi.pk}/delete/?q=budi&amp;site={sites["CBN"].pk}">'
    assert f"{link}Delete customer</a>" in page


def test_edit_page_hides_delete_for_site_admin(client, site_admin, budi):
    client.force_login(site_admin)

    response = client.get(reverse("customers:edit", args=[budi.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="customer-delete"' not in page
    assert delete_url(budi) not in page


# --- the confirmation page -------------------------------------------------------


def test_confirmation_page_shows_customer(english, budi, portal_user):
    response = english.get(delete_url(budi, "?q=budi"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Delete customer PLG-0001 · Budi Santoso?</h1>" in page
    assert cell(page, "delete-number") == "PLG-0001"
    assert cell(page, "delete-name") == "Budi Santoso"
    assert cell(page, "delete-site") == "Cibinong"
    assert cell(page, "delete-package") == "Home 10 Mbps"
    assert cell(page, "delete-phone") == "0812-3456-7890"
    assert cell(page, "delete-portal") == "Linked. It will be deactivated, so the customer can no longer log in."
    assert "The customer's change history is kept, and the deletion is recorded in it with your name." in page
    assert '<form method="post">' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'<a class="button" href="/customers/{budi.pk}/?q=budi">Cancel</a>' in page


def test_confirmation_page_without_site_or_portal(english):
    customer = Customer.objects.create(number="PLG-0002", name="Sari")

    page = english.get(delete_url(customer)).content.decode()

    assert cell(page, "delete-site") == "No site"
    assert cell(page, "delete-package") == "No package"
    assert cell(page, "delete-phone") == "—"
    assert cell(page, "delete-portal") == "None"


def test_confirmation_page_in_indonesian_labels(admin_client, budi):
    page = admin_client.get(delete_url(budi)).content.decode()

    assert "<th scope=\"row\">ID Pelanggan</th>" in page
    assert "<th scope=\"row\">No. HP / WhatsApp</th>" in page
    assert "<th scope=\"row\">Paket</th>" in page


def test_get_does_not_delete(english, budi):
    response = english.get(delete_url(budi))

    assert response.status_code == 200
    assert Customer.objects.filter(pk=budi.pk).exists()
    assert not Customer.history.filter(id=budi.pk, history_type="-").exists()


# --- deleting ----------------------------------------------------------------


def test_post_deletes_with_history_row(english, admin_user, budi, catalogue):
    sites, _packages = catalogue
    query = f"?q=budi&site={sites['CBN'].pk}&sort=-name"

    response = english.post(delete_url(budi, query))

    assert response.status_code == 302
    assert response["Location"] == f"/customers/?q=budi&site={sites['CBN'].pk}&sort=-name"
    assert not Customer.objects.filter(pk=budi.pk).exists()
    deletions = list(Customer.history.filter(id=budi.pk, history_type="-"))
    assert len(deletions) == 1
    assert deletions[0].history_user == admin_user
    assert deletions[0].number == "PLG-0001"
    assert deletions[0].name == "Budi Santoso"


def test_post_shows_success_message(english, budi):
    response = english.post(delete_url(budi, "?incomplete=1"), follow=True)

    assert response.redirect_chain == [("/customers/?incomplete=1", 302)]
    assert page_messages(response) == [
        'Customer PLG-0001 (Budi Santoso) deleted. <a href="/customers/deleted/">Restore it under Deleted customers</a>'
    ]


def test_delete_deactivates_portal_account(english, budi, portal_user):
    english.post(delete_url(budi))
    portal_user.refresh_from_db()

    assert portal_user.is_active is False
    assert portal_user.has_usable_password() is False
    assert (portal_user.email, portal_user.first_name) == ("", "")


def test_delete_logs_out_portal_session(english, budi, portal_user):
    portal_client = Client()
    portal_client.force_login(portal_user)
    assert portal_client.get("/portal/").status_code == 200

    english.post(delete_url(budi))
    response = portal_client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/login/"
    login_page = portal_client.get(response["Location"]).content.decode()
    assert "Akun portal Anda sudah tidak aktif. Hubungi admin penyedia internet Anda." in login_page


def test_delete_handles_related_rows(english, admin_user, budi, portal_user, catalogue):
    _sites, packages = catalogue
    batch = ImportBatch.objects.create(file_name="a.xlsx", file_sha256="a" * 64, state=ImportBatch.State.DONE)
    ImportChange.objects.create(batch=batch, customer=budi, field="phone", old_value="+6281200000000", new_value=budi.phone)
    link_create(budi, created_by=admin_user)
    ChangeRequest.objects.create(customer=budi, field=ChangeRequest.Field.PHONE, new_value="+6281399990000")
    NikReveal.objects.create(user=admin_user, username="admin", customer=budi, customer_number=budi.number)
    bulk_change = customers_bulk_update(Customer.objects.filter(pk=budi.pk), {"package_id": packages["H20"].pk}, user=admin_user)

    response = english.post(delete_url(budi))

    reveal = NikReveal.objects.get()
    assert response.status_code == 302
    assert ImportChange.objects.filter(batch=batch).count() == 0
    assert PortalLink.objects.count() == 0
    assert ChangeRequest.objects.count() == 0
    assert (reveal.customer_id, reveal.customer_number) == (None, "PLG-0001")
    assert list(BulkChangeItem.objects.filter(bulk_change=bulk_change).values_list("customer_id", flat=True)) == [budi.pk]


# --- refusals and races ---------------------------------------------------------


def test_site_admin_refused_on_get_and_post(client, site_admin, budi):
    client.force_login(site_admin)

    get_response = client.get(delete_url(budi))
    post_response = client.post(delete_url(budi))

    assert get_response.status_code == 404
    assert post_response.status_code == 404
    assert Customer.objects.filter(pk=budi.pk).exists()


def test_customer_refused_on_post(client, budi, portal_user):
    client.force_login(portal_user)

    response = client.post(delete_url(budi))

    assert response.status_code == 404
    assert Customer.objects.filter(pk=budi.pk).exists()


def test_delete_twice_shows_info(english, budi):
    english.post(delete_url(budi), follow=True)

    response = english.post(delete_url(budi, "?q=budi"), follow=True)

    assert response.redirect_chain == [("/customers/?q=budi", 302)]
    assert page_messages(response) == ["Customer PLG-0001 was already deleted."]
    assert Customer.history.filter(id=budi.pk, history_type="-").count() == 1


def test_confirmation_page_after_delete_404(english, budi):
    english.post(delete_url(budi))

    response = english.get(delete_url(budi))

    assert response.status_code == 404


def test_delete_unknown_customer_shows_info(english):
    response = english.post(reverse("customers:delete", args=[999999]), follow=True)

    assert response.redirect_chain == [("/customers/", 302)]
    assert page_messages(response) == ["This customer does not exist, so nothing was deleted."]



def edit_data(customer, **changes):
    """Return the POST data of the customer's edit form with `changes`."""
    data = {
        "number": customer.number,
        "name": customer.name,
        "phone": customer.phone,
        "address": customer.address,
        "site": customer.site_id,
        "package": customer.package_id,
        "status": customer.status,
        "loaded_version": customer.updated_at.isoformat(),
        "save": "",
    }
    data.update(changes)
    return data


def test_edit_after_delete_shows_info(english, admin_user, budi):
    services.customer_delete(budi.pk, by=admin_user)

    response = english.post(reverse("customers:edit", args=[budi.pk]), edit_data(budi, name="Budi S"), follow=True)

    assert response.redirect_chain == [("/customers/", 302)]
    assert page_messages(response) == ["Customer PLG-0001 was deleted, so your changes were not saved."]
    assert not Customer.objects.filter(pk=budi.pk).exists()


def test_edit_after_delete_hidden_from_other_site(client, site_admin, budi, catalogue):
    sites, _packages = catalogue
    Customer.objects.filter(pk=budi.pk).update(site=sites["BJG"])
    budi.refresh_from_db()
    services.customer_delete(budi.pk, by=None)
    client.force_login(site_admin)

    response = client.post(reverse("customers:edit", args=[budi.pk]), edit_data(budi, name="Budi S"))

    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_edit_during_delete_not_recreated(english, admin_user, budi):
    """An admin saves PLG-0001's edit form while another admin's delete of
    it is still running. The save must wait for the delete and report it,
    not insert the customer again under its old id."""
    delete_done, delete_release = threading.Event(), threading.Event()
    outcome = {}

    def delete_budi():
        try:
            with transaction.atomic():
                outcome["delete"] = services.customer_delete(budi.pk, by=admin_user)
                delete_done.set()
                delete_release.wait(WAIT_SECONDS)
        except Exception as error:  # reported to the test below
            outcome["delete"] = error
        finally:
            delete_done.set()
            connection.close()

    def post_edit():
        try:
            url = reverse("customers:edit", args=[budi.pk])
            outcome["edit"] = english.post(url, edit_data(budi, name="Budi S"), follow=True)
        finally:
            connection.close()

    first = threading.Thread(target=delete_budi)
    first.start()
    assert delete_done.wait(WAIT_SECONDS)
    second = threading.Thread(target=post_edit)
    second.start()
    wait_until_blocked()
    delete_release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)

    assert isinstance(outcome["delete"], Customer)
    response = outcome["edit"]
    assert response.redirect_chain == [("/customers/", 302)]
    assert page_messages(response) == ["Customer PLG-0001 was deleted, so your changes were not saved."]
    assert not Customer.objects.filter(pk=budi.pk).exists()
    assert list(Customer.history.filter(id=budi.pk).order_by("history_date").values_list("history_type", flat=True)) == [
        "+",
        "-",
    ]


# --- the undo pages after a delete --------------------------------------------------


def test_import_undo_page_lists_deleted(english, admin_user, catalogue, tmp_path):
    batch = import_rows(tmp_path / "baru.xlsx", [
        ["PLG-0401", "Ani", "081200000401", "", "Jl. A", "Cibinong", "H10"],
        ["PLG-0402", "Bayu", "081200000402", "", "Jl. B", "Citayam", "H20"],
    ], user=admin_user)
    ani = Customer.objects.get(number="PLG-0401")
    english.post(delete_url(ani))
    deleted_at = Customer.history.get(id=ani.pk, history_type="-").history_date

    response = english.get(reverse("customers:batch-undo", args=[batch.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<strong id="count-remove">1</strong>' in page
    assert "<td>PLG-0402</td><td>Bayu</td>" in page
    assert deleted_rows(page) == [[
        "PLG-0401", "Remove customer Ani", f"Deleted after the import, on {local_minute(deleted_at)} by admin.",
    ]]

    english.post(reverse("customers:batch-undo", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE
    assert Customer.objects.count() == 0


def test_import_undo_after_updated_customer_deleted(english, admin_user, catalogue, tmp_path):
    sites, packages = catalogue
    wati = Customer.objects.create(
        number="PLG-0500", name="Wati", phone="+6281200000500", address="Jl. Lama 1", site=sites["CBN"], package=packages["H10"]
    )
    batch = import_rows(tmp_path / "ubah.xlsx", [
        ["PLG-0500", "Wati", "081299990500", "", "Jl. Lama 1", "Cibinong", "H10"],
    ], user=admin_user, mode=ImportBatch.Mode.UPDATE)
    assert ImportChange.objects.filter(batch=batch).count() == 1
    english.post(delete_url(wati))

    response = english.get(reverse("customers:batch-undo", args=[batch.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<strong id="count-restore">0</strong>' in page
    assert '<strong id="count-unrestorable">0</strong>' in page
    assert deleted_rows(page) == []


def test_import_undo_hides_other_site_deleted(english, site_admin, catalogue, tmp_path):
    sites, _packages = catalogue
    batch = import_rows(tmp_path / "cbn.xlsx", [
        ["PLG-0401", "Ani", "081200000401", "", "Jl. A", "", "H10"],
        ["PLG-0402", "Bayu", "081200000402", "", "Jl. B", "", "H20"],
    ], user=site_admin, site=sites["CBN"])
    Customer.objects.filter(number="PLG-0402").update(site=sites["CTY"])
    for customer in Customer.objects.all():
        english.post(delete_url(customer))
    site_admin_client = Client()
    site_admin_client.force_login(site_admin)
    site_admin_client.cookies["django_language"] = "en"

    response = site_admin_client.get(reverse("customers:batch-undo", args=[batch.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert [row[0] for row in deleted_rows(page)] == ["PLG-0401"]
    assert "Bayu" not in page


def test_bulk_undo_page_lists_deleted(english, admin_user, budi, catalogue):
    sites, packages = catalogue
    sari = Customer.objects.create(number="PLG-0002", name="Sari", address="Jl. B", site=sites["CBN"])
    bulk_change = customers_bulk_update(Customer.objects.all(), {"package_id": packages["H30"].pk}, user=admin_user)
    english.post(delete_url(budi))

    response = english.get(reverse("customers:bulk-undo", args=[bulk_change.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<strong id="count-restore">1</strong>' in page
    assert "<td>PLG-0001</td>" in page
    assert "The customer was deleted after the bulk change." in page

    english.post(reverse("customers:bulk-undo", args=[bulk_change.pk]))

    sari.refresh_from_db()
    assert sari.package is None
