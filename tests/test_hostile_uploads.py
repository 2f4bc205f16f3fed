"""Hostile files sent through the upload page and through a real task worker.

Every file below is built to exhaust or subvert the import. They are zip
bombs, XML entity attacks in each part of a workbook, sheets whose shape
lies, files of another kind under a spreadsheet name, and files past the
size, row and column limits. Each one must end as a failed batch with its own message
code, with no customer saved. The worker tests run `manage.py db_worker`
as a child process against the test database and check that it is still
alive and still imports a good file after all of them.

The reader-level checks of the same attacks are in test_gate.py,
test_reader.py and test_hostile_files.py.
"""

import io
import os
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from customers.importing import batches
from customers.importing.problems import FileRejected
from customers.models import Customer, ImportBatch
from tests.importing_helpers import CASES_DIR, DATA_DIR, SAMPLE_XLSX

PROJECT_DIR = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_PART = "xl/worksheets/sheet1.xml"

# Row and column limits for these tests, given to the worker through the
# environment and to the test process through settings.
MAX_ROWS = 50
MAX_COLUMNS = 100

# Seconds to wait for a batch to leave the running states. It only guards
# against a hang and measures nothing, because each file takes well under a second.
BATCH_DEADLINE_SECONDS = 120


# --- building hostile files ------------------------------------------------------


