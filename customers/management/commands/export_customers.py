from pathlib import Path

from django.core.management.base import BaseCommand

from customers.importing.export import write_customers_workbook
from customers.models import Customer


class Command(BaseCommand):
    help = "Write every customer to an .xlsx with the template's headers, ready to upload again."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .xlsx file to write")
        parser.add_argument(
            "--include-nik", action="store_true", help="write full NIKs (personal data) instead of masked ones"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        customers = Customer.objects.all()
        with path.open("wb") as out:
            write_customers_workbook(customers, out, include_nik=options["include_nik"])
        self.stdout.write(f"{customers.count()} customers written to {path}")
