"""The seed_demo command: demo data that is safe to create twice."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from customers.importing.cleaners import clean_phone
from customers.management.commands.seed_demo import DEMO_CUSTOMERS
from customers.models import Customer
from packages.models import ServicePackage
from sites.models import Site

LOGIN_LINE = re.compile(r"^Admin login: admin / (\S+)$", re.M)


def run_seed_demo(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(output):
    match = LOGIN_LINE.search(output)
    assert match, output
    return match[1]


@pytest.mark.django_db
def test_creates_sample_sites_and_packages(expected):
    run_seed_demo()

    sites = list(Site.objects.order_by("code").values("code", "name"))
    packages = list(
        ServicePackage.objects.order_by("code").values("code", "name", "download_mbps", "upload_mbps", "monthly_price")
    )
    assert sites == sorted(expected["sites"], key=lambda site: site["code"])
    assert packages == sorted(expected["packages"], key=lambda package: package["code"])


@pytest.mark.django_db
def test_creates_admin_with_printed_password():
    output = run_seed_demo()

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(printed_password(output))


@pytest.mark.django_db
def test_creates_demo_customers():
    output = run_seed_demo()

    customers = Customer.objects.order_by("number")
    assert [customer.number for customer in customers] == [f"DEMO-{index:04d}" for index in range(1, 21)]
    assert set(customers.values_list("site__code", flat=True)) == {"CBN", "BJG", "CTY"}
    assert list(customers.incomplete().values_list("number", flat=True)) == [
        "DEMO-0003", "DEMO-0004", "DEMO-0006", "DEMO-0010", "DEMO-0013", "DEMO-0017",
    ]
    assert "Customers: 20 demo customers created." in output


@pytest.mark.django_db
def test_demo_customers_get_villages_once_regions_are_loaded(regions_loaded):
    run_seed_demo()

    villages = dict(Customer.objects.exclude(village=None).values_list("number", "village__name"))
    assert villages == {
        "DEMO-0001": "Pabuaran",
        "DEMO-0002": "Bojonggede",
        "DEMO-0004": "Citayam",
        "DEMO-0005": "Cibinong",
        "DEMO-0011": "Cibinong",
        "DEMO-0020": "Karadenan",
    }


@pytest.mark.parametrize(("name", "phone", "site", "package", "address"), DEMO_CUSTOMERS)
def test_demo_phones_pass_import_rules(name, phone, site, package, address):
    assert clean_phone(phone).e164 == phone


@pytest.mark.django_db
def test_second_run_creates_nothing():
    first_output = run_seed_demo()
    password = printed_password(first_output)

    second_output = run_seed_demo()

    assert Site.objects.count() == 3
    assert ServicePackage.objects.count() == 5
    assert Customer.objects.count() == 20
    assert get_user_model().objects.count() == 1
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert second_output == (
        "Sites: 0 created, 3 already present.\n"
        "Packages: 0 created, 5 already present.\n"
        "Customers: none created, because the database already holds customers.\n"
        "Admin login: admin already exists and its password was not changed. "
        "Run `python manage.py seed_demo --reset-password` to set a new one.\n"
    )


@pytest.mark.django_db
def test_reset_password_sets_new_password():
    old_password = printed_password(run_seed_demo())

    output = run_seed_demo("--reset-password")

    new_password = re.search(r"^Admin login: admin / (\S+) \(password reset\)$", output, re.M)[1]
    admin = get_user_model().objects.get(username="admin")
    assert new_password != old_password
    assert admin.check_password(new_password)
    assert not admin.check_password(old_password)


@pytest.mark.django_db
def test_existing_customers_get_no_demo_rows():
    Customer.objects.create(number="PLG-0001", name="Budi Santoso")

    run_seed_demo()

    assert list(Customer.objects.values_list("number", flat=True)) == ["PLG-0001"]


@pytest.mark.django_db
def test_existing_site_code_in_other_case_kept():
    Site.objects.create(code="cbn", name="Cabang Cibinong")

    output = run_seed_demo()

    assert Site.objects.count() == 3
    assert Site.objects.get(code__iexact="CBN").name == "Cabang Cibinong"
    assert "Sites: 2 created, 1 already present." in output
