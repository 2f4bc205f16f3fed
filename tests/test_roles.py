"""Every URL of ebilling.urls, tried by every persona on objects of two sites.

The URLs are found by walking the URL resolver, so a new URL fails
test_every_url_is_classified until it gets a rule here. Personas: an admin,
a site admin of site A, a site admin of site B, a customer (portal user of
a customer of site A) and an anonymous visitor. Each URL with an object in
its path is tried with site A's object and with site B's. Besides the
status code, each response is searched for the names and numbers of the
sites the persona may not see.
"""

import io
import zipfile
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import NikReveal
from customers.models import (
    BulkChange,
    BulkChangeItem,
    Customer,
    CustomerExport,
    HeaderAlias,
    ImportBatch,
    ImportProblem,
)
from customers.services import customer_delete
from packages.models import PackageAlias, ServicePackage
from portal.models import ChangeRequest
from sites.models import Site, SiteAlias

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "customer", "site_admin_b", "site_admin_a", "admin")
SIDES = ("a", "b")

# What each site's objects are called. A persona that may not see a site
# must never receive any of these strings.
MARKERS = {
    "a": {
        "site": "Site Alfa",
        "number": "ALFA-0001",
        "name": "Anggun Alfarizi",
        "file": "unggahan-alfa.xlsx",
    },
    "b": {
        "site": "Site Beta",
        "number": "BETA-0001",
        "name": "Bambang Betawi",
        "file": "unggahan-beta.xlsx",
    },
}
NIKS = {"a": "3271010101800011", "b": "3271010101800022"}
CUSTOMER_PERMISSIONS = ("import_customers", "export_customers", "reveal_nik", "anonymise_customer")


# --- the URLs ------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern of the resolver: its full route text, name and parameters."""

    route: str
    name: str
    parameters: tuple


