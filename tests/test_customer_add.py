"""Adding one customer by hand: the page, its rights, the generated ID
Pelanggan, possible duplicates, the history entry and the unique race."""

import re

import pytest
from django.utils import translation

from customers import services
from customers.adding import CustomerNumberTaken, customer_create
from customers.forms import CustomerAddForm
from customers.models import Customer
from sites.models import Site
from tests.importing_helpers import run_import, write_workbook

pytestmark = pytest.mark.django_db

ADD_URL = "/customers/new/"
NIK_BUDI = "3201011203900001"


@pytest.fixture
def catalogue(sample_catalogue):
    return sample_catalogue


@pytest.fixture
def customers(catalogue):
    """Budi in Cibinong and Siti in Bojonggede."""
    sites, packages = catalogue
    return {
        "PLG-0001": Customer.objects.create(
            number="PLG-0001", name="Budi Santoso", phone="+6281234567890", nik=NIK_BUDI,
            address="Jl. Mawar 5", site=sites["CBN"], package=packages["H20"],
        ),
        "PLG-0002": Customer.objects.create(
            number="PLG-0002", name="Siti Rahmawati", phone="+6281311112222",
            address="Jl. Melati 2", site=sites["BJG"], package=packages["H10"],
        ),
    }


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def admin(english, admin_user):
    english.force_login(admin_user)
    return english


@pytest.fixture
def site_admin_user(django_user_model, catalogue):
    """Staff user limited to the Cibinong site."""
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", password="rahasia-cbn-123", is_staff=True)
    sites["CBN"].staff.add(user)
    return user


@pytest.fixture
def site_admin(english, site_admin_user):
    english.force_login(site_admin_user)
    return english


def add_data(**values):
    """Return the add form's POST data: a name, no site, and the Save button."""
    data = {
        "number": "",
        "name": "Rina Marlina",
        "phone": "",
        "email": "",
        "nik": "",
        "address": "",
        "street": "",
        "site": "",
        "package": "",
        "status": "active",
        "installed_on": "",
        "latitude": "",
        "longitude": "",
        "postal_code": "",
        "save": "",
    }
    data.update(values)
    return data


