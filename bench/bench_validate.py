"""Measure `validate` on a generated 500-activity journey: cold, and warm after one edit.

Run: .venv/bin/python -m bench.bench_validate [n_activities] [rounds]

Cold = the per-activity cache is empty (first validation of a journey). Warm = the journey was
validated, then one activity was edited (a wait's duration), which is what the canvas does on
every edit. Also shown: one graph edit (`set_field`, which deep-copies and validates).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from bench.journeys_gen import generate_journey
from journeys.domain import graph, validate
from journeys.domain.document import canonical_json


def _median_ms(run: Callable[[], object], rounds: int, before: Callable[[], object]) -> float:
    timings = []
    for _ in range(rounds):
        before()
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main(n_activities: int = 500, rounds: int = 21) -> None:
    """Print the median timings in milliseconds."""
    doc = generate_journey(n_activities, seed=7)
    size_kib = len(canonical_json(doc).encode()) / 1024
    waits = [i for i, a in enumerate(doc["activities"]) if a["type"] == "WAIT"]
    path = ["activities", waits[len(waits) // 2], "configurationArguments", "waitDuration"]
    edited = [doc]

    def edit_one_activity() -> None:
        validate.validate(doc)
        duration = len(validate._cache) % 97 + 2  # a value not seen before: a real cache miss
        edited[0] = graph.set_field(doc, path, duration)
        validate.validate(doc)

    cold = _median_ms(lambda: validate.validate(doc), rounds, validate._cache.clear)
    warm = _median_ms(lambda: validate.validate(edited[0]), rounds, edit_one_activity)
    edit = _median_ms(lambda: graph.set_field(doc, path, 5), rounds, lambda: None)
    problems = validate.validate(doc)
    print(f"journey: {n_activities} activities, {size_kib:.0f} KiB canonical JSON")
    print(
        f"problems found: {len(problems)} ({sum(p.severity == 'error' for p in problems)} errors)"
    )
    print(f"validate cold (empty cache), median of {rounds}: {cold:.1f} ms")
    print(f"validate warm (one activity edited), median of {rounds}: {warm:.1f} ms")
    print(f"graph.set_field (deep copy + validate), median of {rounds}: {edit:.1f} ms")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
