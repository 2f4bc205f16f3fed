"""Reader for legacy .xls workbooks (BIFF2 to BIFF8), through xlrd in a child process.

xlrd 2.0.2 is maintained and reads only .xls, but it loads the whole
workbook into memory, and some .xls files are crafted to exhaust readers.
So xls_worker.py runs xlrd in a separate Python process capped at
IMPORT_XLS_MAX_MEMORY_BYTES of address space and IMPORT_XLS_TIMEOUT_SECONDS
of CPU and wall time, and writes the rows to a temporary JSON-lines file that
this module streams back. A crash, a memory error or a timeout in the child
becomes a FileRejected here; the web process is never at risk.
"""

import json
import logging
import math
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from customers.importing.cells import ErrorCell
from customers.importing.gate import FILE_ENCRYPTED
from customers.importing.problems import FileRejected, register_file_message
from customers.importing.readers.base import SheetInfo, SheetRow, excel_serial_to_datetime, max_rows

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("xls_worker.py")

# Defaults of IMPORT_XLS_MAX_MEMORY_BYTES and IMPORT_XLS_TIMEOUT_SECONDS.
# A BIFF8 sheet has at most 65,536 rows by 256 columns and uploads are at
# most 25 MB. NOTE: both defaults are estimates, because no .xls of that size
# was available to measure; the largest test file (333 KB) takes 0.06 s.
DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 60
# Rows the child writes per sheet beyond the data-row limit: enough for the
# title rows above a header, so the reader's own row limit always triggers first.
EXTRA_ROWS = 64

XLS_UNREADABLE = register_file_message(
    "xls_unreadable",
    _(
        "The .xls file could not be read: it is damaged or was written in a way the reader does "
        "not support. Open it in Excel, save it as Excel Workbook (.xlsx) and upload that file."
    ),
)
READ_TIMED_OUT = register_file_message(
    "read_timed_out",
    _(
        "Reading the file took longer than %(seconds)s seconds and was stopped. Open it in Excel, "
        "save it as Excel Workbook (.xlsx) and upload that file."
    ),
)
READ_OUT_OF_MEMORY = register_file_message(
    "read_out_of_memory",
    _(
        "Reading the file needed more than %(limit_bytes)s of memory and was stopped. Open it in Excel, "
        "save it as Excel Workbook (.xlsx) and upload that file."
    ),
)


def memory_limit():
    return getattr(settings, "IMPORT_XLS_MAX_MEMORY_BYTES", DEFAULT_MEMORY_BYTES)


def timeout_seconds():
    return getattr(settings, "IMPORT_XLS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)


class XlsSource:
    """An .xls file converted by the child process, streamed from its output."""

    def __init__(self, path, max_columns):
        self.max_columns = max_columns
        self._folder = Path(tempfile.mkdtemp(prefix="ebilling-xls-"))
        try:
            self._output = self._folder / "rows.jsonl"
            self._run_worker(path)
            self._index_output()
        except BaseException:
            self.close()
            raise

    def close(self):
        shutil.rmtree(self._folder, ignore_errors=True)

    def _run_worker(self, path):
        timeout = timeout_seconds()
        command = [
            sys.executable,
            "-I",
            str(WORKER),
            str(path),
            str(self._output),
            str(self.max_columns),
            str(max_rows() + EXTRA_ROWS),
            str(memory_limit()),
            str(max(1, math.ceil(timeout))),
        ]
        try:
            completed = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            logger.info("The xls worker timed out after %s s", timeout)
            raise FileRejected(READ_TIMED_OUT, seconds=timeout) from None

        status = _last_status(completed.stdout)
        if completed.returncode == 0 and status == "ok":
            return
        logger.info("The xls worker failed with exit status %s and status %s", completed.returncode, status)
        if status == "encrypted":
            raise FileRejected(FILE_ENCRYPTED)
        if status == "memory" or completed.returncode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT):
            raise FileRejected(READ_OUT_OF_MEMORY, limit_bytes=memory_limit())
        if completed.returncode == -signal.SIGXCPU:
            raise FileRejected(READ_TIMED_OUT, seconds=timeout)
        raise FileRejected(XLS_UNREADABLE)

    def _index_output(self):
        """Record where each sheet starts in the output and read the workbook summary."""
        self._offsets = {}
        summary = None
        offset = 0
        with open(self._output, "rb") as output:
            for line in output:
                if line.startswith(b'{"sheet"'):
                    self._offsets[json.loads(line)["sheet"]] = offset
                elif line.startswith(b'{"date1904"'):
                    summary = json.loads(line)
                offset += len(line)
        if summary is None:
            raise ValueError("xls worker output has no summary")
        self.date1904 = bool(summary["date1904"])
        self.sheets = [SheetInfo(name=sheet["name"], visible=sheet["visible"]) for sheet in summary["sheets"]]

    def iter_rows(self, sheet_index, last_row=None):
        """Yield the SheetRows the child wrote for one sheet, up to row `last_row` when given."""
        with open(self._output, "rb") as output:
            output.seek(self._offsets[sheet_index])
            output.readline()
            for line in output:
                if line.startswith(b"{"):
                    end = json.loads(line)
                    if end.get("truncated"):
                        from customers.importing.reader import TOO_MANY_ROWS

                        raise FileRejected(TOO_MANY_ROWS, sheet=self.sheets[sheet_index].name, limit=max_rows())
                    return
                number, hidden, cells, overflow, merges = json.loads(line)
                if last_row is not None and number > last_row:
                    return
                cells = [self._decode(value) for value in cells]
                yield SheetRow(number, cells, hidden, overflow, tuple(tuple(merge) for merge in merges))

    def _decode(self, value):
        if value.__class__ is dict:
            if "date" in value:
                return excel_serial_to_datetime(value["date"], self.date1904)
            return ErrorCell(value["error"])
        return value


def _last_status(stdout):
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        return json.loads(lines[-1]).get("status")
    except (ValueError, AttributeError):
        return None
