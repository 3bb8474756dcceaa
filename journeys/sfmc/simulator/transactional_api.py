"""HTTP side of transactional sends, in the business unit of the request's token.

* ``POST /interaction/v1/interactions/transactional/create`` ``{"definitionId": <journey id>}``:
  activates a Draft transactional journey → ``{"errors": []}``; it becomes Published and gets
  its send definition. A non-Draft one → 400 "Cannot publish interaction in <status> status."
* ``POST …/transactional/pause`` and ``…/resume`` ``{"definitionId"}``: Published ⇄ Paused, its
  send definition Inactive ⇄ Active → ``{"errors": []}``.
* ``GET /messaging/v1/email/definitions`` (``$page``, ``$pageSize``, ``$filter=status eq|neq
  active|inactive``) → ``{requestId, definitions[], count, page, pageSize}``;
  ``GET …/definitions/{definitionKey}`` → the definition; ``POST …/definitions`` → 201 with the
  new one. Errors: 404 unknown key, 400 a missing or unknown field, a taken key or name.

Rules and UNVERIFIED choices: see transactional.py. Not simulated: PATCH and DELETE of a
definition, ``options.createJourney``, sending messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from . import transactional
from .business_units import UnitState
from .clock import format_seconds
from .envelopes import ApiError, json_object_body, json_response, malformed
from .interactions import JourneyRef
from .requestlog import LogEntry
from .store import JourneyVersion

if TYPE_CHECKING:
    from .app import SimulatorApp

JOURNEY_ACTIONS = "/interaction/v1/interactions/transactional"
DEFINITIONS = "/messaging/v1/email/definitions"
STATUS_FILTER_OPERATORS = ("eq", "neq")

Handler = Callable[[Request, str, LogEntry], Response]


class TransactionalApi:
    """Routes and answers the transactional endpoints."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app

    def route(self, method: str, path: str) -> tuple[dict[str, Handler], str] | None:
        """The handlers for ``path`` by method (and the path segment they act on), or None."""
        actions: dict[str, Handler] = {
            "create": self._activate,
            "pause": self._pause,
            "resume": self._resume,
        }
        if path.startswith(JOURNEY_ACTIONS + "/"):
            action = path[len(JOURNEY_ACTIONS) + 1 :]
            return ({"POST": actions[action]}, action) if action in actions else None
        if path in (DEFINITIONS, DEFINITIONS + "/"):
            return {"GET": self._definitions, "POST": self._create_definition}, ""
        rest = path[len(DEFINITIONS) + 1 :]
        if path.startswith(DEFINITIONS + "/") and "/" not in rest:
            return {"GET": self._definition}, unquote(rest)
        return None

    # transactional journeys

    def _activate(self, request: Request, segment: str, entry: LogEntry) -> Response:
        unit = self.app.business_units.current()
        with unit.store.transaction():
            item = _transactional_journey(request, unit)
            if item.status != "Draft":
                raise transactional.state_error(
                    f"Cannot publish interaction in {item.status} status."
                )
            parts = transactional.activation(item.body, unit.catalog)
            now = format_seconds(unit.store.next_modified_ms())
            previous = unit.store.send_definition(parts.definition_key)
            definition = transactional.activated_definition(item, parts, now, previous)
            unit.store.save_send_definition(definition)
            # parts.activity is the activity inside item.body: the journey now names its send.
            config = parts.activity["configurationArguments"]
            config["triggeredSendKey"] = definition["definitionKey"]
            config["triggeredSendId"] = definition["definitionId"]
            item.status = "Published"
            unit.interactions.touch(item)
        entry.wrote(item)
        return json_response({"errors": []})

    def _pause(self, request: Request, segment: str, entry: LogEntry) -> Response:
        return self._switch(request, entry, ("pause", "Published", "Paused", "Inactive"))

    def _resume(self, request: Request, segment: str, entry: LogEntry) -> Response:
        return self._switch(request, entry, ("resume", "Paused", "Published", "Active"))

    def _switch(
        self, request: Request, entry: LogEntry, change: tuple[str, str, str, str]
    ) -> Response:
        """Move a journey from one status to another, and its send definition's status along."""
        verb, before, after, definition_status = change
        unit = self.app.business_units.current()
        with unit.store.transaction():
            item = _transactional_journey(request, unit)
            if item.status != before:
                raise transactional.state_error(
                    f"Cannot {verb} interaction in {item.status} status."
                )
            item.status = after
            unit.interactions.touch(item)
            key = transactional.linked_definition_key(item.body)
            definition = unit.store.send_definition(key) if key else None
            if definition is not None:
                definition["status"] = definition_status
                definition["modifiedDate"] = format_seconds(item.modified_ms)
                unit.store.save_send_definition(definition)
        entry.wrote(item)
        return json_response({"errors": []})

    # send definitions (messaging API)

    def _definitions(self, request: Request, segment: str, entry: LogEntry) -> Response:
        self.app.catalog_api.require_scope("email_read")
        page, size = self.app.catalog_api.paging(request)
        definitions = self.app.business_units.current().store.send_definitions()
        wanted = _status_filter(request.args.get("$filter"))
        matching = [d for d in definitions if wanted(d["status"])]
        chosen = matching[(page - 1) * size : page * size]
        return json_response(
            {
                "requestId": str(uuid.uuid4()),
                "definitions": [transactional.definition_summary(d) for d in chosen],
                "count": len(matching),
                "page": page,
                "pageSize": size,
            }
        )

    def _definition(self, request: Request, segment: str, entry: LogEntry) -> Response:
        self.app.catalog_api.require_scope("email_read")
        definition = self.app.business_units.current().store.send_definition(segment)
        if definition is None:
            raise ApiError(404, "Send definition not found.", 404)
        return json_response({"requestId": str(uuid.uuid4()), **definition})

    def _create_definition(self, request: Request, segment: str, entry: LogEntry) -> Response:
        self.app.catalog_api.require_scope("email_write")
        unit = self.app.business_units.current()
        body = json_object_body(request)
        with unit.store.transaction():
            now = format_seconds(unit.store.next_modified_ms())
            existing = unit.store.send_definitions()
            try:
                definition = transactional.posted_definition(body, unit.catalog, existing, now)
            except ValueError as exc:
                raise ApiError(400, str(exc), 400) from None
            unit.store.save_send_definition(definition)
        entry.applied, entry.key = True, definition["definitionKey"]
        return json_response({"requestId": str(uuid.uuid4()), **definition}, 201)


def _transactional_journey(request: Request, unit: UnitState) -> JourneyVersion:
    """The transactional journey the body's ``definitionId`` names, in the request's unit."""
    definition_id = json_object_body(request).get("definitionId")
    if not isinstance(definition_id, str) or not definition_id:
        raise malformed("definitionId is required.")
    item = unit.interactions.get(JourneyRef(journey_id=definition_id))
    if not transactional.is_transactional(item.body):
        raise transactional.state_error("The journey is not a transactional send journey.")
    return item


def _status_filter(text: str | None) -> Callable[[str], bool]:
    """``$filter=status eq active`` (or ``neq``), case-insensitive; none matches everything."""
    if not text:
        return lambda status: True
    parts = text.split()
    operator = parts[1].lower() if len(parts) == 3 else ""
    if parts[0].lower() != "status" or operator not in STATUS_FILTER_OPERATORS:
        raise malformed("$filter must be 'status eq <status>' or 'status neq <status>'.")
    wanted = parts[2].lower()
    if operator == "eq":
        return lambda status: status.lower() == wanted
    return lambda status: status.lower() != wanted
