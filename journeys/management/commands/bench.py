"""Run every benchmark under bench/ and write their report to var/bench-report.md."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

# Each is `python -m bench.<name>`: separate processes, so one's caches never help another.
BENCHMARKS = [
    "bench_domain",
    "bench_validate",
    "bench_sfmc",
    "bench_catalog",
    "bench_stepper",
    "bench_review_contacts",
    "bench_editor",
    "bench_push",
    "bench_load",
    "bench_revisions",
]


class Command(BaseCommand):
    help = "Run the benchmarks (medians and ratios on named inputs) and write a report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help=f"a subset of {', '.join(BENCHMARKS)}")
        parser.add_argument(
            "--readme",
            action="store_true",
            help="also put the report into README.md, between the bench-report markers",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["names"] or [
            n for n in BENCHMARKS if (settings.BASE_DIR / "bench" / f"{n}.py").exists()
        ]
        unknown = set(names) - set(BENCHMARKS)
        if unknown:
            raise CommandError(f"Unknown benchmark(s): {', '.join(sorted(unknown))}")
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        sections = [
            f"# Benchmark report\n\nMachine: {machine}. Run {time.strftime('%Y-%m-%d %H:%M')}.\n"
        ]
        failed = []
        for name in names:
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {name}"))
            result = subprocess.run(
                [sys.executable, "-m", f"bench.{name}"],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=900,
            )
            self.stdout.write(result.stdout)
            if result.returncode:
                failed.append(name)
                self.stderr.write(result.stderr[-4000:])
            sections.append(f"## {name}\n\n```\n{result.stdout.strip()}\n```\n")
        report = settings.VAR_DIR / "bench-report.md"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("\n".join(sections))
        self.stdout.write(f"Report written to {report}")
        if options["readme"]:
            _write_into_readme(settings.BASE_DIR / "README.md", "\n".join(sections))
        if failed:
            raise CommandError(f"Benchmarks failed: {', '.join(failed)}")


START, END = "<!-- bench-report:start -->", "<!-- bench-report:end -->"


def _write_into_readme(readme: Any, report: str) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise CommandError(f"README.md has no {START} ... {END} block to fill.")
    # The report's own headings become sub-headings of the README's Performance section.
    body = report.replace("\n## ", "\n#### ").replace("# Benchmark report", "### Latest full run")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    readme.write_text(f"{before}{START}\n{body}\n{END}{after}")