def walk_routes(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk_routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name
            if name and namespace:
                name = f"{namespace}:{name}"
            parameters = tuple(pattern.pattern.regex.groupindex)
            yield Route(prefix + str(pattern.pattern), name or f"<unnamed {prefix}{pattern.pattern}>", parameters)


ROUTES = list(walk_routes(get_resolver().url_patterns))


@dataclass(frozen=True)
class Rule:
    """How one URL is tried and what each persona gets.

    `access` is who may use it: "public", "staff", "admin", "regions"
    (staff and customers) or a permission of the customers app. `scope`
    names the fixture object in the URL ("customer", "batch", "export",
    "site", "package", "change_request", "staff_user", "header_alias",
    "site_alias", "package_alias", "bulk_change", "deleted_customer") or None.
    `allowed` is the status code a
    persona with access receives.
    """

    access: str
    allowed: int = 200
    method: str = "get"
    scope: str = None
    query: dict = None
    data: dict = None


RULES = {
    "home": Rule("public", allowed=302),
    "healthz": Rule("public"),
    "login": Rule("public"),
    "logout": Rule("public", allowed=405),
    "password-change": Rule("staff"),
    "set_language": Rule("public", allowed=302, method="post", data={"language": "id", "next": "/"}),
    "customers:list": Rule("staff"),
    "customers:export": Rule("customers.export_customers"),
    "customers:export-incomplete": Rule("customers.export_customers"),
    "customers:export-list": Rule("customers.export_customers"),
    "customers:export-detail": Rule("customers.export_customers", scope="export"),
    "customers:export-progress": Rule("customers.export_customers", scope="export"),
    "customers:export-download": Rule("customers.export_customers", scope="export"),
    "customers:export-retry": Rule("customers.export_customers", allowed=302, method="post", scope="export"),
    "customers:dashboard": Rule("staff"),
    "customers:bulk": Rule("staff", method="post"),
    "customers:bulk-list": Rule("staff"),
    "customers:bulk-undo": Rule("staff", scope="bulk_change"),
    # Without a selection the invitation page sends the user back to the list.
    "customers:bulk-invite": Rule("staff", allowed=302, method="post"),
    "customers:deleted": Rule("admin"),
    "customers:restore": Rule("admin", allowed=302, method="post", scope="deleted_customer"),
    "customers:add": Rule("staff"),
    "customers:edit": Rule("staff", scope="customer"),
    "customers:delete": Rule("admin", scope="customer"),
    "customers:upload": Rule("customers.import_customers"),
    "customers:template": Rule("customers.import_customers"),
    "customers:batch-list": Rule("staff"),
    "customers:batch-detail": Rule("staff", scope="batch"),
    "customers:batch-progress": Rule("staff", scope="batch"),
    "customers:batch-confirm": Rule("customers.import_customers", allowed=302, method="post", scope="batch"),
    "customers:batch-cancel": Rule("customers.import_customers", allowed=302, method="post", scope="batch"),
    "customers:batch-problems": Rule("customers.import_customers", scope="batch"),
    "customers:batch-nik-reveal": Rule("customers.reveal_nik", method="post", scope="batch"),
    "customers:batch-retry": Rule("customers.import_customers", allowed=302, method="post", scope="batch"),
    "customers:batch-undo": Rule("customers.import_customers", scope="batch"),
    "customers:batch-alias": Rule(
        "customers.import_customers", allowed=302, method="post", scope="batch", data={"kind": "package"}
    ),
    "customers:batch-columns": Rule("customers.import_customers", allowed=302, method="post", scope="batch"),
    "customers:batch-sheet": Rule("customers.import_customers", allowed=302, method="post", scope="batch"),
    "customers:header-alias-list": Rule("admin"),
    "customers:header-alias-delete": Rule("admin", allowed=302, method="post", scope="header_alias"),
    "customers:name-alias-list": Rule("customers.import_customers"),
    "customers:site-alias-delete": Rule("customers.import_customers", allowed=302, method="post", scope="site_alias"),
    "customers:package-alias-delete": Rule("admin", allowed=302, method="post", scope="package_alias"),
    "audit:nik-reveal": Rule("customers.reveal_nik", method="post", scope="customer"),
    "audit:customer-anonymise": Rule("customers.anonymise_customer", scope="customer"),
    "sites:list": Rule("staff"),
    "sites:create": Rule("admin"),
    "sites:edit": Rule("admin", scope="site"),
    "staff:list": Rule("admin"),
    "staff:create": Rule("admin"),
    "staff:edit": Rule("admin", scope="staff_user"),
    "packages:list": Rule("staff"),
    "packages:create": Rule("admin"),
    "packages:edit": Rule("admin", scope="package"),
    "regions:provinces": Rule("regions"),
    "regions:regencies": Rule("regions", query={"province": "32"}),
    "regions:districts": Rule("regions", query={"regency": "32.01"}),
    "regions:villages": Rule("regions", query={"district": "32.01.01"}),
    "regions:map": Rule("staff"),
    "regions:map-points": Rule("staff"),
    "portal:staff-customer-link": Rule("staff", scope="customer"),
    "portal:staff-requests": Rule("staff"),
    "portal:staff-request-approve": Rule("staff", allowed=302, method="post", scope="change_request"),
    "portal:staff-request-reject": Rule("staff", allowed=302, method="post", scope="change_request"),
}

# Customer portal pages: a customer's own pages, not staff pages. The
# portal's tests try them with two customers.
PORTAL_CUSTOMER_URLS = {
    "portal:home",
    "portal:login",
    "portal:logout",
    "portal:password-forgot",
    "portal:password-change",
    "portal:link",
    "portal:profile",
    "portal:request-new",
    "portal:request-package",
    "portal:request-cancel",
}

ADMIN_SITE_PREFIX = "django-admin/"


def is_admin_site(route):
    return route.route.startswith(ADMIN_SITE_PREFIX)


def test_every_url_is_classified():
    unclassified = [
        route.name
        for route in ROUTES
        if not is_admin_site(route) and route.name not in RULES and route.name not in PORTAL_CUSTOMER_URLS
    ]

    assert unclassified == []


def test_rules_name_existing_urls():
    names = {route.name for route in ROUTES}

    assert sorted(set(RULES) - names) == []
    assert sorted(PORTAL_CUSTOMER_URLS - names) == []


# --- the world ---------------------------------------------------------------


@pytest.fixture
def world(db, django_user_model):
    """Two sites with a site admin, a customer, a finished import batch, a
    finished export, a change request, a learned column name, a remembered
    Site name, a remembered Paket name and a bulk change of its customer
    each."""
    package = ServicePackage.objects.create(
        name="Home 10", code="H10", download_mbps=10, upload_mbps=5, monthly_price=150_000
    )
    objects = {"package": {"a": package, "b": package}}
    users = {}

    admin = django_user_model.objects.create_user(username="pusat", is_staff=True, is_superuser=True)
    users["admin"] = admin
    for side in SIDES:
        markers = MARKERS[side]
        site = Site.objects.create(name=markers["site"], code=f"S{side.upper()}")
        site_admin = django_user_model.objects.create_user(username=f"admin-{side}", is_staff=True)
        site.staff.add(site_admin)
        site_admin.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="customers", codename__in=CUSTOMER_PERMISSIONS)
        )
        users[f"site_admin_{side}"] = site_admin

        batch = ImportBatch.objects.create(
            created_by=site_admin,
            file_name=markers["file"],
            file_sha256=side * 64,
            site=site,
            state=ImportBatch.State.DONE,
            rows_read=1,
            created_count=1,
            problem_count=1,
        )
        ImportProblem.objects.create(
            batch=batch, row=3, column="ID Pelanggan", value=markers["number"], code="example_skipped"
        )
        customer = Customer.objects.create(
            number=markers["number"],
            name=markers["name"],
            phone="+6281234567" + ("801" if side == "a" else "802"),
            nik=NIKS[side],
            address=f"Jl. {markers['site']} 1",
            site=site,
            package=package,
            import_batch=batch,
        )
        change_request = ChangeRequest.objects.create(
            customer=customer, field=ChangeRequest.Field.PHONE, new_value="+6281399990000"
        )
        export = CustomerExport(
            created_by=site_admin,
            state=CustomerExport.State.DONE,
            format=CustomerExport.Format.CSV,
            rows_done=1,
            rows_total=1,
            file_name="pelanggan-20250105.csv",
            site_ids=[site.pk],
        )
        export.file.save(f"{side * 32}.csv", ContentFile(f"{markers['number']},{markers['name']}\n".encode()))
        objects["export"] = {**objects.get("export", {}), side: export}
        objects["site"] = {**objects.get("site", {}), side: site}
        objects["batch"] = {**objects.get("batch", {}), side: batch}
        objects["customer"] = {**objects.get("customer", {}), side: customer}
        objects["change_request"] = {**objects.get("change_request", {}), side: change_request}
        objects["staff_user"] = {**objects.get("staff_user", {}), side: site_admin}
        header_alias = HeaderAlias.objects.create(name=f"Kontak {side}", key=f"kontak{side}", field="phone")
        objects["header_alias"] = {**objects.get("header_alias", {}), side: header_alias}
        site_alias = SiteAlias.objects.create(site=site, name=f"POP {side}", key=f"pop{side}", created_by=site_admin)
        objects["site_alias"] = {**objects.get("site_alias", {}), side: site_alias}
        package_alias = PackageAlias.objects.create(
            package=package, name=f"Paket {side}", key=f"paket{side}", created_by=site_admin
        )
        objects["package_alias"] = {**objects.get("package_alias", {}), side: package_alias}
        bulk_change = BulkChange.objects.create(
            created_by=site_admin, created_at=timezone.now(), package=package, customer_count=1
        )
        BulkChangeItem.objects.create(bulk_change=bulk_change, customer=customer, old_package=None, old_site=site)
        objects["bulk_change"] = {**objects.get("bulk_change", {}), side: bulk_change}
        removed = Customer.objects.create(number=f"HAPUS-{side}", name=f"Terhapus {side}", site=site)
        customer_delete(removed.pk, by=site_admin)
        # The restore URL takes the id of the deletion's history row.
        deletion = Customer.history.get(id=removed.pk, history_type="-")
        objects["deleted_customer"] = {**objects.get("deleted_customer", {}), side: deletion}

    customer_user = django_user_model.objects.create_user(username="customer-alfa")
    objects["customer"]["a"].user = customer_user
    objects["customer"]["a"].save(update_fields=["user"])
    users["customer"] = customer_user
    users["anonymous"] = None
    return objects, users


