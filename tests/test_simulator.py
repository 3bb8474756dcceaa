from __future__ import annotations

import ast
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from journeys.domain.validate import validate
from journeys.sfmc.simulator import SimConfig, demo
from journeys.sfmc.simulator.clock import format_ms, parse_ms
from tests.sfmc_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    ApiSession,
    start_simulator,
)

API = "/interaction/v1/interactions"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,2}[1-9])?")
CONFLICT = "Another user recently modified this journey. Refresh to edit the latest version."
SFMC_DIR = Path(__file__).resolve().parent.parent / "journeys" / "sfmc"
# The parent business unit's demo journeys and the child's (the controls list both).
ALL_DEMOS = len(demo.DEMO_JOURNEYS) + len(demo.CHILD_DEMO_JOURNEYS)


@pytest.fixture
def sim(simulator):
    return simulator


@pytest.fixture
def api(sim):
    with ApiSession(sim) as session:
        yield session


def journey(key="test-journey", **changes):
    body = demo.welcome_series()
    body.update(key=key, **changes)
    return body


def create(api, key="test-journey", **changes):
    response = api.post(API, json=journey(key, **changes))
    assert response.status_code == 200, response.text
    return response.json()


def publish_now(sim, api, key, version=None):
    sim.configure(publish_delay=0)
    params = {"versionNumber": version} if version else {}
    response = api.post(f"{API}/publishAsync/key:{key}", params=params, json={})
    assert response.status_code == 200, response.text
    status = api.get(f"{API}/publishStatus/{response.json()['statusId']}").json()
    assert status["status"] == "PublishCompleted", status


# token


def test_token_endpoint_returns_a_bearer_token_that_points_rest_calls_at_the_simulator(sim):
    response = requests.post(
        f"{sim.base_url}/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "account_id": "510000123",
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1079
    assert body["rest_instance_url"] == sim.base_url + "/"
    assert body["access_token"] and body["scope"]


def test_token_endpoint_refuses_wrong_credentials_with_invalid_client(sim):
    def token_with(secret):
        return requests.post(
            f"{sim.base_url}/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": secret,
            },
        )

    for response in (token_with("no"), token_with("clé-secrète"), token_with(None)):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


def test_token_endpoint_refuses_other_grant_types_and_non_json_bodies(sim):
    password = requests.post(f"{sim.base_url}/v2/token", json={"grant_type": "password"})
    garbage = requests.post(f"{sim.base_url}/v2/token", data="client_id=x")

    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"
    assert garbage.status_code == 400


def test_credentials_and_token_lifetime_are_configurable(tmp_path, sim_clock):
    config = SimConfig(client_id="mine", client_secret="s3cret", token_lifetime=1)
    simulator = start_simulator(tmp_path / "sim.sqlite3", config)
    try:
        response = requests.post(
            f"{simulator.base_url}/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": "mine",
                "client_secret": "s3cret",
            },
        )
        token = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        sim_clock.advance(0.9)
        fresh = requests.get(simulator.base_url + API, headers=headers)
        sim_clock.advance(0.2)
        expired = requests.get(simulator.base_url + API, headers=headers)
    finally:
        simulator.stop()

    assert response.json()["expires_in"] == 1
    assert fresh.status_code == 200
    assert expired.status_code == 401
    assert expired.json()["message"] == "Not Authorized"


def test_api_refuses_missing_unknown_and_expired_tokens_with_not_authorized(sim, api):
    missing = requests.get(sim.base_url + API)
    unknown = requests.get(sim.base_url + API, headers={"Authorization": "Bearer nope"})
    before = api.get(API)
    sim.control("POST", "expire-tokens")
    after = api.get(API)

    for response in (missing, unknown, after):
        assert response.status_code == 401
        assert response.json() == {
            "documentation": response.json()["documentation"],
            "errorcode": 0,
            "message": "Not Authorized",
        }
    assert before.status_code == 200


# create


def test_create_assigns_the_server_fields_like_real_data(api):
    created = create(api)

    assert created["id"] == created["definitionId"]
    assert created["createdDate"] == created["modifiedDate"]
    assert TIMESTAMP.fullmatch(created["modifiedDate"])
    assert created["lastPublishedDate"] == "0001-01-01T00:00:00"
    assert (created["status"], created["version"]) == ("Draft", 1)
    assert all(step["id"] for step in created["activities"] + created["triggers"])


