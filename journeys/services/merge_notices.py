"""Telling people that a draft's merge waits for them: when a push meets SFMC's changes (its
author and whoever pushed are told of the conflict, the draft's other editors that a merge
waits), and when someone who may not resolve it opens it (its editors are told, once)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from journeys.models import AuditEvent, Draft, MergeSession, PushAttempt
from journeys.permissions import can_edit_draft, can_resolve_merge
from journeys.services.audit import record_event
from journeys.services.notifications import Kind, journey_name, notify, person

TOLD = "merge.editors_told"


def editors_of(draft: Draft) -> list[Any]:
    """Who to tell about the draft: its author and whoever wrote one of its revisions, while
    they may still edit it."""
    writers = draft.revisions.values("author")
    users = get_user_model().objects.filter(is_active=True)
    candidates = users.filter(pk__in=writers) | users.filter(pk=draft.author_id)
    return [u for u in candidates.distinct().order_by("username") if can_edit_draft(u, draft)]


def merge_path(session: MergeSession) -> str:
    return reverse("journeys:merge", args=[session.pk])


def push_conflicted(attempt: PushAttempt, session: MergeSession) -> None:
    """The push met SFMC's changes and `session` waits: the author and whoever pushed are told
    of the conflict, the draft's other editors that a merge waits for them."""
    draft = attempt.draft
    name, version = journey_name(draft), session.theirs_snapshot.version
    pushed = [draft.author, attempt.requested_by]
    conflicts = len(session.conflicts)
    noun = "conflict" if conflicts == 1 else "conflicts"
    said = f"{conflicts} {noun} to choose" if conflicts else "no conflict, only to apply"
    notify(
        Kind.PUSH_CONFLICT,
        pushed,
        draft=draft,
        text=f"The push of '{name}' by {person(attempt.requested_by)} met changes made in SFMC "
        f"meanwhile (version {version}): merge them ({said}), then push again.",
        path=merge_path(session),
        subject=f"Push needs a merge: {name}",
    )
    others = [u for u in editors_of(draft) if u.pk not in {p.pk for p in pushed}]
    _merge_waiting(others, session, f"the push by {person(attempt.requested_by)} met it")


def _merge_waiting(users: list[Any], session: MergeSession, why: str, actor: Any = None) -> None:
    draft = session.draft
    name = journey_name(draft)
    notify(
        Kind.MERGE_WAITING,
        users,
        draft=draft,
        actor=actor,
        text=f"SFMC changed '{name}' (version {session.theirs_snapshot.version}) and the draft "
        f"needs a merge ({why}): please resolve it.",
        path=merge_path(session),
        subject=f"Merge waiting: {name}",
    )


def editors_told(session: MergeSession) -> AuditEvent | None:
    """The record of the editors being told about this merge, if they were."""
    events = AuditEvent.objects.filter(action=TOLD, details__merge=session.pk)
    return events.select_related("actor").order_by("created_at", "pk").first()


@transaction.atomic
def tell_editors_once(user: Any, session: MergeSession) -> AuditEvent | None:
    """Tell the draft's editors that `user` met a merge they may not resolve; once per merge
    (whoever opens it next sees who was told and when). None when `user` may resolve it or
    the merge is no longer open.

    Done when the merge screen is opened, not behind a button: the person who meets the
    conflict should not have to know that someone must be told.
    """
    draft = session.draft
    if can_resolve_merge(user, draft):
        return None
    locked = MergeSession.objects.select_for_update().get(pk=session.pk)
    if locked.state != MergeSession.State.OPEN:
        return None
    told = editors_told(locked)
    if told is not None:
        return told
    editors = editors_of(draft)
    _merge_waiting(editors, locked, f"{person(user)} opened it but may not resolve it", actor=user)
    details = {"merge": locked.pk, "told": [person(u) for u in editors if u.pk != user.pk]}
    return record_event(TOLD, actor=user, draft=draft, details=details)
