"""Test contacts kept on a draft (made and changed by services/test_contacts.py).

A test contact hangs on the draft, not on a revision: it is stepped through whatever the draft's
latest revision is, so it carries over every edit, undo and restore. A new draft of the same
journey starts with a copy of the previous draft's contacts.

`entered_at` is the wall-clock time of the journey, as the person typed it ("2026-12-01 09:00"):
it is stored tagged UTC and read back without any conversion, because the stepper's clock, like
the dates in SFMC's conditions, has no time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import models

from journeys.domain import contact_paths


class TestContact(models.Model):
    """A named contact, its attribute values, entry time, assumptions and expectations."""

    __test__ = False  # a product term, not a pytest class

    draft = models.ForeignKey(
        "journeys.Draft", on_delete=models.CASCADE, related_name="test_contacts"
    )
    name = models.CharField(max_length=100)
    contact_key = models.CharField(max_length=200, blank=True)
    values = models.JSONField(default=dict, blank=True)  # attribute (key or name) -> text
    entered_at = models.DateTimeField()
    # {"engagement": {email activity key: ["opened", ...]}, "branches": {split key: branch}}
    assumptions = models.JSONField(default=dict, blank=True)
    expectations = models.JSONField(default=list, blank=True)  # phrases, expectations.py
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "name"], name="one_test_contact_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on draft #{self.draft_id}"


def as_domain_contact(row: TestContact) -> contact_paths.TestContact:
    """The row as the stepper takes it."""
    assumptions = row.assumptions if isinstance(row.assumptions, dict) else {}
    engagement = assumptions.get("engagement") or {}
    branches = assumptions.get("branches") or {}
    return contact_paths.TestContact(
        name=row.name,
        values={str(k): str(v) for k, v in (row.values or {}).items()},
        entered_at=wall_clock(row.entered_at),
        contact_key=row.contact_key,
        assumptions=contact_paths.Assumptions(
            engagement={str(k): frozenset(map(str, v)) for k, v in engagement.items()},
            branches={str(k): str(v) for k, v in branches.items()},
        ),
        expectations=tuple(str(text) for text in row.expectations or []),
    )


def row_fields(contact: contact_paths.TestContact) -> dict[str, Any]:
    """The model fields that hold a domain contact (all but the draft and position)."""
    return {
        "name": contact.name,
        "contact_key": contact.contact_key,
        "values": dict(contact.values),
        "entered_at": contact.entered_at.replace(tzinfo=UTC),
        "assumptions": {
            "engagement": {k: sorted(v) for k, v in contact.assumptions.engagement.items()},
            "branches": dict(contact.assumptions.branches),
        },
        "expectations": list(contact.expectations),
    }


def wall_clock(moment: datetime) -> datetime:
    """A stored entry time as typed: no time zone, no conversion."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def copy_test_contacts(source: Any, target: Any) -> int:
    """Copy `source` draft's test contacts onto `target` (a new draft of the same journey)."""
    copied = [
        TestContact(
            draft=target,
            name=row.name,
            contact_key=row.contact_key,
            values=row.values,
            entered_at=row.entered_at,
            assumptions=row.assumptions,
            expectations=row.expectations,
            position=row.position,
        )
        for row in source.test_contacts.all()
    ]
    TestContact.objects.bulk_create(copied)
    return len(copied)
