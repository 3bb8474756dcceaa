"""The team's rules of a connection run on a journey: for the canvas, the review and approval."""

from __future__ import annotations

from typing import Any

from journeys.catalog_names import CatalogNames
from journeys.domain.team_rules import RuleSetting, check_rules
from journeys.domain.validate import ERROR, Problem

RULES_REFUSAL = "This connection's team rules refuse approval"
_SAID = 3  # errors said in the refusal; the review lists them all


def connection_rules(connection: Any) -> list[RuleSetting]:
    """The enabled rules of `connection` (one query)."""
    return [rule.setting() for rule in connection.team_rules.filter(enabled=True)]


def rule_problems(connection: Any, document: Any, names: CatalogNames | None) -> list[Problem]:
    """What the connection's rules find in `document`; email subjects as SFMC's catalog has
    them come from `names` (already read by the page: no query more)."""
    settings = connection_rules(connection)
    if not settings:
        return []
    emails = names.found.get("email", {}) if names else {}
    subjects = {email_id: named.detail for email_id, named in emails.items() if named.detail}
    return check_rules(document, settings, subjects)


def rules_refusal(problems: list[Problem]) -> str:
    """Why approval is refused while a rule of error severity fails ("" when none does)."""
    errors = [p.message for p in problems if p.severity == ERROR and p.code.startswith("rule:")]
    if not errors:
        return ""
    said = " ".join(errors[:_SAID])
    more = f" (and {len(errors) - _SAID} more)" if len(errors) > _SAID else ""
    return f"{RULES_REFUSAL}: {said}{more}"
