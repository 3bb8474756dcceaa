from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.models import Connection
from journeys.services.remote import import_journey
from journeys.sfmc.errors import SFMCError


class Command(BaseCommand):
    help = "Import one SFMC journey (by id) of a connection as a new draft."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection", help="the Connection's name")
        parser.add_argument("journey_id", help="the journey's SFMC id")
        parser.add_argument("--journey-version", type=int, default=None)
        parser.add_argument("--as-user", required=True, help="username of the importing editor")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            connection = Connection.objects.get(name=options["connection"])
            user = get_user_model().objects.get(username=options["as_user"])
        except (Connection.DoesNotExist, get_user_model().DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        try:
            result = import_journey(
                user, connection, options["journey_id"], version=options["journey_version"]
            )
        except SFMCError as exc:
            raise CommandError(f"SFMC refused: {exc}") from exc
        verb = "Created" if result.created else "Kept the existing"
        self.stdout.write(f"{verb} draft #{result.draft.pk} of '{result.draft.journey.name}'.")
