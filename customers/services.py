"""Writes on customers that views, commands and tasks share."""

import zlib

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from customers.models import Customer, ImportBatch, ImportChange

ANONYMISED_REASON = "anonymised"
# The change reason of the history row that portal.services.change_request_approve
# writes for an approved change request. Its history user is the approver.
CHANGE_REQUEST_REASON = "change request"

# Personal data fields and the value each is cleared to.
PERSONAL_FIELDS = {
    "phone": "",
    "email": "",
    "nik": "",
    "address": "",
    "street": "",
    "village": None,
    "postal_code": "",
    "latitude": None,
    "longitude": None,
    # Staff notes often describe the person or the house.
    "notes": "",
}


# An arbitrary constant naming the advisory locks of phone numbers, the
# first of the two keys of each. It is apart from the import lock's single
# key, because PostgreSQL keeps the one-key and two-key locks apart.
PHONE_NUMBER_LOCK = 0x6550484E


def lock_phone_number(phone):
    """Wait for, and hold until the transaction ends, the lock of the stored
    phone number `phone` (E.164), so that two writers that give it to a
    customer see each other's customer instead of both seeing none.

    The edit page takes it before it saves a new phone number, and the
    approval of a phone change request before it checks who has the
    number. Imports and adds give phone numbers under the import lock
    instead, which the approval takes too. PostgreSQL takes a
    transaction-scoped advisory lock on a CRC-32 of the number, so two
    numbers with the same CRC only wait for each other. SQLite already
    allows one writer at a time.
    """
    if connection.vendor != "postgresql" or not phone:
        return
    key = zlib.crc32(phone.encode("utf-8"))
    # pg_advisory_xact_lock(int, int) takes signed 32-bit keys.
    if key >= 2**31:
        key -= 2**32
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PHONE_NUMBER_LOCK, key])


def anonymised_name(customer):
    return anonymised_name_for(customer.number)


def anonymised_name_for(number):
    """Return the name that anonymising gives the customer with ID `number`."""
    return f"Anonim {number}"


class ImportRunning(Exception):
    """An import is being checked or saved, so a customer cannot be
    anonymised now: the import could store the customer's data after the
    erasure, from a file that the erasure cannot delete while it is read."""


def customer_anonymise(customer, *, by):
    """Erase a customer's personal data at their request, keeping the record.

    The name becomes "Anonim <customer ID>". Phone, e-mail, NIK, address,
    village, postal code, map location and staff notes are cleared. The portal account
    is deactivated and loses its name and e-mail, and the customer's portal
    change requests are deleted. Earlier history
    versions and import undo records lose the same fields, so the data
    cannot be read back from them, and a new history version by `by`, with
    the change reason "anonymised", records the step. The customer ID, site,
    package, status and installation date stay, because billing needs them.

    The import batches lose the customer's data too: the findings that name
    the customer or belong to the customer's rows are redacted, and the
    uploaded files that contain those rows are deleted (see
    customers.importing.redaction). Raises ImportRunning, and changes
    nothing, while any import is queued, being checked or being saved.
    """
    # Imported here, because the pipeline imports this module through customers.selectors.
    from customers.importing.pipeline import lock_customer_writes
    from customers.importing.redaction import RUNNING_STATES, erase_from_imports, personal_values

    with transaction.atomic():
        # Under the import lock, an import that is saving cannot store
        # findings about this customer while they are being redacted.
        lock_customer_writes()
        if ImportBatch.objects.filter(state__in=RUNNING_STATES).exists():
            raise ImportRunning
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        # Read before the history and the import changes below lose them.
        values = personal_values(customer)
        erase_from_imports(customer, values, by=by)
        history_model = Customer.history.model
        history_model.objects.filter(id=customer.pk).update(name="", **PERSONAL_FIELDS)
        ImportChange.objects.filter(customer=customer, field__in=["name", *PERSONAL_FIELDS]).update(
            old_value=None, new_value=None
        )

        customer.name = anonymised_name(customer)
        for field, value in PERSONAL_FIELDS.items():
            setattr(customer, field, value)
        customer._history_user = by
        customer._change_reason = ANONYMISED_REASON
        customer.save()

        # A customer's requests to change their NIK or phone carry the new value.
        if hasattr(customer, "change_requests"):
            customer.change_requests.all().delete()
        if customer.user_id is not None:
            _deactivate_portal_user(customer.user)
    return customer


