"""Business units: a token's account_id picks one; each has its own journeys and catalog."""

from __future__ import annotations

import sqlite3

import pytest
import requests

from journeys.services.remote import client_for, import_journey
from journeys.sfmc.errors import NotFound, SFMCError
from journeys.sfmc.simulator import demo
from journeys.sfmc.simulator.config import (
    BusinessUnit,
    SimConfig,
    parse_business_units,
)
from tests.factories import ConnectionFactory
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET, ApiSession, start_simulator
from tests.test_simulator_catalog import retrieve

API = "/interaction/v1/interactions"
PARENT, CHILD = 510000123, 510000456
WELCOME = "demo-welcome-series"


@pytest.fixture
def seeded(simulator):
    simulator.control("POST", "seed-demo")
    return simulator


@pytest.fixture
def parent_api(simulator):
    with ApiSession(simulator) as session:
        yield session


@pytest.fixture
def child_api(simulator):
    with ApiSession(simulator, account_id=CHILD) as session:
        yield session


def keys_and_ids(api):
    items = api.get(API, params={"$pageSize": 500}).json().get("items", [])
    return {item["key"]: item["id"] for item in items}


def token_answer(simulator, **grant):
    body = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    body.update({"client_secret": CLIENT_SECRET, **grant})
    return requests.post(f"{simulator.base_url}/v2/token", json=body, timeout=10)


def small_journey(key, name):
    body = demo.outlet_welcome()
    body.update(key=key, name=name)
    return body


# tokens


def test_a_token_without_account_id_or_with_the_parent_mid_sees_the_parent_journeys(seeded):
    with (
        ApiSession(seeded) as no_account,
        ApiSession(seeded, account_id=PARENT) as parent,
        ApiSession(seeded, account_id=str(CHILD)) as child,
    ):
        default_view, parent_view, child_view = map(keys_and_ids, (no_account, parent, child))

    assert set(default_view) == {build()["key"] for build in demo.DEMO_JOURNEYS}
    assert parent_view == default_view
    assert set(child_view) == {WELCOME}
    assert child_view[WELCOME] != parent_view[WELCOME]


def test_an_integer_account_id_names_the_same_business_unit(seeded):
    answer = token_answer(seeded, account_id=CHILD)
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    items = requests.get(f"{seeded.base_url}{API}", headers=headers, timeout=10).json()["items"]

    assert [item["name"] for item in items] == ["Outlet welcome"]


@pytest.mark.parametrize("account_id", ["999", "abc", "510000123x", -1])
def test_an_unknown_account_id_is_refused_with_a_clear_description(simulator, account_id):
    answer = token_answer(simulator, account_id=account_id)

    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "unauthorized_client"
    assert repr(str(account_id)) in body["error_description"]
    assert "access_token" not in body


def test_the_status_for_an_unknown_account_is_a_setting(simulator):
    simulator.configure(unknown_account_status=401)

    answer = token_answer(simulator, account_id="42")

    assert (answer.status_code, answer.json()["error"]) == (401, "unauthorized_client")


def test_wrong_credentials_are_refused_before_the_account_is_looked_at(simulator):
    answer = token_answer(simulator, account_id=CHILD, client_secret="wrong")

    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")


# journeys


def test_the_same_key_makes_two_journeys_in_two_business_units(parent_api, child_api):
    in_parent = parent_api.post(API, json=small_journey("shared-key", "Parent journey"))
    in_child = child_api.post(API, json=small_journey("shared-key", "Child journey"))

    assert (in_parent.status_code, in_child.status_code) == (200, 200)
    assert in_parent.json()["id"] != in_child.json()["id"]
    assert in_child.json()["version"] == 1  # not version 2 of the parent's journey
    by_key = f"{API}/key:shared-key"
    assert parent_api.get(by_key).json()["name"] == "Parent journey"
    assert child_api.get(by_key).json()["name"] == "Child journey"


def test_another_business_unit_cannot_read_change_publish_or_delete_a_journey(
    simulator, parent_api, child_api
):
    created = parent_api.post(API, json=small_journey("parent-only", "Parent only")).json()
    by_id = f"{API}/{created['id']}"
    put_body = {**small_journey("parent-only", "Hijacked"), "version": 1}
    put_body["modifiedDate"] = created["modifiedDate"]

    answers = [
        child_api.get(by_id),
        child_api.get(f"{API}/key:parent-only"),
        child_api.put(f"{API}/key:parent-only", json=put_body),
        child_api.post(f"{API}/publishAsync/{created['id']}", params={"versionNumber": 1}),
        child_api.post(f"{API}/stop/{created['id']}"),
        child_api.delete(by_id),
    ]

    assert [a.status_code for a in answers] == [404] * 6
    assert {a.json()["errorcode"] for a in answers} == {30003}
    after = parent_api.get(by_id).json()
    assert (after["name"], after["status"]) == ("Parent only", "Draft")
    assert after["modifiedDate"] == created["modifiedDate"]
    assert simulator.request_log(applied="true", method="PUT") == []


