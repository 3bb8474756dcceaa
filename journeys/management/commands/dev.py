"""Run the whole product on embedded defaults: web server, worker, SFMC simulator, demo data."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


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
        processes = self._start(options)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nJourney editor on http://{options['addr']}/  "
                f"(admin: /admin/, simulator controls: {settings.SFMC_SIMULATOR_URL}/_sim/)\n"
                "Press Ctrl-C to stop.\n"
            )
        )
        self._wait(processes)

    def _start(self, options: dict[str, Any]) -> list[subprocess.Popen[bytes]]:
        python = sys.executable
        commands = []
        if settings.SFMC_SIMULATOR_ENABLED:
            data = settings.VAR_DIR / "simulator.sqlite3"
            commands.append(
                [python, "-m", "journeys.sfmc.simulator", "--port", str(options["simulator_port"])]
                + ["--data", str(data), "--seed-demo"]
            )
        commands.append(
            # -B embeds beat, which re-enqueues stalled pushes every minute.
            [python, "-m", "celery", "-A", "journeys", "worker", "-P", "solo", "-B", "-l", "info"]
        )
        commands.append([python, "manage.py", "runserver", options["addr"], "--noreload"])
        processes = []
        for command in commands:
            processes.append(subprocess.Popen(command, cwd=settings.BASE_DIR))
            time.sleep(0.5)
        if settings.SFMC_SIMULATOR_ENABLED:
            call_command("setup_demo", stdout=self.stdout)
        return processes

    def _wait(self, processes: list[subprocess.Popen[bytes]]) -> None:
        # SIGTERM is handled like Ctrl-C so `kill` stops the children too.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
            failed = [p.args for p in processes if p.poll() is not None]
            self.stderr.write(f"A process stopped, shutting down: {failed}")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
