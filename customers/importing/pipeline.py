"""The customer import, stage by stage: gate, read, map headers, clean,
match, deduplicate, plan and (after confirmation) commit.

One pipeline serves the upload page, the review page, the task worker and
the import_customers command. `build_plan` reads and checks a file without
saving; `review_plan` classifies its rows against the database; `commit_plan`
saves the valid rows in one transaction.
"""

import logging
import os
from contextlib import closing
from dataclasses import dataclass, field, replace

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from customers.importing import dedupe, saving
from customers.importing.column_map import SAMPLE_ROWS_ON_REJECTION, SampleCollector, column_summary, learned_aliases
from customers.importing.readers.base import column_letter
from customers.importing.cleaners import NAME_MISSING
from customers.importing.forked import FAILED, ForkedCall, can_fork
from customers.importing.forked_cleaning import cleaned_rows
from customers.importing.footer_rows import FOOTER_SKIPPED, footer_column, footer_label
from customers.importing.gate import inspect_upload
from customers.importing.headers import TEMPLATE_HEADERS, map_headers
from customers.importing.matching import (
    PACKAGE_ALIAS_MATCHED,
    PACKAGE_NAME_CHOSEN,
    PACKAGE_UNKNOWN,
    PACKAGE_UNKNOWN_SUGGESTED,
    SITE_CONFLICT,
    SITE_CONFLICT_SITE_ADMIN,
    SITE_UNKNOWN,
    SITE_UNKNOWN_SUGGESTED,
    UNSAVED_CODES,
    UPDATE_CODES,
    load_catalogues,
)
from customers.importing.memory import release_free_memory
from customers.importing.numbers import next_numbers
from customers.importing.problems import FileRejected, Problem, register_file_message, register_row_message
from customers.importing.reader import NO_CUSTOMER_SHEET, SHEET_WITHOUT_HEADER, open_table
from customers.importing.regions import REGION_FIELDS, RegionResolver, region_finding
from customers.importing.rows import LEFT_OUT_CODE, LEFT_OUT_NOTE_CODE
from customers.importing.rt_rw import add_to_address, format_rt_rw
from customers.importing.template import EXAMPLE_NUMBER
from customers.models import Customer, ImportChange
from ebilling.access import is_admin, visible_sites

logger = logging.getLogger(__name__)

# Rows between two progress reports.
PROGRESS_EVERY = 2000
# Percentage points between two progress reports while a sheet is opened.
OPENING_STEP = 5
INSERT_CHUNK = 2000
# Plan rows with an Alamat or region columns from which a forked child
# process matches half of them to villages. Matching takes about 31 µs of
# CPU a row (benchmark workbook, 2-vCPU AMD EPYC), and at 20,000 rows the
# child saved the parent 0.2 s while it used 0.37 s itself, the difference
# being the fork's copied pages. Below it the saving nears that fixed cost.
REGION_FORK_MIN_ROWS = 20_000
# Unmatched Site or Paket names listed in the review, each kind on its own.
# Every row naming one still gets its own note among the findings.
UNMATCHED_LIST_LIMIT = 50


MISSING_REQUIRED = register_file_message(
    "missing_required",
    _(
        "The sheet %(sheet)s has no column %(missing)s. The header row (row %(header_row)s) must name "
        "at least Nama; the template's headers are: %(expected)s. To change stored customers only, "
        "upload in the mode Create and update: ID Pelanggan and the columns to change are then enough."
    ),
)
NO_CUSTOMER_ROWS = register_file_message(
    "no_customer_rows",
    _(
        "The sheet %(sheet)s has no customer rows below its header (row %(header_row)s). "
        "Fill in at least one customer, then upload the file again."
    ),
)
ONLY_EXAMPLE_ROW = register_file_message(
    "only_example_row",
    _(
        "The sheet %(sheet)s has only the template's example row (row %(row)s, “%(value)s”), which is never "
        "saved. Fill in your customers below it or in its place, then upload the file again."
    ),
)
EXAMPLE_SKIPPED = register_row_message(
    "example_skipped",
    _("Row %(row)s: the template's example row (“%(value)s”) was skipped."),
)

TOO_FEW_COLUMNS = register_file_message(
    "too_few_columns",
    _(
        "The sheet %(sheet)s (header on row %(header_row)s) has a name column but none of %(expected)s, "
        "so it does not look like a customer list. Add at least one of those columns, or use the Template Excel."
    ),
)
# Rejections of the header row that mapping a column by hand can resolve.
MAPPABLE_REJECTIONS = (MISSING_REQUIRED, TOO_FEW_COLUMNS, NO_CUSTOMER_SHEET)
# Rejections of the sheet that was read, which name the other sheets that
# may be read instead (FileRejected.customer_sheets and unchecked_sheets).
SHEET_REJECTIONS = (MISSING_REQUIRED, TOO_FEW_COLUMNS, NO_CUSTOMER_ROWS, ONLY_EXAMPLE_ROW, SHEET_WITHOUT_HEADER)


