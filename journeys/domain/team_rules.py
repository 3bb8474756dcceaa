"""The team's own rules: checks a team adds on top of what SFMC requires, set per connection.

Each built-in rule has an id, a title in plain words, parameters with defaults and a default
severity; a team enables a rule with a severity of its own (an error blocks approval, a warning
is shown) and its parameters (`RuleSetting`). `check_rules` reports what fails as
`validate.Problem`s coded `rule:<id>`, so they show wherever problems show. Names an email is
known by in SFMC's catalog come in as a mapping (email id -> subject), so this stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from journeys.domain.catalog import REMAINDER_PATH, activity_title, duration_words
from journeys.domain.document import items as objects_in
from journeys.domain.validate import ERROR, WARNING, Problem

SEVERITIES = (ERROR, WARNING)
DEFAULT_TEST_WORDS = ("[DRAFT]", "[TEST]", "lorem")
# SFMC's entry modes; "NotSet" is what a journey saved before anyone chose one holds.
UNSET_ENTRY_MODES = (None, "", "NotSet")
_MAX_PATTERN = 500

# One failure: (JSON path, message, activity key or None).
Finding = tuple[str, str, str | None]


@dataclass(frozen=True)
class Context:
    """What a rule sees besides the journey: its parameters and the catalog's email subjects."""

    parameters: Mapping[str, Any]
    email_subjects: Mapping[str, str]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str  # the default
    check: Callable[[dict[str, Any], Context], Iterator[Finding]]
    defaults: Mapping[str, Any] = field(default_factory=dict)  # parameter -> default
    required: tuple[str, ...] = ()  # parameters without a default


@dataclass(frozen=True)
class RuleSetting:
    """One rule as a connection uses it."""

    rule_id: str
    severity: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


# --- helpers -------------------------------------------------------------------------------


