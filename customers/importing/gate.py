"""The gate: decide what an uploaded file is before any parser reads it.

`inspect_upload` looks at the bytes, never at the file name, and returns the
format the reader should use ("xlsx", "xlsm", "csv", "xls" or "ods"), or
raises FileRejected with a message the admin can act on.

ZIP-based files (.xlsx, .xlsm, .ods) are checked against zip bombs first.
The checks cover the entry count, the declared and the actual unpacked
sizes, the compression ratio, overlapping entries, the CRC of every entry,
and DOCTYPE or ENTITY declarations in XML parts. Only then are the small
parts that name the workbook kind parsed.
"""

import math
import os
import struct
import zipfile
import zlib

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from customers.importing.problems import FileRejected, register_file_message

MIB = 1024 * 1024

# Defaults of the IMPORT_* settings read by this module.
#
# A 100,000-row template workbook is about 10 MB on disk and 68 MB unpacked
# (openpyxl writes inline strings). So the 25 MB upload limit allows about
# 250,000 such rows, and the 300,000-row limit is about 205 MB of sheet XML.
# 256 MiB unpacked covers that with room for styles and shared strings. It
# also bounds the time a file can cost: the reader took about 2.5 s for the
# 68 MB sheet on a 2-core machine, so 256 MiB is roughly 10 s of parsing.
DEFAULT_MAX_UPLOAD_BYTES = 25 * MIB
DEFAULT_MAX_UNCOMPRESSED_BYTES = 256 * MIB
# Sheet XML written by Excel, LibreOffice and openpyxl compresses 5 to 15
# times, and the most repetitive parts seen in 80 real-world workbooks reached
# about 51 times. Zip bombs compress hundreds to a thousand times.
DEFAULT_MAX_COMPRESSION_RATIO = 100
# A workbook has a few parts per sheet (sheet XML, relationships, drawings,
# comments); the largest of 80 real-world workbooks had 50. 5,000 leaves room
# for workbooks with hundreds of sheets.
DEFAULT_MAX_ZIP_ENTRIES = 5_000
# The shared-string part is loaded whole into memory, by our reader and again
# by python-calamine: 207 MB of it cost 1.27 GB RSS. The 100,000-row benchmark
# workbook with its strings moved to shared strings has 21 MiB of them (31 MiB
# with xml:space="preserve" on every string). A workbook within the 25 MB
# upload limit contains an estimated 80 MiB at most. The largest of 80 real-world
# workbooks had 0.24 MB.
DEFAULT_MAX_SHARED_STRINGS_BYTES = 128 * MIB
# Each shared string costs about 120 bytes in the worker however short it is,
# held by our reader and again by python-calamine, so 7.46 million
# two-character strings within the byte limit took about 1 GB. Reading a
# workbook of two-character strings and one customer row with open_table()
# on a 2-core machine peaked at 302 MB RSS with 2 million strings and 363 MB
# with 2.5 million. The 100,000-row benchmark workbook
# (bench/make_customers_xlsx.py) has 489,764 distinct texts and 300,000 of
# its rows have 1,428,458, so a 300,000-row sheet may have 6.6 per row.
DEFAULT_MAX_SHARED_STRINGS = 2_000_000

# An .ods stores a run of identical rows once, with a repeat count. A
# crafted 1 KB file repeating one row of 100 cells 290,000 times cost 51 s
# of worker time and 290,011 stored problems. Identical non-empty rows are
# duplicates in a customer list, so the copies a sheet may expand to are
# bounded. Rows repeated as empty are not counted.
DEFAULT_MAX_ODS_REPEATED_ROWS = 10_000

# Parts smaller than this are not ratio-checked: tiny parts such as an
# all-blank styles list compress far better than 100:1 and cost nothing.
RATIO_CHECK_MIN_BYTES = 1 * MIB

# Maximum size of the parts parsed to classify a ZIP: [Content_Types].xml,
# _rels/.rels, the ODS manifest and mimetype.
SMALL_PART_MAX_BYTES = 4 * MIB

HEAD_BYTES = 64 * 1024
READ_CHUNK = 1 * MIB

