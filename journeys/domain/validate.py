"""Validation of a journey document: shapes (journey.schema.json), configuration and graph rules.

`validate` accepts anything and returns problems; it never raises. Errors block a push, warnings
are shown but do not. Warnings are kept for what real documents show to be unusual but legal:
an activity Journey Builder itself marks as not configured (`metaData.isConfigured: false`,
saved in drafts, refused only at publish), decision criteria that do not match the outcomes
(5 of 110 real decisions) or a decision without remainder path, a decision path with no
condition yet, a goal or exit criteria with no condition yet, a start activity that is not
first, an entry source still to configure.

Speed: the schema and per-activity rules are checked one activity at a time and remembered by
the activity's exact text (its repr), so after an edit only the changed activities are checked
again (see bench/bench_validate.py). The graph rules are cheap and run on every call. Inside
`values_unchanged()` (an editor request, where documents are values that no code changes in
place) a document checked twice is checked once, and an activity object seen before is not
even written out again: an edit shares its unchanged activities with the document it edited.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, ValidationError

from journeys.domain import topology
from journeys.domain.catalog import (
    REMAINDER_PATH,
    CatalogEntry,
    activity_title,
    activity_titles,
    title_of,
    type_of,
)
from journeys.domain.conditions import (
    Condition,
    Unknown,
    attribute_label,
    filter_issues,
    has_conditions,
    parse_filter,
    walk,
)
from journeys.domain.journey_filters import entry_event_keys, entry_event_of, filter_places
from journeys.domain.journey_items import missing_configuration, needs_configuration

ERROR = "error"
WARNING = "warning"
# The codes of the rules that keep the graph sound; graph edits must never produce them.
GRAPH_CODES = frozenset(
    {
        "duplicate-key",
        "duplicate-outcome-key",
        "root-count",
        "dangling-next",
        "unreachable",
        "cycle",
        "trigger-outcomes",
        "outcome-count",
        "split-percentages",
        "engagement-reference",
    }
)

# The codes of a part with the wrong shape (a list where an object belongs, a missing key).
SHAPE_CODES = frozenset({"invalid-value", "missing-field"})

SCHEMA: dict[str, Any] = json.loads(
    Path(__file__).with_name("journey.schema.json").read_text(encoding="utf-8")
)
Draft7Validator.check_schema(SCHEMA)
_JOURNEY_VALIDATOR = Draft7Validator(SCHEMA)


def _definition_validator(*parts: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator({"definitions": SCHEMA["definitions"], "allOf": list(parts)})


def _activity_validators() -> dict[str, Draft7Validator]:
    """One validator per activity type, from the schema's own if/then dispatch rules."""
    shape, *rules = SCHEMA["definitions"]["activity"]["allOf"]
    return {
        rule["if"]["$ref"].rsplit("/", 1)[-1]: _definition_validator(shape, rule["then"])
        for rule in rules
    }


_GENERIC_ACTIVITY_VALIDATOR = _definition_validator({"$ref": "#/definitions/activityShape"})
_ACTIVITY_VALIDATORS = _activity_validators()
_CACHE_SIZE = 5000
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONDITION = re.compile(r"<Condition[\s/>]")  # a filter condition, not its <ConditionSet>
# How a missing required field is described, by its last path segment.
_NEEDS = {
    "emailId": "an email to send",
    "waitDuration": "a wait duration",
    "waitUnit": "a wait unit",
    "waitEndDateAttributeExpression": "the date attribute to wait for",
    "messageId": "an SMS message",
    "criteria": "at least one decision path with criteria",
    "refActivityCustomerKey": "the email whose engagement it checks",
    "updateContactFields": "at least one field to update",
    "dataExtensionId": "a data extension",
    "field": "a data extension field",
    "objects": "a Salesforce record to create or update",
    "url": "the address of its custom activity service",
    "aBnStartActivityKey": "the Path Optimizer it belongs to",
}
_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "object": "an object ({...})",
    "array": "a list ([...])",
    "boolean": "true or false",
    "null": "null",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journey, located by a JSON path such as `$.activities[3].key`."""

    severity: str  # "error" | "warning"
    code: str
    path: str
    message: str
    activity_key: str | None = None


# A problem found inside one activity, its path relative to that activity.
_Finding = tuple[str, str, str, str]


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error (and so blocks a push)."""
    return any(problem.severity == ERROR for problem in problems)


