"""Mutated workbooks and CSV files fed to the gate, the reader and the cleaners.

Whatever the bytes, the import stages may only reject the file with
FileRejected or report a cell with CellError. Any other exception would
reach the worker as an internal error. Two kinds of mutation: raw byte
edits of the whole file, which mostly exercise the gate's ZIP checks, and
edits inside one unpacked XML part of a workbook that is packed again, so
the reader parses the damaged XML. Example counts are kept small so the
suite stays fast on two cores; Hypothesis keeps failing examples in its
.hypothesis database and tries them first on the next run.
"""

import io
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.importing.gate import inspect_upload
from customers.importing.headers import map_headers
from customers.importing.problems import CellError, FileRejected
from customers.importing.reader import open_table
from customers.importing.rows import clean_row

DATA_DIR = Path(__file__).parent / "data"
SEED_FILES = sorted(
    path
    for folder in (DATA_DIR / "samples", DATA_DIR / "cases")
    for path in folder.iterdir()
    if path.suffix in (".xlsx", ".csv")
)
WORKBOOKS = [path for path in SEED_FILES if path.suffix == ".xlsx" and zipfile.is_zipfile(path)]
CSV_FILES = [path for path in SEED_FILES if path.suffix == ".csv"]
SEED_BYTES = {path: path.read_bytes() for path in SEED_FILES}

# Values that tend to break parsers when written over a byte or a token.
INTERESTING = [b"\x00", b"\xff", b"<", b">", b"&", b'"', b";", b",", b"\n", b"\r", b"9" * 20, b"-", b"E+308", b"<!--"]

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_import_stages(data, name):
    """Run the gate, the reader and every row's cleaners over `data`.

    Returns "rejected" or the number of rows cleaned. FileRejected and
    CellError are caught, so any other exception fails the test.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            fmt = inspect_upload(path, name)
            with open_table(path, fmt) as table:
                header_map = map_headers(table.header_cells)
                count = 0
                for raw in table.rows():
                    clean_row(raw, header_map, date1904=table.date1904)
                    count += 1
                return count
        except (FileRejected, CellError):
            return "rejected"


@st.composite
def byte_edits(draw, data):
    """Return `data` with a few bytes overwritten, inserted, deleted, or cut off at the end."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["overwrite", "insert", "delete", "truncate"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "overwrite":
            data[position:position + 1] = draw(st.sampled_from(INTERESTING) | st.binary(min_size=1, max_size=4))
        elif kind == "insert":
            data[position:position] = draw(st.sampled_from(INTERESTING) | st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[position:position + draw(st.integers(1, 64))]
        elif len(data) > 1:
            del data[max(position, 1):]
    return bytes(data)


def repack(source, part_name, new_part):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            copy.writestr(info.filename, new_part if info.filename == part_name else original.read(info))
    return out.getvalue()


@st.composite
def mutated_workbooks(draw):
    """Return (bytes, name) of a seed workbook with one XML part edited and packed again."""
    path = draw(st.sampled_from(WORKBOOKS))
    data = SEED_BYTES[path]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [name for name in archive.namelist() if name.endswith((".xml", ".rels"))]
        part_name = draw(st.sampled_from(parts))
        part = archive.read(part_name)
    return repack(data, part_name, draw(byte_edits(part))), path.name


@st.composite
def mutated_files(draw, paths):
    path = draw(st.sampled_from(paths))
    return draw(byte_edits(SEED_BYTES[path])), path.name


def test_seed_files_found():
    assert len(WORKBOOKS) >= 8
    assert len(CSV_FILES) >= 3


def test_seed_files_read_unchanged():
    """Every seed is read or rejected by the same stages the fuzzer uses."""
    results = {path.name: run_import_stages(SEED_BYTES[path], path.name) for path in SEED_FILES}

    assert results["pelanggan-contoh.xlsx"] == 8
    assert results["case17_terkunci_sandi.xlsx"] == "rejected"


@FUZZ
@given(mutated_files(WORKBOOKS))
def test_fuzz_workbook_bytes(mutated):
    data, name = mutated

    run_import_stages(data, name)


@FUZZ
@given(mutated_workbooks())
def test_fuzz_workbook_xml_parts(mutated):
    data, name = mutated

    run_import_stages(data, name)


@FUZZ
@given(mutated_files(CSV_FILES))
def test_fuzz_csv_bytes(mutated):
    data, name = mutated

    run_import_stages(data, name)
