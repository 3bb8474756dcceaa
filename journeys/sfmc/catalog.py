"""SFMC's own catalog, read through an SFMCClient: what the editor's pickers offer by name.

Emails come from Content Builder (``POST /asset/v1/content/assets/query``), entry events from
``/interaction/v1/eventDefinitions``, Contact Builder attribute sets from
``/contacts/v1/attributeSetDefinitions`` (absent on some tenants: a 404 is "not available"),
and data extensions, their fields, sender and delivery profiles and send classifications from a
SOAP ``Retrieve`` (journeys/sfmc/soap.py), paged with ``ContinueRequest``. Every fetch returns
plain dicts of the fields the product keeps; no Django here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from .client import SFMCClient
from .errors import NotFound, RemoteError
from .soap import RetrieveFilter, SoapError, parse_retrieve_response, retrieve_envelope

ASSET_QUERY_PATH = "/asset/v1/content/assets/query"
EVENT_DEFINITIONS_PATH = "/interaction/v1/eventDefinitions"
ATTRIBUTE_SETS_PATH = "/contacts/v1/attributeSetDefinitions"
EMAIL_ASSET_TYPES = ["htmlemail", "templatebasedemail", "textonlyemail"]
EMAIL_FIELDS = ["id", "customerKey", "name", "assetType", "modifiedDate", "views", "data"]
REST_PAGE_SIZE = 500
# Pages a fetch follows at most: 500 pages of 500 (or SOAP's 2,500) is far beyond any tenant;
# a server that never stops paging must not keep a worker forever.
MAX_PAGES = 500
DATA_EXTENSION_PROPERTIES = ["ObjectID", "CustomerKey", "Name", "IsSendable"]
FIELD_PROPERTIES = [
    "ObjectID",
    "Name",
    "FieldType",
    "IsPrimaryKey",
    "IsRequired",
    "MaxLength",
    "Ordinal",
    "DataExtension.CustomerKey",
]
PROFILE_PROPERTIES = ["ObjectID", "CustomerKey", "Name"]
PROFILE_TYPES = ("SenderProfile", "DeliveryProfile", "SendClassification")


def fetch_emails(client: SFMCClient, page_size: int = REST_PAGE_SIZE) -> list[dict[str, Any]]:
    """Every email asset: id, legacy id (what a journey's ``emailId`` holds), name, subject,
    preheader, customer key, modified date."""
    emails = []
    for item in _asset_pages(client, page_size):
        legacy = _dig(item, "data", "email", "legacy", "legacyId")
        emails.append(
            {
                "asset_id": _int(item.get("id")),
                "legacy_id": _int(legacy),
                "customer_key": _text(item.get("customerKey")),
                "name": _text(item.get("name")),
                "subject": _text(_dig(item, "views", "subjectline", "content")),
                "preheader": _text(_dig(item, "views", "preheader", "content")),
                "modified": _text(item.get("modifiedDate")),
            }
        )
    return emails


def fetch_event_definitions(client: SFMCClient) -> list[dict[str, Any]]:
    """Every entry event: key, name, type, its data extension and the fields of its schema."""
    events = []
    for item in _rest_pages(client, EVENT_DEFINITIONS_PATH):
        fields = _dig(item, "schema", "fields")
        events.append(
            {
                "event_id": _text(item.get("id")),
                "key": _text(item.get("eventDefinitionKey")),
                "name": _text(item.get("name")),
                "type": _text(item.get("type")),
                "data_extension_id": _text(item.get("dataExtensionId")),
                "data_extension_name": _text(item.get("dataExtensionName")),
                "fields": [_field_name(f) for f in fields] if isinstance(fields, list) else [],
            }
        )
    return [event for event in events if event["key"]]


def fetch_attribute_sets(client: SFMCClient) -> list[dict[str, Any]] | None:
    """Contact Builder attribute sets with their attributes; None where the tenant has none."""
    try:
        items = list(_rest_pages(client, ATTRIBUTE_SETS_PATH))
    except NotFound:
        return None
    return [
        {
            "key": _text(item.get("key") or item.get("id")),
            "name": _text(_dig(item, "name", "value")),
            "fields": [
                {"name": _text(_dig(a, "name", "value")), "type": _text(a.get("dataType"))}
                for a in item.get("attributes") or []
                if isinstance(a, dict)
            ],
        }
        for item in items
    ]


def fetch_data_extensions(client: SFMCClient) -> list[dict[str, Any]]:
    """Every data extension with its fields (two SOAP Retrieves, however many pages)."""
    fields_by_key: dict[str, list[dict[str, Any]]] = {}
    for row in retrieve_all(client, "DataExtensionField", FIELD_PROPERTIES):
        fields_by_key.setdefault(row.get("DataExtension.CustomerKey", ""), []).append(
            {
                "object_id": row.get("ObjectID", ""),
                "name": row.get("Name", ""),
                "type": row.get("FieldType", ""),
                "primary_key": row.get("IsPrimaryKey", "").lower() == "true",
                "ordinal": _int(row.get("Ordinal")) or 0,
            }
        )
    return [
        {
            "object_id": row.get("ObjectID", ""),
            "customer_key": row.get("CustomerKey", ""),
            "name": row.get("Name", ""),
            "sendable": row.get("IsSendable", "").lower() == "true",
            "fields": sorted(
                fields_by_key.get(row.get("CustomerKey", ""), []), key=lambda f: f["ordinal"]
            ),
        }
        for row in retrieve_all(client, "DataExtension", DATA_EXTENSION_PROPERTIES)
    ]


def fetch_profiles(client: SFMCClient, object_type: str) -> list[dict[str, str]]:
    """Sender profiles, delivery profiles or send classifications: object id, key, name."""
    return [
        {
            "object_id": row.get("ObjectID", ""),
            "customer_key": row.get("CustomerKey", ""),
            "name": row.get("Name", ""),
        }
        for row in retrieve_all(client, object_type, PROFILE_PROPERTIES)
    ]


def retrieve_all(
    client: SFMCClient,
    object_type: str,
    properties: Sequence[str],
    filter: RetrieveFilter | None = None,
) -> Iterator[dict[str, str]]:
    """Every object of a SOAP Retrieve, following ``MoreDataAvailable`` with ContinueRequest."""
    continue_from: str | None = None
    for _ in range(MAX_PAGES):
        build = partial(
            _envelope,
            object_type=object_type,
            properties=properties,
            filter=filter,
            continue_from=continue_from,
        )
        try:
            page = parse_retrieve_response(client.soap_post(build, "Retrieve"))
        except SoapError as exc:
            raise RemoteError(
                f"SFMC's SOAP answer for {object_type} was not usable: {exc}."
            ) from None
        yield from page.results
        if not page.more:
            return
        if not page.request_id:
            raise RemoteError(f"SFMC said more {object_type} objects exist but gave no RequestID.")
        continue_from = page.request_id
    raise RemoteError(f"SFMC kept paging {object_type} past {MAX_PAGES} pages; stopped.")


def _envelope(token: str, url: str, **retrieve: Any) -> bytes:
    return retrieve_envelope(token, url, **retrieve)


def _asset_pages(client: SFMCClient, page_size: int) -> Iterator[dict[str, Any]]:
    def page_at(number: int) -> Any:
        body = {
            "page": {"page": number, "pageSize": page_size},
            "query": {
                "property": "assetType.name",
                "simpleOperator": "in",
                "value": EMAIL_ASSET_TYPES,
            },
            "fields": EMAIL_FIELDS,
        }
        return client.query_json(ASSET_QUERY_PATH, body)

    yield from _pages(page_at, ASSET_QUERY_PATH)


def _rest_pages(client: SFMCClient, path: str) -> Iterator[dict[str, Any]]:
    def page_at(number: int) -> Any:
        return client.get_json(path, {"$page": number, "$pageSize": REST_PAGE_SIZE})

    yield from _pages(page_at, path)


def _pages(page_at: Any, path: str) -> Iterator[dict[str, Any]]:
    """Items page by page until ``count`` is reached or a page comes back short or empty."""
    seen = 0
    for number in range(1, MAX_PAGES + 1):
        data = page_at(number)
        if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
            raise RemoteError(f"SFMC answered {path} without a list of items.")
        items = [item for item in data.get("items") or [] if isinstance(item, dict)]
        yield from items
        seen += len(items)
        count, size = _int(data.get("count")), _int(data.get("pageSize"))
        if not items or (count is not None and seen >= count) or (size and len(items) < size):
            return
    raise RemoteError(f"SFMC kept paging {path} past {MAX_PAGES} pages; stopped.")


def _dig(value: Any, *names: str) -> Any:
    for name in names:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _field_name(field: Any) -> dict[str, str]:
    if not isinstance(field, dict):
        return {"name": _text(field), "type": ""}
    return {"name": _text(field.get("name") or field.get("key")), "type": _text(field.get("type"))}
