"""The bulk change history and the undo of a bulk change."""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers import bulk_undo
from customers.importing.pipeline import site_scope
from customers.models import BulkChange
from ebilling.access import is_admin, staff_required

logger = logging.getLogger(__name__)

BULK_CHANGES_PER_PAGE = 50
# Customers listed on the undo page under each heading. The counts cover all of them.
UNDO_LIST_LIMIT = 500


def visible_bulk_changes(user):
    """Bulk changes the staff user may see and undo: all for an admin, the
    ones they made for a site admin."""
    changes = BulkChange.objects.select_related("created_by", "undone_by", "package", "site")
    if is_admin(user):
        return changes
    return changes.filter(created_by=user)


@staff_required
def bulk_change_list(request):
    """List the recent bulk changes, newest first, with their undo links."""
    page = Paginator(visible_bulk_changes(request.user), BULK_CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "customers/bulk_change_list.html", {"page": page})


@staff_required
def bulk_change_undo(request, pk):
    """Show what undoing the bulk change would do, and do it on POST."""
    bulk_change = get_object_or_404(visible_bulk_changes(request.user), pk=pk)
    site_ids = site_scope(request.user)

    if request.method == "POST":
        try:
            restored = bulk_undo.undo_bulk_change(bulk_change, request.user, site_ids)
        except bulk_undo.BulkUndoBlocked:
            logger.info("Undo of bulk change %s by user %s rejected: later bulk changes block it", bulk_change.pk, request.user.pk)
            messages.error(request, _("Nothing was undone. Undo the later bulk changes listed below first."))
            return redirect("customers:bulk-undo", pk=bulk_change.pk)
        except bulk_undo.BulkUndoNotAllowed as error:
            logger.info(
                "Undo of bulk change %s by user %s rejected: %s",
                bulk_change.pk,
                request.user.pk,
                "already undone" if error.already_undone else "nothing to restore",
            )
            if error.already_undone:
                messages.info(request, _("This bulk change was already undone, so nothing was changed."))
            else:
                messages.error(request, _("No customer of this bulk change can get its old value back, so nothing was changed."))
            return redirect("customers:bulk-undo", pk=bulk_change.pk)
        bulk_change.refresh_from_db(fields=["undone_at"])
        if bulk_change.undone_at is None:
            message = ngettext(
                "Bulk change partly undone: %(count)s customer got its old value back. Customers outside "
                "your sites stay as they are until an admin undoes the rest.",
                "Bulk change partly undone: %(count)s customers got their old values back. Customers outside "
                "your sites stay as they are until an admin undoes the rest.",
                restored,
            )
        else:
            message = ngettext(
                "Bulk change undone: %(count)s customer got its old value back.",
                "Bulk change undone: %(count)s customers got their old values back.",
                restored,
            )
        messages.success(request, message % {"count": number_format(restored, force_grouping=True)})
        return redirect("customers:bulk-list")

    plan = None
    openable = set()
    if bulk_change.undone_at is None:
        plan = bulk_undo.plan_bulk_undo(bulk_change, site_ids, list_limit=UNDO_LIST_LIMIT)
    if plan is not None and plan.blocked:
        # Link only the later bulk changes whose undo page the user may open.
        later_pks = [later.pk for later in plan.later_changes]
        openable = set(visible_bulk_changes(request.user).filter(pk__in=later_pks).values_list("pk", flat=True))
    return render(
        request,
        "customers/bulk_change_undo.html",
        {"bulk_change": bulk_change, "plan": plan, "list_limit": UNDO_LIST_LIMIT, "openable_changes": openable},
    )
