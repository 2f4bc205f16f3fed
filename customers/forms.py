"""Forms of the customer pages: the list filters and the edit form."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.importing import cleaners
from customers.importing.problems import ROW_MESSAGES, CellError
from customers.models import Customer
from customers.selectors import CustomerFilter, format_phone
from ebilling.access import is_admin, visible_sites
from packages.models import ServicePackage


class CustomerFilterForm(forms.Form):
    """The search box and filters of the customer list, read from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False, empty_label=_("All sites"))
    incomplete = forms.BooleanField(label=_("Incomplete"), required=False)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["site"].queryset = visible_sites(user).order_by("name")
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = _("ID, name, phone or NIK")

    def customer_filter(self):
        """Return the CustomerFilter of the valid fields. An invalid field,
        such as a site the user may not see, filters nothing."""
        self.is_valid()
        cleaned = self.cleaned_data
        return CustomerFilter(
            query=cleaned.get("q") or "",
            site=cleaned.get("site"),
            incomplete_only=bool(cleaned.get("incomplete")),
        )


# Stand-ins for the row and column that every import message starts with.
_ROW_MARK = "\x00row\x00"
_COLUMN_MARK = "\x00column\x00"


def cell_error_to_validation_error(error, value):
    """Convert a cleaner's CellError into a form ValidationError.

    Import messages start with "Row 4, column NIK: …". Under a form field
    the row means nothing, so that leading clause is dropped, in whatever
    language the message was translated to.
    """
    params = {"row": _ROW_MARK, "column": _COLUMN_MARK, "value": value, **error.params}
    text = gettext(ROW_MESSAGES[error.code]) % params
    head, separator, rest = text.partition(": ")
    if separator and _ROW_MARK in head and _COLUMN_MARK in head:
        # Capitalise "the name is empty", but never the user's own value.
        text = rest if value and rest.startswith(str(value)) else capfirst(rest)
    else:
        # NOTE: a translation that moved the row elsewhere keeps its wording,
        # with the row and column left out.
        text = text.replace(_ROW_MARK, "").replace(_COLUMN_MARK, "")
    return ValidationError(text, code=error.code)


def run_cleaner(cleaner, value):
    """Return cleaner(value), raising a ValidationError on a CellError."""
    try:
        return cleaner(value)
    except CellError as error:
        raise cell_error_to_validation_error(error, value) from None


class CustomerForm(forms.ModelForm):
    """Edit one customer with the importer's cell rules, so a value the
    upload would reject is rejected here with the same message."""

    phone = forms.CharField(required=False, max_length=50)
    email = forms.CharField(required=False, max_length=300)
    nik = forms.CharField(required=False, max_length=40)
    installed_on = forms.CharField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    latitude = forms.CharField(required=False, max_length=100)
    longitude = forms.CharField(required=False, max_length=100)
    postal_code = forms.CharField(required=False, max_length=20)

    class Meta:
        model = Customer
        fields = [
            "number",
            "name",
            "phone",
            "email",
            "nik",
            "address",
            "site",
            "package",
            "status",
            "installed_on",
            "latitude",
            "longitude",
            "postal_code",
        ]
        error_messages = {
            "number": {"unique": _("Another customer already has this customer ID.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The fields declared above would otherwise lose the model's labels.
        for name, field in self.fields.items():
            field.label = capfirst(Customer._meta.get_field(name).verbose_name)

        customer = self.instance
        self.initial["phone"] = format_phone(customer.phone)
        self.initial["nik"] = ""
        if customer.nik:
            self.fields["nik"].widget.attrs["placeholder"] = customer.masked_nik
            self.fields["nik"].help_text = _("Stored NIK: %(nik)s. Leave blank to keep it.") % {
                "nik": customer.masked_nik
            }
        else:
            self.fields["nik"].help_text = _("16 digits, as on the KTP.")

        sites = visible_sites(user).filter(Q(is_active=True) | Q(pk=customer.site_id)).order_by("name")
        self.fields["site"].queryset = sites
        # A site admin who cleared the site would lose the customer from view.
        self.fields["site"].required = not is_admin(user)
        packages = ServicePackage.objects.filter(Q(is_active=True) | Q(pk=customer.package_id))
        self.fields["package"].queryset = packages.order_by("monthly_price", "name")

    def clean_number(self):
        return run_cleaner(cleaners.clean_customer_number, self.cleaned_data["number"])

    def clean_name(self):
        name = run_cleaner(cleaners.clean_name, self.cleaned_data["name"])
        if not name:
            raise cell_error_to_validation_error(CellError(cleaners.NAME_MISSING), name)
        return name

    def clean_phone(self):
        text = self.cleaned_data["phone"]
        if not text:
            return ""

        phone = run_cleaner(cleaners.clean_phone, text)
        if phone.extra_numbers:
            raise ValidationError(
                _("%(value)s contains more than one phone number. Enter one number only."),
                code="phone_several",
                params={"value": text},
            )
        return phone.e164

    def clean_email(self):
        text = self.cleaned_data["email"]
        if not text:
            return ""
        return run_cleaner(cleaners.clean_email, text)

    def clean_nik(self):
        text = self.cleaned_data["nik"]
        if not text or text == self.instance.masked_nik:
            return self.instance.nik
        return run_cleaner(cleaners.clean_nik, text)

    def clean_address(self):
        return run_cleaner(cleaners.clean_address, self.cleaned_data["address"])

    def clean_installed_on(self):
        text = self.cleaned_data["installed_on"]
        if not text:
            return None
        return run_cleaner(cleaners.clean_date, text)

    def clean_latitude(self):
        text = self.cleaned_data["latitude"]
        if not text:
            return None
        return run_cleaner(cleaners.clean_coordinate, text)

    def clean_longitude(self):
        text = self.cleaned_data["longitude"]
        if not text:
            return None
        return run_cleaner(cleaners.clean_coordinate, text)

    def clean_postal_code(self):
        text = self.cleaned_data["postal_code"]
        if not text:
            return ""
        return run_cleaner(cleaners.clean_postal_code, text)

    def clean(self):
        cleaned = super().clean()
        if "latitude" in self.errors or "longitude" in self.errors:
            return cleaned

        latitude = cleaned.get("latitude")
        longitude = cleaned.get("longitude")
        if latitude is None and longitude is None:
            return cleaned
        if longitude is None:
            error = CellError(cleaners.LATITUDE_WITHOUT_LONGITUDE)
            self.add_error("longitude", cell_error_to_validation_error(error, self.data.get("latitude", "")))
            return cleaned
        if latitude is None:
            error = CellError(cleaners.LONGITUDE_WITHOUT_LATITUDE)
            self.add_error("latitude", cell_error_to_validation_error(error, self.data.get("longitude", "")))
            return cleaned

        value = f"{latitude}, {longitude}"
        try:
            location = cleaners.clean_location(latitude, longitude)
        except CellError as error:
            self.add_error("latitude", cell_error_to_validation_error(error, value))
            return cleaned
        # Latitude and longitude typed the wrong way round are swapped back,
        # as the importer does.
        cleaned["latitude"] = location.latitude
        cleaned["longitude"] = location.longitude
        return cleaned
