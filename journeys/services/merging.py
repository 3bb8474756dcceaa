"""Three-way merges with SFMC: after a rejected push, and when the user updates a draft.

base is what the draft started from (its base snapshot), ours the approved revision (after a
push) or the draft as it is (an update), theirs SFMC now. A MergeSession keeps the three by
reference plus the conflicts and the provisional result; resolving it saves the result as a
new revision rebased on theirs, so the next push carries SFMC's current modifiedDate.

The approval survives only when the merged content is exactly what was approved; then the
push is queued again at once. Otherwise the draft goes back to editing and needs review.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from journeys.domain.diff import SERVER_OWNED_FIELDS, keyed_index
from journeys.domain.document import content_hash
from journeys.domain.merge import Choice, Custom, MergeResult, Take, merge, reapply, resolve
from journeys.domain.validate import ERROR, Problem, validate
from journeys.models import Draft, MergeSession, RemoteSnapshot, Revision
from journeys.permissions import (
    MAY_NOT_RESOLVE,
    can_edit_draft,
    can_resolve_merge,
    can_view_draft,
    require,
)
from journeys.services.audit import record_event
from journeys.services.drafts import StaleRevision, save_revision
from journeys.services.identity import lineage
from journeys.services.limits import LimitRefused
from journeys.services.remote import base_is_stale, fetch_latest
from journeys.services.review import valid_approval

if TYPE_CHECKING:
    from journeys.models import PushAttempt

logger = logging.getLogger(__name__)
Session = MergeSession.State


class MergeRefused(Exception):
    """The merge cannot be resolved as asked; `message` (and `problems`) say why."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


# opening


def open_push_conflict(attempt: PushAttempt, theirs: RemoteSnapshot) -> MergeSession:
    """Open the merge of a rejected push (called inside the push's transaction)."""
    return _open(
        attempt.draft,
        MergeSession.Origin.PUSH,
        ours=attempt.revision,
        theirs=theirs,
        attempt=attempt,
        user=attempt.requested_by,
    )


def check_remote(user: Any, draft: Draft, *, interactive: bool = False) -> RemoteSnapshot:
    """Fetch SFMC's latest version of the draft's journey ("check SFMC now").

    Returns the snapshot of it: the one already stored when nothing changed, else a new one
    (which also updates the journey's latest known version, so the drift banner shows).
    """
    require(can_view_draft(user, draft))
    snapshot, _ = fetch_latest(draft.journey, interactive=interactive)
    details = {
        "version": snapshot.version,
        "modified_date": snapshot.modified_date,
        "snapshot": snapshot.pk,
    }
    record_event("journey.checked", actor=user, draft=draft, details=details)
    return snapshot


def start_update(user: Any, draft: Draft, *, interactive: bool = False) -> MergeSession:
    """Update my draft: merge SFMC's latest version into the draft as it is now."""
    require(can_edit_draft(user, draft))
    if draft.base_snapshot is None:
        raise MergeRefused("This draft is new to SFMC: there is nothing there to merge.")
    theirs = check_remote(user, draft, interactive=interactive)
    draft.refresh_from_db()
    base = draft.base_snapshot
    if base is None or (base.version, base.modified_date) == (theirs.version, theirs.modified_date):
        raise MergeRefused("Your draft is already based on SFMC's latest version.")
    ours = draft.revisions.get(number=draft.revision_number)
    with transaction.atomic():
        return _open(draft, MergeSession.Origin.UPDATE, ours=ours, theirs=theirs, user=user)


def _open(
    draft: Draft,
    origin: str,
    *,
    ours: Revision,
    theirs: RemoteSnapshot,
    user: Any,
    attempt: PushAttempt | None = None,
) -> MergeSession:
    base = draft.base_snapshot
    sfmc_keys = lineage(draft.journey_id).sfmc_keys
    result = merge(
        base.document if base else {}, ours.document, theirs.document, sfmc_keys=sfmc_keys
    )
    previous = draft.merge_sessions.filter(state=Session.RESOLVED).first()
    earlier = choices_from_json(previous.choices) if previous else {}
    draft.merge_sessions.filter(state=Session.OPEN).update(state=Session.SUPERSEDED)
    session = MergeSession.objects.create(
        draft=draft,
        attempt=attempt,
        origin=origin,
        base_snapshot=base,
        theirs_snapshot=theirs,
        ours_revision=ours,
        ours_hash=ours.content_hash,
        conflicts=[conflict.as_dict() for conflict in result.conflicts],
        merged_document=result.document,
        # SFMC changed again after an earlier round: offer the same picks again.
        choices=choices_to_json(reapply(result, earlier)),
        created_by=user,
    )
    details = {
        "merge": session.pk,
        "origin": origin,
        "theirs_version": theirs.version,
        "conflicts": [conflict.id for conflict in result.conflicts],
    }
    record_event("merge.opened", actor=user, draft=draft, details=details)
    return session


