from django import forms

from customers.importing.cleaners import normalise_text
from ebilling.forms import reject_case_insensitive_duplicate
from sites.models import Site


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "code", "address", "is_active"]

    def clean_name(self):
        # The name appears in workbooks and drop-downs, so it gets the
        # import's normalisation: no control characters, single spaces.
        return reject_case_insensitive_duplicate(self, "name", normalise_text(self.cleaned_data["name"]))

    def clean_code(self):
        return reject_case_insensitive_duplicate(self, "code", self.cleaned_data["code"].strip().upper())
