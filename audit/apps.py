from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Personal data audit")

    def ready(self):
        # Workbook XML is parsed by openpyxl, which resists entity attacks
        # (billion laughs, external entities) only through defusedxml. Every
        # process that loads Django, web or worker, stops here without it.
        from customers.importing.gate import ensure_defused_xml

        ensure_defused_xml()
