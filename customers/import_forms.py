from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import ImportBatch
from ebilling.access import visible_sites


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Customer file"),
        help_text=_("Excel workbook (.xlsx, .xlsm, .xls), OpenDocument (.ods) or CSV."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xls,.ods,.csv"}),
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
        self.fields["site"].queryset = visible_sites(user).filter(is_active=True)
