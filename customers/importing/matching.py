"""Match the Site and Paket cells of a sheet to existing sites and packages.

Each reference table is loaded with one query per batch. A cell matches a
site or package when its normalised text equals the normalised code or name
("home 10 mbps", "HOME 10 MBPS" and "Home10Mbps" are one key). Values that
match nothing are collected once per distinct value, with the rows that
use them and the closest known names as suggestions.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from customers.importing.problems import register_row_message

SITE_UNKNOWN = register_row_message(
    "site_unknown",
    _(
        "Row %(row)s, column %(column)s: site “%(value)s” is not known. The customer is saved "
        "without a site; add the site or fix the name and upload again."
    ),
)
PACKAGE_UNKNOWN = register_row_message(
    "package_unknown",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” is not known. The customer is saved "
        "without a package; add the package or fix the name and upload again."
    ),
)
SITE_CONFLICT = register_row_message(
    "site_conflict",
    _(
        "Row %(row)s, column %(column)s: the row names site “%(value)s”, but this upload is bound "
        "to site %(chosen)s. The customer is saved at %(chosen)s. To save it at the row's site instead, "
        "upload the row again with that site or no site chosen."
    ),
)
# SITE_CONFLICT on a site admin's upload. A site admin must choose one of
# their sites for every upload, so they cannot upload the row with no site.
SITE_CONFLICT_SITE_ADMIN = register_row_message(
    "site_conflict_site_admin",
    _(
        "Row %(row)s, column %(column)s: the row names site “%(value)s”, but this upload is bound "
        "to site %(chosen)s. The customer is saved at %(chosen)s. If it belongs to “%(value)s” and you "
        "manage that site, upload the row again with that site chosen. Otherwise ask an admin to move "
        "the customer, or remove the row from the file and upload it again."
    ),
)

# The same findings on a row that is not saved because it is already
# present or has a problem. The wording above would claim a save there,
# and these must not read as the reason the row is not saved.
SITE_UNKNOWN_UNSAVED = register_row_message(
    "site_unknown_unsaved",
    _(
        "Row %(row)s, column %(column)s: site “%(value)s” is not known. Fix the name or add the site "
        "before you upload this row again, or the customer is saved without a site."
    ),
)
PACKAGE_UNKNOWN_UNSAVED = register_row_message(
    "package_unknown_unsaved",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” is not known. Fix the name or add the package "
        "before you upload this row again, or the customer is saved without a package."
    ),
)
SITE_CONFLICT_UNSAVED = register_row_message(
    "site_conflict_unsaved",
    _(
        "Row %(row)s, column %(column)s: the row names site “%(value)s”, but this upload is bound "
        "to site %(chosen)s. Check which site is right before you upload the row again."
    ),
)
# On a row that updates a stored customer, an unknown name leaves the
# stored site or package as it is.
SITE_UNKNOWN_KEPT = register_row_message(
    "site_unknown_kept",
    _(
        "Row %(row)s, column %(column)s: site “%(value)s” is not known. The customer keeps the stored site; "
        "add the site or fix the name and upload again."
    ),
)
PACKAGE_UNKNOWN_KEPT = register_row_message(
    "package_unknown_kept",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” is not known. The customer keeps the stored "
        "package; add the package or fix the name and upload again."
    ),
)
PACKAGE_ALIAS_MATCHED = register_row_message(
    "package_alias_matched",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” was read as %(package)s, a Paket name "
        "remembered for uploads. If that is wrong, an admin can remove the name under Remembered site "
        "and package names."
    ),
)
PACKAGE_NAME_CHOSEN = register_row_message(
    "package_name_chosen",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” was read as %(package)s, "
        "as chosen in this upload's review."
    ),
)
# The notes of a name with one clearly close stored site or package (see
# Catalogue.suggest), which is suggested but never applied.
SITE_UNKNOWN_SUGGESTED = register_row_message(
    "site_unknown_suggested",
    _(
        "Row %(row)s, column %(column)s: site “%(value)s” is not known. Did you mean “%(suggestion)s”? "
        "The customer is saved without a site; fix the name or add the site and upload again."
    ),
)
SITE_UNKNOWN_SUGGESTED_UNSAVED = register_row_message(
    "site_unknown_suggested_unsaved",
    _(
        "Row %(row)s, column %(column)s: site “%(value)s” is not known. Did you mean “%(suggestion)s”? "
        "Fix the name or add the site before you upload this row again, or the customer is saved "
        "without a site."
    ),
)
SITE_UNKNOWN_SUGGESTED_KEPT = register_row_message(
    "site_unknown_suggested_kept",
    _(
        "Row %(row)s, column %(column)s: site “%(value)s” is not known. Did you mean “%(suggestion)s”? "
        "The customer keeps the stored site; fix the name or add the site and upload again."
    ),
)
PACKAGE_UNKNOWN_SUGGESTED = register_row_message(
    "package_unknown_suggested",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” is not known. Did you mean “%(suggestion)s”? "
        "The customer is saved without a package; fix the name or add the package and upload again."
    ),
)
PACKAGE_UNKNOWN_SUGGESTED_UNSAVED = register_row_message(
    "package_unknown_suggested_unsaved",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” is not known. Did you mean “%(suggestion)s”? "
        "Fix the name or add the package before you upload this row again, or the customer is saved "
        "without a package."
    ),
)
PACKAGE_UNKNOWN_SUGGESTED_KEPT = register_row_message(
    "package_unknown_suggested_kept",
    _(
        "Row %(row)s, column %(column)s: package “%(value)s” is not known. Did you mean “%(suggestion)s”? "
        "The customer keeps the stored package; fix the name or add the package and upload again."
    ),
)
UPDATE_CODES = {
    SITE_UNKNOWN: SITE_UNKNOWN_KEPT,
    SITE_UNKNOWN_SUGGESTED: SITE_UNKNOWN_SUGGESTED_KEPT,
    PACKAGE_UNKNOWN: PACKAGE_UNKNOWN_KEPT,
    PACKAGE_UNKNOWN_SUGGESTED: PACKAGE_UNKNOWN_SUGGESTED_KEPT,
}
UNSAVED_CODES = {
    SITE_UNKNOWN: SITE_UNKNOWN_UNSAVED,
    SITE_UNKNOWN_SUGGESTED: SITE_UNKNOWN_SUGGESTED_UNSAVED,
    PACKAGE_UNKNOWN: PACKAGE_UNKNOWN_UNSAVED,
    PACKAGE_UNKNOWN_SUGGESTED: PACKAGE_UNKNOWN_SUGGESTED_UNSAVED,
    SITE_CONFLICT: SITE_CONFLICT_UNSAVED,
    SITE_CONFLICT_SITE_ADMIN: SITE_CONFLICT_UNSAVED,
}

# The maximum number of names the review lists as candidates for an unknown name.
SUGGESTION_LIMIT = 3
# The minimum rapidfuzz ratio between the comparison forms of an unknown
# name and a stored name, code or alias for the review to list it as a
# candidate, and for the row's note to suggest it. The ratio is an
# edit-distance similarity from 0 to 100, close to difflib's: "hom20mbps"
# and "home20mbps" score 95, "bisnis50" and "bisnis50mbps" 80.
SUGGESTION_MIN_SCORE = 60
CLOSE_NAME_MIN_SCORE = 75
DIGIT_RUN = re.compile(r"\d+")


# A sheet repeats a handful of site and package names on every row.
@lru_cache(maxsize=4096)
def match_key(text):
    """Return the comparison form of a code or name: accents removed,
    case-folded, only letters and digits kept."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


