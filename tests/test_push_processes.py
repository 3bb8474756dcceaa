"""Pushes across real processes: a worker killed mid-push, and two requests at the same time.

Each test builds its own world on disk, shared by every process it starts: a fresh SQLite file
(or, when DB_ENGINE=postgres, a fresh PostgreSQL database), the filesystem broker under its own
VAR_DIR (or the configured Redis), and the simulator of this test process. Workers are
`celery -A journeys worker -P solo` subprocesses, so they can be SIGKILLed; the web side is
`python -c` calling the same services the views call. So it runs in both database modes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.test_push_service import approved_now, edited, import_demo, rename

pytestmark = pytest.mark.integration
STOPPED = "The worker stopped; resuming"
REPO = Path(__file__).resolve().parent.parent
WORLD_ENV = {
    "DEBUG": "True",
    "SFMC_SIMULATOR_ENABLED": "True",
    "SFMC_READ_TIMEOUT": "2",
    "CELERY_TASK_TIME_LIMIT": "4",
    "CELERY_TASK_SOFT_TIME_LIMIT": "3",
    "CELERY_VISIBILITY_TIMEOUT": "5",  # Redis: an unacked message comes back after 5 s
    "WORKER_HEARTBEAT_SECONDS": "0.5",  # a dead worker's lease ends 2 s after its last beat
    "LOG_LEVEL": "WARNING",
}


# what the processes of the world run (module functions, called by name)


def world_setup() -> dict:
    """An approved draft of the welcome series, renamed."""
    from journeys.services.remote import ensure_simulator_connection
    from tests.factories import UserFactory

    editor = UserFactory(username="edna", roles=["Editors"])
    approver = UserFactory(username="arlo", roles=["Approvers"])
    connection = ensure_simulator_connection()
    draft = import_demo(editor, connection)
    draft = approved_now(editor, approver, edited(editor, draft, rename("Pushed across processes")))
    return {"draft": draft.pk}


def world_request(draft_id: int, start_at: float = 0.0) -> dict:
    """What the Push button does, at `start_at` (epoch seconds)."""
    from journeys.models import Draft
    from journeys.services.push import PushRefused, request_push

    draft = Draft.objects.get(pk=draft_id)
    time.sleep(max(0.0, start_at - time.time()))
    try:
        return {"attempt": request_push(draft.author, draft).pk}
    except PushRefused as refused:
        return {"refused": refused.message}


def world_attempt(attempt_id: int) -> dict:
    from django.utils import timezone

    from journeys.models import PushAttempt

    attempt = PushAttempt.objects.get(pk=attempt_id)
    lease = attempt.lease_until and (attempt.lease_until - timezone.now()).total_seconds()
    return {
        "state": attempt.state,
        "tries": attempt.tries,
        "message": attempt.error_message,
        "lease_left": lease,
    }


def world_status(attempt_id: int) -> dict:
    """The push's status partial, as the editor bar polls it."""
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from journeys.models import PushAttempt

    setup_test_environment()  # lets the test client's host in
    client = Client()
    client.force_login(PushAttempt.objects.get(pk=attempt_id).requested_by)
    url = reverse("journeys:push-status", args=[attempt_id])
    return {"html": client.get(url, headers={"HX-Request": "true"}).content.decode()}


# the world


