from django import forms
from django.utils.text import capfirst

from customers.forms import clean_phone_text
from customers.importing.cleaners import normalise_text
from customers.selectors import format_phone
from ebilling.forms import reject_case_insensitive_duplicate
from sites.models import Site


class SiteForm(forms.ModelForm):
    # Longer than the stored E.164, for numbers typed with spaces and dashes.
    contact_phone = forms.CharField(
        required=False, max_length=50, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )

    class Meta:
        model = Site
        fields = ["name", "code", "address", "contact_phone", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_field = Site._meta.get_field("contact_phone")
        self.fields["contact_phone"].label = capfirst(model_field.verbose_name)
        self.fields["contact_phone"].help_text = model_field.help_text
        # The stored +62… number is shown as customers' phones are, 0812-….
        self.initial["contact_phone"] = format_phone(self.instance.contact_phone)

    def clean_name(self):
        # The name appears in workbooks and drop-downs, so it gets the
        # import's normalisation: no control characters, single spaces.
        return reject_case_insensitive_duplicate(self, "name", normalise_text(self.cleaned_data["name"]))

    def clean_code(self):
        return reject_case_insensitive_duplicate(self, "code", self.cleaned_data["code"].strip().upper())

    def clean_contact_phone(self):
        return clean_phone_text(self.cleaned_data["contact_phone"])
