"""A hostile, broken or slow SFMC cannot break a page nor hold a web worker.

The SFMC is the simulator over real HTTP on 127.0.0.1, with its ``malformed`` fault answering
exactly what a broken SFMC would (JSON nested 200,000 deep, "gzip" that is not, a token with a
line break, numbers that are not numbers or do not fit a column, a journey without its key) and
its ``latency`` fault for a slow one. Each malformed answer is a typed ``MalformedAnswer``, the
page that met it says so plainly, and nothing malformed is cached or stored. An interactive
call gives up at its deadline (``SlowAnswer``) without retrying past it; background work keeps
its retries.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from journeys.models import Journey, PushAttempt, RemoteSnapshot
from journeys.services import push
from journeys.services.remote import client_for
from journeys.sfmc.client import SFMCClient, TokenCache
from journeys.sfmc.errors import (
    HostNotAllowed,
    MalformedAnswer,
    RemoteError,
    ResponseLost,
    SFMCError,
    SlowAnswer,
)
from journeys.tasks import check_remote_version
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET
from tests.test_push_service import WELCOME, approved_demo, import_demo, run_until_final

API = "/interaction/v1/interactions"
JOURNEYS = f"{API}*"
NESTED = "[" * 200_000 + "]" * 200_000
HUGE = 10**30


def journey_answer(simulator, **changes: Any) -> str:
    """SFMC's answer for the welcome series with some fields changed (None: left out)."""
    document = sfmc_client(simulator).get_journey(WELCOME, by_key=True)
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v is not None})


def list_answer(simulator, **changes: Any) -> str:
    """A list answer with one item; ``count``, ``page``, ``pageSize`` and ``items`` change the
    page, other fields its item (None: left out)."""
    item = json.loads(journey_answer(simulator, **changes))
    page = {"count": 1, "page": 1, "pageSize": 25, "items": [item]}
    page.update({k: v for k, v in changes.items() if k in page})
    return json.dumps(page)


def sfmc_client(simulator, **options: Any) -> SFMCClient:
    settings = {
        "allowed_host_suffixes": (".rest.marketingcloudapis.com",),
        "allow_insecure_hosts": [simulator.host_port],
        "sleep": lambda seconds: None,
        "token_cache": TokenCache(),
        "read_timeout": 5.0,
        "max_retries": 2,
    }
    settings.update(options)
    return SFMCClient(simulator.base_url, simulator.base_url, CLIENT_ID, CLIENT_SECRET, **settings)


def token_requests(simulator) -> int:
    return len([e for e in simulator.request_log(method="POST") if e["path"] == "/v2/token"])


def journey_gets(simulator) -> int:
    return len([e for e in simulator.request_log(method="GET") if e["path"].startswith(API)])


@pytest.fixture
def seeded(demo_journeys):
    return demo_journeys


# malformed answers, at the client


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (NESTED, {}),
        ("this is not gzip", {"Content-Encoding": "gzip"}),
        ('{"access_token": "abc\\r\\nX-Injected: 1", "expires_in": 1080}', {}),
        ('{"access_token": "two words", "expires_in": 1080}', {}),
        ('{"access_token": 12345}', {}),
        ('{"access_token": "ok", "rest_instance_url": 5}', {}),
        ("[1, 2]", {}),
        ("1" * 5000, {}),
    ],
    ids=["nested", "not-gzip", "crlf", "space", "number", "url-not-text", "array", "long-number"],
)
def test_a_malformed_token_answer_is_a_typed_error_and_nothing_is_cached(simulator, body, headers):
    sfmc = sfmc_client(simulator)
    simulator.add_fault("malformed", method="POST", path="/v2/token", body=body, headers=headers)

    with pytest.raises(MalformedAnswer) as raised:
        sfmc.get_token()

    assert "SFMC" in str(raised.value) and len(str(raised.value)) < 200
    assert sfmc.list_journeys().count == 0  # a fresh token: the bad one was not kept
    assert token_requests(simulator) == 2


def test_a_served_address_that_is_not_a_url_is_refused_and_nothing_is_cached(simulator):
    sfmc = sfmc_client(simulator)
    body = json.dumps({"access_token": "ok", "rest_instance_url": "https://[unclosed"})
    simulator.add_fault("malformed", method="POST", path="/v2/token", body=body)

    with pytest.raises(HostNotAllowed):
        sfmc.get_token()

    assert sfmc.list_journeys().count == 0
    assert token_requests(simulator) == 2


