"""Undo a finished import batch: remove the customers it created and
restore the fields it updated, except what someone changed since.

Imports are undone newest first where they overlap. A later import that
is not undone and changed a customer this batch created, or a field this
batch changed, blocks this batch's undo (UndoBlocked). Undoing this batch
first would lose the later import's data, or keep those customers, which
the later import's undo would then bring back to this batch's values.

`plan_undo` lists what would happen and touches nothing, for the
confirmation page. `undo_batch` computes the same plan again inside the
import lock and carries it out in one transaction, so what changed between
the two is judged again rather than overwritten.
"""

from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.utils import bulk_update_with_history

from customers.importing import saving
from customers.importing.pipeline import lock_customer_writes
from customers.models import Customer, ImportBatch, ImportChange, name_key
from customers.selectors import stored_value_texts

CHUNK = 5000

# Reasons a created customer or an updated field stays.
EDITED_SINCE = "edited_since"
PORTAL_ACCOUNT = "portal_account"
CHANGED_SINCE = "changed_since"
LATER_IMPORT = "later_import"

HistoricalCustomer = Customer.history.model

# The change reason of the "-" history rows of the customers an undo
# removes, which are not deletions that Pelanggan terhapus offers to restore.
IMPORT_UNDO_REASON = "import undo"

# The customer fields compared with the values an import created. The
# portal account link is left out, because it has its own reason to stay.
_CREATED_FIELDS = [
    model_field.attname
    for model_field in HistoricalCustomer._meta.concrete_fields
    if not model_field.attname.startswith("history_") and model_field.attname not in ("id", "user_id")
]


class UndoNotAllowed(Exception):
    """The batch is not a finished import (already undone, failed, still running)."""


class UndoBlocked(Exception):
    """Later imports that are not undone changed customers of the batch;
    `plan` is the UndoPlan that lists them."""

    def __init__(self, plan):
        super().__init__(plan)
        self.plan = plan


@dataclass
class LaterImport:
    """A later, finished import that changed `customer_count` customers of
    the batch being undone, so it has to be undone first."""

    batch: ImportBatch
    customer_count: int


@dataclass
class KeptCustomer:
    """A customer the batch created that stays: someone changed it
    afterwards (EDITED_SINCE), it has a portal account (PORTAL_ACCOUNT), or
    a later import changed it and is not undone (LATER_IMPORT)."""

    id: int
    number: str
    name: str
    changed_at: object = None
    changed_by: object = None
    reason: str = EDITED_SINCE
    later_batch: ImportBatch | None = None


@dataclass
class DeletedCustomer:
    """A customer the batch created that someone deleted since, as its "-"
    history row records it, so there is nothing left to remove."""

    id: int
    number: str
    name: str
    deleted_at: object
    deleted_by: object = None


@dataclass
class FieldRestore:
    """One field the batch changed: `current` is its value now, and
    `restorable` is True while it still contains what the import wrote.

    `old_text`, `new_text` and `current_text` show the values as the change
    history does. They stay None until fill_value_texts() sets them, which
    the confirmation page does only for the rows it lists.
    """

    change: ImportChange
    number: str
    current: object
    restorable: bool
    reason: str = ""
    later_batch: ImportBatch | None = None
    old_text: str | None = None
    new_text: str | None = None
    current_text: str | None = None

    @property
    def label(self):
        """The field's name as the customer form shows it."""
        return capfirst(_model_field(self.change.field).verbose_name)

    @property
    def field_name(self):
        """The model field's name, such as "site" for the stored "site_id"."""
        return _model_field(self.change.field).name


@dataclass
class UndoPlan:
    removable: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    restores: list = field(default_factory=list)
    # Customers of the batch now in sites outside the undoing user's, which
    # stay as they are and are not listed.
    outside_sites: int = 0
    # LaterImport entries, newest first: while any is listed, nothing is undone.
    later_imports: list = field(default_factory=list)
    # DeletedCustomer entries, by customer ID. The fields that the batch
    # changed on customers deleted since are gone with their ImportChange rows.
    deleted: list = field(default_factory=list)

    @property
    def blocked(self):
        return bool(self.later_imports)

    @property
    def restorable(self):
        return [item for item in self.restores if item.restorable]

    @property
    def unrestorable(self):
        return [item for item in self.restores if not item.restorable]


