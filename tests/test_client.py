from __future__ import annotations

import ast
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from journeys.domain.document import put_body
from journeys.sfmc.client import SFMCClient, TokenCache
from journeys.sfmc.errors import (
    AuthError,
    DraftExists,
    HostNotAllowed,
    NotADraft,
    NotFound,
    RateLimited,
    RemoteError,
    ResponseLost,
    SFMCError,
    ValidationRejected,
    VersionConflict,
    error_from_response,
)
from journeys.sfmc.hosts import check_base_url
from journeys.sfmc.simulator import demo
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET, start_simulator

SUFFIXES = (".auth.marketingcloudapis.com", ".rest.marketingcloudapis.com")
SFMC_DIR = Path(__file__).resolve().parent.parent / "journeys" / "sfmc"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def sim(simulator):
    return simulator


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_client(sim, sleeps):
    def make(**options):
        settings = {
            "allowed_host_suffixes": SUFFIXES,
            "allow_insecure_hosts": [sim.host_port],
            "sleep": sleeps.append,
            "token_cache": TokenCache(),
            "read_timeout": 5.0,
        }
        settings.update(options)
        secret = settings.pop("client_secret", CLIENT_SECRET)
        return SFMCClient(sim.base_url, sim.base_url, CLIENT_ID, secret, **settings)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


def new_journey(client, key="test-journey", **changes):
    body = demo.welcome_series()
    body.update(key=key, **changes)
    return client.create_journey(body)


def requests_to(sim, method, fragment=""):
    return [e for e in sim.request_log(method=method) if fragment in e["path"]]


def fake_response(status, body, headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    response.headers.update(headers or {})
    return response


# host allow-list


@pytest.mark.parametrize(
    "url",
    [
        "http://mc1234.rest.marketingcloudapis.com",
        "https://mc1234.rest.marketingcloudapis.com.evil.com",
        "https://evil.com#.rest.marketingcloudapis.com",
        "https://evil.com?.rest.marketingcloudapis.com",
        "https://user@mc1234.rest.marketingcloudapis.com",
        "https://user:pw@mc1234.rest.marketingcloudapis.com",
        "https://169.254.169.254",
        "https://[::1]",
        "https://mc1234.rest.marketingcloudapis.com:8443",
        "https://mc1234.rest.marketingcloudapis.com.",
        "https://mc1234.rеst.marketingcloudapis.com",  # Cyrillic "е"
        "https://xn--mc-ubb.rest.marketingcloudapis.com.evil.com",
        "https://a.b.rest.marketingcloudapis.com",
        "https://rest.marketingcloudapis.com",
        "https://mc1234.soap.marketingcloudapis.com",
        "https://mc1234.rest.marketingcloudapis.com/interaction",
        "https://mc1234.rest.marketingcloudapis.com\\@evil.com",
        "https://mc1234.rest.marketingcloudapis.com%2F@evil.com",
        " https://mc1234.rest.marketingcloudapis.com",
        "https://mc1234.rest.marketingcloudapis.com:abc",
        "ftp://mc1234.rest.marketingcloudapis.com",
        "http://127.0.0.1:8766",
        "http://127.0.0.1",
        "",
    ],
)
def test_base_urls_off_the_allow_list_are_refused(url):
    with pytest.raises(HostNotAllowed):
        check_base_url(url, SUFFIXES, ["127.0.0.1:8765"])


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        (
            "https://mc1234.rest.marketingcloudapis.com",
            "https://mc1234.rest.marketingcloudapis.com",
        ),
        (
            "https://MC1234.Auth.MarketingCloudAPIs.com/",
            "https://mc1234.auth.marketingcloudapis.com",
        ),
        (
            "https://mc-1.rest.marketingcloudapis.com:443",
            "https://mc-1.rest.marketingcloudapis.com",
        ),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
    ],
)
def test_allowed_base_urls_are_normalised(url, normalised):
    assert check_base_url(url, SUFFIXES, ["127.0.0.1:8765"]) == normalised


def test_client_refuses_a_configured_base_url_off_the_allow_list():
    with pytest.raises(HostNotAllowed):
        SFMCClient(
            "https://mc1.auth.marketingcloudapis.com",
            "https://169.254.169.254",
            CLIENT_ID,
            CLIENT_SECRET,
            allowed_host_suffixes=SUFFIXES,
        )