def validate(doc: object) -> list[Problem]:
    """Check a journey document and return its problems; never raises, whatever `doc` is."""
    return list(check(doc).problems)


@dataclass(frozen=True)
class Checked:
    """What validate found in a document: its problems, and each activity's own findings by
    position (what `remember` needs to know the activities of an edit of it by identity)."""

    problems: tuple[Problem, ...]
    activities: tuple[tuple[_Finding, ...], ...] = ()
    graph: tuple[Problem, ...] = ()  # those of the graph rules (a part of `problems`)
    document: object = None  # what was checked (held, so that no other object takes its id)


def check(doc: object) -> Checked:
    """validate(doc), with what a later `remember` needs; never raises."""
    memo = _memo.get()
    known = memo.checked(doc) if memo is not None else None
    if known is not None:
        return known
    try:
        checked = _validate(doc)
    except Exception as error:  # the callers rely on "never raises"; still say what happened
        message = f"This journey could not be checked ({type(error).__name__})."
        checked = Checked((Problem(ERROR, "validator-crash", "$", message),))
    if memo is not None:
        memo.documents.append((doc, checked))
    return checked


def remember(doc: object, checked: Checked) -> None:
    """Tell the `values_unchanged()` block running (if any) what `doc` was found to have when
    its content was checked before (in another request): neither it nor its activities, which
    an edit of it shares, are checked again."""
    memo = _memo.get()
    if memo is None or memo.checked(doc) is not None:
        return
    memo.documents.append((doc, replace(checked, document=doc)))
    activities = doc.get("activities") if isinstance(doc, dict) else None
    if isinstance(activities, list) and len(activities) == len(checked.activities):
        for activity, found in zip(activities, checked.activities, strict=True):
            memo.activities.setdefault(id(activity), (activity, found))


class _Memo:
    """What one `values_unchanged()` block has checked, by object identity. It holds each
    object it remembers, so that no other object can take its id while the block runs."""

    def __init__(self) -> None:
        self.documents: list[tuple[object, Checked]] = []
        self.activities: dict[int, tuple[object, tuple[_Finding, ...]]] = {}

    def checked(self, doc: object) -> Checked | None:
        return next((found for seen, found in self.documents if seen is doc), None)


_memo: ContextVar[_Memo | None] = ContextVar("validation_memo", default=None)


@contextmanager
def values_unchanged() -> Iterator[None]:
    """Remember what is checked in this block by identity. Only for code that never changes a
    document or an activity in place once it was checked (the editor's requests: every edit
    returns a new document and shares the parts it did not change)."""
    token = _memo.set(_Memo())
    try:
        yield
    finally:
        _memo.reset(token)


def _validate(doc: object) -> Checked:
    if not isinstance(doc, dict):
        message = f"A journey must be a JSON object ({{...}}), but this is {_describe(doc)}."
        return Checked((Problem(ERROR, "not-a-journey", "$", message),))
    activities = doc.get("activities")
    if isinstance(activities, list):
        shell = {field: value for field, value in doc.items() if field != "activities"}
    else:
        shell = doc
    shell_findings = _schema_findings(_JOURNEY_VALIDATOR, shell, "The journey")
    problems = [
        Problem(severity, code, "$" + path, message)
        for severity, code, path, message in shell_findings
    ]
    listed = activities if isinstance(activities, list) else []
    found = tuple(_cached_findings(activity) for activity in listed)
    for index, (activity, findings) in enumerate(zip(listed, found, strict=True)):
        problems.extend(_activity_problems(activity, index, findings))
    problems.extend(_trigger_problems(doc.get("triggers")))
    problems.extend(_illegal_characters(doc))
    problems.extend(_filter_step_problems(doc))
    problems.extend(_filter_problems(doc))
    graph = _known_graph(listed)
    if graph is None:
        graph = tuple(_graph_problems(doc, listed)) if listed else ()
    problems.extend(graph)
    return Checked(tuple(problems), found, graph, doc)