class HeaderRejected(FileRejected):
    """A file rejected for its header row alone. `columns` lists its header
    cells as column_summary() returns them, for mapping by hand.
    `header_first_row` is the first row of a header written over two rows,
    else the header row or None."""

    def __init__(self, code, columns, header_first_row=None, **params):
        super().__init__(code, **params)
        self.columns = columns
        self.header_first_row = header_first_row


# A customer sheet names people and at least one of these. A sheet with only
# "ID" and "Name" is far more often some other list than a customer list.
CUSTOMER_DETAIL_FIELDS = ("phone", "nik", "address", "site", "package")

# Cleaned value keys that are model fields as they are.
DIRECT_FIELDS = (
    "number", "name", "phone", "email", "nik", "address", "postal_code",
    "latitude", "longitude", "status", "installed_on", "notes",
)


@dataclass
class Plan:
    """A read and checked file: every row cleaned and matched, nothing saved."""

    format: str
    sheet_name: str
    other_sheets: list
    header_row: int
    labels: dict
    unknown_columns: list
    duplicate_columns: list
    hidden_rows: list
    rows: list = field(default_factory=list)
    file_findings: list = field(default_factory=list)
    unmatched_sites: dict = field(default_factory=dict)
    unmatched_packages: dict = field(default_factory=dict)
    update_mode: bool = False
    site_id: int = None
    # Every header cell, as column_summary() returns it.
    columns: list = field(default_factory=list)
    # Letters of the columns without a header that hold data but fill no field.
    blank_columns: list = field(default_factory=list)
    # (name, row estimate or None) of the other sheets that look like customer lists.
    other_customer_sheets: list = field(default_factory=list)
    # Names of the other sheets not searched for a header row (MAX_PROBED_SHEETS).
    unchecked_sheets: list = field(default_factory=list)
    # The first row of a header written over two rows, else header_row.
    header_first_row: int = None

    @property
    def rows_read(self):
        return len(self.rows)

    def rows_of(self, kind):
        return [row for row in self.rows if row.kind == kind]

    def findings(self):
        """Yield (kind, Problem) for every finding, file-level first, then by row."""
        yield from self.file_findings
        for row in self.rows:
            for problem in row.clean.problems:
                yield "problem", problem
            for note in row.clean.notes:
                yield "note", note
            yield from row.findings

    def row_customers(self):
        """Return {sheet row number: ID Pelanggan} of the rows with findings
        that are saved as new customers, update a customer or are already
        present. A new row without an ID gets one only when it is saved. A
        row of another person under a stored customer's ID is left out."""
        customers = {}
        for row in self.rows:
            if not (row.findings or row.clean.problems or row.clean.notes):
                continue
            if any(problem.code == dedupe.PRESENT_NUMBER_OTHER_NAME for _kind, problem in row.findings):
                continue
            if row.kind == dedupe.NEW and row.fields.get("number"):
                customers[row.clean.number] = row.fields["number"]
            elif row.kind in (dedupe.UPDATE, dedupe.PRESENT) and row.customer_number:
                customers[row.clean.number] = row.customer_number
        return customers

    def counts(self):
        """Return the rows of each kind, the new and updated customers that
        are still without a package or an Alamat, and the warnings' rows."""
        kinds = {dedupe.NEW: 0, dedupe.UPDATE: 0, dedupe.PRESENT: 0, dedupe.INVALID: 0}
        incomplete = 0
        possible_duplicates = 0
        name_changes = 0
        changes_not_saved = 0
        deleted_numbers = 0
        for row in self.rows:
            kinds[row.kind] += 1
            # The review's box counts new rows only, because an update row's
            # shared phone is noted but saves no second customer.
            if row.kind == dedupe.NEW and row.findings and any(
                problem.code in dedupe.POSSIBLE_DUPLICATE_CODES for _kind, problem in row.findings
            ):
                possible_duplicates += 1
            if row.kind == dedupe.UPDATE and row.findings and any(
                problem.code == dedupe.NAME_WILL_CHANGE for _kind, problem in row.findings
            ):
                name_changes += 1
            if row.kind == dedupe.PRESENT and row.findings and any(
                problem.code == dedupe.PRESENT_NUMBER_CHANGED for _kind, problem in row.findings
            ):
                changes_not_saved += 1
            if row.kind == dedupe.NEW and row.findings and any(
                problem.code in dedupe.DELETED_NUMBER_CODES for _kind, problem in row.findings
            ):
                deleted_numbers += 1
            if row.kind == dedupe.NEW and (not row.fields.get("package_id") or not row.fields.get("address")):
                incomplete += 1
            elif row.kind == dedupe.UPDATE and row.stays_incomplete:
                incomplete += 1
        return {
            "rows": self.rows_read,
            "new": kinds[dedupe.NEW],
            "update": kinds[dedupe.UPDATE],
            "present": kinds[dedupe.PRESENT],
            "invalid": kinds[dedupe.INVALID],
            "incomplete": incomplete,
            "possible_duplicates": possible_duplicates,
            "name_changes": name_changes,
            "changes_not_saved": changes_not_saved,
            "deleted_numbers": deleted_numbers,
        }

    def summary(self, *, saved=False):
        """Return the JSON-serialisable review summary stored on the batch.

        With `saved` (after the save), the unmatched names list only the
        rows saved as new or updated customers, and a name that no saved
        row uses is left out: those are the customers to fix by hand.
        """
        saved_rows = None
        if saved:
            saved_rows = {row.clean.number for row in self.rows if row.kind in (dedupe.NEW, dedupe.UPDATE)}

        def named_rows(entries):
            """Return (entry, its rows to list) for each entry with rows to list."""
            if saved_rows is None:
                return [(entry, entry.rows) for entry in entries.values()]
            pairs = [(entry, [number for number in entry.rows if number in saved_rows]) for entry in entries.values()]
            return [(entry, rows) for entry, rows in pairs if rows]

        def unmatched(pairs):
            # The most frequent names first. Python's sort is stable, so
            # names of equal count keep their order in the file.
            listed = sorted(pairs, key=lambda pair: len(pair[1]), reverse=True)
            return [
                {"value": entry.value, "rows": rows[:20], "count": len(rows), "suggestions": entry.suggestions}
                for entry, rows in listed[:UNMATCHED_LIST_LIMIT]
            ]

        sites = named_rows(self.unmatched_sites)
        packages = named_rows(self.unmatched_packages)
        return {
            "format": self.format,
            "sheet": self.sheet_name,
            "other_sheets": self.other_sheets,
            "customer_sheets": customer_sheet_entries(self.other_customer_sheets),
            "unchecked_sheets": self.unchecked_sheets,
            "header_row": self.header_row,
            "header_first_row": self.header_first_row or self.header_row,
            "unknown_columns": self.unknown_columns,
            "columns": self.columns,
            "duplicate_columns": self.duplicate_columns,
            "blank_columns": self.blank_columns,
            "hidden_rows": self.hidden_rows[:200],
            "hidden_row_count": len(self.hidden_rows),
            "unmatched_sites": unmatched(sites),
            "unmatched_site_count": len(sites),
            "unmatched_packages": unmatched(packages),
            "unmatched_package_count": len(packages),
            "unmatched_saved_only": saved,
            "counts": self.counts(),
        }


