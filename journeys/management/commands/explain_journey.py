"""Print what journey files mean, in plain words (for teams that keep journeys in git)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.domain.journey_words import explain_journey
from journeys.management.journey_files import read_journeys


class Command(BaseCommand):
    help = (
        "Print each journey's entry source and every branch, goal and exit condition in plain "
        "language; exit 1 when a file cannot be read or a filter cannot be understood."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        failed = [path for path in options["files"] if not self._explain(path)]
        if failed:
            names = ", ".join(str(path) for path in failed)
            raise CommandError(f"Not everything could be understood in {names}.")

    def _explain(self, path: Path) -> bool:
        journeys = read_journeys(path)
        if isinstance(journeys, str):
            self.stdout.write(f"{path}: cannot read it: {journeys}")
            return False
        self.stdout.write(f"{path}")
        understood = True
        for journey in journeys:
            for line in explain_journey(journey):
                flag = "" if line.understood else "  <- not understood"
                self.stdout.write(f"{'  ' * (line.depth + 1)}{line.text}{flag}")
                understood = understood and line.understood
        return understood
