"""Validate journey JSON files with the same rules that gate a push (for scripts and git hooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.domain.validate import has_errors, validate
from journeys.management.journey_files import read_journeys


class Command(BaseCommand):
    help = "Print the problems of each journey file; exit 1 when any file has an error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        failed = [path for path in options["files"] if not self._check(path)]
        if failed:
            raise CommandError(f"{len(failed)} of {len(options['files'])} file(s) have errors.")
        self.stdout.write(f"All {len(options['files'])} file(s) are valid.")

    def _check(self, path: Path) -> bool:
        journeys = read_journeys(path)
        if isinstance(journeys, str):
            self.stdout.write(f"{path}: error: cannot read it: {journeys}")
            return False
        valid = True
        for index, journey in enumerate(journeys):
            label = path if len(journeys) == 1 else f"{path}[{index}]"
            problems = validate(journey)
            for problem in problems:
                where = f" {problem.activity_key}" if problem.activity_key else ""
                self.stdout.write(
                    f"{label}: {problem.severity}:{where} {problem.message} ({problem.path})"
                )
            if not problems:
                self.stdout.write(f"{label}: ok")
            valid = valid and not has_errors(problems)
        return valid
