"""Where a journey refers to SFMC's catalog by id, and which of those ids the catalog lacks.

Email activities name their email by its legacy id (``triggeredSend.emailId``) and their sender
profile, delivery profile and send classification by ObjectID; update-contact and data extension
update activities name a data extension by ObjectID (or CustomerKey); an entry source names its
event definition by key (fixtures 01, 02, 04, 08, 12); SMS activities name their MobileConnect
message, keyword and short or long code by MobileConnect's ids (``messageId``, ``keywordId``,
``codeId``: fixtures 02, 07). Pure: the caller says what is known.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from journeys.domain.validate import Problem

SEND = ("configurationArguments", "triggeredSend")
# Ref kind -> what a person calls it.
KIND_WORDS = {
    "email": "email",
    "sender": "sender profile",
    "delivery": "delivery profile",
    "classification": "send classification",
    "data_extension": "data extension",
    "event": "entry event",
    "sms_message": "SMS message",
    "sms_keyword": "SMS keyword",
    "sms_code": "short or long code",
}
EMAIL_FIELDS = {
    "emailId": "email",
    "senderProfileId": "sender",
    "deliveryProfileId": "delivery",
    "sendClassificationId": "classification",
}
# An SMS activity's configurationArguments field -> the ref kind it holds. Its `assetId` (a
# Content Builder asset, fixture 07) is left out: no documented asset type lists SMS content.
SMS_FIELDS = {"messageId": "sms_message", "keywordId": "sms_keyword", "codeId": "sms_code"}
UPDATE_CONTACT_TYPES = ("UPDATECONTACTDATA", "UPDATECONTACTDATAV2")


@dataclass(frozen=True)
class Ref:
    """One id the journey holds: its kind, the id as text, where it is."""

    kind: str
    value: str
    path: str
    activity_key: str | None = None


def catalog_refs(document: Any) -> list[Ref]:
    """Every catalog id the journey refers to, in document order (empty values left out)."""
    return [ref for ref in _refs(document) if ref.value]


def _refs(document: Any) -> Iterator[Ref]:
    if not isinstance(document, dict):
        return
    for index, trigger in _items(document, "triggers"):
        meta = trigger.get("metaData")
        key = meta.get("eventDefinitionKey") if isinstance(meta, dict) else None
        yield Ref("event", _text(key), f"$.triggers[{index}].metaData.eventDefinitionKey")
    for index, activity in _items(document, "activities"):
        yield from _activity_refs(activity, f"$.activities[{index}]")


def _activity_refs(activity: dict[str, Any], where: str) -> Iterator[Ref]:
    key = _text(activity.get("key")) or None
    kind = _text(activity.get("type")).upper()
    config = activity.get("configurationArguments")
    config = config if isinstance(config, dict) else {}
    if kind == "EMAILV2":
        send = config.get("triggeredSend")
        send = send if isinstance(send, dict) else {}
        for field, ref_kind in EMAIL_FIELDS.items():
            path = f"{where}.configurationArguments.triggeredSend.{field}"
            yield Ref(ref_kind, _text(send.get(field)), path, key)
    elif kind == "SMSSYNC":
        for field, ref_kind in SMS_FIELDS.items():
            path = f"{where}.configurationArguments.{field}"
            yield Ref(ref_kind, _text(config.get(field)), path, key)
    elif kind == "DATAEXTENSIONUPDATE":
        path = f"{where}.configurationArguments.dataExtensionId"
        yield Ref("data_extension", _text(config.get("dataExtensionId")), path, key)
    elif kind in UPDATE_CONTACT_TYPES:
        data = activity.get("arguments")
        rows = _dig(data, "activityData", "updateContactFields")
        seen = set()
        for row_index, row in enumerate(rows if isinstance(rows, list) else []):
            value = _text(row.get("dataExtensionId")) if isinstance(row, dict) else ""
            if value and value not in seen:
                seen.add(value)
                path = f"{where}.arguments.activityData.updateContactFields[{row_index}]"
                yield Ref("data_extension", value, f"{path}.dataExtensionId", key)


def missing_refs(refs: list[Ref], known: Mapping[str, Collection[str]]) -> list[Problem]:
    """A warning for each id of a kind in ``known`` (a refreshed catalog) that it lacks.

    Kinds not in ``known`` are not judged: an unrefreshed catalog knows nothing is missing.
    """
    problems = []
    for ref in refs:
        if ref.kind in known and ref.value not in known[ref.kind]:
            words = KIND_WORDS[ref.kind]
            problems.append(
                Problem(
                    "warning",
                    "catalog-missing",
                    ref.path,
                    f"The {words} {ref.value} is not in SFMC's catalog (after the last refresh); "
                    f"choose another {words}.",
                    ref.activity_key,
                )
            )
    return problems


def _items(document: dict[str, Any], section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = document.get(section)
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            yield index, item


def _dig(value: Any, *names: str) -> Any:
    for name in names:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value).strip()
