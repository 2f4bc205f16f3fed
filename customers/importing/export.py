"""Customer exports in the template's shape, so an export can be uploaded
again (in create-and-update mode it fills in what the admin typed)."""

import csv
import datetime
from decimal import Decimal
from itertools import zip_longest

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from customers.importing.headers import TEMPLATE_HEADERS
from customers.importing.spreadsheet import HEADER_FILL, HEADER_FONT, TEXT_FORMAT, neutralise, text_safe_cell
from customers.importing.template import (
    LIST_SHEET_NAME,
    TEMPLATE_FIELDS,
    TEMPLATE_ROWS,
    TEXT_FIELDS,
    choice_lists,
    list_validation,
)
from customers.models import mask_nik
from customers.selectors import format_phone

EXPORT_CHUNK = 2000

# The template's columns, then the village's Kemendagri code ("Kode
# Wilayah"), which an upload matches before the region names.
EXPORT_FIELDS = (*TEMPLATE_FIELDS, "region_code")
EXPORT_TEXT_FIELDS = (*TEXT_FIELDS, "region_code")


def export_headers():
    return [TEMPLATE_HEADERS[name] for name in EXPORT_FIELDS]


def local_phone(e164):
    """Return a stored +62 number in the 0… form people type ("+6281…" → "081…")."""
    if e164 and e164.startswith("+62"):
        return "0" + e164[3:]
    return e164 or ""


def customer_cells(customer, *, include_nik):
    """Return the export cells of one customer, keyed by template field."""
    village = customer.village
    district = village.district if village else None
    regency = district.regency if district else None
    return {
        "number": customer.number,
        "name": customer.name,
        "phone": local_phone(customer.phone),
        "email": customer.email,
        "nik": customer.nik if include_nik else mask_nik(customer.nik),
        "address": customer.address,
        "site": customer.site.name if customer.site else "",
        "package": customer.package.name if customer.package else "",
        "installed_on": customer.installed_on,
        "latitude": float(customer.latitude) if customer.latitude is not None else None,
        "longitude": float(customer.longitude) if customer.longitude is not None else None,
        "village": village.name if village else "",
        "district": district.name if district else "",
        "regency": regency.name if regency else "",
        "province": regency.province.name if regency else "",
        "postal_code": customer.postal_code,
        "status": customer.get_status_display(),
        "notes": customer.notes,
        "region_code": village.code if village else "",
    }


def _in_chunks(customers):
    """Yield the customers in their order, EXPORT_CHUNK at a time, with no
    query left open between chunks.

    An iterator() over SQLite keeps its read lock while the export writes
    its progress. A web request that writes at the same moment then waits
    for that read lock while holding the write lock, and SQLite fails the
    export's progress write with "database is locked".
    """
    ids = list(customers.values_list("pk", flat=True))
    for start in range(0, len(ids), EXPORT_CHUNK):
        chunk = ids[start : start + EXPORT_CHUNK]
        by_pk = customers.in_bulk(chunk)
        # A customer deleted since the ids were read is left out.
        yield from (by_pk[pk] for pk in chunk if pk in by_pk)


def _in_list_order(queryset):
    """Return the queryset in its own order (the list's sort), or by ID Pelanggan without one."""
    return queryset if queryset.ordered else queryset.order_by("number_key", "number")