def test_client_refuses_a_rest_instance_url_served_off_the_allow_list(sim, client):
    sim.configure(rest_instance_url="http://169.254.169.254/")

    with pytest.raises(HostNotAllowed):
        client.get_journey("anything", by_key=True)

    assert requests_to(sim, "GET") == []


def test_redirects_are_never_followed(sim, client, tmp_path):
    elsewhere = start_simulator(tmp_path / "elsewhere.sqlite3")
    try:
        target = f"{elsewhere.base_url}/interaction/v1/interactions"
        sim.add_fault("redirect", method="GET", location=target)

        with pytest.raises(SFMCError, match="redirect"):
            client.list_journeys()

        assert elsewhere.request_log() == []
    finally:
        elsewhere.stop()


# calls


def test_created_journeys_come_back_by_id_and_by_url_encoded_key(sim, client):
    created = new_journey(client, key="spring sale/2026?")

    by_key = client.get_journey("spring sale/2026?", by_key=True)
    by_id = client.get_journey(created["id"])

    assert by_key == by_id
    assert by_key["activities"] == created["activities"]
    [get] = requests_to(sim, "GET", "key:")
    assert get["path"].endswith("key:spring%20sale%2F2026%3F")


def test_list_and_iter_journeys_page_through_everything(sim, client):
    for number in range(7):
        new_journey(client, key=f"journey-{number}", name=f"Journey {number}")

    page = client.list_journeys(page=2, page_size=3, order_by="Name ASC")
    everything = list(client.iter_journeys(page_size=3))

    assert (page.count, page.page, page.page_size) == (7, 2, 3)
    assert [item["key"] for item in page.items] == ["journey-3", "journey-4", "journey-5"]
    assert sorted(item["key"] for item in everything) == [f"journey-{n}" for n in range(7)]
    assert len(requests_to(sim, "GET")) == 1 + 3


def test_iter_journeys_stops_on_a_page_shorter_than_asked(sim, client):
    new_journey(client)

    assert len(list(client.iter_journeys(page_size=2, status="Draft"))) == 1
    assert len(requests_to(sim, "GET")) == 1


def test_put_journey_returns_the_new_version_and_a_stale_put_raises_version_conflict(client):
    created = new_journey(client)
    body = put_body(created, version=1, modified_date=created["modifiedDate"])

    updated = client.put_journey({**body, "name": "Renamed"})
    with pytest.raises(VersionConflict) as conflict:
        client.put_journey({**body, "name": "Stale"})

    assert updated["name"] == "Renamed"
    assert updated["modifiedDate"] != created["modifiedDate"]
    assert conflict.value.errorcode == 30000
    assert "changed this journey" in str(conflict.value)


def test_put_of_unchanged_content_returns_the_journey_as_it_is(sim, client):
    created = new_journey(client)

    current = client.put_journey(
        put_body(created, version=1, modified_date=created["modifiedDate"])
    )

    assert current["modifiedDate"] == created["modifiedDate"]
    assert [e["status"] for e in requests_to(sim, "PUT")] == [304]


def test_put_journey_needs_key_version_and_modified_date(client):
    with pytest.raises(ValueError, match="modifiedDate"):
        client.put_journey({"key": "k", "version": 1})


def test_put_to_a_published_version_raises_not_a_draft(sim, client):
    created = new_journey(client)
    sim.configure(publish_delay=0)
    client.publish(created["id"], 1)

    with pytest.raises(NotADraft):
        client.put_journey(put_body(created, version=1, modified_date=created["modifiedDate"]))
    with pytest.raises(NotADraft) as republish:
        client.publish(created["id"], 1)

    assert republish.value.remote_status == "Published"


def test_posting_a_key_that_already_has_a_draft_raises_draft_exists(client):
    new_journey(client)

    with pytest.raises(DraftExists):
        new_journey(client)