def field_errors(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def site_choices(response):
    return [(str(value), label) for value, label in response.context["form"].fields["site"].choices]


# ---------------------------------------------------------------------------
# Page, button and rights


def test_list_shows_add_button_to_admin(admin, customers):
    page = admin.get("/customers/").content.decode()

    assert (
        '<div class="center toolbar-main"><a class="button upload" href="/customers/upload/">UPLOAD</a>\n'
        '    <a class="button" id="customer-add" href="/customers/new/">Add customer</a></div>'
    ) in page


def test_site_admin_sees_add_button(site_admin, customers):
    page = site_admin.get("/customers/").content.decode()

    # A site admin without the upload right still adds customers one by one.
    assert (
        '<div class="center toolbar-main">\n'
        '    <a class="button" id="customer-add" href="/customers/new/">Add customer</a></div>'
    ) in page


def test_admin_page_offers_active_sites(admin, catalogue):
    sites, _packages = catalogue
    Site.objects.create(code="OLD", name="Depok Lama", is_active=False)

    response = admin.get(ADD_URL)

    assert response.status_code == 200
    assert "<h1>Add customer</h1>" in response.content.decode()
    assert site_choices(response) == [
        ("", "No site"),
        (str(sites["BJG"].pk), "Bojonggede"),
        (str(sites["CBN"].pk), "Cibinong"),
        (str(sites["CTY"].pk), "Citayam"),
    ]
    assert response.context["form"]["site"].value() is None


def test_site_admin_page_offers_own_site(site_admin, catalogue):
    sites, _packages = catalogue

    response = site_admin.get(ADD_URL)

    assert response.status_code == 200
    assert site_choices(response) == [(str(sites["CBN"].pk), "Cibinong")]
    assert response.context["form"]["site"].value() == sites["CBN"].pk


def test_site_admin_chooses_among_sites(site_admin, site_admin_user, catalogue):
    sites, _packages = catalogue
    sites["CTY"].staff.add(site_admin_user)
    Site.objects.create(code="OLD", name="Depok Lama", is_active=False).staff.add(site_admin_user)

    response = site_admin.get(ADD_URL)

    assert site_choices(response) == [
        ("", "Choose a site"),
        (str(sites["CBN"].pk), "Cibinong"),
        (str(sites["CTY"].pk), "Citayam"),
    ]
    assert response.context["form"]["site"].value() is None


def test_foreign_site_rejected_for_site_admin(site_admin, catalogue):
    sites, _packages = catalogue

    response = site_admin.post(ADD_URL, add_data(site=sites["BJG"].pk))

    assert response.status_code == 200
    assert field_errors(response, "site") == ["Select a valid choice. That choice is not one of the available choices."]
    assert not Customer.objects.exists()


def test_site_admin_must_choose_site(site_admin, catalogue):
    response = site_admin.post(ADD_URL, add_data(site=""))

    assert response.status_code == 200
    assert field_errors(response, "site") == ["This field is required."]
    assert not Customer.objects.exists()


def test_non_staff_user_gets_404(client, django_user_model, catalogue):
    user = django_user_model.objects.create_user(username="pelanggan", password="rahasia-pelanggan-1")
    client.force_login(user)

    assert client.get(ADD_URL).status_code == 404
    assert client.post(ADD_URL, add_data()).status_code == 404
    assert not Customer.objects.exists()


def test_anonymous_redirected_to_login(client, db):
    response = client.get(ADD_URL)

    assert response.status_code == 302
    assert response.url == f"/login/?next={ADD_URL}"


# ---------------------------------------------------------------------------
# Saving


def test_save_opens_edit_page(admin, catalogue):
    sites, packages = catalogue

    response = admin.post(
        ADD_URL,
        add_data(
            number="PLG-0100",
            name="  Rina   Marlina ",
            phone="0812 9999 8888",
            nik="3201014405900002",
            address="Jl. Kenanga 9",
            site=sites["CBN"].pk,
            package=packages["H20"].pk,
            latitude="-6,4812",
            longitude="106,8421",
        ),
        follow=True,
    )

    customer = Customer.objects.get()
    assert response.redirect_chain == [(f"/customers/{customer.pk}/", 302)]
    assert [str(message) for message in response.context["messages"]] == ["Customer PLG-0100 added."]
    assert customer.number == "PLG-0100"
    assert customer.name == "Rina Marlina"
    assert customer.phone == "+6281299998888"
    assert customer.nik == "3201014405900002"
    assert customer.site == sites["CBN"]
    assert customer.package == packages["H20"]
    assert str(customer.latitude) == "-6.481200"
    assert str(customer.longitude) == "106.842100"


def test_future_date_saved_with_warning(admin, catalogue):
    response = admin.post(ADD_URL, add_data(installed_on="05/01/2099"), follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Customer PLG-0001 added.",
        "The installation date 05/01/2099 is still in the future. Check the year if the customer is already installed.",
    ]
    assert Customer.objects.get().installed_on.isoformat() == "2099-01-05"


def test_cell_rules_apply_as_on_edit(admin, catalogue):
    response = admin.post(ADD_URL, add_data(phone="12345", nik="320101120390"))

    assert response.status_code == 200
    assert field_errors(response, "phone") == [
        "“12345” is not a valid phone number. Write it like 0812-3456-7890."
    ]
    assert field_errors(response, "nik") == ["NIK “320101120390” has 12 digits, but a NIK has 16 digits. Check it against the KTP."]
    assert not Customer.objects.exists()


def test_blank_id_gets_importer_number(admin, catalogue, tmp_path):
    sites, _packages = catalogue
    Customer.objects.create(number="PLG-0041", name="Lama", site=sites["CBN"])
    Customer.objects.create(number="X-9000", name="Lain", site=sites["CBN"])

    admin.post(ADD_URL, add_data(name="Rina Marlina"))
    workbook = tmp_path / "tanpa-id.xlsx"
    write_workbook(workbook, [["Nama", "No HP"], ["Joko Widodo", "0813 1234 5678"]])
    exit_code, result, stderr = run_import(workbook)

    assert exit_code == 0, stderr
    assert result["created"] == 1
    assert Customer.objects.get(name="Rina Marlina").number == "PLG-0042"
    # The importer continues the same series.
    assert Customer.objects.get(name="Joko Widodo").number == "PLG-0043"


@pytest.mark.parametrize(
    ("typed", "folded"),
    [("plg-0001", "plg-0001"), ("ＰＬＧ－０００１", "PLG-0001"), ("PLG\u20100001", "PLG-0001"), ("PLG-0001", "PLG-0001")],
)
def test_duplicate_id_rejected_in_any_form(admin, customers, typed, folded):
    response = admin.post(ADD_URL, add_data(number=typed))

    assert response.status_code == 200
    assert field_errors(response, "number") == [
        f"Customer ID “{folded}” is already used by PLG-0001 (Budi Santoso). "
        "Enter another ID, or leave it blank to get a new one."
    ]
    assert Customer.objects.count() == 2


def test_id_owner_hidden_from_site_admin(site_admin, customers, catalogue):
    sites, _packages = catalogue

    response = site_admin.post(ADD_URL, add_data(number="plg-0002", site=sites["CBN"].pk))

    assert field_errors(response, "number") == [
        "Customer ID “plg-0002” is already in use. Enter another ID, or leave it blank to get a new one."
    ]
    assert "Siti" not in response.content.decode()
    assert Customer.objects.count() == 2


def test_save_and_add_another_keeps_site(admin, catalogue):
    sites, _packages = catalogue

    response = admin.post(ADD_URL, add_data(name="Rina Marlina", site=sites["CTY"].pk, save_add=""), follow=True)

    assert response.redirect_chain == [(f"{ADD_URL}?site={sites['CTY'].pk}", 302)]
    assert [str(message) for message in response.context["messages"]] == ["Customer PLG-0001 added."]
    form = response.context["form"]
    assert form["site"].value() == sites["CTY"].pk
    assert form["name"].value() == ""
    assert form["number"].value() == ""
    assert Customer.objects.get().site == sites["CTY"]


def test_add_another_ignores_foreign_site(site_admin, catalogue):
    sites, _packages = catalogue

    response = site_admin.get(f"{ADD_URL}?site={sites['BJG'].pk}")

    assert response.context["form"]["site"].value() == sites["CBN"].pk


def test_history_records_creation_by_user(site_admin, site_admin_user, catalogue):
    sites, _packages = catalogue

    site_admin.post(ADD_URL, add_data(site=sites["CBN"].pk))

    customer = Customer.objects.get()
    [record] = customer.history.all()
    assert record.history_type == "+"
    assert record.history_user == site_admin_user
    page = site_admin.get(f"/customers/{customer.pk}/").content.decode()
    section = page[page.index('<section class="card history">'):]
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>(.*?)</td>\s*<td>\s*(.*?)\s*</td>\s*</tr>", section, flags=re.S)
    assert rows == [("admin-cbn", "Created")]


# ---------------------------------------------------------------------------
# Possible duplicates


def duplicate_rows(response):
    """Return the rows of the possible-duplicates table as lists of cell texts."""
    page = response.content.decode()
    if 'id="possible-duplicates"' not in page:
        return []
    section = page[page.index('id="possible-duplicates"'):page.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)[1:]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)] for row in rows]


