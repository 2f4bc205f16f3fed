"""Child process that reads a legacy .xls workbook with xlrd.

Run as a script by readers/xls.py, never imported by the web process:

    python -I xls_worker.py INPUT OUTPUT MAX_COLUMNS MAX_ROWS MEMORY_BYTES CPU_SECONDS

xlrd loads a whole workbook into memory and some crafted .xls files are built
to exhaust readers, so the child caps its own address space and CPU time
before importing xlrd. It needs only the standard library and xlrd.

OUTPUT receives JSON lines: for each sheet {"sheet": index}, its rows as
[row number, hidden, cells, overflow column, merges] and {"end": index,
"truncated": bool}; then last {"date1904": bool, "sheets": [{"name",
"visible"}]}. Each sheet is loaded once and unloaded after writing, which is
why the summary comes last. Cells are strings, numbers, booleans, {"date": serial}
or {"error": text}. A sheet stops after MAX_ROWS non-empty rows with
truncated set. The last line on stdout is {"status": "ok"} or
{"status": "encrypted" | "unreadable" | "memory"}.
"""

import json
import os
import resource
import sys


def limit_resources(memory_bytes, cpu_seconds):
    """Lower the address-space and CPU limits, never above the inherited hard limits."""
    for kind, requested in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds)):
        _soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            requested = min(requested, hard)
        resource.setrlimit(kind, (requested, hard))


def encode_cell(xlrd, cell_type, value):
    if cell_type in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell_type == xlrd.XL_CELL_TEXT:
        return value or None
    if cell_type == xlrd.XL_CELL_NUMBER:
        # xlrd returns every number as a float; whole numbers become ints,
        # as in .xlsx files, while they are exact (below 2**53).
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if cell_type == xlrd.XL_CELL_DATE:
        return {"date": value}
    if cell_type == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if cell_type == xlrd.XL_CELL_ERROR:
        return {"error": xlrd.error_text_from_code.get(value, "#N/A")}
    return None


def write_sheet(xlrd, sheet, index, output, max_columns, max_rows):
    output.write(json.dumps({"sheet": index}) + "\n")
    merges_by_row = {}
    for first_row, end_row, first_column, end_column in sheet.merged_cells:
        if end_row - first_row > 1 or end_column - first_column > 1:
            merges_by_row.setdefault(first_row + 1, []).append([first_column, end_column - 1, end_row])
    written = 0
    truncated = False
    for row_index in range(sheet.nrows):
        types = sheet.row_types(row_index)
        values = sheet.row_values(row_index)
        cells = []
        overflow = None
        for column, (cell_type, value) in enumerate(zip(types, values)):
            encoded = encode_cell(xlrd, cell_type, value)
            if encoded is None:
                continue
            if column >= max_columns:
                overflow = column
                break
            cells.extend([None] * (column - len(cells)))
            cells.append(encoded)
        if not cells and overflow is None:
            continue
        if written >= max_rows:
            truncated = True
            break
        info = sheet.rowinfo_map.get(row_index)
        hidden = bool(info and info.hidden)
        number = row_index + 1
        output.write(json.dumps([number, hidden, cells, overflow, merges_by_row.get(number, [])]) + "\n")
        written += 1
    output.write(json.dumps({"end": index, "truncated": truncated}) + "\n")


def main(argv):
    input_path, output_path = argv[1], argv[2]
    max_columns, max_rows, memory_bytes, cpu_seconds = (int(value) for value in argv[3:7])
    limit_resources(memory_bytes, cpu_seconds)
    try:
        import xlrd
    except MemoryError:
        print(json.dumps({"status": "memory"}))
        return 3

    try:
        with open(os.devnull, "w") as log, open(output_path, "w", encoding="utf-8") as output:
            try:
                book = xlrd.open_workbook(input_path, formatting_info=True, on_demand=True, logfile=log)
            except NotImplementedError:
                book = xlrd.open_workbook(input_path, on_demand=True, logfile=log)
            sheets = []
            for index in range(book.nsheets):
                sheet = book.sheet_by_index(index)
                sheets.append({"name": sheet.name, "visible": sheet.visibility == 0})
                write_sheet(xlrd, sheet, index, output, max_columns, max_rows)
                book.unload_sheet(index)
            output.write(json.dumps({"date1904": book.datemode == 1, "sheets": sheets}) + "\n")
    except MemoryError:
        print(json.dumps({"status": "memory"}))
        return 3
    except xlrd.XLRDError as error:
        status = "encrypted" if "encrypted" in str(error).lower() else "unreadable"
        print(json.dumps({"status": status}))
        return 3
    except Exception:
        # Any other failure inside xlrd means a file it cannot parse.
        print(json.dumps({"status": "unreadable"}))
        return 3
    print(json.dumps({"status": "ok"}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
