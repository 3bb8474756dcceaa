"""Demo journeys for the simulator, shaped like real SFMC documents (see the API notes §5).

Together they use waits by duration and by attribute, decision, random and engagement splits,
emails, an SMS, contact updates, a REST custom activity, a goal and exit criteria. They live in
the parent business unit; the child unit gets ``CHILD_DEMO_JOURNEYS``, one journey whose key is
also a parent journey's key (keys are unique per business unit only), on its own event and email.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .interactions import Interactions

_NAMESPACE = uuid.UUID("6f1d3a52-3c1e-4b1e-9a53-5a0f2b7c9d10")
EVENT_KEY = "DEAudience-5b0c1f7e-2d41-4c6a-9e0b-7a1d3c5e9f21"
OUTLET_EVENT_KEY = "DEAudience-8c4e2a10-7b3f-4d5e-a1c9-2f6b8d0e4a73"
OUTLET_EMAIL_ID = 3101


def guid(*parts: str) -> str:
    """Stable GUIDs, so the demo is the same on every machine (the catalog reuses them)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def mobile_id(local: str, object_type: int) -> str:
    """A MobileConnect id as SFMC writes them: "<local>:<object type>:0" in unpadded base64
    (fixture 02's messageId "NTIzOjc4OjA" is "523:78:0"; keywords are type 86 and codes 81, their
    local part a GUID's bytes in base64url, as in mcdev's recorded keyword and its decodedId)."""
    return base64.urlsafe_b64encode(f"{local}:{object_type}:0".encode()).decode().rstrip("=")


def guid_part(*parts: str) -> str:
    """The local part of a keyword's or code's id: a stable GUID's bytes in base64url."""
    return base64.urlsafe_b64encode(uuid.UUID(guid(*parts)).bytes_le).decode().rstrip("=")


# The SMS the demo sends: a MobileConnect message on keyword COMEBACK of short code 55123.
SMS_MESSAGE_ID = mobile_id("601", 78)
SMS_KEYWORD_ID = mobile_id(guid_part("keyword", "COMEBACK"), 86)
SMS_CODE_ID = mobile_id(guid_part("code", "55123"), 81)


def _filter(field: str, operator: str, value: str) -> str:
    return (
        '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter '
        f'Grouping"><Condition Key="{field}" Operator="{operator}" UiMetaData="{{}}">'
        f"<Value><![CDATA[{value}]]></Value></Condition></ConditionSet></FilterDefinition>"
    )


def _outcome(key: str, next_key: str | None, **arguments: Any) -> dict[str, Any]:
    outcome: dict[str, Any] = {"key": key, "arguments": arguments, "metaData": {"invalid": False}}
    if next_key:
        outcome["next"] = next_key
    return outcome


def _step(journey: str, key: str, kind: str, name: str, **fields: Any) -> dict[str, Any]:
    """An activity; a single onward path is given as ``next`` (None ends the path)."""
    outcomes = fields.pop("outcomes", None)
    if outcomes is None:
        outcomes = [_outcome(guid(journey, key, "out"), fields.pop("next", None))]
    return {
        "key": key,
        "name": name,
        "description": "",
        "type": kind,
        "outcomes": outcomes,
        "arguments": fields.pop("arguments", {}),
        "configurationArguments": fields.pop("config", {}),
        "metaData": {"isConfigured": True, **fields.pop("meta", {})},
    }


def _wait(journey: str, key: str, amount: int, unit: str, next_key: str | None) -> dict[str, Any]:
    return _step(
        journey,
        key,
        "WAIT",
        f"Wait {amount} {unit.lower().removesuffix('s') if amount == 1 else unit.lower()}",
        next=next_key,
        config={"waitDuration": amount, "waitUnit": unit},
        meta={"uiType": "WAITBYDURATION", "waitType": "duration"},
    )


def _email(
    journey: str, key: str, subject: str, email_id: int, next_key: str | None
) -> dict[str, Any]:
    return _step(
        journey,
        key,
        "EMAILV2",
        subject,
        next=next_key,
        config={
            "applicationExtensionKey": "jb-email-activity",
            "triggeredSend": {
                "emailId": email_id,
                "emailSubject": subject,
                "preHeader": "",
                "senderProfileId": guid("sender-profile"),
                "deliveryProfileId": guid("delivery-profile"),
                "sendClassificationId": guid("send-classification"),
                "publicationListId": 201,
                "suppressionLists": [],
                "domainExclusions": [],
                "exclusionFilter": "",
                "isMultipart": True,
                "isTrackingClicks": True,
                "priority": 4,  # numeric in every real document (mcdev refuses "Medium")
            },
            "isModified": False,
        },
        meta={"category": "message", "version": "3.0", "isConfigured": True},
    )


