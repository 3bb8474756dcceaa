"""How the editor holds up under load: gunicorn with production settings, driven by wrk.

Run from the repository root (about 60 s; needs PostgreSQL on 127.0.0.1:5432 and `wrk`,
`apt-get install -y wrk`):

    .venv/bin/python -m bench.bench_load

It (re)creates the PostgreSQL database `journeys_load` (DB_NAME, DB_HOST... as the settings
read them), migrates it and collects the static files into a temporary STATIC_ROOT (the
manifest storage of DEBUG=False needs them), with production settings: DEBUG=False, a throwaway
SECRET_KEY and SFMC_SECRET_KEYS, ALLOWED_HOSTS=127.0.0.1, SECURE_SSL_REDIRECT=False,
DB_CONN_MAX_AGE=60 as in .env.example. One editor owns a draft of a generated 100-activity
journey (bench/journeys_gen.py). gunicorn (2 sync workers, as the Dockerfile but 2 for 2 cores)
listens on a free port of 127.0.0.1, the only address anything here talks to, and is stopped at
the end, as is the database dropped.

The editor's session cookie comes from a login made in this process (Client.force_login); the
CSRF cookie and token from a real GET of the editor page, as htmx gets them. Then, each with
`wrk -t2 -c8 -d15s --latency` (and a Lua script that counts statuses and prints percentiles):

* the editor page GET;
* the htmx panel save of the journey name, alternating two values, quoting the newest revision
  its wrk thread has seen in a response's data-revision. With 8 connections most of them quote
  a revision someone saved since: the save goes through the stale-merge path and, as both
  change the name, is refused with 409 and a fresh canvas. 2xx and 409 are counted apart;
* the same save from one connection (`-t1 -c1 -d8s`), always on the current revision.

Afterwards it checks the history: each acknowledged save is one revision (a few more are
allowed, up to the connections: requests still in flight when wrk stops are not counted by wrk
but do complete). It exits 1 on any 5xx or a revision count that does not add up. Without wrk,
a small Python load generator (threads, one keep-alive connection each) stands in, and says so.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench import UNLIMITED_WRITES

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DATABASE = "journeys_load"
ACTIVITIES = 100
WORKERS = 2
TIMEOUT = 10
CANVAS_REVISION = re.compile(r'id="canvas" class="canvas" data-revision="(\d+)"')
CSRF_HEADER = re.compile(r"hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'")
CSRF_COOKIE = re.compile(r"csrftoken=([A-Za-z0-9]+)")
NAMES = ("Load test A", "Load test B")
SETTINGS_FIELDS = ("name", "description", "entryMode", "email", "mobileNumber")

# Counts statuses per thread and prints what the report needs; the request part is prepended.
LUA_REPORT = """
statuses = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 409 and not refusal then
    refusal = body:match('<div id="notice"[^>]*>([^<]*)</div>')
  end
  if seen_revision then
    local r = tonumber(body:match('data%-revision="(%d+)"') or "0")
    if r > revision then revision = r end
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests %d\\nRESULT duration_us %d\\n",
    summary.requests, summary.duration))
  io.write(string.format("RESULT socket_errors %d\\nRESULT timeouts %d\\n",
    e.connect + e.read + e.write, e.timeout))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("RESULT p%d_us %d\\n", p, latency:percentile(p)))
  end
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("RESULT status_%d %d\\n", status, count))
  end
  for _, thread in ipairs(threads) do
    local said = thread:get("refusal")
    if said then io.write("REFUSAL " .. said .. "\\n") end
  end
end
"""
LUA_GET = """
wrk.headers["Cookie"] = [==[{cookie}]==]
seen_revision = false
"""
LUA_SAVE = """
wrk.method = "POST"
wrk.headers["Cookie"] = [==[{cookie}]==]
wrk.headers["X-CSRFToken"] = [==[{token}]==]
wrk.headers["HX-Request"] = "true"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
seen_revision = true
revision = {revision}
local bodies = {{ [==[{body_a}]==], [==[{body_b}]==] }}
local sent = 0
function request()
  sent = sent + 1
  return wrk.format(nil, [==[{path}]==], nil, bodies[sent % 2 + 1] .. "&revision=" .. revision)
