"""Changes of catalog ids in words: names (given by the caller) with the id on hover."""

from __future__ import annotations

import copy

from journeys.domain.catalog_changes import (
    CatalogWords,
    catalog_conflict_words,
    catalog_kind_at,
    catalog_value_words,
)
from journeys.domain.conditions import words_text
from journeys.domain.diff import diff

SENDERS = {"sp-1": "Northwind Marketing", "sp-2": "Northwind Support"}
NAMES = {
    "email": {"1101": "Welcome aboard", "1102": "Getting started tips"},
    "sender": SENDERS,
    "delivery": {"dp-1": "Default delivery"},
    "classification": {"sc-1": "Commercial", "sc-2": "Transactional"},
    "data_extension": {"de-1": "Loyalty members", "de-2": "Cart items"},
    "field": {"f-1": "Points", "f-2": "Last visit"},
    "event": {"APIEvent-1": "Signup", "APIEvent-2": "Purchase"},
}


def journey():
    send = {
        "emailId": 1101,
        "senderProfileId": "sp-1",
        "deliveryProfileId": "dp-1",
        "sendClassificationId": "sc-1",
    }
    rows = [{"dataExtensionId": "de-1", "field": "f-1", "value": 0}]
    return {
        "key": "j",
        "triggers": [{"key": "TRIGGER", "metaData": {"eventDefinitionKey": "APIEvent-1"}}],
        "activities": [
            {
                "key": "EMAILV2-1",
                "type": "EMAILV2",
                "configurationArguments": {"triggeredSend": send},
            },
            {
                "key": "DEUPDATE-1",
                "type": "DATAEXTENSIONUPDATE",
                "configurationArguments": {"dataExtensionId": "de-1", "field": "f-1"},
            },
            {
                "key": "UPDATECONTACTDATA-1",
                "type": "UPDATECONTACTDATA",
                "arguments": {"activityData": {"updateContactFields": rows}},
            },
        ],
    }


def changed(change):
    document = copy.deepcopy(journey())
    change(document)
    return document


def send_of(document):
    return document["activities"][0]["configurationArguments"]["triggeredSend"]


def test_a_changed_email_is_said_by_its_names_with_the_ids_on_hover():
    after = changed(lambda d: send_of(d).update(emailId=1102))

    (change,) = diff(journey(), after, names=NAMES).changes

    assert change.summary == "Email 'Welcome aboard' → 'Getting started tips'"
    named = [part for part in change.said if isinstance(part, CatalogWords)]
    assert named == [
        CatalogWords("Welcome aboard", "email 1101"),
        CatalogWords("Getting started tips", "email 1102"),
    ]
    assert change.activity_key == "EMAILV2-1" and change.kind == "field-changed"


def test_profiles_classifications_data_extensions_fields_and_events_are_named():
    def change(document):
        send_of(document).update(senderProfileId="sp-2", sendClassificationId="sc-2")
        del send_of(document)["deliveryProfileId"]
        document["activities"][1]["configurationArguments"].update(
            dataExtensionId="de-2", field="f-2"
        )
        document["triggers"][0]["metaData"]["eventDefinitionKey"] = "APIEvent-2"

    summaries = diff(journey(), changed(change), names=NAMES).summaries()

    assert summaries == [
        "Entry source: Entry event 'Signup' → 'Purchase'",
        "Sender profile 'Northwind Marketing' → 'Northwind Support'",
        "Send classification 'Commercial' → 'Transactional'",
        "Delivery profile removed (was 'Default delivery')",
        "Data extension 'Loyalty members' → 'Cart items'",
        "Data extension field 'Points' → 'Last visit'",
    ]


def test_an_id_the_names_lack_is_said_as_the_id():
    after = changed(lambda d: send_of(d).update(emailId=424242, senderProfileId=""))

    summaries = diff(journey(), after, names=NAMES).summaries()
    assert summaries == [
        "Email 'Welcome aboard' → 424242",
        "Sender profile removed (was 'Northwind Marketing')",
    ]
    assert diff(journey(), after).summaries()[0] == "Email 1101 → 424242"  # no names at all


def test_update_contact_rows_say_their_data_extension_and_fields_by_name():
    rows = [
        {"dataExtensionId": "de-1", "field": "f-1", "value": 5},
        {"dataExtensionId": "de-1", "field": "f-2", "value": "{{DateTime.Now}}"},
    ]
    after = changed(
        lambda d: d["activities"][2]["arguments"]["activityData"].update(updateContactFields=rows)
    )

    (change,) = diff(journey(), after, names=NAMES).changes

    assert change.summary == (
        "Contact data: sets in 'Loyalty members': 'Points' = 5, 'Last visit' = {{DateTime.Now}} "
        "(was in 'Loyalty members': 'Points' = 0)"
    )
    assert CatalogWords("Last visit", "data extension field f-2") in change.said


def test_a_conflict_over_a_catalog_id_is_said_by_name_on_each_side():
    path = ["activities", "EMAILV2-1", "configurationArguments", "triggeredSend", "emailId"]

    words = catalog_conflict_words(path, 1102, 7, 1101, NAMES)

    assert words is not None
    assert words_text(words) == (
        "Both sides changed the email of EMAILV2-1: your draft has 'Getting started tips', "
        "SFMC has 7 (was 'Welcome aboard')."
    )
    assert catalog_value_words(path, 1101, NAMES) == (
        "'",
        CatalogWords("Welcome aboard", "email 1101"),
        "'",
    )


def test_paths_without_catalog_ids_are_left_to_the_diffs_own_words():
    assert catalog_kind_at(("activities", "EMAILV2-1", "name")) is None
    assert catalog_kind_at(("triggers", "TRIGGER", "metaData", "other")) is None
    assert catalog_kind_at(("goals", "GOAL", "metaData", "eventDefinitionKey")) is None
    assert catalog_value_words(("activities", "A", "name"), "x", NAMES) == ()
    assert catalog_conflict_words(("activities", "A", "name"), "a", "b", "c", NAMES) is None
    after = changed(lambda d: d["activities"][0].update(description="Hello"))
    assert diff(journey(), after, names=NAMES).summaries() == ["Description changed"]