def test_create_ignores_read_only_fields_in_the_body(api):
    created = create(
        api, id="chosen", status="Published", version=7, createdDate="2020-01-01T00:00:00"
    )

    assert created["id"] != "chosen"
    assert (created["status"], created["version"]) == ("Draft", 1)
    assert created["createdDate"] != "2020-01-01T00:00:00"


def test_create_requires_key_name_and_workflow_api_version(api):
    response = api.post(API, json={"description": "nothing else"})

    body = response.json()
    assert response.status_code == 400
    assert (body["message"], body["errorcode"]) == ("Validation Errors Occurred!", 10006)
    messages = [item["message"] for item in body["validationErrors"]]
    assert messages == ["key is required.", "name is required.", "workflowApiVersion is required."]


def test_create_refuses_malformed_json_and_over_long_keys(api):
    garbage = api.post(API, data="{not json", headers={"Content-Type": "application/json"})
    long_key = api.post(API, json=journey("k" * 201))

    assert garbage.status_code == 400
    assert garbage.json()["errorcode"] == 400
    assert long_key.status_code == 400
    assert long_key.json()["validationErrors"][0]["errorcode"] == 121002


def test_create_of_a_key_whose_latest_is_not_a_draft_makes_the_next_version(sim, api):
    first = create(api)
    publish_now(sim, api, "test-journey")

    second = create(api)

    assert (second["id"], second["key"], second["version"]) == (first["id"], "test-journey", 2)
    assert second["definitionId"] != first["definitionId"]
    assert second["status"] == "Draft"


def test_create_of_a_key_that_has_a_draft_is_refused_unless_configured(sim, api):
    create(api)

    refused = api.post(API, json=journey())
    sim.configure(post_existing_draft="new-version")
    allowed = api.post(API, json=journey())

    assert refused.status_code == 400
    assert refused.json()["errorcode"] == 30000
    assert "draft version already exists" in refused.json()["message"]
    assert allowed.json()["version"] == 2


# get


def test_get_by_id_and_by_url_encoded_key(api):
    created = create(api, key="spring sale/2026?")

    by_id = api.get(f"{API}/{created['id']}", params={"extras": "all"})
    by_key = api.get(f"{API}/key:spring%20sale%2F2026%3F", params={"extras": "all"})

    assert by_id.json() == by_key.json()
    assert by_key.json()["key"] == "spring sale/2026?"


def test_get_without_extras_leaves_out_activities_and_triggers(api):
    created = create(api)

    bare = api.get(f"{API}/{created['id']}").json()
    activities = api.get(f"{API}/{created['id']}", params={"extras": "activities"}).json()

    assert "activities" not in bare and "triggers" not in bare
    assert len(activities["activities"]) == len(created["activities"])


def test_get_of_an_unknown_journey_is_404_with_errorcode_30003(api):
    response = api.get(f"{API}/key:missing")

    assert response.status_code == 404
    assert response.json() == {
        "message": "Interaction matching criteria not found.",
        "errorcode": 30003,
        "documentation": "",
    }


def test_get_returns_the_latest_version_unless_one_is_asked_for(sim, api):
    create(api, name="first")
    publish_now(sim, api, "test-journey")
    create(api, name="second")

    latest = api.get(f"{API}/key:test-journey").json()
    first = api.get(f"{API}/key:test-journey", params={"versionNumber": 1}).json()

    assert (latest["version"], latest["name"]) == (2, "second")
    assert (first["version"], first["name"], first["status"]) == (1, "first", "Published")


# list


def test_list_pages_through_every_match_and_leaves_out_items_past_the_end(api):
    for number in range(7):
        create(api, key=f"journey-{number}")

    pages = [api.get(API, params={"$page": n, "$pageSize": 3}).json() for n in (1, 2, 3, 4)]

    assert [len(page.get("items", [])) for page in pages] == [3, 3, 1, 0]
    assert {page["count"] for page in pages} == {7}
    assert "items" not in pages[3]
    assert pages[0]["links"] == {} and pages[0]["pageSize"] == 3
    keys = [item["key"] for page in pages for item in page.get("items", [])]
    assert sorted(keys) == [f"journey-{n}" for n in range(7)]


