"""Region data loading, the JSON lists, the form fields and the customer map."""

import re
from decimal import Decimal

import pytest
from django import forms
from django.core.management import call_command

from customers.models import Customer
from regions.forms import LocationFields, VillageField
from regions.models import District, Province, Regency, Village
from sites.models import Site

PABUARAN_CIBINONG = "32.01.01.1012"
PAKANSARI = "32.01.01.1007"
CIBINONG_VILLAGES = [
    {"code": "32.01.01.1006", "name": "Cibinong"},
    {"code": "32.01.01.1011", "name": "Cirimekar"},
    {"code": "32.01.01.1010", "name": "Ciriung"},
    {"code": "32.01.01.1003", "name": "Harapanjaya"},
    {"code": "32.01.01.1002", "name": "Karadenan"},
    {"code": "32.01.01.1004", "name": "Nanggewer"},
    {"code": "32.01.01.1005", "name": "Nanggewer Mekar"},
    {"code": "32.01.01.1012", "name": "Pabuaran"},
    {"code": "32.01.01.1013", "name": "Pabuaran Mekar"},
    {"code": "32.01.01.1007", "name": "Pakansari"},
    {"code": "32.01.01.1001", "name": "Pondok Rajeg"},
    {"code": "32.01.01.1009", "name": "Sukahati"},
    {"code": "32.01.01.1008", "name": "Tengah"},
]
SHIPPED_COUNTS = "38 provinces, 514 regencies, 7285 districts, 83762 villages"


@pytest.fixture
def sites(db):
    return {
        "CBN": Site.objects.create(code="CBN", name="Cibinong"),
        "BJG": Site.objects.create(code="BJG", name="Bojonggede"),
    }


@pytest.fixture
def site_admin(django_user_model, sites):
    user = django_user_model.objects.create_user(username="admin-cbn", password="rahasia-cbn-123", is_staff=True)
    sites["CBN"].staff.add(user)
    return user


@pytest.fixture
def portal_customer(django_user_model, sites):
    user = django_user_model.objects.create_user(username="budi", password="rahasia-budi-123")
    Customer.objects.create(number="PLG-0001", name="Budi Santoso", site=sites["CBN"], user=user)
    return user


@pytest.fixture
def mapped_customers(sites):
    """Three customers with a map location and one without."""
    rows = [
        ("PLG-0001", "Budi Santoso", "CBN", "-6.481200", "106.842100"),
        ("PLG-0002", "Siti Rahmawati", "BJG", "-6.492000", "106.795000"),
        ("PLG-0003", "Agus <b>Salim</b>", "CBN", "-6.470000", "106.850000"),
        ("PLG-0004", "Dewi Lestari", "CBN", None, None),
    ]
    return {
        number: Customer.objects.create(
            number=number,
            name=name,
            site=sites[site],
            latitude=Decimal(latitude) if latitude else None,
            longitude=Decimal(longitude) if longitude else None,
        )
        for number, name, site, latitude, longitude in rows
    }


# load_regions


def test_shipped_data_counts(regions_loaded, db):
    assert Province.objects.count() == 38
    assert Regency.objects.count() == 514
    assert District.objects.count() == 7285
    assert Village.objects.count() == 83762
    assert Village.objects.get(code=PABUARAN_CIBINONG).district.regency.name == "Kabupaten Bogor"