def test_a_publish_status_is_only_visible_to_its_business_unit(simulator, parent_api, child_api):
    simulator.configure(publish_delay=0)
    created = parent_api.post(API, json=small_journey("status-check", "Status")).json()
    status_id = parent_api.post(f"{API}/publishAsync/{created['id']}").json()["statusId"]

    from_child = child_api.get(f"{API}/publishStatus/{status_id}")
    from_parent = parent_api.get(f"{API}/publishStatus/{status_id}")

    assert from_child.status_code == 404
    assert from_parent.json()["status"] in ("PublishCompleted", "Error")


def test_controls_list_every_business_unit_and_act_on_the_one_named(seeded):
    summaries = seeded.control("GET", "journeys")
    edited = seeded.control(
        "POST",
        "remote-edit",
        {"key": WELCOME, "account_id": CHILD, "action": "rename", "name": "Renamed"},
    )
    refused = seeded.http.post(
        f"{seeded.base_url}/_sim/publish", json={"key": WELCOME, "account_id": "777"}
    )

    units = {(s["businessUnit"], s["key"]) for s in summaries}
    assert (CHILD, WELCOME) in units and (PARENT, WELCOME) in units
    assert len(summaries) == len(demo.DEMO_JOURNEYS) + len(demo.CHILD_DEMO_JOURNEYS)
    assert edited["name"] == "Renamed"
    names = {(s["businessUnit"], s["key"]): s["name"] for s in seeded.control("GET", "journeys")}
    assert names[(CHILD, WELCOME)] == "Renamed"
    assert names[(PARENT, WELCOME)] == "Welcome series"
    assert refused.status_code == 400 and "777" in refused.json()["message"]


# catalog


def test_each_business_unit_has_its_own_catalog(simulator, parent_api, child_api):
    parent_events = parent_api.get("/interaction/v1/eventDefinitions").json()["items"]
    child_events = child_api.get("/interaction/v1/eventDefinitions").json()["items"]
    query = {"page": {"page": 1, "pageSize": 500}}
    child_emails = child_api.post("/asset/v1/content/assets/query", json=query).json()["items"]
    parent_des = retrieve(simulator, "DataExtension", ["CustomerKey"])[2]
    child_des = retrieve(simulator, "DataExtension", ["CustomerKey"], simulator.token(CHILD))[2]

    assert demo.EVENT_KEY in {e["eventDefinitionKey"] for e in parent_events}
    assert [e["eventDefinitionKey"] for e in child_events] == [demo.OUTLET_EVENT_KEY]
    legacy_ids = [e["data"]["email"]["legacy"]["legacyId"] for e in child_emails]
    assert legacy_ids == [demo.OUTLET_EMAIL_ID]
    assert {row["CustomerKey"] for row in child_des} == {"OutletMembers"}
    assert "OutletMembers" not in {row["CustomerKey"] for row in parent_des}
    assert child_api.get(f"/interaction/v1/eventDefinitions/key:{demo.EVENT_KEY}").status_code == (
        404
    )


def test_business_unit_retrieve_lists_the_parent_and_children_or_only_the_child(simulator):
    def units(token=None):
        rows = retrieve(simulator, "BusinessUnit", ["ID", "Name", "ParentID"], token)[2]
        return [{name: row[name] for name in ("ID", "Name", "ParentID")} for row in rows]

    from_parent, from_child = units(), units(simulator.token(CHILD))

    assert from_parent == [
        {"ID": str(PARENT), "Name": "Northwind", "ParentID": "0"},
        {"ID": str(CHILD), "Name": "Northwind Outlet", "ParentID": str(PARENT)},
    ]
    assert from_child == [{"ID": str(CHILD), "Name": "Northwind Outlet", "ParentID": str(PARENT)}]


# configuration and storage


def test_business_units_are_configured_at_start_and_not_at_run_time(tmp_path):
    units = parse_business_units("7001=Acme, 7002=Acme Kids,7003=Acme Pro")
    simulator = start_simulator(tmp_path / "sim.sqlite3", SimConfig(business_units=units))
    try:
        kids = token_answer(simulator, account_id="7002")
        default_child = token_answer(simulator, account_id=CHILD)
        change = simulator.http.post(
            f"{simulator.base_url}/_sim/config", json={"business_units": "1=One"}
        )
        listed = retrieve(simulator, "BusinessUnit", ["ID", "ParentID"])[2]
    finally:
        simulator.stop()

    assert units[1] == BusinessUnit(7002, "Acme Kids", parent_mid=7001)
    assert kids.status_code == 200 and default_child.status_code == 400
    assert change.status_code == 400 and "start" in change.json()["message"]
    assert [row["ID"] for row in listed] == ["7001", "7002", "7003"]
    assert {row["ParentID"] for row in listed[1:]} == {"7001"}


