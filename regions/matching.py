"""Match the region columns or the free-text address of a row to a village.

RegionMatcher loads every province, regency, district and village with four
queries and keeps them in memory (about 84,000 villages), so one instance
serves a whole import batch without further queries:

    matcher = RegionMatcher()
    result = matcher.match(village="Pabuaran", district="Kec. Cibinong", regency="Kab. Bogor")
    result.status        # "matched"
    result.village_code  # "32.01.01.1012"

Rules, in order:

1. A valid Kode Wilayah of an existing village wins. A province, regency or
   district code narrows the search like a name of that level.
2. Names are compared in a compact form: case, accents, spaces and
   punctuation are ignored, and level words ("Kel.", "Desa", "Kec.",
   "Kab.", "Kota", "Provinsi", …) are read as a hint of the level.
3. Province, then regency, then district narrow the villages to choose
   from. A given level that matches nothing inside the levels above it
   makes the row unmatched: the matcher never ignores a level the row gives.
4. An exact name wins over a spelling variant. Variants are found with
   rapidfuzz's ratio (see the FUZZY_* attributes) only when no exact name
   fits.
5. A name that fits several villages is ambiguous: the candidates are
   returned for review and nothing is chosen.
6. Without a village column, the address text is split on commas and read
   as "street, village, district, regency, province" (see match()).
"""

from collections import defaultdict
from dataclasses import dataclass, replace

from django.db import DEFAULT_DB_ALIAS
from rapidfuzz import fuzz, process

from regions.models import District, Province, Regency, Village
from regions.names import (
    DISTRICT,
    PROVINCE,
    PROVINCE_ALIASES,
    REGENCY,
    VILLAGE,
    address_before,
    code_ancestors,
    code_level,
    compact_key,
    parse_region_code,
    read_typed_name,
    regency_name_parts,
    split_address,
)

MATCHED = "matched"
AMBIGUOUS = "ambiguous"
UNMATCHED = "unmatched"
EMPTY = "empty"

# Values of RegionMatch.matched_on: where the result came from.
ON_REGION_CODE = "region_code"
ON_NAMES = "names"
ON_NAMES_FUZZY = "names_fuzzy"
ON_ADDRESS = "address"
ON_ADDRESS_FUZZY = "address_fuzzy"

# Value of RegionMatch.failed_level for a region code that names no village
# and cannot narrow the search either.
REGION_CODE = "region_code"


@dataclass(frozen=True)
class RegionMatch:
    """The outcome of matching one row's region text.

    status is MATCHED (village_code is set), AMBIGUOUS (several villages fit
    and candidates lists them), UNMATCHED (failed_level names the level that
    matched nothing) or EMPTY (the row has no region text at all).

    candidates contains up to RegionMatcher.CANDIDATE_LIMIT labels such as
    "Pabuaran, Cibinong, Kabupaten Bogor, Jawa Barat (32.01.01.1012)", and
    candidate_codes their village codes, in the same order. An unmatched row
    lists the villages of that name elsewhere, for review. candidate_count
    is the number of villages that fit before the limit.

    matched_on is one of the ON_* values, or "" when nothing was tried.
    street is the part of the address before the village part, when the
    match came from the address.
    """

    status: str
    village_code: str | None = None
    candidates: tuple = ()
    candidate_codes: tuple = ()
    candidate_count: int = 0
    matched_on: str = ""
    failed_level: str = ""
    street: str = ""


@dataclass(frozen=True)
class _Found:
    """Codes of one level that fit a typed name, best score first."""

    codes: tuple = ()
    fuzzy: bool = False


@dataclass(frozen=True)
class _Reading:
    """One way of reading an address: part `index` is the village, and
    `context` parts after it name its district, regency or province."""

    index: int
    context: int
    found: _Found


