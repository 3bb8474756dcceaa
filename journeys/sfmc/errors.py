"""Typed failures of SFMC calls, built from every error envelope variant (API notes §2).

Every exception's ``str()`` is a plain-language sentence and never contains the client secret or
an access token (the client redacts them from anything the server echoes back).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

CONFLICT_TEXT = "another user recently modified"
# An activity key as Journey Builder names them: <UI-TYPE>-<n>, e.g. EMAILV2-1, WAITBYDURATION-2.
_ACTIVITY_KEY = re.compile(r"\b[A-Z][A-Z0-9]*-\d+\b")
_NOT_PUBLISHABLE = re.compile(r"cannot publish interaction in (\w+) status", re.IGNORECASE)
_MAX_MESSAGE = 500


class SFMCError(Exception):
    """An SFMC call failed; ``status`` is the HTTP status, ``errorcode`` SFMC's own code."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errorcode: int | None = None,
        messages: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errorcode = errorcode
        self.messages = list(messages)

    def __str__(self) -> str:
        return self.message


class HostNotAllowed(SFMCError):
    """A base URL (configured or served by the token endpoint) is not on the allow-list."""


class AuthError(SFMCError):
    """The credentials were refused, or a fresh token was still not accepted."""


class NotFound(SFMCError):
    """No such journey or version (404, errorcode 30003)."""


class VersionConflict(SFMCError):
    """The PUT's modifiedDate is stale: someone changed the journey since it was fetched."""


class DraftExists(VersionConflict):
    """A POST of a new version found that a Draft version already exists (someone made one)."""


