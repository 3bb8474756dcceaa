"""Typed failures of SFMC calls, built from every error envelope variant (API notes §2).

Every exception's ``str()`` is a plain-language sentence and never contains the client secret or
an access token (the client redacts them from anything the server echoes back).
"""

from __future__ import annotations

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
        return [text.strip()[:_MAX_MESSAGE]] if text.strip() else []
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
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text[:_MAX_MESSAGE]


REDACTED = "[redacted]"
