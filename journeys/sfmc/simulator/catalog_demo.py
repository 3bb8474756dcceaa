"""The simulator's catalog: what the demo journeys refer to, plus generated bulk for benchmarks.

``demo_catalog`` is the parent business unit's, ``outlet_catalog`` the child's (what its demo
journey uses, and nothing of the parent's but the shared sender, delivery and classification
profiles). The ``BusinessUnit`` rows come from the configured units (business_units.py).

Consistent with demo.py by construction: every demo email activity's ``emailId`` is an email's
``legacyId`` (name and subject taken from the activity), the demo entry event's key is an event
definition whose data extension holds every field the demo journeys' filters and contact updates
use, and the sender/delivery profile and send classification ObjectIDs are the ones demo.py sends;
the demo SMS's message, keyword and short code are MobileConnect's (``mobile``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from . import demo

_NAMESPACE = uuid.UUID("2b7f9a4e-6c1d-4e8f-a3b5-0d9c8e7f6a51")
CREATED = "2024-03-04T09:15:00"
EMAIL_TYPES = {"htmlemail": 208, "templatebasedemail": 207, "textonlyemail": 209}

# (Name, FieldType, MaxLength or None, IsPrimaryKey)
MEMBER_FIELDS = (
    ("SubscriberKey", "Text", 254, True),
    ("Email", "EmailAddress", 254, False),
    ("FirstName", "Text", 100, False),
    ("LoyaltyTier", "Text", 20, False),
    ("Points", "Number", None, False),
    ("BirthDate", "Date", None, False),
    ("DaysSinceOpen", "Number", None, False),
    ("HasPurchased", "Boolean", None, False),
    ("CartOpen", "Boolean", None, False),
    ("HasRedeemed", "Boolean", None, False),
    ("IsMember", "Boolean", None, False),
    ("LastBirthdayOffer", "Date", None, False),
    ("PointsSynced", "Boolean", None, False),
    ("WonBack", "Boolean", None, False),
)
CART_FIELDS = (
    ("ContactKey", "Text", 254, True),
    ("Email", "EmailAddress", 254, False),
    ("CartTotal", "Decimal", None, False),
    ("CartUrl", "Text", 500, False),
)
PREHEADERS = {
    1101: "Here is what happens next.",
    1102: "Three things to try this week.",
    1103: "Your welcome gift is still waiting.",
    1201: "A gift worthy of our Gold members.",
    1202: "Something silver for your special day.",
    1203: "A little something for your birthday.",
    1301: "Your cart is saved for 48 hours.",
    1302: "Use code CART10 before it expires.",
    1501: "It has been a while. Here is what is new.",
    1502: "Tell us if you want to keep hearing from us.",
}
EXTRA_EMAILS = (  # (legacyId, type, name, subject, preheader): emails no demo journey uses
    (2001, "templatebasedemail", "Newsletter - June", "June news from the team", "Our picks."),
    (2002, "textonlyemail", "Password reset", "Reset your password", ""),
    (2003, "htmlemail", "Order confirmation", "Thanks for your order", "Your receipt inside."),
)


def guid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


@dataclass
class CatalogData:
    """Everything the catalog endpoints serve; rows are plain JSON-able dicts."""

    emails: list[dict[str, Any]] = field(default_factory=list)
    other_assets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    attribute_sets: list[dict[str, Any]] = field(default_factory=list)
    soap: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # MobileConnect's listings: "message", "keyword", "code" -> entries as mcdev recorded them.
    mobile: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add_soap(self, object_type: str, row: dict[str, Any]) -> None:
        self.soap.setdefault(object_type, []).append(row)


def asset(
    asset_id: int, legacy_id: int, kind: str, name: str, subject: str, pre: str
) -> dict[str, Any]:
    return {
        "id": asset_id,
        "customerKey": guid("asset", str(asset_id)),
        "objectID": guid("asset-object", str(asset_id)),
        "name": name,
        "assetType": {"id": EMAIL_TYPES[kind], "name": kind, "displayName": kind},
        "createdDate": CREATED,
        "modifiedDate": CREATED,
        "category": {"id": 4242, "name": "Journeys", "parentId": 0},
        "views": {"subjectline": {"content": subject}, "preheader": {"content": pre}},
        "data": {
            "email": {
                "options": {"characterEncoding": "utf-8"},
                "legacy": {
                    "legacyId": legacy_id,
                    "legacyKey": guid("legacy", str(legacy_id)),
                    "legacyType": "email",
                },
            }
        },
    }


def demo_emails() -> list[tuple[int, str, str]]:
    """(emailId, journey name, subject) of every email activity in the demo journeys."""
    found = []
    for build in demo.DEMO_JOURNEYS:
        journey = build()
        for step in journey["activities"]:
            if step["type"] == "EMAILV2":
                send = step["configurationArguments"]["triggeredSend"]
                found.append((send["emailId"], journey["name"], send["emailSubject"]))
    return found


def add_data_extension(
    data: CatalogData,
    object_id: str,
    key: str,
    name: str,
    fields: tuple[tuple[str, str, int | None, bool], ...],
    *,
    sendable: bool = True,
) -> None:
    data.add_soap(
        "DataExtension",
        {
            "ObjectID": object_id,
            "CustomerKey": key,
            "Name": name,
            "Description": "",
            "IsSendable": sendable,
            "IsTestable": False,
            "CategoryID": 4243,
            "CreatedDate": CREATED,
            "ModifiedDate": CREATED,
        },
    )
    for ordinal, (field_name, kind, length, primary) in enumerate(fields):
        data.add_soap(
            "DataExtensionField",
            {
                "ObjectID": guid("field", key, field_name),
                "CustomerKey": f"[{key}].[{field_name}]",
                "Name": field_name,
                "FieldType": kind,
                "IsPrimaryKey": primary,
                "IsRequired": primary,
                "MaxLength": length if length is not None else "",
                "Ordinal": ordinal,
                "Scale": 2 if kind == "Decimal" else 0,
                "DefaultValue": "",
                "DataExtension.CustomerKey": key,
            },
        )


def event(
    key: str, name: str, kind: str, de_id: str, de_name: str, fields: tuple[Any, ...]
) -> dict[str, Any]:
    return {
        "id": guid("event", key),
        "type": kind,
        "name": name,
        "description": "",
        "mode": "Production",
        "eventDefinitionKey": key,
        "dataExtensionId": de_id,
        "dataExtensionName": de_name,
        "sourceApplicationExtensionId": guid("source", kind),
        "createdDate": CREATED,
        "modifiedDate": CREATED,
        "isVisibleInPicker": True,
        "category": "Event",
        "interactionCount": 0,
        "publishedInteractionCount": 0,
        "schema": {
            "fields": [
                {
                    "key": f"Event.{key}.{field_name}",
                    "name": field_name,
                    "dataType": kind_,
                    "isPrimaryKey": primary,
                    "isNullable": not primary,
                    "maxLength": length,
                }
                for field_name, kind_, length, primary in fields
            ]
        },
    }


def _profiles(data: CatalogData) -> None:
    data.add_soap(
        "SenderProfile",
        {
            "ObjectID": demo.guid("sender-profile"),
            "CustomerKey": "default-sender",
            "Name": "Northwind Marketing",
            "Description": "Default sender",
            "FromName": "Northwind",
            "FromAddress": "hello@northwind.example",
        },
    )
    data.add_soap(
        "SenderProfile",
        {
            "ObjectID": guid("sender", "support"),
            "CustomerKey": "support-sender",
            "Name": "Northwind Support",
            "Description": "",
            "FromName": "Northwind Support",
            "FromAddress": "support@northwind.example",
        },
    )
    data.add_soap(
        "DeliveryProfile",
        {
            "ObjectID": demo.guid("delivery-profile"),
            "CustomerKey": "default-delivery",
            "Name": "Default delivery profile",
            "Description": "Shared IP, standard footer",
        },
    )
    data.add_soap(
        "SendClassification",
        {
            "ObjectID": demo.guid("send-classification"),
            "CustomerKey": "commercial",
            "Name": "Default Commercial",
            "Description": "Marketing messages",
            "SendClassificationType": "Marketing",
        },
    )
    data.add_soap(
        "SendClassification",
        {
            "ObjectID": guid("classification", "transactional"),
            "CustomerKey": "transactional",
            "Name": "Default Transactional",
            "Description": "Receipts and password resets",
            "SendClassificationType": "Operational",
        },
    )
    data.add_soap(
        "DataFolder",
        {
            "ID": 4243,
            "ObjectID": guid("folder", "4243"),
            "CustomerKey": "dataextension_default",
            "Name": "Data Extensions",
            "ContentType": "dataextension",
            "ParentFolder.ID": 0,
        },
    )
    # The demo journeys' folder (their categoryId, config.py's default_category_id) and the
    # list their email activities send to (publicationListId): every tenant's "All Subscribers".
    data.add_soap(
        "DataFolder",
        {
            "ID": 4242,
            "ObjectID": guid("folder", "4242"),
            "CustomerKey": "journey_default",
            "Name": "Journeys",
            "ContentType": "journey",
            "ParentFolder.ID": 0,
        },
    )
    data.add_soap(
        "List",
        {
            "ID": 201,
            "ObjectID": guid("list", "201"),
            "CustomerKey": "All Subscribers - 201",
            "ListName": "All Subscribers",
            "Description": "",
            "Category": 0,
            "Type": "Private",
            "ListClassification": "ExactTargetList",
        },
    )


def mobile_code(number: str, country: str, *, short: bool, code_id: str = "") -> dict[str, Any]:
    return {
        "id": code_id or demo.mobile_id(demo.guid_part("code", number), 81),
        "createdDate": CREATED,
        "lastUpdated": CREATED,
        "code": number,
        "countryCode": country,
        "codeType": "PRIVATE",
        "isShortCode": short,
        "keywordLimit": "Unlimited",
        "sendableCountries": [{"countryCode": country, "vendor": "CLX", "fromNameSupported": True}],
        "supportsConcatenation": True,
    }


def mobile_keyword(word: str, code: dict[str, Any], keyword_id: str = "") -> dict[str, Any]:
    return {
        "id": keyword_id or demo.mobile_id(demo.guid_part("keyword", word), 86),
        "createdDate": CREATED,
        "lastUpdated": CREATED,
        "code": code,
        "keyword": word,
        "status": "Active",
        "restriction": "NONE",
        "keywordType": "NORMAL",
        "isInherited": False,
    }


def mobile_message(
    number: int, name: str, text: str, keyword: dict[str, Any], code: dict[str, Any]
) -> dict[str, Any]:
    """A message as mcdev's recording has it: its keyword under ``nextKeyword``."""
    return {
        "id": demo.mobile_id(str(number), 78),
        "lastUpdated": CREATED,
        "type": "ExactTarget.Mobile.Sms.Core.Entities.SmsMessageEntity",
        "name": name,
        "text": text,
        "origin": "SMS Send",
        "code": code,
        "template": {"id": "Mzo4MDow", "name": "Outbound"},
        "status": "Active/Scheduled",
        "sendMethod": "API",
        "messageObjectId": demo.mobile_id(demo.guid_part("message", str(number)), 625),
        "nextKeyword": {key: keyword[key] for key in ("id", "keyword", "restriction")},
        "fromName": code["code"],
    }


