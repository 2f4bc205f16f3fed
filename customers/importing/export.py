"""Customer exports in the template's shape, so an export can be uploaded
again (in create-and-update mode it fills in what the admin typed)."""

import csv
import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from customers.importing.spreadsheet import HEADER_FILL, HEADER_FONT, TEXT_FORMAT, neutralise
from customers.importing.template import TEMPLATE_FIELDS, TEXT_FIELDS, template_headers
from customers.models import mask_nik

EXPORT_CHUNK = 2000


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
    }


def write_customers_workbook(queryset, out, *, include_nik=False):
    """Write the customers of `queryset` to `out` as an .xlsx, streaming.

    NIK is masked unless `include_nik`; a masked NIK is read back as empty
    by an update upload, so it never overwrites the stored one.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Pelanggan")
    header = []
    for title in template_headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header.append(cell)
    sheet.append(header)

    customers = queryset.select_related(
        "site", "package", "village__district__regency__province"
    ).order_by("number")
    for customer in customers.iterator(chunk_size=EXPORT_CHUNK):
        values = customer_cells(customer, include_nik=include_nik)
        row = []
        for name in TEMPLATE_FIELDS:
            cell = WriteOnlyCell(sheet, value=neutralise(values[name]))
            if name in TEXT_FIELDS:
                cell.number_format = TEXT_FORMAT
            elif name == "installed_on" and values[name] is not None:
                cell.number_format = "DD/MM/YYYY"
            row.append(cell)
        sheet.append(row)
    workbook.save(out)


def csv_text(value):
    """Return one export value as CSV text: numbers as digits, dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(neutralise(value))


def write_customers_csv(queryset, out, *, include_nik=False):
    """Write the customers of `queryset` to the text stream `out` as CSV.

    Same columns and masking as write_customers_workbook. Text starting
    with a formula trigger gets a leading apostrophe, as in the workbook;
    numbers are written as plain digits, so a spreadsheet program still
    reads them as numbers. `out` should be opened with newline="".
    """
    writer = csv.writer(out)
    writer.writerow(template_headers())
    customers = queryset.select_related(
        "site", "package", "village__district__regency__province"
    ).order_by("number")
    for customer in customers.iterator(chunk_size=EXPORT_CHUNK):
        values = customer_cells(customer, include_nik=include_nik)
        writer.writerow([csv_text(values[name]) for name in TEMPLATE_FIELDS])
