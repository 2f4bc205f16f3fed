from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0016_customer_status_index"),
    ]

    operations = [
        # Exports stored before this field wrote comma-delimited CSV, so
        # existing rows get "comma"; new exports default to "semicolon".
        migrations.AddField(
            model_name="customerexport",
            name="csv_delimiter",
            field=models.CharField(
                choices=[("semicolon", "CSV (Excel Indonesia, semicolon)"), ("comma", "CSV (comma)")],
                default="comma",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="customerexport",
            name="csv_delimiter",
            field=models.CharField(
                choices=[("semicolon", "CSV (Excel Indonesia, semicolon)"), ("comma", "CSV (comma)")],
                default="semicolon",
                max_length=10,
            ),
        ),
    ]
