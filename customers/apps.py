from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        # The format readers load only when a file is read, which happens in
        # the worker, but their rejection messages are shown by the web pages.
        from customers.importing.readers import delimited, xls  # noqa: F401
