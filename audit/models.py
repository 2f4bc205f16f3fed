"""Records of access to personal data, kept apart from the customer tables."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NikReveal(models.Model):
    """One showing of a customer's full NIK to a staff user.

    The customer number and the username are copied, so the record still
    says who saw whose NIK after either row is deleted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("user")
    )
    username = models.CharField(_("username"), max_length=150)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("customer")
    )
    customer_number = models.CharField(_("customer ID"), max_length=30)
    revealed_at = models.DateTimeField(_("revealed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-revealed_at"]
        verbose_name = _("NIK reveal")
        verbose_name_plural = _("NIK reveals")

    def __str__(self):
        return f"{self.username} → {self.customer_number} ({self.revealed_at:%Y-%m-%d %H:%M})"
