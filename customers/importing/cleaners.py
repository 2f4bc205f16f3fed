"""Clean single cell values of a customer sheet.

Each public clean_* function takes one raw cell value (see cells.py) and
returns the cleaned value, or raises CellError with a message code
registered below. The functions are pure, without database, settings or
network access. The caller skips blank cells (see is_blank), so no cleaner
receives one.
"""

import datetime
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from urllib.parse import parse_qs, unquote_plus, urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from .cells import ErrorCell, FormulaWithoutValue
from .osm_short_links import osm_short_code_decode
from .problems import CellError, register_row_message

# Maximum lengths, in characters after cleaning.
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
ADDRESS_MAX_LENGTH = 500
NUMBER_MAX_LENGTH = 30
# Site, package, region names and other short texts matched in a later stage.
REFERENCE_MAX_LENGTH = 200
# The admin's notes on a customer (Customer.notes).
NOTES_MAX_LENGTH = 1000

# Installation dates outside these years are taken as typing mistakes.
MIN_YEAR = 1980
MAX_YEAR = 2100
# A two-digit year below this is 20xx, otherwise 19xx, so "24" is 2024 and
# "85" is 1985. Two digits can only cover the 100 years 1980-2079.
TWO_DIGIT_YEAR_PIVOT = 80

# Bounding box of Indonesia in decimal degrees, with a margin for outer islands.
LATITUDE_RANGE = (Decimal("-11.5"), Decimal("6.5"))
LONGITUDE_RANGE = (Decimal("94"), Decimal("141.5"))
COORDINATE_PLACES = Decimal("0.000001")

# The 38 province codes of Kemendagri (2022 list). 91 and 94 also cover NIKs
# issued under the older Papua Barat and Papua codes.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
    "31", "32", "33", "34", "35", "36", "51", "52", "53",
    "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
    "81", "82", "91", "92", "93", "94", "95", "96",
})

STATUS_ACTIVE = "active"
STATUS_INACTIVE = "inactive"
STATUS_SUSPENDED = "suspended"

# ---------------------------------------------------------------------------
# Message codes. Every template names the row, the column and the value.

CELL_ERROR = register_row_message("cell_error", _(
    "Row %(row)s, column %(column)s: the cell shows the spreadsheet error "
    "“%(value)s”. Fix the formula or type the value."))
CELL_FORMULA_WITHOUT_VALUE = register_row_message("cell_formula_without_value", _(
    "Row %(row)s, column %(column)s: the cell contains a formula without a saved "
    "result. Open and save the file in Excel, or type the value."))
TEXT_TOO_LONG = register_row_message("text_too_long", _(
    "Row %(row)s, column %(column)s: “%(value)s” is %(length)s characters long, "
    "over the limit of %(limit)s. Shorten it."))
NAME_MISSING = register_row_message("name_missing", _(
    "Row %(row)s, column %(column)s: the name is empty. Every customer needs "
    "a name, so fill it in."))

PHONE_INVALID = register_row_message("phone_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a valid phone number. "
    "Write it like 0812-3456-7890."))
PHONE_NOT_INDONESIAN = register_row_message("phone_not_indonesian", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not an Indonesian phone "
    "number. Write an Indonesian number like 0812-3456-7890."))
PHONE_SCIENTIFIC = register_row_message("phone_scientific", _(
    "Row %(row)s, column %(column)s: “%(value)s” is a phone number that Excel "
    "rounded when it saved the file, so its last digits are lost. Format the "
    "column as Text and type the number again, like 0812-3456-7890."))
PHONE_EXTRA_NUMBERS = register_row_message("phone_extra_numbers", _(
    "Row %(row)s, column %(column)s: “%(value)s” contains more than one number. "
    "The first was saved and these were left out: %(numbers)s."))

NIK_NUMBER_CELL = register_row_message("nik_number_cell", _(
    "Row %(row)s, column %(column)s: NIK “%(value)s” was typed as a number. "
    "Excel keeps only 15 significant digits, so this NIK may already be "
    "wrong. Format the NIK column as Text and type the NIK again."))
NIK_WRONG_LENGTH = register_row_message("nik_wrong_length", _(
    "Row %(row)s, column %(column)s: NIK “%(value)s” has %(length)s digits, "
    "but a NIK has 16 digits. Check it against the KTP."))
NIK_NOT_DIGITS = register_row_message("nik_not_digits", _(
    "Row %(row)s, column %(column)s: NIK “%(value)s” contains characters other "
    "than digits. Write the 16 digits only."))
NIK_INVALID_REGION = register_row_message("nik_invalid_region", _(
    "Row %(row)s, column %(column)s: NIK “%(value)s” starts with %(province_code)s, "
    "which is not an Indonesian province code. Check it against the KTP."))
NIK_INVALID_BIRTH_DATE = register_row_message("nik_invalid_birth_date", _(
    "Row %(row)s, column %(column)s: digits 7 to 12 of NIK “%(value)s” are not "
    "a valid date of birth. Check it against the KTP."))
NIK_INVALID_SERIAL = register_row_message("nik_invalid_serial", _(
    "Row %(row)s, column %(column)s: NIK “%(value)s” ends in 0000, which no "
    "NIK does. Check it against the KTP."))

DATE_UNRECOGNISED = register_row_message("date_unrecognised", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a date. Write it like "
    "31/12/2023 or 5 Januari 2024."))
DATE_INVALID = register_row_message("date_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a real date. Check the "
    "day and the month."))
DATE_MONTH_FIRST = register_row_message("date_month_first", _(
    "Row %(row)s, column %(column)s: “%(value)s” has the month before the day. "
    "Write the day first, like 31/12/2023."))
DATE_OUT_OF_RANGE = register_row_message("date_out_of_range", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not between the years "
    "%(min_year)s and %(max_year)s. Check the date."))

COORDINATE_INVALID = register_row_message("coordinate_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a coordinate. Write it "
    "as a decimal number like -6.4812."))
COORDINATES_INVALID = register_row_message("coordinates_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a map location. Write "
    "the latitude and longitude like -6.4812, 106.8421, or paste a Google "
    "Maps link."))
COORDINATES_SHORT_LINK = register_row_message("coordinates_short_link", _(
    "Row %(row)s, column %(column)s: “%(value)s” is a short Google Maps link, "
    "which eBilling cannot open. Open the link and paste the coordinates "
    "shown, like -6.4812, 106.8421."))
COORDINATES_LINK_UNRECOGNISED = register_row_message("coordinates_link_unrecognised", _(
    "Row %(row)s, column %(column)s: the link “%(value)s” contains no "
    "coordinates. Paste the coordinates instead, like -6.4812, 106.8421."))
