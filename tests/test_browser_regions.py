"""The region selects and the map pin in a real browser.

The page under test is a small form defined here with VillageField and
LocationFields, served by the live server next to the real URLs. Map
tiles are never fetched: tests.browser aborts every request that is not
for the live server, and Leaflet works without its tiles.
"""

from decimal import Decimal

import pytest
from django import forms
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path
from playwright.sync_api import expect

from customers.importing.cleaners import clean_coordinates
from customers.models import Customer
from ebilling.urls import urlpatterns as project_urlpatterns
from regions.forms import LocationFields, VillageField
from tests.browser import browser_page, log_in, wait_for_option

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

PASSWORD = "rahasia-admin-123"
PABUARAN_CIBINONG = "32.01.01.1012"


class CustomerRegionForm(LocationFields, forms.Form):
    village = VillageField(required=False)
    latitude = forms.CharField(required=False)
    longitude = forms.CharField(required=False)


PAGE = Template(
    """{% extends "base.html" %}
{% block head %}{{ form.media }}{% endblock %}
{% block content %}
<form method="post" id="region-form">
  {% csrf_token %}
  {% include "includes/form.html" %}
  <button type="submit" id="save">Save</button>
</form>
{% if saved %}<output id="saved">{{ saved.village.code|default:"-" }} {{ saved.latitude|default:"-" }} {{ saved.longitude|default:"-" }}</output>{% endif %}
{% endblock %}"""
)


def region_form_page(request):
    saved = None
    if request.method == "POST":
        form = CustomerRegionForm(request.POST)
        if form.is_valid():
            saved = form.cleaned_data
    else:
        form = CustomerRegionForm(initial={"village": request.GET.get("village"), "latitude": "", "longitude": ""})
    return HttpResponse(PAGE.render(RequestContext(request, {"form": form, "saved": saved})))


urlpatterns = [path("regions-form/", region_form_page), *project_urlpatterns]


@pytest.fixture
def page(live_server, regions_loaded, django_user_model):
    """A browser page logged in as an admin."""
    django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    with browser_page(live_server.url) as page:
        log_in(page, live_server.url, "admin", PASSWORD)
        yield page


def test_choose_village_level_by_level(page, live_server):
    page.goto(f"{live_server.url}/regions-form/")
    assert page.is_disabled("#id_village_regency")

    page.select_option("#id_village_province", "32")
    wait_for_option(page, "id_village_regency", "32.01")
    page.select_option("#id_village_regency", "32.01")
    wait_for_option(page, "id_village_district", "32.01.01")

    # One option left after typing: it is chosen, and the villages load.
    page.fill("#id_village_district_filter", "cibinong")
    wait_for_option(page, "id_village_village", PABUARAN_CIBINONG)
    assert page.input_value("#id_village_district") == "32.01.01"

    # Two options left (Pabuaran, Pabuaran Mekar): Enter takes the first.
    page.fill("#id_village_village_filter", "pabuaran")
    visible = page.locator("#id_village_village option:not([hidden])")
    assert visible.all_inner_texts() == ["Pilih kelurahan/desa", "Pabuaran", "Pabuaran Mekar"]
    page.press("#id_village_village_filter", "Enter")
    assert page.input_value("#id_village") == PABUARAN_CIBINONG

    page.click("#save")
    assert page.inner_text("#saved") == f"{PABUARAN_CIBINONG} - -"


def test_changing_province_clears_lower_levels(page, live_server):
    page.goto(f"{live_server.url}/regions-form/?village={PABUARAN_CIBINONG}")
    assert page.input_value("#id_village_province") == "32"
    assert page.input_value("#id_village_regency") == "32.01"
    assert page.input_value("#id_village_district") == "32.01.01"
    assert page.input_value("#id_village_village") == PABUARAN_CIBINONG
    assert page.input_value("#id_village") == PABUARAN_CIBINONG

    page.select_option("#id_village_village", "32.01.01.1007")
    assert page.input_value("#id_village") == "32.01.01.1007"

    page.select_option("#id_village_province", "31")
    wait_for_option(page, "id_village_regency", "31.71")
    assert page.input_value("#id_village") == ""
    assert page.is_disabled("#id_village_district")
    assert page.is_disabled("#id_village_village")
    assert page.locator("#id_village_village option").count() == 1


