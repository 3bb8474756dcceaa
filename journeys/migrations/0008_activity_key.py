"""ActivityKey: the activity keys each journey's lineage has used, backfilled from every
revision and remote snapshot in the order they were saved (the first sighting says whether SFMC
made the key, i.e. it carried an SFMC id)."""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    Journey = apps.get_model("journeys", "Journey")
    ActivityKey = apps.get_model("journeys", "ActivityKey")
    Revision = apps.get_model("journeys", "Revision")
    RemoteSnapshot = apps.get_model("journeys", "RemoteSnapshot")
    for journey_id in Journey.objects.values_list("pk", flat=True).iterator():
        revisions = Revision.objects.filter(draft__journey_id=journey_id)
        snapshots = RemoteSnapshot.objects.filter(journey_id=journey_id)
        sightings = sorted(
            [
                *revisions.values_list("created_at", "document"),
                *snapshots.values_list("fetched_at", "document"),
            ],
            key=lambda pair: pair[0],
        )
        first: dict[str, bool] = {}
        for _, document in sightings:
            activities = document.get("activities") if isinstance(document, dict) else None
            for activity in activities if isinstance(activities, list) else []:
                key = activity.get("key") if isinstance(activity, dict) else None
                if isinstance(key, str) and 0 < len(key) <= 200:
                    first.setdefault(key, bool(activity.get("id")))
        ActivityKey.objects.bulk_create(
            [
                ActivityKey(journey_id=journey_id, key=k, from_sfmc=v)
                for k, v in sorted(first.items())
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0007_documents_as_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActivityKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=200)),
                ("from_sfmc", models.BooleanField(default=False)),
                (
                    "journey",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="activity_keys",
                        to="journeys.journey",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("journey", "key"), name="unique_activity_key")
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
