"""Clean one raw sheet row into typed customer values and row problems."""

import re
from dataclasses import dataclass, field
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import cleaners
from .headers import TEMPLATE_HEADERS
from .problems import CellError, Problem, register_row_message
from .rt_rw import find_rt_rw, format_rt_rw, replace_in_street, rt_rw_conflict
from .spreadsheet import unneutralise

MASKED_NIK = re.compile(r"^\*{4,}[0-9]{4}$")

# Fields whose cell is cleaned on its own. clean_row() handles the rest: the
# name is required, the phone may add a note, a location needs two cells, and
# a date needs the workbook's date system.
SIMPLE_CLEANERS = {
    "number": cleaners.clean_customer_number,
    "email": cleaners.clean_email,
    "nik": cleaners.clean_nik,
    "address": cleaners.clean_address,
    "site": cleaners.clean_reference,
    "package": cleaners.clean_reference,
    "village": cleaners.clean_reference,
    "district": cleaners.clean_reference,
    "regency": cleaners.clean_reference,
    "province": cleaners.clean_reference,
    "postal_code": cleaners.clean_postal_code,
    "region_code": cleaners.clean_region_code,
    "status": cleaners.clean_status,
    "rt_rw": cleaners.clean_rt_rw,
    "rt": cleaners.clean_rt,
    "rw": cleaners.clean_rw,
}


LOCATION_FIELDS = ("latitude", "longitude", "coordinates")

# The policy for an unusable cell. A required or identifying value
# (Nama, ID Pelanggan, No HP, NIK, Status) or a text column (Alamat, Site,
# Paket, region names) rejects the row, because a wrong reading would store
# a wrong customer. An optional value that staff or the customer can fill in
# later in the app is left out with a note, and the rest of the row is
# saved: a new customer gets no value and an update keeps the stored one.
# A Site, Paket or region name cell (Kelurahan/Desa, Kecamatan,
# Kabupaten/Kota, Provinsi) showing a spreadsheet error, such as #N/A from
# a VLOOKUP, is left out as an unknown name is, so the row is saved as if
# the cell were blank. Its formula without a saved result, or a text too
# long to be a name, still rejects the row.
# Each such field maps the cleaner's problem code to the note's code. The
# None key, where present, covers its other codes, and the codes of a field
# without it reject the row.
# A note keeps the cleaner's own code in its params (LEFT_OUT_CODE), so the
# review can show the cleaner's wording on a row that is not saved, where
# "the customer is saved without this value" would be wrong.
LEFT_OUT_CODE = "cell_code"
LEFT_OUT_NOTE_CODE = "note_code"
_FORMULA = cleaners.CELL_FORMULA_WITHOUT_VALUE
_ERROR = cleaners.CELL_ERROR
_SPECIAL_CELL_NOTES = {_FORMULA: cleaners.FORMULA_LEFT_OUT, _ERROR: cleaners.CELL_ERROR_LEFT_OUT}
_OUTSIDE_INDONESIA = {
    cleaners.LATITUDE_OUTSIDE_INDONESIA: cleaners.LOCATION_OUTSIDE_INDONESIA_LEFT_OUT,
    cleaners.LONGITUDE_OUTSIDE_INDONESIA: cleaners.LOCATION_OUTSIDE_INDONESIA_LEFT_OUT,
}
_COORDINATE_NOTES = {
    None: cleaners.COORDINATE_LEFT_OUT,
    **_SPECIAL_CELL_NOTES,
    cleaners.LATITUDE_WITHOUT_LONGITUDE: cleaners.COORDINATE_UNPAIRED_LEFT_OUT,
    cleaners.LONGITUDE_WITHOUT_LATITUDE: cleaners.COORDINATE_UNPAIRED_LEFT_OUT,
    **_OUTSIDE_INDONESIA,
}
# An RT/RW that Excel turned into a date keeps its own note, which names the cause.
_RT_RW_NOTES = {
    None: cleaners.RT_RW_INVALID,
    _FORMULA: cleaners.RT_RW_FORMULA_LEFT_OUT,
    cleaners.RT_RW_DATE: cleaners.RT_RW_DATE,
}
_RT_NUMBER_NOTES = {**_RT_RW_NOTES, None: cleaners.RT_RW_NUMBER_INVALID}
LEFT_OUT_NOTES = {
    "email": {None: cleaners.EMAIL_LEFT_OUT, **_SPECIAL_CELL_NOTES},
    "installed_on": {None: cleaners.DATE_LEFT_OUT, **_SPECIAL_CELL_NOTES},
    "postal_code": {
        None: cleaners.POSTAL_CODE_LEFT_OUT,
        _FORMULA: cleaners.POSTAL_CODE_FORMULA_LEFT_OUT,
        _ERROR: cleaners.CELL_ERROR_LEFT_OUT,
    },
    "region_code": {None: cleaners.REGION_CODE_LEFT_OUT, **_SPECIAL_CELL_NOTES},
    "site": {_ERROR: cleaners.CELL_ERROR_LEFT_OUT},
    "package": {_ERROR: cleaners.CELL_ERROR_LEFT_OUT},
    "village": {_ERROR: cleaners.CELL_ERROR_LEFT_OUT},
    "district": {_ERROR: cleaners.CELL_ERROR_LEFT_OUT},
    "regency": {_ERROR: cleaners.CELL_ERROR_LEFT_OUT},
    "province": {_ERROR: cleaners.CELL_ERROR_LEFT_OUT},
    "latitude": _COORDINATE_NOTES,
    "longitude": _COORDINATE_NOTES,
    "coordinates": {
        None: cleaners.COORDINATES_LEFT_OUT,
        **_SPECIAL_CELL_NOTES,
        cleaners.COORDINATES_SHORT_LINK: cleaners.COORDINATES_SHORT_LINK_LEFT_OUT,
        cleaners.COORDINATES_LINK_UNRECOGNISED: cleaners.COORDINATES_LINK_LEFT_OUT,
        **_OUTSIDE_INDONESIA,
    },
    "rt_rw": _RT_RW_NOTES,
    "rt": _RT_NUMBER_NOTES,
    "rw": _RT_NUMBER_NOTES,
    "notes": {None: cleaners.CELL_ERROR_LEFT_OUT, _FORMULA: cleaners.FORMULA_LEFT_OUT},
}