def _update_contact(journey: str, key: str, field: str, value: str) -> dict[str, Any]:
    return _step(
        journey,
        key,
        "UPDATECONTACTDATA",
        f"Set {field}",
        arguments={
            "activityData": {
                "updateContactFields": [
                    {"dataExtensionId": guid("members-de"), "field": field, "value": value}
                ]
            },
            "contactKey": "{{Contact.Key}}",
        },
        config={"isActivityBatchValidated": False},
    )


def _sms(journey: str, key: str, name: str, next_key: str | None) -> dict[str, Any]:
    """An SMS shaped like fixture 02's (plus fixture 07's codeId)."""
    return _step(
        journey,
        key,
        "SMSSYNC",
        name,
        next=next_key,
        arguments={
            "contactKey": "{{Contact.Key}}",
            "defaultSMSAddress": "{{Contact.Default.SMS}}",
            "mobileNumber": "{{InteractionDefaults.MobileNumber}}",
        },
        config={
            "messageId": SMS_MESSAGE_ID,
            "keywordId": SMS_KEYWORD_ID,
            "codeId": SMS_CODE_ID,
            "isOptIn": False,
            "honorBlackoutWindowEnum": 0,
            "applicationExtensionKey": "jb-mobile-connect-send-sms-sync",
        },
        meta={"category": "message"},
    )


def _engagement(
    journey: str, key: str, email_key: str, stat: int, yes: str, no: str
) -> dict[str, Any]:
    return _step(
        journey,
        key,
        "ENGAGEMENTDECISION",
        "Opened?" if stat == 2 else "Clicked?",
        outcomes=[
            {**_outcome("branchResult-1", yes, when=True), "metaData": {"label": "Yes"}},
            {**_outcome("branchResult-2", no, when=False), "metaData": {"label": "No"}},
        ],
        arguments={
            "requestId": f"{{{{Interaction.{email_key}.RequestID}}}}",
            "messageKey": f"{{{{Interaction.{email_key}.MessageKey}}}}",
            "statsKey": guid(journey, key, "stats"),
        },
        config={"refActivityCustomerKey": email_key, "statsTypeId": stat, "statsUrlId": 0},
    )


def _trigger(kind: str, title: str, event_key: str = EVENT_KEY) -> dict[str, Any]:
    return {
        "key": "TRIGGER",
        "name": "TRIGGER",
        "description": "",
        "type": kind,
        "outcomes": [],
        "arguments": {"startActivityKey": "{{Context.StartActivityKey}}"},
        "configurationArguments": {"criteria": "", "schemaVersionId": 0},
        "metaData": {"eventDefinitionKey": event_key, "chainType": "None", "title": title},
    }


def _criterion(kind: str, key: str, name: str, field: str, value: str) -> dict[str, Any]:
    """A goal (kind "Event") or exit criteria (kind "ExitCriteria")."""
    meta: dict[str, Any] = {"criteriaDescription": f"{field} is {value}", "chainType": "none"}
    if kind == "Event":
        meta.update(isExitCriteria=True, conversionUnit="percentage", conversionValue="10")
    return {
        "key": key,
        "name": name,
        "description": "",
        "type": kind,
        "outcomes": [],
        "arguments": {"filterResult": f"{{{{Contact.FilterId.{guid(key, name)}}}}}"},
        "configurationArguments": {
            "criteria": _filter(f"Members.{field}", "Equal", value),
            "schemaVersionId": 12,
            "filterDefinitionId": guid(key, name),
        },
        "metaData": meta,
    }


def _journey(key: str, name: str, description: str, **fields: Any) -> dict[str, Any]:
    event_key = fields.pop("event_key", EVENT_KEY)
    kind, title = fields.pop("trigger", ("EmailAudience", "Data Extension"))
    return {
        "key": key,
        "name": name,
        "description": description,
        "workflowApiVersion": 1.0,
        "entryMode": fields.pop("entryMode", "OnceAndDone"),
        "definitionType": "Multistep",
        "channel": "",
        "executionMode": "Production",
        "categoryId": 4242,
        "triggers": [_trigger(kind, title, event_key=event_key)],
        "activities": fields.pop("activities"),
        "goals": fields.pop("goals", []),
        "exits": fields.pop("exits", []),
        "notifiers": [],
        "defaults": {"email": [f'{{{{Event.{event_key}."Email"}}}}']},
        "metaData": {"dataSource": "ContactsModel"},
    }


