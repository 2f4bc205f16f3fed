import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.importing import batches, pipeline
from customers.importing.problems import FileRejected
from customers.models import ImportBatch, ImportProblem
from sites.models import Site

EXIT_UNREADABLE = 2

# The text output prints at most this many problems and this many notes.
# The --json output and the batch page list them all.
LISTED_FINDINGS = 20

# Finding kinds printed as notes: they do not stop a row from being saved.
NOTE_KINDS = ("note", "conflict")


class Command(BaseCommand):
    help = (
        "Import customers from a workbook (.xlsx, .xlsm, .csv, .xls, .ods) as the upload page does: "
        "save the valid rows, then print the counts, the problems (rows not saved) and the notes "
        f"(such as possible duplicates and unknown Site or Paket names), at most {LISTED_FINDINGS} of each. "
        "The batch page and --json list them all."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the workbook or CSV file")
        parser.add_argument(
            "--site",
            help="site of the new customers (code or name); a stored customer moves to it only when its row "
            "fills in the Site column",
        )
        parser.add_argument(
            "--sheet",
            help="name of the sheet to read, in place of the sheet that the import picks (the first visible "
            "sheet with a customer header row, sheets named like Pelanggan first)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row but save nothing")
        parser.add_argument(
            "--update", action="store_true", help="create-and-update mode: rows with a known ID update that customer"
        )
        parser.add_argument(
            "--skip-possible-duplicates",
            action="store_true",
            help="leave out the new rows noted as possible duplicates (the same phone or NIK as a stored customer "
            "or another row, under another ID or name) instead of saving them as new customers; they are listed "
            "under skipped",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="print one JSON object with the counts, every problem (errors), every note (notes) and every "
            "skipped possible duplicate (skipped)",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            self._unreadable(_("File not found: %(path)s") % {"path": path})
        site = None
        if options["site"]:
            site = Site.objects.filter(Q(code__iexact=options["site"]) | Q(name__iexact=options["site"])).first()
            if site is None:
                raise CommandError(
                    _("Site “%(site)s” not found. Use a site code or name.") % {"site": options["site"]}
                )
        mode = ImportBatch.Mode.UPDATE if options["update"] else ImportBatch.Mode.CREATE

        try:
            with path.open("rb") as handle:
                batch = batches.create_batch(handle, path.name, site=site, mode=mode, sheet=options["sheet"] or "")
        except FileRejected as error:
            self._unreadable(error.message)

        batch.skip_possible_duplicates = options["skip_possible_duplicates"]
        result, note_messages = self._run(batch, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
        else:
            self._print_summary(result, note_messages)

    def _run(self, batch, *, dry_run):
        """Check or save the batch and return (result, note messages).

        `result` is the --json output. The note messages are those of the
        text output, which reports a saved change as done ("was changed
        to") where the --json messages, like the review page, announce it.
        """
        try:
            plan = pipeline.build_plan(
                batch.file.path,
                batch.file_name,
                site=batch.site,
                update_mode=batch.mode == ImportBatch.Mode.UPDATE,
                sheet=batch.sheet or None,
            )
        except FileRejected as error:
            if dry_run:
                _discard(batch)
            else:
                batches._fail(batch, error)
            customer_sheets = pipeline.customer_sheet_entries(error.customer_sheets)
            self._unreadable("\n".join([error.message, *_other_sheet_lines(customer_sheets, error.unchecked_sheets)]))

        if dry_run:
            # A check leaves nothing behind: no batch in the import history
            # that someone could save later, and no stored file.
            pipeline.review_plan(plan)
            if batch.skip_possible_duplicates:
                pipeline.skip_possible_duplicates(plan.rows)
            counts = pipeline.result_counts(plan)
            _discard(batch)
        else:
            # The customers, the findings and the batch's state are saved together.
            with transaction.atomic():
                pipeline.commit_plan(plan, batch)
                batch.state = ImportBatch.State.DONE
                counts = batches.store_findings(batch, plan, saved=True)
                batch.created_count = counts["new"]
                batch.save(update_fields=["state", "created_count", "skip_possible_duplicates"])

        errors = []
        notes = []
        skipped = []
        note_messages = []
        for kind, problem in plan.findings():
            finding = {
                "row": problem.row, "column": str(problem.column), "value": problem.value,
                "message": problem.message, "code": problem.code,
            }
            if kind == "problem":
                errors.append(finding)
            elif kind == ImportProblem.Kind.SKIPPED:
                skipped.append(finding)
            elif kind in NOTE_KINDS:
                notes.append({**finding, "kind": kind})
                note_messages.append(problem.message if dry_run else problem.saved_message)
        result = {
            "rows": counts["rows"],
            "created": 0 if dry_run else counts["new"],
            "updated": 0 if dry_run else counts["update"],
            "duplicates": counts["present"],
            "errors": errors,
            "notes": notes,
            "skipped": skipped,
            "batch": None if dry_run else str(batch.pk),
            "dry_run": dry_run,
            "would_create": counts["new"],
            "would_update": counts["update"],
            "incomplete": counts["incomplete"],
            "other_customer_sheets": pipeline.customer_sheet_entries(plan.other_customer_sheets),
            "unchecked_sheets": plan.unchecked_sheets,
        }
        return result, note_messages

    def _print_summary(self, result, note_messages):
        counts = {
            "rows": result["rows"],
            "new": result["would_create"],
            "updated": result["would_update"],
            "present": result["duplicates"],
            # A row may have several problems, each listed below the summary.
            "problems": len({error["row"] for error in result["errors"]}),
        }
        if result["dry_run"]:
            summary = _(
                "Rows read: %(rows)s. Check only, nothing was saved. New customers to save: %(new)s; "
                "to update: %(updated)s; already present: %(present)s; rows with problems: %(problems)s."
            )
        else:
            summary = _(
                "Rows read: %(rows)s. New customers saved: %(new)s; updated: %(updated)s; "
                "already present: %(present)s; rows with problems: %(problems)s."
            )
        self.stdout.write(summary % counts)
        if result["skipped"]:
            self.stdout.write(
                ngettext(
                    "Possible duplicates skipped, not saved: %(counter)s row.",
                    "Possible duplicates skipped, not saved: %(counter)s rows.",
                    len(result["skipped"]),
                )
                % {"counter": len(result["skipped"])}
            )
        error_messages = [error["message"] for error in result["errors"]]
        self._print_findings(_("Problems (rows not saved):"), error_messages, result["batch"], "problem")
        skipped_messages = [finding["message"] for finding in result["skipped"]]
        self._print_findings(_("Possible duplicates skipped:"), skipped_messages, result["batch"], "skipped")
        self._print_findings(_("Notes:"), note_messages, result["batch"], "note")
        for line in _other_sheet_lines(result["other_customer_sheets"], result["unchecked_sheets"]):
            self.stdout.write(line)
        if result["batch"] is not None:
            self.stdout.write(_("Import batch: %(batch)s") % {"batch": result["batch"]})

    def _print_findings(self, heading, messages, batch, kind):
        """Print a heading and the first LISTED_FINDINGS messages of findings,
        then how many more there are and where to see them."""
        if not messages:
            return
        self.stdout.write(heading)
        for message in messages[:LISTED_FINDINGS]:
            self.stdout.write(f"  {message}")
        hidden = len(messages) - LISTED_FINDINGS
        if hidden <= 0:
            return
        if batch is None:
            more = _("… and %(count)s more. Run the command with --json to list them all.") % {"count": hidden}
        else:
            path = reverse("customers:batch-detail", args=[batch]) + f"?kind={kind}"
            more = _("… and %(count)s more, all listed on the batch page %(path)s") % {"count": hidden, "path": path}
        self.stdout.write(f"  {more}")

    def _unreadable(self, message):
        """Report a file that cannot be read at all and exit with status 2."""
        self.stderr.write(message)
        sys.exit(EXIT_UNREADABLE)


def _other_sheet_lines(customer_sheets, unchecked_sheets):
    """Return the lines naming the other sheets that this run did not read:
    each that looks like a customer list (entries of {"name", "rows"}), then
    those not checked, then how to read one of them."""
    lines = []
    for sheet in customer_sheets:
        if sheet["rows"] is None:
            lines.append(_("Sheet “%(sheet)s” also looks like a customer list and was not read.") % {"sheet": sheet["name"]})
        else:
            lines.append(
                ngettext(
                    "Sheet “%(sheet)s” also looks like a customer list (about %(counter)s row) and was not read.",
                    "Sheet “%(sheet)s” also looks like a customer list (about %(counter)s rows) and was not read.",
                    sheet["rows"],
                )
                % {"sheet": sheet["name"], "counter": sheet["rows"]}
            )
    if unchecked_sheets:
        lines.append(
            _("These sheets were not checked for customer columns, because the file has too many sheets: %(sheets)s.")
            % {"sheets": ", ".join(unchecked_sheets)}
        )
    if lines:
        lines.append(_("Run the command again with --sheet NAME to import another sheet."))
    return lines


def _discard(batch):
    """Delete a batch and its stored file."""
    batch.file.delete(save=False)
    batch.delete()
