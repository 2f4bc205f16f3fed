"""Comparison forms of region names and codes as people type them.

Pure functions without database access, shared by the matcher and its tests.
"""

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

PROVINCE = "province"
REGENCY = "regency"
DISTRICT = "district"
VILLAGE = "village"

KABUPATEN = "kabupaten"
KOTA = "kota"

# Words written before a name to say its level, as they appear in addresses
# (lower case, without punctuation). Kalurahan, Kapanewon and Kemantren are
# the village and district words of Yogyakarta; Distrik is Papua's district.
LEVEL_PREFIXES = {
    "kelurahan": VILLAGE,
    "kel": VILLAGE,
    "kalurahan": VILLAGE,
    "desa": VILLAGE,
    "ds": VILLAGE,
    "kecamatan": DISTRICT,
    "kec": DISTRICT,
    "kapanewon": DISTRICT,
    "kemantren": DISTRICT,
    "distrik": DISTRICT,
    "kabupaten": REGENCY,
    "kab": REGENCY,
    "kota": REGENCY,
    "kodya": REGENCY,
    "kotamadya": REGENCY,
    "provinsi": PROVINCE,
    "propinsi": PROVINCE,
    "prov": PROVINCE,
}
REGENCY_KINDS = {
    "kabupaten": KABUPATEN,
    "kab": KABUPATEN,
    "kota": KOTA,
    "kodya": KOTA,
    "kotamadya": KOTA,
}
# "Kota Administrasi Jakarta Pusat", "Kab. Adm. Kepulauan Seribu".
ADMINISTRATIVE_WORDS = {"administrasi", "adm"}

# Names that people write for provinces besides the official one, keyed by
# province code. The official names are in regions/data/provinces.csv.gz.
PROVINCE_ALIASES = {
    "11": ["Nanggroe Aceh Darussalam", "NAD"],
    "12": ["Sumut"],
    "13": ["Sumbar"],
    "16": ["Sumsel"],
    "19": ["Bangka Belitung", "Babel"],
    "21": ["Kepri"],
    "31": ["DKI Jakarta", "DKI", "Jakarta"],
    "32": ["Jabar"],
    "33": ["Jateng"],
    "34": ["DI Yogyakarta", "DIY", "Yogyakarta", "Jogja", "Jogjakarta"],
    "35": ["Jatim"],
    "52": ["NTB"],
    "53": ["NTT"],
    "61": ["Kalbar"],
    "62": ["Kalteng"],
    "63": ["Kalsel"],
    "64": ["Kaltim"],
    "65": ["Kaltara"],
    "71": ["Sulut"],
    "72": ["Sulteng"],
    "73": ["Sulsel"],
    "74": ["Sultra"],
    "76": ["Sulbar"],
    "82": ["Malut"],
}

_NOT_LETTER_OR_DIGIT = re.compile(r"[^0-9a-z]+")

_DOTTED_CODE = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
_PLAIN_CODE = re.compile(r"\d{2}|\d{4}|\d{6}|\d{10}")

# A part of an address that belongs to the street line: RT/RW numbers, a
# house number, or a street, alley, block or housing-estate word.
_STREET_PART = re.compile(
    r"\b(?:rt|rw|no|nomor|jl|jln|jalan|gg|gang|blok|komp|komplek|kompleks|perum|perumahan|kav|kavling)\b"
    r"|\d+\s*/\s*\d+",
    re.IGNORECASE,
)
_TRAILING_POSTAL_CODE = re.compile(r"\s*\b[1-9]\d{4}\s*$")
# Parts of an address end at a comma, semicolon or line break, and before a
# level word inside a part: "Jl. Mawar 5 Kel. Pabuaran Kec. Cibinong" is
# read as three parts.
_PART_BOUNDARY = re.compile(
    r"[,;\n]+"
    r"|\s+(?=(?:kel|kelurahan|desa|ds|kec|kecamatan|kab|kabupaten|kota|kodya|prov|provinsi)\b\.?\s*\w)",
    re.IGNORECASE,
)


def name_words(text):
    """Return the words of a name: accents removed, case-folded, and split on
    anything but letters and digits ("Ba'u" gives ["ba", "u"])."""
    text = str(text)
    if text.isascii():
        # ASCII has no decompositions or combining marks, and casefold()
        # equals lower() on it. Most names take this path: all but 3 of the
        # 91,599 names of the region list.
        plain = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return _NOT_LETTER_OR_DIGIT.sub(" ", plain).split()


