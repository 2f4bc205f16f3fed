"""Bulk changes from the customer list: set the package, the site or the
status of the ticked customers, or of every customer matching the filter."""

import re

import pytest
from customers.bulk import BULK_CHANGE_REASON, customers_bulk_update
from customers.models import BulkChange, Customer

pytestmark = pytest.mark.django_db

LIST_URL = "/customers/"
BULK_URL = "/customers/bulk/"


@pytest.fixture
def catalogue(sample_catalogue):
    return sample_catalogue


@pytest.fixture
def customers(catalogue):
    """Five customers: PLG-0001 to PLG-0003 in Cibinong, PLG-0004 in
    Bojonggede, PLG-0005 without a site. PLG-0002, PLG-0004 and PLG-0005
    have no package."""
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


@pytest.fixture
def site_admin_client(client, site_admin):
    client.force_login(site_admin)
    return client


def packages_by_number():
    return dict(Customer.objects.values_list("number", "package__code"))


def sites_by_number():
    return dict(Customer.objects.values_list("number", "site__code"))


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def changed_message(count, values):
    """Return the success message of the latest bulk change, with the values
    it set and its undo link."""
    bulk_change = BulkChange.objects.latest("created_at")
    return (
        f'{count} pelanggan diubah: {values}. <a href="/customers/bulk/changes/{bulk_change.pk}/undo/">'
        "Batalkan perubahan massal ini</a>"
    )


def statuses_by_number():
    return dict(Customer.objects.values_list("number", "status"))


def bulk_data(*, customers=(), package=None, site=None, status=None, all_matching=False, confirm=False, filters=None):
    """Return the POST data of the bulk form; `filters` are the list's query parameters."""
    data = {"bulk-customers": [customer.pk for customer in customers], **(filters or {})}
    if package is not None:
        data["bulk-package"] = package.pk
    if site is not None:
        data["bulk-site"] = site.pk
    if status is not None:
        data["bulk-status"] = status
    if all_matching:
        data["bulk-all_matching"] = "on"
    if confirm:
        data["confirm"] = ""
    return data


# ---------------------------------------------------------------------------
# The list


def test_list_has_checkboxes_and_bulk_form(admin_client, customers):
    page = admin_client.get(LIST_URL, {"missing": "package"}).content.decode()

    form = page[page.index('<form method="post" action="/customers/bulk/" id="bulk-form">'):]
    assert '<input type="hidden" name="missing" value="package">' in form
    for number in ("PLG-0002", "PLG-0004", "PLG-0005"):
        pk = customers[number].pk
        assert f'<input type="checkbox" name="bulk-customers" value="{pk}" aria-label="Pilih {number}">' in form
    assert 'aria-label="Pilih PLG-0001"' not in form
    assert "Pilih semua 3 pelanggan yang cocok dengan filter ini" in form
    assert '<select name="bulk-package" id="id_bulk-package">' in form
    assert '<select name="bulk-site" id="id_bulk-site">' in form
    assert '<label for="id_bulk-status">Atur status</label>' in form
    status_select = form[form.index('<select name="bulk-status" id="id_bulk-status">'):]
    status_select = status_select[: status_select.index("</select>")]
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', status_select) == [
        ("", "— tidak diubah —"), ("active", "Aktif"), ("inactive", "Nonaktif"), ("suspended", "Isolir"),
    ]
    assert ">Ubah pelanggan terpilih</button>" in form


def test_list_bulk_site_choices_of_site_admin(site_admin_client, customers):
    page = site_admin_client.get(LIST_URL).content.decode()

    site_select = page[page.index('<select name="bulk-site"'):]
    site_select = site_select[: site_select.index("</select>")]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", site_select) == ["— tidak diubah —", "Cibinong"]


# ---------------------------------------------------------------------------
# The confirmation page