def open_session_for(draft: Draft) -> MergeSession | None:
    """The draft's open merge that still applies: same content and base as when it opened."""
    return draft.merge_sessions.filter(
        state=Session.OPEN, ours_hash=draft.content_hash, base_snapshot=draft.base_snapshot_id
    ).first()


def supersede_open_sessions(draft: Draft) -> None:
    """After the draft's base moved (a push succeeded), older merges no longer apply."""
    draft.merge_sessions.filter(state=Session.OPEN).update(state=Session.SUPERSEDED)


# resolving


@dataclass(frozen=True)
class Resolution:
    """What resolving did: the draft, whether the approval held, any push queued."""

    draft: Draft
    kept_approval: bool
    changed: bool
    attempt: PushAttempt | None
    push_refusal: str = ""

    @property
    def message(self) -> str:
        """What happened, for the user."""
        base = self.draft.base_snapshot
        based = f"Your draft is now based on SFMC version {base.version if base else '?'}"
        if self.attempt is not None:
            return f"Merged. {based}; the approved content is unchanged, so it is being pushed."
        if self.kept_approval:
            return f"Merged. {based}; it is still approved. {self.push_refusal}".strip()
        if self.changed and self.draft.state == Draft.State.EDITING:
            return (
                f"Merged into revision {self.draft.revision_number}. {based}. Its content "
                "differs from what was approved, so it needs review again before a push."
            )
        return f"Merged. {based}."


@transaction.atomic
def resolve_merge(user: Any, session: MergeSession, choices: dict[str, Choice]) -> Resolution:
    """Apply the choices, validate, save the result rebased on theirs; re-push if approved.

    Every conflict needs a choice. A result with validation errors is refused with them.
    """
    require(can_resolve_merge(user, session.draft), MAY_NOT_RESOLVE)
    session = MergeSession.objects.select_for_update().get(pk=session.pk)
    if session.state != Session.OPEN:
        raise MergeRefused("This merge is finished or was replaced by a newer one.")
    draft = Draft.objects.select_for_update().get(pk=session.draft_id)
    changed_since = (draft.content_hash, draft.base_snapshot_id) != (
        session.ours_hash,
        session.base_snapshot_id,
    )
    if changed_since:
        raise MergeRefused(
            "The draft changed since this merge was prepared; update it from SFMC again."
        )
    final = merged_result(session, choices)
    approval = valid_approval(draft)
    digest = content_hash(final)
    changed = digest != draft.content_hash
    if changed:
        draft = _save_merged(user, draft, session, final)
    draft.base_snapshot = session.theirs_snapshot
    draft.save(update_fields=["base_snapshot", "updated_at"])
    kept = approval is not None and approval.content_hash == digest
    _close(user, session, draft, choices, kept)
    if kept and session.origin == MergeSession.Origin.PUSH:
        return _push_again(user, draft, changed)
    return Resolution(draft, kept_approval=kept, changed=changed, attempt=None)


def merged_result(session: MergeSession, choices: dict[str, Choice]) -> dict[str, Any]:
    """The merged document with `choices` applied, checked; raises MergeRefused."""
    result = merge_of(session)
    undecided = [c for c in result.conflicts if c.id not in choices]
    if undecided:
        raise MergeRefused(
            f"Choose a value for every conflict: {len(undecided)} of "
            f"{len(result.conflicts)} still open."
        )
    final = keep_server_fields(resolve(result, choices), session.ours_revision.document)
    errors = [problem for problem in validate(final) if problem.severity == ERROR]
    if errors:
        raise MergeRefused(
            f"The merged journey would have {len(errors)} error(s); choose differently.",
            problems=errors,
        )
    return final


def merge_of(session: MergeSession) -> MergeResult:
    """The session's merge, computed again from its documents (it is deterministic)."""
    base = session.base_snapshot.document if session.base_snapshot else {}
    ours, theirs = session.ours_revision.document, session.theirs_snapshot.document
    return merge(base, ours, theirs, sfmc_keys=lineage(session.draft.journey_id).sfmc_keys)


