"""The staff accounts screen: admins make admins and site admins, and no one else can open it."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from ebilling.access import has_staff_permission, is_admin, visible_sites
from sites.staff import RIGHTS, Role, staff_save

pytestmark = pytest.mark.django_db

PASSWORD = "Rahasia-Staf-2026"
ALL_RIGHTS = list(RIGHTS)


@pytest.fixture
def english(client):
    """Show the screens in English, the language these tests assert."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def customers(sample_catalogue):
    sites, _packages = sample_catalogue
    return {
        "CBN": Customer.objects.create(number="PLG-0001", name="Budi Santoso", site=sites["CBN"]),
        "BJG": Customer.objects.create(number="PLG-0002", name="Sri Wahyuni", site=sites["BJG"]),
    }


def staff_data(**overrides):
    """Return the POST data of a valid new site admin, changed by `overrides`."""
    data = {
        "username": "admin-cbn",
        "full_name": "Dewi Lestari",
        "email": "",
        "role": "site_admin",
        "sites": [],
        "rights": [],
        "is_active": "on",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def make_site_admin(django_user_model, site, username="admin-cbn", password=PASSWORD):
    user = django_user_model.objects.create_user(username=username, password=password, is_staff=True)
    site.staff.add(user)
    return user


def make_permission_admin(django_user_model, username="pusat-2"):
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="sites", codename="access_all_sites"))
    return user


def fresh(user):
    """Return the user read again, without the permission cache of the old instance."""
    return get_user_model().objects.get(pk=user.pk)


def direct_rights(user):
    codenames = user.user_permissions.filter(content_type__app_label="customers").values_list("codename", flat=True)
    return {f"customers.{codename}" for codename in codenames}


# --- creating a site admin -------------------------------------------------------


def test_created_site_admin_sees_own_site(admin_client, sample_catalogue, customers, client):
    sites, _packages = sample_catalogue

    response = admin_client.post(
        reverse("staff:create"), staff_data(sites=[sites["CBN"].pk], rights=["customers.import_customers"])
    )

    user = get_user_model().objects.get(username="admin-cbn")
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert user.is_staff is True
    assert user.is_superuser is False
    assert user.get_full_name() == "Dewi Lestari"
    assert list(user.managed_sites.all()) == [sites["CBN"]]
    assert is_admin(user) is False
    assert list(visible_sites(user)) == [sites["CBN"]]

    client.logout()
    login = client.post(reverse("login"), {"username": "admin-cbn", "password": PASSWORD})
    page = client.get(reverse("customers:list")).content.decode()

    assert login.status_code == 302
    assert "PLG-0001" in page
    assert "Budi Santoso" in page
    assert "PLG-0002" not in page
    assert "Sri Wahyuni" not in page


def test_create_shows_success_message(admin_client, english, sample_catalogue):
    sites, _packages = sample_catalogue

    response = admin_client.post(reverse("staff:create"), staff_data(sites=[sites["CBN"].pk]), follow=True)

    assert [str(message) for message in response.context["messages"]] == ["Staff user admin-cbn saved."]


@pytest.mark.parametrize("right", ALL_RIGHTS)
def test_one_right_grants_only_it(admin_client, sample_catalogue, right):
    sites, _packages = sample_catalogue

    admin_client.post(reverse("staff:create"), staff_data(sites=[sites["CBN"].pk], rights=[right]))

    user = fresh(get_user_model().objects.get(username="admin-cbn"))
    assert direct_rights(user) == {right}
    for other in ALL_RIGHTS:
        assert has_staff_permission(user, other) is (other == right), other


