"""Writes on customers that views, commands and tasks share."""

from django.db import transaction

from customers.models import Customer, ImportChange

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
}


def anonymised_name(customer):
    return f"Anonim {customer.number}"


def customer_anonymise(customer, *, by):
    """Erase a customer's personal data at their request, keeping the record.

    The name becomes "Anonim <customer ID>". Phone, e-mail, NIK, address,
    village, postal code and map location are cleared. The portal account
    is deactivated and loses its name and e-mail, and the customer's portal
    change requests are deleted. Earlier history
    versions and import undo records lose the same fields, so the data
    cannot be read back from them, and a new history version by `by`, with
    the change reason "anonymised", records the step. The customer ID, site,
    package, status and installation date stay, because billing needs them.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
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
