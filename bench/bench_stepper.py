"""How fast the journey stepper walks test contacts, on the largest real journey and a generated
500-activity one.

Run from the repository root: `.venv/bin/python -m bench.bench_stepper`. 50 test contacts with
values for every attribute the journey uses; random splits either stated (each contact takes a
branch) or followed down every branch (capped by the stepper at 256 paths a contact). Prints the
median of N runs: milliseconds for all 50 contacts, contacts per second and activity-steps per
second; then the review's stepping (base and draft, 50 contacts) as a multiple of `json.loads`.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.bench_domain import FIXTURE, median_ms
from bench.journeys_gen import edit_journey, generate_journey
from journeys.domain.contact_paths import Assumptions, TestContact
from journeys.domain.contact_sheet import attribute_types
from journeys.domain.journey_filters import journey_attributes
from journeys.domain.operators import BOOLEAN, DATE, NUMBER
from journeys.domain.stepper import step_contacts

CONTACTS = 50
REPEATS = 15
# Values of each type an attribute can be compared as (contact_sheet.attribute_types).
VALUES = {
    frozenset({BOOLEAN}): ("true", "false", ""),
    frozenset({DATE}): ("2026-11-20", "2026-12-03", ""),
    frozenset({NUMBER, DATE}): ("42", "7", ""),
}
TEXT_VALUES = ("Gold", "Silver", "", "42", "Unsubscribed")
SPLITS = ("RANDOMSPLIT", "ABNTEST", "REST")


def contacts_for(journey: dict[str, Any], *, stated: bool, seed: int = 7) -> list[TestContact]:
    """50 contacts with a value for each attribute the journey uses (and, when `stated`, a
    branch for each random split)."""
    rng = random.Random(seed)
    attributes = list(journey_attributes(journey))
    types = attribute_types(journey)
    splits = [a for a in journey.get("activities", []) if a.get("type") in SPLITS]
    start = datetime(2026, 12, 1, 9, 0)
    contacts = []
    for number in range(CONTACTS):
        values = {key: rng.choice(VALUES.get(types.get(key), TEXT_VALUES)) for key in attributes}
        branches = {
            str(split["key"]): str(rng.choice(split["outcomes"])["key"])
            for split in splits
            if stated and split.get("outcomes")
        }
        entered = start + timedelta(minutes=number)
        contacts.append(
            TestContact(f"contact {number}", values, entered, "", Assumptions(branches=branches))
        )
    return contacts


def measure(journey: dict[str, Any], text: str) -> list[str]:
    rows = []
    for label, stated in (("branches stated", True), ("every branch", False)):
        contacts = contacts_for(journey, stated=stated)
        results = step_contacts(journey, contacts)
        steps = sum(len(path.steps) for paths in results.values() for path in paths)
        paths = sum(len(paths) for paths in results.values())
        ms = median_ms(lambda contacts=contacts: step_contacts(journey, contacts), REPEATS)
        rows.append(
            f"  {label:<16} {ms:9.2f} ms for {CONTACTS} contacts, {paths:5d} paths, "
            f"{steps:6d} steps: {CONTACTS / ms * 1000:8,.0f} contacts/s, "
            f"{steps / ms * 1000:10,.0f} activity-steps/s"
        )
    draft = edit_journey(journey, max(1, len(journey["activities"]) // 10), 3)
    contacts = contacts_for(journey, stated=True)
    review_ms = median_ms(
        lambda: (step_contacts(journey, contacts), step_contacts(draft, contacts)), REPEATS
    )
    loads_ms = median_ms(lambda: json.loads(text), REPEATS)
    rows.append(
        f"  review (base + draft, {CONTACTS} contacts): {review_ms:.2f} ms = "
        f"{review_ms / loads_ms:.1f}× json.loads of the journey ({loads_ms:.2f} ms)"
    )
    return rows


def main() -> None:
    generated = generate_journey(500, 2026)
    for name, text in (
        ("fixture 08", Path(FIXTURE).read_text(encoding="utf-8")),
        ("generated 500", json.dumps(generated)),
    ):
        journey = json.loads(text)
        print(f"{name}: {len(journey['activities'])} activities")
        print("\n".join(measure(journey, text)))


if __name__ == "__main__":
    main()