def batch_can_undo(batch):
    """Return whether the batch is a finished import that created or
    updated customers. A batch that saved nothing has nothing to undo."""
    saved = batch.created_count > 0 or batch.updated_count > 0
    return batch.state == ImportBatch.State.DONE and saved


def _model_field(attname):
    return Customer._meta.get_field(attname.removesuffix("_id"))


def stored_value(attname, text):
    """Return the Python value an ImportChange text stands for, "" or None when empty."""
    model_field = _model_field(attname)
    if text is None:
        return None if model_field.null else ""
    return model_field.to_python(text)


def plan_undo(batch, site_ids=None):
    """Return the UndoPlan of a batch without changing anything.

    Only customers of `site_ids` are undone, None meaning every site: a
    customer moved to another site since the import is counted in
    outside_sites and left alone.

    A created customer is kept when a later import that is not undone
    changed it, or when its stored values differ from those the import
    created. It is also kept when it has a portal account, because
    activating one writes no history row, and the customer's requests and
    logins depend on it. An updated field is restored only while it still
    contains the value the import wrote and no later import that is not
    undone changed it. Such later imports are listed in later_imports, and
    block the undo. Created customers deleted since, and not restored, are
    listed in deleted.
    """
    plan = UndoPlan()
    created_customers = Customer.objects.filter(import_batch=batch)
    outside = set()
    if site_ids is not None:
        outside.update(created_customers.exclude(site__in=site_ids).values_list("id", flat=True))
        created_customers = created_customers.filter(site__in=site_ids)
    created = list(created_customers.order_by("number").values_list("id", "number", "name", "user_id"))

    changes = list(ImportChange.objects.filter(batch=batch).order_by("customer_id", "id"))
    customers = Customer.objects.in_bulk({change.customer_id for change in changes})
    if site_ids is not None:
        outside.update(change.customer_id for change in changes if customers[change.customer_id].site_id not in site_ids)
        changes = [change for change in changes if change.customer_id not in outside]
    plan.outside_sites = len(outside)

    later = _later_changes(batch, {row[0] for row in created}, changes)
    plan.later_imports = later.imports
    edits = _edits_since_creation([row[0] for row in created])
    for customer_id, number, name, user_id in created:
        record = edits.get(customer_id)
        if customer_id in later.customers:
            plan.kept.append(
                KeptCustomer(customer_id, number, name, reason=LATER_IMPORT, later_batch=later.customers[customer_id])
            )
        elif record is not None:
            plan.kept.append(KeptCustomer(customer_id, number, name, record.history_date, record.history_user))
        elif user_id is not None:
            plan.kept.append(KeptCustomer(customer_id, number, name, reason=PORTAL_ACCOUNT))
        else:
            plan.removable.append((customer_id, number, name))
    plan.deleted = _deleted_since(batch, site_ids)

    for change in changes:
        customer = customers[change.customer_id]
        current = getattr(customer, change.field)
        later_batch = later.fields.get((change.customer_id, change.field))
        if later_batch is not None:
            restorable, reason = False, LATER_IMPORT
        else:
            restorable = _same(current, stored_value(change.field, change.new_value))
            reason = "" if restorable else CHANGED_SINCE
        plan.restores.append(
            FieldRestore(
                change=change,
                number=customer.number,
                current=current,
                restorable=restorable,
                reason=reason,
                later_batch=later_batch,
            )
        )
    return plan


def _deleted_since(batch, site_ids):
    """Return a DeletedCustomer for each customer the batch created that
    was deleted since and is still deleted, within `site_ids` (None
    meaning every site)."""
    # The history table has an index on history_date but none on import_batch.
    records = HistoricalCustomer.objects.filter(
        history_type="-", history_date__gte=batch.created_at, import_batch_id=batch.pk
    )
    # A later version means the customer was restored since, so it is
    # among the batch's customers again, or deleted again in a later row.
    later = HistoricalCustomer.objects.filter(id=OuterRef("id"), history_date__gt=OuterRef("history_date"))
    records = records.exclude(Exists(later))
    if site_ids is not None:
        records = records.filter(site__in=site_ids)
    records = records.select_related("history_user").order_by("number", "history_date")
    return [
        DeletedCustomer(record.id, record.number, record.name, record.history_date, record.history_user)
        for record in records
    ]


