"""Transactional send journeys: one version changed in place, activated, paused and resumed,
with the send definition the messaging API serves."""

from __future__ import annotations

import pytest

from journeys.sfmc.simulator import demo
from journeys.sfmc.simulator.clock import NEVER_PUBLISHED
from tests.sfmc_server import ApiSession

API = "/interaction/v1/interactions"
ACTIONS = f"{API}/transactional"
DEFINITIONS = "/messaging/v1/email/definitions"
RECEIPT_EMAIL = 2003  # "Order confirmation" in the parent's catalog, used by no demo journey
SEND_KEY = "order-receipt-send"
PUBLISHED_REFUSAL = "Cannot update transactional-send journey in Published status"


@pytest.fixture
def api(simulator):
    with ApiSession(simulator) as session:
        yield session


def receipt(key="order-receipt", name="Order receipt", **send):
    """A transactional journey shaped like mcdev's mocks, on the parent's catalog."""
    high_throughput = {"definitionKey": SEND_KEY, "dataExtensionId": demo.guid("members-de")}
    high_throughput.update(send.pop("high_throughput", {}))
    triggered_send = {"emailId": RECEIPT_EMAIL, "emailSubject": "Thanks", "isTrackingClicks": False}
    triggered_send.update(send)
    return {
        "key": key,
        "name": name,
        "description": "Sent by the shop for every order.",
        "workflowApiVersion": 1.0,
        "definitionType": "Transactional",
        "channel": "email",
        "entryMode": "MultipleEntries",
        "executionMode": "Production",
        "triggers": [
            {
                "key": "TRIGGER",
                "name": "TRIGGER",
                "description": "",
                "type": "transactional-api",
                "outcomes": [],
                "arguments": {},
                "configurationArguments": {},
                "metaData": {"title": "Transactional API Event", "category": "Transactional"},
            }
        ],
        "activities": [
            {
                "key": "EMAILV2-1",
                "name": "Receipt",
                "description": "",
                "type": "EMAILV2",
                "outcomes": [{"key": "out-1", "arguments": {}, "metaData": {"invalid": False}}],
                "arguments": {},
                "configurationArguments": {
                    "applicationExtensionKey": "jb-email-activity",
                    "triggeredSend": triggered_send,
                },
                "metaData": {"highThroughput": high_throughput, "isConfigured": True},
            }
        ],
        "goals": [],
        "exits": [],
        "notifiers": [],
        "defaults": {"properties": {}},
        "metaData": {},
    }


def create(api, body=None):
    response = api.post(API, json=body or receipt())
    assert response.status_code == 200, response.text
    return response.json()


def act(api, action, journey_id):
    return api.post(f"{ACTIONS}/{action}", json={"definitionId": journey_id})


def journey(api, journey_id):
    return api.get(f"{API}/{journey_id}", params={"extras": "activities"}).json()


def email_customer_key(api, legacy_id):
    query = {
        "property": "data.email.legacy.legacyId",
        "simpleOperator": "equal",
        "value": legacy_id,
    }
    items = api.post("/asset/v1/content/assets/query", json={"query": query}).json()["items"]
    return items[0]["customerKey"]


def put(api, current, **changes):
    body = {**receipt(), **changes, "version": 1, "modifiedDate": current["modifiedDate"]}
    return api.put(f"{API}/key:{current['key']}", json=body)


# no versions


def test_posting_a_transactional_key_again_changes_its_one_version_in_place(api):
    first = create(api)
    second = create(api, receipt(name="Order receipt v2"))

    every_version = api.get(API, params={"id": first["id"], "mostRecentVersionOnly": "false"})
    assert (second["id"], second["version"]) == (first["id"], 1)
    assert second["definitionId"] == first["definitionId"]
    assert second["modifiedDate"] != first["modifiedDate"]
    assert [i["name"] for i in every_version.json()["items"]] == ["Order receipt v2"]


def test_posting_an_existing_transactional_key_can_be_refused_instead(simulator, api):
    first = create(api)
    simulator.configure(post_existing_transactional="error")

    again = api.post(API, json=receipt(name="Other"))

    assert (again.status_code, again.json()["errorcode"]) == (400, 30000)
    assert journey(api, first["id"])["name"] == "Order receipt"


# activation


