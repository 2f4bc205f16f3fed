"""The change history on the customer's page: imports, admin edits, bulk
changes and the customer's own portal edits, each with who, when and
which fields changed from what to what."""

import re

import pytest
from django.urls import reverse

from customers.importing import batches
from customers.models import Customer, ImportBatch
from customers.services import CHANGE_REQUEST_REASON
from portal.forms import CUSTOMER_BACKEND
from portal.models import ChangeRequest
from portal.services import change_request_approve
from tests.importing_helpers import write_workbook
from tests.test_portal_fixtures import give_portal_password

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "NIK", "Alamat", "Site", "Paket"]
NIK_OLD = "3201011203900001"
NIK_NEW = "3201015507920003"
PABUARAN_CIBINONG = "32.01.01.1012"


@pytest.fixture
def catalogue(sample_catalogue, regions_loaded):
    return sample_catalogue


def imported(path, rows, *, user, mode=ImportBatch.Mode.CREATE):
    write_workbook(path, [HEADER, *rows])
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=user, mode=mode)
    batches.validate_batch(batch)
    batches.commit_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    return batch


@pytest.fixture
def budi(admin_user, catalogue, tmp_path):
    """Budi, created by an import of the admin."""
    imported(
        tmp_path / "pelanggan-awal.xlsx",
        [["PLG-0001", "Budi Santoso", "0812-3456-7890", NIK_OLD, "", "Cibinong", "H10"]],
        user=admin_user,
    )
    return Customer.objects.get(number="PLG-0001")


def history_rows(client, customer):
    """Return the history table's rows as (who, changes text) pairs, newest first."""
    page = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    section = page[page.index('<section class="card history">'):]
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>", section, flags=re.S)
    return [(re.sub(r"<[^>]+>", "", who).strip(), " ".join(changes.split())) for who, changes in rows]


def test_import_entry_names_batch(admin_client, budi):
    batch = ImportBatch.objects.get(file_name="pelanggan-awal.xlsx")

    rows = history_rows(admin_client, budi)

    assert rows == [
        ("admin", f'Dibuat oleh impor <a href="/customers/imports/{batch.pk}/">pelanggan-awal.xlsx</a>'),
    ]


def test_import_update_entry_lists_fields(admin_client, admin_user, budi, tmp_path):
    imported(
        tmp_path / "pelanggan-ubah.xlsx",
        [["PLG-0001", "Budi Santoso", "0857 1111 2222", "", "Jl. Mawar 5", "", "Home 30 Mbps"]],
        user=admin_user,
        mode=ImportBatch.Mode.UPDATE,
    )

    who, changes = history_rows(admin_client, budi)[0]

    assert who == "admin"
    assert "<li><strong>No. HP / WhatsApp</strong>: 0812-3456-7890 → 0857-1111-2222</li>" in changes
    assert "<li><strong>Alamat</strong>: — → Jl. Mawar 5</li>" in changes
    assert "<li><strong>Paket</strong>: Home 10 Mbps → Home 30 Mbps</li>" in changes
    assert "NIK" not in changes


def test_admin_edit_entry(admin_client, budi, catalogue):
    sites, packages = catalogue
    data = {
        "number": "PLG-0001",
        "name": "Budi Santoso",
        "phone": "0812-3456-7890",
        "email": "",
        "nik": NIK_NEW,
        "address": "Jl. Mawar 5, Pabuaran",
        "street": "Jl. Mawar 5 RT 01/RW 02",
        "village": PABUARAN_CIBINONG,
        "site": sites["BJG"].pk,
        "package": packages["H10"].pk,
        "status": "active",
        "installed_on": "",
        "location": "",
        "latitude": "",
        "longitude": "",
        "postal_code": "",
        "save": "",
    }
    response = admin_client.post(reverse("customers:edit", args=[budi.pk]), data)
    assert response.status_code == 302

    who, changes = history_rows(admin_client, budi)[0]

    assert who == "admin"
    assert f"<li><strong>NIK</strong>: ************0001 → ************0003</li>" in changes
    assert "<li><strong>Site</strong>: Cibinong → Bojonggede</li>" in changes
    assert "<li><strong>Jalan (dengan RT/RW)</strong>: — → Jl. Mawar 5 RT 01/RW 02</li>" in changes
    assert f"<li><strong>Kelurahan/Desa</strong>: — → Pabuaran ({PABUARAN_CIBINONG})</li>" in changes
    assert "Perubahan massal" not in changes


def test_bulk_entry(admin_client, budi, catalogue):
    _sites, packages = catalogue
    admin_client.post(
        reverse("customers:bulk"),
        {"bulk-customers": [budi.pk], "bulk-package": packages["B50"].pk, "confirm": ""},
    )

    who, changes = history_rows(admin_client, budi)[0]

    assert who == "admin"
    assert changes.startswith('<p class="muted">Perubahan massal dari daftar pelanggan</p>')
    assert "<li><strong>Paket</strong>: Home 10 Mbps → Bisnis 50 Mbps</li>" in changes


