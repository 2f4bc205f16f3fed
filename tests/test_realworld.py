"""Every real-world file in tests/data/realworld is read or cleanly rejected.

Each file runs through inspect_upload, open_table and rows() in its own
Python process, capped at 1 GiB of address space and given 60 seconds. So a
hang, a memory blow-up or a crash shows up as a failure of that file alone. The expected outcome of every file is in OUTCOMES.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REALWORLD_DIR = Path(__file__).parent / "data" / "realworld"
PROJECT_DIR = Path(__file__).resolve().parent.parent

# Runs in the child process: prints one JSON line with the outcome.
PROBE = """
import json, os, resource, sys
limit = 1024 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
# Minimal settings: the reader needs only translations and the IMPORT_*
# defaults, and the project's settings would tie this test to its database
# and logging configuration.
from django.conf import settings
settings.configure(USE_I18N=True, LANGUAGE_CODE="en-us")
import django
django.setup()
from customers.importing.gate import inspect_upload
from customers.importing.problems import FileRejected
from customers.importing.reader import open_table

path = sys.argv[1]
try:
    fmt = inspect_upload(path, os.path.basename(path))
    with open_table(path, fmt) as table:
        count = sum(1 for _row in table.rows())
    print(json.dumps({"format": fmt, "rows": count}))
except FileRejected as rejection:
    print(json.dumps({"rejected": rejection.code, "message": str(rejection.message)}))