def test_rights_edited_exactly(admin_client, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    user = make_site_admin(django_user_model, sites["CBN"])
    user.user_permissions.add(
        Permission.objects.get(codename="import_customers"), Permission.objects.get(codename="reveal_nik")
    )
    view_site = Permission.objects.get(content_type__app_label="sites", codename="view_site")
    user.user_permissions.add(view_site)
    chosen = ["customers.export_customers", "customers.reveal_nik"]

    response = admin_client.post(
        reverse("staff:edit", args=[user.pk]),
        staff_data(password1="", password2="", sites=[sites["CBN"].pk, sites["BJG"].pk], rights=chosen),
    )

    user = fresh(user)
    assert response.status_code == 302
    assert direct_rights(user) == set(chosen)
    assert user.user_permissions.filter(pk=view_site.pk).exists()
    assert set(user.managed_sites.all()) == {sites["CBN"], sites["BJG"]}
    assert user.check_password(PASSWORD)


def test_edit_form_ticks_current_rights(admin_client, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    user = make_site_admin(django_user_model, sites["CBN"])
    user.user_permissions.add(Permission.objects.get(codename="export_customers"))

    form = admin_client.get(reverse("staff:edit", args=[user.pk])).context["form"]

    assert form["role"].value() == "site_admin"
    assert form["rights"].value() == ["customers.export_customers"]
    assert form["sites"].value() == [sites["CBN"].pk]


def test_site_admin_needs_a_site(admin_client, english, sample_catalogue):
    response = admin_client.post(reverse("staff:create"), staff_data())

    assert response.status_code == 200
    assert response.context["form"].errors["sites"] == ["Choose at least one site for a site admin."]
    assert not get_user_model().objects.filter(username="admin-cbn").exists()


def test_admin_role_ignores_sites_and_rights(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue

    admin_client.post(
        reverse("staff:create"),
        staff_data(username="pusat-2", role="admin", sites=[sites["CBN"].pk], rights=ALL_RIGHTS),
    )

    user = fresh(get_user_model().objects.get(username="pusat-2"))
    assert is_admin(user) is True
    assert user.is_superuser is False
    assert user.managed_sites.count() == 0
    assert direct_rights(user) == set()
    assert user.has_perm("sites.access_all_sites") is True
    assert visible_sites(user).count() == 3


def test_username_taken_any_case(admin_client, english, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    make_site_admin(django_user_model, sites["BJG"], username="Budi")

    response = admin_client.post(reverse("staff:create"), staff_data(username="budi", sites=[sites["CBN"].pk]))

    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["A user with that username already exists."]
    assert get_user_model().objects.filter(username__iexact="budi").count() == 1


def test_username_taken_in_full_width(admin_client, english, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    make_site_admin(django_user_model, sites["BJG"], username="budi")

    response = admin_client.post(reverse("staff:create"), staff_data(username="ＢＵＤＩ", sites=[sites["CBN"].pk]))

    assert response.context["form"].errors["username"] == ["A user with that username already exists."]
    assert list(get_user_model().objects.filter(username__iexact="budi").values_list("username", flat=True)) == [
        "budi"
    ]


PORTAL_PREFIX_EN = "Usernames starting with “customer-” are reserved for customers' portal accounts. Choose another username."
PORTAL_PREFIX_ID = "Nama pengguna yang diawali “customer-” khusus untuk akun portal pelanggan. Pilih nama pengguna lain."


@pytest.mark.parametrize("username", ["customer-1", "Customer-7", "CUSTOMER-admin", "ｃｕｓｔｏｍｅｒ-9"])
def test_username_portal_prefix_rejected(admin_client, english, sample_catalogue, username):
    sites, _packages = sample_catalogue

    response = admin_client.post(reverse("staff:create"), staff_data(username=username, sites=[sites["CBN"].pk]))

    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [PORTAL_PREFIX_EN]
    assert not get_user_model().objects.filter(username__istartswith="customer").exists()


def test_username_portal_prefix_in_indonesian(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue

    response = admin_client.post(reverse("staff:create"), staff_data(username="customer-1", sites=[sites["CBN"].pk]))

    assert response.context["form"].errors["username"] == [
        "Nama pengguna yang diawali “customer-” khusus untuk akun portal pelanggan. Pilih nama pengguna lain."
    ]


def test_username_like_prefix_accepted(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue

    for username in ("customer", "customer_service", "cs-customer-1"):
        admin_client.post(reverse("staff:create"), staff_data(username=username, sites=[sites["CBN"].pk]))

    created = get_user_model().objects.filter(is_staff=True, is_superuser=False).values_list("username", flat=True)
    assert sorted(created) == ["cs-customer-1", "customer", "customer_service"]


def test_rename_to_portal_prefix_rejected(admin_client, english, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    user = make_site_admin(django_user_model, sites["CBN"])

    response = admin_client.post(
        reverse("staff:edit", args=[user.pk]),
        staff_data(username="Customer-5", sites=[sites["CBN"].pk], password1="", password2=""),
    )

    assert response.context["form"].errors["username"] == [PORTAL_PREFIX_EN]
    assert fresh(user).username == "admin-cbn"


def test_older_prefixed_staff_still_editable(admin_client, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    user = make_site_admin(django_user_model, sites["CBN"], username="customer-care")

    response = admin_client.post(
        reverse("staff:edit", args=[user.pk]),
        staff_data(username="customer-care", sites=[sites["CBN"].pk], is_active=None, password1="", password2=""),
    )

    assert response.status_code == 302
    assert fresh(user).is_active is False


@pytest.mark.parametrize("username", ["customer-1", "Customer-Admin"])
def test_createsuperuser_rejects_portal_prefix(db, username):
    with pytest.raises(CommandError) as raised:
        call_command("createsuperuser", "--noinput", f"--username={username}", "--email=", stdout=StringIO())

    # Commands speak the default language, as the screens do.
    assert str(raised.value) == PORTAL_PREFIX_ID
    assert not get_user_model().objects.exists()


def test_createsuperuser_accepts_other_names(db):
    call_command("createsuperuser", "--noinput", "--username=pusat", "--email=", stdout=StringIO())

    assert list(get_user_model().objects.values_list("username", "is_superuser")) == [("pusat", True)]


def test_django_admin_rejects_prefixed_staff(admin_client, english, django_user_model):
    user = django_user_model.objects.create_user(username="customer-99", password=PASSWORD)
    data = {
        "username": "customer-99", "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "is_staff": "on", "date_joined_0": "2026-01-05", "date_joined_1": "08:00:00",
    }

    response = admin_client.post(f"/django-admin/auth/user/{user.pk}/change/", data)
    renamed = admin_client.post(f"/django-admin/auth/user/{user.pk}/change/", {**data, "username": "teknisi-99"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [PORTAL_PREFIX_EN]
    assert renamed.status_code == 302
    assert (fresh(user).username, fresh(user).is_staff) == ("teknisi-99", True)


# --- passwords -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Rk-7", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("83920174650", "This password is entirely numeric."),
        # The form's Full name is stored in first_name, which Django's message would name.
        ("Dewi-Lestari", "The password is too similar to the full name."),
        ("admin-cbn-99", "The password is too similar to the username."),
    ],
)
def test_password_validators_reject(admin_client, english, sample_catalogue, password, message):
    sites, _packages = sample_catalogue

    response = admin_client.post(
        reverse("staff:create"), staff_data(sites=[sites["CBN"].pk], password1=password, password2=password)
    )

    assert response.status_code == 200
    assert message in response.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(username="admin-cbn").exists()


def test_password_typed_twice_must_match(admin_client, english, sample_catalogue):
    sites, _packages = sample_catalogue

    response = admin_client.post(
        reverse("staff:create"), staff_data(sites=[sites["CBN"].pk], password2=PASSWORD + "x")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["The two passwords do not match. Type the same password in both fields."]
    assert not get_user_model().objects.filter(username="admin-cbn").exists()


def test_new_user_needs_password(admin_client, english, sample_catalogue):
    sites, _packages = sample_catalogue

    response = admin_client.post(
        reverse("staff:create"), staff_data(sites=[sites["CBN"].pk], password1="", password2="")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"] == ["This field is required."]


def test_edit_sets_new_password(admin_client, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    user = make_site_admin(django_user_model, sites["CBN"])
    new_password = "Baru-Sekali-2026"

    admin_client.post(
        reverse("staff:edit", args=[user.pk]),
        staff_data(sites=[sites["CBN"].pk], password1=new_password, password2=new_password),
    )

    assert fresh(user).check_password(new_password)


def test_edit_validates_new_password(admin_client, english, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    user = make_site_admin(django_user_model, sites["CBN"])

    response = admin_client.post(
        reverse("staff:edit", args=[user.pk]), staff_data(sites=[sites["CBN"].pk], password1="1234", password2="1234")
    )

    assert response.status_code == 200
    assert "This password is entirely numeric." in response.context["form"].errors["password2"]
    assert fresh(user).check_password(PASSWORD)


def test_own_new_password_keeps_session(admin_client, admin_user):
    new_password = "Baru-Sekali-2026"

    response = admin_client.post(
        reverse("staff:edit", args=[admin_user.pk]),
        staff_data(username="admin", role="admin", password1=new_password, password2=new_password),
    )

    assert response.status_code == 302
    assert fresh(admin_user).check_password(new_password)
    assert admin_client.get(reverse("staff:list")).status_code == 200


# --- roles and self-protection -------------------------------------------------------


def test_admin_cannot_demote_self(admin_client, english, sample_catalogue, admin_user):
    sites, _packages = sample_catalogue

    response = admin_client.post(
        reverse("staff:edit", args=[admin_user.pk]),
        staff_data(username="admin", sites=[sites["CBN"].pk], password1="", password2=""),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [
        "You cannot make yourself a site admin. Ask another admin to do it."
    ]
    assert fresh(admin_user).is_superuser is True
    assert admin_user.managed_sites.count() == 0


def test_admin_cannot_deactivate_self(client, english, django_user_model):
    admin = make_permission_admin(django_user_model)
    client.force_login(admin)

    response = client.post(
        reverse("staff:edit", args=[admin.pk]),
        staff_data(username="pusat-2", role="admin", is_active=None, password1="", password2=""),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["is_active"] == ["You cannot deactivate your own account."]
    assert fresh(admin).is_active is True
    assert is_admin(fresh(admin)) is True


def test_admin_demotes_other_admin(client, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    editor = make_permission_admin(django_user_model, username="pusat-1")
    other = make_permission_admin(django_user_model, username="pusat-2")
    client.force_login(editor)

    response = client.post(
        reverse("staff:edit", args=[other.pk]),
        staff_data(
            username="pusat-2",
            sites=[sites["BJG"].pk],
            rights=["customers.export_customers"],
            password1="",
            password2="",
        ),
    )

    other = fresh(other)
    assert response.status_code == 302
    assert is_admin(other) is False
    assert list(visible_sites(other)) == [sites["BJG"]]
    assert has_staff_permission(other, "customers.export_customers") is True
    assert has_staff_permission(other, "customers.import_customers") is False


def test_demoted_editor_cannot_save(sample_catalogue, django_user_model):
    """An editor demoted by another admin while their form was open cannot save it."""
    sites, _packages = sample_catalogue
    editor = make_permission_admin(django_user_model, username="pusat-1")
    other = make_permission_admin(django_user_model, username="pusat-2")
    assert is_admin(editor) is True
    editor.user_permissions.clear()

    with pytest.raises(PermissionDenied):
        staff_save(other, editor=editor, role=Role.SITE_ADMIN, sites=[sites["BJG"]], rights=[])

    assert is_admin(fresh(other)) is True


def test_superuser_demotes_superuser(admin_client, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    other = django_user_model.objects.create_user(username="root-2", is_staff=True, is_superuser=True)

    admin_client.post(
        reverse("staff:edit", args=[other.pk]),
        staff_data(username="root-2", sites=[sites["CBN"].pk], password1="", password2=""),
    )

    other = fresh(other)
    assert other.is_superuser is False
    assert is_admin(other) is False
    assert list(visible_sites(other)) == [sites["CBN"]]


def test_superuser_edit_page_hidden_from_admin(client, english, django_user_model, admin_user):
    """Setting a superuser's password would make a non-superuser admin one."""
    editor = make_permission_admin(django_user_model)
    client.force_login(editor)

    page = client.get(reverse("staff:list")).content.decode()
    row = page[page.index(f'<tr id="staff-{admin_user.pk}">'):]
    row = row[: row.index("</tr>")]

    assert '<td data-label="Role">Admin</td>' in row
    assert "/staff/" not in row
    assert client.get(reverse("staff:edit", args=[admin_user.pk])).status_code == 404
    response = client.post(
        reverse("staff:edit", args=[admin_user.pk]),
        staff_data(username="admin", role="admin", password1=PASSWORD, password2=PASSWORD),
    )
    assert response.status_code == 404
    assert fresh(admin_user).check_password("rahasia-admin-123")


def test_admin_through_group_not_demoted(admin_client, english, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue
    user = django_user_model.objects.create_user(username="pusat-grup", is_staff=True)
    group = Group.objects.create(name="Pusat")
    group.permissions.add(Permission.objects.get(codename="access_all_sites"))
    user.groups.add(group)

    response = admin_client.post(
        reverse("staff:edit", args=[user.pk]),
        staff_data(username="pusat-grup", sites=[sites["CBN"].pk], password1="", password2=""),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [
        "This user is an admin through a group. Remove them from it in the Django admin first."
    ]
    assert is_admin(fresh(user)) is True


# --- the list ------------------------------------------------------------------------


def test_list_shows_roles_sites_rights(admin_client, english, sample_catalogue, django_user_model, admin_user):
    sites, _packages = sample_catalogue
    site_admin = make_site_admin(django_user_model, sites["CBN"])
    site_admin.first_name = "Dewi Lestari"
    site_admin.is_active = False
    site_admin.save()
    site_admin.user_permissions.add(Permission.objects.get(codename="reveal_nik"))

    page = admin_client.get(reverse("staff:list")).content.decode()

    admin_row = page[page.index(f'<tr id="staff-{admin_user.pk}">'):]
    admin_row = admin_row[: admin_row.index("</tr>")]
    site_admin_row = page[page.index(f'<tr id="staff-{site_admin.pk}">'):]
    site_admin_row = site_admin_row[: site_admin_row.index("</tr>")]
    assert "<h1>Staff</h1>" in page
    assert 'href="/staff/new/"' in page
    assert '<td data-label="Username">admin</td>' in admin_row
    assert '<td data-label="Role">Admin</td>' in admin_row
    assert "All sites" in admin_row
    assert "All rights" in admin_row
    assert f'<a href="/staff/{admin_user.pk}/">Edit</a>' in admin_row
    assert '<td data-label="Username">admin-cbn</td>' in site_admin_row
    assert '<td data-label="Full name">Dewi Lestari</td>' in site_admin_row
    assert '<td data-label="Role">Site admin</td>' in site_admin_row
    assert '<td data-label="Sites">Cibinong</td>' in site_admin_row
    assert '<td data-label="Rights">Can see a customer&#x27;s full NIK</td>' in site_admin_row
    assert "Inactive" in site_admin_row
    assert "Never" in site_admin_row


def test_list_queries_independent_of_users(
    admin_client, sample_catalogue, django_user_model, django_assert_num_queries
):
    sites, _packages = sample_catalogue
    first = make_site_admin(django_user_model, sites["CBN"], username="admin-1")
    first.user_permissions.add(Permission.objects.get(codename="export_customers"))
    admin_client.get(reverse("staff:list"))
    with CaptureQueriesContext(connection) as one_site_admin:
        admin_client.get(reverse("staff:list"))
    for number in range(2, 6):
        user = make_site_admin(django_user_model, sites["BJG"], username=f"admin-{number}")
        user.user_permissions.add(Permission.objects.get(codename="reveal_nik"))

    with django_assert_num_queries(len(one_site_admin)):
        page = admin_client.get(reverse("staff:list")).content.decode()

    assert "admin-5" in page


def test_list_leaves_out_customers(admin_client, django_user_model):
    portal_user = django_user_model.objects.create_user(username="customer-1", is_staff=True)
    Customer.objects.create(number="PLG-0001", name="Budi Santoso", user=portal_user)
    django_user_model.objects.create_user(username="customer-2")

    page = admin_client.get(reverse("staff:list")).content.decode()

    assert "customer-1" not in page
    assert "customer-2" not in page
    assert admin_client.get(reverse("staff:edit", args=[portal_user.pk])).status_code == 404


def test_menu_links_staff_for_admins(admin_client, english, client, sample_catalogue, django_user_model):
    sites, _packages = sample_catalogue

    admin_page = admin_client.get(reverse("customers:list")).content.decode()
    client.force_login(make_site_admin(django_user_model, sites["CBN"]))
    site_admin_page = client.get(reverse("customers:list")).content.decode()

    assert '<a href="/staff/">Staff</a>' in admin_page
    assert 'href="/staff/"' not in site_admin_page


# --- who gets 404 ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["site_admin", "customer"])
def test_staff_pages_404_for_others(client, sample_catalogue, django_user_model, admin_user, persona):
    sites, _packages = sample_catalogue
    if persona == "site_admin":
        user = make_site_admin(django_user_model, sites["CBN"])
        codenames = [right.split(".")[1] for right in ALL_RIGHTS]
        rights = Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)
        user.user_permissions.add(*rights)
    else:
        user = django_user_model.objects.create_user(username="customer-1", password=PASSWORD)
        Customer.objects.create(number="PLG-0001", name="Budi Santoso", site=sites["CBN"], user=user)
    client.force_login(user)
    data = staff_data(username="penyusup", role="admin")

    statuses = {
        "list": client.get(reverse("staff:list")).status_code,
        "create": client.get(reverse("staff:create")).status_code,
        "create post": client.post(reverse("staff:create"), data).status_code,
        "edit own": client.get(reverse("staff:edit", args=[user.pk])).status_code,
        "edit admin": client.post(reverse("staff:edit", args=[admin_user.pk]), data).status_code,
    }

    assert statuses == dict.fromkeys(statuses, 404)
    assert not get_user_model().objects.filter(username="penyusup").exists()
    assert is_admin(fresh(user)) is False


def test_staff_form_in_indonesian(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue
    data = staff_data(sites=[sites["CBN"].pk], password2="Rahasia-Lain-2026")

    page = admin_client.post(reverse("staff:create"), data).content.decode()

    assert "Kedua kata sandi tidak sama. Ketik kata sandi yang sama di kedua kolom." in page
    assert "Ketik kata sandi sekali lagi untuk memastikannya." in page
    assert '<label for="id_password2">Ulangi kata sandi</label>' in page
    # Django's own Indonesian catalog uses "sandi" without "kata".
    assert not re.search(r"(?<!kata )(?<!Kata )\bsandi\b", page, re.IGNORECASE)
    assert not get_user_model().objects.filter(username="admin-cbn").exists()


def test_username_help_text_indonesian(admin_client):
    page = admin_client.get(reverse("staff:create")).content.decode()

    assert "Paling banyak 150 karakter: huruf, angka dan @ . + - _" in page
    assert "150 karakter atau sedikit" not in page


def test_username_help_text_english(admin_client, english):
    page = admin_client.get(reverse("staff:create")).content.decode()

    assert "At most 150 characters: letters, digits and @ . + - _" in page
    assert "150 characters or fewer" not in page


def test_staff_password_help_omits_portal_rules(admin_client, english, django_user_model):
    site_admin = django_user_model.objects.create_user(username="admin-cbn", password=PASSWORD, is_staff=True)
    pages = {
        "new": admin_client.get(reverse("staff:create")).content.decode(),
        "edit": admin_client.get(reverse("staff:edit", args=[site_admin.pk])).content.decode(),
    }

    for name, page in pages.items():
        assert "<li>The password must not be a commonly used password.</li>" in page, name
        assert "Your password must not contain your customer ID or phone number." not in page, name


def test_staff_password_rules_avoid_your(admin_client, english, django_user_model):
    # The admin sets another user's password here, so no rule may address the reader as "your".
    site_admin = django_user_model.objects.create_user(username="admin-cbn", password=PASSWORD, is_staff=True)
    pages = {
        "new": admin_client.get(reverse("staff:create")).content.decode(),
        "edit": admin_client.get(reverse("staff:edit", args=[site_admin.pk])).content.decode(),
    }

    for name, page in pages.items():
        rules = re.findall(r"<li>([^<]*password[^<]*)</li>", page)
        assert rules == [
            "The password must not be too similar to the name, e-mail address or other data of the account.",
            "The password must contain at least 8 characters.",
            "The password must not be a commonly used password.",
            "The password must not consist of digits only.",
        ], name