RT_RW_FIELDS = ("rt_rw", "rt", "rw")

RT_RW_OTHER_IN_ADDRESS = register_row_message("rt_rw_other_in_address", _(
    "Row %(row)s, column %(column)s: RT/RW “%(value)s” was not added to the "
    "address, because the Alamat already contains “%(address_rt_rw)s”. The "
    "Alamat's RT/RW was kept. If the RT/RW column is right, correct it on "
    "the customer's page."))
RT_RW_ADDRESS_TOO_LONG = register_row_message("rt_rw_address_too_long", _(
    "Row %(row)s, column %(column)s: RT/RW “%(value)s” was not added to the "
    "address, which would then be longer than %(limit)s characters. Add it "
    "on the customer's page."))
# The admin's notes (Keterangan) are optional, so a long text is cut
# instead of rejecting the row.
NOTES_CUT = register_row_message("notes_cut", _(
    "Row %(row)s, column %(column)s: the notes are %(length)s characters "
    "long, over the limit of %(limit)s, so only the first %(limit)s "
    "characters are read. Shorten the notes in the file, or edit them on "
    "the customer's page."))
NOTES_JOINED_CUT = register_row_message("notes_joined_cut", _(
    "Row %(row)s, columns %(column)s: the notes of these columns, joined one "
    "per line, are %(length)s characters long, over the limit of %(limit)s, "
    "so only the first %(limit)s characters are read. Shorten the notes in "
    "the file, or edit them on the customer's page."))


@dataclass(slots=True)
class CleanRow:
    """The outcome of cleaning one sheet row.

    `values` maps each field with a non-empty cell to its cleaned value. The
    "coordinates" column ends up in "latitude" and "longitude".
    A row with any entry in `problems` must not be saved. `notes` are for the
    admin's information only. `cells` keeps each non-empty cell as read, and
    `raw` gives them as shown in the sheet, for the workbook of problem rows.
    """

    number: int
    values: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    # Not in repr: a formula cell's text must not reach logs.
    cells: dict = field(default_factory=dict, repr=False)
    # The masked NIK ("************1234") of the row's NIK cell, which is
    # read as empty, or "".
    masked_nik: str = ""

    @property
    def raw(self):
        return {name: cleaners.cell_text(value) for name, value in self.cells.items()}


