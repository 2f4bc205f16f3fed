"""Resolve each row's region columns, or its free-text Alamat, to a village.

A thin layer over regions.matching.RegionMatcher for the import. It loads
the matcher only when the region table contains data. It caches results by
the part of the address after the street line, because thousands of rows
share "Kel. Sukahati, Kec. Cibinong, Kab. Bogor" while their street parts
differ.
"""

import re
from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from customers.importing.problems import Problem, register_row_message
from regions.matching import AMBIGUOUS, MATCHED, ON_REGION_CODE, UNMATCHED, RegionMatcher
from regions.models import Village
from regions.names import address_before, iter_address_parts

REGION_FIELDS = ("village", "district", "regency", "province", "region_code")
REGION_NAME_FIELDS = ("village", "district", "regency", "province")
HAS_DIGIT = re.compile(r"\d")

REGION_AMBIGUOUS = register_row_message(
    "region_ambiguous",
    _(
        "Row %(row)s, column %(column)s: “%(value)s” fits several villages (%(candidates)s). No village was chosen; "
        "write the Kecamatan and Kabupaten/Kota too, or pick the village on the customer's page."
    ),
)
REGION_UNMATCHED = register_row_message(
    "region_unmatched",
    _(
        "Row %(row)s, column %(column)s: “%(value)s” matches no village in the region list. "
        "Check the spelling, or pick the village on the customer's page."
    ),
)

# The note of region columns without a Kelurahan/Desa (a Kecamatan alone,
# say), which cannot name one village however well they are spelled.
REGION_WITHOUT_VILLAGE = register_row_message(
    "region_without_village",
    _(
        "Row %(row)s, column %(column)s: “%(value)s” does not name one village, because the row has no "
        "Kelurahan/Desa. Add a Kelurahan/Desa column, or pick the village on the customer's page."
    ),
)

# The note of a Kode Wilayah, given without region names, that is no
# village's code. A code is digits and dots, so the note shows the expected
# form, while REGION_UNMATCHED tells the admin to check a name's spelling.
REGION_CODE_UNMATCHED = register_row_message(
    "region_code_unmatched",
    _(
        "Row %(row)s, column %(column)s: Kode Wilayah “%(value)s” is not the code of a village in the region "
        "list. A village code has four parts, like 32.01.01.1007. Check the code, or pick the village on the "
        "customer's page."
    ),
)

# An exported sheet keeps its Kode Wilayah column, so a village retyped in
# Excel would otherwise be ignored without a word.
REGION_CODE_OTHER_NAMES = register_row_message(
    "region_code_other_names",
    _(
        "Row %(row)s, column %(column)s: Kode Wilayah “%(value)s” is the village %(village)s, but the region "
        "names of this row are “%(names)s”. eBilling goes by the Kode Wilayah. To use the names, empty the "
        "Kode Wilayah cell and upload the file again."
    ),
)


def street_prefix(address):
    """Split an address into its leading street parts (a street name, house
    number, RT/RW or block) and the rest, which names the region.

    Returns (street, rest): rest is the case-folded text from the first
    region part on, or "" when every part belongs to the street.
    """
    address = str(address)
    for part in iter_address_parts(address):
        if not (part.is_street or HAS_DIGIT.search(part.text)):
            return address_before(address, part), address[part.start :].casefold()
    return address.strip(), ""


class RegionResolver:
    def __init__(self):
        self.matcher = RegionMatcher() if Village.objects.exists() else None
        self._by_tail = {}
        # Most rows of a sheet repeat a few villages, so the results of
        # names_fit() are cached by code and names.
        self._names_fit_results = {}

    def resolve(self, values):
        """Return (village code or None, street line, finding or None) for one
        row's cleaned values; the finding's row and column are filled by the
        caller."""
        if self.matcher is None:
            street = street_prefix(values["address"])[0] if values.get("address") else ""
            return None, street, None
        columns = {name: values.get(name) for name in REGION_FIELDS if values.get(name)}
        if columns:
            result = self.matcher.match(**columns)
            value = ", ".join(str(columns[name]) for name in REGION_FIELDS if name in columns)
            field = next(name for name in ("village", "district", "regency", "province", "region_code") if name in columns)
            street = ""
            if values.get("address"):
                street, _tail = street_prefix(values["address"])
        else:
            address = values.get("address")
            if not address:
                return None, "", None
            street, tail = street_prefix(address)
            if not tail:
                return None, street, None
            # Addresses with the same region text share one match. Without a
            # street prefix the street line comes from the match, so only
            # the same address, letter case included, may share it.
            key = tail if street else ("exact", address)
            result = self._by_tail.get(key)
            if result is None:
                result = self.matcher.match(address=address)
                self._by_tail[key] = result
            value, field = address, "address"
            if not street:
                street = result.street
        if result.status == MATCHED:
            if result.matched_on == ON_REGION_CODE:
                return result.village_code, street, self._names_finding(result.village_code, columns)
            return result.village_code, street, None
        if result.status == AMBIGUOUS:
            return None, street, (field, value, REGION_AMBIGUOUS, {"candidates": "; ".join(result.candidates[:3])})
        if result.status == UNMATCHED and field == "region_code":
            return None, street, (field, value, REGION_CODE_UNMATCHED, {})
        if result.status == UNMATCHED and field != "address":
            code = REGION_UNMATCHED if "village" in columns else REGION_WITHOUT_VILLAGE
            return None, street, (field, value, code, {})
        return None, street, None

    def shared_key(self, values):
        """Return the key under which resolve() shares one match among rows
        whose addresses differ, or None when `values` get a match of their own.

        Such a row takes the match of the first address with the same key,
        so the order of the rows can change its outcome (see shared_matches).
        """
        if self.matcher is None or any(values.get(name) for name in REGION_FIELDS) or not values.get("address"):
            return None
        street, tail = street_prefix(values["address"])
        return tail if street and tail else None

    def shared_matches(self):
        """Return {shared_key: RegionMatch} of the matches shared so far,
        without their street, which resolve() never takes from a shared
        match. Two resolvers that return equal entries for a key give the
        same result for every row of that key."""
        return {
            key: replace(result, street="")
            for key, result in self._by_tail.items()
            if not isinstance(key, tuple)
        }

    def _names_finding(self, code, columns):
        """Return the finding of a row whose region names do not fit the
        village of its Kode Wilayah, or None when they fit."""
        names = {name: columns[name] for name in REGION_NAME_FIELDS if name in columns}
        key = (code, *(names.get(name) for name in REGION_NAME_FIELDS))
        fits = self._names_fit_results.get(key)
        if fits is None:
            fits = self._names_fit_results[key] = self.matcher.names_fit(code, **names)
        if fits:
            return None
        village = self.matcher.label(code).removesuffix(f" ({code})")
        typed = ", ".join(str(value) for value in names.values())
        return ("region_code", columns["region_code"], REGION_CODE_OTHER_NAMES, {"village": village, "names": typed})


def region_finding(row_number, labels, finding):
    field, value, code, params = finding
    return Problem(row_number, labels.get(field, field), str(value), code, params)
