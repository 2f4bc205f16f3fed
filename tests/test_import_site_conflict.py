"""A row's own Site against the Site chosen on the upload page, for a
customer already stored at a third site."""

import pytest
from django.urls import reverse
from django.utils import translation

from customers.importing import batches
from customers.models import Customer, ImportBatch
from tests.importing_helpers import run_import, validate_upload, write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "Site", "Paket"]


@pytest.fixture
def stored_at_bojonggede(sample_catalogue):
    sites, packages = sample_catalogue
    return Customer.objects.create(
        number="DEMO-0002", name="Siti Rahmawati", phone="+6281311112222", site=sites["BJG"], package=packages["H10"],
    )


def validate(path, rows, **options):
    return validate_upload(write_workbook(path, rows), **options)


def conflicts(batch):
    with translation.override("en"):
        return [(f.row, f.column, f.value, f.code, f.message) for f in batch.problems.filter(kind="conflict")]


def test_third_site_is_conflict(stored_at_bojonggede, sample_catalogue, admin_user, admin_client, tmp_path):
    sites, _packages = sample_catalogue
    batch = validate(tmp_path / "site-konflik.xlsx", [
        HEADER,
        ["DEMO-0002", "Siti Rahmawati", "0813-1111-2222", "Citayam", "Home 20 Mbps"],
    ], user=admin_user, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)

    assert conflicts(batch) == [(
        2, "Site", "Citayam", "site_conflict_kept",
        "Row 2, column Site: the row names site “Citayam”, but this upload is bound to site Cibinong, and "
        "customer “DEMO-0002” is stored at site Bojonggede. The customer stays at Bojonggede. To move it to "
        "Citayam, upload the row again with Citayam or no site chosen. To move it to Cibinong, write Cibinong "
        "in its Site column.",
    )]
    assert not batch.problems.filter(code="site_choice_kept").exists()
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert 'id="kind-conflict">Site conflict <span class="count">1</span>' in page

    batches.commit_batch(batch)

    stored_at_bojonggede.refresh_from_db()
    assert stored_at_bojonggede.site == sites["BJG"]
    assert stored_at_bojonggede.package.code == "H20"


def test_unknown_site_is_conflict(stored_at_bojonggede, sample_catalogue, admin_user, tmp_path):
    sites, _packages = sample_catalogue
    batch = validate(tmp_path / "site-salah.xlsx", [
        HEADER,
        ["DEMO-0002", "Siti Rahmawati", "0813-1111-2222", "Citayem", "Home 10 Mbps"],
    ], user=admin_user, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)

    assert conflicts(batch) == [(
        2, "Site", "Citayem", "site_unknown_conflict_kept",
        "Row 2, column Site: the row names site “Citayem”, which is not known, but this upload is bound to site "
        "Cibinong, and customer “DEMO-0002” is stored at site Bojonggede. The customer stays at Bojonggede. "
        "To move it to Cibinong, write Cibinong in its Site column. To move it to another site, write that "
        "site's name and upload the row again with that site or no site chosen.",
    )]
    assert batch.duplicate_count == 1


def test_empty_site_column_only_noted(stored_at_bojonggede, sample_catalogue, admin_user, tmp_path):
    sites, _packages = sample_catalogue
    batch = validate(tmp_path / "tanpa-site.xlsx", [
        HEADER,
        ["DEMO-0002", "Siti Rahmawati", "0813-1111-2222", "", "Home 20 Mbps"],
    ], user=admin_user, site=sites["CBN"], mode=ImportBatch.Mode.UPDATE)

    assert conflicts(batch) == []
    assert batch.problems.filter(kind="note", code="site_choice_kept").count() == 1


def test_command_reports_third_site(stored_at_bojonggede, tmp_path):
    path = write_workbook(tmp_path / "site-konflik.xlsx", [
        HEADER,
        ["DEMO-0002", "Siti Rahmawati", "0813-1111-2222", "Citayam", "Home 20 Mbps"],
    ])

    with translation.override("en"):
        code, result, _err = run_import(path, "--update", "--site", "CBN", "--dry-run")

    assert code == 0
    assert [(note["kind"], note["code"], note["value"]) for note in result["notes"]] == [
        ("note", "will_update", "Home 20 Mbps"),
        ("conflict", "site_conflict_kept", "Citayam"),
    ]


def test_rejected_row_conflict_not_the_cause(sample_catalogue, admin_user, tmp_path):
    sites, _packages = sample_catalogue
    batch = validate(tmp_path / "site-ditolak.xlsx", [
        HEADER,
        ["PLG-0901", "Wati", "bukan nomor", "Citayam", "Home 20 Mbps"],
    ], user=admin_user, site=sites["CBN"])

    assert conflicts(batch) == [(
        2, "Site", "Citayam", "site_conflict_unsaved",
        "Row 2, column Site: the row names site “Citayam”, but this upload is bound to site Cibinong. "
        "Check which site is right before you upload the row again.",
    )]


@pytest.fixture
def site_admin(sample_catalogue, django_user_model):
    """A staff user who manages Cibinong only and may import."""
    from django.contrib.auth.models import Permission

    sites, _packages = sample_catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", is_staff=True)
    sites["CBN"].staff.add(user)
    user.user_permissions.add(Permission.objects.get(codename="import_customers"))
    return user


NEW_ROW_AT_BOJONGGEDE = [HEADER, ["W7-S01", "Wati", "0813-1111-3333", "BJG", "H10"]]


def test_conflict_advice_per_role(site_admin, admin_user, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue

    own = validate(tmp_path / "cabang.xlsx", NEW_ROW_AT_BOJONGGEDE, user=site_admin, site=sites["CBN"])
    admins = validate(tmp_path / "pusat.xlsx", NEW_ROW_AT_BOJONGGEDE, user=admin_user, site=sites["CBN"])

    assert conflicts(own) == [(
        2, "Site", "BJG", "site_conflict_site_admin",
        "Row 2, column Site: the row names site “BJG”, but this upload is bound to site Cibinong. The "
        "customer is saved at Cibinong. If it belongs to “BJG” and you manage that site, upload the row "
        "again with that site chosen. Otherwise ask an admin to move the customer, or remove the row from "
        "the file and upload it again.",
    )]
    assert [(row, code) for row, _column, _value, code, _message in conflicts(admins)] == [(2, "site_conflict")]