def clean_row(raw, header_map, *, date1904=False, today=None):
    """Clean the mapped cells of one RawRow, or return None for an empty row.

    A row counts as empty when every mapped cell is blank, even if unmapped
    columns (such as a row counter) hold something. An installation date
    after `today` (default: the local date) gets a note.
    """
    cells, masked_nik = _mapped_cells(raw, header_map)
    # Only a sheet with several notes columns pays for reading them.
    joined_notes = _joined_notes_cells(raw, header_map) if header_map.joined_notes else None
    if not cells and not joined_notes:
        return None

    # Fields are cleaned in column order so that problems are listed in the
    # order the admin reads the row.
    row = _RowCleaner(raw.number, header_map, cells)
    row.result.masked_nik = masked_nik
    location_done = False
    for field_name in header_map.fields_in_column_order:
        if field_name == "name":
            row.clean_name()
        elif field_name in SIMPLE_CLEANERS:
            row.clean(field_name, SIMPLE_CLEANERS[field_name])
        elif field_name == "phone":
            row.clean_phone()
        elif field_name == "installed_on":
            row.clean_installed_on(date1904, today or timezone.localdate())
        elif field_name in LOCATION_FIELDS and not location_done:
            row.clean_location()
            location_done = True
        elif field_name == "notes":
            if joined_notes is None:
                row.clean_notes()
            else:
                row.join_notes(joined_notes)
    if "name" not in header_map.labels:
        row.clean_name()
    row.add_rt_rw()

    if raw.hidden:
        row.result.notes.append(Problem(raw.number, "", "", cleaners.ROW_HIDDEN))
    return row.result


def _mapped_cells(raw, header_map):
    """Return the non-blank mapped cells of a row as a dict of field to raw
    value, and the masked NIK that was read as empty (or "").

    Two forms that eBilling's own exports write are read back as typed: a
    masked NIK ("************1234") counts as empty, so re-uploading an
    export never overwrites or rejects the stored NIK, and text that the
    export protected against formula injection loses its apostrophe.
    """
    cells = {}
    masked_nik = ""
    row_cells = raw.cells
    width = len(row_cells)
    for index, field_name in header_map.columns.items():
        if index >= width:
            continue
        value = row_cells[index]
        if value is None:
            continue
        if isinstance(value, str):
            if value.startswith("'"):
                value = unneutralise(value)
            if field_name == "nik" and "*" in value and MASKED_NIK.match(value.strip()):
                masked_nik = value.strip()
                continue
            # Text starting with a letter or digit is never blank (see
            # is_blank), and most cells do, so they skip the call.
            if not value[:1].isalnum() and cleaners.is_blank(value):
                continue
        # Other values than None and text are never blank.
        cells[field_name] = value
    return cells, masked_nik


def _joined_notes_cells(raw, header_map):
    """Return (label, raw value) of the non-blank cells of every notes
    column of a row, left to right."""
    cells = []
    row_cells = raw.cells
    for index, label in header_map.notes_columns:
        value = row_cells[index] if index < len(row_cells) else None
        if isinstance(value, str) and value.startswith("'"):
            value = unneutralise(value)
        if not cleaners.is_blank(value):
            cells.append((label, value))
    return cells


