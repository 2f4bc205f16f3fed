"""Forms of the customer pages: the list filters and the edit form."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.adding import CustomerNumberTaken, customer_create
from customers.importing import cleaners
from customers.importing.dedupe import NIK_OTHER_NAME, customers_with_number
from customers.importing.problems import ROW_MESSAGES, CellError
from customers.importing.regions import street_prefix
from customers.models import Customer, fill_address, mask_nik, name_key
from customers.selectors import (
    MISSING_CONDITIONS,
    NO_SITE,
    CustomerFilter,
    customer_label,
    customers_visible_to,
    format_phone,
    nik_owner_with_other_name,
    valid_sort,
)
from customers.submissions import form_submission_claim
from ebilling.access import is_admin, visible_sites
from packages.models import ServicePackage
from regions.forms import AreaField, LocationFields, VillageField


# The ?missing= filters of the list, in the order the dashboard shows them.
MISSING_CHOICES = [
    ("package", _("No package")),
    ("address", _("No address")),
    ("region", _("No village")),
    ("location", _("No map location")),
    ("phone", _("No phone")),
]
assert [key for key, _label in MISSING_CHOICES] == list(MISSING_CONDITIONS)


class SiteChoiceIterator(ModelChoiceIterator):
    """The field's sites, then a "No site" choice when the field offers it."""

    def __iter__(self):
        yield from super().__iter__()
        if self.field.allow_no_site:
            yield (NO_SITE, _("No site"))

    def __len__(self):
        return super().__len__() + (1 if self.field.allow_no_site else 0)


class SiteFilterField(forms.ModelChoiceField):
    """A site of the queryset, or NO_SITE for the customers without a site
    when `allow_no_site` is set."""

    iterator = SiteChoiceIterator

    def __init__(self, *args, allow_no_site=False, **kwargs):
        self.allow_no_site = allow_no_site
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if self.allow_no_site and value == NO_SITE:
            return NO_SITE
        return super().to_python(value)