LATITUDE_OUTSIDE_INDONESIA = register_row_message("latitude_outside_indonesia", _(
    "Row %(row)s, column %(column)s: latitude “%(latitude)s” is outside "
    "Indonesia, which lies between -11.5 and 6.5. Check the location."))
LONGITUDE_OUTSIDE_INDONESIA = register_row_message("longitude_outside_indonesia", _(
    "Row %(row)s, column %(column)s: longitude “%(longitude)s” is outside "
    "Indonesia, which lies between 94 and 141.5. Check the location."))
DATE_IN_FUTURE = register_row_message("date_in_future", _(
    "Row %(row)s, column %(column)s: “%(date)s” is still in the future. "
    "Check the year if the customer is already installed."))
COORDINATES_SWAPPED = register_row_message("coordinates_swapped", _(
    "Row %(row)s, column %(column)s: latitude and longitude were the wrong "
    "way round (“%(value)s”), so they were swapped and saved as %(latitude)s, "
    "%(longitude)s."))
LATITUDE_WITHOUT_LONGITUDE = register_row_message("latitude_without_longitude", _(
    "Row %(row)s, column %(column)s: latitude “%(value)s” has no longitude. "
    "Fill in both or neither."))
LONGITUDE_WITHOUT_LATITUDE = register_row_message("longitude_without_latitude", _(
    "Row %(row)s, column %(column)s: longitude “%(value)s” has no latitude. "
    "Fill in both or neither."))

EMAIL_INVALID = register_row_message("email_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a valid email address. "
    "Write it like nama@contoh.id."))
STATUS_UNKNOWN = register_row_message("status_unknown", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a known status. Write "
    "Aktif, Nonaktif or Isolir."))
POSTAL_CODE_INVALID = register_row_message("postal_code_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a postal code. A postal "
    "code has 5 digits and does not start with 0, like 16911."))
POSTAL_CODE_LEFT_OUT = register_row_message("postal_code_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a postal code, so the "
    "customer is saved without one. A postal code has 5 digits and does not "
    "start with 0, like 16911. Fill it in on the customer's page."))
POSTAL_CODE_FORMULA_LEFT_OUT = register_row_message("postal_code_formula_left_out", _(
    "Row %(row)s, column %(column)s: the cell contains a formula without a saved "
    "result, so the customer is saved without a postal code. Open and save the "
    "file in Excel and upload it again, or fill in the postal code on the "
    "customer's page."))
REGION_CODE_INVALID = register_row_message("region_code_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a region code. Write "
    "the Kemendagri code like 32.01.01.1007."))

# Notes for optional values that cannot be used. The row is saved without the
# value, so a new customer has none and an update keeps the stored one.
EMAIL_LEFT_OUT = register_row_message("email_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a valid email address, "
    "so the customer is saved without this email. Fill in the address, like "
    "nama@contoh.id, on the customer's page."))
DATE_LEFT_OUT = register_row_message("date_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a valid date, so the "
    "customer is saved without this date. Fill in the date on the customer's "
    "page, day first, like 31/12/2023."))
REGION_CODE_LEFT_OUT = register_row_message("region_code_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a region code, so it is "
    "left out and the village is matched from the other region columns or the "
    "Alamat. Check the village on the customer's page."))
COORDINATE_LEFT_OUT = register_row_message("coordinate_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a coordinate, so the "
    "customer is saved without this map location. Fill in the location on the "
    "customer's page, or ask the customer to set it in the portal."))
COORDINATES_LEFT_OUT = register_row_message("coordinates_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not a map location, so the "
    "customer is saved without it. Paste the latitude and longitude, like "
    "-6.4812, 106.8421, on the customer's page, or ask the customer to set the "
    "location in the portal."))
COORDINATES_SHORT_LINK_LEFT_OUT = register_row_message("coordinates_short_link_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” is a short Google Maps link, "
    "which eBilling cannot open, so the customer is saved without this map "
    "location. Open the link on a phone and paste the coordinates shown, like "
    "-6.4812, 106.8421, or the long link on the customer's page. The customer "
    "can also set the location in the portal."))
COORDINATES_LINK_LEFT_OUT = register_row_message("coordinates_link_left_out", _(
    "Row %(row)s, column %(column)s: the link “%(value)s” contains no "
    "coordinates, so the customer is saved without this map location. Paste "
    "the coordinates, like -6.4812, 106.8421, on the customer's page, or ask "
    "the customer to set the location in the portal."))
LOCATION_OUTSIDE_INDONESIA_LEFT_OUT = register_row_message("location_outside_indonesia_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” puts the location at latitude "
    "%(latitude)s, longitude %(longitude)s, outside Indonesia, so the customer "
    "is saved without this map location. Fill in the location on the customer's "
    "page, or ask the customer to set it in the portal."))
COORDINATE_UNPAIRED_LEFT_OUT = register_row_message("coordinate_unpaired_left_out", _(
    "Row %(row)s, column %(column)s: “%(value)s” has no partner, because the "
    "other coordinate column is empty. The customer is saved without this map "
    "location. Fill in both latitude and longitude on the customer's page, or "
    "ask the customer to set the location in the portal."))
FORMULA_LEFT_OUT = register_row_message("formula_left_out", _(
    "Row %(row)s, column %(column)s: the cell contains a formula without a saved "
    "result, so the customer is saved without this value. Fill it in on the "
    "customer's page, or open and save the file in Excel and upload it again "
    "in the mode Create and update."))
CELL_ERROR_LEFT_OUT = register_row_message("cell_error_left_out", _(
    "Row %(row)s, column %(column)s: the cell shows the spreadsheet error "
    "“%(value)s”, so the customer is saved without this value. Fill it in on "
    "the customer's page, or fix the formula and upload the file again in the "
    "mode Create and update."))
RT_RW_INVALID = register_row_message("rt_rw_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not an RT/RW, so it was "
    "not added to the address. Write it like 004/011 or RT 004/RW 011, or "
    "fill it in on the customer's page."))
RT_RW_NUMBER_INVALID = register_row_message("rt_rw_number_invalid", _(
    "Row %(row)s, column %(column)s: “%(value)s” is not an RT or RW number, "
    "so it was not added to the address. Write a number from 1 to 999, like "
    "004, or fill it in on the customer's page."))
NUMBER_DATE = register_row_message("number_date", _(
    "Row %(row)s, column %(column)s: “%(value)s” is a date because Excel "
    "changed the ID typed in the cell into one, so the row was not saved. "
    "Format the column as Text, type the ID again and upload the file again."))
