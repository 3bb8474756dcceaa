"""The simulator's own SQLite storage: journey versions, tokens, publish and validate requests,
the audit log and faults.

One connection shared by all server threads, guarded by ``Store.lock`` (re-entrant): callers that
read, decide and write (the modifiedDate compare-and-swap) hold the lock across the whole step.

Journeys, tokens, publish requests and send definitions belong to one business unit (the ``mid``
column). A ``Store`` is a view bound to one business unit: it reads and writes only that unit's
rows (``for_business_unit`` gives the view of another over the same connection); faults, the
token expiry switch and ``wipe`` act on the whole file.

An older file (before business units) opens as it is: the missing ``mid`` columns are added with
the parent business unit's MID, so its journeys and tokens become the parent's.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import now_ms
from .config import DEFAULT_BUSINESS_UNITS

# publishAsync and validateAsync requests have one shape: ``errors`` holds warnings too.
_REQUEST_TABLE = """CREATE TABLE IF NOT EXISTS {} (
    status_id TEXT PRIMARY KEY,
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    ready_at REAL NOT NULL,
    settled INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL
);"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    key TEXT NOT NULL,
    definition_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_date TEXT NOT NULL,
    modified_date TEXT NOT NULL,
    modified_ms INTEGER NOT NULL,
    last_published_date TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (journey_id, version)
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
{publish_requests}
{validate_requests}
CREATE TABLE IF NOT EXISTS audit_entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    journey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    request_id TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS send_definitions (
    mid INTEGER NOT NULL,
    definition_key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (mid, definition_key)
);
CREATE INDEX IF NOT EXISTS audit_by_journey ON audit_entries (journey_id, version, action);
CREATE INDEX IF NOT EXISTS audit_by_request ON audit_entries (request_id);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    remaining INTEGER NOT NULL,
    params TEXT NOT NULL
);
""".format(
    publish_requests=_REQUEST_TABLE.format("publish_requests"),
    validate_requests=_REQUEST_TABLE.format("validate_requests"),
)
# Tables whose rows belong to one business unit; older files lack the column (see _migrate).
_UNIT_TABLES = ("versions", "tokens", "publish_requests", "validate_requests")
# Indexes needing the mid column, so they are made after the migration added it.
_UNIT_INDEXES = """
DROP INDEX IF EXISTS versions_by_key;
DROP INDEX IF EXISTS versions_listing;
CREATE INDEX IF NOT EXISTS versions_by_unit_key ON versions (mid, key, journey_id);
-- Covers the listing's ranking and sorting, so it never reads the large body column.
CREATE INDEX IF NOT EXISTS versions_unit_listing
    ON versions (mid, journey_id, version, status, modified_ms, name, key);
"""

TABLES = (
    "versions",
    "tokens",
    "publish_requests",
    "validate_requests",
    "audit_entries",
    "send_definitions",
    "faults",
)
# $orderBy field (lower-cased) → SQL; Performance has no data here, so it sorts like ModifiedDate.
ORDER_FIELDS = {
    "modifieddate": "sort_ms",
    "name": "sort_name COLLATE NOCASE",
    "performance": "sort_ms",
}

_VERSION_COLUMNS = (
    "journey_id, version, key, definition_id, status, name, description, created_date,"
    " modified_date, modified_ms, last_published_date, body"
)


@dataclass
class JourneyVersion:
    """One stored version; ``body`` is the journey JSON without the server-owned fields."""

    journey_id: str
    version: int
    key: str
    definition_id: str
    status: str
    created_date: str
    modified_date: str
    modified_ms: int
    last_published_date: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ListQuery:
    """Filters of ``GET /interactions``; ``None`` means "not filtered"."""

    page: int = 1
    page_size: int = 50
    order_field: str = "modifieddate"
    descending: bool = True
    status: str | None = None
    name_or_description: str | None = None
    journey_id: str | None = None
    key: str | None = None
    version: int | None = None
    most_recent_only: bool = True


@dataclass(frozen=True)
class PublishRequest:
    status_id: str
    journey_id: str
    version: int
    ready_at: float
    settled: bool
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Fault:
    id: int
    kind: str
    method: str
    path: str
    remaining: int
    params: dict[str, Any]


@dataclass
class _LastModified:
    """The latest modifiedDate handed out, shared by every business unit's view."""

    ms: int