@pytest.mark.parametrize("text", ["", "7001", "x=Acme", "7001=", "7001=A,7001=B"])
def test_business_units_that_cannot_work_are_refused(text):
    with pytest.raises(ValueError):
        SimConfig(business_units=parse_business_units(text)).check()


# What store.py created before business units existed (its schema, verbatim).
OLD_SCHEMA = """
CREATE TABLE versions (
    journey_id TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL,
    definition_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL, created_date TEXT NOT NULL, modified_date TEXT NOT NULL,
    modified_ms INTEGER NOT NULL, last_published_date TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (journey_id, version)
);
CREATE INDEX versions_by_key ON versions (key, version);
CREATE INDEX versions_listing ON versions (journey_id, version, status, modified_ms, name, key);
CREATE TABLE tokens (token TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE publish_requests (
    status_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, version INTEGER NOT NULL,
    ready_at REAL NOT NULL, settled INTEGER NOT NULL DEFAULT 0, errors TEXT NOT NULL
);
CREATE TABLE faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, remaining INTEGER NOT NULL, params TEXT NOT NULL
);
"""


def test_a_data_file_from_before_business_units_opens_with_its_data_in_the_parent(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    old.execute(
        "INSERT INTO versions VALUES ('j-1', 1, 'old-key', 'j-1', 'Draft', 'Old', '',"
        " '2024-01-01T00:00:00', '2024-01-01T00:00:00', 1704067200000, '0001-01-01T00:00:00',"
        ' \'{"name": "Old", "workflowApiVersion": 1}\')'
    )
    old.execute("INSERT INTO tokens VALUES ('old-token', 'sim-client-id', 9999999999)")
    old.commit()
    old.close()

    simulator = start_simulator(path)
    try:
        old_token = {"Authorization": "Bearer old-token"}
        listed = requests.get(f"{simulator.base_url}{API}", headers=old_token, timeout=10).json()
        with ApiSession(simulator, account_id=CHILD) as child:
            in_child = child.get(API).json()
            created = child.post(API, json=small_journey("old-key", "New in child"))
    finally:
        simulator.stop()

    assert [(i["id"], i["key"], i["name"]) for i in listed["items"]] == [("j-1", "old-key", "Old")]
    assert in_child["count"] == 0
    assert created.status_code == 200 and created.json()["id"] != "j-1"
    reopened = sqlite3.connect(path)
    rows = reopened.execute("SELECT key, mid FROM versions ORDER BY mid").fetchall()
    reopened.close()
    assert rows == [("old-key", PARENT), ("old-key", CHILD)]


# the product


@pytest.fixture
def bu_connections(db, simulator, settings):
    """Two product connections to the one simulator: the parent (no account id) and the child."""
    settings.SFMC_SIMULATOR_ENABLED = True
    settings.SFMC_SIMULATOR_URL = simulator.base_url
    urls = {"auth_base_url": simulator.base_url, "rest_base_url": simulator.base_url}
    urls["client_id"] = CLIENT_ID
    parent = ConnectionFactory(name="Northwind", account_id="", **urls)
    child = ConnectionFactory(name="Northwind Outlet", account_id=str(CHILD), **urls)
    return parent, child


def test_two_product_connections_with_different_account_ids_see_different_journeys(
    seeded, bu_connections, editor
):
    parent, child = bu_connections
    parent_items = {item["key"]: item for item in client_for(parent).iter_journeys()}
    child_items = {item["key"]: item for item in client_for(child).iter_journeys()}

    parent_draft = import_journey(editor, parent, parent_items[WELCOME]["id"]).draft
    child_draft = import_journey(editor, child, child_items[WELCOME]["id"]).draft

    assert len(parent_items) == len(demo.DEMO_JOURNEYS)
    assert set(child_items) == {WELCOME}
    assert child_items[WELCOME]["name"] == "Outlet welcome"
    assert parent_draft.journey.remote_id == parent_items[WELCOME]["id"]
    assert (
        child_draft.journey.remote_id
        == child_items[WELCOME]["id"]
        != parent_draft.journey.remote_id
    )
    assert child_draft.document["name"] == "Outlet welcome"
    with pytest.raises(NotFound):
        client_for(child).get_journey(parent_items[WELCOME]["id"])
    token_requests = [e for e in seeded.request_log(method="POST") if e["path"] == "/v2/token"]
    assert len(token_requests) == 2  # one token per business unit, each cached


def test_a_product_connection_with_an_unknown_account_id_says_so(seeded, bu_connections):
    _, child = bu_connections
    child.account_id = "999"
    child.save()

    with pytest.raises(SFMCError) as refused:
        client_for(child).list_journeys()

    assert "999" in str(refused.value)
    assert "refused the client id and secret" not in str(refused.value)
