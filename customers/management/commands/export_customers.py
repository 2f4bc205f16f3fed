from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from customers.importing.export import write_customers_csv, write_customers_workbook
from customers.models import Customer


class Command(BaseCommand):
    help = "Write every customer to an .xlsx (or CSV) with the template's headers, ready to upload again."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .xlsx file to write (.csv with --csv)")
        parser.add_argument("--csv", action="store_true", help="write UTF-8 CSV instead of an .xlsx workbook")
        parser.add_argument(
            "--include-nik", action="store_true", help="write full NIKs (personal data) instead of masked ones"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        customers = Customer.objects.all()
        if options["csv"]:
            # The byte-order mark makes Excel read the file as UTF-8.
            with path.open("w", encoding="utf-8-sig", newline="") as out:
                write_customers_csv(customers, out, include_nik=options["include_nik"])
        else:
            with path.open("wb") as out:
                write_customers_workbook(customers, out, include_nik=options["include_nik"])
        self.stdout.write(_("Customers written: %(count)s, to %(path)s") % {"count": customers.count(), "path": path})