def welcome_series() -> dict[str, Any]:
    j = "demo-welcome-series"
    return _journey(
        j,
        "Welcome series",
        "Three emails for new subscribers, with a reminder for those who did not open.",
        activities=[
            _email(j, "EMAILV2-1", "Welcome aboard", 1101, "WAITBYDURATION-1"),
            _wait(j, "WAITBYDURATION-1", 2, "DAYS", "ENGAGEMENTSPLITV2-1"),
            _engagement(j, "ENGAGEMENTSPLITV2-1", "EMAILV2-1", 2, "EMAILV2-2", "EMAILV2-3"),
            _email(j, "EMAILV2-2", "Getting started tips", 1102, None),
            _email(j, "EMAILV2-3", "Did you see our welcome?", 1103, "WAITBYDURATION-2"),
            _wait(j, "WAITBYDURATION-2", 1, "DAYS", None),
        ],
        goals=[_criterion("Event", "GOAL", "Made a first purchase", "HasPurchased", "True")],
    )


def _wait_before_birthday(j: str) -> dict[str, Any]:
    return _step(
        j,
        "WAITBYATTRIBUTE-1",
        "WAIT",
        "3 days before the birthday",
        next="MULTICRITERIADECISIONV2-1",
        config={
            "waitDuration": -3,
            "waitUnit": "DAYS",
            "specifiedTime": "09:00",
            "timeZone": "GMT Standard Time",
            "waitEndDateAttributeExpression": "{{Contact.Attribute.Members.BirthDate}}",
        },
        meta={"uiType": "WAITBYATTRIBUTE", "waitType": "durationTime"},
    )


def _tier_decision(j: str) -> dict[str, Any]:
    tiers = {"default_path_1": "Gold", "default_path_2": "Silver"}
    return _step(
        j,
        "MULTICRITERIADECISIONV2-1",
        "MULTICRITERIADECISION",
        "Loyalty tier",
        outcomes=[
            {**_outcome("default_path_1", "EMAILV2-1"), "metaData": {"label": "Gold"}},
            {**_outcome("default_path_2", "EMAILV2-2"), "metaData": {"label": "Silver"}},
            {**_outcome("remainder_path", "EMAILV2-3"), "metaData": {"label": "Everyone else"}},
        ],
        config={
            "criteria": {
                path: _filter(f"Event.{EVENT_KEY}.LoyaltyTier", "Equal", tier)
                for path, tier in tiers.items()
            },
            "schemaVersionId": 12,
        },
    )


def birthday_offer() -> dict[str, Any]:
    j = "demo-birthday-offer"
    return _journey(
        j,
        "Birthday offer",
        "A birthday gift sized by loyalty tier.",
        entryMode="MultipleEntries",
        trigger=("AutomationAudience", "Data Extension"),
        activities=[
            _wait_before_birthday(j),
            _tier_decision(j),
            _email(j, "EMAILV2-1", "A golden birthday gift", 1201, "UPDATECONTACTDATAV2-1"),
            _email(j, "EMAILV2-2", "A silver birthday gift", 1202, "UPDATECONTACTDATAV2-1"),
            _email(j, "EMAILV2-3", "Happy birthday!", 1203, "UPDATECONTACTDATAV2-1"),
            _update_contact(j, "UPDATECONTACTDATAV2-1", "LastBirthdayOffer", "{{Context.Now}}"),
        ],
    )


def cart_abandonment() -> dict[str, Any]:
    j = "demo-cart-abandonment"
    split = _step(
        j,
        "RANDOMSPLITV2-1",
        "RANDOMSPLIT",
        "Offer test",
        outcomes=[
            {
                **_outcome("branchResult-1", "EMAILV2-1", percentage=50),
                "metaData": {"label": "50%"},
            },
            {
                **_outcome("branchResult-2", "EMAILV2-2", percentage=50),
                "metaData": {"label": "50%"},
            },
        ],
    )
    return _journey(
        j,
        "Cart abandonment",
        "Reminds shoppers of their cart; half of them get a discount.",
        entryMode="MultipleEntries",
        trigger=("APIEvent", "API Event"),
        activities=[
            _wait(j, "WAITBYDURATION-1", 4, "HOURS", "RANDOMSPLITV2-1"),
            split,
            _email(j, "EMAILV2-1", "You left something behind", 1301, None),
            _email(j, "EMAILV2-2", "10% off what is in your cart", 1302, None),
        ],
        exits=[_criterion("ExitCriteria", "EXITCRITERIA", "Bought the cart", "CartOpen", "False")],
    )


