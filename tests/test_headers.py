import pytest

from customers.importing.headers import (
    REQUIRED_FIELDS,
    TEMPLATE_HEADERS,
    field_for_header,
    header_score,
    map_headers,
    normalise_header,
)


def test_template_headers_order():
    assert list(TEMPLATE_HEADERS.items()) == [
        ("number", "ID Pelanggan"),
        ("name", "Nama"),
        ("phone", "No. HP / WhatsApp"),
        ("email", "Email"),
        ("nik", "NIK"),
        ("address", "Alamat"),
        ("site", "Site"),
        ("package", "Paket"),
        ("installed_on", "Tanggal Pasang"),
        ("latitude", "Latitude"),
        ("longitude", "Longitude"),
        ("coordinates", "Titik Lokasi"),
        ("village", "Kelurahan/Desa"),
        ("district", "Kecamatan"),
        ("regency", "Kabupaten/Kota"),
        ("province", "Provinsi"),
        ("postal_code", "Kode Pos"),
        ("region_code", "Kode Wilayah"),
        ("status", "Status"),
        ("rt_rw", "RT/RW"),
        ("rt", "RT"),
        ("rw", "RW"),
        ("notes", "Keterangan"),
    ]
    assert REQUIRED_FIELDS == ("name",)


@pytest.mark.parametrize("text, expected", [
    ("No. HP/WA", "nohpwa"),
    ("  NO HP - WA ", "nohpwa"),
    ("\ufeffID Pelanggan", "idpelanggan"),
    ("Tgl\u00a0Pasang", "tglpasang"),
    ("E\u200b-mail", "email"),
    ("Kelurahan / Désa", "kelurahandesa"),
    ("", ""),
])
def test_normalise_header(text, expected):
    assert normalise_header(text) == expected


@pytest.mark.parametrize("header, field_name", [
    ("ID Pelanggan", "number"),
    ("ID", "number"),
    ("No Pelanggan", "number"),
    ("No. Pelanggan", "number"),
    ("Kode Pelanggan", "number"),
    ("Customer ID", "number"),
    ("Nama", "name"),
    ("Nama Pelanggan", "name"),
    ("Customer Name", "name"),
    ("NAMA LENGKAP", "name"),
    ("No HP", "phone"),
    ("No. HP", "phone"),
    ("No HP/WA", "phone"),
    ("No. HP/WA", "phone"),
    ("No. HP / WhatsApp", "phone"),
    ("Nomor WhatsApp", "phone"),
    ("WA", "phone"),
    ("Telepon", "phone"),
    ("Phone", "phone"),
    ("Email", "email"),
    ("E-mail", "email"),
    ("NIK", "nik"),
    ("No. KTP", "nik"),
    ("Alamat", "address"),
    ("Address", "address"),
    ("Site", "site"),
    ("Cabang", "site"),
    ("POP", "site"),
    ("Area", "site"),
    ("Paket", "package"),
    ("Paket Layanan", "package"),
    ("Package", "package"),
    ("Tanggal Pasang", "installed_on"),
    ("Tgl Pasang", "installed_on"),
    ("Tgl. Pasang", "installed_on"),
    ("Tanggal Instalasi", "installed_on"),
    ("Install Date", "installed_on"),
    ("Latitude", "latitude"),
    ("Lat", "latitude"),
    ("Lintang", "latitude"),
    ("Longitude", "longitude"),
    ("Long", "longitude"),
    ("Lng", "longitude"),
    ("Lon", "longitude"),
    ("Bujur", "longitude"),
    ("Titik Lokasi", "coordinates"),
    ("Koordinat", "coordinates"),
    ("Google Maps", "coordinates"),
    ("Kelurahan/Desa", "village"),
    ("Kelurahan", "village"),
    ("Desa", "village"),
    ("Kecamatan", "district"),
    ("Kota/Kabupaten", "regency"),
    ("Kab/Kota", "regency"),
    ("Kabupaten", "regency"),
    ("Kota", "regency"),
    ("Provinsi", "province"),
    ("Kode Pos", "postal_code"),
    ("Postal Code", "postal_code"),
    ("Kode Wilayah", "region_code"),
    ("Status", "status"),
    ("No. HP Aktif", "phone"),
    ("No HP Aktif", "phone"),
    ("No. Hp Aktif", "phone"),
    ("No Telp/HP", "phone"),
    ("No. Telp/HP", "phone"),
    ("Telp/HP", "phone"),
    ("HP Aktif", "phone"),
    ("Nama Pemilik", "name"),
    ("Nama Pelanggan Lengkap", "name"),
    ("Alamat Rumah", "address"),
    ("Alamat Pelanggan", "address"),
    ("Paket Langganan", "package"),
    ("Tgl Aktif", "installed_on"),
    ("Tanggal Aktif", "installed_on"),
    ("Tanggal Aktivasi", "installed_on"),
    ("Tgl Aktivasi", "installed_on"),
    ("Tanggal Registrasi", "installed_on"),
    ("Tgl Daftar", "installed_on"),
    ("Tanggal Daftar", "installed_on"),
    ("Nomor HP / WhatsApp", "phone"),
    ("No Telp/WA", "phone"),
    ("Email Pelanggan", "email"),
    # A hint after the header is left out when the whole text names nothing.
    ("Tanggal Pasang (dd/mm/yyyy)", "installed_on"),
    ("Nama [wajib]", "name"),
    ("No HP (WA) (aktif)", "phone"),
    ("Titik Lokasi (Peta)", "coordinates"),
    ("Keterangan", "notes"),
    ("KETERANGAN", "notes"),
    ("Ket", "notes"),
    ("Ket.", "notes"),
    ("ket", "notes"),
    ("Catatan", "notes"),
    ("CATATAN", "notes"),
    ("Note", "notes"),
    ("Notes", "notes"),
    ("Remarks", "notes"),
    ("Catatan (Nama)", "notes"),
])
def test_field_for_header_aliases(header, field_name):
    assert field_for_header(header) == field_name


