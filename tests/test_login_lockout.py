"""Failed logins lock the username at the client's address only, never the account everywhere.

Behind the TLS proxy (TRUSTED_PROXY_COUNT=1) every request's REMOTE_ADDR is the proxy; the client
is the address the proxy appended to X-Forwarded-For. Without a trusted proxy the header is
whatever the client sent, so it is ignored.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

PROXY = "10.0.0.2"
ATTACKER, USER = "203.0.113.7", "198.51.100.20"
RIGHT, WRONG = "pw-for-tests-1", "wrong"


def _login(client: Client, password: str, remote: str = PROXY, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": "edna", "password": password}, **extra)


def _fail_until_locked(settings, **where) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), WRONG, **where)


def _logs_in(password: str = RIGHT, **where) -> bool:
    client = Client()
    response = _login(client, password, **where)
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.parametrize(
    "attacker_sends",
    [
        ATTACKER,
        f"{USER}, {ATTACKER}",  # a spoofed entry before the one the proxy appended
    ],
)
def test_behind_the_proxy_bad_logins_lock_the_attackers_address_only(
    editor, settings, attacker_sends
):
    settings.TRUSTED_PROXY_COUNT = 1
    _fail_until_locked(settings, forwarded=attacker_sends)
    assert _login(Client(), RIGHT, forwarded=ATTACKER).status_code == 429
    assert _login(Client(), RIGHT, forwarded=f"{USER}, {ATTACKER}").status_code == 429
    assert _logs_in(forwarded=USER)


def test_spoofed_leftmost_entries_do_not_escape_the_lockout(editor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), WRONG, forwarded=f"192.0.2.{n}, {ATTACKER}")
    assert _login(Client(), RIGHT, forwarded=f"192.0.2.99, {ATTACKER}").status_code == 429


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(editor, settings):
    assert settings.TRUSTED_PROXY_COUNT == 0  # the default: nothing in front
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), WRONG, remote=ATTACKER, forwarded=f"192.0.2.{n}")
    assert _login(Client(), RIGHT, remote=ATTACKER, forwarded=USER).status_code == 429
    assert _logs_in(remote=USER, forwarded=ATTACKER)


def test_a_forwarded_header_shorter_than_the_proxy_chain_counts_as_the_proxys_address(
    editor, settings
):
    settings.TRUSTED_PROXY_COUNT = 2
    _fail_until_locked(settings, forwarded=ATTACKER)  # only one proxy appended: not trusted
    assert _login(Client(), RIGHT, forwarded=USER).status_code == 429
    assert _logs_in(forwarded=f"{USER}, 10.0.0.1")
