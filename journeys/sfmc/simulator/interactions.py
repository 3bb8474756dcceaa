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
* Publishing marks the previously Published version ``Unpublished``; what fails a publish, and
  the warnings it carries, are in checks.py. Publishing a non-Draft version is refused at once
  with mcdev's exact message, errorcode 30000.
* Stop without versionNumber stops every running version (Published, Paused, Unpublished).
* GET without ``extras`` (or with ``stats``) leaves out activities and triggers, like the list.
* GET without versionNumber answers the latest version, and 404 30003 "Interaction matching
  criteria not found." when that one is Deleted (mcdev #744), even if older ones are live.
* Deleting a running version is not refused. A key whose versions are all Deleted gets
  version N+1 (same id) on the next POST.
* Transactional journeys have one version, changed in place by POST or PUT (transactional.py).
* A POST or PUT gets the fields SFMC fills in (server_fields.py); every applied write adds an
  audit entry (audit.py), as "Another User" when made through /_sim or by the demo seed.

More UNVERIFIED choices are listed where they are made: checks.py (publish errors and warnings),
lifecycle.py (validate, pause, resume), audit.py, server_fields.py, config.py and app.py.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Any

from . import remote_edit, transactional
from .audit import ANOTHER_USER, Actor, AuditLog, api_user
from .checks import (
    EmailDates,
    check_version,
    split,
    status_answer,
    status_refused,
    step_list,
)
from .checks_save import check_save
from .clock import NEVER_PUBLISHED, format_ms, format_seconds, parse_ms
from .config import SimConfig
from .envelopes import ApiError, malformed, not_found
from .server_fields import fill_server_fields
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
        self.audit = AuditLog(store)
        # The catalog's modifiedDate of an email (by emailId), for the old-email warning.
        self.email_dates: EmailDates = lambda email_id: None

    # reads

    def get(self, ref: JourneyRef, version: int | None = None) -> JourneyVersion:
        """One version: the given one, else the latest; 404 when that one is Deleted."""
        with self.store.lock:
            versions = self.store.versions(self._journey_id(ref))
        if version is None:
            versions = versions[-1:]
        matches = [v for v in versions if version in (None, v.version) and v.status != "Deleted"]
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

    def create(self, body: Any, actor: Actor | None = None) -> JourneyVersion:
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
                if transactional.is_transactional(latest.body) and latest.status != "Deleted":
                    transactional.check_replaceable(latest, self.config)
                    latest.body = stored_body(body, previous=latest.body)
                    self._touch(latest)
                    return latest
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
                body=self._stored(body, previous=None),
            )
            self.store.save_version(item)
            self.audit.record(item, "Create", self.actor(actor))
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
            if transactional.is_transactional(current.body):
                transactional.check_editable(current, self.config)
            elif current.status != "Draft":
                cfg = self.config
                raise ApiError(cfg.not_draft_status, NOT_DRAFT_MESSAGE, cfg.not_draft_errorcode)
            if not _same_modified_date(body.get("modifiedDate"), current):
                cfg = self.config
                raise ApiError(cfg.conflict_status, CONFLICT_MESSAGE, cfg.conflict_errorcode)
            new_body = self._stored(body, previous=current.body)
            if new_body == current.body:
                return None
            current.body = new_body
            self._touch(current)
            self.audit.record(current, "Modify", self.actor(None))
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
                self.set_status(item, "Deleted", "Delete")
        return journey_id

    def stop(self, ref: JourneyRef, version: int | None, actor: Actor | None = None) -> list[int]:
        """Stop the given version, or every running one; returns the stopped version numbers."""
        return self.transition(ref, version, STOPPABLE, "Stopped", "Stop", actor)

    def transition(
        self,
        ref: JourneyRef,
        version: int | None,
        sources: tuple[str, ...],
        target: str,
        action: str,
        actor: Actor | None = None,
    ) -> list[int]:
        """Move the given version (every one when None) that is in one of ``sources`` to
        ``target``; 400 30000 "Cannot <action> interaction in <status> status." when none is."""
        with self.store.transaction():
            journey_id = self._journey_id(ref)
            live = [
                v
                for v in self.store.versions(journey_id)
                if v.status != "Deleted" and version in (None, v.version)
            ]
            if not live:
                raise not_found()
            targets = [v for v in live if v.status in sources]
            if not targets:
                message = f"Cannot {action.lower()} interaction in {live[-1].status} status."
                raise ApiError(400, message, 30000)
            for item in targets:
                self.set_status(item, target, action, actor)
        return [item.version for item in targets]

    def publish(
        self, ref: JourneyRef, version: int | None, actor: Actor | None = None
    ) -> PublishRequest:
        """publishAsync: queue the publish; it settles after ``publish_delay`` seconds."""
        with self.store.transaction():
            item, request = self.draft_request(ref, version, "publish")
            self.store.add_publish_request(request)
            self.audit.record(item, "Publish", self.actor(actor), request.status_id)
            if self.config.publish_delay <= 0:
                self._settle(request)
        return request

    def draft_request(
        self, ref: JourneyRef, version: int | None, verb: str
    ) -> tuple[JourneyVersion, PublishRequest]:
        """The Draft ``ref`` names and a request to publish or validate it after
        ``publish_delay``; 400 30000 "Cannot <verb> interaction in <status> status." otherwise."""
        item = self.get(ref, version)
        if item.status != "Draft":
            raise ApiError(400, f"Cannot {verb} interaction in {item.status} status.", 30000)
        request = PublishRequest(
            status_id=str(uuid.uuid4()),
            journey_id=item.journey_id,
            version=item.version,
            ready_at=time.time() + self.config.publish_delay,
            settled=False,
        )
        return item, request

    def publish_status(self, status_id: str) -> dict[str, Any]:
        """The publishStatus answer for one request."""
        self.settle_due_publishes()
        request = self.store.publish_request(status_id)
        if request is None:
            raise not_found("Publish status not found.")
        return status_answer(request, "Publish")

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
            item.body = self._stored(edited, previous=item.body)
            self._touch(item)
            self.audit.record(item, "Modify", ANOTHER_USER)
        return item

    def seed(self, body: dict[str, Any], *, published: bool = False) -> JourneyVersion | None:
        """Create a journey unless its key exists; optionally publish it on the spot (demo data)."""
        if self.store.journey_id_for_key(body["key"]) is not None:
            return None
        item = self.create(body, ANOTHER_USER)
        if published:
            with self.store.transaction():
                self._mark_published(item)
                request_id = str(uuid.uuid4())
                self.audit.record(item, "Publish", ANOTHER_USER, request_id, "PublishCompleted")
        return item

    def set_status(
        self, item: JourneyVersion, status: str, action: str, actor: Actor | None = None
    ) -> None:
        """Move one version to ``status`` and log it (call inside a store transaction)."""
        item.status = status
        self._touch(item)
        self.audit.record(item, action, self.actor(actor))

    def check(
        self, journey_id: str, number: int, verb: str
    ) -> tuple[JourneyVersion | None, list[dict[str, Any]]]:
        """The errors and warnings of publishing (or validating) one version now; the version
        is None when it is no longer a Draft."""
        item = _find_version(self.store.versions(journey_id), number)
        if item is None or item.status != "Draft":
            return None, [status_refused(verb, "Deleted" if item is None else item.status)]
        return item, check_version(item, self.config, self.email_dates)

    def journey_id(self, ref: JourneyRef) -> str:
        """The id of the journey ``ref`` names; 404 when there is none."""
        return self._journey_id(ref)

    # helpers

    def actor(self, actor: Actor | None) -> Actor:
        """``actor``, or the API user when None."""
        return actor or api_user(self.config.client_id)

    def _stored(self, body: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
        stored = stored_body(body, previous)
        fill_server_fields(stored, previous, self.config.default_category_id)
        return stored

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

    def touch(self, item: JourneyVersion) -> None:
        """Save a changed version with a new modifiedDate (call inside a store transaction)."""
        self._touch(item)

    def _touch(self, item: JourneyVersion) -> None:
        item.modified_ms = self.store.next_modified_ms()
        item.modified_date = format_ms(item.modified_ms)
        self.store.save_version(item)

    def _settle(self, request: PublishRequest) -> None:
        item, items = self.check(request.journey_id, request.version, "publish")
        errors = split(items)[0]
        self.store.mark_publish_settled(request.status_id, items)
        status = "Error" if errors else "PublishCompleted"
        self.audit.settle_publish(request.status_id, status, errors)
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
        for step in step_list(previous or {}, list_name)
    }
    for list_name in STEP_LISTS:
        for step in step_list(stored, list_name):
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


def _find_version(versions: list[JourneyVersion], number: int) -> JourneyVersion | None:
    for item in versions:
        if item.version == number and item.status != "Deleted":
            return item
    return None


def _same_modified_date(sent: Any, current: JourneyVersion) -> bool:
    return sent == current.modified_date or parse_ms(sent) == current.modified_ms
