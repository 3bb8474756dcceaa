"""The journey document: plain dicts exactly as SFMC serves them, never reshaped.

Both dialects are handled the same way: the raw API (`GET /interaction/v1/interactions...`) and
the files Accenture's sfmc-devtools (mcdev) retrieves. Nothing here copies a document in a way
that reorders or drops fields, so a pull → no-op edit → push sends back what SFMC served.

Which fields a push strips, and where each list comes from (API notes §1.3 and §1.4):

* `READ_ONLY_FIELDS` (PUT): mcdev's `isUpdateable: false` list in Journey.definition.js —
  root `id`, `createdDate`, `lastPublishedDate`, `definitionId`, `stats`, `healthStats`,
  `r__folder_Path` (mcdev's own folder field), `triggers[].id`, `activities[].id` and
  `activities[].arguments.waitDefinitionId`. mcdev keeps `key`, `version`, `modifiedDate`,
  `status` (forced to "Draft"), `goals`/`exits` with their ids and `metaData`, and so do we.
  The documentation (putUpdateInteraction) also calls `modifiedDate` and `status` read-only,
  but `modifiedDate` is the concurrency token the PUT must carry, and mcdev sends `status`.
* `NOT_CREATEABLE_FIELDS` (POST): the PUT list plus `version`, `modifiedDate`, `status`
  (postCreateInteraction: server-assigned) and `activities[].configurationArguments.
  triggeredSendKey` / `triggeredSendId`, which mcdev's `isCreateable: false` list also strips
  so that SFMC creates fresh triggered sends for the new version.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import uuid
from typing import Any

from journeys.domain import topology
from journeys.domain.journey_items import new_entry_source

Journey = dict[str, Any]
# A field path; "*" means every item of the list at that point.
FieldPath = tuple[str, ...]

READ_ONLY_FIELDS: tuple[FieldPath, ...] = (
    ("id",),
    ("createdDate",),
    ("lastPublishedDate",),
    ("definitionId",),
    ("stats",),
    ("healthStats",),
    ("r__folder_Path",),
    ("triggers", "*", "id"),
    ("activities", "*", "id"),
    ("activities", "*", "arguments", "waitDefinitionId"),
)
NOT_CREATEABLE_FIELDS: tuple[FieldPath, ...] = (
    *READ_ONLY_FIELDS,
    ("version",),
    ("modifiedDate",),
    ("status",),
    ("activities", "*", "configurationArguments", "triggeredSendKey"),
    ("activities", "*", "configurationArguments", "triggeredSendId"),
)
# The journey-level fields the settings panel edits.
SETTINGS_FIELDS = (
    "name",
    "description",
    "entryMode",
    "definitionType",
    "channel",
    "executionMode",
    "workflowApiVersion",
    "categoryId",
    "defaults",
    "metaData",
)
_ENVELOPE_KEYS = frozenset({"count", "page", "pageSize"})


class DocumentError(ValueError):
    """A journey document cannot be read; `message` says why in plain language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _is_envelope(data: dict[str, Any]) -> bool:
    # A list response always has count/page/pageSize; `items` is absent when nothing matched.
    return "items" in data or data.keys() >= _ENVELOPE_KEYS


