"""The simulator's journey lifecycle over real HTTP: GET after delete, DELETE's answer, the 304
envelope, publish warnings, validate, pause/resume, the audit log and server-filled fields."""

from __future__ import annotations

import json
import re
import socket

import pytest

from journeys.sfmc.simulator import demo
from journeys.sfmc.simulator.activity_schemas import schema_for
from tests.sfmc_server import ApiSession
from tests.test_simulator import journey

API = "/interaction/v1/interactions"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NO_CHANGE = {
    "message": "No change has been processed, supplied data matches that on the server.",
    "errorcode": 304,
    "documentation": "",
}
API_USER = {"name": "sim-client-id app user"}
NO_WARNINGS = {"long_wait_warning_minutes": 10**6, "old_email_warning_days": 10**6}


@pytest.fixture
def sim(simulator):
    simulator.configure(publish_delay=0)
    return simulator


@pytest.fixture
def api(sim):
    with ApiSession(sim) as session:
        yield session


def create(api, body=None):
    response = api.post(API, json=body or journey())
    assert response.status_code == 200, response.text
    return response.json()


def settled(api, kind, key="test-journey", version=1):
    """Start publishAsync or validateAsync and return the status it settles on (no delay)."""
    started = api.post(f"{API}/{kind}Async/key:{key}", params={"versionNumber": version}, json={})
    assert started.status_code == 200, started.text
    return api.get(started.json()["statusUrl"]).json()


def status_of(api, version, key="test-journey"):
    return api.get(f"{API}/key:{key}", params={"versionNumber": version}).json()["status"]


