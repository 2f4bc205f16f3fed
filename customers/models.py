import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.importing.cleaners import NOTES_MAX_LENGTH, format_coordinate
from customers.importing.headers import TEMPLATE_HEADERS


def name_key(name):
    """Return the form of a name used to recognise the same person twice:
    case-folded, without zero width joiners, with whitespace runs collapsed.

    A name with a joiner ("👩‍💻") and the same name without it are one
    person: names saved before the cleaner kept joiners have none.
    """
    return " ".join((name or "").casefold().replace("\u200d", "").split())


_DIGIT_RUN = re.compile(r"[0-9]+")


def number_key(number):
    """Return the form of an ID Pelanggan that sorts in natural order.

    Each run of digits becomes its length in two digits and then its value
    without leading zeros, so "PLG-9" sorts before "PLG-10" and "2" before
    "10". Letters are upper-cased, so "plg-1" sorts with "PLG-1".
    """
    return _DIGIT_RUN.sub(_digit_run_key, (number or "").upper())


def _digit_run_key(match):
    digits = match.group().lstrip("0") or "0"
    return f"{len(digits):02d}{digits}"


def mask_nik(nik):
    """Return a NIK with all but its last four digits hidden."""
    if not nik:
        return ""
    return "*" * (len(nik) - 4) + nik[-4:]


def format_address(street, village):
    """Return the Alamat written from a street line and a village, such as
    "Jl. Mawar No. 5, Pabuaran, Cibinong, Kab. Bogor", or "" unless both are set.

    The parts follow the order in which the importer's region matcher reads
    an Alamat without region columns: street, village, district, regency.
    """
    if not street or village is None:
        return ""
    district = village.district
    regency = district.regency.name
    if regency.startswith("Kabupaten "):
        regency = "Kab. " + regency.removeprefix("Kabupaten ")
    return ", ".join([street, village.name, district.name, regency])


def fill_address(address, street, village, *, old_street, old_village):
    """Return the Alamat to store with a new street line and village.

    An incomplete customer is one without an Alamat, so an empty Alamat is
    written from the street and village. An Alamat that equals the one
    written from the old street and village is written again, so it
    follows their changes. Any other Alamat is returned unchanged, and so
    is every Alamat while the street or the village is missing.
    """
    written = format_address(street, village)
    if not written:
        return address
    if not address or address == format_address(old_street, old_village):
        return written
    return address


class CustomerQuerySet(models.QuerySet):
    def incomplete(self):
        """Customers without a package or without an address."""
        return self.filter(Q(package__isnull=True) | Q(address=""))

    def complete(self):
        return self.exclude(package__isnull=True).exclude(address="")


