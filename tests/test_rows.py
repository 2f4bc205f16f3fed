import csv
import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from customers.importing.cells import ErrorCell, FormulaWithoutValue, RawRow
from customers.importing.headers import header_score, map_headers
from customers.importing.problems import Problem
from customers.importing.rows import CleanRow, clean_row

DATA_DIR = Path(__file__).parent / "data"

TEMPLATE_ROW = [
    "ID Pelanggan", "Nama", "No HP", "Email", "NIK", "Alamat", "Site", "Paket",
    "Tanggal Pasang", "Latitude", "Longitude",
]


def template_row(**cells):
    """A raw row in template column order with the given fields filled."""
    order = ["number", "name", "phone", "email", "nik", "address", "site", "package",
             "installed_on", "latitude", "longitude"]
    return tuple(cells.get(name) for name in order)


def sheet_rows(path):
    """Return (header cells, RawRows) of the first sheet, header in row 1
    unless title rows come first."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    header_index = max(range(len(rows)), key=lambda index: header_score(rows[index]))
    raw_rows = [
        RawRow(number, tuple(cells))
        for number, cells in enumerate(rows[header_index + 1:], start=header_index + 2)
    ]
    return rows[header_index], raw_rows


# ---------------------------------------------------------------------------
# Single rows


def test_clean_row_template_row():
    header_map = map_headers(TEMPLATE_ROW)
    raw = RawRow(2, template_row(
        number="PLG-0001", name="  Budi\u00a0 Santoso ", phone="0812-3456-7890",
        email="Budi.S@Contoh.ID", nik="3201011203900001",
        address="Jl. Mawar No. 5\nCibinong", site="Cibinong", package=" Home 20 Mbps ",
        installed_on=datetime.datetime(2023, 1, 15), latitude=-6.4812, longitude=106.8421,
    ))

    clean = clean_row(raw, header_map)

    assert clean.number == 2
    assert clean.problems == []
    assert clean.notes == []
    assert clean.values == {
        "number": "PLG-0001",
        "name": "Budi Santoso",
        "phone": "+6281234567890",
        "email": "Budi.S@contoh.id",
        "nik": "3201011203900001",
        "address": "Jl. Mawar No. 5 Cibinong",
        "site": "Cibinong",
        "package": "Home 20 Mbps",
        "installed_on": datetime.date(2023, 1, 15),
        "latitude": Decimal("-6.481200"),
        "longitude": Decimal("106.842100"),
    }
    assert clean.raw == {
        "number": "PLG-0001",
        "name": "  Budi\u00a0 Santoso ",
        "phone": "0812-3456-7890",
        "email": "Budi.S@Contoh.ID",
        "nik": "3201011203900001",
        "address": "Jl. Mawar No. 5\nCibinong",
        "site": "Cibinong",
        "package": " Home 20 Mbps ",
        "installed_on": "2023-01-15",
        "latitude": "-6.4812",
        "longitude": "106.8421",
    }


def test_clean_row_empty_row_skipped():
    header_map = map_headers(TEMPLATE_ROW)

    assert clean_row(RawRow(5, template_row()), header_map) is None
    assert clean_row(RawRow(5, ()), header_map) is None
    assert clean_row(RawRow(5, (" ", "\u00a0", "-", None)), header_map) is None


def test_clean_row_counter_only_skipped():
    header_map = map_headers(["No", "Nama", "No HP"])

    assert clean_row(RawRow(7, (6, None, None)), header_map) is None


def test_clean_row_short_row():
    header_map = map_headers(TEMPLATE_ROW)

    clean = clean_row(RawRow(3, ("PLG-0002", "Siti")), header_map)

    assert clean.values == {"number": "PLG-0002", "name": "Siti"}
    assert clean.problems == []


def test_clean_row_name_missing():
    header_map = map_headers(["Nama Pelanggan", "No. HP"])

    clean = clean_row(RawRow(4, (None, "0812-3456-7890")), header_map)

    assert clean.problems == [Problem(4, "Nama Pelanggan", "", "name_missing")]
    assert clean.values == {"phone": "+6281234567890"}


def test_clean_row_name_missing_in_column_order():
    header_map = map_headers(["ID Pelanggan", "Nama", "No HP"])

    clean = clean_row(RawRow(4, ("PLG-0009", None, "0812")), header_map)

    assert clean.problems == [
        Problem(4, "Nama", "", "name_missing"),
        Problem(4, "No HP", "0812", "phone_invalid"),
    ]


def test_clean_row_without_name_column():
    header_map = map_headers(["ID Pelanggan", "No HP"])

    clean = clean_row(RawRow(4, ("PLG-0009", "0812-3456-7890")), header_map)

    assert clean.problems == [Problem(4, "Nama", "", "name_missing")]


def test_clean_row_name_error_cell():
    header_map = map_headers(["Nama", "No HP"])

    clean = clean_row(RawRow(4, (ErrorCell("#REF!"), "0812-3456-7890")), header_map)

    assert clean.problems == [Problem(4, "Nama", "#REF!", "cell_error")]


def test_clean_row_problem_columns_and_values():
    header_map = map_headers(["Nama Pelanggan", "No. HP/WA", "NIK", "Tgl Pasang", "E-mail"])
    raw = RawRow(9, ("Budi", 81234.0, 3273014403920000, "12/31/2023", "budi@"))

    clean = clean_row(raw, header_map)

    assert clean.problems == [
        Problem(9, "No. HP/WA", "81234", "phone_invalid"),
        Problem(9, "NIK", "3273014403920000", "nik_number_cell"),
    ]
    assert clean.notes == [
        Problem(9, "Tgl Pasang", "12/31/2023", "date_left_out"),
        Problem(9, "E-mail", "budi@", "email_left_out"),
    ]
    assert clean.values == {"name": "Budi"}


def test_clean_row_problem_params():
    header_map = map_headers(["Nama", "NIK"])

    clean = clean_row(RawRow(3, ("Budi", "32730144039200")), header_map)

    assert clean.problems == [Problem(3, "NIK", "32730144039200", "nik_wrong_length")]
    assert clean.problems[0].params == {"length": 14}


def test_clean_row_formula_without_value():
    header_map = map_headers(TEMPLATE_ROW)
    raw = RawRow(4, template_row(
        number="PLG-0003", name="Andi", package=FormulaWithoutValue("Referensi!A4"),
    ))

    clean = clean_row(raw, header_map)

    assert clean.problems == [Problem(4, "Paket", "", "cell_formula_without_value")]
    assert clean.raw == {"number": "PLG-0003", "name": "Andi", "package": ""}
    assert "Referensi" not in repr(clean)


def test_clean_row_phone_extra_numbers_note():
    header_map = map_headers(["Nama", "No HP/WA"])

    clean = clean_row(RawRow(6, ("Dewi", "0812-1111-2222 / 0813-3333-4444")), header_map)

    assert clean.values == {"name": "Dewi", "phone": "+6281211112222"}
    assert clean.problems == []
    assert clean.notes == [
        Problem(6, "No HP/WA", "0812-1111-2222 / 0813-3333-4444", "phone_extra_numbers"),
    ]
    assert clean.notes[0].params == {"numbers": "0813-3333-4444"}


def test_clean_row_hidden_note():
    header_map = map_headers(["Nama"])

    clean = clean_row(RawRow(8, ("Dewi",), hidden=True), header_map)

    assert clean.values == {"name": "Dewi"}
    assert clean.notes == [Problem(8, "", "", "row_hidden")]


OPTIONAL_HEADERS = ["Nama", "Email", "Titik Lokasi", "Tanggal Pasang", "Kode Pos", "Kode Wilayah", "Site", "Paket"]


@pytest.mark.parametrize(("column", "value", "field", "code"), [
    ("Email", "a@b.c<script>", "email", "email_left_out"),
    ("Email", "budi@", "email", "email_left_out"),
    ("Email", "budi gmail.com", "email", "email_left_out"),
    ("Email", "x" * 250 + "@contoh.id", "email", "email_left_out"),
    ("Email", ErrorCell("#N/A"), "email", "cell_error_left_out"),
    ("Email", FormulaWithoutValue("Data!B2"), "email", "formula_left_out"),
    ("Titik Lokasi", "https://goo.gl/maps/abc123", "coordinates", "coordinates_short_link_left_out"),
    ("Titik Lokasi", "https://maps.app.goo.gl/AbCdEf123", "coordinates", "coordinates_short_link_left_out"),
    ("Titik Lokasi", "https://www.google.com/maps/place/Cibinong", "coordinates", "coordinates_link_left_out"),
    ("Titik Lokasi", "di depan masjid", "coordinates", "coordinates_left_out"),
    ("Titik Lokasi", "48.8584, 2.2945", "coordinates", "location_outside_indonesia_left_out"),
    ("Titik Lokasi", ErrorCell("#REF!"), "coordinates", "cell_error_left_out"),
    ("Tanggal Pasang", "12/31/2023", "installed_on", "date_left_out"),
    ("Tanggal Pasang", "31/02/2024", "installed_on", "date_left_out"),
    ("Tanggal Pasang", "kemarin", "installed_on", "date_left_out"),
    ("Tanggal Pasang", "01/01/1970", "installed_on", "date_left_out"),
    ("Kode Pos", "1691", "postal_code", "postal_code_left_out"),
    ("Kode Pos", FormulaWithoutValue("A1"), "postal_code", "postal_code_formula_left_out"),
    ("Tanggal Pasang", ErrorCell("#VALUE!"), "installed_on", "cell_error_left_out"),
    ("Kode Pos", ErrorCell("#N/A"), "postal_code", "cell_error_left_out"),
    ("Kode Wilayah", "32.1", "region_code", "region_code_left_out"),
    ("Kode Wilayah", ErrorCell("#N/A"), "region_code", "cell_error_left_out"),
    ("Site", ErrorCell("#N/A"), "site", "cell_error_left_out"),
    ("Paket", ErrorCell("#N/A"), "package", "cell_error_left_out"),
])
def test_clean_row_optional_value_left_out(column, value, field, code):
    header_map = map_headers(OPTIONAL_HEADERS)
    cells = ["Dewi"] + [None] * (len(OPTIONAL_HEADERS) - 1)
    cells[OPTIONAL_HEADERS.index(column)] = value

    clean = clean_row(RawRow(5, tuple(cells)), header_map)

    assert clean.problems == []
    expected_value = "" if isinstance(value, FormulaWithoutValue) else str(value)
    assert clean.notes == [Problem(5, column, expected_value, code)]
    assert clean.values == {"name": "Dewi"}
    assert field in clean.raw


@pytest.mark.parametrize(("column", "value", "code"), [
    ("ID Pelanggan", "P" * 31, "text_too_long"),
    ("No HP", "0812x", "phone_invalid"),
    ("NIK", "327301440392000A", "nik_not_digits"),
    ("NIK", 3201011203900000, "nik_number_cell"),
    ("Status", "Pindah", "status_unknown"),
    ("Alamat", ErrorCell("#N/A"), "cell_error"),
    ("ID Pelanggan", ErrorCell("#N/A"), "cell_error"),
    ("No HP", ErrorCell("#N/A"), "cell_error"),
    ("NIK", ErrorCell("#REF!"), "cell_error"),
    ("Status", ErrorCell("#N/A"), "cell_error"),
    ("Paket", "P" * 201, "text_too_long"),
])
def test_clean_row_identity_value_rejects(column, value, code):
    headers = ["Nama", "ID Pelanggan", "No HP", "NIK", "Status", "Alamat", "Paket", "Email"]
    cells = ["Dewi", None, None, None, None, None, None, "budi@"]
    cells[headers.index(column)] = value

    clean = clean_row(RawRow(5, tuple(cells)), map_headers(headers))

    assert clean.problems == [Problem(5, column, str(value), code)]
    assert clean.notes == [Problem(5, "Email", "budi@", "email_left_out")]


def test_clean_row_name_still_required():
    clean = clean_row(RawRow(5, (None, "budi@")), map_headers(["Nama", "Email"]))

    assert clean.problems == [Problem(5, "Nama", "", "name_missing")]
    assert clean.notes == [Problem(5, "Email", "budi@", "email_left_out")]


def test_clean_row_nik_number_cell_accepted():
    header_map = map_headers(["Nama", "NIK"])

    clean = clean_row(RawRow(5, ("Dewi", 3201011203900007)), header_map)

    assert clean.problems == []
    assert clean.values == {"name": "Dewi", "nik": "3201011203900007"}


def test_clean_row_date1904():
    header_map = map_headers(["Nama", "Tanggal Pasang"])

    clean = clean_row(RawRow(2, ("Dewi", 43893)), header_map, date1904=True)

    assert clean.values["installed_on"] == datetime.date(2024, 3, 4)


# ---------------------------------------------------------------------------
# Locations

LOCATION_HEADERS = ["Nama", "Lat", "Long", "Titik Lokasi"]


def test_clean_row_latitude_without_longitude():
    clean = clean_row(RawRow(3, ("Dewi", "-6,4812", None)), map_headers(LOCATION_HEADERS))

    assert clean.problems == []
    assert clean.notes == [Problem(3, "Lat", "-6,4812", "coordinate_unpaired_left_out")]
    assert clean.values == {"name": "Dewi"}


def test_clean_row_longitude_without_latitude():
    clean = clean_row(RawRow(3, ("Dewi", None, 106.8421)), map_headers(LOCATION_HEADERS))

    assert clean.problems == []
    assert clean.notes == [Problem(3, "Long", "106.8421", "coordinate_unpaired_left_out")]
    assert clean.values == {"name": "Dewi"}


def test_clean_row_invalid_latitude():
    clean = clean_row(RawRow(3, ("Dewi", "abc", 106.8421)), map_headers(LOCATION_HEADERS))

    assert clean.problems == []
    assert clean.notes == [Problem(3, "Lat", "abc", "coordinate_left_out")]
    assert clean.values == {"name": "Dewi"}


def test_clean_row_swapped_coordinates():
    clean = clean_row(RawRow(3, ("Dewi", 106.8421, -6.4812)), map_headers(LOCATION_HEADERS))

    assert clean.values["latitude"] == Decimal("-6.481200")
    assert clean.values["longitude"] == Decimal("106.842100")
    assert clean.problems == []
    assert clean.notes == [Problem(3, "Lat", "106.8421", "coordinates_swapped")]
    assert clean.notes[0].params == {"latitude": "-6.4812", "longitude": "106.8421"}


def test_clean_row_outside_indonesia():
    header_map = map_headers(LOCATION_HEADERS)

    clean = clean_row(RawRow(3, ("Dewi", -6.4812, 10.8421)), header_map)
    assert clean.problems == []
    assert clean.notes == [Problem(3, "Long", "10.8421", "location_outside_indonesia_left_out")]
    assert clean.notes[0].params == {
        "latitude": "-6.4812",
        "longitude": "10.8421",
        "cell_code": "longitude_outside_indonesia",
        "note_code": "location_outside_indonesia_left_out",
    }
    assert clean.values == {"name": "Dewi"}

    clean = clean_row(RawRow(3, ("Dewi", 40.7, 106.8)), header_map)
    assert clean.problems == []
    assert clean.notes == [Problem(3, "Lat", "40.7", "location_outside_indonesia_left_out")]
    assert clean.values == {"name": "Dewi"}


def test_clean_row_pair_fills_location():
    link = "https://www.google.com/maps/place/Rumah/@-6.4812,106.8421,17z"

    clean = clean_row(RawRow(3, ("Dewi", None, None, link)), map_headers(LOCATION_HEADERS))

    assert clean.values == {
        "name": "Dewi", "latitude": Decimal("-6.481200"), "longitude": Decimal("106.842100"),
    }
    assert clean.raw["coordinates"] == link
    assert clean.problems == []


def test_clean_row_pair_ignored_when_columns_filled():
    clean = clean_row(
        RawRow(3, ("Dewi", -6.4475, 106.8019, "https://maps.app.goo.gl/x")),
        map_headers(LOCATION_HEADERS),
    )

    assert clean.values["latitude"] == Decimal("-6.447500")
    assert clean.values["longitude"] == Decimal("106.801900")
    assert clean.problems == []


def test_clean_row_pair_short_link_note():
    clean = clean_row(
        RawRow(3, ("Dewi", None, None, "https://maps.app.goo.gl/AbC")),
        map_headers(LOCATION_HEADERS),
    )

    assert clean.problems == []
    assert clean.notes == [
        Problem(3, "Titik Lokasi", "https://maps.app.goo.gl/AbC", "coordinates_short_link_left_out"),
    ]
    assert clean.values == {"name": "Dewi"}


def test_clean_row_pair_swapped_note():
    clean = clean_row(RawRow(3, ("Dewi", None, None, "106,8421; -6,4812")), map_headers(LOCATION_HEADERS))

    assert clean.notes == [Problem(3, "Titik Lokasi", "106,8421; -6,4812", "coordinates_swapped")]
    assert clean.values["latitude"] == Decimal("-6.481200")


def test_clean_row_region_fields():
    header_map = map_headers([
        "Nama", "Desa", "Kec.", "Kab/Kota", "Provinsi", "Kode Pos", "Kode Wilayah", "Status",
    ])
    raw = RawRow(2, (
        "Dewi", " Pabuaran ", "Cibinong", "Kab. Bogor", "Jawa  Barat", 16916, "3201011007", "Aktif",
    ))

    clean = clean_row(raw, header_map)

    assert clean.values == {
        "name": "Dewi",
        "village": "Pabuaran",
        "district": "Cibinong",
        "regency": "Kab. Bogor",
        "province": "Jawa Barat",
        "postal_code": "16916",
        "region_code": "32.01.01.1007",
        "status": "active",
    }
    assert clean.problems == []


def test_postal_code_formula_note():
    header_map = map_headers(["Nama", "Kode Pos"])
    raw = RawRow(4, ("Dewi", FormulaWithoutValue("Referensi!B4")))

    clean = clean_row(raw, header_map)

    assert clean.values == {"name": "Dewi"}
    assert clean.problems == []
    assert clean.notes == [Problem(4, "Kode Pos", "", "postal_code_formula_left_out")]
    with translation.override("en"):
        assert clean.notes[0].message == (
            "Row 4, column Kode Pos: the cell contains a formula without a saved result, so the customer is saved "
            "without a postal code. Open and save the file in Excel and upload it again, or fill in the postal "
            "code on the customer's page."
        )


def test_postal_code_formula_note_indonesian():
    note = Problem(4, "Kode Pos", "", "postal_code_formula_left_out")

    with translation.override("id"):
        indonesian = note.message

    assert indonesian == (
        "Baris 4, kolom Kode Pos: sel berisi rumus tanpa hasil yang tersimpan, jadi pelanggan disimpan tanpa "
        "kode pos. Buka lalu simpan file di Excel dan unggah lagi, atau isi kode posnya di halaman pelanggan."
    )


# ---------------------------------------------------------------------------
# Real workbooks


def test_sample_workbook_rows(expected):
    header, raw_rows = sheet_rows(DATA_DIR / "samples" / "pelanggan-contoh.xlsx")
    header_map = map_headers(header)

    cleaned = [clean_row(raw, header_map) for raw in raw_rows]

    assert len(cleaned) == len(expected["customers"]) == 8
    for clean, customer in zip(cleaned, expected["customers"]):
        assert clean.problems == [], customer["number"]
        values = clean.values
        assert values["number"] == customer["number"]
        assert values["name"] == customer["name"]
        assert values["phone"] == customer["phone"]
        assert values.get("email", "") == customer["email"]
        assert values.get("nik", "") == customer["nik"]
        installed_on = values.get("installed_on")
        assert (installed_on.isoformat() if installed_on else None) == customer["installed_on"]
        latitude = values.get("latitude")
        assert latitude == (Decimal(str(customer["latitude"])) if customer["latitude"] else None)
        longitude = values.get("longitude")
        assert longitude == (Decimal(str(customer["longitude"])) if customer["longitude"] else None)


def test_sample_csv_rows(expected):
    path = DATA_DIR / "samples" / "pelanggan-contoh-titikkoma.csv"
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    header_map = map_headers(rows[0])

    cleaned = [clean_row(RawRow(number, tuple(cells)), header_map) for number, cells in enumerate(rows[1:], start=2)]

    assert [clean.values["phone"] for clean in cleaned] == [c["phone"] for c in expected["customers"]]
    assert [
        clean.values.get("installed_on") and clean.values["installed_on"].isoformat() for clean in cleaned
    ] == [c["installed_on"] for c in expected["customers"]]
    assert cleaned[0].values["latitude"] == Decimal("-6.481200")
    assert cleaned[0].values["longitude"] == Decimal("106.842100")
    assert cleaned[5].values["name"] == "Rina Marlina"
    assert all(clean.problems == [] for clean in cleaned)


def test_case04_mixed_dates():
    header, raw_rows = sheet_rows(DATA_DIR / "cases" / "case04_tanggal_campur.xlsx")
    header_map = map_headers(header)

    dates = [clean_row(raw, header_map).values["installed_on"] for raw in raw_rows]

    assert dates == [
        datetime.date(2024, 8, 17),
        datetime.date(2024, 3, 4),
        datetime.date(2023, 12, 31),
        datetime.date(2024, 3, 4),
        datetime.date(2024, 8, 17),
    ]


def test_case05_phones_without_zero():
    header, raw_rows = sheet_rows(DATA_DIR / "cases" / "case05_hp_tanpa_nol.xlsx")
    header_map = map_headers(header)

    phones = [clean_row(raw, header_map).values["phone"] for raw in raw_rows]

    assert phones == [f"+628123456780{digit}" for digit in range(1, 6)]


def test_case07_nik_typed_as_number():
    header, raw_rows = sheet_rows(DATA_DIR / "cases" / "case07_nik_15_digit.xlsx")
    header_map = map_headers(header)

    cleaned = [clean_row(raw, header_map) for raw in raw_rows]

    assert cleaned[0].values["nik"] == "3273011708900001"
    assert cleaned[0].problems == []
    assert cleaned[1].problems == [Problem(3, "NIK", "3273014403920000", "nik_number_cell")]
    assert cleaned[2].problems == [Problem(4, "NIK", "3204052512880000", "nik_number_cell")]
    assert "nik" not in cleaned[1].values
    assert "nik" not in cleaned[2].values


def test_case12_header_in_row_four():
    header, raw_rows = sheet_rows(DATA_DIR / "cases" / "case12_header_baris4.xlsx")
    header_map = map_headers(header)

    cleaned = [clean_row(raw, header_map) for raw in raw_rows]

    assert header_map.unknown == ["No"]
    assert [clean.number for clean in cleaned] == [5, 6, 7]
    assert cleaned[0].values == {
        "number": "PLG-0001",
        "name": "Budi Santoso",
        "phone": "+6281234567801",
        "email": "budi.santoso@example.com",
        "nik": "3273011708900001",
        "address": "Jl. Merdeka No. 10, Bogor",
        "package": "Home 20 Mbps",
        "site": "CBN",
        "installed_on": datetime.date(2024, 8, 17),
        "latitude": Decimal("-6.914744"),
        "longitude": Decimal("107.609810"),
        "notes": "lunas",
    }
    assert all(clean.problems == [] for clean in cleaned)


def test_message_cuts_long_value():
    name = "Budi " * 50
    problem = Problem(4, "Nama", name, "text_too_long", {"length": 250, "limit": 200})

    with translation.override("id"):
        message = problem.message

    assert message == (
        f"Baris 4, kolom Nama: “{name[:59]}…” panjangnya 250 karakter, melebihi batas 200 karakter. Persingkat isinya."
    )
    assert problem.value == name


def test_future_installation_date_noted():
    header_map = map_headers(["Nama", "Tanggal Pasang"])
    future = datetime.date.today() + datetime.timedelta(days=400)

    clean = clean_row(RawRow(2, ["Ani", future.strftime("%d/%m/%Y")]), header_map)

    assert clean.values["installed_on"] == future
    assert clean.problems == []
    assert [note.code for note in clean.notes] == ["date_in_future"]
    assert clean.notes[0].params == {"date": future.strftime("%d/%m/%Y")}


def test_past_installation_date_not_noted():
    header_map = map_headers(["Nama", "Tanggal Pasang"])

    clean = clean_row(RawRow(2, ["Ani", "01/02/2024"]), header_map)

    assert clean.values["installed_on"] == datetime.date(2024, 2, 1)
    assert clean.notes == []
