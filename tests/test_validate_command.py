from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_every_real_fixture_validates_through_the_command(real_fixtures_dir, capsys):
    files = sorted(str(p) for p in real_fixtures_dir.glob("*.json"))
    call_command("validate_journey", *files)
    out = capsys.readouterr().out
    assert f"All {len(files)} file(s) are valid." in out
    assert ": error:" not in out


def test_a_dangling_next_fails_with_the_activity_and_path(real_fixtures_dir, tmp_path, capsys):
    document = json.loads((real_fixtures_dir / "12-coh-apievent-updatecontact.json").read_text())
    document["activities"][0]["outcomes"][0]["next"] = "NOWHERE-9"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("validate_journey", str(broken))
    out = capsys.readouterr().out
    assert "NOWHERE-9" in out and "error" in out
    assert document["activities"][0]["key"] in out


def test_malformed_json_is_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"key": ')
    with pytest.raises(CommandError):
        call_command("validate_journey", str(bad))
    assert "cannot read it" in capsys.readouterr().out


def _rules(tmp_path, rules) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    return str(path)


def test_team_rules_from_a_file_fail_on_an_error_and_show_warnings(
    real_fixtures_dir, tmp_path, capsys
):
    fixture = str(real_fixtures_dir / "01-mcdev-api-multistep-decision-email-waits.json")
    warn = _rules(tmp_path, {"entry-mode-set": {}, "goal-required": {"severity": "warning"}})
    call_command("validate_journey", fixture, "--rules", warn)
    out = capsys.readouterr().out
    assert ": warning: The entry mode is not set" in out and "no goal" in out
    rules = [
        {"rule": "journey-name-pattern", "severity": "error", "parameters": {"pattern": "PRJ-.+"}}
    ]
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("validate_journey", fixture, "--rules", _rules(tmp_path, rules))
    assert (
        "error: The journey name “testExisting_journey_Multistep” breaks" in capsys.readouterr().out
    )


def test_a_wrong_rules_file_stops_before_judging(real_fixtures_dir, tmp_path, capsys):
    fixture = str(real_fixtures_dir / "01-mcdev-api-multistep-decision-email-waits.json")
    bad = _rules(tmp_path, {"journey-key-pattern": {"parameters": {"pattern": "(("}}})
    with pytest.raises(CommandError, match="not a valid regular expression") as stopped:
        call_command("validate_journey", fixture, "--rules", bad)
    assert stopped.value.returncode == 2 and capsys.readouterr().out == ""
