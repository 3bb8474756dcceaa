"""Revisions keep each unchanged part once: a skeleton and the DocumentPart rows it names.

Every stored revision is converted (journeys.revision_store.write_document) and its whole
`document` column dropped; reversed, each document is put back together from its parts.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

import journeys.fields
from journeys.revision_store import read_document, write_document

BATCH = 100


def split_revisions(apps: Any, schema_editor: Any) -> None:
    """Store every revision's document as skeleton + parts (the new format)."""
    revision_model = apps.get_model("journeys", "Revision")
    part_model = apps.get_model("journeys", "DocumentPart")
    draft_ids = revision_model.objects.order_by("draft_id").values_list("draft_id", flat=True)
    draft_ids = draft_ids.distinct()
    for draft_id in list(draft_ids):
        revisions = revision_model.objects.filter(draft_id=draft_id).order_by("number")
        for batch in _batches(revisions.only("pk", "draft_id", "document")):
            for revision in batch:
                revision.skeleton, revision.layout = write_document(
                    part_model, draft_id, revision.document
                )
            revision_model.objects.bulk_update(batch, ["skeleton", "layout"])


def join_revisions(apps: Any, schema_editor: Any) -> None:
    """Put every revision's document back together in its `document` column."""
    revision_model = apps.get_model("journeys", "Revision")
    part_model = apps.get_model("journeys", "DocumentPart")
    for batch in _batches(revision_model.objects.only("pk", "draft_id", "skeleton", "layout")):
        for revision in batch:
            revision.document = read_document(
                part_model, revision.draft_id, revision.skeleton, revision.layout
            )
        revision_model.objects.bulk_update(batch, ["document"])


def _batches(rows: Any) -> Any:
    batch = []
    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0016_limits_write_quota"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentPart",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(max_length=64)),
                ("text", models.TextField()),
                (
                    "draft",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="journeys.draft",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("draft", "digest"), name="unique_document_part"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="revision",
            name="skeleton",
            field=journeys.fields.DocumentField(null=True),
        ),
        migrations.AddField(
            model_name="revision",
            name="layout",
            field=journeys.fields.DocumentField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="revision",
            name="document",
            field=journeys.fields.DocumentField(null=True),
        ),
        migrations.RunPython(split_revisions, join_revisions, elidable=False),
        migrations.RemoveField(model_name="revision", name="document"),
        migrations.AlterField(
            model_name="revision",
            name="skeleton",
            field=journeys.fields.DocumentField(),
        ),
    ]