RT_RW_DATE = register_row_message("rt_rw_date", _(
    "Row %(row)s, column %(column)s: “%(value)s” is a date because Excel "
    "changed the RT/RW typed in the cell into one, so it was not added to "
    "the address. Format the column as Text, type the RT/RW again like "
    "004/011 and upload the file again, or fill it in on the customer's page."))
RT_RW_FORMULA_LEFT_OUT = register_row_message("rt_rw_formula_left_out", _(
    "Row %(row)s, column %(column)s: the cell contains a formula without a "
    "saved result, so the RT/RW was not added to the address. Open and save "
    "the file in Excel and upload it again, or fill in the RT/RW on the "
    "customer's page."))
ROW_HIDDEN = register_row_message("row_hidden", _(
    "Row %(row)s is hidden in the sheet. It was read like the other rows, so "
    "check that it belongs in the file."))


# ---------------------------------------------------------------------------
# Cell values and text


def cell_text(value):
    """Return a raw cell value as the text a person would see in the sheet.

    Whole floats lose their ".0" and dates drop a midnight time. A formula
    without a saved result gives "", so its formula text is never stored.
    """
    if value is None or isinstance(value, FormulaWithoutValue):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def reject_special_cell(value):
    """Raise CellError for an error cell or a formula without a saved result."""
    if isinstance(value, ErrorCell):
        raise CellError(CELL_ERROR)
    if isinstance(value, FormulaWithoutValue):
        raise CellError(CELL_FORMULA_WITHOUT_VALUE)


_SPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")
# U+200D ZERO WIDTH JOINER joins emoji into one ("👩‍💻") and letters of
# some scripts into their joined forms.
ZERO_WIDTH_JOINER = "\u200d"
_JOINER_RUN = re.compile(ZERO_WIDTH_JOINER + "+")


def normalise_text(text, *, keep_joiners=False):
    """Normalise text to NFC with single ASCII spaces and no invisible characters.

    Every Unicode space, line break and tab becomes a space, zero-width and
    other format characters and control characters are removed, runs of
    spaces collapse and the ends are stripped. With `keep_joiners`, a zero
    width joiner between two characters other than spaces is kept (a run
    of them as one), because it changes how a name is shown.
    """
    if text.isascii() and text.isprintable():
        # Printable ASCII is already NFC and has no format or control
        # characters, and its only space is " ": the loop below would
        # change nothing but the spacing. Most cells take this path.
        return " ".join(text.split())
    characters = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if char in _SPACE_CONTROLS or category in ("Zs", "Zl", "Zp"):
            characters.append(" ")
        elif keep_joiners and char == ZERO_WIDTH_JOINER:
            characters.append(char)
        elif category in ("Cc", "Cf"):
            continue
        else:
            characters.append(char)
    text = "".join(characters)
    if keep_joiners:
        text = _JOINER_RUN.sub(_joiner_between_characters, text)
    return " ".join(text.split())


def _joiner_between_characters(match):
    """Return one joiner for a run of joiners between two characters other
    than spaces, or "" for a run at either end or beside a space."""
    text, start, end = match.string, match.start(), match.end()
    if start > 0 and end < len(text) and text[start - 1] != " " and text[end] != " ":
        return ZERO_WIDTH_JOINER
    return ""


# Sheets often mark "nothing here" with a dash or a dot.
_PLACEHOLDER = re.compile(r"[-‐‑‒–—.]*")


def is_blank(value):
    """Return whether a raw cell counts as empty.

    Empty are None, text of only spaces or invisible characters, and the
    placeholders "-", "--", "." and the like.
    """
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    if value[:1].isalnum():
        # A letter or digit survives normalise_text(), so this is neither
        # blank nor a placeholder. Most cells end here.
        return False
    return _PLACEHOLDER.fullmatch(normalise_text(value)) is not None


def clean_text(value, max_length, *, keep_joiners=False):
    """Clean a free-text cell. Number and date cells become the text they
    show. `keep_joiners` is passed to normalise_text()."""
    if type(value) is str:
        text = normalise_text(value, keep_joiners=keep_joiners)
    else:
        reject_special_cell(value)
        text = normalise_text(cell_text(value))
    if len(text) > max_length:
        raise CellError(TEXT_TOO_LONG, length=len(text), limit=max_length)
    return text


def clean_name(value):
    """Clean a name, keeping its zero width joiners between characters
    (see normalise_text)."""
    return clean_text(value, NAME_MAX_LENGTH, keep_joiners=True)


def clean_notes(value, max_length=None):
    """Clean a notes cell like clean_text(), but keep its line breaks.

    Notes typed on several lines (Alt+Enter in Excel, or the customer
    form's text area) keep one "\n" between lines, and empty lines are
    dropped. With `max_length` None the text may be of any length, and the
    caller decides what to do with a long one.
    """
    if type(value) is not str:
        reject_special_cell(value)
        value = cell_text(value)
    lines = (normalise_text(line) for line in value.splitlines())
    text = "\n".join(line for line in lines if line)
    if max_length is not None and len(text) > max_length:
        raise CellError(TEXT_TOO_LONG, length=len(text), limit=max_length)
    return text


def clean_address(value):
    return clean_text(value, ADDRESS_MAX_LENGTH)


# Hyphens and dashes that word processors and PDFs put in place of "-".
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))