ZIP_LOCAL_SIGNATURE = b"PK\x03\x04"
# The end-of-central-directory record; an empty archive starts with it.
ZIP_END_SIGNATURE = b"PK\x05\x06"
ZIP_SPANNED_SIGNATURE = b"PK\x07\x08"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Record ids of the BOF record that starts a bare BIFF2, BIFF3, BIFF4 or
# BIFF5-8 worksheet stream (an .xls without the OLE container).
BIFF_BOF_RECORDS = {0x0009, 0x0209, 0x0409, 0x0809}

# Declarations that can only serve an XML entity attack in a workbook part.
XML_DECLARATION_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
MARKER_OVERLAP = max(len(marker) for marker in XML_DECLARATION_MARKERS) - 1

SPREADSHEET_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroenabled.main+xml": "xlsm",
}
XLSB_MAIN_TYPE = "application/vnd.ms-excel.sheet.binary.macroenabled.main"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_TEMPLATE_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet-template"

FILE_EMPTY = register_file_message(
    "file_empty",
    _("The file is empty (0 bytes). Choose the customer workbook again and upload it."),
)
FILE_TOO_LARGE = register_file_message(
    "file_too_large",
    _(
        "The file is %(size_bytes)s, larger than the limit of %(limit_bytes)s. Split the customers "
        "over several files and upload them one by one."
    ),
)
FILE_ENCRYPTED = register_file_message(
    "file_encrypted",
    _(
        "This file is protected with a password, so it cannot be read. To remove the password, "
        "open the file in Excel, choose File > Info > Protect Workbook > Encrypt with Password, "
        "delete the password, click OK, save the file and upload it again."
    ),
)
ODS_ENCRYPTED = register_file_message(
    "ods_encrypted",
    _(
        "This file is protected with a password, so it cannot be read. To remove the password, "
        "open the file in LibreOffice Calc, choose File > Save As, clear \"Save with password\", "
        "save the file and upload it again."
    ),
)
FILE_CORRUPT = register_file_message(
    "file_corrupt",
    _(
        "The file is damaged or incomplete, for example because a download or copy was cut off. "
        "Open it in Excel; if it opens, save it again as Excel Workbook (.xlsx) and upload the "
        "new file."
    ),
)
FILE_UNKNOWN = register_file_message(
    "file_unknown",
    _(
        "The file is not a spreadsheet that can be read. Upload an Excel workbook (.xlsx or "
        ".xlsm), a CSV file, or an .xls or .ods file."
    ),
)
FILE_IS_PDF = register_file_message(
    "file_is_pdf",
    _(
        "This file is a PDF document, not a spreadsheet. Upload the original Excel workbook "
        "(.xlsx) or a CSV file instead."
    ),
)
FILE_IS_HTML = register_file_message(
    "file_is_html",
    _(
        "This file is a web page (HTML) saved under a spreadsheet name. Open it in Excel, choose "
        "File > Save As > Excel Workbook (.xlsx) and upload the saved file."
    ),
)
FILE_IS_IMAGE = register_file_message(
    "file_is_image",
    _(
        "This file is an image, not a spreadsheet. Upload the Excel workbook (.xlsx) or CSV file "
        "that contains the customer table."
    ),
)
FILE_IS_XML = register_file_message(
    "file_is_xml",
    _(
        "This file is an XML document, such as an Excel 2003 XML Spreadsheet, which cannot be "
        "read. Open it in Excel, save it as Excel Workbook (.xlsx) and upload that file."
    ),
)
XLSB_UNSUPPORTED = register_file_message(
    "xlsb_unsupported",
    _(
        "This is an Excel Binary Workbook (.xlsb), which cannot be read. Open it in Excel, choose "
        "File > Save As > Excel Workbook (.xlsx) and upload that file."
    ),
)
NUMBERS_FILE = register_file_message(
    "numbers_file",
    _(
        "This is an Apple Numbers file, which cannot be read. In Numbers, choose File > Export To "
        "> Excel, then upload the exported .xlsx file."
    ),
)
OFFICE_NOT_WORKBOOK = register_file_message(
    "office_not_workbook",
    _(
        "This is a document from an office program (for example Word or Writer), not a "
        "spreadsheet. Upload the customer workbook (.xlsx) or a CSV file instead."
    ),
)
ARCHIVE_NOT_WORKBOOK = register_file_message(
    "archive_not_workbook",
    _(
        "This file is a compressed archive (such as ZIP), not a workbook. Extract the workbook "
        "from the archive and upload the .xlsx or .csv file itself."
    ),
)
CSV_NUL = register_file_message(
    "csv_nul",
    _(
        "The file contains NUL characters, so it is not a plain CSV text file. Open it in Excel, "
        "save it as CSV UTF-8 or as Excel Workbook (.xlsx) and upload the saved file."
    ),
)
CSV_UTF16_WITHOUT_MARK = register_file_message(
    "csv_utf16_without_mark",
    _(
        "The file is Unicode text (UTF-16) without the byte-order mark that names its encoding, "
        "so eBilling cannot read it. Open it in Excel, save it as CSV UTF-8 or as Excel Workbook "
        "(.xlsx) and upload the saved file."
    ),
)
ZIP_TOO_MANY_ENTRIES = register_file_message(
    "zip_too_many_entries",
    _(
        "The file consists of %(count)s packed parts; at most %(limit)s are accepted, so it was "
        "not read. Open it in Excel, save it as a new Excel Workbook (.xlsx) and upload that file."
    ),
)
ZIP_TOO_LARGE = register_file_message(
    "zip_too_large",
    _(
        "The file unpacks to more than %(limit_bytes)s, the limit for one import, so it was not read. "
        "Split the customers over several files, or delete other sheets and pictures, and "
        "upload again."
    ),
)
ZIP_RATIO = register_file_message(
    "zip_ratio",
    _(
        "A part of the file is compressed more than %(limit)s times, which files saved by "
        "spreadsheet programs never are, so it was not read. Open it in Excel, save it as a new "
        "Excel Workbook (.xlsx) and upload that file."
    ),
)
ZIP_OVERLAP = register_file_message(
    "zip_overlap",
    _(
        "The packed parts of the file overlap each other, which happens only in damaged or "
        "deliberately crafted files, so it was not read. Save the workbook again from Excel and "
        "upload the new file."
    ),
)
SHARED_STRINGS_TOO_LARGE = register_file_message(
    "shared_strings_too_large",
    _(
        "The text of the file's cells (its shared strings) unpacks to more than %(limit_bytes)s, "
        "the limit for one import, so it was not read. Split the customers over several files, "
        "or delete other sheets, and upload again."
    ),
)
SHARED_STRINGS_TOO_MANY = register_file_message(
    "shared_strings_too_many",
    _(
        "The file's cells contain more than %(limit)s different texts (its shared strings), "
        "the limit for one import, so it was not read. Split the customers over several files, "
        "or delete other sheets, and upload again."
    ),
)
SHARED_STRING_TOO_LONG = register_file_message(
    "shared_string_too_long",
    _(
        "A cell of the file holds more than 4 MB of text, longer than Excel's limit of 32,767 characters "
        "per cell, so the file was not read. Find that cell, shorten it, save the file and upload it again."
    ),
)
ROW_TOO_LARGE = register_file_message(
    "row_too_large",
    _(
        "Cell %(cell)s of sheet “%(sheet)s” is most likely longer than Excel's limit of 32,767 characters: "
        "row %(row)s passes 4 MB of data there, so the file was not read. Shorten that cell, save the file "
        "and upload it again."
    ),
)
ODS_REPEATED_ROWS = register_file_message(
    "ods_repeated_rows",
    _(
        "Sheet “%(sheet)s” repeats identical non-empty rows more than %(limit)s times (row %(row)s alone "
        "is repeated %(rows)s times), which a customer list does not do, so the file was not read. Delete "
        "the repeated rows, save the file and upload it again."
    ),
)
XML_UNSAFE = register_file_message(
    "xml_unsafe",
    _(
        "The file contains XML document type or entity declarations, which workbooks never need, "
        "so it was not read. Save the workbook again from Excel and upload the new file."
    ),
)


