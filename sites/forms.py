from django import forms

from sites.models import Site


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "code", "address", "is_active"]

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()