def keep_server_fields(document: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """`document` with ours' top-level server-owned fields (id, modifiedDate, version...).

    A push never sends them (it takes version and modifiedDate from the base snapshot), and
    keeping ours' lets an unchanged result keep exactly the approved content hash.
    """
    kept = {
        name: ours[name] if name in SERVER_OWNED_FIELDS else value
        for name, value in document.items()
        if name not in SERVER_OWNED_FIELDS or name in ours
    }
    kept.update({name: ours[name] for name in SERVER_OWNED_FIELDS if name in ours})
    return kept


def _save_merged(user: Any, draft: Draft, session: MergeSession, document: dict[str, Any]) -> Draft:
    theirs = session.theirs_snapshot
    summary = (
        f"Merged with SFMC version {theirs.version} ({theirs.modified_date}); "
        f"{len(session.conflicts)} conflict(s) decided"
    )
    try:
        return save_revision(
            user,
            draft,
            document,
            expected_revision=draft.revision_number,
            summary=summary,
            permitted=can_resolve_merge(user, draft),
        )
    except StaleRevision as stale:
        raise MergeRefused(str(stale)) from stale
    except LimitRefused as refused:
        raise MergeRefused(refused.message) from refused


def _close(
    user: Any, session: MergeSession, draft: Draft, choices: dict[str, Choice], kept: bool
) -> None:
    session.state = Session.RESOLVED
    session.choices = choices_to_json(choices)
    session.kept_approval = kept
    session.resolved_by = user
    session.resolved_at = timezone.now()
    session.result_revision = draft.revisions.get(number=draft.revision_number)
    session.save()
    details = {
        "merge": session.pk,
        "theirs_version": session.theirs_snapshot.version,
        "choices": session.choices,
        "kept_approval": kept,
    }
    record_event("merge.resolved", actor=user, draft=draft, details=details)


def _push_again(user: Any, draft: Draft, changed: bool) -> Resolution:
    from django.core.exceptions import PermissionDenied

    from journeys.services.push import PushRefused, request_push

    try:
        attempt = request_push(user, draft)
    except (PushRefused, PermissionDenied) as refused:
        reason = getattr(refused, "message", str(refused))
        return Resolution(draft, True, changed, None, push_refusal=reason)
    return Resolution(draft, kept_approval=True, changed=changed, attempt=attempt)


def choices_to_json(choices: dict[str, Choice]) -> dict[str, Any]:
    """{id: {"take": "ours"}} or {id: {"custom": value}}: what a session stores."""
    return {
        key: {"custom": choice.value} if isinstance(choice, Custom) else {"take": str(choice)}
        for key, choice in choices.items()
    }


def choices_from_json(stored: dict[str, Any]) -> dict[str, Choice]:
    """The inverse of `choices_to_json`; unreadable entries are skipped."""
    choices: dict[str, Choice] = {}
    for key, value in stored.items():
        if isinstance(value, dict) and "custom" in value:
            choices[key] = Custom(value["custom"])
        elif isinstance(value, dict) and value.get("take") in {t.value for t in Take}:
            choices[key] = Take(value["take"])
    return choices


def applied(sent: dict[str, Any], remote: dict[str, Any]) -> bool:
    """Whether SFMC's `remote` holds everything `sent` carried, ignoring the fields SFMC owns.

    A subset match: SFMC adds ids and other fields of its own, so only what we sent counts.
    Keyed lists (activities, outcomes...) are matched by key, other lists position by position.
    """
    ours = {name: value for name, value in sent.items() if name not in SERVER_OWNED_FIELDS}
    return _contains(remote, ours)


def _contains(remote: Any, sent: Any) -> bool:
    if isinstance(sent, dict):
        return isinstance(remote, dict) and all(
            name in remote and _contains(remote[name], value) for name, value in sent.items()
        )
    if isinstance(sent, list):
        if not isinstance(remote, list) or len(remote) != len(sent):
            return False
        sent_index, remote_index = keyed_index(sent), keyed_index(remote)
        if sent_index is not None and remote_index is not None:
            return sent_index.keys() == remote_index.keys() and all(
                _contains(remote_index[key], item) for key, item in sent_index.items()
            )
        return all(_contains(r, s) for r, s in zip(remote, sent, strict=True))
    if isinstance(sent, bool) or isinstance(remote, bool):
        return remote is sent  # JSON true is not 1, whatever Python says
    return bool(remote == sent)


# drift


@dataclass(frozen=True)
class Drift:
    """SFMC has a newer version than the one the draft is based on."""

    base_version: int
    base_modified: str
    remote_version: int | None
    remote_modified: str
    remote_status: str

    @property
    def message(self) -> str:
        """The banner's sentence."""
        if self.remote_version == self.base_version:
            return (
                f"Someone changed SFMC version {self.base_version} after this draft was based on "
                f"it (SFMC: modified {self.remote_modified}; your base: {self.base_modified})."
            )
        return (
            f"SFMC has version {self.remote_version} ({self.remote_status or 'status unknown'}, "
            f"modified {self.remote_modified}); this draft is based on version "
            f"{self.base_version}."
        )


def drift(draft: Draft) -> Drift | None:
    """Whether the journey's latest known remote version is not the draft's base."""
    base, journey = draft.base_snapshot, draft.journey
    if base is None or not base_is_stale(draft):
        return None
    return Drift(
        base_version=base.version,
        base_modified=base.modified_date,
        remote_version=journey.latest_remote_version,
        remote_modified=journey.latest_remote_modified_date,
        remote_status=journey.latest_remote_status,
    )