@pytest.mark.parametrize(
    "header", [
        "No", "No.", "NO", "Kode", "Nomor", "Tanggal", "Harga", "Aktif", 1, None,
        "Kode (Nama)", "Nama (a) (b) (c)", "Nama (a(b))", "Nama" + "(x)" * 5000,
    ]
)
def test_field_for_header_unknown(header):
    assert field_for_header(header) is None


def test_map_headers_renamed_and_reordered():
    header_map = map_headers([
        "No", "Nama Pelanggan", "ID Pelanggan", "No. HP", "E-mail", "NIK", "Alamat",
        "Paket", "Site", "Tgl Pasang", "Lat", "Long", "Keterangan",
    ])

    assert header_map.columns == {
        1: "name", 2: "number", 3: "phone", 4: "email", 5: "nik", 6: "address",
        7: "package", 8: "site", 9: "installed_on", 10: "latitude", 11: "longitude", 12: "notes",
    }
    assert header_map.labels["name"] == "Nama Pelanggan"
    assert header_map.labels["phone"] == "No. HP"
    assert header_map.labels["latitude"] == "Lat"
    assert header_map.labels["notes"] == "Keterangan"
    assert header_map.unknown == ["No"]
    assert header_map.duplicates == []
    assert header_map.missing_required == []


def test_map_headers_duplicate_column():
    header_map = map_headers(["Nama", "No HP", "Nama Pelanggan", "WA"])

    assert header_map.columns == {0: "name", 1: "phone"}
    assert header_map.duplicates == ["Nama Pelanggan", "WA"]
    assert header_map.unknown == []


def test_street_header_yields_to_alamat_column():
    header_map = map_headers(["Nama", "Nama Jalan", "Alamat", "No. HP"])

    assert header_map.columns == {0: "name", 2: "address", 3: "phone"}
    assert header_map.duplicates == ["Nama Jalan"]


