"""Classify cleaned rows against existing customers and against each other.

The rules, which the review page explains to the admin:

- Same ID Pelanggan as an existing customer, in any letter case: already
  present (or, in create-and-update mode, an update of that customer's
  filled-in cells, where an empty Nama keeps the stored name).
- An import by a site admin matches and changes only the customers of
  their sites. A row with the ID of another site's customer is a problem
  row, because IDs are unique across sites.
- No ID: already present when an existing customer has the same normalised
  name and the same phone or the same NIK. Such a row never updates that
  customer, and in create-and-update mode a row with other values names
  the ID Pelanggan to fill in.
- A NIK belongs to one person: the same NIK under a different name is a
  problem row. The same NIK and name under another ID is one person with
  several subscriptions, and is noted.
- The same phone under a different name is noted, because families share
  phones. The same phone and name under another ID is noted as a possible
  duplicate: it may be one person with two subscriptions, or a sheet whose
  IDs were renumbered.
- The same rules apply between rows of one file; a repeated row names the
  row it repeats.
- A new row with the ID of a deleted customer is noted with the date of the
  deletion, because it starts a new customer without the deleted one's
  history. A customer removed by undoing its import is not deleted in this
  sense, and a site admin's import notes only their sites' customers.

Existing customers are looked up in bulk by the keys that occur in the file,
a fixed number of queries per chunk of keys, never one query per row.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.importing.matching import SITE_CONFLICT
from customers.importing.problems import Problem, register_row_message, register_saved_message
from customers.importing.rt_rw import replace_in_address, replace_in_street
from customers.models import Customer, ImportProblem, name_key
from customers.selectors import format_phone, stored_value_texts
from customers.services import PERSONAL_FIELDS, anonymised_name_for, deleted_customers

KEY_CHUNK = 5000

REPEATED_ROW = register_row_message(
    "repeated_row",
    _("Row %(row)s, column %(column)s: “%(value)s” repeats row %(first_row)s of this file. Only row %(first_row)s is used."),
)
ALREADY_PRESENT_NUMBER = register_row_message(
    "present_number",
    _("Row %(row)s: customer “%(number)s” already exists (same ID Pelanggan). It is not saved again."),
)
PRESENT_NUMBER_CHANGED = register_row_message(
    "present_number_changed",
    _(
        "Row %(row)s: customer “%(number)s” already exists (same ID Pelanggan), and this row has other values "
        "for it. The mode Create only does not change stored customers: to save those values, upload the file "
        "in the mode Create and update."
    ),
)
PRESENT_NUMBER_OTHER_NAME = register_row_message(
    "present_number_other_name",
    _(
        "Row %(row)s, column %(column)s: ID “%(value)s” already belongs to %(other)s, under another name. "
        "This row is not saved. If it is another person, give it another ID, or leave the ID empty to get "
        "a new one."
    ),
)
ALREADY_PRESENT_PERSON = register_row_message(
    "present_person",
    _(
        "Row %(row)s: “%(value)s” already exists as customer “%(number)s” (same name and same %(matched_on)s). "
        "It is not saved again."
    ),
)
PRESENT_WITHOUT_NUMBER = register_row_message(
    "present_without_number",
    _(
        "Row %(row)s: same as customer %(number)s, but without an ID Pelanggan, so its changes are not saved. "
        "Fill in ID Pelanggan %(number)s so this row updates that customer."
    ),
)
NIK_OTHER_NAME = register_row_message(
    "nik_other_name",
    _(
        "Row %(row)s, column %(column)s: NIK “%(value)s” already belongs to %(other)s under another name. "
        "One NIK belongs to one person: check the NIK or the name."
    ),
)
NIK_OTHER_SUBSCRIPTION = register_row_message(
    "nik_other_subscription",
    _("Row %(row)s, column %(column)s: the same person (same NIK and name) also has %(other)s. Saved as another subscription."),
)
NIK_MASKED_NOT_SAVED = register_row_message(
    "nik_masked_not_saved",
    _(
        "Row %(row)s, column %(column)s: “%(value)s” is a masked NIK, so this new customer is saved without a NIK. "
        "Type all 16 digits from the KTP to save it."
    ),
)
PHONE_OTHER_NAME = register_row_message(
    "phone_other_name",
    _("Row %(row)s, column %(column)s: phone “%(value)s” is also used by %(other)s under another name (possible duplicate)."),
)
PHONE_SAME_NAME_OTHER_ID = register_row_message(
    "phone_same_name_other_id",
    _(
        "Row %(row)s, column %(column)s: the name and phone “%(value)s” are the same as %(other)s, under another ID "
        "(possible duplicate). If it is the same customer, remove this row or use that customer's ID; "
        "otherwise it is saved as another subscription."
    ),
)
# Notes of rows saved as new customers that may be customers already present.
POSSIBLE_DUPLICATE_CODES = frozenset({NIK_OTHER_SUBSCRIPTION, PHONE_SAME_NAME_OTHER_ID, PHONE_OTHER_NAME})
# The same findings on a row that a save skipping possible duplicates left
# out (see pipeline.skip_possible_duplicates), of kind SKIPPED_KIND. Their
# messages state that the row is not saved, where the notes above state
# that it is saved.
SKIPPED_KIND = ImportProblem.Kind.SKIPPED.value
SKIPPED_CODES = {
    NIK_OTHER_SUBSCRIPTION: register_row_message(
        "nik_other_subscription_skipped",
        _(
            "Row %(row)s, column %(column)s: the same person (same NIK and name) also has %(other)s "
            "(possible duplicate). This row is not saved, because this import skips possible duplicates. "
            "If it is another subscription, upload the row again without skipping possible duplicates."
        ),
    ),
    PHONE_SAME_NAME_OTHER_ID: register_row_message(
        "phone_same_name_other_id_skipped",
        _(
            "Row %(row)s, column %(column)s: the name and phone “%(value)s” are the same as %(other)s, under "
            "another ID (possible duplicate). This row is not saved, because this import skips possible "
            "duplicates. If it is another subscription, upload the row again without skipping possible duplicates."
        ),
    ),
    PHONE_OTHER_NAME: register_row_message(
        "phone_other_name_skipped",
        _(
            "Row %(row)s, column %(column)s: phone “%(value)s” is also used by %(other)s under another name "
            "(possible duplicate). This row is not saved, because this import skips possible duplicates. "
            "If it is another customer, upload the row again without skipping possible duplicates."
        ),
    ),
}
NO_CHANGES = register_row_message(
    "no_changes",
    _("Row %(row)s: customer “%(number)s” already exists and the row changes nothing."),
)
NUMBER_OTHER_SITE = register_row_message(
    "number_other_site",
    _(
        "Row %(row)s, column %(column)s: ID “%(value)s” is already used by a customer of a site you do not manage. "
        "Give this customer another ID, or ask an admin."
    ),
)
# The notes of an update announce each change. After the save they are
# shown with the message registered by register_saved_message.
WILL_UPDATE = register_row_message(
    "will_update",
    _("Row %(row)s, column %(column)s: “%(old)s” will change to “%(value)s”."),
)
register_saved_message(WILL_UPDATE, _("Row %(row)s, column %(column)s: “%(old)s” was changed to “%(value)s”."))
# The review masks NIKs, and two NIKs with the same last four digits would
# read as no change, so this note names only the last four of each.
NIK_WILL_CHANGE = register_row_message(
    "nik_will_change",
    _("Row %(row)s, column %(column)s: the NIK will change (the old NIK ends in %(old_end)s, the new NIK in %(new_end)s)."),
)
register_saved_message(NIK_WILL_CHANGE, _(
    "Row %(row)s, column %(column)s: the NIK was changed (the old NIK ended in %(old_end)s, the new NIK ends in %(new_end)s)."
))
NIK_WILL_CHANGE_SAME_END = register_row_message(
    "nik_will_change_same_end",
    _(
        "Row %(row)s, column %(column)s: the NIK will change in its first 12 digits "
        "(the old and the new NIK both end in %(new_end)s)."
    ),
)
register_saved_message(NIK_WILL_CHANGE_SAME_END, _(
    "Row %(row)s, column %(column)s: the NIK was changed in its first 12 digits "
    "(the old and the new NIK both end in %(new_end)s)."
))
NAME_WILL_CHANGE = register_row_message(
    "name_will_change",
    _(
        "Row %(row)s, column %(column)s: the name will change from “%(old)s” to “%(value)s”. "
        "Make sure the ID Pelanggan is right."
    ),
)
register_saved_message(NAME_WILL_CHANGE, _(
    "Row %(row)s, column %(column)s: the name was changed from “%(old)s” to “%(value)s”. "
    "If the ID Pelanggan was wrong, undo this import."
))

UNKNOWN_NUMBER_NAME_MISSING = register_row_message(
    "unknown_number_name_missing",
    _(
        "Row %(row)s, column %(column)s: no customer has ID “%(value)s”, and the name is empty. "
        "Check the ID, or fill in the name to add a new customer."
    ),
)
SITE_CHOICE_KEPT = register_row_message(
    "site_choice_kept",
    _(
        "Row %(row)s: customer “%(number)s” belongs to site %(stored)s, not %(chosen)s. The site chosen for "
        "this upload places new customers only, so this customer stays at %(stored)s. To move it, "
        "write %(chosen)s in its Site column."
    ),
)
# The same rule for a row whose Site column names a third site: the
# conflict names all three, so the site that the row names is never ignored unnoticed.
SITE_CONFLICT_KEPT = register_row_message(
    "site_conflict_kept",
    _(
        "Row %(row)s, column %(column)s: the row names site “%(value)s”, but this upload is bound to site "
        "%(chosen)s, and customer “%(number)s” is stored at site %(stored)s. The customer stays at %(stored)s. "
        "To move it to %(named)s, upload the row again with %(named)s or no site chosen. "
        "To move it to %(chosen)s, write %(chosen)s in its Site column."
    ),
)
SITE_UNKNOWN_CONFLICT_KEPT = register_row_message(
    "site_unknown_conflict_kept",
    _(
        "Row %(row)s, column %(column)s: the row names site “%(value)s”, which is not known, but this upload "
        "is bound to site %(chosen)s, and customer “%(number)s” is stored at site %(stored)s. The customer "
        "stays at %(stored)s. To move it to %(chosen)s, write %(chosen)s in its Site column. To move it to "
        "another site, write that site's name and upload the row again with that site or no site chosen."
    ),
)
ANONYMISED_NOT_REFILLED = register_row_message(
    "anonymised_not_refilled",
    _(
        "Row %(row)s: customer “%(number)s” was anonymised, so the personal data of this row (%(columns)s) "
        "is not saved for it. Its other columns are."
    ),
)
WILL_FILL = register_row_message(
    "will_fill",
    _("Row %(row)s, column %(column)s: empty now, will be set to “%(value)s”."),
)
register_saved_message(WILL_FILL, _("Row %(row)s, column %(column)s: was empty, set to “%(value)s”."))
# A new row under the ID of a deleted customer would otherwise start a new
# customer without the old one's history, unnoticed.
DELETED_NUMBER = register_row_message(
    "deleted_number",
    _(
        "Row %(row)s, column %(column)s: ID “%(value)s” belonged to a customer deleted on %(date)s. "
        "This row is saved as a new customer. To keep that customer's data and history, restore it "
        "under Deleted customers first, then upload the file again."
    ),
)
# The same note for a site admin, who cannot open the deleted customers.
DELETED_NUMBER_ASK_ADMIN = register_row_message(
    "deleted_number_ask_admin",
    _(
        "Row %(row)s, column %(column)s: ID “%(value)s” belonged to a customer deleted on %(date)s. "
        "This row is saved as a new customer. To keep that customer's data and history, ask an admin "
        "to restore it under Deleted customers first, then upload the file again."
    ),
)
DELETED_NUMBER_CODES = frozenset({DELETED_NUMBER, DELETED_NUMBER_ASK_ADMIN})

NEW = "new"
UPDATE = "update"
PRESENT = "present"
INVALID = "invalid"

# The fields anonymising erases, which an update leaves empty on an
# anonymised customer: an old export must not bring the data back.
ANONYMISED_FIELDS = frozenset({"name", *(name if name != "village" else "village_id" for name in PERSONAL_FIELDS)})

# Fields an update may change; `number` identifies the customer instead.
UPDATABLE_FIELDS = (
    "name", "phone", "email", "nik", "address", "street", "postal_code", "latitude", "longitude",
    "site_id", "package_id", "status", "installed_on", "village_id", "notes",
)


@dataclass(slots=True)
class PlannedRow:
    """A cleaned row with its references resolved and its classification."""

    clean: object
    fields: dict
    kind: str = NEW
    customer_id: int = None
    # The ID Pelanggan of the stored customer `customer_id`, as stored.
    customer_number: str = None
    # Set by classify() on the rows it updates.
    changes: dict = None
    # An update row with an ID and an empty name: classify() reports the
    # missing name unless the ID is a known customer's.
    name_missing: bool = False
    # Whether the village was matched from the Alamat, not region columns.
    village_from_address: bool = False
    # The (RT, RW) numbers of a row without an Alamat, which an update
    # writes into the stored street line and Alamat (see rt_rw.py).
    rt_rw: tuple = None
    # Set by classify() on an update that leaves the customer without a
    # package or an Alamat.
    stays_incomplete: bool = False
    # Whether the site is the one chosen for the upload while the Site
    # column is empty or names another site: the choice places new
    # customers, and a stored customer moves only when its row names the
    # chosen site itself.
    site_from_choice: bool = False
    # The site that the Site column names when it differs from the site
    # chosen for the upload (None when unknown). A stored customer whose
    # row names its own stored site stays there, without a conflict or a
    # note.
    column_site_id: int = None
    # A shared empty tuple until the first finding: most rows have none,
    # and an empty list per row cost 5.6 MB on a 100,000-row file.
    findings: list = ()

    def add_finding(self, kind, problem):
        """Record a (kind, Problem) finding of this row."""
        if not self.findings:
            self.findings = []
        self.findings.append((kind, problem))



def _load_existing(numbers, phones, niks):
    """Fetch existing customers sharing any key with the file, an ID in any letter case."""
    columns = ("id", "number", "name", "name_key", "phone", "nik", *UPDATABLE_FIELDS)
    folded = {number.upper() for number in numbers}
    if connection.vendor == "postgresql":
        found = _load_existing_postgresql(columns, numbers, folded, phones, niks)
    else:
        found = {}
        customers = Customer.objects.annotate(number_upper=Upper("number"))
        lookups = (("number__in", numbers), ("number_upper__in", folded), ("phone__in", phones), ("nik__in", niks))
        for lookup, keys in lookups:
            keys = sorted(keys)
            for start in range(0, len(keys), KEY_CHUNK):
                chunk = keys[start : start + KEY_CHUNK]
                for record in customers.filter(**{lookup: chunk}).values(*set(columns)):
                    found[record["id"]] = record
    # SQLite's UPPER() changes ASCII letters only, and PostgreSQL's depends
    # on the database's collation. IDs with other letters are rare, so they
    # are compared in Python, over every stored ID.
    unusual = {number for number in folded if not number.isascii()}
    if unusual:
        stored = Customer.objects.values_list("pk", "number").iterator(chunk_size=KEY_CHUNK)
        ids = [pk for pk, number in stored if number.upper() in unusual and pk not in found]
        for start in range(0, len(ids), KEY_CHUNK):
            for record in Customer.objects.filter(pk__in=ids[start : start + KEY_CHUNK]).values(*set(columns)):
                found[record["id"]] = record
    return found


def customers_with_number(number):
    """Return the stored customers whose ID Pelanggan is `number` in any
    letter case, matched as an import matches IDs, in ID order."""
    found = _load_existing({number}, set(), set())
    return list(Customer.objects.filter(pk__in=found).select_related("site").order_by("number"))


# Keys are sent as one text joined with KEY_SEPARATOR per kind of key.
# psycopg builds an array parameter in Python, a value at a time (about 1.5 s
# for 400,000 keys, in a profile), while PostgreSQL splits a joined text in C.
KEY_SEPARATOR = "\n"
# From this many keys of one kind, the query reads the whole table once and
# looks each customer's keys up in hash tables of the file's keys. Below it,
# each key is looked up in the indexes. Measured on 200,000 customers (2-CPU
# AMD EPYC): 0.6 s against 1.4 s with the indexes for 100,000 keys of each
# kind, but 0.25 s against 4 ms for 5 keys.
HASHED_KEYS = 5000
# Keys of one kind per query. Every key's text is held three times while a
# query is sent (the joined text, its encoding and the connection's buffer),
# and with every key in one query that took the 100,000-row benchmark's peak
# memory 18 MiB higher.
QUERY_KEYS = 25_000


def _load_existing_postgresql(columns, numbers, folded, phones, niks):
    """Fetch them QUERY_KEYS keys of each kind a query, each kind of key
    sent as one joined text.

    A joined text cannot carry a key that contains KEY_SEPARATOR or is
    empty, so then the keys are sent as arrays instead.
    """
    fields = [Customer._meta.get_field(name.removesuffix("_id")) for name in columns]
    selected = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(Customer._meta.db_table)
    conditions = ("number", "UPPER(number::text)", "phone", "nik")
    keys = [list(numbers), list(folded), list(phones), list(niks)]
    found = {}
    with connection.cursor() as cursor:
        for start in range(0, max(map(len, keys)), QUERY_KEYS):
            chunks = [kind[start : start + QUERY_KEYS] for kind in keys]
            joined = [KEY_SEPARATOR.join(chunk) for chunk in chunks]
            if all(_splits_back(text, chunk) for text, chunk in zip(joined, chunks)):
                parameters = joined
                keys_of = "string_to_array(%s, E'\\n')"
            else:
                parameters = chunks
                keys_of = "%s::text[]"
            if max(map(len, chunks)) >= HASHED_KEYS:
                where = " OR ".join(f"{column} IN (SELECT unnest({keys_of}))" for column in conditions)
            else:
                where = " OR ".join(f"{column} = ANY({keys_of})" for column in conditions)
            cursor.execute(f"SELECT {selected} FROM {table} WHERE {where}", parameters)
            for row in cursor.fetchall():
                found[row[0]] = dict(zip(columns, row))
    return found


def _splits_back(text, keys):
    """Return whether splitting the joined `text` of `keys` gives `keys` back."""
    return not keys or ("" not in keys and text.count(KEY_SEPARATOR) == len(keys) - 1)


def _load_deletions(numbers, site_ids):
    """Return {ID in upper case: date of the latest deletion} of the
    customers deleted now (as deleted_customers() lists them) whose ID is
    one of `numbers` in any letter case.

    `site_ids` limits them to the customers of those sites when they were
    deleted, None for every site.
    """
    # The history table has no index on number, so any lookup by ID scans
    # it, and one query for every deleted customer scans it once. With
    # about 200,000 history rows (up to 1,000 of them deletions), this took
    # 0.07-0.12 s for 100,000 IDs, and five chunks of `UPPER(number) = ANY(array)` took
    # 0.6 s (PostgreSQL, 2-CPU AMD EPYC). Staff delete customers one at a
    # time, so the deleted customers are few.
    folded = {number.upper() for number in numbers}
    deletions = deleted_customers().select_related(None)
    if site_ids is not None:
        deletions = deletions.filter(site_id__in=site_ids)
    found = {}
    # Newest first, so setdefault() keeps the latest deletion of an ID.
    # Python's upper() also folds the letters outside ASCII that the
    # databases' UPPER() may leave as they are (see _load_existing).
    for number, deleted_at in deletions.values_list("number", "history_date").iterator(chunk_size=KEY_CHUNK):
        key = number.upper()
        if key in folded:
            found.setdefault(key, deleted_at)
    return found


def _note_deleted_numbers(planned_rows, labels, site_ids):
    """Note each new row whose ID belonged to a customer deleted now."""
    new_rows = [row for row in planned_rows if row.kind == NEW and row.fields.get("number")]
    if not new_rows:
        return
    deletions = _load_deletions({row.fields["number"] for row in new_rows}, site_ids)
    if not deletions:
        return
    code = DELETED_NUMBER if site_ids is None else DELETED_NUMBER_ASK_ADMIN
    column = labels.get("number", "")
    for row in new_rows:
        number = row.fields["number"]
        deleted_at = deletions.get(number.upper())
        if deleted_at is not None:
            date = timezone.localtime(deleted_at).strftime("%d/%m/%Y")
            row.add_finding("note", Problem(row.clean.number, column, number, code, {"date": date}))


def _row_key(row):
    return name_key(row.fields.get("name", ""))


class _SeenRows:
    """The earlier rows of a file by one value (a phone or a NIK): the first
    row with the value, and the first row per name key with it.

    Most values occur once, so an entry is that one row until a row under
    another name shares the value; then it becomes {name key: first row}.
    On a 100,000-row file this keeps no tuple or dict per row. A row's name
    key is computed again on a shared value, which is rare.
    """

    def __init__(self):
        self._entries = {}

    def first(self, value):
        """Return the first row with `value`, or None."""
        entry = self._entries.get(value)
        if isinstance(entry, dict):
            return next(iter(entry.values()))
        return entry

    def first_named(self, value, key):
        """Return the first row with `value` whose name has `key`, or None."""
        entry = self._entries.get(value)
        if isinstance(entry, dict):
            return entry.get(key)
        if entry is not None and _row_key(entry) == key:
            return entry
        return None

    def remember(self, value, key, row):
        """Record `row`, unless an earlier row has the same value and name key."""
        entry = self._entries.get(value)
        if entry is None:
            self._entries[value] = row
        elif isinstance(entry, dict):
            entry.setdefault(key, row)
        elif _row_key(entry) != key:
            self._entries[value] = {_row_key(entry): entry, key: row}


def _changed_fields(row, match):
    """Return {field: new value} of the row's filled-in cells that differ
    from the stored customer `match`."""
    changes = {
        name: value for name, value in row.fields.items()
        if name in UPDATABLE_FIELDS and value not in (None, "") and match.get(name) != value
    }
    if "address" not in changes:
        # An unchanged Alamat brings nothing new: what was read
        # from it keeps the stored value, even an empty one, which
        # staff may have refined (RT/RW added, a village picked by hand).
        changes.pop("street", None)
        if row.village_from_address:
            changes.pop("village_id", None)
    if row.site_from_choice and match.get("site_id") is not None:
        changes.pop("site_id", None)
    if row.rt_rw is not None and "address" not in row.fields:
        changes.update(_rt_rw_changes(row.rt_rw, match))
    return changes


def _rt_rw_changes(numbers, match):
    """Return the street line and Alamat changes that the RT/RW of a row
    without an Alamat makes to the stored customer `match`: none when both
    already contain these numbers."""
    changes = {}
    stored_street = match.get("street") or ""
    street = replace_in_street(stored_street, numbers)
    if street != stored_street and len(street) <= Customer._meta.get_field("street").max_length:
        changes["street"] = street
    stored_address = match.get("address") or ""
    address = replace_in_address(stored_address, stored_street, numbers)
    if address != stored_address and len(address) <= Customer._meta.get_field("address").max_length:
        changes["address"] = address
    return changes


def _drop_site_conflict(row):
    """Remove the row's finding that its Site column disagrees with the
    chosen site, and return that Problem, or None when it has none."""
    dropped = next((problem for _kind, problem in row.findings if problem.code == SITE_CONFLICT), None)
    row.findings = [finding for finding in row.findings if finding[1].code != SITE_CONFLICT] or ()
    return dropped


def _names_stored_site(row, match):
    """Return whether the row's Site column names the stored customer's
    site while the upload chose another one."""
    return row.column_site_id is not None and row.column_site_id == match.get("site_id")


def _describe(record):
    return f"{record['number']} ({record['name']})"


def classify(planned_rows, *, update_mode, labels, site_ids=None):
    """Set kind, customer_id, changes and findings on every planned row.

    `labels` maps field names to the header text in the file, for messages.
    `site_ids` are the sites whose customers the import may match and
    change, None for every site. Customers of other sites are not matched
    by phone or NIK, so a site admin learns nothing about them.
    """
    candidates = [row for row in planned_rows if row.kind != INVALID]
    numbers = {row.fields["number"] for row in candidates if row.fields.get("number")}
    phones = {row.fields["phone"] for row in candidates if row.fields.get("phone")}
    niks = {row.fields["nik"] for row in candidates if row.fields.get("nik")}
    existing = _load_existing(numbers, phones, niks)
    # The key sets are large on a big file and no longer needed.
    del numbers, phones, niks

    def in_scope(record):
        return site_ids is None or record["site_id"] in site_ids

    by_number = {}
    # Upper-case ID -> record, or a list of the records when stored IDs
    # differ in letter case only (rare, so most entries hold no list).
    by_folded_number = {}
    by_phone = {}
    by_nik = {}
    # Other sites' customers by NIK: one NIK belongs to one person across
    # every site, but such a customer is never named.
    nik_names_outside = {}
    for record in existing.values():
        by_number[record["number"]] = record
        folded = record["number"].upper()
        entry = by_folded_number.get(folded)
        if entry is None:
            by_folded_number[folded] = record
        elif isinstance(entry, list):
            entry.append(record)
        else:
            by_folded_number[folded] = [entry, record]
        if not in_scope(record):
            if record["nik"]:
                nik_names_outside.setdefault(record["nik"], set()).add(record["name_key"])
            continue
        if record["phone"]:
            by_phone.setdefault(record["phone"], []).append(record)
        if record["nik"]:
            by_nik.setdefault(record["nik"], []).append(record)

    # (row, field, new value, old value) of each update, noted after the
    # loop, once the names of the sites, packages and villages are loaded.
    update_notes = []
    # (row, ID, chosen site, stored site, the row's site conflict or None)
    # of the stored customers that stay at their site although the upload
    # chose another (see PlannedRow).
    kept_sites = []

    def customer_with_number(number):
        """Return the customer with this ID, else one whose ID differs in
        letter case only, one within the import's sites first."""
        exact = by_number.get(number)
        if exact is not None:
            return exact
        entry = by_folded_number.get(number.upper())
        if not isinstance(entry, list):
            return entry
        return next((record for record in entry if in_scope(record)), entry[0])

    # Earlier rows of the file by ID in upper case, and by phone and by NIK
    # (see _SeenRows).
    seen_number = {}
    seen_phone = _SeenRows()
    seen_nik = _SeenRows()

    def add(row, kind, code, column_field, value, **params):
        column = labels.get(column_field, "") if column_field else ""
        row.add_finding(kind, Problem(row.clean.number, column, str(value), code, params))

    for row in planned_rows:
        if row.kind == INVALID:
            continue
        fields = row.fields
        number = fields.get("number")
        folded_number = number.upper() if number else None
        match = customer_with_number(number) if number else None
        if match is not None and not in_scope(match):
            # Checked first, so no later check reveals anything of that customer.
            row.kind = INVALID
            add(row, "problem", NUMBER_OTHER_SITE, "number", number)
            continue
        if row.name_missing:
            if match is None:
                row.kind = INVALID
                add(row, "problem", UNKNOWN_NUMBER_NAME_MISSING, "number", number)
                continue
            # The stored name stays, so the row is that customer's.
            key = match["name_key"]
        else:
            key = name_key(fields.get("name", ""))
        phone = fields.get("phone") or ""
        nik = fields.get("nik") or ""

        # 1. Repeats inside the file.
        if number and folded_number in seen_number:
            row.kind = INVALID
            add(row, "problem", REPEATED_ROW, "number", number, first_row=seen_number[folded_number])
            continue
        first_with_nik = seen_nik.first(nik) if nik else None
        if first_with_nik is not None and _row_key(first_with_nik) != key:
            row.kind = INVALID
            add(row, "problem", NIK_OTHER_NAME, "nik", nik, other_row=first_with_nik.clean.number)
            continue

        # 2. Existing customers.
        matched_on = "number"
        if match is None and not number:
            for record in by_phone.get(phone, []) if phone else []:
                if record["name_key"] == key:
                    match, matched_on = record, "phone"
                    break
        if match is None and not number and nik:
            for record in by_nik.get(nik, []):
                if record["name_key"] == key:
                    match, matched_on = record, "nik"
                    break

        # A row without ID that repeats an earlier row of the file, and is
        # not already a known customer, is reported against that row.
        earlier = seen_phone.first_named(phone, key) if phone else None
        if earlier is None and nik:
            earlier = seen_nik.first_named(nik, key)
        repeat_of = earlier.clean.number if earlier is not None else None
        if match is None and repeat_of is not None and not number:
            row.kind = INVALID
            add(row, "problem", REPEATED_ROW, "name", fields.get("name", ""), first_row=repeat_of)
            continue

        if nik:
            clash = [r for r in by_nik.get(nik, []) if r["name_key"] != key and (match is None or r["id"] != match["id"])]
            if clash:
                row.kind = INVALID
                add(row, "problem", NIK_OTHER_NAME, "nik", nik, other=_describe(clash[0]))
                continue
            if nik_names_outside.get(nik, set()) - {key}:
                row.kind = INVALID
                add(row, "problem", NIK_OTHER_NAME, "nik", nik, other_hidden=True)
                continue

        if match is not None:
            row.customer_id = match["id"]
            row.customer_number = match["number"]
            if update_mode and matched_on == "number":
                row.changes = _changed_fields(row, match)
                if match["name"] == anonymised_name_for(match["number"]):
                    erased = [name for name in row.changes if name in ANONYMISED_FIELDS]
                    if erased:
                        columns = ", ".join(labels.get(name.removesuffix("_id"), name) for name in erased)
                        add(row, "note", ANONYMISED_NOT_REFILLED, None, number, number=match["number"], columns=columns)
                        for name in erased:
                            del row.changes[name]
                if _names_stored_site(row, match):
                    # The row agrees with the stored site, so the chosen site is no conflict for it.
                    _drop_site_conflict(row)
                elif row.site_from_choice and match["site_id"] not in (None, fields["site_id"]):
                    # The conflict's message claims a save at the chosen site, so a kept-site finding replaces it.
                    conflict = _drop_site_conflict(row)
                    kept_sites.append((row, match["number"], fields["site_id"], match["site_id"], conflict))
                if row.changes:
                    row.kind = UPDATE
                    row.stays_incomplete = not (fields.get("package_id") or match.get("package_id")) or not (
                        fields.get("address") or match.get("address")
                    )
                    for name, value in row.changes.items():
                        update_notes.append((row, name.removesuffix("_id"), value, match.get(name)))
                else:
                    row.kind = PRESENT
                    add(row, "duplicate", NO_CHANGES, None, number, number=match["number"])
            else:
                row.kind = PRESENT
                if matched_on == "number":
                    # An edited export uploaded in the wrong mode would
                    # otherwise lose its edits with a plain "already exists".
                    if not _changed_fields(row, match):
                        add(row, "duplicate", ALREADY_PRESENT_NUMBER, "number", number, number=match["number"])
                    elif key != match["name_key"]:
                        # Another person under a stored ID: the update mode
                        # would replace that customer with this row.
                        add(row, "duplicate", PRESENT_NUMBER_OTHER_NAME, "number", number, other=_describe(match))
                    else:
                        add(row, "duplicate", PRESENT_NUMBER_CHANGED, "number", number, number=match["number"])
                elif update_mode and _changed_fields(row, match):
                    # Only an ID identifies the customer an update changes,
                    # so the note names the ID to fill in.
                    add(row, "duplicate", PRESENT_WITHOUT_NUMBER, "name", fields.get("name", ""), number=match["number"])
                else:
                    label = labels.get(matched_on, matched_on)
                    add(row, "duplicate", ALREADY_PRESENT_PERSON, "name", fields.get("name", ""),
                        number=match["number"], matched_on=label)
        else:
            row.kind = NEW

        # 3. Notes that do not stop the row.
        if row.kind == NEW and row.clean.masked_nik:
            # A problem-row workbook masks NIKs for staff who may not see
            # them, and uploading it again must not drop the NIK unnoticed.
            add(row, "note", NIK_MASKED_NOT_SAVED, "nik", row.clean.masked_nik)
        same_person_noted = False
        if nik and row.kind == NEW:
            same_person = [r for r in by_nik.get(nik, []) if r["name_key"] == key and r["id"] != row.customer_id]
            if same_person:
                add(row, "note", NIK_OTHER_SUBSCRIPTION, "nik", nik, other=_describe(same_person[0]))
                same_person_noted = True
            elif first_with_nik is not None:
                first = first_with_nik.clean.number
                add(row, "note", NIK_OTHER_SUBSCRIPTION, "nik", nik, other_row=first)
                same_person_noted = True
        if phone and row.kind == NEW and not same_person_noted:
            same_name = [r for r in by_phone.get(phone, []) if r["name_key"] == key]
            others = [r for r in by_phone.get(phone, []) if r["name_key"] != key]
            first_with_phone = seen_phone.first(phone)
            same_name_row = seen_phone.first_named(phone, key)
            if same_name:
                # Without an ID such a row is already present (above), so
                # this row has an ID of its own.
                add(row, "note", PHONE_SAME_NAME_OTHER_ID, "phone", format_phone(phone), other=_describe(same_name[0]))
            elif same_name_row is not None:
                first = same_name_row.clean.number
                add(row, "note", PHONE_SAME_NAME_OTHER_ID, "phone", format_phone(phone), other_row=first)
            elif others:
                add(row, "note", PHONE_OTHER_NAME, "phone", format_phone(phone), other=_describe(others[0]))
            elif first_with_phone is not None and _row_key(first_with_phone) != key:
                first = first_with_phone.clean.number
                add(row, "note", PHONE_OTHER_NAME, "phone", format_phone(phone), other_row=first)
        if phone and row.kind == UPDATE and "phone" in row.changes:
            # A typing slip may give a customer another's number, which the
            # customer's page warns of too, so the review notes it.
            others = [r for r in by_phone.get(phone, []) if r["name_key"] != key and r["id"] != row.customer_id]
            if others:
                add(row, "note", PHONE_OTHER_NAME, "phone", format_phone(phone), other=_describe(others[0]))

        if number:
            seen_number[folded_number] = row.clean.number
        if phone:
            seen_phone.remember(phone, key, row)
        if nik:
            seen_nik.remember(nik, key, row)

    _note_deleted_numbers(planned_rows, labels, site_ids)

    if update_notes or kept_sites:
        named = {"site": set(), "package": set(), "village": set()}
        for _row, field, *values in update_notes:
            if field in named:
                named[field].update(value for value in values if value is not None)
        for row, _number, chosen, stored, _conflict in kept_sites:
            named["site"].update(site_id for site_id in (chosen, stored, row.column_site_id) if site_id is not None)
        value_text = stored_value_texts(named)
        for row, field, value, old in update_notes:
            old_text = value_text(field, old)
            # The status codes let the message name both statuses in the viewer's language.
            codes = {}
            if field == "status":
                codes = {"new_status": value, "old_status": old} if old else {"new_status": value}
            if field == "name" and name_key(value) != name_key(old):
                # Another name under a known ID is more often a wrong ID
                # than a renamed customer, so the review counts these notes.
                add(row, "note", NAME_WILL_CHANGE, field, value, old=old)
            elif field == "nik" and old:
                code = NIK_WILL_CHANGE_SAME_END if old[-4:] == value[-4:] else NIK_WILL_CHANGE
                add(row, "note", code, field, value_text(field, value), old_end=old[-4:], new_end=value[-4:])
            elif old_text:
                add(row, "note", WILL_UPDATE, field, value_text(field, value), old=old_text, **codes)
            else:
                add(row, "note", WILL_FILL, field, value_text(field, value), **codes)
        for row, number, chosen, stored, conflict in kept_sites:
            sites = {"chosen": value_text("site", chosen), "stored": value_text("site", stored)}
            if conflict is None:
                add(row, "note", SITE_CHOICE_KEPT, None, number, number=number, **sites)
            elif row.column_site_id is None:
                add(row, "conflict", SITE_UNKNOWN_CONFLICT_KEPT, "site", conflict.value, number=number, **sites)
            else:
                add(row, "conflict", SITE_CONFLICT_KEPT, "site", conflict.value, number=number,
                    named=value_text("site", row.column_site_id), **sites)
    return planned_rows
