"""Undo a bulk change: give its customers their old package, site and
status back, except where that is no longer right.

Each field a bulk change changed is judged on its own, customer by customer,
in SQL, so a change of 100,000 customers stays a few statements. A field is
restored when four things hold. Its customer still exists and, for a site
admin, is still in one of their sites, as is the old site when the bulk
change set the site. The field still contains the value the bulk change
set. No edit, import or portal request changed it since. The old package or
site still exists, a check the status does not need. An old package or
site that is inactive now is restored all the same, because the customer
had it before.

A bulk change made before the status could be set has a blank status and
blank old statuses, so its undo leaves the status alone.

A site admin's undo may leave customers outside their sites for an admin
to restore. Each item restored is marked (BulkChangeItem.restored_at) and
is never judged again, and the bulk change is marked undone only when no
restorable customer is left.

Bulk changes are undone newest first where they overlap. A later bulk
change that is not undone and set a field this one set, on some of the same
customers, blocks this one's undo (BulkUndoBlocked). Undoing this one first
would keep those customers on the later value, and the later change's undo
would then bring back this one's value.

`plan_bulk_undo` counts and lists what would happen and touches nothing, for
the confirmation page. `undo_bulk_change` locks the customers, judges them
again and restores them with one conditional UPDATE, so what changed between
the two is judged again rather than overwritten.
"""

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from customers.bulk import BULK_CHANGE_REASON, BULK_UNDO_REASON, _history_columns
from customers.models import BulkChange, BulkChangeItem, Customer
from customers.selectors import stored_value_texts
from packages.models import ServicePackage
from sites.models import Site

HistoricalCustomer = Customer.history.model

# The state of one field of one customer, as the SQL of _field_state() gives it.
RESTORED = "restored"  # an earlier, partial undo of the bulk change restored this customer
UNCHANGED = "unchanged"  # the bulk change left this field as it was
DELETED = "deleted"  # the customer was deleted since
OUTSIDE_SITES = "outside"  # the customer, or its old site, is not in the undoing site admin's sites
CHANGED_SINCE = "changed_since"  # the field was changed again after the bulk change
OLD_DELETED = "old_deleted"  # the old package or site was deleted
RESTORABLE = "restorable"

# The states listed on the page as "cannot be undone", with their reasons.
KEPT_STATES = (DELETED, CHANGED_SINCE, OLD_DELETED)

# The fields a bulk change sets: the old value's column and the model it
# refers to, None for the status, which refers to no table.
FIELDS = {
    "package_id": ("old_package_id", ServicePackage),
    "site_id": ("old_site_id", Site),
    "status": ("old_status", None),
}


class BulkUndoNotAllowed(Exception):
    """The bulk change is already undone (`already_undone`), or no customer
    of it can get an old value back."""

    def __init__(self, *, already_undone):
        super().__init__("already undone" if already_undone else "nothing to restore")
        self.already_undone = already_undone


class BulkUndoBlocked(Exception):
    """Raised while later bulk changes that are not undone changed the same
    fields of some of the same customers. `later_changes` lists them, newest first."""

    def __init__(self, later_changes):
        super().__init__(later_changes)
        self.later_changes = later_changes


@dataclass
class FieldUndo:
    """One field of one customer in the undo plan: its state, the value the
    bulk change replaced and the value now, as names."""

    field: str
    state: str
    old_value: int | str | None = None
    current_value: int | str | None = None
    old_text: str = ""
    current_text: str = ""
    changed_at: object = None
    changed_by: object = None

    @property
    def label(self):
        """The field's name as the customer form shows it."""
        return capfirst(Customer._meta.get_field(self.field.removesuffix("_id")).verbose_name)


@dataclass
class CustomerUndo:
    """A customer of the bulk change and its FieldUndo per changed field."""

    customer_id: int
    number: str
    name: str
    fields: list = field(default_factory=list)

    @property
    def deleted(self):
        return any(item.state == DELETED for item in self.fields)


