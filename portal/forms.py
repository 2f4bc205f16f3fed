"""Forms of the customer portal: login, own data, and NIK, phone and package change requests."""

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from customers.forms import (
    cell_error_to_validation_error,
    check_location_pair,
    clean_phone_text,
    run_cleaner,
    sync_street_and_address,
)
from customers.importing import cleaners
from customers.importing.problems import CellError
from customers.models import Customer, name_key
from customers.selectors import nik_owner_with_other_name
from packages.models import ServicePackage
from portal.accounts import customer_login_key
from portal.models import ChangeRequest
from portal.services import NIK_SHARED_NAME_LOCKED
from regions.forms import LocationFields, VillageField

CUSTOMER_BACKEND = "portal.backends.CustomerBackend"


class PortalLoginForm(forms.Form):
    """ID Pelanggan or phone number, and password.

    The field is named "username" because login lockouts (django-axes) and
    password managers look for that name.
    """

    username = forms.CharField(label=_("Customer ID or phone number"), max_length=100)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    error_messages = {
        # The same message for an unknown ID and a wrong password, so the
        # form does not reveal which IDs and phone numbers are customers.
        "invalid_login": _(
            "The customer ID or phone number and the password do not match. Check both and try again."
        ),
        "ambiguous": _(
            "This phone number belongs to several customer accounts with this password. "
            "Log in with your customer ID instead."
        ),
    }

    def __init__(self, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean(self):
        cleaned = super().clean()
        if "username" not in cleaned or "password" not in cleaned:
            return cleaned

        key = customer_login_key(cleaned["username"])
        user = authenticate(self.request, username=key, password=cleaned["password"], portal=True)
        # Only the portal backend may log a user in here. Another backend
        # could return a staff user whose username equals the typed text.
        if user is None or getattr(user, "backend", "") != CUSTOMER_BACKEND:
            if getattr(self.request, "portal_login_ambiguous", False):
                raise ValidationError(self.error_messages["ambiguous"], code="ambiguous")
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        self.user = user
        return cleaned


def _clean_text_field(value, max_length):
    return run_cleaner(lambda text: cleaners.clean_text(text, max_length), value)


class CustomerProfileForm(LocationFields, forms.ModelForm):
    """The data a customer may change themselves: name, e-mail, address,
    region and map location.

    Only the fields listed in Meta.fields are read from the request, so
    posted values for the package, site, status, ID, NIK or phone are ignored.
    """

    email = forms.CharField(required=False, max_length=300)
    village = VillageField(required=False)
    latitude = forms.CharField(required=False, max_length=100)
    longitude = forms.CharField(required=False, max_length=100)

    class Meta:
        model = Customer
        fields = ["name", "email", "street", "address", "village", "latitude", "longitude"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("email", "village", "latitude", "longitude"):
            self.fields[name].label = capfirst(Customer._meta.get_field(name).verbose_name)
        # As on the staff form: the picker's last list is labelled Village.
        self.fields["village"].label = _("Region")
        self.fields["street"].help_text = _("For example: Jl. Mawar No. 5 RT 002/RW 003")
        self.fields["address"].help_text = _(
            "The full address, with directions such as a landmark. Filled from the street and village when left empty."
        )
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"
        # Each field also posts the value the page showed. changed_fields()
        # compares with it to find the customer's own changes.
        for name in self._meta.fields:
            self.fields[name].show_hidden_initial = True

    def changed_fields(self):
        """Return the names of the Meta.fields the customer changed on the page.

        A field counts as changed when its posted value differs from the
        value the page showed, not from the stored one. So a field that
        staff changed while the page was open, and that the customer left
        alone, is not written back. A pasted map location changes both
        coordinates. A field posted without the value the page showed, as by
        a script, counts as changed, so its posted value is written as before.
        """
        changed_data = set(self.changed_data)
        changed = {
            name
            for name in self._meta.fields
            if name in changed_data or self.add_initial_prefix(name) not in self.data
        }
        if self.cleaned_data.get("location") is not None:
            changed |= {"latitude", "longitude"}
        return changed

    def clean_name(self):
        name = run_cleaner(cleaners.clean_name, self.cleaned_data["name"])
        if not name:
            raise cell_error_to_validation_error(CellError(cleaners.NAME_MISSING), name)
        self._check_nik_owner(name)
        return name

    def _check_nik_owner(self, name):
        """Reject a new name when the customer's NIK is on another customer
        under a different name, because one NIK belongs to one person.

        Every customer is checked, not only those of one site. The error names
        none of them, because the portal shows no other customer's data.
        """
        customer = self.instance
        if not customer.nik or name_key(name) == name_key(customer.name):
            return
        if nik_owner_with_other_name(Customer.objects.all(), customer.nik, name, exclude_pk=customer.pk) is not None:
            raise ValidationError(NIK_SHARED_NAME_LOCKED, code="nik_other_name")

    def clean_email(self):
        text = self.cleaned_data["email"]
        if not text:
            return ""
        return run_cleaner(cleaners.clean_email, text)

    def clean_street(self):
        return _clean_text_field(self.cleaned_data["street"], Customer._meta.get_field("street").max_length)

    def clean_address(self):
        return run_cleaner(cleaners.clean_address, self.cleaned_data["address"])

    def clean_latitude(self):
        text = self.cleaned_data["latitude"]
        return run_cleaner(cleaners.clean_coordinate, text) if text else None

    def clean_longitude(self):
        text = self.cleaned_data["longitude"]
        return run_cleaner(cleaners.clean_coordinate, text) if text else None

    def clean(self):
        # LocationFields.clean() has already replaced latitude and longitude
        # with a pasted location, if any.
        cleaned = check_location_pair(self, super().clean())
        if "address" in cleaned and "street" in cleaned:
            # The same rule as the staff form, so the portal never shows a
            # street line that the customer's new Alamat contradicts.
            cleaned["address"], cleaned["street"] = sync_street_and_address(
                cleaned["address"],
                cleaned["street"],
                old_address=self.instance.address,
                old_street=self.instance.street,
            )
        return cleaned


class ChangeRequestForm(forms.Form):
    """A new NIK or phone number, checked with the importer's rules on submit."""

    # A package is requested on its own form, PackageRequestForm.
    field = forms.ChoiceField(
        label=_("Data to change"),
        choices=[(field.value, field.label) for field in (ChangeRequest.Field.NIK, ChangeRequest.Field.PHONE)],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the data you want to change.")},
    )
    value = forms.CharField(
        label=_("New value"), max_length=50, error_messages={"required": _("Type the new NIK or phone number.")}
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["value"].help_text = _("NIK: the 16 digits on your KTP. Phone: for example 0812-3456-7890.")

    def clean(self):
        cleaned = super().clean()
        field = cleaned.get("field")
        text = cleaned.get("value")
        if not field or not text:
            return cleaned

        try:
            if field == ChangeRequest.Field.NIK:
                value = run_cleaner(cleaners.clean_nik, text)
            else:
                value = clean_phone_text(text)
        except ValidationError as error:
            self.add_error("value", error)
            return cleaned

        if value == getattr(self.customer, field):
            self.add_error(
                "value",
                ValidationError(_("%(value)s is already your current data."), code="unchanged", params={"value": text}),
            )
            return cleaned
        cleaned["value"] = value
        return cleaned

class PackageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.summary


class PackageRequestForm(forms.Form):
    """The package the customer reports paying for, chosen from the active packages.

    Packages belong to no site, so every customer is offered all of them.
    """

    package = PackageChoiceField(
        label=_("Package"),
        queryset=ServicePackage.objects.filter(is_active=True).order_by("monthly_price", "name"),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose your package."),
            "invalid_choice": _("This package is no longer offered. Choose another one."),
        },
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_package(self):
        package = self.cleaned_data["package"]
        if package.pk == self.customer.package_id:
            raise ValidationError(
                _("%(package)s is already your package."), code="unchanged", params={"package": package.name}
            )
        return package
