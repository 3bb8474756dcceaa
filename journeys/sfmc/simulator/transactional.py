"""Transactional send journeys and send definitions: the rules, independent of HTTP and storage.

A transactional journey (``definitionType: "Transactional"``, channel ``email``, a trigger of type
``transactional-api`` and one EMAILV2 activity) has a single version that is always changed in
place (API notes §1.3). What the simulator does (from mcdev's Journey.js, its mocks and issues;
statuses and codes SFMC would use are UNVERIFIED unless said otherwise):

* POST of an existing transactional key replaces its version in place (setting
  ``post_existing_transactional`` "update"; "error" refuses it).
* PUT (and that POST) works on a Draft or Paused journey. A Published one is refused with mcdev's
  text "Cannot update transactional-send journey in Published status" (issue #2031), under the
  ``not_draft_status``/``not_draft_errorcode`` settings (409/409 by default): it is the docs'
  "running interaction" refusal, which clients already read as "pause or copy it first".
* ``transactional/create`` needs, on the email activity, ``metaData.highThroughput.definitionKey``
  (the send definition's key), ``metaData.highThroughput.dataExtensionId`` (a data extension of
  the business unit) and ``configurationArguments.triggeredSend.emailId`` (one of its emails);
  anything missing is one error item with errorCode "121500" (what mcdev matches on).
* The send definition it creates follows the messaging API's GET shape (mcdev's mocks):
  classification "Default Transactional", list "All Subscribers", ``journey.interactionKey``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from .catalog import Catalog
from .config import SimConfig
from .envelopes import ApiError
from .store import JourneyVersion

TRANSACTIONAL = "Transactional"
EDITABLE = ("Draft", "Paused")
MISSING_PARTS = "121500"
STATE_ERROR = 30000
EXISTS_MESSAGE = "A transactional send journey with this key exists; update it with PUT."
DEFINITION_STATUSES = {"active": "Active", "inactive": "Inactive"}
LEGACY_EMAIL_ID = "data.email.legacy.legacyId"


def is_transactional(body: dict[str, Any]) -> bool:
    return body.get("definitionType") == TRANSACTIONAL


def check_editable(item: JourneyVersion, config: SimConfig) -> None:
    """A PUT to a transactional journey: a Draft or a Paused one only."""
    if item.status not in EDITABLE:
        message = f"Cannot update transactional-send journey in {item.status} status"
        raise ApiError(config.not_draft_status, message, config.not_draft_errorcode)


def check_replaceable(item: JourneyVersion, config: SimConfig) -> None:
    """A POST naming an existing transactional journey's key."""
    if config.post_existing_transactional == "error":
        raise ApiError(400, EXISTS_MESSAGE, STATE_ERROR)
    check_editable(item, config)


def state_error(message: str, code: str = str(STATE_ERROR), status: int = 400) -> ApiError:
    """An error in both shapes SFMC uses: ``{message, errorcode}`` and ``errors[]``."""
    item = {"errorCode": code, "message": message}
    return ApiError(status, message, int(code), errors=[item])


@dataclass(frozen=True)
class Activation:
    """What a transactional journey's activation links: its email activity's send parts."""

    activity: dict[str, Any]
    definition_key: str
    data_extension: dict[str, Any]
    email: dict[str, Any]


def activation(body: dict[str, Any], catalog: Catalog) -> Activation:
    """The parts ``transactional/create`` needs, or ApiError 121500 naming the missing ones."""
    activities = [a for a in body.get("activities") or [] if isinstance(a, dict)]
    activity = next((a for a in activities if a.get("type") == "EMAILV2"), {})
    high_throughput = _object(_object(activity.get("metaData")).get("highThroughput"))
    send = _object(_object(activity.get("configurationArguments")).get("triggeredSend"))
    key = high_throughput.get("definitionKey")
    data_extension = catalog.soap_row(
        "DataExtension", "ObjectID", high_throughput.get("dataExtensionId")
    )
    email = catalog.email(LEGACY_EMAIL_ID, send.get("emailId"))
    missing = [
        name
        for name, found in (
            ("event definition key (metaData.highThroughput.definitionKey)", key),
            ("data extension (metaData.highThroughput.dataExtensionId)", data_extension),
            ("email (configurationArguments.triggeredSend.emailId)", email),
        )
        if not found
    ]
    if missing:
        raise state_error(f"The email activity lacks: {'; '.join(missing)}.", MISSING_PARTS)
    return Activation(activity, str(key), data_extension or {}, email or {})