@dataclass
class BulkUndoPlan:
    """The counts of customers that get a field back (restore_count), that
    keep a field (kept_count) and that are outside the undoing site admin's
    sites (outside_sites), with the first customers of each list. A customer
    of a change that set several fields may be in both lists."""

    restore_count: int = 0
    kept_count: int = 0
    outside_sites: int = 0
    restores: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    # The later bulk changes of later_bulk_changes(): while any is listed,
    # nothing is undone and the counts and lists stay empty.
    later_changes: list = field(default_factory=list)

    @property
    def blocked(self):
        return bool(self.later_changes)


def _quote(name):
    return connection.ops.quote_name(name)


def _datetime_param(value):
    return HistoricalCustomer._meta.get_field("history_date").get_db_prep_value(value, connection)


def _state_column(attname):
    """Return the name of the state column of field `attname` in _states_sql(), such as "package_state"."""
    return f"{attname.removesuffix('_id')}_state"


def _field_state(bulk_change, attname, site_ids):
    """Return the SQL CASE that gives the state of field `attname` of the
    item `i` and its customer `c`, and its parameters."""
    value = bulk_change.changes.get(attname)
    if value is None:
        return f"'{UNCHANGED}'", []
    old_column, model = FIELDS[attname]
    cases, params = [], []

    cases.append(f"WHEN i.restored_at IS NOT NULL THEN '{RESTORED}'")
    cases.append(f"WHEN i.{old_column} IS NOT NULL AND i.{old_column} = %s THEN '{UNCHANGED}'")
    params.append(value)
    cases.append(f"WHEN c.id IS NULL THEN '{DELETED}'")
    if site_ids is not None:
        outside, outside_params = _outside_sites(bulk_change, site_ids)
        cases.append(f"WHEN {outside} THEN '{OUTSIDE_SITES}'")
        params.extend(outside_params)
    # Rows of bulk changes and their undos are left out: a later bulk change
    # that is not undone still shows in the value itself.
    changed_since = (
        f"c.{attname} IS NULL OR c.{attname} <> %s OR EXISTS (SELECT 1 FROM {_quote(HistoricalCustomer._meta.db_table)} h "
        f"WHERE h.id = i.customer_id AND h.history_date > %s AND (h.{attname} IS NULL OR h.{attname} <> %s) "
        "AND (h.history_change_reason IS NULL OR h.history_change_reason NOT IN (%s, %s)))"
    )
    cases.append(f"WHEN {changed_since} THEN '{CHANGED_SINCE}'")
    params.extend([value, _datetime_param(bulk_change.created_at), value, BULK_CHANGE_REASON, BULK_UNDO_REASON])
    if model is not None:
        cases.append(
            f"WHEN i.{old_column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {_quote(model._meta.db_table)} r "
            f"WHERE r.id = i.{old_column}) THEN '{OLD_DELETED}'"
        )
    return f"CASE {' '.join(cases)} ELSE '{RESTORABLE}' END", params


def _outside_sites(bulk_change, site_ids):
    """Return the SQL condition that the customer `c`, or the old site it
    would get back, is outside `site_ids`, and its parameters.

    The condition is the same for every field of a customer, so an undo
    restores a customer whole or leaves it whole for an admin.
    """
    if not site_ids:
        return "1 = 1", []
    placeholders = ", ".join(["%s"] * len(site_ids))
    condition = f"c.site_id IS NULL OR c.site_id NOT IN ({placeholders})"
    params = list(site_ids)
    if bulk_change.site_id is not None:
        condition += f" OR i.old_site_id IS NULL OR i.old_site_id NOT IN ({placeholders})"
        params.extend(site_ids)
    return f"({condition})", params


