"""Test contacts on a draft: add or change one, import a sheet, delete one.

Only who may edit the draft may change its contacts. Every contact, typed in the form or read
from a sheet, goes through the one reader (`domain.contact_sheet.read_contacts`), so both are
checked against the journey the same way and both say every problem at once.

Where the connection requires passing tests, changing the contacts of an approved draft voids
its approval: the approval recorded them.

An imported contact whose name is already on the draft replaces it (its place in the list is
kept): re-importing a corrected sheet is how a team keeps its contacts, and a sheet that had to
be cleaned of every known name first would be of little use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from journeys.contact_models import TestContact, row_fields
from journeys.domain.contact_sheet import MAX_CONTACTS, ContactSheetError, read_contacts
from journeys.models import Draft
from journeys.permissions import can_edit_draft, require
from journeys.services import notifications
from journeys.services.audit import record_event
from journeys.services.drafts import upload_refusal


class ContactRefused(ContactSheetError):
    """Why a contact or a sheet was not saved: each problem in plain words (`problems`)."""


@dataclass(frozen=True)
class ImportResult:
    added: list[str]
    replaced: list[str]


def save_test_contact(
    user: Any, draft: Draft, fields: dict[str, Any], *, contact_id: int | None = None
) -> TestContact:
    """Add a contact, or change the one `contact_id` names, from a form's `fields` (a sheet's
    JSON row: name, entered, contact key, values, assume, expect)."""
    require(can_edit_draft(user, draft))
    try:
        [contact] = read_contacts(json.dumps([fields]), draft.document, _today(), is_json=True)
    except ContactSheetError as error:
        raise ContactRefused([p.removeprefix("row 1: ") for p in error.problems]) from None
    _refuse_too_long([contact])
    with transaction.atomic():
        rows = draft.test_contacts.select_for_update()
        if contact_id is not None:
            row = rows.filter(pk=contact_id).first()
            if row is None:
                raise ContactRefused(["This test contact no longer exists."])
        else:
            _refuse_beyond_limit(rows.count() + 1)
            row = TestContact(draft=draft, position=_next_position(draft))
        if rows.filter(name=contact.name).exclude(pk=row.pk).exists():
            raise ContactRefused([f"There is already a test contact named '{contact.name}'."])
        for name, value in row_fields(contact).items():
            setattr(row, name, value)
        _save(row)
        action = "test_contact.added" if contact_id is None else "test_contact.changed"
        record_event(action, actor=user, draft=draft, details={"name": row.name})
        _void_tested_approval(user, draft)
    return row


def import_test_contacts(user: Any, draft: Draft, text: str) -> ImportResult:
    """Read a pasted or uploaded CSV or JSON sheet; store all of its contacts or none.

    A contact named like one already on the draft replaces it."""
    require(can_edit_draft(user, draft))
    try:
        contacts = read_contacts(text, draft.document, _today())
    except ContactSheetError as error:
        raise ContactRefused(error.problems) from None
    if not contacts:
        raise ContactRefused(["The sheet has no contacts: add one row per contact."])
    _refuse_too_long(contacts)
    with transaction.atomic():
        existing = {row.name: row for row in draft.test_contacts.select_for_update()}
        new = [c for c in contacts if c.name not in existing]
        _refuse_beyond_limit(len(existing) + len(new))
        position = _next_position(draft)
        for contact in contacts:
            row = existing.get(contact.name) or TestContact(draft=draft, position=position)
            position += contact.name not in existing
            for name, value in row_fields(contact).items():
                setattr(row, name, value)
            _save(row)
        result = ImportResult(
            added=[c.name for c in new],
            replaced=[c.name for c in contacts if c.name in existing],
        )
        record_event(
            "test_contacts.imported",
            actor=user,
            draft=draft,
            details={"added": len(result.added), "replaced": len(result.replaced)},
        )
        _void_tested_approval(user, draft)
    return result


def sheet_text(raw: bytes) -> str:
    """An uploaded sheet's text: bounded like every upload, UTF-8 (a BOM is allowed)."""
    too_large = upload_refusal(raw, "sheet")
    if too_large:
        raise ContactRefused([too_large])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContactRefused(["The file is not UTF-8 text: save the sheet as CSV UTF-8."]) from None


@transaction.atomic
def delete_test_contact(user: Any, draft: Draft, contact_id: int) -> str:
    """Delete one contact; its name, for the notice."""
    require(can_edit_draft(user, draft))
    row = draft.test_contacts.select_for_update().filter(pk=contact_id).first()
    if row is None:
        raise ContactRefused(["This test contact no longer exists."])
    row.delete()
    record_event("test_contact.deleted", actor=user, draft=draft, details={"name": row.name})
    _void_tested_approval(user, draft)
    return row.name


def _void_tested_approval(user: Any, draft: Draft) -> None:
    """Where the connection requires passing tests, an approval covers the test contacts too:
    changing one voids it, as an edit of the journey does (the draft returns to editing)."""
    locked = (
        Draft.objects.select_for_update().select_related("journey__connection").get(pk=draft.pk)
    )
    if locked.state != Draft.State.APPROVED or not locked.journey.connection.require_passing_tests:
        return
    notifications.approval_voided(user, locked, "its test contacts")
    locked.state = draft.state = Draft.State.EDITING
    locked.save(update_fields=["state", "updated_at"])
    record_event("approval.voided", actor=user, draft=locked, details={"by_edit": "test contacts"})


def _today() -> datetime:
    """When a sheet row says no entry time: 09:00 today (the journey's clock has no zone)."""
    return datetime.combine(timezone.now().date(), time(9))


def _next_position(draft: Draft) -> int:
    last = draft.test_contacts.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _refuse_beyond_limit(count: int) -> None:
    # Every editor page steps every contact: the list stays as long as one sheet may be.
    if count > MAX_CONTACTS:
        raise ContactRefused([f"A draft holds at most {MAX_CONTACTS} test contacts."])


def _refuse_too_long(contacts: list[Any]) -> None:
    limits = (("name", "the name", 100), ("contact_key", "the contact key", 200))
    problems = [
        f"'{c.name if len(c.name) <= 40 else c.name[:40] + '…'}': {what} is longer than {most} "
        "characters"
        for c in contacts
        for field, what, most in limits
        if len(getattr(c, field)) > most
    ]
    if problems:
        raise ContactRefused(problems)


def _save(row: TestContact) -> None:
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another request took the name meanwhile
        raise ContactRefused([f"There is already a test contact named '{row.name}'."]) from None