def test_create_activates_the_journey_and_makes_its_send_definition(simulator, api):
    created = create(api)

    answer = act(api, "create", created["id"])

    assert (answer.status_code, answer.json()) == (200, {"errors": []})
    after = journey(api, created["id"])
    assert (after["status"], after["version"]) == ("Published", 1)
    assert after["lastPublishedDate"] == NEVER_PUBLISHED  # as mcdev issue #1901 saw
    definition = api.get(f"{DEFINITIONS}/{SEND_KEY}").json()
    assert definition["status"] == "Active"
    assert definition["name"] == "Order receipt"
    assert definition["content"] == {"customerKey": email_customer_key(api, RECEIPT_EMAIL)}
    assert definition["subscriptions"]["dataExtension"] == "Members"
    assert definition["journey"] == {"interactionKey": "order-receipt"}
    assert definition["options"] == {"trackLinks": False}
    config = after["activities"][0]["configurationArguments"]
    assert config["triggeredSendKey"] == SEND_KEY
    assert config["triggeredSendId"] == definition["definitionId"]
    listed = api.get(DEFINITIONS).json()
    assert [d["definitionKey"] for d in listed["definitions"]] == [SEND_KEY]
    assert listed["count"] == 1 and listed["requestId"]
    applied = simulator.request_log(applied="true", method="POST")
    assert [e["path"] for e in applied][-1] == f"{ACTIONS}/create"


def test_create_without_send_key_data_extension_or_email_fails_with_121500(api):
    body = receipt(emailId=999999, high_throughput={"definitionKey": "", "dataExtensionId": "x"})
    created = create(api, body)

    answer = act(api, "create", created["id"])

    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert [e["errorCode"] for e in errors] == ["121500"]
    for part in ("event definition key", "data extension", "email"):
        assert part in errors[0]["message"]
    assert journey(api, created["id"])["status"] == "Draft"
    assert api.get(DEFINITIONS).json()["count"] == 0


def test_create_names_only_what_is_missing(api):
    created = create(api, receipt(emailId=999999))

    message = act(api, "create", created["id"]).json()["errors"][0]["message"]

    assert "email" in message and "data extension" not in message


def test_create_refuses_an_active_journey_a_multistep_one_and_an_unknown_id(api):
    active = create(api)
    act(api, "create", active["id"])
    multistep = create(api, demo.welcome_series())

    again = act(api, "create", active["id"])
    not_transactional = act(api, "create", multistep["id"])
    unknown = act(api, "create", "00000000-0000-0000-0000-000000000000")
    no_id = api.post(f"{ACTIONS}/create", json={})

    assert (again.status_code, again.json()["errorcode"]) == (400, 30000)
    assert again.json()["errors"][0]["message"] == "Cannot publish interaction in Published status."
    assert not_transactional.status_code == 400
    assert journey(api, multistep["id"])["status"] == "Draft"
    assert (unknown.status_code, unknown.json()["errorcode"]) == (404, 30003)
    assert no_id.status_code == 400


# pause, update, resume


def test_a_published_transactional_journey_is_paused_updated_and_resumed(api):
    created = create(api)
    act(api, "create", created["id"])
    published = journey(api, created["id"])

    refused = put(api, published, name="Too early")
    paused = act(api, "pause", created["id"])
    definition_while_paused = api.get(f"{DEFINITIONS}/{SEND_KEY}").json()
    updated = put(api, journey(api, created["id"]), name="Order receipt, new look")
    resumed = act(api, "resume", created["id"])

    assert refused.status_code == 409
    assert refused.json()["message"] == PUBLISHED_REFUSAL
    assert paused.json() == {"errors": []} and resumed.json() == {"errors": []}
    assert definition_while_paused["status"] == "Inactive"
    assert updated.status_code == 200, updated.text
    assert (updated.json()["status"], updated.json()["version"]) == ("Paused", 1)
    after = journey(api, created["id"])
    assert (after["status"], after["name"]) == ("Published", "Order receipt, new look")
    assert api.get(f"{DEFINITIONS}/{SEND_KEY}").json()["status"] == "Active"


def test_pause_and_resume_need_the_right_status(api):
    created = create(api)

    pause_draft = act(api, "pause", created["id"])
    resume_draft = act(api, "resume", created["id"])
    act(api, "create", created["id"])
    resume_published = act(api, "resume", created["id"])

    for answer, text in (
        (pause_draft, "Cannot pause interaction in Draft status."),
        (resume_draft, "Cannot resume interaction in Draft status."),
        (resume_published, "Cannot resume interaction in Published status."),
    ):
        assert answer.status_code == 400
        assert answer.json()["errors"] == [{"errorCode": "30000", "message": text}]
    assert journey(api, created["id"])["status"] == "Published"


