"""Portal accounts: which users a login text names, and setting a password through a link.

A customer logs in with their ID Pelanggan or their phone number, never with
their NIK. Each customer has their own Django user (is_staff False), linked
through Customer.user and named "customer-<pk>", a name the customer never
types.
"""

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from audit.login import portal_lockout_username
from customers.importing.cleaners import clean_phone, normalise_text
from customers.importing.problems import CellError
from customers.models import Customer
from portal.links import link_redeem

USERNAME_PREFIX = "customer-"


class LinkAlreadyUsed(Exception):
    """The link was used, revoked or expired between loading the page and saving."""


def customer_login_key(text):
    """Return the canonical form of what a customer typed in the login box.

    An ID Pelanggan is matched without regard to case and returned as stored.
    A phone number in any notation becomes the ID Pelanggan of the one
    portal account it belongs to, or its E.164 form when several accounts
    share it. So the ID and every spelling of the phone give one key, and
    login lockouts, which count failures per key, count them together. Any
    other text comes back normalised and matches no account.
    """
    text = normalise_text(text or "")
    if not text:
        return ""

    numbers = list(Customer.objects.filter(number__iexact=text).values_list("number", flat=True)[:2])
    if text in numbers:
        return text
    if len(numbers) == 1:
        return numbers[0]

    try:
        phone = clean_phone(text)
    except CellError:
        return text
    if phone.extra_numbers:
        return text
    owners = list(customer_users_for_login(phone.e164).values_list("customer__number", flat=True)[:2])
    if len(owners) == 1:
        return owners[0]
    return phone.e164


def customer_users_for_login(key):
    """Return the active non-staff users whose customer has this ID Pelanggan
    or this E.164 phone number. Several customers may share one phone."""
    if not key:
        return get_user_model().objects.none()
    condition = Q(customer__number=key)
    if key.startswith("+"):
        condition |= Q(customer__phone=key)
    return get_user_model().objects.filter(condition, is_active=True, is_staff=False, is_superuser=False)


def customer_username(customer):
    """Return a free username for a new portal user of the customer.

    It is "customer-<pk>", or "customer-<pk>-2" and so on when a user that
    is no longer linked to the customer already has that name.
    """
    base = f"{USERNAME_PREFIX}{customer.pk}"
    taken = set(get_user_model().objects.filter(username__startswith=base).values_list("username", flat=True))
    username = base
    suffix = 1
    while username in taken:
        suffix += 1
        username = f"{base}-{suffix}"
    return username


def customer_user_for_password(customer):
    """Return the customer's portal user, a new unsaved one, or None when the
    linked user may not use the portal (deactivated, or staff).

    The new user carries the customer's name and e-mail so that the password
    validators can reject a password that resembles them. Its user.customer
    already returns the customer, before anything is saved, so that the
    portal's password validator can check the customer's ID and phone.
    """
    user = customer.user
    if user is not None:
        if not user.is_active or user.is_staff or user.is_superuser:
            return None
        return user
    user_model = get_user_model()
    user = user_model(
        username=customer_username(customer),
        first_name=customer.name[: user_model._meta.get_field("first_name").max_length],
        email=customer.email,
        is_staff=False,
    )
    # Fills the cache of the reverse one-to-one accessor without setting
    # customer.user, which customer_set_password() links after the save.
    Customer._meta.get_field("user").remote_field.set_cached_value(user, customer)
    return user


def customer_lockout_reset(customer):
    """Delete the failed portal logins counted against the customer's ID
    Pelanggan, and against their phone number unless another portal account
    shares it, from every client address.

    A phone counts failures under its own key when it names no account or
    several (see customer_login_key), and that key does not tell whose
    account was guessed at. So a shared phone's lockout stays: the customer
    logs in with their ID Pelanggan until it cools off, and the link does
    not reopen the phone to guessing against the other accounts.
    """
    keys = [customer.number]
    if customer.phone and not customer_users_for_login(customer.phone).exclude(customer=customer).exists():
        keys.append(customer.phone)
    for key in keys:
        axes_reset(username=portal_lockout_username(key))


def customer_set_password(link, user, password):
    """Use the link to set the password of the customer's portal user.

    `user` comes from customer_user_for_password(). A new user is saved and
    linked to the customer. The account's login lockout ends, because the
    admin who sent the link has vouched for the customer. Raises
    LinkAlreadyUsed, and changes nothing, when another request used the
    link first.
    """
    customer = link.customer
    with transaction.atomic():
        if not link_redeem(link):
            raise LinkAlreadyUsed
        user.set_password(password)
        user.save()
        customer_lockout_reset(customer)
        if customer.user_id != user.pk:
            # A queryset update writes no history row: the staff history shows
            # the customer's data, and the portal account is not part of it.
            Customer.objects.filter(pk=customer.pk).update(user=user)
            customer.user = user
    return user
