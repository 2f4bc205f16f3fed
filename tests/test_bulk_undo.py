"""Undoing a bulk change of the customer list: old packages, sites and
statuses restored, what someone changed since kept and listed with the
reason."""

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.bulk import BULK_CHANGE_REASON, BULK_UNDO_REASON, customers_bulk_update
from customers.bulk_undo import BulkUndoBlocked, plan_bulk_undo, undo_bulk_change
from customers.models import BulkChange, BulkChangeItem, Customer

pytestmark = pytest.mark.django_db

BULK_URL = "/customers/bulk/"
HISTORY_URL = "/customers/bulk/changes/"


@pytest.fixture
def catalogue(sample_catalogue):
    return sample_catalogue


@pytest.fixture
def customers(catalogue):
    """Five customers: PLG-0001 to PLG-0003 in Cibinong, PLG-0004 in
    Bojonggede, PLG-0005 without a site. PLG-0001 has H20, PLG-0003 has
    H10, the others no package."""
    sites, packages = catalogue
    rows = [
        ("PLG-0001", sites["CBN"], packages["H20"]),
        ("PLG-0002", sites["CBN"], None),
        ("PLG-0003", sites["CBN"], packages["H10"]),
        ("PLG-0004", sites["BJG"], None),
        ("PLG-0005", None, None),
    ]
    return {
        number: Customer.objects.create(number=number, name=f"Pelanggan {number}", address="Jl. A", site=site, package=package)
        for number, site, package in rows
    }


@pytest.fixture
def site_admin(django_user_model, catalogue):
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", password="rahasia-cbn-123", is_staff=True)
    sites["CBN"].staff.add(user)
    return user


def undo_url(bulk_change):
    return reverse("customers:bulk-undo", args=[bulk_change.pk])


def packages_by_number():
    return dict(Customer.objects.values_list("number", "package__code"))


def sites_by_number():
    return dict(Customer.objects.values_list("number", "site__code"))


def cibinong_customers():
    return Customer.objects.filter(number__in=["PLG-0001", "PLG-0002", "PLG-0003"])


def statuses_by_number():
    return dict(Customer.objects.values_list("number", "status"))


def set_package(customers, package, user):
    return customers_bulk_update(customers, {"package_id": package.pk}, user=user)


def set_status(customers, status, user):
    return customers_bulk_update(customers, {"status": status}, user=user)


def summary(page):
    """Return the text of the undo page's summary of the bulk change."""
    text = re.search(r'<p id="bulk-change-summary">(.*?)</p>', page, flags=re.S).group(1)
    return re.sub(r"\s+", " ", text).strip()


def restore_rows(page):
    """Return the "will get their old value back" table's rows as lists of cell texts."""
    section = page[page.index('id="will-restore"'):]
    section = section[: section.index("</table>")]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", section)]


def kept_rows(page):
    """Return the "cannot be undone" table's rows as lists of cell texts."""
    section = page[page.index('id="cannot-undo"'):]
    section = section[: section.index("</table>")]
    rows = re.findall(r"<tr class=\"kept[^\"]*\">(.*?)</tr>", section, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)] for row in rows]


