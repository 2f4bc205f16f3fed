"""Names mapped in review are remembered and matched on the next upload."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from customers.models import Customer, ImportBatch
from packages.models import PackageAlias
from sites.models import SiteAlias
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db


def upload(client, path):
    with open(path, "rb") as handle:
        client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    return ImportBatch.objects.order_by("-created_at").first()


def test_alias_learned_in_review(admin_client, sample_catalogue, tmp_path, admin_user):
    sites, packages = sample_catalogue
    path = write_workbook(tmp_path / "alias.xlsx", [
        ["Nama", "Alamat", "Site", "Paket"],
        ["Ani", "Jl. A 1", "POP Cibinong", "20M"],
        ["Bayu", "Jl. B 2", "POP Cibinong", "20M"],
    ])
    batch = upload(admin_client, path)
    assert [entry["value"] for entry in batch.summary["unmatched_packages"]] == ["20M"]
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert reverse("customers:batch-alias", args=[batch.pk]) in page

    admin_client.post(
        reverse("customers:batch-alias", args=[batch.pk]),
        {"kind": "package", "name": "20M", "target": packages["H20"].pk},
    )
    admin_client.post(
        reverse("customers:batch-alias", args=[batch.pk]),
        {"kind": "site", "name": "POP Cibinong", "target": sites["CBN"].pk},
    )

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["unmatched_packages"] == []
    assert batch.summary["unmatched_sites"] == []
    assert batch.incomplete_count == 0
    alias = PackageAlias.objects.get()
    assert (alias.name, alias.key, alias.package_id, alias.created_by) == ("20M", "20m", packages["H20"].pk, admin_user)

    second = upload(admin_client, write_workbook(tmp_path / "lagi.xlsx", [
        ["Nama", "Alamat", "Site", "Paket"], ["Cici", "Jl. C 3", "pop cibinong", "20 m"],
    ]))
    admin_client.post(reverse("customers:batch-confirm", args=[second.pk]))
    cici = Customer.objects.select_related("site", "package").get(name="Cici")
    assert (cici.site.code, cici.package.code) == ("CBN", "H20")


class AliasFormOptions(HTMLParser):
    """Collect (value, selected, text) of each option of the review's alias forms."""

    def __init__(self):
        super().__init__()
        self.options = []
        self._in_alias_form = False
        self._option = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("class") == "alias-form":
            self._in_alias_form = True
        elif tag == "option" and self._in_alias_form:
            self._option = [attributes["value"], "selected" in attributes, ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self.options.append(tuple(self._option))
            self._option = None
        elif tag == "form":
            self._in_alias_form = False


def alias_form_options(page):
    parser = AliasFormOptions()
    parser.feed(page)
    return parser.options


def test_alias_choice_starts_empty(admin_client, sample_catalogue, tmp_path):
    """A close name is only a hint. No choice starts selected, because one click would remember it for good."""
    sites, packages = sample_catalogue
    batch = upload(admin_client, write_workbook(tmp_path / "a.xlsx", [
        ["Nama", "Alamat", "Site", "Paket"], ["Ani", "Jl. A 1", "Cibinong Timur", "Home 25 Mbps"],
    ]))
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    assert batch.summary["unmatched_packages"][0]["suggestions"][0] == "Home 20 Mbps"
    assert alias_form_options(page) == [
        ("", True, "— choose a site —"),
        *[(str(site.pk), False, site.name) for site in sorted(sites.values(), key=lambda site: site.name)],
        ("", True, "— choose a package —"),
        *[(str(package.pk), False, package.name) for package in sorted(packages.values(), key=lambda package: package.name)],
    ]


def test_alias_needs_a_target(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "a.xlsx", [["Nama", "Paket"], ["Ani", "20M"]]))

    admin_client.post(reverse("customers:batch-alias", args=[batch.pk]), {"kind": "package", "name": "20M", "target": ""})

    assert PackageAlias.objects.count() == 0


@pytest.fixture
def site_admin_client(sample_catalogue, django_user_model):
    """A client of its own, logged in as a staff user who manages Cibinong only and may import."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    sites, _packages = sample_catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", is_staff=True)
    sites["CBN"].staff.add(user)
    user.user_permissions.add(Permission.objects.get(codename="import_customers"))
    client = Client()
    client.force_login(user)
    return client


def test_alias_only_for_listed_names(admin_client, sample_catalogue, tmp_path):
    _sites, packages = sample_catalogue
    batch = upload(admin_client, write_workbook(tmp_path / "a.xlsx", [["Nama", "Paket"], ["Ani", "20M"]]))

    admin_client.post(
        reverse("customers:batch-alias", args=[batch.pk]),
        {"kind": "package", "name": "Paket Lain", "target": packages["H20"].pk},
    )

    assert PackageAlias.objects.count() == 0


def test_site_admin_cannot_redirect_site_names(site_admin_client, admin_client, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    rows = [["Nama", "Alamat", "Site"], ["Asep", "Jl. A 1", "POP 2"]]
    own = upload(site_admin_client, write_workbook(tmp_path / "cbn.xlsx", rows))
    # The upload lands in Cibinong whatever its Site column holds, so no name is offered for mapping.
    assert own.site_id == sites["CBN"].pk
    assert own.summary["unmatched_sites"] == []

    site_admin_client.post(
        reverse("customers:batch-alias", args=[own.pk]),
        {"kind": "site", "name": "POP 2", "target": sites["CBN"].pk},
    )

    assert SiteAlias.objects.count() == 0
    later = upload(admin_client, write_workbook(tmp_path / "admin.xlsx", rows))
    assert [entry["value"] for entry in later.summary["unmatched_sites"]] == ["POP 2"]