@dataclass
class _LaterChanges:
    """The later imports that changed a batch's customers: the newest per
    created customer id, the newest per (customer id, field) of the batch's
    own changes, and a LaterImport per import, newest first."""

    customers: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    imports: list = field(default_factory=list)


def _later_changes(batch, created_ids, changes):
    """Return the _LaterChanges of other finished imports on the customers
    `created_ids` that `batch` created, and on the fields of `changes`
    that a later ImportChange (a higher id) changed again."""
    own = {(change.customer_id, change.field): change.id for change in changes}
    batch_customers = ImportChange.objects.filter(batch=batch).values("customer_id")
    rows = (
        ImportChange.objects.filter(batch__state=ImportBatch.State.DONE)
        .exclude(batch=batch)
        .filter(Q(customer__import_batch=batch) | Q(customer_id__in=batch_customers))
        .order_by("id")
        .values_list("id", "batch_id", "customer_id", "field")
    )
    later = _LaterChanges()
    customers_by_batch = {}
    for change_id, batch_id, customer_id, attname in rows:
        if customer_id in created_ids:
            later.customers[customer_id] = batch_id
        elif change_id > own.get((customer_id, attname), change_id):
            later.fields[(customer_id, attname)] = batch_id
        else:
            continue
        customers_by_batch.setdefault(batch_id, set()).add(customer_id)

    batches = ImportBatch.objects.select_related("created_by").in_bulk(list(customers_by_batch))
    later.customers = {key: batches[pk] for key, pk in later.customers.items()}
    later.fields = {key: batches[pk] for key, pk in later.fields.items()}
    later.imports = [LaterImport(batches[pk], len(ids)) for pk, ids in customers_by_batch.items()]
    # Newest first, the order in which to undo them.
    later.imports.sort(key=lambda entry: entry.batch.finished_at or entry.batch.created_at, reverse=True)
    return later


def _edits_since_creation(customer_ids):
    """Return {customer id: history record} for the customers among
    `customer_ids` whose stored values differ from those they were created
    with, naming the latest edit of a field that still differs.

    An edit that was reverted, such as a later import that was undone,
    leaves the values as created, so the customer is not counted.
    """
    edits = {}
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        edited = set(HistoricalCustomer.objects.filter(id__in=chunk, history_type="~").values_list("id", flat=True))
        if not edited:
            continue
        records = {}
        history = (
            HistoricalCustomer.objects.filter(id__in=edited, history_type__in=["+", "~"])
            .select_related("history_user")
            .order_by("id", "history_date", "history_id")
        )
        for record in history:
            records.setdefault(record.id, []).append(record)
        for customer in Customer.objects.filter(pk__in=edited):
            record = _latest_edit_in_place(customer, records[customer.pk])
            if record is not None:
                edits[customer.pk] = record
    return edits


def _latest_edit_in_place(customer, records):
    """Return the latest of `records` (the customer's "+" and "~" history,
    oldest first) that changed a field still differing from the "+" record,
    or None when every field has its created value."""
    if records[0].history_type != "+":
        # Without its creation record, any edit counts.
        return records[-1]
    created = records[0]
    differing = [name for name in _CREATED_FIELDS if getattr(customer, name) != getattr(created, name)]
    if not differing:
        return None
    latest = None
    for previous, record in zip(records, records[1:]):
        if any(getattr(record, name) != getattr(previous, name) for name in differing):
            latest = record
    return latest or records[-1]


def fill_value_texts(restores):
    """Set old_text, new_text and current_text of each FieldRestore as the
    change history shows values: names for sites, packages and villages, a
    masked NIK, a local phone number and a dd/mm/yyyy date.

    One query each loads the names of the sites, packages and villages.
    """
    rows = [
        (
            item,
            stored_value(item.change.field, item.change.old_value),
            stored_value(item.change.field, item.change.new_value),
            item.current,
        )
        for item in restores
    ]
    named = {"site": set(), "package": set(), "village": set()}
    for item, *values in rows:
        if item.field_name in named:
            named[item.field_name].update(value for value in values if value not in (None, ""))
    value_text = stored_value_texts(named)
    for item, old, new, current in rows:
        item.old_text = value_text(item.field_name, old)
        item.new_text = value_text(item.field_name, new)
        item.current_text = value_text(item.field_name, current)


def _same(current, imported):
    if current in (None, "") and imported in (None, ""):
        return True
    return current == imported