def _activities(doc: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    items = doc.get("activities")
    for index, activity in enumerate(items if isinstance(items, list) else []):
        if isinstance(activity, dict):
            yield index, activity


def _dict(node: Any, name: str) -> dict[str, Any]:
    value = node.get(name) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _key(activity: dict[str, Any]) -> str | None:
    key = activity.get("key")
    return key if isinstance(key, str) else None


def _number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _quoted(text: str) -> str:
    return f"“{text}”"


# --- test words ----------------------------------------------------------------------------


def _texts_to_search(
    doc: dict[str, Any], subjects: Mapping[str, str]
) -> Iterator[tuple[str, str, str | None, str]]:
    """(path, what the text is, activity key, the text): the journey's name, each activity's
    name and each email's subjects (as the journey holds them, and as SFMC's catalog has it)."""
    if isinstance(doc.get("name"), str):
        yield "$.name", f"The journey name {_quoted(doc['name'])}", None, doc["name"]
    for index, activity in _activities(doc):
        prefix, key, title = f"$.activities[{index}]", _key(activity), activity_title(activity)
        if isinstance(activity.get("name"), str):
            yield f"{prefix}.name", f"The name of {title}", key, activity["name"]
        send = _dict(_dict(activity, "configurationArguments"), "triggeredSend")
        in_sfmc = subjects.get(str(send.get("emailId"))) if send.get("emailId") else None
        seen = set()
        for name, subject in (
            ("emailSubject", send.get("emailSubject")),
            ("dynamicEmailSubject", send.get("dynamicEmailSubject")),
            ("emailId", in_sfmc),
        ):
            if isinstance(subject, str) and subject and subject not in seen:
                seen.add(subject)
                where = " (in SFMC)" if name == "emailId" else ""
                what = f"The subject {_quoted(subject)}{where} of {title}"
                yield f"{prefix}.configurationArguments.triggeredSend.{name}", what, key, subject


def _test_words(doc: dict[str, Any], context: Context) -> Iterator[Finding]:
    words = [str(w) for w in context.parameters["words"]]
    for path, what, key, text in _texts_to_search(doc, context.email_subjects):
        found = [word for word in words if word.casefold() in text.casefold()]
        if found:
            said = ", ".join(_quoted(word) for word in found)
            yield path, f"{what} contains {said}: a test or placeholder left in.", key


# --- names that contradict the configuration -----------------------------------------------

_UNITS = {"minute": "MINUTES", "min": "MINUTES", "hour": "HOURS", "hr": "HOURS", "day": "DAYS"}
_UNITS |= {"week": "WEEKS", "month": "MONTHS", "year": "YEARS"}
_DURATION = re.compile(r"\b(\d+)\s*(minute|min|hour|hr|day|week|month|year)s?\b", re.IGNORECASE)
_SHARE = re.compile(r"(\d+)\s*%")
_DIRECTION = re.compile(r"\b(before|after)\b", re.IGNORECASE)
# Units of a fixed length, in minutes: "1 week" named on a 7-day wait says the same thing.
_MINUTES = {"MINUTES": 1, "HOURS": 60, "DAYS": 1440, "WEEKS": 10080}


def _same_duration(a: tuple[int, str], b: tuple[int, str]) -> bool:
    if a[1] in _MINUTES and b[1] in _MINUTES:
        return a[0] * _MINUTES[a[1]] == b[0] * _MINUTES[b[1]]
    return a == b


def _wait_contradiction(activity: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) when a wait's name says another duration than it is set to."""
    name = activity.get("name")
    said = _DURATION.search(name) if isinstance(name, str) else None
    config = _dict(activity, "configurationArguments")
    amount, unit = _number(config.get("waitDuration")), str(config.get("waitUnit") or "").upper()
    if said is None or amount is None or not unit:
        return None
    named = (int(said.group(1)), _UNITS[said.group(2).lower()])
    # A wait by attribute keeps "8 days before" the date as -8.
    direction = _DIRECTION.search(name[said.end() :]) if isinstance(name, str) else None
    wrong_way = direction is not None and (direction.group(1).lower() == "before") != (amount < 0)
    if _same_duration(named, (abs(amount), unit)) and not wrong_way:
        return None
    way = f" {'before' if amount < 0 else 'after'}" if direction else ""
    setting = f"{duration_words(abs(amount), unit)}{way}"
    message = (
        f"{activity_title(activity)} is named for {said.group(0)}, but it is set to {setting}."
    )
    changed_field = "waitUnit" if named[0] == abs(amount) and not wrong_way else "waitDuration"
    return changed_field, message


def _split_contradictions(activity: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """(outcome index, message) for each path named "N%" that is set to another share."""
    outcomes = activity.get("outcomes")
    for index, outcome in enumerate(outcomes if isinstance(outcomes, list) else []):
        meta = _dict(outcome, "metaData")
        share = _number(_dict(outcome, "arguments").get("percentage"))
        names = [meta.get(name) for name in ("label", "name", "pathName")]
        for text in [name for name in names if isinstance(name, str)]:
            named = _SHARE.search(text)
            if named and share is not None and int(named.group(1)) != share:
                title = activity_title(activity)
                said = f"is named for {named.group(1)}%, but it is set to {share}%"
                yield index, f"Path {_quoted(text)} of {title} {said}."
                break


def _names_match_configuration(doc: dict[str, Any], context: Context) -> Iterator[Finding]:
    for index, activity in _activities(doc):
        prefix = f"$.activities[{index}]"
        if activity.get("type") == "WAIT":
            found = _wait_contradiction(activity)
            if found:
                path = f"{prefix}.configurationArguments.{found[0]}"
                yield path, found[1], _key(activity)
        elif activity.get("type") in ("RANDOMSPLIT", "ABNTEST"):
            for outcome, message in _split_contradictions(activity):
                yield f"{prefix}.outcomes[{outcome}].metaData", message, _key(activity)


# --- the journey's own settings ------------------------------------------------------------


def _required_section(section: str, message: str) -> Callable[..., Iterator[Finding]]:
    def check(doc: dict[str, Any], context: Context) -> Iterator[Finding]:
        items = doc.get(section)
        if not (isinstance(items, list) and items):
            yield f"$.{section}", message, None

    return check


def _convention(field_name: str, word: str) -> Callable[..., Iterator[Finding]]:
    def check(doc: dict[str, Any], context: Context) -> Iterator[Finding]:
        value = doc.get(field_name)
        pattern = str(context.parameters["pattern"])
        if isinstance(value, str) and re.fullmatch(pattern, value):
            return
        explained = str(context.parameters.get("explanation") or "").strip()
        rule = explained or f"it must match the pattern {pattern}"
        shown = _quoted(value) if isinstance(value, str) else "(none)"
        yield f"$.{field_name}", f"The journey {word} {shown} breaks the team's rule: {rule}.", None

    return check


def _entry_mode_set(doc: dict[str, Any], context: Context) -> Iterator[Finding]:
    if doc.get("entryMode") in UNSET_ENTRY_MODES:
        message = (
            "The entry mode is not set: choose whether contacts may enter once, again, or "
            "once across all versions."
        )
        yield "$.entryMode", message, None


def _decision_remainder(doc: dict[str, Any], context: Context) -> Iterator[Finding]:
    for index, activity in _activities(doc):
        if activity.get("type") != "MULTICRITERIADECISION":
            continue
        keys = [o.get("key") for o in objects_in(activity, "outcomes")]
        if REMAINDER_PATH not in keys:
            message = (
                f"{activity_title(activity)} has no remainder path: contacts who match none "
                "of its paths leave the journey there."
            )
            yield f"$.activities[{index}].outcomes", message, _key(activity)


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "test-words",
            "No test words in email subjects, activity names or the journey name",
            ERROR,
            _test_words,
            {"words": list(DEFAULT_TEST_WORDS)},
        ),
        Rule(
            "names-match-configuration",
            "Wait and split path names say what they are set to",
            WARNING,
            _names_match_configuration,
        ),
        Rule(
            "goal-required",
            "The journey has a goal",
            WARNING,
            _required_section("goals", "The journey has no goal; the team requires one."),
        ),
        Rule(
            "exit-required",
            "The journey has exit criteria",
            WARNING,
            _required_section("exits", "The journey has no exit criteria; the team requires them."),
        ),
        Rule(
            "journey-name-pattern",
            "The journey name follows the team's convention",
            WARNING,
            _convention("name", "name"),
            {"explanation": ""},
            ("pattern",),
        ),
        Rule(
            "journey-key-pattern",
            "The journey key follows the team's convention",
            WARNING,
            _convention("key", "key"),
            {"explanation": ""},
            ("pattern",),
        ),
        Rule("entry-mode-set", "The entry mode is chosen explicitly", WARNING, _entry_mode_set),
        Rule(
            "decision-remainder",
            "Every decision split has a remainder path",
            WARNING,
            _decision_remainder,
        ),
    )
}


