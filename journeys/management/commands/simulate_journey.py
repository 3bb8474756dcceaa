"""Step test contacts through a journey file and check their expectations (for CI)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.domain.contact_paths import timeline
from journeys.domain.contact_runs import ContactResult, graph_problems, run_contacts
from journeys.domain.contact_sheet import ContactSheetError, read_contacts
from journeys.domain.expectations import PASSED
from journeys.management.journey_files import read_journeys


class Command(BaseCommand):
    help = (
        "Walk each test contact of CONTACTS (CSV or JSON) through the journey in FILE and print "
        "its path and how it ended; exit 1 when an expectation fails or cannot be told."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--contacts", type=Path, required=True)
        parser.add_argument(
            "--entered",
            default="",
            help="entry time of contacts whose sheet gives none (default: now), 2026-12-01 09:00",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        journey = self._journey(options["file"])
        contacts = self._contacts(options["contacts"], journey, options["entered"])
        results = run_contacts(journey, contacts)
        for result in results:
            self._print(result)
        failed = [result.contact.name for result in results if not result.passed]
        if failed:
            raise CommandError(f"Expectations not met for {', '.join(failed)}.")
        checked = sum(len(result.outcomes) for result in results)
        self.stdout.write(f"{len(results)} contacts, {checked} expectations met.")

    def _journey(self, path: Path) -> dict[str, Any]:
        journeys = read_journeys(path)
        if isinstance(journeys, str):
            raise CommandError(f"{path}: cannot read it: {journeys}")
        if len(journeys) != 1:
            raise CommandError(f"{path}: holds {len(journeys)} journeys; give a file with one.")
        problems = graph_problems(journeys[0])
        if problems:
            raise CommandError(f"{path}: the journey cannot be stepped: {'; '.join(problems)}")
        return journeys[0]

    def _contacts(self, path: Path, journey: dict[str, Any], entered: str) -> list[Any]:
        try:
            text = path.read_text(encoding="utf-8-sig")
            default = (
                datetime.fromisoformat(entered)
                if entered
                else datetime.now().replace(second=0, microsecond=0)
            )
            return read_contacts(text, journey, default, is_json=path.suffix.lower() == ".json")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot read it: {error}") from None
        except ContactSheetError as error:
            raise CommandError(f"{path}:\n  " + "\n  ".join(error.problems)) from None
        except ValueError as error:
            raise CommandError(f"--entered: {error}") from None

    def _print(self, result: ContactResult) -> None:
        self.stdout.write(result.contact.name)
        for path in result.paths:
            if len(result.paths) > 1:
                share = (
                    ""
                    if path.share is None
                    else f" ({float(path.share * 100):g}% of such contacts)"
                )
                self.stdout.write(f"  path: {', '.join(path.choices)}{share}")
            details = [step.details for step in path.steps] + [()]
            for line, said in zip(timeline(path), details, strict=True):
                self.stdout.write(f"    {line}")
                for detail in said:
                    self.stdout.write(f"        {detail}")
        for outcome in result.outcomes:
            mark = "ok" if outcome.result == PASSED else outcome.result.upper()
            why = f": {outcome.why}" if outcome.why else ""
            self.stdout.write(f"  [{mark}] {outcome.expectation.text}{why}")
