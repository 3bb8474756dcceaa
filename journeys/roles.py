"""The two roles and their permissions, as the migrations create them (0002, then 0004).

Migrations keep their own copies (they are history); this is the current set, used where the
groups must be restored, e.g. after a test database flush.
"""

from __future__ import annotations

from typing import Any

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "Editors": [
        "view_connection",
        "view_journey",
        "add_journey",
        "view_remotesnapshot",
        "view_draft",
        "add_draft",
        "change_draft",
        "view_revision",
        "view_approval",
        "view_pushattempt",
        "view_comment",
        "add_comment",
    ],
    "Approvers": [
        "view_connection",
        "view_journey",
        "view_remotesnapshot",
        "view_draft",
        "view_revision",
        "view_approval",
        "view_pushattempt",
        "approve_draft",
        "push_draft",
        "view_comment",
        "add_comment",
    ],
}


def ensure_roles(group_model: Any, permission_model: Any) -> None:
    """Create the role groups with exactly their permissions (idempotent)."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(
            permission_model.objects.filter(
                content_type__app_label="journeys", codename__in=codenames
            )
        )