def test_paste_maps_link_then_drag_pin(page, live_server):
    page.goto(f"{live_server.url}/regions-form/")
    assert page.evaluate("typeof L") == "object", "Leaflet did not load: /static/leaflet/leaflet.js is not served"

    link = "https://www.google.com/maps/place/Kantor/@-6.48,106.84,17z/data=!3m1!4b1!4m6!3m5!8m2!3d-6.4812!4d106.8421"
    page.fill("#id_location", link)
    page.press("#id_location", "Enter")

    assert page.input_value("#id_latitude") == "-6.481200"
    assert page.input_value("#id_longitude") == "106.842100"
    assert page.input_value("#id_location") == ""
    assert page.inner_text(".location-feedback") == "Pin dipasang di -6.481200, 106.842100."

    # Drag the pin 80 pixels to the east.
    pin = page.locator(".leaflet-marker-icon").bounding_box()
    start_x = pin["x"] + pin["width"] / 2
    start_y = pin["y"] + pin["height"] / 2
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 40, start_y, steps=5)
    page.mouse.move(start_x + 80, start_y, steps=5)
    page.mouse.up()

    marker = page.evaluate(
        "() => { const point = document.querySelector('[data-location-picker]').locationPicker.marker().getLatLng();"
        " return [point.lat.toFixed(6), point.lng.toFixed(6)]; }"
    )
    assert page.input_value("#id_latitude") == marker[0]
    assert page.input_value("#id_longitude") == marker[1]
    assert float(marker[1]) > 106.8421
    assert abs(float(marker[0]) - -6.4812) < 0.0001

    page.click("#save")
    assert page.inner_text("#saved") == f"- {marker[0]} {marker[1]}"


@pytest.mark.parametrize(
    "link",
    [
        "https://www.openstreetmap.org/?mlat=-6.4812&mlon=106.8421#map=17/-6.40/106.80",
        "https://osm.org/go/tZ76yBAYn-",
        "https://www.openstreetmap.org/go/tZ76yBAY--",
        "openstreetmap.org/#map=18/-6.48120/106.84210",
    ],
)
def test_paste_openstreetmap_link(page, live_server, link):
    location = clean_coordinates(link)
    latitude, longitude = location.latitude, location.longitude
    page.goto(f"{live_server.url}/regions-form/")

    page.fill("#id_location", link)
    page.press("#id_location", "Enter")

    # The page reads the link as the server does when the form is saved.
    assert page.input_value("#id_latitude") == f"{latitude:.6f}"
    assert page.input_value("#id_longitude") == f"{longitude:.6f}"
    assert page.inner_text(".location-feedback") == f"Pin dipasang di {latitude:.6f}, {longitude:.6f}."


def test_click_map_and_type_coordinates(page, live_server):
    page.goto(f"{live_server.url}/regions-form/")

    page.click(".location-map", position={"x": 200, "y": 120})
    pin = page.evaluate(
        "() => { const picker = document.querySelector('[data-location-picker]').locationPicker;"
        " const point = picker.marker().getLatLng(); const pixel = picker.map.latLngToContainerPoint(point);"
        " return {lat: point.lat.toFixed(6), lng: point.lng.toFixed(6), x: pixel.x, y: pixel.y}; }"
    )
    assert page.input_value("#id_latitude") == pin["lat"]
    assert page.input_value("#id_longitude") == pin["lng"]
    # The pin lies where the click was, give or take the map's 1 px border.
    assert abs(pin["x"] - 200) <= 2
    assert abs(pin["y"] - 120) <= 2

    page.fill("#id_latitude", "-6.5")
    page.fill("#id_longitude", "106.8")
    marker = page.evaluate(
        "() => { const point = document.querySelector('[data-location-picker]').locationPicker.marker().getLatLng();"
        " return [point.lat, point.lng]; }"
    )
    assert marker == [-6.5, 106.8]


def test_paste_short_link_is_explained(page, live_server):
    page.goto(f"{live_server.url}/regions-form/")

    page.fill("#id_location", "https://maps.app.goo.gl/AbCdEf123")
    page.press("#id_location", "Enter")

    assert page.input_value("#id_latitude") == ""
    assert page.input_value("#id_location") == "https://maps.app.goo.gl/AbCdEf123"
    assert page.get_attribute(".location-feedback", "class") == "location-feedback error"

    # Saved as it is, the server rejects the link with the importer's rule.
    page.click("#save")
    error = page.wait_for_selector(".field.has-error .error")
    assert error.inner_text() == (
        "“https://maps.app.goo.gl/AbCdEf123” adalah tautan pendek Google Maps yang tidak bisa dibuka oleh eBilling. "
        "Buka tautan tersebut, lalu tempel koordinat yang tampil, seperti -6.4812, 106.8421."
    )
    assert page.locator("#saved").count() == 0


@pytest.mark.parametrize(
    ("language", "located", "summary"),
    [
        ("en", 1, "1 customer with a map location."),
        ("en", 2, "2 customers with a map location."),
        ("id", 1, "1 pelanggan dengan titik lokasi."),
    ],
)
def test_map_summary_counts_customers(page, live_server, language, located, summary):
    for number in range(1, located + 1):
        Customer.objects.create(
            number=f"PLG-{number:04d}", name=f"Pelanggan {number}", latitude=Decimal("-6.48"), longitude=Decimal("106.84")
        )
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    page.goto(f"{live_server.url}/regions/map/")

    expect(page.locator(".map-summary")).to_have_text(summary)
