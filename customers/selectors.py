"""Read-only customer queries shared by the list, the export and the edit page.

Every query starts from customers_visible_to(user), so a site admin never
reaches a customer outside their sites, on any page.
"""

import dataclasses
import datetime
import re
from decimal import Decimal
from dataclasses import dataclass

import phonenumbers
from django.db.models import Count, Q
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext

from customers.bulk import BULK_CHANGE_REASON, BULK_UNDO_REASON
from customers.importing.cleaners import fold_width
from customers.models import Customer, ImportBatch, mask_nik, name_key
from customers.services import ANONYMISED_REASON, CHANGE_REQUEST_REASON, RESTORED_REASON
from ebilling.access import is_admin, visible_sites
from packages.models import ServicePackage
from regions.models import Village
from regions.names import DISTRICT, PROVINCE, REGENCY, VILLAGE, code_level
from sites.models import Site

NIK_PATTERN = re.compile(r"\d{16}")

# Characters people put between the digits of a phone number or a NIK.
PHONE_PUNCTUATION = re.compile(r"[\s\-.()/]+")

# A search shorter than this many digits is not tried as a phone number, so
# "12" does not match every phone that starts with +6212.
MIN_PHONE_SEARCH_DIGITS = 6


# Customers a warning names one by one. Any more are only counted.
MAX_NAMED_CUSTOMERS = 3

# The `site` of a CustomerFilter that selects the customers without a site.
NO_SITE = "none"

# What each ?missing= filter of the list selects. The completion dashboard
# counts with the same conditions, so each of its numbers equals the length
# of the list it links to.
MISSING_CONDITIONS = {
    "package": Q(package__isnull=True),
    "address": Q(address=""),
    "region": Q(village__isnull=True),
    "location": Q(latitude__isnull=True) | Q(longitude__isnull=True),
    "phone": Q(phone=""),
}

# The list's sort orders, by the value of its `sort` parameter: a column,
# reversed by a leading "-". Each has an index, and ties are broken by ID
# Pelanggan so that pages never overlap. IDs sort naturally: PLG-9 before PLG-10.
SORT_FIELDS = {"number": "number_key", "name": "name_key"}
DEFAULT_SORT = "number"


@dataclass(frozen=True)
class CustomerFilter:
    """The list filters: free-text search, one site (or NO_SITE), incomplete
    only, one missing field (a key of MISSING_CONDITIONS, or ""), one
    status (a Customer.Status value, or "") and one area."""

    query: str = ""
    site: object = None
    incomplete_only: bool = False
    missing: str = ""
    status: str = ""
    # The dotted code of a province, regency, district or village, or "".
    area: str = ""
    # A key of SORT_FIELDS, with "-" in front for the reverse order.
    sort: str = DEFAULT_SORT
    # Set for a filter with an invalid field, which must not widen to every customer.
    matches_nothing: bool = False


def customers_visible_to(user):
    """Return the customers the staff user may see: every customer for an
    admin, the customers of their sites for a site admin."""
    customers = Customer.objects.all()
    if is_admin(user):
        return customers
    return customers.filter(site__in=visible_sites(user))


def deleted_customer_number(user, pk):
    """Return the ID Pelanggan of the deleted customer `pk`, or None when
    no customer `pk` was deleted in a site visible to `user`."""
    record = Customer.history.filter(id=pk, history_type="-").order_by("-history_date").first()
    if record is None:
        return None
    if not is_admin(user) and not visible_sites(user).filter(pk=record.site_id).exists():
        return None
    return record.number


def phone_search_key(text):
    """Return the E.164 prefix a phone search text stands for, or "".

    "0812-3456", "62812 3456" and "+62 812 3456" all give "+628123456".
    A text with letters or with fewer than MIN_PHONE_SEARCH_DIGITS digits
    gives "".
    """
    compact = PHONE_PUNCTUATION.sub("", text)
    if compact.startswith("+"):
        compact = compact[1:]
    if not compact.isdigit() or len(compact) < MIN_PHONE_SEARCH_DIGITS:
        return ""
    if compact.startswith("620"):
        # "+62 0812…": the trunk 0 typed after the country code.
        return "+62" + compact[3:]
    if compact.startswith("62"):
        return "+" + compact
    if compact.startswith("0"):
        return "+62" + compact[1:]
    return "+62" + compact


