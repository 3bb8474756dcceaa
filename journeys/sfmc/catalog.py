"""SFMC's own catalog, read through an SFMCClient: what the editor's pickers offer by name.

Emails come from Content Builder (``POST /asset/v1/content/assets/query``), entry events from
``/interaction/v1/eventDefinitions``, Contact Builder attribute sets from
``/contacts/v1/attributeSetDefinitions`` (absent on some tenants: a 404 is "not available"),
and data extensions, their fields, sender and delivery profiles and send classifications from a
SOAP ``Retrieve`` (journeys/sfmc/soap.py), paged with ``ContinueRequest``; MobileConnect's SMS
messages, keywords and codes from its undocumented listings (``fetch_mobile``). Every fetch
returns plain dicts of the fields the product keeps; no Django here.
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
# MobileConnect's listings, by the ref kind (domain.catalog_refs) whose ids they hold.
MOBILE_PATHS = {
    "sms_message": "/legacy/v1/beta/mobile/message/",
    "sms_keyword": "/legacy/v1/beta/mobile/keyword/",
    "sms_code": "/legacy/v1/beta/mobile/code/",
}
# The envelope of those listings (mcdev's recorded answers), against the REST one's names.
LEGACY_ENVELOPE = ("entry", "totalResults", "itemsPerPage")
SMS_TEXT_KEPT = 300  # characters of a message's text kept to say what it sends


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


def fetch_mobile(client: SFMCClient) -> list[dict[str, Any]] | None:
    """MobileConnect's SMS messages, keywords and short or long codes; None where the tenant
    answers 404 (no MobileConnect).

    SFMC documents no way to list them: the documented MobileConnect REST API (``/sms/v1/…``)
    creates keywords and sends messages, and no documented Content Builder asset type holds SMS
    messages. What lists them is ``/legacy/v1/beta/mobile/{message,keyword,code}/``, undocumented
    but what mcdev reads (its ``mobileMessage``, ``mobileKeyword``, ``mobileCode`` types); its
    ids are the ones SMS activities hold: fixture 02's ``messageId`` and ``keywordId`` are
    exactly the message and keyword of mcdev's recorded answers, and fixture 07's ``codeId`` has
    a code's form. UNVERIFIED: paging by ``$page``/``$pageSize`` like the other REST lists, the
    answer being ``{startIndex, itemsPerPage, totalResults, entry[]}`` (mcdev's recordings).

    A message keeps its own keyword and code, so that choosing it can fill them in. Newer
    Content Builder based activities (fixture 07, with an ``assetId``) hold a ``messageId`` of
    object type 625 ("1521:625:0"), the type of a listed message's ``messageObjectId``; a
    message is also known by that (``alias``; UNVERIFIED that the two forms meet).
    """
    try:
        return [
            _mobile_row(kind, item)
            for kind, path in MOBILE_PATHS.items()
            for item in _rest_pages(client, path, LEGACY_ENVELOPE)
        ]
    except NotFound:
        return None


def _mobile_row(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """One listed object: its id, name and what tells it apart (a message's text, the code a
    keyword is on, a code's kind and country), plus the code and keyword it belongs to."""
    code = item.get("code") if isinstance(item.get("code"), dict) else {}
    keyword = item.get("keyword") or item.get("nextKeyword")  # mcdev's recording: nextKeyword
    row = {
        "kind": kind,
        "object_id": _text(item.get("id")),
        "alias": "",
        "name": _text(item.get("name")),
        "detail": "",
        "code_id": _text(_dig(code, "id")),
        "keyword_id": _text(_dig(keyword, "id")),
    }
    if kind == "sms_message":
        row["alias"] = _text(item.get("messageObjectId"))
        row["detail"] = _text(item.get("text"))[:SMS_TEXT_KEPT]
    elif kind == "sms_keyword":
        row["name"] = _text(item.get("keyword"))
        number = _text(_dig(code, "code"))
        row["detail"] = f"on {number}" if number else ""
    else:
        row["name"], row["code_id"] = _text(item.get("code")), row["object_id"]
        words = "short code" if item.get("isShortCode") is True else "long code"
        country = _text(item.get("countryCode"))
        row["detail"] = f"{words} · {country}" if country else words
    return row


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


def _rest_pages(
    client: SFMCClient, path: str, envelope: tuple[str, str, str] = ("items", "count", "pageSize")
) -> Iterator[dict[str, Any]]:
    def page_at(number: int) -> Any:
        return client.get_json(path, {"$page": number, "$pageSize": REST_PAGE_SIZE})

    yield from _pages(page_at, path, envelope)


def _pages(
    page_at: Any, path: str, envelope: tuple[str, str, str] = ("items", "count", "pageSize")
) -> Iterator[dict[str, Any]]:
    """Items page by page until ``count`` is reached or a page comes back short or empty.

    ``envelope`` names the answer's list, total and page size."""
    items_name, count_name, size_name = envelope
    seen = 0
    for number in range(1, MAX_PAGES + 1):
        data = page_at(number)
        if not isinstance(data, dict) or not isinstance(data.get(items_name, []), list):
            raise RemoteError(f"SFMC answered {path} without a list of items.")
        items = [item for item in data.get(items_name) or [] if isinstance(item, dict)]
        yield from items
        seen += len(items)
        count, size = _int(data.get(count_name)), _int(data.get(size_name))
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