def test_bulk_page_shows_selection(admin_client, customers, catalogue):
    _sites, packages = catalogue

    response = admin_client.post(
        BULK_URL, bulk_data(customers=[customers["PLG-0002"], customers["PLG-0004"]], package=packages["H20"])
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert '<p id="bulk-count">2 pelanggan dipilih.</p>' in page
    assert "<li>PLG-0002 · Pelanggan PLG-0002 · Cibinong</li>" in page
    assert "<li>PLG-0004 · Pelanggan PLG-0004 · Bojonggede</li>" in page
    assert f'<option value="{packages["H20"].pk}" selected>Home 20 Mbps</option>' in page
    assert 'name="confirm"' in page
    assert packages_by_number()["PLG-0002"] is None


def test_bulk_page_counts_all_matching(admin_client, customers):
    response = admin_client.post(BULK_URL, bulk_data(all_matching=True, filters={"missing": "package"}))

    page = response.content.decode()
    assert '<p id="bulk-count">3 pelanggan yang cocok dengan filter daftar dipilih.</p>' in page
    assert '<input type="hidden" name="missing" value="package">' in page


def test_bulk_page_names_ten_and_counts_the_rest(admin_client, catalogue):
    sites, _packages = catalogue
    for index in range(13):
        Customer.objects.create(number=f"PLG-{index:04d}", name=f"Pelanggan {index}", site=sites["CBN"])

    page = admin_client.post(BULK_URL, bulk_data(all_matching=True)).content.decode()

    assert len(re.findall(r"<li>PLG-\d{4} ", page)) == 10
    assert '<li class="muted">dan 3 pelanggan lainnya</li>' in page


def test_bulk_without_selection_rejected(admin_client, customers, catalogue):
    _sites, packages = catalogue

    response = admin_client.post(BULK_URL, bulk_data(package=packages["H20"], confirm=True))

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "Belum ada pelanggan yang dipilih. Centang pelanggan di daftar, atau pilih semua pelanggan yang cocok "
        "dengan filter."
    ) in page
    assert 'name="confirm"' not in page
    assert set(packages_by_number().values()) == {"H20", "H10", None}
    assert packages_by_number()["PLG-0002"] is None


def test_bulk_without_choice_rejected(admin_client, customers):
    response = admin_client.post(BULK_URL, bulk_data(customers=[customers["PLG-0002"]], confirm=True))

    page = response.content.decode()
    assert "Pilih paket, site, atau status yang akan diatur." in page
    assert '<p id="bulk-count">1 pelanggan dipilih.</p>' in page
    assert Customer.history.filter(history_change_reason=BULK_CHANGE_REASON).count() == 0


def test_bulk_needs_post(admin_client, customers):
    assert admin_client.get(BULK_URL).status_code == 405


# ---------------------------------------------------------------------------
# Applying


def test_bulk_sets_package_on_ticked(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    ticked = [customers["PLG-0002"], customers["PLG-0004"]]

    response = admin_client.post(
        BULK_URL, bulk_data(customers=ticked, package=packages["H30"], confirm=True, filters={"missing": "package"}), follow=True
    )

    assert response.redirect_chain == [("/customers/?missing=package", 302)]
    assert messages_of(response) == [changed_message(2, "Paket: Home 30 Mbps")]
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": "H30", "PLG-0003": "H10", "PLG-0004": "H30", "PLG-0005": None,
    }
    assert sites_by_number()["PLG-0002"] == "CBN"


def test_bulk_writes_history_by_user(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    customer = customers["PLG-0002"]

    admin_client.post(BULK_URL, bulk_data(customers=[customer], package=packages["H30"], confirm=True))

    latest = customer.history.order_by("-history_date", "-history_id").first()
    assert customer.history.count() == 2
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    assert latest.history_change_reason == BULK_CHANGE_REASON
    assert latest.package_id == packages["H30"].pk
    assert latest.name == "Pelanggan PLG-0002"
    stored = Customer.objects.get(pk=customer.pk)
    copied = [field.attname for field in Customer.history.model._meta.concrete_fields]
    for field in [name for name in copied if not name.startswith("history_")]:
        assert getattr(latest, field) == getattr(stored, field), field
    assert latest.history_date == stored.updated_at


def test_bulk_all_matching_changes_only_filtered(admin_client, customers, catalogue):
    sites, packages = catalogue

    response = admin_client.post(
        BULK_URL,
        bulk_data(all_matching=True, package=packages["H10"], confirm=True, filters={"missing": "package"}),
        follow=True,
    )

    assert messages_of(response) == [changed_message(3, "Paket: Home 10 Mbps")]
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": "H10", "PLG-0003": "H10", "PLG-0004": "H10", "PLG-0005": "H10",
    }
    assert Customer.history.filter(history_change_reason=BULK_CHANGE_REASON).count() == 3