def ensure_defused_xml():
    """Raise ImproperlyConfigured unless openpyxl parses XML through defusedxml.

    openpyxl resists entity expansion (billion laughs) and external entities
    only when defusedxml is importable and OPENPYXL_DEFUSEDXML is not "False".
    Call it once at start-up.
    """
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise ImproperlyConfigured(
            "openpyxl is not using defusedxml, so workbook XML could expand entities. "
            "Install defusedxml (it is in requirements.txt) and unset OPENPYXL_DEFUSEDXML."
        )


def max_upload_bytes():
    return getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


def max_uncompressed_bytes():
    return getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES)


def max_shared_strings_bytes():
    return getattr(settings, "IMPORT_MAX_SHARED_STRINGS_BYTES", DEFAULT_MAX_SHARED_STRINGS_BYTES)


def max_shared_strings():
    return getattr(settings, "IMPORT_MAX_SHARED_STRINGS", DEFAULT_MAX_SHARED_STRINGS)


def max_ods_repeated_rows():
    return getattr(settings, "IMPORT_MAX_ODS_REPEATED_ROWS", DEFAULT_MAX_ODS_REPEATED_ROWS)


def max_compression_ratio():
    return getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO)


def max_zip_entries():
    return getattr(settings, "IMPORT_MAX_ZIP_ENTRIES", DEFAULT_MAX_ZIP_ENTRIES)


