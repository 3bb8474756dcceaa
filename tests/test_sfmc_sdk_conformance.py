"""The simulator as a real SFMC client meets it: the published ``sfmc-sdk`` npm package, driven by
tests/node/sdk_conformance.mjs over HTTPS with SFMC's own host names.

The host names resolve to the simulator inside the Node process only (tests/node/
resolve_sfmc_hosts.cjs, preloaded with ``--require``); the simulator's self-signed certificate is
trusted through ``NODE_EXTRA_CA_CERTS``. The package is installed once into ``var/node/``
(tests/npm_packages.py). The Node script records what the SDK saw, step by step; each test here
checks one part of it, so a failure names the step.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from journeys.sfmc.simulator import SimConfig, demo
from journeys.sfmc.simulator.interactions import JourneyRef
from tests.npm_packages import npm_package, require_tools
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET, RunningSimulator, start_simulator

# Pinned: `npm view sfmc-sdk version` when this test was written. Bump it deliberately.
SFMC_SDK_VERSION = "2.1.2"
NODE_DIR = Path(__file__).resolve().parent / "node"
SUBDOMAIN = "mc0123456789abcdefghijklmnop"  # 28 characters, as sfmc-sdk insists
AUTH_URL = f"https://{SUBDOMAIN}.auth.marketingcloudapis.com/"
REST_URL = f"https://{SUBDOMAIN}.rest.marketingcloudapis.com/"
SOAP_URL = f"https://{SUBDOMAIN}.soap.marketingcloudapis.com/"
API = "/interaction/v1/interactions"
PAGE_SIZE = 2
EXISTING_KEY = "demo-welcome-series"  # in both business units, with different ids
NEW_KEY = "sdk-conformance"
RENAMED = "Renamed through sfmc-sdk"
DATA_EXTENSION_KEY = "Members"
CONFLICT = "Another user recently modified this journey. Refresh to edit the latest version."
NODE_TIMEOUT = 60


@dataclass
class SdkRun:
    """The simulator after the Node script ran against it, and the script's report."""

    simulator: RunningSimulator
    report: dict[str, Any]

    def step(self, name: str) -> Any:
        """What step ``name`` saw; fails naming the step when it failed or never ran."""
        steps = {step["name"]: step for step in self.report["steps"]}
        if name not in steps:
            last = self.report["steps"][-1]
            pytest.fail(f"sfmc-sdk never reached {name}: the run ended at {last['name']}: {last}")
        if not steps[name]["ok"]:
            pytest.fail(f"sfmc-sdk step {name} failed: {steps[name]['error']}")
        return steps[name]["value"]

    def requests(self, method: str, path: str) -> list[Any]:
        """The simulator's log of the API requests to ``path``, in order."""
        entries = self.simulator.app.request_log.entries(method)
        return [entry for entry in entries if entry.path == path]

    def journey_ids(self, key: str) -> dict[int, str]:
        """The id of journey ``key`` in each business unit (by MID)."""
        units = self.simulator.app.business_units
        return {unit.mid: unit.interactions.get(JourneyRef(key=key)).journey_id for unit in units}


@pytest.fixture(scope="module")
def sdk_run(tmp_path_factory) -> Iterator[SdkRun]:
    node = require_tools("node")["node"]
    prefix = npm_package("sfmc-sdk", SFMC_SDK_VERSION)
    folder = tmp_path_factory.mktemp("sfmc-sdk")
    config = SimConfig(
        rest_instance_url=REST_URL,
        soap_instance_url=SOAP_URL,
        publish_delay=0.2,  # short, but long enough for the SDK to poll an unfinished publish
        soap_page_size=1,  # every SOAP Retrieve pages (MoreDataAvailable / ContinueRequest)
    )
    simulator = start_simulator(folder / "sim.sqlite3", config, tls_dir=folder / "tls")
    try:
        simulator.app.business_units.seed_demo()
        plan = {
            "sdkPrefix": str(prefix),
            "auth": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "auth_url": AUTH_URL,
                "account_id": str(simulator.app.business_units.parent_mid),
            },
            "pageSize": PAGE_SIZE,
            "existingKey": EXISTING_KEY,
            "newJourney": {**demo.welcome_series(), "key": NEW_KEY, "name": "Made by sfmc-sdk"},
            "renamedTo": RENAMED,
            "pollMs": 100,
            "maxPolls": 50,
            "dataExtensionKey": DATA_EXTENSION_KEY,
        }
        yield SdkRun(simulator, run_node(node, simulator, plan, folder))
    finally:
        simulator.stop()


