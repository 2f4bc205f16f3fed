"""The upload page, review, confirmation and batch pages, through the web."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from customers.importing import batches
from customers.importing.template import TEMPLATE_FIELDS
from customers.models import Customer, ImportBatch
from tests.importing_helpers import CASES_DIR, SAMPLE_XLSX, run_import, write_workbook

pytestmark = pytest.mark.django_db


def upload(client, path, **data):
    with open(path, "rb") as handle:
        response = client.post(reverse("customers:upload"), {"file": handle, "mode": "create", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def test_upload_page_in_indonesian(admin_client, sample_catalogue):
    response = admin_client.get(reverse("customers:upload"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Unduh Template Excel" in page
    assert page.count(
        "Pelanggan baru disimpan di site yang dipilih. Pelanggan yang sudah tersimpan pindah ke site itu "
        "hanya jika kolom Site di barisnya menyebut site itu. Kosongkan jika file berisi pelanggan dari beberapa site."
    ) == 1
    assert 'name="site"' in page


def test_upload_review_then_save(admin_client, sample_catalogue, expected):
    batch = upload(admin_client, SAMPLE_XLSX)

    assert batch.state == ImportBatch.State.REVIEW
    assert (batch.rows_read, batch.new_count, batch.duplicate_count, batch.problem_count) == (8, 8, 0, 0)
    assert batch.incomplete_count == expected["incomplete_count"]
    assert Customer.objects.count() == 0
    review = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert "Simpan baris yang valid" in review

    response = admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert response.status_code == 302
    assert batch.state == ImportBatch.State.DONE
    assert batch.created_count == 8
    assert Customer.objects.count() == 8
    assert Customer.objects.incomplete().count() == expected["incomplete_count"]
    assert set(Customer.objects.values_list("import_batch", flat=True)) == {batch.pk}


def test_second_confirm_leaves_running_save(admin_client, sample_catalogue):
    batch = upload(admin_client, SAMPLE_XLSX)
    # This request read the batch in review, then another request's confirm
    # was taken up by a worker before this one wrote.
    seen_in_review = ImportBatch.objects.get(pk=batch.pk)
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.IMPORTING, rows_done=4)

    assert batches.queue_confirm(seen_in_review) is False
    assert batches.cancel_review(seen_in_review) is False

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.IMPORTING
    assert batch.rows_done == 4
    assert batch.confirmed_at is None
    assert batch.finished_at is None


def test_double_confirm_saves_once(admin_client, sample_catalogue):
    batch = upload(admin_client, SAMPLE_XLSX)
    url = reverse("customers:batch-confirm", args=[batch.pk])

    first = admin_client.post(url)
    second = admin_client.post(url, follow=True)

    assert first.status_code == 302
    assert Customer.objects.count() == 8
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert "Batch ini tidak lagi menunggu ditinjau." in second.content.decode()


def test_cancel_saves_nothing(admin_client, sample_catalogue):
    batch = upload(admin_client, SAMPLE_XLSX)

    admin_client.post(reverse("customers:batch-cancel", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CANCELLED
    assert Customer.objects.count() == 0
    response = admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    assert response.status_code == 302
    assert Customer.objects.count() == 0


def test_same_file_again_is_recognised(admin_client, sample_catalogue, admin_user):
    first = upload(admin_client, SAMPLE_XLSX)
    admin_client.post(reverse("customers:batch-confirm", args=[first.pk]))

    second = upload(admin_client, SAMPLE_XLSX)

    page = admin_client.get(reverse("customers:batch-detail", args=[second.pk])).content.decode()
    assert "File ini sudah pernah diimpor pada" in page
    assert admin_user.username in page
    assert reverse("customers:batch-detail", args=[first.pk]) in page
    assert (second.new_count, second.duplicate_count) == (0, 8)


def test_first_import_not_called_repeat(admin_client, sample_catalogue):
    first = upload(admin_client, SAMPLE_XLSX)
    admin_client.post(reverse("customers:batch-confirm", args=[first.pk]))
    second = upload(admin_client, SAMPLE_XLSX)
    admin_client.post(reverse("customers:batch-confirm", args=[second.pk]))
    second.refresh_from_db()
    assert second.state == ImportBatch.State.DONE

    page = admin_client.get(reverse("customers:batch-detail", args=[first.pk])).content.decode()

    assert "sudah pernah diimpor" not in page
    assert reverse("customers:batch-detail", args=[second.pk]) not in page


def test_upload_after_undo_not_repeat(admin_client, sample_catalogue):
    first = upload(admin_client, SAMPLE_XLSX)
    admin_client.post(reverse("customers:batch-confirm", args=[first.pk]))
    admin_client.post(reverse("customers:batch-undo", args=[first.pk]))
    first.refresh_from_db()
    assert first.undone_at is not None
    assert Customer.objects.count() == 0

    second = upload(admin_client, SAMPLE_XLSX)

    page = admin_client.get(reverse("customers:batch-detail", args=[second.pk])).content.decode()
    assert "sudah pernah diimpor" not in page
    assert (second.new_count, second.duplicate_count) == (8, 0)


def test_missing_name_column_rejected(admin_client, sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "tanpa-nama.xlsx", [["ID Pelanggan", "No HP"], ["PLG-0100", "081234567890"]])

    batch = upload(admin_client, path)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "missing_required"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert "tidak memiliki kolom Nama" in page
    assert Customer.objects.count() == 0


def test_missing_name_column_command_exit_code(sample_catalogue, tmp_path):
    path = write_workbook(tmp_path / "tanpa-nama.xlsx", [["ID Pelanggan", "No HP"], ["PLG-0100", "081234567890"]])

    code, result, stderr = run_import(path)

    assert code == 2
    assert result is None
    assert "Nama" in stderr
    assert Customer.objects.count() == 0


def test_template_contents(admin_client, sample_catalogue, expected):
    response = admin_client.get(reverse("customers:template"))

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Pelanggan", "Daftar", "Petunjuk"]
    sheet = workbook["Pelanggan"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:11] == [
        "ID Pelanggan", "Nama", "No. HP / WhatsApp", "Email", "NIK", "Alamat", "Site", "Paket", "Tanggal Pasang", "Latitude", "Longitude",
    ]
    assert sheet["A2"].value == "CONTOH-001"
    for field in ("number", "phone", "nik"):
        letter = "ABCDEFGHIJKLMNOPQ"[TEMPLATE_FIELDS.index(field)]
        assert sheet[f"{letter}3"].number_format == "@", field
    lists = workbook["Daftar"]
    site_names = [cell.value for cell in lists["A"][1:] if cell.value is not None]
    package_names = [cell.value for cell in lists["B"][1:] if cell.value is not None]
    assert sorted(site_names) == sorted(s["name"] for s in expected["sites"])
    assert sorted(package_names) == sorted(p["name"] for p in expected["packages"])
    formulas = sorted(validation.formula1 for validation in sheet.data_validations.dataValidation)
    assert formulas == ["Daftar!$A$2:$A$4", "Daftar!$B$2:$B$6"]
    assert workbook["Petunjuk"]["A1"].value == "Cara mengisi template ini"


LOCATION_INSTRUCTION_EN = (
    "7. Latitude and Longitude: decimal degrees such as -6.4812 and 106.8421. To paste a whole location instead "
    "(both numbers like -6.4812, 106.8421, a Google Maps link or an OpenStreetMap link), add a column named "
    "Titik Lokasi and leave Latitude and Longitude empty."
)


def instruction_lines(client):
    workbook = load_workbook(io.BytesIO(client.get(reverse("customers:template")).content))
    return [row[0] for row in workbook["Petunjuk"].iter_rows(values_only=True)]


def test_template_location_instruction_english(admin_client, sample_catalogue):
    admin_client.cookies["django_language"] = "en"

    lines = instruction_lines(admin_client)

    assert lines[8] == LOCATION_INSTRUCTION_EN


def test_template_location_instruction_indonesian(admin_client, sample_catalogue):
    lines = instruction_lines(admin_client)

    assert lines[8] == (
        "7. Latitude dan Longitude: derajat desimal seperti -6.4812 dan 106.8421. Untuk menempel lokasi utuh "
        "(kedua angka seperti -6.4812, 106.8421, tautan Google Maps, atau tautan OpenStreetMap), tambahkan kolom "
        "bernama Titik Lokasi dan kosongkan Latitude dan Longitude."
    )


def test_template_titik_lokasi_column_read(admin_client, sample_catalogue, tmp_path):
    """The location instruction holds: a Titik Lokasi column added to the template is read."""
    response = admin_client.get(reverse("customers:template"))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Pelanggan"]
    column = len(TEMPLATE_FIELDS) + 1
    sheet.cell(row=1, column=column, value="Titik Lokasi")
    locations = {
        "Ani": "-6.4812, 106.8421",
        "Bayu": "https://www.google.com/maps/@-6.5,106.8,17z",
        "Citra": "https://www.openstreetmap.org/?mlat=-6.59&mlon=106.79#map=17/-6.59/106.79",
        "Dedi": "https://osm.org/go/tZ76yBAYn-",
    }
    for row, (name, location) in enumerate(locations.items(), start=3):
        sheet.cell(row=row, column=TEMPLATE_FIELDS.index("name") + 1, value=name)
        sheet.cell(row=row, column=column, value=location)
    path = tmp_path / "titik-lokasi.xlsx"
    workbook.save(path)

    batch = upload(admin_client, path)
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    saved = dict(Customer.objects.values_list("name", "latitude"))
    assert {name: str(latitude) for name, latitude in saved.items()} == {
        "Ani": "-6.481200", "Bayu": "-6.500000", "Citra": "-6.590000", "Dedi": "-6.481200",
    }
    longitudes = dict(Customer.objects.values_list("name", "longitude"))
    assert {name: str(longitude) for name, longitude in longitudes.items()} == {
        "Ani": "106.842100", "Bayu": "106.800000", "Citra": "106.790000", "Dedi": "106.842097",
    }


def test_template_round_trip(admin_client, sample_catalogue, expected, tmp_path):
    response = admin_client.get(reverse("customers:template"))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Pelanggan"]
    for offset, row in enumerate(expected["customers"][:3], start=3):
        values = {
            "number": row["number"], "name": row["name"], "phone": "0" + row["phone"][3:], "email": row["email"],
            "nik": row["nik"], "address": "Jl. Contoh No. %d" % offset,
            "site": next(s["name"] for s in expected["sites"] if s["code"] == row["site"]),
            "package": next(p["name"] for p in expected["packages"] if p["code"] == row["package"]),
            "installed_on": date.fromisoformat(row["installed_on"]),
        }
        for index, field in enumerate(TEMPLATE_FIELDS):
            if field in values:
                sheet.cell(row=offset, column=index + 1, value=values[field])
    path = tmp_path / "terisi.xlsx"
    workbook.save(path)

    batch = upload(admin_client, path)
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.created_count == 3
    assert batch.problems.filter(code="example_skipped").count() == 1
    saved = {c.number: c for c in Customer.objects.select_related("site", "package")}
    assert sorted(saved) == ["PLG-0001", "PLG-0002", "PLG-0003"]
    for row in expected["customers"][:3]:
        customer = saved[row["number"]]
        assert customer.phone == row["phone"]
        assert customer.nik == row["nik"]
        assert customer.site.code == row["site"]
        assert customer.package.code == row["package"]
        assert customer.installed_on == date.fromisoformat(row["installed_on"])
        assert not customer.is_incomplete


def test_export_uploaded_again_adds_nobody(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    out = tmp_path / "ekspor.xlsx"
    from django.core.management import call_command

    call_command("export_customers", str(out), stdout=io.StringIO())
    code, result, _stderr = run_import(out)

    assert code == 0
    assert result["created"] == 0
    assert result["duplicates"] == 8
    assert result["errors"] == []
    assert Customer.objects.count() == 8


def test_export_masks_nik_unless_asked(sample_catalogue, tmp_path):
    run_import(SAMPLE_XLSX)
    from django.core.management import call_command

    masked, full = tmp_path / "masked.xlsx", tmp_path / "full.xlsx"
    call_command("export_customers", str(masked), stdout=io.StringIO())
    call_command("export_customers", str(full), "--include-nik", stdout=io.StringIO())

    nik_column = TEMPLATE_FIELDS.index("nik") + 1
    masked_sheet = load_workbook(masked)["Pelanggan"]
    full_sheet = load_workbook(full)["Pelanggan"]
    assert masked_sheet.cell(row=2, column=nik_column).value == "************0001"
    assert full_sheet.cell(row=2, column=nik_column).value == "3201011203900001"


def test_problem_rows_workbook(admin_client, sample_catalogue):
    batch = upload(admin_client, CASES_DIR / "case15_duplikat.xlsx")

    response = admin_client.get(reverse("customers:batch-problems", args=[batch.pk]))

    sheet = load_workbook(io.BytesIO(response.getvalue()))["Pelanggan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "Masalah"
    assert rows[0][:2] == ("ID Pelanggan", "Nama")
    assert [row[:2] for row in rows[1:]] == [("PLG-0001", "Budi Santoso"), ("PLG-0004", "Rina Kusumawati")]
    assert "baris 2" in rows[1][-1]
    assert "NIK" in rows[2][-1]


def test_batch_of_other_site_is_hidden(client, sample_catalogue, admin_client, django_user_model):
    sites, _packages = sample_catalogue
    batch = upload(admin_client, SAMPLE_XLSX, site=sites["CBN"].pk)
    site_admin = django_user_model.objects.create_user(username="bjg", password="x-long-pass-123", is_staff=True)
    sites["BJG"].staff.add(site_admin)
    client.force_login(site_admin)

    response = client.get(reverse("customers:batch-detail", args=[batch.pk]))

    assert response.status_code == 404
