"""The fault matrix: every simulator fault × every operation (import, push, publish).

Each cell runs the real code path against the simulator over HTTP with one fault injected on the
operation's key call: a push and a publish with a real Celery worker in a thread (solo pool),
an import through the view that runs it (imports have no task: the web request is their worker).
One more row per operation restarts its worker in the middle: a `celery worker` subprocess (or,
for the import, the `manage.py import_journey` process) is SIGKILLed while the fault holds its
request, then a new one finishes the job, with `manage.py recover_pushes` for the push and the
beat task `recover_stalled_publishes` for the publish.

Every cell must end settled (succeeded, conflict, or failed with a message; an active state at
the end fails the test), with at most one applied write, no stale overwrite (every applied PUT
carried the modifiedDate that was current when SFMC applied it, and that was the draft's base)
and no lost revision (revision numbers 1..N, draft.revision_number == N). The table is printed
at the end of the module.

Timeouts are small (read timeout 1 s, 2 client retries, short backoffs and polls) so the module
runs in well under 3 minutes. Give it a VAR_DIR (and Redis db) of its own: the in-thread worker
consumes the configured broker's queue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.signals import task_postrun
from django.contrib.messages import get_messages
from django.urls import reverse

from journeys.celery import app
from journeys.models import Draft, PublishRequest, PushAttempt
from journeys.services import publish, push
from journeys.sfmc.simulator.envelopes import ApiError
from journeys.sfmc.simulator.interactions import JourneyRef
from journeys.tasks import publish_version, push_draft
from tests.sfmc_server import start_simulator
from tests.test_push_processes import World, _postgres
from tests.test_push_service import approved_demo, approved_now, edited, import_demo, rename
from tests.workers import running_thread_worker

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parent.parent
WELCOME, CART, LOYALTY = "demo-welcome-series", "demo-cart-abandonment", "demo-loyalty-sync"
API = "/interaction/v1/interactions/*"
PUBLISH_ASYNC = "/interaction/v1/interactions/publishAsync/*"
PUBLISH_STATUS = "/interaction/v1/interactions/publishStatus/*"
FINAL = ("succeeded", "conflict", "failed")
READ_TIMEOUT = 1.0
CLIENT_RETRIES = 2  # three sends per call, then the service decides

# Each fault is injected on the operation's key call (see TARGETS), `count` times.
FAULTS: dict[str, dict[str, Any]] = {
    "latency 2s > read timeout": {"kind": "latency", "seconds": 2.0, "count": 1},
    "5xx burst (500 x3)": {"kind": "http_error", "status": 500, "count": 3},
    "429 storm (x4, Retry-After 1)": {"kind": "rate_limit", "seconds": 1, "count": 4},
    "dropped connections (x2)": {"kind": "drop", "count": 2},
    "lost responses (2s)": {"kind": "lost_response", "seconds": 2.0, "count": 1},
}
OPERATIONS = ("import", "push", "publish")
# import: the GET of the journey; push: the PUT; publish: publishAsync for the faults that may
# lose a write's answer, publishStatus (the polling) for the 5xx burst and the 429 storm.
TARGETS = {
    "import": lambda kind: ("GET", API),
    "push": lambda kind: ("PUT", API),
    "publish": lambda kind: (
        ("GET", PUBLISH_STATUS) if kind in ("http_error", "rate_limit") else ("POST", PUBLISH_ASYNC)
    ),
}
# What each cell must end in. An import has no retries beyond the client's own three sends, so
# a burst longer than that fails visibly ("The import failed: ..."); the user imports again.
EXPECTED = {(fault, operation): "succeeded" for fault in FAULTS for operation in OPERATIONS} | {
    ("5xx burst (500 x3)", "import"): "failed",
    ("429 storm (x4, Retry-After 1)", "import"): "failed",
}
RESTART_ROWS = {
    "import": "latency 30s, process killed",
    "push": "lost response 30s, worker killed",
    "publish": "lost response 30s, worker killed",
}


@dataclass
class Row:
    fault: str
    operation: str
    worker: str
    outcome: str = "?"
    tries: int = 0
    requests: int = 0
    applied: int = 0
    message: str = ""
    problems: list[str] = field(default_factory=list)


ROWS: list[Row] = []


def render(rows: list[Row]) -> str:
    head = ("fault", "operation", "worker", "outcome", "tries", "requests", "applied writes")
    lines = [head] + [
        (r.fault, r.operation, r.worker, r.outcome, str(r.tries), str(r.requests), str(r.applied))
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = [
        " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
    ]
    text.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(text)


@pytest.fixture(scope="module", autouse=True)
def printed_matrix(request):
    """Prints the table once the module is done (past pytest's output capture)."""
    yield ROWS
    if not ROWS:
        return
    table = "\n\nFault matrix (fault x operation -> outcome, tries, applied writes)\n" + render(
        ROWS
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(table, flush=True)


# what every cell must satisfy


class PutWitness:
    """Records, for every PUT that reached the simulator's store, the modifiedDate it carried
    and the one current at that moment (under the store's lock, so exactly when it applied)."""

    def __init__(self, simulator) -> None:
        self.puts: list[dict[str, Any]] = []
        interactions = simulator.app.interactions
        original = interactions.update
        lock = threading.Lock()

        def update(ref, body):
            with interactions.store.lock:
                try:
                    ref_or_key = ref or JourneyRef(key=body["key"])
                    current = interactions.get(ref_or_key, body.get("version")).modified_date
                except (ApiError, KeyError, TypeError):
                    current = None
                entry = {"key": body.get("key"), "carried": body.get("modifiedDate")}
                entry |= {"current": current, "applied": False}
                try:
                    item = original(ref, body)
                    entry["applied"] = item is not None
                    return item
                finally:
                    with lock:
                        self.puts.append(entry)

        interactions.update = update


def log_after(simulator, seq: int) -> list[dict[str, Any]]:
    return [entry for entry in simulator.request_log() if entry["seq"] > seq]


def last_seq(simulator) -> int:
    entries = simulator.request_log()
    return entries[-1]["seq"] if entries else 0


def settle_log(simulator, seq: int, timeout: float = 120.0) -> list[dict[str, Any]]:
    """The log once every write of the cell has been answered: a delayed one may still be on
    its way to the store, to be applied or refused (a delayed GET changes nothing)."""

    def writes_answered() -> bool:
        entries = log_after(simulator, seq)
        return all(e["outcome"] != "pending" for e in entries if e["method"] != "GET")

    wait_for(writes_answered, timeout)
    return log_after(simulator, seq)


def applied_writes(entries: list[dict[str, Any]], operation: str) -> int:
    writes = [e for e in entries if e["applied"]]
    if operation == "publish":
        return sum(1 for e in writes if "/publishAsync/" in e["path"])
    return len(writes)


def check_cell(row: Row, entries: list[dict[str, Any]], puts: list[dict[str, Any]], base: str):
    """The invariants of every cell; problems go into the row (and fail its test)."""
    if row.outcome not in FINAL:
        row.problems.append(f"not settled: {row.outcome}")
    if row.outcome == "failed" and not row.message.strip():
        row.problems.append("failed without telling why")
    if row.applied > 1:
        row.problems.append(f"{row.applied} applied writes in one attempt")
    applied_puts = [p for p in puts if p["applied"]]
    if len(applied_puts) != sum(1 for e in entries if e["method"] == "PUT" and e["applied"]):
        row.problems.append("the PUT witness and the request log disagree")
    for put in applied_puts:
        if put["carried"] != put["current"] or (base and put["carried"] != base):
            row.problems.append(f"stale overwrite: {put}")


def revision_problems() -> list[str]:
    """Every draft's revisions are numbered 1..N and the draft is at N."""
    problems = []
    for draft in Draft.objects.all():
        numbers = sorted(draft.revisions.values_list("number", flat=True))
        if numbers != list(range(1, len(numbers) + 1)) or draft.revision_number != len(numbers):
            problems.append(f"draft {draft.pk}: revisions {numbers}, at {draft.revision_number}")
    return problems


def wait_for(predicate, timeout=120.0, step=0.05):
    """Poll until `predicate()`; the generous deadline only fails what never happens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def add_fault(simulator, fault: str, operation: str, **override: Any) -> None:
    spec = {**FAULTS[fault], **override}
    method, path = TARGETS[operation](spec["kind"])
    simulator.add_fault(method=method, path=path, **spec)


# the in-thread cells


@pytest.fixture
def fast(settings, monkeypatch, simulator):
    settings.SFMC_READ_TIMEOUT = READ_TIMEOUT
    settings.SFMC_CONNECT_TIMEOUT = 1.0
    settings.SFMC_MAX_RETRIES = CLIENT_RETRIES
    monkeypatch.setattr(push, "BACKOFF_BASE", 0.2)
    monkeypatch.setattr(publish, "BACKOFF_BASE", 0.2)
    for name in ("FIRST_POLL_AFTER", "POLL_EVERY", "SLOW_POLL_EVERY"):
        monkeypatch.setattr(publish, name, 0.3)
    # A lost publishAsync is watched this long before it is sent again (> latency 2 s + 0.5 s).
    monkeypatch.setattr(publish, "LOST_PUBLISH_GRACE", timedelta(seconds=3.5))
    simulator.configure(publish_delay=0.5)


@pytest.fixture
def task_runs():
    """(task name, args, state, return value) of every task run the worker finished."""
    runs = []

    def record(sender=None, args=None, state=None, retval=None, **kwargs):
        if sender is not None:
            runs.append((sender.name, list(args or ()), state, retval))

    task_postrun.connect(record, weak=False)
    yield runs
    task_postrun.disconnect(record)


@pytest.fixture(scope="class")
def thread_worker(django_db_setup):
    """One worker thread for all in-thread cells (a start and stop costs ~3 s); it polls the
    broker every 0.1 s so the short retries of the cells are not rounded up to a second."""
    saved = app.conf.broker_transport_options
    app.conf.broker_transport_options = {**(saved or {}), "polling_interval": 0.1}
    try:
        with running_thread_worker() as w:
            yield w
    finally:
        app.conf.broker_transport_options = saved


def run_import_cell(row: Row, ctx: dict[str, Any]) -> str:
    """The import view is the import's worker: one request, as a user makes it."""
    simulator, client = ctx["simulator"], ctx["client"]
    remote_id = simulator.app.interactions.get(JourneyRef(key=WELCOME)).journey_id
    add_fault(simulator, row.fault, "import")
    client.force_login(ctx["editor"])
    url = reverse("journeys:remote-import", args=[ctx["connection"].pk])
    response = client.post(url, {"remote_id": remote_id})
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    row.tries = 1
    draft = Draft.objects.filter(journey__key=WELCOME).first()
    if draft is not None and response["Location"] == reverse("journeys:draft", args=[draft.pk]):
        row.outcome, row.message = "succeeded", " ".join(shown)
    elif any(text.startswith("The import failed") for text in shown) and draft is None:
        row.outcome, row.message = "failed", " ".join(shown)
    return ""


def run_push_cell(row: Row, ctx: dict[str, Any]) -> str:
    draft = ctx["draft"]
    add_fault(ctx["simulator"], row.fault, "push")
    attempt = push.request_push(ctx["editor"], draft)
    wait_for(lambda: ended(ctx["runs"], push_draft.name, attempt.pk), timeout=120)
    attempt.refresh_from_db()
    row.outcome, row.tries, row.message = str(attempt.state), attempt.tries, attempt.error_message
    return attempt.remote_modified_before


def run_publish_cell(row: Row, ctx: dict[str, Any]) -> str:
    add_fault(ctx["simulator"], row.fault, "publish")
    request = publish.request_publish(ctx["approver"], ctx["draft"])
    wait_for(lambda: ended(ctx["runs"], publish_version.name, request.pk), timeout=120)
    request.refresh_from_db()
    row.outcome, row.tries, row.message = str(request.state), request.runs, request.error_message
    if (
        row.outcome == "succeeded"
        and ctx["simulator"].app.interactions.get(JourneyRef(key=WELCOME), request.version).status
        != "Published"
    ):
        row.problems.append("succeeded, but SFMC's version is not Published")
    return ""


def ended(runs, task_name: str, pk: int) -> bool:
    """A run of the task for `pk` returned without asking to run again (push: SUCCESS; a
    publish run also returns its final state)."""
    return any(
        name == task_name
        and args == [pk]
        and state == "SUCCESS"
        and (task_name == push_draft.name or retval in FINAL)
        for name, args, state, retval in runs
    )


def pushed_draft(editor, approver, connection, runs):
    draft = approved_demo(editor, approver, connection)
    attempt = push.request_push(editor, draft)
    # The worker pushes it (running it here too would race the worker for the database).
    assert wait_for(lambda: ended(runs, push_draft.name, attempt.pk), 120)
    attempt.refresh_from_db()
    assert attempt.state == PushAttempt.State.SUCCEEDED
    draft.refresh_from_db()
    return draft


CELL_RUNNERS = {"import": run_import_cell, "push": run_push_cell, "publish": run_publish_cell}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("thread_worker")
class TestInThreadCells:
    @pytest.mark.parametrize("operation", OPERATIONS)
    @pytest.mark.parametrize("fault", FAULTS)
    def test_each_fault_leaves_each_operation_settled_with_no_stale_write_or_lost_revision(
        self,
        fault,
        operation,
        fast,
        simulator,
        demo_journeys,
        sim_connection,
        editor,
        approver,
        client,
        task_runs,
    ):
        ctx = {
            "simulator": simulator,
            "connection": sim_connection,
            "editor": editor,
            "approver": approver,
            "client": client,
            "runs": task_runs,
        }
        if operation == "push":
            ctx["draft"] = approved_demo(editor, approver, sim_connection)
        elif operation == "publish":
            ctx["draft"] = pushed_draft(editor, approver, sim_connection, task_runs)
        witness = PutWitness(simulator)
        row = Row(fault, operation, "in-thread")
        start = last_seq(simulator)

        base = CELL_RUNNERS[operation](row, ctx)

        entries = settle_log(simulator, start)
        row.requests = sum(1 for e in entries if e["path"] != "/v2/token")
        row.applied = applied_writes(entries, operation)
        check_cell(row, entries, witness.puts, base)
        row.problems += revision_problems()
        ROWS.append(row)
        assert row.problems == [], row.problems
        assert row.outcome == EXPECTED[(fault, operation)], row.message


# the rows whose worker is killed in the middle (own processes, database and broker)


class FaultWorld(World):
    """tests.test_push_processes' World, calling this module's world_* functions; a row's
    workers are stopped cold (SIGQUIT) once it is over: nothing of theirs is left to finish."""

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGQUIT)
        super().stop()

    def _command(self, name: str, *args) -> list[str]:
        command = super()._command(name, *args)
        command[2] = command[2].replace("tests.test_push_processes", "tests.test_fault_matrix")
        return command


# A killed row's first worker waits for SFMC's answer longer than the fault hangs (60 s): it is
# certainly still waiting when the test, however slowly, notices the write and kills it. Its
# long lease is then ended by setting the timestamp (world_lease_ended), not by waiting.
PATIENT = "90"
WORLD_ENV = {
    "DEBUG": "True",
    "SFMC_SIMULATOR_ENABLED": "True",
    "SFMC_READ_TIMEOUT": "0.5",
    "SFMC_MAX_RETRIES": str(CLIENT_RETRIES),
    "CELERY_TASK_TIME_LIMIT": "2",  # leases: max(2 s, the run's HTTP bound) + 5 s
    "CELERY_TASK_SOFT_TIME_LIMIT": "1",
    "CELERY_VISIBILITY_TIMEOUT": "5",
    "LOG_LEVEL": "WARNING",
}


def world_users() -> dict:
    from journeys.services.remote import ensure_simulator_connection
    from tests.factories import UserFactory

    UserFactory(username="edna", roles=["Editors"])
    UserFactory(username="arlo", roles=["Approvers"])
    ensure_simulator_connection()
    return {}


def _world_people() -> tuple[Any, Any, Any]:
    from django.contrib.auth import get_user_model

    from journeys.services.remote import ensure_simulator_connection

    users = get_user_model().objects
    editor, approver = users.get(username="edna"), users.get(username="arlo")
    return editor, approver, ensure_simulator_connection()


def world_pushable(key: str) -> dict:
    editor, approver, connection = _world_people()
    draft = import_demo(editor, connection, key)
    draft = approved_now(editor, approver, edited(editor, draft, rename(f"{key} (faults)")))
    return {"draft": draft.pk}


def world_pushed(key: str) -> dict:
    editor, approver, connection = _world_people()
    draft = Draft.objects.get(pk=world_pushable(key)["draft"])
    attempt = push.request_push(editor, draft)
    push.run_push(attempt.pk)
    attempt.refresh_from_db()
    return {"draft": draft.pk, "state": attempt.state}


def world_request_push(draft_id: int) -> dict:
    draft = Draft.objects.get(pk=draft_id)
    attempt = push.request_push(draft.author, draft)
    return {"attempt": attempt.pk, "base": attempt.remote_modified_before}


def world_request_publish(draft_id: int) -> dict:
    _, approver, _ = _world_people()
    return {"publish": publish.request_publish(approver, Draft.objects.get(pk=draft_id)).pk}


def world_state(kind: str, pk: int) -> dict:
    if kind == "push":
        attempt = PushAttempt.objects.get(pk=pk)
        return {"state": attempt.state, "tries": attempt.tries, "message": attempt.error_message}
    request = PublishRequest.objects.get(pk=pk)
    return {"state": request.state, "tries": request.runs, "message": request.error_message}


def world_lease_ended(kind: str, pk: int) -> dict:
    """The run's lease has run out: what waiting for it would do, without the wait."""
    from django.utils import timezone

    model = PushAttempt if kind == "push" else PublishRequest
    past = timezone.now() - timedelta(seconds=1)
    model.objects.filter(pk=pk, state="running").update(lease_until=past)
    return {}


def world_beat_recover_publishes() -> dict:
    """What celery beat does on its schedule: send the recovery task to the workers."""
    from journeys.tasks import recover_stalled_publishes

    recover_stalled_publishes.delay()
    return {}


def world_drafts(key: str) -> dict:
    drafts = Draft.objects.filter(journey__key=key)
    return {"drafts": drafts.count(), "problems": revision_problems()}


@pytest.fixture(scope="module")
def world_simulator(tmp_path_factory):
    from journeys.sfmc.simulator import demo

    simulator = start_simulator(tmp_path_factory.mktemp("faults-sim") / "simulator.sqlite3")
    demo.seed(simulator.app.interactions)
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory, world_simulator):
    root = tmp_path_factory.mktemp("faults-world")
    env = {**os.environ, **WORLD_ENV, "SFMC_SIMULATOR_URL": world_simulator.base_url}
    env |= {"VAR_DIR": str(root / "var"), "DJANGO_SETTINGS_MODULE": "journeys.settings"}
    database = None
    if os.environ.get("DB_ENGINE") == "postgres":
        database = f"journeys_faults_world_{uuid.uuid4().hex[:10]}"
        _postgres(f'CREATE DATABASE "{database}"')
        env["DB_NAME"] = database
    else:
        env["DB_NAME"] = str(root / "world.sqlite3")
    world = FaultWorld(root, env)
    world.manage("migrate", "-v0")
    world.call("world_users")
    try:
        yield world
    finally:
        world.stop()
        if database:
            _postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def restart(world, world_simulator):
    """One restart row: its own workers (stopped after), the PUT witness, the log's start."""
    witness = PutWitness(world_simulator)
    yield {"witness": witness, "start": last_seq(world_simulator)}
    world.stop()
    world.workers.clear()
    world_simulator.control("POST", "faults/clear")