def test_bulk_all_matching_status_filter(admin_client, customers, catalogue):
    _sites, packages = catalogue
    Customer.objects.filter(number__in=["PLG-0001", "PLG-0004"]).update(status=Customer.Status.SUSPENDED)

    response = admin_client.post(
        BULK_URL,
        bulk_data(all_matching=True, package=packages["B50"], confirm=True, filters={"status": "suspended"}),
        follow=True,
    )

    assert messages_of(response)[0] == changed_message(2, "Paket: Bisnis 50 Mbps")
    assert packages_by_number() == {
        "PLG-0001": "B50", "PLG-0002": None, "PLG-0003": "H10", "PLG-0004": "B50", "PLG-0005": None,
    }


def test_bulk_all_matching_with_search(admin_client, customers, catalogue):
    sites, _packages = catalogue
    filters = {"q": "PLG-000", "site": str(sites["CBN"].pk)}

    response = admin_client.post(
        BULK_URL, bulk_data(all_matching=True, site=sites["CTY"], confirm=True, filters=filters), follow=True
    )

    assert response.redirect_chain == [(f"/customers/?q=PLG-000&site={sites['CBN'].pk}", 302)]
    assert sites_by_number() == {
        "PLG-0001": "CTY", "PLG-0002": "CTY", "PLG-0003": "CTY", "PLG-0004": "BJG", "PLG-0005": None,
    }


def test_bulk_sets_package_and_site_together(admin_client, customers, catalogue):
    sites, packages = catalogue

    admin_client.post(
        BULK_URL, bulk_data(customers=[customers["PLG-0005"]], package=packages["B50"], site=sites["CTY"], confirm=True)
    )

    customer = Customer.objects.get(number="PLG-0005")
    assert (customer.package, customer.site) == (packages["B50"], sites["CTY"])
    assert customer.history.filter(history_change_reason=BULK_CHANGE_REASON).count() == 1


def test_bulk_skips_customers_already_set(admin_client, customers, catalogue):
    _sites, packages = catalogue
    ticked = [customers["PLG-0001"], customers["PLG-0002"], customers["PLG-0003"]]
    before = customers["PLG-0001"].history.count()

    response = admin_client.post(
        BULK_URL, bulk_data(customers=ticked, package=packages["H20"], confirm=True), follow=True
    )

    assert messages_of(response) == [
        changed_message(2, "Paket: Home 20 Mbps"),
        "1 pelanggan sudah memiliki nilai ini dan dibiarkan seperti semula.",
    ]
    assert customers["PLG-0001"].history.count() == before
    assert packages_by_number()["PLG-0003"] == "H20"


def test_bulk_moves_updated_at(admin_client, customers, catalogue):
    _sites, packages = catalogue
    customer = customers["PLG-0002"]

    admin_client.post(BULK_URL, bulk_data(customers=[customer], package=packages["H10"], confirm=True))

    stored = Customer.objects.get(pk=customer.pk)
    assert stored.updated_at > customer.updated_at
    assert stored.history.first().history_date == stored.updated_at


def test_bulk_inactive_package_rejected(admin_client, customers, catalogue):
    _sites, packages = catalogue
    packages["B100"].is_active = False
    packages["B100"].save()

    response = admin_client.post(
        BULK_URL, bulk_data(customers=[customers["PLG-0002"]], package=packages["B100"], confirm=True)
    )

    assert response.status_code == 200
    assert packages_by_number()["PLG-0002"] is None


# ---------------------------------------------------------------------------
# Status


def test_bulk_page_shows_status_choice(admin_client, customers):
    response = admin_client.post(BULK_URL, bulk_data(customers=[customers["PLG-0002"]], status="suspended"))

    page = response.content.decode()
    assert '<label for="id_bulk-status">Atur status</label>' in page
    assert '<option value="suspended" selected>Isolir</option>' in page
    assert 'name="confirm"' in page
    assert statuses_by_number()["PLG-0002"] == "active"


