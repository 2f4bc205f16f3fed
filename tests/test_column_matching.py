"""Columns whose header matched nothing are mapped on the batch page."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from audit.models import NikReveal
from customers.models import Customer, HeaderAlias, ImportBatch
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db

PHONE_ROWS = [
    ["Nama", "Alamat", "Kontak Utama", "Status Bayar"],
    ["Ani", "Jl. Mawar 1", "0812-3456-7001", "lunas"],
    ["Bayu", "Jl. Melati 2", "0812 3456 7002", ""],
    ["Cici", "Jl. Kenanga 3", "+62 812-3456-7003", "baru"],
    ["Dodi", "Jl. Anggrek 4", "081234567004", ""],
]


def upload(client, path, **fields):
    with open(path, "rb") as handle:
        client.post(reverse("customers:upload"), {"file": handle, "mode": "create", **fields})
    return ImportBatch.objects.order_by("-created_at").first()


def map_columns(client, batch, choices):
    return client.post(reverse("customers:batch-columns", args=[batch.pk]), choices)


def batch_page(client, batch):
    return client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()


def make_site_admin(django_user_model, site, username):
    user = django_user_model.objects.create_user(username=username, is_staff=True)
    site.staff.add(user)
    user.user_permissions.add(Permission.objects.get(codename="import_customers"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def site_admin_client(sample_catalogue, django_user_model):
    """A client logged in as a site admin of Cibinong who may import."""
    sites, _packages = sample_catalogue
    return make_site_admin(django_user_model, sites["CBN"], "admin-cbn")


def test_unknown_phone_column_mapped(admin_client, admin_user, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["unknown_columns"] == ["Kontak Utama", "Status Bayar"]
    page = batch_page(admin_client, batch)
    assert 'id="column-map"' in page
    assert 'name="column_2"' in page
    assert 'name="column_3"' in page
    # Sheet letters tell apart columns with the same header.
    assert '<td data-label="Kolom di file">C (Kontak Utama)' in page
    assert '<td data-label="Kolom di file">D (Status Bayar)' in page
    # The template's columns are fixed, so they are neither listed nor offered.
    assert 'name="column_0"' not in page
    assert '<option value="name">' not in page
    assert "0812-3456-7001 · 0812 3456 7002 · +62 812-3456-7003" in page
    assert "lunas · baru" in page

    response = map_columns(admin_client, batch, {"column_2": "phone", "column_3": "ignore"})

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.column_map == {"2": "phone"}
    assert batch.summary["unknown_columns"] == ["Status Bayar"]
    assert batch.new_count == 4
    assert batch.problem_count == 0
    columns = {column["header"]: (column["field"], column["source"]) for column in batch.summary["columns"]}
    assert columns["Kontak Utama"] == ("phone", "chosen")
    assert columns["Status Bayar"] == (None, None)
    alias = HeaderAlias.objects.get()
    assert (alias.name, alias.key, alias.field, alias.created_by) == ("Kontak Utama", "kontakutama", "phone", admin_user)
    assert '<small class="help">dipilih dan diingat untuk unggahan berikutnya</small>' in batch_page(admin_client, batch)

    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    phones = dict(Customer.objects.values_list("name", "phone"))
    assert phones == {
        "Ani": "+6281234567001",
        "Bayu": "+6281234567002",
        "Cici": "+6281234567003",
        "Dodi": "+6281234567004",
    }


def test_ignored_columns_point_to_matching(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))

    page = " ".join(batch_page(admin_client, batch).split())

    with translation.override("id"):
        ignored = translation.gettext("Columns ignored")
        link = translation.gettext("match them to read them")
        card = translation.gettext(
            "eBilling does not recognise the headers of these columns, so they are ignored. "
            "If a column holds customer data, choose what it holds, then check the file again."
        )
    assert (
        f'<li id="unknown-columns">{ignored}: Kontak Utama, Status Bayar (<a href="#column-matching">{link}</a>)</li>'
    ) in page
    assert card in page


def test_missing_name_file_mapped(admin_client, sample_catalogue, tmp_path):
    rows = [
        ["Nama Pemegang Akun", "No HP", "Alamat"],
        ["Ani", "081234567001", "Jl. Mawar 1"],
        ["Bayu", "081234567002", ""],
        ["", "081234567003", "Jl. Kenanga 3"],
    ]
    batch = upload(admin_client, write_workbook(tmp_path / "pemegang.xlsx", rows))
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "missing_required"
    page = batch_page(admin_client, batch)
    assert 'id="column-map"' in page
    assert "Ani · Bayu" in page

    map_columns(admin_client, batch, {"column_0": "name"})

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.error_code == ""
    assert batch.column_map == {"0": "name"}
    assert (batch.rows_read, batch.new_count, batch.problem_count, batch.incomplete_count) == (3, 2, 1, 2)
    assert list(batch.problems.filter(kind="problem").values_list("row", "code")) == [(4, "name_missing")]


def test_unrecognised_header_row_mapped(admin_client, sample_catalogue, tmp_path):
    rows = [
        ["Daftar pelanggan Desember"],
        ["Nama Pemegang Akun", "HP Pelanggan", "Alamat Lengkap Rumah"],
        ["Ani", "081234567001", "Jl. Mawar 1"],
        ["Bayu", "081234567002", "Jl. Melati 2"],
    ]
    batch = upload(admin_client, write_workbook(tmp_path / "judul-asing.xlsx", rows))
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "no_customer_sheet"
    assert [column["header"] for column in batch.summary["columns"]] == [
        "Nama Pemegang Akun", "HP Pelanggan", "Alamat Lengkap Rumah",
    ]
    assert batch.summary["header_row"] == 2
    page = batch_page(admin_client, batch)
    assert 'id="column-map"' in page
    assert "Ani · Bayu" in page

    map_columns(admin_client, batch, {"column_0": "name", "column_1": "phone", "column_2": "address"})

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert (batch.rows_read, batch.new_count, batch.problem_count) == (2, 2, 0)
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    assert list(Customer.objects.order_by("name").values_list("name", "phone", "address")) == [
        ("Ani", "+6281234567001", "Jl. Mawar 1"),
        ("Bayu", "+6281234567002", "Jl. Melati 2"),
    ]


def test_fallback_header_skips_title_and_year(admin_client, sample_catalogue, tmp_path):
    rows = [
        ["DAFTAR PELANGGAN RT/RW NET", "Periode: Januari 2024"],
        ["Nama Pemegang Akun", "HP Pelanggan", "Alamat Lengkap Rumah", 2024],
        ["Ani", "081234567001", "Jl. Mawar 1", "Lunas"],
        ["Bayu", "081234567002", "Jl. Melati 2", 150000],
    ]

    batch = upload(admin_client, write_workbook(tmp_path / "judul.xlsx", rows))

    assert batch.error_code == "no_customer_sheet"
    assert [column["header"] for column in batch.summary["columns"]] == [
        "Nama Pemegang Akun", "HP Pelanggan", "Alamat Lengkap Rumah", "2024",
    ]
    page = batch_page(admin_client, batch)
    assert '<p id="column-source">Kolom di bawah ini adalah sel baris 2 di sheet “Pelanggan”.</p>' in page


def test_two_row_header_without_name_mapped(admin_client, sample_catalogue, tmp_path):
    """A header over two rows whose name column has an unknown label is
    offered for mapping with the labels of both rows, and read again so."""
    path = tmp_path / "dua-baris.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    sheet.append(["No", "Atas Nama", "Kontak", None, "Alamat"])
    sheet.append([None, None, "No. HP", "Email", None])
    sheet.append([1, "Ani", "0812-3456-7001", "ani@contoh.id", "Jl. Mawar 1"])
    sheet.merge_cells("C1:D1")
    for column in "ABE":
        sheet.merge_cells(f"{column}1:{column}2")
    workbook.save(path)
    admin_client.cookies["django_language"] = "en"

    batch = upload(admin_client, path)

    assert batch.error_code == "missing_required"
    assert [column["header"] for column in batch.summary["columns"]] == ["No", "Atas Nama", "No. HP", "Email", "Alamat"]
    assert (batch.summary["header_first_row"], batch.summary["header_row"]) == (1, 2)
    page = batch_page(admin_client, batch)
    assert '<p id="column-source">The columns below are the cells of rows 1 and 2 of sheet Pelanggan.</p>' in page

    map_columns(admin_client, batch, {"column_0": "ignore", "column_1": "name"})

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert (batch.summary["header_first_row"], batch.summary["header_row"], batch.new_count) == (1, 2, 1)
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    assert list(Customer.objects.values_list("name", "phone", "email", "address")) == [
        ("Ani", "+6281234567001", "ani@contoh.id", "Jl. Mawar 1"),
    ]


def test_fallback_header_prefers_widest_sheet(admin_client, sample_catalogue, tmp_path):
    path = tmp_path / "dua-sheet.xlsx"
    workbook = Workbook()
    guide = workbook.active
    guide.title = "Petunjuk"
    guide.append(["Petunjuk", "Isi data pelanggan pada sheet berikutnya"])
    guide.append(["Kolom", "Keterangan"])
    data = workbook.create_sheet("Data Jan")
    data.append(["Rekap Januari"])
    data.append(["Nama Pemegang Akun", "HP Pelanggan", "Alamat Lengkap Rumah"])
    data.append(["Ani", "081234567001", "Jl. Mawar 1"])
    workbook.save(path)

    batch = upload(admin_client, path)
    map_columns(admin_client, batch, {"column_0": "name", "column_1": "phone", "column_2": "address"})

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert (batch.summary["sheet"], batch.summary["header_row"], batch.new_count) == ("Data Jan", 2, 1)


def test_too_few_columns_file_mapped(admin_client, sample_catalogue, tmp_path):
    rows = [
        ["ID Pelanggan", "Nama", "Lokasi Pemasangan"],
        ["PLG-1", "Ani", "Jl. Mawar 1"],
        ["PLG-2", "Bayu", "Jl. Melati 2"],
    ]
    batch = upload(admin_client, write_workbook(tmp_path / "lokasi.xlsx", rows))
    assert batch.error_code == "too_few_columns"

    map_columns(admin_client, batch, {"column_2": "address"})

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.new_count == 2
    assert batch.incomplete_count == 2


def test_learned_alias_maps_next_upload(admin_client, sample_catalogue, tmp_path):
    first = upload(admin_client, write_workbook(tmp_path / "satu.xlsx", PHONE_ROWS))
    map_columns(admin_client, first, {"column_2": "phone", "column_3": "ignore"})
    rows = [["nama", "KONTAK-UTAMA", "Alamat"], ["Euis", "0812 3456 7005", "Jl. Dahlia 5"]]

    second = upload(admin_client, write_workbook(tmp_path / "dua.xlsx", rows))

    assert second.state == ImportBatch.State.REVIEW
    assert second.column_map == {}
    assert second.summary["unknown_columns"] == []
    columns = {column["header"]: (column["field"], column["source"]) for column in second.summary["columns"]}
    assert columns["KONTAK-UTAMA"] == ("phone", "learned")
    page = batch_page(admin_client, second)
    assert 'id="learned-columns"' in page
    assert "KONTAK-UTAMA → No. HP / WhatsApp" in page
    admin_client.post(reverse("customers:batch-confirm", args=[second.pk]))
    assert Customer.objects.get(name="Euis").phone == "+6281234567005"


def test_save_reads_columns_as_reviewed(admin_client, sample_catalogue, tmp_path):
    first = upload(admin_client, write_workbook(tmp_path / "satu.xlsx", PHONE_ROWS))
    map_columns(admin_client, first, {"column_2": "phone", "column_3": "ignore"})
    rows = [["nama", "KONTAK-UTAMA", "Catatan Teknisi"], ["Euis", "0812 3456 7005", "kabel putus"]]
    second = upload(admin_client, write_workbook(tmp_path / "dua.xlsx", rows))
    assert second.summary["unknown_columns"] == ["Catatan Teknisi"]
    # Between review and save, the phone header is forgotten and the note
    # header is learned as Alamat through another batch.
    HeaderAlias.objects.all().delete()
    third_rows = [["Nama", "No HP", "Catatan Teknisi"], ["Fani", "081234567006", "Jl. X"]]
    third = upload(admin_client, write_workbook(tmp_path / "tiga.xlsx", third_rows))
    map_columns(admin_client, third, {"column_2": "address"})
    assert set(HeaderAlias.objects.values_list("key", "field")) == {("catatanteknisi", "address")}

    admin_client.post(reverse("customers:batch-confirm", args=[second.pk]))

    customer = Customer.objects.get(name="Euis")
    assert customer.phone == "+6281234567005"
    assert customer.address == ""


@pytest.mark.parametrize("header", ["2024", "=B1&C1"])
def test_number_or_formula_header_not_learned(admin_client, sample_catalogue, tmp_path, header):
    rows = [[*row[:2], row[2]] for row in PHONE_ROWS]
    rows[0][2] = header
    batch = upload(admin_client, write_workbook(tmp_path / "angka.xlsx", rows))

    map_columns(admin_client, batch, {"column_2": "phone"})

    assert HeaderAlias.objects.count() == 0
    batch.refresh_from_db()
    assert batch.column_map == {"2": "phone"}


def test_long_header_mapped_not_learned(admin_client, sample_catalogue, tmp_path):
    header = "Nomor HP " + "sangat panjang " * 20
    rows = [[*row[:2], row[2]] for row in PHONE_ROWS]
    rows[0][2] = header
    batch = upload(admin_client, write_workbook(tmp_path / "panjang.xlsx", rows))

    response = map_columns(admin_client, batch, {"column_2": "phone"})

    assert response.status_code == 302
    assert HeaderAlias.objects.count() == 0
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    assert Customer.objects.get(name="Ani").phone == "+6281234567001"


def test_learned_column_kept_unchanged(admin_client, sample_catalogue, tmp_path):
    first = upload(admin_client, write_workbook(tmp_path / "satu.xlsx", PHONE_ROWS))
    map_columns(admin_client, first, {"column_2": "phone", "column_3": "ignore"})
    second = upload(admin_client, write_workbook(tmp_path / "dua.xlsx", PHONE_ROWS))

    # Keeping the learned field stores no choice, so the column still shows as learned.
    map_columns(admin_client, second, {"column_2": "phone", "column_3": "status"})

    second.refresh_from_db()
    assert second.column_map == {"3": "status"}
    columns = {column["header"]: column["source"] for column in second.summary["columns"]}
    assert columns == {"Nama": "template", "Alamat": "template", "Kontak Utama": "learned", "Status Bayar": "chosen"}


def test_site_admin_mapping_not_learned(site_admin_client, admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS)
    own = upload(site_admin_client, path)

    response = map_columns(site_admin_client, own, {"column_2": "phone", "column_3": "ignore"})

    assert response.status_code == 302
    own.refresh_from_db()
    assert own.column_map == {"2": "phone"}
    assert own.summary["unknown_columns"] == ["Status Bayar"]
    assert HeaderAlias.objects.count() == 0
    assert '<small class="help">dipilih untuk file ini</small>' in batch_page(site_admin_client, own)
    later = upload(admin_client, path)
    assert later.summary["unknown_columns"] == ["Kontak Utama", "Status Bayar"]


def test_other_site_admin_gets_404(site_admin_client, sample_catalogue, django_user_model, tmp_path):
    sites, _packages = sample_catalogue
    own = upload(site_admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    # A second site admin of the same site cannot open the first one's batch.
    other = make_site_admin(django_user_model, sites["CBN"], "admin-cbn-2")

    response = map_columns(other, own, {"column_2": "phone", "column_3": "ignore"})

    assert response.status_code == 404
    own.refresh_from_db()
    assert own.column_map == {}
    assert own.summary["unknown_columns"] == ["Kontak Utama", "Status Bayar"]


def test_duplicate_field_rejected(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))

    response = map_columns(admin_client, batch, {"column_2": "phone", "column_3": "phone"})

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Kolom D (Status Bayar) dan kolom C (Kontak Utama) sama-sama dicocokkan ke No. HP / WhatsApp. "
        "Pilih No. HP / WhatsApp untuk satu kolom saja."
    ) in page
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.column_map == {}
    assert HeaderAlias.objects.count() == 0


def test_duplicate_field_error_in_english(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    admin_client.cookies["django_language"] = "en"

    response = map_columns(admin_client, batch, {"column_2": "phone", "column_3": "phone"})

    page = response.content.decode()
    assert (
        "Column D (Status Bayar) and column C (Kontak Utama) are both matched to No. HP / WhatsApp. "
        "Choose No. HP / WhatsApp for one column only."
    ) in page
    # The posted choices are kept, so the admin only fixes the one column.
    assert '<option value="phone" selected>' in page


def test_saved_batch_not_remapped(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert 'id="column-map"' not in batch_page(admin_client, batch)

    response = map_columns(admin_client, batch, {"column_2": "phone", "column_3": "ignore"})

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert batch.column_map == {}
    assert HeaderAlias.objects.count() == 0
    assert Customer.objects.filter(phone="").count() == 4


@pytest.mark.parametrize("state", [ImportBatch.State.QUEUED, ImportBatch.State.IMPORTING, ImportBatch.State.CANCELLED])
def test_running_batch_not_remapped(admin_client, sample_catalogue, tmp_path, state):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    ImportBatch.objects.filter(pk=batch.pk).update(state=state)

    map_columns(admin_client, batch, {"column_2": "phone", "column_3": "ignore"})

    batch.refresh_from_db()
    assert batch.state == state
    assert batch.column_map == {}
    assert HeaderAlias.objects.count() == 0


@pytest.mark.parametrize("choices", [
    {"column_2": "phone", "column_3": "evil"},
    {"column_2": "street", "column_3": "ignore"},
    # Nama is filled by a template column, so it is not offered.
    {"column_2": "name", "column_3": "ignore"},
    {"column_2": "phone", "column_3": "ignore", "column_0": "phone"},
    {"column_2": "phone", "column_3": "ignore", "column_9": "email"},
    {"column_2": "phone"},
])
def test_hostile_choices_rejected(admin_client, sample_catalogue, tmp_path, choices):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    admin_client.cookies["django_language"] = "en"

    response = map_columns(admin_client, batch, choices)

    assert response.status_code == 200
    assert 'class="error' in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.column_map == {}
    assert batch.summary["unknown_columns"] == ["Kontak Utama", "Status Bayar"]
    assert HeaderAlias.objects.count() == 0


def test_unknown_column_message(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    admin_client.cookies["django_language"] = "en"

    response = map_columns(admin_client, batch, {"column_2": "phone", "column_3": "ignore", "column_9": "email"})

    assert "The form names a column that this file does not have. Reload the page and choose again." in (
        response.content.decode()
    )


def test_column_map_needs_csrf(admin_user, sample_catalogue, tmp_path):
    uploader = Client()
    uploader.force_login(admin_user)
    batch = upload(uploader, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = map_columns(client, batch, {"column_2": "phone", "column_3": "ignore"})

    assert response.status_code == 403
    batch.refresh_from_db()
    assert batch.column_map == {}


def test_retry_keeps_column_map(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS))
    map_columns(admin_client, batch, {"column_2": "phone", "column_3": "ignore"})
    HeaderAlias.objects.all().delete()
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.FAILED, error_code="worker_lost")

    admin_client.post(reverse("customers:batch-retry", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["unknown_columns"] == ["Status Bayar"]
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    assert Customer.objects.get(name="Ani").phone == "+6281234567001"


def test_learned_alias_removed(admin_client, site_admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "kontak.xlsx", PHONE_ROWS)
    map_columns(admin_client, upload(admin_client, path), {"column_2": "phone", "column_3": "ignore"})
    alias = HeaderAlias.objects.get()
    listing = admin_client.get(reverse("customers:header-alias-list")).content.decode()
    assert f'id="header-alias-{alias.pk}"' in listing
    assert site_admin_client.get(reverse("customers:header-alias-list")).status_code == 404
    assert site_admin_client.post(reverse("customers:header-alias-delete", args=[alias.pk])).status_code == 404
    assert HeaderAlias.objects.count() == 1

    response = admin_client.post(reverse("customers:header-alias-delete", args=[alias.pk]))

    assert response.status_code == 302
    assert HeaderAlias.objects.count() == 0
    later = upload(admin_client, path)
    assert later.summary["unknown_columns"] == ["Kontak Utama", "Status Bayar"]


def test_sample_nik_masked(django_user_model, sample_catalogue, tmp_path):
    sites, _packages = sample_catalogue
    client = make_site_admin(django_user_model, sites["CBN"], "admin-cbn")
    rows = [["Nama", "Alamat", "Nomor Identitas"], ["Ani", "Jl. Mawar 1", "3201011203900001"]]
    batch = upload(client, write_workbook(tmp_path / "identitas.xlsx", rows))

    page = batch_page(client, batch)

    assert "************0001" in page
    assert "3201011203900001" not in page


def test_sample_nik_masked_for_admin(admin_client, sample_catalogue, tmp_path):
    rows = [["Nama", "Alamat", "Nomor KTP Pemilik"], ["Ani", "Jl. Mawar 1", "3201011203900001"]]
    batch = upload(admin_client, write_workbook(tmp_path / "identitas.xlsx", rows))

    page = batch_page(admin_client, batch)

    assert "************0001" in page
    assert "3201011203900001" not in page
    assert not NikReveal.objects.exists()


def test_problem_workbook_download_with_niks_recorded(admin_client, admin_user, sample_catalogue, tmp_path):
    rows = [["Nama", "Alamat", "NIK"], ["", "Jl. Mawar 1", "3201011203900001"]]
    batch = upload(admin_client, write_workbook(tmp_path / "nik-penuh.xlsx", rows))

    response = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    sheet = load_workbook(BytesIO(response.getvalue())).active
    assert sheet["C2"].value == "3201011203900001"
    reveal = NikReveal.objects.get()
    assert (reveal.user, reveal.batch_id, reveal.batch_file_name, reveal.customer_number) == (
        admin_user, batch.pk, "nik-penuh.xlsx", ""
    )


def test_problem_workbook_masks_chosen_nik(site_admin_client, sample_catalogue, tmp_path):
    rows = [
        ["Nama", "Alamat", "Nomor Identitas"],
        ["", "Jl. Mawar 1", "3201-0112-0390-0001"],
        ["Bayu", "Jl. Melati 2", "3201011203900002"],
    ]
    batch = upload(site_admin_client, write_workbook(tmp_path / "identitas.xlsx", rows))
    map_columns(site_admin_client, batch, {"column_2": "nik"})

    response = site_admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    sheet = load_workbook(BytesIO(response.getvalue())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Nama", "Alamat", "Nomor Identitas"]
    assert values[1][:3] == [None, "Jl. Mawar 1", "****-****-****-0001"]


def test_problem_workbook_reupload_asks_nothing(admin_client, sample_catalogue, tmp_path):
    rows = [["Nama", "No HP", "NIK"], ["Ani", "081234567001", "1234"], ["Bayu", "081234567002", ""]]
    first = upload(admin_client, write_workbook(tmp_path / "nik-salah.xlsx", rows))
    problems = admin_client.get(reverse("customers:batch-problems", args=[first.pk]))
    workbook = load_workbook(BytesIO(problems.getvalue()))
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == ["Nama", "No HP", "NIK", "Baris asal", "Masalah"]
    sheet["C2"] = "3201011203900001"
    fixed = tmp_path / "masalah-diperbaiki.xlsx"
    workbook.save(fixed)

    batch = upload(admin_client, fixed)

    assert batch.state == ImportBatch.State.REVIEW
    assert batch.summary["unknown_columns"] == ["Baris asal", "Masalah"]
    assert batch.new_count == 1
    assert batch.problem_count == 0
    assert 'id="column-map"' not in batch_page(admin_client, batch)


def problem_rows(client, batch):
    response = client.get(reverse("customers:batch-problems", args=[batch.pk]))
    sheet = load_workbook(BytesIO(response.getvalue())).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_problem_workbook_after_alias_removed(admin_client, site_admin_client, sample_catalogue, tmp_path):
    rows = [
        ["Nama", "No HP", "Nomor Identitas"],
        ["Ani", "bukan nomor", "3201011203900001"],
    ]
    taught = upload(admin_client, write_workbook(tmp_path / "identitas.xlsx", rows))
    map_columns(admin_client, taught, {"column_2": "nik"})
    rows[1][0] = "Ani Lestari"
    batch = upload(site_admin_client, write_workbook(tmp_path / "identitas-2.xlsx", rows))
    assert batch.summary["columns"][2]["source"] == "learned"
    assert problem_rows(site_admin_client, batch)[1][:3] == ["Ani Lestari", "bukan nomor", "************0001"]

    HeaderAlias.objects.all().delete()

    # The review read the column as NIK, so its workbook still masks it.
    assert problem_rows(site_admin_client, batch)[1][:3] == ["Ani Lestari", "bukan nomor", "************0001"]


def test_problem_workbook_of_fallback_header(site_admin_client, sample_catalogue, tmp_path):
    rows = [
        ["Daftar pelanggan Desember"],
        ["Nama Pemegang Akun", "HP Pelanggan", "Alamat Lengkap Rumah"],
        ["Ani", "bukan nomor", "Jl. Mawar 1"],
        ["Bayu", "081234567002", "Jl. Melati 2"],
    ]
    batch = upload(site_admin_client, write_workbook(tmp_path / "judul-asing.xlsx", rows))
    map_columns(site_admin_client, batch, {"column_0": "name", "column_1": "phone", "column_2": "address"})
    batch.refresh_from_db()
    assert batch.problem_count == 1

    values = problem_rows(site_admin_client, batch)

    assert values[0] == ["Nama Pemegang Akun", "HP Pelanggan", "Alamat Lengkap Rumah", "Baris asal", "Masalah"]
    assert values[1][:3] == ["Ani", "bukan nomor", "Jl. Mawar 1"]
    assert len(values) == 2


BLANK_HEADER_ROWS = [
    ["Nama", "Alamat", None, "Status Bayar", ""],
    ["Ani", "Jl. Mawar 1", "0812-3456-7001", "lunas", None],
    ["Bayu", "Jl. Melati 2", "0812 3456 7002", "", None],
    ["Cici", "Jl. Kenanga 3", "", "baru", None],
]


def test_column_without_header_offered(admin_client, sample_catalogue, tmp_path):
    batch = upload(admin_client, write_workbook(tmp_path / "tanpa-judul.xlsx", BLANK_HEADER_ROWS))
    assert batch.state == ImportBatch.State.REVIEW
    # Column C contains data, column E contains none.
    assert batch.summary["blank_columns"] == ["C"]
    assert [(column["index"], column["header"], column["samples"]) for column in batch.summary["columns"]] == [
        (0, "Nama", []),
        (1, "Alamat", []),
        (2, "", ["0812-3456-7001", "0812 3456 7002"]),
        (3, "Status Bayar", ["lunas", "baru"]),
    ]
    page = " ".join(batch_page(admin_client, batch).split())
    assert '<td data-label="Kolom di file">C (tanpa judul)' in page
    assert 'name="column_2"' in page
    assert 'name="column_4"' not in page
    assert (
        '<li id="blank-columns">Kolom tanpa judul diabaikan, padahal berisi data: C</li>'
    ) in page

    response = map_columns(admin_client, batch, {"column_2": "phone", "column_3": "ignore"})

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.column_map == {"2": "phone"}
    assert batch.summary["blank_columns"] == []
    assert batch.new_count == 3
    # An empty header is never learned for later uploads.
    assert not HeaderAlias.objects.exists()
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    assert dict(Customer.objects.values_list("name", "phone")) == {
        "Ani": "+6281234567001",
        "Bayu": "+6281234567002",
        "Cici": "",
    }


def test_column_without_header_named_by_letter(admin_client, sample_catalogue, tmp_path):
    rows = [["Nama", "Alamat", None], ["Ani", "Jl. Mawar 1", "0812-34"]]
    batch = upload(admin_client, write_workbook(tmp_path / "tanpa-judul.xlsx", rows))

    # Column C is right of the header row's last cell.
    assert batch.summary["blank_columns"] == ["C"]

    map_columns(admin_client, batch, {"column_2": "phone"})

    problem = batch.problems.get()
    assert (problem.row, problem.column, problem.value) == (2, "C", "0812-34")


def test_name_column_without_header_mapped(admin_client, sample_catalogue, tmp_path):
    rows = [
        [None, "No HP", "Alamat"],
        ["Ani", "081234567001", "Jl. Mawar 1"],
        ["Bayu", "081234567002", "Jl. Melati 2"],
    ]
    batch = upload(admin_client, write_workbook(tmp_path / "tanpa-nama.xlsx", rows))
    assert (batch.state, batch.error_code) == (ImportBatch.State.FAILED, "missing_required")
    page = batch_page(admin_client, batch)
    assert '<td data-label="Kolom di file">A (tanpa judul)' in page
    assert "Ani · Bayu" in page

    map_columns(admin_client, batch, {"column_0": "name"})

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REVIEW
    assert (batch.rows_read, batch.new_count, batch.problem_count) == (2, 2, 0)


def test_problem_workbook_keeps_columns_without_header(site_admin_client, sample_catalogue, tmp_path):
    rows = [
        ["Nama", None, "Alamat"],
        ["Ani", "0812-34", "Jl. Mawar 1", "3201011203900001"],
        ["Bayu", "081234567002", "Jl. Melati 2", "3201011203900002"],
    ]
    batch = upload(site_admin_client, write_workbook(tmp_path / "tanpa-judul.xlsx", rows))
    map_columns(site_admin_client, batch, {"column_1": "phone", "column_3": "nik"})
    batch.refresh_from_db()
    assert batch.problem_count == 1

    values = problem_rows(site_admin_client, batch)

    # The mapped columns keep their data, under the template's header, so
    # the fixed file is read the same way without choosing again.
    assert values[0] == ["Nama", "No. HP / WhatsApp", "Alamat", "NIK", "Baris asal", "Masalah"]
    assert values[1][:4] == ["Ani", "0812-34", "Jl. Mawar 1", "************0001"]
    assert len(values) == 2

    workbook = load_workbook(BytesIO(site_admin_client.get(reverse("customers:batch-problems", args=[batch.pk])).getvalue()))
    workbook.active["B2"] = "081234567001"
    workbook.active["D2"] = "3201011203900001"
    fixed = tmp_path / "tanpa-judul-diperbaiki.xlsx"
    workbook.save(fixed)

    again = upload(site_admin_client, fixed)

    assert again.state == ImportBatch.State.REVIEW
    assert (again.new_count, again.problem_count) == (1, 0)
    assert again.summary["blank_columns"] == []
    site_admin_client.post(reverse("customers:batch-confirm", args=[again.pk]))
    assert list(Customer.objects.values_list("name", "phone", "nik")) == [("Ani", "+6281234567001", "3201011203900001")]