def raw_http(sim, method, path, token, body):
    """One exchange on a plain socket: (status line, headers, body bytes) exactly as sent."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {sim.host_port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", sim.server.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header_block, _, payload = data.partition(b"\r\n\r\n")
    status_line, *lines = header_block.decode().split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
    return status_line, headers, payload


# GET, DELETE, PUT answers


def test_get_without_a_version_answers_404_when_the_latest_version_is_deleted(sim, api):
    first = create(api)
    settled(api, "publish")
    create(api)
    api.delete(f"{API}/key:test-journey", params={"versionNumber": 2})

    by_key = api.get(f"{API}/key:test-journey")
    by_id = api.get(f"{API}/{first['id']}")
    older = api.get(f"{API}/{first['id']}", params={"versionNumber": 1})
    listed = api.get(API, params={"key": "test-journey"}).json()

    for missing in (by_key, by_id):
        assert missing.status_code == 404
        assert missing.json()["errorcode"] == 30003
        assert missing.json()["message"] == "Interaction matching criteria not found."
    assert (older.status_code, older.json()["version"]) == (200, 1)
    assert [item["version"] for item in listed["items"]] == [1]


def test_delete_answers_the_bare_journey_id_as_text(api):
    created = create(api)

    response = api.delete(f"{API}/key:test-journey")

    assert response.status_code == 200
    assert response.text == created["id"]
    assert response.headers["Content-Type"].startswith("text/plain")


def test_put_without_changes_sends_the_304_envelope_on_the_wire(sim, api):
    created = create(api)
    body = json.dumps(created).encode()
    token = api.headers["Authorization"].split()[1]

    status_line, headers, payload = raw_http(sim, "PUT", f"{API}/key:test-journey", token, body)

    assert status_line.startswith("HTTP/1.1 304")
    assert json.loads(payload) == NO_CHANGE
    assert headers["content-length"] == str(len(payload))
    assert headers["content-type"].startswith("application/json")


def test_a_304_leaves_a_requests_session_usable_for_the_next_call(api):
    created = create(api)

    unchanged = api.put(f"{API}/key:test-journey", json=created)
    after = api.get(f"{API}/key:test-journey")

    # requests never reads a 304's body (HTTP says it has none); the next call must still work.
    assert unchanged.status_code == 304
    assert int(unchanged.headers["Content-Length"]) == len(
        json.dumps(NO_CHANGE, separators=(",", ":"))
    )
    assert (after.status_code, after.json()["modifiedDate"]) == (200, created["modifiedDate"])


# publishStatus errors and warnings


def test_publish_warns_about_waits_longer_than_the_configured_threshold(sim, api):
    sim.configure(long_wait_warning_minutes=1440, old_email_warning_days=10**6)
    created = create(api)
    wait = next(a for a in created["activities"] if a["key"] == "WAITBYDURATION-1")

    status = settled(api, "publish")

    assert status["status"] == "PublishCompleted"
    assert status["errors"] == []
    assert status["warnings"] == [
        {
            "errorDetail": "The journey has a long wait (2 days), please consider reducing wait "
            "to under 1 days.",
            "errorCode": "121547",
            "errorType": "Warning",
            "additionalInfo": {
                "activityKey": "WAITBYDURATION-1",
                "activityId": wait["id"],
                "activityType": "WAIT",
            },
        }
    ]
    assert status_of(api, 1) == "Published"


def test_publish_warns_about_emails_the_catalog_last_modified_over_six_months_ago(sim, api):
    sim.configure(long_wait_warning_minutes=10**6)
    body = journey()
    unknown = next(a for a in body["activities"] if a["key"] == "EMAILV2-3")
    unknown["configurationArguments"]["triggeredSend"]["emailId"] = 999999  # not in the catalog
    create(api, body)

    warnings = settled(api, "publish")["warnings"]

    assert {w["errorCode"] for w in warnings} == {"121546"}
    assert [w["additionalInfo"]["activityKey"] for w in warnings] == ["EMAILV2-1", "EMAILV2-2"]
    assert warnings[0]["errorDetail"].startswith("Last modified date for email activity is more")


def test_journey_errors_name_nothing_and_activity_errors_name_their_activity(sim, api):
    sim.configure(**NO_WARNINGS)
    body = journey()
    body["triggers"][0]["metaData"].pop("eventDefinitionKey")
    email = body["activities"][0]
    email["configurationArguments"]["triggeredSend"].pop("emailId")
    created = create(api, body)

    status = settled(api, "publish")

    assert status["status"] == "Error"
    journey_level, activity_level = status["errors"]
    assert (journey_level["errorCode"], journey_level["additionalInfo"]) == ("121500", {})
    assert activity_level["errorCode"] == "121000"
    assert activity_level["additionalInfo"] == {
        "activityKey": "EMAILV2-1",
        "activityId": created["activities"][0]["id"],
        "activityType": "EMAILV2",
        "definitionId": created["definitionId"],
    }
    assert status_of(api, 1) == "Draft"


# validate


def test_validate_reports_what_a_publish_would_and_publishes_nothing(sim, api):
    sim.configure(long_wait_warning_minutes=1440)
    body = journey()
    body["triggers"][0]["metaData"].pop("eventDefinitionKey")
    created = create(api, body)

    started = api.post(f"{API}/validateAsync/{created['id']}", params={"versionNumber": 1})
    validated = api.get(started.json()["statusUrl"]).json()
    published = settled(api, "publish")

    assert started.json()["statusUrl"] == f"{API}/validateStatus/{started.json()['statusId']}"
    assert validated["status"] == "Error"
    assert (validated["errors"], validated["warnings"]) == (
        published["errors"],
        published["warnings"],
    )
    assert {w["errorCode"] for w in validated["warnings"]} == {"121546", "121547"}
    assert status_of(api, 1) == "Draft"


def test_validate_is_in_process_until_the_delay_has_passed(sim, api, sim_clock):
    sim.configure(publish_delay=0.4)
    create(api)

    started = api.post(f"{API}/validateAsync/key:test-journey", params={"versionNumber": 1})
    early = api.get(started.json()["statusUrl"]).json()
    sim_clock.advance(0.5)
    late = api.get(started.json()["statusUrl"]).json()

    assert (early["status"], early["errors"]) == ("ValidateInProcess", [])
    assert late["status"] == "ValidateCompleted"


def test_validate_refuses_versions_that_are_not_drafts(sim, api):
    create(api)
    settled(api, "publish")

    refused = api.post(f"{API}/validateAsync/key:test-journey", params={"versionNumber": 1})
    unknown = api.get(f"{API}/validateStatus/nope")

    assert refused.status_code == 400
    assert refused.json()["errorcode"] == 30000
    assert refused.json()["message"] == "Cannot validate interaction in Published status."
    assert unknown.status_code == 404


# pause and resume


def test_pause_and_resume_move_a_version_and_answer_accepted(api):
    create(api)
    settled(api, "publish")

    paused = api.post(
        f"{API}/pause/key:test-journey",
        params={"versionNumber": 1},
        json={"PausedDays": 7, "GuardrailAction": "Resume", "ExtendWaitEndDates": True},
    )
    while_paused = status_of(api, 1)
    republish = api.post(f"{API}/publishAsync/key:test-journey", params={"versionNumber": 1})
    resumed = api.post(f"{API}/resume/key:test-journey", params={"versionNumber": 1})

    assert (paused.status_code, paused.json()) == (200, {"status": "Accepted"})
    assert while_paused == "Paused"
    assert republish.json()["message"] == "Cannot publish interaction in Paused status."
    assert (resumed.status_code, resumed.json()) == (200, {"status": "Accepted"})
    assert status_of(api, 1) == "Published"


def test_pause_all_versions_pauses_the_published_one_and_stop_works_on_paused(api):
    created = create(api)
    settled(api, "publish")
    create(api)
    settled(api, "publish", version=2)

    paused = api.post(f"{API}/pause/{created['id']}", params={"allVersions": "true"})
    statuses = (status_of(api, 1), status_of(api, 2))
    stopped = api.post(f"{API}/stop/{created['id']}", params={"versionNumber": 2}, json={})

    assert paused.status_code == 200
    assert statuses == ("Unpublished", "Paused")
    assert stopped.status_code == 200
    assert status_of(api, 2) == "Stopped"


def test_pause_and_resume_refuse_wrong_states_and_bad_requests(api):
    create(api)
    pause_draft = api.post(f"{API}/pause/key:test-journey", params={"versionNumber": 1})
    settled(api, "publish")
    resume_published = api.post(f"{API}/resume/key:test-journey", params={"versionNumber": 1})
    no_version = api.post(f"{API}/pause/key:test-journey")
    bad_days = api.post(
        f"{API}/pause/key:test-journey", params={"versionNumber": 1}, json={"PausedDays": "x"}
    )

    assert (pause_draft.status_code, pause_draft.json()["errorcode"]) == (400, 30000)
    assert pause_draft.json()["message"] == "Cannot pause interaction in Draft status."
    assert resume_published.json()["message"] == "Cannot resume interaction in Published status."
    assert (resume_published.status_code, resume_published.json()["errorcode"]) == (400, 30000)
    assert (no_version.status_code, bad_days.status_code) == (400, 400)
    assert status_of(api, 1) == "Published"


# audit log


def test_every_applied_write_adds_an_audit_entry_newest_first(api):
    created = create(api)
    modified = api.put(f"{API}/key:test-journey", json={**created, "name": "Renamed"}).json()
    api.put(f"{API}/key:test-journey", json=modified)  # 304: nothing applied, nothing logged
    validated = settled(api, "validate")
    published = api.post(f"{API}/publishAsync/key:test-journey", params={"versionNumber": 1})
    api.get(published.json()["statusUrl"])
    for action in ("pause", "resume", "stop"):
        api.post(f"{API}/{action}/key:test-journey", params={"versionNumber": 1})
    api.delete(f"{API}/{created['id']}", params={"versionNumber": 1})

    log = api.get(f"{API}/{created['id']}/audit/all", params={"versionNumber": 1}).json()

    actions = [item["action"] for item in log["items"]]
    assert validated["status"] == "ValidateCompleted"
    assert actions == [
        "Delete",
        "Stop",
        "Resume",
        "Pause",
        "Publish",
        "Validate",
        "Modify",
        "Create",
    ]
    assert (log["count"], log["page"], log["pageSize"], log["links"]) == (8, 1, 50, {})
    publish = log["items"][4]
    assert publish["publishStatus"] == "PublishCompleted"
    assert publish["publishRequestId"] == published.json()["statusId"]
    create_entry = log["items"][-1]
    assert create_entry["id"] == create_entry["originalDefinitionId"] == created["id"]
    assert (create_entry["key"], create_entry["versionNumber"]) == ("test-journey", 1)
    assert create_entry["executionMode"] == "Production"
    assert create_entry["user"]["name"] == API_USER["name"]
    assert isinstance(create_entry["user"]["userId"], int)
    assert log["items"][0]["name"] == "Renamed"
    assert "executionMode" not in log["items"][1]  # Stop entries carry none, as in SFMC's


def test_changes_made_through_sim_controls_are_audited_as_another_user(sim, api):
    created = create(api)

    sim.control("POST", "remote-edit", {"key": "test-journey", "action": "rename", "name": "X"})
    sim.control("POST", "publish", {"key": "test-journey", "version": 1})
    log = api.get(f"{API}/{created['id']}/audit/all").json()

    users = [(entry["action"], entry["user"]["name"]) for entry in log["items"]]
    assert users == [
        ("Publish", "Another User"),
        ("Modify", "Another User"),
        ("Create", API_USER["name"]),
    ]
    assert log["items"][1]["name"] == "X"


def test_audit_pages_filter_by_action_and_version_and_refuse_unknown_actions(api):
    created = create(api)
    settled(api, "publish")
    create(api)
    path = f"{API}/{created['id']}/audit"

    second_page = api.get(f"{path}/all", params={"$page": 2, "$pageSize": 2}).json()
    publishes = api.get(f"{path}/publish").json()
    version_two = api.get(f"{path}/all", params={"versionNumber": 2}).json()
    unknown_action = api.get(f"{path}/Explode")
    unknown_journey = api.get(f"{API}/nope/audit/all")

    assert (second_page["count"], len(second_page["items"])) == (3, 1)
    assert second_page["items"][0]["action"] == "Create"
    assert [item["action"] for item in publishes["items"]] == ["Publish"]
    assert [(i["action"], i["versionNumber"]) for i in version_two["items"]] == [("Create", 2)]
    assert unknown_action.status_code == 400
    assert (unknown_journey.status_code, unknown_journey.json()["errorcode"]) == (404, 30003)


# fields SFMC fills in


def minimal_body():
    wait = {"key": "WAITBYDURATION-1", "name": "Wait", "type": "WAIT", "outcomes": [{"key": "o"}]}
    wait["configurationArguments"] = {"waitDuration": 1, "waitUnit": "DAYS"}
    return {"key": "minimal", "name": "Minimal", "workflowApiVersion": 1.0, "activities": [wait]}


def test_a_minimal_post_gets_the_fields_sfmc_fills_in(api):
    answered = create(api, {**minimal_body(), "entryMode": "OnceAndDone", "categoryId": 99})
    fetched = api.get(f"{API}/key:minimal", params={"extras": "all"}).json()

    for document in (answered, fetched):
        assert document["goals"] == document["exits"] == document["notifiers"] == []
        assert (document["scheduledStatus"], document["definitionType"]) == ("Draft", "Multistep")
        assert (document["channel"], document["description"]) == ("", "")
        assert (document["defaults"], document["metaData"]) == ({}, {})
        assert document["executionMode"] == "Production"
        assert (document["entryMode"], document["categoryId"]) == ("OnceAndDone", 99)
        [wait] = document["activities"]
        assert GUID.fullmatch(wait["arguments"]["waitDefinitionId"])
        assert wait["schema"] == schema_for("WAIT")
    assert fetched["activities"] == answered["activities"]
    defaulted = create(api, {**minimal_body(), "key": "minimal-2"})
    assert (defaulted["entryMode"], defaulted["categoryId"]) == ("NotSet", 4242)


def test_wait_definition_ids_survive_a_put_that_leaves_them_out(api):
    created = create(api, minimal_body())
    wait_id = created["activities"][0]["arguments"]["waitDefinitionId"]
    body = {**created, "name": "Renamed"}
    body["activities"] = [{**created["activities"][0], "arguments": {}}]
    body.pop("categoryId")

    updated = api.put(f"{API}/key:minimal", json=body).json()

    assert updated["activities"][0]["arguments"]["waitDefinitionId"] == wait_id
    assert updated["categoryId"] == created["categoryId"]


@pytest.mark.parametrize("number", ["01", "02"])
def test_filled_in_schemas_are_those_real_documents_carry(api, real_fixtures_dir, number):
    [path] = real_fixtures_dir.glob(f"{number}-*.json")
    original = json.loads(path.read_text(encoding="utf-8"))
    body = json.loads(json.dumps(original))
    for activity in body["activities"]:
        activity.pop("schema", None)

    created = create(api, body)

    assert [a.get("schema") for a in created["activities"]] == [
        a.get("schema") for a in original["activities"]
    ]


def test_demo_emails_have_a_numeric_priority_like_real_documents():
    priorities = {
        activity["configurationArguments"]["triggeredSend"]["priority"]
        for build in demo.DEMO_JOURNEYS
        for activity in build()["activities"]
        if activity["type"] == "EMAILV2"
    }

    assert priorities == {4}
