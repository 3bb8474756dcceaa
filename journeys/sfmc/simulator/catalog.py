"""The catalog's queries, independent of HTTP: asset query, paged lists, SOAP Retrieve with paging.

One ``Catalog`` per business unit. State lives in memory (rebuilt by its ``build`` function, by
default the parent's demo catalog from catalog_demo.py, at start and on reset); bulk data added
for benchmarks is gone after a restart. SOAP continuation state is kept for the last
``MAX_OPEN_RETRIEVES`` requests, like a server that expires old RequestIDs.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import catalog_demo, soap
from .catalog_demo import CatalogData
from .soap_objects import SOAP_PROPERTIES

MAX_OPEN_RETRIEVES = 200
ASSET_MAX_PAGE_SIZE = 2500  # UNVERIFIED: Content Builder's documented default is 50.
ASSET_OPERATORS = ("equal", "equals", "notequal", "in", "like", "contains")


class QueryError(ValueError):
    """A request the catalog cannot answer (the HTTP layer maps it to SFMC's error shape)."""


@dataclass(frozen=True)
class RetrievePage:
    status: str  # OK | MoreDataAvailable | "Error: ..."
    request_id: str
    object_type: str
    rows: list[dict[str, Any]]


class Catalog:
    """Thread-safe catalog state of one simulator."""

    def __init__(self, build: Callable[[], CatalogData] = catalog_demo.demo_catalog) -> None:
        self._lock = threading.Lock()
        self._build = build
        self._data = build()
        self._open: OrderedDict[str, tuple[soap.RetrieveRequest, int]] = OrderedDict()

    def reset(self) -> None:
        with self._lock:
            self._data = self._build()
            self._open.clear()

    def add_bulk(self, emails: int, data_extensions: int, fields: int = 8) -> dict[str, int]:
        if min(emails, data_extensions, fields) < 0 or max(emails, data_extensions) > 100_000:
            raise ValueError("counts must be between 0 and 100000")
        with self._lock:
            catalog_demo.add_bulk(self._data, emails, data_extensions, fields)
            return self.counts()

    def counts(self) -> dict[str, int]:
        data = self._data
        return {
            "emails": len(data.emails),
            "eventDefinitions": len(data.events),
            "attributeSets": len(data.attribute_sets),
            **{f"mobile {kind}s": len(rows) for kind, rows in data.mobile.items()},
            **{name: len(rows) for name, rows in data.soap.items()},
        }

    @property
    def data(self) -> CatalogData:
        return self._data

    def email_modified_date(self, email_id: Any) -> str | None:
        """The modifiedDate of the email an EMAILV2 activity sends (its ``emailId`` is the
        asset's legacyId); None when the catalog has no such email."""
        with self._lock:
            for email in self._data.emails:
                if email["data"]["email"]["legacy"]["legacyId"] == email_id:
                    return str(email["modifiedDate"])
        return None

    # REST

    def query_assets(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /asset/v1/content/assets/query``."""
        page_spec = body.get("page") or {}
        if not isinstance(page_spec, dict):
            raise QueryError("page must be an object.")
        page = _positive(page_spec.get("page", 1), "page.page")
        size = min(_positive(page_spec.get("pageSize", 50), "page.pageSize"), ASSET_MAX_PAGE_SIZE)
        query = body.get("query")
        with self._lock:
            assets = self._data.emails + self._data.other_assets
        matching = [item for item in assets if _asset_matches(item, query)]
        fields = body.get("fields")
        chosen = matching[(page - 1) * size : page * size]
        items = [_project(item, fields) for item in chosen]
        return {"count": len(matching), "page": page, "pageSize": size, "items": items}

    def events_page(self, page: int, size: int) -> dict[str, Any]:
        with self._lock:
            events = list(self._data.events)
        return _envelope(events, page, size)

    def event(self, segment: str) -> dict[str, Any] | None:
        with self._lock:
            for item in self._data.events:
                if segment in (f"key:{item['eventDefinitionKey']}", item["id"]):
                    return dict(item)
        return None

    def attribute_sets_page(self, page: int, size: int) -> dict[str, Any]:
        with self._lock:
            sets = list(self._data.attribute_sets)
        return _envelope(sets, page, size)

    def mobile_page(self, kind: str, page: int, size: int) -> dict[str, Any]:
        """A page of MobileConnect's ``message``, ``keyword`` or ``code`` listing, in the envelope
        mcdev recorded (``startIndex`` counts from 0)."""
        with self._lock:
            rows = list(self._data.mobile.get(kind, []))
        chosen = rows[(page - 1) * size : page * size]
        start = (page - 1) * size
        return {
            "startIndex": start,
            "itemsPerPage": size,
            "totalResults": len(rows),
            "entry": chosen,
        }

    def delivery_policies(self) -> dict[str, Any]:
        """``/legacy/v1/beta/messaging/deliverypolicy/``: the delivery profiles in the envelope
        mcdev recorded. UNVERIFIED: SFMC's ``id`` there is an opaque base64 text whose relation
        to the profile's SOAP ObjectID is unknown; here it encodes the ObjectID."""
        with self._lock:
            rows = list(self._data.soap.get("DeliveryProfile", []))
        entries = [
            {
                "id": base64.b64encode(str(row["ObjectID"]).encode()).decode(),
                "key": row["CustomerKey"],
                "createdDate": f"{catalog_demo.CREATED}Z",
                "lastUpdated": f"{catalog_demo.CREATED}Z",
                "name": row["Name"],
                "description": row.get("Description", ""),
            }
            for row in rows
        ]
        return {"startIndex": 0, "itemsPerPage": 50, "totalResults": len(rows), "entry": entries}

    def email(self, dotted_field: str, value: Any) -> dict[str, Any] | None:
        """The email asset whose ``dotted_field`` (e.g. ``data.email.legacy.legacyId``) is value."""
        with self._lock:
            found = [item for item in self._data.emails if _path(item, dotted_field) == value]
        return dict(found[0]) if found else None

    def soap_row(self, object_type: str, prop: str, value: Any) -> dict[str, Any] | None:
        """The first SOAP row of ``object_type`` whose ``prop`` is value."""
        with self._lock:
            rows = self._data.soap.get(object_type, [])
            found = [row for row in rows if row.get(prop) == value]
        return dict(found[0]) if found else None

    # SOAP

    def retrieve(self, request: soap.RetrieveRequest, page_size: int) -> RetrievePage:
        """One page of a Retrieve (or of its continuation)."""
        with self._lock:
            if request.continue_request:
                opened = self._open.pop(request.continue_request, None)
                if opened is None:
                    return _error(request.object_type, "RequestID is unknown or has expired.")
                request, offset = opened
            else:
                offset = 0
                problem = self._check(request)
                if problem:
                    return _error(request.object_type, problem)
            rows = self._data.soap.get(request.object_type, [])
            try:
                matching = [row for row in rows if soap.matches(_texts(row), request.filter)]
            except ValueError as exc:
                return _error(request.object_type, str(exc))
            chosen = matching[offset : offset + page_size]
            request_id = str(uuid.uuid4())
            more = offset + page_size < len(matching)
            if more:
                self._open[request_id] = (request, offset + page_size)
                while len(self._open) > MAX_OPEN_RETRIEVES:
                    self._open.popitem(last=False)
        projected = [{p: row[p] for p in request.properties if p in row} for row in chosen]
        status = "MoreDataAvailable" if more else "OK"
        return RetrievePage(status, request_id, request.object_type, projected)

    def _check(self, request: soap.RetrieveRequest) -> str | None:
        if request.object_type not in SOAP_PROPERTIES:
            return f"Unable to retrieve objects of type {request.object_type or '(none)'}."
        if not request.properties:
            return "At least one property must be requested."
        known = SOAP_PROPERTIES[request.object_type]
        unknown = [p for p in request.properties if p not in known]
        if unknown:
            names = ", ".join(unknown)
            return (
                f"The Request Property(s) {names} do not match with the fields of "
                f"{request.object_type} retrieve"
            )
        return None


def _error(object_type: str, message: str) -> RetrievePage:
    return RetrievePage(f"Error: {message}", str(uuid.uuid4()), object_type, [])


def _texts(row: dict[str, Any]) -> dict[str, str]:
    return {name: soap.xml_value(value) for name, value in row.items()}


def _envelope(items: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
    chosen = items[(page - 1) * size : page * size]
    return {"count": len(items), "page": page, "pageSize": size, "links": {}, "items": chosen}


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise QueryError(f"{name} must be a positive integer.")
    try:
        number = int(value)
    except ValueError:
        raise QueryError(f"{name} must be a positive integer.") from None
    if number < 1:
        raise QueryError(f"{name} must be a positive integer.")
    return number


def _path(item: dict[str, Any], dotted: str) -> Any:
    value: Any = item
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _asset_matches(item: dict[str, Any], query: Any) -> bool:
    """Simple (``property``/``simpleOperator``/``value``) and complex (``leftOperand``/
    ``logicalOperator``/``rightOperand``) asset queries."""
    if query in (None, {}):
        return True
    if not isinstance(query, dict):
        raise QueryError("query must be an object.")
    if "leftOperand" in query:
        left = _asset_matches(item, query["leftOperand"])
        right = _asset_matches(item, query.get("rightOperand"))
        operator = str(query.get("logicalOperator", "")).upper()
        if operator not in ("AND", "OR"):
            raise QueryError("logicalOperator must be AND or OR.")
        return left and right if operator == "AND" else left or right
    operator = str(query.get("simpleOperator", "")).lower()
    if operator not in ASSET_OPERATORS or not isinstance(query.get("property"), str):
        raise QueryError("query needs a property and a supported simpleOperator.")
    value, wanted = _path(item, query["property"]), query.get("value")
    if operator == "in":
        return isinstance(wanted, list) and value in wanted
    if operator in ("like", "contains"):
        return str(wanted or "").strip("%").lower() in str(value or "").lower()
    equal = value == wanted or str(value) == str(wanted)
    return equal if operator in ("equal", "equals") else not equal


def _project(item: dict[str, Any], fields: Any) -> dict[str, Any]:
    """Only the asked-for top-level fields (a dotted field keeps its top-level part), plus id."""
    if not isinstance(fields, list) or not fields:
        return dict(item)
    wanted = {str(name).split(".", 1)[0] for name in fields} | {"id"}
    return {name: value for name, value in item.items() if name in wanted}
