"""Who may do what: one function per question, called by views and services alike.

Never only in templates: a hidden button is not a permission check.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, Subquery
from django.db.models.functions import Coalesce

from journeys.models import (
    Approval,
    Connection,
    Draft,
    Journey,
    MergeSession,
    PushAttempt,
    Revision,
)


def can_use_connection(user: Any, connection: Connection) -> bool:
    # Remembered on the user object, which lives for one request (or one task): a page asks
    # this several times, and group membership does not change halfway through.
    known: dict[int, bool] = user.__dict__.setdefault("_journeys_connection_access", {})
    if connection.pk not in known:
        usable = Connection.objects.usable_by(user).filter(pk=connection.pk).exists()
        known[connection.pk] = usable
    return known[connection.pk]


def can_view_draft(user: Any, draft: Draft) -> bool:
    return user.has_perm("journeys.view_draft") and can_use_connection(
        user, draft.journey.connection
    )


def can_create_draft(user: Any, connection: Connection) -> bool:
    return can_create_drafts(user) and can_use_connection(user, connection)


NOT_AN_EDITOR = (
    "Only editors create journeys (new, uploaded or imported from SFMC). "
    "Ask an administrator to add you to the Editors group."
)


def can_create_drafts(user: Any) -> bool:
    """Whether the New journey, Upload and Import buttons apply to this user at all."""
    return bool(user.has_perm("journeys.add_draft"))


def can_edit_draft(user: Any, draft: Draft) -> bool:
    return user.has_perm("journeys.change_draft") and can_use_connection(
        user, draft.journey.connection
    )


def can_view_journey(user: Any, journey: Journey) -> bool:
    return user.has_perm("journeys.view_journey") and can_use_connection(user, journey.connection)


def require(allowed: bool, message: str = "You do not have permission to do that.") -> None:
    """Raise PermissionDenied (HTTP 403) unless `allowed`."""
    if not allowed:
        raise PermissionDenied(message)


def can_review_draft(user: Any, draft: Draft) -> bool:
    """Approvers (the approve_draft permission) review the drafts they can see."""
    return bool(user.has_perm("journeys.approve_draft") and can_view_draft(user, draft))


NOT_A_REVIEWER = "You may not review this draft."


def approve_refusal(user: Any, draft: Draft) -> str:
    """Why `user` may not approve (or send back) `draft` as it is now; "" when they may.

    Four eyes on every change: nobody decides on content they wrote any part of since the
    draft's last approved or pushed content. Superusers are no exception.
    """
    if not can_review_draft(user, draft):
        return NOT_A_REVIEWER
    settled = _unsettled_revision_written_by(user, draft)
    if settled is None:
        return ""
    if settled:
        return "You edited this draft since it was last approved: someone else must approve it."
    return "You wrote part of this draft: someone else must approve it."


def can_approve_draft(user: Any, draft: Draft) -> bool:
    """Whether the Approve (and Request changes) button applies to `user`; see approve_refusal."""
    return not approve_refusal(user, draft)


def _unsettled_revision_written_by(user: Any, draft: Draft) -> int | None:
    """The number of the draft's last settled revision (0: none) if `user` wrote any revision
    after it, else None; one query.

    Settled: approved (an approval of exactly that revision's content) or pushed successfully.
    A revision's author wrote it: the draft's creator revision 1, whoever edited, undid, redid
    or restored the others (all go through `save_revision`); whoever resolved a merge also
    wrote its result revision, even one the merge left unchanged.
    """
    revisions = Revision.objects.filter(draft_id=draft.pk)
    approved = Q(
        approvals__decision=Approval.Decision.APPROVED,
        approvals__content_hash=F("content_hash"),
    )
    pushed = Q(push_attempts__state=PushAttempt.State.SUCCEEDED)
    last = revisions.filter(approved | pushed).order_by("-number").values("number")[:1]
    settled = Coalesce(Subquery(last), 0)
    merged = MergeSession.objects.filter(draft_id=draft.pk, resolved_by=user.pk)
    written = Q(author=user.pk) | Q(pk__in=merged.values("result_revision"))
    hit = (
        revisions.annotate(settled=settled)
        .filter(written, number__gt=F("settled"))
        .values_list("settled", flat=True)
        .first()
    )
    return None if hit is None else int(hit)


def can_comment(user: Any, draft: Draft) -> bool:
    return user.has_perm("journeys.add_comment") and can_view_draft(user, draft)


def can_push_draft(user: Any, draft: Draft) -> bool:
    """Approvers push; so does the draft's author (the approval itself is checked by the push)."""
    if not can_view_draft(user, draft):
        return False
    return bool(user.has_perm("journeys.push_draft") or draft.author_id == user.pk)


MAY_NOT_RESOLVE = "Only someone who may edit or push this draft can resolve its merge."


def can_resolve_merge(user: Any, draft: Draft) -> bool:
    """Editors resolve a merge, and so does whoever may push the draft: a push that meets a
    conflict must not strand the approver who pushed it."""
    return can_edit_draft(user, draft) or can_push_draft(user, draft)


def can_publish_draft(user: Any, draft: Draft) -> bool:
    """Approvers (the push_draft permission) publish; an author without it does not."""
    return bool(user.has_perm("journeys.push_draft") and can_view_draft(user, draft))
