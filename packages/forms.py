import re

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.importing.cleaners import normalise_text
from ebilling.forms import reject_case_insensitive_duplicate
from packages.models import ServicePackage

# "150000", "150.000", "150,000", "150 000", "Rp150.000", "Rp 150.000,00",
# "Rp150.000,-", "IDR 150.000": whole rupiah, grouped by thousands with dots
# (as written in Indonesia), commas or spaces.
_RUPIAH = re.compile(
    r"(?:rp\.?|idr)?\s*(\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:[.,]00?|,-|\.-)?",
    re.IGNORECASE,
)
# The price column is a 32-bit integer on PostgreSQL.
MAX_PRICE = 2_000_000_000


class RupiahField(forms.IntegerField):
    """A whole-rupiah amount, typed as 150000, 150.000 or Rp150.000.

    Django's IntegerField reads "150.000" as 150 (it drops a decimal ".000"),
    a price a thousand times too low. A text input keeps the browser from
    reading the dots as a decimal point too.
    """

    widget = forms.TextInput(attrs={"inputmode": "numeric"})
    default_error_messages = {
        "invalid": _("Write the price in whole rupiah, like 150000 or 150.000."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", MAX_PRICE)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        match = _RUPIAH.fullmatch(str(value).strip())
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(re.sub(r"[., ]", "", match[1]))

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value


class MbpsField(forms.IntegerField):
    """A speed in whole Mbps. "20.5" or "20.000" is refused rather than read
    as 20, which Django's IntegerField would do for "20.000"."""

    default_error_messages = {
        "invalid": _("Write the speed as a whole number of Mbps, like 20."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not text.isascii() or not text.isdigit():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class PackageForm(forms.ModelForm):
    class Meta:
        model = ServicePackage
        fields = ["name", "code", "download_mbps", "upload_mbps", "monthly_price", "is_active"]
        field_classes = {"download_mbps": MbpsField, "upload_mbps": MbpsField, "monthly_price": RupiahField}

    def clean_name(self):
        # The name appears in workbooks and drop-downs, so it gets the
        # import's normalisation: no control characters, single spaces.
        return reject_case_insensitive_duplicate(self, "name", normalise_text(self.cleaned_data["name"]))

    def clean_code(self):
        return reject_case_insensitive_duplicate(self, "code", self.cleaned_data["code"].strip().upper())