def write_customers_workbook(
    queryset, out, *, include_nik=False, sites=None, packages=None, progress=None, site_ids=None
):
    """Write the customers of `queryset` to `out` as an .xlsx, streaming.

    NIK is masked unless `include_nik`; a masked NIK is read back as empty
    by an update upload, so it never overwrites the stored one. When
    `sites` and `packages` are given, the Site and Paket columns get
    drop-down lists of their names on a hidden sheet, as in the template.
    `progress`, when given, is called with the number of rows written
    after every EXPORT_CHUNK rows and once after the last row. `site_ids`,
    when given, is a set that receives the site id of every customer
    written, None for a customer without a site.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Pelanggan")
    header = []
    for title in export_headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)

    customers = _in_list_order(queryset).select_related("site", "package", "village__district__regency__province")
    rows_written = 0
    for customer in _in_chunks(customers):
        if site_ids is not None:
            site_ids.add(customer.site_id)
        values = customer_cells(customer, include_nik=include_nik)
        row = []
        for name in EXPORT_FIELDS:
            cell = text_safe_cell(sheet, values[name])
            if name in EXPORT_TEXT_FIELDS:
                cell.number_format = TEXT_FORMAT
            elif name == "installed_on" and values[name] is not None:
                cell.number_format = "DD/MM/YYYY"
            row.append(cell)
        sheet.append(row)
        rows_written += 1
        if progress is not None and rows_written % EXPORT_CHUNK == 0:
            progress(rows_written)
    if progress is not None:
        progress(rows_written)

    if sites is not None and packages is not None:
        _add_choice_lists(workbook, sheet, sites, packages, last_row=max(rows_written + 1, TEMPLATE_ROWS))
    workbook.save(out)


def _add_choice_lists(workbook, sheet, sites, packages, *, last_row):
    """Add the hidden list sheet and the drop-downs of the Site and Paket
    columns, rows 2 to `last_row`. A write-only sheet writes its data
    validations when the workbook is saved, so they may follow the rows."""
    lists = choice_lists(sites, packages)
    list_sheet = workbook.create_sheet(LIST_SHEET_NAME)
    list_sheet.sheet_state = "hidden"
    titles = []
    for _field, title, _names, _list_column in lists:
        cell = WriteOnlyCell(list_sheet, value=title)
        cell.font = Font(bold=True)
        titles.append(cell)
    list_sheet.append(titles)
    for names in zip_longest(*(names for _field, _title, names, _list_column in lists)):
        list_sheet.append([text_safe_cell(list_sheet, name) for name in names])

    for field, _title, names, list_column in lists:
        if names:
            validation = list_validation(list_column, len(names), EXPORT_FIELDS.index(field), last_row)
            sheet.data_validations.append(validation)


# The two CSV layouts an admin can choose. Excel opens a .csv with the
# Windows list separator as its delimiter and reads numbers with the Windows
# decimal separator. In Indonesian regional settings these are ";" and ",",
# so a comma-delimited file opens as one column per line and "-6.4812" is
# not read as a number. The semicolon layout therefore also writes decimal
# commas. Neither layout writes an Excel "sep=;" first line. Excel does not
# need it for a file in its own list separator, and other readers, such as
# LibreOffice Calc 7.4 and Python's csv module, show that line as a data row.
CSV_DELIMITERS = {"semicolon": ";", "comma": ","}
CSV_DECIMAL_SEPARATORS = {"semicolon": ",", "comma": "."}
DEFAULT_CSV_DELIMITER = "semicolon"


def csv_text(value, *, decimal_separator="."):
    """Return one export value as CSV text.

    Dates are written as ISO yyyy-mm-dd, which spreadsheet programs read as
    a date whatever the regional setting, while Excel in month-first (US)
    settings reads 05/01/2024 as 1 May. Decimals are written in full, never
    in exponent form, with `decimal_separator`. Text starting with a formula
    trigger gets a leading apostrophe, which CSV has no other way to mark as
    text.
    """
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", decimal_separator)
    return str(neutralise(value))


def write_customers_csv(
    queryset, out, *, delimiter=DEFAULT_CSV_DELIMITER, include_nik=False, progress=None, site_ids=None
):
    """Write the customers of `queryset` to the text stream `out` as CSV.

    `delimiter` is a key of CSV_DELIMITERS: "semicolon" for Excel in
    Indonesian regional settings (decimal commas too), "comma" for other
    programs. Same columns, masking, `progress` calls and `site_ids` as
    write_customers_workbook. Phones are written as 0812-3456-7890, because
    Excel turns digit-only text such as 081234567890 into a number and drops
    its leading zero, and the importer reads the dashes back.
    NOTE: dates, phones and decimal commas were checked in LibreOffice Calc
    7.4 with Indonesian settings, not in Excel. Digit-only ID Pelanggan and
    full NIKs are written as they are, so a spreadsheet drops their leading
    zeros and rounds a 16-digit NIK to 15 digits. Only formula text such as
    ="0812" would keep them in Excel, and other programs and our importer
    would read that literally. The .xlsx export keeps them.
    `out` should be opened with newline="".
    """
    decimal_separator = CSV_DECIMAL_SEPARATORS[delimiter]
    writer = csv.writer(out, delimiter=CSV_DELIMITERS[delimiter])
    writer.writerow(export_headers())
    customers = _in_list_order(queryset).select_related("site", "package", "village__district__regency__province")
    rows_written = 0
    for customer in _in_chunks(customers):
        if site_ids is not None:
            site_ids.add(customer.site_id)
        values = customer_cells(customer, include_nik=include_nik)
        values["phone"] = format_phone(customer.phone)
        values["latitude"] = customer.latitude
        values["longitude"] = customer.longitude
        writer.writerow([csv_text(values[name], decimal_separator=decimal_separator) for name in EXPORT_FIELDS])
        rows_written += 1
        if progress is not None and rows_written % EXPORT_CHUNK == 0:
            progress(rows_written)
    if progress is not None:
        progress(rows_written)
