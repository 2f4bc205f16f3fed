import time

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from regions.loading import load_regions


class Command(BaseCommand):
    help = (
        "Load Indonesia's provinces, regencies/cities, districts and villages from regions/data "
        "(idn-area-data 4.0.1, Open Database License). Does nothing when the counts already match."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="write every row even when the counts match, to apply renamed regions or new parents",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to load into")

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = load_regions(force=options["force"], using=options["database"])
        elapsed = time.perf_counter() - started

        counts = ", ".join(f"{count} {label}" for label, count in result.counts.items())
        if result.written:
            self.stdout.write(f"Regions loaded in {elapsed:.1f} s: {counts}.")
        else:
            self.stdout.write(f"Regions already loaded, nothing written: {counts}.")
