"""Journeys that each break one rule of the simulated SFMC, made from the demo journeys.

SAVE_REFUSALS break a save rule (checks.py, checks_graph.py): the POST is refused with 10006.
PUBLISH_FAILURES save but cannot be published (checks_publish.py). ACCEPTED are the edge cases
that real journeys show to be fine. The cross-check in test_simulator_checks.py runs the editor's
own validator over all of them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from journeys.sfmc.simulator import demo

Journey = dict[str, Any]

# Shapes of the demo journeys the edits below rely on (demo.py):
#   welcome_series: EMAILV2-1 → WAITBYDURATION-1 → ENGAGEMENTSPLITV2-1 → EMAILV2-2 (end) | EMAILV2-3
#                   → WAITBYDURATION-2 (end)
#   birthday_offer: WAITBYATTRIBUTE-1 → MULTICRITERIADECISIONV2-1 (3 paths) → emails → UPDATECONTACT
#   cart_abandonment: WAITBYDURATION-1 → RANDOMSPLITV2-1 (50/50) → 2 emails
#   loyalty_sync: REST-1 → WAITBYDURATION-1 → UPDATECONTACTDATAV2-1


def edited(edit: Callable[[Journey], Any], build: Callable[[], Journey] = demo.welcome_series):
    """A builder: the demo journey with ``edit`` applied."""

    def build_edited() -> Journey:
        journey = build()
        edit(journey)
        return journey

    return build_edited


def with_fields(**fields: Any):
    return edited(lambda journey: journey.update(fields))


def step(journey: Journey, index: int) -> Journey:
    step: Journey = journey["activities"][index]
    return step


def config(journey: Journey, index: int) -> Journey:
    arguments: Journey = step(journey, index)["configurationArguments"]
    return arguments


def set_next(index: int, target: Any):
    return edited(lambda j: step(j, index)["outcomes"][0].update(next=target))


def _second_start(journey: Journey) -> None:
    journey["activities"].append({**copy.deepcopy(step(journey, 5)), "key": "WAITBYDURATION-9"})


def _second_trigger(journey: Journey) -> None:
    journey["triggers"].append({**journey["triggers"][0], "key": "TRIGGER-2"})


@dataclass(frozen=True)
class Refusal:
    build: Callable[[], Journey]
    errorcode: int
    says: str  # a part of the validationErrors[] message
    activity_key: str | None = None


SAVE_REFUSALS = {
    "name is not a string": Refusal(with_fields(name=42), 121003, "name must be a string"),
    "name is empty": Refusal(with_fields(name=""), 121001, "name is required"),
    "workflowApiVersion is text": Refusal(
        with_fields(workflowApiVersion="1.0"), 121003, "workflowApiVersion must be a number"
    ),
    "workflowApiVersion is 2": Refusal(
        with_fields(workflowApiVersion=2), 121003, "workflowApiVersion must be one of 0.5, 1"
    ),
    "unknown entryMode": Refusal(with_fields(entryMode="Sometimes"), 121003, "entryMode must be"),
    "unknown definitionType": Refusal(
        with_fields(definitionType="Oneshot"), 121003, "definitionType must be"
    ),
    "categoryId is text": Refusal(
        with_fields(categoryId="4242"), 121003, "categoryId must be an integer"
    ),
    "key is a number": Refusal(with_fields(key=5), 121002, "key must be a string"),
    "activities is an object": Refusal(
        with_fields(activities={}), 121003, "activities must be a list"
    ),
    "goals is an object": Refusal(with_fields(goals={}), 121003, "goals must be a list"),
    "defaults is a list": Refusal(with_fields(defaults=[]), 121003, "defaults must be an object"),
    "an activity is a string": Refusal(
        edited(lambda j: j["activities"].__setitem__(1, "WAIT")),
        121003,
        "activities[1] must be an object",
    ),
    "an activity has no key": Refusal(
        edited(lambda j: step(j, 1).pop("key")), 121001, "activities[1].key is required"
    ),
    "an activity has no type": Refusal(
        edited(lambda j: step(j, 1).pop("type")),
        121001,
        "activities[1].type is required",
        "WAITBYDURATION-1",
    ),
    "an outcome is a string": Refusal(
        edited(lambda j: step(j, 1).update(outcomes=["x"])),
        121003,
        "activities[1].outcomes[0] must be an object",
        "WAITBYDURATION-1",
    ),
    "a next is a number": Refusal(
        set_next(1, 7), 121003, "outcomes[0].next must be a string", "WAITBYDURATION-1"
    ),
    "arguments is a list": Refusal(
        edited(lambda j: step(j, 1).update(arguments=[])),
        121003,
        "activities[1].arguments must be an object",
        "WAITBYDURATION-1",
    ),
    "two entry sources": Refusal(edited(_second_trigger), 121000, "one entry source"),
    "illegal characters in the name": Refusal(
        with_fields(name="Tom & Jerry"), 121072, "Interaction Name contains illegal characters: &"
    ),
    "illegal characters in the description": Refusal(
        with_fields(description="a/b"), 121072, "Description contains illegal characters: /"
    ),
    "dangling next": Refusal(set_next(0, "NOWHERE-1"), 121000, "NOWHERE-1", "EMAILV2-1"),
    "an empty next": Refusal(set_next(5, ""), 121000, 'leads to ""', "WAITBYDURATION-2"),
    "duplicate activity keys": Refusal(
        edited(lambda j: step(j, 5).update(key="EMAILV2-3")),
        121000,
        "EMAILV2-3 is used by more than one activity",
        "EMAILV2-3",
    ),
    "a loop": Refusal(
        set_next(5, "EMAILV2-3"),
        121000,
        "EMAILV2-3 → WAITBYDURATION-2 → EMAILV2-3 form a loop",
        "EMAILV2-3",
    ),
    "an activity leading to itself": Refusal(
        set_next(5, "WAITBYDURATION-2"), 121000, "form a loop", "WAITBYDURATION-2"
    ),
    "a trigger with outcomes": Refusal(
        edited(lambda j: j["triggers"][0].update(outcomes=[{"key": "o", "next": "EMAILV2-1"}])),
        121000,
        "The entry source has outcomes",
        "TRIGGER",
    ),
    "two starts": Refusal(
        edited(_second_start), 121000, "WAITBYDURATION-9 has no predecessor", "WAITBYDURATION-9"
    ),
    "the start is not first": Refusal(
        edited(lambda j: j["activities"].append(j["activities"].pop(0))),
        121000,
        "The first activity, WAITBYDURATION-1, must be the start",
        "WAITBYDURATION-1",
    ),
}

# (errorCode, activityKey) of every publishStatus error, in order.
PUBLISH_FAILURES: dict[str, tuple[Callable[[], Journey], list[tuple[str, str]]]] = {
    "no event definition key": (
        edited(lambda j: j["triggers"][0]["metaData"].pop("eventDefinitionKey")),
        [("121500", "")],
    ),
    "no entry source": (with_fields(triggers=[]), [("121500", "")]),
    "no activities": (with_fields(activities=[]), [("121500", "")]),
    "default email of another event": (
        edited(lambda j: j["defaults"].update(email=['{{Event.DEAudience-other."Email"}}'])),
        [("121226", "")],
    ),
    "an email without triggeredSend": (
        edited(lambda j: config(j, 0).pop("triggeredSend")),
        [("121000", "EMAILV2-1")],
    ),
    "two emails without an email": (
        edited(lambda j: [config(j, i)["triggeredSend"].pop("emailId") for i in (0, 3)]),
        [("121000", "EMAILV2-1"), ("121000", "EMAILV2-2")],
    ),
    "a wait without duration": (
        edited(lambda j: config(j, 1).pop("waitDuration")),
        [("121000", "WAITBYDURATION-1")],
    ),
    "a wait of zero days": (
        edited(lambda j: config(j, 1).update(waitDuration=0)),
        [("121000", "WAITBYDURATION-1")],
    ),
    "a wait in an unknown unit": (
        edited(lambda j: config(j, 1).update(waitUnit="FORTNIGHTS")),
        [("121000", "WAITBYDURATION-1")],
    ),
    "a wait in months": (
        edited(lambda j: config(j, 1).update(waitUnit="MONTHS")),
        [("121000", "WAITBYDURATION-1")],
    ),
    "an engagement split naming no email": (
        edited(lambda j: config(j, 2).update(refActivityCustomerKey="EMAILV2-9")),
        [("121000", "ENGAGEMENTSPLITV2-1")],
    ),
    "a wait by attribute without the attribute": (
        edited(lambda j: config(j, 0).pop("waitEndDateAttributeExpression"), demo.birthday_offer),
        [("121000", "WAITBYATTRIBUTE-1")],
    ),
    "a decision path without criteria": (
        edited(lambda j: config(j, 1)["criteria"].pop("default_path_2"), demo.birthday_offer),
        [("121000", "MULTICRITERIADECISIONV2-1")],
    ),
    "a decision path with blank criteria": (
        edited(lambda j: config(j, 1)["criteria"].update(default_path_1=" "), demo.birthday_offer),
        [("121000", "MULTICRITERIADECISIONV2-1")],
    ),
    "a contact update that updates nothing": (
        edited(
            lambda j: step(j, 5)["arguments"]["activityData"].update(updateContactFields=[]),
            demo.birthday_offer,
        ),
        [("121000", "UPDATECONTACTDATAV2-1")],
    ),
    "random split percentages of 110": (
        edited(
            lambda j: step(j, 1)["outcomes"][0]["arguments"].update(percentage=60),
            demo.cart_abandonment,
        ),
        [("121000", "RANDOMSPLITV2-1")],
    ),
    "a random split path without percentage": (
        edited(
            lambda j: step(j, 1)["outcomes"][0]["arguments"].pop("percentage"),
            demo.cart_abandonment,
        ),
        [("121000", "RANDOMSPLITV2-1")],
    ),
    "a REST activity without its URL": (
        edited(lambda j: step(j, 0)["arguments"]["execute"].pop("url"), demo.loyalty_sync),
        [("121000", "REST-1")],
    ),
}


def _text_percentages(journey: Journey) -> None:
    for outcome in step(journey, 1)["outcomes"]:
        outcome["arguments"]["percentage"] = "50"


# Saved and published as they are: real journeys have text numbers (fixtures 15, 16, 19), and
# decisions without a "remainder_path" key (API notes §5.5).
ACCEPTED = {
    "a wait duration as text": edited(lambda j: config(j, 1).update(waitDuration="3")),
    "percentages as text": edited(_text_percentages, demo.cart_abandonment),
    "a decision without remainder_path": edited(
        lambda j: step(j, 1)["outcomes"][2].update(key="default_path_3"), demo.birthday_offer
    ),
}

# What the editor's validator finds only, and the simulator does not look at.
EDITOR_ONLY = {
    "a wait with two outcomes": edited(lambda j: step(j, 5)["outcomes"].append({"key": "more"})),
    "an engagement split with three outcomes": edited(
        lambda j: step(j, 2)["outcomes"].append({"key": "more"})
    ),
    "two outcomes with one key": edited(
        lambda j: step(j, 2)["outcomes"][1].update(key=step(j, 2)["outcomes"][0]["key"])
    ),
}
