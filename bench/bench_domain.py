"""Timings of the domain layer on the largest real journey and on a generated 500-activity one.

Run from the repository root: `.venv/bin/python -m bench.bench_domain`. Prints medians of N
runs (time.perf_counter) in milliseconds, each also as a multiple of `json.loads` of the same
bytes, and our diff against deepdiff.DeepDiff on the same pair. The diff and merge inputs carry
about 10% edits per side (bench.journeys_gen.edit_journey). The filter rows read every criteria
string of the journey with the condition model (and explain it in plain words). Takes well
under a minute.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from bench.journeys_gen import edit_journey, generate_journey
from journeys.domain import validate as validate_module
from journeys.domain.conditions import parse_filter, serialize_filter
from journeys.domain.diff import diff
from journeys.domain.journey_words import explain_journey
from journeys.domain.layout import layout
from journeys.domain.merge import merge

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "shared/fixtures/sfmc-real/08-greenpeace-automation-audience-stowait-updatecontact.json"
)
REPEATS = 30
# Performance guard (reliability notes, merge checklist 36): merging 500 activities with 10%
# edits a side stays under this. A figure to watch here, not a test: tests assert no speed.
MERGE_GUARD_MS = 20.0
DEEPDIFF_REPEATS = 3


def median_ms(
    action: Callable[[], object], repeats: int, before: Callable[[], None] | None = None
) -> float:
    """Median wall time of `action` in milliseconds; `before` runs untimed before each run."""
    timings = []
    for _ in range(repeats):
        if before:
            before()
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def _forget_validations() -> None:
    cache = getattr(validate_module, "_cache", None)  # validate remembers activities it checked
    if cache is not None:
        cache.clear()


def filters_of(node: Any) -> list[str]:
    """Every filter in a journey: decision paths', goals', exits' and entry criteria strings."""
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            if key == "criteria" and isinstance(value, str):
                found.append(value)
            elif key == "criteria" and isinstance(value, dict):
                found += [v for v in value.values() if isinstance(v, str)]
            else:
                found += filters_of(value)
        return found
    return [text for item in node for text in filters_of(item)] if isinstance(node, list) else []


def _round_trip(filters: list[str]) -> None:
    for text in filters:
        assert serialize_filter(parse_filter(text)) == text


def measure(text: str) -> dict[str, float]:
    """All timings for one journey given as JSON text."""
    base = json.loads(text)
    filters = filters_of(base)
    edits = max(1, len(base["activities"]) // 10)
    ours, theirs = edit_journey(base, edits, 1), edit_journey(base, edits, 2)
    figures = {
        "json.loads": median_ms(lambda: json.loads(text), REPEATS),
        "load+validate (cold cache)": median_ms(
            lambda: validate_module.validate(json.loads(text)), REPEATS, _forget_validations
        ),
        "load+validate (warm cache)": median_ms(
            lambda: validate_module.validate(json.loads(text)), REPEATS
        ),
        "layout": median_ms(lambda: layout(base), REPEATS),
        "diff (10% edits)": median_ms(lambda: diff(base, ours), REPEATS),
        "merge (10% edits each side)": median_ms(lambda: merge(base, ours, theirs), REPEATS),
        "deepdiff.DeepDiff, same pair": median_ms(lambda: DeepDiff(base, ours), DEEPDIFF_REPEATS),
        "parse + serialise every filter": median_ms(lambda: _round_trip(filters), REPEATS),
        "parse + explain every filter": median_ms(lambda: explain_journey(base), REPEATS),
    }
    figures["activities"] = len(base["activities"])
    figures["filters"] = len(filters)
    figures["KiB"] = len(text.encode()) / 1024
    return figures


_COUNTS = ("activities", "KiB", "filters")


def table(columns: dict[str, dict[str, float]]) -> str:
    """Render the figures: one row per operation, ms and × json.loads per journey."""
    names = list(columns)
    header = f"{'operation':<32}" + "".join(f"{n:>16}{'× loads':>10}" for n in names)
    rows = [header, "-" * len(header)]
    operations = [op for op in next(iter(columns.values())) if op not in _COUNTS]
    for operation in operations:
        cells = ""
        for name in names:
            figures = columns[name]
            ratio = figures[operation] / figures["json.loads"]
            cells += f"{figures[operation]:>13.2f} ms{ratio:>9.1f}×"
        rows.append(f"{operation:<32}{cells}")
    for name in names:
        figures = columns[name]
        speedup = figures["deepdiff.DeepDiff, same pair"] / figures["diff (10% edits)"]
        rows.append(
            f"{name}: {figures['activities']:.0f} activities, {figures['KiB']:.0f} KiB, "
            f"{figures['filters']:.0f} filters; "
            f"our diff is {speedup:,.0f}× faster than DeepDiff"
        )
    return "\n".join(rows)


def main() -> None:
    """Measure and print."""
    generated = json.dumps(generate_journey(500, 2026))
    columns: dict[str, Any] = {
        "fixture 08": measure(FIXTURE.read_text(encoding="utf-8")),
        "generated 500": measure(generated),
    }
    print(table(columns))
    merge_ms = columns["generated 500"]["merge (10% edits each side)"]
    verdict = "within" if merge_ms < MERGE_GUARD_MS else "OVER"
    print(
        f"merge of 500 activities: {merge_ms:.2f} ms median, "
        f"{verdict} the {MERGE_GUARD_MS:.0f} ms guard"
    )


if __name__ == "__main__":
    main()