def customer_workbook(path, rows=3, configure=None):
    """Save a small customer workbook (openpyxl writes inline strings)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    sheet.append(["ID Pelanggan", "Nama", "No HP"])
    for number in range(1, rows + 1):
        sheet.append([f"HST-{number:04d}", f"Pelanggan Uji {number}", f"0812{number:08d}"])
    if configure:
        configure(sheet)
    workbook.save(path)
    return path


def rewrite(source, target, replace=None, add=(), rename=None):
    """Copy the zip `source` to `target`, replacing parts, renaming parts and adding (name, data) parts."""
    replace = replace or {}
    rename = rename or {}
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = replace.get(info.filename, original.read(info))
            copy.writestr(rename.get(info.filename, info.filename), data)
        for name, data in add:
            copy.writestr(name, data)
    return target


def billion_laughs(root, encoding="utf-8"):
    """Return an XML document whose one text node expands to 10^9 characters."""
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {name} "{("&" + previous + ";") * 10}">' for previous, name in zip("abcdefgh", "bcdefghi")
    )
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE {root} [{entities}]>\n<{root}>&i;</{root}>'
    return text.encode(encoding)


def external_entity_sheet():
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f'<worksheet xmlns="{MAIN_NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Nama</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>No HP</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()


def central_directory_offsets(data, part_name):
    """Yield the offset of each central directory record naming `part_name`."""
    position = data.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + name_length].decode() == part_name:
            yield position
        position = data.find(b"PK\x01\x02", position + 46)


def zero_bomb(path, base, part_name, size):
    """Copy the workbook `base`, adding `part_name`: `size` bytes of spaces at deflate's maximum ratio."""
    rewrite(base, path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(part_name, "w", force_zip64=False) as part:
            block = b" " * MIB
            for _ in range(size // MIB):
                part.write(block)
    return path


def lying_sheet(path, base):
    """Give the sheet 300 MiB of trailing spaces while both headers claim its old size."""
    with zipfile.ZipFile(base) as archive:
        sheet = archive.read(SHEET_PART)
    rewrite(base, path, rename={SHEET_PART: "unused-old-sheet.xml"})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(SHEET_PART, "w") as part:
            part.write(sheet)
            block = b" " * MIB
            for _ in range(300):
                part.write(block)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local_offset = archive.getinfo(SHEET_PART).header_offset
    struct.pack_into("<L", data, local_offset + 22, len(sheet))
    for offset in central_directory_offsets(bytes(data), SHEET_PART):
        struct.pack_into("<L", data, offset + 24, len(sheet))
    path.write_bytes(bytes(data))
    return path


def overlapping(path, base):
    """Point a second entry's local header at the sheet's, so both unpack the same bytes."""
    rewrite(base, path, add=[("xl/media/copy.xml", b"<a/>")])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        sheet_offset = archive.getinfo(SHEET_PART).header_offset
    for offset in central_directory_offsets(bytes(data), "xl/media/copy.xml"):
        struct.pack_into("<L", data, offset + 42, sheet_offset)
    path.write_bytes(bytes(data))
    return path


def claims_many_entries(path, base):
    """Set the end-of-central-directory record to claim 65,000 entries."""
    data = bytearray(base.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 65000, 65000)
    path.write_bytes(bytes(data))
    return path


def central_directory_moved(path, base):
    """Make the end record place the central directory 4,000 bytes later than it is.

    zipfile still finds the directory but shifts every entry's local header
    offset by -4,000, below the start of the file.
    """
    data = bytearray(base.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    offset = struct.unpack_from("<L", data, end + 16)[0]
    struct.pack_into("<L", data, end + 16, offset + 4000)
    path.write_bytes(bytes(data))
    return path


def sheet_in_unscanned_part(path, base):
    """Move the sheet to a part named .dat, which the gate does not scan, with an entity attack in it."""
    with zipfile.ZipFile(base) as archive:
        relationships = archive.read("xl/_rels/workbook.xml.rels")
        content_types = archive.read("[Content_Types].xml")
    return rewrite(
        base,
        path,
        replace={
            SHEET_PART: billion_laughs("worksheet"),
            "xl/_rels/workbook.xml.rels": relationships.replace(b"worksheets/sheet1.xml", b"worksheets/sheet1.dat"),
            "[Content_Types].xml": content_types.replace(b"/xl/worksheets/sheet1.xml", b"/xl/worksheets/sheet1.dat"),
        },
        rename={SHEET_PART: "xl/worksheets/sheet1.dat"},
    )


def ods_with_entities(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        archive.writestr("content.xml", billion_laughs("office:document-content"))
    return path


def many_entries(path, base, count):
    return rewrite(base, path, add=[(f"xl/extra/{number}.txt", b"x") for number in range(count)])


def far_cells(sheet):
    sheet["XFD1048576"] = "ujung"


def ghost_rows(sheet):
    """Format one cell in the last row, so the dimension claims 1,048,576 rows."""
    fill = PatternFill("solid", fgColor="FFF2CC")
    sheet.cell(row=1_048_576, column=11).fill = fill


def column_beyond_limit(sheet):
    sheet.cell(row=2, column=MAX_COLUMNS + 1, value="catatan")


def column_at_limit(sheet):
    sheet.cell(row=2, column=MAX_COLUMNS, value="catatan")


@dataclass(frozen=True)
class Hostile:
    """A hostile file, the code it is rejected with, and the parameters of its message."""

    name: str
    code: str
    params: dict = None


HOSTILE = [
    Hostile("zip-huge-entry.xlsx", "zip_too_large"),
    Hostile("zip-ratio.xlsx", "zip_ratio", {"limit": 100}),
    Hostile("zip-many-entries.xlsx", "zip_too_many_entries"),
    Hostile("zip-claims-65000-entries.xlsx", "zip_too_many_entries", {"count": 65000, "limit": 5000}),
    Hostile("zip-lying-size.xlsx", "zip_ratio", {"limit": 100}),
    Hostile("zip-overlapping-entries.xlsx", "zip_overlap"),
    Hostile("zip-negative-offsets.xlsx", "file_corrupt"),
    Hostile("laughs-sheet.xlsx", "xml_unsafe"),
    Hostile("laughs-workbook.xlsx", "xml_unsafe"),
    Hostile("laughs-styles.xlsx", "xml_unsafe"),
    Hostile("laughs-content-types.xlsx", "xml_unsafe"),
    Hostile("laughs-package-rels.xlsx", "xml_unsafe"),
    Hostile("laughs-core-properties.xlsx", "xml_unsafe"),
    Hostile("laughs-shared-strings.xlsx", "xml_unsafe"),
    Hostile("laughs-utf16-sheet.xlsx", "xml_unsafe"),
    Hostile("laughs-unscanned-part.xlsx", "xml_unsafe"),
    Hostile("external-entity-sheet.xlsx", "xml_unsafe"),
    Hostile("external-dtd-sheet.xlsx", "xml_unsafe"),
    Hostile("laughs.ods", "xml_unsafe"),
    Hostile("cells-a1-xfd1048576.xlsx", "too_many_columns", {"sheet": "Pelanggan", "column": "XFD", "row": 1_048_576, "limit": MAX_COLUMNS}),
    Hostile("column-beyond-limit.xlsx", "too_many_columns", {"sheet": "Pelanggan", "column": "CW", "row": 2, "limit": MAX_COLUMNS}),
    Hostile("rows-beyond-limit.xlsx", "too_many_rows", {"sheet": "Pelanggan", "limit": MAX_ROWS}),
    Hostile("password-protected.xlsx", "file_encrypted"),
    Hostile("agile-encrypted.xlsx", "file_encrypted"),
    Hostile("pdf-renamed.xlsx", "file_is_pdf"),
    Hostile("html-renamed.xlsx", "file_is_html"),
    Hostile("zip-not-workbook.xlsx", "archive_not_workbook"),
    Hostile("truncated.xlsx", "file_corrupt"),
    # An .xls that made python-calamine allocate all memory; the .xls reader
    # runs in a memory-capped child process and finds no customer sheet.
    Hostile("calamine-oom.xls", "no_customer_sheet"),
]


def build_hostile_files(folder):
    """Write every file of HOSTILE, and the accepted edge cases, into `folder`."""
    base = customer_workbook(folder / "base.xlsx")
    files = {}

    def add(name, path):
        files[name] = path

    add("zip-huge-entry.xlsx", zero_bomb(folder / "zip-huge-entry.xlsx", base, "xl/media/huge.bin", 300 * MIB))
    add("zip-ratio.xlsx", zero_bomb(folder / "zip-ratio.xlsx", base, "xl/worksheets/sheet2.xml", 20 * MIB))
    add("zip-many-entries.xlsx", many_entries(folder / "zip-many-entries.xlsx", base, 5000))
    add("zip-claims-65000-entries.xlsx", claims_many_entries(folder / "zip-claims-65000-entries.xlsx", base))
    add("zip-lying-size.xlsx", lying_sheet(folder / "zip-lying-size.xlsx", base))
    add("zip-overlapping-entries.xlsx", overlapping(folder / "zip-overlapping-entries.xlsx", base))
    add("zip-negative-offsets.xlsx", central_directory_moved(folder / "zip-negative-offsets.xlsx", base))

    parts = {
        "laughs-sheet.xlsx": (SHEET_PART, "worksheet"),
        "laughs-workbook.xlsx": ("xl/workbook.xml", "workbook"),
        "laughs-styles.xlsx": ("xl/styles.xml", "styleSheet"),
        "laughs-content-types.xlsx": ("[Content_Types].xml", "Types"),
        "laughs-package-rels.xlsx": ("_rels/.rels", "Relationships"),
        "laughs-core-properties.xlsx": ("docProps/core.xml", "cp:coreProperties"),
    }
    for name, (part, root) in parts.items():
        add(name, rewrite(base, folder / name, replace={part: billion_laughs(root)}))
    add(
        "laughs-shared-strings.xlsx",
        rewrite(base, folder / "laughs-shared-strings.xlsx", add=[("xl/sharedStrings.xml", billion_laughs("sst"))]),
    )
    add(
        "laughs-utf16-sheet.xlsx",
        rewrite(base, folder / "laughs-utf16-sheet.xlsx", replace={SHEET_PART: billion_laughs("worksheet", "utf-16")}),
    )
    add("laughs-unscanned-part.xlsx", sheet_in_unscanned_part(folder / "laughs-unscanned-part.xlsx", base))
    add(
        "external-entity-sheet.xlsx",
        rewrite(base, folder / "external-entity-sheet.xlsx", replace={SHEET_PART: external_entity_sheet()}),
    )
    external_dtd = (
        '<?xml version="1.0"?>\n<!DOCTYPE worksheet SYSTEM "http://127.0.0.1:9/ebilling-test.dtd">\n'
        f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'
    ).encode()
    add("external-dtd-sheet.xlsx", rewrite(base, folder / "external-dtd-sheet.xlsx", replace={SHEET_PART: external_dtd}))
    add("laughs.ods", ods_with_entities(folder / "laughs.ods"))

    add("cells-a1-xfd1048576.xlsx", customer_workbook(folder / "cells-a1-xfd1048576.xlsx", configure=far_cells))
    add("column-beyond-limit.xlsx", customer_workbook(folder / "column-beyond-limit.xlsx", configure=column_beyond_limit))
    add("rows-beyond-limit.xlsx", customer_workbook(folder / "rows-beyond-limit.xlsx", rows=MAX_ROWS + 1))

    add("password-protected.xlsx", CASES_DIR / "case17_terkunci_sandi.xlsx")
    add("agile-encrypted.xlsx", DATA_DIR / "realworld" / "ExcelDataReader__agile_AES256_SHA512_CBC_pwd_password.xlsx")
    (folder / "pdf-renamed.xlsx").write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    add("pdf-renamed.xlsx", folder / "pdf-renamed.xlsx")
    (folder / "html-renamed.xlsx").write_bytes(
        b"<html><body><table><tr><td>Nama</td><td>No HP</td></tr><tr><td>Budi</td><td>0812</td></tr></table></body></html>"
    )
    add("html-renamed.xlsx", folder / "html-renamed.xlsx")
    with zipfile.ZipFile(folder / "zip-not-workbook.xlsx", "w") as archive:
        archive.writestr("pelanggan/README.txt", "Data pelanggan ada di file lain.")
    add("zip-not-workbook.xlsx", folder / "zip-not-workbook.xlsx")
    whole = customer_workbook(folder / "whole.xlsx", rows=200).read_bytes()
    (folder / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    add("truncated.xlsx", folder / "truncated.xlsx")

    add("rows-at-limit.xlsx", customer_workbook(folder / "rows-at-limit.xlsx", rows=MAX_ROWS))
    add("column-at-limit.xlsx", customer_workbook(folder / "column-at-limit.xlsx", configure=column_at_limit))
    add("dimension-million-rows.xlsx", customer_workbook(folder / "dimension-million-rows.xlsx", configure=ghost_rows))
    add("xls-renamed.xlsx", DATA_DIR / "realworld" / "ExcelDataReader__Test_OpenOffice.xls")
    add("calamine-oom.xls", DATA_DIR / "realworld" / "calamine__OOM_alloc.xls")
    return files


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    return build_hostile_files(tmp_path_factory.mktemp("hostile"))


def test_every_hostile_file_is_built(hostile_files):
    assert {hostile.name for hostile in HOSTILE} <= set(hostile_files)


def test_bombs_are_small_on_disk(hostile_files):
    """The zip bombs cost the attacker little: each is far below the upload limit."""
    for name in ("zip-huge-entry.xlsx", "zip-ratio.xlsx", "zip-lying-size.xlsx"):
        assert hostile_files[name].stat().st_size < 1 * MIB, name


def test_unscanned_part_is_the_sheet(hostile_files):
    """The .dat sheet is what the workbook's relationships point at, so only the reader can stop it."""
    with zipfile.ZipFile(hostile_files["laughs-unscanned-part.xlsx"]) as archive:
        names = archive.namelist()
        relationships = archive.read("xl/_rels/workbook.xml.rels")

    assert "xl/worksheets/sheet1.dat" in names
    assert SHEET_PART not in names
    assert b"worksheets/sheet1.dat" in relationships


# --- through the upload page ---------------------------------------------------


@pytest.fixture
def limits(settings):
    settings.IMPORT_MAX_ROWS = MAX_ROWS
    settings.IMPORT_MAX_COLUMNS = MAX_COLUMNS
    return settings


def upload(client, path, name=None):
    with open(path, "rb") as handle:
        data = handle.read()
    uploaded = SimpleUploadedFile(name or Path(path).name, data)
    return client.post(reverse("customers:upload"), {"file": uploaded, "mode": "create"})


def batch_of(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def indonesian_message(code, params):
    with translation.override("id"):
        return FileRejected(code, **params).message


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda hostile: hostile.name)
def test_page_rejects_hostile_file(admin_client, limits, hostile_files, hostile):
    response = upload(admin_client, hostile_files[hostile.name])

    batch = batch_of(response)
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == hostile.code
    if hostile.params is not None:
        assert batch.error_params == hostile.params
    assert escape(indonesian_message(batch.error_code, batch.error_params)) in page
    assert Customer.objects.count() == 0
    assert batch.problems.count() == 0


@pytest.mark.django_db
def test_page_rows_at_limit_accepted(admin_client, limits, hostile_files):
    batch = batch_of(upload(admin_client, hostile_files["rows-at-limit.xlsx"]))

    assert batch.state == ImportBatch.State.REVIEW
    assert batch.rows_read == MAX_ROWS


@pytest.mark.django_db
def test_page_column_at_limit_accepted(admin_client, limits, hostile_files):
    batch = batch_of(upload(admin_client, hostile_files["column-at-limit.xlsx"]))

    assert batch.state == ImportBatch.State.REVIEW
    assert batch.rows_read == 3


@pytest.mark.django_db
def test_page_million_row_dimension_imports_real_rows(admin_client, limits, hostile_files):
    batch = batch_of(upload(admin_client, hostile_files["dimension-million-rows.xlsx"]))
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    assert batch.rows_read == 3
    assert sorted(Customer.objects.values_list("number", flat=True)) == ["HST-0001", "HST-0002", "HST-0003"]


@pytest.mark.django_db
def test_page_reads_xls_renamed_xlsx_as_xls(admin_client, limits, hostile_files):
    """The format comes from the content: a renamed .xls goes to the .xls reader,
    which finds no customer header in this file, instead of failing as a broken .xlsx."""
    batch = batch_of(upload(admin_client, hostile_files["xls-renamed.xlsx"]))

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == "no_customer_sheet"


def sized_csv(size):
    """Return a valid customer CSV of exactly `size` bytes."""
    head = "ID Pelanggan;Nama;No HP\nHST-0001;Budi Santoso;081200000001\n"
    padding = size - len(head.encode())
    assert padding >= 0
    return (head + " " * padding).encode()


@pytest.mark.django_db
def test_page_upload_size_boundary_accepted(admin_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 4096

    response = admin_client.post(
        reverse("customers:upload"), {"file": SimpleUploadedFile("batas.csv", sized_csv(4096)), "mode": "create"}
    )

    batch = batch_of(response)
    assert batch.file_size == 4096
    assert batch.state == ImportBatch.State.REVIEW


@pytest.mark.django_db
def test_page_upload_over_size_stores_nothing(admin_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 4096

    response = admin_client.post(
        reverse("customers:upload"), {"file": SimpleUploadedFile("besar.csv", sized_csv(4097)), "mode": "create"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert escape(indonesian_message("too_large", {"size_bytes": 4097, "limit_bytes": 4096})) in page
    assert ImportBatch.objects.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "imports").exists()


# --- hostile file names ---------------------------------------------------------


STORED_NAME = re.compile(r"imports/\d{4}/\d{2}/[0-9a-f]{32}(\.xlsx)?")
HOSTILE_NAMES = [
    "../../../../etc/cron.d/ebilling.xlsx",
    "..\\..\\windows\\system32\\pelanggan.xlsx",
    "/etc/passwd",
    "pelanggan\x00.xlsx.exe",
    "pel\r\nanggan\x1b[31m\x07.xlsx",
    "<script>alert(1)</script>.xlsx",
    "a" * 5000 + ".xlsx",
    ".xlsx",
    "",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_create_batch_stores_under_generated_name(settings, name):
    batch = batches.create_batch(io.BytesIO(SAMPLE_XLSX.read_bytes()), name)

    stored = Path(batch.file.path).resolve()
    assert STORED_NAME.fullmatch(batch.file.name), batch.file.name
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert stored.read_bytes() == SAMPLE_XLSX.read_bytes()
    assert "/" not in batch.file_name
    assert "\\" not in batch.file_name
    assert all(char.isprintable() for char in batch.file_name)
    assert 0 < len(batch.file_name) <= 200


def raw_multipart(field_name, filename, content, boundary="ebillingboundary"):
    """Return a multipart body whose filename is sent byte for byte, as a crafted client would."""
    return (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="mode"\r\n\r\ncreate\r\n'
        + f"--{boundary}\r\n".encode()
        + f'Content-Disposition: form-data; name="{field_name}"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filename",
    [b"../../../etc/passwd.xlsx", b"C:\\Users\\admin\\..\\..\\pelanggan.xlsx", b"pelanggan\x07\x1b.xlsx", b"x" * 900 + b".xlsx"],
    ids=["dot-dot", "windows-path", "control-characters", "long"],
)
def test_page_hostile_file_name(admin_client, settings, filename):
    body = raw_multipart("file", filename, SAMPLE_XLSX.read_bytes())

    response = admin_client.generic(
        "POST", reverse("customers:upload"), body, content_type="multipart/form-data; boundary=ebillingboundary"
    )

    batch = batch_of(response)
    assert STORED_NAME.fullmatch(batch.file.name), batch.file.name
    assert Path(batch.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "/" not in batch.file_name
    assert "\\" not in batch.file_name
    assert ".." not in batch.file_name.replace("..xlsx", "")
    assert all(char.isprintable() for char in batch.file_name)
    assert batch.state == ImportBatch.State.REVIEW


@pytest.mark.django_db
def test_page_file_name_over_header_limit_rejected(admin_client, settings):
    """Django 5.2's multipart parser rejects part headers over 1,024 bytes with 400, before any view runs."""
    body = raw_multipart("file", b"x" * 3000 + b".xlsx", SAMPLE_XLSX.read_bytes())

    response = admin_client.generic(
        "POST", reverse("customers:upload"), body, content_type="multipart/form-data; boundary=ebillingboundary"
    )

    assert response.status_code == 400
    assert ImportBatch.objects.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "imports").exists()


# --- through a real task worker ------------------------------------------------


def database_url():
    """Return a DATABASE_URL for the test database this process uses."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict["USER"] or "")
    password = quote(settings_dict["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen
    media_root: Path
    log_path: Path

    def alive(self):
        return self.process.poll() is None

    def peak_memory_kib(self):
        """Return the worker's peak resident memory (VmHWM), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("VmHWM missing from /proc status")


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A `manage.py db_worker` child process on the test database."""
    folder = tmp_path_factory.mktemp("worker")
    media_root = folder / "media"
    log_path = folder / "worker.log"
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media_root),
        "IMPORT_MAX_ROWS": str(MAX_ROWS),
        "IMPORT_MAX_COLUMNS": str(MAX_COLUMNS),
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    log = log_path.open("w")

    process = subprocess.Popen(
        [sys.executable, str(PROJECT_DIR / "manage.py"), "db_worker", "--interval", "0.1", "--no-startup-delay"],
        env=env,
        cwd=PROJECT_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield Worker(process, media_root, log_path)

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture
def worker_settings(settings, worker):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.MEDIA_ROOT = worker.media_root
    settings.IMPORT_MAX_ROWS = MAX_ROWS
    settings.IMPORT_MAX_COLUMNS = MAX_COLUMNS
    return settings


def wait_for_batch(batch, worker):
    """Return the batch once it left the queued and running states and the
    worker has recorded the end of its task. Ending the test earlier would
    empty the tables under the worker, which then fails to store its
    task result."""
    deadline = time.monotonic() + BATCH_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        unfinished = DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        if not batch.is_running and not unfinished.exists():
            return batch
        if not worker.alive():
            raise AssertionError(f"the worker exited with {worker.process.returncode}:\n{worker.log_path.read_text()}")
        time.sleep(0.1)
    raise AssertionError(f"batch {batch.pk} still {batch.state} after {BATCH_DEADLINE_SECONDS} s")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda hostile: hostile.name)
def test_worker_rejects_hostile_file(admin_client, worker_settings, worker, hostile_files, hostile):
    batch = batch_of(upload(admin_client, hostile_files[hostile.name]))

    batch = wait_for_batch(batch, worker)
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error_code == hostile.code
    if hostile.params is not None:
        assert batch.error_params == hostile.params
    assert Customer.objects.count() == 0
    assert worker.alive()


@pytest.mark.django_db(transaction=True)
def test_worker_survives_and_imports_after_attacks(admin_client, worker_settings, worker, hostile_files, sample_catalogue):
    """Runs after the hostile files: the same worker process still imports a good file."""
    batch = batch_of(upload(admin_client, hostile_files["dimension-million-rows.xlsx"]))
    batch = wait_for_batch(batch, worker)
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    batch = wait_for_batch(batch, worker)

    sample = wait_for_batch(batch_of(upload(admin_client, SAMPLE_XLSX)), worker)

    assert worker.alive()
    assert batch.state == ImportBatch.State.DONE
    assert sorted(Customer.objects.values_list("number", flat=True)) == ["HST-0001", "HST-0002", "HST-0003"]
    assert sample.state == ImportBatch.State.REVIEW
    assert sample.new_count == 8


@pytest.mark.django_db(transaction=True)
def test_worker_memory_and_log_after_attacks(worker):
    """After every bomb, the worker's peak memory stays far below what the bombs unpack to
    (300 MiB and more), and its log contains no NIK from the sample file."""
    log = worker.log_path.read_text()

    assert worker.alive()
    assert worker.peak_memory_kib() < 300 * 1024
    assert re.search(r"\d{16}", log) is None


@pytest.mark.django_db
def test_page_empty_upload_says_file(admin_client, settings):
    response = admin_client.post(
        reverse("customers:upload"), {"file": SimpleUploadedFile("kosong.xlsx", b""), "mode": "create"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert escape(indonesian_message("file_empty", {})) in page
    assert "Berkas" not in page
    assert ImportBatch.objects.count() == 0
