"""The gate decides the format by content and rejects what no reader should see."""

import io
import os
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from openpyxl import Workbook

from customers.importing.gate import ensure_defused_xml, inspect_upload
from customers.importing.problems import FileRejected

DATA_DIR = Path(__file__).parent / "data"
CASES_DIR = DATA_DIR / "cases"
REALWORLD_DIR = DATA_DIR / "realworld"

XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSB_MAIN = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def rejection_code(path, filename=None):
    with pytest.raises(FileRejected) as caught:
        inspect_upload(path, filename or Path(path).name)
    assert str(caught.value.message).strip()
    return caught.value.code


def write(path, data):
    path.write_bytes(data)
    return path


def simple_workbook(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pelanggan"
    sheet.append(["ID Pelanggan", "Nama", "No HP"])
    sheet.append(["PLG-0001", "Budi Santoso", "081234567801"])
    workbook.save(path)
    return path


def package(path, main_content_type, main_part="xl/workbook.xml", extra=()):
    """Write a minimal OPC package whose main part has `main_content_type`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/{main_part}" ContentType="{main_content_type}"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'officeDocument" Target="{main_part}"/></Relationships>',
        )
        archive.writestr(main_part, "<workbook/>")
        for name, data in extra:
            archive.writestr(name, data)
    return path


def test_xlsx_written_by_openpyxl(tmp_path):
    assert inspect_upload(simple_workbook(tmp_path / "a.xlsx"), "a.xlsx") == "xlsx"


def test_xlsx_decided_by_content_not_name(tmp_path):
    path = simple_workbook(tmp_path / "pelanggan.csv")
    assert inspect_upload(path, "pelanggan.csv") == "xlsx"


def test_xlsm_by_content_type(tmp_path):
    assert inspect_upload(package(tmp_path / "m.xlsx", XLSM_MAIN), "m.xlsx") == "xlsm"


def test_xlsb_rejected(tmp_path):
    path = package(tmp_path / "b.xlsx", XLSB_MAIN, main_part="xl/workbook.bin")
    assert rejection_code(path) == "xlsb_unsupported"


def test_word_document_rejected(tmp_path):
    path = package(tmp_path / "letter.xlsx", DOCX_MAIN, main_part="word/document.xml")
    assert rejection_code(path) == "office_not_workbook"


def test_csv_text(tmp_path):
    path = write(tmp_path / "p.csv", b"ID Pelanggan,Nama\nPLG-0001,Budi\n")
    assert inspect_upload(path, "p.csv") == "csv"


def test_csv_utf16_with_bom(tmp_path):
    path = write(tmp_path / "p.csv", "ID Pelanggan\tNama\r\nPLG-0001\tBudi\r\n".encode("utf-16"))
    assert inspect_upload(path, "p.csv") == "csv"


def test_csv_bom_case(tmp_path):
    assert inspect_upload(CASES_DIR / "case09_csv_bom.csv", "case09_csv_bom.csv") == "csv"


def test_csv_with_nul_rejected(tmp_path):
    path = write(tmp_path / "p.csv", b"ID Pelanggan,Nama\nPLG-0001,Bu\x00di\n")
    assert rejection_code(path) == "csv_nul"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_csv_utf16_without_mark_named(tmp_path, codec):
    text = "ID Pelanggan,Nama,No HP\r\nPLG-0001,Budi Santoso,0812-3456-7890\r\n"
    path = write(tmp_path / "p.csv", text.encode(codec))

    with pytest.raises(FileRejected) as caught:
        inspect_upload(path, "p.csv")

    assert caught.value.code == "csv_utf16_without_mark"
    assert str(caught.value.message) == (
        "File ini berupa teks Unicode (UTF-16) tanpa tanda byte-order yang menyebutkan penyandiannya, "
        "sehingga eBilling tidak dapat membacanya. Buka di Excel, simpan sebagai CSV UTF-8 atau "
        "Excel Workbook (.xlsx), lalu unggah file yang disimpan."
    )


def test_empty_file_rejected(tmp_path):
    assert rejection_code(write(tmp_path / "kosong.xlsx", b"")) == "file_empty"


def test_size_limit_boundary_accepted(tmp_path, settings):
    path = write(tmp_path / "p.csv", b"ID Pelanggan,Nama\nPLG-0001,Budi\n")
    settings.IMPORT_MAX_UPLOAD_BYTES = path.stat().st_size
    assert inspect_upload(path, "p.csv") == "csv"


def test_size_limit_exceeded_rejected(tmp_path, settings):
    path = write(tmp_path / "p.csv", b"x" * (3 * 1024 * 1024 + 1))
    settings.IMPORT_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    with pytest.raises(FileRejected) as caught:
        inspect_upload(path, "p.csv")
    assert caught.value.code == "file_too_large"
    assert caught.value.params == {"size_bytes": 3 * 1024 * 1024 + 1, "limit_bytes": 3 * 1024 * 1024}


def test_password_protected_case_rejected():
    with pytest.raises(FileRejected) as caught:
        inspect_upload(CASES_DIR / "case17_terkunci_sandi.xlsx", "case17_terkunci_sandi.xlsx")
    assert caught.value.code == "file_encrypted"
    assert "File > Info > Protect Workbook > Encrypt with Password" in str(caught.value.message)


def test_encrypted_agile_xlsx_rejected():
    path = REALWORLD_DIR / "ExcelDataReader__agile_AES256_SHA512_CBC_pwd_password.xlsx"
    assert rejection_code(path) == "file_encrypted"


def test_encrypted_ods_rejected():
    assert rejection_code(REALWORLD_DIR / "roo__encrypted-letmein.ods") == "ods_encrypted"


def test_xls_renamed_xlsx_is_xls():
    assert inspect_upload(REALWORLD_DIR / "roo__type_excel.xlsx", "roo__type_excel.xlsx") == "xls"


def test_ods_renamed_xlsx_is_ods():
    assert inspect_upload(REALWORLD_DIR / "roo__type_openoffice.xlsx", "roo__type_openoffice.xlsx") == "ods"


def test_ods_without_mimetype_entry():
    assert inspect_upload(REALWORLD_DIR / "PhpSpreadsheet__nomimetype.ods", "nomimetype.ods") == "ods"


def test_bare_biff_stream_is_xls():
    path = REALWORLD_DIR / "xlrd__biff4_no_format_no_window2.xls"
    assert inspect_upload(path, path.name) == "xls"


def test_ole_with_looping_chain_rejected():
    assert rejection_code(REALWORLD_DIR / "PhpSpreadsheet__oleloop.xls") == "file_corrupt"


def test_ole_word_document_rejected(tmp_path):
    # A minimal compound file whose only stream is named WordDocument.
    sector = 512
    header = bytearray(sector)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 0x1A, 3, 0xFFFE, 9)
    struct.pack_into("<L", header, 0x2C, 1)
    struct.pack_into("<L", header, 0x30, 1)
    struct.pack_into("<L", header, 0x44, 0xFFFFFFFE)
    struct.pack_into("<109L", header, 0x4C, 0, *([0xFFFFFFFF] * 108))
    fat = struct.pack("<128L", 0xFFFFFFFD, 0xFFFFFFFE, *([0xFFFFFFFF] * 126))
    directory = bytearray(sector)
    for index, (name, kind) in enumerate((("Root Entry", 5), ("WordDocument", 2))):
        encoded = (name + "\x00").encode("utf-16-le")
        directory[index * 128:index * 128 + len(encoded)] = encoded
        struct.pack_into("<HB", directory, index * 128 + 64, len(encoded), kind)
    path = write(tmp_path / "surat.xls", bytes(header) + fat + bytes(directory))
    assert rejection_code(path) == "office_not_workbook"


def test_zip_without_workbook_rejected(tmp_path):
    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pelanggan.csv", "ID Pelanggan,Nama\n")
    assert rejection_code(path) == "archive_not_workbook"


def test_empty_zip_rejected():
    assert rejection_code(REALWORLD_DIR / "ExcelDataReader__EmptyZipFile.xlsx") == "archive_not_workbook"


def test_workbook_without_main_part_rejected():
    assert rejection_code(REALWORLD_DIR / "exceljs__missing-bits.xlsx") == "file_corrupt"


def test_apple_numbers_rejected():
    assert rejection_code(REALWORLD_DIR / "exceljs__numbers.numbers") == "numbers_file"


def test_pdf_renamed_xlsx_rejected(tmp_path):
    path = write(tmp_path / "pelanggan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    assert rejection_code(path) == "file_is_pdf"


def test_html_renamed_xls_rejected(tmp_path):
    page = '\ufeff<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><table><tr><td>Nama</td></tr></table>'
    path = write(tmp_path / "pelanggan.xls", page.encode("utf-8"))
    assert rejection_code(path) == "file_is_html"


def test_html_doctype_rejected(tmp_path):
    path = write(tmp_path / "export.xlsx", b"\r\n  <!DOCTYPE html>\n<html><head></head></html>")
    assert rejection_code(path) == "file_is_html"


def test_png_renamed_xlsx_rejected(tmp_path):
    path = write(tmp_path / "foto.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    assert rejection_code(path) == "file_is_image"


def test_jpeg_renamed_csv_rejected(tmp_path):
    path = write(tmp_path / "foto.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64))
    assert rejection_code(path) == "file_is_image"


def test_xml_spreadsheet_2003_rejected(tmp_path):
    document = (
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
    )
    path = write(tmp_path / "pelanggan.xls", document.encode())
    assert rejection_code(path) == "file_is_xml"


def test_gzip_rejected(tmp_path):
    path = write(tmp_path / "pelanggan.csv.gz", b"\x1f\x8b\x08\x00" + bytes(32))
    assert rejection_code(path) == "archive_not_workbook"


def test_binary_garbage_rejected(tmp_path):
    path = write(tmp_path / "acak.xlsx", bytes(range(256)) * 64)
    assert rejection_code(path) == "file_unknown"


def test_random_bytes_rejected(tmp_path):
    path = write(tmp_path / "acak.xlsx", os.urandom(8192))
    assert rejection_code(path) == "file_unknown"


def test_truncated_xlsx_rejected(tmp_path):
    whole = simple_workbook(tmp_path / "whole.xlsx").read_bytes()
    path = write(tmp_path / "cut.xlsx", whole[: len(whole) // 2])
    assert rejection_code(path) == "file_corrupt"


def test_xlsx_with_flipped_byte_rejected(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook>" + "x" * 100 + "</workbook>")
    data = bytearray(buffer.getvalue())
    position = data.index(b"xxxx")
    data[position] = ord("y")
    assert rejection_code(write(tmp_path / "flip.xlsx", bytes(data))) == "file_corrupt"


def test_ensure_defused_xml_passes():
    ensure_defused_xml()


def test_ensure_defused_xml_without_defusedxml(monkeypatch):
    import openpyxl.xml

    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(ImproperlyConfigured):
        ensure_defused_xml()