def is_short_number_search(text):
    """Return whether a search text is digits too few for a phone search, such as "0812"."""
    compact = PHONE_PUNCTUATION.sub("", text.strip()).removeprefix("+")
    return compact.isdigit() and len(compact) < MIN_PHONE_SEARCH_DIGITS


def search_customers(customers, text):
    """Filter customers by ID Pelanggan, name, phone or NIK.

    ID Pelanggan and phone match by prefix, a few digits also the end of
    an ID, the name anywhere (ignoring case and repeated spaces), and NIK only as all 16 digits (spaces, dots and
    dashes allowed), so a partial NIK never reveals whose number it is.
    """
    text = fold_width(text).strip()
    if not text:
        return customers

    condition = Q(number__istartswith=text) | Q(name_key__contains=name_key(text))
    if text.isascii() and text.isdigit() and len(text) < MIN_PHONE_SEARCH_DIGITS:
        # The number part of an ID, such as 0006 for PLG-0006. No index
        # serves it, so only these short searches scan the table.
        condition |= Q(number__endswith=text)
    phone_prefix = phone_search_key(text)
    if phone_prefix:
        condition |= Q(phone__startswith=phone_prefix)
    nik = PHONE_PUNCTUATION.sub("", text)
    if NIK_PATTERN.fullmatch(nik):
        condition |= Q(nik=nik)
    return customers.filter(condition)


def filter_customers(customers, customer_filter):
    """Apply a CustomerFilter to a customer queryset."""
    if customer_filter.matches_nothing:
        return customers.none()
    customers = search_customers(customers, customer_filter.query)
    if customer_filter.site == NO_SITE:
        customers = customers.filter(site__isnull=True)
    elif customer_filter.site is not None:
        customers = customers.filter(site=customer_filter.site)
    if customer_filter.incomplete_only:
        customers = customers.incomplete()
    if customer_filter.missing:
        customers = customers.filter(MISSING_CONDITIONS[customer_filter.missing])
    if customer_filter.status:
        customers = customers.filter(status=customer_filter.status)
    if customer_filter.area:
        customers = customers.filter(area_condition(customer_filter.area))
    return customers


# The customer field of each area level, for area_condition().
AREA_LOOKUPS = {
    VILLAGE: "village_id",
    DISTRICT: "village__district_id",
    REGENCY: "village__district__regency_id",
    PROVINCE: "village__district__regency__province_id",
}


def area_condition(code):
    """Return the condition of the customers whose village lies in the area
    with the dotted code `code`: a province, regency, district or village.

    The area is reached through the region tables' foreign keys, which are
    indexed, so a district with few customers is found without a scan.
    """
    return Q(**{AREA_LOOKUPS[code_level(code)]: code})


def valid_sort(text):
    """Return `text` if it names a sort order of the list, else DEFAULT_SORT."""
    if text and text.removeprefix("-") in SORT_FIELDS:
        return text
    return DEFAULT_SORT


def sort_ordering(sort):
    """Return the order_by() arguments of a sort order of the list."""
    columns = [SORT_FIELDS[sort.removeprefix("-")], "number"]
    # Reversed as a whole, so that PostgreSQL reads the index backwards.
    if sort.startswith("-"):
        return [f"-{column}" for column in columns]
    return columns


def customer_list_rows(customers, sort=DEFAULT_SORT):
    """Return the customers in a sort order of the list, with what a list row
    shows loaded in the same query."""
    return customers.select_related("site", "package").order_by(*sort_ordering(sort))


def sort_position(customer):
    """Return the values that place `customer` in any sort order of the list.

    The edit page takes them before the form changes the customer, so that
    "save and next" goes on from where the customer was in the list.
    """
    return {
        "pk": customer.pk,
        "number": customer.number,
        "number_key": customer.number_key,
        "name_key": customer.name_key,
    }