def customer_delete(pk, *, by):
    """Delete the customer `pk` with a "-" history entry by `by`.

    Import changes, portal links and change requests of the customer are
    deleted with it, and NIK reveal records keep their copy of the number.
    A linked portal account is deactivated as customer_anonymise() does it.
    Returns the deleted customer, or None when no customer `pk` exists any more.
    """
    # Imported here, because the pipeline imports this module through customers.selectors.
    from customers.importing.pipeline import lock_customer_writes

    with transaction.atomic():
        # Under the import lock, an import that is saving cannot record a
        # change of this customer while it is being deleted.
        lock_customer_writes()
        customer = Customer.objects.select_for_update().filter(pk=pk).first()
        if customer is None:
            return None
        portal_user = customer.user
        customer._history_user = by
        customer.delete()
        if portal_user is not None:
            _deactivate_portal_user(portal_user)
    return customer


def _deactivate_portal_user(user):
    # The portal's usernames are internal ("customer-<pk>"), so the username stays.
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


# The change reason of the history row a restore writes.
RESTORED_REASON = "restored"


class CustomerRestoreRefused(Exception):
    """The deleted customer cannot be restored. `code` is "not_deleted" or
    "number_taken", and then `owner` is the customer that has its ID now."""

    def __init__(self, code, owner=None):
        super().__init__(code)
        self.code = code
        self.owner = owner


def deleted_customers():
    """Return the "-" history rows of the customers that are deleted now,
    the latest deletion of each, newest first. Customers removed by undoing
    their import are left out: the undo is what brings them back."""
    # Imported here, because the pipeline imports this module through customers.selectors.
    from customers.importing.undo import IMPORT_UNDO_REASON

    history = Customer.history.model
    return (
        history.objects.filter(history_type="-")
        .exclude(history_change_reason=IMPORT_UNDO_REASON)
        .exclude(Exists(Customer.objects.filter(pk=OuterRef("id"))))
        .exclude(Exists(history.objects.filter(id=OuterRef("id"), history_date__gt=OuterRef("history_date"))))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def customer_restore(history_id, *, by):
    """Store again the customer whose deletion is the history row
    `history_id`, with the values and the id it had when it was deleted.

    The restored customer gets a "+" history row by `by`, so its change
    history continues where it stopped. Its portal account stays
    deactivated and unlinked, so a new invitation makes another. Its portal
    change requests, deleted with it, are not restored. A site,
    package or village deleted since is left empty, and the returned list
    names those fields. An import batch deleted since is left empty too,
    unnamed. Raises CustomerRestoreRefused when the customer is no longer
    deleted or another customer has its ID.
    """
    # Imported here, because the pipeline imports this module through customers.selectors.
    from customers.importing.dedupe import customers_with_number
    from customers.importing.pipeline import lock_customer_writes

    with transaction.atomic():
        lock_customer_writes()
        record = deleted_customers().filter(history_id=history_id).first()
        if record is None:
            raise CustomerRestoreRefused("not_deleted")
        owner = next(iter(customers_with_number(record.number)), None)
        if owner is not None:
            raise CustomerRestoreRefused("number_taken", owner=owner)

        customer = record.instance
        customer.user = None
        emptied = []
        for field_name, model in (("site", "sites.Site"), ("package", "packages.ServicePackage"),
                                  ("village", "regions.Village"), ("import_batch", "customers.ImportBatch")):
            value = getattr(customer, f"{field_name}_id")
            if value is not None and not apps.get_model(model).objects.filter(pk=value).exists():
                setattr(customer, f"{field_name}_id", None)
                if field_name != "import_batch":
                    emptied.append(field_name)
        customer._history_user = by
        customer._change_reason = RESTORED_REASON
        customer.save(force_insert=True)
        # auto_now_add set created_at to now; the customer and its new
        # history row keep the first date.
        Customer.objects.filter(pk=customer.pk).update(created_at=record.created_at)
        customer.history.filter(history_type="+", history_change_reason=RESTORED_REASON).filter(
            history_date__gte=record.history_date
        ).update(created_at=record.created_at)
    return customer, emptied