def start_here(restart: dict, simulator) -> None:
    """The row's cell starts now: what its setup sent SFMC does not count."""
    restart["start"] = last_seq(simulator)
    restart["witness"].puts.clear()


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def publish_applied(simulator, seq: int) -> bool:
    return any("/publishAsync/" in e["path"] and e["applied"] for e in log_after(simulator, seq))


def settled(world: World, kind: str, pk: int, state: dict, recover) -> bool:
    """What an operator or celery beat does meanwhile: look, and recover what stalled."""
    state.update(world.call("world_state", kind, pk))
    if state["state"] in FINAL:
        return True
    recover()
    return False


def finish_restart_row(row: Row, world_simulator, restart: dict, base: str) -> None:
    entries = settle_log(world_simulator, restart["start"])
    row.requests = sum(1 for e in entries if e["path"] != "/v2/token")
    row.applied = applied_writes(entries, row.operation)
    check_cell(row, entries, restart["witness"].puts, base)
    ROWS.append(row)


def test_a_push_whose_worker_is_killed_mid_fault_ends_succeeded_after_recover_pushes(
    world, world_simulator, restart
):
    draft = world.call("world_pushable", WELCOME)["draft"]
    start_here(restart, world_simulator)
    world_simulator.add_fault("lost_response", method="PUT", path=API, seconds=60, count=1)
    first = world.start_worker("first", SFMC_READ_TIMEOUT=PATIENT)
    asked = world.call("world_request_push", draft)
    assert wait_for(
        lambda: any(e["method"] == "PUT" and e["applied"] for e in log_after(world_simulator, 0)),
        120,
    )

    kill(first)  # while SFMC's answer is still hanging
    assert world.call("world_state", "push", asked["attempt"])["state"] == "running"
    world.call("world_lease_ended", "push", asked["attempt"])
    world.start_worker("second")
    state: dict = {}

    def recover() -> None:
        world.manage("recover_pushes")

    assert wait_for(lambda: settled(world, "push", asked["attempt"], state, recover), 120, 0.5)

    row = Row(RESTART_ROWS["push"], "push", "killed+restarted", state["state"], state["tries"])
    row.message = state["message"]
    finish_restart_row(row, world_simulator, restart, asked["base"])
    row.problems += world.call("world_drafts", WELCOME)["problems"]
    assert row.problems == [] and row.outcome == "succeeded", (row, state)
    assert row.applied == 1


