from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse


def test_anonymous_user_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("journeys:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_a_form_with_csrf(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert b'name="password"' in response.content


def test_editor_logs_in_and_sees_the_journeys_list(client, editor):
    response = client.post(
        reverse("login"), {"username": "edna", "password": "pw-for-tests-1"}, follow=True
    )
    assert response.status_code == 200
    assert b"<h1>Journeys</h1>" in response.content
    assert b"edna" in response.content


def test_wrong_password_shows_an_error_and_does_not_log_in(client, editor):
    response = client.post(reverse("login"), {"username": "edna", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_requires_post_and_ends_the_session(client, editor):
    client.force_login(editor)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_logout_without_csrf_token_is_refused(editor):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(reverse("logout")).status_code == 403


def test_base_template_sends_csrf_token_with_every_htmx_request(client, editor):
    client.force_login(editor)
    response = client.get(reverse("journeys:home"))
    assert b'hx-headers=\'{"x-csrftoken": "' in response.content


@pytest.mark.parametrize(
    ("group", "has", "lacks"),
    [
        ("Editors", ["change_draft", "add_draft"], ["approve_draft", "push_draft"]),
        ("Approvers", ["approve_draft", "push_draft"], ["change_draft", "add_draft"]),
    ],
)
def test_role_groups_are_created_with_their_permissions(db, group, has, lacks):
    codenames = set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))
    assert set(has) <= codenames
    assert not set(lacks) & codenames


def test_demo_users_command_creates_three_personas_with_printed_credentials(db, capsys, settings):
    settings.DEBUG = True
    call_command("create_demo_users")
    out = capsys.readouterr().out
    from django.contrib.auth import authenticate

    for username in ("editor", "approver", "admin"):
        password = re.search(rf"^\s*{username}\s+password: (\S+)$", out, re.M).group(1)
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password=password) is not None
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    assert users.get(username="editor").has_perm("journeys.change_draft")
    assert users.get(username="approver").has_perm("journeys.approve_draft")
    assert not users.get(username="editor").has_perm("journeys.approve_draft")
    assert users.get(username="admin").is_staff


def test_demo_users_command_refuses_without_debug(db, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("create_demo_users")


def test_health_endpoint_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_repeated_failed_logins_are_locked_out_even_with_the_right_password(
    client, editor, settings
):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "edna", "password": "wrong"})
    locked = client.post(url, {"username": "edna", "password": "pw-for-tests-1"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_every_page_carries_a_strict_content_security_policy(client, editor):
    client.force_login(editor)
    for url in (reverse("journeys:home"), reverse("login"), reverse("admin:index")):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        # Scripts only from our origin (plus a per-request nonce when a template used one).
        assert re.fullmatch(r"'self'( 'nonce-[\w+/=-]+')?", directives["script-src"]), policy
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy


def test_the_roles_module_matches_what_the_migrations_created(db):
    from django.contrib.auth.models import Group

    from journeys.roles import ROLE_PERMISSIONS

    for name, codenames in ROLE_PERMISSIONS.items():
        created = Group.objects.get(name=name).permissions.values_list("codename", flat=True)
        assert sorted(created) == sorted(codenames)