class CustomerFilterForm(forms.Form):
    """The search box and filters of the customer list, read from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    site = SiteFilterField(label=_("Site"), queryset=None, required=False, empty_label=_("All sites"))
    missing = forms.ChoiceField(
        label=_("Missing data"), required=False, choices=[("", _("Any")), *MISSING_CHOICES]
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *Customer.Status.choices])
    incomplete = forms.BooleanField(label=_("Incomplete"), required=False)
    area = AreaField()
    # An unknown sort order falls back to the default instead of failing
    # the form, which would empty the list.
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["site"].queryset = visible_sites(user).order_by("name")
        # Only admins see customers without a site.
        self.fields["site"].allow_no_site = is_admin(user)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = _("ID, name, phone or NIK")

    def customer_filter(self):
        """Return the CustomerFilter of the form. With an invalid field, such
        as a site the user may not see, it matches no customer, so that an
        export or a bulk change never covers more than the list asked for."""
        valid = self.is_valid()
        cleaned = self.cleaned_data
        return CustomerFilter(
            query=cleaned.get("q") or "",
            site=cleaned.get("site"),
            incomplete_only=bool(cleaned.get("incomplete")),
            missing=cleaned.get("missing") or "",
            status=cleaned.get("status") or "",
            area=cleaned.get("area") or "",
            sort=valid_sort(cleaned.get("sort")),
            matches_nothing=not valid,
        )


class CustomerBulkForm(forms.Form):
    """Set the package, the site, the status or several of them on the
    customers ticked in the list, or on every customer matching the list's
    filter.

    The customers are limited to those the user may see, and the sites to
    the active sites the user may see, so a site admin changes only their
    own customers and keeps them in their sites. The check that something
    is set runs only when `confirming`, because the list's first submit
    may leave every choice for the confirmation page.
    """

    customers = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.MultipleHiddenInput
    )
    all_matching = forms.BooleanField(required=False, widget=forms.HiddenInput)
    package = forms.ModelChoiceField(
        label=_("Set package"), queryset=None, required=False, empty_label=_("(keep)")
    )
    site = forms.ModelChoiceField(
        label=_("Set site"), queryset=None, required=False, empty_label=_("(keep)")
    )
    status = forms.ChoiceField(
        label=_("Set status"), choices=[("", _("(keep)")), *Customer.Status.choices], required=False
    )

    def __init__(self, data, *, user, confirming):
        super().__init__(data, prefix="bulk")
        self.confirming = confirming
        self.fields["customers"].queryset = customers_visible_to(user)
        self.fields["package"].queryset = ServicePackage.objects.filter(is_active=True).order_by(
            "monthly_price", "name"
        )
        self.fields["site"].queryset = visible_sites(user).filter(is_active=True).order_by("name")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_matching") and not cleaned.get("customers") and "customers" not in self.errors:
            raise ValidationError(
                _("No customers are selected. Tick customers in the list, or choose all customers matching the filter."),
                code="no_selection",
            )
        if self.confirming and not cleaned.get("package") and not cleaned.get("site") and not cleaned.get("status"):
            raise ValidationError(_("Choose a package, a site or a status to set."), code="no_change")
        return cleaned

    def changes(self):
        """Return the attribute values to set, such as {"package_id": 3, "status": "suspended"}."""
        changes = {}
        if self.cleaned_data.get("package"):
            changes["package_id"] = self.cleaned_data["package"].pk
        if self.cleaned_data.get("site"):
            changes["site_id"] = self.cleaned_data["site"].pk
        if self.cleaned_data.get("status"):
            changes["status"] = self.cleaned_data["status"]
        return changes


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


def clean_phone_text(text):
    """Return a typed phone number in E.164 (+62…) by the import's phone
    rules, or "" for no text. Raises ValidationError for an invalid number
    or for several numbers in one text."""
    if not text:
        return ""

    phone = run_cleaner(cleaners.clean_phone, text)
    if phone.extra_numbers:
        raise ValidationError(
            _("“%(value)s” contains more than one phone number. Enter one number only."),
            code="phone_several",
            params={"value": text},
        )
    return phone.e164


CHANGED_MEANWHILE = _(
    "This customer was changed after you opened this page, so nothing was saved. "
    "Reload the page, then make your changes again."
)


def sync_street_and_address(address, street, *, old_address, old_street):
    """Return the (Alamat, street line) to store when a form changed only one of them.

    The import takes the street line from the start of the Alamat, so a
    stored street line usually starts the stored Alamat. When only the
    Alamat changed and no longer starts with the street line, the street
    line is taken again from the new Alamat's leading street parts, as the
    import does, and emptied when it has none. When only the street line
    changed, an Alamat that starts with the old one gets the new one in
    its place. An emptied Alamat is left to fill_address, and any other
    pair is returned unchanged.
    """
    address_changed = address != old_address
    street_changed = street != old_street
    if address_changed and not street_changed and address and street and not address.startswith(street):
        max_length = Customer._meta.get_field("street").max_length
        return address, street_prefix(address)[0][:max_length].strip()
    if street_changed and not address_changed and street and old_street and address.startswith(old_street):
        max_length = Customer._meta.get_field("address").max_length
        return (street + address[len(old_street) :])[:max_length], street
    return address, street


class CustomerForm(LocationFields, forms.ModelForm):
    """Edit one customer with the importer's cell rules, so a value the
    upload would reject is rejected here with the same message.

    The village is picked with cascading region selects and the map
    location with a map, a paste box and the two coordinate inputs, so the
    page must include {{ form.media }}.
    """

    # The edit page shows the fields in these groups, each under its heading.
    FIELDSETS = (
        (_("Customer data"), ("number", "name", "phone", "email", "nik", "status", "installed_on")),
        (_("Service"), ("site", "package")),
        (_("Address and region"), ("address", "street", "village", "postal_code")),
        (_("Location"), ("location", "latitude", "longitude")),
        (_("Notes"), ("notes",)),
    )

    phone = forms.CharField(required=False, max_length=50)
    email = forms.CharField(required=False, max_length=300)
    nik = forms.CharField(required=False, max_length=40)
    # A text input, because a date input shows the browser's own order,
    # such as mm/dd/yyyy, where the app writes dd/mm/yyyy everywhere.
    installed_on = forms.CharField(
        required=False,
        widget=forms.DateInput(attrs={"inputmode": "numeric", "autocomplete": "off"}, format="%d/%m/%Y"),
    )
    latitude = forms.CharField(required=False, max_length=100)
    longitude = forms.CharField(required=False, max_length=100)
    postal_code = forms.CharField(required=False, max_length=20)
    # No max_length: the limit applies to the cleaned text (see clean_notes),
    # in which a browser's "\r\n" line break counts as one character.
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    village = VillageField(required=False)
    # The stored record's updated_at when the page was opened, to reject a
    # save over changes made meanwhile (by the customer in the portal, an
    # approved change request or another admin).
    loaded_version = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Customer
        fields = [
            "number",
            "name",
            "phone",
            "email",
            "nik",
            "address",
            "street",
            "village",
            "site",
            "package",
            "status",
            "installed_on",
            "location",
            "latitude",
            "longitude",
            "postal_code",
            "notes",
        ]
        error_messages = {
            "number": {"unique": _("Another customer already has this customer ID.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # "street" or "address" when clean() changed that field to follow the other one, else None.
        self.synced_field = None
        # The fields declared above would otherwise lose the model's labels.
        # The map's paste box (location) is no model field and keeps its own.
        for name, field in self.fields.items():
            if name not in ("location", "loaded_version"):
                field.label = capfirst(Customer._meta.get_field(name).verbose_name)
        # The picker's last list is already labelled Village, so the whole
        # picker is labelled by what its four lists choose together.
        self.fields["village"].label = _("Region")
        self.fields["address"].help_text = _("The full address as the customer or the spreadsheet wrote it.")
        self.fields["street"].help_text = _(
            "For example: Jl. Mawar No. 5 RT 002/RW 003. It is the start of the Alamat: "
            "change only the Alamat and it is taken again from the new one."
        )
        self.fields["installed_on"].help_text = _("Day first: 05/01/2024 is 5 January 2024.")
        self.fields["installed_on"].widget.attrs["placeholder"] = _("dd/mm/yyyy")
        self.fields["notes"].help_text = _(
            "Your own notes on this customer, such as ODP-12 port 3. The customer does not see them in the portal."
        )
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"

        customer = self.instance
        if customer.pk and customer.updated_at:
            self.initial["loaded_version"] = customer.updated_at.isoformat()
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
        # Django's own empty choice reads "---------". A site admin must
        # keep a site, so they get no empty choice.
        self.fields["site"].empty_label = None if self.fields["site"].required else _("No site")
        self.fields["package"].empty_label = _("No package")

    def clean_number(self):
        number = run_cleaner(cleaners.clean_customer_number, self.cleaned_data["number"])
        # Imports match an ID in any letter case, so "plg-0001" beside PLG-0001 would be two customers for one ID.
        twins = Customer.objects.filter(number__iexact=number).exclude(number=number).exclude(pk=self.instance.pk)
        if number and twins.exists():
            raise forms.ValidationError(_("Another customer already has this customer ID."), code="unique")
        return number

    def clean_name(self):
        name = run_cleaner(cleaners.clean_name, self.cleaned_data["name"])
        if not name:
            raise cell_error_to_validation_error(CellError(cleaners.NAME_MISSING), name)
        return name

    def clean_phone(self):
        return clean_phone_text(self.cleaned_data["phone"])

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

    def _check_nik_owner(self, cleaned):
        """Add a NIK error when another customer has the NIK under another
        name, as an import does. One outside the user's sites is not named."""
        nik, name = cleaned.get("nik"), cleaned.get("name")
        if not nik or not name:
            return
        if nik == self.instance.nik and name_key(name) == self.instance.name_key:
            return
        other = nik_owner_with_other_name(Customer.objects.all(), nik, name, exclude_pk=self.instance.pk)
        if other is None:
            return
        if customers_visible_to(self.user).filter(pk=other.pk).exists():
            label = customer_label(other)
        else:
            label = _("a customer of a site you do not manage")
        error = CellError(NIK_OTHER_NAME, other=label)
        self.add_error("nik", cell_error_to_validation_error(error, mask_nik(nik)))

    def clean_street(self):
        max_length = Customer._meta.get_field("street").max_length
        return run_cleaner(lambda text: cleaners.clean_text(text, max_length), self.cleaned_data["street"])

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

    def clean_notes(self):
        max_length = Customer._meta.get_field("notes").max_length
        return run_cleaner(lambda text: cleaners.clean_notes(text, max_length), self.cleaned_data["notes"])

    def fieldsets(self):
        """Return the FIELDSETS as (heading, bound fields) pairs."""
        return [(heading, [self[name] for name in names]) for heading, names in self.FIELDSETS]

    def clean(self):
        # LocationFields.clean() has already replaced latitude and longitude
        # with a pasted location, if any.
        cleaned = check_location_pair(self, super().clean())
        self._check_nik_owner(cleaned)
        loaded = cleaned.get("loaded_version")
        if loaded and self.instance.pk:
            current = Customer.objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True).first()
            if current is not None and current.isoformat() != loaded:
                raise forms.ValidationError(CHANGED_MEANWHILE, code="changed_meanwhile")
        if all(name in cleaned for name in ("address", "street", "village")):
            # self.instance still contains the stored values, because the
            # ModelForm copies the cleaned ones onto it only after clean().
            address, street = sync_street_and_address(
                cleaned["address"],
                cleaned["street"],
                old_address=self.instance.address,
                old_street=self.instance.street,
            )
            # The field that followed the other one's change, for the page to name it after the save.
            if street != cleaned["street"]:
                self.synced_field = "street"
            elif address != cleaned["address"]:
                self.synced_field = "address"
            cleaned["address"], cleaned["street"] = address, street
            cleaned["address"] = fill_address(
                cleaned["address"],
                cleaned["street"],
                cleaned["village"],
                old_street=self.instance.street,
                old_village=self.instance.village,
            )
        return cleaned