def test_bulk_sets_status_on_ticked(admin_client, customers):
    ticked = [customers["PLG-0002"], customers["PLG-0004"]]

    response = admin_client.post(BULK_URL, bulk_data(customers=ticked, status="suspended", confirm=True), follow=True)

    assert messages_of(response) == [changed_message(2, "Status: Isolir")]
    assert statuses_by_number() == {
        "PLG-0001": "active", "PLG-0002": "suspended", "PLG-0003": "active", "PLG-0004": "suspended", "PLG-0005": "active",
    }
    assert packages_by_number()["PLG-0002"] is None
    assert sites_by_number()["PLG-0004"] == "BJG"


def test_bulk_status_message_english(admin_client, customers):
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(
        BULK_URL, bulk_data(customers=[customers["PLG-0003"]], status="inactive", confirm=True), follow=True
    )

    bulk_change = BulkChange.objects.get()
    assert messages_of(response) == [
        f'1 customer changed: Status: Inactive. <a href="/customers/bulk/changes/{bulk_change.pk}/undo/">'
        "Undo this bulk change</a>"
    ]


def test_bulk_status_all_matching_site(admin_client, customers, catalogue):
    sites, _packages = catalogue
    filters = {"site": str(sites["CBN"].pk)}

    response = admin_client.post(
        BULK_URL, bulk_data(all_matching=True, status="suspended", confirm=True, filters=filters), follow=True
    )

    assert response.redirect_chain == [(f"/customers/?site={sites['CBN'].pk}", 302)]
    assert messages_of(response) == [changed_message(3, "Status: Isolir")]
    assert statuses_by_number() == {
        "PLG-0001": "suspended", "PLG-0002": "suspended", "PLG-0003": "suspended", "PLG-0004": "active", "PLG-0005": "active",
    }


def test_bulk_reactivates_status_filter(admin_client, customers):
    Customer.objects.filter(number__in=["PLG-0002", "PLG-0005"]).update(status=Customer.Status.SUSPENDED)
    Customer.objects.filter(number="PLG-0003").update(status=Customer.Status.INACTIVE)

    response = admin_client.post(
        BULK_URL,
        bulk_data(all_matching=True, status="active", confirm=True, filters={"status": "suspended"}),
        follow=True,
    )

    assert response.redirect_chain == [("/customers/?status=suspended", 302)]
    assert messages_of(response) == [changed_message(2, "Status: Aktif")]
    assert statuses_by_number() == {
        "PLG-0001": "active", "PLG-0002": "active", "PLG-0003": "inactive", "PLG-0004": "active", "PLG-0005": "active",
    }


def test_bulk_sets_status_and_package(admin_client, admin_user, customers, catalogue):
    _sites, packages = catalogue
    Customer.objects.filter(number="PLG-0001").update(status=Customer.Status.SUSPENDED)
    ticked = [customers["PLG-0001"], customers["PLG-0002"], customers["PLG-0003"]]

    response = admin_client.post(
        BULK_URL, bulk_data(customers=ticked, package=packages["H20"], status="suspended", confirm=True), follow=True
    )

    # PLG-0001 has both values already, PLG-0002 and PLG-0003 lack both.
    assert messages_of(response) == [
        changed_message(2, "Paket: Home 20 Mbps · Status: Isolir"),
        "1 pelanggan sudah memiliki nilai ini dan dibiarkan seperti semula.",
    ]
    assert packages_by_number() == {
        "PLG-0001": "H20", "PLG-0002": "H20", "PLG-0003": "H20", "PLG-0004": None, "PLG-0005": None,
    }
    assert statuses_by_number() == {
        "PLG-0001": "suspended", "PLG-0002": "suspended", "PLG-0003": "suspended", "PLG-0004": "active", "PLG-0005": "active",
    }
    for number in ("PLG-0002", "PLG-0003"):
        assert customers[number].history.filter(history_change_reason=BULK_CHANGE_REASON).count() == 1, number
    assert customers["PLG-0001"].history.filter(history_change_reason=BULK_CHANGE_REASON).count() == 0


