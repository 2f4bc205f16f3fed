"""Map the header row of a customer sheet to canonical field names.

Headers are compared after normalise_header(), so "No. HP/WA", "no hp / wa"
and "NO HP-WA" are the same header. Only whole, known aliases are matched.
A header is never guessed from a substring, because "No" alone is a row
counter and "Kode" alone could be anything.
"""

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

# Canonical field -> the header the template writes, in template column order.
TEMPLATE_HEADERS = {
    "number": "ID Pelanggan",
    "name": "Nama",
    "phone": "No. HP / WhatsApp",
    "email": "Email",
    "nik": "NIK",
    "address": "Alamat",
    "site": "Site",
    "package": "Paket",
    "installed_on": "Tanggal Pasang",
    "latitude": "Latitude",
    "longitude": "Longitude",
    # Optional columns below are recognised but left out of the basic template.
    "coordinates": "Titik Lokasi",
    "village": "Kelurahan/Desa",
    "district": "Kecamatan",
    "regency": "Kabupaten/Kota",
    "province": "Provinsi",
    "postal_code": "Kode Pos",
    "region_code": "Kode Wilayah",
    "status": "Status",
}

REQUIRED_FIELDS = ("name",)

# Other headers seen in ISP sheets, in Indonesian and English. The template
# header of each field is added automatically below.
_ALIASES = {
    "number": [
        "ID", "IDPel", "ID Pel", "No Pelanggan", "No. Pelanggan", "Nomor Pelanggan",
        "Kode Pelanggan", "No ID", "No. ID", "ID Customer", "Customer ID",
        "Customer No", "Customer Number", "Customer Code",
    ],
    "name": [
        "Nama Pelanggan", "Nama Lengkap", "Nama Customer", "Customer Name",
        "Customer", "Name", "Full Name",
    ],
    "phone": [
        "No HP", "No HP/WA", "No. HP/WA",
        "Nomor HP", "Nomor HP/WA", "No Handphone", "Handphone", "HP", "HP/WA",
        "No WA", "No. WA", "Nomor WA", "Nomor WhatsApp", "No WhatsApp", "WhatsApp",
        "WA", "Telepon", "Telp", "No Telp", "No. Telp", "No Telepon",
        "Nomor Telepon", "Telepon/WA", "Kontak", "Phone", "Phone Number",
        "Mobile", "Mobile Number", "Contact",
    ],
    "email": ["E-mail", "Alamat Email", "Alamat E-mail", "Surel", "Email Address"],
    "nik": [
        "No KTP", "No. KTP", "Nomor KTP", "KTP", "NIK KTP", "No NIK", "No. NIK",
        "Nomor NIK", "Nomor Induk Kependudukan", "National ID",
    ],
    "address": [
        "Alamat Lengkap", "Alamat Pemasangan", "Alamat Pasang", "Alamat Instalasi",
        "Address", "Full Address", "Installation Address",
    ],
    "site": ["Cabang", "POP", "Area", "Nama Site", "Site Name", "Branch"],
    "package": [
        "Paket Layanan", "Nama Paket", "Paket Internet", "Layanan", "Package",
        "Service Package", "Plan",
    ],
    "installed_on": [
        "Tgl Pasang", "Tgl. Pasang", "Tanggal Instalasi", "Tgl Instalasi",
        "Tgl. Instalasi", "Tanggal Pemasangan", "Tgl Pemasangan", "Install Date",
        "Installation Date", "Installed On", "Date Installed",
    ],
    "latitude": ["Lat", "Lintang"],
    "longitude": ["Long", "Lng", "Lon", "Bujur"],
    "coordinates": [
        "Titik Lokasi (Peta)", "Titik Koordinat", "Koordinat", "Lokasi Peta",
        "Google Maps", "Link Google Maps", "Link Maps", "Maps", "Lat Long",
        "Lat/Long", "Latitude, Longitude", "Coordinates", "GPS",
    ],
    "village": [
        "Kelurahan", "Desa", "Desa/Kelurahan", "Kel/Desa", "Kel.", "Village",
    ],
    "district": ["Kec", "Kec.", "District", "Subdistrict"],
    "regency": [
        "Kota/Kabupaten", "Kab/Kota", "Kota/Kab", "Kabupaten", "Kota", "Kab",
        "Kab.", "Regency", "City", "Regency/City",
    ],
    "province": ["Prov", "Prov.", "Propinsi", "Province"],
    "postal_code": ["Kodepos", "Postal Code", "Postcode", "ZIP", "ZIP Code"],
    "region_code": ["Kode Kemendagri", "Region Code"],
    "status": ["Status Pelanggan", "Status Langganan", "Customer Status"],
}


def normalise_header(text):
    """Reduce a header to lower-case letters and digits for comparison.

    Accents are stripped, and spaces of every kind, punctuation, zero-width
    characters and a byte-order mark are dropped.
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(char for char in decomposed.casefold() if char.isalnum())


def _build_alias_index():
    index = {}
    for field_name, header in TEMPLATE_HEADERS.items():
        for alias in [header, *_ALIASES.get(field_name, [])]:
            key = normalise_header(alias)
            if index.get(key, field_name) != field_name:
                raise ValueError(f"Header alias {alias!r} names two fields.")
            index[key] = field_name
    return index


# Normalised header -> field.
HEADER_ALIASES = _build_alias_index()


def field_for_header(text):
    """Return the field a header names, or None when it names no known field."""
    if not isinstance(text, str):
        return None
    return HEADER_ALIASES.get(normalise_header(text))


def header_score(cells):
    """Count the distinct known fields a row of cells names.

    The reader uses the count to find the header row below title rows.
    """
    fields = {field_for_header(cell) for cell in cells}
    fields.discard(None)
    return len(fields)


def _strip_label(text):
    """Strip whitespace and invisible format characters such as a BOM from both ends."""
    start, end = 0, len(text)
    while start < end and _is_blank(text[start]):
        start += 1
    while end > start and _is_blank(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_blank(char):
    return char.isspace() or unicodedata.category(char) == "Cf"


@dataclass
class HeaderMap:
    """The columns of a sheet mapped to fields.

    `columns` maps a 0-based column index to its field. `labels` maps a
    field to its header as written in the file (surrounding whitespace
    and invisible characters stripped), for messages. `unknown` and `duplicates` list the header
    texts that were ignored. `missing_required` lists required field names
    that no column names.
    """

    columns: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    unknown: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    missing_required: list = field(default_factory=list)

    @cached_property
    def fields_in_column_order(self):
        """The mapped fields, left to right; read once per sheet, used per row."""
        return [name for _index, name in sorted(self.columns.items())]

    def label(self, field_name):
        """Return the file's header for a field, or the template header."""
        return self.labels.get(field_name, TEMPLATE_HEADERS.get(field_name, field_name))


def map_headers(cells):
    """Map a header row to fields.

    The first column naming a field wins. A later column naming the same
    field is ignored and listed in `duplicates`. Empty header cells are
    skipped silently.
    """
    header_map = HeaderMap()
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        text = _strip_label(str(cell))
        if not normalise_header(text):
            continue

        field_name = field_for_header(cell)
        if field_name is None:
            header_map.unknown.append(text)
        elif field_name in header_map.labels:
            header_map.duplicates.append(text)
        else:
            header_map.columns[index] = field_name
            header_map.labels[field_name] = text

    header_map.missing_required = [
        name for name in REQUIRED_FIELDS if name not in header_map.labels
    ]
    return header_map
