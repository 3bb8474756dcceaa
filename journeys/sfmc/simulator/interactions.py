"""What the simulated Interaction API does to journeys, independent of HTTP.

Behaviours the API notes leave UNVERIFIED, and what the simulator does (see also config.py):

* A successful PUT gets a new modifiedDate and answers with it; every status change (publish,
  unpublish, stop, delete) also bumps modifiedDate, as the real list data suggests (fixture 06:
  version 1 was modified when version 2 was published).
* The PUT checks the Draft-only rule before the modifiedDate, so a stale PUT to a version that was
  published meanwhile says "not a Draft" (create version N+1) rather than "conflict".
* modifiedDate is compared at millisecond precision; the identical string is always accepted.
* Saving (POST, PUT) refuses only a structurally broken journey (graph rules, wrong value types):
  Journey Builder saves drafts whose activities are not configured yet. Missing configuration
  (an email with no email chosen, a decision without criteria) fails the publish instead, with
  errorCode 121000 per activity.
* Publishing marks the previously Published version ``Unpublished``; a publish fails (status
  ``Error``, errorCode 121500) when the trigger has no eventDefinitionKey or there is no activity.
  Publishing a non-Draft version is refused at once with mcdev's exact message, errorcode 30000.
* Stop without versionNumber stops every running version (Published, Paused, Unpublished).
* GET without ``extras`` (or with ``stats``) leaves out activities and triggers, like the list.
* Deleting a running version is not refused. A key whose versions are all Deleted gets
  version N+1 (same id) on the next POST.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Any

from . import remote_edit
from .checks import check_save
from .checks_publish import publish_error as _publish_error
from .checks_publish import publish_errors as _check_publish
from .clock import NEVER_PUBLISHED, format_ms, format_seconds, parse_ms
from .config import SimConfig
from .envelopes import ApiError, malformed, not_found
from .store import JourneyVersion, ListQuery, PublishRequest, Store

SERVER_FIELDS = frozenset(
    {
        "id",
        "definitionId",
        "createdDate",
        "modifiedDate",
        "lastPublishedDate",
        "status",
        "version",
        "stats",
        "healthStats",
    }
)
STEP_LISTS = ("triggers", "activities")
STOPPABLE = ("Published", "Paused", "Unpublished")
ZERO_STATS = {
    "currentPopulation": 0,
    "cumulativePopulation": 0,
    "metGoal": 0,
    "metExitCriteria": 0,
    "goalPerformance": 0,
}
CONFLICT_MESSAGE = (
    "Another user recently modified this journey. Refresh to edit the latest version."
)
NOT_DRAFT_MESSAGE = (
    "Conflict, this change would cause a current operation on the specified interaction or a "
    "running interaction to be changed, which is not permitted"
)
DRAFT_EXISTS_MESSAGE = "A draft version already exists for this journey; update it with PUT."
PUT_NOT_FOUND = "Interaction not found."


@dataclass(frozen=True)
class JourneyRef:
    """How a URL or body names a journey: by customer key or by id (GUID)."""

    key: str | None = None
    journey_id: str | None = None

    @classmethod
    def from_segment(cls, segment: str) -> JourneyRef:
        """``key:<key>`` or an id; the segment is already URL-decoded."""
        if segment.startswith("key:"):
            return cls(key=segment[len("key:") :])
        return cls(journey_id=segment)


class Interactions:
    """The journey operations of one simulator; every method is safe to call from many threads."""

    def __init__(self, store: Store, config: SimConfig) -> None:
        self.store = store
        self.config = config

    # reads

    def get(self, ref: JourneyRef, version: int | None = None) -> JourneyVersion:
        """One version: the given one, else the latest that is not Deleted."""
        with self.store.lock:
            journey_id = self._journey_id(ref)
            live = [v for v in self.store.versions(journey_id) if v.status != "Deleted"]
        matches = [v for v in live if version is None or v.version == version]
        if not matches:
            raise not_found()
        return matches[-1]

    def list_versions(self, query: ListQuery) -> tuple[int, list[JourneyVersion]]:
        return self.store.list_versions(query)

    def document(self, item: JourneyVersion, *, with_steps: bool) -> dict[str, Any]:
        """The journey JSON as the API returns it."""
        doc: dict[str, Any] = {"id": item.journey_id, "key": item.key}
        for name, value in item.body.items():
            if name != "key" and (with_steps or name not in STEP_LISTS):
                doc[name] = value
        doc.update(
            version=item.version,
            createdDate=item.created_date,
            modifiedDate=item.modified_date,
            lastPublishedDate=item.last_published_date,
            status=item.status,
            definitionId=item.definition_id,
            stats=dict(ZERO_STATS),
        )
        return doc

    # writes

    def create(self, body: Any) -> JourneyVersion:
        """POST: version 1 of a new key, or version N+1 when the key's latest is not a Draft."""
        check_save(body, ("key", "name", "workflowApiVersion"), self.config)
        key = body["key"]
        with self.store.transaction():
            journey_id = self.store.journey_id_for_key(key)
            if journey_id is None:
                journey_id = str(uuid.uuid4())
                number, definition_id = 1, journey_id
            else:
                latest = self.store.versions(journey_id)[-1]
                if latest.status == "Draft" and self.config.post_existing_draft == "error":
                    raise ApiError(400, DRAFT_EXISTS_MESSAGE, 30000)
                number, definition_id = latest.version + 1, str(uuid.uuid4())
            ms = self.store.next_modified_ms()
            item = JourneyVersion(
                journey_id=journey_id,
                version=number,
                key=key,
                definition_id=definition_id,
                status="Draft",
                created_date=format_ms(ms),
                modified_date=format_ms(ms),
                modified_ms=ms,
                last_published_date=NEVER_PUBLISHED,
                body=stored_body(body, previous=None),
            )
            self.store.save_version(item)
        return item

    def update(self, ref: JourneyRef | None, body: Any) -> JourneyVersion | None:
        """PUT with the modifiedDate compare-and-swap; None when nothing changed (304)."""
        check_save(body, ("key", "name", "workflowApiVersion", "version"), self.config)
        if ref is not None and ref.key is not None and ref.key != body["key"]:
            raise malformed("The key in the body does not match the key in the URL.")
        with self.store.transaction():
            journey_id = self._journey_id(ref or JourneyRef(key=body["key"]), PUT_NOT_FOUND)
            current = _find_version(self.store.versions(journey_id), body["version"])
            if current is None:
                raise not_found(PUT_NOT_FOUND)
            if current.key != body["key"]:
                raise malformed("The key in the body does not match the journey.")
            if current.status != "Draft":
                cfg = self.config
                raise ApiError(cfg.not_draft_status, NOT_DRAFT_MESSAGE, cfg.not_draft_errorcode)
            if not _same_modified_date(body.get("modifiedDate"), current):
                cfg = self.config
                raise ApiError(cfg.conflict_status, CONFLICT_MESSAGE, cfg.conflict_errorcode)
            new_body = stored_body(body, previous=current.body)
            if new_body == current.body:
                return None
            current.body = new_body
            self._touch(current)
        return current

    def delete(self, ref: JourneyRef, version: int | None) -> str:
        """Mark one version, or all of them, Deleted; returns the journey id."""
        with self.store.transaction():
            journey_id = self._journey_id(ref)
            targets = [
                v
                for v in self.store.versions(journey_id)
                if v.status != "Deleted" and (version is None or v.version == version)
            ]
            if not targets:
                raise not_found()
            for item in targets:
                item.status = "Deleted"
                self._touch(item)
        return journey_id

    def stop(self, ref: JourneyRef, version: int | None) -> list[int]:
        """Stop the given version, or every running one; returns the stopped version numbers."""
        with self.store.transaction():
            journey_id = self._journey_id(ref)
            live = [v for v in self.store.versions(journey_id) if v.status != "Deleted"]
            if version is not None:
                live = [v for v in live if v.version == version]
            if not live:
                raise not_found()
            targets = [v for v in live if v.status in STOPPABLE]
            if not targets:
                status = live[-1].status
                raise ApiError(400, f"Cannot stop interaction in {status} status.", 30000)
            for item in targets:
                item.status = "Stopped"
                self._touch(item)
        return [item.version for item in targets]

    def publish(self, ref: JourneyRef, version: int | None) -> PublishRequest:
        """publishAsync: queue the publish; it settles after ``publish_delay`` seconds."""
        with self.store.transaction():
            item = self.get(ref, version)
            if item.status != "Draft":
                message = f"Cannot publish interaction in {item.status} status."
                raise ApiError(400, message, 30000)
            request = PublishRequest(
                status_id=str(uuid.uuid4()),
                journey_id=item.journey_id,
                version=item.version,
                ready_at=time.time() + self.config.publish_delay,
                settled=False,
            )
            self.store.add_publish_request(request)
            if self.config.publish_delay <= 0:
                self._settle(request)
        return request

    def publish_status(self, status_id: str) -> dict[str, Any]:
        """The publishStatus answer for one request."""
        self.settle_due_publishes()
        request = self.store.publish_request(status_id)
        if request is None:
            raise not_found("Publish status not found.")
        if not request.settled:
            status = "PublishInProcess"
        else:
            status = "Error" if request.errors else "PublishCompleted"
        return {"statusId": status_id, "status": status, "errors": request.errors, "warnings": []}

    def settle_due_publishes(self) -> None:
        """Finish every publish whose delay has passed (called before each API request)."""
        if not self.store.due_publish_requests(time.time()):
            return
        with self.store.transaction():
            for request in self.store.due_publish_requests(time.time()):
                self._settle(request)

    def remote_edit(self, ref: JourneyRef, action: str, params: dict[str, Any]) -> JourneyVersion:
        """Change the latest Draft as "another user" would, bumping its modifiedDate."""
        with self.store.transaction():
            item = self.get(ref)
            if item.status != "Draft":
                raise ApiError(409, f"The latest version is {item.status}, not a Draft.", 409)
            try:
                edited = remote_edit.apply(copy.deepcopy(item.body), action, params)
            except ValueError as exc:
                raise ApiError(400, str(exc), 400) from exc
            item.body = stored_body(edited, previous=item.body)
            self._touch(item)
        return item

    def seed(self, body: dict[str, Any], *, published: bool = False) -> JourneyVersion | None:
        """Create a journey unless its key exists; optionally publish it on the spot (demo data)."""
        if self.store.journey_id_for_key(body["key"]) is not None:
            return None
        item = self.create(body)
        if published:
            with self.store.transaction():
                self._mark_published(item)
        return item

    # helpers

    def _journey_id(self, ref: JourneyRef, missing_message: str | None = None) -> str:
        if ref.key is not None:
            journey_id = self.store.journey_id_for_key(ref.key)
        elif ref.journey_id and self.store.versions(ref.journey_id):
            journey_id = ref.journey_id
        else:
            journey_id = None
        if journey_id is None:
            raise not_found(missing_message) if missing_message else not_found()
        return journey_id

    def _touch(self, item: JourneyVersion) -> None:
        item.modified_ms = self.store.next_modified_ms()
        item.modified_date = format_ms(item.modified_ms)
        self.store.save_version(item)

    def _settle(self, request: PublishRequest) -> None:
        item = _find_version(self.store.versions(request.journey_id), request.version)
        if item is None or item.status != "Draft":
            status = "Deleted" if item is None else item.status
            errors = [_publish_error(f"Cannot publish interaction in {status} status.", "30000")]
        else:
            errors = publish_errors(item, self.config)
        self.store.mark_publish_settled(request.status_id, errors)
        if item is not None and not errors:
            self._mark_published(item)

    def _mark_published(self, item: JourneyVersion) -> None:
        for other in self.store.versions(item.journey_id):
            if other.status == "Published" and other.version != item.version:
                other.status = "Unpublished"
                self._touch(other)
        item.status = "Published"
        item.last_published_date = format_seconds(self.store.next_modified_ms())
        self._touch(item)