class _RowCleaner:
    """Applies the cleaners to one row and collects values, problems and notes."""

    def __init__(self, number, header_map, cells):
        self.header_map = header_map
        self.cells = cells
        self.result = CleanRow(
            number=number,
            cells=cells,
        )

    def label(self, field_name):
        return self.header_map.labels.get(field_name, TEMPLATE_HEADERS[field_name])

    def problem(self, field_name, code, **params):
        return Problem(
            self.result.number,
            self.label(field_name),
            cleaners.cell_text(self.cells.get(field_name)),
            code,
            params,
        )

    def attempt(self, field_name, cleaner):
        """Return the cleaned value of one cell, or None when the cell is
        empty or unusable, which is then recorded (see report_unusable)."""
        cell = self.cells.get(field_name)
        if cell is None:
            return None
        try:
            return cleaner(cell)
        except CellError as error:
            self.report_unusable(field_name, error.code, **error.params)
            return None

    def report_unusable(self, field_name, code, **params):
        """Record an unusable cell: a note when its field is left out
        (see LEFT_OUT_NOTES), otherwise a problem that rejects the row."""
        value = cleaners.cell_text(self.cells.get(field_name))
        self._report_unusable_cell(field_name, self.label(field_name), value, code, params)

    def _report_unusable_cell(self, field_name, column, value, code, params):
        notes = LEFT_OUT_NOTES.get(field_name, {})
        note_code = notes.get(code, notes.get(None))
        if note_code is None:
            self.result.problems.append(Problem(self.result.number, column, value, code, params))
        else:
            params.update({LEFT_OUT_CODE: code, LEFT_OUT_NOTE_CODE: note_code})
            self.result.notes.append(Problem(self.result.number, column, value, note_code, params))

    def clean(self, field_name, cleaner):
        """Clean one cell into `values` and return the value, or None."""
        value = self.attempt(field_name, cleaner)
        if value is not None:
            self.result.values[field_name] = value
        return value

    def clean_installed_on(self, date1904, today):
        """Clean the installation date, noting a date after today, which is
        more often a mistyped year than a planned installation."""
        installed_on = self.clean("installed_on", partial(cleaners.clean_date, date1904=date1904))
        if installed_on is not None and installed_on > today:
            self.result.notes.append(self.problem(
                "installed_on", cleaners.DATE_IN_FUTURE, date=installed_on.strftime("%d/%m/%Y")
            ))

    def clean_notes(self):
        """Clean the Keterangan cell, keeping the first NOTES_MAX_LENGTH
        characters of a longer text and adding the review note NOTES_CUT."""
        notes = self.clean("notes", cleaners.clean_notes)
        limit = cleaners.NOTES_MAX_LENGTH
        if notes is not None and len(notes) > limit:
            self.result.values["notes"] = notes[:limit].rstrip()
            self.result.notes.append(self.problem("notes", NOTES_CUT, length=len(notes), limit=limit))

    def join_notes(self, cells):
        """Clean and join the (label, raw value) `cells` of several notes
        columns, left to right and one per line, as the notes.

        A cell that cannot be read is left out with its own note. A text
        longer than NOTES_MAX_LENGTH is cut to it, with the review note
        NOTES_CUT when it comes from one cell, else NOTES_JOINED_CUT naming
        the columns joined.
        """
        labels = []
        texts = []
        for label, value in cells:
            try:
                text = cleaners.clean_notes(value)
            except CellError as error:
                self._report_unusable_cell("notes", label, cleaners.cell_text(value), error.code, dict(error.params))
                continue
            if text:
                labels.append(label)
                texts.append(text)
        if not texts:
            return
        notes = "\n".join(texts)
        limit = cleaners.NOTES_MAX_LENGTH
        if len(notes) <= limit:
            self.result.values["notes"] = notes
            return

        self.result.values["notes"] = notes[:limit].rstrip()
        code = NOTES_CUT if len(texts) == 1 else NOTES_JOINED_CUT
        params = {"length": len(notes), "limit": limit}
        self.result.notes.append(Problem(self.result.number, ", ".join(labels), notes, code, params))

    def clean_phone(self):
        phone = self.attempt("phone", cleaners.clean_phone)
        if phone is None:
            return
        self.result.values["phone"] = phone.e164
        if phone.extra_numbers:
            self.result.notes.append(self.problem(
                "phone",
                cleaners.PHONE_EXTRA_NUMBERS,
                numbers=", ".join(phone.extra_numbers),
            ))

    def clean_location(self):
        """Clean the latitude and longitude columns, or else the pair column.

        The pair column ("Titik Lokasi") is ignored unless both latitude and
        longitude are empty.
        """
        has_latitude = "latitude" in self.cells
        has_longitude = "longitude" in self.cells
        if not (has_latitude or has_longitude):
            self._clean_pair()
            return

        latitude = self.attempt("latitude", cleaners.clean_coordinate)
        longitude = self.attempt("longitude", cleaners.clean_coordinate)

        if has_latitude and not has_longitude:
            if latitude is not None:
                self.report_unusable("latitude", cleaners.LATITUDE_WITHOUT_LONGITUDE)
            return
        if has_longitude and not has_latitude:
            if longitude is not None:
                self.report_unusable("longitude", cleaners.LONGITUDE_WITHOUT_LATITUDE)
            return
        if latitude is None or longitude is None:
            return

        try:
            location = cleaners.clean_location(latitude, longitude)
        except CellError as error:
            if error.code == cleaners.LONGITUDE_OUTSIDE_INDONESIA:
                field_name = "longitude"
            else:
                field_name = "latitude"
            self.report_unusable(field_name, error.code, **error.params)
            return
        self._store_location(location, "latitude")

    def _clean_pair(self):
        if "coordinates" not in self.cells:
            return
        try:
            location = cleaners.clean_coordinates(self.cells["coordinates"])
        except CellError as error:
            self.report_unusable("coordinates", error.code, **error.params)
            return
        self._store_location(location, "coordinates")

    def _store_location(self, location, field_name):
        self.result.values["latitude"] = location.latitude
        self.result.values["longitude"] = location.longitude
        if location.swapped:
            self.result.notes.append(self.problem(
                field_name,
                cleaners.COORDINATES_SWAPPED,
                latitude=cleaners.format_coordinate(location.latitude),
                longitude=cleaners.format_coordinate(location.longitude),
            ))

    def add_rt_rw(self):
        """Keep the cleaned (RT, RW) numbers in values["rt_rw"] when the
        Alamat lacks them, for build_plan to add to it.

        A cell of the RT/RW column wins over the RT and RW columns. An
        Alamat whose RT/RW agrees with the columns gets the number it lacks
        in place. When the Alamat contains another RT/RW, or would grow too
        long, it is kept as it is and a note names the RT/RW left out.
        """
        values = self.result.values
        cleaned = {name: values.pop(name) for name in RT_RW_FIELDS if name in values}
        if "rt_rw" in cleaned:
            numbers, sources = cleaned["rt_rw"], ["rt_rw"]
        elif cleaned:
            rt = cleaned["rt"][0] if "rt" in cleaned else None
            rw = cleaned["rw"][1] if "rw" in cleaned else None
            numbers, sources = (rt, rw), [name for name in ("rt", "rw") if name in cleaned]
        else:
            return

        address = values.get("address")
        found = find_rt_rw(address) if address else None
        if found is not None and not rt_rw_conflict(found[0], numbers):
            # The Alamat agrees with the columns. A number only the columns
            # give ("RT 4" in the Alamat, 004/011 in the column) completes it.
            completed = replace_in_street(address, numbers)
            if len(completed) <= cleaners.ADDRESS_MAX_LENGTH:
                values["address"] = completed
                return
            code, params = RT_RW_ADDRESS_TOO_LONG, {"limit": cleaners.ADDRESS_MAX_LENGTH}
        elif found is not None:
            code, params = RT_RW_OTHER_IN_ADDRESS, {"address_rt_rw": found[1][0]}
        elif address and len(address) + len(format_rt_rw(numbers)) + 2 > cleaners.ADDRESS_MAX_LENGTH:
            # The RT/RW and ", " or " " are added to the Alamat.
            code, params = RT_RW_ADDRESS_TOO_LONG, {"limit": cleaners.ADDRESS_MAX_LENGTH}
        else:
            values["rt_rw"] = numbers
            return

        # Two columns are named together, as "RT, RW" and "4/11".
        column = ", ".join(self.label(name) for name in sources)
        value = "/".join(cleaners.cell_text(self.cells[name]) for name in sources)
        self.result.notes.append(Problem(self.result.number, column, value, code, params))

    def clean_name(self):
        """Clean the name, which every row with values needs. A name cell with
        its own problem is not blank, so it is not reported twice."""
        if "name" in self.cells:
            self.clean("name", cleaners.clean_name)
        else:
            self.result.problems.append(self.problem("name", cleaners.NAME_MISSING))
