"""An in-memory log of the API requests the simulator answered, for assertions and the controls."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from .store import JourneyVersion

MAX_ENTRIES = 10_000


@dataclass
class LogEntry:
    """One request. ``applied`` is true when it changed journeys (even if the answer was lost)."""

    seq: int
    at: float
    method: str
    path: str
    query: str
    status: int | None = None
    outcome: str = "pending"
    fault: str | None = None
    applied: bool = False
    journey_id: str | None = None
    key: str | None = None
    version: int | None = None
    modified_date: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def wrote(self, item: JourneyVersion) -> None:
        """Record that this request changed ``item`` (and to which modifiedDate)."""
        self.applied = True
        self.journey_id, self.key, self.version = item.journey_id, item.key, item.version
        self.modified_date = item.modified_date


class RequestLog:
    """Thread-safe, bounded to the last ``MAX_ENTRIES`` requests."""

    def __init__(self) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()
        self._seq = 0

    def start(self, method: str, path: str, query: str) -> LogEntry:
        with self._lock:
            self._seq += 1
            entry = LogEntry(seq=self._seq, at=time.time(), method=method, path=path, query=query)
            self._entries.append(entry)
        return entry

    def entries(self, method: str | None = None, applied: bool | None = None) -> list[LogEntry]:
        with self._lock:
            return [
                entry
                for entry in self._entries
                if (method is None or entry.method == method)
                and (applied is None or entry.applied == applied)
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
