from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
GOAL_AND_EXIT = "14-coh-goal-and-exit-criteria.json"


def test_every_shared_fixture_is_explained_without_xml(real_fixtures_dir, capsys):
    files = sorted(str(p) for p in real_fixtures_dir.glob("*.json"))
    call_command("explain_journey", *files)
    out = capsys.readouterr().out
    assert "not understood" not in out
    assert "<Condition" not in out and "CDATA" not in out and "Event.DEAudience" not in out
    assert out.count("Journey '") >= len(files)
    assert "Entry: API event, event APIEvent-60130566-e2fe-eb29-4140-15c27093a80b" in out
    assert "Entry: Salesforce data" in out


def test_branches_goals_and_exits_read_as_sentences(real_fixtures_dir, capsys):
    call_command("explain_journey", str(real_fixtures_dir / GOAL_AND_EXIT))
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert "Branch 'Still a Lead Record': Converted (Risk Management Info) is false" in lines
    assert "Branch 'Converted to Contact': everyone else" in lines
    assert "Goal 'GOAL' (GOAL): Converted (Risk Management Info) is true" in lines
    assert "contacts who meet the goal leave the journey" in lines
    assert (
        "Exit criteria 'Should not be contacted' (EXITCRITERIA): RMTOptInStatus (Risk Management "
        "Info) equals Unsubscribed or ContactStatus (Risk Management Info) is not empty"
    ) in lines


def broken_goal(real_fixtures_dir, tmp_path, criteria):
    document = json.loads((real_fixtures_dir / GOAL_AND_EXIT).read_text())
    document["goals"][0]["configurationArguments"]["criteria"] = criteria
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("criteria", "said"),
    [
        ("<FilterDefinition><ConditionSet>", "this filter is not well-formed XML"),
        (
            '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="x"><Condition '
            'Key="A.B" Operator="Resembles"/></ConditionSet></FilterDefinition>',
            "the operator “Resembles” is not known",
        ),
    ],
)
def test_a_filter_not_understood_fails_and_is_flagged(
    real_fixtures_dir, tmp_path, capsys, criteria, said
):
    path = broken_goal(real_fixtures_dir, tmp_path, criteria)
    with pytest.raises(CommandError, match="Not everything could be understood"):
        call_command("explain_journey", str(path))
    [goal] = [line for line in capsys.readouterr().out.splitlines() if "Goal 'GOAL'" in line]
    assert said in goal and goal.endswith("<- not understood")


def test_a_missing_file_and_a_list_that_is_no_journey_fail_with_messages(tmp_path, capsys):
    not_journeys = tmp_path / "list.json"
    not_journeys.write_text("[1, 2]")
    with pytest.raises(CommandError, match="missing.json, .*list.json"):
        call_command("explain_journey", str(tmp_path / "missing.json"), str(not_journeys))
    out = capsys.readouterr().out
    assert "missing.json: cannot read it: [Errno 2]" in out
    assert "list.json: cannot read it: Expected a journey or a list of journeys" in out


def test_as_a_program_it_exits_zero_when_understood_and_non_zero_otherwise(
    real_fixtures_dir, tmp_path
):
    good = str(real_fixtures_dir / GOAL_AND_EXIT)
    bad = str(broken_goal(real_fixtures_dir, tmp_path, "<FilterDefinition><oops"))
    ok = subprocess.run([sys.executable, MANAGE, "explain_journey", good], capture_output=True)
    assert ok.returncode == 0, ok.stderr
    assert "Goal 'GOAL' (GOAL): Converted (Risk Management Info) is true" in ok.stdout.decode()
    failed = subprocess.run([sys.executable, MANAGE, "explain_journey", bad], capture_output=True)
    assert failed.returncode == 1
    assert b"Not everything could be understood" in failed.stderr