def customer_sheet_entries(sheets):
    """Return (name, row estimate or None) pairs as the JSON entries that
    batch summaries and the command's output store."""
    return [{"name": name, "rows": rows} for name, rows in sheets]


def _as_model_fields(values):
    fields = {name: values[name] for name in DIRECT_FIELDS if values.get(name) not in (None, "")}
    phone = fields.get("phone")
    if phone is not None and hasattr(phone, "e164"):
        fields["phone"] = phone.e164
    return fields


def build_plan(
    path,
    filename,
    *,
    site=None,
    update_mode=False,
    progress=None,
    row_total=None,
    column_overrides=None,
    learned=None,
    fallback_header=False,
    sheet=None,
    package_names=None,
):
    """Read, clean and match every row of the file at `path`. Save nothing.

    `row_total` is the number of rows an earlier read of the file found.
    Progress counts rows out of it, or else out of the reader's estimate.
    `column_overrides` are the fields chosen for columns in review (see
    map_headers). `learned` maps normalised headers to fields, by default
    every learned header alias. `fallback_header` and `sheet` are open_table()'s.
    `package_names` are the Paket names chosen in the batch's review (see
    ImportBatch.package_names).
    Raises FileRejected when the file cannot be read at all, and
    HeaderRejected when its header row lacks the columns it needs.
    """
    fmt = inspect_upload(path, filename)
    sites, packages = load_catalogues()
    if package_names:
        packages.map_names(package_names)
    if learned is None:
        learned = learned_aliases()
    # Rows whose address or region columns are matched to a village after
    # reading, and the region columns of those that have them, by position.
    region_rows = []
    region_columns = {}
    with open_table(path, fmt, filename, learned, fallback_header, sheet) as table:
        header_map = map_headers(table.header_cells, column_overrides, learned)
        samples = SampleCollector(header_map)
        _check_header_row(table, header_map, samples, update_mode)
        labels = {name: header_map.labels.get(name, TEMPLATE_HEADERS.get(name, name)) for name in TEMPLATE_HEADERS}
        # The street line has no column of its own: it is taken from Alamat.
        labels["street"] = capfirst(str(Customer._meta.get_field("street").verbose_name))
        plan = Plan(
            format=fmt,
            sheet_name=table.sheet_name,
            other_sheets=list(table.other_sheets),
            header_row=table.header_row,
            header_first_row=table.header_first_row,
            labels=labels,
            unknown_columns=list(header_map.unknown),
            duplicate_columns=list(header_map.duplicates),
            hidden_rows=[],
            update_mode=update_mode,
            site_id=site.pk if site else None,
        )
        opening = _OpeningReport(progress) if progress else None
        # The sheet rows of the template's example row, which is skipped.
        example_rows = []
        today = timezone.localdate()

        def read_rows():
            nonlocal opening
            for raw in table.rows(opening=opening):
                if opening is not None and opening.reported:
                    # The sheet is open: the bar switches to counting rows.
                    progress("reading", 0, table.row_estimate if row_total is None else row_total)
                    opening = None
                samples.add(raw.cells)
                yield raw

        rows = cleaned_rows(
            read_rows(), header_map, date1904=table.date1904, today=today, row_estimate=lambda: table.row_estimate
        )
        with closing(rows):
            for raw, clean in rows:
                if clean is None:
                    continue
                label = footer_label(raw.cells)
                if label is not None:
                    # A "Total" or "Jumlah" row is skipped with a note, like the example row.
                    column = footer_column(header_map, label)
                    footer = Problem(clean.number, column, str(raw.cells[label]).strip(), FOOTER_SKIPPED)
                    plan.file_findings.append(("note", footer))
                    continue
                if str(clean.values.get("number", "")).upper() == EXAMPLE_NUMBER.upper():
                    # The template's example row is skipped with a note. It is
                    # neither read as a customer nor counted as a problem row.
                    example = Problem(clean.number, labels["number"], EXAMPLE_NUMBER, EXAMPLE_SKIPPED)
                    plan.file_findings.append(("note", example))
                    example_rows.append(clean.number)
                    continue
                row = _plan_row(plan, clean, sites, packages, site)
                plan.rows.append(row)
                values = clean.values
                if row.fields.get("address") or any(values.get(name) for name in REGION_FIELDS):
                    columns = {name: values[name] for name in REGION_FIELDS if values.get(name)}
                    if columns:
                        region_columns[len(region_rows)] = columns
                    region_rows.append(row)
                # The row's model fields now contain what was kept of the
                # values. Dropping the per-cell dicts saved about 1.4 KB a row,
                # almost half of a plan (tracemalloc, 10,000-row benchmark file).
                clean.values = clean.cells = None
                # Most rows have no problems and no notes, and one shared empty
                # tuple costs nothing per row.
                clean.problems = clean.problems or ()
                clean.notes = clean.notes or ()
                if progress and len(plan.rows) % PROGRESS_EVERY == 0:
                    progress("reading", len(plan.rows))
        # The reader learns which rows are hidden while it reads them.
        plan.hidden_rows = list(table.hidden_rows)
        plan.columns = column_summary(header_map, samples.samples)
        plan.blank_columns = [column_letter(index) for index in sorted(samples.samples) if index not in header_map.headers]
        plan.other_customer_sheets = table.other_customer_sheets()
        plan.unchecked_sheets = table.unchecked_sheets()
        if not plan.rows:
            if example_rows:
                rejection = FileRejected(
                    ONLY_EXAMPLE_ROW, sheet=table.sheet_name, row=example_rows[0], value=EXAMPLE_NUMBER
                )
            else:
                rejection = FileRejected(NO_CUSTOMER_ROWS, sheet=table.sheet_name, header_row=table.header_row)
            rejection.customer_sheets = plan.other_customer_sheets
            rejection.unchecked_sheets = plan.unchecked_sheets
            raise rejection
    # The region list (about 40 MB) is loaded once the reader has released
    # its sheet, so the two never take memory at the same time.
    release_free_memory()
    _resolve_regions(plan, region_rows, region_columns)
    release_free_memory()
    plan.unmatched_sites = sites.unmatched
    plan.unmatched_packages = packages.unmatched
    return plan


