"""Drop the customer indexes no query needs; each one slowed every import.

A 100,000-row import spent most of its save time keeping 20 indexes up to
date. Besides the field changes Django generated, PostgreSQL loses the
LIKE index Django adds to every unique text column: the ID search uses the
UPPER(number) index of migration 0005 instead.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


NUMBER_LIKE_INDEX = "customers_customer_number_c63b3994_like"


def drop_number_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NUMBER_LIKE_INDEX}")


def create_number_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NUMBER_LIKE_INDEX} ON customers_customer (number varchar_pattern_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_customer_list_search_indexes'),
        ('packages', '0002_packagealias'),
        ('regions', '0001_initial'),
        ('sites', '0002_sitealias'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customer',
            name='customers_c_name_f018e2_idx',
        ),
        migrations.AlterField(
            model_name='customer',
            name='name_key',
            field=models.CharField(editable=False, max_length=200),
        ),
        migrations.AlterField(
            model_name='customer',
            name='nik',
            field=models.CharField(blank=True, max_length=16, verbose_name='NIK'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='phone',
            field=models.CharField(blank=True, max_length=20, verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='site',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='sites.site', verbose_name='site'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='village',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='regions.village', verbose_name='village'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['phone'], name='customer_phone_pattern_idx', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['nik'], name='customer_nik_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['village'], name='customer_village_idx'),
        ),
        migrations.RunPython(drop_number_like_index, create_number_like_index),
    ]
