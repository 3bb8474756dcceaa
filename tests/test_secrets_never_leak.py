"""A connection's client secret, and its stored ciphertext, never show anywhere but the column.

The connection's secret is a unique canary string, accepted by a simulator started with it, so
every real path runs: token fetches, an import, a push into a conflict, a failing token call
with a wrong secret, the admin's "Test connection" action. Then:
- no response body or header of any URL of the URL conf (walked as in test_access) holds it;
- no log record (at DEBUG, every logger, tracebacks included) holds it;
- no other column of any row (AuditEvent.details, PushAttempt.error_*, ...) holds it;
- no exception's str(), repr() or args hold it;
- Django's technical 500 page (DEBUG=True) with an SFMC client in the failing frames does not
  show it, nor do the settings it lists (SFMC_SECRET_KEYS is cleansed).
"""

from __future__ import annotations

import json
import logging
import traceback

import pytest
import requests
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from journeys.models import AuditEvent, Connection, NotificationPreference
from journeys.services.remote import client_for, import_journey, verify_connection
from journeys.sfmc.client import _SHARED_TOKENS
from journeys.sfmc.errors import SFMCError
from journeys.sfmc.simulator import SimConfig
from journeys.sfmc.simulator import demo as sim_demo
from tests.factories import ConnectionFactory
from tests.sfmc_server import CLIENT_ID, running_simulator
from tests.test_access import ROUTES, _axes_rows, _conflicted, concrete, request
from tests.test_push_service import WELCOME

SECRET = "canary-secret-9f6c1e0b7a4d"
WRONG_SECRET = "canary-wrong-secret-3b8e52d1"
# Far from the code that fails below: the 500 page shows the source lines around each frame.
FERNET_KEY_CANARY = "a-fernet-key-that-must-not-show"


@pytest.fixture
def canary_simulator(tmp_path):
    """A simulator whose installed package's secret is the canary."""
    yield from running_simulator(tmp_path / "canary.sqlite3", SimConfig(client_secret=SECRET))


@pytest.fixture
def connection(db, canary_simulator, settings) -> Connection:
    settings.SFMC_SIMULATOR_ENABLED = True
    settings.SFMC_SIMULATOR_URL = canary_simulator.base_url
    sim_demo.seed(canary_simulator.app.interactions)
    _SHARED_TOKENS.clear()  # every test fetches its own token
    return ConnectionFactory(
        name="Canary business unit",
        auth_base_url=canary_simulator.base_url,
        rest_base_url=canary_simulator.base_url,
        client_id=CLIENT_ID,
        account_id="",
        secret=SECRET,
    )


def needles(connection: Connection) -> dict[str, str]:
    """What must never show: both secrets, the ciphertext and a piece of it."""
    ciphertext = Connection.objects.get(pk=connection.pk).client_secret_encrypted
    assert ciphertext.startswith("gAAAAA") and SECRET not in ciphertext
    return {
        "the secret": SECRET,
        "the wrong secret": WRONG_SECRET,
        "the ciphertext": ciphertext,
        "a piece of the ciphertext": ciphertext[20:52],
    }


def found(text: str | bytes, connection: Connection) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return [name for name, needle in needles(connection).items() if needle in text]


@pytest.fixture
def debug_logs(caplog, connection):
    # From just after the test's factory made the connection (factory_boy logs its arguments).
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's request lines included
    return caplog


@pytest.fixture
def world(debug_logs, editor, approver, admin_user, connection, canary_simulator):
    """Real objects on the canary connection: a draft imported, approved, pushed into a
    conflict (its merge screen), a failed publish; logged at DEBUG from the start."""
    _axes_rows()
    NotificationPreference.objects.create(user=approver, delivery="in_app")  # its admin pages
    return _conflicted(editor, approver, connection, canary_simulator)


# pages


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_no_page_of_the_url_conf_shows_the_secret_or_its_ciphertext(world, role, request_user):
    client = Client()
    client.force_login(request_user(role))
    leaks = []
    connection = world.connection
    for route in ROUTES:
        url = concrete(route, world)
        for method in ("get", "post"):
            client.force_login(request_user(role))
            answer = request(client, method, url)
            assert not answer.error, f"{method.upper()} {url}: {answer.error}"
            shown = found(answer.body, connection) + found(answer.location, connection)
            if shown:
                leaks.append(f"{method.upper()} {url}: {shown}")
    assert leaks == [], "\n".join(leaks)
    page = client.get(reverse("admin:journeys_connection_change", args=[connection.pk]))
    if role == "admin":
        assert page.status_code == 200 and "•••• set on" in page.content.decode()


@pytest.fixture
def request_user(editor, admin_user):
    return {"admin": admin_user, "editor": editor}.get


# logs, audit events, other columns, exceptions


def _formatted(record: logging.LogRecord) -> str:
    text = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    if record.exc_info:
        text += "".join(traceback.format_exception(*record.exc_info))
    return text + repr(record.args) + repr(vars(record))


def _every_column_of_every_row() -> str:
    """Every value of every row of the app's tables, but the encrypted secret itself."""
    values = []
    for model in apps.get_app_config("journeys").get_models():
        for row in model.objects.all():
            for field in model._meta.concrete_fields:
                if model is Connection and field.name == "client_secret_encrypted":
                    continue
                value = getattr(row, field.attname)
                values.append(json.dumps(value, default=str, ensure_ascii=False))
    return "\n".join(values)


def _exception_texts(error: BaseException) -> str:
    texts = []
    while error is not None:
        texts += [str(error), repr(error), repr(error.args), repr(vars(error))]
        error = error.__cause__ or error.__context__
    return "\n".join(texts)