def test_list_defaults_to_50_per_page_and_clamps_to_the_configured_maximum(sim, api):
    create(api)

    default = api.get(API).json()
    huge = api.get(API, params={"$pageSize": 5000}).json()
    sim.configure(max_page_size=50)
    capped = api.get(API, params={"$pageSize": 500}).json()

    assert (default["pageSize"], huge["pageSize"], capped["pageSize"]) == (50, 500, 50)


def test_list_orders_by_modified_date_or_name(api):
    for key, name in (("a", "Charlie"), ("b", "alpha"), ("c", "Bravo")):
        create(api, key=key, name=name)

    def names(order_by):
        items = api.get(API, params={"$orderBy": order_by}).json()["items"]
        return [item["name"] for item in items]

    assert names("ModifiedDate DESC") == ["Bravo", "alpha", "Charlie"]
    assert names("ModifiedDate ASC") == ["Charlie", "alpha", "Bravo"]
    assert names("Name") == ["alpha", "Bravo", "Charlie"]
    assert names("Name DESC") == ["Charlie", "Bravo", "alpha"]
    assert api.get(API, params={"$orderBy": "Colour"}).status_code == 400


def test_list_filters_by_status_name_or_description_key_and_id(sim, api):
    published = create(api, key="p", name="Summer promo")
    create(api, key="d", name="Winter", description="a promo for winter")
    create(api, key="x", name="Other")
    publish_now(sim, api, "p")

    def keys(**params):
        return sorted(item["key"] for item in api.get(API, params=params).json().get("items", []))

    assert keys(status="Published") == ["p"]
    assert keys(status="Draft") == ["d", "x"]
    assert keys(nameOrDescription="PROMO") == ["d", "p"]
    assert keys(key="x") == ["x"]
    assert keys(id=published["id"]) == ["p"]
    assert keys(nameOrDescription="100%") == []


def test_list_items_carry_activities_only_with_extras(api):
    create(api)

    bare = api.get(API).json()["items"][0]
    full = api.get(API, params={"extras": "all"}).json()["items"][0]

    assert "activities" not in bare and "triggers" not in bare
    assert bare["stats"]["currentPopulation"] == 0
    assert full["activities"] and full["triggers"]


def test_list_returns_every_version_when_not_only_the_most_recent(sim, api):
    created = create(api)
    publish_now(sim, api, "test-journey")
    create(api)

    latest = api.get(API).json()
    every = api.get(API, params={"mostRecentVersionOnly": "false"}).json()
    by_id = api.get(API, params={"id": created["id"]}).json()
    second = api.get(API, params={"versionNumber": 2}).json()

    assert [item["version"] for item in latest["items"]] == [2]
    assert sorted(item["version"] for item in every["items"]) == [1, 2]
    assert sorted(item["version"] for item in by_id["items"]) == [1, 2]
    assert [item["version"] for item in second["items"]] == [2]


# put


def test_put_with_the_current_modified_date_updates_and_returns_a_new_one(api):
    created = create(api)

    response = api.put(f"{API}/key:test-journey", json={**created, "name": "Renamed"})

    updated = response.json()
    assert response.status_code == 200
    assert updated["name"] == "Renamed"
    assert updated["modifiedDate"] != created["modifiedDate"]
    assert updated["createdDate"] == "0001-01-01T00:00:00"
    stored = api.get(f"{API}/key:test-journey").json()
    assert stored["createdDate"] == created["createdDate"]
    assert stored["modifiedDate"] == updated["modifiedDate"]


def test_put_with_a_stale_modified_date_is_rejected_with_the_conflict_message(api):
    created = create(api)
    api.put(f"{API}/key:test-journey", json={**created, "name": "First writer"})

    response = api.put(f"{API}/key:test-journey", json={**created, "name": "Second writer"})

    assert response.status_code == 400
    assert response.json() == {"message": CONFLICT, "errorcode": 30000, "documentation": ""}
    assert api.get(f"{API}/key:test-journey").json()["name"] == "First writer"


def test_put_compares_modified_dates_at_millisecond_precision(api):
    created = create(api)
    seconds, _, fraction = created["modifiedDate"].partition(".")
    padded = f"{seconds}.{fraction.ljust(3, '0')}0"

    response = api.put(
        f"{API}/key:test-journey", json={**created, "modifiedDate": padded, "name": "x"}
    )

    assert parse_ms(padded) == parse_ms(created["modifiedDate"])
    assert response.status_code == 200