def stored_body(body: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The body without server-owned fields, every trigger and activity carrying an id.

    What the server assigned to a step (its id, a wait's waitDefinitionId) survives a PUT that
    leaves it out, matched by the step's key: mcdev strips both before it PUTs.
    """
    stored = {
        name: copy.deepcopy(value) for name, value in body.items() if name not in SERVER_FIELDS
    }
    before_by_key = {
        (list_name, step.get("key")): step
        for list_name in STEP_LISTS
        for step in _steps(previous or {}, list_name)
    }
    for list_name in STEP_LISTS:
        for step in _steps(stored, list_name):
            before = before_by_key.get((list_name, step.get("key")), {})
            if not step.get("id"):
                step["id"] = before.get("id") or str(uuid.uuid4())
            _keep_wait_definition(step, before)
    return stored


def _keep_wait_definition(step: dict[str, Any], before: dict[str, Any]) -> None:
    arguments, old_arguments = step.get("arguments"), before.get("arguments")
    if not isinstance(arguments, dict) or not isinstance(old_arguments, dict):
        return
    if "waitDefinitionId" not in arguments and "waitDefinitionId" in old_arguments:
        arguments["waitDefinitionId"] = old_arguments["waitDefinitionId"]


def publish_errors(item: JourneyVersion, config: SimConfig | None = None) -> list[dict[str, Any]]:
    """Why this version cannot be published (an empty list when it can); see checks_publish.py."""
    return _check_publish(item.body, item.definition_id, config or SimConfig())


def _steps(body: dict[str, Any], list_name: str) -> list[dict[str, Any]]:
    steps = body.get(list_name)
    if not isinstance(steps, list):
        return []
    return [step for step in steps if isinstance(step, dict)]


def _find_version(versions: list[JourneyVersion], number: int) -> JourneyVersion | None:
    for item in versions:
        if item.version == number and item.status != "Deleted":
            return item
    return None


def _same_modified_date(sent: Any, current: JourneyVersion) -> bool:
    return sent == current.modified_date or parse_ms(sent) == current.modified_ms