def linked_definition_key(body: dict[str, Any]) -> str | None:
    """The send definition's key the email activity names: ``triggeredSendKey`` (set by the
    activation), else ``metaData.highThroughput.definitionKey`` (a PUT may leave the first out)."""
    for activity in body.get("activities") or []:
        config = _object(_object(activity).get("configurationArguments"))
        high_throughput = _object(_object(_object(activity).get("metaData")).get("highThroughput"))
        for key in (config.get("triggeredSendKey"), high_throughput.get("definitionKey")):
            if isinstance(key, str) and key:
                return key
    return None


def activated_definition(
    journey: JourneyVersion,
    parts: Activation,
    now: str,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """The send definition an activation creates (or refreshes, keeping id and createdDate)."""
    send = _object(_object(parts.activity.get("configurationArguments")).get("triggeredSend"))
    return _definition(
        key=parts.definition_key,
        name=str(journey.body.get("name") or parts.definition_key),
        description=str(journey.body.get("description") or ""),
        content_key=str(parts.email["customerKey"]),
        data_extension_key=str(parts.data_extension["CustomerKey"]),
        track_links=bool(send.get("isTrackingClicks", True)),
        journey_key=journey.key,
        now=now,
        previous=previous,
    )


def posted_definition(
    body: Any, catalog: Catalog, existing: list[dict[str, Any]], now: str
) -> dict[str, Any]:
    """``POST /messaging/v1/email/definitions``: the new definition, or ValueError saying why."""
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object.")
    key, name = body.get("definitionKey"), body.get("name")
    content_key = _object(body.get("content")).get("customerKey")
    for field_name, value in (("definitionKey", key), ("name", name)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{field_name} is required.")
    if any(d["definitionKey"] == key for d in existing):
        raise ValueError(f"A definition with definitionKey {key!r} already exists.")
    if any(d["name"] == name for d in existing):
        raise ValueError(f"A definition named {name!r} already exists; names must be unique.")
    if catalog.email("customerKey", content_key) is None:
        raise ValueError("content.customerKey must be the customer key of an email.")
    subscriptions = _object(body.get("subscriptions"))
    data_extension_key = subscriptions.get("dataExtension")
    if data_extension_key and not catalog.soap_row(
        "DataExtension", "CustomerKey", data_extension_key
    ):
        raise ValueError("subscriptions.dataExtension must be a data extension's key.")
    status = DEFINITION_STATUSES.get(str(body.get("status") or "active").lower())
    if status is None:
        raise ValueError("status must be active or inactive.")
    definition = _definition(
        key=str(key),
        name=str(name),
        description=str(body.get("description") or ""),
        content_key=str(content_key),
        data_extension_key=str(data_extension_key or ""),
        track_links=_object(body.get("options")).get("trackLinks", True) is not False,
        journey_key=str(_object(body.get("journey")).get("interactionKey") or ""),
        now=now,
        previous=None,
    )
    definition["status"] = status
    return definition


def definition_summary(definition: dict[str, Any]) -> dict[str, Any]:
    """A list item of ``GET /messaging/v1/email/definitions``."""
    fields = ("name", "definitionKey", "status", "createdDate", "modifiedDate")
    return {name: definition[name] for name in fields}


def _definition(
    *,
    key: str,
    name: str,
    description: str,
    content_key: str,
    data_extension_key: str,
    track_links: bool,
    journey_key: str,
    now: str,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    previous = previous or {}
    subscriptions: dict[str, Any] = {"list": "All Subscribers"}
    if data_extension_key:
        subscriptions["dataExtension"] = data_extension_key
    subscriptions.update(autoAddSubscriber=True, updateSubscriber=True)
    definition: dict[str, Any] = {
        "name": name,
        "definitionKey": key,
        "definitionId": previous.get("definitionId") or str(uuid.uuid4()),
        "description": description,
        "classification": "Default Transactional",
        "status": "Active",
        "createdDate": previous.get("createdDate") or now,
        "modifiedDate": now,
        "content": {"customerKey": content_key},
        "subscriptions": subscriptions,
        "options": {"trackLinks": track_links},
    }
    if journey_key:
        definition["journey"] = {"interactionKey": journey_key}
    return definition


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
