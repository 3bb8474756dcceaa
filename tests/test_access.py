"""Every URL the project serves, for every kind of user, by GET and by POST.

The list of URLs is not written here: it is walked from the URL conf (`get_resolver()`), and each
route's placeholders are filled with real objects (a draft with a push conflict and its merge
screen, a comment, a snapshot, ...). A new URL fails the first test below until it is classified
in APP_URLS, so nothing is served without being checked here.

What is checked, for anonymous users, editors, approvers, admins, users with no role and users of
another group-restricted connection:
- anonymous users are sent to a login page (or told the method is not allowed);
- nothing ever answers 500 (or raises);
- a refused request (403, 404, 405, a redirect to login) writes nothing;
- nobody outside a restricted connection sees or changes its drafts, and nobody without a role
  sees any journey;
- a POST without a CSRF token is refused with 403 and writes nothing;
- each state-changing action (submit, approve, request changes, push), posted with real data,
  changes the draft's state and writes its rows for exactly the roles allowed, and nothing for
  the others (four eyes: whoever edited the draft may not approve it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from journeys.models import (
    Approval,
    AuditEvent,
    Draft,
    MergeSession,
    Notification,
    NotificationPreference,
    PublishRequest,
    PushAttempt,
)
from journeys.services import notifications, push, review, test_contacts
from journeys.services.drafts import create_new_journey, save_revision
from journeys.services.remote import record_snapshot
from tests.factories import ConnectionFactory, UserFactory
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET
from tests.test_push_service import WELCOME, approved_demo

# Every URL of the app, by what its first placeholder (if any) is: "page" needs none.
APP_URLS: dict[str, str] = {
    "journeys:home": "page",
    "journeys:draft-new": "page",
    "journeys:draft-upload": "page",
    "journeys:review-queue": "page",
    "journeys:draft": "draft",
    "journeys:draft-edit": "draft",
    "journeys:draft-insert": "draft",
    "journeys:draft-panel": "draft",
    "journeys:draft-conditions": "draft",
    "journeys:draft-catalog-search": "draft",
    "journeys:draft-catalog-refresh": "draft",
    "journeys:draft-catalog-status": "draft",
    "journeys:draft-undo": "draft",
    "journeys:draft-redo": "draft",
    "journeys:draft-history": "draft",
    "journeys:draft-restore": "draft",
    "journeys:draft-download": "draft",
    "journeys:draft-contacts": "draft",
    "journeys:draft-contact-save": "draft",
    "journeys:draft-contacts-import": "draft",
    "journeys:draft-contact-delete": "draft",
    "journeys:draft-review": "draft",
    "journeys:draft-submit": "draft",
    "journeys:draft-decide": "draft",
    "journeys:draft-compare": "draft",
    "journeys:comment-add": "draft",
    "journeys:comment-resolve": "draft",
    "journeys:draft-push": "draft",
    "journeys:draft-check-sfmc": "draft",
    "journeys:draft-drift": "draft",
    "journeys:draft-revision": "draft",
    "journeys:draft-refresh": "draft",
    "journeys:draft-update-from-sfmc": "draft",
    "journeys:journey-audit": "journey",
    "journeys:remote-list": "connection",
    "journeys:remote-versions": "connection",
    "journeys:remote-import": "connection",
    "journeys:snapshot-download": "snapshot",
    "journeys:push-status": "attempt",
    "journeys:push-retry": "attempt",
    "journeys:draft-publish": "draft",
    "journeys:publish-status": "publish",
    "journeys:publish-retry": "publish",
    "journeys:merge": "session",
    "journeys:merge-resolve": "session",
    "journeys:merge-conditions": "session",
    "journeys:notifications": "page",
    "journeys:notifications-read-all": "page",
    "journeys:notification-settings": "page",
    "journeys:notification-open": "notification",
}
# Served to anyone, logged in or not (admin's logout sends whoever is not staff to its index).
PUBLIC_URLS = {"login", "logout", "healthz", "favicon.ico", "admin:login", "admin:logout"}
# The first path segment of an app URL names the object its `pk` is.
PK_BY_SEGMENT = {
    "drafts": "draft",
    "journeys": "journey",
    "connections": "connection",
    "snapshots": "snapshot",
    "pushes": "attempt",
    "merges": "session",
    "publishes": "publish",
    "notifications": "notification",
}
NOT_A_SERVER_ERROR = {200, 204, 286, 301, 302, 400, 403, 404, 405, 409}
REFUSED = {403, 404, 405}
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")
RESTRICTED_NAME = "Restricted journey of team R"


@dataclass(frozen=True)
class Route:
    """One URL pattern as walked: its full route text, its name and whether it is admin's."""

    route: str
    name: str

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def is_app(self) -> bool:
        return self.name.startswith("journeys:")

    @property
    def label(self) -> str:
        return self.name or self.route


