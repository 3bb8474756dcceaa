"""Run the whole product on embedded defaults: web server, worker, SFMC simulator, demo data.

`dev` supervises its processes: one that exits unexpectedly is restarted after a short backoff,
with a log line; one that dies RESTART_LIMIT times within RESTART_WINDOW seconds stops
everything with a message. Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

RESTART_LIMIT = 5  # deaths of one process within RESTART_WINDOW seconds before giving up
RESTART_WINDOW = 60.0
BACKOFF = 0.5  # seconds before the first restart, doubled for each recent death
BACKOFF_CAP = 8.0


class GaveUp(Exception):
    """A process keeps dying: restarting it again would only hide the problem."""


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    deaths: list[float] = field(default_factory=list)
    restarts: int = 0
    restart_at: float | None = None  # set while it waits for its restart


class Supervisor:
    """Keeps named processes running: restarts the ones that exit, with a backoff and a cap."""

    def __init__(
        self,
        commands: dict[str, list[str]],
        cwd: Path,
        log: Callable[[str], object],
        limit: int = RESTART_LIMIT,
        window: float = RESTART_WINDOW,
        backoff: float = BACKOFF,
    ) -> None:
        self.children = [Child(name, command) for name, command in commands.items()]
        self.cwd, self.log = cwd, log
        self.limit, self.window, self.backoff = limit, window, backoff

    def start(self, pause: float = 0.0) -> None:
        for child in self.children:
            self._spawn(child)
            time.sleep(pause)

    def run(self, stop: threading.Event | None = None) -> None:
        """Watch the processes until `stop` is set; raises GaveUp when one keeps dying."""
        stop = stop or threading.Event()
        while not stop.wait(0.2):
            self.check(time.monotonic())

    def check(self, now: float) -> None:
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._spawn(child)
                continue
            assert child.process is not None
            code = child.process.poll()
            if code is None:
                continue
            _signal_group(child.process, signal.SIGKILL)  # what it left behind, e.g. its beat
            how = (
                f"was killed by {signal.Signals(-code).name}"
                if code < 0
                else f"exited with code {code}"
            )
            child.deaths = [t for t in child.deaths if now - t < self.window] + [now]
            if len(child.deaths) >= self.limit:
                raise GaveUp(
                    f"{child.name} {how}; it died {len(child.deaths)} times in "
                    f"{self.window:.0f} s, so `dev` gives up. Its output above says why."
                )
            child.restarts += 1
            delay = min(self.backoff * 2 ** (len(child.deaths) - 1), BACKOFF_CAP)
            child.restart_at = now + delay
            self.log(f"{child.name} {how}; restarting (restart {child.restarts}) in {delay:.1f} s")

    def stop(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()

    def _spawn(self, child: Child) -> None:
        # Its own session: its own children (the worker's embedded beat) can be stopped with it.
        child.process = subprocess.Popen(child.command, cwd=self.cwd, start_new_session=True)
        child.restart_at = None


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def supervise(supervisor: Supervisor, ready: Callable[[], object] = lambda: None) -> None:
    """Start the processes, call `ready`, keep them running until Ctrl-C or SIGTERM (or GaveUp),
    then stop them all."""
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the children too
    # Ctrl-C too, even when started with SIGINT ignored (a shell's background job is): Python
    # then installs no KeyboardInterrupt of its own.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        supervisor.start(pause=0.5)
        ready()
        supervisor.run()
    except KeyboardInterrupt:
        supervisor.log("\nStopping…")
    finally:
        supervisor.stop()


def simulator_url_options() -> list[str]:
    """The simulator's instance-URL flags from settings (none when a setting is empty)."""
    options = []
    if settings.SFMC_SIMULATOR_REST_INSTANCE_URL:
        options += ["--rest-instance-url", settings.SFMC_SIMULATOR_REST_INSTANCE_URL]
    if settings.SFMC_SIMULATOR_SOAP_INSTANCE_URL:
        options += ["--soap-instance-url", settings.SFMC_SIMULATOR_SOAP_INSTANCE_URL]
    return options


def simulator_business_unit_options() -> list[str]:
    """The simulator's ``--business-units`` flag from settings (none when the setting is empty)."""
    if settings.SFMC_SIMULATOR_BUSINESS_UNITS:
        return ["--business-units", settings.SFMC_SIMULATOR_BUSINESS_UNITS]
    return []


class Command(BaseCommand):
    help = "Set up demo data and run web server, Celery worker and SFMC simulator until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--simulator-port", type=int, default=8765)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "`dev` runs the development setup; use gunicorn and celery in production."
            )
        call_command("migrate", verbosity=0)
        self.stdout.write("Demo users:")
        call_command("create_demo_users", stdout=self.stdout)
        supervisor = Supervisor(self._commands(options), settings.BASE_DIR, self.stderr.write)
        try:
            supervise(supervisor, ready=lambda: self._ready(options))
        except GaveUp as gave_up:
            raise CommandError(str(gave_up)) from gave_up

    def _commands(self, options: dict[str, Any]) -> dict[str, list[str]]:
        python = sys.executable
        commands = {}
        if settings.SFMC_SIMULATOR_ENABLED:
            data = settings.VAR_DIR / "simulator.sqlite3"
            port = str(options["simulator_port"])
            commands["simulator"] = [python, "-m", "journeys.sfmc.simulator", "--port", port]
            commands["simulator"] += ["--data", str(data), "--seed-demo"]
            commands["simulator"] += simulator_url_options() + simulator_business_unit_options()
        # -B embeds beat, which re-enqueues stalled pushes every minute.
        commands["worker"] = [python, "-m", "celery", "-A", "journeys", "worker", "-P", "solo"]
        commands["worker"] += ["-B", "-l", "info"]
        commands["web server"] = [python, "manage.py", "runserver", options["addr"], "--noreload"]
        return commands

    def _ready(self, options: dict[str, Any]) -> None:
        if settings.SFMC_SIMULATOR_ENABLED:
            call_command("setup_demo", stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nJourney editor on http://{options['addr']}/  "
                f"(admin: /admin/, simulator controls: {settings.SFMC_SIMULATOR_URL}/_sim/)\n"
                "A process that stops is restarted. Press Ctrl-C to stop.\n"
            )
        )
