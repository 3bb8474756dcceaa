"""`make run` keeps running when a part dies: `dev`'s supervisor, with real child processes.

The children are trivial Python processes (the restart logic does not care what they run).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from journeys.management.commands.dev import GaveUp, Supervisor
from tests.test_push_processes import wait_for

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parent.parent
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def with_a_child(pid_file: Path) -> list[str]:
    """A process that starts a child of its own (as the worker starts its embedded beat)."""
    code = (
        "import subprocess, sys, time; "
        f"child = subprocess.Popen({SLEEPER!r}); "
        "open(sys.argv[1], 'w').write(str(child.pid)); time.sleep(600)"
    )
    return [sys.executable, "-c", code, str(pid_file)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def watched():
    """Run a supervisor's watch loop in a thread; stop it and its children afterwards."""
    started: list[tuple[Supervisor, threading.Thread, threading.Event]] = []
    failures: list[BaseException] = []

    def watch(supervisor: Supervisor) -> list[BaseException]:
        stop = threading.Event()

        def run() -> None:
            try:
                supervisor.run(stop)
            except BaseException as error:
                failures.append(error)

        supervisor.start()
        thread = threading.Thread(target=run)
        thread.start()
        started.append((supervisor, thread, stop))
        return failures

    yield watch
    for supervisor, thread, stop in started:
        stop.set()
        thread.join(10)
        supervisor.stop()


def test_a_child_that_dies_is_restarted_and_the_others_keep_running(watched, tmp_path):
    lines: list[str] = []
    beat = tmp_path / "beat.pid"
    worker_command = with_a_child(beat)
    supervisor = Supervisor({"worker": worker_command, "simulator": SLEEPER}, REPO, lines.append)
    watched(supervisor)
    worker, simulator = (child.process for child in supervisor.children)
    assert wait_for(lambda: beat.exists() and beat.read_text(), timeout=60)
    first_beat = int(beat.read_text())

    os.kill(worker.pid, signal.SIGKILL)

    assert wait_for(lambda: supervisor.children[0].process is not worker, timeout=60)
    assert not alive(first_beat)  # what the dead worker left behind is stopped too
    restarted = supervisor.children[0].process
    assert restarted.poll() is None
    assert supervisor.children[1].process is simulator and simulator.poll() is None
    assert lines == ["worker was killed by SIGKILL; restarting (restart 1) in 0.5 s"]

    os.kill(restarted.pid, signal.SIGTERM)  # a second death: a longer backoff
    assert wait_for(lambda: supervisor.children[0].process is not restarted, timeout=60)
    assert lines[1] == "worker was killed by SIGTERM; restarting (restart 2) in 1.0 s"
    assert simulator.poll() is None


def test_a_child_that_keeps_dying_stops_everything_with_a_message(watched):
    crasher = [sys.executable, "-c", "raise SystemExit(3)"]
    lines: list[str] = []
    supervisor = Supervisor(
        {"worker": crasher, "web server": SLEEPER}, REPO, lines.append, limit=3, backoff=0.01
    )
    failures = watched(supervisor)

    assert wait_for(lambda: failures, timeout=60)
    assert isinstance(failures[0], GaveUp)
    assert str(failures[0]).startswith(
        "worker exited with code 3; it died 3 times in 60 s, so `dev` gives up."
    )
    assert [line.split(";")[1] for line in lines] == [
        " restarting (restart 1) in 0.0 s",
        " restarting (restart 2) in 0.0 s",
    ]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_every_child_and_theirs(stop_signal, tmp_path):
    beat = tmp_path / "beat.pid"
    code = (
        "import sys; from journeys.management.commands.dev import Supervisor, supervise; "
        f"s = Supervisor({{'a': {with_a_child(beat)!r}, 'b': {SLEEPER!r}}}, '.', print); "
        "supervise(s, ready=lambda: print('READY', *[c.process.pid for c in s.children], "
        "flush=True))"
    )
    dev = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    line = dev.stdout.readline()
    assert line.startswith("READY"), line
    assert wait_for(lambda: beat.exists() and beat.read_text(), timeout=60)
    processes = [int(pid) for pid in line.split()[1:]] + [int(beat.read_text())]
    assert all(alive(pid) for pid in processes)

    dev.send_signal(stop_signal)

    assert dev.wait(60) == 0
    assert "Stopping" in dev.stdout.read()
    assert wait_for(lambda: not [pid for pid in processes if alive(pid)], timeout=60)
