"""Create demo sites, packages, an admin user and a few customers.

Idempotent: a second run creates nothing and changes nothing, except the
admin password when --reset-password is given.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from customers.models import Customer
from packages.models import ServicePackage
from regions.models import Village
from sites.models import Site

ADMIN_USERNAME = "admin"

# The sites and packages of the sample workbooks (tests/data/samples/expected.json),
# so a sample workbook uploaded to the demo matches every row.
DEMO_SITES = [
    {"code": "CBN", "name": "Cibinong"},
    {"code": "BJG", "name": "Bojonggede"},
    {"code": "CTY", "name": "Citayam"},
]
DEMO_PACKAGES = [
    {"code": "H10", "name": "Home 10 Mbps", "download_mbps": 10, "upload_mbps": 5, "monthly_price": 150000},
    {"code": "H20", "name": "Home 20 Mbps", "download_mbps": 20, "upload_mbps": 10, "monthly_price": 200000},
    {"code": "H30", "name": "Home 30 Mbps", "download_mbps": 30, "upload_mbps": 15, "monthly_price": 250000},
    {"code": "B50", "name": "Bisnis 50 Mbps", "download_mbps": 50, "upload_mbps": 50, "monthly_price": 500000},
    {"code": "B100", "name": "Bisnis 100 Mbps", "download_mbps": 100, "upload_mbps": 100, "monthly_price": 900000},
]

# Made-up customers: (name, phone, site code, package code or None, address).
# A customer without a package or without an address is incomplete.
DEMO_CUSTOMERS = [
    ("Budi Santoso", "+6281234567890", "CBN", "H20", "Jl. Mawar No. 5 RT 01/RW 02, Pabuaran"),
    ("Siti Rahmawati", "+6281311112222", "BJG", "H10", "Jl. Melati No. 12, Bojonggede"),
    ("Agus Wibowo", "+6285712345678", "CTY", "H30", ""),
    ("Dewi Lestari", "+6287800001111", "CTY", None, "Gg. Kenanga No. 3, Citayam"),
    ("CV Maju Jaya", "+62218765432", "CBN", "B50", "Ruko Cibinong Square Blok B2"),
    ("Rina Marlina", "+6282122223333", "BJG", None, ""),
    ("Hendra Gunawan", "+6281298765432", "CBN", "B100", "Jl. Raya Bogor Km 43"),
    ("Yuliana Putri", "+6281377778888", "CBN", "H10", "Perum Griya Asri Blok C7"),
    ("Slamet Riyadi", "+6285611223344", "BJG", "H20", "Jl. Kampung Sawah No. 8"),
    ("Wulan Sari", "+6289612345670", "CTY", "H20", ""),
    ("Toko Berkah", "+622518334455", "CBN", "B50", "Pasar Cibinong Kios 14"),
    ("Andi Pratama", "+6281511223344", "BJG", "H30", "Jl. Pemda No. 21"),
    ("Nur Aisyah", "+6281399990000", "CTY", None, "Jl. Raya Citayam No. 77"),
    ("Bambang Sutrisno", "+6285277776666", "CBN", "H20", "Jl. Tegar Beriman No. 2"),
    ("Lina Marlina", "+6287712340000", "BJG", "H10", "Perum Bumi Bojong Indah A4"),
    ("Eko Prasetyo", "+6281222334455", "CTY", "H10", "Jl. Kebon Duren No. 9"),
    ("Fitri Handayani", "+6285788889999", "CBN", None, ""),
    ("Joko Susilo", "+6282233445566", "BJG", "B100", "Kawasan Industri Bojong Blok D"),
    ("Maya Anggraini", "+6281944556677", "CTY", "H30", "Jl. Pesona Depok No. 15"),
    ("Rudi Hartono", "+6281866554433", "CBN", "H10", "Jl. Karadenan No. 30"),
]

# The Kelurahan/Desa of demo customers whose address names one, so the
# list's area filter has something to show. They are set only when
# `load_regions` has loaded the region list.
DEMO_VILLAGES = {
    "Budi Santoso": "32.01.01.1012",  # Pabuaran, Kecamatan Cibinong
    "Siti Rahmawati": "32.01.13.2009",  # Bojonggede, Kecamatan Bojonggede
    "Dewi Lestari": "32.01.37.2002",  # Citayam, Kecamatan Tajurhalang
    "CV Maju Jaya": "32.01.01.1006",  # Cibinong, Kecamatan Cibinong
    "Toko Berkah": "32.01.01.1006",
    "Rudi Hartono": "32.01.01.1002",  # Karadenan, Kecamatan Cibinong
}


class Command(BaseCommand):
    help = (
        "Create the demo sites and packages, an admin superuser named 'admin' and, "
        "when there are no customers yet, 20 demo customers numbered DEMO-0001 to DEMO-0020. "
        "Running it again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Set a new random password for the user 'admin' and print it.",
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            sites, sites_created = self.ensure_sites()
            packages, packages_created = self.ensure_packages()
            customers_created = self.ensure_customers(sites, packages)
            admin_line = self.ensure_admin(reset_password=options["reset_password"])

        self.stdout.write(f"Sites: {sites_created} created, {len(sites) - sites_created} already present.")
        self.stdout.write(
            f"Packages: {packages_created} created, {len(packages) - packages_created} already present."
        )
        if customers_created:
            self.stdout.write(f"Customers: {customers_created} demo customers created.")
        else:
            self.stdout.write("Customers: none created, because the database already holds customers.")
        self.stdout.write(admin_line)

    def ensure_sites(self):
        sites = {}
        created_count = 0
        for values in DEMO_SITES:
            site = Site.objects.filter(code__iexact=values["code"]).first()
            if site is None:
                site = Site.objects.create(**values)
                created_count += 1
            sites[values["code"]] = site
        return sites, created_count

    def ensure_packages(self):
        packages = {}
        created_count = 0
        for values in DEMO_PACKAGES:
            package = ServicePackage.objects.filter(code__iexact=values["code"]).first()
            if package is None:
                package = ServicePackage.objects.create(**values)
                created_count += 1
            packages[values["code"]] = package
        return packages, created_count

    def ensure_customers(self, sites, packages):
        """Create the demo customers unless any customer exists, so demo
        rows never mix with real ones."""
        if Customer.objects.exists():
            return 0

        villages = set(Village.objects.filter(code__in=DEMO_VILLAGES.values()).values_list("code", flat=True))
        for index, (name, phone, site_code, package_code, address) in enumerate(DEMO_CUSTOMERS, start=1):
            Customer.objects.create(
                number=f"DEMO-{index:04d}",
                name=name,
                phone=phone,
                address=address,
                site=sites[site_code],
                package=packages[package_code] if package_code else None,
                village_id=DEMO_VILLAGES.get(name) if DEMO_VILLAGES.get(name) in villages else None,
            )
        return len(DEMO_CUSTOMERS)

    def ensure_admin(self, *, reset_password):
        """Create the admin superuser or reset its password, and return the login line to print."""
        user_model = get_user_model()
        user = user_model.objects.filter(username=ADMIN_USERNAME).first()

        if user is None:
            password = secrets.token_urlsafe(12)
            user_model.objects.create_superuser(username=ADMIN_USERNAME, email="", password=password)
            return f"Admin login: {ADMIN_USERNAME} / {password}"

        if reset_password:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            return f"Admin login: {ADMIN_USERNAME} / {password} (password reset)"

        return (
            f"Admin login: {ADMIN_USERNAME} already exists and its password was not changed. "
            "Run `python manage.py seed_demo --reset-password` to set a new one."
        )
