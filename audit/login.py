"""Hooks for django-axes: the name a login attempt counts under, the
client address behind a proxy, a log description of a login attempt
without the typed username, and the lockout page."""

import hashlib

from django.conf import settings
from django.shortcuts import render

# Staff and portal logins count failures under separate names, so a customer
# ID typed at the staff login never locks that customer's portal account.
STAFF_LOCKOUT_PREFIX = "staff:"
PORTAL_LOCKOUT_PREFIX = "portal:"


def is_portal_request(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace == "portal"


def portal_lockout_username(key):
    """Return the name that portal login failures with a customer_login_key() key count under."""
    return PORTAL_LOCKOUT_PREFIX + key


def lockout_username(request, credentials=None):
    """Return the name django-axes counts a login attempt under, or None
    when no username was given.

    A portal attempt counts under "portal:" and its customer_login_key(), so
    every spelling of one account adds up. A staff attempt counts under
    "staff:" and the username as typed.
    """
    credentials = credentials or {}
    if credentials.get("portal"):
        return portal_lockout_username(credentials.get("username") or "")

    typed = request.POST.get("username") if request is not None else None
    if is_portal_request(request):
        # After a successful portal login django-axes passes the internal
        # username "customer-<pk>", so the typed text gives the key instead.
        from portal.accounts import customer_login_key

        return portal_lockout_username(customer_login_key(typed or ""))

    username = credentials.get("username", typed)
    return STAFF_LOCKOUT_PREFIX + username if username else None


def client_ip_address(request):
    """Return the address of the client that sent `request`.

    Behind the TLS proxy (BEHIND_TLS_PROXY=1) REMOTE_ADDR is the proxy's own
    address, so the last X-Forwarded-For entry is used instead: the one the
    proxy appended, which a client cannot forge. Earlier entries come from
    the client and are ignored.
    """
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if entries:
            return entries[-1]
    return request.META.get("REMOTE_ADDR")


def username_digest(username):
    """Return a short SHA-256 digest of a typed username, for logs.

    People type phone numbers, customer IDs or even a NIK as their
    username, so logs carry this digest. It distinguishes repeated attempts
    on the same name without storing the name.
    """
    if not username:
        return "-"
    return hashlib.sha256(username.encode("utf-8", errors="replace")).hexdigest()[:12]


def client_description(username, ip_address, user_agent, path_info, request):
    """Return the text django-axes logs for a login attempt.

    The digest covers the name without its lockout prefix, and the path
    shows which login it was.
    """
    for prefix in (STAFF_LOCKOUT_PREFIX, PORTAL_LOCKOUT_PREFIX):
        if username and username.startswith(prefix):
            username = username.removeprefix(prefix)
            break
    return f"username sha256:{username_digest(username)} from {ip_address} at {path_info}"


def lockout_response(request, original_response=None, credentials=None):
    """Render the lockout page with status 429, for the staff and portal logins alike.

    A customer logs in with their ID Pelanggan or phone number, not a
    username, so the page recognises the portal login by its URL namespace.
    """
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cooloff.total_seconds() / 60)) if cooloff else 0
    context = {"cooloff_minutes": minutes, "is_portal": is_portal_request(request)}
    return render(request, "audit/locked_out.html", context, status=429)
