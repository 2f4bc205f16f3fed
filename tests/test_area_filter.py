"""The customer list's area filter: a province, regency, district or village
chosen in cascading selects narrows the list, its exports and its bulk actions."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from customers.models import Customer
from regions.models import Village

LIST_URL = reverse("customers:list")
EXPORT_URL = reverse("customers:export")
BULK_URL = reverse("customers:bulk")

# Kelurahan/Desa in Kecamatan Cibinong (32.01.01) and Bojonggede (32.01.13),
# Kabupaten Bogor (32.01), and one in Kota Depok (32.76), all in Jawa Barat (32).
PABUARAN = "32.01.01.1012"
PAKANSARI = "32.01.01.1007"
BOJONGBARU = "32.01.13.2001"
DEPOK_JAYA = "32.76.01.1007"


@pytest.fixture
def customers(sample_catalogue, regions_loaded):
    sites, _packages = sample_catalogue
    rows = [
        ("PLG-0001", "Budi Santoso", PABUARAN),
        ("PLG-0002", "Siti Rahmawati", PAKANSARI),
        ("PLG-0003", "Agus Salim", BOJONGBARU),
        ("PLG-0004", "Dewi Lestari", DEPOK_JAYA),
        ("PLG-0005", "Rudi Hartono", None),
    ]
    return {
        number: Customer.objects.create(number=number, name=name, site=sites["CBN"], village_id=village)
        for number, name, village in rows
    }


def listed_numbers(response):
    return re.findall(r'<td data-label="[^"]+"><a href="/customers/\d+/(?:\?[^"]*)?">([^<]+)</a></td>', response.content.decode())


def test_region_codes_of_the_fixture_exist(customers):
    # The fixture's codes are real Kemendagri codes of the shipped region list.
    names = dict(Village.objects.filter(code__in=[PABUARAN, PAKANSARI, BOJONGBARU, DEPOK_JAYA]).values_list("code", "name"))
    assert names == {PABUARAN: "Pabuaran", PAKANSARI: "Pakansari", BOJONGBARU: "Bojongbaru", DEPOK_JAYA: "Depok Jaya"}


@pytest.mark.parametrize(
    ("area", "numbers"),
    [
        ("32", ["PLG-0001", "PLG-0002", "PLG-0003", "PLG-0004"]),
        ("32.01", ["PLG-0001", "PLG-0002", "PLG-0003"]),
        ("32.01.01", ["PLG-0001", "PLG-0002"]),
        (PAKANSARI, ["PLG-0002"]),
        # The plain digits a spreadsheet keeps are read as the dotted code.
        ("320113", ["PLG-0003"]),
        ("31", []),
    ],
)
def test_area_filter_narrows_the_list(admin_client, customers, area, numbers):
    response = admin_client.get(LIST_URL, {"area": area})

    assert response.status_code == 200
    assert listed_numbers(response) == numbers


def test_unknown_area_matches_nothing_with_a_message(admin_client, customers):
    response = admin_client.get(LIST_URL, {"area": "32.01.99"})

    page = response.content.decode()
    assert listed_numbers(response) == []
    # The message is the one the village select's aria-describedby names.
    assert '<p class="error" id="id_area_error">Pilih wilayah dari daftar.</p>' in page
    assert 'aria-describedby="id_area_error"' in page


def test_chosen_district_is_shown_with_its_villages(admin_client, customers):
    page = admin_client.get(LIST_URL, {"area": "32.01.01"}).content.decode()

    fieldset = page[page.index('<fieldset class="area-filter"') : page.index("</fieldset>")]
    assert "<legend>Wilayah</legend>" in fieldset
    assert 'data-region-any-level' in fieldset
    assert '<input type="hidden" name="area" value="32.01.01" data-region-value' in fieldset
    assert '<option value="32.01.01" selected>Cibinong</option>' in fieldset
    # The village select offers the district's villages, none chosen yet.
    village_select = fieldset[fieldset.index('id="id_area_village"') :]
    assert f'<option value="{PABUARAN}">Pabuaran</option>' in village_select
    assert " selected>" not in village_select
    # The fold stays open on a phone while an area is chosen.
    assert re.search(r'<details class="fold" id="filter-fold"[^>]*data-fold-keep-open', page)


def test_sort_links_keep_area_filter(admin_client, customers):
    page = admin_client.get(LIST_URL, {"area": "32.01", "sort": "-name"}).content.decode()

    sort_links = re.findall(r'<a class="sort" href="([^"]+)"', page)
    assert sort_links
    assert all("area=32.01" in link for link in sort_links)


def test_export_follows_area_filter(admin_client, customers):
    response = admin_client.get(EXPORT_URL, {"area": "32.01.01"})

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    numbers = [row[rows[0].index("ID Pelanggan")] for row in rows[1:]]
    assert numbers == ["PLG-0001", "PLG-0002"]


def test_bulk_change_of_all_matching_follows_area_filter(admin_client, customers):
    data = {
        "bulk-all_matching": "on",
        "bulk-status": Customer.Status.SUSPENDED,
        "confirm": "1",
        "area": "32.01.13",
    }

    admin_client.post(BULK_URL, data)

    suspended = sorted(Customer.objects.filter(status=Customer.Status.SUSPENDED).values_list("number", flat=True))
    assert suspended == ["PLG-0003"]