def _mobile(data: CatalogData) -> None:
    short = mobile_code("55123", "US", short=True, code_id=demo.SMS_CODE_ID)
    long = mobile_code("447700900123", "GB", short=False)
    comeback = mobile_keyword("COMEBACK", short, demo.SMS_KEYWORD_ID)
    join, info = mobile_keyword("JOIN", short), mobile_keyword("INFO", long)
    data.mobile["code"] = [short, long]
    data.mobile["keyword"] = [comeback, join, info]
    data.mobile["message"] = [
        mobile_message(
            601,
            "Win-back - A last text",
            "We miss you! Reply COMEBACK for 15% off your next order.",
            comeback,
            short,
        ),
        mobile_message(
            602, "Welcome text", "Thanks for joining Northwind. Reply STOP to stop.", join, short
        ),
        mobile_message(603, "Order shipped", "Your order is on its way.", info, long),
    ]


def demo_catalog() -> CatalogData:
    """The catalog a fresh simulator serves."""
    data = CatalogData()
    for number, (email_id, journey, subject) in enumerate(demo_emails()):
        pre = PREHEADERS.get(email_id, "")
        data.emails.append(
            asset(40001 + number, email_id, "htmlemail", f"{journey} - {subject}", subject, pre)
        )
    for number, (legacy_id, kind, name, subject, pre) in enumerate(EXTRA_EMAILS):
        data.emails.append(asset(40101 + number, legacy_id, kind, name, subject, pre))
    data.other_assets.append(
        {
            **asset(40201, 0, "htmlemail", "Header image", "", ""),
            "assetType": {"id": 28, "name": "png", "displayName": "png"},
        }
    )
    members_id = demo.guid("members-de")
    add_data_extension(data, members_id, "Members", "Members", MEMBER_FIELDS)
    cart_id = guid("de", "cart")
    add_data_extension(data, cart_id, "CartEvents", "Cart events", CART_FIELDS)
    data.events.append(
        event(
            demo.EVENT_KEY, "Members entry", "EmailAudience", members_id, "Members", MEMBER_FIELDS
        )
    )
    cart_key = "APIEvent-" + guid("event", "cart")
    data.events.append(
        event(cart_key, "Cart abandoned", "APIEvent", cart_id, "Cart events", CART_FIELDS)
    )
    data.attribute_sets.append(
        {
            "id": guid("attribute-set", "Members"),
            "key": "Members",
            "name": {"value": "Members"},
            "attributes": [
                {
                    "id": guid("attribute", name),
                    "key": f"Members.{name}",
                    "name": {"value": name},
                    "dataType": kind,
                }
                for name, kind, _, _ in MEMBER_FIELDS
            ],
        }
    )
    _profiles(data)
    _mobile(data)
    return data


