"""Erase an anonymised customer's personal data from the import batches:
the findings that name the customer or belong to the customer's rows, and
the uploaded files that contain those rows.

What links a batch's rows to a customer:

- Each finding of a row that created, updated or matched a stored customer
  stores that customer's ID under batches.CUSTOMER_PARAM.
- A finding of another row that names the customer stores "ID (Name)" in
  its `other` parameter (dedupe._describe). A row with the same name and
  phone or NIK (SAME_PERSON_CODES) is the same person.
- A row matched to a stored customer has a finding whose `number`
  parameter is that customer's ID (NUMBER_CODES).
- Findings stored before CUSTOMER_PARAM existed have no link to the row
  that created or updated the customer: Customer.import_batch and
  ImportChange name only the batch. In those batches, the customer's rows
  are the rows with a finding whose value is one of the names, phones,
  NIKs, e-mails or Alamat that the customer's change history and import
  changes hold. NOTE: such a row may also be another person's who shares
  the customer's name, phone or Alamat, and a row whose findings show none
  of those values (an e-mail left out as invalid) is not found.

Every finding of the customer's rows loses its personal values and
parameters. Row numbers, columns, codes and kinds stay, so the batch's
counts and tabs still add up, and every message still renders.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.importing import batches, dedupe
from customers.importing.headers import field_for_header
from customers.importing.problems import NUMBER_FROM_VALUE_CODES
from customers.models import Customer, ImportBatch, ImportChange, ImportProblem
from customers.selectors import format_phone
from customers.services import anonymised_name_for

# Findings that name a stored customer as "ID (Name)" in their `other` parameter.
OTHER_CODES = frozenset({
    dedupe.PRESENT_NUMBER_OTHER_NAME, dedupe.NIK_OTHER_NAME, *dedupe.POSSIBLE_DUPLICATE_CODES,
    *dedupe.SKIPPED_CODES.values(),
})
# Of those, the findings of a row with the same name and the same phone or
# NIK as the customer: the row is the same person, so it is redacted whole.
SAME_PERSON_CODES = frozenset({
    dedupe.NIK_OTHER_SUBSCRIPTION, dedupe.PHONE_SAME_NAME_OTHER_ID,
    dedupe.SKIPPED_CODES[dedupe.NIK_OTHER_SUBSCRIPTION], dedupe.SKIPPED_CODES[dedupe.PHONE_SAME_NAME_OTHER_ID],
})
# Findings of another person's row whose value is the phone or NIK that
# the row shares with the customer.
SHARED_VALUE_CODES = frozenset({
    dedupe.NIK_OTHER_NAME, dedupe.PHONE_OTHER_NAME, dedupe.SKIPPED_CODES[dedupe.PHONE_OTHER_NAME],
})
# Findings whose `number` parameter is the ID of the stored customer that the row matched.
NUMBER_CODES = frozenset({
    dedupe.ALREADY_PRESENT_NUMBER, dedupe.PRESENT_NUMBER_CHANGED, dedupe.ALREADY_PRESENT_PERSON,
    dedupe.PRESENT_WITHOUT_NUMBER, dedupe.NO_CHANGES, dedupe.SITE_CHOICE_KEPT, dedupe.SITE_CONFLICT_KEPT,
    dedupe.SITE_UNKNOWN_CONFLICT_KEPT, dedupe.ANONYMISED_NOT_REFILLED,
})
# Columns whose values are no personal data, so a redacted row keeps them.
NON_PERSONAL_FIELDS = frozenset({"number", "site", "package", "status", "installed_on"})
# Message parameters that repeat personal data of the row: a stored value,
# the ends of a NIK, the Alamat, the map location, extra phone numbers, and
# the province that a NIK's first digits name.
PERSONAL_PARAMS = frozenset({
    "old", "old_end", "new_end", "address_rt_rw", "latitude", "longitude", "numbers", "province_code",
})
# The ends of a NIK in a redacted message, masked as NIKs are.
MASKED_NIK_END = "****"
# Batches whose file a worker may be reading, which keep it (see erase_from_imports).
RUNNING_STATES = (ImportBatch.State.QUEUED, ImportBatch.State.VALIDATING, ImportBatch.State.IMPORTING)
# The error code of a review batch cancelled because a customer in it was anonymised.
CANCELLED_ANONYMISED = "cancelled_anonymised"
# The personal fields whose values identify the customer's rows in a batch.
IDENTIFYING_FIELDS = ("name", "phone", "nik", "email", "address")


def personal_values(customer):
    """Return every non-empty name, phone, NIK, e-mail and Alamat that the
    customer had, from its change history and the import changes that
    recorded it, with phones also as findings show them (0812-3456-7890).

    Call it before customer_anonymise() clears them.
    """
    values = set()
    history = Customer.history.model.objects.filter(id=customer.pk).values_list(*IDENTIFYING_FIELDS)
    for row in history.iterator():
        values.update(row)
    values.update(getattr(customer, name) for name in IDENTIFYING_FIELDS)
    changes = ImportChange.objects.filter(customer=customer, field__in=IDENTIFYING_FIELDS)
    for old, new in changes.values_list("old_value", "new_value"):
        values.update((old, new))
    phones = {value for value in values if value and value.startswith("+")}
    values.update(format_phone(phone) for phone in phones)
    values.discard(anonymised_name_for(customer.number))
    return {value for value in values if value}


def erase_from_imports(customer, values, by=None):
    """Redact the findings that carry the customer's personal data, and
    delete the uploaded files of the batches that contain the customer's rows.

    `values` are personal_values(customer), read before they were cleared,
    and `by` is the user who anonymises. Runs inside the caller's
    transaction. A batch waiting for review is cancelled, because its save
    would need the deleted file. The files are deleted once the transaction
    commits. Returns the ids of the batches whose findings or files were
    changed.
    """
    number = customer.number
    described = f"{number} ({anonymised_name_for(number)})"
    # One scan of every batch's findings: the JSON parameters have no index.
    naming_condition = Q(code__in=OTHER_CODES, params__other__startswith=f"{number} (")
    candidates = ImportProblem.objects.annotate(names_customer=naming_condition).filter(
        naming_condition
        | Q(**{f"params__{batches.CUSTOMER_PARAM}": number})
        | Q(code__in=NUMBER_CODES, params__number=number)
        | Q(code__in=NUMBER_FROM_VALUE_CODES, params__number__isnull=True, value__iexact=number)
    )
    # Findings of other people's rows that name the customer, and the
    # (batch id, row number) of the customer's own rows.
    naming = []
    rows = set()
    for finding in candidates:
        if finding.names_customer and finding.code not in SAME_PERSON_CODES:
            naming.append(finding)
        else:
            rows.add((finding.batch_id, finding.row))
    linked_batches = _batches_with_saved_rows(customer)
    valued = ImportProblem.objects.filter(batch_id__in=linked_batches, value__in=values)
    rows.update(valued.values_list("batch_id", "row"))

    changed = {}
    for finding, fields in _findings_of_rows(rows):
        _redact_row_finding(finding, fields, number, described)
        changed[finding.pk] = finding
    for finding in naming:
        if finding.pk in changed:
            # Another finding placed it on one of the customer's rows.
            continue
        finding.params = {**finding.params, "other": described}
        if finding.code in SHARED_VALUE_CODES:
            finding.value = ""
        changed[finding.pk] = finding
    ImportProblem.objects.bulk_update(changed.values(), ["value", "params"], batch_size=batches.FINDINGS_CHUNK)

    touched = linked_batches | {batch_id for batch_id, _row in rows} | {finding.batch_id for finding in naming}
    _delete_files(touched, cancel_params={"number": number, "by": by.get_username() if by else ""})
    return touched


def _batches_with_saved_rows(customer):
    """Return the ids of the batches that created or updated the customer."""
    ids = set(ImportChange.objects.filter(customer=customer).values_list("batch_id", flat=True).distinct())
    if customer.import_batch_id is not None:
        ids.add(customer.import_batch_id)
    return ids


def _findings_of_rows(rows):
    """Yield (finding, {column header: field} of its batch) for every
    finding of the (batch id, row number) pairs in `rows`."""
    by_batch = {}
    for batch_id, row in rows:
        by_batch.setdefault(batch_id, set()).add(row)
    summaries = dict(ImportBatch.objects.filter(pk__in=by_batch).values_list("pk", "summary"))
    for batch_id, numbers in by_batch.items():
        columns = (summaries.get(batch_id) or {}).get("columns", [])
        fields = {column["header"]: column["field"] for column in columns}
        numbers = sorted(numbers)
        for start in range(0, len(numbers), batches.FINDINGS_CHUNK):
            chunk = numbers[start : start + batches.FINDINGS_CHUNK]
            for finding in ImportProblem.objects.filter(batch_id=batch_id, row__in=chunk):
                yield finding, fields


def _redact_row_finding(finding, fields, number, described):
    """Clear the personal value and parameters of a finding of the customer's
    row. `fields` maps the batch's column headers to the fields they fill."""
    field = fields.get(finding.column) or field_for_header(finding.column)
    if finding.column:
        personal = field not in NON_PERSONAL_FIELDS
    else:
        # A finding of the whole row shows the customer's ID, or the name in older findings.
        personal = finding.value.upper() != number.upper()
    if personal:
        finding.value = ""
    params = dict(finding.params or {})
    for name in PERSONAL_PARAMS.intersection(params):
        if name == "old" and not personal:
            # A Site or Paket name, such as the old site of a site change.
            continue
        params[name] = MASKED_NIK_END if name in ("old_end", "new_end") else ""
    if str(params.get("other", "")).startswith(f"{number} ("):
        params["other"] = described
    finding.params = params