def test_posting_the_key_of_a_published_transactional_journey_is_refused(api):
    created = create(api)
    act(api, "create", created["id"])

    again = api.post(API, json=receipt(name="Replaced"))

    assert (again.status_code, again.json()["message"]) == (409, PUBLISHED_REFUSAL)
    assert journey(api, created["id"])["name"] == "Order receipt"


# send definitions (messaging API)


def definition_body(key="welcome-send", name="Welcome send", **changes):
    body = {
        "definitionKey": key,
        "name": name,
        "content": {"customerKey": changes.pop("content_key", None)},
        "subscriptions": {"dataExtension": "Members", "list": "All Subscribers"},
        "options": {"trackLinks": True},
    }
    body.update(changes)
    return body


def test_a_send_definition_is_created_read_and_listed(api):
    content_key = email_customer_key(api, RECEIPT_EMAIL)

    created = api.post(DEFINITIONS, json=definition_body(content_key=content_key))
    inactive = api.post(
        DEFINITIONS,
        json=definition_body(
            "paused-send", "Paused send", content_key=content_key, status="inactive"
        ),
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["definitionKey"], body["status"]) == ("welcome-send", "Active")
    assert body["content"] == {"customerKey": content_key}
    assert body["subscriptions"]["dataExtension"] == "Members"
    assert body["classification"] == "Default Transactional"
    fetched = api.get(f"{DEFINITIONS}/welcome-send").json()
    assert fetched["definitionId"] == body["definitionId"]
    assert inactive.json()["status"] == "Inactive"
    only_active = api.get(DEFINITIONS, params={"$filter": "status eq active"}).json()
    assert [d["definitionKey"] for d in only_active["definitions"]] == ["welcome-send"]
    not_active = api.get(DEFINITIONS, params={"$filter": "status neq Active"}).json()
    assert [d["definitionKey"] for d in not_active["definitions"]] == ["paused-send"]
    second_page = api.get(DEFINITIONS, params={"$page": 2, "$pageSize": 1}).json()
    assert (second_page["count"], len(second_page["definitions"])) == (2, 1)
    assert second_page["definitions"][0]["definitionKey"] == "paused-send"


@pytest.mark.parametrize(
    "changes, text",
    [
        ({"content_key": "no-such-email"}, "content.customerKey"),
        ({"definitionKey": ""}, "definitionKey is required"),
        ({"subscriptions": {"dataExtension": "NoSuchDE"}}, "subscriptions.dataExtension"),
        ({"status": "paused"}, "status must be"),
    ],
)
def test_a_send_definition_that_cannot_work_is_refused(api, changes, text):
    changes.setdefault("content_key", email_customer_key(api, RECEIPT_EMAIL))

    answer = api.post(DEFINITIONS, json=definition_body(**changes))

    assert answer.status_code == 400
    assert text in answer.json()["message"]
    assert api.get(DEFINITIONS).json()["count"] == 0


def test_send_definition_keys_and_names_are_unique(api):
    content_key = email_customer_key(api, RECEIPT_EMAIL)
    api.post(DEFINITIONS, json=definition_body(content_key=content_key))

    same_key = api.post(DEFINITIONS, json=definition_body(name="Other", content_key=content_key))
    same_name = api.post(DEFINITIONS, json=definition_body("other", content_key=content_key))
    missing = api.get(f"{DEFINITIONS}/nope")
    bad_filter = api.get(DEFINITIONS, params={"$filter": "name eq x"})

    assert same_key.status_code == 400 and "definitionKey" in same_key.json()["message"]
    assert same_name.status_code == 400 and "named" in same_name.json()["message"]
    assert missing.status_code == 404
    assert bad_filter.status_code == 400
    assert api.get(DEFINITIONS).json()["count"] == 1


def test_send_definitions_and_transactional_journeys_stay_in_their_business_unit(simulator, api):
    created = create(api)
    act(api, "create", created["id"])

    with ApiSession(simulator, account_id=510000456) as child:
        listed = child.get(DEFINITIONS).json()
        fetched = child.get(f"{DEFINITIONS}/{SEND_KEY}")
        paused = act(child, "pause", created["id"])

    assert listed["count"] == 0 and listed["definitions"] == []
    assert fetched.status_code == 404
    assert paused.status_code == 404
    assert journey(api, created["id"])["status"] == "Published"