def client_for(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


# --- the matrix --------------------------------------------------------------


def url_of(route, rule, objects, side):
    kwargs = {}
    if rule.scope is not None:
        obj = objects[rule.scope][side]
        kwargs = {name: obj.pk for name in route.parameters}
    return reverse(route.name, kwargs=kwargs)


def expected_status(rule, persona, side):
    """Return the status code `persona` should get for `rule` on `side`'s object."""
    if rule.access == "public":
        if rule.allowed == 200 and persona != "anonymous" and rule is RULES["login"]:
            # The login page sends a logged-in user on to their start page.
            return 302
        return rule.allowed
    if persona == "anonymous":
        return 302
    if rule.access == "regions" and persona == "customer":
        return rule.allowed
    if persona == "customer":
        return 404
    if rule.access == "admin":
        return rule.allowed if persona == "admin" else 404
    if persona == "admin":
        return rule.allowed
    own_side = persona[-1]
    if rule.scope in ("customer", "batch", "export", "site", "site_alias", "change_request", "bulk_change") and side != own_side:
        return 404
    return rule.allowed


def forbidden_sides(persona):
    """Return the sides whose names `persona` must never receive."""
    if persona == "admin":
        return ()
    if persona.startswith("site_admin_"):
        own_side = persona[-1]
        return tuple(side for side in SIDES if side != own_side)
    if persona == "customer":
        # The customer's own record is site A's, but staff pages show them nothing.
        return ("b",)
    return SIDES


def response_text(response):
    """Return what a response shows: HTML or JSON text, or every cell of a workbook."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):
        workbook = load_workbook(io.BytesIO(body), read_only=True)
        cells = []
        for sheet in workbook.worksheets:
            cells.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                cells.extend(str(value) for value in row if value is not None)
        return "\n".join(cells)
    return body.decode("utf-8", errors="replace")


def send(client, route, rule, objects, side):
    url = url_of(route, rule, objects, side)
    # Each request runs in a savepoint rolled back afterwards, so every
    # persona meets the same objects whatever an earlier POST changed.
    with transaction.atomic():
        if rule.method == "post":
            response = client.post(url, rule.data or {})
        else:
            response = client.get(url, rule.query or {})
        text = response_text(response)
        transaction.set_rollback(True)
    return url, response, text


APP_ROUTES = [route for route in ROUTES if not is_admin_site(route) and route.name not in PORTAL_CUSTOMER_URLS]


@pytest.mark.parametrize("route", APP_ROUTES, ids=lambda route: route.name)
def test_url_for_every_persona(client, world, route):
    assert route.name in RULES, f"{route.route} has no rule in RULES"
    rule = RULES[route.name]
    objects, users = world
    sides = SIDES if rule.scope else ("a",)

    for persona in PERSONAS:
        for side in sides:
            client_for(client, users[persona])
            url, response, text = send(client, route, rule, objects, side)
            case = f"{persona} {rule.method.upper()} {url}"

            assert response.status_code == expected_status(rule, persona, side), case
            if persona == "anonymous" and rule.access != "public":
                assert response["Location"].startswith("/login/?next="), case
            for hidden_side in forbidden_sides(persona):
                for kind, marker in MARKERS[hidden_side].items():
                    assert marker not in text, f"{case} shows {kind} {marker!r}"
            if route.name != "audit:nik-reveal":
                for nik in NIKS.values():
                    assert nik not in text, f"{case} shows a full NIK"


ADMIN_SITE_ROUTES = [route for route in ROUTES if is_admin_site(route)]


def admin_site_url(route, users):
    """Return a concrete URL for a Django admin route."""
    if route.name == "admin:app_list":
        return reverse(route.name, kwargs={"app_label": "auth"})
    if route.parameters == ("url",):
        return "/django-admin/no-such-page/"
    path = "/" + route.route
    values = {"object_id": str(users["site_admin_a"].pk), "id": str(users["site_admin_a"].pk), "content_type_id": "1"}
    for name in route.parameters:
        path = path.replace(f"<path:{name}>", values[name]).replace(f"<{name}>", values[name])
    return path


@pytest.mark.parametrize("route", ADMIN_SITE_ROUTES, ids=lambda route: route.name)
def test_admin_site_only_for_admins(client, world, route):
    """The Django admin does not limit anything to a site, so everyone but
    admins is sent to its login page, the only page they get."""
    _objects, users = world
    url = admin_site_url(route, users)

    for persona in PERSONAS:
        client_for(client, users[persona])
        with transaction.atomic():
            response = client.get(url)
            transaction.set_rollback(True)
        case = f"{persona} GET {url}"

        if persona == "admin":
            assert response.status_code < 500, case
        elif route.name == "admin:login":
            assert response.status_code == 200, case
        elif route.name == "admin:logout":
            assert response.status_code == 302, case
            assert response["Location"] == "/django-admin/", case
        else:
            assert response.status_code == 302, case
            assert response["Location"].startswith("/django-admin/login/"), case
        if persona != "admin":
            text = response.content.decode("utf-8", errors="replace")
            for side in SIDES:
                for marker in MARKERS[side].values():
                    assert marker not in text, case


# --- permissions -------------------------------------------------------------


PERMISSION_URLS = [
    ("customers.import_customers", "customers:upload", "get", None),
    ("customers.import_customers", "customers:template", "get", None),
    ("customers.import_customers", "customers:batch-confirm", "post", "batch"),
    ("customers.import_customers", "customers:batch-cancel", "post", "batch"),
    ("customers.import_customers", "customers:batch-problems", "get", "batch"),
    ("customers.import_customers", "customers:batch-retry", "post", "batch"),
    ("customers.import_customers", "customers:batch-undo", "get", "batch"),
    ("customers.import_customers", "customers:batch-alias", "post", "batch"),
    ("customers.import_customers", "customers:batch-columns", "post", "batch"),
    ("customers.import_customers", "customers:batch-sheet", "post", "batch"),
    ("customers.import_customers", "customers:name-alias-list", "get", None),
    ("customers.import_customers", "customers:site-alias-delete", "post", "site_alias"),
    ("customers.export_customers", "customers:export", "get", None),
    ("customers.export_customers", "customers:export-incomplete", "get", None),
    ("customers.export_customers", "customers:export-list", "get", None),
    ("customers.export_customers", "customers:export-detail", "get", "export"),
    ("customers.export_customers", "customers:export-progress", "get", "export"),
    ("customers.export_customers", "customers:export-download", "get", "export"),
    ("customers.export_customers", "customers:export-retry", "post", "export"),
    ("customers.reveal_nik", "audit:nik-reveal", "post", "customer"),
    ("customers.reveal_nik", "customers:batch-nik-reveal", "post", "batch"),
    ("customers.anonymise_customer", "audit:customer-anonymise", "get", "customer"),
]


@pytest.mark.parametrize(("permission", "name", "method", "scope"), PERMISSION_URLS, ids=[row[1] for row in PERMISSION_URLS])
def test_site_admin_without_permission_gets_403(client, world, django_user_model, permission, name, method, scope):
    objects, _users = world
    plain = django_user_model.objects.create_user(username="admin-a-plain", is_staff=True)
    objects["site"]["a"].staff.add(plain)
    client.force_login(plain)
    kwargs = {"pk": objects[scope]["a"].pk} if scope else {}

    response = getattr(client, method)(reverse(name, kwargs=kwargs))

    assert response.status_code == 403


@pytest.mark.parametrize(("permission", "name", "method", "scope"), PERMISSION_URLS, ids=[row[1] for row in PERMISSION_URLS])
def test_permission_through_group_allows(client, world, django_user_model, permission, name, method, scope):
    objects, _users = world
    user = django_user_model.objects.create_user(username="admin-a-group", is_staff=True)
    objects["site"]["a"].staff.add(user)
    group = Group.objects.create(name="Admin Site")
    app_label, codename = permission.split(".")
    group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    user.groups.add(group)
    if scope == "batch":
        # A site admin may open only the batches they uploaded.
        ImportBatch.objects.filter(pk=objects["batch"]["a"].pk).update(created_by=user)
    if scope == "export":
        # A site admin may open only the exports they requested.
        CustomerExport.objects.filter(pk=objects["export"]["a"].pk).update(created_by=user)
    client.force_login(user)
    kwargs = {"pk": objects[scope]["a"].pk} if scope else {}

    response = getattr(client, method)(reverse(name, kwargs=kwargs))

    assert response.status_code in (200, 302)


def test_admin_by_permission_has_every_right(client, world, django_user_model):
    """A staff user with "sites.access_all_sites" is an admin without being a superuser."""
    objects, _users = world
    user = django_user_model.objects.create_user(username="pusat-2", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_all_sites"))
    client.force_login(user)

    export = client.get(reverse("customers:export"))
    reveal = client.post(reverse("audit:nik-reveal", kwargs={"pk": objects["customer"]["b"].pk}))

    assert export.status_code == 200
    assert reveal.status_code == 200


# --- site scope of uploads -----------------------------------------------------


def test_site_admin_with_one_site_has_it_chosen(client, world):
    _objects, users = world
    client.force_login(users["site_admin_a"])

    page = client.get(reverse("customers:upload")).content.decode()

    assert '<option value="" selected>' not in page
    assert "Site Alfa" in page
    assert "Site Beta" not in page
    assert "Kosongkan jika file berisi pelanggan dari beberapa site." not in page
    assert "— kolom Site di setiap baris —" not in page


def test_site_admin_with_two_sites_must_choose(client, world):
    objects, users = world
    objects["site"]["b"].staff.add(users["site_admin_a"])
    client.force_login(users["site_admin_a"])

    page = client.get(reverse("customers:upload")).content.decode()
    with open_sample() as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})

    assert "— pilih site —" in page
    assert response.status_code == 200
    assert ImportBatch.objects.filter(file_name="pelanggan-contoh.xlsx").count() == 0
    assert "Bidang ini tidak boleh kosong." in response.content.decode()


def test_site_admin_upload_lands_in_their_site(client, world):
    """The sample's Site column names other sites; every row is bound to site A."""
    objects, users = world
    client.force_login(users["site_admin_a"])

    with open_sample() as handle:
        response = client.post(
            reverse("customers:upload"), {"file": handle, "mode": "create", "site": objects["site"]["b"].pk}
        )
    rejected_other_site = response.status_code
    with open_sample() as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})

    batch = ImportBatch.objects.get(file_name="pelanggan-contoh.xlsx")
    assert rejected_other_site == 200
    assert response.status_code == 302
    assert batch.site == objects["site"]["a"]
    assert batch.state == ImportBatch.State.REVIEW
    # Seven of the eight rows name a site in their Site column; PLG-0006 names none.
    assert batch.problems.filter(kind=ImportProblem.Kind.CONFLICT).count() == 7

    client.post(reverse("customers:batch-confirm", kwargs={"pk": batch.pk}))

    saved = Customer.objects.filter(number__startswith="PLG-")
    assert saved.count() == 8
    assert set(saved.values_list("site", flat=True)) == {objects["site"]["a"].pk}


