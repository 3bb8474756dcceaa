"""The activity keys a journey's lineage has used, so a new activity never takes an old key.

Every saved revision and every fetched remote version records its activity keys
(`record_keys`, in the transaction that saves it); `lineage` reads them back for the editor
(the keys to avoid) and the merge and diff (the keys SFMC made, see diff.is_replaced).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journeys.lengths import max_length
from journeys.models import ActivityKey, Journey

# A longer key is never one the editor makes, and its row could not keep it.
KEY_LENGTH = max_length(ActivityKey, "key") or 0


def activity_keys(document: Any) -> dict[str, bool]:
    """{key: whether it carries an SFMC id} for the document's activities."""
    activities = document.get("activities") if isinstance(document, dict) else None
    found: dict[str, bool] = {}
    for activity in activities if isinstance(activities, list) else []:
        key = activity.get("key") if isinstance(activity, dict) else None
        if isinstance(key, str) and 0 < len(key) <= KEY_LENGTH:
            found.setdefault(key, bool(activity.get("id")))
    return found


def record_keys(journey_id: int, document: Any, *, recorded: Any = None) -> None:
    """Record the document's activity keys for the journey; a key seen before keeps its origin.

    `recorded` is a document whose keys were recorded already (the revision this one follows):
    only the keys it lacks are written, so a field edit writes none. Rows go in key order with
    ON CONFLICT DO NOTHING, so concurrent saves never fail and cannot deadlock on each other's
    rows.
    """
    known = activity_keys(recorded) if recorded is not None else {}
    rows = [
        ActivityKey(journey_id=journey_id, key=key, from_sfmc=from_sfmc)
        for key, from_sfmc in sorted(activity_keys(document).items())
        if key not in known
    ]
    if rows:
        ActivityKey.objects.bulk_create(rows, ignore_conflicts=True)


def with_base_ids(document: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """`document` whose activities without an SFMC id take the id of the base's activity with
    their key: an uploaded file of a journey we know is that journey's activities, even when
    the tool that wrote it stripped the ids (mcdev does). The input is left as it is."""
    ids = {key: item.get("id") for key, item in _keyed(base)}
    activities = document.get("activities")
    if not isinstance(activities, list):
        return document
    adopted = []
    for item in activities:
        key = item.get("key") if isinstance(item, dict) else None
        known = ids.get(key) if isinstance(key, str) else None
        adopted.append({**item, "id": known} if known and not item.get("id") else item)
    return {**document, "activities": adopted}


def _keyed(document: Any) -> list[tuple[str, dict[str, Any]]]:
    activities = document.get("activities") if isinstance(document, dict) else None
    items = activities if isinstance(activities, list) else []
    return [(i["key"], i) for i in items if isinstance(i, dict) and isinstance(i.get("key"), str)]


@dataclass(frozen=True)
class Lineage:
    """Every activity key the journey ever used, and those SFMC made."""

    taken: frozenset[str]
    sfmc_keys: frozenset[str]


def lineage(journey: Journey | int) -> Lineage:
    journey_id = journey if isinstance(journey, int) else journey.pk
    rows = ActivityKey.objects.filter(journey_id=journey_id).values_list("key", "from_sfmc")
    pairs = list(rows)
    return Lineage(
        taken=frozenset(key for key, _ in pairs),
        sfmc_keys=frozenset(key for key, from_sfmc in pairs if from_sfmc),
    )
