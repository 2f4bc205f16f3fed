"""The downloadable Template Excel, generated from the live database."""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from django.utils.translation import gettext as _

from customers.importing.cleaners import NOTES_MAX_LENGTH
from customers.importing.headers import TEMPLATE_HEADERS
from customers.importing.spreadsheet import HEADER_FILL, HEADER_FONT, TEXT_FORMAT, column_letter, keep_text

# Columns of the template, in order; the optional region columns follow the
# basic eleven, and Keterangan follows them, so a sheet kept from an older
# template still lines up.
TEMPLATE_FIELDS = (
    "number", "name", "phone", "email", "nik", "address", "site", "package", "installed_on",
    "latitude", "longitude", "village", "district", "regency", "province", "postal_code", "status",
    "notes",
)
# Columns Excel must keep as typed: leading zeros, all 16 NIK digits, and
# notes such as "1/2" that Excel would turn into a date.
TEXT_FIELDS = ("number", "phone", "nik", "postal_code", "notes")
TEMPLATE_ROWS = 5000
COLUMN_WIDTHS = {"name": 26, "address": 40, "email": 26, "nik": 20, "phone": 16, "package": 18, "notes": 40}
SHEET_NAME = "Pelanggan"
# The example row's ID; an upload that still contains the row skips it
# with a note instead of creating a customer called "Contoh".
EXAMPLE_NUMBER = "CONTOH-001"
LIST_SHEET_NAME = "Daftar"


def template_headers():
    return [TEMPLATE_HEADERS[name] for name in TEMPLATE_FIELDS]


def example_row(site_name, package_name):
    return {
        "number": EXAMPLE_NUMBER,
        "name": _("Example Customer (delete this row)"),
        "phone": "0812-3456-7890",
        "email": "contoh@example.com",
        "nik": "3201011203900001",
        "address": "Jl. Mawar No. 5 RT 01/RW 02",
        "site": site_name,
        "package": package_name,
        "installed_on": "15/01/2024",
        "latitude": -6.4812,
        "longitude": 106.8421,
        "village": "Pabuaran",
        "district": "Cibinong",
        "regency": "Kabupaten Bogor",
        "province": "Jawa Barat",
        "postal_code": "16916",
        "status": _("active"),
        "notes": "Rumah pojok cat hijau, ODP-12 port 3",
    }


def _add_instructions(workbook):
    sheet = workbook.create_sheet("Petunjuk")
    sheet.column_dimensions["A"].width = 110
    lines = [
        _("How to fill in this template"),
        "",
        _(
            "1. Fill one customer per row on the Pelanggan sheet, starting at row 3. The example row (row 2) "
            "is skipped on upload, so you may leave it, type over it or delete it."
        ),
        _(
            "2. In each row only Nama is required. Leave ID Pelanggan empty to let eBilling number the customer "
            "(PLG-0001, …). Keep the template's columns even when they stay empty: a sheet is read as a customer "
            "list when it has Nama and at least one of No. HP / WhatsApp, NIK, Alamat, Site or Paket."
        ),
        _("3. No. HP / WhatsApp: any notation works (0812-3456-7890, +62 812 3456 7890, 62812…). The column is formatted as text."),
        _("4. NIK: 16 digits, typed as text. Numbers lose their last digit in Excel, so never convert the column to Number."),
        _("5. Site and Paket: choose from the drop-down list (code or name are both accepted)."),
        _("6. Tanggal Pasang: dd/mm/yyyy, e.g. 15/01/2024, or a date cell."),
        _(
            "7. Latitude and Longitude: decimal degrees such as -6.4812 and 106.8421. To paste a whole location "
            "instead (both numbers like -6.4812, 106.8421, a Google Maps link or an OpenStreetMap link), add a "
            "column named Titik Lokasi and leave Latitude and Longitude empty."
        ),
        _("8. Uploading the same customers again never creates them twice: they are reported as already present."),
        _("9. Before anything is saved, eBilling shows a review of every row and its problems."),
        _(
            "10. RT/RW: write it in the Alamat, like Jl. Mawar No. 5 RT 004/RW 011, or add a column named RT/RW "
            "(or two columns, RT and RW). Format that column as Text, because Excel turns 4/11 into a date."
        ),
        _(
            "11. Keterangan: your own notes on the customer, such as ODP-12 port 3, up to %(limit)s characters. "
            "Customers do not see them in the portal. In the mode Create and update, an empty cell keeps "
            "the stored notes."
        ) % {"limit": NOTES_MAX_LENGTH},
    ]
    for index, line in enumerate(lines, start=1):
        cell = sheet.cell(row=index, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True)
    sheet["A1"].font = Font(bold=True, size=14)


def choice_lists(sites, packages):
    """Return the drop-down lists of the Site and Paket columns as
    (field, list sheet title, names, list sheet column) tuples, the column
    counted from 1."""
    return [
        ("site", "Site", [site.name for site in sites], 1),
        ("package", "Paket", [package.name for package in packages], 2),
    ]


def list_validation(list_column, count, field_index, last_row=TEMPLATE_ROWS):
    """Return the drop-down DataValidation of the sheet column `field_index`
    (counted from 0), rows 2 to `last_row`, offering the `count` names in
    column `list_column` (counted from 1) of the list sheet."""
    letter = column_letter(list_column - 1)
    source = f"{LIST_SHEET_NAME}!${letter}$2:${letter}${count + 1}"
    validation = DataValidation(type="list", formula1=source, allow_blank=True)
    validation.error = _("Choose a value from the list.")
    validation.errorStyle = "warning"
    target = column_letter(field_index)
    validation.add(f"{target}2:{target}{last_row}")
    return validation


def _add_list(workbook, sheet, field_index, title, names, list_column):
    """Put `names` on the hidden list sheet and validate the column with them."""
    lists = workbook[LIST_SHEET_NAME]
    lists.cell(row=1, column=list_column, value=title).font = Font(bold=True)
    for offset, name in enumerate(names, start=2):
        keep_text(lists.cell(row=offset, column=list_column, value=name))
    if not names:
        return
    sheet.add_data_validation(list_validation(list_column, len(names), field_index))


def write_template(out, sites, packages):
    """Write the template workbook to the binary file `out`.

    `sites` and `packages` are the active records offered in the drop-downs.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    workbook.create_sheet(LIST_SHEET_NAME).sheet_state = "hidden"

    sheet.append(template_headers())
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    sheet.freeze_panes = "A2"

    first_site = sites[0].name if sites else ""
    first_package = packages[0].name if packages else ""
    example = example_row(first_site, first_package)
    sheet.append([example[name] for name in TEMPLATE_FIELDS])
    for cell in sheet[2]:
        keep_text(cell)
        cell.font = Font(italic=True, color="808080")

    for index, name in enumerate(TEMPLATE_FIELDS):
        letter = column_letter(index)
        sheet.column_dimensions[letter].width = COLUMN_WIDTHS.get(name, 15)
        if name in TEXT_FIELDS:
            # Format every cell of the column as text, so numbers typed later
            # keep their leading zeros and all 16 NIK digits.
            for row in range(2, TEMPLATE_ROWS + 1):
                sheet.cell(row=row, column=index + 1).number_format = TEXT_FORMAT

    for field, title, names, list_column in choice_lists(sites, packages):
        _add_list(workbook, sheet, TEMPLATE_FIELDS.index(field), title, names, list_column)
    _add_instructions(workbook)
    workbook.save(out)