def test_a_publish_whose_worker_is_killed_mid_fault_ends_published_after_the_beat_task(
    world, world_simulator, restart
):
    draft = world.call("world_pushed", CART)
    assert draft["state"] == "succeeded"
    start_here(restart, world_simulator)
    world_simulator.add_fault(
        "lost_response", method="POST", path=PUBLISH_ASYNC, seconds=60, count=1
    )
    first = world.start_worker("first", SFMC_READ_TIMEOUT=PATIENT)
    request = world.call("world_request_publish", draft["draft"])["publish"]
    assert wait_for(lambda: publish_applied(world_simulator, restart["start"]), 120)

    kill(first)  # while SFMC's answer is still hanging
    assert world.call("world_state", "publish", request)["state"] == "running"
    world.call("world_lease_ended", "publish", request)
    world.start_worker("second")
    state: dict = {}

    def recover() -> None:
        world.call("world_beat_recover_publishes")

    assert wait_for(lambda: settled(world, "publish", request, state, recover), 120, 0.5)

    row = Row(RESTART_ROWS["publish"], "publish", "killed+restarted", state["state"])
    row.tries, row.message = state["tries"], state["message"]
    finish_restart_row(row, world_simulator, restart, "")
    row.problems += world.call("world_drafts", CART)["problems"]
    assert row.problems == [] and row.outcome == "succeeded", (row, state)
    assert row.applied == 1
    version = world_simulator.app.interactions.get(JourneyRef(key=CART))
    assert version.status == "Published"