def _check_header_row(table, header_map, samples, update_mode=False):
    """Raise HeaderRejected, with the first rows' samples, when the mapped
    columns lack the name or every customer detail.

    In update mode a sheet with ID Pelanggan and any other known column is
    accepted, because its rows change only the columns it has.
    """
    if update_mode and _is_update_sheet(header_map):
        return
    if header_map.missing_required:
        code = MISSING_REQUIRED
        params = {
            "missing": ", ".join(TEMPLATE_HEADERS[name] for name in header_map.missing_required),
            "expected": ", ".join(list(TEMPLATE_HEADERS.values())[:11]),
        }
    elif not any(name in header_map.labels for name in CUSTOMER_DETAIL_FIELDS):
        code = TOO_FEW_COLUMNS
        params = {"expected": ", ".join(TEMPLATE_HEADERS[name] for name in CUSTOMER_DETAIL_FIELDS)}
    else:
        return
    rows = table.rows()
    try:
        for count, raw in enumerate(rows, start=1):
            samples.add(raw.cells)
            if samples.complete or count >= SAMPLE_ROWS_ON_REJECTION:
                break
    except FileRejected:
        # The samples only help to map columns, so a row that the reader
        # rejects ends the sampling and the header rejection is raised.
        pass
    finally:
        rows.close()
    rejection = HeaderRejected(
        code,
        column_summary(header_map, samples.samples),
        table.header_first_row,
        sheet=table.sheet_name,
        header_row=table.header_row,
        **params,
    )
    raise table.offer_other_sheets(rejection)


