"""Re-enqueue pushes that are stuck: after a worker crash, a broker outage or a lost message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from journeys.services.publish import recover_publishes
from journeys.services.push import NO_WORKER_AFTER, recover_pushes


class Command(BaseCommand):
    help = (
        "Queue again every push that is queued or retrying but was not picked up within "
        "--older-than seconds of being due, and every one whose worker died mid-run (its lease "
        "expired). Safe to run at any time: a duplicate message finds the push claimed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=NO_WORKER_AFTER.total_seconds(),
            help="seconds a queued or retrying push must be overdue (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        grace = timedelta(seconds=options["older_than"])
        publishes = recover_publishes(grace=grace)
        if publishes:
            ids = ", ".join(str(pk) for pk in publishes)
            self.stdout.write(f"Queued again {len(publishes)} publish request(s): {ids}.")
        recovered = recover_pushes(grace=grace)
        if recovered:
            ids = ", ".join(str(pk) for pk in recovered)
            self.stdout.write(f"Queued again {len(recovered)} push attempt(s): {ids}.")
        else:
            self.stdout.write("No push needed recovering.")
