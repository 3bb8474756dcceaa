from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.models import Journey
from journeys.services.remote import client_for, ensure_simulator_connection, import_journey
from journeys.sfmc.errors import RemoteError


class Command(BaseCommand):
    help = "Point a Connection at the local SFMC simulator and import its journeys as drafts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-user", default="editor")
        parser.add_argument("--wait", type=float, default=15.0, help="seconds to wait for it")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = ensure_simulator_connection()
        user = get_user_model().objects.get(username=options["as_user"])
        client = client_for(connection)
        deadline = time.monotonic() + options["wait"]
        while True:
            try:
                remote = list(client.iter_journeys())
                break
            except RemoteError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"The simulator did not answer: {exc}") from exc
                time.sleep(0.5)
        known = set(Journey.objects.filter(connection=connection).values_list("key", flat=True))
        imported = 0
        for item in remote:
            if item["key"] not in known:
                import_journey(user, connection, item["id"])
                imported += 1
        self.stdout.write(f"Demo connection '{connection}': {imported} journey(s) imported.")
