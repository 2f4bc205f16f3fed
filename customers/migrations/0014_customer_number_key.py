
from django.conf import settings
from django.db import migrations, models

from customers.models import number_key


def fill_number_keys(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    rows = Customer.objects.order_by("pk").values_list("pk", "number")
    chunk = []
    for pk, number in rows.iterator(chunk_size=2000):
        chunk.append(Customer(pk=pk, number_key=number_key(number)))
        if len(chunk) == 2000:
            Customer.objects.bulk_update(chunk, ["number_key"])
            chunk = []
    Customer.objects.bulk_update(chunk, ["number_key"])


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0013_bulkchangeitem_restored_at'),
        ('packages', '0002_packagealias'),
        ('regions', '0001_initial'),
        ('sites', '0002_sitealias'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='customer',
            options={'ordering': ['number_key', 'number'], 'permissions': [('import_customers', 'Can upload customer files'), ('export_customers', 'Can export customers'), ('reveal_nik', "Can see a customer's full NIK"), ('anonymise_customer', "Can anonymise a customer's personal data")], 'verbose_name': 'customer', 'verbose_name_plural': 'customers'},
        ),
        migrations.RemoveIndex(
            model_name='customer',
            name='customers_c_site_id_befa0a_idx',
        ),
        migrations.AddField(
            model_name='customer',
            name='number_key',
            field=models.CharField(default='', editable=False, max_length=60),
        ),
        migrations.RunPython(fill_number_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['number_key', 'number'], name='customer_number_order_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['site', 'number_key', 'number'], name='customer_site_order_idx'),
        ),
    ]