def _is_update_sheet(header_map):
    return "number" in header_map.labels and len(header_map.labels) > 1


class _OpeningReport:
    """The progress callback of the "opening" phase: the share of the sheet
    that the reader has prepared, as a percentage. It reports once per
    OPENING_STEP points and stays below 100 until the first row arrives."""

    def __init__(self, progress):
        self.progress = progress
        self.reported = False
        self.percent = -OPENING_STEP

    def __call__(self, fraction):
        percent = min(99, int(fraction * 100))
        if percent >= self.percent + OPENING_STEP:
            self.percent = percent
            self.reported = True
            self.progress("opening", percent, 100)


def _resolve_regions(plan, rows, columns_by_position):
    """Match each row's region columns, or else its Alamat, to a village,
    and take the street line from the Alamat, adding the row's RT/RW to
    both after the match.

    From REGION_FORK_MIN_ROWS rows on, a forked child process resolves the
    second half of the rows while this process resolves the first half
    (see _resolve_in_two_processes). The rows get the same results either way.
    """
    if not rows:
        return
    regions = RegionResolver()

    def values_of(position):
        return _region_values(rows[position], columns_by_position.get(position))

    def apply(position, result):
        _apply_region(plan.labels, rows[position], position not in columns_by_position, result)

    if len(rows) >= REGION_FORK_MIN_ROWS and can_fork():
        _resolve_in_two_processes(regions, values_of, apply, len(rows))
        return
    for position in range(len(rows)):
        apply(position, regions.resolve(values_of(position)))


def _region_values(row, columns):
    values = dict(columns or ())
    if row.fields.get("address"):
        values["address"] = row.fields["address"]
    return values


def _apply_region(labels, row, from_address, result):
    """Write one row's (village code, street, finding) from RegionResolver.resolve()."""
    village_code, street, finding = result
    if row.rt_rw is not None and row.fields.get("address"):
        row.fields["address"], street = add_to_address(row.fields["address"], street, row.rt_rw)
    if village_code:
        row.fields["village_id"] = village_code
        row.village_from_address = from_address
    if street:
        row.fields["street"] = street[:200]
    if finding:
        row.add_finding("note", region_finding(row.clean.number, labels, finding))


def _resolve_in_two_processes(regions, values_of, apply, count):
    """Resolve the values of positions [0, count) with `regions`, the second
    half in a forked child, and pass each result to `apply` in position order.

    RegionResolver shares one match among rows whose Alamat differ only in
    the street part, taking it from the first such row. The child starts
    from an empty cache, so a row of its half may take its shared match
    from another row than it would in one process. Where the two
    processes' shared matches of a key differ, the child's rows of that key
    are resolved again here, with this process's cache filled by the first
    half as one process would have filled it.
    """
    middle = count // 2

    def resolve(position):
        return regions.resolve(values_of(position))

    def resolve_second_half():
        results = [resolve(position) for position in range(middle, count)]
        return os.getpid(), results, regions.shared_matches()

    with ForkedCall(resolve_second_half, "region matching") as child:
        for position in range(middle):
            apply(position, resolve(position))
        outcome = child.result()
    if outcome is FAILED:
        for position in range(middle, count):
            apply(position, resolve(position))
        return

    child_pid, results, child_matches = outcome
    logger.debug("Child process %s matched regions %s to %s of %s rows.", child_pid, middle, count - 1, count)
    own_matches = regions.shared_matches()
    differing = {
        key for key, match in child_matches.items() if key in own_matches and own_matches[key] != match
    }
    for position, result in enumerate(results, start=middle):
        if differing and regions.shared_key(values_of(position)) in differing:
            result = resolve(position)
        apply(position, result)


