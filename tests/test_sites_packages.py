"""Site and package pages: admins manage them, site admins only look."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from packages.models import ServicePackage
from sites.models import Site


@pytest.fixture
def site_admin_client(client, django_user_model, sample_catalogue):
    """A staff user limited to the Cibinong site."""
    sites, _packages = sample_catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", password="rahasia-cbn-123", is_staff=True)
    sites["CBN"].staff.add(user)
    client.force_login(user)
    return client


def success_messages(response):
    return [str(message) for message in response.context["messages"]]


# ---------------------------------------------------------------------------
# Sites


def test_admin_lists_sites(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue
    page = admin_client.get(reverse("sites:list")).content.decode()

    assert "<h1>Site</h1>" in page
    assert "<td>CBN</td><td>Cibinong</td>" in page
    assert "<td>BJG</td><td>Bojonggede</td>" in page
    assert "<td>CTY</td><td>Citayam</td>" in page
    assert 'href="/sites/new/">Tambah site</a>' in page
    assert f'<a href="/sites/{sites["CBN"].pk}/">Ubah</a>' in page


def test_admin_creates_site(admin_client, db):
    response = admin_client.post(
        reverse("sites:create"),
        {"name": "Sukaraja", "code": " skr ", "address": "Jl. Raya Sukaraja 1", "is_active": "on"},
        follow=True,
    )

    site = Site.objects.get()
    assert (site.name, site.code, site.address, site.is_active) == ("Sukaraja", "SKR", "Jl. Raya Sukaraja 1", True)
    assert response.redirect_chain == [("/sites/", 302)]
    assert success_messages(response) == ["Site Sukaraja disimpan."]


def test_admin_edits_site(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue
    site = sites["CBN"]

    response = admin_client.post(
        reverse("sites:edit", args=[site.pk]),
        {"name": "Cibinong Kota", "code": "CBN", "address": "Jl. Tegar Beriman", "is_active": "on"},
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.address, site.is_active) == ("Cibinong Kota", "Jl. Tegar Beriman", True)


def test_site_contact_phone_cleaned(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue
    site = sites["CBN"]
    url = reverse("sites:edit", args=[site.pk])

    response = admin_client.post(url, {"name": "Cibinong", "code": "CBN", "contact_phone": "62 812 1111 2222", "is_active": "on"})

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.contact_phone == "+6281211112222"
    page = admin_client.get(url).content.decode()
    assert 'name="contact_phone" value="0812-1111-2222"' in page


def test_site_contact_phone_rejects_two_numbers(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue
    site = sites["CBN"]

    response = admin_client.post(
        reverse("sites:edit", args=[site.pk]),
        {"name": "Cibinong", "code": "CBN", "contact_phone": "0812-1111-2222 / 0813-3333-4444", "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["contact_phone"] == [
        "“0812-1111-2222 / 0813-3333-4444” berisi lebih dari satu nomor HP. Isi satu nomor saja."
    ]
    site.refresh_from_db()
    assert site.contact_phone == ""


def test_admin_deactivates_site(admin_client, sample_catalogue):
    sites, _packages = sample_catalogue
    site = sites["CTY"]

    admin_client.post(reverse("sites:edit", args=[site.pk]), {"name": "Citayam", "code": "CTY", "address": ""})

    site.refresh_from_db()
    assert site.is_active is False
    page = admin_client.get(reverse("sites:list")).content.decode()
    assert '<td>CTY</td><td>Citayam</td><td></td>\n      <td><span class="badge incomplete">Nonaktif</span></td>' in page


def test_site_form_in_indonesian(admin_client, db):
    page = admin_client.get(reverse("sites:create")).content.decode()

    assert "<h1>Tambah site</h1>" in page
    assert '<label for="id_name">Nama</label>' in page
    assert '<label for="id_code">Kode</label>' in page
    assert '<label for="id_address">Alamat</label>' in page
    assert '<label for="id_is_active">Aktif</label>' in page
    assert '<button type="submit" class="primary">Simpan</button>' in page
    assert '<a class="button" href="/sites/">Batal</a>' in page


def test_site_admin_sees_only_their_site(site_admin_client):
    page = site_admin_client.get(reverse("sites:list")).content.decode()

    assert "<td>CBN</td><td>Cibinong</td>" in page
    assert "Bojonggede" not in page
    assert "Tambah site" not in page


def test_site_list_hides_edit_links(site_admin_client, sample_catalogue):
    sites, _packages = sample_catalogue

    page = site_admin_client.get(reverse("sites:list")).content.decode()

    assert "<td>CBN</td><td>Cibinong</td>" in page
    assert f'href="/sites/{sites["CBN"].pk}/"' not in page
    assert "Ubah" not in page


def test_add_site_permission_alone_hides_button(client, django_user_model, sample_catalogue):
    """Only admins may add a site, so a site admin granted "sites.add_site"
    in the Django admin still gets 404 there and the page shows no button."""
    sites, _packages = sample_catalogue
    user = django_user_model.objects.create_user(username="admin-cbn-2", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="sites", codename="add_site"))
    sites["CBN"].staff.add(user)
    client.force_login(user)

    page = client.get(reverse("sites:list")).content.decode()

    assert 'href="/sites/new/"' not in page
    assert client.get(reverse("sites:create")).status_code == 404


def test_site_admin_cannot_create_site(site_admin_client):
    assert site_admin_client.get(reverse("sites:create")).status_code == 404
    response = site_admin_client.post(reverse("sites:create"), {"name": "Liar", "code": "LIR", "is_active": "on"})

    assert response.status_code == 404
    assert not Site.objects.filter(code="LIR").exists()


def test_site_admin_cannot_edit_own_site(site_admin_client, sample_catalogue):
    sites, _packages = sample_catalogue
    site = sites["CBN"]

    response = site_admin_client.post(reverse("sites:edit", args=[site.pk]), {"name": "Diubah", "code": "CBN"})

    assert response.status_code == 404
    site.refresh_from_db()
    assert site.name == "Cibinong"


# ---------------------------------------------------------------------------
# Packages


def test_admin_lists_packages(admin_client, sample_catalogue):
    _sites, packages = sample_catalogue
    page = admin_client.get(reverse("packages:list")).content.decode()

    assert "<h1>Paket</h1>" in page
    assert "<td>H10</td><td>Home 10 Mbps</td>" in page
    assert "<td>10/5 Mbps</td>" in page
    assert "<td>Rp150.000</td>" in page
    assert "<td>Rp900.000</td>" in page
    assert 'href="/packages/new/">Tambah paket</a>' in page
    assert f'<a href="/packages/{packages["H10"].pk}/">Ubah</a>' in page


def test_admin_creates_package(admin_client, db):
    response = admin_client.post(
        reverse("packages:create"),
        {
            "name": "Home 50 Mbps",
            "code": "h50",
            "download_mbps": "50",
            "upload_mbps": "25",
            "monthly_price": "350000",
            "is_active": "on",
        },
        follow=True,
    )

    package = ServicePackage.objects.get()
    assert (package.name, package.code, package.download_mbps, package.upload_mbps, package.monthly_price) == (
        "Home 50 Mbps", "H50", 50, 25, 350000,
    )
    assert response.redirect_chain == [("/packages/", 302)]
    assert success_messages(response) == ["Paket Home 50 Mbps disimpan."]


def test_admin_edits_package(admin_client, sample_catalogue):
    _sites, packages = sample_catalogue
    package = packages["H20"]

    admin_client.post(
        reverse("packages:edit", args=[package.pk]),
        {
            "name": "Home 20 Mbps",
            "code": "H20",
            "download_mbps": "20",
            "upload_mbps": "20",
            "monthly_price": "225000",
            "is_active": "on",
        },
    )

    package.refresh_from_db()
    assert (package.upload_mbps, package.monthly_price, package.is_active) == (20, 225000, True)


def test_admin_deactivates_package(admin_client, sample_catalogue):
    _sites, packages = sample_catalogue
    package = packages["B100"]

    admin_client.post(
        reverse("packages:edit", args=[package.pk]),
        {"name": "Bisnis 100 Mbps", "code": "B100", "download_mbps": "100", "upload_mbps": "100", "monthly_price": "900000"},
    )

    package.refresh_from_db()
    assert package.is_active is False
    page = admin_client.get(reverse("packages:list")).content.decode()
    assert '<td>Rp900.000</td>\n      <td><span class="badge incomplete">Nonaktif</span></td>' in page


def test_package_form_rejects_zero_speed(admin_client, db):
    response = admin_client.post(
        reverse("packages:create"),
        {"name": "Rusak", "code": "RSK", "download_mbps": "0", "upload_mbps": "1", "monthly_price": "1000"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["download_mbps"] == [
        "Pastikan nilai ini lebih besar dari atau sama dengan 1."
    ]
    assert not ServicePackage.objects.exists()


def test_package_form_in_indonesian(admin_client, db):
    page = admin_client.get(reverse("packages:create")).content.decode()

    assert "<h1>Tambah paket</h1>" in page
    assert '<label for="id_download_mbps">Unduh (Mbps)</label>' in page
    assert '<label for="id_upload_mbps">Unggah (Mbps)</label>' in page
    assert '<label for="id_monthly_price">Harga bulanan (Rp)</label>' in page


def test_site_admin_sees_packages_but_cannot_create(site_admin_client, sample_catalogue):
    page = site_admin_client.get(reverse("packages:list")).content.decode()

    assert "<td>H10</td><td>Home 10 Mbps</td>" in page
    assert "Tambah paket" not in page
    assert site_admin_client.get(reverse("packages:create")).status_code == 404


def test_site_admin_cannot_edit_package(site_admin_client, sample_catalogue):
    _sites, packages = sample_catalogue

    assert site_admin_client.get(reverse("packages:edit", args=[packages["H10"].pk])).status_code == 404


def test_package_list_hides_edit_links(site_admin_client, sample_catalogue):
    _sites, packages = sample_catalogue

    page = site_admin_client.get(reverse("packages:list")).content.decode()

    assert "<td>H10</td><td>Home 10 Mbps</td>" in page
    for package in packages.values():
        assert f'href="/packages/{package.pk}/"' not in page
    assert "Ubah" not in page


# ---------------------------------------------------------------------------
# Anonymous visitors and the menu


@pytest.mark.parametrize("url", ["/sites/", "/sites/new/", "/packages/", "/packages/new/"])
def test_anonymous_redirected_to_login(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/login/?next={url}"


def test_menu_in_indonesian(admin_client, db):
    page = admin_client.get(reverse("sites:list")).content.decode()

    assert '<a href="/customers/">Pelanggan</a>' in page
    assert '<a href="/sites/">Site</a>' in page
    assert '<a href="/packages/">Paket</a>' in page
    assert '<a href="/customers/imports/">Riwayat impor</a>' in page
    assert '<button type="submit" class="link">Keluar</button>' in page


def test_menu_in_english(admin_client, db):
    admin_client.cookies["django_language"] = "en"

    page = admin_client.get(reverse("sites:list")).content.decode()

    assert '<a href="/customers/">Customers</a>' in page
    assert '<a href="/packages/">Packages</a>' in page
    assert "<h1>Sites</h1>" in page


def test_site_code_duplicate_any_case_rejected(admin_client, sample_catalogue):
    response = admin_client.post(reverse("sites:create"), {"name": "Cibinong Baru", "code": "cbn", "address": "", "is_active": "on"})

    assert response.status_code == 200
    assert "CBN sudah dipakai oleh Cibinong." in response.content.decode()
    assert Site.objects.filter(code__iexact="cbn").count() == 1


def test_package_name_duplicate_any_case_rejected(admin_client, sample_catalogue):
    data = {"name": "home 10 MBPS", "code": "X10", "download_mbps": 10, "upload_mbps": 5, "monthly_price": 1, "is_active": "on"}

    response = admin_client.post(reverse("packages:create"), data)

    assert response.status_code == 200
    assert "home 10 MBPS sudah dipakai oleh Home 10 Mbps." in response.content.decode()
    assert ServicePackage.objects.count() == 5


PRICE_NOT_WHOLE_EN = (
    "“{}” is not a price in whole rupiah. Write it with a dot between each three digits, like 150.000 or 150.000,00."
)
PRICE_TYPO_EN = (
    "“{}” is less than Rp1.000, so it is almost surely a typo. Write the full monthly price, like 150.000, "
    "or 0 for a free package."
)
PRICE_NOT_WHOLE_ID = (
    "“{}” bukan harga dalam rupiah bulat. Tulis dengan titik di antara setiap tiga angka, "
    "misalnya 150.000 atau 150.000,00."
)
PRICE_TYPO_ID = (
    "“{}” kurang dari Rp1.000, jadi hampir pasti salah ketik. Tulis harga bulanan lengkap, "
    "misalnya 150.000, atau 0 untuk paket gratis."
)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("175000", 175000), ("175.000", 175000), ("Rp175.000", 175000), ("Rp 1.250.000,00", 1250000),
        ("175,000", 175000), ("Rp175.000,-", 175000), ("IDR 175.000", 175000), ("175 000", 175000),
        ("175.000,00", 175000), ("175,000.00", 175000), ("175000,00", 175000), ("1.000", 1000),
        ("0", 0), ("Rp0", 0), ("0,00", 0),
    ],
)
def test_package_price_reads_rupiah_forms(admin_client, db, typed, stored):
    admin_client.post(
        reverse("packages:create"),
        {"name": "Home 30 Mbps", "code": "H30", "download_mbps": "30", "upload_mbps": "10", "monthly_price": typed},
    )

    assert ServicePackage.objects.get(code="H30").monthly_price == stored


@pytest.mark.parametrize(
    "field, typed, message",
    [
        ("monthly_price", "175.5", PRICE_NOT_WHOLE_ID.format("175.5")),
        ("monthly_price", "17.50.00", PRICE_NOT_WHOLE_ID.format("17.50.00")),
        ("monthly_price", "150", PRICE_TYPO_ID.format("150")),
        ("monthly_price", "3.000.000.000", "Harga ini melebihi harga tertinggi yang bisa disimpan eBilling, Rp2.000.000.000."),
        ("download_mbps", "20.000", "Tulis kecepatan sebagai bilangan bulat Mbps, misalnya 20."),
        ("upload_mbps", "2,5", "Tulis kecepatan sebagai bilangan bulat Mbps, misalnya 20."),
    ],
)
def test_package_form_rejects_ambiguous_numbers(admin_client, db, field, typed, message):
    data = {"name": "Home 30 Mbps", "code": "H30", "download_mbps": "30", "upload_mbps": "10", "monthly_price": "175000"}
    data[field] = typed

    response = admin_client.post(reverse("packages:create"), data)

    assert response.context["form"].errors[field] == [message]
    assert not ServicePackage.objects.exists()


@pytest.mark.parametrize(
    "typed, message",
    [
        ("150.00", PRICE_NOT_WHOLE_EN.format("150.00")),
        ("1.50", PRICE_NOT_WHOLE_EN.format("1.50")),
        ("150,00", PRICE_NOT_WHOLE_EN.format("150,00")),
        ("150.000.00", PRICE_NOT_WHOLE_EN.format("150.000.00")),
        ("150,000,00", PRICE_NOT_WHOLE_EN.format("150,000,00")),
        ("150.000,50", PRICE_NOT_WHOLE_EN.format("150.000,50")),
        ("seratus ribu", PRICE_NOT_WHOLE_EN.format("seratus ribu")),
        ("150", PRICE_TYPO_EN.format("150")),
        ("Rp 999", PRICE_TYPO_EN.format("Rp 999")),
        ("1", PRICE_TYPO_EN.format("1")),
        ("9" * 5000, "The price is more than the highest price eBilling stores, Rp2.000.000.000."),
    ],
)
def test_package_price_rejects_unclear_amounts(admin_client, db, typed, message):
    admin_client.cookies["django_language"] = "en"
    data = {"name": "Home 30 Mbps", "code": "H30", "download_mbps": "30", "upload_mbps": "10", "monthly_price": typed}

    response = admin_client.post(reverse("packages:create"), data)

    assert response.context["form"].errors["monthly_price"] == [message]
    assert not ServicePackage.objects.exists()


def test_package_form_shows_price_grouped(admin_client, sample_catalogue):
    _sites, packages = sample_catalogue
    package = packages["B100"]

    page = admin_client.get(reverse("packages:edit", args=[package.pk])).content.decode()

    assert re.search(r'<input type="text" name="monthly_price" value="900\.000" inputmode="numeric"', page)


def test_renamed_site_and_package_still_match(admin_client, sample_catalogue, tmp_path):
    from customers.importing.matching import load_catalogues

    sites, packages = sample_catalogue
    site, package = sites["CBN"], packages["H20"]
    old_site_name, old_package_name = site.name, package.name
    admin_client.post(
        reverse("sites:edit", args=[site.pk]),
        {"name": "Cibinong Raya", "code": "CBR", "address": "", "is_active": "on"},
    )
    admin_client.post(
        reverse("packages:edit", args=[package.pk]),
        {"name": "Rumah 20 Mbps", "code": "R20", "download_mbps": "20", "upload_mbps": "10",
         "monthly_price": "200000", "is_active": "on"},
    )

    site_catalogue, package_catalogue = load_catalogues()
    assert [site_catalogue.lookup(text) for text in (old_site_name, "CBN", "Cibinong Raya")] == [site.pk] * 3
    assert [package_catalogue.lookup(text) for text in (old_package_name, "H20", "R20")] == [package.pk] * 3
    assert sorted(site.aliases.values_list("name", flat=True)) == sorted(["CBN", old_site_name])


def test_old_name_follows_last_holder(admin_client, sample_catalogue):
    from customers.importing.matching import load_catalogues

    _sites, packages = sample_catalogue
    first = packages["H10"]
    old_name = first.name

    def edit(package, name, code):
        admin_client.post(
            reverse("packages:edit", args=[package.pk]),
            {"name": name, "code": code, "download_mbps": "10", "upload_mbps": "5", "monthly_price": "150000",
             "is_active": "on"},
        )

    edit(first, "Lite 10 Mbps", "LITE10")
    second = ServicePackage.objects.create(name=old_name, code="H10B", download_mbps=10, upload_mbps=5, monthly_price=160000)
    edit(second, "Home 10 Promo", "H10B")

    _site_catalogue, package_catalogue = load_catalogues()
    assert package_catalogue.lookup(old_name) == second.pk
    assert package_catalogue.lookup("H10") == first.pk