class Customer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        SUSPENDED = "suspended", _("Suspended")

    number = models.CharField(_("customer ID"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, editable=False)
    # number_key() of the number: at most 2 more characters per digit run.
    number_key = models.CharField(max_length=60, editable=False, default="")
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    street = models.CharField(_("street (with RT/RW)"), max_length=200, blank=True)
    village = models.ForeignKey(
        "regions.Village", on_delete=models.PROTECT, null=True, blank=True, db_index=False, verbose_name=_("village")
    )
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, null=True, blank=True, db_index=False, verbose_name=_("site")
    )
    package = models.ForeignKey(
        "packages.ServicePackage", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("package")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    installed_on = models.DateField(_("installation date"), null=True, blank=True)
    # The admin's own notes ("Keterangan" in spreadsheets), which the portal never shows.
    notes = models.TextField(_("notes"), max_length=NOTES_MAX_LENGTH, blank=True)
    import_batch = models.ForeignKey(
        "customers.ImportBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_customers",
        editable=False,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # History rows are looked up by customer id and date only. The indexes a
    # history table would copy from the other fields took a third of the
    # time of saving a 100,000-row import, so they are left out.
    history = HistoricalRecords(
        excluded_fields=["name_key", "number_key", "updated_at"],
        no_db_index=["number", "phone", "nik", "village", "site", "package", "import_batch", "user"],
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["number_key", "number"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Every index slows each insert of an import, so only the queries
        # below get one. Migration 0005 adds the list search's indexes.
        indexes = [
            # The list in ID order, all sites or one.
            models.Index(fields=["number_key", "number"], name="customer_number_order_idx"),
            models.Index(fields=["site", "number_key", "number"], name="customer_site_order_idx"),
            # Pattern operators serve both the duplicate check (phone = ...)
            # and the search by phone prefix (LIKE '+62812%').
            models.Index(fields=["phone"], name="customer_phone_pattern_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["nik"], name="customer_nik_idx"),
            models.Index(fields=["village"], name="customer_village_idx"),
            # The list sorted by name. Without it PostgreSQL sorted every row
            # for each page: 105 to 206 ms at 200,000 customers (import_bench.py).
            models.Index(fields=["name_key", "number"], name="customer_name_order_idx"),
            # The status filter's Isolir and Nonaktif lists, whose COUNT
            # scanned the table (40 to 60 ms at 200,000 customers). Active
            # customers, most of them and nearly every imported one, are
            # left out, so an import writes almost nothing to it.
            models.Index(
                fields=["status"], name="customer_status_not_active_idx", condition=~models.Q(status="active")
            ),
        ]
        # Granted to site admins one by one. Admins hold them all (ebilling.access.has_staff_permission).
        permissions = [
            ("import_customers", _("Can upload customer files")),
            ("export_customers", _("Can export customers")),
            ("reveal_nik", _("Can see a customer's full NIK")),
            ("anonymise_customer", _("Can anonymise a customer's personal data")),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        self.number_key = number_key(self.number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = {"name": "name_key", "number": "number_key"}
            kwargs["update_fields"] = {*update_fields, *(derived[f] for f in derived if f in update_fields)}
        super().save(*args, **kwargs)

    @property
    def is_incomplete(self):
        return self.package_id is None or not self.address

    @property
    def masked_nik(self):
        return mask_nik(self.nik)

    @property
    def location_text(self):
        """The map location as "-6.4812, 106.8421", or "" when it is not set."""
        if self.latitude is None or self.longitude is None:
            return ""
        return f"{format_coordinate(self.latitude)}, {format_coordinate(self.longitude)}"


# The phases a worker reports while it runs a batch.
PHASE_LABELS = {
    "queued": _("Waiting for a worker"),
    "opening": _("Opening the file"),
    "reading": _("Reading and checking rows"),
    "checking": _("Looking for customers already present"),
    "saving": _("Saving customers"),
}


class ImportBatch(models.Model):
    """One uploaded file and what became of it."""

    class Mode(models.TextChoices):
        CREATE = "create", _("Create only")
        UPDATE = "update", _("Create and update")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Validating")
        REVIEW = "review", _("Ready for review")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        UNDONE = "undone", _("Undone")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="import_batches"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, null=True, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.CREATE)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    language = models.CharField(max_length=10, default="id")
    phase = models.CharField(max_length=20, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    problem_count = models.PositiveIntegerField(default=0)
    incomplete_count = models.PositiveIntegerField(default=0)
    # New rows noted as possible duplicates that the save left out, because
    # skip_possible_duplicates was chosen. They are not in problem_count.
    skipped_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The phase's own row count and start, for the progress bar's rate and time left.
    phase_total = models.PositiveIntegerField(default=0)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    # Set when an admin confirms the review, so a retry saves instead of validating again.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The fields chosen in review for columns of the file, keyed by the
    # 0-based column index as text; "" ignores a column. See column_map.py.
    column_map = models.JSONField(default=dict, blank=True)
    # The sheet chosen in review or with import_customers --sheet; "" reads
    # the sheet the reader picks.
    sheet = models.CharField(max_length=255, blank=True)
    # Chosen when the review is confirmed (or with import_customers
    # --skip-possible-duplicates): the save leaves out the new rows that it
    # finds to be possible duplicates. False saves them as new customers.
    skip_possible_duplicates = models.BooleanField(default=False)
    # Paket names that a site admin matched to a package in this batch's
    # review, as {match_key(name): package id}. They apply to this batch
    # only, because packages serve every site and only an admin may
    # remember a Paket name for every later upload.
    package_names = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_running(self):
        return self.state in {self.State.QUEUED, self.State.VALIDATING, self.State.IMPORTING}

    @property
    def saves_rows(self):
        """Whether confirming the review would save at least one row."""
        return self.new_count + self.updated_count > 0

    @property
    def phase_label(self):
        """The running phase in words, for the progress bar."""
        return PHASE_LABELS.get(self.phase, "")

    @property
    def duration(self):
        """The time from the worker's start to the end, or None while unfinished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def duration_text(self):
        """The duration as m:ss or h:mm:ss, or "" while unfinished."""
        if self.duration is None:
            return ""
        minutes, seconds = divmod(max(0, round(self.duration.total_seconds())), 60)
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours}:{minutes:02d}:{seconds:02d}"
        return f"{minutes}:{seconds:02d}"


class HeaderAlias(models.Model):
    """A column header that an admin mapped to a field in review ("Kontak
    Utama" means the phone), so later uploads map it by themselves."""

    name = models.CharField(_("header in the spreadsheet"), max_length=200)
    # normalise_header(name): the form in which headers are compared.
    key = models.CharField(max_length=200, unique=True, editable=False)
    field = models.CharField(_("field"), max_length=20, choices=list(TEMPLATE_HEADERS.items()))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("learned column name")
        verbose_name_plural = _("learned column names")

    def __str__(self):
        return f"{self.name} → {self.get_field_display()}"


class ImportChange(models.Model):
    """One field of an existing customer that a batch changed, so undoing
    the batch can restore it. Values are stored as text that the model
    field's to_python() reads back, and None for an empty value."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="import_changes")
    field = models.CharField(max_length=50)
    old_value = models.TextField(null=True, blank=True)
    new_value = models.TextField(null=True, blank=True)

    class Meta:
        ordering = ["customer_id", "id"]
        indexes = [models.Index(fields=["batch", "customer"])]

    def __str__(self):
        return f"{self.batch_id} {self.customer_id} {self.field}"


class BulkChange(models.Model):
    """One bulk change applied from the customer list: the package and site
    it set (null when kept), the status it set (blank when kept), and when
    it was undone.

    The set package and site are kept without a database constraint, so a
    package or site deleted later leaves the record readable.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="bulk_changes"
    )
    # The same instant as the changed customers' updated_at and history_date.
    created_at = models.DateTimeField()
    package = models.ForeignKey(
        "packages.ServicePackage",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    site = models.ForeignKey(
        "sites.Site", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Customer.Status.choices, blank=True, default="")
    customer_count = models.PositiveIntegerField(default=0)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Customers restored so far, by one undo or several when a site admin's
    # undo left customers outside their sites for an admin.
    restored_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")

    def __str__(self):
        return f"{self.pk} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def partly_undone(self):
        """Whether an undo restored some customers and left others to restore."""
        return self.undone_at is None and self.restored_count > 0

    @property
    def changes(self):
        """The attribute values the bulk change set, such as {"package_id": 3, "status": "suspended"}."""
        values = {"package_id": self.package_id, "site_id": self.site_id, "status": self.status}
        return {attname: value for attname, value in values.items() if value not in (None, "")}


class BulkChangeItem(models.Model):
    """The package, site and status one customer had before a bulk change
    changed it.

    The customer is kept without a database constraint, so the item of a
    customer deleted since stays and the undo page can report the deletion. The old
    package and site are kept the same way, because they may be deleted.
    """

    bulk_change = models.ForeignKey(BulkChange, on_delete=models.CASCADE, related_name="items")
    customer = models.ForeignKey(
        Customer, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    old_package = models.ForeignKey(
        "packages.ServicePackage",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    old_site = models.ForeignKey(
        "sites.Site", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, null=True, related_name="+"
    )
    # Blank on the items of bulk changes made before the status could be set,
    # because their customers' old status was not recorded.
    old_status = models.CharField(max_length=10, choices=Customer.Status.choices, blank=True, default="")
    # When an undo of the bulk change restored this customer. A site admin's
    # undo leaves the items of customers outside their sites null.
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bulk_change", "customer"], name="bulk_change_item_customer_unique")
        ]

    def __str__(self):
        return f"{self.bulk_change_id} {self.customer_id}"


class ImportProblem(models.Model):
    """A row-level finding of a batch, stored as a message code with its
    parameters so it is shown in the reader's language."""

    class Kind(models.TextChoices):
        PROBLEM = "problem", _("Problem")
        DUPLICATE = "duplicate", _("Already present")
        NOTE = "note", _("Note")
        CONFLICT = "conflict", _("Site conflict")
        # A possible duplicate that the save left out (ImportBatch.skip_possible_duplicates).
        SKIPPED = "skipped", _("Skipped")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PROBLEM)
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=100, blank=True)
    value = models.CharField(max_length=500, blank=True)
    code = models.CharField(max_length=50)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["batch", "kind", "row"])]

    @property
    def message(self):
        """The finding's message in the active language. Once the batch is
        saved (done, or undone since), a note that announced a change
        reports it as done."""
        # Importing the pipeline registers every message template.
        from customers.importing import pipeline  # noqa: F401
        from customers.importing.problems import SAVED_ROW_MESSAGES, Problem

        problem = Problem(self.row, self.column, self.value, self.code, self.params)
        if self.code in SAVED_ROW_MESSAGES and self.batch.state in (ImportBatch.State.DONE, ImportBatch.State.UNDONE):
            return problem.saved_message
        return problem.message

    @property
    def shown_value(self):
        """The finding's value as the findings table shows it: a status in the active language."""
        from customers.importing.problems import status_label

        if "new_status" in (self.params or {}):
            return status_label(self.params["new_status"])
        return self.value


class CustomerExport(models.Model):
    """One export of the customer list and the file it wrote.

    An export of over EXPORT_INLINE_MAX_ROWS customers is written by the
    task worker and its file is kept. A smaller one is sent in the response
    to the request, and its record, with no file, keeps who exported which
    customers.
    """

    class Scope(models.TextChoices):
        ALL = "all", _("Customers matching the filter")
        INCOMPLETE = "incomplete", _("Incomplete customers matching the filter")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"

    class CsvDelimiter(models.TextChoices):
        # The keys of customers.importing.export.CSV_DELIMITERS.
        SEMICOLON = "semicolon", _("CSV (Excel Indonesia, semicolon)")
        COMMA = "comma", _("CSV (comma)")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="customer_exports"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The customer list's filter as a query string without "?", such as
    # "q=budi&site=3", read again with the requester's rights when the task runs.
    query = models.CharField(max_length=1000, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.XLSX)
    # The layout of a CSV export, unused for .xlsx. Exports queued before
    # this field existed wrote commas, so the migration sets those to comma.
    csv_delimiter = models.CharField(max_length=10, choices=CsvDelimiter.choices, default=CsvDelimiter.SEMICOLON)
    include_nik = models.BooleanField(default=False)
    language = models.CharField(max_length=10, default="id")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    phase = models.CharField(max_length=20, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Stored under MEDIA_ROOT like uploads, which no URL serves. The
    # download view checks the user's access before it sends the file.
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    error_code = models.CharField(max_length=50, blank=True)
    # The ids of the sites of the customers in the file, with null for
    # customers without a site. Null until the file is written, and for
    # exports written before this field existed.
    site_ids = models.JSONField(null=True, blank=True)
    # Whether the file was sent in the response to the export request
    # rather than written by the task worker, and so never stored.
    sent_directly = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer export")
        verbose_name_plural = _("customer exports")

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_running(self):
        return self.state in {self.State.QUEUED, self.State.RUNNING}

    @property
    def phase_label(self):
        """The running phase in words, for the progress bar."""
        return EXPORT_PHASE_LABELS.get(self.phase, "")

    @property
    def error_message(self):
        """The reason of a failed export in the active language, or ""."""
        return EXPORT_ERROR_MESSAGES.get(self.error_code, "")

    @property
    def can_retry(self):
        """Whether the export failed for a reason that running it again may not meet."""
        return self.state == self.State.FAILED and self.error_code in EXPORT_RETRYABLE_ERRORS

    @property
    def retry_advice(self):
        """The advice shown in place of Try again, in the active language,
        for a failure that running the export again cannot fix, or ""."""
        if self.state != self.State.FAILED or self.can_retry:
            return ""
        return EXPORT_RETRY_ADVICE.get(self.error_code, EXPORT_RETRY_ADVICE[""])


EXPORT_PHASE_LABELS = {
    "queued": _("Waiting for a worker"),
    "writing": _("Writing customers to the file"),
    "storing": _("Storing the file"),
}

EXPORT_ERROR_MESSAGES = {
    "no_permission": _(
        "The account that requested this export may no longer export customers, so nothing was exported."
    ),
    "invalid_filter": _(
        "The filter is no longer valid for the sites of the account that requested the export, "
        "so nothing was exported. Fix the filter on the customer list, then export again."
    ),
    "worker_lost": _(
        "The worker writing this export stopped reporting and was taken as lost. Press Try again to export again."
    ),
    "internal_error": _(
        "The export failed because of an error in eBilling. Press Try again, and if it fails again, "
        "report it to your administrator."
    ),
}

# Failures that are not about the request itself, so running the export
# again may succeed: a lost worker, or any error while writing the file,
# such as a database error. The other codes come from the requester's
# rights and filter, which a new run reads again unchanged.
EXPORT_RETRYABLE_ERRORS = ("worker_lost", "internal_error")

# The advice for a failure that Try again cannot fix, by error code. The
# "" entry is for a code without its own advice.
EXPORT_RETRY_ADVICE = {
    "no_permission": _(
        "Trying again would fail the same way. When the account may export customers again, "
        "which an admin sets on the Staff page, export again from the customer list."
    ),
    "invalid_filter": _("Trying again would fail the same way, because it uses the same filter."),
    "": _("This export cannot be tried again. Export again from the customer list."),
}


class FormSubmission(models.Model):
    """The POST that acted on a form page, keyed by that page's random token,
    so that the page sent again (a double click, a reload of the result)
    is recognised and does not act a second time."""

    # The SHA-256 hex digest of the token, which bounds the length of
    # whatever a client posts.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The customer that the add form created, or null for other forms.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.token_hash[:12]} ({self.created_at:%Y-%m-%d %H:%M})"