def local_minute(moment):
    """Return `moment` as the pages show it: local time, dd/mm/yyyy HH:MM."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def undo_history(customer):
    return list(Customer.history.filter(id=customer.pk, history_change_reason=BULK_UNDO_REASON))


# ---------------------------------------------------------------------------
# Recording


def test_bulk_records_old_values(admin_user, customers, catalogue):
    sites, packages = catalogue

    bulk_change = customers_bulk_update(
        Customer.objects.all(), {"package_id": packages["H20"].pk, "site_id": sites["CTY"].pk}, user=admin_user
    )

    assert bulk_change.customer_count == 5
    assert (bulk_change.package, bulk_change.site, bulk_change.created_by) == (packages["H20"], sites["CTY"], admin_user)
    items = {
        item.customer.number: (item.old_package_id, item.old_site_id)
        for item in BulkChangeItem.objects.filter(bulk_change=bulk_change).select_related("customer")
    }
    assert items == {
        "PLG-0001": (packages["H20"].pk, sites["CBN"].pk),
        "PLG-0002": (None, sites["CBN"].pk),
        "PLG-0003": (packages["H10"].pk, sites["CBN"].pk),
        "PLG-0004": (None, sites["BJG"].pk),
        "PLG-0005": (None, None),
    }


def test_bulk_records_only_changed_customers(admin_user, customers, catalogue):
    _sites, packages = catalogue

    bulk_change = set_package(cibinong_customers(), packages["H20"], admin_user)

    assert bulk_change.customer_count == 2
    assert sorted(BulkChangeItem.objects.filter(bulk_change=bulk_change).values_list("customer__number", flat=True)) == [
        "PLG-0002", "PLG-0003",
    ]


def test_bulk_without_change_records_nothing(admin_user, customers, catalogue):
    _sites, packages = catalogue

    assert set_package(Customer.objects.filter(number="PLG-0001"), packages["H20"], admin_user) is None

    assert BulkChange.objects.count() == 0
    assert BulkChangeItem.objects.count() == 0


def test_bulk_message_links_undo(admin_client, customers, catalogue):
    _sites, packages = catalogue
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(
        BULK_URL,
        {"bulk-customers": [customers["PLG-0002"].pk], "bulk-package": packages["H30"].pk, "confirm": ""},
        follow=True,
    )

    bulk_change = BulkChange.objects.get()
    assert [str(message) for message in response.context["messages"]] == [
        f'1 customer changed: Package: Home 30 Mbps. <a href="/customers/bulk/changes/{bulk_change.pk}/undo/">'
        "Undo this bulk change</a>"
    ]


def test_bulk_message_links_undo_indonesian(admin_client, customers, catalogue):
    _sites, packages = catalogue

    response = admin_client.post(
        BULK_URL,
        {"bulk-customers": [customers["PLG-0002"].pk], "bulk-package": packages["H30"].pk, "confirm": ""},
        follow=True,
    )

    bulk_change = BulkChange.objects.get()
    assert [str(message) for message in response.context["messages"]] == [
        f'1 pelanggan diubah: Paket: Home 30 Mbps. <a href="/customers/bulk/changes/{bulk_change.pk}/undo/">'
        "Batalkan perubahan massal ini</a>"
    ]


# ---------------------------------------------------------------------------
# The history list


def test_customer_list_links_history(admin_client, customers):
    page = admin_client.get("/customers/").content.decode()

    assert f'<a id="bulk-history" href="{HISTORY_URL}">Riwayat perubahan massal</a>' in page


def test_history_lists_bulk_changes(admin_client, admin_user, customers, catalogue):
    sites, packages = catalogue
    first = set_package(cibinong_customers(), packages["H30"], admin_user)
    second = customers_bulk_update(
        Customer.objects.filter(number="PLG-0005"), {"package_id": packages["B50"].pk, "site_id": sites["CTY"].pk}, user=admin_user
    )
    undo_bulk_change(first, admin_user)
    first.refresh_from_db()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(HISTORY_URL).content.decode()

    rows = re.findall(r'<tr id="bulk-change-(\d+)">(.*?)</tr>', page, flags=re.S)
    cells = [(int(pk), [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]) for pk, row in rows]
    assert cells == [
        (second.pk, [local_minute(second.created_at), "admin", "Package: Bisnis 50 Mbps · Site: Citayam", "1", "Applied", "Undo bulk change"]),
        (first.pk, [local_minute(first.created_at), "admin", "Package: Home 30 Mbps", "3", f"Undone on {local_minute(first.undone_at)} by admin", "Details"]),
    ]
    assert f'<a class="undo" href="/customers/bulk/changes/{second.pk}/undo/">' in page


# ---------------------------------------------------------------------------
# Undoing


def test_undo_restores_old_values(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert '<strong id="count-restore">3</strong>' in page
    assert '<strong id="count-kept">0</strong>' in page
    assert 'id="cannot-undo"' not in page
    assert "<tr><td>PLG-0001</td><td>Pelanggan PLG-0001</td><td>Paket</td><td>Home 30 Mbps</td><td>Home 20 Mbps</td></tr>" in page
    assert "<tr><td>PLG-0002</td><td>Pelanggan PLG-0002</td><td>Paket</td><td>Home 30 Mbps</td><td>(tanpa paket)</td></tr>" in page
    assert packages_by_number()["PLG-0002"] == "H30"

    response = admin_client.post(undo_url(bulk_change))

    assert response.status_code == 302
    assert response["Location"] == HISTORY_URL
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": None, "PLG-0003": "H10", "PLG-0004": None, "PLG-0005": None,
    }
    bulk_change.refresh_from_db()
    assert bulk_change.undone_by == admin_user
    assert bulk_change.undone_at is not None
    assert bulk_change.restored_count == 3


def test_undo_restores_old_sites(admin_user, customers, catalogue):
    sites, _packages = catalogue
    bulk_change = customers_bulk_update(Customer.objects.all(), {"site_id": sites["CTY"].pk}, user=admin_user)

    assert undo_bulk_change(bulk_change, admin_user) == 5

    assert sites_by_number() == {
        "PLG-0001": "CBN", "PLG-0002": "CBN", "PLG-0003": "CBN", "PLG-0004": "BJG", "PLG-0005": None,
    }


def test_undo_success_message(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)

    response = admin_client.post(undo_url(bulk_change), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Perubahan massal dibatalkan: 3 pelanggan dikembalikan ke nilai lamanya."
    ]


def test_undo_history_rows(admin_user, django_user_model, customers, catalogue):
    _sites, packages = catalogue
    other_admin = django_user_model.objects.create_user(username="admin2", is_staff=True, is_superuser=True)
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    before = {number: customer.history.count() for number, customer in customers.items()}

    undo_bulk_change(bulk_change, other_admin)

    for number in ("PLG-0001", "PLG-0002", "PLG-0003"):
        stored = Customer.objects.get(number=number)
        records = undo_history(stored)
        assert len(records) == 1, number
        assert records[0].history_type == "~"
        assert records[0].history_user == other_admin
        assert records[0].package_id == stored.package_id
        assert records[0].name == stored.name
        assert records[0].history_date == stored.updated_at
        assert stored.history.count() == before[number] + 1
    for number in ("PLG-0004", "PLG-0005"):
        assert customers[number].history.count() == before[number]


def test_undo_history_shown_on_customer(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    undo_bulk_change(bulk_change, admin_user)

    page = admin_client.get(reverse("customers:edit", args=[customers["PLG-0001"].pk])).content.decode()

    assert '<p class="muted">Pembatalan perubahan massal dari daftar pelanggan</p>' in page


def test_undo_keeps_later_edit(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    edited = Customer.objects.get(number="PLG-0002")
    edited.package = packages["B50"]
    edited.save()
    edit = edited.history.first()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert '<strong id="count-restore">2</strong>' in page
    assert '<strong id="count-kept">1</strong>' in page
    when = local_minute(edit.history_date)
    assert kept_rows(page) == [[
        "PLG-0002",
        "Pelanggan PLG-0002",
        "Restore Package to (no package)",
        f"Changed after the bulk change, on {when} by —: it is now Bisnis 50 Mbps, so it stays.",
    ]]

    admin_client.post(undo_url(bulk_change))

    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": "B50", "PLG-0003": "H10", "PLG-0004": None, "PLG-0005": None,
    }
    assert undo_history(edited) == []


def test_undo_keeps_edit_indonesian(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    edited = Customer.objects.get(number="PLG-0003")
    edited.package = packages["B50"]
    edited._history_user = admin_user
    edited.save()
    when = local_minute(edited.history.first().history_date)

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert "<h1>Batalkan perubahan massal</h1>" in page
    assert kept_rows(page) == [[
        "PLG-0003",
        "Pelanggan PLG-0003",
        "Kembalikan Paket ke Home 10 Mbps",
        f"Diubah setelah perubahan massal, pada {when} oleh admin: sekarang Bisnis 50 Mbps, jadi tetap.",
    ]]


def test_undo_keeps_value_set_back(admin_user, customers, catalogue):
    """A field changed after the bulk change and set back is kept too."""
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    edited = Customer.objects.get(number="PLG-0001")
    edited.package = packages["B50"]
    edited.save()
    edited.package = packages["H30"]
    edited.save()

    plan = plan_bulk_undo(bulk_change)
    restored = undo_bulk_change(bulk_change, admin_user)

    assert (plan.restore_count, plan.kept_count) == (2, 1)
    assert [customer.number for customer in plan.kept] == ["PLG-0001"]
    assert [(item.field, item.state) for item in plan.kept[0].fields] == [("package_id", "changed_since")]
    assert restored == 2
    assert packages_by_number()["PLG-0001"] == "H30"


def test_undo_ignores_other_field_edit(admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    edited = Customer.objects.get(number="PLG-0002")
    edited.address = "Jl. Mawar 5"
    edited.save()

    assert undo_bulk_change(bulk_change, admin_user) == 3

    edited.refresh_from_db()
    assert (edited.package, edited.address) == (None, "Jl. Mawar 5")


def test_undo_after_later_bulk_undone(admin_user, customers, catalogue):
    """Undoing the later bulk change first lets the earlier one restore its values."""
    _sites, packages = catalogue
    earlier = set_package(cibinong_customers(), packages["H30"], admin_user)
    later = set_package(Customer.objects.filter(number="PLG-0001"), packages["B50"], admin_user)

    assert plan_bulk_undo(earlier).later_changes == [later]
    assert undo_bulk_change(later, admin_user) == 1
    assert undo_bulk_change(earlier, admin_user) == 3

    assert packages_by_number()["PLG-0001"] == "H20"


def test_later_bulk_change_blocks_undo(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    earlier = set_package(cibinong_customers(), packages["H30"], admin_user)
    later = set_package(Customer.objects.filter(number__in=["PLG-0002", "PLG-0003", "PLG-0004"]), packages["B50"], admin_user)
    after_both = packages_by_number()
    history_count = Customer.history.count()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(earlier)).content.decode()
    response = admin_client.post(undo_url(earlier), follow=True)

    box = page[page.index('id="later-bulk-changes">') + len('id="later-bulk-changes">'):]
    box = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", box[: box.index("</div>")])).strip()
    assert box == (
        "This bulk change cannot be undone yet, because later bulk changes set the same field on some of its "
        "customers and have not been undone. Undo them first, newest first, then open this page again. "
        f"Applied on {local_minute(later.created_at)} by admin, on 2 customers of this bulk change: "
        "Package: Bisnis 50 Mbps · Undo that bulk change"
    )
    assert f'<a href="/customers/bulk/changes/{later.pk}/undo/">Undo that bulk change</a>' in page
    assert 'id="undo-confirm"' not in page
    assert [str(message) for message in response.context["messages"]] == [
        "Nothing was undone. Undo the later bulk changes listed below first."
    ]
    assert packages_by_number() == after_both
    assert Customer.history.count() == history_count
    earlier.refresh_from_db()
    assert earlier.undone_at is None


def test_overlapping_undos_restore_originals(admin_user, customers, catalogue):
    _sites, packages = catalogue
    original = packages_by_number()
    earlier = set_package(cibinong_customers(), packages["H30"], admin_user)
    later = set_package(Customer.objects.filter(number__in=["PLG-0002", "PLG-0003", "PLG-0004"]), packages["B50"], admin_user)

    with pytest.raises(BulkUndoBlocked) as blocked:
        undo_bulk_change(earlier, admin_user)
    assert [(change.pk, change.shared_count) for change in blocked.value.later_changes] == [(later.pk, 2)]
    assert undo_bulk_change(later, admin_user) == 3
    assert undo_bulk_change(earlier, admin_user) == 3

    assert packages_by_number() == original


def test_later_change_edited_since_does_not_block(admin_user, customers, catalogue):
    """A later change whose shared customers no longer have its value has
    nothing to restore there, so the earlier change can be undone."""
    _sites, packages = catalogue
    original = packages_by_number()
    earlier = set_package(cibinong_customers(), packages["H30"], admin_user)
    later = set_package(Customer.objects.filter(number="PLG-0001"), packages["B50"], admin_user)
    Customer.objects.filter(number="PLG-0001").update(package=packages["B100"], updated_at=timezone.now())

    assert earlier.customer_count == 3
    assert plan_bulk_undo(earlier).later_changes == []
    assert undo_bulk_change(earlier, admin_user) == 2

    restored = packages_by_number()
    assert restored["PLG-0001"] == "B100"
    assert (restored["PLG-0002"], restored["PLG-0003"]) == (original["PLG-0002"], original["PLG-0003"])
    later.refresh_from_db()
    assert later.undone_at is None


def test_other_field_change_does_not_block(admin_user, customers, catalogue):
    sites, packages = catalogue
    earlier = set_package(cibinong_customers(), packages["H30"], admin_user)
    # PLG-0001 already has H30, so this change sets only its site.
    later = customers_bulk_update(
        Customer.objects.filter(number="PLG-0001"), {"package_id": packages["H30"].pk, "site_id": sites["CTY"].pk}, user=admin_user
    )
    moved = customers_bulk_update(Customer.objects.filter(number="PLG-0002"), {"site_id": sites["BJG"].pk}, user=admin_user)

    assert plan_bulk_undo(earlier).later_changes == []
    assert undo_bulk_change(earlier, admin_user) == 3

    assert packages_by_number()["PLG-0001"] == "H20"
    assert sites_by_number()["PLG-0001"] == "CTY"
    assert sites_by_number()["PLG-0002"] == "BJG"
    assert later.undone_at is None
    assert moved.undone_at is None


def test_undo_leaves_unchanged_customer(admin_user, customers, catalogue):
    sites, packages = catalogue
    unchanged = customers["PLG-0001"]
    bulk_change = customers_bulk_update(
        Customer.objects.filter(pk=unchanged.pk), {"package_id": packages["H20"].pk, "site_id": sites["CTY"].pk}, user=admin_user
    )

    plan = plan_bulk_undo(bulk_change)
    assert [(item.field, item.state) for item in plan.restores[0].fields] == [("site_id", "restorable")]
    assert undo_bulk_change(bulk_change, admin_user) == 1

    stored = Customer.objects.get(pk=unchanged.pk)
    assert (stored.package, stored.site) == (packages["H20"], sites["CBN"])
    records = undo_history(stored)
    assert len(records) == 1
    assert (records[0].package_id, records[0].site_id) == (packages["H20"].pk, sites["CBN"].pk)


def test_undo_skips_customers_not_changed(admin_user, customers, catalogue):
    _sites, packages = catalogue
    untouched = customers["PLG-0001"]
    bulk_change = set_package(cibinong_customers(), packages["H20"], admin_user)

    undo_bulk_change(bulk_change, admin_user)

    stored = Customer.objects.get(pk=untouched.pk)
    assert stored.updated_at == untouched.updated_at
    assert stored.history.count() == 1
    assert packages_by_number()["PLG-0001"] == "H20"


def test_undo_lists_deleted_customer(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    Customer.objects.get(number="PLG-0003").delete()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert '<strong id="count-restore">2</strong>' in page
    assert kept_rows(page) == [[
        "PLG-0003", "Pelanggan PLG-0003", "Restore Package to Home 10 Mbps", "The customer was deleted after the bulk change.",
    ]]
    admin_client.post(undo_url(bulk_change))
    assert packages_by_number() == {"PLG-0001": "H20", "PLG-0002": None, "PLG-0004": None, "PLG-0005": None}


def test_undo_keeps_deleted_old_package(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    old_pk = packages["H10"].pk
    packages["H10"].delete()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert kept_rows(page) == [[
        "PLG-0003",
        "Pelanggan PLG-0003",
        f"Restore Package to deleted package (#{old_pk})",
        "The old value was deleted, so it stays Home 30 Mbps.",
    ]]
    admin_client.post(undo_url(bulk_change))
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": None, "PLG-0003": "H30", "PLG-0004": None, "PLG-0005": None,
    }


def test_undo_page_names_empty_values(admin_client, admin_user, customers, catalogue):
    sites, packages = catalogue
    bulk_change = customers_bulk_update(
        Customer.objects.filter(number="PLG-0005"), {"package_id": packages["B100"].pk, "site_id": sites["CTY"].pk}, user=admin_user
    )
    set_pk = packages["B100"].pk
    Customer.objects.filter(number="PLG-0005").update(package=None)
    packages["B100"].delete()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(bulk_change)).content.decode()
    history = admin_client.get(HISTORY_URL).content.decode()

    assert f"Package: deleted package (#{set_pk}) · Site: Citayam" in page
    assert f"Package: deleted package (#{set_pk}) · Site: Citayam" in history
    assert "<tr><td>PLG-0005</td><td>Pelanggan PLG-0005</td><td>Site</td><td>Citayam</td><td>(no site)</td></tr>" in page
    assert kept_rows(page) == [[
        "PLG-0005",
        "Pelanggan PLG-0005",
        "Restore Package to (no package)",
        "Changed after the bulk change: it is now (no package), so it stays.",
    ]]


def test_undo_page_separates_back_link(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    edited = Customer.objects.get(number="PLG-0003")
    edited.package = packages["B50"]
    edited.save()

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    confirm = page.index('id="undo-confirm"')
    form = page[page.rindex("<form", 0, confirm): page.index("</form>", confirm)]
    assert '<button type="submit" class="primary" id="undo-confirm">Batalkan perubahan massal</button>' in form
    assert "<a" not in form
    assert (
        '<p><a id="undo-back" href="/customers/bulk/changes/">'
        "Kembali ke riwayat perubahan massal tanpa membatalkan</a></p>"
    ) in page
    assert ">Batal<" not in page
    assert "<th>Yang tidak dikembalikan</th>" in page
    assert "<th>Apa</th>" not in page


def test_undo_restores_inactive_old_package(admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    packages["H10"].is_active = False
    packages["H10"].save()

    assert undo_bulk_change(bulk_change, admin_user) == 3

    assert packages_by_number()["PLG-0003"] == "H10"


def test_edit_between_page_and_confirm(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    page = admin_client.get(undo_url(bulk_change)).content.decode()
    assert '<strong id="count-restore">3</strong>' in page
    edited = Customer.objects.get(number="PLG-0001")
    edited.package = packages["B100"]
    edited.save()

    admin_client.post(undo_url(bulk_change))

    assert packages_by_number()["PLG-0001"] == "B100"
    bulk_change.refresh_from_db()
    assert bulk_change.restored_count == 2


def test_double_confirm_changes_nothing(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    admin_client.cookies["django_language"] = "en"
    admin_client.post(undo_url(bulk_change), follow=True)
    after_first = packages_by_number()
    history_count = Customer.history.count()
    bulk_change.refresh_from_db()
    undone_at = bulk_change.undone_at

    response = admin_client.post(undo_url(bulk_change), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "This bulk change was already undone, so nothing was changed."
    ]
    assert packages_by_number() == after_first
    assert Customer.history.count() == history_count
    bulk_change.refresh_from_db()
    assert bulk_change.undone_at == undone_at
    page = response.content.decode()
    assert 'id="undo-confirm"' not in page
    assert f"Undone on {local_minute(undone_at)} by admin: 3 customers got their old values back." in page


def test_nothing_restorable_not_marked_undone(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(Customer.objects.filter(number="PLG-0002"), packages["H30"], admin_user)
    edited = Customer.objects.get(number="PLG-0002")
    edited.package = packages["B50"]
    edited.save()

    page = admin_client.get(undo_url(bulk_change)).content.decode()
    response = admin_client.post(undo_url(bulk_change))

    assert 'id="undo-confirm"' not in page
    assert 'id="nothing-to-undo"' in page
    assert response.status_code == 302
    bulk_change.refresh_from_db()
    assert bulk_change.undone_at is None
    assert packages_by_number()["PLG-0002"] == "B50"


def test_undo_needs_staff(client, django_user_model, admin_user, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    customer_user = django_user_model.objects.create_user(username="pelanggan", password="rahasia-123")
    client.force_login(customer_user)

    assert client.get(undo_url(bulk_change)).status_code == 404
    assert client.post(undo_url(bulk_change)).status_code == 404
    assert client.get(HISTORY_URL).status_code == 404
    assert packages_by_number()["PLG-0002"] == "H30"


# ---------------------------------------------------------------------------
# Site admins


def test_site_admin_sees_only_own(client, admin_user, site_admin, customers, catalogue):
    _sites, packages = catalogue
    others = set_package(cibinong_customers(), packages["H30"], admin_user)
    own = set_package(Customer.objects.filter(number="PLG-0002"), packages["B50"], site_admin)
    client.force_login(site_admin)

    page = client.get(HISTORY_URL).content.decode()

    assert re.findall(r'<tr id="bulk-change-(\d+)">', page) == [str(own.pk)]
    assert client.get(undo_url(others)).status_code == 404
    assert client.post(undo_url(others)).status_code == 404
    assert client.get(undo_url(own)).status_code == 200
    others.refresh_from_db()
    assert others.undone_at is None
    assert packages_by_number()["PLG-0001"] == "H30"


def test_site_admin_undo_within_sites(client, admin_user, site_admin, customers, catalogue):
    sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], site_admin)
    moved = Customer.objects.get(number="PLG-0003")
    moved.site = sites["BJG"]
    moved.save()
    client.force_login(site_admin)
    client.cookies["django_language"] = "en"

    page = client.get(undo_url(bulk_change)).content.decode()
    client.post(undo_url(bulk_change))

    assert '<strong id="count-restore">2</strong>' in page
    assert (
        '<p class="warning-box" id="outside-sites">1 customer of this bulk change is now in a site you do not manage, '
        "or would go back to one, so it stays as it is.</p>"
    ) in page
    assert "PLG-0003" not in page
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": None, "PLG-0003": "H30", "PLG-0004": None, "PLG-0005": None,
    }


def test_site_admin_blocked_without_link(client, admin_user, site_admin, customers, catalogue):
    sites, packages = catalogue
    own = set_package(cibinong_customers(), packages["H30"], site_admin)
    later = set_package(Customer.objects.filter(number="PLG-0001"), packages["B50"], admin_user)
    client.force_login(site_admin)
    client.cookies["django_language"] = "en"

    page = client.get(undo_url(own)).content.decode()

    assert 'id="later-bulk-changes"' in page
    assert f"Applied on {local_minute(later.created_at)} by admin, on 1 customer of this bulk change:" in page
    assert f"/customers/bulk/changes/{later.pk}/undo/" not in page
    assert "Ask an admin to undo that bulk change." in page
    assert plan_bulk_undo(own, {sites["BJG"].pk}).later_changes == []


def test_admin_undoes_site_admin_change(admin_client, admin_user, site_admin, customers, catalogue):
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], site_admin)

    admin_client.post(undo_url(bulk_change))

    assert packages_by_number()["PLG-0003"] == "H10"
    bulk_change.refresh_from_db()
    assert bulk_change.undone_by == admin_user


@pytest.fixture
def two_site_admin(django_user_model, catalogue):
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-dua", password="rahasia-dua-123", is_staff=True)
    sites["CBN"].staff.add(user)
    sites["BJG"].staff.add(user)
    return user


def test_partial_undo_leaves_rest_for_admin(client, admin_user, two_site_admin, customers, catalogue):
    sites, packages = catalogue
    bulk_change = set_package(Customer.objects.exclude(number="PLG-0005"), packages["H30"], two_site_admin)
    sites["BJG"].staff.remove(two_site_admin)
    client.force_login(two_site_admin)
    client.cookies["django_language"] = "en"

    response = client.post(undo_url(bulk_change), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Bulk change partly undone: 3 customers got their old values back. Customers outside your sites stay "
        "as they are until an admin undoes the rest."
    ]
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": None, "PLG-0003": "H10", "PLG-0004": "H30", "PLG-0005": None,
    }
    bulk_change.refresh_from_db()
    assert (bulk_change.undone_at, bulk_change.undone_by, bulk_change.restored_count) == (None, None, 3)
    restored = dict(BulkChangeItem.objects.filter(bulk_change=bulk_change).values_list("customer__number", "restored_at"))
    assert sorted(number for number, when in restored.items() if when is not None) == ["PLG-0001", "PLG-0002", "PLG-0003"]
    assert restored["PLG-0004"] is None

    client.force_login(admin_user)
    page = client.get(undo_url(bulk_change)).content.decode()
    client.post(undo_url(bulk_change))

    assert '<strong id="count-restore">1</strong>' in page
    assert '<strong id="count-kept">0</strong>' in page
    assert (
        '<p id="bulk-partly-undone">Partly undone: 3 customers already got their old values back. '
        "The others were outside the sites of the site admin who undid it.</p>"
    ) in page
    assert "<tr><td>PLG-0004</td><td>Pelanggan PLG-0004</td><td>Package</td><td>Home 30 Mbps</td><td>(no package)</td></tr>" in page
    assert "PLG-0003" not in page
    assert packages_by_number()["PLG-0004"] is None
    bulk_change.refresh_from_db()
    assert bulk_change.undone_by == admin_user
    assert bulk_change.restored_count == 4
    for number in ("PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004"):
        assert len(undo_history(customers[number])) == 1, number


def test_partial_undo_keeps_customer_whole(admin_user, two_site_admin, customers, catalogue):
    sites, packages = catalogue
    bulk_change = customers_bulk_update(
        Customer.objects.filter(number__in=["PLG-0002", "PLG-0004"]),
        {"package_id": packages["H30"].pk, "site_id": sites["CBN"].pk},
        user=two_site_admin,
    )
    sites["BJG"].staff.remove(two_site_admin)
    scope = {sites["CBN"].pk}

    plan = plan_bulk_undo(bulk_change, scope)
    restored_by_site_admin = undo_bulk_change(bulk_change, two_site_admin, scope)
    after_site_admin = (packages_by_number(), sites_by_number())
    restored_by_admin = undo_bulk_change(bulk_change, admin_user)

    assert (plan.restore_count, plan.outside_sites) == (1, 1)
    assert restored_by_site_admin == 1
    assert after_site_admin[0]["PLG-0002"] is None
    assert (after_site_admin[0]["PLG-0004"], after_site_admin[1]["PLG-0004"]) == ("H30", "CBN")
    assert restored_by_admin == 1
    assert (packages_by_number()["PLG-0004"], sites_by_number()["PLG-0004"]) == (None, "BJG")
    bulk_change.refresh_from_db()
    assert bulk_change.undone_by == admin_user


def test_history_shows_partly_undone(client, admin_user, two_site_admin, customers, catalogue):
    sites, packages = catalogue
    bulk_change = set_package(Customer.objects.exclude(number="PLG-0005"), packages["H30"], two_site_admin)
    sites["BJG"].staff.remove(two_site_admin)
    undo_bulk_change(bulk_change, two_site_admin, {sites["CBN"].pk})
    client.force_login(two_site_admin)

    page = client.get(HISTORY_URL).content.decode()

    row = re.search(rf'<tr id="bulk-change-{bulk_change.pk}">(.*?)</tr>', page, flags=re.S).group(1)
    assert '<td class="state">Sebagian dibatalkan</td>' in row
    assert f'<a class="undo" href="/customers/bulk/changes/{bulk_change.pk}/undo/">' in row


# ---------------------------------------------------------------------------
# Status


def test_bulk_records_old_status(admin_user, customers, catalogue):
    _sites, packages = catalogue
    Customer.objects.filter(number="PLG-0003").update(status=Customer.Status.INACTIVE)
    Customer.objects.filter(number="PLG-0004").update(status=Customer.Status.SUSPENDED)

    bulk_change = customers_bulk_update(
        Customer.objects.all(), {"package_id": packages["H20"].pk, "status": "suspended"}, user=admin_user
    )

    assert bulk_change.customer_count == 5
    assert (bulk_change.package, bulk_change.site, bulk_change.status) == (packages["H20"], None, "suspended")
    assert bulk_change.changes == {"package_id": packages["H20"].pk, "status": "suspended"}
    items = {
        item.customer.number: (item.old_package_id, item.old_status)
        for item in BulkChangeItem.objects.filter(bulk_change=bulk_change).select_related("customer")
    }
    assert items == {
        "PLG-0001": (packages["H20"].pk, "active"),
        "PLG-0002": (None, "active"),
        "PLG-0003": (packages["H10"].pk, "inactive"),
        "PLG-0004": (None, "suspended"),
        "PLG-0005": (None, "active"),
    }


def test_history_lists_status_change(admin_client, admin_user, customers, catalogue):
    sites, _packages = catalogue
    bulk_change = customers_bulk_update(
        cibinong_customers(), {"site_id": sites["CTY"].pk, "status": "suspended"}, user=admin_user
    )

    page = admin_client.get(HISTORY_URL).content.decode()
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get(HISTORY_URL).content.decode()

    row = re.search(rf'<tr id="bulk-change-{bulk_change.pk}">(.*?)</tr>', page, flags=re.S).group(1)
    assert "<td>Site: Citayam · Status: Isolir\n</td>" in row
    row = re.search(rf'<tr id="bulk-change-{bulk_change.pk}">(.*?)</tr>', english, flags=re.S).group(1)
    assert "<td>Site: Citayam · Status: Suspended\n</td>" in row


def test_undo_restores_old_status(admin_client, admin_user, customers):
    Customer.objects.filter(number="PLG-0003").update(status=Customer.Status.INACTIVE)
    bulk_change = set_status(cibinong_customers(), "suspended", admin_user)
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert summary(page) == f"Applied on {local_minute(bulk_change.created_at)} by admin to 3 customers: Status: Suspended"
    assert '<strong id="count-restore">3</strong>' in page
    assert "customers will get their old package, site or status back" in page
    assert '<strong id="count-kept">0</strong>' in page
    assert restore_rows(page) == [
        ["PLG-0001", "Pelanggan PLG-0001", "Status", "Suspended", "Active"],
        ["PLG-0002", "Pelanggan PLG-0002", "Status", "Suspended", "Active"],
        ["PLG-0003", "Pelanggan PLG-0003", "Status", "Suspended", "Inactive"],
    ]

    response = admin_client.post(undo_url(bulk_change), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Bulk change undone: 3 customers got their old values back."
    ]
    assert statuses_by_number() == {
        "PLG-0001": "active", "PLG-0002": "active", "PLG-0003": "inactive", "PLG-0004": "active", "PLG-0005": "active",
    }
    for number in ("PLG-0001", "PLG-0002", "PLG-0003"):
        stored = Customer.objects.get(number=number)
        records = undo_history(stored)
        assert [(record.status, record.history_user) for record in records] == [(stored.status, admin_user)], number
        assert records[0].history_date == stored.updated_at
    bulk_change.refresh_from_db()
    assert (bulk_change.undone_by, bulk_change.restored_count) == (admin_user, 3)


def test_undo_page_status_indonesian(admin_client, admin_user, customers):
    bulk_change = set_status(Customer.objects.filter(number="PLG-0004"), "inactive", admin_user)

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert summary(page) == f"Diterapkan pada {local_minute(bulk_change.created_at)} oleh admin ke 1 pelanggan: Status: Nonaktif"
    assert "pelanggan akan dikembalikan ke paket, site, atau status lamanya" in page
    assert restore_rows(page) == [["PLG-0004", "Pelanggan PLG-0004", "Status", "Nonaktif", "Aktif"]]


def test_undo_restores_status_and_package(admin_user, customers, catalogue):
    _sites, packages = catalogue
    original = (packages_by_number(), statuses_by_number())
    bulk_change = customers_bulk_update(
        cibinong_customers(), {"package_id": packages["H20"].pk, "status": "suspended"}, user=admin_user
    )

    plan = plan_bulk_undo(bulk_change)
    fields = {customer.number: [(item.field, item.state) for item in customer.fields] for customer in plan.restores}
    restored = undo_bulk_change(bulk_change, admin_user)

    # PLG-0001 had H20 already, so only its status was changed.
    assert fields == {
        "PLG-0001": [("status", "restorable")],
        "PLG-0002": [("package_id", "restorable"), ("status", "restorable")],
        "PLG-0003": [("package_id", "restorable"), ("status", "restorable")],
    }
    assert restored == 3
    assert (packages_by_number(), statuses_by_number()) == original
    for number in ("PLG-0001", "PLG-0002", "PLG-0003"):
        assert len(undo_history(customers[number])) == 1, number


def test_undo_keeps_status_edited_since(admin_client, admin_user, customers):
    bulk_change = set_status(cibinong_customers(), "suspended", admin_user)
    edited = Customer.objects.get(number="PLG-0002")
    edited.status = Customer.Status.INACTIVE
    edited._history_user = admin_user
    edited.save()
    when = local_minute(edited.history.first().history_date)
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert '<strong id="count-restore">2</strong>' in page
    assert '<strong id="count-kept">1</strong>' in page
    assert kept_rows(page) == [[
        "PLG-0002",
        "Pelanggan PLG-0002",
        "Restore Status to Active",
        f"Changed after the bulk change, on {when} by admin: it is now Inactive, so it stays.",
    ]]

    admin_client.post(undo_url(bulk_change))

    assert statuses_by_number() == {
        "PLG-0001": "active", "PLG-0002": "inactive", "PLG-0003": "active", "PLG-0004": "active", "PLG-0005": "active",
    }
    assert undo_history(edited) == []


def test_undo_keeps_status_edit_indonesian(admin_client, admin_user, customers):
    bulk_change = set_status(cibinong_customers(), "suspended", admin_user)
    edited = Customer.objects.get(number="PLG-0003")
    edited.status = Customer.Status.INACTIVE
    edited._history_user = admin_user
    edited.save()
    when = local_minute(edited.history.first().history_date)

    page = admin_client.get(undo_url(bulk_change)).content.decode()

    assert kept_rows(page) == [[
        "PLG-0003",
        "Pelanggan PLG-0003",
        "Kembalikan Status ke Aktif",
        f"Diubah setelah perubahan massal, pada {when} oleh admin: sekarang Nonaktif, jadi tetap.",
    ]]


def test_undo_keeps_status_set_back(admin_user, customers):
    """A status changed after the bulk change and set back to the bulk value is kept too."""
    bulk_change = set_status(cibinong_customers(), "suspended", admin_user)
    edited = Customer.objects.get(number="PLG-0001")
    edited.status = Customer.Status.ACTIVE
    edited.save()
    edited.status = Customer.Status.SUSPENDED
    edited.save()

    plan = plan_bulk_undo(bulk_change)
    restored = undo_bulk_change(bulk_change, admin_user)

    assert (plan.restore_count, plan.kept_count) == (2, 1)
    assert [(item.field, item.state) for item in plan.kept[0].fields] == [("status", "changed_since")]
    assert restored == 2
    assert statuses_by_number()["PLG-0001"] == "suspended"


def test_status_edit_keeps_package_restore(admin_user, customers, catalogue):
    """A status edited since keeps its value, and the package is still restored."""
    _sites, packages = catalogue
    bulk_change = customers_bulk_update(
        Customer.objects.filter(number="PLG-0003"), {"package_id": packages["H30"].pk, "status": "suspended"}, user=admin_user
    )
    Customer.objects.filter(number="PLG-0003").update(status=Customer.Status.INACTIVE, updated_at=timezone.now())

    plan = plan_bulk_undo(bulk_change)

    assert [(item.field, item.state) for item in plan.restores[0].fields] == [("package_id", "restorable")]
    assert [(item.field, item.state) for item in plan.kept[0].fields] == [("status", "changed_since")]
    assert undo_bulk_change(bulk_change, admin_user) == 1
    stored = Customer.objects.get(number="PLG-0003")
    assert (stored.package, stored.status) == (packages["H10"], "inactive")


def test_later_status_change_blocks_undo(admin_client, admin_user, customers):
    earlier = set_status(cibinong_customers(), "suspended", admin_user)
    later = set_status(Customer.objects.filter(number__in=["PLG-0002", "PLG-0003", "PLG-0004"]), "inactive", admin_user)
    after_both = statuses_by_number()
    history_count = Customer.history.count()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(earlier)).content.decode()
    response = admin_client.post(undo_url(earlier), follow=True)

    box = page[page.index('id="later-bulk-changes">') + len('id="later-bulk-changes">'):]
    box = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", box[: box.index("</div>")])).strip()
    assert box.endswith(
        f"Applied on {local_minute(later.created_at)} by admin, on 2 customers of this bulk change: "
        "Status: Inactive · Undo that bulk change"
    )
    assert [str(message) for message in response.context["messages"]] == [
        "Nothing was undone. Undo the later bulk changes listed below first."
    ]
    assert statuses_by_number() == after_both
    assert Customer.history.count() == history_count
    earlier.refresh_from_db()
    assert earlier.undone_at is None


def test_overlapping_status_undos_restore_originals(admin_user, customers):
    Customer.objects.filter(number="PLG-0003").update(status=Customer.Status.INACTIVE)
    original = statuses_by_number()
    earlier = set_status(cibinong_customers(), "suspended", admin_user)
    later = set_status(Customer.objects.filter(number__in=["PLG-0001", "PLG-0004"]), "inactive", admin_user)

    with pytest.raises(BulkUndoBlocked) as blocked:
        undo_bulk_change(earlier, admin_user)
    assert [(change.pk, change.shared_count) for change in blocked.value.later_changes] == [(later.pk, 1)]
    assert undo_bulk_change(later, admin_user) == 2
    assert undo_bulk_change(earlier, admin_user) == 3

    assert statuses_by_number() == original


def test_later_status_kept_does_not_block(admin_user, customers, catalogue):
    """Later changes that set the status where the earlier one kept it, or
    kept it where the earlier one set it, do not block."""
    _sites, packages = catalogue
    earlier_status = set_status(Customer.objects.filter(number="PLG-0002"), "suspended", admin_user)
    later_package = set_package(Customer.objects.filter(number="PLG-0002"), packages["B50"], admin_user)
    earlier_package = set_package(Customer.objects.filter(number="PLG-0004"), packages["H30"], admin_user)
    later_status = set_status(Customer.objects.filter(number="PLG-0004"), "inactive", admin_user)

    assert plan_bulk_undo(earlier_status).later_changes == []
    assert plan_bulk_undo(earlier_package).later_changes == []
    assert undo_bulk_change(earlier_status, admin_user) == 1
    assert undo_bulk_change(earlier_package, admin_user) == 1

    assert (packages_by_number()["PLG-0002"], statuses_by_number()["PLG-0002"]) == ("B50", "active")
    assert (packages_by_number()["PLG-0004"], statuses_by_number()["PLG-0004"]) == (None, "inactive")
    later_package.refresh_from_db()
    later_status.refresh_from_db()
    assert (later_package.undone_at, later_status.undone_at) == (None, None)


def test_later_same_status_does_not_block(admin_user, customers, catalogue):
    """A later change that set the status its customers already had changed
    no status, so it does not block."""
    _sites, packages = catalogue
    earlier = set_status(cibinong_customers(), "suspended", admin_user)
    later = customers_bulk_update(
        Customer.objects.filter(number="PLG-0002"), {"package_id": packages["B50"].pk, "status": "suspended"}, user=admin_user
    )

    assert later.customer_count == 1
    assert plan_bulk_undo(earlier).later_changes == []
    assert undo_bulk_change(earlier, admin_user) == 3
    assert (packages_by_number()["PLG-0002"], statuses_by_number()["PLG-0002"]) == ("B50", "active")


@pytest.mark.django_db(transaction=True)
def test_migrated_bulk_change_keeps_status(admin_client, admin_user, customers, catalogue, migration_executor):
    """A bulk change recorded before the status migration restores only the package."""
    _sites, packages = catalogue
    bulk_change = set_package(cibinong_customers(), packages["H30"], admin_user)
    migration_executor.migrate([("customers", "0014_customer_number_key")])
    MigrationExecutor(connection).migrate([("customers", "0015_bulk_change_status")])
    # Forward to the latest schema, so the current models can read the rows
    # that the status migration left behind.
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())
    Customer.objects.filter(number="PLG-0002").update(status=Customer.Status.SUSPENDED, updated_at=timezone.now())
    bulk_change.refresh_from_db()
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(undo_url(bulk_change)).content.decode()
    plan = plan_bulk_undo(bulk_change)
    restored = undo_bulk_change(bulk_change, admin_user)

    assert bulk_change.status == ""
    assert list(BulkChangeItem.objects.filter(bulk_change=bulk_change).values_list("old_status", flat=True)) == [""] * 3
    assert bulk_change.changes == {"package_id": packages["H30"].pk}
    assert summary(page) == f"Applied on {local_minute(bulk_change.created_at)} by admin to 3 customers: Package: Home 30 Mbps"
    assert (plan.restore_count, plan.kept_count) == (3, 0)
    assert {item.field for customer in plan.restores for item in customer.fields} == {"package_id"}
    assert restored == 3
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": None, "PLG-0003": "H10", "PLG-0004": None, "PLG-0005": None,
    }
    assert statuses_by_number() == {
        "PLG-0001": "active", "PLG-0002": "suspended", "PLG-0003": "active", "PLG-0004": "active", "PLG-0005": "active",
    }


def test_site_admin_partial_status_undo(client, admin_user, two_site_admin, customers, catalogue):
    sites, _packages = catalogue
    bulk_change = set_status(Customer.objects.exclude(number="PLG-0005"), "suspended", two_site_admin)
    sites["BJG"].staff.remove(two_site_admin)
    client.force_login(two_site_admin)

    restored_by_site_admin = undo_bulk_change(bulk_change, two_site_admin, {sites["CBN"].pk})
    after_site_admin = statuses_by_number()
    client.force_login(admin_user)
    client.post(undo_url(bulk_change))

    assert restored_by_site_admin == 3
    assert after_site_admin == {
        "PLG-0001": "active", "PLG-0002": "active", "PLG-0003": "active", "PLG-0004": "suspended", "PLG-0005": "active",
    }
    assert statuses_by_number()["PLG-0004"] == "active"
    bulk_change.refresh_from_db()
    assert (bulk_change.undone_by, bulk_change.restored_count) == (admin_user, 4)


# ---------------------------------------------------------------------------
# Query counts


def make_customers(count, site, package):
    Customer.objects.bulk_create(
        Customer(number=f"PLG-{index:05d}", name=f"Pelanggan {index}", name_key=f"pelanggan {index}", site=site, package=package)
        for index in range(count)
    )


# Statements per vendor: a savepoint and its release inside the test's
# transaction, the BulkChange insert and count, and the change itself.
APPLY_QUERIES = {"postgresql": 5, "sqlite": 7}
# The savepoint pair, the BulkChange lock and update, the check for later
# bulk changes, the UPDATE with its history rows and item marks, and the
# customer lock on PostgreSQL.
UNDO_QUERIES = {"postgresql": 7, "sqlite": 8}


@pytest.mark.parametrize("count", [3, 60])
def test_apply_and_undo_constant_queries(admin_user, catalogue, count):
    sites, packages = catalogue
    make_customers(count, sites["CBN"], packages["H10"])

    with CaptureQueriesContext(connection) as applying:
        bulk_change = set_package(Customer.objects.all(), packages["H30"], admin_user)
    with CaptureQueriesContext(connection) as planning:
        plan = plan_bulk_undo(bulk_change)
    with CaptureQueriesContext(connection) as undoing:
        restored = undo_bulk_change(bulk_change, admin_user)

    assert bulk_change.customer_count == count
    assert plan.restore_count == count
    assert restored == count
    assert Customer.objects.filter(package=packages["H10"]).count() == count
    assert Customer.history.filter(history_change_reason=BULK_CHANGE_REASON).count() == count
    assert Customer.history.filter(history_change_reason=BULK_UNDO_REASON).count() == count
    assert len(applying.captured_queries) == APPLY_QUERIES[connection.vendor]
    # The later bulk changes, the counts, the list of restored customers and the package names.
    assert len(planning.captured_queries) == 4
    assert len(undoing.captured_queries) == UNDO_QUERIES[connection.vendor]


@pytest.mark.parametrize("count", [3, 60])
def test_status_undo_constant_queries(admin_user, catalogue, count):
    sites, packages = catalogue
    make_customers(count, sites["CBN"], packages["H10"])

    with CaptureQueriesContext(connection) as applying:
        bulk_change = set_status(Customer.objects.all(), "suspended", admin_user)
    with CaptureQueriesContext(connection) as planning:
        plan = plan_bulk_undo(bulk_change)
    with CaptureQueriesContext(connection) as undoing:
        restored = undo_bulk_change(bulk_change, admin_user)

    assert (bulk_change.customer_count, plan.restore_count, restored) == (count, count, count)
    assert Customer.objects.filter(status="active").count() == count
    assert Customer.history.filter(history_change_reason=BULK_UNDO_REASON, status="active").count() == count
    assert len(applying.captured_queries) == APPLY_QUERIES[connection.vendor]
    # The later bulk changes, the counts and the list of restored customers: a status needs no names.
    assert len(planning.captured_queries) == 3
    assert len(undoing.captured_queries) == UNDO_QUERIES[connection.vendor]