"""

# file -> ("rejected", code) or ("rows", format, data rows read). Each file
# that is read has two headers that header_score recognises, such as "id" and
# "name" or "Address" and "Contact Number". The pipeline then decides whether
# its columns make customers.
OUTCOMES = {
    "ExcelDataReader__EmptyZipFile.xlsx": ("rejected", "archive_not_workbook"),
    "ExcelDataReader__MOCK_DATA.csv": ("rows", "csv", 1000),
    "ExcelDataReader__Test255x10.xlsx": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__Test_BigFormatted.xlsx": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__Test_Issue_12667_GoogleExport_MissingColumns.xlsx": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__Test_Issue_NoStyles_NoRAttribute.xlsx": ("rows", "xlsx", 35),
    "ExcelDataReader__Test_OpenOffice.xls": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__Test_git_Issue_142.xlsx": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__Test_git_issue_14_InvalidOADate.xlsx": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__Test_git_issue_368_header.xls": ("rejected", "xls_unreadable"),
    "ExcelDataReader__Test_git_issue_382_oom.xls": ("rejected", "file_corrupt"),
    "ExcelDataReader__Test_git_issue_466_biff3.xls": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__Test_git_issue_68_NullSheetPath.xlsm": ("rejected", "no_customer_sheet"),
    "ExcelDataReader__agile_AES256_SHA512_CBC_pwd_password.xlsx": ("rejected", "file_encrypted"),
    "ExcelDataReader__as3xls_BIFF2.xls": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__1904_Calendar.xls": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__Zip-Windows-Directory-Separator.xlsx": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__corruptMeta.ods": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__empty.csv": ("rejected", "file_empty"),
    "PhpSpreadsheet__form_pass_print.xlsm": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__issue.2301.xlsx": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__issue.2362.xlsx": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__issue.3613.xlsx": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__issue.3654.xlsx": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__issue.3982.xlsx": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__issue.4528.ods": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__issue.804.ods": ("rows", "ods", 1),
    "PhpSpreadsheet__line_break_in_enclosure.csv": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__maccentraleurope.biff5.xls": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__nomimetype.ods": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__oleloop.xls": ("rejected", "file_corrupt"),
    "PhpSpreadsheet__premiere.utf32lebom.csv": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__sep.csv": ("rejected", "no_customer_sheet"),
    "PhpSpreadsheet__visibility.xls": ("rejected", "no_customer_sheet"),
    "calamine__OOM_alloc.xls": ("rejected", "no_customer_sheet"),
    "calamine__any_sheets.xlsx": ("rejected", "no_customer_sheet"),
    "calamine__biff5_write.xls": ("rejected", "no_customer_sheet"),
    "calamine__date_1904.xlsx": ("rejected", "no_customer_sheet"),
    "calamine__date_quoted_format.xlsx": ("rejected", "no_customer_sheet"),
    "calamine__errors.xlsx": ("rejected", "no_customer_sheet"),
    "calamine__has_x000D_.xlsx": ("rejected", "no_customer_sheet"),
    "calamine__issue_174.xlsx": ("rows", "xlsx", 1),
    "calamine__issue_553.xlsx": ("rejected", "no_customer_sheet"),
    "calamine__issue_594_dos.ods": ("rejected", "no_customer_sheet"),
    "calamine__number_rows_repeated.ods": ("rejected", "no_customer_sheet"),
    "calamine__too_small.xls": ("rejected", "no_customer_sheet"),
    "calamine__vba.xlsm": ("rejected", "no_customer_sheet"),
    "csvkit__bad.csv": ("rejected", "no_customer_sheet"),
    "csvkit__ne_1033_data.xlsx": ("rejected", "no_customer_sheet"),
    "csvkit__null_byte.csv": ("rejected", "csv_nul"),
    "excelize__BadWorkbook.xlsx": ("rejected", "no_customer_sheet"),
    "excelize__OverflowNumericCell.xlsx": ("rejected", "no_customer_sheet"),
    "exceljs__1519293514-KRISHNAPATNAM_LINE_UP.xlsx": ("rejected", "no_customer_sheet"),
    "exceljs__google-sheets.xlsx": ("rejected", "no_customer_sheet"),
    "exceljs__invalid-xml.xlsx": ("rejected", "file_corrupt"),
    "exceljs__missing-bits.xlsx": ("rejected", "file_corrupt"),
    "exceljs__numbers.numbers": ("rejected", "numbers_file"),
    "frictionless-py__implicit-zip.csv": ("rejected", "archive_not_workbook"),
    "frictionless-py__table-infer-iso-8859-7.csv": ("rows", "csv", 4),
    "frictionless-py__table-output.ods": ("rows", "ods", 2),
    "messytables__bian-anal-mca-2005-dols-eng-1011-0312-tab3.xlsm": ("rejected", "no_customer_sheet"),
    "messytables__characters.csv": ("rejected", "no_customer_sheet"),
    "messytables__encrypted_no_password.xls": ("rejected", "file_encrypted"),
    "messytables__mixedGLB.csv": ("rejected", "no_customer_sheet"),
    "messytables__multilineods.ods": ("rejected", "no_customer_sheet"),
    "messytables__spanish_chars.csv": ("rejected", "no_customer_sheet"),
    "messytables__utf-16le_encoded.csv": ("rejected", "no_customer_sheet"),
    "messytables__weird_head_padding.csv": ("rejected", "no_customer_sheet"),
    "python-calamine__empty_file.xlsx": ("rejected", "file_empty"),
    "roo__Bibelbund1.ods": ("rejected", "no_customer_sheet"),
    "roo__Pfand_from_windows_phone.xlsx": ("rejected", "no_customer_sheet"),
    "roo__currency-euro.xlsx": ("rejected", "no_customer_sheet"),
    "roo__encrypted-letmein.ods": ("rejected", "ods_encrypted"),
    "roo__header_offset.xlsx": ("rejected", "no_customer_sheet"),
    "roo__numbers-export.xlsx": ("rejected", "no_customer_sheet"),
    "roo__strict.xlsx": ("rejected", "no_customer_sheet"),
    "roo__type_excel.xlsx": ("rejected", "no_customer_sheet"),
    "roo__type_openoffice.xlsx": ("rejected", "no_customer_sheet"),
    "roo__zero-padded-number.xlsx": ("rejected", "no_customer_sheet"),
    "xlrd__biff4_no_format_no_window2.xls": ("rejected", "no_customer_sheet"),
}


def run_probe(path):
    """Run PROBE on `path` in a capped child process and return its JSON outcome."""
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, f"{path.name} crashed:\n{completed.stderr[-3000:]}"
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_outcome_table_lists_every_file():
    files = {path.name for path in REALWORLD_DIR.iterdir() if path.name != "README.md"}
    assert files == set(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_realworld_file_outcome(name):
    outcome = run_probe(REALWORLD_DIR / name)
    expected = OUTCOMES[name]
    if expected[0] == "rejected":
        assert outcome.get("rejected") == expected[1], outcome
        assert outcome["message"].strip()
    else:
        assert outcome.get("format") == expected[1], outcome
        assert outcome.get("rows") == expected[2], outcome
