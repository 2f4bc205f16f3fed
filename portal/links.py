"""Create, find and redeem the single-use links that let a customer set a password.

A link carries a random token of 256 bits. The database stores only its
SHA-256 digest: the token is long and random enough that a fast hash cannot
be reversed, unlike a password, which needs a slow one.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from customers.selectors import whatsapp_chat_url
from portal.contact import site_contact
from portal.models import PortalLink

TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedLink:
    """A link just created: the stored row and the token, which exists only here."""

    link: PortalLink
    token: str

    @property
    def path(self):
        return reverse("portal:link", kwargs={"token": self.token})


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_purpose_for(customer):
    """Return INVITATION for a customer without a portal password, PASSWORD_RESET otherwise."""
    user = customer.user
    if user is not None and user.has_usable_password():
        return PortalLink.Purpose.PASSWORD_RESET
    return PortalLink.Purpose.INVITATION


def link_create(customer, *, created_by=None, purpose=None, now=None):
    """Create a link for the customer and revoke their older unused links.

    The purpose defaults to link_purpose_for(customer). The link expires
    after settings.PORTAL_INVITATION_DAYS days.
    """
    now = now or timezone.now()
    purpose = purpose or link_purpose_for(customer)
    token = secrets.token_urlsafe(TOKEN_BYTES)

    with transaction.atomic():
        PortalLink.objects.filter(customer=customer).usable(now).update(revoked_at=now)
        link = PortalLink.objects.create(
            customer=customer,
            purpose=purpose,
            token_hash=hash_token(token),
            created_by=created_by,
            expires_at=now + datetime.timedelta(days=settings.PORTAL_INVITATION_DAYS),
        )
    return IssuedLink(link=link, token=token)


def link_find(token, now=None):
    """Return the usable link of a token, or None when it is unknown, used,
    revoked or expired."""
    if not token or len(token) > 100:
        return None
    return PortalLink.objects.usable(now).select_related("customer__user").filter(token_hash=hash_token(token)).first()


def link_redeem(link, now=None):
    """Mark the link used and return whether this call was the one that used it.

    The conditional UPDATE lets exactly one of two simultaneous requests win,
    so a link sets a password at most once.
    """
    now = now or timezone.now()
    redeemed = PortalLink.objects.filter(pk=link.pk).usable(now).update(used_at=now)
    return redeemed == 1


def absolute_url(path, base_url=None):
    """Join a path to PORTAL_BASE_URL, or to `base_url` when given."""
    base = (base_url or settings.PORTAL_BASE_URL).rstrip("/")
    return base + path


def whatsapp_message(issued, url):
    """Return the WhatsApp text for a link, always in the site's default
    language (Indonesian), whatever language the admin's screen uses."""
    customer = issued.link.customer
    with translation.override(settings.LANGUAGE_CODE):
        expiry = expiry_text(issued.link.expires_at)
        params = {"name": customer.name, "number": customer.number, "url": url, "expiry": expiry}
        if issued.link.purpose == PortalLink.Purpose.PASSWORD_RESET:
            message = gettext(
                "Hello %(name)s, open this link to set a new password for the customer portal "
                "(customer ID %(number)s): %(url)s. The link works once and is valid until %(expiry)s."
            ) % params
        else:
            message = gettext(
                "Hello %(name)s, you are invited to the customer portal (customer ID %(number)s). "
                "Open this link to set your password: %(url)s. The link works once and is valid until %(expiry)s."
            ) % params
        return _with_site_contact(message, site_contact(customer.site))


def expiry_text(moment):
    """Return `moment` in TIME_ZONE as "13 Desember 2026 07:49 WIB" in the
    active language. A zone without a lettered abbreviation, which the time
    zone database writes as "+04", is named by its offset, as "UTC+04:00"."""
    local = timezone.localtime(moment)
    zone = local.tzname()
    if not zone or zone[0] in "+-":
        offset = local.strftime("%z")
        zone = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{date_format(local, 'j F Y H:i')} {zone}"


def _with_site_contact(message, contact):
    """Return the message with the Site's contact number added, so that the
    customer can check an invitation from a number they do not know."""
    if contact is None:
        return message
    params = {"site": contact.site_name, "phone": contact.phone, "url": contact.link_url}
    if contact.is_whatsapp:
        note = gettext("Sent by the admin of Site %(site)s. Questions: WhatsApp %(phone)s (%(url)s).")
    else:
        note = gettext("Sent by the admin of Site %(site)s. Questions: call %(phone)s.")
    return f"{message} {note % params}"


def whatsapp_url(phone, message):
    """Return a wa.me link that opens WhatsApp with the message ready to send.

    wa.me expects the international number in digits only, without "+". A
    customer without a phone number gets a link on which the admin picks the
    contact in WhatsApp.
    """
    digits = "".join(char for char in phone or "" if char.isdigit())
    return f"https://wa.me/{digits}?text={quote(message, safe='')}"


def whatsapp_invitation_url(phone, message):
    """Return the wa.me link that sends a link's message to the customer.

    A landline, a foreign fixed line or a missing number has no WhatsApp
    chat, so its link leaves the number out and the admin picks the contact.
    """
    return whatsapp_url(phone if whatsapp_chat_url(phone) else "", message)