def _states_sql(bulk_change, site_ids):
    """Return a SELECT of every item of the bulk change with its customer's
    number and name, then per field of FIELDS the current value, the old
    value and the state (package_state, site_state, status_state), and its
    parameters."""
    columns, params = ["i.customer_id", "c.number", "c.name"], []
    for attname, (old_column, _model) in FIELDS.items():
        state, state_params = _field_state(bulk_change, attname, site_ids)
        columns.extend([f"c.{attname}", f"i.{old_column}", f"{state} AS {_state_column(attname)}"])
        params.extend(state_params)
    sql = (
        f"SELECT {', '.join(columns)} "
        f"FROM {_quote(BulkChangeItem._meta.db_table)} i "
        f"LEFT JOIN {_quote(Customer._meta.db_table)} c ON c.id = i.customer_id "
        "WHERE i.bulk_change_id = %s"
    )
    return sql, [*params, bulk_change.pk]


def _any_state_in(states):
    """Return the SQL condition, on a row of _states_sql(), that the state
    of any field is one of `states` (constants of this module)."""
    listed = ", ".join(f"'{state}'" for state in states)
    return " OR ".join(f"{_state_column(attname)} IN ({listed})" for attname in FIELDS)


def later_bulk_changes(bulk_change, site_ids=None):
    """Return the later bulk changes, newest first, that are not undone and
    changed a field that `bulk_change` changed on one of the same
    customers, with one query. Each has `shared_count`, the number of
    such customers.

    Only customers that still exist, and for a site admin are in
    `site_ids`, count, because the undo restores no others.
    """
    own_fields = [attname for attname in FIELDS if bulk_change.changes.get(attname) is not None]
    later_table = _quote(BulkChange._meta.db_table)
    field_conditions, params = [], [bulk_change.pk]
    for attname in own_fields:
        old_column, model = FIELDS[attname]
        # Each item changed the field unless its old value is the value its
        # bulk change set. It blocks only while the later change's undo could
        # still restore it: the customer keeps the value that change set, and
        # the old package or site still exists.
        later_value = f"{later_table}.{attname}"
        # A later change that kept the field has null there, or blank for the status.
        later_set = f"{later_value} <> ''" if model is None else f"{later_value} IS NOT NULL"
        condition = (
            f"{later_set} "
            f"AND (li.{old_column} IS NULL OR li.{old_column} <> {later_value}) "
            f"AND (ci.{old_column} IS NULL OR ci.{old_column} <> %s) "
            f"AND c.{attname} = {later_value}"
        )
        if model is not None:
            condition += (
                f" AND (li.{old_column} IS NULL OR EXISTS "
                f"(SELECT 1 FROM {_quote(model._meta.db_table)} old_value WHERE old_value.id = li.{old_column}))"
            )
        field_conditions.append(f"({condition})")
        params.append(bulk_change.changes[attname])
    scope_sql = ""
    if site_ids is not None:
        placeholders = ", ".join(["%s"] * len(site_ids)) or "NULL"
        scope_sql = f" AND c.site_id IN ({placeholders})"
        params.extend(site_ids)
    items_table = _quote(BulkChangeItem._meta.db_table)
    shared_sql = (
        f"SELECT COUNT(*) FROM {items_table} li "
        f"JOIN {items_table} ci ON ci.customer_id = li.customer_id AND ci.bulk_change_id = %s "
        f"JOIN {_quote(Customer._meta.db_table)} c ON c.id = li.customer_id "
        f"WHERE li.bulk_change_id = {later_table}.id AND li.restored_at IS NULL AND ci.restored_at IS NULL "
        f"AND ({' OR '.join(field_conditions)}){scope_sql}"
    )
    return list(
        BulkChange.objects.select_related("created_by", "package", "site")
        .annotate(shared_count=RawSQL(shared_sql, params))
        .filter(pk__gt=bulk_change.pk, undone_at__isnull=True, shared_count__gt=0)
        .order_by("-created_at", "-id")
    )