def test_an_error_answer_nested_too_deep_is_still_the_typed_error(simulator):
    simulator.add_fault("malformed", method="POST", path="/v2/token", body=NESTED, status=401)

    with pytest.raises(SFMCError) as raised:
        sfmc_client(simulator).get_token()

    assert raised.value.status == 401


@pytest.mark.parametrize(
    "changes",
    [
        {"count": "x"},
        {"count": HUGE},
        {"count": -1},
        {"page": 0},
        {"pageSize": True},
        {"items": "none"},
        {"items": [1]},
        {"version": "notanint"},
        {"version": HUGE},
        {"version": 1.5},
        {"key": None},
        {"id": None},
        {"id": "a/b"},
        {"name": ["x"]},
        {"modifiedDate": 5},
    ],
    ids=str,
)
def test_a_malformed_list_answer_is_a_typed_error(simulator, seeded, changes):
    simulator.add_fault("malformed", method="GET", path=API, body=list_answer(simulator, **changes))

    with pytest.raises(MalformedAnswer):
        sfmc_client(simulator).list_journeys()


@pytest.mark.parametrize(
    "changes",
    [{"version": "notanint"}, {"version": HUGE}, {"version": 0}, {"key": None}, {"key": ""}],
    ids=str,
)
def test_a_malformed_journey_answer_is_a_typed_error(simulator, seeded, changes):
    body = journey_answer(simulator, **changes)
    simulator.add_fault("malformed", method="GET", path=f"{API}/*", body=body)

    with pytest.raises(MalformedAnswer):
        sfmc_client(simulator).get_journey(WELCOME, by_key=True)


def test_a_garbled_answer_to_a_write_leaves_it_to_be_checked_not_resent(simulator, seeded):
    sfmc = sfmc_client(simulator)
    document = sfmc.get_journey(WELCOME, by_key=True)
    simulator.add_fault(
        "malformed", method="PUT", body="not gzip", headers={"Content-Encoding": "gzip"}
    )

    with pytest.raises(ResponseLost):
        sfmc.put_journey(document)

    assert len(simulator.request_log(method="PUT")) == 1


# malformed answers, on the pages that meet them


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


@pytest.mark.parametrize(
    "changes", [{"count": "x"}, {"version": "notanint"}, {"version": HUGE}, {"key": None}], ids=str
)
def test_browsing_a_malformed_list_says_so_plainly(
    as_editor, sim_connection, seeded, simulator, changes
):
    simulator.add_fault("malformed", method="GET", path=API, body=list_answer(simulator, **changes))

    response = as_editor.get(reverse("journeys:remote-list", args=[sim_connection.pk]))

    assert response.status_code == 200
    assert b"SFMC did not answer as expected" in response.content
    assert b"this app cannot use" in response.content


@pytest.mark.parametrize(
    ("body", "headers"),
    [(NESTED, {}), ('{"access_token": "abc\\r\\nX-Injected: 1"}', {})],
    ids=["nested", "crlf"],
)
def test_browsing_with_a_malformed_token_says_so_and_the_next_page_works(
    as_editor, sim_connection, seeded, simulator, body, headers
):
    simulator.add_fault("malformed", method="POST", path="/v2/token", body=body, headers=headers)
    url = reverse("journeys:remote-list", args=[sim_connection.pk])

    first, second = as_editor.get(url), as_editor.get(url)

    assert first.status_code == 200 and b"SFMC did not answer as expected" in first.content
    assert second.status_code == 200 and b"SFMC did not answer as expected" not in second.content


@pytest.mark.parametrize(
    "changes", [{"version": "notanint"}, {"version": HUGE}, {"key": None}], ids=str
)
def test_importing_a_malformed_journey_says_so_and_stores_nothing(
    as_editor, sim_connection, seeded, simulator, changes
):
    remote_id = sfmc_client(simulator).get_journey(WELCOME, by_key=True)["id"]
    body = journey_answer(simulator, **changes)
    simulator.add_fault("malformed", method="GET", path=f"{API}/*", body=body)

    response = as_editor.post(
        reverse("journeys:remote-import", args=[sim_connection.pk]),
        {"remote_id": remote_id},
        follow=True,
    )

    assert response.status_code == 200
    assert b"The import failed: SFMC answered" in response.content
    assert not Journey.objects.exists() and not RemoteSnapshot.objects.exists()


