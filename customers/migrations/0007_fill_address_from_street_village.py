"""Write an empty Alamat from the street line and village.

The portal and the staff form now do this on every save (see
customers.models.fill_address). Customers saved with a street and a
village but no Alamat before that still counted as incomplete.
"""

from django.db import migrations

from customers.models import format_address

CHUNK = 2000


def fill_addresses(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    pending = (
        Customer.objects.filter(address="", village__isnull=False)
        .exclude(street="")
        .select_related("village__district__regency")
    )
    filled = []
    for customer in pending.iterator(chunk_size=CHUNK):
        customer.address = format_address(customer.street, customer.village)
        filled.append(customer)
    Customer.objects.bulk_update(filled, ["address"], batch_size=CHUNK)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0006_fewer_customer_indexes"),
    ]

    operations = [
        migrations.RunPython(fill_addresses, migrations.RunPython.noop),
    ]
