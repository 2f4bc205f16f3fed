from django import forms

from ebilling.forms import reject_case_insensitive_duplicate
from packages.models import ServicePackage


class PackageForm(forms.ModelForm):
    class Meta:
        model = ServicePackage
        fields = ["name", "code", "download_mbps", "upload_mbps", "monthly_price", "is_active"]

    def clean_name(self):
        return reject_case_insensitive_duplicate(self, "name", self.cleaned_data["name"].strip())

    def clean_code(self):
        return reject_case_insensitive_duplicate(self, "code", self.cleaned_data["code"].strip().upper())