def _count_plan(bulk_change, site_ids):
    """Return (restore_count, kept_count, outside_sites) with one query."""
    states_sql, params = _states_sql(bulk_change, site_ids)
    restorable_condition = _any_state_in([RESTORABLE])
    kept_condition = _any_state_in(KEPT_STATES)
    outside_condition = _any_state_in([OUTSIDE_SITES])
    sql = (
        f"SELECT COUNT(CASE WHEN {restorable_condition} THEN 1 END), COUNT(CASE WHEN {kept_condition} THEN 1 END), "
        f"COUNT(CASE WHEN {outside_condition} THEN 1 END) FROM ({states_sql}) states"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def _list_customers(bulk_change, site_ids, states, limit):
    """Return the first `limit` CustomerUndo, by customer ID, that have a
    field in one of `states`. Deleted customers come last."""
    states_sql, params = _states_sql(bulk_change, site_ids)
    sql = (
        f"SELECT * FROM ({states_sql}) states "
        f"WHERE {_any_state_in(states)} "
        "ORDER BY number IS NULL, number, customer_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchall()


def plan_bulk_undo(bulk_change, site_ids=None, *, list_limit=500):
    """Return the BulkUndoPlan of a bulk change without changing anything.

    Only customers of `site_ids` are restored, None meaning every site (see
    customers.importing.pipeline.site_scope). The lists hold at most
    `list_limit` customers each, with the values shown as names.
    """
    site_ids = sorted(site_ids) if site_ids is not None else None
    plan = BulkUndoPlan()
    plan.later_changes = later_bulk_changes(bulk_change, site_ids)
    if plan.blocked:
        return plan
    plan.restore_count, plan.kept_count, plan.outside_sites = _count_plan(bulk_change, site_ids)
    restore_rows = _list_customers(bulk_change, site_ids, [RESTORABLE], list_limit) if plan.restore_count else []
    kept_rows = _list_customers(bulk_change, site_ids, KEPT_STATES, list_limit) if plan.kept_count else []
    plan.restores = _customer_undos(bulk_change, restore_rows, [RESTORABLE])
    plan.kept = _customer_undos(bulk_change, kept_rows, KEPT_STATES)
    _fill_texts(bulk_change, [*plan.restores, *plan.kept])
    return plan


def _customer_undos(bulk_change, rows, states):
    """Return a CustomerUndo per row of _list_customers, with the fields
    whose state is one of `states`."""
    customers = []
    for customer_id, number, name, *values in rows:
        customer = CustomerUndo(customer_id, number or "", name or "")
        # Each field has three columns: the current value, the old value and the state.
        for index, attname in enumerate(FIELDS):
            current, old, state = values[3 * index : 3 * index + 3]
            if state in states:
                customer.fields.append(FieldUndo(attname, state, old_value=old, current_value=current))
        customers.append(customer)
    return customers


def _fill_texts(bulk_change, customers):
    """Set the names of the old and current values, the number and name of
    deleted customers, and who changed a field since and when. An empty
    value reads "(no package)" or "(no site)", a deleted one is named as
    deleted, and a status reads as the customer form shows it.

    One query each loads the sites, the packages, the deleted customers'
    last history rows and the later changes of the listed fields.
    """
    fields = [undo for customer in customers for undo in customer.fields]
    named = {"package": set(), "site": set()}
    for undo in fields:
        values = named.get(undo.field.removesuffix("_id"))
        if values is not None:
            values.update(v for v in (undo.old_value, undo.current_value) if v is not None)
    value_text = stored_value_texts(named, missing_text=_deleted_value_text)
    for undo in fields:
        name = undo.field.removesuffix("_id")
        undo.old_text = value_text(name, undo.old_value) or _empty_value_text(name)
        undo.current_text = value_text(name, undo.current_value) or _empty_value_text(name)

    deleted = [customer for customer in customers if customer.deleted]
    if deleted:
        last = (
            HistoricalCustomer.objects.filter(id__in=[customer.customer_id for customer in deleted])
            .order_by("id", "history_date", "history_id")
            .values_list("id", "number", "name")
        )
        names = {customer_id: (number, name) for customer_id, number, name in last}
        for customer in deleted:
            customer.number, customer.name = names.get(customer.customer_id, ("", ""))

    changed = {
        (customer.customer_id, undo.field): undo
        for customer in customers
        for undo in customer.fields
        if undo.state == CHANGED_SINCE
    }
    if changed:
        records = (
            HistoricalCustomer.objects.filter(
                id__in={customer_id for customer_id, _attname in changed}, history_date__gt=bulk_change.created_at
            )
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        for record in records:
            for attname, value in bulk_change.changes.items():
                undo = changed.get((record.id, attname))
                if undo is not None and getattr(record, attname) != value:
                    undo.changed_at, undo.changed_by = record.history_date, record.history_user


def _deleted_value_text(field_name, pk):
    if field_name == "package":
        return _("deleted package (#%(id)s)") % {"id": pk}
    return _("deleted site (#%(id)s)") % {"id": pk}


def _empty_value_text(field_name):
    if field_name == "package":
        return _("(no package)")
    if field_name == "site":
        return _("(no site)")
    # A customer's status is one of Customer.Status. A blank old status is on
    # items recorded before bulk changes set statuses, which are never listed.
    return ""


def _lock_customers(bulk_change):
    """Lock the stored customers of the bulk change until the transaction
    ends, so none changes between the judgement and the UPDATE. They are
    locked in primary key order, as a bulk change locks them, so the two
    wait for each other instead of deadlocking. On SQLite the transaction's
    BEGIN IMMEDIATE already holds the only write lock."""
    if connection.vendor != "postgresql":
        return
    sql = (
        f"SELECT COUNT(*) FROM (SELECT c.id FROM {_quote(Customer._meta.db_table)} c "
        f"WHERE c.id IN (SELECT customer_id FROM {_quote(BulkChangeItem._meta.db_table)} WHERE bulk_change_id = %s) "
        "ORDER BY c.id FOR UPDATE) locked"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [bulk_change.pk])


def undo_bulk_change(bulk_change, user, site_ids=None):
    """Restore the old package, site and status of the customers of the bulk
    change that the plan marks restorable, within `site_ids` (see
    plan_bulk_undo), mark their items restored and return the number of
    customers restored.
    The bulk change is marked undone unless restorable customers outside
    `site_ids` are left, which an admin's undo can restore later.

    Each restored customer gets one "~" history row by `user` with the
    change reason BULK_UNDO_REASON. Raises BulkUndoNotAllowed, changing
    nothing, when the bulk change is already undone or nothing of it can
    be restored, and BulkUndoBlocked while later bulk changes block it.
    """
    with transaction.atomic():
        bulk_change = BulkChange.objects.select_for_update().get(pk=bulk_change.pk)
        if bulk_change.undone_at is not None:
            raise BulkUndoNotAllowed(already_undone=True)
        _lock_customers(bulk_change)
        site_ids = sorted(site_ids) if site_ids is not None else None
        # After the lock, so a later bulk change of these customers that
        # was still running has committed and is seen.
        later_changes = later_bulk_changes(bulk_change, site_ids)
        if later_changes:
            raise BulkUndoBlocked(later_changes)
        now = timezone.now()
        if connection.vendor == "postgresql":
            restored = _restore_returning_to_history(bulk_change, user, site_ids, now)
        else:
            restored = _restore_then_history(bulk_change, user, site_ids, now)
        if not restored:
            raise BulkUndoNotAllowed(already_undone=False)
        done = {"undone_at": now, "undone_by": user}
        if site_ids is not None and _count_plan(bulk_change, None)[0]:
            done = {}
        BulkChange.objects.filter(pk=bulk_change.pk).update(restored_count=F("restored_count") + restored, **done)
    return restored


def _restore_update(bulk_change, site_ids, now, *, returning=False):
    """Return the UPDATE that restores the restorable fields, and its
    parameters. Each field is set from the item only where its state is
    RESTORABLE, and customers with no such field are not written.

    NOTE: UPDATE … FROM needs SQLite 3.33 or newer (PostgreSQL has it).
    """
    assignments, set_params, conditions, where_params = [], [], [], []
    for attname, (old_column, _model) in FIELDS.items():
        state, params = _field_state(bulk_change, attname, site_ids)
        assignments.append(f"{attname} = CASE WHEN ({state}) = '{RESTORABLE}' THEN i.{old_column} ELSE c.{attname} END")
        set_params.extend(params)
        conditions.append(f"({state}) = '{RESTORABLE}'")
        where_params.extend(params)
    assignments.append("updated_at = %s")
    set_params.append(Customer._meta.get_field("updated_at").get_db_prep_save(now, connection))
    sql = (
        f"UPDATE {_quote(Customer._meta.db_table)} AS c SET {', '.join(assignments)} "
        f"FROM {_quote(BulkChangeItem._meta.db_table)} AS i "
        f"WHERE i.customer_id = c.id AND i.bulk_change_id = %s AND ({' OR '.join(conditions)})"
    )
    if returning:
        sql += " RETURNING c.*"
    return sql, [*set_params, bulk_change.pk, *where_params]


def _restore_returning_to_history(bulk_change, user, site_ids, now):
    """Restore the fields, mark their items restored and copy the restored
    rows to the history in one statement. PostgreSQL only."""
    update_sql, update_params = _restore_update(bulk_change, site_ids, now, returning=True)
    target_columns, source_columns, extra_params = _history_columns(user, now, reason=BULK_UNDO_REASON)
    items_table = _quote(BulkChangeItem._meta.db_table)
    sql = (
        f"WITH restored AS ({update_sql}), "
        f"marked AS (UPDATE {items_table} SET restored_at = %s "
        "WHERE bulk_change_id = %s AND customer_id IN (SELECT id FROM restored)) "
        f"INSERT INTO {_quote(HistoricalCustomer._meta.db_table)} ({target_columns}) "
        f"SELECT {source_columns} FROM restored"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*update_params, _datetime_param(now), bulk_change.pk, *extra_params])
        return cursor.rowcount


def _restore_then_history(bulk_change, user, site_ids, now):
    """Restore the fields, then copy the customers written at `now` to the
    history and mark their items restored. Exact on SQLite, where the transaction holds the only write
    lock, so no other connection writes a customer in between."""
    update_sql, update_params = _restore_update(bulk_change, site_ids, now)
    target_columns, source_columns, extra_params = _history_columns(user, now, reason=BULK_UNDO_REASON)
    updated_at = Customer._meta.get_field("updated_at").get_db_prep_save(now, connection)
    history_sql = (
        f"INSERT INTO {_quote(HistoricalCustomer._meta.db_table)} ({target_columns}) "
        f"SELECT {source_columns} FROM {_quote(Customer._meta.db_table)} "
        f"WHERE updated_at = %s AND id IN (SELECT customer_id FROM {_quote(BulkChangeItem._meta.db_table)} "
        "WHERE bulk_change_id = %s)"
    )
    items_table = _quote(BulkChangeItem._meta.db_table)
    mark_sql = (
        f"UPDATE {items_table} SET restored_at = %s WHERE bulk_change_id = %s "
        f"AND customer_id IN (SELECT id FROM {_quote(Customer._meta.db_table)} WHERE updated_at = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(update_sql, update_params)
        restored = cursor.rowcount
        cursor.execute(history_sql, [*extra_params, updated_at, bulk_change.pk])
        cursor.execute(mark_sql, [_datetime_param(now), bulk_change.pk, updated_at])
    return restored
