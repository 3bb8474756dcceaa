"""What a draft changes for a test contact, said in plain words (review of test contacts)."""

from __future__ import annotations

import copy
import json
from datetime import datetime

from journeys.domain.contact_paths import TestContact
from journeys.domain.path_changes import path_changes
from journeys.domain.stepper import step_contact

NURTURE = "14-coh-goal-and-exit-criteria.json"
ENTRY = datetime(2026, 12, 1, 9, 0)


def nurture(real_fixtures_dir):
    return json.loads((real_fixtures_dir / NURTURE).read_text())


def activity(journey, key):
    return next(a for a in journey["activities"] if a["key"] == key)


def changes(base, draft, **values):
    contact = TestContact("Lena", values, ENTRY)
    return path_changes(step_contact(base, contact), step_contact(draft, contact))


def test_an_unchanged_journey_changes_nothing(real_fixtures_dir):
    base = nurture(real_fixtures_dir)
    assert changes(base, copy.deepcopy(base), Converted="false") == []


def test_a_longer_wait_and_a_renamed_email_are_said_as_a_marketer_reads_them(real_fixtures_dir):
    base = nurture(real_fixtures_dir)
    draft = copy.deepcopy(base)
    activity(draft, "WAITBYDURATION-2")["configurationArguments"]["waitDuration"] = 3
    activity(draft, "EMAILV2-3")["name"] = "VIP offer"
    assert changes(base, draft, Converted="false") == [
        "receives 'Nutrition and Wellness' on day 3 09:00 (was day 7 09:00)",
        "receives 'VIP offer' instead of 'Healthy Lifestyle' on day 10 09:00",
        "now leaves the journey on day 17 09:00: reached the end of the path "
        "(was day 21 09:00: reached the end of the path)",
    ]


def test_another_branch_and_other_messages_after_a_removed_goal(real_fixtures_dir):
    base = nurture(real_fixtures_dir)
    draft = copy.deepcopy(base)
    draft["goals"] = []
    assert changes(base, draft, Converted="true") == [
        "now takes 'Converted to Contact' at Decision Split",
        "now receives 'Screening' on day 0 09:00",
        "now leaves the journey on day 8 09:00: reached the end of the path "
        "(was day 0 09:00: met the goal 'GOAL' at entry and left the journey)",
    ]


def test_a_removed_branch_of_a_random_split_is_said_per_path(real_fixtures_dir):
    base = json.loads((real_fixtures_dir / "10-coh-random-and-decision-split.json").read_text())
    draft = copy.deepcopy(base)
    split = activity(draft, "RANDOMSPLITV2-1")
    split["outcomes"] = split["outcomes"][:4]
    for outcome in split["outcomes"]:
        outcome["arguments"]["percentage"] = 25
    assert changes(base, draft) == ["On the path Random Split: Path 5: this path no longer exists"]
