from ebilling.access import is_admin


def access(request):
    """Add `user_is_admin`, so templates offer admin-only links only to admins."""
    user = getattr(request, "user", None)
    return {"user_is_admin": user is not None and is_admin(user)}
