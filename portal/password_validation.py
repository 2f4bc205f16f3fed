"""Password validators for customer portal accounts: no ID Pelanggan or
phone number in the password, and a similarity check in the customer's words.

A customer logs in with their ID Pelanggan or phone number, and other
people can easily learn both, so a password that contains either is easy
to guess.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ebilling.password_validation import UserAttributeSimilarityValidator
from portal.access import portal_customer

# Separators people type inside an ID or a phone number: "PLG-0001", "0812 3456-7890", "+62 (812)".
_SEPARATORS = re.compile(r"[\s\-./()+_]")

# IDs and phone numbers shorter than this are not checked, because passwords
# would too often contain them by chance (ID "12" is in "kabel-2012").
MIN_IDENTIFIER_LENGTH = 4


def _fold(text):
    return _SEPARATORS.sub("", text).casefold()


def _national_phone_digits(e164):
    """Return the national number of a stored E.164 phone, without the trunk 0 (81234567890), or ""."""
    if not e164:
        return ""
    try:
        return str(phonenumbers.parse(e164, "ID").national_number)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", e164)


class CustomerIdentifierValidator:
    """Reject a password that contains the ID Pelanggan or the phone number
    of the customer whose portal account `user` is.

    The phone matches in any notation (0812…, 62812…, +62 812-…), because its
    national number is searched. Staff, users without a customer and
    `user=None` always pass.
    """

    def applies_to(self, user):
        return user is not None and portal_customer(user) is not None

    def validate(self, password, user=None):
        if not self.applies_to(user):
            return
        customer = portal_customer(user)
        folded = _fold(password)

        number = _fold(customer.number)
        if len(number) >= MIN_IDENTIFIER_LENGTH and number in folded:
            raise ValidationError(
                _("The password contains your customer ID. Choose a password without it."),
                code="password_contains_customer_number",
            )

        phone = _national_phone_digits(customer.phone)
        if len(phone) >= MIN_IDENTIFIER_LENGTH and phone in folded:
            raise ValidationError(
                _("The password contains your phone number. Choose a password without it."),
                code="password_contains_phone",
            )

    def get_help_text(self):
        return _("Your password must not contain your customer ID or phone number.")


class CustomerAttributeSimilarityValidator(UserAttributeSimilarityValidator):
    """Django's similarity check, which for a portal customer compares the
    password with their name, e-mail, ID Pelanggan and phone number.

    Django's message names the user field, such as "first name", where a
    customer's full name is stored. A customer's internal username
    "customer-<pk>" is not compared, because no login accepts it and the
    customer is never shown it. The ID and phone, which are the customer's login
    names, take its place.
    """

    def validate(self, password, user=None):
        customer = portal_customer(user) if user is not None else None
        if customer is None:
            super().validate(password, user)
            return

        for values, message in self._customer_values(password, user, customer):
            if any(self._too_similar(password, value) for value in values if value):
                raise ValidationError(message, code="password_too_similar")

    def _customer_values(self, password, user, customer):
        """Return (values, message) pairs, one for each kind of customer data.

        An ID or phone number inside the password is left out, because
        CustomerIdentifierValidator reports it already.
        """
        folded = _fold(password)
        number = customer.number if _fold(customer.number) not in folded else ""
        phone = _national_phone_digits(customer.phone)
        phone = "0" + phone if phone and phone not in folded else ""
        return [
            ((customer.name, user.first_name, user.last_name), _("The password is too similar to your name.")),
            ((customer.email, user.email), _("The password is too similar to your e-mail address.")),
            ((number,), _("The password is too similar to your customer ID.")),
            ((phone,), _("The password is too similar to your phone number.")),
        ]