def _after_position(position, sort):
    """Return the condition of the customers after `position` in `sort` order."""
    field = SORT_FIELDS[sort.removeprefix("-")]
    beyond = "lt" if sort.startswith("-") else "gt"
    after_number = Q(**{f"number__{beyond}": position["number"]})
    return Q(**{f"{field}__{beyond}": position[field]}) | (Q(**{field: position[field]}) & after_number)


def next_customer_after(customers, position, sort=DEFAULT_SORT):
    """Return the customer among `customers` after the sort_position()
    `position` in `sort` order, starting again from the first when none
    follows, or None when no other is left."""
    others = customers.exclude(pk=position["pk"]).order_by(*sort_ordering(sort))
    return others.filter(_after_position(position, sort)).first() or others.first()


def next_incomplete_customer(customers, position, sort=DEFAULT_SORT):
    """Return the incomplete customer after `position`, as next_customer_after does."""
    return next_customer_after(customers.incomplete(), position, sort)


@dataclass(frozen=True)
class CompletionRow:
    """The completion counts of one site's customers.

    `site` is a Site, NO_SITE for the customers without a site, or None for
    the total of all rows. `missing` maps each key of MISSING_CONDITIONS to
    the number of customers lacking that field.
    """

    site: object
    total: int
    incomplete: int
    missing: dict


def completion_counts(customers):
    """Return {site id or None: CompletionRow} of the customers, counted in
    one query grouped by site with conditional aggregation."""
    incomplete = MISSING_CONDITIONS["package"] | MISSING_CONDITIONS["address"]
    aggregates = {"total": Count("pk"), "incomplete": Count("pk", filter=incomplete)}
    for key, condition in MISSING_CONDITIONS.items():
        aggregates[f"missing_{key}"] = Count("pk", filter=condition)

    counts = {}
    for row in customers.order_by().values("site_id").annotate(**aggregates):
        counts[row["site_id"]] = CompletionRow(
            site=row["site_id"],
            total=row["total"],
            incomplete=row["incomplete"],
            missing={key: row[f"missing_{key}"] for key in MISSING_CONDITIONS},
        )
    return counts


def completion_table(user):
    """Return the completion dashboard's rows for a staff user: one per
    visible site (by name, counting zero where a site has no customers), one
    for the customers without a site when there are any, and the total last.

    Two queries, whatever the number of sites and customers.
    """
    counts = completion_counts(customers_visible_to(user))
    empty = {key: 0 for key in MISSING_CONDITIONS}

    rows = []
    for site in visible_sites(user).order_by("name"):
        found = counts.get(site.pk)
        if found is None:
            rows.append(CompletionRow(site=site, total=0, incomplete=0, missing=empty))
        else:
            rows.append(dataclasses.replace(found, site=site))
    # Only an admin sees customers without a site (customers_visible_to).
    if None in counts:
        rows.append(dataclasses.replace(counts[None], site=NO_SITE))

    total = CompletionRow(
        site=None,
        total=sum(row.total for row in rows),
        incomplete=sum(row.incomplete for row in rows),
        missing={key: sum(row.missing[key] for row in rows) for key in MISSING_CONDITIONS},
    )
    return rows, total


def nik_owner_with_other_name(customers, nik, name, *, exclude_pk=None):
    """Return a customer among `customers` who has `nik` under a name other
    than `name` (compared as name keys), or None. One NIK belongs to one
    person, while one person may hold several subscriptions."""
    owners = customers.filter(nik=nik).exclude(name_key=name_key(name))
    if exclude_pk is not None:
        owners = owners.exclude(pk=exclude_pk)
    return owners.order_by("number").first()


def customer_label(customer):
    """Return "ID (name)", how messages name another customer."""
    return f"{customer.number} ({customer.name})"


def customers_by_value(customers, field, values):
    """Return {value: [customer, ...]} for the customers among `customers`
    whose `field` ("phone" or "nik") is one of `values`, each list in ID
    Pelanggan order. Empty values match nothing."""
    if field not in ("phone", "nik"):
        raise ValueError(f"{field} is not a phone or NIK field")
    values = {value for value in values if value}
    if not values:
        return {}

    found = {}
    matches = customers.filter(**{f"{field}__in": values}).only("pk", "number", "name", field).order_by("number")
    for customer in matches:
        found.setdefault(getattr(customer, field), []).append(customer)
    return found


