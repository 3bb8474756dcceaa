"""Goals, exit criteria and entry sources: the domain, the panel forms, the services, the views."""

from __future__ import annotations

import copy
import json
import re

import pytest
from django.urls import reverse

from journeys.canvas import build_canvas
from journeys.domain.document import load_journeys, minimal_journey
from journeys.domain.journey_items import (
    EMPTY_FILTER,
    entry_kind,
    entry_label,
    event_key_problem,
    needs_configuration,
    with_event_key,
)
from journeys.domain.validate import validate
from journeys.panel_forms import Target, panel_form_for
from journeys.services import editing
from journeys.services.drafts import create_draft_from_upload, create_new_journey, save_revision
from tests.factories import ConnectionFactory
from tests.test_panel_forms import CONDITION, applied, changed_paths, load, submit

HTMX = {"HX-Request": "true"}
API_KEY = "APIEvent-bb20a5d2-8d0d-1116-c91a-3631522fe5f6"


def codes(doc):
    return [p.code for p in validate(doc)]


def trigger_warnings(doc):
    return [p.message for p in validate(doc) if p.code == "trigger-not-configured"]


# --- domain -----------------------------------------------------------------------------------


def test_every_real_entry_source_has_a_known_kind_and_a_name_for_people(real_fixtures_dir):
    for path in sorted(real_fixtures_dir.glob("*.json")):
        for doc in load_journeys(json.loads(path.read_text(encoding="utf-8"))):
            for trigger in doc.get("triggers") or []:
                assert not entry_kind(trigger).label.startswith("Other"), path.name
                assert entry_label(trigger) != trigger["type"] or trigger["type"] == "Event"


def test_an_unconfigured_salesforce_entry_is_named_by_journey_builders_title(real_fixtures_dir):
    trigger = load(real_fixtures_dir, "16")["triggers"][0]
    assert entry_label(trigger) == "Salesforce Data"
    assert not entry_kind(trigger).configurable
    assert needs_configuration(trigger)


def test_an_unknown_entry_type_is_shown_as_such_and_never_configurable():
    kind = entry_kind({"type": "WebhookEntry"})
    assert kind.label == "Other entry source (WebhookEntry)" and not kind.configurable


def test_giving_an_event_key_configures_the_entry_and_drops_the_old_definition_id(
    real_fixtures_dir,
):
    trigger = load(real_fixtures_dir, "02")["triggers"][0]
    same = with_event_key(trigger, trigger["metaData"]["eventDefinitionKey"])
    assert same == trigger
    moved = with_event_key(trigger, API_KEY)
    assert moved["metaData"]["eventDefinitionKey"] == API_KEY
    assert "eventDefinitionId" not in moved["metaData"]
    assert "eventDefinitionId" in trigger["metaData"], "the input is not changed"
    unconfigured = minimal_journey("x")["triggers"][0]
    assert with_event_key(unconfigured, API_KEY)["metaData"]["configurationRequired"] is False


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Give the event definition key: without it no contact can enter."),
        ("APIEvent 1", "An event definition key cannot hold a space"),
        ('Event.{x}"', 'An event definition key cannot hold " . { }'),
    ],
)
def test_an_event_key_that_would_break_personalisation_is_refused(key, message):
    assert event_key_problem(key).startswith(message)
    assert event_key_problem(API_KEY) is None


# --- entry source panel -----------------------------------------------------------------------


def test_choosing_api_event_then_giving_its_key_clears_the_not_configured_warning():
    doc = minimal_journey("New", key="new")
    assert trigger_warnings(doc) == [
        "The entry source (Data extension) is not configured yet: give its event definition key "
        "(DEAudience-…)."
    ]

    chosen, summary = applied(doc, Target("trigger"), type="APIEvent")

    trigger = chosen["triggers"][0]
    assert trigger["type"] == "APIEvent" and trigger["key"] == "TRIGGER"
    assert trigger["metaData"]["entrySourceGroupConfigUrl"].endswith(
        "api-event/entrysourcegroupconfig.json"
    )
    assert summary.startswith("Entry source: type → API event")
    assert trigger_warnings(chosen) == [
        "The entry source (API event) is not configured yet: give its event definition key "
        "(APIEvent-…)."
    ]
    assert panel_form_for(doc, Target("trigger"), {"type": "APIEvent"}).is_valid()

    configured, summary = applied(chosen, Target("trigger"), eventDefinitionKey=API_KEY)

    assert trigger_warnings(configured) == []
    assert configured["triggers"][0]["metaData"]["eventDefinitionKey"] == API_KEY
    assert configured["triggers"][0]["metaData"]["configurationRequired"] is False
    assert summary == "Entry source: event definition key changed"