def test_load_regions_when_loaded_writes_nothing(regions_loaded, db, capsys, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        call_command("load_regions")

    assert capsys.readouterr().out == f"Regions already loaded, nothing written: {SHIPPED_COUNTS}.\n"


def test_load_regions_restores_missing_and_renamed(regions_loaded, db, capsys):
    Village.objects.filter(code=PABUARAN_CIBINONG).delete()
    Village.objects.filter(code=PAKANSARI).update(name="Renamed")

    call_command("load_regions")

    output = capsys.readouterr().out
    assert re.fullmatch(rf"Regions loaded in \d+\.\d s: {SHIPPED_COUNTS}\.\n", output)
    assert Village.objects.get(code=PABUARAN_CIBINONG).name == "Pabuaran"
    assert Village.objects.get(code=PAKANSARI).name == "Pakansari"
    assert Village.objects.count() == 83762


def test_load_regions_force_rewrites_names(regions_loaded, db, capsys):
    Village.objects.filter(code=PAKANSARI).update(name="Renamed")

    call_command("load_regions")
    assert Village.objects.get(code=PAKANSARI).name == "Renamed"

    call_command("load_regions", "--force")
    assert Village.objects.get(code=PAKANSARI).name == "Pakansari"
    assert Village.objects.count() == 83762


# JSON lists


def test_region_lists_need_login(regions_loaded, client):
    response = client.get("/regions/provinces/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/regions/provinces/"


def test_region_lists_hidden_from_user_without_role(regions_loaded, client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="nobody", password="rahasia-123"))

    assert client.get("/regions/provinces/").status_code == 404


def test_province_list(regions_loaded, admin_client):
    response = admin_client.get("/regions/provinces/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"
    provinces = response.json()
    assert len(provinces) == 38
    assert provinces[0] == {"code": "11", "name": "Aceh"}
    assert {"code": "32", "name": "Jawa Barat"} in provinces


def test_regency_and_district_lists(regions_loaded, admin_client):
    regencies = admin_client.get("/regions/regencies/", {"province": "32"}).json()
    districts = admin_client.get("/regions/districts/", {"regency": "32.01"}).json()

    assert len(regencies) == 27
    assert {"code": "32.01", "name": "Kabupaten Bogor"} in regencies
    assert {"code": "32.71", "name": "Kota Bogor"} in regencies
    assert len(districts) == 40
    assert districts[0] == {"code": "32.01.05", "name": "Babakan Madang"}


def test_village_list_for_portal_customer(regions_loaded, client, portal_customer):
    client.force_login(portal_customer)

    response = client.get("/regions/villages/", {"district": "320101"})

    assert response.status_code == 200
    assert response.json() == CIBINONG_VILLAGES


@pytest.mark.parametrize(
    ("url", "query", "error"),
    [
        ("/regions/regencies/", {}, "Parameter province must be a province code, like province=32."),
        ("/regions/regencies/", {"province": "32.01"}, "Parameter province must be a province code, like province=32."),
        ("/regions/districts/", {"regency": "Bogor"}, "Parameter regency must be a regency code, like regency=32.01."),
        ("/regions/villages/", {"district": "32"}, "Parameter district must be a district code, like district=32.01.01."),
    ],
)
def test_region_list_rejects_malformed_parent(regions_loaded, admin_client, url, query, error):
    response = admin_client.get(url, query)

    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_region_list_of_unknown_parent_is_empty(regions_loaded, admin_client):
    response = admin_client.get("/regions/regencies/", {"province": "99"})

    assert response.status_code == 200
    assert response.json() == []


def test_region_list_rejects_post(regions_loaded, admin_client):
    assert admin_client.post("/regions/provinces/").status_code == 405


# VillageField


class AddressForm(forms.Form):
    village = VillageField(required=False)


class RequiredVillageForm(forms.Form):
    village = VillageField()


def selected_options(html, select_id):
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)" selected>([^<]*)</option>', select.group(1))


def option_values(html, select_id):
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_village_widget_prefills_four_levels(regions_loaded, db, django_assert_num_queries):
    form = AddressForm(initial={"village": Village.objects.get(code=PABUARAN_CIBINONG)})

    with django_assert_num_queries(5):
        html = str(form["village"])

    assert f'<input type="hidden" name="village" value="{PABUARAN_CIBINONG}" data-region-value id="id_village">' in html
    assert selected_options(html, "id_village_province") == [("32", "Jawa Barat")]
    assert selected_options(html, "id_village_regency") == [("32.01", "Kabupaten Bogor")]
    assert selected_options(html, "id_village_district") == [("32.01.01", "Cibinong")]
    assert selected_options(html, "id_village_village") == [(PABUARAN_CIBINONG, "Pabuaran")]
    assert option_values(html, "id_village_village") == [""] + [village["code"] for village in CIBINONG_VILLAGES]
    assert len(option_values(html, "id_village_district")) == 41
    assert 'data-url="/regions/regencies/" data-parameter="province"' in html
    assert 'data-url="/regions/villages/" data-parameter="district"' in html


def test_village_widget_without_initial(regions_loaded, db):
    html = str(AddressForm()["village"])

    assert '<input type="hidden" name="village" value="" data-region-value id="id_village">' in html
    assert len(option_values(html, "id_village_province")) == 39
    assert option_values(html, "id_village_regency") == [""]
    assert re.search(r'<select id="id_village_regency"[^>]* disabled>', html)
    assert AddressForm()["village"].id_for_label == "id_village_village"


def test_village_widget_media():
    media = str(AddressForm().media)

    assert '<link href="/static/regions/regions.css" media="all" rel="stylesheet">' in media
    assert '<script src="/static/regions/village-picker.js"></script>' in media


@pytest.mark.parametrize("submitted", [PABUARAN_CIBINONG, "3201011012", f" {PABUARAN_CIBINONG} "])
def test_village_field_cleans_code(regions_loaded, db, submitted):
    form = AddressForm(data={"village": submitted})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["village"] == Village.objects.get(code=PABUARAN_CIBINONG)


def test_village_field_rejects_unknown_code(regions_loaded, db):
    form = AddressForm(data={"village": "32.01.01.9999"})

    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["village"]] == ["invalid_choice"]


