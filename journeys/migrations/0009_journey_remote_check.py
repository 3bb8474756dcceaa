from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0008_activity_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="journey",
            name="remote_check_requested_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="journey",
            name="remote_checked_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="journey",
            name="remote_check_error",
            field=models.CharField(blank=True, editable=False, max_length=500),
        ),
    ]
