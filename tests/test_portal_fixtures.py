"""Personas and helpers shared by the portal tests (this module has no tests).

The portal tests import the fixtures they use from here: two customers on
different sites, their portal accounts, and the staff personas.
"""

import re

import pytest

from customers.models import Customer
from portal.accounts import customer_user_for_password
from portal.forms import CUSTOMER_BACKEND
from portal.links import link_create

PASSWORD_A = "kabel-fiber-mawar-91"
PASSWORD_B = "kabel-fiber-melati-37"
STAFF_PASSWORD = "rahasia-admin-123"
NIK_A = "3201011203900001"
NIK_B = "3201014505920002"


@pytest.fixture
def catalogue(sample_catalogue):
    return sample_catalogue


@pytest.fixture
def customer_a(catalogue):
    sites, packages = catalogue
    return Customer.objects.create(
        number="PLG-0001",
        name="Budi Santoso",
        phone="+6281234567890",
        email="budi@contoh.id",
        nik=NIK_A,
        street="Jl. Mawar No. 5 RT 002/RW 003",
        address="Dekat masjid",
        site=sites["CBN"],
        package=packages["H20"],
    )


@pytest.fixture
def customer_b(catalogue):
    sites, packages = catalogue
    return Customer.objects.create(
        number="PLG-0002",
        name="Siti Rahmawati",
        phone="+6281311112222",
        email="siti@contoh.id",
        nik=NIK_B,
        street="Jl. Melati No. 2",
        address="Rumah hijau",
        site=sites["BJG"],
        package=packages["H10"],
    )


def give_portal_password(customer, password):
    """Create the customer's portal user with a password, as a used invitation does."""
    user = customer_user_for_password(customer)
    user.set_password(password)
    user.save()
    Customer.objects.filter(pk=customer.pk).update(user=user)
    customer.user = user
    return user


@pytest.fixture
def user_a(customer_a):
    return give_portal_password(customer_a, PASSWORD_A)


@pytest.fixture
def user_b(customer_b):
    return give_portal_password(customer_b, PASSWORD_B)


@pytest.fixture
def client_a(client, user_a):
    client.force_login(user_a, backend=CUSTOMER_BACKEND)
    return client


@pytest.fixture
def site_admin_cbn(catalogue, django_user_model):
    """Staff limited to the Cibinong site, where customer A is."""
    sites, _packages = catalogue
    user = django_user_model.objects.create_user(username="admin-cbn", password=STAFF_PASSWORD, is_staff=True)
    sites["CBN"].staff.add(user)
    return user


def issue_link(customer, **kwargs):
    """Return the path of a new link for the customer."""
    return link_create(customer, **kwargs).path


def error_texts(response):
    """Return the texts of the form errors on a page, in order."""
    page = response.content.decode()
    texts = re.findall(r'<p class="error">(.*?)</p>', page, flags=re.S)
    texts += re.findall(r'<ul class="errorlist nonfield"><li>(.*?)</li>', page, flags=re.S)
    return texts


def message_texts(response):
    """Return the texts of the flash messages on a page, in order."""
    return re.findall(r'<li class="message[^"]*">(.*?)</li>', response.content.decode(), flags=re.S)
