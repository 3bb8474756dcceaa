"""The journey audit log (``GET /interactions/{id}/audit/{action}``): one entry per applied write.

Entries copy the mcdev audit mocks: ``id`` and ``originalDefinitionId`` are the journey id, newest
first; Create, Modify, Delete and Validate add ``executionMode``; Publish adds ``executionMode``,
``publishStatus`` and ``publishRequestId`` (its status follows the request: PublishInProcess,
then PublishCompleted or Error, with ``errors[]`` when it failed); Stop, Pause and Resume add
nothing. UNVERIFIED: without ``versionNumber`` the log covers every version; the users are
``"<client id> app user"`` for API calls and "Another User" for /_sim edits and demo data.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from .clock import format_ms, now_ms
from .store import JourneyVersion, Store

ACTIONS = ("Create", "Modify", "Publish", "Stop", "Pause", "Resume", "Delete", "Validate")
WITH_EXECUTION_MODE = ("Create", "Modify", "Delete", "Publish", "Validate")


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the audit log's ``user`` shows it."""

    name: str
    user_id: int

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "userId": self.user_id}


ANOTHER_USER = Actor("Another User", 710355723)


def api_user(client_id: str) -> Actor:
    """The installed package's API user; a stable number per client id."""
    return Actor(f"{client_id} app user", 700_000_000 + zlib.crc32(client_id.encode()) % 10**8)


def action_named(text: str) -> str | None:
    """The action a URL segment names (any case); None for ``all``, ValueError if unknown."""
    if text.lower() == "all":
        return None
    for action in ACTIONS:
        if action.lower() == text.lower():
            return action
    raise ValueError(f"action must be all or one of {', '.join(ACTIONS)}")


class AuditLog:
    """Writes entries inside the caller's store transaction; reads pages of them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self,
        item: JourneyVersion,
        action: str,
        actor: Actor,
        publish_request_id: str = "",
        publish_status: str = "PublishInProcess",
    ) -> None:
        entry: dict[str, Any] = {
            "id": item.journey_id,
            "action": action,
            "user": actor.as_json(),
            "timeStamp": format_ms(now_ms()),
            "key": item.key,
            "versionNumber": item.version,
            "originalDefinitionId": item.journey_id,
            "name": str(item.body.get("name") or ""),
            "description": str(item.body.get("description") or ""),
        }
        if action in WITH_EXECUTION_MODE:
            entry["executionMode"] = item.body.get("executionMode", "Production")
        if publish_request_id:
            entry.update(publishStatus=publish_status, publishRequestId=publish_request_id)
        self.store.add_audit_entry(item.journey_id, item.version, action, entry)

    def settle_publish(self, request_id: str, status: str, errors: list[dict[str, Any]]) -> None:
        """Give the Publish entry of ``request_id`` its final status (and errors, if any)."""
        changes: dict[str, Any] = {"publishStatus": status}
        if errors:
            changes["errors"] = errors
        self.store.update_audit_publish(request_id, changes)

    def page(
        self, journey_id: str, action: str | None, version: int | None, page: int, size: int
    ) -> dict[str, Any]:
        count, items = self.store.audit_entries(
            journey_id, action, version, offset=(page - 1) * size, limit=size
        )
        return {"count": count, "page": page, "pageSize": size, "links": {}, "items": items}
