"""Portal links (invitations and password resets) and customers' change requests."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalLinkQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Links that are neither used, revoked nor expired."""
        now = now or timezone.now()
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class PortalLink(models.Model):
    """A single-use link through which a customer sets their portal password.

    Only the SHA-256 hex digest of the link's token is stored. The token
    itself exists only in the URL handed to the admin once, so a copy of the
    database cannot be turned into working links.
    """

    class Purpose(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        PASSWORD_RESET = "reset", _("Password reset")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_links", verbose_name=_("customer")
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer link for the same customer replaces this one.
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PortalLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")
        indexes = [models.Index(fields=["customer", "used_at", "revoked_at"])]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.customer_id} ({self.created_at:%Y-%m-%d %H:%M})"


REJECT_REASON_MAX_LENGTH = 300


class ChangeRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=ChangeRequest.Status.PENDING)


class ChangeRequest(models.Model):
    """A customer's request to change their NIK, phone number or service
    package, which takes effect only when staff approve it."""

    class Field(models.TextChoices):
        NIK = "nik", _("NIK")
        PHONE = "phone", _("Phone / WhatsApp")
        PACKAGE = "package", _("Package")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        # A newer request of the customer for the same data took its place.
        REPLACED = "replaced", _("Replaced")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("customer")
    )
    field = models.CharField(_("data"), max_length=10, choices=Field.choices)
    # The cleaned value: 16 NIK digits, a phone number in E.164 (+62…), or
    # the requested package's name at request time, which lists show once
    # the package is deleted.
    new_value = models.CharField(_("new value"), max_length=100)
    # The requested package of a package request. A deleted package leaves
    # it null, and change_request_approve() then rejects the approval.
    package = models.ForeignKey(
        "packages.ServicePackage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("package"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Shown to the customer on the portal, so they know what to fix.
    reject_reason = models.CharField(_("reason for rejection"), max_length=REJECT_REASON_MAX_LENGTH, blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        constraints = [
            # A newer request for the same field replaces the pending one, so
            # staff never approve two values for one field.
            models.UniqueConstraint(
                fields=["customer", "field"], condition=Q(status="pending"), name="change_request_one_pending"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.customer_id} {self.field} ({self.status})"

    @property
    def masked_new_value(self):
        """The requested value for lists: a NIK masked, a phone number
        written the Indonesian way (0812-3456-7890), a package by name."""
        from customers.models import mask_nik
        from customers.selectors import format_phone

        if self.field == self.Field.NIK:
            return mask_nik(self.new_value)
        if self.field == self.Field.PACKAGE:
            return self.package_name
        return format_phone(self.new_value)

    @property
    def package_name(self):
        """The requested package's current name. Once the package is
        deleted, the name it had when requested, marked as deleted."""
        if self.package is not None:
            return self.package.name
        return _("%(package)s (deleted package)") % {"package": self.new_value}
