from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class ServicePackage(models.Model):
    """A speed tier with its monthly price in whole rupiah."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20)
    download_mbps = models.PositiveIntegerField(_("download (Mbps)"), validators=[MinValueValidator(1)])
    upload_mbps = models.PositiveIntegerField(_("upload (Mbps)"), validators=[MinValueValidator(1)])
    monthly_price = models.PositiveIntegerField(_("monthly price (Rp)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["monthly_price", "name"]
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="package_name_unique_ci"),
            models.UniqueConstraint(Lower("code"), name="package_code_unique_ci"),
        ]

    def __str__(self):
        return self.name

    @property
    def summary(self):
        """The name, speed and price as the package list shows them: "Home 20 Mbps · 20/10 Mbps · Rp200.000"."""
        return f"{self.name} · {self.download_mbps}/{self.upload_mbps} Mbps · Rp{intcomma(self.monthly_price)}"


class PackageAlias(models.Model):
    """Another name for a package, learned when an admin maps a spreadsheet
    value that matched nothing ("20M", "Paket Rumah 20") to an existing one."""

    package = models.ForeignKey(ServicePackage, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("name in the spreadsheet"), max_length=200)
    key = models.CharField(max_length=200, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("package alias")
        verbose_name_plural = _("package aliases")

    def __str__(self):
        return f"{self.name} → {self.package}"