def test_shared_phone_needs_tick(admin, customers):
    data = add_data(phone="0812-3456-7890")

    warned = admin.post(ADD_URL, data)
    ticked = admin.post(ADD_URL, {**data, "save_anyway": str(customers["PLG-0001"].pk)})

    assert warned.status_code == 200
    assert duplicate_rows(warned) == [["PLG-0001", "Budi Santoso", "Cibinong", "Phone / WhatsApp"]]
    assert field_errors(warned, "save_anyway") == [
        "Tick “Save anyway” to add this customer beside the customers above, or correct the phone number or NIK."
    ]
    assert f'name="save_anyway" id="id_save_anyway" value="{customers["PLG-0001"].pk}"' in warned.content.decode()
    assert ticked.status_code == 302
    assert Customer.objects.filter(name="Rina Marlina", phone="+6281234567890").count() == 1


def test_tick_covers_only_shown_customers(admin, customers):
    # A tick given for Siti's phone does not cover Budi, whose phone is typed now.
    data = add_data(phone="0812-3456-7890", save_anyway=str(customers["PLG-0002"].pk))

    response = admin.post(ADD_URL, data)

    assert response.status_code == 200
    assert duplicate_rows(response) == [["PLG-0001", "Budi Santoso", "Cibinong", "Phone / WhatsApp"]]
    assert Customer.objects.count() == 2