def inspect_upload(path, filename):
    """Return the format of the uploaded file at `path`, decided by its content.

    Returns "xlsx", "xlsm", "csv", "xls" or "ods", or raises FileRejected.
    `filename`, the name the admin uploaded, does not change the result.
    Extensions are often wrong: an .xls saved as .xlsx, a web page saved as .xls.
    """
    size = os.path.getsize(path)
    if size == 0:
        raise FileRejected(FILE_EMPTY)
    limit = max_upload_bytes()
    if size > limit:
        raise FileRejected(FILE_TOO_LARGE, size_bytes=size, limit_bytes=limit)

    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
        if head.startswith((ZIP_LOCAL_SIGNATURE, ZIP_END_SIGNATURE, ZIP_SPANNED_SIGNATURE)):
            return _inspect_zip(path, handle, size)
        if head.startswith(OLE_SIGNATURE):
            return _inspect_ole(handle, size)
    if _is_bare_biff(head):
        return "xls"
    _reject_known_non_spreadsheets(head, size)
    _check_text(head)
    return "csv"


def _is_bare_biff(head):
    if len(head) < 8:
        return False
    record, length = struct.unpack_from("<HH", head)
    return record in BIFF_BOF_RECORDS and 4 <= length <= 20


def _reject_known_non_spreadsheets(head, size):
    """Raise FileRejected for PDF, images, web pages, XML and other archives."""
    if head.startswith(b"%PDF-"):
        raise FileRejected(FILE_IS_PDF)
    if _is_image(head, size):
        raise FileRejected(FILE_IS_IMAGE)
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07")):
        raise FileRejected(ARCHIVE_NOT_WORKBOOK)

    start = _strip_text_start(head[:4096]).lower()
    if start.startswith(b"<"):
        if b"<html" in start or start.startswith(b"<!doctype html") or b"<table" in start:
            raise FileRejected(FILE_IS_HTML)
        if start.startswith((b"<?xml", b"<!--", b"<!doctype")):
            raise FileRejected(FILE_IS_XML)


