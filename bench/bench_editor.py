"""What the canvas editor costs: server time, SQL queries and bytes per request, and the time
Chromium takes to draw a generated journey.

Run from the repository root (about 35 s on 2 cores):

    .venv/bin/python -m bench.bench_editor [runs]

It uses a throwaway SQLite database in a temporary directory (VAR_DIR), never var/db.sqlite3.
Server times are medians over `runs` requests (default 11) through django.test.Client as a
logged-in editor, after one warm-up request: the editor page, one htmx structural edit (insert
a wait) and one htmx panel save (a wait's duration), on generated journeys of 100 and 500
activities. "ratio" compares each with json.dumps of the same document, the least any view
that returns the document must do. Query counts are checked not to grow with the journey's
size or with its history (1 revision vs 200); the script exits 1 if they do. The rows "at the
limits" are the worst case the document limits let in (JOURNEY_MAX_ACTIVITIES activities in a
document padded to just under JOURNEY_MAX_DOCUMENT_BYTES), against gunicorn's 30 s timeout.

The browser figures start the app in a thread (Django's threaded WSGI server on 127.0.0.1:0)
and load the editor of a 100- and a 500-activity journey in Debian's headless Chromium: from
navigation start (performance.now() = 0) to the moment every node is in the DOM and panzoom
has applied the fitted transform (seen by a MutationObserver on the stage's style), median of
5 loads after one that fills the HTTP cache. Bytes are uncompressed response bodies.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import UNLIMITED_WRITES

HTMX = {"HX-Request": "true"}
REVISION = re.compile(rb'id="canvas(?:-patch)?" class="canvas[^"]*"[^>]*?data-revision="(\d+)"')
FINGERPRINT = re.compile(rb'data-fp="([0-9a-f]+)"')
REMOVE = re.compile(rb'data-remove="([0-9a-f ]*)"')
SIZES = (100, 500)
HISTORY_REVISIONS = 200
GUNICORN_TIMEOUT_MS = 30_000  # its default; the Dockerfile and docker-compose.yml keep it
BROWSER_LOADS = 5
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
DRAWN_WATCH = """
window.__drawn = null;
new MutationObserver(() => {
  if (window.__drawn !== null) return;
  const stage = document.getElementById("stage");
  const transform = stage ? stage.style.transform : "";
  const nodes = document.querySelectorAll("#canvas svg a.node").length;
  if (transform.includes("translate") && !transform.includes("(0px, 0px)")
      && nodes === __NODES__) {
    window.__drawn = performance.now();
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["style"] });
"""


@dataclass
class Row:
    name: str
    median_ms: float | None = None
    ratio: float | None = None
    queries: int | None = None
    size: int | None = None


def setup_django(var_dir: str) -> None:
    # All before django.setup(): settings read the environment once, when they are imported.
    os.environ["VAR_DIR"] = var_dir
    os.environ["DB_ENGINE"] = "sqlite"
    os.environ.pop("DB_NAME", None)  # it would win over VAR_DIR
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journeys.settings")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    os.environ.update(UNLIMITED_WRITES)
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    if not str(settings.DATABASES["default"]["NAME"]).startswith(var_dir):
        raise RuntimeError("refusing to run on a database outside the temporary directory")
    call_command("migrate", verbosity=0)
    for name in ("journeys", "axes"):  # no audit or login line per request
        logging.getLogger(name).setLevel(logging.WARNING)


def median_ms(run: Callable[[], object], runs: int) -> float:
    run()  # warm-up: caches (templates, validation) as in a long-running server
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def count_queries(run: Callable[[], Any]) -> tuple[int, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = run()
    return len(captured.captured_queries), result


class EditorRequests:
    """The three requests measured, on one draft, each on its latest revision.

    The revision is read from the last response (as the browser does), so that nothing but
    the request itself is timed or counted. Like editor.js, edits send the fingerprints of the
    canvas parts the last response left drawn (`drawn`), and get back only what changed.
    """

    def __init__(self, client: Any, draft: Any) -> None:
        from django.urls import reverse

        from journeys.panel_forms import Target, panel_form_for

        self.client = client
        self.revision = draft.revision_number
        self.page_url = reverse("journeys:draft", args=[draft.pk])
        self.edit_url = reverse("journeys:draft-edit", args=[draft.pk])
        waits = [a["key"] for a in draft.document["activities"] if a["type"] == "WAIT"]
        self.wait_key = waits[len(waits) // 2]
        panel_url = reverse("journeys:draft-panel", args=[draft.pk])
        self.panel_url = f"{panel_url}?target=activity:{self.wait_key}"
        form = panel_form_for(draft.document, Target("activity", self.wait_key))
        self.panel_data = {k: v for k, v in form.initial.items() if v not in (None, False)}
        self.drawn: set[bytes] = set()  # the fingerprints of the canvas parts the page holds

    def page(self) -> Any:
        return self.checked(self.client.get(self.page_url))

    def insert(self) -> Any:
        # After the same wait every time: the journey grows by one activity per request.
        data = {"op": "insert", "type_id": "WAITBYDURATION", "after": self.wait_key}
        data.update(revision=self.revision, drawn=self.drawn_text())
        return self.checked(self.client.post(self.edit_url, data, headers=HTMX))

    def panel_save(self) -> Any:
        duration = 3 if self.panel_data["waitDuration"] == 2 else 2  # a real change every time
        self.panel_data.update(waitDuration=duration, revision=self.revision)
        self.panel_data["drawn"] = self.drawn_text()
        return self.checked(self.client.post(self.panel_url, self.panel_data, headers=HTMX))

    def checked(self, response: Any) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
        self.revision = int(REVISION.search(response.content).group(1))
        self.remember_drawn(response.content)
        return response

    def drawn_text(self) -> str:
        return b" ".join(sorted(self.drawn)).decode()

    def remember_drawn(self, content: bytes) -> None:
        """What the browser holds after applying this response (editor.js's applyPatch)."""
        found = set(FINGERPRINT.findall(content))
        removed = REMOVE.search(content)
        if removed is None:  # the whole canvas
            self.drawn = found
        else:  # a patch: its parts, in place of those it removes
            self.drawn = (self.drawn - set(removed.group(1).split())) | found


def make_draft(user: Any, connection: Any, n_activities: int, seed: int) -> Any:
    from bench.journeys_gen import generate_journey
    from journeys.services.drafts import create_draft_from_upload

    raw = json.dumps(generate_journey(n_activities, seed=seed)).encode()
    return create_draft_from_upload(user, connection, raw).draft


def add_history(user: Any, draft: Any, revisions: int) -> Any:
    """Save small edits until the draft has `revisions` revisions (and a full undo stack)."""
    from journeys.domain.graph import set_field
    from journeys.services.drafts import save_revision

    index = next(i for i, a in enumerate(draft.document["activities"]) if a["type"] == "WAIT")
    path = ("activities", index, "configurationArguments", "waitDuration")
    while draft.revision_number < revisions:
        document = set_field(draft.document, path, draft.revision_number % 9 + 1)
        draft = save_revision(
            user, draft, document, expected_revision=draft.revision_number, summary="bench"
        )
    return draft


def server_rows(
    client: Any, user: Any, connection: Any, runs: int, notes: list[str]
) -> tuple[list[Row], dict]:
    rows: list[Row] = []
    queries: dict[tuple[str, int], int] = {}
    for size in SIZES:
        draft = make_draft(user, connection, size, seed=size)
        requests = EditorRequests(client, draft)
        dumped = median_ms(lambda d=draft: json.dumps(d.document), runs)
        json_bytes = len(json.dumps(draft.document).encode())
        for name, run in (
            ("editor page GET", requests.page),
            ("htmx insert (structural edit)", requests.insert),
            ("htmx panel save", requests.panel_save),
        ):
            ms = median_ms(run, runs)
            count, response = count_queries(run)
            queries[(name, size)] = count
            rows.append(Row(f"{name}, {size} act.", ms, ms / dumped, count, len(response.content)))
        rows.append(Row(f"json.dumps(document), {size} act.", dumped, 1.0, 0, json_bytes))
        page, partial = len(requests.page().content), len(requests.insert().content)
        panel = len(requests.panel_save().content)
        notes.append(
            f"{size} act., bytes on the same journey: full page {page:,}, htmx insert partial "
            f"{partial:,} ({partial / page:.0%}), panel save {panel:,} ({panel / page:.0%})"
        )
    return rows, queries


def at_the_limits(user: Any, connection: Any, activities: int, seed: int) -> Any:
    """A generated journey of `activities`, padded to just under the largest document kept."""
    from django.conf import settings

    from bench.journeys_gen import generate_journey
    from journeys.domain.limits import encoded_size
    from journeys.models import Journey
    from journeys.services.drafts import start_draft

    document = generate_journey(activities, seed=seed)
    document["key"] = f"at-the-limits-{seed}"
    room = settings.JOURNEY_MAX_DOCUMENT_BYTES - encoded_size(document) - 64 * 1024
    padding = "x" * max(0, room // activities - len('"description":"",'))
    for activity in document["activities"]:
        activity["description"] = padding
    journey = Journey.objects.create(connection=connection, key=document["key"], name="Max")
    return start_draft(user, journey, document, base_snapshot=None, summary="", action="bench")


def limit_rows(client: Any, user: Any, connection: Any, runs: int) -> list[Row]:
    """The worst case the limits let in: the most activities in the largest document kept.

    The insert starts below the limit by as many inserts as are made, and ends at it."""
    from django.conf import settings

    most = settings.JOURNEY_MAX_ACTIVITIES
    inserts = runs + 3  # warm-up, runs, the query count and the bytes
    rows: list[Row] = []
    for seed, (name, activities) in enumerate(
        (
            ("editor page GET", most),
            ("htmx insert (structural edit)", most - inserts),
            ("htmx panel save", most),
        )
    ):
        draft = at_the_limits(user, connection, activities, seed)
        requests = EditorRequests(client, draft)
        dumped = median_ms(lambda d=draft: json.dumps(d.document), runs)
        run = {"editor page GET": requests.page, "htmx panel save": requests.panel_save}.get(
            name, requests.insert
        )
        ms = median_ms(run, runs)
        count, response = count_queries(run)
        kib = len(json.dumps(draft.document)) // 1024
        label = f"{name}, at the limits ({most:,} act., {kib:,} KiB)"
        rows.append(Row(label, ms, ms / dumped, count, len(response.content)))
    return rows


def history_rows(client: Any, user: Any, connection: Any) -> tuple[list[Row], dict]:
    """Queries per request on a 100-activity draft with 1 revision and with 200."""
    rows: list[Row] = []
    queries: dict[tuple[str, int], int] = {}
    for revisions in (1, HISTORY_REVISIONS):
        draft = add_history(user, make_draft(user, connection, 100, seed=3), revisions)
        requests = EditorRequests(client, draft)
        for name, run in (
            ("editor page GET", requests.page),
            ("htmx insert (structural edit)", requests.insert),
            ("htmx panel save", requests.panel_save),
        ):
            count, _ = count_queries(run)
            queries[(name, revisions)] = count
            rows.append(Row(f"{name}, 100 act., {revisions} revision(s)", queries=count))
    return rows, queries


def serve_in_thread() -> tuple[Any, str]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def browser_rows(client: Any, drafts: list[Any]) -> list[Row]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return [Row("Chromium: not installed, browser figures skipped")]
    from playwright.sync_api import sync_playwright

    server, base_url = serve_in_thread()
    session = client.cookies["sessionid"].value
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for draft in drafts:
                activities = len(draft.document["activities"])
                nodes = activities + 3  # and the trigger, goal and exit
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])
                context.add_init_script(DRAWN_WATCH.replace("__NODES__", str(nodes)))
                page = context.new_page()
                url = f"{base_url}/drafts/{draft.pk}/"
                # The first load fills the HTTP cache (htmx, panzoom, CSS): not counted.
                loads = [load_once(page, url, nodes) for _ in range(BROWSER_LOADS + 1)][1:]
                context.close()
                drawn, first_byte, loaded = (statistics.median(x) for x in zip(*loads, strict=True))
                rows.append(Row(f"Chromium: navigation to canvas drawn, {activities} act.", drawn))
                rows.append(Row("  of which: first byte", first_byte))
                rows.append(Row("  of which: DOMContentLoaded", loaded))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return rows


def load_once(page: Any, url: str, nodes: int) -> tuple[float, float, float]:
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.__drawn !== null", timeout=15000)
    count = page.locator("#canvas svg a.node").count()
    if count != nodes:
        raise RuntimeError(f"the canvas drew {count} nodes, expected {nodes}")
    drawn, timing = page.evaluate(
        "() => [window.__drawn, performance.getEntriesByType('navigation')[0].toJSON()]"
    )
    return drawn, timing["responseStart"], timing["domContentLoadedEventEnd"]


def print_table(rows: list[Row]) -> None:
    def cell(value: float | int | None, spec: str) -> str:
        return "" if value is None else format(value, spec)

    width = max(len(row.name) for row in rows)
    print(f"{'name':<{width}}  {'median ms':>9}  {'ratio':>6}  {'queries':>7}  {'bytes':>9}")
    for row in rows:
        print(
            f"{row.name:<{width}}  {cell(row.median_ms, '9.1f'):>9}  "
            f"{cell(row.ratio, '6.1f'):>6}  {cell(row.queries, '7d'):>7}  "
            f"{cell(row.size, '9,d'):>9}"
        )


def growing(by_size: dict, by_history: dict) -> list[str]:
    """The requests whose query count grows with the journey's size or its history."""
    grows = []
    for name in ("editor page GET", "htmx insert (structural edit)", "htmx panel save"):
        small, large = by_size[(name, 100)], by_size[(name, 500)]
        short, long = by_history[(name, 1)], by_history[(name, HISTORY_REVISIONS)]
        if large > small:
            grows.append(f"{name}: {small} queries at 100 activities, {large} at 500")
        if long > short:
            grows.append(f"{name}: {short} queries with 1 revision, {long} with 200")
    return grows


def main(runs: int = 11) -> int:
    var_dir = tempfile.mkdtemp(prefix="bench-editor-")
    started = time.perf_counter()
    try:
        setup_django(var_dir)
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.test import Client

        from journeys.models import Connection

        user = get_user_model().objects.create_user("bench-editor")
        user.groups.add(Group.objects.get(name="Editors"))
        connection = Connection.objects.create(
            name="Bench",
            auth_base_url="https://bench.auth.marketingcloudapis.com",
            rest_base_url="https://bench.rest.marketingcloudapis.com",
            client_id="bench",
        )
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)

        notes: list[str] = []
        rows, by_size = server_rows(client, user, connection, runs, notes)
        more, by_history = history_rows(client, user, connection)
        limits = limit_rows(client, user, connection, runs)
        drawn = [make_draft(user, connection, size, seed=size + 1) for size in SIZES]
        rows += more + limits + browser_rows(client, drawn)
        print(f"bench_editor: medians of {runs} requests; ratio = time / json.dumps(document)")
        print_table(rows)
        print("\n".join(notes))
        worst = max(row.median_ms or 0 for row in limits)
        share = f"{worst / 1000:.2f} s, {worst / GUNICORN_TIMEOUT_MS:.0%} of gunicorn's timeout"
        print(f"at the limits: the slowest request takes {share}")
        grows = growing(by_size, by_history)
        print("queries per request: " + ("; ".join(grows) if grows else "steady (OK)"))
        print(f"total run time: {time.perf_counter() - started:.0f} s")
        return 1 if grows else 0
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*(int(arg) for arg in sys.argv[1:2])))