def test_invalid_journeys_raise_validation_rejected_with_activity_keys(client):
    created = new_journey(client)
    body = put_body(created, version=1, modified_date=created["modifiedDate"])
    body["activities"][0]["outcomes"][0]["next"] = "NOWHERE-1"

    with pytest.raises(ValidationRejected) as rejected:
        client.put_journey(body)
    with pytest.raises(ValidationRejected) as missing:
        client.create_journey({"key": "no-name"})

    dangling = [p for p in rejected.value.problems if "NOWHERE-1" in p.message]
    assert dangling[0].activity_key == "EMAILV2-1"
    assert rejected.value.errorcode == 10006
    assert [p.message for p in missing.value.problems] == [
        "name is required.",
        "workflowApiVersion is required.",
    ]


def test_unknown_journeys_raise_not_found(client):
    with pytest.raises(NotFound) as missing:
        client.get_journey("nope", by_key=True)

    assert (missing.value.status, missing.value.errorcode) == (404, 30003)


def test_publish_status_stop_and_delete_round_trip(sim, client):
    created = new_journey(client)
    sim.configure(publish_delay=0)

    status = client.publish_status(client.publish(created["id"], 1))
    client.stop(created["id"], version=1)
    stopped = client.get_journey(created["id"], version=1)
    deleted_id = client.delete_journey("test-journey", by_key=True)

    assert status["status"] == "PublishCompleted"
    assert stopped["status"] == "Stopped"
    assert deleted_id == created["id"]
    with pytest.raises(NotFound):
        client.get_journey(created["id"])


@pytest.mark.parametrize("answer", [b"abc-123", b'"abc-123"', b"abc-123\n"])
def test_delete_journey_accepts_a_bare_or_a_json_quoted_id(client, monkeypatch, answer):
    monkeypatch.setattr(client, "_call", lambda *args, **kwargs: fake_response(200, answer))

    assert client.delete_journey("abc-123") == "abc-123"


def test_delete_journey_without_an_id_in_the_answer_raises_remote_error(client, monkeypatch):
    monkeypatch.setattr(client, "_call", lambda *args, **kwargs: fake_response(200, b"{}"))

    with pytest.raises(RemoteError, match="without the id"):
        client.delete_journey("abc-123")


def test_a_publish_that_fails_reports_its_errors(sim, client):
    body = demo.welcome_series()
    body["triggers"][0]["metaData"].pop("eventDefinitionKey")
    created = client.create_journey(body)
    sim.configure(publish_delay=0)

    status = client.publish_status(client.publish(created["id"], 1))

    assert status["status"] == "Error"
    assert status["errors"][0]["errorCode"] == "121500"


def test_test_connection_reports_the_host_and_what_the_user_can_see(sim, client):
    new_journey(client)

    message = client.test_connection()

    assert message == f"Connected to {sim.host_port}: the API user can see 1 journey(s)."


def test_wrong_credentials_raise_auth_error_that_never_shows_the_secret(sim, make_client):
    client = make_client(client_secret="super-secret-value")

    with pytest.raises(AuthError) as refused:
        client.test_connection()

    assert "invalid_client" in str(refused.value)
    assert "super-secret-value" not in str(refused.value)
    assert "super-secret-value" not in repr(client)
    assert len(requests_to(sim, "POST", "/v2/token")) == 1


# tokens


def test_one_token_is_shared_by_clients_of_the_same_connection(sim, make_client):
    cache = TokenCache()
    first, second = make_client(token_cache=cache), make_client(token_cache=cache)

    first.list_journeys()
    second.list_journeys()
    with pytest.raises(AuthError):
        make_client(token_cache=cache, client_secret="another-secret").get_token()

    assert first.get_token() == second.get_token()
    assert len(requests_to(sim, "POST", "/v2/token")) == 2


def test_concurrent_callers_share_one_token_fetch(sim, make_client):
    cache = TokenCache()
    clients = [make_client(token_cache=cache) for _ in range(8)]
    tokens = []
    threads = [threading.Thread(target=lambda c=c: tokens.append(c.get_token())) for c in clients]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(tokens)) == 1 and len(tokens) == 8
    assert len(requests_to(sim, "POST", "/v2/token")) == 1


def test_tokens_are_refreshed_before_they_expire(sim, make_client):
    sim.configure(token_lifetime=2)
    clock = FakeClock()
    client = make_client(token_cache=TokenCache(clock=clock))

    first = client.get_token()
    clock.now += 0.9
    still = client.get_token()
    clock.now += 0.2  # a short lifetime is refreshed halfway through
    refreshed = client.get_token()

    assert first == still != refreshed
    assert len(requests_to(sim, "POST", "/v2/token")) == 2


