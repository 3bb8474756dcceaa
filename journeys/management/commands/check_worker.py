from __future__ import annotations

import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.models import AuditEvent
from journeys.tasks import check_worker


class Command(BaseCommand):
    help = "Enqueue a task and wait until a Celery worker has run it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args: Any, **options: Any) -> None:
        nonce = uuid.uuid4().hex
        check_worker.delay(nonce)
        deadline = time.monotonic() + options["timeout"]
        while time.monotonic() < deadline:
            if AuditEvent.objects.filter(action="worker.checked", details__nonce=nonce).exists():
                self.stdout.write("A worker picked up the task and wrote to the database.")
                return
            time.sleep(0.2)
        raise CommandError(f"No worker ran the task within {options['timeout']:.0f} s.")
