"""Form fields for a customer's region and map location.

VillageField picks a village through four cascading selects (Provinsi →
Kabupaten/Kota → Kecamatan → Kelurahan/Desa). LocationFields adds a Leaflet
map and a paste box to a form that has latitude and longitude fields.

Both need the form's media in the page, because their scripts and styles
come from regions/static/regions/ and django-leaflet's static files:

    <head>… {{ form.media }} …</head>
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from regions.models import District, Province, Regency, Village
from regions.names import DISTRICT, PROVINCE, REGENCY, VILLAGE, code_ancestors, code_level, parse_region_code

# OpenStreetMap's tile server, fetched by the browser at run time, credited
# on the map. Set REGIONS_TILE_URL to use another tile server.
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'

# Leaflet 1.9.3 as shipped in django-leaflet 0.34.0 (leaflet/static/leaflet/).
# The settings serve that folder as a STATICFILES_DIRS entry, because adding
# "leaflet" to INSTALLED_APPS imports GeoDjango, which needs the GDAL library.
LEAFLET_CSS = "leaflet/leaflet.css"
LEAFLET_JS = "leaflet/leaflet.js"


# The model of each level that code_level() names.
REGION_MODELS = {PROVINCE: Province, REGENCY: Regency, DISTRICT: District, VILLAGE: Village}


def known_region_code(value):
    """Return the dotted code in `value` when it names a stored province,
    regency, district or village, else None."""
    code = parse_region_code(value)
    if code is None or not REGION_MODELS[code_level(code)].objects.filter(code=code).exists():
        return None
    return code


def tile_url():
    return getattr(settings, "REGIONS_TILE_URL", DEFAULT_TILE_URL)


class VillageWidget(forms.Widget):
    """Four selects that narrow the choice down to one village, and a hidden
    input with the chosen village code, which is the submitted value.

    The selects of the initial village are rendered filled in, so the page
    needs no request to show them. A change fetches the next list from the
    regions:* JSON views, and a filter box above each select hides the
    options that do not contain the typed text.
    """

    template_name = "regions/widgets/village_picker.html"
    LEVELS = (
        ("province", _("Province"), _("Choose a province")),
        ("regency", _("Regency/City"), _("Choose a regency or city")),
        ("district", _("District"), _("Choose a district")),
        ("village", _("Village"), _("Choose a village")),
    )

    class Media:
        css = {"all": ["regions/regions.css"]}
        js = ["regions/village-picker.js"]

    def format_value(self, value):
        if isinstance(value, Village):
            return value.code
        return "" if value is None else str(value)

    def id_for_label(self, id_):
        return f"{id_}_village" if id_ else id_

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget_id = widget["attrs"].get("id") or f"id_{name}"
        widget["levels"] = self._levels(widget_id, widget["value"])
        # Django's aria-invalid and aria-describedby belong on the village
        # select, which the label points to, not on the hidden input.
        aria = {key: widget["attrs"].pop(key) for key in list(widget["attrs"]) if key.startswith("aria-")}
        widget["levels"][-1]["attrs"] = aria
        return context

    def _chosen_codes(self, value):
        """Return the code chosen in each of the four selects, "" for none."""
        code = parse_region_code(value)
        if code is None or code.count(".") != 3 or not Village.objects.filter(code=code).exists():
            return ["", "", "", ""]
        return list(code_ancestors(code))

    def _levels(self, widget_id, value):
        """Return the four selects with their options and chosen codes."""
        chosen = self._chosen_codes(value)

        option_lists = [
            Province.objects.order_by("name"),
            Regency.objects.filter(province_id=chosen[0]).order_by("name") if chosen[0] else None,
            District.objects.filter(regency_id=chosen[1]).order_by("name") if chosen[1] else None,
            Village.objects.filter(district_id=chosen[2]).order_by("name") if chosen[2] else None,
        ]
        urls = [
            None,
            reverse("regions:regencies"),
            reverse("regions:districts"),
            reverse("regions:villages"),
        ]

        levels = []
        for index, (level, label, placeholder) in enumerate(self.LEVELS):
            queryset = option_lists[index]
            levels.append(
                {
                    "level": level,
                    "label": label,
                    "placeholder": placeholder,
                    "id": f"{widget_id}_{level}",
                    "options": list(queryset.values_list("code", "name")) if queryset is not None else [],
                    "chosen": chosen[index],
                    # The URL that lists this level's options for a parent code.
                    "url": urls[index],
                    "parameter": self.LEVELS[index - 1][0] if index else "",
                    "attrs": {},
                }
            )
        return levels


class VillageField(forms.ModelChoiceField):
    """A village (Kelurahan/Desa) chosen through cascading region selects.

    Use it in place of the ModelChoiceField of a ForeignKey to Village:

        from regions.forms import VillageField

        class CustomerForm(forms.ModelForm):
            village = VillageField(required=False)

    The submitted value is the village code ("32.01.01.1012"), and
    cleaned_data contains the Village. An initial Village, or its code, fills
    all four selects. The page must include {{ form.media }}, and the user
    must be staff or a customer with a portal account, because the selects
    load their options from the regions:* JSON views, which require that.
    """

    widget = VillageWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Village.objects.all())
        kwargs.setdefault("label", _("Village"))
        kwargs.setdefault("empty_label", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = parse_region_code(value) or value.strip()
        return super().to_python(value)


class AreaWidget(VillageWidget):
    """The cascading selects of VillageWidget, where the choice may stop at
    any level. The submitted value is the code of the lowest level chosen,
    so "32.01.01" is a whole Kecamatan."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["any_level"] = True
        return context

    def _chosen_codes(self, value):
        code = known_region_code(value)
        if code is None:
            return ["", "", "", ""]
        ancestors = list(code_ancestors(code))
        return ancestors + [""] * (len(self.LEVELS) - len(ancestors))


