"""The team's rules are set per connection in admin, their parameters checked."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from journeys.models import TeamRule
from tests.factories import ConnectionFactory


def _post(admin_client, connection, *rules: dict):
    data = {
        "name": connection.name,
        "auth_base_url": connection.auth_base_url,
        "rest_base_url": connection.rest_base_url,
        "client_id": connection.client_id,
        "account_id": connection.account_id,
        "team_rules-TOTAL_FORMS": str(len(rules)),
        "team_rules-INITIAL_FORMS": "0",
        "team_rules-MIN_NUM_FORMS": "0",
        "team_rules-MAX_NUM_FORMS": "1000",
    }
    for index, rule in enumerate(rules):
        for name, value in rule.items():
            data[f"team_rules-{index}-{name}"] = value
    url = reverse("admin:journeys_connection_change", args=[connection.pk])
    return admin_client.post(url, data)


@pytest.mark.django_db
def test_rules_are_saved_per_connection_with_their_parameters(admin_client):
    connection, other = ConnectionFactory(), ConnectionFactory()
    words = {"words": ["[WIP]"]}
    response = _post(
        admin_client,
        connection,
        {
            "rule_id": "test-words",
            "enabled": "on",
            "severity": "error",
            "parameters": json.dumps(words),
        },
        {"rule_id": "goal-required", "enabled": "on", "severity": "warning", "parameters": "{}"},
    )
    assert response.status_code == 302
    saved = {r.rule_id: r.setting() for r in connection.team_rules.all()}
    assert saved["test-words"].parameters == words and saved["test-words"].severity == "error"
    assert set(saved) == {"test-words", "goal-required"}
    assert not other.team_rules.exists()
    page = admin_client.get(reverse("admin:journeys_connection_change", args=[connection.pk]))
    assert "team rules (errors block approval, warnings are shown)" in page.content.decode().lower()


@pytest.mark.django_db
def test_a_bad_pattern_is_a_clear_form_error_and_nothing_is_saved(admin_client):
    connection = ConnectionFactory()
    response = _post(
        admin_client,
        connection,
        {
            "rule_id": "journey-name-pattern",
            "enabled": "on",
            "severity": "error",
            "parameters": json.dumps({"pattern": "[A-Z"}),
        },
        {
            "rule_id": "journey-key-pattern",
            "enabled": "on",
            "severity": "error",
            "parameters": "{}",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "The pattern “[A-Z” is not a valid regular expression" in text
    assert "The journey key follows the team&#x27;s convention: it needs a “pattern”." in text
    assert not TeamRule.objects.exists()