def loyalty_sync() -> dict[str, Any]:
    j = "demo-loyalty-sync"
    rest = _step(
        j,
        "REST-1",
        "REST",
        "Sync loyalty points",
        next="WAITBYDURATION-1",
        arguments={
            "execute": {
                "inArguments": [{"contactKey": "{{Contact.Key}}"}, {"points": "{{Event.Points}}"}],
                "outArguments": [],
                "url": "https://loyalty.example.com/journey/execute",
                "verb": "POST",
                "useJwt": True,
                "timeout": 10000,
            }
        },
        config={
            "applicationExtensionKey": "loyalty-points-sync",
            **{
                step: {"url": f"https://loyalty.example.com/journey/{step}"}
                for step in ("save", "publish", "validate", "stop")
            },
        },
    )
    return _journey(
        j,
        "Loyalty points sync",
        "Pushes points to the loyalty service, then records the sync.",
        activities=[
            rest,
            _wait(j, "WAITBYDURATION-1", 1, "DAYS", "UPDATECONTACTDATAV2-1"),
            _update_contact(j, "UPDATECONTACTDATAV2-1", "PointsSynced", "true"),
        ],
        goals=[_criterion("Event", "GOAL", "Redeemed points", "HasRedeemed", "True")],
        exits=[
            _criterion("ExitCriteria", "EXITCRITERIA", "Left the programme", "IsMember", "False")
        ],
    )


def win_back() -> dict[str, Any]:
    j = "demo-win-back"
    decision = _step(
        j,
        "MULTICRITERIADECISIONV2-1",
        "MULTICRITERIADECISION",
        "Lapsed for 90 days?",
        outcomes=[
            {**_outcome("default_path_1", "EMAILV2-1"), "metaData": {"label": "Lapsed 90+ days"}},
            {**_outcome("remainder_path", None), "metaData": {"label": "Still active"}},
        ],
        config={
            "criteria": {"default_path_1": _filter("Members.DaysSinceOpen", "GreaterThan", "90")},
            "schemaVersionId": 12,
        },
    )
    return _journey(
        j,
        "Win-back",
        "Brings back subscribers who stopped opening.",
        trigger=("AutomationAudience", "Data Extension"),
        activities=[
            decision,
            _email(j, "EMAILV2-1", "We miss you", 1501, "WAITBYDURATION-1"),
            _wait(j, "WAITBYDURATION-1", 1, "WEEKS", "ENGAGEMENTSPLITV2-1"),
            _engagement(
                j, "ENGAGEMENTSPLITV2-1", "EMAILV2-1", 3, "UPDATECONTACTDATAV2-1", "EMAILV2-2"
            ),
            _update_contact(j, "UPDATECONTACTDATAV2-1", "WonBack", "true"),
            _email(j, "EMAILV2-2", "One last note from us", 1502, "SMSSYNC-1"),
            _sms(j, "SMSSYNC-1", "A last text", None),
        ],
    )


def outlet_welcome() -> dict[str, Any]:
    """The child business unit's welcome: same key as the parent's, its own event and email."""
    j = "demo-welcome-series"
    return _journey(
        j,
        "Outlet welcome",
        "One email for new Outlet subscribers (the Northwind Outlet business unit).",
        event_key=OUTLET_EVENT_KEY,
        activities=[
            _email(j, "EMAILV2-1", "Welcome to the Outlet", OUTLET_EMAIL_ID, "WAITBYDURATION-1"),
            _wait(j, "WAITBYDURATION-1", 1, "DAYS", None),
        ],
    )


DEMO_JOURNEYS = (welcome_series, birthday_offer, cart_abandonment, loyalty_sync, win_back)
CHILD_DEMO_JOURNEYS = (outlet_welcome,)
PUBLISHED_DEMOS = {"demo-birthday-offer"}


def seed(
    interactions: Interactions, journeys: tuple[Callable[[], Any], ...] = DEMO_JOURNEYS
) -> list[str]:
    """Create the demo journeys that do not exist yet; returns the keys created."""
    created = []
    for build in journeys:
        body = build()
        if interactions.seed(body, published=body["key"] in PUBLISHED_DEMOS) is not None:
            created.append(body["key"])
    return created