def test_bulk_status_with_package_partly_set(admin_client, customers, catalogue):
    """A customer with the chosen status but another package is changed, and counted once."""
    _sites, packages = catalogue
    Customer.objects.filter(number="PLG-0002").update(status=Customer.Status.SUSPENDED)

    response = admin_client.post(
        BULK_URL,
        bulk_data(customers=[customers["PLG-0002"]], package=packages["H30"], status="suspended", confirm=True),
        follow=True,
    )

    assert messages_of(response) == [changed_message(1, "Paket: Home 30 Mbps · Status: Isolir")]
    stored = Customer.objects.get(number="PLG-0002")
    assert (stored.package, stored.status) == (packages["H30"], "suspended")
    assert stored.history.filter(history_change_reason=BULK_CHANGE_REASON).count() == 1


def test_bulk_status_skips_same_status(admin_client, customers):
    Customer.objects.filter(number__in=["PLG-0001", "PLG-0003"]).update(status=Customer.Status.SUSPENDED)
    before = {number: customer.history.count() for number, customer in customers.items()}

    response = admin_client.post(BULK_URL, bulk_data(all_matching=True, status="suspended", confirm=True), follow=True)

    assert messages_of(response) == [
        changed_message(3, "Status: Isolir"),
        "2 pelanggan sudah memiliki nilai ini dan dibiarkan seperti semula.",
    ]
    assert BulkChange.objects.get().customer_count == 3
    for number in ("PLG-0001", "PLG-0003"):
        assert customers[number].history.count() == before[number], number
    for number in ("PLG-0002", "PLG-0004", "PLG-0005"):
        assert customers[number].history.count() == before[number] + 1, number


def test_bulk_status_history_row(admin_client, admin_user, customers):
    customer = customers["PLG-0004"]

    admin_client.post(BULK_URL, bulk_data(customers=[customer], status="inactive", confirm=True))

    latest = customer.history.order_by("-history_date", "-history_id").first()
    stored = Customer.objects.get(pk=customer.pk)
    assert customer.history.count() == 2
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    assert latest.history_change_reason == BULK_CHANGE_REASON
    assert latest.status == "inactive"
    assert stored.status == "inactive"
    assert latest.history_date == stored.updated_at
    page = admin_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "<li><strong>Status</strong>: Aktif → Nonaktif</li>" in page