def walk(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    """Every URL pattern of the URL conf, with its full route and namespaced name."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(prefix + str(pattern.pattern), name or "")


ROUTES = list(walk())


@dataclass
class Objects:
    """The real objects whose primary keys fill one set of placeholders."""

    draft: Draft
    comment: Any
    attempt: PushAttempt
    session: MergeSession
    publish: PublishRequest

    @property
    def journey(self) -> Any:
        return self.draft.journey

    @property
    def connection(self) -> Any:
        return self.draft.journey.connection

    @property
    def notification(self) -> Any:
        """One of the draft's notifications (someone's own: only they may open it)."""
        return Notification.objects.filter(draft=self.draft).order_by("pk").first()

    @property
    def snapshot(self) -> Any:
        return self.session.theirs_snapshot

    @property
    def remote_id(self) -> str:
        return self.draft.journey.remote_id or "no-remote-id"


def _admin_object_pk(route: str, draft: Draft) -> str:
    """The pk of a real row of the model an admin URL is about."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if not match:
        raise LookupError(f"which model is {route!r} about?")
    model = apps.get_model(match[1], match[2])
    row = draft if model is Draft else model.objects.order_by("pk").first()
    if row is None:
        raise LookupError(f"no {model.__name__} row to open {route!r} with")
    return str(row.pk)


ID_NAMES = {"pk", "number", "comment_pk", "content_type_id", "object_id", "id"}


def concrete(route: Route, objects: Objects | None, any_id: int | None = None) -> str:
    """The route with each placeholder replaced by a real value; LookupError if unknown.

    With `any_id`, every id in the route is that number instead (and `objects` is not used).
    """

    def value(name: str) -> str:
        if any_id is not None and name in ID_NAMES:
            return str(any_id)
        if name == "app_label":
            return "journeys"
        if name == "url":
            return "no-such-admin-page/"
        if objects is None:
            return "unknown-remote-id" if name == "remote_id" else _unknown(name, route)
        segment = route.route.split("/", 1)[0]
        if name == "pk" and segment in PK_BY_SEGMENT:
            return str(getattr(objects, PK_BY_SEGMENT[segment]).pk)
        if name == "number":
            return "1"
        if name == "comment_pk":
            return str(objects.comment.pk)
        if name == "remote_id":
            return objects.remote_id
        if name == "content_type_id":
            return str(ContentType.objects.get_for_model(Draft).pk)
        if name == "object_id" and route.name == "admin:view_on_site":
            return str(objects.draft.pk)
        if name in ("object_id", "id") and route.is_admin:
            return _admin_object_pk(route.route, objects.draft)
        return _unknown(name, route)

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m[1]), route.route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m[1]), path)
    return "/" + path.replace("^", "").replace("$", "")


def _unknown(name: str, route: Route) -> str:
    raise LookupError(f"no value for <{name}> in {route.route!r}: cover this URL")


