"""The plan that a batch's validation built, stored beside its upload so the
commit after review need not read and clean the file again.

The file sits in the upload's storage under the upload's name plus ".plan".
It contains a header and the Plan as build_plan returned it, before
review_plan classified its rows, because commit_plan classifies them again
inside its lock. The header also keeps the outcome that the review found for
each row, which the save compares with its own (load_review).

Why pickle: a plan is a tree of dataclasses (rows, cleaned values as
Decimal and date, problems with free-form params), and pickle writes and
reads it with no converter per type to keep in step with those classes.
Each row is pickled as a tuple of its dataclass fields rather than as an
object, and the cyclic garbage collector is paused while the rows are
rebuilt. The 100,000-row workbook of bench/make_customers_xlsx.py was
measured on a 2-core machine. Its plan took about 0.7 s to write and
0.5 s to read, against about 3 s each as whole Plan objects and 10 s to
18 s for build_plan. The file is 8.7 MB, a quarter of the pickle, with
zlib level 1 (level 6 took 0.6 s more for 7.1 MB). Pickle runs code on
load, so the file is authenticated: an HMAC-SHA256 keyed by SECRET_KEY (salted for this
use) covers the header and the payload, and load() rejects the file before
unpickling when the HMAC does not match. The unpickler also accepts only
the classes that a plan contains.

A stored plan is used only while it still describes what build_plan would
return now: the same batch, upload digest, mode, site, column mapping and
Paket names chosen in review, the same sites, packages and learned aliases
(of names and of headers), the same region list, and the same code and
libraries. Otherwise load() returns None and the caller reads the file again.
"""

import base64
import dataclasses
import gc
import hashlib
import hmac
import json
import logging
import pickle
import struct
import time
import zlib
from array import array
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from io import BytesIO
from pathlib import Path

from django.core.files.base import ContentFile
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.crypto import salted_hmac

from customers.importing.dedupe import PlannedRow
from customers.importing.rows import CleanRow
from customers.models import ImportBatch

logger = logging.getLogger(__name__)

SUFFIX = ".plan"
MAGIC = b"EBPLAN\n"
# Bump when the file layout changes. A plan written by other code is
# rejected through the header's "code" digest (see code_fingerprint).
FORMAT_VERSION = 3
BASE_DIR = Path(__file__).resolve().parents[2]
# The source files whose code decides what build_plan returns for a file,
# and the libraries they call to read and check cells.
PLAN_SOURCES = ("customers/importing", "customers/models.py", "regions/matching.py", "regions/names.py")
PLAN_LIBRARIES = ("phonenumbers", "python-calamine", "rapidfuzz", "openpyxl", "Django")
HMAC_SALT = "customers.importing.stored_plan"
DIGEST_SIZE = hashlib.sha256().digest_size
HEADER_LENGTH = struct.Struct(">I")
COMPRESS_LEVEL = 1
ROWS_PER_PICKLE = 5000

ROW_FIELDS = [item.name for item in dataclasses.fields(PlannedRow)]
CLEAN_FIELDS = [item.name for item in dataclasses.fields(CleanRow)]

# The classes, as (module, name), that the unpickler accepts. It rejects any other.
ALLOWED_GLOBALS = {
    ("customers.importing.pipeline", "Plan"),
    ("customers.importing.problems", "Problem"),
    ("customers.importing.matching", "Unmatched"),
    ("decimal", "Decimal"),
    ("datetime", "date"),
    ("datetime", "datetime"),
}


class _PlanUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a stored plan")
        return super().find_class(module, name)


