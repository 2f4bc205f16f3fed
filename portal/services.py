"""Changes made through the portal: a customer's own data and NIK, phone or package change requests.

Every change to a Customer goes through Customer.save(), so
django-simple-history records it, with the request's user as the history
user (HistoryRequestMiddleware): the customer for their own edits, the
staff member for an approved request. An approved request's history row
also carries the change reason CHANGE_REQUEST_REASON.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from customers.importing import cleaners
from customers.importing.dedupe import NIK_OTHER_NAME
from customers.importing.pipeline import lock_customer_writes
from customers.importing.problems import CellError
from customers.models import Customer, fill_address, name_key
from customers.selectors import customer_label, customers_visible_to, nik_owner_with_other_name
from customers.services import CHANGE_REQUEST_REASON, lock_phone_number
from packages.models import ServicePackage
from portal.models import ChangeRequest

# The Customer fields a customer may change without approval.
PROFILE_FIELDS = ("name", "email", "street", "address", "village", "latitude", "longitude")

# The portal shows no other customer's data, so the message names none of them.
NIK_SHARED_NAME_LOCKED = _(
    "Your NIK is also registered for another customer account, so your name cannot be "
    "changed here. Contact the admin of your internet provider to change it."
)


class ChangeRequestClosed(Exception):
    """The change request is no longer pending: someone decided or cancelled it first."""


class ProfileCustomerDeleted(Exception):
    """The customer was deleted before their profile changes were saved."""


class ChangeRequestCustomerDeleted(ChangeRequestClosed):
    """The change request's customer was deleted, and the request with it."""


class ChangeRequestSharedPhone(Exception):
    """The requested phone number is already other customers' and the
    approver has not confirmed giving it to this customer too."""

    def __init__(self, holders):
        super().__init__(len(holders))
        self.holders = holders


class ChangeRequestInvalid(Exception):
    """The requested value no longer passes the cleaner's checks."""

    def __init__(self, error):
        super().__init__(error.code)
        self.error = error


class PackageNotOffered(Exception):
    """The package chosen for a new request was deactivated or deleted after the form's check."""