class AreaField(forms.CharField):
    """A province, regency, district or village chosen with AreaWidget.

    Cleans to the region's dotted code ("32.01.01"), or "" when nothing is
    chosen. An unknown or malformed code is a validation error. The page
    needs {{ form.media }}, as for VillageField.
    """

    widget = AreaWidget
    default_error_messages = {"invalid_area": _("Choose an area from the list.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Area"))
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return ""
        code = known_region_code(text)
        if code is None:
            raise forms.ValidationError(self.error_messages["invalid_area"], code="invalid_area")
        return code


class LocationWidget(forms.TextInput):
    """A box to paste a Google Maps link or "lat, long" text, above a Leaflet
    map with a draggable marker.

    The script fills the form's latitude and longitude inputs (found by
    name in the same form) from the pasted text, from a click on the map or
    from dragging the marker, and moves the marker when those inputs change.
    The server validates whatever was submitted: see LocationField.
    """

    template_name = "regions/widgets/location_picker.html"

    class Media:
        css = {"all": [LEAFLET_CSS, "regions/regions.css"]}
        js = [LEAFLET_JS, "regions/location-picker.js"]

    def __init__(self, attrs=None, *, latitude_field="latitude", longitude_field="longitude"):
        super().__init__(attrs)
        self.latitude_field = latitude_field
        self.longitude_field = longitude_field

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("autocomplete", "off")
        context["widget"]["latitude_field"] = self.latitude_field
        context["widget"]["longitude_field"] = self.longitude_field
        context["widget"]["tile_url"] = tile_url()
        context["widget"]["tile_attribution"] = TILE_ATTRIBUTION
        return context


class LocationField(forms.CharField):
    """The paste box of LocationWidget: a Google Maps link or "lat, long" text.

    Cleans to a customers.importing.cleaners.Location, or None when empty,
    with the importer's clean_coordinates() rules and messages.
    """

    widget = LocationWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("label", _("Map location"))
        kwargs.setdefault(
            "help_text",
            _("Paste a Google Maps link or coordinates like -6.4812, 106.8421, or drag the pin on the map."),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None

        # Imported here because customers.forms imports this module.
        from customers.forms import run_cleaner
        from customers.importing.cleaners import clean_coordinates

        return run_cleaner(clean_coordinates, text)


class LocationFields(forms.Form):
    """A form mixin that adds the map and paste box (`location`) to a form
    with latitude and longitude fields.

        class CustomerForm(LocationFields, forms.ModelForm):
            ...

    When the paste box contains text on submit, its location replaces the
    latitude and longitude inputs. The script empties the box once it has
    copied the location into those inputs, so a marker dragged afterwards
    wins. Without the script, the pasted text is read by the server alone.
    """

    location = LocationField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The map and paste box come first and the two number inputs after
        # them, because most people place the pin and few type coordinates.
        names = [name for name in self.fields if name not in ("latitude", "longitude")]
        after_map = names.index("location") + 1
        self.order_fields([*names[:after_map], "latitude", "longitude", *names[after_map:]])
        # A stored coordinate would show its six decimal places: "-6.481200".
        for name in ("latitude", "longitude"):
            value = self.initial.get(name)
            if isinstance(value, Decimal):
                self.initial[name] = format(value.normalize(), "f")

    def clean(self):
        cleaned = super().clean()
        location = cleaned.get("location")
        if location is not None:
            cleaned["latitude"] = location.latitude
            cleaned["longitude"] = location.longitude
            # Errors of the two inputs were about values the pasted text replaced.
            for name in ("latitude", "longitude"):
                self.errors.pop(name, None)
        return cleaned
