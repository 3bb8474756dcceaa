"""What a push costs end to end, how many pushes workers get through, and what a big merge costs.

Run from the repository root (about a minute on 2 cores):

    .venv/bin/python -m bench.bench_push [latency_pushes] [--latency-only]

Everything runs in a temporary directory (VAR_DIR): a SQLite file database, the filesystem
broker (or the broker CELERY_BROKER_URL names, e.g. redis://127.0.0.1:6379/5), the simulator
in a thread of this process and real `celery -A journeys worker -P solo` subprocesses.

* latency: `request_push` (the Push button's service, commit included) until the simulator has
  applied the PUT, one push at a time with one idle worker; median and p95, and the ratio to a
  bare SFMCClient.put_journey of the same body (what the push must do at the least); then the
  CPU the idle worker uses while it polls the broker for 30 s;
* throughput: 200 pushes (200 journeys) queued at once, drained by 1 and then 2 workers, from
  the first request to the last attempt marked succeeded;
* merge: two 500-activity descendants of one generated journey, 10% edits each
  (bench/journeys_gen.py), through domain.merge.merge, and the merge screen's data
  (both diffs, the canvas, validation) for the same three documents.
"""

from __future__ import annotations

import copy
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import UNLIMITED_WRITES
from tests.sfmc_server import RunningSimulator, start_simulator

THROUGHPUT_PUSHES = 200
MERGE_ACTIVITIES = 500
MERGE_RUNS = 20
IDLE_SECONDS = 30


def setup_django(var_dir: str, simulator: RunningSimulator) -> None:
    # All before django.setup(): the settings read the environment once.
    os.environ.update(
        VAR_DIR=var_dir,
        DB_ENGINE="sqlite",
        DJANGO_SETTINGS_MODULE="journeys.settings",
        SFMC_SIMULATOR_ENABLED="True",
        SFMC_SIMULATOR_URL=simulator.base_url,
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",  # reviews send mail
        **UNLIMITED_WRITES,
    )
    os.environ.pop("DB_NAME", None)
    os.environ.setdefault("CELERY_BROKER_URL", "filesystem://")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    if not str(settings.DATABASES["default"]["NAME"]).startswith(var_dir):
        raise RuntimeError("refusing to run on a database outside the temporary directory")
    call_command("migrate", verbosity=0)
    for name in ("journeys", "werkzeug", "celery", "kombu"):
        logging.getLogger(name).setLevel(logging.WARNING)


def start_workers(count: int, var_dir: str) -> list[subprocess.Popen[bytes]]:
    workers = []
    for number in range(count):
        log = Path(var_dir) / f"worker{number}.log"
        command = [sys.executable, "-m", "celery", "-A", "journeys", "worker", "-P", "solo"]
        command += ["--without-mingle", "--without-gossip", "-n", f"bench{number}@%h"]
        workers.append(
            subprocess.Popen(
                [*command, "-l", "info"], env=os.environ, stdout=log.open("w"), stderr=-2
            )
        )
    for number in range(count):
        log = Path(var_dir) / f"worker{number}.log"
        wait_until(lambda log=log: "ready." in log.read_text(), 60)
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(30)


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.002) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(step)


def stats(samples: list[float]) -> str:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)
    return f"median {median * 1000:8.2f} ms  p95 {p95 * 1000:8.2f} ms  (n={len(samples)})"


class Fleet:
    """Journeys in the simulator, each with an approved draft ready to push."""

    def __init__(self, simulator: RunningSimulator, count: int, prefix: str) -> None:
        from journeys.services.remote import ensure_simulator_connection, import_journey
        from journeys.sfmc.simulator import demo
        from tests.factories import UserFactory

        self.simulator = simulator
        self.editor = UserFactory(username=f"{prefix}-edna", roles=["Editors"])
        self.approver = UserFactory(username=f"{prefix}-arlo", roles=["Approvers"])
        self.connection = ensure_simulator_connection()
        self.drafts = []
        for number in range(count):
            body = {**demo.welcome_series(), "key": f"{prefix}-{number:04d}"}
            created = simulator.app.interactions.create(body)
            self.drafts.append(
                import_journey(self.editor, self.connection, created.journey_id).draft
            )
        self.round = 0

    def approve_all(self) -> None:
        """A new edit of every draft, submitted and approved (no HTTP)."""
        from journeys.services.drafts import save_revision
        from journeys.services.review import approve, submit_for_review

        self.round += 1
        for index, draft in enumerate(self.drafts):
            document = copy.deepcopy(draft.document)
            document["name"] = f"Bench round {self.round}"
            draft = save_revision(
                self.editor, draft, document, expected_revision=draft.revision_number, summary="b"
            )
            draft = submit_for_review(
                self.editor, draft, expected_revision=draft.revision_number, message=""
            )
            approve(self.approver, draft, expected_revision=draft.revision_number)
            draft.refresh_from_db()
            self.drafts[index] = draft