@dataclass
class Unmatched:
    """A distinct cell value that matched no known record."""

    value: str
    rows: list = field(default_factory=list)
    suggestions: list = field(default_factory=list)
    # The one stored name clearly close to the value, or None. It is then
    # suggestions[0] (see Catalogue.suggest).
    closest: str = None


class Catalogue:
    """Lookup of one reference table (sites or packages) by code or name."""

    def __init__(self, records, aliases=()):
        """`records` have pk, name and code, and is_active when the table has
        it. Every record is matched, because stored customers keep an
        inactive one, but only active ones are suggested for unknown names."""
        self.by_key = {}
        self.names = {}
        self._inactive = {record.pk for record in records if not getattr(record, "is_active", True)}
        for record in records:
            self.names[record.pk] = record.name
            # Codes win over names when a code of one record equals the name
            # of another, because codes are what admins type on purpose.
            self.by_key.setdefault(match_key(record.name), record.pk)
        for record in records:
            self.by_key[match_key(record.code)] = record.pk
        # Learned aliases never shadow a real code or name.
        self.alias_keys = set()
        # Keys that map_names() matched for one batch.
        self.batch_keys = set()
        for key, pk in aliases:
            if key not in self.by_key:
                self.by_key[key] = pk
                self.alias_keys.add(key)
        self.unmatched = {}
        # Comparison keys grouped by the numbers they contain, built on the first unknown name.
        self._keys_by_numbers = None

    def map_names(self, names):
        """Match each key of `names` ({match_key(name): pk}) to its pk, ahead
        of learned aliases, for the names chosen in one batch's review."""
        for key, pk in names.items():
            self.by_key[key] = pk
            self.alias_keys.discard(key)
            self.batch_keys.add(key)

    def matched_by_alias(self, text):
        """Return whether `text` matches through a learned alias rather than a code or name."""
        return match_key(text) in self.alias_keys

    def matched_in_batch(self, text):
        """Return whether `text` matches through a name chosen in the batch's review (see map_names)."""
        return match_key(text) in self.batch_keys

    def lookup(self, text):
        """Return the primary key matching `text`, or None."""
        key = match_key(text)
        if not key:
            return None
        return self.by_key.get(key)

    def record_unmatched(self, text, row):
        """Record that row number `row` names `text`, which matches nothing, and return its Unmatched entry."""
        entry = self.unmatched.get(text)
        if entry is None:
            suggestions, closest = self.suggest(text)
            entry = Unmatched(value=text, suggestions=suggestions, closest=closest)
            self.unmatched[text] = entry
        entry.rows.append(row)
        return entry

    def suggest(self, text):
        """Return (names, closest) for `text`, which matches nothing.

        `names` are up to SUGGESTION_LIMIT names of active records whose
        name, code or alias scores at least SUGGESTION_MIN_SCORE against
        `text`, closest first: the review's list of candidates. `closest` is
        the first of them when it is the only record scoring at least
        CLOSE_NAME_MIN_SCORE, else None: the name that the row's note
        suggests. One function returns both, so the note never names
        another record than the first candidate.

        Only keys with the same numbers are compared, because package names
        differ mostly in their speed: "Hom 20 Mbps" is close to "Home 20
        Mbps" and never to "Home 10 Mbps".
        """
        key = match_key(text)
        if not key:
            return [], None
        if self._keys_by_numbers is None:
            self._keys_by_numbers = {}
            for candidate, pk in self.by_key.items():
                if pk in self._inactive:
                    continue
                self._keys_by_numbers.setdefault(tuple(DIGIT_RUN.findall(candidate)), []).append(candidate)
        candidates = self._keys_by_numbers.get(tuple(DIGIT_RUN.findall(key)), [])
        found = process.extract(key, candidates, scorer=fuzz.ratio, score_cutoff=SUGGESTION_MIN_SCORE, limit=None)
        # The best score of each record among its name, code and aliases.
        scores = {}
        for choice, score, _index in found:
            pk = self.by_key[choice]
            scores[pk] = max(score, scores.get(pk, 0))
        ranked = sorted(scores, key=lambda pk: (-scores[pk], self.names[pk]))
        names = [self.names[pk] for pk in ranked[:SUGGESTION_LIMIT]]
        clearly_close = [pk for pk in ranked if scores[pk] >= CLOSE_NAME_MIN_SCORE]
        closest = names[0] if len(clearly_close) == 1 else None
        return names, closest


