from django import forms

from ebilling.forms import reject_case_insensitive_duplicate
from sites.models import Site


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "code", "address", "is_active"]

    def clean_name(self):
        return reject_case_insensitive_duplicate(self, "name", self.cleaned_data["name"].strip())

    def clean_code(self):
        return reject_case_insensitive_duplicate(self, "code", self.cleaned_data["code"].strip().upper())