def test_an_expired_token_refused_with_401_is_refreshed_once_and_the_call_retried(sim, make_client):
    client = make_client(token_cache=TokenCache(clock=FakeClock()))
    client.list_journeys()
    sim.control("POST", "expire-tokens")

    page = client.list_journeys()

    assert page.count == 0
    calls = [(e["method"], e["path"], e["status"]) for e in sim.request_log()]
    assert calls[-3:] == [
        ("GET", "/interaction/v1/interactions", 401),
        ("POST", "/v2/token", 200),
        ("GET", "/interaction/v1/interactions", 200),
    ]


def test_a_token_past_its_lifetime_is_refreshed_when_the_server_refuses_it(
    sim, make_client, sim_clock
):
    sim.configure(token_lifetime=1)
    client = make_client(token_cache=TokenCache(clock=FakeClock()))  # never thinks it expired
    client.list_journeys()
    sim_clock.advance(1.1)

    client.list_journeys()

    assert [e["status"] for e in requests_to(sim, "GET")] == [200, 401, 200]
    assert len(requests_to(sim, "POST", "/v2/token")) == 2


def test_a_token_that_is_refused_even_when_fresh_raises_auth_error(sim, make_client):
    class ForgedTokenSession(requests.Session):
        def request(self, method, url, **kwargs):
            if "Authorization" in kwargs.get("headers", {}):
                kwargs["headers"]["Authorization"] = "Bearer forged-token"
            return super().request(method, url, **kwargs)

    client = make_client(session=ForgedTokenSession())

    with pytest.raises(AuthError) as refused:
        client.list_journeys()

    assert "forged-token" not in str(refused.value)
    assert len(requests_to(sim, "GET")) == 2
    assert len(requests_to(sim, "POST", "/v2/token")) == 2


# retries


def test_get_is_retried_on_5xx_with_jittered_exponential_backoff(sim, client, sleeps):
    sim.add_fault("http_error", method="GET", status=503, count=2)
    sim.add_fault("http_error", method="GET", status=500)

    page = client.list_journeys()

    assert page.count == 0
    assert len(requests_to(sim, "GET")) == 4
    assert len(sleeps) == 3
    assert all(0 <= delay <= 0.5 * 2**n for n, delay in enumerate(sleeps))


def test_get_gives_up_after_max_retries_with_remote_error(sim, make_client, sleeps):
    client = make_client(max_retries=2)
    sim.add_fault("http_error", method="GET", status=502, count=5)

    with pytest.raises(RemoteError) as failed:
        client.list_journeys()

    assert failed.value.status == 502
    assert len(requests_to(sim, "GET")) == 3
    assert len(sleeps) == 2


def test_retry_after_is_honoured_on_429(sim, client, sleeps):
    sim.add_fault("rate_limit", method="GET", seconds=3, count=2)

    client.list_journeys()

    assert sleeps == [3.0, 3.0]


def test_a_retry_after_longer_than_the_backoff_cap_raises_rate_limited_at_once(sim, client, sleeps):
    sim.add_fault("rate_limit", method="GET", seconds=120)

    with pytest.raises(RateLimited) as limited:
        client.list_journeys()

    assert (limited.value.retry_after, limited.value.errorcode) == (120.0, 50100)
    assert sleeps == []


def test_429_after_every_retry_raises_rate_limited(sim, make_client, sleeps):
    client = make_client(max_retries=1)
    sim.add_fault("rate_limit", seconds=1, count=3)

    with pytest.raises(RateLimited):
        client.list_journeys()

    assert sleeps == [1.0]


def test_dropped_connections_and_read_timeouts_on_get_are_retried(sim, make_client, sleeps):
    client = make_client(read_timeout=2)
    client.get_token()
    sim.add_fault("drop", method="GET")
    sim.add_fault("latency", method="GET", seconds=6)

    page = client.list_journeys()

    assert page.count == 0
    outcomes = [e["outcome"] for e in requests_to(sim, "GET")]
    assert outcomes[0] == "dropped" and outcomes[-1] == "ok" and len(outcomes) == 3
    assert len(sleeps) == 2