def open_sample():
    from tests.importing_helpers import SAMPLE_XLSX

    return open(SAMPLE_XLSX, "rb")


# --- NIK reveal ----------------------------------------------------------------


def test_nik_reveal_shows_and_records(client, world):
    objects, users = world
    customer = objects["customer"]["a"]
    client.force_login(users["site_admin_a"])

    edit_page = client.get(reverse("customers:edit", kwargs={"pk": customer.pk})).content.decode()
    response = client.post(reverse("audit:nik-reveal", kwargs={"pk": customer.pk}))

    reveal = NikReveal.objects.get()
    assert "Tampilkan NIK" in edit_page
    assert NIKS["a"] not in edit_page
    assert NIKS["a"] in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert (reveal.user, reveal.username, reveal.customer, reveal.customer_number) == (
        users["site_admin_a"], "admin-a", customer, "ALFA-0001"
    )


def test_nik_reveal_needs_post(client, world):
    objects, users = world
    client.force_login(users["admin"])

    response = client.get(reverse("audit:nik-reveal", kwargs={"pk": objects["customer"]["a"].pk}))

    assert response.status_code == 405
    assert NikReveal.objects.count() == 0


def test_reveal_button_hidden_without_permission(client, world, django_user_model):
    objects, _users = world
    plain = django_user_model.objects.create_user(username="admin-a-plain", is_staff=True)
    objects["site"]["a"].staff.add(plain)
    client.force_login(plain)

    page = client.get(reverse("customers:edit", kwargs={"pk": objects["customer"]["a"].pk})).content.decode()

    assert "Tampilkan NIK" not in page
    assert "Anonimkan" not in page


def test_export_shows_no_full_nik(client, world):
    _objects, users = world
    client.force_login(users["admin"])

    xlsx = response_text(client.get(reverse("customers:export")))
    csv_text = response_text(client.get(reverse("customers:export"), {"format": "csv"}))

    for text in (xlsx, csv_text):
        assert NIKS["a"] not in text
        assert "************0011" in text
        assert "************0022" in text


def test_import_history_of_site_admin(client, world):
    objects, users = world
    client.force_login(users["site_admin_b"])

    page = client.get(reverse("customers:batch-list")).content.decode()

    assert "unggahan-beta.xlsx" in page
    assert "unggahan-alfa.xlsx" not in page


def test_response_text_reads_export(client, world):
    """response_text reads workbooks, so the matrix sees the rows of an export."""
    _objects, users = world
    client.force_login(users["site_admin_a"])

    response = client.get(reverse("customers:export"))
    body = b"".join(response.streaming_content)

    assert zipfile.is_zipfile(io.BytesIO(body))
    assert "ALFA-0001" in response_text(client.get(reverse("customers:export")))
