"""Creating drafts and saving their revisions."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import transaction

from journeys.contact_models import copy_test_contacts
from journeys.domain import document_parts
from journeys.domain.document import (
    DocumentError,
    content_hash,
    minimal_journey,
    parse_journey_json,
)
from journeys.domain.validate import Checked, Problem, check, remember, validate
from journeys.fields import with_text
from journeys.lengths import journey_key_limit, journey_name_limit, length_refusal
from journeys.models import Connection, Draft, Journey, RemoteSnapshot, Revision
from journeys.permissions import can_create_draft, can_edit_draft, require
from journeys.services import notifications
from journeys.services.audit import record_event
from journeys.services.identity import record_keys, with_base_ids
from journeys.services.limits import check_document, guard_revision


class StaleRevision(Exception):
    """The edit was made on a revision that is no longer the draft's latest."""

    def __init__(self, draft: Draft, expected: int) -> None:
        super().__init__(
            f"This draft changed since you loaded it (you had revision {expected}, "
            f"it is now at revision {draft.revision_number})."
        )
        self.draft = draft
        self.expected = expected


@dataclass(frozen=True)
class UploadResult:
    draft: Draft
    problems: list[Problem]


def start_draft(
    user: Any,
    journey: Journey,
    document: dict[str, Any],
    *,
    base_snapshot: RemoteSnapshot | None,
    summary: str,
    action: str,
) -> Draft:
    """Create a draft and its first revision; callers have checked permission.

    The journey's newest draft before this one lends it a copy of its test contacts. A journey
    beyond the limits, or a user writing too fast, is refused (LimitRefused) before anything."""
    guard_revision(user, document, revisions=0)
    digest = content_hash(document)
    previous = journey.drafts.order_by("-created_at", "-pk").first()
    draft = Draft.objects.create(
        journey=journey,
        base_snapshot=base_snapshot,
        author=user,
        document=document,
        content_hash=digest,
        revision_number=1,
    )
    Revision.objects.add(
        document, draft=draft, number=1, content_hash=digest, author=user, summary=summary
    )
    record_keys(journey.pk, document)
    copied = copy_test_contacts(previous, draft) if previous is not None else 0
    details = {"summary": summary, **({"test_contacts_copied": copied} if copied else {})}
    record_event(action, actor=user, draft=draft, details=details)
    return draft


@transaction.atomic
def create_new_journey(user: Any, connection: Connection, name: str) -> Draft:
    """Start a journey that does not exist in SFMC yet: an empty canvas with an entry source."""
    require(can_create_draft(user, connection))
    document = minimal_journey(name.strip() or "Untitled journey")
    journey = Journey.objects.create(
        connection=connection, key=document["key"], name=document["name"]
    )
    return start_draft(
        user, journey, document, base_snapshot=None, summary="New journey", action="draft.created"
    )


@transaction.atomic
def create_draft_from_upload(user: Any, connection: Connection, raw: bytes) -> UploadResult:
    """Make a draft of an uploaded journey JSON file.

    Malformed or oversized files raise DocumentError and store nothing. A document with
    validation problems is kept (the editor shows them; the push refuses errors). An upload whose
    key is a journey we know becomes a new draft based on that journey's latest snapshot.
    """
    require(can_create_draft(user, connection))
    too_large = upload_refusal(raw, "journey")
    if too_large:
        raise DocumentError(too_large)
    document = parse_journey_json(raw)
    check_document(document)  # before validating a journey too large to keep
    problems = validate(document)
    if not isinstance(document.get("activities", []), list) or not document.get("key"):
        raise DocumentError(
            "This JSON is not a journey: it needs a 'key' and an 'activities' list."
        )
    key = str(document["key"])
    name = str(document.get("name") or key)
    refusal = length_refusal("The journey's key", key, journey_key_limit()) or length_refusal(
        "The journey's name", name, journey_name_limit()
    )
    if refusal:
        raise DocumentError(f"{refusal} Shorten it in the file and upload it again.")
    journey, created = Journey.objects.get_or_create(
        connection=connection, key=key, defaults={"name": name}
    )
    base = None if created else journey.snapshots.order_by("-fetched_at").first()
    if base is not None:
        document = with_base_ids(document, base.document)
    draft = start_draft(
        user,
        journey,
        document,
        base_snapshot=base,
        summary="Uploaded from a JSON file",
        action="draft.uploaded",
    )
    return UploadResult(draft=draft, problems=problems)


def upload_refusal(raw: bytes, what: str) -> str:
    """Why an uploaded file is refused for its size ("" when it is not): every upload, a journey
    or a sheet of test contacts, is bounded by JOURNEY_UPLOAD_MAX_BYTES."""
    limit = settings.JOURNEY_UPLOAD_MAX_BYTES
    if len(raw) <= limit:
        return ""
    return (
        f"The file is {len(raw) // 1024} KiB; the largest {what} accepted is {limit // 1024} KiB."
    )


