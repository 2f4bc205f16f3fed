import re

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.importing.cleaners import normalise_text
from ebilling.forms import reject_case_insensitive_duplicate
from packages.models import ServicePackage

# "150000", "150.000", "150,000", "150 000", "Rp150.000", "Rp 150.000,00",
# "Rp150.000,-", "IDR 150.000": whole rupiah, grouped by thousands with dots
# (as written in Indonesia), commas or spaces, with optional zero cents.
_RUPIAH = re.compile(
    r"(?:rp\.?|idr)?\s*"
    r"(?P<amount>\d{1,3}(?P<group>[., ])\d{3}(?:(?P=group)\d{3})*|\d+)"
    r"(?:(?P<point>[.,])(?P<cents>\d{1,2})|,-|\.-)?",
    re.IGNORECASE,
)
# The price column is a 32-bit integer on PostgreSQL.
MAX_PRICE = 2_000_000_000
# A price from Rp1 to Rp999 is almost surely a typo, such as "150" for 150.000.
MIN_PRICE = 1000


class RupiahField(forms.IntegerField):
    """A whole-rupiah amount, typed as 150000, 150.000, 150.000,00 or Rp150.000.

    Django's IntegerField reads "150.000" as 150 (it drops a decimal ".000"),
    a price a thousand times too low. A text input keeps the browser from
    reading the dots as a decimal point too. Rp0 is allowed for free packages.
    """

    widget = forms.TextInput(attrs={"inputmode": "numeric"})
    default_error_messages = {
        "invalid": _(
            "“%(value)s” is not a price in whole rupiah. Write it with a dot between each three digits, "
            "like 150.000 or 150.000,00."
        ),
        "below_min_price": _(
            "“%(value)s” is less than Rp1.000, so it is almost surely a typo. Write the full monthly price, "
            "like 150.000, or 0 for a free package."
        ),
        "above_max_price": _("The price is more than the highest price eBilling stores, %(limit)s."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", MAX_PRICE)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        match = _RUPIAH.fullmatch(text)
        if not match or not _cents_unambiguous(match):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"value": text})

        digits = re.sub(r"[., ]", "", match["amount"]).lstrip("0") or "0"
        # int() rejects texts over 4300 digits, and 16 digits are already far over MAX_PRICE.
        amount = int(digits[:16])
        if 0 < amount < MIN_PRICE:
            raise forms.ValidationError(
                self.error_messages["below_min_price"], code="below_min_price", params={"value": text}
            )
        if self.max_value is not None and amount > self.max_value:
            # Django's own message shows the limit as bare digits, without "Rp" or grouping.
            raise forms.ValidationError(
                self.error_messages["above_max_price"],
                code="above_max_price",
                params={"limit": "Rp" + self.prepare_value(self.max_value)},
            )
        return amount

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value


def _cents_unambiguous(match):
    """Return whether the cents of a _RUPIAH match, if any, are zero and
    cannot be a mistyped thousands group.

    "150.000,00" and "150,000.00" are Rp150.000, and so is "150000,00",
    because no thousands group starts with more than three digits. But
    "150.00" may be 150.000 with a zero missing, and "1.50" is not whole.
    """
    cents = match["cents"]
    if cents is None:
        return True
    if cents.strip("0"):
        return False
    if match["group"]:
        return match["group"] != match["point"]
    digits = match["amount"]
    return len(digits) > 3 or int(digits) == 0


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