def customer_labels(customers):
    """Return the customer_label() of each customer, joined by commas, with
    the customers beyond MAX_NAMED_CUSTOMERS only counted."""
    named = ", ".join(customer_label(customer) for customer in customers[:MAX_NAMED_CUSTOMERS])
    rest = len(customers) - MAX_NAMED_CUSTOMERS
    if rest <= 0:
        return named
    return ngettext(
        "%(customers)s and %(count)s other customer", "%(customers)s and %(count)s other customers", rest
    ) % {"customers": named, "count": rest}


def shared_value_warning(field, value, others):
    """Return the warning that a phone number or NIK (`field` "phone" or
    "nik") is also the value of the `others` customers. A NIK is masked."""
    if field == "nik":
        return gettext("NIK %(nik)s is also used by %(customers)s.") % {
            "nik": mask_nik(value),
            "customers": customer_labels(others),
        }
    return gettext("Phone number %(phone)s is also used by %(customers)s.") % {
        "phone": format_phone(value),
        "customers": customer_labels(others),
    }


def format_phone(e164):
    """Return a stored +62 phone number the way Indonesians write it.

    Mobile numbers become 0812-3456-7890 and landlines 021-8765432. A number
    that is not Indonesian keeps its international form, and a value that is
    not a phone number at all is returned as stored.
    """
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except phonenumbers.NumberParseException:
        return e164

    if number.country_code != 62:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    # phonenumbers writes landlines as "(021) 8765432".
    national = re.sub(r"^\((0\d+)\)\s*", r"\1-", national)
    if not national.startswith("0"):
        # Numbers phonenumbers does not know come back without the trunk 0.
        national = "0" + str(number.national_number)
    return national


def whatsapp_chat_url(e164):
    """Return a wa.me link that opens a WhatsApp chat with a stored mobile
    number, or "" for a landline, a foreign fixed line or no number."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except phonenumbers.NumberParseException:
        return ""
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return ""
    return f"https://wa.me/{number.country_code}{number.national_number}"


def google_maps_url(latitude, longitude):
    """Return a Google Maps link with a pin at the coordinates, or "" unless both are set."""
    if latitude is None or longitude is None:
        return ""
    return f"https://www.google.com/maps?q={latitude},{longitude}"


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a history entry, with values as shown on screen."""

    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One saved version of a customer: when, by whom, how, and what changed.

    `batch` is the import batch that created the customer, on the "+" entry
    of an imported customer. `by_customer` is True when the customer saved
    it through the portal. `reason` is the version's change reason, such as
    BULK_CHANGE_REASON, BULK_UNDO_REASON, ANONYMISED_REASON,
    CHANGE_REQUEST_REASON or RESTORED_REASON, or "". `emptied` names the
    fields that a restore left empty, because their site, package or village
    was deleted while the customer was.
    """

    date: object
    user: object
    kind: str
    changes: tuple
    batch: object = None
    by_customer: bool = False
    reason: str = ""
    emptied: tuple = ()

    @property
    def is_bulk(self):
        return self.reason == BULK_CHANGE_REASON

    @property
    def is_bulk_undo(self):
        return self.reason == BULK_UNDO_REASON

    @property
    def is_anonymised(self):
        return self.reason == ANONYMISED_REASON

    @property
    def is_restored(self):
        """True on the "+" entry of a deleted customer stored again."""
        return self.reason == RESTORED_REASON

    @property
    def is_change_request(self):
        """True when staff approved the customer's portal change request, and `user` is the approver."""
        return self.reason == CHANGE_REQUEST_REASON


# Bookkeeping fields left out of the shown changes: the portal account link
# and the creating batch are set by the system, not edited.
HISTORY_HIDDEN_FIELDS = ["user", "import_batch", "created_at"]

# Fields that customer_restore() empties when their target was deleted meanwhile.
RESTORE_EMPTIED_FIELDS = ("site", "package", "village")