def test_street_header_is_alamat_without_other_column():
    header_map = map_headers(["Nama", "Nama Jalan", "No. HP"])

    assert header_map.columns == {0: "name", 1: "address", 2: "phone"}
    assert header_map.duplicates == []


def test_map_headers_missing_name():
    header_map = map_headers(["ID Pelanggan", "No HP"])

    assert header_map.missing_required == ["name"]


def test_map_headers_skips_empty_cells():
    header_map = map_headers([None, "", "  ", "\u200b", "Nama"])

    assert header_map.columns == {4: "name"}
    assert header_map.unknown == []
    assert header_map.blank == [0, 1, 2, 3]
    assert header_map.width == 5


def test_map_headers_label_strips_bom():
    header_map = map_headers(["\ufeffID Pelanggan", " Nama\u00a0"])

    assert header_map.labels == {"number": "ID Pelanggan", "name": "Nama"}


def test_map_headers_label_falls_back_to_template():
    header_map = map_headers(["Nama Pelanggan"])

    assert header_map.label("name") == "Nama Pelanggan"
    assert header_map.label("phone") == "No. HP / WhatsApp"


def test_header_score_title_rows():
    assert header_score(["DATA PELANGGAN NUSANTARA NET", None, None]) == 0
    assert header_score(["Periode: Agustus 2024", None]) == 0
    assert header_score([None, None, None]) == 0


def test_header_score_counts_distinct_fields():
    row = ["No", "Nama Pelanggan", "ID Pelanggan", "No. HP", "E-mail", "Keterangan"]
    assert header_score(row) == 5
    assert header_score(["Nama", "Nama Pelanggan", "Customer Name"]) == 1


def test_map_headers_override_maps_unknown_column():
    header_map = map_headers(["Nama", "Kontak Utama", "Status Bayar"], overrides={1: "phone"})

    assert header_map.columns == {0: "name", 1: "phone"}
    assert header_map.labels["phone"] == "Kontak Utama"
    assert header_map.sources == {0: "template", 1: "chosen", 2: None}
    assert header_map.headers == {0: "Nama", 1: "Kontak Utama", 2: "Status Bayar"}
    assert header_map.unknown == ["Status Bayar"]


def test_map_headers_override_ignores_column():
    header_map = map_headers(["Nama", "Kontak Utama"], overrides={1: None}, learned={"kontakutama": "phone"})

    assert header_map.columns == {0: "name"}
    assert header_map.sources == {0: "template", 1: "chosen"}
    assert header_map.unknown == ["Kontak Utama"]


def test_map_headers_override_claims_field_first():
    header_map = map_headers(["No HP", "Nama", "Kontak Utama"], overrides={2: "phone"})

    assert header_map.columns == {1: "name", 2: "phone"}
    assert header_map.duplicates == ["No HP"]
    assert header_map.labels["phone"] == "Kontak Utama"


def test_map_headers_learned_alias():
    learned = {"kontakutama": "phone", "nama": "email"}
    header_map = map_headers(["Nama", "KONTAK UTAMA"], learned=learned)

    # A learned alias never changes what a built-in alias means.
    assert header_map.columns == {0: "name", 1: "phone"}
    assert header_map.sources == {0: "template", 1: "learned"}
    assert header_map.missing_required == []


def test_map_headers_learned_field_repeated():
    header_map = map_headers(["Kontak Utama", "Nama", "No HP"], learned={"kontakutama": "phone"})

    assert header_map.columns == {0: "phone", 1: "name"}
    assert header_map.duplicates == ["No HP"]


def test_header_score_counts_learned_aliases():
    row = ["Nama Pemegang Akun", "Kontak Utama", "Lokasi"]
    learned = {"namapemegangakun": "name", "kontakutama": "phone"}

    assert header_score(row) == 0
    assert header_score(row, learned) == 2