@contextmanager
def _garbage_collector_paused():
    """Pause the cyclic garbage collector, which otherwise scans the heap
    again and again while a large plan's millions of objects are allocated
    (in one run, reading 100,000 rows took 1.7 s with it and 0.5 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan_name(upload_name):
    """Return the storage name of the plan stored beside the upload `upload_name`."""
    return f"{upload_name}{SUFFIX}"


def upload_name(name):
    """Return the upload's storage name if `name` is a plan's name, else None."""
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else None


def catalogue_fingerprint():
    """Return a SHA-256 hex digest of everything besides the file that
    build_plan's header, site, package and region matching reads from the
    database.

    Sites and packages are hashed with their codes, names and learned
    aliases, and the learned header aliases with their fields. The region
    list is only counted per level, because only load_regions writes it,
    from the files shipped with each release.
    NOTE: a forced load_regions that renames regions without adding any
    leaves the count, so a plan stored before it is still used.
    """
    from customers.models import HeaderAlias
    from packages.models import PackageAlias, ServicePackage
    from regions.loading import database_counts
    from sites.models import Site, SiteAlias

    parts = {
        "sites": list(Site.objects.order_by("pk").values_list("pk", "code", "name")),
        "packages": list(ServicePackage.objects.order_by("pk").values_list("pk", "code", "name")),
        "site_aliases": list(SiteAlias.objects.order_by("key").values_list("key", "site_id")),
        "package_aliases": list(PackageAlias.objects.order_by("key").values_list("key", "package_id")),
        "header_aliases": list(HeaderAlias.objects.order_by("key").values_list("key", "field")),
        "regions": database_counts(),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_source_files(base):
    """Return the Python files of PLAN_SOURCES under the folder `base`, in a fixed order."""
    files = []
    for source in PLAN_SOURCES:
        path = base / source
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        else:
            files.append(path)
    return files


@cache
def code_fingerprint():
    """Return a SHA-256 hex digest of the code that builds a plan: the
    PLAN_SOURCES files and the PLAN_LIBRARIES versions. A plan stored before
    a release that changed a cleaning rule is then read again from its file
    instead of being saved under the old rule."""
    digest = hashlib.sha256()
    for file in plan_source_files(BASE_DIR):
        digest.update(file.relative_to(BASE_DIR).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    for library in PLAN_LIBRARIES:
        digest.update(f"{library}=={version(library)}\0".encode())
    return digest.hexdigest()


def _header(batch, catalogue):
    return {
        "version": FORMAT_VERSION,
        "code": code_fingerprint(),
        "row_fields": ROW_FIELDS,
        "clean_fields": CLEAN_FIELDS,
        **_check_keys(batch),
        "catalogue": catalogue,
    }


def _mac(data):
    return salted_hmac(HMAC_SALT, data, algorithm="sha256").digest()


def _encode_row(row):
    clean = row.clean
    return (tuple(getattr(clean, name) for name in CLEAN_FIELDS), *(getattr(row, name) for name in ROW_FIELDS[1:]))


def _decode_row(values):
    return PlannedRow(CleanRow(*values[0]), *values[1:])


def compress(plan):
    """Return the payload of a plan file: a zlib stream of pickles, the Plan
    without its rows, then lists of ROWS_PER_PICKLE encoded rows, then None.

    Call it before review_plan() changes the rows. Pickling and compressing
    chunk by chunk keeps only one chunk's pickle in memory instead of the
    whole plan's (36 MB for 100,000 rows).
    """
    compressor = zlib.compressobj(COMPRESS_LEVEL)
    buffer = BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    compressed = []

    def write(value):
        pickler.dump(value)
        # A memo would keep every pickled object alive until the end.
        pickler.clear_memo()
        compressed.append(compressor.compress(buffer.getvalue()))
        buffer.seek(0)
        buffer.truncate()

    with _garbage_collector_paused():
        write(dataclasses.replace(plan, rows=[]))
        for start in range(0, len(plan.rows), ROWS_PER_PICKLE):
            write([_encode_row(row) for row in plan.rows[start : start + ROWS_PER_PICKLE]])
        write(None)
    compressed.append(compressor.flush())
    return b"".join(compressed)


def dump(batch, payload, catalogue, review=None):
    """Return the plan file's bytes: magic, HMAC, header length, header,
    and the `payload` that compress() returned.

    `review` is the review's outcome of each row (see encode_review), kept
    in the header, so the save can tell which rows' outcome changed since.
    """
    header = _header(batch, catalogue)
    if review is not None:
        header["review"] = review
    header = json.dumps(header).encode()
    signed = HEADER_LENGTH.pack(len(header)) + header + payload
    return MAGIC + _mac(signed) + signed


def encode_review(outcomes, row_numbers):
    """Return the header entry of the review's row outcomes: `outcomes`, one
    byte per plan row, compressed, and a digest of the rows' sheet numbers,
    so that a plan read again from a changed file is not compared with it."""
    return {
        "outcomes": base64.b64encode(zlib.compress(outcomes, COMPRESS_LEVEL)).decode(),
        "rows": _row_numbers_digest(row_numbers),
    }


def _row_numbers_digest(row_numbers):
    return hashlib.sha256(array("Q", row_numbers).tobytes()).hexdigest()


def parse(batch, data, catalogue):
    """Return the Plan in `data`, or None with the reason logged when the
    data is not an authentic plan of `batch` for the current `catalogue`."""
    try:
        header, signed, length = _verified(data)
    except _NotAuthentic as error:
        return _rejected(batch, str(error))
    expected = _header(batch, catalogue)
    changed = sorted(key for key in expected if header.get(key) != expected[key])
    if changed:
        return _rejected(batch, f"it does not match the batch any more ({', '.join(changed)} changed)")

    stream = BytesIO(zlib.decompress(signed[HEADER_LENGTH.size + length :]))
    # One unpickler per pickle, because each was written with a fresh memo.
    with _garbage_collector_paused():
        plan = _PlanUnpickler(stream).load()
        rows = []
        while (chunk := _PlanUnpickler(stream).load()) is not None:
            rows.extend(_decode_row(values) for values in chunk)
        plan.rows = rows
    return plan


class _NotAuthentic(Exception):
    """Plan file bytes that eBilling did not write, with the reason as message."""


def _verified(data):
    """Return (header, signed part, header length) of plan file bytes.

    Raises _NotAuthentic when they are no plan file or their HMAC does not match.
    """
    start = len(MAGIC) + DIGEST_SIZE
    if not data.startswith(MAGIC) or len(data) < start + HEADER_LENGTH.size:
        raise _NotAuthentic("it is not a plan file")
    signed = data[start:]
    if not hmac.compare_digest(data[len(MAGIC) : start], _mac(signed)):
        raise _NotAuthentic("its HMAC does not match (the file was changed, or SECRET_KEY was)")
    (length,) = HEADER_LENGTH.unpack_from(signed)
    header = json.loads(signed[HEADER_LENGTH.size : HEADER_LENGTH.size + length])
    return header, signed, length


def _rejected(batch, reason):
    logger.warning("Import batch %s: stored plan rejected because %s. Reading the file again.", batch.pk, reason)
    return None


def save(batch, payload, catalogue, review=None):
    """Store the plan file of `payload` (see compress) beside the batch's
    upload, replacing an older one, with the review's row outcomes `review`
    (see encode_review).

    `catalogue` is catalogue_fingerprint() taken before build_plan started,
    so a site or alias changed while the file was being read makes the
    plan stale rather than wrongly current. The stored plan only saves
    time, so a failure is logged and the commit reads the file instead.
    A `payload` of None, from a compress() that failed, stores nothing.
    """
    if not batch.file or payload is None:
        return
    started = time.monotonic()
    name = plan_name(batch.file.name)
    storage = batch.file.storage
    try:
        data = dump(batch, payload, catalogue, review)
        storage.delete(name)
        saved = storage.save(name, ContentFile(data))
    except Exception:
        # Any error here (storage, disk full) only costs the time that the
        # commit spends reading the file again.
        logger.exception(
            "Import batch %s: storing the checked plan failed. The commit will read the file again.", batch.pk
        )
        return
    if saved != name:
        # The storage chose another name because one appeared meanwhile.
        # load() would never find it, so it is removed.
        storage.delete(saved)
        logger.warning("Import batch %s: %s was taken, so the checked plan was not stored", batch.pk, name)
        return
    logger.info(
        "Import batch %s: stored the checked plan (%s bytes) in %.2f s", batch.pk, len(data), time.monotonic() - started
    )


def compress_or_none(batch, plan):
    """Return compress(plan), or None with the error logged: a plan that
    cannot be stored only costs the time the commit spends reading the file again."""
    try:
        return compress(plan)
    except Exception:
        logger.exception(
            "Import batch %s: storing the checked plan failed. The commit will read the file again.", batch.pk
        )
        return None


def load(batch):
    """Return the stored Plan of the batch, or None when there is none or it
    cannot be used (tampered, written for other settings, or stale)."""
    if not batch.file:
        return None
    name = plan_name(batch.file.name)
    storage = batch.file.storage
    started = time.monotonic()
    try:
        with storage.open(name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    try:
        plan = parse(batch, data, catalogue_fingerprint())
    except Exception as error:
        # The HMAC matched, so eBilling wrote this file. An error here most
        # likely means that an earlier release wrote it with other classes.
        return _rejected(batch, f"it could not be read ({type(error).__name__}: {error})")
    if plan is not None:
        logger.info(
            "Import batch %s: loaded the checked plan of %s rows in %.2f s",
            batch.pk, len(plan.rows), time.monotonic() - started,
        )
    return plan


def load_review(batch, row_numbers):
    """Return the review's row outcomes stored in the batch's plan file, one
    byte per row, or None when they cannot be compared.

    They cannot be when there is no plan file, when the file fails its HMAC
    or belongs to another check of the batch, or when `row_numbers`, the
    sheet rows of the plan about to be saved, are not those reviewed.

    Only the HMAC and the header are checked, so the outcomes stay usable
    when the plan itself is stale, as after a change of sites or packages.
    """
    if not batch.file:
        return None
    try:
        with batch.file.storage.open(plan_name(batch.file.name), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    try:
        header, _signed, _length = _verified(data)
    except _NotAuthentic:
        return None
    review = header.get("review")
    same_check = all(header.get(key) == value for key, value in _check_keys(batch).items())
    if not review or not same_check or review["rows"] != _row_numbers_digest(row_numbers):
        return None
    return zlib.decompress(base64.b64decode(review["outcomes"]))


def _check_keys(batch):
    """Return the header entries that name the batch and the choices of its check."""
    return {
        "batch": str(batch.pk),
        "sha256": batch.file_sha256,
        "mode": batch.mode,
        "site": batch.site_id,
        "columns": batch.column_map,
        "sheet": batch.sheet,
        "package_names": batch.package_names,
    }


def delete(batch):
    """Delete the batch's stored plan, if there is one."""
    if batch.file:
        batch.file.storage.delete(plan_name(batch.file.name))


@receiver(post_save, sender=ImportBatch, dispatch_uid="customers.importing.stored_plan.delete_when_cancelled")
def _delete_when_cancelled(sender, instance, update_fields=None, **kwargs):
    """Delete the plan when a batch is saved as cancelled. This module is
    imported with batches.py, so the receiver is connected wherever a batch
    can be cancelled. The review page's cancel button updates the batch
    without a save, and batches.cancel_review() deletes the plan itself."""
    if instance.state == ImportBatch.State.CANCELLED and (update_fields is None or "state" in update_fields):
        delete(instance)
