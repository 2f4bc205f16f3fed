from django import forms

from packages.models import ServicePackage


class PackageForm(forms.ModelForm):
    class Meta:
        model = ServicePackage
        fields = ["name", "code", "download_mbps", "upload_mbps", "monthly_price", "is_active"]

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()