def run_node(
    node: str, simulator: RunningSimulator, plan: dict[str, Any], folder: Path
) -> dict[str, Any]:
    """Run the conformance script against ``simulator``; its JSON report."""
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    # No proxy may take the SFMC host names elsewhere, and certificates must really be checked.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.lower().endswith("_proxy") and name != "NODE_TLS_REJECT_UNAUTHORIZED"
    }
    env["SFMC_SIMULATOR_PORT"] = str(simulator.server.port)
    env["NODE_EXTRA_CA_CERTS"] = str(simulator.certificate)
    hook, script = NODE_DIR / "resolve_sfmc_hosts.cjs", NODE_DIR / "sdk_conformance.mjs"
    result = subprocess.run(
        [node, "--require", str(hook), str(script), str(plan_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    if result.returncode != 0 or not result.stdout.strip():
        pytest.fail(f"the sfmc-sdk script failed ({result.returncode}):\n{result.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_the_pinned_sdk_version_is_the_one_that_ran(sdk_run):
    assert sdk_run.report["sdkVersion"] == SFMC_SDK_VERSION


def test_sdk_authenticates_once_and_is_sent_to_the_configured_instance_urls(sdk_run):
    session = sdk_run.step("authenticate")

    assert session == {
        "hasToken": True,
        "tokenType": "Bearer",
        "restInstanceUrl": REST_URL,
        "soapInstanceUrl": SOAP_URL,
    }
    # Every later call (REST and SOAP) reached the simulator with that one token.
    assert len(sdk_run.requests("POST", "/v2/token")) == 1


def test_sdk_pages_through_the_business_units_journeys(sdk_run):
    listed = sdk_run.step("pageThroughJourneys")

    parent_keys = [build()["key"] for build in demo.DEMO_JOURNEYS]
    assert sorted(listed["keys"]) == sorted(parent_keys)
    assert listed["count"] == len(parent_keys)
    pages = [parse_qs(entry.query) for entry in sdk_run.requests("GET", API)]
    assert [(page["$page"], page["$pageSize"]) for page in pages] == [
        ([str(number)], [str(PAGE_SIZE)]) for number in (1, 2, 3)
    ]


def test_sdk_gets_a_journey_by_key_and_by_id_in_the_tokens_business_unit(sdk_run):
    by_key, by_id = sdk_run.step("getByKey"), sdk_run.step("getById")

    ids = sdk_run.journey_ids(EXISTING_KEY)
    parent_id = ids[sdk_run.simulator.app.business_units.parent_mid]
    assert len(set(ids.values())) == 2  # the child unit's journey of that key is another one
    assert by_key == {
        "id": parent_id,
        "key": EXISTING_KEY,
        "activities": len(demo.welcome_series()["activities"]),
    }
    assert by_id == {"id": parent_id, "key": EXISTING_KEY}


def test_sdk_creates_a_journey_and_updates_it_with_the_current_modified_date(sdk_run):
    created = sdk_run.step("create")
    updated = sdk_run.step("updateWithCurrentModifiedDate")

    assert (created["key"], created["name"], created["version"]) == (NEW_KEY, "Made by sfmc-sdk", 1)
    assert created["status"] == "Draft"
    assert (updated["id"], updated["name"], updated["version"]) == (created["id"], RENAMED, 1)
    assert updated["modifiedDate"] != created["modifiedDate"]


def test_sdk_error_of_a_stale_update_carries_sfmcs_conflict_message(sdk_run):
    stale = sdk_run.step("updateWithStaleModifiedDate")

    assert stale == {
        "refused": True,
        "name": "RestError",
        "message": CONFLICT,
        "code": 30000,
        "status": 400,
    }
    puts = sdk_run.requests("PUT", f"{API}/key:{NEW_KEY}")
    assert [(entry.status, entry.applied) for entry in puts] == [(200, True), (400, False)]


def test_sdk_publishes_and_polls_the_status_until_completed(sdk_run):
    queued = sdk_run.step("publish")
    polled = sdk_run.step("pollPublishStatus")
    published = sdk_run.step("getPublished")

    assert queued["statusUrl"] == f"{API}/publishStatus/{queued['statusId']}"
    final = polled["final"]
    assert (final["statusId"], final["status"], final["errors"]) == (
        queued["statusId"],
        "PublishCompleted",
        [],
    )
    # The demo emails are older than 6 months: SFMC publishes, with warnings the SDK passes on.
    assert {(w["errorCode"], w["errorType"]) for w in final["warnings"]} == {("121546", "Warning")}
    assert set(polled["seen"][:-1]) <= {"PublishInProcess"}
    # The published version is the one renamed with the current date, not the stale write.
    assert (published["status"], published["name"], published["version"]) == (
        "Published",
        RENAMED,
        1,
    )


def test_sdk_stops_and_deletes_and_the_deleted_journey_is_gone(sdk_run):
    created_id = sdk_run.step("create")["id"]
    stopped = sdk_run.step("getStopped")
    removed = sdk_run.step("remove")
    gone = sdk_run.step("getDeleted")

    assert sdk_run.step("stop") == {"answer": ""}
    assert stopped["status"] == "Stopped"
    assert removed == {"answer": created_id}
    assert (gone["refused"], gone["status"], gone["code"]) == (True, 404, 30003)
    versions = sdk_run.simulator.app.store.versions(created_id)
    assert [version.status for version in versions] == ["Deleted"]


def test_sdk_soap_retrieve_of_data_extensions_follows_every_page(sdk_run):
    retrieved = sdk_run.step("soapRetrieveDataExtensions")

    rows = sdk_run.simulator.app.business_units.parent.catalog.data.soap["DataExtension"]
    assert retrieved["firstPageStatus"] == "MoreDataAvailable"
    assert [(r["CustomerKey"], r["Name"]) for r in retrieved["results"]] == [
        (row["CustomerKey"], row["Name"]) for row in rows
    ]
    assert len(rows) > 1  # so that paging (one row per page) was needed


def test_sdk_soap_retrieve_with_a_filter_gets_one_data_extensions_fields(sdk_run):
    retrieved = sdk_run.step("soapRetrieveFilteredFields")

    fields = sdk_run.simulator.app.business_units.parent.catalog.data.soap["DataExtensionField"]
    wanted = [f for f in fields if f["DataExtension.CustomerKey"] == DATA_EXTENSION_KEY]
    assert [(r["Name"], r["FieldType"]) for r in retrieved["results"]] == [
        (field["Name"], field["FieldType"]) for field in wanted
    ]
    data_extensions = len(
        sdk_run.simulator.app.business_units.parent.catalog.data.soap["DataExtension"]
    )
    assert retrieved["firstPageStatus"] == "MoreDataAvailable"
    soap_requests = sdk_run.requests("POST", "/Service.asmx")
    assert len(soap_requests) == data_extensions + len(wanted)  # one per page of one row
