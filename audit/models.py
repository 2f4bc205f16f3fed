"""Records of access to personal data, kept apart from the customer tables."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NikReveal(models.Model):
    """One showing of full NIKs to a staff user: a customer's NIK, or the
    NIKs in one page of an import batch's findings.

    The customer number, the batch's file name and the username are copied,
    so the record still shows who saw whose NIK after either row is deleted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("user")
    )
    username = models.CharField(_("username"), max_length=150)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("customer")
    )
    customer_number = models.CharField(_("customer ID"), max_length=30, blank=True)
    batch = models.ForeignKey(
        "customers.ImportBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import batch"),
    )
    batch_file_name = models.CharField(_("file name"), max_length=200, blank=True)
    # The sheet rows of the batch's findings whose full NIK was shown, comma-separated.
    rows = models.TextField(_("sheet rows"), blank=True)
    revealed_at = models.DateTimeField(_("revealed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-revealed_at"]
        verbose_name = _("NIK reveal")
        verbose_name_plural = _("NIK reveals")

    def __str__(self):
        subject = self.customer_number or self.batch_file_name
        return f"{self.username} → {subject} ({self.revealed_at:%Y-%m-%d %H:%M})"