class CustomerAddForm(CustomerForm):
    """Add one customer with the edit form's fields and cell rules.

    A blank ID Pelanggan is generated when the customer is saved. Customers
    the user may see with the same phone or NIK are listed in
    `possible_duplicates`, and the form is valid only when the user ticked
    "Save anyway" with all of them shown.
    """

    def __init__(self, data=None, *, user, site_id=None):
        """Preselect the site `site_id` (the ?site= text that "Save & add
        another" sends) when the user may choose it."""
        super().__init__(data, instance=Customer(), user=user)
        del self.fields["loaded_version"]
        # The ids of the possible duplicates shown when "Save anyway" was
        # ticked. Added here, because CustomerForm labels every declared
        # field from the model.
        self.fields["save_anyway"] = forms.CharField(required=False)
        # The page's random token, which a second send of the same page
        # (a double click) finds already claimed.
        self.fields["form_token"] = forms.CharField(
            required=False, widget=forms.HiddenInput, initial=secrets.token_urlsafe(16)
        )
        self.possible_duplicates = []
        # The FormSubmission of an earlier send of this page, set by save_customer().
        self.earlier_submission = None
        number = self.fields["number"]
        number.required = False
        number.help_text = _("Leave blank to get the next free ID of the series PLG-0001, PLG-0002, …")

        sites = self.fields["site"]
        site_ids = list(sites.queryset.values_list("pk", flat=True))
        if sites.required and len(site_ids) > 1:
            # A site admin with several sites chooses one, with no site preselected.
            sites.empty_label = _("Choose a site")
        if site_id and str(site_id) in {str(pk) for pk in site_ids}:
            self.initial["site"] = int(site_id)
        elif sites.required and len(site_ids) == 1:
            self.initial["site"] = site_ids[0]

    def clean_number(self):
        number = run_cleaner(cleaners.clean_customer_number, self.cleaned_data["number"])
        if not number:
            return ""
        owners = customers_with_number(number)
        if owners:
            raise self.number_taken_error(number, owners[0])
        return number

    def number_taken_error(self, number, owner):
        """Return the error that `owner` already has the ID `number`. A
        customer outside the user's sites is not named."""
        if customers_visible_to(self.user).filter(pk=owner.pk).exists():
            return ValidationError(
                _("Customer ID “%(number)s” is already used by %(customer)s. Enter another ID, or leave it blank to get a new one."),
                code="unique",
                params={"number": number, "customer": customer_label(owner)},
            )
        return ValidationError(
            _("Customer ID “%(number)s” is already in use. Enter another ID, or leave it blank to get a new one."),
            code="unique",
            params={"number": number},
        )

    def clean(self):
        cleaned = super().clean()
        self._check_possible_duplicates(cleaned)
        return cleaned

    def _check_possible_duplicates(self, cleaned):
        """Find the possible duplicates and return True when "Save anyway"
        covers all of them. Otherwise add the error and return False."""
        self.possible_duplicates = self._find_possible_duplicates(cleaned)
        if not self.possible_duplicates:
            return True
        confirmed = set(self.cleaned_data.get("save_anyway", "").split(","))
        if {str(duplicate.pk) for duplicate in self.possible_duplicates} <= confirmed:
            return True
        self.add_error(
            "save_anyway",
            ValidationError(
                _("Tick “Save anyway” to add this customer beside the customers above, or correct the phone number or NIK."),
                code="possible_duplicate",
            ),
        )
        return False

    def _find_possible_duplicates(self, cleaned):
        """Return the customers the user may see with the cleaned phone or
        NIK, in ID order, each with `same_phone` and `same_nik` set."""
        phone = cleaned.get("phone")
        nik = cleaned.get("nik")
        condition = Q()
        if phone:
            condition |= Q(phone=phone)
        if nik:
            condition |= Q(nik=nik)
        if not condition:
            return []
        duplicates = list(customers_visible_to(self.user).filter(condition).select_related("site").order_by("number"))
        for duplicate in duplicates:
            duplicate.same_phone = bool(phone) and duplicate.phone == phone
            duplicate.same_nik = bool(nik) and duplicate.nik == nik
        return duplicates

    def save_customer(self, *, by):
        """Save the valid form's customer with a history entry by `by` and
        return it. Returns None, with the form's error, when another
        customer stored the ID, or a possible duplicate that "Save anyway"
        does not cover, after the form was validated. Returns None, with
        `earlier_submission` set, when the page was saved before.

        A form sent twice by a double click saves one customer. The page's
        token is claimed in the save's transaction, which covers a customer
        with only a name. The duplicates are looked up again under the
        import lock, which covers a form posted without its token.
        """
        token = self.cleaned_data.get("form_token")
        try:
            with transaction.atomic():
                submission = None
                if token:
                    submission, claimed = form_submission_claim(token)
                    if not claimed:
                        self.earlier_submission = submission
                        return None
                customer = customer_create(
                    self.save(commit=False), by=by, check=lambda: self._check_possible_duplicates(self.cleaned_data)
                )
                if customer is None:
                    # Releases the token, so the corrected page can be saved.
                    transaction.set_rollback(True)
                    return None
                if submission is not None:
                    submission.customer = customer
                    submission.save(update_fields=["customer"])
                return customer
        except CustomerNumberTaken as taken:
            number = self.cleaned_data["number"] or taken.owner.number
            self.add_error("number", self.number_taken_error(number, taken.owner))
            return None

    def duplicate_ids(self):
        """Return the ids of the possible duplicates, as "Save anyway" posts them."""
        return ",".join(str(duplicate.pk) for duplicate in self.possible_duplicates)