def undo_batch(batch, user, site_ids=None):
    """Undo the batch within `site_ids` (see plan_undo) and return the
    UndoPlan that was carried out.

    Raises UndoNotAllowed when the batch is not a finished import, and
    UndoBlocked, changing nothing, while later imports block it.
    """
    with transaction.atomic():
        lock_customer_writes()
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not batch_can_undo(batch):
            raise UndoNotAllowed(batch.state)
        _lock_batch_customers(batch)
        plan = plan_undo(batch, site_ids)
        if plan.blocked:
            raise UndoBlocked(plan)
        now = timezone.now()
        _restore_fields(plan.restorable, user)
        _remove_customers([row[0] for row in plan.removable], user, now)
        batch.state = ImportBatch.State.UNDONE
        batch.undone_at = now
        batch.undone_by = user
        batch.save(update_fields=["state", "undone_at", "undone_by"])
    return plan


def _lock_batch_customers(batch):
    """Lock the customers that the batch created or updated, in pk order.

    Edits, bulk changes and approved requests do not take the import lock.
    Without the row locks, a save that one of them commits between
    plan_undo() and the writes would be overwritten with older values.
    """
    changed = ImportChange.objects.filter(batch=batch).values("customer_id")
    customers = Customer.objects.select_for_update().filter(Q(import_batch=batch) | Q(pk__in=changed))
    # Evaluating the queryset takes the locks. Only the ids are fetched.
    list(customers.order_by("pk").values_list("pk", flat=True))


def _restore_fields(restores, user):
    if not restores:
        return
    customers = Customer.objects.in_bulk({item.change.customer_id for item in restores})
    fields = set()
    for item in restores:
        customer = customers[item.change.customer_id]
        setattr(customer, item.change.field, stored_value(item.change.field, item.change.old_value))
        fields.add(item.change.field)
    if "name" in fields:
        for customer in customers.values():
            customer.name_key = name_key(customer.name)
        fields.add("name_key")
    bulk_update_with_history(list(customers.values()), Customer, sorted(fields), batch_size=CHUNK, default_user=user)


def _remove_customers(ids, user, now):
    """Delete customers with one "-" history row each.

    QuerySet.delete() would send a signal per customer, and django-simple-
    history writes one INSERT per signal; for a 100,000-row batch that is
    minutes. The history rows are written in bulk instead and the rows are
    deleted with plain DELETE statements (SQL on PostgreSQL, _raw_delete
    elsewhere), which skip signals and cascades, so
    _release_references() first applies the on_delete rule of every other
    foreign key to them (a NIK reveal record, a portal link). If a foreign
    key from elsewhere remains, the database rejects the delete and the
    whole undo rolls back.
    """
    columns = [model_field.attname for model_field in Customer._meta.concrete_fields]
    user_id = user.pk if user is not None else None
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _release_references(chunk)
        if connection.vendor == "postgresql":
            # The rows are copied to the history and deleted inside the
            # database, without a round trip through Python.
            saving.copy_history_in_database(
                chunk, "-", history_user_id=user_id, history_date=now, change_reason=IMPORT_UNDO_REASON
            )
            with connection.cursor() as cursor:
                for model, column in ((ImportChange, "customer_id"), (Customer, "id")):
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [chunk])
            continue
        rows = list(Customer.objects.filter(pk__in=chunk).values(*columns))
        saving.write_history(rows, "-", history_user_id=user_id, history_date=now, change_reason=IMPORT_UNDO_REASON)
        ImportChange.objects.filter(customer_id__in=chunk).delete()
        queryset = Customer.objects.filter(pk__in=chunk)
        queryset._raw_delete(queryset.db)


def _release_references(ids):
    """Apply the on_delete rules of the rows that point at the customers
    `ids`, as Customer.delete() would: clear SET_NULL references and delete
    CASCADE rows. Viewing a customer's NIK writes such a row without
    changing the customer, so undo still removes that customer. The caller
    deletes the ImportChange rows."""
    for relation in Customer._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.one_to_many):
            continue
        model = relation.related_model
        if model is ImportChange:
            continue
        rows = model._base_manager.filter(**{f"{relation.field.name}__in": ids})
        if relation.on_delete is models.SET_NULL:
            rows.update(**{relation.field.name: None})
        elif relation.on_delete is models.CASCADE:
            rows.delete()