def test_check_sfmc_on_a_malformed_answer_says_so_and_stores_nothing(
    as_editor, editor, sim_connection, seeded, simulator
):
    draft = import_demo(editor, sim_connection)
    snapshots = RemoteSnapshot.objects.count()
    body = journey_answer(simulator, version=HUGE)
    simulator.add_fault("malformed", method="GET", path=f"{API}/*", body=body)

    response = as_editor.post(
        reverse("journeys:draft-check-sfmc", args=[draft.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 409
    assert b"Could not check SFMC: SFMC answered" in response.content
    assert RemoteSnapshot.objects.count() == snapshots


def test_the_background_check_records_a_malformed_answer_quietly(
    editor, sim_connection, seeded, simulator
):
    draft = import_demo(editor, sim_connection)
    body = journey_answer(simulator, version="notanint")
    simulator.add_fault("malformed", method="GET", path=f"{API}/*", body=body)

    check_remote_version(draft.journey_id)  # the task, as a worker runs it

    journey = Journey.objects.get(pk=draft.journey_id)
    assert "cannot use" in journey.remote_check_error
    assert journey.latest_remote_version == draft.base_snapshot.version


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_push_meeting_a_malformed_answer_ends_in_a_state_not_an_exception(
    editor, approver, sim_connection, seeded, simulator, method
):
    draft = approved_demo(editor, approver, sim_connection)
    attempt = push.request_push(editor, draft)
    body = journey_answer(simulator, version=HUGE)
    simulator.add_fault("malformed", method=method, path=f"{API}/*", body=body)

    run_until_final(attempt)

    attempt.refresh_from_db()
    assert attempt.state == PushAttempt.State.SUCCEEDED
    assert attempt.remote_version_after == draft.base_snapshot.version


# a slow SFMC


def test_an_interactive_call_gives_up_at_its_deadline_without_retrying_past_it(simulator, seeded):
    sfmc = sfmc_client(simulator, deadline=1.0, max_retries=4)
    sfmc.get_token()
    simulator.add_fault("latency", method="GET", path=API, seconds=3, count=5)

    with pytest.raises(SlowAnswer) as raised:
        sfmc.list_journeys()

    assert isinstance(raised.value, RemoteError)
    assert "SFMC is slow" in str(raised.value)
    assert journey_gets(simulator) == 1
    with pytest.raises(SlowAnswer):  # the deadline is spent: nothing more is sent
        sfmc.get_journey(WELCOME, by_key=True)
    assert journey_gets(simulator) == 1


def test_without_a_deadline_a_slow_answer_is_retried(simulator, seeded):
    sfmc = sfmc_client(simulator, read_timeout=1.0)
    sfmc.get_token()
    simulator.add_fault("latency", method="GET", path=API, seconds=3, count=1)

    assert sfmc.list_journeys().count >= 1
    assert journey_gets(simulator) == 2


def test_browsing_a_slow_sfmc_says_try_again_after_one_request(
    as_editor, sim_connection, seeded, simulator, settings
):
    settings.SFMC_INTERACTIVE_DEADLINE_SECONDS = 1.0
    settings.SFMC_MAX_RETRIES = 4
    client_for(sim_connection).get_token()  # the token is shared: only the list is slow
    simulator.add_fault("latency", method="GET", path=API, seconds=3, count=5)

    response = as_editor.get(reverse("journeys:remote-list", args=[sim_connection.pk]))

    assert response.status_code == 200
    assert b"SFMC is slow" in response.content and b"Try again" in response.content
    assert journey_gets(simulator) == 1


def test_the_background_check_keeps_its_retries_past_the_interactive_deadline(
    editor, sim_connection, seeded, simulator, settings
):
    draft = import_demo(editor, sim_connection)
    settings.SFMC_INTERACTIVE_DEADLINE_SECONDS = 0.5
    settings.SFMC_READ_TIMEOUT = 1.0
    simulator.add_fault("latency", method="GET", path=f"{API}/*", seconds=3, count=1)
    gets = journey_gets(simulator)

    check_remote_version(draft.journey_id)  # the task, as a worker runs it

    journey = Journey.objects.get(pk=draft.journey_id)
    assert journey.remote_checked_at is not None and journey.remote_check_error == ""
    assert journey_gets(simulator) == gets + 2
