"""`manage.py simulate_journey`: journey tests for teams that keep journeys in git."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

NURTURE = "14-coh-goal-and-exit-criteria.json"


def sheet(tmp_path, text, name="contacts.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_paths_and_met_expectations_are_printed(real_fixtures_dir, tmp_path, capsys):
    contacts = sheet(
        tmp_path,
        "name,entered,Converted,RMTOptInStatus,expect\n"
        "Lena Lead,2026-12-01 09:00,false,,"
        "receives Healthy Lifestyle; ends in branch Still a Lead Record\n"
        "Otto Out,2026-12-01 09:00,false,Unsubscribed,"
        "exits by the exit criteria; never receives Healthy Lifestyle\n",
    )
    call_command("simulate_journey", str(real_fixtures_dir / NURTURE), "--contacts", contacts)
    out = capsys.readouterr().out
    assert "    Day 21 09:00 reached the end of the path" in out
    assert "        Still a Lead Record: 'Converted (Risk Management Info) is false' matched" in out
    assert (
        "    Day 7 09:00 met the exit criteria 'Should not be contacted' and left the journey"
        in out
    )
    assert out.count("[ok]") == 4
    assert out.rstrip().endswith("2 contacts, 4 expectations met.")


def test_a_failed_expectation_says_what_happened_and_exits_non_zero(
    real_fixtures_dir, tmp_path, capsys
):
    contacts = sheet(tmp_path, "name,Converted,expect\nCora,true,receives Screening\n")
    with pytest.raises(CommandError, match="Expectations not met for Cora"):
        call_command(
            "simulate_journey",
            str(real_fixtures_dir / NURTURE),
            "--contacts",
            contacts,
            "--entered",
            "2026-12-01T09:00",
        )
    out = capsys.readouterr().out
    assert (
        "[FAILED] receives Screening: received no message; took no branch; "
        "met the goal 'GOAL' at entry" in out
    )


def test_json_contacts_with_assumptions(real_fixtures_dir, tmp_path, capsys):
    contacts = [
        {
            "name": "Path two",
            "entered": "2026-12-01 09:00",
            "assume": {"RANDOMSPLITV2-1": "Path 2"},
            "expect": ["receives Cancer Compass Final Message"],
        }
    ]
    path = sheet(tmp_path, json.dumps(contacts), "contacts.json")
    call_command(
        "simulate_journey",
        str(real_fixtures_dir / "10-coh-random-and-decision-split.json"),
        "--contacts",
        path,
    )
    out = capsys.readouterr().out
    assert "Random Split: Path 2" in out and "waited 1 hour" in out


def test_bad_contacts_are_all_reported_with_their_rows(real_fixtures_dir, tmp_path):
    contacts = sheet(tmp_path, "name,Shoe size,expect\nAna,42,\n,1,flies to the moon\n")
    with pytest.raises(CommandError) as raised:
        call_command("simulate_journey", str(real_fixtures_dir / NURTURE), "--contacts", contacts)
    message = str(raised.value)
    assert "rows 2 and 3: 'Shoe size' is not an attribute this journey uses" in message
    assert "row 3: has no name" in message
    assert "row 3: 'flies to the moon' is not an expectation" in message


def test_a_journey_with_a_cycle_is_refused_with_the_validators_words(tmp_path):
    journey = {
        "key": "loop",
        "name": "Loop",
        "workflowApiVersion": 1.0,
        "triggers": [],
        "activities": [
            {"key": "A", "type": "WAIT", "outcomes": [{"key": "a", "next": "B"}]},
            {"key": "B", "type": "WAIT", "outcomes": [{"key": "b", "next": "A"}]},
        ],
    }
    file = sheet(tmp_path, json.dumps(journey), "journey.json")
    contacts = sheet(tmp_path, "name\nAna\n")
    with pytest.raises(CommandError, match="the journey cannot be stepped"):
        call_command("simulate_journey", file, "--contacts", contacts)