class RegionMatcher:
    """In-memory index of every region, for matching many rows in one batch.

    Not thread-safe: it caches results in a plain dict.
    """

    # rapidfuzz ratio (0-100) a spelling variant needs when higher levels
    # narrowed the choice ("Cibinnong" gives 94 against "Cibinong", one
    # changed letter of eight gives 87.5).
    FUZZY_CUTOFF = 85
    # The same when nothing narrows the choice: among 84,000 village names
    # many real names are one letter apart ("Sidomulyo"/"Sidomulya": 88.9).
    FUZZY_CUTOFF_ANYWHERE = 92
    # Variants scoring this much below the best are dropped; the others all
    # stay candidates, so two close variants make the row ambiguous.
    FUZZY_MARGIN = 5
    # Shorter keys are matched exactly only: one letter of four is too much.
    FUZZY_MIN_KEY_LENGTH = 5
    CANDIDATE_LIMIT = 5
    # Results kept per instance; the cache is emptied when it is full.
    CACHE_SIZE = 200_000

    def __init__(self, using=DEFAULT_DB_ALIAS):
        self._names = {}
        self._regency_kinds = {}
        self._keys = {level: defaultdict(list) for level in (PROVINCE, REGENCY, DISTRICT, VILLAGE)}
        self._villages_in_area = defaultdict(list)
        self._cache = {}
        self._village_pools = {}

        self._load_provinces(using)
        self._load_regencies(using)
        self._load_districts(using)
        self._load_villages(using)
        self._fuzzy_keys = {level: list(keys) for level, keys in self._keys.items()}

    # Loading

    def _load_provinces(self, using):
        for code, name in Province.objects.using(using).values_list("code", "name"):
            self._names[code] = name
            self._add_key(PROVINCE, compact_key(name), code)
            for alias in PROVINCE_ALIASES.get(code, ()):
                self._add_key(PROVINCE, compact_key(alias), code)

    def _load_regencies(self, using):
        for code, name in Regency.objects.using(using).values_list("code", "name"):
            self._names[code] = name
            kind, bare_key = regency_name_parts(name)
            self._regency_kinds[code] = kind
            self._add_key(REGENCY, bare_key, code)
            self._add_key(REGENCY, compact_key(name), code)

    def _load_districts(self, using):
        for code, name in District.objects.using(using).values_list("code", "name"):
            self._names[code] = name
            self._add_key(DISTRICT, compact_key(name), code)

    def _load_villages(self, using):
        for code, name in Village.objects.using(using).values_list("code", "name"):
            self._names[code] = name
            self._add_key(VILLAGE, compact_key(name), code)
            for area in code_ancestors(code)[:-1]:
                self._villages_in_area[area].append(code)

    def _add_key(self, level, key, code):
        codes = self._keys[level][key]
        if code not in codes:
            codes.append(code)

    # Public API

    def label(self, code):
        """Return "Village, District, Regency, Province (code)" for a known code."""
        names = [self._names[area] for area in reversed(code_ancestors(code))]
        return f"{', '.join(names)} ({code})"

    def names_fit(self, code, *, village=None, district=None, regency=None, province=None):
        """Return whether every given region name fits the village `code` at
        its level, as a name match inside the area above would find it.

        match() lets a village's Kode Wilayah win over the names, so a
        caller uses this to tell the admin when the names point elsewhere.
        An empty name fits.
        """
        ancestors = code_ancestors(code)
        named_levels = ((PROVINCE, province), (REGENCY, regency), (DISTRICT, district), (VILLAGE, village))
        for index, (level, value) in enumerate(named_levels):
            text = _cell_text(value)
            if not text:
                continue
            typed = read_typed_name(text)
            if not typed.key:
                continue
            constraints = (frozenset([ancestors[index - 1]]),) if index else ()
            if ancestors[index] not in self._find(level, typed, constraints).codes:
                return False
        return True

    def match(self, *, village=None, district=None, regency=None, province=None, region_code=None, address=None):
        """Match one row's region columns, or its address text, to one village.

        Each argument is the cell as read (str, int or None). Without a
        village name the address is split on commas: the part naming a
        village must come before the parts naming its district, regency or
        province ("Jl. Mawar 5 RT 01/RW 02, Pabuaran, Cibinong"). The
        reading where most later parts agree with the village wins, and the
        row is matched only when that reading leaves one village. Parts that
        name no region at all (a postal code, "Indonesia") are ignored.
        """
        arguments = tuple(
            _cell_text(value) for value in (village, district, regency, province, region_code, address)
        )
        result = self._cache.get(arguments)
        if result is None:
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            result = self._match(*arguments)
            self._cache[arguments] = result
        return result

    def parse_street(self, address):
        """Return the street line of an address: the parts before its village.

        "Jl. Mawar No. 5 RT 01/RW 02, Pabuaran, Cibinong" gives
        "Jl. Mawar No. 5 RT 01/RW 02". Without a recognised village, the
        parts before the first part that names any region are returned, and
        the whole address when no part does.
        """
        address = _cell_text(address)
        parts = split_address(address)
        return self._street(address, parts, self._address_readings(parts, constraints=()))

    # Matching

    def _match(self, village, district, regency, province, region_code, address):
        if not any((village, district, regency, province, region_code, address)):
            return RegionMatch(status=EMPTY)

        constraints = ()
        code = parse_region_code(region_code) if region_code else None
        if code in self._names:
            if code_level(code) == VILLAGE:
                return self._matched(code, ON_REGION_CODE)
            constraints = (frozenset([code]),)

        typed_village = read_typed_name(village) if village else None
        for level, text in ((PROVINCE, province), (REGENCY, regency), (DISTRICT, district)):
            if not text:
                continue
            found = self._find(level, read_typed_name(text), constraints)
            if not found.codes:
                return self._unmatched(level, typed_village)
            constraints += (frozenset(found.codes),)

        if typed_village is not None:
            found = self._find(VILLAGE, typed_village, constraints)
            if not found.codes:
                return self._unmatched(VILLAGE, typed_village)
            return self._result(found.codes, ON_NAMES_FUZZY if found.fuzzy else ON_NAMES)

        if address:
            return self._match_address(address, constraints)
        if region_code and not constraints:
            return RegionMatch(status=UNMATCHED, failed_level=REGION_CODE)
        return RegionMatch(status=UNMATCHED, failed_level=VILLAGE)

    def _match_address(self, address, constraints):
        parts = split_address(address)
        readings = self._address_readings(parts, constraints)
        street = self._street(address, parts, readings)
        if not readings:
            return RegionMatch(status=UNMATCHED, matched_on=ON_ADDRESS, failed_level=VILLAGE, street=street)

        codes = []
        for reading in readings:
            codes.extend(code for code in reading.found.codes if code not in codes)
        fuzzy = any(reading.found.fuzzy for reading in readings)
        result = self._result(codes, ON_ADDRESS_FUZZY if fuzzy else ON_ADDRESS)
        return replace(result, street=street)

    def _address_readings(self, parts, constraints):
        """Return the best readings of an address: those with the most parts
        agreeing with the village, exact names before variants, first part first."""
        areas = [self._areas_named(part, constraints) for part in parts]
        readings = []
        for index, part in enumerate(parts):
            if part.is_street or not part.name.key:
                continue
            later = range(index + 1, len(parts))
            # "Desa X" after this part means this part is not the village.
            if any(parts[later_index].name.level == VILLAGE for later_index in later):
                continue
            context = [areas[later_index] for later_index in later if areas[later_index]]
            if not context and self._names_regency_or_province(part, constraints):
                # A part such as "Bogor" with nothing after it names the
                # regency, not one of the villages of that name elsewhere.
                continue
            found = self._find(VILLAGE, part.name, constraints + tuple(context))
            if found.codes:
                readings.append(_Reading(index=index, context=len(context), found=found))

        if not readings:
            return []
        best = max((reading.context, not reading.found.fuzzy) for reading in readings)
        return [reading for reading in readings if (reading.context, not reading.found.fuzzy) == best]

    def _street(self, address, parts, readings):
        if readings:
            return address_before(address, parts[readings[0].index])
        for part in parts:
            if self._names_any_region(part):
                return address_before(address, part)
        return address

    def _areas_named(self, part, constraints):
        """Return the district, regency and province codes that an address
        part names, as a frozenset (empty for a street or unknown part)."""
        if part.is_street or not part.name.key or part.name.level == VILLAGE:
            return frozenset()
        levels = (DISTRICT, REGENCY, PROVINCE)
        for allow_fuzzy in (False, True):
            codes = set()
            for level in levels:
                codes.update(self._find(level, part.name, constraints, allow_fuzzy=allow_fuzzy).codes)
            if codes:
                return frozenset(codes)
        return frozenset()

    def _names_regency_or_province(self, part, constraints):
        if part.is_street or not part.name.key or part.name.level == VILLAGE:
            return False
        levels = (REGENCY, PROVINCE)
        return any(self._find(level, part.name, constraints, allow_fuzzy=False).codes for level in levels)

    def _names_any_region(self, part):
        if part.is_street or not part.name.key:
            return False
        levels = (VILLAGE, DISTRICT, REGENCY, PROVINCE)
        return any(self._find(level, part.name, (), allow_fuzzy=False).codes for level in levels)

    # Lookup of one level

    def _find(self, level, typed, constraints, allow_fuzzy=True):
        """Return the codes of `level` whose name fits `typed` inside the
        constraints (each a set of area codes the result must lie in)."""
        for key, check_kind in self._exact_keys(level, typed):
            codes = [
                code
                for code in self._keys[level].get(key, ())
                if self._within(code, constraints) and (not check_kind or self._kind_fits(code, typed))
            ]
            if codes:
                return _Found(codes=tuple(sorted(codes)))

        if not allow_fuzzy or typed.level not in (None, level) or len(typed.key) < self.FUZZY_MIN_KEY_LENGTH:
            return _Found()
        return self._find_fuzzy(level, typed, constraints)

    def _exact_keys(self, level, typed):
        """Return (key, whether the regency kind must fit) pairs to try in order.

        The whole text comes first, so a village officially named "Kota
        Baru" is found by that name before "Kota" is read as a level word.
        """
        if typed.level is None:
            return [(typed.key, False)]
        if typed.level == level:
            return [(typed.full_key, False), (typed.key, True)]
        return [(typed.full_key, False)]

    def _kind_fits(self, code, typed):
        return typed.regency_kind is None or self._regency_kinds.get(code) == typed.regency_kind

    def _find_fuzzy(self, level, typed, constraints):
        if level == VILLAGE and constraints:
            choices = self._village_keys_within(constraints)
        else:
            choices = self._fuzzy_keys[level]
        cutoff = self.FUZZY_CUTOFF if constraints else self.FUZZY_CUTOFF_ANYWHERE
        scored = process.extract(typed.key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)

        scores = {}
        for key, score, _index in scored:
            for code in self._keys[level][key]:
                if self._within(code, constraints) and self._kind_fits(code, typed):
                    scores[code] = max(score, scores.get(code, 0))
        if not scores:
            return _Found()

        best = max(scores.values())
        close = [code for code, score in scores.items() if score >= best - self.FUZZY_MARGIN]
        close.sort(key=lambda code: (-scores[code], code))
        return _Found(codes=tuple(close), fuzzy=True)

    def _village_keys_within(self, constraints):
        """Return the name keys of the villages inside every constraint."""
        pool = self._village_pools.get(constraints)
        if pool is None:
            smallest = min(constraints, key=lambda areas: sum(len(self._villages_in_area[a]) for a in areas))
            keys = set()
            for area in smallest:
                for code in self._villages_in_area[area]:
                    if self._within(code, constraints):
                        keys.add(compact_key(self._names[code]))
            pool = sorted(keys)
            self._village_pools[constraints] = pool
        return pool

    @staticmethod
    def _within(code, constraints):
        ancestors = code_ancestors(code)
        return all(any(area in areas for area in ancestors) for areas in constraints)

    # Results

    def _matched(self, code, matched_on):
        return RegionMatch(
            status=MATCHED,
            village_code=code,
            candidates=(self.label(code),),
            candidate_codes=(code,),
            candidate_count=1,
            matched_on=matched_on,
        )

    def _result(self, codes, matched_on):
        if len(codes) == 1:
            return self._matched(codes[0], matched_on)
        listed_codes = tuple(codes[: self.CANDIDATE_LIMIT])
        return RegionMatch(
            status=AMBIGUOUS,
            candidates=tuple(self.label(code) for code in listed_codes),
            candidate_codes=listed_codes,
            candidate_count=len(codes),
            matched_on=matched_on,
        )

    def _unmatched(self, failed_level, typed_village):
        """Return UNMATCHED, listing the villages of the typed name anywhere."""
        codes = ()
        if typed_village is not None:
            codes = self._find(VILLAGE, typed_village, (), allow_fuzzy=False).codes
        listed_codes = tuple(codes[: self.CANDIDATE_LIMIT])
        return RegionMatch(
            status=UNMATCHED,
            candidates=tuple(self.label(code) for code in listed_codes),
            candidate_codes=listed_codes,
            candidate_count=len(codes),
            matched_on=ON_NAMES,
            failed_level=failed_level,
        )


def _cell_text(value):
    """Return a cell as stripped text ("" for None), keeping ints as digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