def _plan_row(plan, clean, sites, packages, chosen_site):
    """Return the PlannedRow of a cleaned row, with its site and package
    matched; build_plan matches its region afterwards."""
    values = clean.values
    fields = _as_model_fields(values)
    row = dedupe.PlannedRow(clean=clean, fields=fields)
    labels = plan.labels

    if plan.update_mode and values.get("number") and _has_name_missing(clean.problems):
        # An update may keep the stored name, so classify() checks whether
        # the ID is a customer's before it reports the empty name.
        row.name_missing = True
        clean.problems = [problem for problem in clean.problems if problem.code != NAME_MISSING]
    if clean.problems:
        row.kind = dedupe.INVALID

    site_text = values.get("site")
    site_id = sites.lookup(site_text) if site_text else None
    if site_text and site_id is None and chosen_site is None:
        # With a chosen site the rows land there whatever the column holds,
        # so an unknown name is a conflict below, not a name to map.
        entry = sites.record_unmatched(site_text, clean.number)
        note = _unknown_name_note(entry, clean.number, labels["site"], SITE_UNKNOWN, SITE_UNKNOWN_SUGGESTED)
        row.add_finding("note", note)
    if chosen_site is not None:
        if site_text and site_id != chosen_site.pk:
            row.add_finding(
                "conflict", Problem(clean.number, labels["site"], site_text, SITE_CONFLICT, {"chosen": chosen_site.name})
            )
            row.column_site_id = site_id
        # Only a row whose Site column names the chosen site moves a stored customer there.
        row.site_from_choice = site_id != chosen_site.pk
        site_id = chosen_site.pk
    if site_id is not None:
        fields["site_id"] = site_id

    if values.get("rt_rw"):
        # _resolve_regions adds the RT/RW to the Alamat. A row without an
        # Alamat gets it as its street line, and its update writes it into
        # the stored street line and Alamat (see dedupe).
        row.rt_rw = values["rt_rw"]
        if not fields.get("address"):
            fields["street"] = format_rt_rw(row.rt_rw)

    package_text = values.get("package")
    if package_text:
        package_id = packages.lookup(package_text)
        if package_id is None:
            entry = packages.record_unmatched(package_text, clean.number)
            note = _unknown_name_note(entry, clean.number, labels["package"], PACKAGE_UNKNOWN, PACKAGE_UNKNOWN_SUGGESTED)
            row.add_finding("note", note)
        else:
            fields["package_id"] = package_id
            if packages.matched_by_alias(package_text) or packages.matched_in_batch(package_text):
                code = PACKAGE_ALIAS_MATCHED if packages.matched_by_alias(package_text) else PACKAGE_NAME_CHOSEN
                note = Problem(
                    clean.number, labels["package"], package_text, code, {"package": packages.names[package_id]}
                )
                row.add_finding("note", note)

    return row


def _unknown_name_note(entry, row_number, column, code, suggested_code):
    """Return the note of a row naming the Unmatched `entry`, which suggests
    entry.closest, the first of the review's candidates, when there is one."""
    if entry.closest is None:
        return Problem(row_number, column, entry.value, code)
    return Problem(row_number, column, entry.value, suggested_code, {"suggestion": entry.closest})


def _has_name_missing(problems):
    return any(problem.code == NAME_MISSING for problem in problems)


def site_scope(user):
    """Return the ids of the sites whose customers an import by `user` may
    match and change, or None for every site: an admin's import, or one by
    the import_customers command, which has no user."""
    if user is None or is_admin(user):
        return None
    return frozenset(visible_sites(user).values_list("pk", flat=True))


def review_plan(plan, *, site_ids=None):
    """Classify the plan's rows against existing customers (no locks, no
    writes), matching only customers of `site_ids` (see site_scope)."""
    dedupe.classify(plan.rows, update_mode=plan.update_mode, labels=plan.labels, site_ids=site_ids)
    _reword_site_package_notes(plan.rows)
    if site_ids is not None:
        _reword_site_conflicts_for_site_admin(plan.rows)
    _reword_left_out_notes(plan.rows)
    return plan


def _reword_site_package_notes(rows):
    """Reword the site and package notes of rows that are not saved as new
    customers, because their usual wording describes a new customer's save."""
    for row in rows:
        if row.kind == dedupe.NEW or not row.findings:
            continue
        codes = UPDATE_CODES if row.kind == dedupe.UPDATE else UNSAVED_CODES
        row.findings = [
            (kind, replace(problem, code=codes[problem.code]) if problem.code in codes else problem)
            for kind, problem in row.findings
        ]