def test_portal_entry(client, admin_user, budi, regions_loaded):
    user = give_portal_password(budi, "kabel-fiber-mawar-91")
    client.force_login(user, backend=CUSTOMER_BACKEND)
    response = client.post(
        "/portal/profile/",
        {
            "name": "Budi Santoso",
            "email": "",
            "street": "Jl. Kenanga No. 9",
            "address": "Dekat masjid",
            "village": PABUARAN_CIBINONG,
            "location": "-6.4812, 106.8421",
            "latitude": "",
            "longitude": "",
        },
    )
    assert response.status_code == 302
    client.logout()
    client.force_login(admin_user)

    who, changes = history_rows(client, budi)[0]

    assert who == "pelanggan (portal)"
    assert "<li><strong>Alamat</strong>: — → Dekat masjid</li>" in changes
    assert "<li><strong>Latitude</strong>: — → -6.4812</li>" in changes
    assert f"<li><strong>Kelurahan/Desa</strong>: — → Pabuaran ({PABUARAN_CIBINONG})</li>" in changes


def test_change_request_entry_names_approver(admin_client, budi):
    change_request = ChangeRequest.objects.create(customer=budi, field="phone", new_value="+6285712345678")
    admin_client.post(reverse("portal:staff-request-approve", args=[change_request.pk]))
    budi.refresh_from_db()
    budi.status = Customer.Status.SUSPENDED
    budi.save()
    admin_client.cookies["django_language"] = "en"

    (_edit_who, edit_changes), (who, changes) = history_rows(admin_client, budi)[:2]

    assert "change request" not in edit_changes
    assert who == "admin"
    assert changes.startswith('<p class="muted">From the customer\'s change request, approved by admin</p>')
    assert "<li><strong>Phone</strong>: 0812-3456-7890 → 0857-1234-5678</li>" in changes


def test_change_request_approved_outside_request(budi, django_user_model):
    """The service names the approver itself, without the history middleware of a web request."""
    approver = django_user_model.objects.create_user(username="admin-dua", is_staff=True, is_superuser=True)
    change_request = ChangeRequest.objects.create(customer=budi, field="nik", new_value=NIK_NEW)

    change_request_approve(change_request, approver)

    latest = budi.history.latest("history_id")
    assert latest.history_change_reason == CHANGE_REQUEST_REASON
    assert latest.history_user == approver


def test_change_request_entry_without_approver(admin_client, budi, django_user_model):
    approver = django_user_model.objects.create_user(username="admin-lama", is_staff=True, is_superuser=True)
    change_request_approve(ChangeRequest.objects.create(customer=budi, field="nik", new_value=NIK_NEW), approver)
    approver.delete()
    admin_client.cookies["django_language"] = "en"

    who, changes = history_rows(admin_client, budi)[0]

    assert who == "system"
    assert changes.startswith('<p class="muted">From the customer\'s change request, approved by staff</p>')


def test_history_lists_every_kind_newest_first(admin_client, admin_user, budi, catalogue):
    _sites, packages = catalogue
    admin_client.post(
        reverse("customers:bulk"),
        {"bulk-customers": [budi.pk], "bulk-package": packages["H20"].pk, "confirm": ""},
    )
    user = give_portal_password(budi, "kabel-fiber-mawar-91")
    customer_client = admin_client.__class__()
    customer_client.force_login(user, backend=CUSTOMER_BACKEND)
    customer_client.post(
        "/portal/profile/",
        {"name": "Budi Santoso", "email": "budi@contoh.id", "street": "", "address": "", "village": "",
         "location": "", "latitude": "", "longitude": ""},
    )

    rows = history_rows(admin_client, budi)

    assert [who for who, _changes in rows] == ["pelanggan (portal)", "admin", "admin"]
    assert "Email" in rows[0][1]
    assert "Perubahan massal" in rows[1][1]
    assert rows[2][1].startswith("Dibuat oleh impor")


def test_history_never_shows_full_nik(admin_client, admin_user, budi, tmp_path):
    imported(
        tmp_path / "nik-baru.xlsx",
        [["PLG-0001", "Budi Santoso", "", NIK_NEW, "", "", ""]],
        user=admin_user,
        mode=ImportBatch.Mode.UPDATE,
    )

    page = admin_client.get(reverse("customers:edit", args=[budi.pk])).content.decode()

    assert "<li><strong>NIK</strong>: ************0001 → ************0003</li>" in page
    assert NIK_OLD not in page
    assert NIK_NEW not in page


def test_history_leaves_out_portal_account_link(admin_client, budi):
    give_portal_password(budi, "kabel-fiber-mawar-91")
    budi.refresh_from_db()
    budi.status = Customer.Status.SUSPENDED
    budi.save()

    _who, changes = history_rows(admin_client, budi)[0]

    assert changes == '<ul class="changes"> <li><strong>Status</strong>: Aktif → Isolir</li> </ul>'