# --- settings and checking -----------------------------------------------------------------


def parameter_errors(rule_id: str, parameters: object) -> list[str]:
    """What is wrong with `parameters` for the rule, in plain words ([] when they are fine)."""
    rule = RULES.get(rule_id)
    if rule is None:
        return [f"There is no rule {_quoted(rule_id)}; the rules are: {', '.join(RULES)}."]
    if not isinstance(parameters, dict):
        return ["The parameters must be a JSON object ({...})."]
    known = sorted({*rule.defaults, *rule.required})
    takes = f"it takes {', '.join(known)}" if known else "it takes none"
    errors = [
        f"{rule.title}: there is no parameter {_quoted(name)} ({takes})."
        for name in parameters
        if name not in known
    ]
    errors += [
        f"{rule.title}: it needs a {_quoted(name)}."
        for name in rule.required
        if parameters.get(name) in (None, "")
    ]
    for name, value in parameters.items():
        if name in known:
            errors.extend(_value_errors(name, value))
    return errors


def _value_errors(name: str, value: object) -> list[str]:
    if name == "words":
        if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
            return ["“words” must be a list of texts, none of them empty."]
        return []
    if not isinstance(value, str):
        return [f"{_quoted(name)} must be a text."]
    if name == "pattern":
        return _pattern_errors(value)
    return []


def _pattern_errors(pattern: str) -> list[str]:
    if len(pattern) > _MAX_PATTERN:
        return [f"The pattern is longer than {_MAX_PATTERN} characters."]
    try:
        re.compile(pattern)
    except re.error as error:
        where = f" at character {error.pos + 1}" if error.pos is not None else ""
        return [
            f"The pattern {_quoted(pattern)} is not a valid regular expression: {error.msg}{where}."
        ]
    return []


def settings_from_json(data: object) -> tuple[list[RuleSetting], list[str]]:
    """Rule settings from a JSON value (a CI rules file): a list of {"rule", "severity",
    "parameters"} objects, or an object of rule id -> {"severity", "parameters"}. Returns the
    settings and every problem, each naming its rule."""
    items: Sequence[Any]
    if isinstance(data, dict):
        items = [{"rule": rule_id, **(value or {})} for rule_id, value in data.items()]
    elif isinstance(data, list):
        items = data
    else:
        return [], ["The rules must be a JSON list of rules or an object of rule id -> settings."]
    settings, errors = [], []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
            errors.append(f"Each rule needs a 'rule' id: {item!r:.80}.")
            continue
        rule_id, parameters = item["rule"], item.get("parameters") or {}
        found = parameter_errors(rule_id, parameters)
        severity = item.get("severity") or (RULES[rule_id].severity if rule_id in RULES else "")
        if rule_id in RULES and severity not in SEVERITIES:
            found.append(f"The severity must be {' or '.join(SEVERITIES)}, not {severity!r}.")
        errors += [f"{rule_id}: {error}" for error in found]
        if not found and item.get("enabled", True):
            settings.append(RuleSetting(rule_id, severity, parameters))
    return settings, errors


def check_rules(
    doc: object,
    settings: Sequence[RuleSetting],
    email_subjects: Mapping[str, str] | None = None,
) -> list[Problem]:
    """The problems the enabled rules find in `doc`; never raises. A setting whose rule or
    parameters are not valid (admin and file readers refuse those) is skipped."""
    if not isinstance(doc, dict):
        return []
    problems = []
    for setting in settings:
        rule = RULES.get(setting.rule_id)
        if rule is None or parameter_errors(rule.id, dict(setting.parameters)):
            continue
        context = Context({**rule.defaults, **setting.parameters}, email_subjects or {})
        try:
            found = list(rule.check(doc, context))
        except Exception as error:  # one odd document must not hide the other rules
            message = f"The rule “{rule.title}” could not be checked ({type(error).__name__})."
            found = [("$", message, None)]
        problems += [
            Problem(setting.severity, f"rule:{rule.id}", path, message, key)
            for path, message, key in found
        ]
    return problems