def test_same_person_nik_needs_tick(admin, customers):
    data = add_data(name="Budi Santoso", nik=NIK_BUDI, phone="0812-3456-7890")

    warned = admin.post(ADD_URL, data)
    ticked = admin.post(ADD_URL, {**data, "save_anyway": str(customers["PLG-0001"].pk)})

    assert duplicate_rows(warned) == [["PLG-0001", "Budi Santoso", "Cibinong", "Phone / WhatsApp, NIK"]]
    assert ticked.status_code == 302
    assert Customer.objects.filter(nik=NIK_BUDI).count() == 2


def test_nik_of_other_name_rejected(admin, customers):
    data = add_data(nik=NIK_BUDI, save_anyway=str(customers["PLG-0001"].pk))

    response = admin.post(ADD_URL, data)

    assert response.status_code == 200
    assert field_errors(response, "nik") == [
        "NIK “************0001” already belongs to PLG-0001 (Budi Santoso) under another name. "
        "One NIK belongs to one person: check the NIK or the name."
    ]
    assert Customer.objects.count() == 2


def test_duplicates_limited_to_own_sites(site_admin, customers, catalogue):
    sites, _packages = catalogue

    response = site_admin.post(ADD_URL, add_data(phone="0813-1111-2222", site=sites["CBN"].pk))

    # Siti's phone, but Siti is in Bojonggede, which this site admin does not manage.
    assert response.status_code == 302
    assert Customer.objects.filter(phone="+6281311112222").count() == 2


# ---------------------------------------------------------------------------
# The same ID or phone stored after the form was validated


def validated_form(user, **values):
    form = CustomerAddForm(add_data(**values), user=user)
    assert form.is_valid(), form.errors
    return form


def test_id_stored_meanwhile_rejected(admin_user, customers):
    form = validated_form(admin_user, number="PLG-0500")
    Customer.objects.create(number="PLG-0500", name="Andi Wijaya")

    customer = form.save_customer(by=admin_user)

    assert customer is None
    assert form.errors["number"] == [
        "ID Pelanggan “PLG-0500” sudah dipakai oleh PLG-0500 (Andi Wijaya). "
        "Masukkan ID lain, atau kosongkan agar dibuatkan ID baru."
    ]
    # The failed insert ran in a savepoint, so later queries of the transaction still run.
    assert Customer.objects.count() == 3


def test_double_submit_saves_once(admin_user, customers):
    """A double click sends the add form twice. Both are validated before
    either is saved, so the second save must find the first customer."""
    first = validated_form(admin_user, phone="0857-1234-5678")
    second = validated_form(admin_user, phone="0857-1234-5678")

    saved = first.save_customer(by=admin_user)
    again = second.save_customer(by=admin_user)

    assert saved.number == "PLG-0003"
    assert again is None
    with translation.override("en"):
        assert second.errors["save_anyway"] == [
            "Tick “Save anyway” to add this customer beside the customers above, or correct the phone number or NIK."
        ]
    assert [duplicate.number for duplicate in second.possible_duplicates] == ["PLG-0003"]
    assert second.duplicate_ids() == str(saved.pk)
    assert Customer.objects.filter(phone="+6285712345678").count() == 1


def test_double_submit_by_name_saves_once(admin_user, catalogue):
    """With only a name there is no possible duplicate to find, so the
    second save must recognise the page by its token."""
    first = validated_form(admin_user, form_token="token-add")
    second = validated_form(admin_user, form_token="token-add")

    saved = first.save_customer(by=admin_user)
    again = second.save_customer(by=admin_user)

    assert saved.number == "PLG-0001"
    assert again is None
    assert second.earlier_submission.customer == saved
    assert Customer.objects.filter(name="Rina Marlina").count() == 1