def test_logs_events_columns_and_exceptions_never_hold_the_secret(
    world, connection, editor, admin_user, caplog
):
    texts = []

    _SHARED_TOKENS.clear()
    client = client_for(connection)
    assert client.get_token()  # a token fetch
    texts.append(repr(client))
    remote_id = client.get_journey(WELCOME, by_key=True)["id"]
    import_journey(editor, connection, remote_id)  # an import (kept as a snapshot)
    assert "Connected to" in verify_connection(admin_user, connection)

    connection.set_client_secret(WRONG_SECRET)
    connection.save()
    _SHARED_TOKENS.clear()
    with pytest.raises(SFMCError) as refused:
        client_for(connection).get_token()  # a failed token call with a wrong secret
    texts.append(_exception_texts(refused.value))

    admin = Client()
    admin.force_login(admin_user)
    answer = admin.post(  # the admin's "Test connection" action, which fails
        reverse("admin:journeys_connection_changelist"),
        {"action": "test_connections", "_selected_action": [connection.pk]},
        follow=True,
    )
    assert "SFMC refused the client id and secret" in answer.content.decode()
    texts.append(answer.content.decode())

    records = caplog.get_records("setup") + caplog.records
    logged = "\n".join(_formatted(record) for record in records)
    for what in ("Fetched an SFMC access token", "POST /v2/token", "audit push.conflict"):
        assert what in logged  # the paths above were logged at all, at DEBUG
    assert any(r.levelno == logging.DEBUG for r in records)
    events = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert "connection.tested" in json.dumps(list(AuditEvent.objects.values_list("action")))

    assert found(logged, connection) == [], "a log record holds a secret"
    assert found(events, connection) == [], "an AuditEvent holds a secret"
    assert found(_every_column_of_every_row(), connection) == [], "a column holds a secret"
    assert found("\n".join(texts), connection) == [], "an exception or message holds a secret"


def test_a_push_that_fails_on_a_wrong_secret_records_no_secret(world, connection, caplog):
    from journeys.models import PushAttempt
    from journeys.services import push

    caplog.set_level(logging.DEBUG)
    connection.set_client_secret(WRONG_SECRET)
    connection.save()
    _SHARED_TOKENS.clear()
    attempt = PushAttempt.objects.get(pk=world.attempt.pk)
    PushAttempt.objects.filter(pk=attempt.pk).update(state=PushAttempt.State.FAILED)
    retried = push.retry_push(world.draft.author, attempt)
    push.run_push(retried.pk)
    retried.refresh_from_db()
    assert retried.state == PushAttempt.State.FAILED
    assert retried.error_message
    record = json.dumps([retried.error_message, retried.error_code, retried.error_details])
    assert found(record, connection) == []
    logged = "\n".join(_formatted(r) for r in caplog.records)
    assert found(logged, connection) == []


# Django's error pages


def _explode_in_the_token_call(monkeypatch) -> None:
    """The HTTP layer fails while the token request (with the secret in its body) is sent."""

    def fail(self, method, url, **kwargs):
        raise RuntimeError("the network card caught fire")

    monkeypatch.setattr(requests.Session, "request", fail)


def test_the_debug_500_page_of_a_failing_sfmc_call_shows_no_secret(
    world, connection, admin_user, settings, monkeypatch
):
    settings.DEBUG = True
    _SHARED_TOKENS.clear()
    _explode_in_the_token_call(monkeypatch)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    for url in (
        reverse("journeys:remote-list", args=[connection.pk]),
        reverse("journeys:remote-versions", args=[connection.pk, "some-id"]),
    ):
        page = client.get(url)
        assert page.status_code == 500
        html = page.content.decode()
        assert "the network card caught fire" in html  # Django's technical page, with frames
        assert "_fetch_token" in html and "Local vars" in html
        assert found(html, connection) == [], f"the 500 page of {url} shows a secret"


def test_the_debug_500_page_of_an_unreadable_secret_shows_no_ciphertext(
    world, connection, admin_user, settings
):
    from cryptography.fernet import Fernet

    settings.DEBUG = True
    secrets = needles(connection)
    settings.SFMC_SECRET_KEYS = [Fernet.generate_key().decode()]  # the key was lost
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    page = client.get(reverse("journeys:remote-list", args=[connection.pk]))
    html = page.content.decode()
    assert page.status_code == 500 and "SecretUnreadable" in html
    assert [name for name, needle in secrets.items() if needle in html] == []


def test_the_debug_500_page_hides_a_secret_posted_to_the_connection_form(
    connection, admin_user, settings, monkeypatch
):
    settings.DEBUG = True
    from journeys import admin as journeys_admin

    def fail(self, commit=True):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(journeys_admin.ConnectionForm, "save", fail)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    page = client.post(
        reverse("admin:journeys_connection_change", args=[connection.pk]),
        {
            "name": connection.name,
            "auth_base_url": connection.auth_base_url,
            "rest_base_url": connection.rest_base_url,
            "client_id": connection.client_id,
            "account_id": "",
            "client_secret": WRONG_SECRET,
        },
    )
    html = page.content.decode()
    assert page.status_code == 500 and "the database went away" in html
    assert "client_secret" in html  # the field is listed, its value hidden
    assert found(html, connection) == []


def test_settings_named_like_secrets_are_cleansed_from_error_reports(settings):
    settings.SFMC_SECRET_KEYS = [FERNET_KEY_CANARY]
    safe = SafeExceptionReporterFilter().get_safe_settings()
    assert safe["SFMC_SECRET_KEYS"] == SafeExceptionReporterFilter.cleansed_substitute
    assert safe["SECRET_KEY"] == SafeExceptionReporterFilter.cleansed_substitute
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        html = ExceptionReporter(None, type(error), error, error.__traceback__).get_traceback_html()
    assert FERNET_KEY_CANARY not in html
    assert "SFMC_SECRET_KEYS" in html