def fold_width(text):
    """Return `text` with full-width and other compatibility forms replaced
    by their plain letters and digits (Unicode NFKC), and dashes by "-", so
    "ＰＬＧ-０１" and "PLG‐01" are "PLG-01"."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def clean_customer_number(value):
    """Clean the customer ID. A number cell such as 1001 gives "1001".

    Full-width letters and digits, which some input methods and PDFs give,
    are folded, so that they cannot make a second customer of one ID. A
    date or time cell is rejected, because it is an ID such as "3-3-2024"
    that Excel converted, and its original text is lost.
    """
    if isinstance(value, (datetime.date, datetime.time)):
        raise CellError(NUMBER_DATE)
    return fold_width(clean_text(value, NUMBER_MAX_LENGTH))


def clean_reference(value):
    """Clean a site, package or region name, matched later against known names."""
    return clean_text(value, REFERENCE_MAX_LENGTH)


# ---------------------------------------------------------------------------
# Phone numbers


@dataclass(frozen=True)
class CleanPhone:
    """A cleaned phone cell: the first number in E.164 ("+62…") and any other
    numbers of the same cell, as they were written."""

    e164: str
    extra_numbers: tuple = ()


# Separators between several numbers in one cell. A line break is turned into
# ";" before the split, because normalise_text() would turn it into a space.
_PHONE_SEPARATOR = re.compile(r"\s*(?:[/,;|&]|\batau\b|\bdan\b|\bor\b|\band\b)\s*", re.I)
_PHONE_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")
_PHONE_PUNCTUATION = re.compile(r"[\s\-‐‑‒–—.()\[\]]")
_WHOLE_NUMBER_TEXT = re.compile(r"\d{8,15}\.0+")


def clean_phone(value):
    """Clean a phone cell to E.164, keeping the first of several numbers.

    Number cells (81234567801, 6281234567802.0) lost their leading zero in
    Excel. Text may use spaces, dashes, dots, brackets, "+62", "62", "0062",
    "+62 (0)" or no leading zero at all, in plain or full-width characters.
    Only valid Indonesian numbers, mobile or landline, are accepted
    (phonenumbers metadata for region ID).
    """
    reject_special_cell(value)

    if isinstance(value, bool):
        raise CellError(PHONE_INVALID)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(PHONE_INVALID)
        value = int(value)
    if isinstance(value, int):
        return CleanPhone(_parse_phone(str(value)))
    if not isinstance(value, str):
        raise CellError(PHONE_INVALID)
    if value.isdigit() and value.isascii():
        # Most cells are plain digits, which the normalising, the splitting
        # and the punctuation removal below would leave as they are.
        return CleanPhone(_phone_from_digits(value, has_plus=False))

    text = fold_width(normalise_text(value.replace("\r", ";").replace("\n", ";")))
    if _SCIENTIFIC_NUMBER.fullmatch(text.strip().lstrip("'")):
        # A CSV saved by Excel from a number cell: "8.12346E+10".
        raise CellError(PHONE_SCIENTIFIC)
    parts = [part for part in _PHONE_SEPARATOR.split(text) if part]
    if not parts:
        raise CellError(PHONE_INVALID)
    return CleanPhone(_parse_phone(parts[0]), tuple(parts[1:]))


def _parse_phone(text):
    text = text.lstrip("'")
    if _WHOLE_NUMBER_TEXT.fullmatch(text):
        # A number cell written out as text, such as "81234567801.0".
        text = text.split(".")[0]
    text = _PHONE_TRUNK_ZERO.sub("", text)
    text = _PHONE_PUNCTUATION.sub("", text)

    has_plus = text.startswith("+")
    digits = text[1:] if has_plus else text
    if not digits.isdigit() or not digits.isascii():
        raise CellError(PHONE_INVALID)
    return _phone_from_digits(digits, has_plus=has_plus)


def _phone_from_digits(digits, *, has_plus):
    """Return the E.164 form of the ASCII digits of one phone number,
    written after a "+" when `has_plus`, or raise CellError."""
    if has_plus:
        candidates = ["+" + digits]
    elif digits.startswith("00"):
        candidates = ["+" + digits[2:]]
    elif digits.startswith("0"):
        candidates = [digits]
    elif digits.startswith("62"):
        # Either the country code or an area code 062x (North Sumatra and
        # Aceh) that lost its zero. The country code is tried first, as the
        # likelier reading.
        candidates = ["+" + digits, "0" + digits]
    else:
        # A number cell or text that lost its leading zero, such as 85712345678.
        candidates = ["0" + digits]

    fast = _indonesian_e164(candidates[0])
    if fast is not None:
        return fast

    foreign = False
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "ID")
        except phonenumbers.NumberParseException:
            continue
        if number.country_code != 62:
            foreign = True
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    if foreign:
        raise CellError(PHONE_NOT_INDONESIAN)
    raise CellError(PHONE_INVALID)


def _indonesian_e164(candidate):
    """Return the E.164 form of "0…" or "+62…" digits that phonenumbers
    finds valid, or None to leave the candidate to phonenumbers.parse().

    phonenumbers.parse(candidate, "ID") strips the same "+62" or trunk "0"
    (Indonesia's national prefix for parsing is just "0") and yields the
    same number, but takes about four times as long, which counts on a
    100,000-row sheet. A national number starting with 0 is left to parse(),
    which would strip that 0 too.
    """
    if candidate.startswith("+62"):
        national = candidate[3:]
    elif candidate.startswith("0"):
        national = candidate[1:]
    else:
        return None
    if not national.isdigit() or not national.isascii() or national.startswith("0"):
        return None
    if _valid_indonesian_national_number(national):
        return "+62" + national
    return None


@functools.cache
def _indonesian_number_descriptions():
    """Return (general, types) of phonenumbers' metadata for region ID, each
    description as (possible lengths, compiled national number pattern)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("ID")

    def compiled(description):
        return frozenset(description.possible_length or ()), re.compile(description.national_number_pattern)

    # Mobile and landline first: the order does not change the result, and
    # most customers' numbers match one of the two.
    types = [
        getattr(metadata, name)
        for name in (
            "mobile", "fixed_line", "premium_rate", "toll_free", "shared_cost",
            "voip", "personal_number", "pager", "uan", "voicemail",
        )
    ]
    return compiled(metadata.general_desc), [
        compiled(description) for description in types if description is not None and description.national_number_pattern
    ]


def _valid_indonesian_national_number(national):
    """Return whether phonenumbers.is_valid_number() accepts +62 `national`.

    This is the test is_valid_number() runs for region ID: the general
    pattern, then any number type, each with its possible lengths. Here the
    patterns are compiled once. is_valid_number() looks them up for every
    number, about a third of the cleaning time of a 100,000-row sheet in a
    profile. A property test checks that both agree.
    """
    (general_lengths, general_pattern), types = _indonesian_number_descriptions()
    length = len(national)
    if (general_lengths and length not in general_lengths) or general_pattern.fullmatch(national) is None:
        return False
    for lengths, pattern in types:
        if (not lengths or length in lengths) and pattern.fullmatch(national) is not None:
            return True
    return False


# ---------------------------------------------------------------------------
# NIK (Nomor Induk Kependudukan)

# Text such as "3.27301E+15" is what a NIK typed as a number looks like after
# Excel saved it to CSV, and "3273014403920000.0" what some tools write.
_SCIENTIFIC_NUMBER = re.compile(r"\d(?:[.,]\d+)?[eE][+]?\d+")
_WHOLE_FLOAT_TEXT = re.compile(r"\d{15,17}[.,]0+")
_NIK_SEPARATORS = re.compile(r"[\s.\-‐‑–—]")


def clean_nik(value):
    """Check a NIK typed as text and return its 16 digits.

    Excel keeps only 15 significant digits of a number, so the 16th digit of
    a NIK typed as a number in Excel is set to 0 even when 16 digits are
    shown. A number cell is accepted only when it cannot have been cut that
    way: a whole number of 16 digits that does not end in 0, as other tools
    (Google Sheets exports, scripts) write it. Any other number cell is
    rejected, never repaired.

    The structure checks are PPRRSS DDMMYY XXXX: PP a province code, DD the
    day of birth (plus 40 for women), MM the month, and a serial that is not
    0000. python-stdnum 2.2 (stdnum.id.nik) is not used because its region
    table lacks the provinces 65 and 92, 93, 95 and 96.
    """
    reject_special_cell(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _nik_from_number(value)

    if type(value) is str and value.isdigit() and value.isascii():
        # Most cells are plain digits, which the cleanup below would keep as
        # they are. Neither number pattern matches digits alone.
        digits = value
    else:
        text = fold_width(normalise_text(cell_text(value))).lstrip("'").strip()
        if _SCIENTIFIC_NUMBER.fullmatch(text) or _WHOLE_FLOAT_TEXT.fullmatch(text):
            raise CellError(NIK_NUMBER_CELL)

        digits = _NIK_SEPARATORS.sub("", text)
        if not (digits.isdigit() and digits.isascii()):
            raise CellError(NIK_NOT_DIGITS)
    if len(digits) != 16:
        raise CellError(NIK_WRONG_LENGTH, length=len(digits))

    if digits[:2] not in PROVINCE_CODES:
        raise CellError(NIK_INVALID_REGION, province_code=digits[:2])
    if not _nik_birth_date_exists(digits[6:12]):
        raise CellError(NIK_INVALID_BIRTH_DATE)
    if digits[12:] == "0000":
        raise CellError(NIK_INVALID_SERIAL)
    return digits


# Every whole number up to 2**53 is exact as a double, so a number cell below
# it contains the digits that were written, whichever reader gave an int or a
# float. Above it a double may be a rounding of the written digits.
_EXACT_DOUBLE_LIMIT = 2**53


def _nik_from_number(number):
    """Return the digits of a NIK number cell that Excel's 15-digit limit
    cannot have cut, or raise NIK_NUMBER_CELL."""
    if isinstance(number, float) and not number.is_integer():
        raise CellError(NIK_NUMBER_CELL)
    number = int(number)
    if not 10**15 <= number < _EXACT_DOUBLE_LIMIT or number % 10 == 0:
        raise CellError(NIK_NUMBER_CELL)
    return str(number)


# The days of each month, 29 for February.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _nik_birth_date_exists(ddmmyy):
    day, month, year = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    if 41 <= day <= 71:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return False
    if month == 2 and day == 29:
        # The century is not stored, so 29 February is valid when 19YY or
        # 20YY is a leap year. 1900 is not one and 2000 is, so both cases
        # together are every YY divisible by 4.
        return year % 4 == 0
    return day <= _MONTH_DAYS[month - 1]


# ---------------------------------------------------------------------------
# Dates

_MONTHS = {
    1: ["januari", "january", "jan"],
    2: ["februari", "pebruari", "february", "feb", "peb"],
    3: ["maret", "march", "mar"],
    4: ["april", "apr"],
    5: ["mei", "may"],
    6: ["juni", "june", "jun"],
    7: ["juli", "july", "jul"],
    8: ["agustus", "august", "agu", "agt", "ags", "agst", "aug"],
    9: ["september", "sep", "sept"],
    10: ["oktober", "october", "okt", "oct"],
    11: ["november", "nopember", "nov", "nop"],
    12: ["desember", "december", "des", "dec"],
}
MONTH_NUMBERS = {name: number for number, names in _MONTHS.items() for name in names}

_WEEKDAYS = (
    "senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    "mon|tue|wed|thu|fri|sat|sun"
)
_WEEKDAY_PREFIX = re.compile(rf"(?:{_WEEKDAYS})\.?,?\s+", re.I)
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)$")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[\s\-/.]*([^\W\d_]+)\.?[\s\-/.,]*(\d{4}|\d{2})")
_MONTH_NAME_DAY = re.compile(r"([^\W\d_]+)\.?\s*(\d{1,2}),?\s+(\d{4})")