def _strip_text_start(data):
    """Return the start of a text file as UTF-8 bytes, without byte-order mark or leading whitespace."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.lstrip()


def _is_image(head, size):
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
        return True
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return True
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
        return True
    # A BMP header repeats the file size right after "BM", which text never does.
    return head.startswith(b"BM") and len(head) >= 6 and struct.unpack_from("<L", head, 2)[0] == size


# Control bytes that plain text does not contain. Tab, line feed, vertical
# tab, form feed, carriage return, the DOS end-of-file mark (0x1A) and escape
# (0x1B) are left out. NUL is counted apart, to tell text with a stray NUL
# from binary data.
BINARY_CONTROL_BYTES = bytes(
    byte for byte in range(1, 32) if byte not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1A, 0x1B)
)
BINARY_CONTROL_CHARS = dict.fromkeys(BINARY_CONTROL_BYTES)


def _check_text(head):
    """Raise FileRejected unless `head` looks like the start of a text file.

    Text with a UTF-32 or UTF-16 byte-order mark is decoded first. Binary
    data has many control bytes (about 9% of random bytes) and text almost
    none, so more than 0.5% means binary. A text file containing NUL bytes
    gets its own message, because spreadsheet programs stop reading at them.
    """
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom):].decode(codec, errors="replace")
            if "\x00" in text:
                raise FileRejected(CSV_NUL)
            controls = len(text) - len(text.translate(BINARY_CONTROL_CHARS))
            if controls > len(text) * 0.005:
                raise FileRejected(FILE_UNKNOWN)
            return

    controls = len(head) - len(head.translate(None, BINARY_CONTROL_BYTES))
    if b"\x00" in head and _looks_like_utf16(head):
        raise FileRejected(CSV_UTF16_WITHOUT_MARK)
    if controls > len(head) * 0.005:
        raise FileRejected(FILE_UNKNOWN)
    if b"\x00" in head:
        raise FileRejected(CSV_NUL)


def _looks_like_utf16(head):
    """Return whether `head` reads as UTF-16 text: NUL in nearly every other
    byte, as Latin letters, digits and punctuation give in that encoding."""
    sample = head[:4096]
    if len(sample) < 8:
        return False
    for start in (0, 1):
        halves = sample[start::2], sample[1 - start :: 2]
        if halves[0].count(0) >= len(halves[0]) * 0.9 and halves[1].count(0) <= len(halves[1]) * 0.1:
            return True
    return False


# --- OLE compound files (.xls, encrypted .xlsx) --------------------------------

OLE_END_OF_CHAIN = 0xFFFFFFFE
OLE_MAX_REGULAR_SECTOR = 0xFFFFFFFA


def _inspect_ole(handle, size):
    """Classify an OLE compound file by the names of its streams."""
    try:
        names = _ole_stream_names(handle, size)
    except (ValueError, struct.error):
        raise FileRejected(FILE_CORRUPT) from None

    folded = {name.casefold() for name in names}
    if "encryptedpackage" in folded or "encryptioninfo" in folded:
        raise FileRejected(FILE_ENCRYPTED)
    if "workbook" in folded or "book" in folded:
        return "xls"
    raise FileRejected(OFFICE_NOT_WORKBOOK)


def _ole_stream_names(handle, size):
    """Return the names in the directory of an OLE compound file.

    Follows the DIFAT, FAT and directory chains with bounds and loop checks,
    so a crafted file with a looping or out-of-range chain raises ValueError
    instead of hanging.
    """
    handle.seek(0)
    header = handle.read(512)
    if len(header) < 512:
        raise ValueError("OLE header truncated")
    sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise ValueError("OLE sector size invalid")
    sector_size = 1 << sector_shift
    # Sector n starts at byte (n + 1) * sector_size, after the header sector.
    sector_count = max(0, math.ceil((size - sector_size) / sector_size))
    first_directory_sector = struct.unpack_from("<L", header, 0x30)[0]
    first_difat_sector = struct.unpack_from("<L", header, 0x44)[0]

    def read_sector(number):
        if number >= sector_count:
            raise ValueError("OLE sector out of range")
        handle.seek((number + 1) * sector_size)
        data = handle.read(sector_size)
        if len(data) < sector_size:
            # Pad a last sector that the file cuts short.
            data = data.ljust(sector_size, b"\x00")
        return data

    fat_sectors = [
        number for number in struct.unpack_from("<109L", header, 0x4C) if number < OLE_MAX_REGULAR_SECTOR
    ]
    entries_per_sector = sector_size // 4
    difat_sector = first_difat_sector
    seen = set()
    while difat_sector < OLE_MAX_REGULAR_SECTOR:
        if difat_sector in seen:
            raise ValueError("OLE DIFAT chain loops")
        seen.add(difat_sector)
        values = struct.unpack(f"<{entries_per_sector}L", read_sector(difat_sector))
        fat_sectors.extend(number for number in values[:-1] if number < OLE_MAX_REGULAR_SECTOR)
        difat_sector = values[-1]
    if len(fat_sectors) > sector_count:
        raise ValueError("OLE FAT larger than the file")

    fat = []
    for number in fat_sectors:
        fat.extend(struct.unpack(f"<{entries_per_sector}L", read_sector(number)))

    names = []
    sector = first_directory_sector
    seen = set()
    while sector != OLE_END_OF_CHAIN:
        if sector in seen or sector >= len(fat):
            raise ValueError("OLE directory chain loops or leaves the file")
        seen.add(sector)
        data = read_sector(sector)
        for offset in range(0, sector_size, 128):
            entry = data[offset:offset + 128]
            name_length = struct.unpack_from("<H", entry, 64)[0]
            object_type = entry[66]
            if object_type in (1, 2, 5) and 2 <= name_length <= 64 and name_length % 2 == 0:
                names.append(entry[: name_length - 2].decode("utf-16-le", errors="replace"))
        sector = fat[sector]
    return names


# --- ZIP packages (.xlsx, .xlsm, .ods) -------------------------------------------

def _inspect_zip(path, handle, size):
    """Check a ZIP archive against zip bombs, then classify it."""
    count = _zip_entry_count(handle, size)
    limit = max_zip_entries()
    if count > limit:
        raise FileRejected(ZIP_TOO_MANY_ENTRIES, count=count, limit=limit)

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
        raise FileRejected(FILE_CORRUPT) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limit:
            raise FileRejected(ZIP_TOO_MANY_ENTRIES, count=len(infos), limit=limit)
        if any(info.flag_bits & 0x1 for info in infos):
            # ZIP-level encryption: no spreadsheet program writes it.
            raise FileRejected(ARCHIVE_NOT_WORKBOOK)
        _check_declared_sizes(infos)
        data_ranges = _check_overlaps(handle, infos, size)
        _check_actual_sizes(handle, infos, data_ranges)
        return _classify_zip(archive, infos)


def _zip_entry_count(handle, size):
    """Return the entry count from the end-of-central-directory record.

    Read before zipfile builds one object per entry, so an archive claiming
    millions of entries costs nothing. Raises FileRejected when the record is
    missing, which is how a truncated upload looks.
    """
    tail_length = min(size, 22 + 65535)
    handle.seek(size - tail_length)
    tail = handle.read(tail_length)
    position = tail.rfind(ZIP_END_SIGNATURE)
    if position < 0 or len(tail) - position < 22:
        raise FileRejected(FILE_CORRUPT)
    count = struct.unpack_from("<H", tail, position + 10)[0]
    if count != 0xFFFF:
        return count

    # ZIP64: the locator just before the record points to the ZIP64 record.
    if position < 20 or tail[position - 20:position - 16] != b"PK\x06\x07":
        raise FileRejected(FILE_CORRUPT)
    record_offset = struct.unpack_from("<Q", tail, position - 12)[0]
    if record_offset + 56 > size:
        raise FileRejected(FILE_CORRUPT)
    handle.seek(record_offset)
    record = handle.read(56)
    if record[:4] != b"PK\x06\x06":
        raise FileRejected(FILE_CORRUPT)
    return struct.unpack_from("<Q", record, 32)[0]


def _check_declared_sizes(infos):
    total_limit = max_uncompressed_bytes()
    ratio_limit = max_compression_ratio()
    total = 0
    for info in infos:
        total += info.file_size
        if total > total_limit:
            raise FileRejected(ZIP_TOO_LARGE, limit_bytes=total_limit)
        if _ratio_exceeded(info.file_size, info.compress_size, ratio_limit):
            raise FileRejected(ZIP_RATIO, limit=ratio_limit)


def _ratio_exceeded(unpacked, packed, ratio_limit):
    return unpacked >= RATIO_CHECK_MIN_BYTES and unpacked > ratio_limit * max(packed, 1)


def _check_overlaps(handle, infos, size):
    """Return each entry's (data start, data end) after checking that no two overlap.

    Overlapping entries let a small archive unpack the same compressed bytes
    many times over (the "non-recursive zip bomb").
    """
    ranges = {}
    previous_end = 0
    for info in sorted(infos, key=lambda item: item.header_offset):
        # zipfile computes a negative offset when the central directory
        # contradicts the file's length, and seek() raises OSError on it.
        if info.header_offset < 0:
            raise FileRejected(FILE_CORRUPT)
        handle.seek(info.header_offset)
        header = handle.read(zipfile.sizeFileHeader)
        if len(header) < zipfile.sizeFileHeader or header[:4] != ZIP_LOCAL_SIGNATURE:
            raise FileRejected(FILE_CORRUPT)
        fields = struct.unpack(zipfile.structFileHeader, header)
        name_length, extra_length = fields[-2], fields[-1]
        start = info.header_offset + zipfile.sizeFileHeader + name_length + extra_length
        end = start + info.compress_size
        if info.header_offset < previous_end:
            raise FileRejected(ZIP_OVERLAP)
        if end > size:
            raise FileRejected(FILE_CORRUPT)
        ranges[info.header_offset] = (start, end)
        previous_end = end
    return ranges


def _check_actual_sizes(handle, infos, data_ranges):
    """Unpack every entry, counting bytes, checking CRCs and scanning XML parts.

    The sizes in ZIP headers are written by whoever made the file and can lie,
    so the limits are applied to the bytes actually produced.
    """
    total_limit = max_uncompressed_bytes()
    ratio_limit = max_compression_ratio()
    total = 0
    for info in infos:
        start, end = data_ranges[info.header_offset]
        scan_xml = info.filename.lower().endswith((".xml", ".rels"))
        produced = 0
        crc = 0
        carry = b""
        for data in _unpack_entry(handle, info, start, end):
            produced += len(data)
            total += len(data)
            if total > total_limit:
                raise FileRejected(ZIP_TOO_LARGE, limit_bytes=total_limit)
            if _ratio_exceeded(produced, info.compress_size, ratio_limit):
                raise FileRejected(ZIP_RATIO, limit=ratio_limit)
            crc = zlib.crc32(data, crc)
            if scan_xml:
                window = carry + data
                if any(marker in window for marker in XML_DECLARATION_MARKERS):
                    raise FileRejected(XML_UNSAFE)
                carry = window[-MARKER_OVERLAP:]
        if produced != info.file_size or crc != info.CRC:
            raise FileRejected(FILE_CORRUPT)


def _unpack_entry(handle, info, start, end):
    """Yield the unpacked bytes of one entry in pieces of at most READ_CHUNK."""
    handle.seek(start)
    remaining = end - start
    if info.compress_type == zipfile.ZIP_STORED:
        while remaining:
            data = handle.read(min(READ_CHUNK, remaining))
            if not data:
                raise FileRejected(FILE_CORRUPT)
            remaining -= len(data)
            yield data
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        # Deflate64, bzip2 and LZMA are never written by spreadsheet programs.
        raise FileRejected(FILE_CORRUPT)

    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while remaining and not decompressor.eof:
            packed = handle.read(min(READ_CHUNK, remaining))
            if not packed:
                raise FileRejected(FILE_CORRUPT)
            remaining -= len(packed)
            while packed:
                data = decompressor.decompress(packed, READ_CHUNK)
                if data:
                    yield data
                packed = decompressor.unconsumed_tail
                if decompressor.eof:
                    break
        data = decompressor.flush()
        if data:
            yield data
    except zlib.error:
        raise FileRejected(FILE_CORRUPT) from None
    if not decompressor.eof:
        raise FileRejected(FILE_CORRUPT)


def _part_key(name):
    """Return a ZIP entry name as an OPC part key: forward slashes, lower case, no leading slash."""
    return name.replace("\\", "/").lstrip("/").lower()


def _read_small_part(archive, info):
    """Return the bytes of a small classification part, refusing large ones."""
    if info.file_size > SMALL_PART_MAX_BYTES:
        raise FileRejected(FILE_CORRUPT)
    with archive.open(info) as stream:
        return stream.read(SMALL_PART_MAX_BYTES + 1)


def _parse_small_xml(archive, info):
    try:
        return defused_fromstring(_read_small_part(archive, info), forbid_dtd=True)
    except DefusedXmlException:
        raise FileRejected(XML_UNSAFE) from None
    except Exception:
        # defusedxml raises ParseError, ValueError or UnicodeError for
        # malformed parts; all of them mean a damaged file.
        raise FileRejected(FILE_CORRUPT) from None


def _local_name(tag):
    return tag.rpartition("}")[2]


def _classify_zip(archive, infos):
    """Return "xlsx", "xlsm" or "ods" for a checked archive, or raise FileRejected."""
    parts = {_part_key(info.filename): info for info in infos}
    if not parts:
        raise FileRejected(ARCHIVE_NOT_WORKBOOK)
    if any(key.endswith(".iwa") for key in parts):
        raise FileRejected(NUMBERS_FILE)

    ods = _classify_opendocument(archive, parts)
    if ods:
        return ods

    if "[content_types].xml" in parts or any(key.startswith("xl/") for key in parts):
        return _classify_ooxml(archive, parts)
    if any(key.startswith(("word/", "ppt/")) for key in parts):
        raise FileRejected(OFFICE_NOT_WORKBOOK)
    raise FileRejected(ARCHIVE_NOT_WORKBOOK)


def _classify_opendocument(archive, parts):
    """Return "ods" for an OpenDocument spreadsheet, None for a non-OpenDocument archive."""
    manifest_info = parts.get("meta-inf/manifest.xml")
    mimetype_info = parts.get("mimetype")
    if mimetype_info is None and (manifest_info is None or "content.xml" not in parts):
        return None

    manifest = _parse_small_xml(archive, manifest_info) if manifest_info is not None else None
    if mimetype_info is not None:
        media_type = _read_small_part(archive, mimetype_info).decode("ascii", errors="replace").strip()
    else:
        media_type = _manifest_root_media_type(manifest)
    if media_type not in (ODS_MIMETYPE, ODS_TEMPLATE_MIMETYPE):
        if media_type.startswith("application/vnd.oasis.opendocument."):
            raise FileRejected(OFFICE_NOT_WORKBOOK)
        return None

    if manifest is not None and any(_local_name(element.tag) == "encryption-data" for element in manifest.iter()):
        raise FileRejected(ODS_ENCRYPTED)
    if "content.xml" not in parts:
        raise FileRejected(FILE_CORRUPT)
    return "ods"


def _manifest_root_media_type(manifest):
    for element in manifest.iter():
        attributes = {_local_name(key): value for key, value in element.attrib.items()}
        if _local_name(element.tag) == "file-entry" and attributes.get("full-path") == "/":
            return attributes.get("media-type", "")
    return ""


def _classify_ooxml(archive, parts):
    main_part = _ooxml_main_part(archive, parts)
    if main_part not in parts:
        raise FileRejected(FILE_CORRUPT)

    content_type = ""
    if "[content_types].xml" in parts:
        types = _parse_small_xml(archive, parts["[content_types].xml"])
        for element in types:
            if _local_name(element.tag) == "Override" and _part_key(element.get("PartName", "")) == main_part:
                content_type = element.get("ContentType", "").strip().lower()

    if content_type in SPREADSHEET_MAIN_TYPES:
        return SPREADSHEET_MAIN_TYPES[content_type]
    if content_type == XLSB_MAIN_TYPE:
        raise FileRejected(XLSB_UNSUPPORTED)
    if "wordprocessingml" in content_type or "presentationml" in content_type:
        raise FileRejected(OFFICE_NOT_WORKBOOK)
    if main_part.endswith(".bin"):
        raise FileRejected(XLSB_UNSUPPORTED)
    # No usable content type: trust the part layout, as Excel does.
    return "xlsm" if "xl/vbaproject.bin" in parts else "xlsx"


def _ooxml_main_part(archive, parts):
    """Return the part key of the main document named by _rels/.rels."""
    rels = parts.get("_rels/.rels")
    if rels is not None:
        for element in _parse_small_xml(archive, rels):
            if element.get("Type", "").endswith("/officeDocument") and element.get("TargetMode") != "External":
                return _part_key(element.get("Target", ""))
    return "xl/workbook.xml"