def load_catalogues():
    """Load sites and packages with their learned aliases, two queries each."""
    from packages.models import PackageAlias, ServicePackage
    from sites.models import Site, SiteAlias

    sites = Catalogue(
        list(Site.objects.only("pk", "name", "code", "is_active")),
        SiteAlias.objects.values_list("key", "site_id"),
    )
    packages = Catalogue(
        list(ServicePackage.objects.only("pk", "name", "code", "is_active")),
        PackageAlias.objects.values_list("key", "package_id"),
    )
    return sites, packages


def alias_target(kind, name):
    """Return the Site or ServicePackage that an alias already gives `name`, or None."""
    from packages.models import PackageAlias
    from sites.models import SiteAlias

    if kind == "site":
        alias = SiteAlias.objects.select_related("site").filter(key=match_key(name)).first()
        return alias.site if alias else None
    alias = PackageAlias.objects.select_related("package").filter(key=match_key(name)).first()
    return alias.package if alias else None


def learn_alias(kind, name, target, user=None):
    """Remember that the spreadsheet value `name` means `target` (a Site when
    kind is "site", a ServicePackage when kind is "package"), so the next
    upload matches it automatically. Returns the alias."""
    from packages.models import PackageAlias
    from sites.models import SiteAlias

    key = match_key(name)
    if kind == "site":
        alias, _created = SiteAlias.objects.update_or_create(
            key=key, defaults={"site": target, "name": name, "created_by": user}
        )
    else:
        alias, _created = PackageAlias.objects.update_or_create(
            key=key, defaults={"package": target, "name": name, "created_by": user}
        )
    return alias


def remember_old_names(kind, target, old_names, user=None):
    """Keep the old name and code of a renamed site or package (kind "site"
    or "package") matching it in uploads, as learned aliases.

    An old name means the record that gave it up last, so an alias that
    pointed elsewhere moves to `target`. Only admins rename.
    """
    current = {match_key(target.name), match_key(target.code)}
    for name in old_names:
        if match_key(name) and match_key(name) not in current:
            learn_alias(kind, name, target, user)
