"""Many people at once, through a live server: no acknowledged edit is lost, no push goes astray.

Each simulated person is a thread with its own `requests.Session`, logged in through the real
login form, sending what htmx sends (the X-CSRFToken header taken from the page's hx-headers,
HX-Request: true) and quoting the revision it last saw in a response's `#canvas` data-revision,
as editor.js does. The server is pytest-django's `live_server` on the configured database.

On PostgreSQL the requests really run in parallel (8 people). On SQLite, Django's live server
hands its one in-memory connection to every request thread, so parallel requests would share a
single transaction state: a test artefact, not how the app runs. There, 4 people take turns one
request at a time (a lock held around each request and each worker run): their edits still
quote stale revisions all the time, so the optimistic lock, the stale merge and the refusals
are exercised, but not the database's row locks.

Pushes are run by a worker thread calling `push.run_push` (the Celery task's body) on the active
attempts; `push._enqueue` is replaced so nothing reaches a broker other runs may share.
"""

from __future__ import annotations

import html
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from django.db import connection, connections

from journeys.domain.document import content_hash, put_body

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"
HTMX = {"HX-Request": "true"}
CANVAS_REVISION = re.compile(r'id="canvas" class="canvas" data-revision="(\d+)"')
CSRF_HEADER = re.compile(r"hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'")
SLOT = re.compile(r'<a class="slot[^"]*"[^>]*?data-after="([^"]*)" data-outcome="([^"]*)"', re.S)
DECIDE_REVISION = re.compile(r'action="/drafts/\d+/decide/".*?name="revision" value="(\d+)"', re.S)
UNDER_WAY = "already under way"
MERGED = "(merged with newer changes)"
RENAMED = "Settings: journey name changed"
NOTICE = re.compile(r'<div id="notice"[^>]*>([^<]*)</div>')
# Single-outcome types with distinct key prefixes (check_draft tells the new key by its prefix).
# Two people inserting the same type on stale revisions get different keys (services.identity);
# only inserts on the same edge overlap.
INSERT_TYPES = [
    "WAITBYDURATION",
    "EMAILV2",
    "SMSSYNC",
    "WAITBYATTRIBUTE",
    "STOWAIT",
    "UPDATECONTACTDATAV2",
    "DATAEXTENSIONUPDATE",
    "SALESCLOUDACTIVITY",
]


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def request_gate() -> AbstractContextManager[Any]:
    """What every request and worker run holds: nothing on PostgreSQL, one lock on SQLite."""
    return nullcontext() if on_postgres() else threading.Lock()


@pytest.fixture
def fast_passwords(settings):
    # Each person logs in through the form: the default hasher costs ~0.5 s a login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def database_thread(shared: Any) -> Iterator[None]:
    """Let a helper thread use the database: the live server's shared in-memory SQLite
    connection (as Django's live server gives its request threads), else its own connection."""
    if shared is not None:
        connections["default"] = shared
    try:
        yield
    finally:
        if shared is None:
            connections.close_all()


def shared_connection(live_server: Any) -> Any:
    """The connection the live server's request threads share (in-memory SQLite), or None."""
    return live_server.thread.connections_override.get("default")


# the browser