def _delete_files(batch_ids, cancel_params):
    """Delete the uploads, stored plans and problem workbooks of the batches
    in `batch_ids` once the transaction commits, and cancel those waiting
    for review. A cancelled batch gets the error code CANCELLED_ANONYMISED
    and `cancel_params`, the customer ID and who anonymised them, which the
    batch page shows."""
    # customer_anonymise refuses to run while any batch is running, so the
    # filter only guards a batch that started after that check.
    finished = ImportBatch.objects.filter(pk__in=batch_ids).exclude(state__in=RUNNING_STATES)
    names = list(finished.exclude(file="").values_list("file", flat=True))
    finished.filter(state=ImportBatch.State.REVIEW).update(
        state=ImportBatch.State.CANCELLED,
        finished_at=timezone.now(),
        error_code=CANCELLED_ANONYMISED,
        error_params=cancel_params,
    )
    finished.exclude(file="").update(file="")
    for batch in finished.only("pk", "summary"):
        summary = batch.summary or {}
        if any(column.get("samples") for column in summary.get("columns", [])):
            # The first values of unmatched columns, shown for mapping them by hand.
            for column in summary["columns"]:
                column["samples"] = []
            batch.save(update_fields=["summary"])

    def delete_uploads():
        for name in names:
            batches.delete_upload(name)

    transaction.on_commit(delete_uploads)
