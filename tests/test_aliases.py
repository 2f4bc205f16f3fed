"""Names mapped in review are remembered and matched on the next upload,
and listed on a page where admins remove them after a confirmation."""

import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Customer, ImportBatch
from packages.models import PackageAlias
from sites.models import SiteAlias
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db

ADDED_AT = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=ZoneInfo("Asia/Jakarta"))


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
        ["Nama", "Alamat", "Site", "Paket"], ["Ani", "Jl. A 1", "Cibinong Timur", "Home 20 Mbp"],
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


def test_remembered_message_links_list(admin_client, sample_catalogue, tmp_path):
    _sites, packages = sample_catalogue
    batch = upload(admin_client, write_workbook(tmp_path / "a.xlsx", [["Nama", "Paket"], ["Ani", "20M"]]))
    admin_client.cookies["django_language"] = "en"

    response = admin_client.post(
        reverse("customers:batch-alias", args=[batch.pk]),
        {"kind": "package", "name": "20M", "target": packages["H20"].pk},
        follow=True,
    )

    assert [str(message) for message in response.context["messages"]] == [
        "From now on, 20M means Home 20 Mbps. The file is being checked again. "
        f'<a href="{reverse("customers:name-alias-list")}">Remembered site and package names</a>'
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


# --- the page of remembered names ----------------------------------------------


class TableRows(HTMLParser):
    """Collect the text of each cell of the rows of the table with id `table_id`, keyed by row id."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id = table_id
        self.rows = {}
        self._in_table = False
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id") == self.table_id:
            self._in_table = True
        elif tag == "tr" and self._in_table and "id" in attributes:
            self._row = self.rows.setdefault(attributes["id"], [])
        elif tag == "td" and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._in_table = False


def table_rows(page, table_id):
    parser = TableRows(table_id)
    parser.feed(page)
    return parser.rows


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def names(sample_catalogue, admin_user):
    """A remembered Site name for Cibinong and one for Bojonggede, and a remembered Paket name."""
    sites, packages = sample_catalogue
    cibinong = SiteAlias.objects.create(site=sites["CBN"], name="POP Cbn", key="popcbn", created_by=admin_user)
    bojonggede = SiteAlias.objects.create(site=sites["BJG"], name="POP Bjg", key="popbjg", created_by=None)
    package = PackageAlias.objects.create(package=packages["H20"], name="20M", key="20m", created_by=admin_user)
    SiteAlias.objects.update(created_at=ADDED_AT)
    PackageAlias.objects.update(created_at=ADDED_AT)
    return {"cibinong": cibinong, "bojonggede": bojonggede, "package": package}


def test_admin_sees_every_name(admin_client, names):
    page = english(admin_client).get(reverse("customers:name-alias-list")).content.decode()

    assert table_rows(page, "site-aliases") == {
        f"site-alias-{names['bojonggede'].pk}": ["POP Bjg", "Bojonggede", "—", "05/01/2026 09:30", "Remove"],
        f"site-alias-{names['cibinong'].pk}": ["POP Cbn", "Cibinong", "admin", "05/01/2026 09:30", "Remove"],
    }
    assert table_rows(page, "package-aliases") == {
        f"package-alias-{names['package'].pk}": ["20M", "Home 20 Mbps", "admin", "05/01/2026 09:30", "Remove"],
    }
    assert reverse("customers:site-alias-delete", args=[names["cibinong"].pk]) in page
    assert reverse("customers:package-alias-delete", args=[names["package"].pk]) in page
    assert 'id="package-names-admin-only"' not in page


def test_site_admin_sees_own_site_names(site_admin_client, names):
    page = english(site_admin_client).get(reverse("customers:name-alias-list")).content.decode()

    assert table_rows(page, "site-aliases") == {
        f"site-alias-{names['cibinong'].pk}": ["POP Cbn", "Cibinong", "admin", "05/01/2026 09:30", "Remove"],
    }
    assert "Bojonggede" not in page
    assert table_rows(page, "package-aliases") == {
        f"package-alias-{names['package'].pk}": ["20M", "Home 20 Mbps", "admin", "05/01/2026 09:30", ""],
    }
    assert reverse("customers:package-alias-delete", args=[names["package"].pk]) not in page
    assert "Only an admin can remove a package name, because the uploads of every site use it." in page


def test_empty_lists_say_so(admin_client, sample_catalogue):
    page = english(admin_client).get(reverse("customers:name-alias-list")).content.decode()

    assert "No remembered site names yet." in page
    assert "No remembered package names yet." in page


def test_site_name_removed_after_confirmation(admin_client, names, tmp_path):
    english(admin_client)
    url = reverse("customers:site-alias-delete", args=[names["cibinong"].pk])

    confirmation = admin_client.get(url)

    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert "Remove the site name “POP Cbn”?" in page
    assert '<td id="delete-alias-target">Cibinong</td>' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert SiteAlias.objects.filter(pk=names["cibinong"].pk).exists()

    response = admin_client.post(url, follow=True)

    assert response.redirect_chain == [(reverse("customers:name-alias-list"), 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "Later uploads no longer read the site name POP Cbn as Cibinong."
    ]
    assert list(SiteAlias.objects.values_list("name", flat=True)) == ["POP Bjg"]
    later = upload(admin_client, write_workbook(tmp_path / "a.xlsx", [["Nama", "Site"], ["Ani", "POP Cbn"]]))
    assert [entry["value"] for entry in later.summary["unmatched_sites"]] == ["POP Cbn"]


def test_package_name_removed_after_confirmation(admin_client, names, tmp_path):
    english(admin_client)
    url = reverse("customers:package-alias-delete", args=[names["package"].pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(url, follow=True)

    assert "Remove the package name “20M”?" in page
    assert '<td id="delete-alias-target">Home 20 Mbps</td>' in page
    assert response.redirect_chain == [(reverse("customers:name-alias-list"), 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "Later uploads no longer read the package name 20M as Home 20 Mbps."
    ]
    assert PackageAlias.objects.count() == 0
    later = upload(admin_client, write_workbook(tmp_path / "a.xlsx", [["Nama", "Paket"], ["Ani", "20M"]]))
    assert [entry["value"] for entry in later.summary["unmatched_packages"]] == ["20M"]


def test_site_admin_removes_own_site_name(site_admin_client, names):
    url = reverse("customers:site-alias-delete", args=[names["cibinong"].pk])

    response = site_admin_client.post(url)

    assert response.status_code == 302
    assert list(SiteAlias.objects.values_list("name", flat=True)) == ["POP Bjg"]


def test_site_admin_cannot_remove_other_site_name(site_admin_client, names):
    url = reverse("customers:site-alias-delete", args=[names["bojonggede"].pk])

    confirmation = site_admin_client.get(url)
    response = site_admin_client.post(url)

    assert confirmation.status_code == 404
    assert response.status_code == 404
    assert SiteAlias.objects.filter(pk=names["bojonggede"].pk).exists()


def test_site_admin_cannot_remove_package_name(site_admin_client, names):
    url = reverse("customers:package-alias-delete", args=[names["package"].pk])

    confirmation = site_admin_client.get(url)
    response = site_admin_client.post(url)

    assert confirmation.status_code == 404
    assert response.status_code == 404
    assert PackageAlias.objects.filter(pk=names["package"].pk).exists()


def test_removal_needs_csrf_token(admin_user, names):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    site_response = client.post(reverse("customers:site-alias-delete", args=[names["cibinong"].pk]))
    package_response = client.post(reverse("customers:package-alias-delete", args=[names["package"].pk]))

    assert site_response.status_code == 403
    assert package_response.status_code == 403
    assert SiteAlias.objects.count() == 2
    assert PackageAlias.objects.count() == 1


def test_upload_page_links_list(admin_client, site_admin_client, sample_catalogue):
    url = reverse("customers:name-alias-list")

    admin_page = admin_client.get(reverse("customers:upload")).content.decode()
    site_admin_page = site_admin_client.get(reverse("customers:upload")).content.decode()

    assert f'<a href="{url}" id="remembered-names-link">' in admin_page
    assert f'<a href="{url}" id="remembered-names-link">' in site_admin_page


def hemat_workbook(path, number):
    return write_workbook(path, [
        ["ID Pelanggan", "Nama", "Alamat", "Paket"],
        [number, f"Pelanggan {number}", "Jl. Hemat 1", "Paket Hemat"],
    ])


def test_site_admin_package_name_stays_in_batch(site_admin_client, admin_client, sample_catalogue, tmp_path):
    _sites, packages = sample_catalogue
    batch = upload(site_admin_client, hemat_workbook(tmp_path / "cabang.xlsx", "AL-0001"))
    site_admin_client.cookies["django_language"] = "en"
    page = site_admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()

    site_admin_client.post(
        reverse("customers:batch-alias", args=[batch.pk]),
        {"kind": "package", "name": "Paket Hemat", "target": packages["B100"].pk},
    )
    batch.refresh_from_db()
    site_admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    admin_batch = upload(admin_client, hemat_workbook(tmp_path / "pusat.xlsx", "AL-0002"))
    admin_client.post(reverse("customers:batch-confirm", args=[admin_batch.pk]))

    assert '<button type="submit">Use in this upload</button>' in page
    assert '<button type="submit">Remember</button>' not in page
    assert PackageAlias.objects.count() == 0
    assert batch.package_names == {"pakethemat": packages["B100"].pk}
    assert batch.summary["unmatched_packages"] == []
    # The re-checked review notes each row the choice matched.
    notes = [(f.row, f.column, f.value, f.code, f.params["package"]) for f in batch.problems.filter(kind="note")]
    assert notes == [(2, "Paket", "Paket Hemat", "package_name_chosen", packages["B100"].name)]
    assert Customer.objects.get(number="AL-0001").package_id == packages["B100"].pk
    assert [entry["value"] for entry in admin_batch.summary["unmatched_packages"]] == ["Paket Hemat"]
    assert Customer.objects.get(number="AL-0002").package_id is None


def test_admin_package_name_noted_later(admin_client, sample_catalogue, tmp_path):
    _sites, packages = sample_catalogue
    first = upload(admin_client, hemat_workbook(tmp_path / "pertama.xlsx", "AL-0001"))
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[first.pk])).content.decode()
    admin_client.post(
        reverse("customers:batch-alias", args=[first.pk]),
        {"kind": "package", "name": "Paket Hemat", "target": packages["B100"].pk},
    )

    second = upload(admin_client, hemat_workbook(tmp_path / "kedua.xlsx", "AL-0002"))
    admin_client.post(reverse("customers:batch-confirm", args=[second.pk]))

    notes = [(f.row, f.kind, f.column, f.value, f.code, f.params) for f in second.problems.all()]
    assert '<button type="submit">Remember</button>' in page
    assert "Use in this upload" not in page
    assert PackageAlias.objects.get().package_id == packages["B100"].pk
    # The finding names the customer its row saved, for an anonymisation to find it.
    params = {"package": packages["B100"].name, "customer": "AL-0002"}
    assert notes == [(2, "note", "Paket", "Paket Hemat", "package_alias_matched", params)]
    assert Customer.objects.get(number="AL-0002").package_id == packages["B100"].pk