def load_journeys(data: object) -> list[Journey]:
    """Return the journeys in a single journey dict or in a list envelope, unchanged."""
    if not isinstance(data, dict):
        raise DocumentError(f"Expected a journey or a list of journeys, not {_kind(data)}.")
    if not _is_envelope(data):
        return [data]
    items = data.get("items", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        message = "The list of journeys has an 'items' field that is not a list of objects."
        raise DocumentError(message)
    return items


def parse_journey_json(text: str | bytes) -> Journey:
    """Parse the JSON text of one journey, raising DocumentError with a plain message.

    Costs little more than `json.loads`: what cannot be stored is looked for in the text, where
    C-speed searches find it (`_check_parsed`), and only a document that may hold it is walked.
    """
    try:
        if isinstance(text, bytes):  # as json.loads reads bytes: UTF-8, -16 or -32
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        elif text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _DECODER.decode(text)
    except DocumentError:
        raise
    except json.JSONDecodeError as error:
        raise DocumentError(
            f"This is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error
    except UnicodeDecodeError as error:
        raise DocumentError("This file is not text in UTF-8, UTF-16 or UTF-32.") from error
    except ValueError as error:  # a number longer than Python converts (4300 digits)
        raise DocumentError("This JSON has a number with too many digits to read.") from error
    except RecursionError as error:
        raise DocumentError(TOO_DEEP) from error
    if not isinstance(data, dict):
        raise DocumentError(f"Expected one journey (a JSON object), not {_kind(data)}.")
    _check_parsed(text, data)
    if _is_envelope(data):
        count = len(data["items"]) if isinstance(data.get("items"), list) else 0
        raise DocumentError(
            f"This is a list of {count} journeys as returned by the journey list API, "
            "not a single journey. Open one journey at a time."
        )
    return data


# Real journeys nest about 12 levels deep; far deeper input only exhausts the stack later.
MAX_NESTING = 100
TOO_DEEP = f"This JSON is nested more than {MAX_NESTING} levels deep; a journey never is."


def check_storable(data: object) -> None:
    """Raise DocumentError for what parses but cannot be hashed, stored or shown: nesting
    deeper than MAX_NESTING, numbers out of a float's range (1e400), lone surrogates ("\\ud800")
    and NUL characters (PostgreSQL refuses "\\u0000" in jsonb and text).
    """
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise DocumentError(TOO_DEEP)
        texts = [node] if isinstance(node, str) else []
        if isinstance(node, dict):
            texts = [key for key in node if isinstance(key, str)]
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
        if any("\x00" in text for text in texts):
            raise DocumentError("This JSON has a NUL character (\\u0000) in a text.")
    try:
        canonical_json(data).encode("utf-8")
    except UnicodeEncodeError as error:
        raise DocumentError(
            "This JSON has text that is not valid Unicode (a lone surrogate such as \\ud800)."
        ) from error
    except ValueError as error:
        raise DocumentError(NOT_A_NUMBER) from error


NOT_A_NUMBER = (
    "This JSON has a number JSON does not allow (NaN, Infinity, or too large, like 1e400)."
)


def _reject_constant(name: str) -> Any:
    raise DocumentError(f"This is not valid JSON: {name} is not a number JSON allows.")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # 1e400, or 400 digits before the point
        raise DocumentError(NOT_A_NUMBER)
    return number


# NaN and Infinity are refused as they are read, and so are floats out of range (1e400).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
# An escaped NUL or surrogate: the text may hold what check_storable refuses.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_CONTAINERS = (dict, list)


def _check_parsed(text: str, data: object) -> None:
    """check_storable for `data` just read from `text`, at a fraction of its cost.

    JSON text carries a NUL or a surrogate only as an escape (a raw control character is a
    syntax error), or, read from bytes, as a surrogate UTF-8 does not allow: the walk of
    check_storable runs only when the text holds either. Numbers were checked as they were read;
    what remains is the depth, measured one level at a time over the containers.
    """
    suspect = "\\u" in text and _SUSPECT_ESCAPE.search(text) is not None
    if suspect or not _is_utf8(text):
        check_storable(data)
        return
    level: list[Any] = [data]  # the containers at `depth`
    depth = 1
    while level:
        if depth == MAX_NESTING:  # what these hold would be deeper than allowed
            if any(level):
                raise DocumentError(TOO_DEEP)
            return
        inner: list[Any] = []
        for node in level:
            values = node.values() if type(node) is dict else node
            inner += [value for value in values if type(value) in _CONTAINERS]
        level, depth = inner, depth + 1


def _is_utf8(text: str) -> bool:
    """False when `text` holds a lone surrogate (read with "surrogatepass")."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text value"
    if value is None:
        return "null"
    return f"a single {type(value).__name__} value"


def items(doc: object, field: str) -> list[dict[str, Any]]:
    """The objects of a list field of `doc` (activities, triggers, goals, exits, outcomes...).

    Whatever is stored is read without raising: a missing field, a field that is not a list
    (`"goals": 5`) or an item that is not an object gives nothing; the validator says why."""
    found = doc.get(field) if isinstance(doc, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


class JourneyDocument:
    """Read-only accessors over a journey dict; the dict is used as is, never copied or changed."""

    def __init__(self, data: Journey) -> None:
        self.data = data

    def _list(self, field: str) -> list[dict[str, Any]]:
        return items(self.data, field)

    @property
    def name(self) -> str:
        """The journey's name, or "" when it has none."""
        name = self.data.get("name")
        return name if isinstance(name, str) else ""

    @property
    def key(self) -> str | None:
        """The journey's customer key."""
        key = self.data.get("key")
        return key if isinstance(key, str) else None

    @property
    def trigger(self) -> dict[str, Any] | None:
        """The entry source (the first trigger), or None."""
        triggers = self._list("triggers")
        return triggers[0] if triggers else None

    @property
    def activities(self) -> list[dict[str, Any]]:
        """The activities, in document order."""
        return self._list("activities")

    def activity(self, key: str) -> dict[str, Any] | None:
        """The first activity with this key, or None."""
        return next((item for item in self.activities if item.get("key") == key), None)

    def outcomes(self, activity_key: str) -> list[dict[str, Any]]:
        """The outcomes of an activity; empty when the activity is unknown or has none."""
        return items(self.activity(activity_key), "outcomes")

    @property
    def goals(self) -> list[dict[str, Any]]:
        """The goals (0 or 1 in practice)."""
        return self._list("goals")

    @property
    def exits(self) -> list[dict[str, Any]]:
        """The exit criteria (0 or 1 in practice)."""
        return self._list("exits")

    @property
    def settings(self) -> dict[str, Any]:
        """The journey-level settings present in the document (see SETTINGS_FIELDS)."""
        return {field: self.data[field] for field in SETTINGS_FIELDS if field in self.data}

    @property
    def root_key(self) -> str | None:
        """The key of the start activity (the one nothing points to), or None if empty."""
        return topology.start_key(self.data)


def canonical_json(doc: object) -> str:
    """Serialise with sorted keys and no whitespace: equal documents give equal text."""
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_hash(doc: object) -> str:
    """SHA-256 (hex) of the canonical JSON encoded as UTF-8: the document's content identity."""
    # surrogatepass: a lone surrogate escape ("\\ud800") is legal JSON and must hash, not fail.
    return hashlib.sha256(canonical_json(doc).encode("utf-8", "surrogatepass")).hexdigest()


def _strip(node: Any, path: FieldPath) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        for item in node if isinstance(node, list) else []:
            _strip(item, rest)
    elif isinstance(node, dict) and head in node:
        if rest:
            _strip(node[head], rest)
        else:
            del node[head]


def _without(doc: Journey, paths: tuple[FieldPath, ...]) -> Journey:
    body = copy.deepcopy(doc)
    for path in paths:
        _strip(body, path)
    return body


def put_body(doc: Journey, *, version: int, modified_date: str) -> Journey:
    """Build the body of a versioned PUT: the read-only fields stripped, the rest untouched.

    `modified_date` is sent exactly as given (it must equal the server's value).
    """
    body = _without(doc, READ_ONLY_FIELDS)
    body["version"] = version
    body["modifiedDate"] = modified_date
    body["status"] = "Draft"
    return body


def create_body(doc: Journey) -> Journey:
    """Build the body of a POST (a new journey, or a new version of an existing key)."""
    return _without(doc, NOT_CREATEABLE_FIELDS)


def minimal_journey(name: str, key: str | None = None) -> Journey:
    """A new, empty Multistep journey as Journey Builder starts one.

    It has an entry source that still needs configuring (a data extension entry, key TRIGGER)
    and no activity: Journey Builder starts with an empty canvas, and the first activity is
    dropped on the edge after the entry source. The key defaults to a new GUID.
    """
    return {
        "key": key or str(uuid.uuid4()),
        "name": name,
        "description": "",
        "workflowApiVersion": 1.0,
        "entryMode": "OnceAndDone",
        "definitionType": "Multistep",
        "channel": "",
        "executionMode": "Production",
        "triggers": [new_entry_source({"key": "TRIGGER"}, "EmailAudience")],
        "activities": [],
        "goals": [],
        "exits": [],
        "notifiers": [],
        "defaults": {"email": [], "properties": {}},
        "metaData": {"dataSource": "ContactsModel"},
    }
