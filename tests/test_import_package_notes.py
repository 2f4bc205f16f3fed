"""The notes of an unknown Paket: the one clearly close stored package is
suggested and never applied, and the note of a row rejected for other
cells does not read as the reason."""

import pytest
from django.utils import translation

from customers.importing import batches
from customers.models import Customer, ImportBatch
from packages.models import ServicePackage
from tests.importing_helpers import validate_upload, write_workbook

pytestmark = pytest.mark.django_db

HEADER = ["ID Pelanggan", "Nama", "No HP", "Paket"]


def package_notes(batch):
    with translation.override("en"):
        return [(f.row, f.code, f.message) for f in batch.problems.filter(column="Paket").order_by("row", "id")]


def test_close_package_suggested(sample_catalogue, admin_user, tmp_path):
    path = write_workbook(tmp_path / "paket.xlsx", [
        HEADER,
        ["PLG-0101", "Ani", "081200000101", "Hom 20 Mbps"],
        ["PLG-0102", "Bayu", "081200000102", "Bisnis 50"],
        ["PLG-0103", "Cici", "081200000103", "Paket 50rb"],
    ])

    batch = validate_upload(path, user=admin_user)

    saved = "The customer is saved without a package; fix the name or add the package and upload again."
    assert package_notes(batch) == [
        (2, "package_unknown_suggested",
         f"Row 2, column Paket: package “Hom 20 Mbps” is not known. Did you mean “Home 20 Mbps”? {saved}"),
        (3, "package_unknown_suggested",
         f"Row 3, column Paket: package “Bisnis 50” is not known. Did you mean “Bisnis 50 Mbps”? {saved}"),
        (4, "package_unknown",
         "Row 4, column Paket: package “Paket 50rb” is not known. The customer is saved without a package; "
         "add the package or fix the name and upload again."),
    ]
    batches.commit_batch(batch)
    assert list(Customer.objects.order_by("number").values_list("package", flat=True)) == [None, None, None]


def test_two_close_packages_not_suggested(sample_catalogue, admin_user, tmp_path):
    ServicePackage.objects.create(
        code="H20P", name="Home 20 Mbps Promo", download_mbps=20, upload_mbps=10, monthly_price=180000
    )
    path = write_workbook(tmp_path / "paket.xlsx", [HEADER, ["PLG-0101", "Ani", "081200000101", "Home 20 Mbp"]])

    batch = validate_upload(path, user=admin_user)

    assert [(row, code) for row, code, _message in package_notes(batch)] == [(2, "package_unknown")]


def test_suggestion_on_unsaved_and_updated_rows(sample_catalogue, admin_user, tmp_path):
    Customer.objects.create(number="PLG-0101", name="Ani", phone="+6281200000101")
    path = write_workbook(tmp_path / "paket.xlsx", [
        HEADER,
        ["PLG-0101", "Ani", "081200000109", "Hom 20 Mbps"],
        ["PLG-0102", "Bayu", "bukan nomor", "Hom 20 Mbps"],
    ])

    batch = validate_upload(path, user=admin_user, mode=ImportBatch.Mode.UPDATE)

    did_you_mean = "package “Hom 20 Mbps” is not known. Did you mean “Home 20 Mbps”?"
    assert package_notes(batch) == [
        (2, "package_unknown_suggested_kept",
         f"Row 2, column Paket: {did_you_mean} The customer keeps the stored package; fix the name or add the "
         "package and upload again."),
        (3, "package_unknown_suggested_unsaved",
         f"Row 3, column Paket: {did_you_mean} Fix the name or add the package before you upload this row again, "
         "or the customer is saved without a package."),
    ]


def test_unsaved_row_note_names_no_reason(sample_catalogue, admin_user, tmp_path):
    # The row is rejected for its phone and NIK, not for its Paket.
    path = write_workbook(tmp_path / "paket.xlsx", [
        ["Nama", "No HP", "NIK", "Paket"],
        ["Lestari", "0812345678901234", "320101120390", "Paket 50rb"],
    ])

    batch = validate_upload(path, user=admin_user)

    assert batch.problem_count == 1
    assert package_notes(batch) == [
        (2, "package_unknown_unsaved",
         "Row 2, column Paket: package “Paket 50rb” is not known. Fix the name or add the package before you "
         "upload this row again, or the customer is saved without a package."),
    ]


def test_inactive_package_never_suggested(sample_catalogue, admin_user, admin_client, tmp_path):
    ServicePackage.objects.filter(name="Bisnis 50 Mbps").update(is_active=False)
    path = write_workbook(tmp_path / "paket.xlsx", [HEADER, ["PLG-0101", "Ani", "081200000101", "Bisnis 50"]])

    batch = validate_upload(path, user=admin_user)

    assert [(row, code) for row, code, _message in package_notes(batch)] == [(2, "package_unknown")]
    # A package of another speed is no candidate either.
    assert batch.summary["unmatched_packages"][0]["suggestions"] == []
    page = admin_client.get(f"/customers/imports/{batch.pk}/").content.decode()
    assert "Bisnis 50 Mbps" not in page


def test_inactive_package_alias_rejected(sample_catalogue, admin_client, admin_user, tmp_path):
    inactive = ServicePackage.objects.get(name="Bisnis 50 Mbps")
    inactive.is_active = False
    inactive.save()
    path = write_workbook(tmp_path / "paket.xlsx", [HEADER, ["PLG-0101", "Ani", "081200000101", "Bisnis 50"]])
    batch = validate_upload(path, user=admin_user)

    admin_client.post(
        f"/customers/imports/{batch.pk}/alias/", {"kind": "package", "name": "Bisnis 50", "target": inactive.pk}
    )

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert not inactive.aliases.exists()