def _restore_emptied(record, previous):
    """Return the verbose names of the fields that the restore `record` left
    empty, compared with `previous`, the deletion it undid."""
    if record.history_change_reason != RESTORED_REASON or previous is None or previous.history_type != "-":
        return ()
    return tuple(
        str(Customer._meta.get_field(field).verbose_name)
        for field in RESTORE_EMPTIED_FIELDS
        if getattr(previous, f"{field}_id") is not None and getattr(record, f"{field}_id") is None
    )


def customer_history(customer, limit=20):
    """Return the latest `limit` history entries of a customer, newest first.

    One query loads the versions (one more than shown, so the oldest shown
    can be compared with its predecessor), and at most one query each loads
    the names of the sites, packages, villages and import batches involved.
    NIK values are masked.
    """
    versions = customer.history.select_related("history_user").order_by("-history_date", "-history_id")
    records = list(versions[: limit + 1])

    changes_by_record = []
    for index, record in enumerate(records[:limit]):
        changes = []
        if record.history_type == "~" and index + 1 < len(records):
            changes = record.diff_against(records[index + 1], excluded_fields=HISTORY_HIDDEN_FIELDS).changes
        changes_by_record.append((record, changes))

    all_changes = [change for _record, changes in changes_by_record for change in changes]
    value_text = stored_value_texts(
        {field: _changed_values(all_changes, field) for field in ("site", "package", "village")}
    )
    batch_ids = {record.import_batch_id for record, _changes in changes_by_record if record.history_type == "+"}
    batches = ImportBatch.objects.in_bulk(batch_ids - {None})

    entries = []
    for index, (record, changes) in enumerate(changes_by_record):
        previous = records[index + 1] if index + 1 < len(records) else None
        shown = tuple(
            FieldChange(
                field=change.field,
                label=capfirst(Customer._meta.get_field(change.field).verbose_name),
                old=value_text(change.field, change.old),
                new=value_text(change.field, change.new),
            )
            for change in changes
        )
        user = record.history_user
        entries.append(
            HistoryEntry(
                date=record.history_date,
                user=user,
                kind=record.history_type,
                changes=shown,
                batch=batches.get(record.import_batch_id) if record.history_type == "+" else None,
                by_customer=user is not None and not user.is_staff,
                reason=record.history_change_reason or "",
                emptied=_restore_emptied(record, previous) if record.history_type == "+" else (),
            )
        )
    return entries


def stored_value_texts(values_by_field, *, missing_text=None):
    """Return value_text(field, value), which shows a stored customer value
    as the change history does: names for sites, packages and villages, a
    masked NIK, a local phone number and a dd/mm/yyyy date.

    `values_by_field` maps "site", "package" and "village" to the stored
    values to name, each field's names loaded in one query. A site or
    package id that no longer exists is shown as missing_text(field, value),
    or as "#<id>" without it.
    """
    names = {
        "site": _names_by_pk(Site, values_by_field.get("site")),
        "package": _names_by_pk(ServicePackage, values_by_field.get("package")),
        "village": _village_names(values_by_field.get("village")),
    }

    def value_text(field, value):
        if missing_text is not None and field in ("site", "package") and value not in (None, ""):
            if value not in names[field]:
                return missing_text(field, value)
        return _history_value(field, value, names)

    return value_text


def _village_names(codes):
    """Return {village code: "Name (code)"}, because many villages share a name."""
    if not codes:
        return {}
    return {code: f"{name} ({code})" for code, name in Village.objects.filter(pk__in=codes).values_list("pk", "name")}


def _changed_values(changes, field):
    return {value for change in changes if change.field == field for value in (change.old, change.new)} - {None}


def _names_by_pk(model, pks):
    if not pks:
        return {}
    return dict(model.objects.filter(pk__in=pks).values_list("pk", "name"))


def _history_value(field, value, names):
    if value is None or value == "":
        return ""
    if field in names:
        return names[field].get(value, f"#{value}")
    if field == "nik":
        return mask_nik(value)
    if field == "phone":
        return format_phone(value)
    if field == "status" and value in Customer.Status.values:
        return str(Customer.Status(value).label)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        # Coordinates are stored with six decimals and shown without the trailing zeros: -6.4812.
        return format(value.normalize(), "f")
    return str(value)