def test_other_4xx_answers_are_not_retried(sim, client):
    new_journey(client)

    with pytest.raises(DraftExists):
        new_journey(client)

    assert len(requests_to(sim, "POST", "/interactions")) == 2


def test_a_put_refused_with_503_or_429_is_sent_again_and_applied_once(sim, client, sleeps):
    created = new_journey(client)
    sim.add_fault("http_error", method="PUT", status=503)
    sim.add_fault("rate_limit", method="PUT", seconds=1)

    updated = client.put_journey({**created, "name": "Applied once"})

    assert updated["name"] == "Applied once"
    assert [e["applied"] for e in requests_to(sim, "PUT")] == [False, False, True]


def test_a_put_whose_answer_is_lost_is_not_sent_again(sim, client, sleeps):
    created = new_journey(client)
    body = put_body(created, version=1, modified_date=created["modifiedDate"])
    sim.add_fault("lost_response", method="PUT")

    with pytest.raises(ResponseLost) as lost:
        client.put_journey({**body, "name": "Maybe applied"})

    puts = requests_to(sim, "PUT")
    assert [(e["applied"], e["outcome"]) for e in puts] == [(True, "lost_response")]
    assert client.get_journey(created["id"])["name"] == "Maybe applied"
    assert (lost.value.key, lost.value.version) == ("test-journey", 1)
    assert lost.value.modified_date == created["modifiedDate"]
    assert lost.value.method == "PUT" and sleeps == []


def test_a_put_that_times_out_after_sending_raises_response_lost(sim, make_client):
    client = make_client(read_timeout=2)
    created = new_journey(client)
    sim.add_fault("lost_response", method="PUT", seconds=60)

    with pytest.raises(ResponseLost, match="read timeout"):
        client.put_journey({**created, "name": "Committed"})

    assert len(requests_to(sim, "PUT")) == 1
    # Committed before the hang: seen long before the hang ends, however loaded the machine.
    deadline = time.monotonic() + 30
    while client.get_journey(created["id"])["name"] != "Committed":
        assert time.monotonic() < deadline, "the write was not committed before the hang"
        time.sleep(0.05)


def test_a_put_dropped_before_it_applied_also_raises_response_lost(sim, client):
    created = new_journey(client)
    sim.add_fault("drop", method="PUT")

    with pytest.raises(ResponseLost):
        client.put_journey({**created, "name": "Never applied"})

    assert [e["applied"] for e in requests_to(sim, "PUT")] == [False]


@pytest.mark.parametrize(
    ("status", "error"), [(502, ResponseLost), (504, ResponseLost), (500, RemoteError)]
)
def test_a_put_answered_by_a_failing_server_is_not_sent_again(sim, client, status, error):
    created = new_journey(client)
    sim.add_fault("http_error", method="PUT", status=status)

    with pytest.raises(error) as failed:
        client.put_journey({**created, "name": "x"})

    assert type(failed.value) is error
    assert len(requests_to(sim, "PUT")) == 1


