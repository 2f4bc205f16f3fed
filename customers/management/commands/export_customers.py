from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from customers.importing.export import (
    CSV_DELIMITERS,
    DEFAULT_CSV_DELIMITER,
    write_customers_csv,
    write_customers_workbook,
)
from customers.models import Customer


class Command(BaseCommand):
    help = "Write every customer to an .xlsx (or CSV) with the template's headers, ready to upload again."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .xlsx file to write (.csv with --csv)")
        parser.add_argument(
            "--csv",
            action="store_true",
            help=(
                "write UTF-8 CSV with a byte-order mark instead of an .xlsx workbook. Excel drops the leading "
                "zeros of digit-only ID Pelanggan and rounds 16-digit NIKs in a CSV, and the .xlsx keeps them"
            ),
        )
        parser.add_argument(
            "--delimiter",
            choices=sorted(CSV_DELIMITERS),
            help=(
                "CSV layout, with --csv only: semicolon (default) with decimal commas, for Excel in "
                "Indonesian regional settings, or comma with decimal points, for other programs"
            ),
        )
        parser.add_argument(
            "--include-nik", action="store_true", help="write full NIKs (personal data) instead of masked ones"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if options["delimiter"] and not options["csv"]:
            raise CommandError(_("--delimiter sets the layout of a CSV file. Add --csv, or leave out --delimiter."))
        customers = Customer.objects.all()
        if options["csv"]:
            delimiter = options["delimiter"] or DEFAULT_CSV_DELIMITER
            # The byte-order mark makes Excel read the file as UTF-8.
            with path.open("w", encoding="utf-8-sig", newline="") as out:
                write_customers_csv(customers, out, delimiter=delimiter, include_nik=options["include_nik"])
        else:
            with path.open("wb") as out:
                write_customers_workbook(customers, out, include_nik=options["include_nik"])
        self.stdout.write(_("Customers written: %(count)s, to %(path)s") % {"count": customers.count(), "path": path})
