"""Hooks for django-axes: the client address behind a proxy, a log
description of a login attempt without the typed username, and the
lockout page."""

import hashlib

from django.conf import settings
from django.shortcuts import render


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
    """Return the text django-axes logs for a login attempt."""
    return f"username sha256:{username_digest(username)} from {ip_address} at {path_info}"


def lockout_response(request, original_response=None, credentials=None):
    """Render the lockout page with status 429, for the staff and portal logins alike.

    A customer logs in with their ID Pelanggan or phone number, not a
    username, so the page recognises the portal login by its URL namespace.
    """
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cooloff.total_seconds() / 60)) if cooloff else 0
    match = request.resolver_match
    context = {"cooloff_minutes": minutes, "is_portal": match is not None and match.namespace == "portal"}
    return render(request, "audit/locked_out.html", context, status=429)