def compact_key(text):
    """Return the comparison form of a name: its words joined without spaces,
    so "Suka Maju", "SUKAMAJU" and "Suka-maju" are one key."""
    return "".join(name_words(text))


@dataclass(frozen=True)
class TypedName:
    """A region name as typed, read for matching.

    full_key is the compact form of the whole text. When the text starts with
    level words ("Kec.", "Kab. Adm."), level is that level, key is the
    compact form without those words, and regency_kind is KABUPATEN or KOTA
    for a regency word. Otherwise level and regency_kind are None and key
    equals full_key.
    """

    full_key: str
    key: str
    level: str | None = None
    regency_kind: str | None = None


def read_typed_name(text):
    """Split the level words ("Desa", "Kab.", "Provinsi") off a typed region name."""
    words = name_words(text)
    full_key = "".join(words)
    level = LEVEL_PREFIXES.get(words[0]) if len(words) >= 2 else None
    if level is None:
        return TypedName(full_key=full_key, key=full_key)

    regency_kind = REGENCY_KINDS.get(words[0])
    # "Kel/Desa Pabuaran" repeats the level in two words.
    rest = words[1:]
    while len(rest) > 1 and LEVEL_PREFIXES.get(rest[0]) == level:
        rest = rest[1:]
    if level == REGENCY:
        while len(rest) > 1 and rest[0] in ADMINISTRATIVE_WORDS:
            rest = rest[1:]
    return TypedName(full_key=full_key, key="".join(rest), level=level, regency_kind=regency_kind)


def regency_name_parts(official_name):
    """Return (kind, key of the bare name) of an official regency name.

    "Kabupaten Bogor" gives (KABUPATEN, "bogor"); "Kota Administrasi Jakarta
    Pusat" gives (KOTA, "jakartapusat").
    """
    typed = read_typed_name(official_name)
    return typed.regency_kind, typed.key


def parse_region_code(value):
    """Return the dotted Kemendagri code in a value, or None.

    Accepts "32.01.01.1007", "3201011007" (also as an int, as a spreadsheet
    stores it), and the 2-, 4- and 6-digit codes of a province, regency or
    district in either form. Spaces are ignored.
    """
    if value is None or isinstance(value, bool):
        return None
    text = re.sub(r"\s", "", str(value))
    if _DOTTED_CODE.fullmatch(text):
        return text
    if _PLAIN_CODE.fullmatch(text):
        pieces = [text[0:2], text[2:4], text[4:6], text[6:10]]
        return ".".join(piece for piece in pieces if piece)
    return None


def code_level(code):
    """Return the level of a dotted code by its number of parts."""
    return (PROVINCE, REGENCY, DISTRICT, VILLAGE)[code.count(".")]


def code_ancestors(code):
    """Return the dotted code and the codes of the areas that contain it,
    from the province down: "32.01.01" gives ("32", "32.01", "32.01.01")."""
    ancestors = []
    end = code.find(".")
    while end != -1:
        ancestors.append(code[:end])
        end = code.find(".", end + 1)
    ancestors.append(code)
    return tuple(ancestors)


@dataclass(frozen=True)
class AddressPart:
    """One part of a free-text address, and where it starts in that text."""

    text: str
    start: int
    is_street: bool

    @property
    def name(self):
        """The part read as a typed region name, without a trailing postal code."""
        return _part_name(self.text)


# Region parts repeat across thousands of rows ("Kec. Cibinong"), and the
# import's street split reads no names. So a name is read when first needed
# and cached.
@functools.lru_cache(maxsize=50_000)
def _part_name(text):
    return read_typed_name(_TRAILING_POSTAL_CODE.sub("", text))


def split_address(address):
    """Split a free-text address into its parts (see _PART_BOUNDARY)."""
    return list(iter_address_parts(address))


def iter_address_parts(address):
    """Yield the parts of split_address() one by one, for callers that stop early."""
    address = str(address)
    start = 0
    for boundary in itertools.chain(_PART_BOUNDARY.finditer(address), [None]):
        end = boundary.start() if boundary else len(address)
        piece = address[start:end]
        text = " ".join(piece.split())
        if text:
            offset = start + len(piece) - len(piece.lstrip())
            yield AddressPart(text=text, start=offset, is_street=bool(_STREET_PART.search(text)))
        if boundary:
            start = boundary.end()


def address_before(address, part):
    """Return the address text before a part, without the separators that end it."""
    return str(address)[: part.start].rstrip(" \t\r\n,;")
