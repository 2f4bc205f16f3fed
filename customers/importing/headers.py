"""Map the header row of a customer sheet to canonical field names.

Headers are compared after normalise_header(), so "No. HP/WA", "no hp / wa"
and "NO HP-WA" are the same header. Only whole, known aliases are matched.
A header is never guessed from a substring, because "No" alone is a row
counter and "Kode" alone could be anything.
"""

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from customers.importing.readers.base import column_letter

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
    # RT/RW in one column, or RT and RW in two. Their numbers are added to
    # the Alamat (see rt_rw.py).
    "rt_rw": "RT/RW",
    "rt": "RT",
    "rw": "RW",
    # The admin's own free-text notes on the customer, never shown in the portal.
    "notes": "Keterangan",
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
        "Customer", "Name", "Full Name", "Nama Pemilik", "Nama Pelanggan Lengkap",
    ],
    "phone": [
        "No HP", "No HP/WA", "No. HP/WA",
        "Nomor HP", "Nomor HP/WA", "No Handphone", "Handphone", "HP", "HP/WA",
        "No WA", "No. WA", "Nomor WA", "Nomor WhatsApp", "No WhatsApp", "WhatsApp",
        "WA", "Telepon", "Telp", "No Telp", "No. Telp", "No Telepon",
        "Nomor Telepon", "Telepon/WA", "Kontak", "Phone", "Phone Number",
        "Mobile", "Mobile Number", "Contact", "No HP Aktif", "HP Aktif",
        "No Telp/HP", "Telp/HP", "Nomor HP/WhatsApp", "No Telp/WA", "Nomor Telepon/WA",
    ],
    "email": [
        "E-mail", "Alamat Email", "Alamat E-mail", "Surel", "Email Address", "Email Pelanggan",
        "E-mail Pelanggan",
    ],
    "nik": [
        "No KTP", "No. KTP", "Nomor KTP", "KTP", "NIK KTP", "No NIK", "No. NIK",
        "Nomor NIK", "Nomor Induk Kependudukan", "National ID",
    ],
    "address": [
        "Alamat Lengkap", "Alamat Pemasangan", "Alamat Pasang", "Alamat Instalasi",
        "Address", "Full Address", "Installation Address", "Alamat Rumah",
        "Alamat Pelanggan",
        # "Jalan" alone is not an alias, because a sheet may have a street
        # column beside its Alamat. Under an "Alamat" group of a two-row
        # header it is read as "Alamat Jalan". These two are FALLBACK_HEADERS.
        "Nama Jalan", "Alamat Jalan",
    ],
    "site": ["Cabang", "POP", "Area", "Nama Site", "Site Name", "Branch"],
    "package": [
        "Paket Layanan", "Nama Paket", "Paket Internet", "Layanan", "Package",
        "Service Package", "Plan", "Paket Langganan",
    ],
    "installed_on": [
        "Tgl Pasang", "Tgl. Pasang", "Tanggal Instalasi", "Tgl Instalasi",
        "Tgl. Instalasi", "Tanggal Pemasangan", "Tgl Pemasangan", "Install Date",
        "Installation Date", "Installed On", "Date Installed",
        # Sheets without an installation date keep the activation or sign-up
        # date, which is the nearest the customer record has.
        "Tgl Aktif", "Tanggal Aktif", "Tgl Aktivasi", "Tanggal Aktivasi",
        "Tgl Daftar", "Tanggal Daftar", "Tanggal Registrasi",
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
    # "RT / RW", "RT-RW", "RT.RW" and "RTRW" compare equal to "RT/RW".
    "rt_rw": ["No RT/RW", "No. RT/RW", "Nomor RT/RW", "RT/RW Pelanggan", "Rukun Tetangga/Rukun Warga"],
    "rt": ["No RT", "No. RT", "Nomor RT", "Rukun Tetangga"],
    "rw": ["No RW", "No. RW", "Nomor RW", "Rukun Warga"],
    # "Ket." compares equal to "Ket".
    "notes": [
        "Ket", "Keterangan Pelanggan", "Keterangan Tambahan", "Catatan", "Catatan Pelanggan",
        "Catatan Admin", "Note", "Notes", "Remark", "Remarks",
    ],
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


def field_for_header(text, learned=None):
    """Return the field a header names, or None when it names no known field.

    `learned` maps normalised headers to fields taught by admins. The
    built-in aliases win over it.
    """
    if not isinstance(text, str):
        return None
    # A hint after the header, as in "Tanggal Pasang (dd/mm/yyyy)", names
    # nothing of its own, so up to two are taken off when the whole text
    # matches nothing.
    for _attempt in range(3):
        key = normalise_header(text)
        field_name = HEADER_ALIASES.get(key)
        if field_name is None and learned:
            field_name = learned.get(key)
        text = _without_hint(text) if field_name is None else None
        if text is None:
            return field_name
    return None


def _without_hint(text):
    """Return the text before a last "(…)" or "[…]", or None when it has
    none or nothing before it. No regular expression: header cells may be
    long, and this runs on every cell of the rows searched for the header."""
    text = text.rstrip()
    if not text or text[-1] not in ")]":
        return None
    start = text.rfind("(" if text[-1] == ")" else "[")
    if start < 0 or any(char in "()[]" for char in text[start + 1 : -1]):
        return None
    before = text[:start]
    return before if before.strip() else None


def header_score(cells, learned=None):
    """Count the distinct known fields a row of cells names.

    The reader uses the count to find the header row below title rows.
    """
    fields = {field_for_header(cell, learned) for cell in cells}
    fields.discard(None)
    return len(fields)


def two_row_header(upper, lower, learned=None):
    """Return the header texts of a header written over two rows, or None
    when the rows `upper` and `lower` (header texts, "" for empty) do not
    have that shape.

    Such a header has group cells in its upper row, such as "Kontak" merged
    over the two columns "No. HP" and "Email" of the lower row. Its other
    upper cells, such as "Nama", have nothing below them, because they are
    merged down over the lower row or the lower cell is empty. The shape is
    recognised by a lower label under an empty upper cell right of an upper
    label, as under a merged group. A plain header over its first data row
    has that too where a header cell is empty, so the reader also requires
    the combined header to name more fields than either row alone.

    A column's text is its lower label, else its upper label. A lower label
    that names no field but does with its group's label before it, such as
    "Pos" under "Kode", takes the two together ("Kode Pos").
    """
    width = max(len(upper), len(lower))
    upper = [_strip_label(text) for text in upper] + [""] * (width - len(upper))
    lower = [_strip_label(text) for text in lower] + [""] * (width - len(lower))
    groups = []
    group = ""
    for upper_text, lower_text in zip(upper, lower):
        if upper_text:
            group = upper_text
        groups.append(group)
    if not any(lower[index] and not upper[index] and groups[index] for index in range(width)):
        return None

    texts = []
    for upper_text, lower_text, group in zip(upper, lower, groups):
        if not lower_text:
            texts.append(upper_text)
        elif group and field_for_header(lower_text, learned) is None:
            joined = f"{group} {lower_text}"
            texts.append(joined if field_for_header(joined, learned) else lower_text)
        else:
            texts.append(lower_text)
    while texts and not texts[-1]:
        texts.pop()
    return tuple(texts)


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


# The origins of a column's field, as HeaderMap.sources records them.
# Headers that name a street rather than a whole address. Such a column
# is read as the Alamat only when no other column names the Alamat, so a
# sheet with both "Nama Jalan" and "Alamat" keeps its full address.
FALLBACK_HEADERS = ("Nama Jalan", "Alamat Jalan")

SOURCE_TEMPLATE = "template"  # the template's header or a built-in alias
SOURCE_LEARNED = "learned"  # a header alias an admin taught in an earlier review
SOURCE_CHOSEN = "chosen"  # the batch's own column mapping


@dataclass
class HeaderMap:
    """The columns of a sheet mapped to fields.

    `columns` maps a 0-based column index to its field. `labels` maps a
    field to its header as written in the file (surrounding whitespace
    and invisible characters stripped), for messages. `unknown` and `duplicates` list the header
    texts that were ignored. `missing_required` lists required field names
    that no column names. `headers` maps the index of every non-empty
    header cell to its text, and `sources` maps it to the SOURCE_* constant
    its field came from, or None when the header names no field.
    `joined_notes` maps the index of every notes column but the one in
    `columns` to its label: the cleaner joins their cells to the notes.
    """

    columns: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    unknown: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    # Indexes of the empty header cells that no choice gave a field, and
    # the number of header cells: columns past it have no header either.
    # Such a column may still hold data (see column_map.SampleCollector).
    blank: list = field(default_factory=list)
    width: int = 0
    missing_required: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    joined_notes: dict = field(default_factory=dict)

    @cached_property
    def fields_in_column_order(self):
        """The mapped fields, left to right; read once per sheet, used per row."""
        return [name for _index, name in sorted(self.columns.items())]

    @cached_property
    def notes_columns(self):
        """(index, label) of every notes column, left to right, for joining their cells."""
        first = [(index, self.labels["notes"]) for index, name in self.columns.items() if name == "notes"]
        return sorted([*first, *self.joined_notes.items()])

    def label(self, field_name):
        """Return the file's header for a field, or the template header."""
        return self.labels.get(field_name, TEMPLATE_HEADERS.get(field_name, field_name))


def map_headers(cells, overrides=None, learned=None):
    """Map a header row to fields.

    `overrides` maps a column index to the field an admin chose for it, or
    to None to ignore it. `learned` maps normalised headers to fields (see
    field_for_header). A column with an override claims its field first.
    Otherwise the first column naming a field wins, and a later column
    naming the same field is ignored and listed in `duplicates`, except a
    later notes column, which is listed in `joined_notes`. An empty header
    cell takes the field an override gives it, and is otherwise listed in
    `blank`.
    """
    overrides = overrides or {}
    header_map = HeaderMap(width=len(cells))
    entries = []
    for index, cell in enumerate(cells):
        text = "" if cell is None else _strip_label(str(cell))
        if not normalise_header(text):
            if overrides.get(index):
                entries.append((index, "", overrides[index], SOURCE_CHOSEN))
            else:
                header_map.blank.append(index)
            continue
        if index in overrides:
            entries.append((index, text, overrides[index], SOURCE_CHOSEN))
            continue
        field_name = field_for_header(cell)
        source = SOURCE_TEMPLATE
        if field_name is None and learned:
            field_name = field_for_header(cell, learned)
            source = SOURCE_LEARNED
        entries.append((index, text, field_name, source if field_name else None))
    # Data columns right of the last header cell, given a field by hand.
    entries += [(index, "", name, SOURCE_CHOSEN) for index, name in sorted(overrides.items()) if index >= len(cells) and name]

    # Field -> the first column chosen for it, which wins over columns named like it.
    chosen_columns = {}
    for index, _text, field_name, source in entries:
        if source == SOURCE_CHOSEN and field_name:
            chosen_columns.setdefault(field_name, index)
    # A column named by a fallback header yields to any other column naming its field.
    fallback_keys = {normalise_header(text) for text in FALLBACK_HEADERS}
    fallbacks = {
        index for index, text, _field_name, source in entries
        if source != SOURCE_CHOSEN and normalise_header(text) in fallback_keys
    }
    named_fields = {field_name for index, _text, field_name, _source in entries if index not in fallbacks}

    for index, text, field_name, source in entries:
        header_map.headers[index] = text
        header_map.sources[index] = source
        chosen = chosen_columns.get(field_name)
        if field_name is None:
            header_map.unknown.append(text)
        elif index in fallbacks and field_name in named_fields:
            header_map.duplicates.append(text)
        elif chosen == index or (chosen is None and field_name not in header_map.labels):
            header_map.columns[index] = field_name
            # Messages name a column without a header by its letter.
            header_map.labels[field_name] = text or column_letter(index)
        elif field_name == "notes":
            header_map.joined_notes[index] = text or column_letter(index)
        else:
            header_map.duplicates.append(text)

    header_map.missing_required = [
        name for name in REQUIRED_FIELDS if name not in header_map.labels
    ]
    return header_map