UNDO_DEPTH = 100
# The problems of the revisions edited lately, by (draft, revision, content hash): the next edit
# of a draft checks itself against its current revision, which the request before checked.
_RECENT_CHECKS: dict[tuple[int, int, str], Checked] = {}
_RECENT_CHECKS_KEPT = 64
_recent_lock = threading.Lock()


def draft_problems(draft: Draft) -> list[Problem]:
    """validate(draft.document), remembered for the draft's revision in this process (a
    revision never changes). Inside validate.values_unchanged() the document is known to have
    them, so the checks of an edit made on it do not check it again."""
    key = (draft.pk, draft.revision_number, draft.content_hash)
    with _recent_lock:
        found = _RECENT_CHECKS.get(key)
    if found is not None:
        remember(draft.document, found)
        return list(found.problems)
    found = check(draft.document)
    with _recent_lock:
        _RECENT_CHECKS[key] = replace(found, document=None)  # not the document: its findings
        while len(_RECENT_CHECKS) > _RECENT_CHECKS_KEPT:
            del _RECENT_CHECKS[next(iter(_RECENT_CHECKS))]
    return list(found.problems)


def lock_draft(draft: Draft) -> Draft:
    """The draft's row, locked for this transaction. Its document is parsed again only when it
    is not the one `draft` already holds (same revision and content): parsing the whole journey
    is an edit's largest fixed cost. Call inside a transaction."""
    locked = Draft.objects.select_for_update().defer("document").get(pk=draft.pk)
    same = (locked.revision_number, locked.content_hash) == (
        draft.revision_number,
        draft.content_hash,
    )
    if same and "document" in draft.__dict__:
        locked.document = draft.document
    return locked  # otherwise its document is read on first use


@transaction.atomic
def save_revision(
    user: Any,
    draft: Draft,
    document: dict[str, Any],
    *,
    expected_revision: int,
    summary: str,
    history: str = "edit",
    permitted: bool | None = None,
) -> Draft:
    """Save `document` as the draft's next revision, if `expected_revision` is still current.

    The row lock makes this the optimistic lock: two saves quoting the same revision cannot both
    succeed, and the loser gets StaleRevision, never a silent overwrite. `history` says how the
    undo and redo stacks move: "edit" (a new change clears redo), "undo", "redo" or "keep".
    An edit that leaves the content as it is saves nothing. `permitted` is for a caller that
    checked by its own rule that `user` may write this revision (resolving a merge: whoever
    may push the draft); by default, only those who may edit the draft may.
    """
    require(can_edit_draft(user, draft) if permitted is None else permitted)
    locked = lock_draft(draft)
    if locked.revision_number != expected_revision:
        raise StaleRevision(locked, expected_revision)
    new_hash = content_hash(document)  # once: it serialises the whole document
    if history == "edit" and new_hash == locked.content_hash:
        return locked  # nothing changed: no revision, and a review or approval stands
    # The revision this one follows, when already read: its keys were recorded when it was
    # saved, and the nesting of the parts the edit kept was measured then (limit_refusal).
    previous = locked.document if "document" in locked.__dict__ else None
    # Written out once: the revision's parts, the draft's row and the size limit share it.
    split = document_parts.split(document)
    text = document_parts.whole_text(document, split[1])
    guard_revision(user, document, revisions=locked.revision_number, kept=previous, size=len(text))
    _move_history(locked, history)
    withdrawn = {
        Draft.State.IN_REVIEW: "draft.withdrawn",
        Draft.State.APPROVED: "approval.voided",
    }.get(Draft.State(locked.state))
    if withdrawn:
        record_event(withdrawn, actor=user, draft=locked, details={"by_edit": summary[:500]})
    if locked.state == Draft.State.APPROVED:
        notifications.approval_voided(user, locked, summary[:200])
    with_text(locked, "document", document, text)
    locked.content_hash = new_hash
    locked.revision_number += 1
    if locked.state != Draft.State.CHANGES_REQUESTED:
        # A sent-back draft stays so while its author works on it: the approver's comment
        # and "Resubmit" stay in front of them until they resubmit.
        locked.state = Draft.State.EDITING
    locked.save()
    Revision.objects.add(
        document,
        split=split,
        draft=locked,
        number=locked.revision_number,
        content_hash=locked.content_hash,
        author=user,
        summary=summary[:500],
    )
    record_keys(locked.journey_id, document, recorded=previous)
    record_event("draft.edited", actor=user, draft=locked, details={"summary": summary[:500]})
    return locked


def _move_history(draft: Draft, history: str) -> None:
    current = draft.revision_number
    if history == "edit":
        draft.undo_stack = [*draft.undo_stack, current][-UNDO_DEPTH:]
        draft.redo_stack = []
    elif history == "undo":
        draft.undo_stack = draft.undo_stack[:-1]
        draft.redo_stack = [*draft.redo_stack, current][-UNDO_DEPTH:]
    elif history == "redo":
        draft.redo_stack = draft.redo_stack[:-1]
        draft.undo_stack = [*draft.undo_stack, current][-UNDO_DEPTH:]