def test_double_submit_opens_first_customer(admin, catalogue):
    data = add_data(form_token="token-add")

    admin.post(ADD_URL, data)
    response = admin.post(ADD_URL, data, follow=True)

    customer = Customer.objects.get()
    assert response.redirect_chain == [(f"/customers/{customer.pk}/", 302)]
    # The browser drops the first response, so its message shows with the second one's.
    assert [str(message) for message in response.context["messages"]] == [
        "Customer PLG-0001 added.",
        "Customer PLG-0001 was already added with this form, so it was not added again.",
    ]


def test_double_add_another_opens_empty_form(admin, catalogue):
    sites, _packages = catalogue
    data = add_data(form_token="token-add", site=sites["CBN"].pk, save_add="")
    del data["save"]

    admin.post(ADD_URL, data)
    response = admin.post(ADD_URL, data)

    assert response.status_code == 302
    assert response["Location"] == f"{ADD_URL}?site={sites['CBN'].pk}"
    assert Customer.objects.count() == 1


def test_resent_form_of_deleted_customer(admin, admin_user, catalogue):
    data = add_data(form_token="token-add")
    admin.post(ADD_URL, data, follow=True)
    services.customer_delete(Customer.objects.get().pk, by=admin_user)

    response = admin.post(ADD_URL, data, follow=True)

    assert response.redirect_chain == [("/customers/", 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "This form was already saved, and the customer it added was deleted since, so nothing was added."
    ]
    assert Customer.objects.count() == 0


def test_failed_save_keeps_token_usable(admin_user, customers):
    """A save that is rejected releases the page's token, so the corrected
    form can still be saved."""
    form = validated_form(admin_user, number="PLG-0500", form_token="token-add")
    Customer.objects.create(number="PLG-0500", name="Andi Wijaya")
    assert form.save_customer(by=admin_user) is None

    corrected = validated_form(admin_user, number="PLG-0501", form_token="token-add")
    customer = corrected.save_customer(by=admin_user)

    assert customer.number == "PLG-0501"
    assert corrected.earlier_submission is None


def test_add_page_carries_token(admin, catalogue):
    page = admin.get(ADD_URL).content.decode()

    token = re.search(r'<input type="hidden" name="form_token" value="([^"]+)"', page).group(1)
    assert len(token) == 22
    assert token != re.search(r'name="form_token" value="([^"]+)"', admin.get(ADD_URL).content.decode()).group(1)


def test_ticked_add_rechecks_duplicates(admin_user, customers):
    """A tick covers the duplicates shown, not a third customer with the
    same phone stored after the form was validated."""
    budi = customers["PLG-0001"]
    form = validated_form(admin_user, phone="0812-3456-7890", save_anyway=str(budi.pk))
    other = Customer.objects.create(number="PLG-0500", name="Andi Wijaya", phone="+6281234567890")

    customer = form.save_customer(by=admin_user)

    assert customer is None
    assert [duplicate.number for duplicate in form.possible_duplicates] == ["PLG-0001", "PLG-0500"]
    assert form.duplicate_ids() == f"{budi.pk},{other.pk}"
    assert Customer.objects.filter(phone="+6281234567890").count() == 2


def test_ticked_add_saves_when_unchanged(admin_user, customers):
    budi = customers["PLG-0001"]
    form = validated_form(admin_user, phone="0812-3456-7890", save_anyway=str(budi.pk))

    customer = form.save_customer(by=admin_user)

    assert customer.number == "PLG-0003"
    assert Customer.objects.filter(phone="+6281234567890").count() == 2


def test_id_in_other_case_stored_meanwhile(admin_user, customers):
    form = validated_form(admin_user, number="PLG-0500")
    Customer.objects.create(number="plg-0500", name="Andi Wijaya")

    with pytest.raises(CustomerNumberTaken) as taken:
        customer_create(form.save(commit=False), by=admin_user)

    assert taken.value.owner.number == "plg-0500"
    assert Customer.objects.count() == 3
