"""Validate journey JSON files with the same rules that gate a push (for scripts and git hooks),
and with a team's own rules (`--rules RULES.json`: the ids and parameters admin sets per
connection, see journeys.domain.team_rules.settings_from_json); an error of either fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from journeys.domain.team_rules import RuleSetting, check_rules, settings_from_json
from journeys.domain.validate import has_errors, validate
from journeys.management.journey_files import read_journeys


class Command(BaseCommand):
    help = "Print the problems of each journey file; exit 1 when any file has an error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--rules",
            type=Path,
            help="a JSON file of team rules: {rule id: {severity, parameters}} or a list of "
            "{rule, severity, parameters}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.rules = _read_rules(options["rules"]) if options["rules"] else []
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
            problems = validate(journey) + check_rules(journey, self.rules)
            for problem in problems:
                where = f" {problem.activity_key}" if problem.activity_key else ""
                self.stdout.write(
                    f"{label}: {problem.severity}:{where} {problem.message} ({problem.path})"
                )
            if not problems:
                self.stdout.write(f"{label}: ok")
            valid = valid and not has_errors(problems)
        return valid


def _read_rules(path: Path) -> list[RuleSetting]:
    """The rules file's settings; a file that cannot be read or holds a wrong rule stops the
    command (exit 2) before any journey is judged by half its rules."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"{path}: cannot read the rules: {error}", returncode=2) from error
    settings, errors = settings_from_json(data)
    if errors:
        raise CommandError(f"{path}: " + " ".join(errors), returncode=2)
    return settings