OUTLET_FIELDS = MEMBER_FIELDS[:3]


def outlet_catalog() -> CatalogData:
    """The child business unit's small catalog: one email, one data extension, one event."""
    data = CatalogData()
    subject = "Welcome to the Outlet"
    data.emails.append(
        asset(43101, demo.OUTLET_EMAIL_ID, "htmlemail", f"Outlet welcome - {subject}", subject, "")
    )
    members_id = demo.guid("outlet-members-de")
    add_data_extension(data, members_id, "OutletMembers", "Outlet members", OUTLET_FIELDS)
    data.events.append(
        event(
            demo.OUTLET_EVENT_KEY,
            "Outlet members entry",
            "EmailAudience",
            members_id,
            "Outlet members",
            OUTLET_FIELDS,
        )
    )
    _profiles(data)
    return data


def add_bulk(data: CatalogData, emails: int, data_extensions: int, fields: int = 8) -> None:
    """Append generated emails and data extensions (with ``fields`` fields each)."""
    start = len(data.emails)
    for n in range(start, start + emails):
        subject = f"Offer {n:05d}: this week's picks"
        data.emails.append(
            asset(100000 + n, 500000 + n, "htmlemail", f"Campaign email {n:05d}", subject, "")
        )
    start = len(data.soap.get("DataExtension", []))
    for n in range(start, start + data_extensions):
        key = f"BulkDE_{n:05d}"
        columns = tuple((f"Field{i:02d}", "Text", 100, i == 0) for i in range(fields))
        add_data_extension(data, guid("bulk-de", key), key, f"Audience {n:05d}", columns)
