"""Telling a draft's editors that its merge waits for them, when the one looking at it may not
resolve it (neither an editor nor someone who may push it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from journeys.models import AuditEvent, Draft, MergeSession
from journeys.permissions import can_edit_draft, can_resolve_merge
from journeys.services.audit import record_event
from journeys.services.mail import notify

TOLD = "merge.editors_told"


def editors_of(draft: Draft) -> list[Any]:
    """Who to tell about the draft: its author and whoever wrote one of its revisions, while
    they may still edit it and have an email address."""
    writers = draft.revisions.values("author")
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    candidates = users.filter(pk__in=writers) | users.filter(pk=draft.author_id)
    return [u for u in candidates.distinct().order_by("username") if can_edit_draft(u, draft)]


def editors_told(session: MergeSession) -> AuditEvent | None:
    """The record of the editors being told about this merge, if they were."""
    events = AuditEvent.objects.filter(action=TOLD, details__merge=session.pk)
    return events.select_related("actor").order_by("created_at", "pk").first()


@transaction.atomic
def tell_editors_once(user: Any, session: MergeSession, link: str) -> AuditEvent | None:
    """Mail the draft's editors that `user` met a merge they may not resolve; once per merge
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
    name = draft.document.get("name") or draft.journey.name
    notify(
        [u.email for u in editors],
        f"Merge waiting: {name}",
        f"SFMC changed '{name}' (version {locked.theirs_snapshot.version}) and the draft needs "
        f"a merge. {user} opened it but may not resolve it; please do:\n\n{link}",
    )
    details = {"merge": locked.pk, "told": [u.get_username() for u in editors]}
    return record_event(TOLD, actor=user, draft=draft, details=details)
