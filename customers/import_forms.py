from django import forms
from django.utils.translation import gettext_lazy as _

from customers.importing.gate import FILE_EMPTY
from customers.importing.headers import SOURCE_TEMPLATE, TEMPLATE_HEADERS, normalise_header
from customers.importing.problem_workbook import ADDED_COLUMNS
from customers.importing.problems import FILE_MESSAGES
from customers.importing.readers.base import column_letter
from customers.models import ImportBatch
from ebilling.access import is_admin, visible_sites


FILE_EMPTY_MESSAGE = FILE_MESSAGES[FILE_EMPTY]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Customer file"),
        help_text=_("Excel workbook (.xlsx, .xlsm, .xls), OpenDocument (.ods) or CSV."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xls,.ods,.csv"}),
        # Django's own message uses "Berkas", while every other screen uses "File".
        error_messages={"empty": FILE_EMPTY_MESSAGE},
    )
    site = forms.ModelChoiceField(
        label=_("Site (optional)"),
        queryset=None,
        required=False,
        empty_label=_("— the Site column of each row —"),
        help_text=_(
            "New customers are saved in the chosen site. A stored customer moves to it only when its row "
            "names that site in the Site column. Leave it empty when the file mixes sites."
        ),
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=ImportBatch.Mode.choices,
        initial=ImportBatch.Mode.CREATE,
        widget=forms.RadioSelect,
        help_text=_("Create and update: rows whose ID Pelanggan exists update that customer's filled-in cells."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A site admin of exactly one site gets it even when the form omits it.
        self._only_site = None
        sites = visible_sites(user).filter(is_active=True)
        self.fields["site"].queryset = sites
        self.site_is_forced = not is_admin(user)
        if self.site_is_forced:
            self._require_own_site(sites)

    def _require_own_site(self, sites):
        """Make a site admin's upload land in one of their sites, whatever the file's Site column contains."""
        site_field = self.fields["site"]
        site_field.required = len(sites) != 1
        site_field.label = _("Site")
        site_field.help_text = _(
            "New customers are saved in this site. A stored customer moves to it only when its row names it in the Site column."
        )
        if len(sites) == 1:
            site_field.empty_label = None
            site_field.initial = sites[0].pk
            self._only_site = sites[0]
        else:
            site_field.empty_label = _("— choose a site —")

    def clean_site(self):
        return self.cleaned_data["site"] or self._only_site


IGNORE_COLUMN = "ignore"
COLUMN_FIELD_PREFIX = "column_"


def column_title(column):
    """Return a column of the batch summary as its sheet letter and header,
    such as "C (Catatan)", which distinguishes two columns with one header."""
    header = column["header"][:80] or _("no header")
    return f"{column_letter(column['index'])} ({header})"


def _is_problem_column(column):
    """Return whether the column is an unmapped column that the problem
    workbook adds ("Baris asal", "Masalah"), which an upload of that
    workbook ignores."""
    added = {normalise_header(title) for title in ADDED_COLUMNS}
    return column["field"] is None and normalise_header(column["header"]) in added


class ColumnMapForm(forms.Form):
    """The fields chosen on the batch page for the file's columns whose
    header the template and the built-in aliases do not name.

    `columns` are the batch summary's column entries (column_summary).
    `learned` maps normalised headers to their learned fields, to tell
    which choices differ from what a column maps to by itself.
    """

    def __init__(self, *args, columns, learned, **kwargs):
        super().__init__(*args, **kwargs)
        self.learned = learned
        self.columns = [
            column for column in columns if column["source"] != SOURCE_TEMPLATE and not _is_problem_column(column)
        ]
        # Fields filled by a template column cannot be chosen again.
        fixed_fields = {
            column["field"] for column in columns if column["source"] == SOURCE_TEMPLATE and column["field"]
        }
        choices = [(IGNORE_COLUMN, _("Ignore"))]
        choices += [(name, header) for name, header in TEMPLATE_HEADERS.items() if name not in fixed_fields]
        for column in self.columns:
            initial = column["field"] if column["field"] and column["field"] not in fixed_fields else IGNORE_COLUMN
            self.fields[self.field_name(column)] = forms.ChoiceField(
                label=column_title(column),
                choices=choices,
                initial=initial,
                widget=forms.Select(attrs={"aria-label": column_title(column)}),
            )

    @staticmethod
    def field_name(column):
        return f"{COLUMN_FIELD_PREFIX}{column['index']}"

    def clean(self):
        cleaned_data = super().clean()
        if any(key.startswith(COLUMN_FIELD_PREFIX) and key not in self.fields for key in self.data):
            raise forms.ValidationError(
                _("The form names a column that this file does not have. Reload the page and choose again."),
                code="unknown_column",
            )
        chosen_by = {}
        for column in self.columns:
            name = self.field_name(column)
            choice = cleaned_data.get(name)
            if not choice or choice == IGNORE_COLUMN:
                continue
            if choice in chosen_by:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _(
                            "Column %(column)s and column %(other)s are both matched to %(field)s. "
                            "Choose %(field)s for one column only."
                        ),
                        code="field_chosen_twice",
                        params={
                            "column": column_title(column),
                            "other": column_title(chosen_by[choice]),
                            "field": TEMPLATE_HEADERS[choice],
                        },
                    ),
                )
            else:
                chosen_by[choice] = column
        return cleaned_data

    def _automatic_field(self, column):
        """Return the field the column maps to without a choice: its learned one, or None."""
        return self.learned.get(normalise_header(column["header"]))

    def _choices(self):
        for column in self.columns:
            choice = self.cleaned_data[self.field_name(column)]
            yield column, None if choice == IGNORE_COLUMN else choice

    def column_map(self):
        """Return the choices to store on the batch: column index (as text)
        to field, or "" to ignore the column, for every column whose choice
        differs from what it maps to by itself."""
        return {
            str(column["index"]): field_name or ""
            for column, field_name in self._choices()
            if field_name != self._automatic_field(column)
        }

    def aliases_to_learn(self):
        """Return (header, field) for each chosen field that a later upload
        would not map by itself. A header given two fields is left out, and
        so is one without letters ("2024") or a formula ("=A1"), which
        names no field in another file."""
        fields_by_key = {}
        headers = {}
        for column, field_name in self._choices():
            header = column["header"].strip()
            if header.startswith("=") or not any(character.isalpha() for character in header):
                continue
            if field_name is not None and field_name != self._automatic_field(column):
                key = normalise_header(column["header"])
                fields_by_key.setdefault(key, set()).add(field_name)
                headers.setdefault(key, column["header"])
        return [(headers[key], fields.pop()) for key, fields in fields_by_key.items() if len(fields) == 1]