def test_conflict_status_and_errorcode_are_configurable(sim, api):
    created = create(api)
    sim.configure(conflict_status=409, conflict_errorcode=30001)

    response = api.put(
        f"{API}/key:test-journey", json={**created, "modifiedDate": "2001-01-01T00:00:00"}
    )

    assert response.status_code == 409
    assert (response.json()["errorcode"], response.json()["message"]) == (30001, CONFLICT)


def test_put_to_a_version_that_is_not_a_draft_is_refused_before_the_date_check(sim, api):
    created = create(api)
    publish_now(sim, api, "test-journey")

    response = api.put(f"{API}/key:test-journey", json={**created, "name": "too late"})

    assert response.status_code == 409
    assert response.json()["errorcode"] == 409
    assert "running interaction" in response.json()["message"]


def test_put_of_unchanged_content_answers_304_and_changes_nothing(api):
    created = create(api)
    activities = [{k: v for k, v in a.items() if k != "id"} for a in created["activities"]]
    without_ids = {**created, "activities": activities}

    response = api.put(f"{API}/key:test-journey", json=without_ids)

    assert response.status_code == 304
    assert api.get(f"{API}/key:test-journey").json()["modifiedDate"] == created["modifiedDate"]


def test_put_keeps_read_only_fields_and_step_ids_from_the_stored_version(api):
    created = create(api)
    body = {**created, "id": "forged", "definitionId": "forged", "status": "Published"}
    body["activities"] = [{k: v for k, v in a.items() if k != "id"} for a in created["activities"]]
    body["activities"][0]["name"] = "Changed"

    updated = api.put(f"{API}/key:test-journey", json=body).json()

    assert (updated["id"], updated["definitionId"]) == (created["id"], created["definitionId"])
    assert updated["status"] == "Draft"
    assert [a["id"] for a in updated["activities"]] == [a["id"] for a in created["activities"]]


def test_put_finds_the_journey_by_body_key_by_id_or_by_url_key(api):
    created = create(api)
    first = api.put(API, json={**created, "name": "one"}).json()
    second = api.put(f"{API}/{created['id']}", json={**first, "name": "two"}).json()
    mismatch = api.put(f"{API}/key:other", json={**second, "name": "three"})

    assert (first["name"], second["name"]) == ("one", "two")
    assert mismatch.status_code == 400


def test_put_errors_for_unknown_journeys_missing_fields_and_bad_bodies(api):
    created = create(api)

    unknown = api.put(f"{API}/key:nope", json={**created, "key": "nope"})
    no_version = api.put(f"{API}/key:test-journey", json={**created, "version": None})
    no_such_version = api.put(f"{API}/key:test-journey", json={**created, "version": 9})
    not_object = api.put(f"{API}/key:test-journey", json=[1, 2])

    assert (unknown.status_code, unknown.json()["errorcode"]) == (404, 30003)
    assert (no_version.status_code, no_version.json()["errorcode"]) == (400, 10006)
    assert no_such_version.status_code == 404
    assert not_object.status_code == 400


def test_put_of_a_journey_with_a_dangling_next_is_rejected_with_validation_errors(api):
    created = create(api)
    created["activities"][0]["outcomes"][0]["next"] = "NOWHERE-1"

    response = api.put(f"{API}/key:test-journey", json=created)

    body = response.json()
    assert response.status_code == 400
    assert (body["message"], body["errorcode"]) == ("Validation Errors Occurred!", 10006)
    dangling = [item for item in body["validationErrors"] if "NOWHERE-1" in item["message"]]
    assert dangling[0]["additionalInfo"]["activityKey"] == "EMAILV2-1"
    assert api.get(f"{API}/key:test-journey").json()["modifiedDate"] == created["modifiedDate"]