class Store:
    """SQLite-backed state of one simulator; safe to share between server threads.

    ``business_unit`` is the MID this view reads and writes (the parent's for the first view).
    """

    def __init__(
        self, path: Path | str, business_unit: int = DEFAULT_BUSINESS_UNITS[0].mid
    ) -> None:
        self.lock = threading.RLock()
        self.business_unit = business_unit
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self.lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
            row = self._db.execute("SELECT MAX(modified_ms) FROM versions").fetchone()
            self._last = _LastModified(int(row[0] or 0))

    def _migrate(self) -> None:
        """Give a file from before business units its ``mid`` columns (rows go to this unit)."""
        for table in _UNIT_TABLES:
            columns = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if "mid" not in columns:
                self._db.execute(
                    f"ALTER TABLE {table} ADD COLUMN mid INTEGER NOT NULL"
                    f" DEFAULT {int(self.business_unit)}"
                )
        self._db.executescript(_UNIT_INDEXES)

    def for_business_unit(self, mid: int) -> Store:
        """The view of business unit ``mid`` over the same connection, lock and clock."""
        view = copy.copy(self)
        view.business_unit = mid
        return view

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and make every write inside one SQLite transaction."""
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def next_modified_ms(self) -> int:
        """A strictly increasing timestamp, so two writes never share a modifiedDate."""
        with self.lock:
            self._last.ms = max(now_ms(), self._last.ms + 1)
            return self._last.ms

    # journeys

    def journey_id_for_key(self, key: str) -> str | None:
        with self.lock:
            row = self._db.execute(
                "SELECT journey_id FROM versions WHERE mid = ? AND key = ? LIMIT 1",
                (self.business_unit, key),
            ).fetchone()
        return None if row is None else str(row[0])

    def versions(self, journey_id: str) -> list[JourneyVersion]:
        """Every version of a journey, oldest first, Deleted ones included."""
        with self.lock:
            rows = self._db.execute(
                f"SELECT {_VERSION_COLUMNS} FROM versions WHERE mid = ? AND journey_id = ?"
                " ORDER BY version",
                (self.business_unit, journey_id),
            ).fetchall()
        return [_version_from_row(row) for row in rows]

    def save_version(self, item: JourneyVersion) -> None:
        """Insert or replace one version row."""
        with self.lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO versions (mid, {_VERSION_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.business_unit,
                    item.journey_id,
                    item.version,
                    item.key,
                    item.definition_id,
                    item.status,
                    str(item.body.get("name") or ""),
                    str(item.body.get("description") or ""),
                    item.created_date,
                    item.modified_date,
                    item.modified_ms,
                    item.last_published_date,
                    json.dumps(item.body, separators=(",", ":")),
                ),
            )

    def list_versions(self, query: ListQuery) -> tuple[int, list[JourneyVersion]]:
        """The total number of matches and the requested page of them."""
        conditions, params = _list_conditions(query)
        where = " AND ".join(["mid = ?", *conditions])
        params = [self.business_unit, *params]
        latest_only = query.most_recent_only and query.version is None
        # Rank and sort on narrow columns, so the large body is only read for one page of rows.
        ranked = (
            "SELECT journey_id, version, modified_ms AS sort_ms, name AS sort_name,"
            " ROW_NUMBER() OVER (PARTITION BY journey_id ORDER BY version DESC) AS rn"
            f" FROM versions WHERE {where}"
        )
        matches = f"SELECT * FROM ({ranked}) WHERE rn = 1" if latest_only else ranked
        columns = ", ".join(f"v.{name.strip()}" for name in _VERSION_COLUMNS.split(","))
        offset = (query.page - 1) * query.page_size
        with self.lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM ({matches})", params).fetchone()[0]
            rows = self._db.execute(
                f"SELECT {columns} FROM (SELECT * FROM ({matches}) ORDER BY {_order(query)}"
                " LIMIT ? OFFSET ?) AS page JOIN versions AS v USING (journey_id, version)"
                f" ORDER BY {_order(query, 'page.')}",
                (*params, query.page_size, offset),
            ).fetchall()
        return int(total), [_version_from_row(row) for row in rows]

    def journey_ids(self) -> list[str]:
        """Every journey id, most recently modified first."""
        with self.lock:
            rows = self._db.execute(
                "SELECT journey_id FROM versions WHERE mid = ? GROUP BY journey_id"
                " ORDER BY MAX(modified_ms) DESC",
                (self.business_unit,),
            ).fetchall()
        return [str(row[0]) for row in rows]

    # tokens

    def add_token(self, token: str, client_id: str, lifetime: float) -> None:
        """A token bound to this view's business unit."""
        with self.lock:
            self._db.execute(
                "INSERT INTO tokens (token, client_id, expires_at, mid) VALUES (?, ?, ?, ?)",
                (token, client_id, time.time() + lifetime, self.business_unit),
            )

    def token_business_unit(self, token: str) -> int | None:
        """The MID a valid token is bound to (None when unknown or expired), whatever the view."""
        with self.lock:
            row = self._db.execute(
                "SELECT expires_at, mid FROM tokens WHERE token = ?", (token,)
            ).fetchone()
        if row is None or float(row["expires_at"]) <= time.time():
            return None
        return int(row["mid"])

    def token_is_valid(self, token: str) -> bool:
        return self.token_business_unit(token) is not None

    def expire_tokens(self) -> None:
        with self.lock:
            self._db.execute("UPDATE tokens SET expires_at = 0")

    # publish and validate requests (the same shape, one table each; errors holds warnings too)

    def add_publish_request(self, request: PublishRequest) -> None:
        self._add_request("publish_requests", request)

    def publish_request(self, status_id: str) -> PublishRequest | None:
        return self._request("publish_requests", status_id)

    def due_publish_requests(self, now: float) -> list[PublishRequest]:
        with self.lock:
            rows = self._db.execute(
                "SELECT * FROM publish_requests WHERE mid = ? AND settled = 0 AND ready_at <= ?"
                " ORDER BY ready_at",
                (self.business_unit, now),
            ).fetchall()
        return [_publish_from_row(row) for row in rows]

    def mark_publish_settled(self, status_id: str, errors: list[dict[str, Any]]) -> None:
        self._mark_settled("publish_requests", status_id, errors)

    def add_validate_request(self, request: PublishRequest) -> None:
        self._add_request("validate_requests", request)

    def validate_request(self, status_id: str) -> PublishRequest | None:
        return self._request("validate_requests", status_id)

    def mark_validate_settled(self, status_id: str, items: list[dict[str, Any]]) -> None:
        self._mark_settled("validate_requests", status_id, items)

    def _add_request(self, table: str, request: PublishRequest) -> None:
        with self.lock:
            self._db.execute(
                f"INSERT INTO {table} (status_id, journey_id, version, ready_at, errors, mid)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    request.status_id,
                    request.journey_id,
                    request.version,
                    request.ready_at,
                    json.dumps(request.errors),
                    self.business_unit,
                ),
            )

    def _request(self, table: str, status_id: str) -> PublishRequest | None:
        with self.lock:
            row = self._db.execute(
                f"SELECT * FROM {table} WHERE mid = ? AND status_id = ?",
                (self.business_unit, status_id),
            ).fetchone()
        return None if row is None else _publish_from_row(row)

    def _mark_settled(self, table: str, status_id: str, errors: list[dict[str, Any]]) -> None:
        with self.lock:
            self._db.execute(
                f"UPDATE {table} SET settled = 1, errors = ? WHERE status_id = ?",
                (json.dumps(errors), status_id),
            )

    # transactional send definitions (messaging API)

    def send_definitions(self) -> list[dict[str, Any]]:
        """This business unit's send definitions, oldest first."""
        with self.lock:
            rows = self._db.execute(
                "SELECT body FROM send_definitions WHERE mid = ? ORDER BY rowid",
                (self.business_unit,),
            ).fetchall()
        return [json.loads(row["body"]) for row in rows]

    def send_definition(self, definition_key: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute(
                "SELECT body FROM send_definitions WHERE mid = ? AND definition_key = ?",
                (self.business_unit, definition_key),
            ).fetchone()
        return None if row is None else dict(json.loads(row["body"]))

    def save_send_definition(self, definition: dict[str, Any]) -> None:
        """Insert or replace one, by its ``definitionKey``."""
        with self.lock:
            self._db.execute(
                "INSERT INTO send_definitions (mid, definition_key, body) VALUES (?, ?, ?)"
                " ON CONFLICT (mid, definition_key) DO UPDATE SET body = excluded.body",
                (self.business_unit, definition["definitionKey"], json.dumps(definition)),
            )

    # the audit log

    def add_audit_entry(
        self, journey_id: str, version: int, action: str, entry: dict[str, Any]
    ) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO audit_entries (journey_id, version, action, request_id, entry)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    journey_id,
                    version,
                    action,
                    str(entry.get("publishRequestId") or ""),
                    json.dumps(entry, separators=(",", ":")),
                ),
            )

    def update_audit_publish(self, request_id: str, changes: dict[str, Any]) -> None:
        """Merge ``changes`` into the entry of one publish request."""
        with self.lock:
            for seq, entry in self._db.execute(
                "SELECT seq, entry FROM audit_entries WHERE request_id = ?", (request_id,)
            ).fetchall():
                merged = json.dumps({**json.loads(entry), **changes}, separators=(",", ":"))
                self._db.execute("UPDATE audit_entries SET entry = ? WHERE seq = ?", (merged, seq))

    def audit_entries(
        self, journey_id: str, action: str | None, version: int | None, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many entries match, and one page of them, newest first."""
        where = "journey_id = ?"
        params: list[Any] = [journey_id]
        for column, value in (("action", action), ("version", version)):
            if value is not None:
                where += f" AND {column} = ?"
                params.append(value)
        with self.lock:
            total = self._db.execute(
                f"SELECT COUNT(*) FROM audit_entries WHERE {where}", params
            ).fetchone()[0]
            rows = self._db.execute(
                f"SELECT entry FROM audit_entries WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return int(total), [json.loads(row[0]) for row in rows]

    # faults

    def add_fault(
        self, kind: str, method: str, path: str, count: int, params: dict[str, Any]
    ) -> Fault:
        with self.lock:
            cursor = self._db.execute(
                "INSERT INTO faults (kind, method, path, remaining, params) VALUES (?, ?, ?, ?, ?)",
                (kind, method, path, count, json.dumps(params)),
            )
            fault_id = int(cursor.lastrowid or 0)
        return Fault(fault_id, kind, method, path, count, params)

    def faults(self) -> list[Fault]:
        with self.lock:
            rows = self._db.execute("SELECT * FROM faults ORDER BY id").fetchall()
        return [_fault_from_row(row) for row in rows]

    def consume_fault(self, fault_id: int) -> None:
        """Use up one occurrence of a fault; the last one removes it."""
        with self.lock:
            self._db.execute(
                "UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (fault_id,)
            )
            self._db.execute("DELETE FROM faults WHERE remaining <= 0")

    def clear_faults(self) -> None:
        with self.lock:
            self._db.execute("DELETE FROM faults")

    def wipe(self) -> None:
        """Forget everything: every table's rows."""
        with self.transaction():
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")


def _list_conditions(query: ListQuery) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if query.status is None:
        conditions.append("status != 'Deleted'")
    else:
        conditions.append("status = ?")
        params.append(query.status)
    if query.name_or_description:
        pattern = "%" + _escape_like(query.name_or_description) + "%"
        conditions.append("(name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')")
        params.extend([pattern, pattern])
    for column, value in (
        ("journey_id", query.journey_id),
        ("key", query.key),
        ("version", query.version),
    ):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    return conditions, params


def _order(query: ListQuery, prefix: str = "") -> str:
    direction = " DESC" if query.descending else " ASC"
    field = ORDER_FIELDS[query.order_field]
    return f"{prefix}{field}{direction}, {prefix}journey_id, {prefix}version"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _version_from_row(row: sqlite3.Row) -> JourneyVersion:
    return JourneyVersion(
        journey_id=row["journey_id"],
        version=row["version"],
        key=row["key"],
        definition_id=row["definition_id"],
        status=row["status"],
        created_date=row["created_date"],
        modified_date=row["modified_date"],
        modified_ms=row["modified_ms"],
        last_published_date=row["last_published_date"],
        body=json.loads(row["body"]),
    )


def _publish_from_row(row: sqlite3.Row) -> PublishRequest:
    return PublishRequest(
        status_id=row["status_id"],
        journey_id=row["journey_id"],
        version=row["version"],
        ready_at=row["ready_at"],
        settled=bool(row["settled"]),
        errors=json.loads(row["errors"]),
    )


def _fault_from_row(row: sqlite3.Row) -> Fault:
    return Fault(
        id=row["id"],
        kind=row["kind"],
        method=row["method"],
        path=row["path"],
        remaining=row["remaining"],
        params=json.loads(row["params"]),
    )