def test_village_field_rejects_district_code(regions_loaded, db):
    form = AddressForm(data={"village": "32.01.01"})

    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["village"]] == ["invalid_choice"]


def test_village_field_empty(regions_loaded, db):
    optional = AddressForm(data={"village": ""})
    required = RequiredVillageForm(data={"village": ""})

    assert optional.is_valid()
    assert optional.cleaned_data["village"] is None
    assert [error.code for error in required.errors.as_data()["village"]] == ["required"]


def test_invalid_code_renders_provinces_only(regions_loaded, db):
    form = AddressForm(data={"village": "nonsense"})
    form.is_valid()
    html = str(form["village"])

    assert '<input type="hidden" name="village" value="nonsense" data-region-value id="id_village">' in html
    assert re.search(r'<select id="id_village_village" data-placeholder="[^"]+" aria-invalid="true"', html)
    assert len(option_values(html, "id_village_province")) == 39
    assert selected_options(html, "id_village_province") == []


# LocationFields


class PinForm(LocationFields, forms.Form):
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)


def test_location_paste_pair(db):
    form = PinForm(data={"location": "-6,4812 106,8421", "latitude": "", "longitude": ""})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["latitude"] == Decimal("-6.481200")
    assert form.cleaned_data["longitude"] == Decimal("106.842100")


def test_location_paste_maps_link_uses_place_pin(db):
    link = (
        "https://www.google.com/maps/place/Kantor/@-6.4800000,106.8400000,17z/"
        "data=!3m1!4b1!4m6!3m5!1s0x0:0x0!8m2!3d-6.4812345!4d106.8421235"
    )
    form = PinForm(data={"location": link, "latitude": "-6.1", "longitude": "106.1"})

    assert form.is_valid(), form.errors
    # Rounded half-even to six places, as the importer stores them.
    assert form.cleaned_data["latitude"] == Decimal("-6.481234")
    assert form.cleaned_data["longitude"] == Decimal("106.842124")


