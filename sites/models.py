from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Site(models.Model):
    """A branch, POP or service area of the ISP."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20)
    address = models.TextField(_("address"), blank=True)
    # Stored as E.164 (+62…), cleaned as customer phones are.
    contact_phone = models.CharField(
        _("WhatsApp number for customers"),
        max_length=20,
        blank=True,
        help_text=_(
            "Shown to this Site's customers in the portal and in their invitations, so they know whom to contact."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_sites",
        verbose_name=_("site admins"),
        help_text=_("Staff limited to this site. Admins see every site without being listed here."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        permissions = [("access_all_sites", _("Can see and manage every site"))]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="site_name_unique_ci"),
            models.UniqueConstraint(Lower("code"), name="site_code_unique_ci"),
        ]

    def __str__(self):
        return self.name


class SiteAlias(models.Model):
    """Another name for a site, learned when an admin maps a spreadsheet
    value that matched nothing ("Cbn Timur", "POP 2") to an existing site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("name in the spreadsheet"), max_length=200)
    key = models.CharField(max_length=200, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site alias")
        verbose_name_plural = _("site aliases")

    def __str__(self):
        return f"{self.name} → {self.site}"