class World:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.workers: list[subprocess.Popen] = []

    def _command(self, name: str, *args) -> list[str]:
        code = (
            "import json, sys, django; django.setup(); "
            "import tests.test_push_processes as world; "
            "print('RESULT ' + json.dumps(getattr(world, sys.argv[1])(*json.loads(sys.argv[2]))))"
        )
        return [sys.executable, "-c", code, name, json.dumps(args)]

    def spawn(self, name: str, *args) -> subprocess.Popen:
        return subprocess.Popen(
            self._command(name, *args),
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self, process: subprocess.Popen) -> dict:
        out, err = process.communicate(timeout=180)
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        assert process.returncode == 0 and lines, f"{out}\n{err}"
        return json.loads(lines[-1][len("RESULT ") :])

    def call(self, name: str, *args) -> dict:
        return self.result(self.spawn(name, *args))

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start_worker(self, name: str, **env: str) -> subprocess.Popen:
        log = self.root / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "journeys", "worker", "-P", "solo"]
        command += ["--without-mingle", "--without-gossip", "-n", f"{name}@%h", "-l", "info"]
        worker = subprocess.Popen(
            command,
            cwd=REPO,
            env={**self.env, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        assert wait_for(lambda: "ready." in log.read_text(), 120), log.read_text()
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


def wait_for(predicate, timeout=120.0, step=0.05):
    """Poll until `predicate()`; the generous deadline only fails what never happens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def world(tmp_path, demo_journeys):
    simulator = demo_journeys
    env = {**os.environ, **WORLD_ENV, "SFMC_SIMULATOR_URL": simulator.base_url}
    env["VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "journeys.settings"
    database = None
    if os.environ.get("DB_ENGINE") == "postgres":
        database = f"push_world_{uuid.uuid4().hex[:12]}"
        _postgres(f'CREATE DATABASE "{database}"')
        env["DB_NAME"] = database
    else:
        env["DB_NAME"] = str(tmp_path / "world.sqlite3")
    world = World(tmp_path, env)
    world.manage("migrate", "-v0")
    try:
        yield world
    finally:
        world.stop()
        if database:
            _postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        host=os.environ.get("DB_HOST", "127.0.0.1"),
        port=int(os.environ.get("DB_PORT", "5432")),
        user=os.environ.get("DB_USER", "postgres"),
        password=os.environ.get("DB_PASSWORD", ""),
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(sql)


def test_a_worker_killed_mid_push_ends_succeeded_with_exactly_one_applied_put(world, simulator):
    draft = world.call("world_setup")["draft"]
    # The PUT is applied, then its answer hangs: the worker is killed while it waits (it waits
    # longer than the hang, so it is certainly still waiting however slowly the test notices).
    simulator.add_fault("lost_response", method="PUT", seconds=60, count=1)
    first = world.start_worker("first", SFMC_READ_TIMEOUT="90")
    attempt = world.call("world_request", draft)["attempt"]
    assert wait_for(lambda: simulator.request_log(method="PUT", applied="true"))
    # The worker beats: its lease is no longer the claim's but 4 beats of 0.5 s from the last.
    assert wait_for(lambda: world.call("world_attempt", attempt)["lease_left"] <= 2, step=0.5)

    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    assert world.call("world_attempt", attempt)["state"] == "running"  # until recovered
    assert wait_for(lambda: STOPPED in world.call("world_status", attempt)["html"], step=0.5)

    world.start_worker("second")
    state = {}
    assert wait_for(lambda: _settled(world, attempt, state), step=1), f"the push stayed {state}"

    assert state["state"] == "succeeded", state
    puts = simulator.request_log(method="PUT")
    assert [entry["applied"] for entry in puts] == [True]  # the second worker looked first


def _settled(world: World, attempt: int, state: dict) -> bool:
    """What an operator (or a cron job) does: look, and recover a stalled push."""
    state.update(world.call("world_attempt", attempt))
    if state["state"] in ("succeeded", "failed", "conflict"):
        return True
    world.manage("recover_pushes")
    return False


def test_two_push_requests_at_the_same_moment_one_is_refused(world):
    draft = world.call("world_setup")["draft"]
    # Both aim at the same moment; if one process starts late, it is refused all the same (the
    # first is still active): what is asserted does not depend on how close they come.
    start_at = time.time() + 2.0
    requests = [world.spawn("world_request", draft, start_at) for _ in range(2)]

    results = [world.result(process) for process in requests]

    assert sorted(results, key=lambda r: "refused" in r)[1] == {
        "refused": "A push of this draft is already under way."
    }
    assert sum("attempt" in result for result in results) == 1