class NotADraft(SFMCError):
    """The version is not a Draft, so it cannot be changed or published; create version N+1."""

    def __init__(self, message: str, *, remote_status: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.remote_status = remote_status


class RateLimited(SFMCError):
    """SFMC throttled the calls (429); ``retry_after`` seconds, when it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ValidationMessage:
    """One of SFMC's validation errors; ``activity_key`` when the answer names one."""

    message: str
    errorcode: int | None = None
    activity_key: str | None = None


class ValidationRejected(SFMCError):
    """SFMC refused the journey as invalid (400, errorcode 10006 or a validationErrors list)."""

    def __init__(self, message: str, *, problems: Sequence[ValidationMessage], **kwargs: Any):
        super().__init__(message, **kwargs)
        self.problems = list(problems)


class RemoteError(SFMCError):
    """SFMC or the network failed (5xx, connection errors, timeouts) after the allowed retries."""


class MalformedAnswer(RemoteError):
    """SFMC answered something this app cannot read: not JSON, nested too deep, a compression it
    did not use, or a field the app reads missing, of the wrong type or out of range."""


class SlowAnswer(RemoteError):
    """SFMC did not answer within the caller's deadline (an interactive request's few seconds)."""


class ResponseLost(RemoteError):
    """A write may or may not have been applied: the answer never arrived.

    Do not blindly send it again: fetch the journey and compare (for a PUT, a re-sent body would
    meet its own modifiedDate change and look like a conflict). ``key``, ``version`` and
    ``modified_date`` are what the lost request carried.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        key: str | None = None,
        version: int | None = None,
        modified_date: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.method = method
        self.path = path
        self.key = key
        self.version = version
        self.modified_date = modified_date


def error_from_response(
    response: requests.Response, *, method: str, path: str, redact: Sequence[str] = ()
) -> SFMCError:
    """The exception for an error answer; ``redact`` lists strings that must never appear."""
    body = _json_or_none(response)
    status = response.status_code
    errorcode = _errorcode(body)
    messages = [redacted(m, redact) for m in _messages(body, response.text)]
    summary = "; ".join(messages) or f"HTTP {status}"
    where = f"{method} {path}"
    common: dict[str, Any] = {"status": status, "errorcode": errorcode, "messages": messages}

    if status == 401:
        if isinstance(body, dict) and body.get("error") == "invalid_client":
            text = "SFMC refused the client id and secret (invalid_client); check the connection."
        else:
            text = f"SFMC did not accept the access token for {where}: {summary}"
        return AuthError(text, **common)
    if status == 429:
        retry_after = retry_after_seconds(response)
        return RateLimited(
            f"SFMC is rate limiting {where}: {summary}", retry_after=retry_after, **common
        )
    state_error = _version_state_error(method, summary, common)
    if state_error is not None:
        return state_error
    if status == 404 or errorcode == 30003:
        return NotFound(f"SFMC has no such journey or version ({where}): {summary}", **common)
    if errorcode == 10006 or (isinstance(body, dict) and body.get("validationErrors")):
        problems = _validation_messages(body, redact)
        return ValidationRejected(
            f"SFMC rejected the journey as invalid: {summary}", problems=problems, **common
        )
    if status >= 500:
        return RemoteError(f"SFMC failed on {where} (HTTP {status}): {summary}", **common)
    return SFMCError(f"SFMC refused {where} (HTTP {status}): {summary}", **common)


def _version_state_error(method: str, summary: str, common: dict[str, Any]) -> SFMCError | None:
    """Conflicts about which version may change: stale modifiedDate, not a Draft, Draft exists."""
    lowered = summary.lower()
    status, errorcode = common["status"], common["errorcode"]
    if method == "PUT" and (CONFLICT_TEXT in lowered or errorcode == 30000):
        return VersionConflict(
            f"Someone changed this journey in SFMC since it was fetched: {summary}", **common
        )
    if method == "PUT" and (status == 409 or errorcode == 409):
        return NotADraft(
            f"SFMC will not change this version, it is not a Draft: {summary}", **common
        )
    if (match := _NOT_PUBLISHABLE.search(summary)) is not None:
        return NotADraft(
            f"SFMC will not publish this version: {summary}", remote_status=match.group(1), **common
        )
    if method == "POST" and "draft version already exists" in lowered:
        return DraftExists(f"A Draft version of this journey already exists: {summary}", **common)
    return None


def retry_after_seconds(response: requests.Response) -> float | None:
    """Seconds from the Retry-After header, else the body's ``retryAfter``."""
    header = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    body = _json_or_none(response)
    value = body.get("retryAfter") if isinstance(body, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    return None


def json_body(response: requests.Response, path: str) -> Any:
    """The answer's JSON, or MalformedAnswer: the one place SFMC's bodies are parsed.

    A body nested deeper than the parser's recursion limit, a number of too many digits or an
    undecodable text all end here, never as an exception a page cannot handle."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        raise MalformedAnswer(
            f"SFMC answered {path} with something that is not readable JSON."
        ) from None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return json_body(response, "")
    except MalformedAnswer:
        return None


def _errorcode(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    value = body.get("errorcode", body.get("errorCode"))
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _messages(body: Any, text: str) -> list[str]:
    """mcdev's order: errors[] (split on <br />), then validationErrors[], then message."""
    if not isinstance(body, dict):
        # Cut generously: a secret across the cut would show in part once redacted.
        return [text.strip()[: 16 * _MAX_MESSAGE]] if text.strip() else []
    for list_name in ("errors", "validationErrors"):
        items = body.get(list_name)
        if isinstance(items, list) and items:
            found = [_item_message(item) for item in items]
            return [part for message in found for part in message.split("<br />") if part.strip()]
    for name in ("message", "error_description", "error"):
        if isinstance(body.get(name), str) and body[name].strip():
            return [body[name].strip()]
    return []


def _item_message(item: Any) -> str:
    if isinstance(item, dict):
        for name in ("message", "errorDetail", "errorMessage"):
            if isinstance(item.get(name), str):
                return str(item[name])
    return str(item)


def _validation_messages(body: Any, redact: Sequence[str]) -> list[ValidationMessage]:
    items = body.get("validationErrors") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        message = body.get("message", "") if isinstance(body, dict) else ""
        return [ValidationMessage(redacted(str(message), redact), _errorcode(body))]
    return [
        ValidationMessage(
            redacted(_item_message(item), redact), _errorcode(item), _activity_key(item)
        )
        for item in items
    ]


def _activity_key(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    info = item.get("additionalInfo")
    for holder in (item, info if isinstance(info, dict) else {}):
        for name in ("activityKey", "key"):
            if isinstance(holder.get(name), str) and holder[name]:
                return str(holder[name])
    match = _ACTIVITY_KEY.search(_item_message(item))
    return match.group(0) if match else None


def redacted(text: str, secrets: Sequence[str]) -> str:
    """``text`` without any of ``secrets`` in any spelling, cut to the message length.

    Every spelling is searched on its own and what any of them covers is replaced, so one
    spelling matching a part of another never leaves the rest of it showing."""
    spans = sorted(
        match.span() for pattern in secret_patterns(secrets) for match in pattern.finditer(text)
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, shown_from = [], 0
    for start, end in merged:
        parts += [text[shown_from:start], REDACTED]
        shown_from = end
    parts.append(text[shown_from:])
    return "".join(parts)[:_MAX_MESSAGE]


REDACTED = "[redacted]"
# Escapes that stand for one character: JSON's, Python repr's, JavaScript's.
_SHORT_ESCAPES = {
    '"': ['\\"'],
    "'": ["\\'"],
    "\\": ["\\\\"],
    "/": ["\\/"],
    "\n": ["\\n"],
    "\r": ["\\r"],
    "\t": ["\\t"],
    "\b": ["\\b"],
    "\f": ["\\f"],
    " ": ["+"],  # a form-encoded space (quote_plus)
    "&": ["&amp;"],
    "<": ["&lt;"],
    ">": ["&gt;"],
}
_BASE64_CORE_MIN = 8  # shorter pieces of base64 would match ordinary words


def secret_patterns(secrets: Sequence[str]) -> list[re.Pattern[str]]:
    """Regexes that together match each secret in every spelling an echo may use.

    Each character may be written plainly, JSON- or repr-escaped (``\\"``, ``\\u00e9``, a
    surrogate pair, ``\\x..``, ``\\U...``), percent-encoded (any case, ``+`` for a space) or as
    an HTML character reference, and spellings may mix. Base64 (standard and URL-safe, padded
    or not) is matched whole, and by the part that any position in a longer base64 text keeps
    (the client also passes ``client_id:secret``, a Basic credential). A JSON text quoted
    again in a message (escapes escaped) is matched too."""
    return [pattern for secret in dict.fromkeys(secrets) if secret for pattern in _patterns(secret)]


@functools.lru_cache(maxsize=32)
def _patterns(secret: str) -> tuple[re.Pattern[str], ...]:
    """The patterns of one secret, compiled once (a token's are long to compile)."""
    # An echo of an echo: the JSON text of a request quoted once more in a message.
    quoted = {json.dumps(secret, ensure_ascii=ascii)[1:-1] for ascii in (True, False)}
    sources = ["|".join(_base64_spellings(secret))]
    sources += [_any_spelling(text) for text in sorted({secret} | quoted)]
    return tuple(re.compile(source) for source in sources)


def _any_spelling(secret: str) -> str:
    return "".join(_char_spellings(char) for char in secret)


def _char_spellings(char: str) -> str:
    """A regex for one character in any of its spellings, the longest first (so a percent-encoded
    ``%`` is read as ``%25``, not as ``%`` then ``25``); hex digits in either case."""
    code = ord(char)
    data = char.encode("utf-8", "surrogatepass")
    units = [code] if code < 0x10000 else [0xD800 + (code - 0x10000) // 0x400]
    if code >= 0x10000:
        units.append(0xDC00 + (code - 0x10000) % 0x400)
    hex_forms = [
        "".join(rf"\\u{unit:04x}" for unit in units),
        "".join(f"%{byte:02x}" for byte in data),
        f"&#x0*{code:x};",
    ]
    if not char.isprintable():  # how Python's repr writes it
        hex_forms.append(rf"\\x{code:02x}" if code < 0x100 else rf"\\U{code:08x}")
    forms = [f"(?i:{'|'.join(hex_forms)})", f"&#0*{code};"]
    forms += [re.escape(form) for form in _SHORT_ESCAPES.get(char, [])]
    forms.append(re.escape(char))
    return "(?:" + "|".join(forms) + ")"


def _base64_spellings(secret: str) -> list[str]:
    data = secret.encode("utf-8", "surrogatepass")
    found: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        found |= {whole, whole.rstrip("=")}
        # Inside a longer base64 text the secret starts at byte offset 0, 1 or 2 of a group:
        # the groups wholly made of its bytes are the same whatever surrounds them.
        for offset in range(3):
            encoded = encode(b"\0" * offset + data).decode()
            first = 1 if offset else 0
            last = (offset + len(data)) // 3
            core = encoded[4 * first : 4 * last]
            if len(core) >= _BASE64_CORE_MIN:
                found.add(core)
    return [re.escape(form) for form in sorted(found, key=len, reverse=True)]