def _known_graph(activities: list[Any]) -> tuple[Problem, ...] | None:
    """The graph problems of a document checked in this `values_unchanged()` block whose
    activities are, one by one, the same objects as `activities` or the same as far as the
    graph rules read them (keys, types, paths, names): what a field edit leaves unchanged."""
    memo = _memo.get()
    for _, checked in memo.documents if memo is not None else ():
        before = checked.document.get("activities") if isinstance(checked.document, dict) else None
        if not isinstance(before, list) or len(before) != len(activities) or not activities:
            continue
        if all(
            a is b or _graph_view(a) == _graph_view(b)
            for a, b in zip(activities, before, strict=True)
        ):
            return checked.graph
    return None


def _graph_view(activity: object) -> object:
    """What the graph rules (_graph_problems) read of an activity."""
    if not isinstance(activity, dict):
        return activity
    reference = _dig(activity, ("configurationArguments", "refActivityCustomerKey"))
    fields = (activity.get(field) for field in ("key", "type", "outcomes"))
    return (*fields, reference, activity_title(activity))


# --- shapes -------------------------------------------------------------------------------


def _schema_findings(validator: Draft7Validator, instance: object, subject: str) -> list[_Finding]:
    # Once each: an activity's shape and its type's rules both say a section is not an object.
    findings = (
        (
            ERROR,
            _schema_code(error),
            _path_text(error.absolute_path),
            _schema_message(error, subject),
        )
        for error in validator.iter_errors(instance)
    )
    return list(dict.fromkeys(findings))


def _schema_code(error: ValidationError) -> str:
    return "missing-field" if error.validator == "required" else "invalid-value"


