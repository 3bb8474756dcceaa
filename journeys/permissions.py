"""Who may do what: one function per question, called by views and services alike.

Never only in templates: a hidden button is not a permission check.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from journeys.models import Connection, Draft, Journey


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
    return user.has_perm("journeys.add_draft") and can_use_connection(user, connection)


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


def can_approve_draft(user: Any, draft: Draft) -> bool:
    """Approvers review drafts they can see, but never their own."""
    if not (user.has_perm("journeys.approve_draft") and can_view_draft(user, draft)):
        return False
    return bool(draft.author_id != user.pk)


def can_comment(user: Any, draft: Draft) -> bool:
    return user.has_perm("journeys.add_comment") and can_view_draft(user, draft)


def can_push_draft(user: Any, draft: Draft) -> bool:
    """Approvers push; so does the draft's author (the approval itself is checked by the push)."""
    if not can_view_draft(user, draft):
        return False
    return bool(user.has_perm("journeys.push_draft") or draft.author_id == user.pk)


def can_publish_draft(user: Any, draft: Draft) -> bool:
    """Approvers (the push_draft permission) publish; an author without it does not."""
    return bool(user.has_perm("journeys.push_draft") and can_view_draft(user, draft))