_EXCEL_1900_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_1904_EPOCH = datetime.date(1904, 1, 1)


def clean_date(value, *, date1904=False):
    """Clean a date cell: a real date, an Excel serial number or text.

    Numeric text is always read day first, the Indonesian order, so
    "04/03/2024" is 4 March 2024. Text that can only be month first, such as
    "12/31/2023", is rejected instead of guessed. Two-digit years 00-79 are
    20xx and 80-99 are 19xx. Set `date1904` for workbooks in the 1904 date
    system (old Mac Excel). Any time of day is dropped.
    """
    reject_special_cell(value)

    if isinstance(value, datetime.datetime):
        return _check_year(value.date())
    if isinstance(value, datetime.date):
        return _check_year(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _check_year(_date_from_serial(value, date1904))
    if not isinstance(value, str):
        raise CellError(DATE_UNRECOGNISED)

    return _check_year(_parse_date_text(normalise_text(value)))


def _date_from_serial(serial, date1904):
    if isinstance(serial, float) and not math.isfinite(serial):
        raise CellError(DATE_UNRECOGNISED)
    days = math.floor(serial)
    if date1904:
        epoch = _EXCEL_1904_EPOCH
    elif days < 61:
        # Excel's 1900 system counts 29 February 1900, which did not exist
        # (a Lotus 1-2-3 bug), so serials before it are off by one.
        epoch = _EXCEL_1900_EPOCH + datetime.timedelta(days=1)
    else:
        epoch = _EXCEL_1900_EPOCH
    try:
        return epoch + datetime.timedelta(days=days)
    except OverflowError:
        raise CellError(DATE_OUT_OF_RANGE, min_year=MIN_YEAR, max_year=MAX_YEAR) from None


def _parse_date_text(text):
    text = _WEEKDAY_PREFIX.sub("", text, count=1)
    text = _TIME_SUFFIX.sub("", text)

    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _make_date(year, month, day)

    match = _NUMERIC_DATE.fullmatch(text)
    if match:
        day, month = int(match[1]), int(match[2])
        year = _full_year(match[3])
        if month > 12 and 1 <= day <= 12:
            raise CellError(DATE_MONTH_FIRST)
        return _make_date(year, month, day)

    match = _DAY_MONTH_NAME.fullmatch(text)
    if match and match[2].casefold() in MONTH_NUMBERS:
        return _make_date(_full_year(match[3]), MONTH_NUMBERS[match[2].casefold()], int(match[1]))

    match = _MONTH_NAME_DAY.fullmatch(text)
    if match and match[1].casefold() in MONTH_NUMBERS:
        return _make_date(int(match[3]), MONTH_NUMBERS[match[1].casefold()], int(match[2]))

    raise CellError(DATE_UNRECOGNISED)


def _full_year(text):
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < TWO_DIGIT_YEAR_PIVOT else 1900
    return year


def _make_date(year, month, day):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError(DATE_INVALID) from None


def _check_year(date):
    if not MIN_YEAR <= date.year <= MAX_YEAR:
        raise CellError(DATE_OUT_OF_RANGE, min_year=MIN_YEAR, max_year=MAX_YEAR)
    return date


# ---------------------------------------------------------------------------
# Coordinates. Values are Decimal rounded half-even to 6 places (about 0.1 m),
# which fits a DecimalField(max_digits=9, decimal_places=6).


@dataclass(frozen=True)
class Location:
    """A point inside Indonesia. `swapped` is True when the cells had latitude
    and longitude the wrong way round and they were swapped back."""

    latitude: Decimal
    longitude: Decimal
    swapped: bool = False


_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_DECIMAL_COORDINATE = re.compile(_NUMBER)
_DECIMAL_PAIR = re.compile(rf"({_NUMBER})\s*[,;\s]\s*({_NUMBER})")
_DMS = (
    r"(-?)(\d+(?:[.,]\d+)?)\s*°\s*"
    r"(?:(\d+(?:[.,]\d+)?)\s*['′’]\s*)?"
    r"(?:(\d+(?:[.,]\d+)?)\s*(?:\"|″|”|''|’’)\s*)?"
    r"(LU|LS|BT|BB|N|S|E|W|U|T|B)?"
)
_DMS_COORDINATE = re.compile(_DMS, re.I)
_DMS_PAIR = re.compile(rf"{_DMS}\s*[,;]?\s*{_DMS}", re.I)
_NEGATIVE_HEMISPHERES = {"s", "ls", "w", "bb", "b"}
_LATITUDE_HEMISPHERES = {"n", "s", "lu", "ls", "u"}

_MAPS_PLACE = re.compile(rf"!3d({_NUMBER})!4d({_NUMBER})")
_MAPS_VIEWPORT = re.compile(rf"@({_NUMBER}),({_NUMBER})")
_MAPS_QUERY_KEYS = ("q", "query", "ll", "sll", "center", "destination", "daddr")
# A place name that Google Maps puts after the point, "-6.2,106.8 (Rumah Budi)",
# or that people put before it, "(Rumah Budi) -6.2,106.8".
_MAPS_QUERY_LABEL = re.compile(r"^\s*\([^()]*\)\s*|\s*\([^()]*\)\s*$")
# OpenStreetMap's map view in the fragment: #map=zoom/latitude/longitude.
_OSM_VIEW = re.compile(rf"\d+(?:\.\d+)?/({_NUMBER})/({_NUMBER})")
_SHORT_LINK_HOSTS = ("maps.app.goo.gl", "goo.gl", "g.co")
_OSM_HOSTS = ("osm.org", "www.osm.org", "openstreetmap.org", "www.openstreetmap.org")


def clean_coordinate(value):
    """Clean one latitude or longitude cell to a Decimal.

    Accepts number cells, text with a decimal point or comma ("-6,4812") and
    degrees-minutes-seconds text (6°29'S). Whether the point lies in
    Indonesia is checked by clean_location(), which needs both values.
    """
    reject_special_cell(value)
    if isinstance(value, bool):
        raise CellError(COORDINATE_INVALID)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(COORDINATE_INVALID)
        return _round_coordinate(Decimal(repr(value)))
    if not isinstance(value, str):
        raise CellError(COORDINATE_INVALID)

    text = _normalise_coordinate_text(value)
    if _DECIMAL_COORDINATE.fullmatch(text):
        return _decimal(text)
    match = _DMS_COORDINATE.fullmatch(text)
    if match:
        return _dms_value(match.groups())[0]
    raise CellError(COORDINATE_INVALID)


def clean_location(latitude, longitude):
    """Check that a point lies in Indonesia, swapping latitude and longitude
    back when they were typed the wrong way round."""
    if _in_indonesia(latitude, longitude):
        return Location(latitude, longitude)
    if _in_indonesia(longitude, latitude):
        return Location(longitude, latitude, swapped=True)

    params = {"latitude": format_coordinate(latitude), "longitude": format_coordinate(longitude)}
    if not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        raise CellError(LATITUDE_OUTSIDE_INDONESIA, **params)
    raise CellError(LONGITUDE_OUTSIDE_INDONESIA, **params)


def format_coordinate(number):
    """Format a coordinate for a message, without trailing zeros: "-6.4812"."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def clean_coordinates(value):
    """Clean a cell containing a whole location as "lat, long" text, or a
    Google Maps or OpenStreetMap link.

    Pairs may use a decimal point or comma, and a comma, semicolon or space
    between the two numbers ("-6,4812 106,8421"), or degrees, minutes and
    seconds (6°29'S 106°50'E). In a Google link, the place pin (!3d…!4d…)
    wins over a query (?q=…), which wins over a point in the path
    (/place/-6.48,106.84), which wins over the map centre (@lat,long). In an
    OpenStreetMap link, the marker (?mlat=…&mlon=…) wins over the point of a
    short link (/go/<code>), which wins over the map centre (#map=zoom/lat/long).
    Google's short links need a network request to resolve, so they are
    rejected with a request to paste the coordinates.
    """
    reject_special_cell(value)
    if not isinstance(value, str):
        raise CellError(COORDINATES_INVALID)

    text = _normalise_coordinate_text(value)
    if _looks_like_link(text):
        latitude, longitude = _coordinates_from_link(text)
        return clean_location(latitude, longitude)

    pair = _coordinate_pair(text)
    if pair is not None:
        return clean_location(*pair)

    raise CellError(COORDINATES_INVALID)


def _coordinate_pair(text):
    """Return (latitude, longitude) from a whole text of two decimal or two
    degree values, or None when the text is neither."""
    match = _DECIMAL_PAIR.fullmatch(text)
    if match:
        return _decimal(match[1]), _decimal(match[2])

    match = _DMS_PAIR.fullmatch(text)
    if match:
        first, first_is_latitude = _dms_value(match.groups()[:5])
        second, _second_is_latitude = _dms_value(match.groups()[5:])
        if first_is_latitude is False:
            return second, first
        return first, second

    return None


def _normalise_coordinate_text(value):
    # U+2212 is the minus sign that some map apps copy instead of "-".
    return normalise_text(value).replace("\u2212", "-")


def _decimal(text):
    try:
        return _round_coordinate(Decimal(text.replace(",", ".")))
    except InvalidOperation:
        raise CellError(COORDINATE_INVALID) from None


def _round_coordinate(number):
    try:
        return number.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        # Too many digits for the decimal context, such as 1e300.
        raise CellError(COORDINATE_INVALID) from None


def _dms_value(groups):
    """Return (value, is_latitude) from the groups of one _DMS match.

    is_latitude is None when no hemisphere letter is given.
    """
    sign, degrees, minutes, seconds, hemisphere = groups
    number = Decimal(degrees.replace(",", "."))
    if minutes:
        number += Decimal(minutes.replace(",", ".")) / 60
    if seconds:
        number += Decimal(seconds.replace(",", ".")) / 3600

    is_latitude = None
    if hemisphere:
        hemisphere = hemisphere.casefold()
        is_latitude = hemisphere in _LATITUDE_HEMISPHERES
        if hemisphere in _NEGATIVE_HEMISPHERES:
            number = -number
    if sign == "-":
        number = -number
    return _round_coordinate(number), is_latitude


def _in_indonesia(latitude, longitude):
    return (
        LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]
        and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]
    )


def _looks_like_link(text):
    lowered = text.casefold()
    prefixes = ("www.", "maps.", "goo.gl", "geo:", "google.", "openstreetmap.", "osm.org")
    return "://" in lowered or lowered.startswith(prefixes)


def _coordinates_from_link(text):
    if text.casefold().startswith("geo:"):
        match = _DECIMAL_PAIR.match(text[4:].split("?")[0])
        if match:
            return _decimal(match[1]), _decimal(match[2])
        raise CellError(COORDINATES_LINK_UNRECOGNISED)

    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").casefold()
    if host in _SHORT_LINK_HOSTS:
        raise CellError(COORDINATES_SHORT_LINK)

    path = unquote_plus(parts.path)
    match = _MAPS_PLACE.search(path)
    if match:
        return _decimal(match[1]), _decimal(match[2])

    query = parse_qs(parts.query)
    marker = _osm_marker(query)
    if marker is not None:
        return marker
    if host in _OSM_HOSTS and path.startswith("/go/"):
        return _osm_short_link_point(path.removeprefix("/go/"))

    for key in _MAPS_QUERY_KEYS:
        for candidate in query.get(key, []):
            candidate = _MAPS_QUERY_LABEL.sub("", candidate.strip().removeprefix("loc:").strip())
            pair = _coordinate_pair(candidate)
            if pair is not None:
                return pair

    # Search and place links may carry the pin as a path segment
    # (/maps/search/-6.4812,+106.8421), which wins over the map centre after "@".
    for segment in path.split("/"):
        pair = _coordinate_pair(segment.strip())
        if pair is not None:
            return pair

    match = _MAPS_VIEWPORT.search(path)
    if match:
        return _decimal(match[1]), _decimal(match[2])

    for candidate in parse_qs(parts.fragment).get("map", []):
        match = _OSM_VIEW.fullmatch(candidate.strip())
        if match:
            return _decimal(match[1]), _decimal(match[2])

    raise CellError(COORDINATES_LINK_UNRECOGNISED)


def _osm_short_link_point(code):
    """Return (latitude, longitude) of an OpenStreetMap short link code,
    rounded like the coordinates of other links."""
    try:
        latitude, longitude, _zoom = osm_short_code_decode(code.rstrip("/"))
    except ValueError:
        raise CellError(COORDINATES_LINK_UNRECOGNISED) from None
    # The floats are exact, so Decimal() keeps them before the rounding.
    return _round_coordinate(Decimal(latitude)), _round_coordinate(Decimal(longitude))


def _osm_marker(query):
    """Return the point of an OpenStreetMap marker (?mlat=…&mlon=…), or
    None when the link has none. A marker with one value missing or
    unreadable raises, because the map centre need not be the marked point."""
    latitudes, longitudes = query.get("mlat", []), query.get("mlon", [])
    if not latitudes and not longitudes:
        return None
    if len(latitudes) != 1 or len(longitudes) != 1:
        raise CellError(COORDINATES_LINK_UNRECOGNISED)
    latitude, longitude = latitudes[0].strip(), longitudes[0].strip()
    if not (_DECIMAL_COORDINATE.fullmatch(latitude) and _DECIMAL_COORDINATE.fullmatch(longitude)):
        raise CellError(COORDINATES_LINK_UNRECOGNISED)
    return _decimal(latitude), _decimal(longitude)


# ---------------------------------------------------------------------------
# Email, status, postal code and region code

class _DomainCachingEmailValidator(EmailValidator):
    """Django's EmailValidator that remembers its verdict on each domain.

    Most customers of a sheet share a few domains, and the domain check is
    the costlier half: 0.23 s of 0.40 s for 100,000 addresses (Django 5.2,
    2-vCPU machine). validate_domain_part() depends on its argument alone.
    """

    def __init__(self):
        super().__init__()
        self._domain_verdicts = functools.lru_cache(maxsize=4096)(super().validate_domain_part)

    def validate_domain_part(self, domain_part):
        return self._domain_verdicts(domain_part)


_email_validator = _DomainCachingEmailValidator()
_MAILTO_PREFIX = re.compile(r"^mailto:", re.I)


def clean_email(value):
    """Validate an email address with Django's EmailValidator and lower-case
    its domain. The local part keeps its case, which some servers honour."""
    text = clean_text(value, EMAIL_MAX_LENGTH)
    text = _MAILTO_PREFIX.sub("", text).strip()
    try:
        _email_validator(text)
    except ValidationError:
        raise CellError(EMAIL_INVALID) from None
    local_part, domain = text.rsplit("@", 1)
    return f"{local_part}@{domain.lower()}"


_STATUS_WORDS = {
    STATUS_ACTIVE: ["aktif", "active", "1", "ya", "yes", "on"],
    STATUS_INACTIVE: [
        "nonaktif", "non-aktif", "tidak aktif", "inactive", "berhenti",
        "berhenti berlangganan", "putus", "cabut", "dicabut", "terminated",
        "0", "off",
    ],
    STATUS_SUSPENDED: ["isolir", "isolasi", "terisolir", "diisolir", "suspended", "suspend"],
}
STATUS_VALUES = {
    re.sub(r"\W", "", word): status for status, words in _STATUS_WORDS.items() for word in words
}


def clean_status(value):
    """Map a status word in Indonesian or English, or 1/0, to a status code."""
    reject_special_cell(value)
    if isinstance(value, bool):
        value = int(value)
    key = re.sub(r"\W", "", clean_text(value, REFERENCE_MAX_LENGTH).casefold())
    try:
        return STATUS_VALUES[key]
    except KeyError:
        raise CellError(STATUS_UNKNOWN) from None


def clean_postal_code(value):
    """Clean a 5-digit Indonesian postal code, given as text or as a number cell."""
    reject_special_cell(value)
    if isinstance(value, float) and not value.is_integer():
        raise CellError(POSTAL_CODE_INVALID)
    text = re.sub(r"\s", "", clean_text(value, REFERENCE_MAX_LENGTH))
    if not re.fullmatch(r"[1-9][0-9]{4}", text):
        raise CellError(POSTAL_CODE_INVALID)
    return text


_DOTTED_REGION_CODE = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
_PLAIN_REGION_CODE = re.compile(r"\d{2}|\d{4}|\d{6}|\d{10}")


def clean_region_code(value):
    """Clean a Kemendagri region code to its dotted form, e.g. "32.01.01.1007".

    Accepts the dotted form or the same digits without dots, for a province,
    regency, district or village.
    """
    reject_special_cell(value)
    text = re.sub(r"\s", "", clean_text(value, REFERENCE_MAX_LENGTH))
    if _DOTTED_REGION_CODE.fullmatch(text):
        return text
    if _PLAIN_REGION_CODE.fullmatch(text):
        pieces = [text[0:2], text[2:4], text[4:6], text[6:10]]
        return ".".join(piece for piece in pieces if piece)
    raise CellError(REGION_CODE_INVALID)


# ---------------------------------------------------------------------------
# RT/RW (Rukun Tetangga/Rukun Warga), the neighbourhood and hamlet numbers
# of an address. The cleaners return the numbers: rt_rw.format_rt_rw()
# writes them as the KTP does, "RT 004/RW 011".

RT_RW_MAX = 999

# "001/002", "1/2", "01 / 02" and "4-11". A dot is not a separator, because
# "4.10" typed in a number cell reaches a CSV as "4.1".
_BARE_RT_RW = re.compile(r"(\d{1,3})\s*[/\\-]\s*(\d{1,3})")
# "RT 001 RW 002", "RT.01/RW.02", "RT/RW 004/011", "RT 04/11", "RT:4, RW:11",
# "RT 4" and "RW 11". rt_rw.find_rt_rw() searches an Alamat with it.
LABELLED_RT_RW = re.compile(
    r"\brt(?:\s*[/.-]?\s*rw)?(?![a-z])\.?\s*:?\s*(?P<pair_rt>\d{1,3})\s*[/\\-]\s*(?P<pair_rw>\d{1,3})(?!\d)"
    r"|\brt(?![a-z])\.?\s*:?\s*(?P<rt>\d{1,3})(?!\d)"
    r"(?:\s*[,/\\-]?\s*rw(?![a-z])\.?\s*:?\s*(?P<rw>\d{1,3})(?!\d))?"
    r"|\brw(?![a-z])\.?\s*:?\s*(?P<rw_only>\d{1,3})(?!\d)",
    re.IGNORECASE,
)
# A single RT or RW number, alone or after its label: "4", "004", "RT 04",
# "No. RW 11".
_SINGLE_NUMBER = re.compile(r"(?:(?:no|nomor)\.?\s*)?(?:rt|rw)?\.?\s*:?\s*(\d{1,3})", re.IGNORECASE)
# Text that a CSV export of a date cell shows: "2024-04-11", "11/04/2024",
# "11-Apr" and "Apr-11".
_DATE_TEXT = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|\d{1,2}[\s-]+(?P<month_after>[^\W\d_]+)|(?P<month_before>[^\W\d_]+)[\s-]+\d{1,2}"
)


def labelled_rt_rw_numbers(match):
    """Return (RT, RW) of a LABELLED_RT_RW match, each an int or None."""
    groups = match.groupdict()
    rt = groups["pair_rt"] or groups["rt"]
    rw = groups["pair_rw"] or groups["rw"] or groups["rw_only"]
    return (int(rt) if rt else None, int(rw) if rw else None)


def clean_rt_rw(value):
    """Clean a cell holding both the RT and the RW to (RT, RW) numbers.

    Accepts "001/002", "1/2", "01 / 02", "RT 001 RW 002", "RT.01/RW.02" and
    "RT/RW 004/011", and a labelled RT or RW alone ("RT 04" gives (4, None)).
    A number cell is rejected, because "4" alone may be an RT or an RW.
    Excel turns "4/11" into a date cell, which is rejected with its own
    message. Its day and month do not tell which number was the RT, because
    that depends on the date order of the computer that typed it.
    """
    reject_special_cell(value)
    if isinstance(value, (datetime.date, datetime.time)):
        raise CellError(RT_RW_DATE)
    if not isinstance(value, str):
        raise CellError(RT_RW_INVALID)

    text = fold_width(normalise_text(value)).lstrip("'")
    match = _BARE_RT_RW.fullmatch(text)
    if match:
        numbers = (int(match[1]), int(match[2]))
    else:
        match = LABELLED_RT_RW.fullmatch(text)
        if not match:
            if _is_date_text(text):
                raise CellError(RT_RW_DATE)
            raise CellError(RT_RW_INVALID)
        numbers = labelled_rt_rw_numbers(match)
    if any(number is not None and not 1 <= number <= RT_RW_MAX for number in numbers):
        raise CellError(RT_RW_INVALID)
    return numbers


def _is_date_text(text):
    match = _DATE_TEXT.fullmatch(text)
    if not match:
        return False
    month = match["month_after"] or match["month_before"]
    return month is None or month.casefold() in MONTH_NUMBERS


def clean_rt(value):
    """Clean a cell of an RT column to (RT, None)."""
    return (_clean_rt_rw_number(value), None)


def clean_rw(value):
    """Clean a cell of an RW column to (None, RW)."""
    return (None, _clean_rt_rw_number(value))


def _clean_rt_rw_number(value):
    """Return the number 1 to 999 of an RT or RW cell: a whole number cell,
    or text such as "004" or "RT 04"."""
    reject_special_cell(value)
    if isinstance(value, (datetime.date, datetime.time)):
        raise CellError(RT_RW_DATE)
    if isinstance(value, bool):
        raise CellError(RT_RW_NUMBER_INVALID)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        match = _SINGLE_NUMBER.fullmatch(fold_width(normalise_text(value)).lstrip("'"))
        if not match:
            raise CellError(RT_RW_NUMBER_INVALID)
        number = int(match[1])
    else:
        raise CellError(RT_RW_NUMBER_INVALID)
    if not 1 <= number <= RT_RW_MAX:
        raise CellError(RT_RW_NUMBER_INVALID)
    return number
