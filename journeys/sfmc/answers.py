"""The shape of what the app reads from SFMC's answers, checked where an answer is parsed.

A field the app relies on that is missing, of the wrong type or out of range raises
``MalformedAnswer`` (a ``RemoteError`` with a plain message) here, so a broken or hostile SFMC
never reaches a page as a ``KeyError`` or ``ValueError``, nor the database as a number its
columns refuse. (How long the strings may be is checked against the model where they are
stored.)
"""

from __future__ import annotations

import re
from typing import Any

from .errors import MalformedAnswer

# The largest version or count a PostgreSQL integer column holds (and SFMC's own int32).
MAX_WHOLE_NUMBER = 2**31 - 1
# An SFMC id goes into URLs and forms: printable ASCII without a slash or a space.
_ID = re.compile(r"[!-.0-~]+")
# An access token goes into an Authorization header: printable ASCII, no space, no CR or LF.
_TOKEN = re.compile(r"[!-~]{1,8192}")
_TEXT_FIELDS = ("name", "status", "modifiedDate", "description")


def whole_number(value: Any, name: str, path: str, *, minimum: int = 0) -> int:
    """``value`` as an int between ``minimum`` and ``MAX_WHOLE_NUMBER`` (JSON ints only)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _malformed(path, f"its {name} is not a whole number")
    if not minimum <= value <= MAX_WHOLE_NUMBER:
        raise _malformed(path, f"its {name} is out of range")
    return int(value)


def access_token(data: Any, path: str) -> str:
    """The token of a token answer, only if it can be sent back as a header."""
    value = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise MalformedAnswer("The SFMC token endpoint answered without an access token.")
    if _TOKEN.fullmatch(value) is None:
        raise _malformed(path, "its access token has characters a token never has")
    return value


def optional_url(data: dict[str, Any], name: str, path: str) -> str:
    """A base URL the token answer may carry ("" when it does not); checked further as a host."""
    value = data.get(name)
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise _malformed(path, f"its {name} is not text")
    return value


def journey(data: dict[str, Any], path: str) -> dict[str, Any]:
    """A journey version as SFMC answers it: a key, a version, and text where text is read."""
    key = data.get("key")
    if not isinstance(key, str) or not key:
        raise _malformed(path, "a journey came without its key")
    whole_number(data.get("version"), "version", path, minimum=1)
    identifier = data.get("id")
    if identifier is not None and not (isinstance(identifier, str) and _ID.fullmatch(identifier)):
        raise _malformed(path, "a journey's id is not an SFMC id")
    for name in _TEXT_FIELDS:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise _malformed(path, f"a journey's {name} is not text")
    return data


def journey_list(data: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The items of a list answer, each a journey with an id (the page links to it)."""
    items = data.get("items")
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _malformed(path, "its items are not a list of journeys")
    for item in items:
        journey(item, path)
        if item.get("id") is None:
            raise _malformed(path, "a journey came without its id")
    return items


def _malformed(path: str, reason: str) -> MalformedAnswer:
    return MalformedAnswer(f"SFMC answered {path} with something this app cannot use: {reason}.")