class ChangeRequestPackageUnavailable(Exception):
    """The requested package was deactivated or deleted after the request,
    so it cannot be set. `reason` is the message for staff."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def customer_profile_update(customer, values):
    """Save the customer's own changes and return the names of the fields that changed.

    `values` maps PROFILE_FIELDS to cleaned values. The customer row is
    reloaded under a lock and only the changed fields are written, so a
    package or status that staff changed meanwhile is kept. Nothing is
    written, and no history row is added, when nothing changed.

    The portal shows the Alamat as optional directions, but a customer
    without an Alamat is incomplete. So once the street and village are
    both set, an empty Alamat is written from them, and an Alamat written
    from the old ones follows their changes (see fill_address). This
    happens in the same save and history row as the customer's own changes.

    A new name is checked again against the other customers with the same
    NIK, whose rows stay locked until the save, so two of them renaming at
    once cannot leave one NIK under two names. Raises ValidationError, and
    saves nothing, when the check fails. Raises ProfileCustomerDeleted when
    the customer was deleted, such as by staff while the form was open.
    """
    with transaction.atomic():
        current = _customer_lock_with_nik_holders(customer.pk)
        old_name = current.name
        old_street, old_village = current.street, current.village
        changed = []
        for name, value in values.items():
            if name not in PROFILE_FIELDS:
                raise ValueError(f"{name} is not a field customers may change")
            attname = Customer._meta.get_field(name).attname
            new = value.pk if name == "village" and value is not None else value
            if getattr(current, attname) != new:
                setattr(current, attname, new)
                changed.append(name)

        address = fill_address(
            current.address, current.street, current.village, old_street=old_street, old_village=old_village
        )
        if address != current.address:
            current.address = address
            if "address" not in changed:
                changed.append("address")

        if "name" in changed and current.nik and name_key(current.name) != name_key(old_name):
            other = nik_owner_with_other_name(Customer.objects.all(), current.nik, current.name, exclude_pk=current.pk)
            if other is not None:
                raise ValidationError(NIK_SHARED_NAME_LOCKED, code="nik_other_name")

        if changed:
            current.save(update_fields=[*changed, "updated_at"])
    return changed


def _customer_lock_with_nik_holders(pk):
    """Lock the customer's row and the rows of every customer with the same
    NIK, and return the locked customer. Call it inside a transaction.

    Rows are locked in primary key order, so two renames wait for each other
    instead of deadlocking. SQLite ignores the row locks, but its
    transactions here start IMMEDIATE, which serialises them whole. Raises
    ProfileCustomerDeleted when the customer does not exist, or was deleted
    by a transaction that held its row lock.
    """
    while True:
        try:
            nik = Customer.objects.filter(pk=pk).values_list("nik", flat=True).get()
        except Customer.DoesNotExist:
            raise ProfileCustomerDeleted from None
        holders = (Q(pk=pk) | Q(nik=nik)) if nik else Q(pk=pk)
        locked = {row.pk: row for row in Customer.objects.select_for_update().filter(holders).order_by("pk")}
        if pk not in locked:
            raise ProfileCustomerDeleted
        if locked[pk].nik == nik:
            return locked[pk]
        # Staff changed the NIK between the two reads, so lock the new NIK's holders too.


def change_request_submit(customer, field, value, user):
    """Create a pending request to change the customer's NIK, phone or package to `value`.

    `value` must already be cleaned: 16 NIK digits, E.164, or an active
    ServicePackage. A pending request for the same field and value is kept,
    so a repeated submit of the form makes no second request. A pending
    request for the same field with another value is marked replaced, so
    only the newest one waits. Returns (change_request, created). Raises
    PackageNotOffered, and saves nothing, when the package is no longer
    active or was deleted.
    """
    if field == ChangeRequest.Field.PACKAGE:
        same_value = {"package": value}
        stored = {"package": value, "new_value": value.name}
    else:
        same_value = stored = {"new_value": value}
    now = timezone.now()
    with transaction.atomic():
        # Locking the customer makes two simultaneous requests wait for each other.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if field == ChangeRequest.Field.PACKAGE:
            # The lock keeps the package from being deleted before the request refers to it.
            if not ServicePackage.objects.select_for_update().filter(pk=value.pk, is_active=True).exists():
                raise PackageNotOffered
        pending = ChangeRequest.objects.pending().filter(customer=customer, field=field)
        same = pending.filter(**same_value).first()
        if same is not None:
            return same, False
        pending.update(status=ChangeRequest.Status.REPLACED, decided_at=now, decided_by=user)
        return ChangeRequest.objects.create(customer=customer, field=field, created_by=user, **stored), True


def change_request_cancel(change_request, user):
    """Cancel a pending request. Raises ChangeRequestClosed when it is not pending."""
    cancelled = ChangeRequest.objects.pending().filter(pk=change_request.pk).update(
        status=ChangeRequest.Status.CANCELLED, decided_at=timezone.now(), decided_by=user
    )
    if not cancelled:
        raise ChangeRequestClosed


def _clean_requested_value(change_request):
    if change_request.field == ChangeRequest.Field.NIK:
        return cleaners.clean_nik(change_request.new_value)
    return cleaners.clean_phone(change_request.new_value).e164


def package_unavailable_reason(change_request, package):
    """Return why the package request cannot be approved, or "" when its
    `package` (the request's package, None once deleted) may be set."""
    if package is None:
        return _(
            "Package %(package)s was deleted, so it cannot be set. Reject the request and tell the customer why."
        ) % {"package": change_request.new_value}
    if not package.is_active:
        return _(
            "Package %(package)s is no longer active, so it cannot be set. "
            "An admin can activate it again in the package list. Otherwise reject the request."
        ) % {"package": package.name}
    return ""


def _requested_package(change_request):
    """Lock and return the package of a package request. Raises
    ChangeRequestPackageUnavailable when it was deactivated or deleted.

    The lock makes a deactivation or delete of the package wait until the
    approval is saved."""
    package = None
    if change_request.package_id is not None:
        package = ServicePackage.objects.select_for_update().filter(pk=change_request.package_id).first()
    reason = package_unavailable_reason(change_request, package)
    if reason:
        raise ChangeRequestPackageUnavailable(reason)
    return package


def self_renamed_from(customer):
    """Return (name staff last saw, when the customer renamed themselves)
    when the customer's current name was typed by the customer in the
    portal, else None.

    The name staff last saw is the customer's name in their newest history
    row written by anyone else: staff, an import or the approval of a
    request. Portal saves are written by the customer's own user.
    """
    if customer.user_id is None:
        return None
    renamed_at = None
    for name, author_id, date in customer.history.order_by("-history_date", "-history_id").values_list(
        "name", "history_user_id", "history_date"
    ).iterator(chunk_size=100):
        if author_id != customer.user_id:
            if renamed_at is None or name_key(name) == name_key(customer.name):
                return None
            return name, renamed_at
        if name_key(name) == name_key(customer.name):
            renamed_at = date
    return None


# The default of nik_check_name's `renamed`: not looked up yet.
_NOT_LOOKED_UP = object()


def nik_check_name(customer, renamed=_NOT_LOOKED_UP):
    """Return the name a requested NIK is checked against: the name staff
    last saw when the customer renamed themselves in the portal since, so a
    customer cannot take another customer's name to be given their NIK.
    `renamed` is self_renamed_from(customer) when the caller has it."""
    if renamed is _NOT_LOOKED_UP:
        renamed = self_renamed_from(customer)
    return customer.name if renamed is None else renamed[0]


def shared_phone_token(holders):
    """Return the confirmation that the approver posts to give a phone
    number to a customer although the `holders` customers already have it.

    It covers exactly those customers, so a customer who takes the number
    after the list was shown needs a new confirmation. It is a keyed
    hash of their ids, so the page shows no id of a customer the approver
    may not see.
    """
    ids = ",".join(str(pk) for pk in sorted(holder.pk for holder in holders))
    return salted_hmac("portal.services.shared_phone_token", ids).hexdigest()[:32]


def change_request_approve(change_request, user, shared_phone_confirmation=""):
    """Apply a pending request to the customer and mark it approved.

    The value is checked again with the importer's cleaner, because the
    rules may have changed since it was submitted, and a NIK must not belong
    to another customer under another name, in any site, as on the edit
    form and in an import. A requested package must still exist and be
    active. A phone number that other customers, in any site, already have
    is given only with `shared_phone_confirmation` equal to their
    shared_phone_token(), because each of them can then log in to the
    portal with it. The check and the save of a phone number run under the
    import lock and the number's lock (lock_phone_number), so an import,
    an add, an edit or another approval that gives the number to another
    customer at the same moment is either found by this check or finds
    this customer in its own. Raises ChangeRequestCustomerDeleted when its customer
    was deleted, ChangeRequestClosed when the request is no longer pending,
    ChangeRequestSharedPhone when the phone number is not confirmed,
    ChangeRequestInvalid when the value fails the check and
    ChangeRequestPackageUnavailable when the package cannot be set, and
    then changes nothing.
    """
    with transaction.atomic():
        if change_request.field == ChangeRequest.Field.PHONE:
            # Before the customer's row lock, in the order that imports
            # and customer_delete() take the two.
            lock_customer_writes()
        # The customer is locked before the request, in the order that
        # customer_delete() takes them, so an approval and a delete of the
        # same customer wait for each other instead of deadlocking. A
        # deleted customer's requests are deleted with it.
        customer = Customer.objects.select_for_update().filter(pk=change_request.customer_id).first()
        locked = ChangeRequest.objects.select_for_update().filter(pk=change_request.pk).first()
        if customer is None:
            raise ChangeRequestCustomerDeleted
        if locked is None or locked.status != ChangeRequest.Status.PENDING:
            raise ChangeRequestClosed
        if locked.field == ChangeRequest.Field.PACKAGE:
            value = _requested_package(locked)
        else:
            try:
                value = _clean_requested_value(locked)
            except CellError as error:
                raise ChangeRequestInvalid(error) from None

        if locked.field == ChangeRequest.Field.NIK:
            # Every site's customers count, because one NIK is one person;
            # one outside the approver's sites is not named.
            other = nik_owner_with_other_name(
                Customer.objects.all(), value, nik_check_name(customer), exclude_pk=customer.pk
            )
            if other is not None:
                if customers_visible_to(user).filter(pk=other.pk).exists():
                    label = customer_label(other)
                else:
                    label = str(_("a customer of a site you do not manage"))
                raise ChangeRequestInvalid(CellError(NIK_OTHER_NAME, other=label))
        if locked.field == ChangeRequest.Field.PHONE:
            lock_phone_number(value)
            holders = list(Customer.objects.filter(phone=value).exclude(pk=customer.pk).order_by("number"))
            if holders and shared_phone_confirmation != shared_phone_token(holders):
                raise ChangeRequestSharedPhone(holders)
        setattr(customer, locked.field, value)
        # The history row names the approver and marks the change as the customer's request.
        customer._history_user = user
        customer._change_reason = CHANGE_REQUEST_REASON
        customer.save(update_fields=[locked.field, "updated_at"])

        locked.status = ChangeRequest.Status.APPROVED
        locked.decided_at = timezone.now()
        locked.decided_by = user
        locked.save(update_fields=["status", "decided_at", "decided_by"])
    return locked


def change_request_reject(change_request, user, reason=""):
    """Mark a pending request rejected, with the `reason` shown to the customer.
    Raises ChangeRequestClosed when it is not pending."""
    rejected = ChangeRequest.objects.pending().filter(pk=change_request.pk).update(
        status=ChangeRequest.Status.REJECTED, decided_at=timezone.now(), decided_by=user, reject_reason=reason
    )
    if not rejected:
        raise ChangeRequestClosed