def test_location_paste_swapped_pair(db):
    form = PinForm(data={"location": "106.8421, -6.4812"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["latitude"] == Decimal("-6.481200")
    assert form.cleaned_data["longitude"] == Decimal("106.842100")


def test_location_paste_replaces_invalid_inputs(db):
    form = PinForm(data={"location": "-6.4812, 106.8421", "latitude": "abc", "longitude": ""})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["latitude"] == Decimal("-6.481200")


@pytest.mark.parametrize(
    ("pasted", "code"),
    [
        ("https://maps.app.goo.gl/AbCdEf123", "coordinates_short_link"),
        ("https://www.google.com/maps/place/Cibinong", "coordinates_link_unrecognised"),
        ("di depan masjid", "coordinates_invalid"),
        ("48.8584, 2.2945", "latitude_outside_indonesia"),
    ],
)
def test_location_paste_errors(db, pasted, code):
    form = PinForm(data={"location": pasted, "latitude": "-6.4812", "longitude": "106.8421"})

    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["location"]] == [code]
    assert "latitude" not in form.errors


def test_location_empty_paste_keeps_inputs(db):
    form = PinForm(data={"location": "", "latitude": "-6.4812", "longitude": "106.8421"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["location"] is None
    assert form.cleaned_data["latitude"] == Decimal("-6.481200")


def test_location_widget_renders_map_bound_to_inputs(db):
    html = str(PinForm()["location"])
    media = str(PinForm().media)

    assert 'data-latitude-field="latitude" data-longitude-field="longitude"' in html
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert '<input type="text" name="location" class="location-paste" maxlength="2000"' in html
    assert '<div class="location-map"' in html
    assert '<script src="/static/leaflet/leaflet.js"></script>' in media
    assert '<script src="/static/regions/location-picker.js"></script>' in media


# Customer map


def test_map_page_needs_staff(regions_loaded, client, portal_customer):
    assert client.get("/regions/map/").status_code == 302

    client.force_login(portal_customer)
    assert client.get("/regions/map/").status_code == 404
    assert client.get("/regions/map/points/").status_code == 404


def test_map_page_for_admin(admin_client, sites):
    response = admin_client.get("/regions/map/", {"site": sites["BJG"].pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-points-url="/regions/map/points/?site={sites["BJG"].pk}"' in html
    assert f'<option value="{sites["BJG"].pk}" selected>Bojonggede</option>' in html
    assert '<script src="/static/leaflet/leaflet.js"></script>' in html


def test_map_points_for_admin(admin_client, mapped_customers):
    response = admin_client.get("/regions/map/points/")

    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 3
    assert data["truncated"] is False
    assert data["limit"] == 5000
    assert data["points"] == [
        {
            "number": "PLG-0001",
            "name": "Budi Santoso",
            "lat": -6.4812,
            "lng": 106.8421,
            "url": f"/customers/{mapped_customers['PLG-0001'].pk}/",
        },
        {
            "number": "PLG-0002",
            "name": "Siti Rahmawati",
            "lat": -6.492,
            "lng": 106.795,
            "url": f"/customers/{mapped_customers['PLG-0002'].pk}/",
        },
        {
            "number": "PLG-0003",
            "name": "Agus <b>Salim</b>",
            "lat": -6.47,
            "lng": 106.85,
            "url": f"/customers/{mapped_customers['PLG-0003'].pk}/",
        },
    ]


def test_map_points_of_one_site(admin_client, sites, mapped_customers):
    data = admin_client.get("/regions/map/points/", {"site": sites["BJG"].pk}).json()

    assert [point["number"] for point in data["points"]] == ["PLG-0002"]
    assert data["total"] == 1


def test_map_points_for_site_admin(client, site_admin, sites, mapped_customers):
    client.force_login(site_admin)

    data = client.get("/regions/map/points/").json()

    assert [point["number"] for point in data["points"]] == ["PLG-0001", "PLG-0003"]
    assert client.get("/regions/map/points/", {"site": sites["BJG"].pk}).status_code == 404
    assert client.get("/regions/map/", {"site": sites["BJG"].pk}).status_code == 404
    assert client.get("/regions/map/", {"site": "x"}).status_code == 404


def test_map_page_lists_only_visible_sites(client, site_admin, sites):
    client.force_login(site_admin)

    html = client.get("/regions/map/").content.decode()

    assert f'<option value="{sites["CBN"].pk}">Cibinong</option>' in html
    assert "Bojonggede" not in html


def test_map_points_capped(admin_client, mapped_customers, monkeypatch):
    monkeypatch.setattr("regions.views.MAP_POINT_LIMIT", 2)

    data = admin_client.get("/regions/map/points/").json()

    assert [point["number"] for point in data["points"]] == ["PLG-0001", "PLG-0002"]
    assert data["total"] == 3
    assert data["truncated"] is True
