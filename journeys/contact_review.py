"""The review's test contacts: each contact stepped through SFMC's version the draft is based on
(the base) and through the draft, and what the draft changes for it, in words.

One stepper run per version for all contacts (`contact_display.contacts_through`), so the page
costs the same whatever the number of contacts; rows only read the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from journeys.catalog_names import CatalogNames
from journeys.contact_display import ContactRun, DraftContacts, contacts_through
from journeys.contact_models import TestContact
from journeys.domain.path_changes import PathChange, path_change_items


@dataclass(frozen=True)
class ReviewedContact:
    run: ContactRun  # on the draft
    changes: tuple[PathChange, ...]  # what the draft changes for the contact against the base

    @property
    def path_keys(self) -> str:
        """Its paths as the keys of the activities they went through, for hovering."""
        return " | ".join(" → ".join(step.key for step in p.steps) for p in self.run.paths)


@dataclass
class ReviewContacts:
    on_draft: DraftContacts = field(default_factory=DraftContacts)
    contacts: list[ReviewedContact] = field(default_factory=list)
    new_journey: bool = False  # SFMC has no version yet: nothing to compare with
    base_refused: list[str] = field(default_factory=list)  # why the base cannot be stepped


def review_contacts(
    rows: list[TestContact],
    base: dict[str, Any] | None,
    draft: dict[str, Any],
    names: CatalogNames,
) -> ReviewContacts:
    """`rows` through the `base` document (None for a journey new to SFMC) and the `draft`."""
    on_draft = contacts_through(draft, rows, names)
    on_base = contacts_through(base, rows, names) if base is not None else DraftContacts()
    contacts = []
    for run in on_draft.runs:
        before = on_base.get(run.row.pk)
        comparable = run.result is not None and before is not None and before.result is not None
        changes = path_change_items(before.paths, run.paths) if before and comparable else []
        contacts.append(ReviewedContact(run, tuple(changes)))
    return ReviewContacts(on_draft, contacts, base is None, on_base.refused)