def _path_text(parts: Iterable[object]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and _IDENTIFIER.fullmatch(part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return text


def _field_name(parts: Sequence[object], subject: str) -> str:
    if not parts:
        return subject
    last = parts[-1]
    if isinstance(last, int):
        owner = parts[-2] if len(parts) > 1 else "list"
        return f"Item {last + 1} of '{owner}'"
    return f"'{last}'"


def _schema_message(error: ValidationError, subject: str) -> str:
    field = _field_name(list(error.absolute_path), subject)
    keyword = str(error.validator)
    expected: Any = error.validator_value
    if keyword == "required":
        missing = error.message.split(" is a required property")[0].strip("'\"")
        return f"{field} needs a '{missing}' field."
    found = _describe(error.instance)
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if isinstance(description, str) and keyword in ("anyOf", "pattern", "type"):
        return f"{field} should be {description}, but it is {found}."
    if keyword == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        words = " or ".join(_TYPE_WORDS.get(name, name) for name in names)
        return f"{field} should be {words}, but it is {found}."
    if keyword in ("enum", "const"):
        values = expected if keyword == "enum" else [expected]
        allowed = ", ".join(json.dumps(value) for value in values)
        return f"{field} should be one of {allowed}, but it is {found}."
    return _bound_message(field, keyword, expected, found) or f"{field}: {error.message}."


def _bound_message(field: str, keyword: str, expected: Any, found: str) -> str | None:
    templates = {
        "minimum": f"{field} should be at least {expected}, but it is {found}.",
        "maximum": f"{field} should be at most {expected}, but it is {found}.",
        "minLength": f"{field} should not be empty.",
        "maxLength": f"{field} should be at most {expected} characters long.",
        "maxItems": f"{field} should be empty.",
        "pattern": f"{field} has an unexpected format: {found}.",
    }
    return templates.get(keyword)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


# --- one activity (cached) ----------------------------------------------------------------

_cache: dict[str, tuple[_Finding, ...]] = {}
_cache_lock = threading.Lock()


def _activity_problems(
    activity: object, index: int, findings: tuple[_Finding, ...]
) -> list[Problem]:
    key = activity.get("key") if isinstance(activity, dict) else None
    key = key if isinstance(key, str) else None
    prefix = f"$.activities[{index}]"
    return [
        Problem(severity, code, prefix + path, message, key)
        for severity, code, path, message in findings
    ]


def _cached_findings(activity: object) -> tuple[_Finding, ...]:
    memo = _memo.get()
    if memo is None:
        return _findings_by_text(activity)
    seen, found = memo.activities.get(id(activity), (None, ()))
    if seen is not activity:
        found = _findings_by_text(activity)
        memo.activities[id(activity)] = (activity, found)
    return found


def _findings_by_text(activity: object) -> tuple[_Finding, ...]:
    try:
        # repr is the cheapest exact serialisation (1.7x faster than canonical JSON here);
        # the same activity with its fields in another order is merely a cache miss.
        cache_key = repr(activity)
    except Exception:  # a value with a broken repr: check it, but do not remember
        return _activity_findings(activity)
    with _cache_lock:
        found = _cache.pop(cache_key, None)
    if found is None:
        found = _activity_findings(activity)
    with _cache_lock:
        _cache[cache_key] = found  # (re)inserted last: the dict's order is the LRU order
        if len(_cache) > _CACHE_SIZE:
            del _cache[next(iter(_cache))]
    return found


def _activity_findings(activity: object) -> tuple[_Finding, ...]:
    sfmc_type = activity.get("type") if isinstance(activity, dict) else None
    validator = _GENERIC_ACTIVITY_VALIDATOR
    if isinstance(sfmc_type, str):
        validator = _ACTIVITY_VALIDATORS.get(sfmc_type, validator)
    findings = _schema_findings(validator, activity, "The activity")
    if not isinstance(activity, dict):
        return tuple(findings)
    outcomes = activity.get("outcomes")
    outcomes = [o for o in outcomes if isinstance(o, dict)] if isinstance(outcomes, list) else []
    findings.extend(_duplicate_outcome_keys(outcomes))
    entry = type_of(activity)
    if entry is not None:
        findings.extend(_outcome_count(entry, activity, len(outcomes)))
        findings.extend(_required_fields(entry, activity))
        findings.extend(_split_rules(activity, outcomes))
    if not findings and _marked_unconfigured(activity):
        message = f"{activity_title(activity)} is marked as not configured yet in Journey Builder."
        findings.append((WARNING, "not-configured", ".metaData.isConfigured", message))
    return tuple(findings)


def _marked_unconfigured(activity: dict[str, Any]) -> bool:
    meta = activity.get("metaData")
    return isinstance(meta, dict) and meta.get("isConfigured") is False


def _duplicate_outcome_keys(outcomes: list[dict[str, Any]]) -> list[_Finding]:
    seen: set[str] = set()
    findings = []
    for index, outcome in enumerate(outcomes):
        key = outcome.get("key")
        if not isinstance(key, str):
            continue
        if key in seen:
            message = f"Two outcomes share the key {json.dumps(key)}; each path needs its own."
            findings.append((ERROR, "duplicate-outcome-key", f".outcomes[{index}].key", message))
        seen.add(key)
    return findings


def _outcome_count(entry: CatalogEntry, activity: dict[str, Any], count: int) -> list[_Finding]:
    low, high = entry.min_outcomes, entry.max_outcomes
    if low <= count <= high:
        return []
    if low == high:
        wanted = f"exactly {low} outcome{'s' if low > 1 else ''}"
    else:
        wanted = f"between {low} and {high} paths"
    message = f"{activity_title(activity)} needs {wanted}, but it has {count}."
    return [(ERROR, "outcome-count", ".outcomes", message)]


def _required_fields(entry: CatalogEntry, activity: dict[str, Any]) -> list[_Finding]:
    missing = [path for path in entry.required_fields if _is_empty(_dig(activity, path))]
    if not missing:
        return []
    needs = _and_list([_NEEDS.get(path[-1], path[-1]) for path in missing])
    path_text = _path_text(missing[0])
    name = activity_title(activity)
    if _marked_unconfigured(activity):
        message = f"{name} is not configured yet: it needs {needs}."
        return [(WARNING, "not-configured", path_text, message)]
    return [(ERROR, "missing-field", path_text, f"{name} needs {needs} before it can be pushed.")]


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _dig(node: object, path: Sequence[str]) -> object:
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _split_rules(activity: dict[str, Any], outcomes: list[dict[str, Any]]) -> list[_Finding]:
    if activity.get("type") in ("RANDOMSPLIT", "ABNTEST"):
        return _percentage_total(outcomes)
    if activity.get("type") == "MULTICRITERIADECISION":
        return _decision_criteria(activity, outcomes)
    return []


def _percentage_total(outcomes: list[dict[str, Any]]) -> list[_Finding]:
    shares = [_whole_number(_dig(outcome, ("arguments", "percentage"))) for outcome in outcomes]
    if any(share is None for share in shares):
        return []  # the schema already reports the share that is not a number
    total = sum(share for share in shares if share is not None)
    if total == 100:
        return []
    message = f"The path percentages add up to {total}, but they must add up to 100."
    return [(ERROR, "split-percentages", ".outcomes", message)]


def _whole_number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _decision_criteria(activity: dict[str, Any], outcomes: list[dict[str, Any]]) -> list[_Finding]:
    criteria = _dig(activity, ("configurationArguments", "criteria"))
    if not isinstance(criteria, dict) or not criteria:
        return []  # reported as a missing field
    findings: list[_Finding] = []
    keys = [outcome.get("key") for outcome in outcomes]
    if REMAINDER_PATH not in keys:
        message = "This decision split has no remainder path for contacts who match no path."
        findings.append((WARNING, "decision-no-remainder", ".outcomes", message))
    paths = {key for key in keys if key != REMAINDER_PATH}
    if paths != set(criteria):
        message = "The decision criteria do not match the split's paths one for one."
        findings.append((WARNING, "decision-criteria-mismatch", ".configurationArguments", message))
    for key, criterion in criteria.items():
        if isinstance(criterion, str) and not _CONDITION.search(criterion):
            message = f"Decision path {json.dumps(key)} has no condition yet."
            path = ".configurationArguments.criteria" + _path_text([key])
            findings.append((WARNING, "decision-path-without-condition", path, message))
    return findings


# --- filters ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _filter_facts(text: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], bool]:
    """A filter's issues (level, message), the attribute keys it reads, and whether it holds
    no condition at all (only groups); remembered by its text, as a journey's filters rarely
    change between two checks."""
    parsed = parse_filter(text)
    parts = dict(walk(parsed))
    # A part not understood is SFMC's own and is kept verbatim: said, but it blocks no push.
    issues = tuple(
        (WARNING if isinstance(parts.get(issue.path), Unknown) else issue.level, issue.message)
        for issue in filter_issues(parsed)
    )
    keys = tuple(item.key for item in parts.values() if isinstance(item, Condition))
    return issues, keys, not has_conditions(parsed)


def _filter_problems(doc: dict[str, Any]) -> list[Problem]:
    """What is wrong inside each filter (the builder's own checks: empty groups, missing
    values, operators that do not fit, parts not understood), and entry data it reads that
    the journey's entry source does not provide (a warning)."""
    problems = []
    entry_keys = entry_event_keys(doc)
    for place in filter_places(doc):
        if not place.text.strip():
            continue
        issues, keys, empty = _filter_facts(place.text)
        if empty and place.path[0] != "triggers":
            # "… has no condition yet" says it (decision paths, goals, exits): one message,
            # not a second one about each empty group.
            continue
        path = "$" + _path_text(place.path)
        for level, message in issues:
            severity = WARNING if level == WARNING else ERROR
            problems.append(
                Problem(severity, "filter", path, f"{place.title}: {message}", place.activity_key)
            )
        foreign = sorted({k for k in keys if entry_event_of(k) not in (None, *entry_keys)})
        if foreign and entry_keys:
            names = ", ".join(f"“{attribute_label(key)}”" for key in foreign)
            message = (
                f"{place.title}: {names} {'is' if len(foreign) == 1 else 'are'} not in this "
                "journey's entry data (another entry source's event)."
            )
            problems.append(
                Problem(WARNING, "filter-entry-data", path, message, place.activity_key)
            )
    return problems


# --- triggers and graph --------------------------------------------------------------------


# SFMC refuses these in a journey's name and description (sub-error 121072, "…contains illegal
# characters"; API notes §1.3, seen by third parties in 2026, none of the real journeys has one).
ILLEGAL_NAME_CHARACTERS = "&<>\"'/"


def _illegal_characters(doc: dict[str, Any]) -> list[Problem]:
    problems = []
    for field, word in (("name", "name"), ("description", "description")):
        value = doc.get(field)
        found = (
            sorted({c for c in value if c in ILLEGAL_NAME_CHARACTERS})
            if isinstance(value, str)
            else []
        )
        if found:
            shown = " ".join(found)
            message = f"SFMC refuses a journey {word} with {shown} in it (error 121072)."
            problems.append(Problem(ERROR, "illegal-characters", f"$.{field}", message))
    return problems


def _trigger_problems(triggers: object) -> list[Problem]:
    problems = []
    if isinstance(triggers, list) and len(triggers) > 1:
        message = f"A journey has one entry source; this one has {len(triggers)}."
        problems.append(Problem(ERROR, "trigger-count", "$.triggers", message))
    for index, trigger in enumerate(triggers if isinstance(triggers, list) else []):
        if not isinstance(trigger, dict):
            continue
        path = f"$.triggers[{index}]"
        if isinstance(trigger.get("outcomes"), list) and trigger["outcomes"]:
            message = "The entry source leads to the first activity by itself; it has no outcomes."
            problems.append(Problem(ERROR, "trigger-outcomes", path + ".outcomes", message))
        if needs_configuration(trigger):
            message = missing_configuration(trigger)
            problems.append(Problem(WARNING, "trigger-not-configured", path, message))
    return problems


def _filter_step_problems(doc: dict[str, Any]) -> list[Problem]:
    """A goal or exit criteria without a condition yet (as the editor's "Add" creates them)."""
    problems = []
    for section, message in (
        ("goals", "The goal has no condition yet: no contact can meet it."),
        ("exits", "The exit criteria have no condition yet: no contact leaves through them."),
    ):
        items = doc.get(section)
        for index, item in enumerate(items if isinstance(items, list) else []):
            criteria = _dig(item, ("configurationArguments", "criteria"))
            if isinstance(criteria, str) and not _CONDITION.search(criteria):
                path = f"$.{section}[{index}].configurationArguments.criteria"
                problems.append(Problem(WARNING, "filter-without-condition", path, message))
    return problems


def _graph_problems(doc: dict[str, Any], activities: list[Any]) -> list[Problem]:
    index: dict[str, int] = {}
    problems = []
    for position, activity in enumerate(activities):
        key = activity.get("key") if isinstance(activity, dict) else None
        if isinstance(key, str) and key in index:
            message = f"Two activities share the key {json.dumps(key)}; keys must be unique."
            path = f"$.activities[{position}].key"
            problems.append(Problem(ERROR, "duplicate-key", path, message, key))
        elif isinstance(key, str):
            index[key] = position
    if not index:
        return problems  # no activity has a usable key: the shapes are reported already
    graph = topology.JourneyGraph(doc)  # read once for every question below
    # Messages name the activities they are about (the Problem keeps the key, for links).
    titles = activity_titles(doc)
    problems.extend(_root_problems(graph, index, titles))
    problems.extend(_link_problems(graph, activities, index, titles))
    problems.extend(_engagement_problems(activities, index, titles))
    return problems


def _root_problems(
    graph: topology.JourneyGraph, index: dict[str, int], titles: dict[str, str]
) -> list[Problem]:
    roots = graph.roots()
    if len(roots) == 1:
        if index.get(roots[0]) == 0:
            return []
        start = title_of(roots[0], titles)
        message = f"The start activity {start} is not the first in the list, as SFMC keeps it."
        path = f"$.activities[{index.get(roots[0])}]"
        return [Problem(WARNING, "root-not-first", path, message, roots[0])]
    if roots:
        names = ", ".join(title_of(root, titles) for root in roots)
        message = f"A journey has one start activity, but {len(roots)} have no way in: {names}."
    else:
        message = "Every activity has a way in, so there is no start activity: the paths loop."
    return [Problem(ERROR, "root-count", "$.activities", message)]


def _link_problems(
    graph: topology.JourneyGraph,
    activities: list[Any],
    index: dict[str, int],
    titles: dict[str, str],
) -> list[Problem]:
    problems = []
    for key, outcome_key, target in graph.dangling_nexts():
        path = _outcome_path(activities, index[key], outcome_key) + ".next"
        message = f"A path of {title_of(key, titles)} leads to {title_of(target, titles)}."
        problems.append(Problem(ERROR, "dangling-next", path, message, key))
    for key in graph.unreachable():
        message = f"No path from the start leads to {title_of(key, titles)}."
        problems.append(Problem(ERROR, "unreachable", f"$.activities[{index[key]}]", message, key))
    for cycle in graph.cycles():
        loop = " → ".join(title_of(key, titles) for key in [*cycle, cycle[0]])
        message = f"These activities form a loop ({loop}); a journey must not loop."
        path = f"$.activities[{index[cycle[0]]}]"
        problems.append(Problem(ERROR, "cycle", path, message, cycle[0]))
    return problems


def _outcome_path(activities: list[Any], position: int, outcome_key: str) -> str:
    outcomes = activities[position].get("outcomes")
    for number, outcome in enumerate(outcomes if isinstance(outcomes, list) else []):
        key = outcome.get("key") if isinstance(outcome, dict) else None
        if key == outcome_key or (not isinstance(key, str) and str(number) == outcome_key):
            return f"$.activities[{position}].outcomes[{number}]"
    return f"$.activities[{position}].outcomes"


def _engagement_problems(
    activities: list[Any], index: dict[str, int], titles: dict[str, str]
) -> list[Problem]:
    problems = []
    for position, activity in enumerate(activities):
        if not isinstance(activity, dict) or activity.get("type") != "ENGAGEMENTDECISION":
            continue
        reference = _dig(activity, ("configurationArguments", "refActivityCustomerKey"))
        if not isinstance(reference, str) or not reference:
            continue
        target = index.get(reference)
        if target is not None and _dig(activities[target], ("type",)) == "EMAILV2":
            continue
        what = "" if target is None else ", which is not an email"
        message = f"This engagement split checks {title_of(reference, titles)}{what}."
        path = f"$.activities[{position}].configurationArguments.refActivityCustomerKey"
        key = activity.get("key")
        key = key if isinstance(key, str) else None
        problems.append(Problem(ERROR, "engagement-reference", path, message, key))
    return problems