class FormFields(HTMLParser):
    """The fields a browser would post from the first <form> whose class is `form_class`."""

    def __init__(self, form_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.inside = False
        self.done = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and self.form_class in a.get("class", "").split():
            self.inside = True
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[name] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in a or self._select not in self.fields)
        ):
            self.fields[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_fields(page: str, form_class: str) -> dict[str, str]:
    parser = FormFields(form_class)
    parser.feed(page)
    fields = parser.fields
    for name, value in fields.items():
        if value.startswith("\n"):  # browsers drop the newline right after <textarea>
            fields[name] = value[1:]
    return fields


class Browser:
    """One person's browser: a session logged in through the login form, requests htmx-style."""

    def __init__(self, base_url: str, username: str, gate: AbstractContextManager[Any]) -> None:
        self.base_url = base_url
        self.gate = gate
        self.http = requests.Session()
        self.statuses: list[int] = []
        self.csrf = ""
        login = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert token, login.text[:500]
        done = self.request(
            "POST",
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": PASSWORD,
            },
            allow_redirects=False,
        )
        assert done.status_code == 302, f"{username} could not log in: {done.status_code}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        with self.gate:
            response = self.http.request(method, self.base_url + path, timeout=60, **kwargs)
        self.statuses.append(response.status_code)
        return response

    def page(self, path: str) -> str:
        """A full page; its hx-headers carry the CSRF token htmx sends back."""
        response = self.request("GET", path)
        assert response.status_code == 200, (path, response.status_code)
        found = CSRF_HEADER.search(response.text)
        assert found, f"no hx-headers CSRF token on {path}"
        self.csrf = html.unescape(found.group(1))
        return response.text

    def htmx(self, method: str, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        headers = {**HTMX, "X-CSRFToken": self.csrf, "Referer": self.base_url + path}
        return self.request(method, path, data=data, headers=headers, allow_redirects=False)

    def form_post(self, path: str, data: dict[str, Any]) -> requests.Response:
        """A plain (non-htmx) form post, as the review page's forms are."""
        data = {**data, "csrfmiddlewaretoken": self.csrf}
        return self.request("POST", path, data=data, allow_redirects=False)

    def close(self) -> None:
        self.http.close()


@dataclass
class Edit:
    person: int
    draft: int
    kind: str  # "insert" or "rename"
    quoted: int
    status: int
    revision: int  # the data-revision of the response: the new revision when acknowledged
    name: str = ""
    type_id: str = ""
    notice: str = ""


class EditorTab:
    """An editor tab on one draft: what the canvas last showed (revision, insert slots)."""

    def __init__(self, browser: Browser, draft: int) -> None:
        self.browser = browser
        self.draft = draft
        self.saw(browser.page(f"/drafts/{draft}/"))
        panel = browser.htmx("GET", f"/drafts/{draft}/panel/?target=settings")
        assert panel.status_code == 200, panel.status_code
        self.settings = form_fields(panel.text, "panel-form")
        assert "name" in self.settings and "entryMode" in self.settings, self.settings

    def saw(self, text: str) -> None:
        found = CANVAS_REVISION.search(text)
        assert found, text[:500]
        self.revision = int(found.group(1))
        self.slots = [(html.unescape(a), html.unescape(o)) for a, o in SLOT.findall(text)]
        assert self.slots, "the canvas offers no place to insert"

    def insert(self, person: int, rng: random.Random) -> Edit:
        after, outcome = rng.choice(self.slots)
        type_id = rng.choice(INSERT_TYPES)
        data = {"op": "insert", "type_id": type_id, "after": after, "outcome_key": outcome}
        return self._post(person, "insert", f"/drafts/{self.draft}/edit/", data, type_id=type_id)

    def rename(self, person: int, name: str) -> Edit:
        data = {**self.settings, "name": name}
        data.pop("csrfmiddlewaretoken", None)
        path = f"/drafts/{self.draft}/panel/?target=settings"
        return self._post(person, "rename", path, data, name=name)

    def _post(self, person: int, kind: str, path: str, data: dict[str, Any], **what: str) -> Edit:
        quoted = self.revision
        response = self.browser.htmx("POST", path, {**data, "revision": quoted})
        edit = Edit(person, self.draft, kind, quoted, response.status_code, 0, **what)
        if response.status_code in (200, 409):
            self.saw(response.text)  # the browser swaps in the canvas either way
            edit.revision = self.revision
            found = NOTICE.search(response.text)
            edit.notice = html.unescape(found.group(1)) if found else ""
        return edit


def run_people(count: int, body: Callable[[int], None]) -> None:
    """Run `body(person)` in `count` threads started together; re-raise the first failure."""
    failures: list[BaseException] = []
    start = threading.Barrier(count)

    def run(person: int) -> None:
        try:
            start.wait(120)
            body(person)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 240  # a person slower than this (on a loaded machine) is stuck
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a person never finished"
    if failures:
        raise failures[0]


def server_errors(browsers: list[Browser]) -> list[int]:
    return [status for browser in browsers for status in browser.statuses if status >= 500]


# editing


def generated_draft(user: Any, connection_: Any, seed: int) -> Any:
    import json

    from bench.journeys_gen import generate_journey
    from journeys.services.drafts import create_draft_from_upload

    raw = json.dumps(generate_journey(24, seed=seed)).encode()
    return create_draft_from_upload(user, connection_, raw).draft


@dataclass
class DraftFindings:
    attempted: int = 0
    acknowledged: int = 0
    refused: int = 0
    merged: int = 0
    lost: list[str] = field(default_factory=list)


def check_draft(draft_id: int, edits: list[Edit], usernames: list[str]) -> DraftFindings:
    """Every acknowledged edit is exactly one revision doing exactly what it said; nothing else."""
    from journeys.models import Revision

    found = DraftFindings(attempted=len(edits))
    acked = [e for e in edits if e.status == 200]
    found.acknowledged, found.refused = len(acked), sum(e.status == 409 for e in edits)
    revisions = {r.number: r for r in Revision.objects.filter(draft_id=draft_id)}
    numbers = sorted(revisions)
    if numbers != list(range(1, len(acked) + 2)):
        found.lost.append(f"revisions {numbers[:3]}..{numbers[-3:]}, {len(acked)} acknowledged")
    by_revision: dict[int, Edit] = {}
    for edit in acked:
        if edit.revision in by_revision:
            found.lost.append(f"revision {edit.revision} acknowledged twice")
        by_revision[edit.revision] = edit
    first = revisions[1].document
    initial_keys = {a["key"] for a in first["activities"]}
    acked_keys: set[str] = set()
    acked_names = {first["name"]}
    for number in numbers[1:]:
        revision, previous = revisions[number], revisions.get(number - 1)
        made_by = by_revision.get(number)
        if made_by is None or previous is None:
            found.lost.append(f"revision {number} was made by no acknowledged edit")
            continue
        found.merged += revision.summary.endswith(MERGED)
        keys = {a["key"] for a in revision.document["activities"]}
        before = {a["key"] for a in previous.document["activities"]}
        name, name_before = revision.document["name"], previous.document["name"]
        if revision.author.username != usernames[made_by.person]:
            found.lost.append(
                f"revision {number} is by {revision.author}, not person {made_by.person}"
            )
        if made_by.kind == "insert":
            added = keys - before
            key = next(iter(added)) if len(added) == 1 else ""
            acked_keys.add(key)
            if keys != before | {key} or not key.startswith(made_by.type_id) or name != name_before:
                found.lost.append(f"revision {number} ({revision.summary}) is not that insert")
        else:
            acked_names.add(made_by.name)
            unchanged = {**revision.document, "name": ""} == {**previous.document, "name": ""}
            if name != made_by.name or not unchanged or not revision.summary.startswith(RENAMED):
                found.lost.append(f"revision {number} ({revision.summary}) is not that rename")
    # Refused edits left no trace in any revision: no other key, no other name.
    for revision in revisions.values():
        keys = {a["key"] for a in revision.document["activities"]}
        if not keys <= initial_keys | acked_keys or revision.document["name"] not in acked_names:
            found.lost.append(f"revision {revision.number} holds a refused edit")
    final = revisions[numbers[-1]].document
    if {a["key"] for a in final["activities"]} != initial_keys | acked_keys:
        found.lost.append("the final document lacks an acknowledged insert")
    renames = [e for e in acked if e.kind == "rename"]
    if renames and final["name"] != max(renames, key=lambda e: e.revision).name:
        found.lost.append("the final name is not the last acknowledged rename")
    return found


def test_people_editing_the_same_draft_at_once_lose_no_acknowledged_edit(
    live_server, fast_passwords
):
    from journeys.models import Draft
    from tests.factories import ConnectionFactory, UserFactory

    people, edits_each = (8, 16) if on_postgres() else (4, 12)
    usernames = [f"concurrent-editor-{n}" for n in range(people)]
    users = [UserFactory(username=name, roles=["Editors"]) for name in usernames]
    connection_ = ConnectionFactory()
    shared = generated_draft(users[0], connection_, seed=11)
    own = [generated_draft(user, connection_, seed=20 + n) for n, user in enumerate(users)]
    gate = request_gate()
    browsers: list[Browser] = []
    edits: list[Edit] = []
    loaded = threading.Barrier(people)

    def person(n: int) -> None:
        rng = random.Random(n)
        browser = Browser(live_server.url, usernames[n], gate)
        browsers.append(browser)
        tabs = {"shared": EditorTab(browser, shared.pk), "own": EditorTab(browser, own[n].pk)}
        # Everyone has loaded revision 1 before anyone edits: the race is certain, whatever the
        # scheduling. All first edits quote revision 1, so all but the one landing first are
        # stale; with these seeds persons 0 and 2 first rename (one of them must be refused) and
        # persons 1 and 3 first insert different types in different places (the later one, at
        # least, is merged).
        loaded.wait(240)
        for m in range(edits_each):
            tab = tabs["own" if m % 3 == 2 else "shared"]
            if rng.random() < 0.6:
                edits.append(tab.insert(n, rng))
            else:
                edits.append(tab.rename(n, f"Journey by person {n}, edit {m}"))
        browser.close()

    run_people(people, person)

    shared_edits = [e for e in edits if e.draft == shared.pk]
    same = check_draft(shared.pk, shared_edits, usernames)
    own_drafts = DraftFindings()
    for n, draft in enumerate(own):
        found = check_draft(draft.pk, [e for e in edits if e.draft == draft.pk], usernames)
        own_drafts.attempted += found.attempted
        own_drafts.acknowledged += found.acknowledged
        own_drafts.refused += found.refused
        own_drafts.lost += [f"own draft of person {n}: {lost}" for lost in found.lost]
    errors = server_errors(browsers)
    why = {"overlap": 0, "too busy": 0, "other": 0}
    for edit in shared_edits:
        if edit.status == 409:
            reason = "overlap" if "overlaps" in edit.notice else "other"
            why["too busy" if "very often" in edit.notice else reason] += 1
    print(
        f"\n{people} people x {edits_each} edits, {connection.vendor}: "
        f"same draft: attempted {same.attempted} / acknowledged {same.acknowledged} "
        f"(merged onto newer revisions {same.merged}) / refused {same.refused} {why} / "
        f"lost {len(same.lost)}; own drafts: attempted {own_drafts.attempted} / "
        f"acknowledged {own_drafts.acknowledged} / refused {own_drafts.refused} / "
        f"lost {len(own_drafts.lost)}; 5xx {len(errors)}"
    )
    assert errors == []
    assert {e.status for e in edits} <= {200, 409}, sorted({e.status for e in edits})
    assert same.lost == [] and own_drafts.lost == []
    assert same.attempted == same.acknowledged + same.refused
    # The race really happened (the barrier above makes it certain): stale edits were merged,
    # overlapping ones refused; only a stale edit is ever refused.
    assert same.merged > 0 and same.refused > 0
    assert same.merged + same.refused >= people - 1
    assert all(e.revision > e.quoted for e in shared_edits if e.status == 409)
    # Nobody else edits a person's own draft: none of those edits may be refused.
    assert own_drafts.refused == 0 and own_drafts.acknowledged == own_drafts.attempted
    assert Draft.objects.get(pk=shared.pk).revision_number == 1 + same.acknowledged


# review and push


@dataclass
class PushRace:
    """What the people and the worker of the push race saw and did."""

    submits: list[int] = field(default_factory=list)
    approvals: list[int] = field(default_factory=list)
    pushes: list[int] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    most_active: int = 0
    looks: int = 0
    writes: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def record_simulator_writes(simulator: Any, race: PushRace) -> None:
    """Keep the body of every PUT and POST the simulator handles, and whether it applied it."""
    interactions = simulator.app.interactions
    update, create = interactions.update, interactions.create

    def recorded_update(ref: Any, body: Any) -> Any:
        result = update(ref, body)
        with race.lock:
            race.writes.append(("PUT", body, result is not None))
        return result

    def recorded_create(body: Any) -> Any:
        result = create(body)
        with race.lock:
            race.writes.append(("POST", body, True))
        return result

    interactions.update, interactions.create = recorded_update, recorded_create


def pushed_content(body: dict[str, Any]) -> str:
    """The hash of what a PUT body carries, without the fields each send sets anew."""
    return content_hash({**body, "version": 0, "modifiedDate": "", "status": "Draft"})


def approved_content(document: dict[str, Any]) -> str:
    return content_hash(put_body(document, version=0, modified_date=""))


def worker(race: PushRace, gate: Any, stop: threading.Event, shared: Any) -> None:
    """What the Celery worker does: run each active attempt (the task's body)."""
    from journeys.models import PushAttempt
    from journeys.services import push

    with database_thread(shared):
        deadline = float("inf")
        while True:
            if stop.is_set() and deadline == float("inf"):
                deadline = time.monotonic() + 90  # then an attempt left active is reported
            with gate:
                due = list(
                    PushAttempt.objects.filter(state__in=push.ACTIVE_STATES).values_list(
                        "pk", flat=True
                    )
                )
                for pk in due:
                    try:
                        race.runs.append(push.run_push(pk).state)
                    except Exception as error:  # a failed task: asserted on below
                        race.failures.append(f"{type(error).__name__}: {error}")
            if stop.is_set() and (not due or time.monotonic() > deadline):
                return
            time.sleep(0.005)


def monitor(race: PushRace, gate: Any, stop: threading.Event, draft_id: int, shared: Any) -> None:
    """Look at the attempts all the time, and once more at the end: how many are active for
    the draft at each look (the database allows at most one; how many looks catch one is luck)."""
    from journeys.models import PushAttempt
    from journeys.services import push

    with database_thread(shared):
        while True:
            last = stop.is_set()
            with gate:
                active = PushAttempt.objects.filter(
                    draft_id=draft_id, state__in=push.ACTIVE_STATES
                ).count()
            race.looks += 1
            race.most_active = max(race.most_active, active)
            if last:
                return
            time.sleep(0.002)


def test_submit_approve_and_push_racing_edits_push_only_approved_content(
    live_server, fast_passwords, sim_connection, demo_journeys, monkeypatch
):
    from journeys.models import Approval, PushAttempt, Revision
    from journeys.services import push
    from tests.factories import UserFactory
    from tests.test_push_service import import_demo

    monkeypatch.setattr(push, "_enqueue", lambda attempt_id: None)  # the worker thread polls
    editors, approvers, rounds = (2, 2, 12) if on_postgres() else (1, 1, 8)
    editor_names = [f"race-editor-{n}" for n in range(editors)]
    approver_names = [f"race-approver-{n}" for n in range(approvers)]
    users = [UserFactory(username=name, roles=["Editors"]) for name in editor_names]
    for name in approver_names:
        UserFactory(username=name, roles=["Approvers"])
    draft = import_demo(users[0], sim_connection)
    race = PushRace()
    record_simulator_writes(demo_journeys, race)
    gate = request_gate()
    shared = shared_connection(live_server)
    stop_worker, stop_monitor, editing_done = (
        threading.Event(),
        threading.Event(),
        threading.Event(),
    )
    helpers = [
        threading.Thread(target=worker, args=(race, gate, stop_worker, shared)),
        threading.Thread(target=monitor, args=(race, gate, stop_monitor, draft.pk, shared)),
    ]
    for helper in helpers:
        helper.start()
    browsers: list[Browser] = []
    finished = threading.Barrier(editors)

    def editor(n: int) -> None:
        rng = random.Random(100 + n)
        browser = Browser(live_server.url, editor_names[n], gate)
        browsers.append(browser)
        tab = EditorTab(browser, draft.pk)
        for m in range(rounds):
            tab.saw(browser.page(f"/drafts/{draft.pk}/"))
            submit = browser.form_post(
                f"/drafts/{draft.pk}/submit/", {"revision": tab.revision, "message": ""}
            )
            race.submits.append(submit.status_code)
            time.sleep(rng.uniform(0.05, 0.3))  # the approvers' chance
            if rng.random() < 0.5:
                race.edits.append(tab.rename(n, f"Race by editor {n}, round {m}"))
            else:
                # A wait keeps the journey valid, so an approval of it can be pushed.
                after, outcome = rng.choice(tab.slots)
                data = {"op": "insert", "type_id": "WAITBYDURATION", "after": after}
                response = browser.htmx(
                    "POST",
                    f"/drafts/{draft.pk}/edit/",
                    {**data, "outcome_key": outcome, "revision": tab.revision},
                )
                race.edits.append(
                    Edit(n, draft.pk, "insert", tab.revision, response.status_code, 0)
                )
        finished.wait(240)
        if n == 0:  # a last submission, after every edit, stays for the approvers
            tab.saw(browser.page(f"/drafts/{draft.pk}/"))
            submit = browser.form_post(
                f"/drafts/{draft.pk}/submit/", {"revision": tab.revision, "message": ""}
            )
            race.submits.append(submit.status_code)
            editing_done.set()
        browser.close()

    def approver(n: int) -> None:
        browser = Browser(live_server.url, approver_names[n], gate)
        browsers.append(browser)
        last_round = False
        while not last_round:
            last_round = editing_done.is_set()  # one more round after the editors stop
            review = browser.page(f"/drafts/{draft.pk}/review/")
            seen = DECIDE_REVISION.search(review)
            if seen:
                decision = browser.form_post(
                    f"/drafts/{draft.pk}/decide/",
                    {"revision": seen.group(1), "decision": "approve", "comment": ""},
                )
                race.approvals.append(decision.status_code)
            deadline = time.monotonic() + 120  # at the end, wait for the worker (however slow)
            while True:
                pushed = browser.htmx("POST", f"/drafts/{draft.pk}/push/")
                race.pushes.append(pushed.status_code)
                under_way = pushed.status_code == 409 and UNDER_WAY in pushed.text
                if not (last_round and under_way) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            time.sleep(0.01)
        browser.close()

    run_people(editors + approvers, lambda n: editor(n) if n < editors else approver(n - editors))
    stop_worker.set()
    helpers[0].join(120)
    stop_monitor.set()
    helpers[1].join(60)
    assert not any(helper.is_alive() for helper in helpers)

    errors = server_errors(browsers)
    approvals = list(
        Approval.objects.filter(draft=draft, decision="approved").select_related("revision")
    )
    attempts = list(PushAttempt.objects.filter(draft=draft).select_related("approval__revision"))
    hashes = set(Revision.objects.filter(draft=draft).values_list("content_hash", flat=True))
    approved = {approved_content(a.revision.document) for a in approvals}
    sent = [(method, body) for method, body, _ in race.writes]
    applied = [(method, body) for method, body, done in race.writes if done]
    strays = [body.get("name") for _, body in sent if pushed_content(body) not in approved]
    succeeded = [a for a in attempts if a.state == PushAttempt.State.SUCCEEDED]
    print(
        f"\npush race, {connection.vendor}, {editors} editor(s) + {approvers} approver(s): "
        f"submits {len(race.submits)}, edits {len(race.edits)} "
        f"(acknowledged {sum(e.status == 200 for e in race.edits)}, "
        f"refused {sum(e.status == 409 for e in race.edits)}), approvals {len(approvals)}, "
        f"push requests {len(race.pushes)} (queued {race.pushes.count(200)}, "
        f"refused {race.pushes.count(409)}), attempts {len(attempts)} "
        f"(succeeded {len(succeeded)}), PUTs sent {len(sent)} (applied {len(applied)}), "
        f"not matching an approval {len(strays)}, most active attempts {race.most_active}, "
        f"5xx {len(errors)}"
    )
    assert errors == []
    assert race.failures == []  # no run of the push raised (a deadlock did, before the fix)
    assert set(race.submits) | set(race.approvals) <= {302}
    assert set(race.pushes) <= {200, 409} and {e.status for e in race.edits} <= {200, 409}
    assert approvals and succeeded, "the race never got as far as a push"
    for approval in approvals:  # bound to a hash that the approved revision (and so some) has
        assert approval.content_hash == approval.revision.content_hash
        assert approval.content_hash == content_hash(approval.revision.document)
        assert approval.content_hash in hashes
    for attempt in attempts:  # each attempt pushes its approval's content, nothing else
        assert attempt.approval is not None
        assert attempt.payload_hash == attempt.approval.content_hash
        assert attempt.revision_id == attempt.approval.revision_id
    assert strays == []
    assert all(method == "PUT" for method, _ in sent)
    # One PUT per successful attempt, carrying that attempt's approved content (SFMC applies
    # it, or answers 304 when it already has exactly that content).
    pushed = sorted(approved_content(a.approval.revision.document) for a in succeeded)
    assert sorted(pushed_content(body) for _, body in sent) == pushed
    assert {pushed_content(body) for _, body in applied} <= set(pushed)
    assert {a.state for a in attempts} == {PushAttempt.State.SUCCEEDED}, race.runs
    # Never two active attempts at once, at any look nor at the end (the constraint below).
    assert race.looks > 0 and race.most_active <= 1
    constraints = connection.introspection.get_constraints(
        connection.cursor(), PushAttempt._meta.db_table
    )
    assert "one_active_push_per_draft" in constraints