def test_bulk_invalid_status_rejected(admin_client, customers):
    response = admin_client.post(
        BULK_URL, bulk_data(customers=[customers["PLG-0002"]], status="closed", confirm=True)
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Masukkan pilihan yang valid. closed bukan salah satu dari pilihan yang tersedia." in page
    assert statuses_by_number()["PLG-0002"] == "active"
    assert BulkChange.objects.count() == 0


def test_site_admin_status_stays_in_sites(site_admin_client, customers):
    response = site_admin_client.post(
        BULK_URL, bulk_data(all_matching=True, status="suspended", confirm=True), follow=True
    )

    assert messages_of(response) == [changed_message(3, "Status: Isolir")]
    assert statuses_by_number() == {
        "PLG-0001": "suspended", "PLG-0002": "suspended", "PLG-0003": "suspended", "PLG-0004": "active", "PLG-0005": "active",
    }


# ---------------------------------------------------------------------------
# Site admins


def test_site_admin_cannot_tick_other_site(site_admin_client, customers, catalogue):
    _sites, packages = catalogue
    other = customers["PLG-0004"]

    response = site_admin_client.post(
        BULK_URL, bulk_data(customers=[customers["PLG-0002"], other], package=packages["H10"], confirm=True)
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Masukkan pilihan yang valid. {other.pk} bukan salah satu dari pilihan yang tersedia." in page
    assert "Bojonggede" not in page
    assert packages_by_number()["PLG-0002"] is None
    assert packages_by_number()["PLG-0004"] is None


def test_site_admin_all_matching_stays_in_their_sites(site_admin_client, customers, catalogue):
    _sites, packages = catalogue

    response = site_admin_client.post(
        BULK_URL, bulk_data(all_matching=True, package=packages["B50"], confirm=True), follow=True
    )

    assert messages_of(response) == [changed_message(3, "Paket: Bisnis 50 Mbps")]
    assert packages_by_number() == {
        "PLG-0001": "B50", "PLG-0002": "B50", "PLG-0003": "B50", "PLG-0004": None, "PLG-0005": None,
    }


def test_site_admin_cannot_set_other_site(site_admin_client, customers, catalogue):
    sites, _packages = catalogue

    response = site_admin_client.post(
        BULK_URL, bulk_data(customers=[customers["PLG-0002"]], site=sites["BJG"], confirm=True)
    )

    page = response.content.decode()
    assert "Masukkan pilihan yang valid. Pilihan tersebut bukan salah satu dari pilihan yang tersedia." in page
    assert sites_by_number()["PLG-0002"] == "CBN"


def test_other_site_filter_changes_nothing(site_admin_client, customers, catalogue):
    """A site filter the user may not see matches no customer, as on the list."""
    sites, packages = catalogue
    before = packages_by_number()

    site_admin_client.post(
        BULK_URL,
        bulk_data(all_matching=True, package=packages["H30"], confirm=True, filters={"site": str(sites["BJG"].pk)}),
    )

    assert packages_by_number() == before


@pytest.mark.parametrize("confirm", [False, True])
def test_other_site_filter_returns_to_list(site_admin_client, customers, catalogue, confirm):
    sites, packages = catalogue
    before = packages_by_number()
    filters = {"site": str(sites["BJG"].pk), "q": "Budi"}

    response = site_admin_client.post(
        BULK_URL, bulk_data(all_matching=True, package=packages["H30"], confirm=confirm, filters=filters)
    )

    assert response.status_code == 302
    assert response["Location"] == f"/customers/?q=Budi&site={sites['BJG'].pk}"
    page = site_admin_client.get(response["Location"])
    assert messages_of(page) == [
        "Filter daftar tidak valid, jadi tidak ada pelanggan yang dipilih atau diubah. "
        "Perbaiki filter di daftar pelanggan, lalu pilih pelanggan lagi."
    ]
    assert "Masukkan pilihan yang valid." in page.content.decode()
    assert packages_by_number() == before


def test_other_site_filter_message_english(site_admin_client, customers, catalogue):
    sites, packages = catalogue
    site_admin_client.cookies["django_language"] = "en"

    response = site_admin_client.post(
        BULK_URL,
        bulk_data(all_matching=True, package=packages["H30"], filters={"site": str(sites["BJG"].pk)}),
        follow=True,
    )

    assert messages_of(response) == [
        "The filter of the list is not valid, so no customer was selected or changed. "
        "Fix the filter on the customer list, then select the customers again."
    ]
    assert "Select a valid choice. That choice is not one of the available choices." in response.content.decode()


# ---------------------------------------------------------------------------
# The service


def test_bulk_update_constant_queries(admin_user, catalogue, django_assert_max_num_queries):
    sites, packages = catalogue
    count = 2005
    Customer.objects.bulk_create(
        Customer(number=f"PLG-{index:05d}", name=f"Pelanggan {index}", name_key=f"pelanggan {index}", site=sites["CBN"])
        for index in range(count)
    )

    # The savepoint and its release inside the test's transaction, the
    # BulkChange insert and count, and the change: one statement on
    # PostgreSQL, three on SQLite.
    with django_assert_max_num_queries(7):
        bulk_change = customers_bulk_update(
            Customer.objects.incomplete(), {"package_id": packages["H10"].pk}, user=admin_user
        )

    assert bulk_change.customer_count == count
    assert Customer.objects.filter(package=packages["H10"]).count() == count
    assert Customer.history.filter(history_change_reason=BULK_CHANGE_REASON, history_user=admin_user).count() == count


def test_bulk_update_status_queries(admin_user, catalogue, django_assert_max_num_queries):
    sites, _packages = catalogue
    Customer.objects.bulk_create(
        Customer(number=f"PLG-{index:05d}", name=f"Pelanggan {index}", name_key=f"pelanggan {index}", site=sites["CBN"])
        for index in range(60)
    )

    with django_assert_max_num_queries(7):
        bulk_change = customers_bulk_update(Customer.objects.all(), {"status": "suspended"}, user=admin_user)

    assert bulk_change.customer_count == 60
    assert bulk_change.status == "suspended"
    assert Customer.objects.filter(status="suspended").count() == 60
    assert Customer.history.filter(history_change_reason=BULK_CHANGE_REASON, status="suspended").count() == 60


def test_bulk_update_rejects_other_fields(admin_user, customers):
    with pytest.raises(ValueError, match=r"Invalid bulk change \['name'\]"):
        customers_bulk_update(Customer.objects.all(), {"name": "X"}, user=admin_user)
