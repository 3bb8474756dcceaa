"""The team's own rules as a connection uses them (admin-managed; the rules are
`journeys.domain.team_rules`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from journeys.domain.team_rules import RULES, SEVERITIES, RuleSetting, parameter_errors

RULE_CHOICES = [(rule.id, rule.title) for rule in RULES.values()]
PARAMETERS_HELP = (
    'JSON; empty for the defaults. Test words: {"words": ["[DRAFT]", "[TEST]", "lorem"]}. '
    'Name or key convention: {"pattern": "[A-Z]{2,5} - .+", "explanation": "it starts with the '
    "team's code\"} (the whole name must match the pattern)."
)


class TeamRule(models.Model):
    """One built-in rule a connection's team turned on, with its severity and parameters."""

    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="team_rules"
    )
    rule_id = models.CharField("rule", max_length=50, choices=RULE_CHOICES)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(
        max_length=10,
        choices=[(s, s.capitalize()) for s in SEVERITIES],
        default="warning",
        help_text="An error blocks approval; a warning is shown.",
    )
    parameters = models.JSONField(default=dict, blank=True, help_text=PARAMETERS_HELP)

    class Meta:
        ordering = ["connection", "rule_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "rule_id"], name="one_rule_setting")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}: {self.rule_id}"

    def clean(self) -> None:
        if self.rule_id not in RULES:
            return  # the rule field says so
        errors = parameter_errors(self.rule_id, self.parameters or {})
        if errors:
            raise ValidationError({"parameters": errors})

    def setting(self) -> RuleSetting:
        return RuleSetting(self.rule_id, self.severity, self.parameters or {})