def test_a_type_chosen_with_its_key_and_schema_version_is_configured_in_one_save():
    doc = minimal_journey("New", key="new")
    new, _ = applied(
        doc, Target("trigger"), type="APIEvent", eventDefinitionKey=API_KEY, schemaVersionId="51"
    )
    trigger = new["triggers"][0]
    assert trigger["metaData"]["eventDefinitionKey"] == API_KEY
    assert trigger["configurationArguments"] == {"schemaVersionId": 51}
    assert trigger_warnings(new) == []


def test_switching_a_configured_entry_to_a_data_extension_drops_the_old_event(real_fixtures_dir):
    doc = load(real_fixtures_dir, "12")
    new, summary = applied(doc, Target("trigger"), type="EmailAudience")
    trigger = new["triggers"][0]
    assert trigger["name"] == doc["triggers"][0]["name"]
    assert trigger["metaData"]["title"] == "Data Extension"
    assert "eventDefinitionKey" not in trigger["metaData"]
    assert trigger["configurationArguments"] == {}
    assert "earlier configuration and filter replaced" in summary


def test_an_emptied_event_key_is_refused_and_nothing_is_written(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")
    before = copy.deepcopy(doc)
    form = submit(doc, Target("trigger"), eventDefinitionKey="")
    assert not form.is_valid()
    assert form.errors["eventDefinitionKey"] == [
        "Give the event definition key: without it no contact can enter."
    ]
    assert doc == before
    with pytest.raises(ValueError, match="Only a valid panel form"):
        form.apply(doc)


def test_an_unknown_entry_type_is_refused_with_a_clear_message(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")
    form = submit(doc, Target("trigger"), type="SalesforceObjectTriggerV2")
    assert not form.is_valid()
    assert form.errors["type"] == [
        "The editor sets up API event and data extension entry sources only; choose one of "
        "them (SalesforceObjectTriggerV2 is not one)."
    ]


def test_a_salesforce_entry_is_shown_as_imported_and_its_configuration_is_not_written(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "07")
    form = panel_form_for(doc, Target("trigger"))
    choices = dict(form.fields["type"].choices)
    assert choices["SalesforceObjectTriggerV2"] == "Salesforce data (as imported)"
    assert "set up in Journey Builder" in form.explanation
    assert form.fields["eventDefinitionKey"].disabled
    assert form.fields["otherConfiguration"].disabled

    new, summary = applied(
        doc, Target("trigger"), eventDefinitionKey="APIEvent-x", otherConfiguration="{}"
    )
    assert new == doc and summary == "No changes"


def test_an_unconfigured_salesforce_entry_is_replaced_by_a_configured_api_event(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "16")
    assert "trigger-not-configured" in codes(doc)
    # Its key is shown read-only until the type is one the editor sets up.
    chosen, _ = applied(doc, Target("trigger"), type="APIEvent", eventDefinitionKey=API_KEY)
    assert "eventDefinitionKey" not in chosen["triggers"][0]["metaData"]
    new, _ = applied(chosen, Target("trigger"), eventDefinitionKey=API_KEY)
    assert "trigger-not-configured" not in codes(new)
    assert new["triggers"][0]["metaData"]["configurationRequired"] is False


# --- settings ---------------------------------------------------------------------------------


def test_settings_turn_on_link_tracking_where_the_journey_had_none(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")  # defaults.properties is {}
    form = panel_form_for(doc, Target("settings"))
    assert form.initial["analyticsEnabled"] is False
    assert [legend for legend, _ in form.groups] == ["", "Journey defaults"]

    new, summary = applied(doc, Target("settings"), analyticsEnabled=True)

    assert new["defaults"]["properties"] == {
        "analyticsTracking": {"enabled": True, "analyticsType": "google", "urlDomainsToTrack": []}
    }
    assert new["defaults"]["email"] == doc["defaults"]["email"]
    assert summary == "Settings: track links with Google Analytics → yes"


def test_settings_edit_tracked_domains_and_refuse_what_is_not_a_domain(real_fixtures_dir):
    doc = load(real_fixtures_dir, "12")
    new, _ = applied(doc, Target("settings"), urlDomainsToTrack="shop.example.com\nexample.org")
    assert changed_paths(doc, new) == [
        ("defaults", "properties", "analyticsTracking", "urlDomainsToTrack")
    ]
    assert new["defaults"]["properties"]["analyticsTracking"]["urlDomainsToTrack"] == [
        "shop.example.com",
        "example.org",
    ]
    form = submit(doc, Target("settings"), urlDomainsToTrack="https://shop example")
    assert form.errors["urlDomainsToTrack"] == ["Not a domain name: https://shop example."]


def test_settings_show_an_entry_mode_journey_builder_left_unset(real_fixtures_dir):
    doc = load(real_fixtures_dir, "16")
    form = panel_form_for(doc, Target("settings"))
    assert form.initial["entryMode"] == "NotSet"
    new, summary = applied(doc, Target("settings"), entryMode="SingleEntryAcrossAllVersions")
    assert new["entryMode"] == "SingleEntryAcrossAllVersions"
    assert summary == "Settings: entry mode → Re-entry only after exiting"


# --- services: add, remove, undo --------------------------------------------------------------


@pytest.fixture
def connection(db):
    return ConnectionFactory()


def run(user, draft, op):
    draft.refresh_from_db()
    edit = editing.structural_edit(op, {"op": op})
    return editing.apply_edit(user, draft, edit, expected_revision=draft.revision_number)


def goal_problems(document):
    return [(p.severity, p.path, p.message) for p in validate(document) if "goals" in p.path]


def test_a_goal_card_says_whether_contacts_exit_when_they_meet_it(real_fixtures_dir):
    document = load(real_fixtures_dir, "14")
    assert document["goals"][0]["metaData"]["isExitCriteria"] is True
    staying = copy.deepcopy(document)
    staying["goals"][0]["metaData"]["isExitCriteria"] = False
    cards = {
        name: next(n for n in build_canvas(doc, []).nodes if n.kind == "goal")
        for name, doc in (("exit", document), ("stay", staying))
    }
    assert cards["exit"].type_label == "Exit when met"
    assert cards["exit"].type_text == "Goal · contacts who meet it leave the journey"
    assert cards["stay"].type_label == "Stay when met"
    assert cards["stay"].type_text == "Goal · contacts who meet it stay in the journey"


def test_adding_a_goal_makes_an_empty_one_the_validator_flags_and_undo_takes_it_back(
    editor, connection
):
    draft = create_new_journey(editor, connection, "Goals")
    result = run(editor, draft, "add-goal")
    goal = result.draft.document["goals"][0]
    assert (goal["key"], goal["name"], goal["type"]) == ("GOAL", "Goal", "Event")
    assert goal["configurationArguments"]["criteria"] == EMPTY_FILTER
    assert goal["metaData"]["isExitCriteria"] is False
    assert result.summary == "Added the goal"
    said_once = [
        (
            "warning",
            "$.goals[0].configurationArguments.criteria",
            "The goal has no condition yet: no contact can meet it.",
        )
    ]
    assert goal_problems(result.draft.document) == said_once
    # An empty group inside (the builder's "add group" not filled in yet) is no second message.
    nested = copy.deepcopy(result.draft.document)
    nested["goals"][0]["configurationArguments"]["criteria"] = EMPTY_FILTER.replace(
        "</ConditionSet>",
        '<ConditionSet Operator="OR" ConditionSetName="Individual Filter Grouping">'
        "</ConditionSet></ConditionSet>",
    )
    assert goal_problems(nested) == said_once

    with pytest.raises(editing.EditRefused, match="already has the goal"):
        run(editor, draft, "add-goal")

    undone = editing.undo(editor, result.draft, expected_revision=result.draft.revision_number)
    assert undone.draft.document["goals"] == []


def test_removing_exit_criteria_then_undo_brings_them_back(editor, connection, real_fixtures_dir):
    document = load(real_fixtures_dir, "14")
    draft = create_draft_from_upload(editor, connection, json.dumps(document).encode()).draft
    exits = copy.deepcopy(draft.document["exits"])

    removed = run(editor, draft, "remove-exit")

    assert removed.draft.document["exits"] == []
    assert removed.draft.document["goals"] == document["goals"]
    assert removed.summary == "Removed the exit criteria 'Should not be contacted'"
    with pytest.raises(editing.EditRefused, match="This journey has no exit criteria."):
        run(editor, draft, "remove-exit")
    undone = editing.undo(editor, removed.draft, expected_revision=removed.draft.revision_number)
    assert undone.draft.document["exits"] == exits


# --- views ------------------------------------------------------------------------------------


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def panel_url(draft, target):
    return reverse("journeys:draft-panel", args=[draft.pk]) + f"?target={target}"


def test_the_canvas_offers_add_buttons_until_the_goal_and_exit_exist(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Buttons")
    page = editor_client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    assert 'id="add-goal-button"' in page and 'id="add-exit-button"' in page
    assert "Entry source · Data extension" in page

    response = editor_client.post(
        reverse("journeys:draft-edit", args=[draft.pk]),
        {"op": "add-goal", "revision": draft.revision_number},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="journey-tools" class="journey-tools" role="toolbar"' in html
    assert 'id="add-goal-button"' not in html and 'id="add-exit-button"' in html
    assert 'data-select="goal"' in html  # the goal is on the canvas
    assert re.search(r'<h2 id="panel-title"[^>]*>Goal · Goal</h2>', html)  # its panel opens
    assert 'id="remove-confirm"' in html
    assert "The goal has no condition yet" in html


def test_a_read_only_viewer_gets_no_add_buttons(client, approver, editor, connection):
    draft = create_new_journey(editor, connection, "Viewer")
    client.force_login(approver)
    page = client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    assert 'id="add-goal-button"' not in page


def test_choosing_the_entry_type_redraws_the_panel_with_the_new_kind(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Entry")
    form = panel_form_for(draft.document, Target("trigger"))
    data = {name: form[name].value() or "" for name in ("name", "description", "criteria")}
    response = editor_client.post(
        panel_url(draft, "trigger"),
        {**data, "type": "APIEvent", "eventDefinitionKey": "", "revision": 1},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<aside id="panel"' in html  # the whole panel, not just its revision
    assert "POST /interaction/v1/events" in html
    assert "Entry source · API event" in html
    draft.refresh_from_db()
    assert draft.document["triggers"][0]["type"] == "APIEvent"


def test_a_bad_entry_type_posted_gets_a_message_and_saves_nothing(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Entry")
    response = editor_client.post(
        panel_url(draft, "trigger"),
        {"name": "TRIGGER", "type": "Nonsense", "revision": 1},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Nonsense is not one" in response.content.decode()
    draft.refresh_from_db()
    assert draft.revision_number == 1


def test_a_stale_entry_source_form_that_overlaps_is_refused_and_keeps_the_newer_change(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Stale")
    newer = copy.deepcopy(draft.document)
    newer["triggers"][0]["metaData"]["eventDefinitionKey"] = "DEAudience-theirs"
    draft = save_revision(editor, draft, newer, expected_revision=1, summary="other tab")

    response = editor_client.post(
        panel_url(draft, "trigger"),
        {
            "name": "TRIGGER",
            "type": "EmailAudience",
            "eventDefinitionKey": "DEAudience-mine",
            "revision": 1,
        },
        headers=HTMX,
    )

    assert response.status_code == 409
    assert "Someone changed this draft since you loaded it" in response.content.decode()
    draft.refresh_from_db()
    assert draft.revision_number == 2
    assert draft.document["triggers"][0]["metaData"]["eventDefinitionKey"] == "DEAudience-theirs"


def test_removing_the_goal_by_its_confirm_button_without_javascript(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Remove")
    draft = run(editor, draft, "add-goal").draft
    panel = editor_client.get(panel_url(draft, "goal"), headers=HTMX).content.decode()
    assert "Remove the goal “Goal” and its condition from this journey?" in panel

    response = editor_client.post(
        reverse("journeys:draft-edit", args=[draft.pk]),
        {"op": "remove-goal", "revision": draft.revision_number},
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.document["goals"] == []
    assert draft.revisions.get(number=draft.revision_number).summary == "Removed the goal 'Goal'"


def test_a_new_goal_gets_its_condition_in_the_panel_and_the_warning_goes(
    editor_client, editor, connection
):
    draft = run(editor, create_new_journey(editor, connection, "Goal"), "add-goal").draft
    response = editor_client.post(
        panel_url(draft, "goal"),
        {
            "name": "Bought",
            "criteria": CONDITION,
            "conversionUnit": "percentage",
            "revision": draft.revision_number,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.document["goals"][0]["name"] == "Bought"
    assert "filter-without-condition" not in codes(draft.document)


def test_giving_the_event_key_in_the_panel_clears_the_warning_in_the_kept_panel(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Entry")
    response = editor_client.post(
        panel_url(draft, "trigger"),
        {
            "name": "TRIGGER",
            "type": "EmailAudience",
            "eventDefinitionKey": "DEAudience-1",
            "revision": 1,
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<aside id="panel"' not in html  # the panel being typed in is kept ...
    # ... its problems redrawn
    assert '<div id="panel-problems" hx-swap-oob="true" data-panel-part>' in html
    assert "not configured yet" not in html
    draft.refresh_from_db()
    assert not needs_configuration(draft.document["triggers"][0])