def row_counts() -> dict[str, int]:
    """How many rows each of the app's tables holds."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("journeys").get_models()
    }


@dataclass
class Answer:
    status: int | None
    location: str
    body: str
    written: dict[str, tuple[int, int]]
    error: str = ""


def request(client: Client, method: str, url: str, **extra: Any) -> Answer:
    """One request in a savepoint that is rolled back, so every request sees the same world."""
    with transaction.atomic():
        before = row_counts()
        try:
            response = getattr(client, method)(url, **extra)
        except Exception as error:  # a 500: the test client re-raises what the view raised
            transaction.set_rollback(True)
            return Answer(None, "", "", {}, error=f"raised {error.__class__.__name__}: {error}")
        after = row_counts()
        transaction.set_rollback(True)
    written = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    body = b"" if getattr(response, "streaming", False) else response.content
    return Answer(
        response.status_code,
        response.get("Location", ""),
        body.decode(errors="replace"),
        written,
    )


# the world


@pytest.fixture
def outsider(db):
    return UserFactory(username="otto")


@pytest.fixture
def team_member(db):
    """Rita: an editor in team R, the one group allowed to use the restricted connection."""
    rita = UserFactory(username="rita", roles=["Editors"])
    rita.groups.add(Group.objects.get_or_create(name="Team R")[0])
    return rita


@pytest.fixture
def other_team(db):
    """Tess: editor and approver, but in team T, so the restricted connection is not hers."""
    tess = UserFactory(username="tess", roles=["Editors", "Approvers"])
    tess.groups.add(Group.objects.get_or_create(name="Team T")[0])
    return tess


def _failed_publish(draft: Draft, attempt: PushAttempt) -> PublishRequest:
    return PublishRequest.objects.create(
        draft=draft,
        push_attempt=attempt,
        revision=attempt.revision,
        requested_by=attempt.requested_by,
        version=1,
        state=PublishRequest.State.FAILED,
        error_message="SFMC refused to publish.",
    )


def _conflicted(editor, approver, connection, simulator) -> Objects:
    """The demo welcome series, approved, pushed into a conflict: a real merge screen."""
    draft = approved_demo(editor, approver, connection)
    simulator.control(
        "POST", "remote-edit", {"key": WELCOME, "action": "rename", "name": "Renamed in SFMC"}
    )
    attempt = push.request_push(editor, draft)
    push.run_push(attempt.pk)
    attempt.refresh_from_db()
    assert attempt.state == PushAttempt.State.CONFLICT
    session = MergeSession.objects.get(attempt=attempt)
    comment = review.add_comment(approver, draft, "Is the new name right?")
    test_contacts.import_test_contacts(editor, draft, "name\nAlice\n")
    draft.refresh_from_db()
    return Objects(draft, comment, attempt, session, _failed_publish(draft, attempt))


def _restricted(member, simulator) -> Objects:
    """A draft in review on a connection only team R may use, with every related object."""
    connection = ConnectionFactory(
        name="Team R's business unit",
        auth_base_url=simulator.base_url,
        rest_base_url=simulator.base_url,
        client_id=CLIENT_ID,
        account_id="",
        secret=CLIENT_SECRET,
    )
    connection.allowed_groups.add(Group.objects.get(name="Team R"))
    draft = create_new_journey(member, connection, RESTRICTED_NAME)
    snapshot = record_snapshot(draft.journey, {**draft.document, "id": "restricted-remote-id"})
    revision = draft.revisions.get(number=1)
    comment = review.add_comment(member, draft, "Team R only")
    attempt = PushAttempt.objects.create(
        draft=draft,
        revision=revision,
        requested_by=member,
        payload_hash=draft.content_hash,
        state=PushAttempt.State.FAILED,
    )
    session = MergeSession.objects.create(
        draft=draft,
        origin=MergeSession.Origin.UPDATE,
        theirs_snapshot=snapshot,
        ours_revision=revision,
        ours_hash=draft.content_hash,
        merged_document=draft.document,
        created_by=member,
    )
    draft = review.submit_for_review(member, draft, expected_revision=1, message="for team R")
    notifications.notify(
        Notification.Kind.COMMENT,
        [member],
        draft=draft,
        text="Team R's own",
        path=reverse("journeys:draft-review", args=[draft.pk]),
        subject="Team R's own",
    )
    return Objects(draft, comment, attempt, session, _failed_publish(draft, attempt))


def _axes_rows() -> None:
    """One row of each of django-axes' models, so their admin pages open a real row too."""
    who = {
        "user_agent": "test",
        "ip_address": "127.0.0.1",
        "username": "nobody",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(**who, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**who)
    AccessFailureLog.objects.create(**who)


@pytest.fixture
def world(
    editor,
    approver,
    admin_user,
    outsider,
    team_member,
    other_team,
    sim_connection,
    simulator,
    demo_journeys,
):
    shared = _conflicted(editor, approver, sim_connection, simulator)
    restricted = _restricted(team_member, simulator)
    _axes_rows()
    NotificationPreference.objects.create(user=outsider, delivery="in_app")
    users = {
        "anonymous": None,
        "editor": editor,
        "approver": approver,
        "admin": admin_user,
        "outsider": outsider,
        "other team": other_team,
        "team member": team_member,
    }
    return {"shared": shared, "restricted": restricted, "users": users}


def _client_for(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


# the URL list itself


def test_every_url_pattern_is_classified_and_can_be_filled_with_real_objects(world):
    app_names = {route.name for route in ROUTES if route.is_app}
    assert app_names == set(APP_URLS), "classify each new journeys: URL in APP_URLS"
    others = {route.label for route in ROUTES if not route.is_app and not route.is_admin}
    assert others <= PUBLIC_URLS, f"a URL outside the app and admin is not covered: {others}"
    for objects in (world["shared"], world["restricted"]):
        for route in ROUTES:
            url = concrete(route, objects)
            assert "<" not in url and "(?P" not in url, url
    assert len(ROUTES) > 100  # the admin's URLs are walked too


# who sees what: every URL × every role × GET and POST


def _expected(role: str, route: Route, restricted: bool, answer: Answer) -> str | None:
    """Why `answer` is wrong for `role` on `route`, or None when it is right."""
    if answer.error:
        return answer.error
    status = answer.status
    if status not in NOT_A_SERVER_ERROR:
        return f"answered {status}"
    if status in REFUSED and answer.written:
        return f"refused with {status} but wrote {answer.written}"
    staff = role == "admin"
    if role == "anonymous" and route.label not in PUBLIC_URLS:
        to_login = status == 302 and answer.location.startswith(LOGIN_PAGES)
        if not (to_login or status == 405):
            return f"anonymous got {status} {answer.location!r}, not a login redirect"
        if answer.written:
            return f"anonymous wrote {answer.written}"
        return None
    if route.is_admin and not staff and route.label not in PUBLIC_URLS:
        if not (status == 302 and answer.location.startswith("/admin/login/")):
            return f"a non-staff user got {status} on an admin page"
        return None
    if not route.is_app:
        return None
    kind = APP_URLS[route.name]
    if kind == "page":
        return None
    may_see = role in ("admin", "team member") if restricted else role != "outsider"
    if not may_see and status not in REFUSED:
        return f"someone who may not see it got {status}"
    return None


ROLES = ["anonymous", "editor", "approver", "admin", "outsider", "other team"]


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_every_role_without_a_server_error_and_refusals_write_nothing(
    world, role
):
    user = world["users"][role]
    client = _client_for(user)
    failures = []
    seen: dict[tuple[str, str], int | None] = {}
    for restricted, objects in ((False, world["shared"]), (True, world["restricted"])):
        for route in ROUTES:
            if restricted and not (route.is_app and APP_URLS[route.name] != "page"):
                continue  # the same URL as for the shared objects
            url = concrete(route, objects)
            for method in ("get", "post"):
                if user is not None:
                    client.force_login(user)  # a POST to a logout URL ended the session
                answer = request(client, method, url)
                seen[(method, route.label if not restricted else f"R {route.label}")] = (
                    answer.status
                )
                problem = _expected(role, route, restricted, answer)
                if problem:
                    failures.append(f"{method.upper()} {url} ({route.label}): {problem}")
    assert failures == [], "\n".join(failures)
    # Not vacuous: whoever may see the shared draft gets its pages, admins get admin's pages.
    if role in ("editor", "approver", "admin", "other team"):
        for name in ("journeys:draft", "journeys:draft-review", "journeys:merge"):
            assert seen[("get", name)] == 200, (role, name)
    if role == "admin":
        assert seen[("get", "admin:journeys_draft_change")] == 200
        assert seen[("get", "R journeys:draft")] == 200


# what the list pages show


LIST_PAGES = [
    ("journeys:home", {}),
    ("journeys:home", {"q": "journey"}),
    ("journeys:review-queue", {}),
    ("journeys:draft-new", {}),
    ("journeys:draft-upload", {}),
]


@pytest.mark.parametrize("role", ["editor", "approver", "outsider", "other team"])
def test_list_pages_never_show_a_restricted_connection_or_anything_to_users_without_a_role(
    world, role
):
    client = _client_for(world["users"][role])
    restricted = world["restricted"]
    shared = world["shared"]
    for name, query in LIST_PAGES:
        html = client.get(reverse(name), query).content.decode()
        assert RESTRICTED_NAME not in html, (role, name)
        assert restricted.connection.name.replace("'", "&#x27;") not in html, (role, name)
        if role == "outsider":
            assert shared.journey.name not in html, (name, "a user without a role sees journeys")
            assert shared.connection.name not in html, name


def test_the_team_member_does_see_the_restricted_draft_so_the_check_above_is_not_vacuous(world):
    client = _client_for(world["users"]["team member"])
    assert RESTRICTED_NAME in client.get(reverse("journeys:home")).content.decode()
    reviewer = _client_for(world["users"]["admin"])
    assert RESTRICTED_NAME in reviewer.get(reverse("journeys:review-queue")).content.decode()
    draft = world["restricted"].draft
    assert client.get(reverse("journeys:draft", args=[draft.pk])).status_code == 200


@pytest.mark.parametrize("role", ["editor", "approver", "outsider", "other team"])
def test_nobody_outside_the_team_creates_uploads_or_imports_into_a_restricted_connection(
    world, role
):
    client = _client_for(world["users"][role])
    connection = world["restricted"].connection
    drafts = Draft.objects.count()
    events = AuditEvent.objects.count()
    client.post(reverse("journeys:draft-new"), {"connection": connection.pk, "name": "Sneaky"})
    upload = b'{"key": "sneaky", "name": "Sneaky", "activities": []}'
    client.post(
        reverse("journeys:draft-upload"),
        {"connection": connection.pk, "file": SimpleUploadedFile("j.json", upload)},
    )
    response = client.post(
        reverse("journeys:remote-import", args=[connection.pk]), {"remote_id": "anything"}
    )
    assert response.status_code in REFUSED
    assert Draft.objects.count() == drafts
    assert AuditEvent.objects.count() == events


# what the state-changing actions do: the rows and the state, not only the status


@pytest.fixture
def co_author(db):
    """Cody: editor and approver, who edits the draft below before it is reviewed."""
    return UserFactory(username="cody", roles=["Editors", "Approvers"])


def _reviewed_draft(editor, co_author, approver, state: str) -> Draft:
    """Edna's draft, which Cody edited, in `state` (approved by Arlo, who wrote nothing)."""
    draft = create_new_journey(editor, ConnectionFactory(), "Four eyes")
    draft = save_revision(
        co_author, draft, {**draft.document, "description": "x"}, expected_revision=1, summary="x"
    )
    if state != Draft.State.EDITING:
        draft = review.submit_for_review(editor, draft, expected_revision=2, message="")
    if state == Draft.State.APPROVED:
        draft = review.approve(approver, draft, expected_revision=2).draft
    return draft


EFFECT_ROLES = ["anonymous", "editor", "approver", "admin", "outsider", "other team", "co-author"]
EDITORS = {"editor", "admin", "other team", "co-author"}
# action: (url name, the draft's state before, form data, who may, the state after, rows written)
STATE_CHANGES: dict[str, tuple[str, str, dict[str, Any], set[str], str, dict[str, int]]] = {
    "submit": (
        "journeys:draft-submit",
        Draft.State.EDITING,
        {"revision": 2, "message": "please"},
        EDITORS,
        Draft.State.IN_REVIEW,
        {"journeys.AuditEvent": 1},
    ),
    "approve": (
        "journeys:draft-decide",
        Draft.State.IN_REVIEW,
        {"revision": 2, "decision": "approve"},
        {"approver", "admin", "other team"},  # not the author, nor Cody who edited it
        Draft.State.APPROVED,
        {"journeys.Approval": 1, "journeys.AuditEvent": 1},
    ),
    "request changes": (
        "journeys:draft-decide",
        Draft.State.IN_REVIEW,
        {"revision": 2, "decision": "changes", "comment": "Say more"},
        {"approver", "admin", "other team"},
        Draft.State.CHANGES_REQUESTED,
        {"journeys.Approval": 1, "journeys.AuditEvent": 1},
    ),
    "push": (
        "journeys:draft-push",
        Draft.State.APPROVED,
        {},
        {"editor", "approver", "admin", "other team", "co-author"},  # the author, or approvers
        Draft.State.APPROVED,
        {"journeys.PushAttempt": 1, "journeys.AuditEvent": 1},
    ),
}


# The redirect after an allowed action lands on the editor, whose first visit queues the first
# load of SFMC's catalog: a row of background bookkeeping, not part of the state change.
BACKGROUND_BOOKKEEPING = {"journeys.CatalogRefresh"}


@pytest.mark.parametrize("role", EFFECT_ROLES)
@pytest.mark.parametrize("action", list(STATE_CHANGES))
def test_each_state_change_happens_for_exactly_the_roles_allowed_and_nothing_for_the_others(
    editor, approver, admin_user, outsider, other_team, co_author, role, action
):
    url_name, state, data, allowed, state_after, rows = STATE_CHANGES[action]
    draft = _reviewed_draft(editor, co_author, approver, state)
    users = {"anonymous": None, "editor": editor, "approver": approver, "admin": admin_user}
    users.update({"outsider": outsider, "other team": other_team, "co-author": co_author})
    user = users[role]
    before, decisions = row_counts(), list(Approval.objects.values_list("pk", flat=True))
    response = _client_for(user).post(reverse(url_name, args=[draft.pk]), data, follow=True)
    after = row_counts()
    written = {
        k: after[k] - before[k]
        for k in before
        if before[k] != after[k] and k not in BACKGROUND_BOOKKEEPING
    }
    draft.refresh_from_db()
    told = written.pop("journeys.Notification", 0)
    if role in allowed:
        assert response.status_code == 200, (role, action, response.status_code)
        assert (draft.state, written) == (state_after, rows), (role, action)
        # A submission tells every approver but the one who submits; a decision, the author.
        approvers = {approver, admin_user, other_team, co_author} - {user}
        expected = {"submit": len(approvers), "push": 0}.get(action, 1)
        assert told == expected, (role, action, told)
        new = Approval.objects.exclude(pk__in=decisions)
        assert [a.reviewer for a in new] == ([user] if "journeys.Approval" in rows else [])
    else:
        assert (draft.state, written, told) == (state, {}, 0), (role, action, "refused, yet")
        assert response.status_code in (200, 403), (role, action, response.status_code)
        if role == "co-author" and action != "submit":
            assert "someone else must approve it" in response.content.decode()


# CSRF


@pytest.mark.parametrize("role", ["editor", "approver", "admin"])
def test_every_post_without_a_csrf_token_is_refused_and_writes_nothing(world, role):
    client = _client_for(world["users"][role], enforce_csrf_checks=True)
    failures = []
    for route in ROUTES:
        url = concrete(route, world["shared"])
        events = AuditEvent.objects.count()
        answer = request(client, "post", url, headers={"HX-Request": "true"})
        if answer.status != 403 or answer.written or answer.error:
            failures.append(f"POST {url}: {answer.status} {answer.error} wrote {answer.written}")
        assert AuditEvent.objects.count() == events
    assert failures == [], "\n".join(failures)


def test_the_same_post_with_the_token_from_a_rendered_page_is_accepted(world):
    client = _client_for(world["users"]["approver"], enforce_csrf_checks=True)
    draft = world["shared"].draft
    page = client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the review page renders a CSRF token"
    response = client.post(
        reverse("journeys:comment-add", args=[draft.pk]),
        {"body": "with a token", "csrfmiddlewaretoken": token[1]},
    )
    assert response.status_code == 302
    assert draft.comments.filter(body="with a token").exists()