def _reword_site_conflicts_for_site_admin(rows):
    """Give the site conflicts of a site admin's upload the advice they can
    follow, because they cannot upload a row with no site chosen."""
    for row in rows:
        if not row.findings:
            continue
        row.findings = [
            (kind, replace(problem, code=SITE_CONFLICT_SITE_ADMIN) if problem.code == SITE_CONFLICT else problem)
            for kind, problem in row.findings
        ]


def _reword_left_out_notes(rows):
    """Word each left-out note of an unusable optional cell for its row's
    kind: "saved without this value" on a row that saves a new customer,
    the cleaner's own message on a row that updates a customer (whose
    stored value stays), is rejected or is already present. The review
    runs again at the save, and a row's kind may change in between, so the
    note's code is set from its params each time."""
    for row in rows:
        if not row.clean.notes:
            continue
        saved = row.kind == dedupe.NEW
        notes = []
        for note in row.clean.notes:
            if LEFT_OUT_CODE in note.params:
                code = note.params[LEFT_OUT_NOTE_CODE] if saved else note.params[LEFT_OUT_CODE]
                if code != note.code:
                    note = replace(note, code=code)
            notes.append(note)
        row.clean.notes = notes


def lock_customer_writes():
    """Serialise imports: two commits of the same people at the same moment
    must not both see them as new. PostgreSQL takes a transaction-scoped
    advisory lock; SQLite already allows one writer at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CUSTOMER_IMPORT_LOCK])


# An arbitrary constant naming the customer-import advisory lock.
CUSTOMER_IMPORT_LOCK = 0x6542494C


def commit_plan(plan, batch, *, progress=None):
    """Save the plan's new rows and updates in one transaction.

    The rows are classified again inside the lock, so a customer saved by
    another import since the review is counted as already present instead
    of being saved twice, and within the site scope of the batch's
    uploader at commit time. With batch.skip_possible_duplicates, the new
    rows that this classification notes as possible duplicates are left out
    (see skip_possible_duplicates). Every updated field is recorded as an
    ImportChange, so the batch can be undone. `progress(phase, rows_done,
    total)` is called as the work advances. Returns the final counts, as
    result_counts() does.
    """
    with transaction.atomic():
        lock_customer_writes()
        if progress:
            progress("checking", 0, len(plan.rows))
        review_plan(plan, site_ids=site_scope(batch.created_by))
        if batch.skip_possible_duplicates:
            skip_possible_duplicates(plan.rows)
        release_free_memory()
        new_rows = plan.rows_of(dedupe.NEW)
        update_rows = plan.rows_of(dedupe.UPDATE)

        reserved = {row.fields["number"] for row in plan.rows if row.fields.get("number")}
        missing = [row for row in new_rows if not row.fields.get("number")]
        for row, number in zip(missing, next_numbers(len(missing), reserved)):
            row.fields["number"] = number

        total = len(new_rows) + len(update_rows)

        def report_saved(done):
            if progress:
                progress("saving", done, total)

        report_saved(0)
        saving.insert_customers([row.fields for row in new_rows], batch, progress=report_saved)
        if update_rows:
            _apply_updates(update_rows, batch)
            report_saved(total)
    return result_counts(plan)


# Notes that describe the save of a new customer, which a skipped row does
# not get. Uploading the row again notes them again.
_SAVE_ONLY_CODES = frozenset({*dedupe.DELETED_NUMBER_CODES, dedupe.NIK_MASKED_NOT_SAVED})


def skip_possible_duplicates(rows):
    """Leave out of the save the new rows noted as possible duplicates, the
    rows that Plan.counts() counts as such, and return how many there are.

    Each such row becomes INVALID, and each possible-duplicate note becomes
    a finding of kind "skipped", whose message states that the row is not
    saved. Call it after review_plan(), whose classification it reads.
    """
    skipped = []
    for row in rows:
        if row.kind != dedupe.NEW or not _is_possible_duplicate(row):
            continue
        row.kind = dedupe.INVALID
        findings = []
        for kind, problem in row.findings:
            if problem.code in dedupe.SKIPPED_CODES:
                findings.append((dedupe.SKIPPED_KIND, replace(problem, code=dedupe.SKIPPED_CODES[problem.code])))
            elif problem.code not in _SAVE_ONLY_CODES:
                findings.append((kind, problem))
        row.findings = findings
        skipped.append(row)
    # The site, package and left-out notes of these rows were worded for a new customer's save.
    _reword_site_package_notes(skipped)
    _reword_left_out_notes(skipped)
    return len(skipped)


def _is_possible_duplicate(row):
    return any(problem.code in dedupe.POSSIBLE_DUPLICATE_CODES for _kind, problem in row.findings)


def result_counts(plan):
    """Return plan.counts() with one more key, "skipped": the possible
    duplicates that skip_possible_duplicates() left out. Those rows are
    INVALID, but they are not counted in "invalid", the rows with problems."""
    counts = plan.counts()
    skipped = sum(1 for row in plan.rows if row.kind == dedupe.INVALID and _is_skipped(row))
    counts["invalid"] -= skipped
    counts["skipped"] = skipped
    return counts


def _is_skipped(row):
    return any(kind == dedupe.SKIPPED_KIND for kind, _problem in row.findings)


# The outcomes of a row that the result page compares between the review
# and the save. A possible duplicate is one whether the save skips it or
# not, because the admin's choice applies alike to the rows the review
# noted. Each is stored as its index in this tuple, one byte per row.
POSSIBLE_DUPLICATE = "possible_duplicate"
ROW_OUTCOMES = (dedupe.NEW, POSSIBLE_DUPLICATE, dedupe.UPDATE, dedupe.PRESENT, dedupe.INVALID)
_OUTCOME_BYTES = {outcome: index for index, outcome in enumerate(ROW_OUTCOMES)}
# The maximum number of rows whose outcome changed between the review and
# the save that the result page lists. It counts the others.
CHANGED_ROW_LIST_LIMIT = 50


def row_outcomes(plan):
    """Return the outcome of each row of a reviewed plan, one byte each (an
    index of ROW_OUTCOMES), in the plan's row order."""
    outcomes = bytearray(len(plan.rows))
    for position, row in enumerate(plan.rows):
        if row.kind == dedupe.INVALID:
            outcome = POSSIBLE_DUPLICATE if row.findings and _is_skipped(row) else dedupe.INVALID
        elif row.kind == dedupe.NEW and row.findings and _is_possible_duplicate(row):
            outcome = POSSIBLE_DUPLICATE
        else:
            outcome = row.kind
        outcomes[position] = _OUTCOME_BYTES[outcome]
    return bytes(outcomes)