def test_an_import_killed_mid_fault_leaves_nothing_half_done_and_runs_again(
    world, world_simulator, restart
):
    remote_id = world_simulator.app.interactions.get(JourneyRef(key=LOYALTY)).journey_id
    world_simulator.add_fault("latency", method="GET", path=API, seconds=30, count=1)
    command = [sys.executable, "manage.py", "import_journey", "SFMC simulator", remote_id]
    command += ["--as-user", "edna"]
    # The first process waits for the slow answer (a long read timeout): killed meanwhile.
    patient = {**world.env, "SFMC_READ_TIMEOUT": "60"}
    first = subprocess.Popen(
        command, cwd=REPO, env=patient, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert wait_for(
        lambda: any(e["fault"] == "latency" for e in log_after(world_simulator, restart["start"])),
        120,
    )
    kill(first)
    assert world.call("world_drafts", LOYALTY)["drafts"] == 0  # nothing was half written

    second = world.manage("import_journey", "SFMC simulator", remote_id, "--as-user", "edna")

    found = world.call("world_drafts", LOYALTY)
    outcome = "succeeded" if second.startswith("Created draft") and found["drafts"] == 1 else "?"
    row = Row(RESTART_ROWS["import"], "import", "killed+restarted", outcome, tries=2)
    row.message = second.strip()
    finish_restart_row(row, world_simulator, restart, "")
    row.problems += found["problems"]
    assert row.problems == [] and row.outcome == "succeeded", row
    assert row.applied == 0


def test_the_printed_matrix_has_every_cell_settled_as_expected():
    if not ROWS:
        pytest.skip("no cell of the matrix ran in this session")
    assert all(row.outcome in FINAL and not row.problems for row in ROWS), render(ROWS)
    in_thread = {(r.fault, r.operation): r.outcome for r in ROWS if r.worker == "in-thread"}
    assert in_thread == {cell: EXPECTED[cell] for cell in in_thread}, render(ROWS)
    assert all(r.applied <= 1 for r in ROWS)
    assert all(r.applied == 0 for r in ROWS if r.operation == "import")