def test_a_post_to_a_closed_port_is_retried_because_nothing_was_sent(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    client = SFMCClient(
        base,
        base,
        CLIENT_ID,
        CLIENT_SECRET,
        allowed_host_suffixes=SUFFIXES,
        allow_insecure_hosts=[f"127.0.0.1:{port}"],
        sleep=sleeps.append,
        token_cache=TokenCache(),
        max_retries=2,
    )

    with pytest.raises(RemoteError, match="refused") as failed:
        client.create_journey(demo.welcome_series())

    assert not isinstance(failed.value, ResponseLost)
    assert len(sleeps) == 2


# error envelopes


@pytest.mark.parametrize(
    ("method", "status", "body", "error", "messages"),
    [
        (
            "PUT",
            400,
            {"message": "Another user recently modified this journey.", "errorcode": 30000},
            VersionConflict,
            ["Another user recently modified this journey."],
        ),
        (
            "PUT",
            500,
            {"message": "Another user recently modified this journey."},
            VersionConflict,
            None,
        ),
        (
            "GET",
            400,
            {"message": "Cannot Save journey due to an error", "errorcode": 30000},
            SFMCError,
            None,
        ),
        ("PUT", 409, {"message": "Conflict", "errorcode": 409}, NotADraft, None),
        ("GET", 404, {"message": "Not Found", "errorcode": 404}, NotFound, None),
        (
            "DELETE",
            400,
            {"message": "Interaction matching key not found.", "errorcode": 30003},
            NotFound,
            None,
        ),
        (
            "POST",
            400,
            {"errors": [{"message": "first<br />second"}], "message": "ignored"},
            SFMCError,
            ["first", "second"],
        ),
        (
            "POST",
            400,
            {
                "message": "Validation Errors Occurred!",
                "errorcode": 10006,
                "validationErrors": [
                    {"message": "Activity WAITBYDURATION-3 has no duration", "errorcode": 121000}
                ],
            },
            ValidationRejected,
            ["Activity WAITBYDURATION-3 has no duration"],
        ),
        ("GET", 401, {"errorcode": 0, "message": "Not Authorized"}, AuthError, ["Not Authorized"]),
        (
            "POST",
            401,
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            AuthError,
            None,
        ),
        (
            "GET",
            429,
            {"message": "Your requests are temporarily blocked.", "errorcode": 50200},
            RateLimited,
            None,
        ),
        ("GET", 503, {"message": "Service Unavailable"}, RemoteError, None),
    ],
)
def test_every_error_envelope_becomes_the_right_exception(method, status, body, error, messages):
    exc = error_from_response(fake_response(status, body), method=method, path="/x")

    assert type(exc) is error
    assert exc.status == status
    if messages is not None:
        assert exc.messages == messages


def test_validation_errors_name_their_activity_when_the_answer_does():
    body = {
        "errorcode": 10006,
        "validationErrors": [
            {"message": "Activity WAITBYDURATION-3 has no duration", "errorcode": 121000},
            {
                "message": "Broken",
                "errorcode": 121000,
                "additionalInfo": {"activityKey": "EMAILV2-1"},
            },
            {"message": "Journey name contains illegal characters", "errorcode": 121072},
        ],
    }

    exc = error_from_response(fake_response(400, body), method="POST", path="/x")

    assert [p.activity_key for p in exc.problems] == ["WAITBYDURATION-3", "EMAILV2-1", None]
    assert [p.errorcode for p in exc.problems] == [121000, 121000, 121072]


def test_errors_never_repeat_the_secret_or_the_token():
    body = {"message": "bad secret hunter2 with token tok-123"}

    exc = error_from_response(
        fake_response(400, body), method="GET", path="/x", redact=("hunter2", "tok-123")
    )

    assert "hunter2" not in str(exc) and "tok-123" not in str(exc)
    assert "[redacted]" in str(exc)


def test_retry_after_comes_from_the_header_or_the_body():
    from_header = error_from_response(
        fake_response(429, {"errorcode": 50100}, {"Retry-After": "5"}), method="GET", path="/x"
    )
    from_body = error_from_response(
        fake_response(429, {"errorcode": 50100, "retryAfter": 8}), method="GET", path="/x"
    )
    non_json = error_from_response(
        fake_response(502, b"<html>Bad gateway</html>"), method="GET", path="/x"
    )

    assert (from_header.retry_after, from_body.retry_after) == (5.0, 8.0)
    assert isinstance(non_json, RemoteError) and "Bad gateway" in str(non_json)


def test_the_client_never_imports_django():
    for name in ("client.py", "errors.py", "hosts.py"):
        tree = ast.parse((SFMC_DIR / name).read_text(encoding="utf-8"))
        imported = [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [module for module in imported if module.split(".")[0] == "django"], name


def test_list_versions_returns_every_version_of_one_journey_newest_first(sim, client):
    created = new_journey(client)
    sim.configure(publish_delay=0)
    client.publish(created["id"], 1)
    assert client.get_journey(created["id"])["status"] == "Published"
    second = new_journey(client)  # the latest is Published, so this makes version 2
    new_journey(client, key="another-journey")

    versions = client.list_versions(created["id"])

    assert [v["version"] for v in versions] == [2, 1]
    assert second["version"] == 2
    assert {v["key"] for v in versions} == {"test-journey"}
    assert all("activities" not in v for v in versions)