def test_concurrent_puts_based_on_one_modified_date_apply_exactly_once(api):
    created = create(api)
    results = []

    def put(name):
        with requests.Session() as session:
            response = session.put(
                f"{api.base_url}{API}/key:test-journey",
                json={**created, "name": name},
                headers={"Authorization": api.headers["Authorization"]},
            )
        results.append(response.status_code)

    threads = [threading.Thread(target=put, args=(f"writer {n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200] + [400] * 7


# delete, publish, stop


def test_delete_without_a_version_deletes_every_version_and_answers_the_id(sim, api):
    created = create(api)
    publish_now(sim, api, "test-journey")
    create(api)

    response = api.delete(f"{API}/{created['id']}")

    assert (response.status_code, response.text) == (200, created["id"])
    assert api.get(f"{API}/key:test-journey").status_code == 404
    deleted = api.get(API, params={"status": "Deleted", "mostRecentVersionOnly": "false"}).json()
    assert sorted(item["version"] for item in deleted["items"]) == [1, 2]


def test_deleting_one_version_keeps_the_others_and_a_new_post_continues_the_numbering(sim, api):
    create(api)
    publish_now(sim, api, "test-journey")
    create(api)

    api.delete(f"{API}/key:test-journey", params={"versionNumber": 2})
    remaining = api.get(f"{API}/key:test-journey", params={"versionNumber": 1}).json()
    api.delete(f"{API}/key:test-journey")
    again = api.delete(f"{API}/key:test-journey")
    recreated = create(api)

    assert remaining["version"] == 1
    assert again.status_code == 404
    assert recreated["version"] == 3


def test_publish_is_in_process_until_the_delay_has_passed(sim, api, sim_clock):
    sim.configure(publish_delay=0.4)
    created = create(api)

    started = api.post(f"{API}/publishAsync/{created['id']}", params={"versionNumber": 1}, json={})
    status_url = started.json()["statusUrl"]
    sim_clock.advance(0.3)
    early = api.get(status_url).json()
    sim_clock.advance(0.2)
    late = api.get(status_url).json()

    assert status_url == f"{API}/publishStatus/{started.json()['statusId']}"
    assert (early["status"], late["status"]) == ("PublishInProcess", "PublishCompleted")
    published = api.get(f"{API}/key:test-journey").json()
    assert published["status"] == "Published"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", published["lastPublishedDate"])


def test_publishing_a_new_version_unpublishes_the_previous_one(sim, api):
    create(api)
    publish_now(sim, api, "test-journey")
    create(api)
    publish_now(sim, api, "test-journey", version=2)

    versions = api.get(API, params={"key": "test-journey", "mostRecentVersionOnly": "false"})

    statuses = {item["version"]: item["status"] for item in versions.json()["items"]}
    assert statuses == {1: "Unpublished", 2: "Published"}


def test_publish_of_a_journey_without_an_event_definition_key_ends_in_error(sim, api):
    body = journey()
    body["triggers"][0]["metaData"].pop("eventDefinitionKey")
    api.post(API, json=body)
    sim.configure(publish_delay=0)

    started = api.post(f"{API}/publishAsync/key:test-journey", json={}).json()
    status = api.get(f"{API}/publishStatus/{started['statusId']}").json()

    assert status["status"] == "Error"
    error = status["errors"][0]
    assert (error["errorCode"], error["errorType"]) == ("121500", "Error")
    assert error["additionalInfo"] == {}  # a journey-level error names no activity
    assert api.get(f"{API}/key:test-journey").json()["status"] == "Draft"


def test_publishing_or_stopping_in_the_wrong_status_is_refused_with_mcdev_messages(sim, api):
    create(api)
    stop_draft = api.post(f"{API}/stop/key:test-journey", json={})
    publish_now(sim, api, "test-journey")
    again = api.post(f"{API}/publishAsync/key:test-journey", json={})
    stopped = api.post(f"{API}/stop/key:test-journey", params={"versionNumber": 1}, json={})
    after_stop = api.post(f"{API}/publishAsync/key:test-journey", json={})

    assert stop_draft.status_code == 400
    assert again.json()["message"] == "Cannot publish interaction in Published status."
    assert (stopped.status_code, stopped.text) == (200, "")
    assert after_stop.json()["message"] == "Cannot publish interaction in Stopped status."
    assert api.get(f"{API}/key:test-journey").json()["status"] == "Stopped"
    assert api.get(f"{API}/publishStatus/unknown").status_code == 404


def test_status_changes_bump_the_modified_date(sim, api):
    created = create(api)
    publish_now(sim, api, "test-journey")

    published = api.get(f"{API}/key:test-journey").json()

    assert published["modifiedDate"] != created["modifiedDate"]


# errors, rate limit


def test_unknown_routes_and_methods_answer_with_the_error_envelope(api):
    unknown = api.get("/interaction/v1/journeys")
    nested = api.get(f"{API}/abc/audit/all")
    method = api.patch(API)

    assert (unknown.status_code, unknown.json()["errorcode"]) == (404, 404)
    assert set(unknown.json()) == {"message", "errorcode", "documentation"}
    assert nested.status_code == 404
    assert (method.status_code, method.json()["errorcode"]) == (405, 405)


def test_rate_limit_is_off_by_default_and_answers_429_with_retry_after_when_on(sim, api, sim_clock):
    assert all(api.get(API).status_code == 200 for _ in range(20))
    sim.configure(rate_limit_capacity=2, rate_limit_per_second=0.5)  # the clock stands still

    statuses = [api.get(API) for _ in range(3)]

    assert [r.status_code for r in statuses] == [200, 200, 429]
    limited = statuses[2]
    assert limited.headers["Retry-After"] == "2"
    assert limited.json()["errorcode"] == 50100
    assert limited.json()["retryAfter"] == 2
    assert limited.json()["message"] == "Rate limit exceeded"


# faults


def test_latency_fault_delays_the_answer(sim, api):
    sim.add_fault("latency", seconds=0.3)

    started = time.monotonic()
    response = api.get(API)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_error_fault_answers_with_the_server_error_envelope_and_changes_nothing(
    sim, api, status
):
    created = create(api)
    sim.add_fault("http_error", method="PUT", status=status)

    response = api.put(f"{API}/key:test-journey", json={**created, "name": "lost"})

    assert response.status_code == status
    assert response.json()["message"].startswith("There was a problem processing your request")
    assert api.get(f"{API}/key:test-journey").json()["name"] == created["name"]


def test_rate_limit_fault_answers_429_with_its_retry_after(sim, api):
    sim.add_fault("rate_limit", seconds=7)

    response = api.get(API)

    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")


def test_drop_fault_closes_the_connection_without_applying_the_write(sim, api):
    created = create(api)
    sim.add_fault("drop", method="PUT")

    with pytest.raises(requests.ConnectionError):
        api.put(f"{API}/key:test-journey", json={**created, "name": "dropped"})

    assert api.get(f"{API}/key:test-journey").json()["name"] == created["name"]
    [put] = sim.request_log(method="PUT")
    assert (put["outcome"], put["applied"]) == ("dropped", False)


def test_lost_response_fault_commits_the_write_then_drops_the_connection(sim, api):
    created = create(api)
    sim.add_fault("lost_response", method="PUT")

    with pytest.raises(requests.ConnectionError):
        api.put(f"{API}/key:test-journey", json={**created, "name": "applied"})

    assert api.get(f"{API}/key:test-journey").json()["name"] == "applied"
    [put] = sim.request_log(method="PUT")
    assert (put["outcome"], put["applied"], put["key"]) == ("lost_response", True, "test-journey")


def test_lost_response_fault_can_hang_past_the_client_read_timeout(sim, api):
    created = create(api)
    sim.add_fault("lost_response", method="PUT", seconds=60)

    with pytest.raises(requests.ReadTimeout):
        api.put(f"{API}/key:test-journey", json={**created, "name": "slow"}, timeout=(5, 2))

    # Committed before the hang: seen long before the hang ends, however loaded the machine.
    deadline = time.monotonic() + 30
    while api.get(f"{API}/key:test-journey").json()["name"] != "slow":
        assert time.monotonic() < deadline, "the write was not committed before the hang"
        time.sleep(0.05)


def test_malformed_fault_answers_its_body_status_and_headers_verbatim_and_changes_nothing(sim, api):
    created = create(api)
    sim.add_fault(
        "malformed", method="PUT", body='{"count": "x"', status=201, headers={"X-Odd": "1"}
    )

    response = api.put(f"{API}/key:test-journey", json={**created, "name": "never"})

    assert (response.status_code, response.text) == (201, '{"count": "x"')
    assert response.headers["X-Odd"] == "1"
    assert api.get(f"{API}/key:test-journey").json()["name"] == created["name"]
    bad = sim.http.post(f"{sim.base_url}/_sim/faults", json={"kind": "malformed", "body": 5})
    assert bad.status_code == 400


def test_faults_match_method_and_path_are_consumed_and_can_be_cleared(sim, api):
    sim.add_fault("http_error", method="GET", path=f"{API}/key:*", count=2, status=503)
    sim.add_fault("http_error", method="DELETE", status=500)

    assert api.get(API).status_code == 200
    assert [api.get(f"{API}/key:x").status_code for _ in range(3)] == [503, 503, 404]
    assert [f["kind"] for f in sim.control("GET", "faults")] == ["http_error"]
    sim.control("DELETE", "faults")
    assert sim.control("GET", "faults") == []


def test_faults_never_touch_the_controls_and_bad_specs_are_refused(sim):
    sim.add_fault("drop")

    assert sim.control("GET", "journeys") == []
    refused = sim.http.post(f"{sim.base_url}/_sim/faults", json={"kind": "explode"})
    wrong_status = sim.http.post(
        f"{sim.base_url}/_sim/faults", json={"kind": "http_error", "status": 404}
    )
    assert (refused.status_code, wrong_status.status_code) == (400, 400)


# controls


@pytest.mark.parametrize(
    ("action", "params", "check"),
    [
        ("rename", {"name": "Theirs"}, lambda doc: doc["name"] == "Theirs"),
        (
            "change-wait",
            {"duration": 9},
            lambda doc: doc["activities"][1]["configurationArguments"]["waitDuration"] == 9,
        ),
        ("add-activity", {}, lambda doc: len(doc["activities"]) == 7),
        (
            "remove-activity",
            {"activity_key": "WAITBYDURATION-1"},
            lambda doc: doc["activities"][0]["outcomes"][0]["next"] == "ENGAGEMENTSPLITV2-1",
        ),
    ],
)
def test_remote_edits_change_the_latest_draft_and_bump_its_modified_date(
    sim, api, action, params, check
):
    created = create(api)

    sim.control("POST", "remote-edit", {"key": "test-journey", "action": action, **params})

    remote = api.get(f"{API}/key:test-journey", params={"extras": "all"}).json()
    assert check(remote)
    assert remote["modifiedDate"] != created["modifiedDate"]
    assert [p for p in validate(remote) if p.severity == "error"] == []
    stale = api.put(f"{API}/key:test-journey", json={**created, "name": "mine"})
    assert stale.json()["message"] == CONFLICT


def test_remote_edit_needs_a_draft_and_a_known_action(sim, api):
    create(api)
    unknown = sim.http.post(
        f"{sim.base_url}/_sim/remote-edit", json={"key": "test-journey", "action": "paint"}
    )
    publish_now(sim, api, "test-journey")
    published = sim.http.post(
        f"{sim.base_url}/_sim/remote-edit", json={"key": "test-journey", "action": "rename"}
    )

    assert unknown.status_code == 400
    assert published.status_code == 409


def test_control_page_lists_journeys_and_escapes_their_names(sim, api):
    sim.configure(illegal_name_characters="")  # the API refuses < > in a name by default (121072)
    create(api, name="<script>alert(1)</script>")

    page = sim.http.get(f"{sim.base_url}/_sim/")

    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert 'action="/_sim/remote-edit"' in page.text


def test_control_forms_redirect_back_to_the_page(sim):
    done = sim.http.post(f"{sim.base_url}/_sim/seed-demo", data={"go": "1"}, allow_redirects=False)
    refused = sim.http.post(
        f"{sim.base_url}/_sim/faults", data={"kind": "nope"}, allow_redirects=False
    )

    assert (done.status_code, done.headers["Location"]) == (303, "/_sim/?done=1")
    assert refused.status_code == 303 and "error=" in refused.headers["Location"]
    assert len(sim.control("GET", "journeys")) == ALL_DEMOS


def test_cross_site_control_posts_are_refused(sim):
    response = sim.http.post(
        f"{sim.base_url}/_sim/reset", headers={"Origin": "http://evil.example"}, data={}
    )

    assert response.status_code == 403


def test_config_changes_are_checked_and_reset_restores_the_start_values(sim, api):
    create(api)
    sim.add_fault("drop")
    bad = sim.http.post(f"{sim.base_url}/_sim/config", json={"max_page_size": "many"})
    unknown = sim.http.post(f"{sim.base_url}/_sim/config", json={"colour": "red"})
    changed = sim.configure(conflict_status="409", put_bogus_created_date="false")

    sim.control("POST", "reset")

    assert (bad.status_code, unknown.status_code) == (400, 400)
    assert (changed["conflict_status"], changed["put_bogus_created_date"]) == (409, False)
    assert "client_secret" not in changed
    assert sim.control("GET", "config")["conflict_status"] == 400
    assert sim.control("GET", "journeys") == []
    assert sim.control("GET", "faults") == []
    assert sim.request_log() == []


def test_seeding_the_demo_twice_creates_each_journey_once(sim):
    first = sim.control("POST", "seed-demo")
    second = sim.control("POST", "seed-demo")

    assert len(first["created"]) == ALL_DEMOS
    assert second["created"] == []
    statuses = {j["key"]: j["status"] for j in sim.control("GET", "journeys")}
    assert statuses["demo-birthday-offer"] == "Published"


# persistence, demo data, code rules


def test_state_survives_a_restart_on_the_same_data_file(tmp_path):
    data = tmp_path / "sim.sqlite3"
    first = start_simulator(data)
    try:
        with ApiSession(first) as api:
            created = create(api)
            updated = api.put(f"{API}/key:test-journey", json={**created, "name": "kept"}).json()
            token = api.headers["Authorization"]
        first.add_fault("http_error", status=503)
    finally:
        first.stop()

    second = start_simulator(data)
    try:
        faults = second.control("GET", "faults")
        second.control("DELETE", "faults")
        after = requests.get(
            f"{second.base_url}{API}/key:test-journey", headers={"Authorization": token}
        ).json()
        recreated = requests.post(
            f"{second.base_url}{API}", json=journey("other"), headers={"Authorization": token}
        ).json()
    finally:
        second.stop()

    assert [f["params"]["status"] for f in faults] == [503]
    assert (after["name"], after["modifiedDate"]) == ("kept", updated["modifiedDate"])
    assert recreated["modifiedDate"] > updated["modifiedDate"]


@pytest.mark.parametrize("build", demo.DEMO_JOURNEYS, ids=lambda build: build.__name__)
def test_demo_journeys_pass_the_domain_validator(build):
    assert validate(build()) == []


def test_demo_journeys_cover_the_activity_types_the_editor_must_show():
    journeys = [build() for build in demo.DEMO_JOURNEYS]
    activities = [a for j in journeys for a in j["activities"]]
    types = {a["type"] for a in activities}
    wait_kinds = {a["metaData"]["uiType"] for a in activities if a["type"] == "WAIT"}

    assert {"EMAILV2", "MULTICRITERIADECISION", "RANDOMSPLIT", "ENGAGEMENTDECISION"} <= types
    assert {"UPDATECONTACTDATA", "REST"} <= types
    assert wait_kinds == {"WAITBYDURATION", "WAITBYATTRIBUTE"}
    decisions = [a for a in activities if a["type"] == "MULTICRITERIADECISION"]
    assert all(
        "<FilterDefinition>" in c
        for d in decisions
        for c in d["configurationArguments"]["criteria"].values()
    )
    assert any(j["goals"] for j in journeys) and any(j["exits"] for j in journeys)


def test_timestamps_are_formatted_and_parsed_like_real_data():
    assert format_ms(1714843557900) == "2024-05-04T17:25:57.9"
    assert format_ms(1714843557000) == "2024-05-04T17:25:57"
    assert parse_ms("2024-05-04T17:25:57.9") == parse_ms("2024-05-04T17:25:57.900") == 1714843557900
    assert parse_ms("2024-05-04T17:25:57.9001") == 1714843557900
    assert parse_ms("yesterday") is None and parse_ms(None) is None


def test_the_simulator_never_imports_django():
    for path in (SFMC_DIR / "simulator").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "django" for name in names), path


@pytest.mark.integration
def test_the_command_line_serves_the_simulator_with_demo_data(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "journeys.sfmc.simulator", "--port", "0"]
        + ["--data", str(tmp_path / "cli.sqlite3"), "--seed-demo"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=SFMC_DIR.parent.parent,
    )
    try:
        lines = [process.stdout.readline(), process.stdout.readline()]
        base_url = re.search(r"http://127\.0\.0\.1:\d+", lines[1]).group(0)
        journeys = requests.get(f"{base_url}/_sim/journeys", timeout=5).json()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert "demo-welcome-series" in lines[0]
    assert len(journeys) == ALL_DEMOS