def outcome_changes(reviewed, plan):
    """Compare the review's row outcomes `reviewed` (see row_outcomes) with
    those of the committed `plan`, which must have the same rows.

    Returns None when no outcome changed. Otherwise returns the JSON entry
    that the batch summary stores. "review" and "saved" count the rows of
    each outcome in the review and at the save. "changed" is the number of
    rows whose outcome changed, and "rows" lists [sheet row, review outcome,
    saved outcome] for the first CHANGED_ROW_LIST_LIMIT of them.
    """
    saved = row_outcomes(plan)
    if saved == reviewed:
        return None
    changed = 0
    listed = []
    for position, (before, after) in enumerate(zip(reviewed, saved, strict=True)):
        if before == after:
            continue
        changed += 1
        if len(listed) < CHANGED_ROW_LIST_LIMIT:
            listed.append([plan.rows[position].clean.number, ROW_OUTCOMES[before], ROW_OUTCOMES[after]])
    return {
        "review": {outcome: reviewed.count(index) for index, outcome in enumerate(ROW_OUTCOMES)},
        "saved": {outcome: saved.count(index) for index, outcome in enumerate(ROW_OUTCOMES)},
        "changed": changed,
        "rows": listed,
    }


def _apply_updates(update_rows, batch):
    """Apply the update rows' changes, with history, and record each changed
    field's old and new value as an ImportChange."""
    ids = [row.customer_id for row in update_rows]
    # bulk_update writes every changed field of every customer, so the rows
    # are locked and read again. A save that another connection commits
    # meanwhile, such as an edit or an approved request, then stays as it
    # is instead of being overwritten with the value read before it.
    # Locking in pk order keeps two writers of the same rows from deadlocking.
    locked = Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    customers = {customer.pk: customer for customer in locked}
    changed_fields = set()
    changes = []
    for row in update_rows:
        customer = customers[row.customer_id]
        for name, value in row.changes.items():
            model_field = Customer._meta.get_field(name.removesuffix("_id"))
            old = getattr(customer, name)
            setattr(customer, name, value)
            changed_fields.add(name)
            changes.append(
                ImportChange(
                    batch=batch,
                    customer_id=customer.pk,
                    field=name,
                    old_value=field_text(model_field, old),
                    new_value=field_text(model_field, getattr(customer, name)),
                )
            )
        customer.name_key = dedupe.name_key(customer.name)
    if "name" in changed_fields:
        changed_fields.add("name_key")
    bulk_update_with_history(
        list(customers.values()), Customer, sorted(changed_fields), batch_size=INSERT_CHUNK, default_user=batch.created_by
    )
    ImportChange.objects.bulk_create(changes, batch_size=INSERT_CHUNK)


def field_text(model_field, value):
    """Return a field value as ImportChange stores it: None when empty,
    otherwise text that model_field.to_python() reads back."""
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
