from django import forms
from django.utils.translation import gettext_lazy as _

from customers.importing.gate import FILE_EMPTY
from customers.importing.problems import FILE_MESSAGES
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
            "Choosing a site binds every uploaded customer to it. Leave it empty when the file mixes sites."
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
        site_field.help_text = _("Every uploaded customer is saved in this site.")
        if len(sites) == 1:
            site_field.empty_label = None
            site_field.initial = sites[0].pk
            self._only_site = sites[0]
        else:
            site_field.empty_label = _("— choose a site —")

    def clean_site(self):
        return self.cleaned_data["site"] or self._only_site
