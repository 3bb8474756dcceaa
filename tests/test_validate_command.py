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