end
"""


@dataclass
class Run:
    name: str
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0
    timeouts: int = 0
    refusals: set[str] = field(default_factory=set)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, low: int, high: int) -> int:
        return sum(n for status, n in self.statuses.items() if low <= status < high)


# the world: database, settings, server


def production_env(var_dir: Path, static_root: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    settings_module = var_dir / "bench_load_settings.py"
    settings_module.write_text(
        "from journeys.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(static_root)!r}  # collectstatic's output, not the repository's\n"
    )
    return {
        "DJANGO_SETTINGS_MODULE": "bench_load_settings",
        "PYTHONPATH": os.pathsep.join([str(var_dir), str(REPO)]),
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SFMC_SECRET_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "False",
        "DB_ENGINE": "postgres",
        "DB_NAME": DATABASE,
        "DB_CONN_MAX_AGE": "60",
        "VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": "filesystem://",  # nothing here enqueues; keep off shared brokers
        "LOG_LEVEL": "WARNING",
        **UNLIMITED_WRITES,
    }


def postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        host=os.environ.get("DB_HOST", HOST),
        port=int(os.environ.get("DB_PORT", "5432")),
        user=os.environ.get("DB_USER", "postgres"),
        password=os.environ.get("DB_PASSWORD", ""),
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(sql)


def setup_django(env: dict[str, str], var_dir: Path) -> None:
    # All before django.setup(): the settings read the environment once.
    os.environ.update(env)
    sys.path.insert(0, str(var_dir))
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    if settings.DEBUG or settings.DATABASES["default"]["NAME"] != DATABASE:
        raise RuntimeError("refusing to run: not the production settings on journeys_load")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def make_world() -> tuple[int, str]:
    """An editor and a 100-activity draft; returns the draft id and the editor's session."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from bench.journeys_gen import generate_journey
    from journeys.models import Connection
    from journeys.services.drafts import create_draft_from_upload

    user = get_user_model().objects.create_user("bench-load-editor")
    user.groups.add(Group.objects.get(name="Editors"))
    connection = Connection.objects.create(
        name="Bench load",
        auth_base_url="https://bench.auth.marketingcloudapis.com",
        rest_base_url="https://bench.rest.marketingcloudapis.com",
        client_id="bench",
    )
    raw = json.dumps(generate_journey(ACTIVITIES, seed=7)).encode()
    draft = create_draft_from_upload(user, connection, raw).draft
    client = Client()
    client.force_login(user)
    return draft.pk, client.cookies["sessionid"].value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "gunicorn"), "journeys.wsgi:application"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(WORKERS)]
    server = subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **env}, stdout=log.open("w"), stderr=-2
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-2000:]}")
        try:
            if fetch(port, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"gunicorn did not answer in 30 s:\n{log.read_text()[-2000:]}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fetch(
    port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        cookies = "; ".join(response.headers.get_all("Set-Cookie") or [])
        return response.status, response.read().decode(), {"set-cookie": cookies}
    finally:
        connection.close()


@dataclass
class Editor:
    """What the editor's browser holds: cookies, the CSRF token, the panel's other fields."""

    port: int
    draft: int
    cookie: str
    token: str
    revision: int
    settings: dict[str, str]

    @property
    def page(self) -> str:
        return f"/drafts/{self.draft}/"

    @property
    def save_path(self) -> str:
        return f"/drafts/{self.draft}/panel/?target=settings"

    def save_body(self, name: str) -> str:
        return urlencode({**self.settings, "name": name})

    def save_headers(self) -> dict[str, str]:
        return {
            "Cookie": self.cookie,
            "X-CSRFToken": self.token,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }


def open_editor(port: int, draft: int, session: str) -> Editor:
    status, page, headers = fetch(
        port, "GET", f"/drafts/{draft}/", headers={"Cookie": f"sessionid={session}"}
    )
    csrf_cookie, token = CSRF_COOKIE.search(headers["set-cookie"]), CSRF_HEADER.search(page)
    revision = CANVAS_REVISION.search(page)
    if status != 200 or not (csrf_cookie and token and revision):
        raise RuntimeError(f"the editor page did not load as expected: {status}")
    cookie = f"sessionid={session}; csrftoken={csrf_cookie.group(1)}"
    panel_status, panel, _ = fetch(
        port,
        "GET",
        f"/drafts/{draft}/panel/?target=settings",
        headers={"Cookie": cookie, "HX-Request": "true"},
    )
    if panel_status != 200:
        raise RuntimeError(f"the settings panel did not load: {panel_status}")
    return Editor(
        port, draft, cookie, token.group(1), int(revision.group(1)), settings_fields(panel)
    )


def settings_fields(panel: str) -> dict[str, str]:
    """What the settings form posts besides the name (read from the panel's HTML)."""
    fields: dict[str, str] = {}
    for name in SETTINGS_FIELDS:
        text = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', panel, re.S)
        value = re.search(rf'<input type="\w+" name="{name}" value="([^"]*)"', panel)
        select = re.search(
            rf'<select name="{name}".*?<option value="([^"]*)" selected', panel, re.S
        )
        found = text or value or select
        fields[name] = html.unescape(found.group(1)) if found else ""
    return fields


# load generators


def wrk(
    script: str, port: int, path: str, threads: int, connections: int, seconds: int, var_dir: Path
) -> Run:
    lua = var_dir / f"wrk-{secrets.token_hex(4)}.lua"
    lua.write_text(script + LUA_REPORT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", f"{TIMEOUT}s"]  # wrk's 2 s would cut off the slow tail
    command += ["-s", str(lua), f"http://{HOST}:{port}{path}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stderr}")
    results = dict(re.findall(r"^RESULT (\w+) (-?\d+)$", done.stdout, re.M))
    return Run(
        name="",
        requests=int(results["requests"]),
        seconds=int(results["duration_us"]) / 1e6,
        p50_ms=int(results["p50_us"]) / 1000,
        p95_ms=int(results["p95_us"]) / 1000,
        p99_ms=int(results["p99_us"]) / 1000,
        statuses={int(k[7:]): int(v) for k, v in results.items() if k.startswith("status_")},
        socket_errors=int(results["socket_errors"]),
        timeouts=int(results["timeouts"]),
        refusals={html.unescape(line) for line in re.findall(r"^REFUSAL (.*)$", done.stdout, re.M)},
    )


def python_load(editor: Editor, save: bool, connections: int, seconds: int) -> Run:
    """The fallback: threads, one keep-alive connection each, the same requests as wrk's."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    revision = [editor.revision]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(number: int) -> None:
        connection = http.client.HTTPConnection(HOST, editor.port, timeout=30)
        sent = number
        while time.monotonic() < deadline:
            sent += 1
            started = time.perf_counter()
            try:
                if save:
                    body = f"{editor.save_body(NAMES[sent % 2])}&revision={revision[0]}"
                    connection.request("POST", editor.save_path, body, editor.save_headers())
                else:
                    connection.request("GET", editor.page, headers={"Cookie": editor.cookie})
                response = connection.getresponse()
                text = response.read().decode()
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, editor.port, timeout=30)
                continue
            elapsed = time.perf_counter() - started
            seen = CANVAS_REVISION.search(text)
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if save and seen:
                    revision[0] = max(revision[0], int(seen.group(1)))
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Run(
        name="",
        requests=len(latencies),
        seconds=time.perf_counter() - started,
        p50_ms=cuts[49] * 1000,
        p95_ms=cuts[94] * 1000,
        p99_ms=cuts[98] * 1000,
        statuses=statuses,
        socket_errors=errors[0],
    )


# the benchmark


def revisions(draft: int) -> int:
    from journeys.models import Draft

    return Draft.objects.get(pk=draft).revision_number


def merged_since(draft: int, revision: int) -> int:
    """Revisions after `revision` made by a stale save merged onto newer changes."""
    from journeys.models import Revision

    newer = Revision.objects.filter(draft_id=draft, number__gt=revision)
    return newer.filter(summary__endswith="(merged with newer changes)").count()


def only_names_changed(draft: int) -> bool:
    """Whether the newest revision is the first one with another name (the saves post the
    whole settings form as read from the panel: everything else must come back unchanged)."""
    from journeys.models import Revision

    first, last = (
        Revision.objects.filter(draft_id=draft).order_by(order).first()
        for order in ("number", "-number")
    )
    assert first is not None and last is not None
    return {**first.document, "name": ""} == {**last.document, "name": ""}


def settled_revisions(draft: int) -> int:
    """The draft's revision once requests still queued when the load stopped have finished."""
    last, stable_since, deadline = revisions(draft), time.monotonic(), time.monotonic() + 20
    while time.monotonic() - stable_since < 1.5 and time.monotonic() < deadline:
        time.sleep(0.25)
        now = revisions(draft)
        if now != last:
            last, stable_since = now, time.monotonic()
    return last


def print_table(runs: list[Run]) -> None:
    width = max(len(run.name) for run in runs)
    print(
        f"{'':<{width}}  {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  "
        f"{'requests':>8}  {'2xx':>6}  {'409':>6}  {'other':>5}  {'5xx':>4}  {'sock err':>8}"
    )
    for run in runs:
        other = sum(n for s, n in run.statuses.items() if not 200 <= s < 300 and s != 409)
        print(
            f"{run.name:<{width}}  {run.per_second:7.1f}  {run.p50_ms:7.1f}  {run.p95_ms:7.1f}  "
            f"{run.p99_ms:7.1f}  {run.requests:8d}  {run.count(200, 300):6d}  "
            f"{run.statuses.get(409, 0):6d}  {other:5d}  {run.count(500, 600):4d}  "
            f"{run.socket_errors + run.timeouts:8d}"
        )


def main() -> int:
    started = time.perf_counter()
    use_wrk = shutil.which("wrk") is not None
    var_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = production_env(var_dir, var_dir / "static")
    server = None
    import psycopg

    try:
        postgres(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    except psycopg.OperationalError as error:
        print(f"bench_load: skipped, PostgreSQL is not reachable ({error})")
        shutil.rmtree(var_dir, ignore_errors=True)
        return 0
    postgres(f'CREATE DATABASE "{DATABASE}"')
    try:
        setup_django(env, var_dir)
        draft, session = make_world()
        port = free_port()
        server = start_gunicorn(env, port, var_dir / "gunicorn.log")
        editor = open_editor(port, draft, session)
        for _ in range(2 * WORKERS):  # each worker loads its templates and connects once
            fetch(port, "GET", editor.page, headers={"Cookie": editor.cookie})
        ready = time.perf_counter() - started
        get_lua = LUA_GET.format(cookie=editor.cookie)
        save_lua = LUA_SAVE.format(
            cookie=editor.cookie,
            token=editor.token,
            revision=editor.revision,
            path=editor.save_path,
            body_a=editor.save_body(NAMES[0]),
            body_b=editor.save_body(NAMES[1]),
        )
        plan = [
            ("editor page GET, -t2 -c8 15s", get_lua, editor.page, 2, 8, 15, False),
            ("htmx name save, -t2 -c8 15s", save_lua, editor.save_path, 2, 8, 15, True),
            ("htmx name save, -t1 -c1 8s", save_lua, editor.save_path, 1, 1, 8, True),
        ]
        runs, unaccounted = [], []
        for name, script, path, threads, connections, seconds, save in plan:
            before = revisions(draft)
            if use_wrk:
                if save:  # quote the revision as it is now
                    script = re.sub(r"revision = \d+", f"revision = {before}", script)
                run = wrk(script, port, path, threads, connections, seconds, var_dir)
            else:
                editor.revision = before
                run = python_load(editor, save, connections, seconds)
            run.name = name
            runs.append(run)
            made = settled_revisions(draft) - before
            # A save that leaves the name as it already is makes no revision (no-op edits save
            # nothing), so acknowledged saves bound the revisions from above, plus in-flight ones.
            if not 0 <= made <= (run.count(200, 300) + connections) * save:
                unaccounted.append(f"{name}: {run.count(200, 300)} acknowledged, {made} revisions")
            elif save:
                run.name += f" ({made} rev., {merged_since(draft, before)} merged)"
        stop(server)
        server = None
        if not only_names_changed(draft):
            unaccounted.append("the saves changed more than the journey's name")
        generator = "wrk 4" if use_wrk else "a Python load generator (wrk is not installed)"
        print(
            f"bench_load: gunicorn, {WORKERS} sync workers, DEBUG=False, PostgreSQL "
            f"{DATABASE}; {ACTIVITIES}-activity draft; load from {generator} on {HOST}"
        )
        print_table(runs)
        print(
            "rev. = revisions the run made (acknowledged saves that changed the name, plus those "
            "still in flight when wrk stopped; a save that sets the name it already has saves "
            "nothing); merged = of them, saves quoting a stale revision, merged onto the newer "
            "one; 409 = a stale save whose name differs from both: refused, nothing saved"
        )
        for run in runs:
            for refusal in sorted(run.refusals):
                print(f"a 409 of {run.name.split(',')[0]}: {refusal}")
        for line in unaccounted:
            print(f"REVISIONS DO NOT ADD UP: {line}")
        errors = sum(run.count(500, 600) for run in runs)
        print(f"setup {ready:.0f} s; total run time: {time.perf_counter() - started:.0f} s")
        return 1 if errors or unaccounted else 0
    finally:
        if server is not None:
            stop(server)
        from django.db import connections as databases

        databases.close_all()
        postgres(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