def check_location_pair(form, cleaned):
    """Check a form's cleaned latitude and longitude as a pair, as the
    importer does: both or neither, inside Indonesia, and swapped back when
    typed the wrong way round. Adds the form errors; returns `cleaned`."""
    if "latitude" in form.errors or "longitude" in form.errors:
        return cleaned
    latitude = cleaned.get("latitude")
    longitude = cleaned.get("longitude")
    if latitude is None and longitude is None:
        return cleaned
    if longitude is None:
        error = CellError(cleaners.LATITUDE_WITHOUT_LONGITUDE)
        form.add_error("longitude", cell_error_to_validation_error(error, form.data.get("latitude", "")))
        return cleaned
    if latitude is None:
        error = CellError(cleaners.LONGITUDE_WITHOUT_LATITUDE)
        form.add_error("latitude", cell_error_to_validation_error(error, form.data.get("longitude", "")))
        return cleaned
    try:
        location = cleaners.clean_location(latitude, longitude)
    except CellError as error:
        value = f"{cleaners.format_coordinate(latitude)}, {cleaners.format_coordinate(longitude)}"
        form.add_error("latitude", cell_error_to_validation_error(error, value))
        return cleaned
    cleaned["latitude"] = location.latitude
    cleaned["longitude"] = location.longitude
    return cleaned
