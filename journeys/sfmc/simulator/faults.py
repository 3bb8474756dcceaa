"""Injected faults (a queue consumed per matching request) and the optional rate limiter.

Fault kinds and their parameters:

* ``latency`` ``seconds``: sleep, then answer normally.
* ``http_error`` ``status`` (500/502/503/504): answer with the 500-style envelope, change nothing.
* ``rate_limit`` ``seconds`` (Retry-After, default 5): 429 errorcode 50100, change nothing.
* ``drop``: close the connection without an answer, change nothing.
* ``lost_response`` ``seconds`` (default 0): apply the request (the write is committed), then
  hang ``seconds`` (e.g. past the client's read timeout) and close without an answer.
* ``redirect`` ``location``: 302 to ``location`` (the client must not follow it).
* ``malformed`` ``body`` (text), ``status`` (default 200), ``headers`` (name -> value): answer
  exactly that, change nothing; a broken or hostile SFMC (JSON nested 200,000 deep, "gzip" that
  is not, a token with a line break, a count that is not a number...).

``method`` ("*" or a verb) and ``path`` (an fnmatch pattern over the URL path, default "*") select
the requests; ``count`` is how many of them the fault hits. Faults never touch ``/_sim/``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import math
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from werkzeug.wrappers import Response

from .envelopes import DOCUMENTATION, json_response, server_error
from .store import Fault

FAULT_KINDS = (
    "latency",
    "http_error",
    "rate_limit",
    "drop",
    "lost_response",
    "redirect",
    "malformed",
)
ERROR_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    method: str
    path: str
    count: int
    params: dict[str, Any]


def parse_fault_spec(raw: Mapping[str, Any]) -> FaultSpec:
    """Check a fault request from the controls; raises ValueError with a readable reason."""
    kind = str(raw.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    method = str(raw.get("method") or "*").upper()
    path = str(raw.get("path") or "*")
    count = _number(raw.get("count", 1), "count", int)
    if count < 1:
        raise ValueError("count must be at least 1")
    params: dict[str, Any] = {}
    if kind in ("latency", "rate_limit", "lost_response"):
        default = 5.0 if kind == "rate_limit" else 0.0
        params["seconds"] = _number(raw.get("seconds", default), "seconds", float)
        if params["seconds"] < 0:
            raise ValueError("seconds must not be negative")
    if kind == "http_error":
        params["status"] = _number(raw.get("status", 500), "status", int)
        if params["status"] not in ERROR_STATUSES:
            raise ValueError(f"status must be one of {ERROR_STATUSES}")
    if kind == "redirect":
        params["location"] = str(raw.get("location") or "")
        if not params["location"]:
            raise ValueError("a redirect needs a location")
    if kind == "malformed":
        params.update(_malformed_answer(raw))
    return FaultSpec(kind, method, path, count, params)


def _malformed_answer(raw: Mapping[str, Any]) -> dict[str, Any]:
    body, headers = raw.get("body", ""), raw.get("headers") or {}
    status = _number(raw.get("status", 200), "status", int)
    if not isinstance(body, str):
        raise ValueError("body must be text")
    if not 200 <= status <= 599:
        raise ValueError("status must be between 200 and 599")
    if not isinstance(headers, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in headers.items()
    ):
        raise ValueError("headers must map names to text")
    return {"body": body, "status": status, "headers": headers}


def _number(value: Any, name: str, kind: type[int] | type[float]) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number") from exc


def matching_fault(faults: list[Fault], method: str, path: str) -> Fault | None:
    """The oldest fault that applies to this request, if any."""
    for fault in faults:
        if fault.method in ("*", method) and fnmatch.fnmatchcase(path, fault.path):
            return fault
    return None


def short_circuit_response(fault: Fault) -> Response | None:
    """The answer a fault gives instead of the real one (None when the request goes on)."""
    if fault.kind == "http_error":
        return server_error(int(fault.params["status"])).response()
    if fault.kind == "rate_limit":
        return rate_limited_response(float(fault.params["seconds"]))
    if fault.kind == "redirect":
        return Response("", status=302, headers={"Location": str(fault.params["location"])})
    if fault.kind == "malformed":
        return Response(
            str(fault.params["body"]),
            status=int(fault.params["status"]),
            headers={"Content-Type": "application/json", **fault.params["headers"]},
        )
    return None


def rate_limited_response(retry_after: float) -> Response:
    """429 with errorcode 50100, ``Retry-After`` header and ``retryAfter`` body field."""
    seconds = max(1, math.ceil(retry_after))
    body = {
        "message": "Rate limit exceeded",
        "errorcode": 50100,
        "retryAfter": seconds,
        "documentation": DOCUMENTATION,
    }
    return json_response(body, 429, headers={"Retry-After": str(seconds)})


def drop_connection(environ: Mapping[str, Any]) -> NoReturn:
    """Close the client's connection without an answer.

    Works with werkzeug's server, which exposes the socket and treats a ConnectionError raised by
    the application as a dropped connection (it then writes nothing).
    """
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("connection dropped by an injected fault")


class TokenBucket:
    """Allows ``capacity`` requests at once, refilled at ``per_second``; thread-safe."""

    def __init__(self, capacity: int, per_second: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self._tokens = float(capacity)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 if the request may go on, else the seconds until the next token."""
        with self._lock:
            now = time.monotonic()
            elapsed = now - self._updated
            self._tokens = min(self.capacity, self._tokens + elapsed * self.per_second)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.per_second
