"""A stored document always opens, and an edit of a malformed one is refused, never a 500.

A draft may hold any JSON (an upload keeps what it was given; an old revision, a hand-edited
file). The editor, review, compare and panel pages draw whatever is stored, its odd parts as
problems in the validator's words; an edit of the graph on a malformed structure is refused
with a plain message and changes nothing.

The property tests replace random parts of the real SFMC journeys (../shared/fixtures/sfmc-real)
with random JSON values (number, true/false, null, text, list, object) and store the result as
a draft's newest revision. Bounded like tests/test_hostile_input.py: a few dozen examples each.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.domain import graph
from journeys.domain.catalog import ENTRIES
from journeys.domain.validate import validate
from journeys.models import Draft
from journeys.panel_forms import Target, panel_form_for
from journeys.services.drafts import create_draft_from_upload, save_revision
from tests.conftest import FIXTURES_DIR
from tests.factories import ConnectionFactory
from tests.test_hostile_input import (
    FUZZ,
    HTMX,
    JSON_VALUES,
    _as_posted,
    _snapshot,
    post_and_check,
)

# A few dozen examples each; ODD_DOCUMENT_EXAMPLES=500 for a deeper search by hand.
MUTATED = settings(FUZZ, max_examples=int(os.environ.get("ODD_DOCUMENT_EXAMPLES", "30")))
# The journeys among the fixtures (05 and 06 are list envelopes).
JOURNEY_FILES = sorted(
    path.name
    for path in FIXTURES_DIR.glob("*.json")
    if isinstance(json.loads(path.read_text("utf-8")).get("activities"), list)
)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def stored_as_draft(editor: Any, source: Path, document: Any) -> Draft:
    """The real journey uploaded (revision 1), then `document` saved as revision 2."""
    draft = create_draft_from_upload(editor, ConnectionFactory(), source.read_bytes()).draft
    return save_revision(editor, draft, document, expected_revision=1, summary="Stored as is")


def _replace(document: dict[str, Any], path: list[str | int], value: Any) -> None:
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


# Where a mutation starts: mostly in the parts the pages and edits read, sometimes anywhere.
SECTIONS = ["activities", "activities", "activities", "triggers", "goals", "exits"]


@st.composite
def mutated_journey(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A real journey with one to three of its parts (a journey field, an activity, its key, an
    outcome, a `next`, a section, at any depth) replaced by a random JSON value."""
    name = draw(st.sampled_from(JOURNEY_FILES))
    document = json.loads((FIXTURES_DIR / name).read_text("utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        first = draw(st.one_of(st.sampled_from(SECTIONS), st.sampled_from(sorted(document))))
        path: list[str | int] = [first]
        node: Any = document.get(first)
        # Walk down: each step goes one level deeper with probability 2/3.
        while isinstance(node, dict | list) and node and draw(st.integers(0, 2)):
            part: str | int = (
                draw(st.sampled_from(sorted(node)))
                if isinstance(node, dict)
                else draw(st.integers(0, len(node) - 1))
            )
            path.append(part)
            node = node[part]
        _replace(document, path, draw(JSON_VALUES))
    return name, document


def _keys(document: dict[str, Any]) -> list[str]:
    activities = document.get("activities")
    found = (
        [a.get("key") for a in activities if isinstance(a, dict)]
        if isinstance(activities, list)
        else []
    )
    return [key for key in found if isinstance(key, str)] or ["EMAILV2-1"]


def _page_urls(pk: int, selected: str) -> list[str]:
    editor = reverse("journeys:draft", args=[pk])
    compare = reverse("journeys:draft-compare", args=[pk])
    return [
        editor,
        f"{editor}?{urlencode({'select': selected})}",
        reverse("journeys:draft-review", args=[pk]),
        f"{compare}?a=rev:1&b=current",
        f"{compare}?a=current&b=rev:1",
    ]


# --- every page opens ----------------------------------------------------------------------


@MUTATED
@given(mutation=mutated_journey(), data=st.data())
def test_a_mutated_real_journey_opens_on_every_page(editor_client, editor, mutation, data):
    name, document = mutation
    targets = [f"activity:{key}" for key in _keys(document)] + [
        "trigger",
        "goal",
        "exit",
        "settings",
        "activity:",
    ]
    selected = data.draw(st.sampled_from(targets))
    with transaction.atomic():
        draft = stored_as_draft(editor, FIXTURES_DIR / name, document)
        for url in _page_urls(draft.pk, selected):
            assert editor_client.get(url).status_code == 200, url
        panel = reverse("journeys:draft-panel", args=[draft.pk])
        answer = editor_client.get(f"{panel}?{urlencode({'target': selected})}", headers=HTMX)
        assert answer.status_code == 200
        transaction.set_rollback(True)


# --- every edit is made or refused ---------------------------------------------------------


@MUTATED
@given(mutation=mutated_journey(), data=st.data())
def test_an_edit_of_a_mutated_real_journey_is_made_or_refused_and_a_refusal_changes_nothing(
    editor_client, editor, mutation, data
):
    name, document = mutation
    keys = _keys(document)
    key, other = data.draw(st.sampled_from(keys)), data.draw(st.sampled_from(keys))
    outcomes = graph.topology.outcome_links(document).get(key) or [("", None)]
    outcome_key = data.draw(st.sampled_from([o for o, _ in outcomes]))
    with transaction.atomic():
        draft = stored_as_draft(editor, FIXTURES_DIR / name, document)
        op = data.draw(
            st.sampled_from(["insert", "delete", "add-branch", "remove-branch", "relink", "panel"])
        )
        if op == "panel":
            target = data.draw(
                st.sampled_from([f"activity:{key}", "trigger", "goal", "exit", "settings"])
            )
            kind, _, target_key = target.partition(":")
            try:
                form = _as_posted(panel_form_for(document, Target(kind, target_key or None)))  # type: ignore[arg-type]
            except LookupError:
                form = {}
            form["revision"] = draft.revision_number
            url = (
                reverse("journeys:draft-panel", args=[draft.pk])
                + "?"
                + urlencode({"target": target})
            )
        else:
            form = {
                "op": op,
                "revision": draft.revision_number,
                "type_id": data.draw(st.sampled_from([e.type_id for e in ENTRIES])),
                "after": data.draw(st.sampled_from(["", key])),
                "key": key,
                "outcome_key": outcome_key,
                "keep_branch": data.draw(st.sampled_from(["", outcome_key])),
                "target": data.draw(st.sampled_from(["", other])),
            }
            url = reverse("journeys:draft-edit", args=[draft.pk])
        post_and_check(editor_client, url, form, draft.pk, data.draw(st.booleans()))
        transaction.set_rollback(True)


# --- the documents that answered 500 -------------------------------------------------------

DECISION_JOURNEY = "01-mcdev-api-multistep-decision-email-waits.json"
RANDOM_SPLIT_JOURNEY = "10-coh-random-and-decision-split.json"


def _real(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES_DIR / name).read_text("utf-8"))
    return document


def _activity(document: dict[str, Any], sfmc_type: str) -> dict[str, Any]:
    return next(a for a in document["activities"] if a["type"] == sfmc_type)


def _odd(name: str, edit: Any) -> tuple[str, dict[str, Any]]:
    document = _real(name)
    edit(document)
    return name, document


ODD_DOCUMENTS = {
    "goals is a number": (
        _odd(DECISION_JOURNEY, lambda d: d.update(goals=5)),
        "&#x27;goals&#x27; should be a list ([...]), but it is 5.",
    ),
    "outcomes is 1.5": (
        _odd(DECISION_JOURNEY, lambda d: d["activities"][1].update(outcomes=1.5)),
        "&#x27;outcomes&#x27; should be a list ([...]), but it is 1.5.",
    ),
    "outcomes is true": (
        _odd(DECISION_JOURNEY, lambda d: d["activities"][0].update(outcomes=True)),
        "&#x27;outcomes&#x27; should be a list ([...]), but it is true.",
    ),
    "an outcome is 1.5": (
        _odd(DECISION_JOURNEY, lambda d: d["activities"][0]["outcomes"].append(1.5)),
        "Item 3 of &#x27;outcomes&#x27; should be an object ({...}), but it is 1.5.",
    ),
    "an activity key is [null]": (
        _odd(DECISION_JOURNEY, lambda d: d["activities"][3].update(key=[None])),
        "&#x27;key&#x27; should be a non-empty text, but it is a list.",
    ),
    "configurationArguments is text": (
        _odd(
            DECISION_JOURNEY,
            lambda d: _activity(d, "MULTICRITERIADECISION").update(configurationArguments="x"),
        ),
        "&#x27;configurationArguments&#x27; should be an object ({...}), but it is the text",
    ),
}


@pytest.mark.parametrize("odd, says", ODD_DOCUMENTS.values(), ids=ODD_DOCUMENTS.keys())
def test_a_stored_odd_document_opens_and_its_odd_part_is_listed_as_a_problem(
    editor_client, editor, odd, says
):
    name, document = odd
    draft = stored_as_draft(editor, FIXTURES_DIR / name, document)
    for url in _page_urls(draft.pk, "activity:EMAILV2-1"):
        answer = editor_client.get(url)
        assert answer.status_code == 200, url
    editor_page = editor_client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    assert says in editor_page  # in the problem list (and on the card of its activity)


def test_an_activity_without_a_key_is_drawn_and_the_panels_open(editor_client, editor):
    name, document = _odd(DECISION_JOURNEY, lambda d: d["activities"][3].pop("key"))
    draft = stored_as_draft(editor, FIXTURES_DIR / name, document)
    for selected in ("activity:", "activity:EMAILV2-1", "activity:MULTICRITERIADECISIONV2-1"):
        url = reverse("journeys:draft", args=[draft.pk]) + "?" + urlencode({"select": selected})
        assert editor_client.get(url).status_code == 200, selected


def _refused(client: Client, draft: Draft, form: dict[str, Any]) -> str:
    before = _snapshot(draft.pk)
    answer = client.post(
        reverse("journeys:draft-edit", args=[draft.pk]),
        {"revision": draft.revision_number, **form},
        headers=HTMX,
    )
    assert answer.status_code == 409
    assert _snapshot(draft.pk) == before
    return answer.content.decode()


EDITS_OF_MALFORMED_GRAPHS = {
    "delete beside an activity keyed [null]": (
        _odd(DECISION_JOURNEY, lambda d: d["activities"][3].update(key=[None])),
        {"op": "delete", "key": "EMAILV2-1"},
        "&#x27;key&#x27; should be a non-empty text, but it is a list.",
    ),
    "add a branch to a split with an outcome 1.5": (
        _odd(RANDOM_SPLIT_JOURNEY, lambda d: _activity(d, "RANDOMSPLIT")["outcomes"].append(1.5)),
        {"op": "add-branch", "key": "RANDOMSPLITV2-1"},
        "should be an object ({...}), but it is 1.5.",
    ),
    "add a branch to a split whose outcome arguments are a list": (
        _odd(
            RANDOM_SPLIT_JOURNEY,
            lambda d: _activity(d, "RANDOMSPLIT")["outcomes"][0].update(arguments=[1]),
        ),
        {"op": "add-branch", "key": "RANDOMSPLITV2-1"},
        "&#x27;arguments&#x27; should be an object ({...}), but it is a list.",
    ),
    "add a path to a decision whose configurationArguments are text": (
        _odd(
            DECISION_JOURNEY,
            lambda d: _activity(d, "MULTICRITERIADECISION").update(configurationArguments="x"),
        ),
        {"op": "add-branch", "key": "MULTICRITERIADECISIONV2-1"},
        "&#x27;configurationArguments&#x27; should be an object ({...})",
    ),
    "add a path to a decision whose criteria are text": (
        _odd(
            DECISION_JOURNEY,
            lambda d: _activity(d, "MULTICRITERIADECISION")["configurationArguments"].update(
                criteria="x"
            ),
        ),
        {"op": "add-branch", "key": "MULTICRITERIADECISIONV2-1"},
        "&#x27;criteria&#x27; should be an object ({...})",
    ),
    "delete an activity whose next is a number": (
        _odd(DECISION_JOURNEY, lambda d: _activity(d, "EMAILV2")["outcomes"][0].update(next=7)),
        {"op": "delete", "key": "EMAILV2-1"},
        "&#x27;next&#x27; should be text or null, but it is 7.",
    ),
}


@pytest.mark.parametrize(
    "odd, form, says", EDITS_OF_MALFORMED_GRAPHS.values(), ids=EDITS_OF_MALFORMED_GRAPHS.keys()
)
def test_an_edit_of_a_malformed_graph_is_refused_in_plain_words_and_changes_nothing(
    editor_client, editor, odd, form, says
):
    name, document = odd
    draft = stored_as_draft(editor, FIXTURES_DIR / name, document)
    html = _refused(editor_client, draft, form)
    assert (
        "The canvas cannot change this journey&#x27;s paths while a part of it is malformed" in html
    )
    assert says in html


def test_deleting_the_start_whose_next_leads_nowhere_deletes_it():
    """The start's only path leads to a key no activity has (the validator reports it): the
    start is deleted, and there is nothing to move to the front in its place."""
    document = graph.new_journey("Dangling")
    document, key = graph.insert_activity(document, "EMAILV2", after=None)
    document["activities"][0]["outcomes"][0]["next"] = "NOWHERE-1"
    assert graph.delete_activity(document, key)["activities"] == []


def test_a_section_of_the_wrong_shape_is_one_problem_not_two():
    """The activity's shape and its type's rules both check `configurationArguments`."""
    document = _real(DECISION_JOURNEY)
    _activity(document, "EMAILV2")["configurationArguments"] = "x"
    said = [p.message for p in validate(document) if p.code == "invalid-value"]
    assert said == [
        "'configurationArguments' should be an object ({...}), but it is the text \"x\"."
    ]
