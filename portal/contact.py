"""The number a customer contacts about the portal: their Site's WhatsApp
number, shown on portal pages and in invitations so that an invitation from
an unknown number can be checked."""

from dataclasses import dataclass

from customers.selectors import format_phone, whatsapp_chat_url


@dataclass(frozen=True)
class SiteContact:
    """A Site's name with its contact number as shown (0812-…), and a link
    to it: the wa.me chat, or tel: for a number without WhatsApp."""

    site_name: str
    phone: str
    link_url: str
    is_whatsapp: bool


def site_contact(site):
    """Return the SiteContact of `site`, or None when it is None or has no contact number."""
    if site is None or not site.contact_phone:
        return None
    chat_url = whatsapp_chat_url(site.contact_phone)
    return SiteContact(
        site_name=site.name,
        phone=format_phone(site.contact_phone),
        link_url=chat_url or f"tel:{site.contact_phone}",
        is_whatsapp=bool(chat_url),
    )


def active_site_contacts():
    """Return the SiteContact of every active Site with a contact number, by Site name."""
    from sites.models import Site

    sites = Site.objects.filter(is_active=True).exclude(contact_phone="").order_by("name")
    return [site_contact(site) for site in sites]
