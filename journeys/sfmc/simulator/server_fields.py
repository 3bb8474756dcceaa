"""The fields SFMC fills in when a POST or PUT leaves them out; what the client sent is kept.

Defaults and where they come from (shared/fixtures/sfmc-real):

* ``goals``/``exits``/``notifiers`` ``[]``, ``scheduledStatus`` "Draft", ``executionMode``
  "Production", ``description`` "": every real Multistep document.
* ``entryMode`` "NotSet" (fixtures 01, 04, 16), ``definitionType`` "Multistep", ``channel`` ""
  ("email" for Quicksend and Transactional, as in fixtures 03, 05, 20).
* ``defaults`` ``{}`` and ``metaData`` ``{}``: fixture 06, the raw API listing of a journey
  created by API. UNVERIFIED: what a GET of a journey POSTed without them shows.
* ``categoryId``: the configured ``default_category_id``; a PUT without one keeps the stored
  folder (UNVERIFIED, a folder move needs an explicit categoryId).
* each activity of a known type gets its ``schema`` (activity_schemas.py); each WAIT and STOWAIT
  gets ``arguments.waitDefinitionId`` (fixtures 07/08: STOWAIT carries one too), kept across
  PUTs that leave it out (stored_body) and new otherwise.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from .activity_schemas import schema_for

JOURNEY_DEFAULTS: dict[str, Any] = {
    "description": "",
    "goals": [],
    "exits": [],
    "notifiers": [],
    "entryMode": "NotSet",
    "definitionType": "Multistep",
    "defaults": {},
    "metaData": {},
    "executionMode": "Production",
    "scheduledStatus": "Draft",
}
EMAIL_CHANNEL_TYPES = ("Quicksend", "Transactional")
WAIT_TYPES = ("WAIT", "STOWAIT")


def fill_server_fields(
    stored: dict[str, Any], previous: dict[str, Any] | None, category_id: int
) -> None:
    """Add, in place, what SFMC adds to a journey body that lacks it."""
    for name, value in JOURNEY_DEFAULTS.items():
        stored.setdefault(name, copy.deepcopy(value))
    email = stored["definitionType"] in EMAIL_CHANNEL_TYPES
    stored.setdefault("channel", "email" if email else "")
    stored.setdefault("categoryId", (previous or {}).get("categoryId", category_id))
    activities = stored.get("activities")
    for step in activities if isinstance(activities, list) else []:
        if isinstance(step, dict):
            _fill_activity(step)


def _fill_activity(step: dict[str, Any]) -> None:
    schema = schema_for(step.get("type"))
    if schema is not None:
        step.setdefault("schema", schema)
    if step.get("type") in WAIT_TYPES:
        arguments = step.setdefault("arguments", {})
        if isinstance(arguments, dict):
            arguments.setdefault("waitDefinitionId", str(uuid.uuid4()))