def bench_latency(simulator: RunningSimulator, var_dir: str, pushes: int) -> None:
    from journeys.domain.document import put_body
    from journeys.services.push import request_push
    from journeys.services.remote import client_for

    fleet = Fleet(simulator, pushes, "latency")
    fleet.approve_all()
    log = simulator.app.request_log
    workers = start_workers(1, var_dir)
    try:
        samples = []
        for draft in fleet.drafts:
            key = draft.journey.key
            started = time.perf_counter()
            request_push(fleet.editor, draft)
            wait_until(
                lambda key=key: any(e.key == key for e in log.entries("PUT", applied=True)), 30
            )
            samples.append(time.perf_counter() - started)
            time.sleep(0.05)  # let the worker record the success before the next push
        time.sleep(1)  # the last push's bookkeeping
        idle_started, cpu_started = time.perf_counter(), cpu_seconds(workers[0].pid)
        time.sleep(IDLE_SECONDS)
        idle_cpu = cpu_seconds(workers[0].pid) - cpu_started
        idle_wall = time.perf_counter() - idle_started
    finally:
        stop_workers(workers)
    client = client_for(fleet.connection)
    bare = []
    for draft in fleet.drafts:
        current = client.get_journey(draft.journey.key, by_key=True)
        body = put_body(draft.document, version=1, modified_date=current["modifiedDate"])
        body["name"] = "Bare PUT"
        started = time.perf_counter()
        client.put_journey(body)
        bare.append(time.perf_counter() - started)
    print(f"push latency, request_push → PUT applied      {stats(samples)}")
    print(f"bare client PUT of the same body               {stats(bare)}")
    ratio = statistics.median(samples) / statistics.median(bare)
    print(f"ratio of medians                               {ratio:8.1f}×")
    print(
        f"idle worker CPU over {idle_wall:.0f} s                     {idle_cpu:8.2f} s  "
        f"({100 * idle_cpu / idle_wall:.1f} % of one core)"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_throughput(simulator: RunningSimulator, var_dir: str) -> None:
    from journeys.models import PushAttempt
    from journeys.services.push import request_push

    fleet = Fleet(simulator, THROUGHPUT_PUSHES, "throughput")
    for count in (1, 2):
        fleet.approve_all()
        workers = start_workers(count, var_dir)
        try:
            started = time.perf_counter()
            attempts = [request_push(fleet.editor, draft).pk for draft in fleet.drafts]
            queued = time.perf_counter() - started
            done = PushAttempt.objects.filter(pk__in=attempts, state="succeeded")
            total = len(attempts)
            wait_until(lambda done=done, total=total: done.count() == total, 300, step=0.1)
            elapsed = time.perf_counter() - started
        finally:
            stop_workers(workers)
        print(
            f"{THROUGHPUT_PUSHES} pushes, {count} worker(s): {elapsed:6.2f} s  "
            f"{THROUGHPUT_PUSHES / elapsed:6.1f} pushes/s  (queueing them took {queued:.2f} s)"
        )


def bench_merge() -> None:
    from bench.journeys_gen import edit_journey, generate_journey
    from journeys.domain.merge import merge
    from journeys.merge_forms import merge_choices_form
    from journeys.models import Draft, MergeSession, RemoteSnapshot, Revision
    from journeys.presentation.merge import merge_screen

    edits = MERGE_ACTIVITIES // 10
    base = generate_journey(MERGE_ACTIVITIES, seed=1)
    ours, theirs = edit_journey(base, edits, seed=2), edit_journey(base, edits, seed=3)
    timings, result = [], None
    for _ in range(MERGE_RUNS):
        started = time.perf_counter()
        result = merge(base, ours, theirs)
        timings.append(time.perf_counter() - started)
    assert result is not None
    kinds = statistics.multimode(c.kind for c in result.conflicts) if result.conflicts else []
    print(
        f"merge {MERGE_ACTIVITIES} activities, {edits} edits a side  {stats(timings)}  "
        f"{len(result.conflicts)} conflicts (most: {', '.join(kinds) or '-'})"
    )
    session = MergeSession(
        draft=Draft.objects.order_by("pk").first(),  # the screen reads its journey's lineage
        base_snapshot=RemoteSnapshot(document=base),
        theirs_snapshot=RemoteSnapshot(document=theirs),
        ours_revision=Revision(document=ours),
        conflicts=[c.as_dict() for c in result.conflicts],
        merged_document=result.document,
        choices={},
    )
    screen = []
    for _ in range(5):
        started = time.perf_counter()
        merge_screen(session, merge_choices_form(session))
        screen.append(time.perf_counter() - started)
    print(f"merge screen data (diffs, canvas, validation)   {stats(screen)}")


def main(latency_pushes: int = 15, latency_only: bool = False) -> None:
    """Run the three benchmarks (or only the latency one) on a throwaway database, broker and
    simulator."""
    with tempfile.TemporaryDirectory() as var_dir:
        simulator = start_simulator(Path(var_dir) / "simulator.sqlite3")
        try:
            setup_django(var_dir, simulator)
            from django.conf import settings

            print(f"broker {settings.CELERY_BROKER_URL}, database SQLite in {var_dir}")
            started = time.perf_counter()
            bench_latency(simulator, var_dir, latency_pushes)
            if not latency_only:
                bench_throughput(simulator, var_dir)
                bench_merge()
            print(f"total {time.perf_counter() - started:.1f} s")
        finally:
            simulator.stop()


if __name__ == "__main__":
    arguments = [arg for arg in sys.argv[1:] if arg != "--latency-only"]
    main(*(int(arg) for arg in arguments[:1]), latency_only="--latency-only" in sys.argv)
