from __future__ import annotations

import copy
import json

import pytest
from django import forms

from journeys.domain.catalog import BY_TYPE_ID, new_activity
from journeys.domain.document import load_journeys, minimal_journey
from journeys.domain.graph import insert_activity, set_field
from journeys.domain.validate import validate
from journeys.panel_forms import Target, panel_form_for
from journeys.panel_forms.activities import (
    CustomActivityForm,
    DataExtensionUpdateForm,
    EmailForm,
    SendTimeForm,
    SmsForm,
    UpdateContactForm,
    WaitByAttributeForm,
    WaitByDurationForm,
)
from journeys.panel_forms.base import value_at
from journeys.panel_forms.journey import ExitForm, GoalForm, SettingsForm, TriggerForm
from journeys.panel_forms.json_editor import JsonActivityForm
from journeys.panel_forms.splits import (
    CustomSplitForm,
    DecisionSplitForm,
    EngagementSplitForm,
    RandomSplitForm,
)

MISSING = object()


# --- helpers --------------------------------------------------------------------------------


def load(fixtures_dir, prefix):
    path = next(fixtures_dir.glob(f"{prefix}-*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def activity(doc, key):
    return next(a for a in doc["activities"] if a["key"] == key)


def browser_data(form):
    """What a browser submits for the form as rendered (disabled inputs are not sent)."""
    data = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def submit(doc, target, **changes):
    """The panel for `target` posted back with `changes` over what it showed."""
    data = browser_data(panel_form_for(doc, target))
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return panel_form_for(doc, target, data)


def applied(doc, target, **changes):
    """Submit, check it is valid, apply; the input is untouched and no error is new."""
    form = submit(doc, target, **changes)
    assert form.is_valid(), form.errors.as_data()
    before = copy.deepcopy(doc)
    new, summary = form.apply(doc)
    assert doc == before, "apply must not change its input"
    assert new_errors(doc, new) == []
    return new, summary


def changed_paths(old, new, path=()):
    """The leaf paths where two JSON values differ (types count: 1 is not True or "1")."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            found
            for key in [*old, *(k for k in new if k not in old)]
            for found in changed_paths(old.get(key, MISSING), new.get(key, MISSING), (*path, key))
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            found
            for index, (a, b) in enumerate(zip(old, new, strict=True))
            for found in changed_paths(a, b, (*path, index))
        ]
    same = type(old) is type(new) and old == new
    return [] if same else [path]


def where(doc, key):
    return ("activities", next(i for i, a in enumerate(doc["activities"]) if a["key"] == key))


def new_errors(before, after):
    seen = {(p.code, p.path, p.message) for p in validate(before) if p.severity == "error"}
    return [
        p
        for p in validate(after)
        if p.severity == "error" and (p.code, p.path, p.message) not in seen
    ]


def errors_of(doc, key):
    return [p for p in validate(doc) if p.activity_key == key and p.severity == "error"]


def journey_of(*activities):
    """A small valid journey whose activities follow each other in order."""
    doc = minimal_journey("Panel test", key="panel-test")
    items = [copy.deepcopy(a) for a in activities]
    for item, following in zip(items, items[1:], strict=False):
        item["outcomes"][0]["next"] = following["key"]
    doc["activities"] = items
    return doc


def all_form_targets(doc):
    targets = [Target("settings"), Target("goal"), Target("exit")]
    targets += [Target("activity", a["key"]) for a in doc.get("activities") or []]
    return [*targets, Target("trigger")] if doc.get("triggers") else targets


# --- finding the form -----------------------------------------------------------------------


def test_each_real_activity_type_gets_its_own_panel(real_fixtures_dir):
    expected = {
        ("01", "WAITBYDURATION-2"): WaitByDurationForm,
        ("21", "WAITBYATTRIBUTE-1"): WaitByAttributeForm,
        ("01", "EMAILV2-1"): EmailForm,
        ("07", "SMSSYNC-1"): SmsForm,
        ("01", "MULTICRITERIADECISIONV2-1"): DecisionSplitForm,
        ("10", "RANDOMSPLITV2-1"): RandomSplitForm,
        ("13", "ENGAGEMENTSPLITV2-1"): EngagementSplitForm,
        ("04", "UPDATECONTACTDATAV2-1"): UpdateContactForm,
        ("02", "DATAEXTENSIONUPDATE-1"): DataExtensionUpdateForm,
        ("08", "STOWAIT-1"): SendTimeForm,
        ("09", "REST-1"): CustomActivityForm,
        ("09", "REST-2"): CustomSplitForm,
        ("07", "SALESCLOUDACTIVITY-1"): JsonActivityForm,
        ("11", "ABNTEST-1"): JsonActivityForm,
        ("11", "ABNTESTSTOP-1"): JsonActivityForm,
    }
    for (prefix, key), form_class in expected.items():
        form = panel_form_for(load(real_fixtures_dir, prefix), Target("activity", key))
        assert type(form) is form_class, key
        assert list(form.fields)[:2] == ["name", "description"]


def test_journey_level_targets_get_their_panels(real_fixtures_dir):
    doc = load(real_fixtures_dir, "14")
    assert type(panel_form_for(doc, Target("trigger"))) is TriggerForm
    assert type(panel_form_for(doc, Target("goal"))) is GoalForm
    assert type(panel_form_for(doc, Target("exit", "EXITCRITERIA"))) is ExitForm
    assert type(panel_form_for(doc, Target("settings"))) is SettingsForm


def test_a_target_that_is_not_in_the_journey_raises_lookup_error(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    for target in (
        Target("activity", "EMAILV2-99"),
        Target("activity"),
        Target("goal", "GOAL"),
        Target("exit", "EXITCRITERIA"),
    ):
        with pytest.raises(LookupError):
            panel_form_for(doc, target)
    with pytest.raises(LookupError):
        panel_form_for({**doc, "triggers": []}, Target("trigger"))


def test_every_panel_of_every_real_journey_submitted_unchanged_changes_nothing(real_fixtures_dir):
    for path in sorted(real_fixtures_dir.glob("*.json")):
        for doc in load_journeys(json.loads(path.read_text(encoding="utf-8"))):
            text = json.dumps(doc)
            for target in all_form_targets(doc):
                form = submit(doc, target)
                assert form.is_valid(), (path.name, target, form.errors.as_data())
                assert form.changed_data == [], (path.name, target)
                new, summary = form.apply(doc)
                assert json.dumps(new) == text and new is not doc, (path.name, target)
                assert summary == "No changes"


def test_odd_values_saved_in_untouched_fields_do_not_block_saving_others(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    at = where(doc, "WAITBYDURATION-2")
    doc = set_field(doc, (*at, "configurationArguments", "waitDuration"), 0)
    doc = set_field(doc, (*at, "configurationArguments", "specifiedTime"), "9:00")

    new, summary = applied(doc, Target("activity", "WAITBYDURATION-2"), name="Cool down")

    assert changed_paths(doc, new) == [(*at, "name")]
    assert summary == "Name changed"
    retyped = submit(doc, Target("activity", "WAITBYDURATION-2"), specifiedTime="9:30")
    assert retyped.errors["specifiedTime"] == [
        "Enter a time as HH:MM on a 24-hour clock, e.g. 09:00."
    ]


def test_every_catalogue_activity_opens_a_panel_that_saves_unchanged_as_is():
    for type_id in BY_TYPE_ID:
        doc, key = insert_activity(minimal_journey("New", key="new"), type_id, after=None)
        form = submit(doc, Target("activity", key))
        assert form.is_valid(), (type_id, form.errors.as_data())
        assert form.apply(doc) == (doc, "No changes")


def test_line_endings_the_browser_changes_do_not_count_as_a_change(real_fixtures_dir):
    doc = load(real_fixtures_dir, "14")
    for saved in ("Unsubscribed\nor blocked", "Unsubscribed\r\nor blocked"):
        doc["exits"][0]["description"] = saved
        form = submit(doc, Target("exit"), description="Unsubscribed\r\nor blocked")
        assert form.is_valid() and form.changed_data == []
        assert form.apply(doc) == (doc, "No changes")


def test_apply_refuses_a_form_that_is_not_valid(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    form = submit(doc, Target("activity", "WAITBYDURATION-2"), waitDuration="0")
    assert not form.is_valid()
    with pytest.raises(ValueError):
        form.apply(doc)


def test_panels_come_with_titles_and_fieldsets_for_the_template(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    form = panel_form_for(doc, Target("activity", "MULTICRITERIADECISIONV2-1"))
    assert form.title == "Decision Split · MULTICRITERIADECISIONV2-1"
    legends = [group.legend for group in form.fieldsets]
    assert legends == ["", "Path 1", "Everyone else"]
    assert [bound.name for bound in form.fieldsets[1].fields] == ["path_1_label", "path_1_criteria"]
    assert all(group.together is None for group in form.fieldsets)
    assert panel_form_for(doc, Target("settings")).title == "Journey settings"


# --- waits ----------------------------------------------------------------------------------


def test_wait_by_duration_shows_the_wait_and_applies_a_new_duration(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    target = Target("activity", "WAITBYDURATION-2")
    form = panel_form_for(doc, target)
    assert form.initial["waitDuration"] == 1 and form.initial["waitUnit"] == "DAYS"
    assert form.title == "Wait by Duration · WAITBYDURATION-2"

    new, summary = applied(doc, target, waitDuration="3")

    assert summary == "Wait 1 day → 3 days"
    at = where(doc, "WAITBYDURATION-2")
    assert changed_paths(doc, new) == [(*at, "configurationArguments", "waitDuration")]
    assert activity(new, "WAITBYDURATION-2")["configurationArguments"]["waitDuration"] == 3


def test_a_wait_named_for_its_duration_follows_it_unless_renamed():
    doc, key = insert_activity(minimal_journey("Waits"), "WAITBYDURATION", after=None)
    target = Target("activity", key)
    assert activity(doc, key)["name"] == "Wait 1 day"
    assert panel_form_for(doc, target).title == "Wait by Duration · Wait 1 day"

    doc, _ = applied(doc, target, waitDuration="2")
    assert activity(doc, key)["name"] == "Wait 2 days"
    doc, _ = applied(doc, target, waitUnit="HOURS")
    assert activity(doc, key)["name"] == "Wait 2 hours"

    doc, _ = applied(doc, target, name="Cooling off", waitDuration="4")  # renamed in this save
    assert activity(doc, key)["name"] == "Cooling off"
    doc, _ = applied(doc, target, waitDuration="5")
    assert activity(doc, key)["name"] == "Cooling off"


def test_a_wait_stored_as_text_stays_text_when_changed(real_fixtures_dir):
    doc = load(real_fixtures_dir, "16")
    target = Target("activity", "WAITBYDURATION-2")
    assert panel_form_for(doc, target).initial["waitDuration"] == 3

    new, summary = applied(doc, target, waitDuration="5", waitUnit="HOURS")

    config = activity(new, "WAITBYDURATION-2")["configurationArguments"]
    assert config["waitDuration"] == "5" and config["waitUnit"] == "HOURS"
    assert summary == "Wait 3 days → 5 hours"


def test_extending_a_wait_to_a_time_of_day_needs_the_time_and_zone(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    target = Target("activity", "WAITBYDURATION-2")
    form = submit(doc, target, isExtended=True)
    assert not form.is_valid()
    assert form.errors["specifiedTime"] == ["Choose the time of day to wait until."]
    assert "timeZone" in form.errors
    assert not submit(doc, target, isExtended=True, specifiedTime="25:00", timeZone="X").is_valid()

    new, _ = applied(
        doc, target, isExtended=True, specifiedTime="09:30", timeZone="Central Standard Time"
    )
    wait = activity(new, "WAITBYDURATION-2")
    assert wait["metaData"]["isExtended"] is True
    assert wait["configurationArguments"]["specifiedTime"] == "09:30"


def test_a_wait_of_zero_or_no_number_is_refused_with_a_clear_error(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    target = Target("activity", "WAITBYDURATION-2")
    form = submit(doc, target, waitDuration="0")
    assert not form.is_valid()
    assert "greater than or equal to 1" in form.errors["waitDuration"][0]
    assert submit(doc, target, waitDuration="").errors["waitDuration"] == [
        "This field is required."
    ]


def test_wait_by_attribute_allows_a_negative_wait_before_the_date(real_fixtures_dir):
    doc = load(real_fixtures_dir, "21")
    target = Target("activity", "WAITBYATTRIBUTE-1")
    form = panel_form_for(doc, target)
    config = activity(doc, "WAITBYATTRIBUTE-1")["configurationArguments"]
    assert form.initial["waitDuration"] == -8
    assert (
        form.initial["waitEndDateAttributeExpression"] == config["waitEndDateAttributeExpression"]
    )
    assert form.initial["specifiedTime"] == "09:00" and form.initial["isExtended"] is True
    assert list(form.fields)[:3] == ["name", "description", "waitEndDateAttributeExpression"]

    new, summary = applied(doc, target, waitDuration="-7")

    assert summary == "Wait 8 days before the date → 7 days before the date"
    at = where(doc, "WAITBYATTRIBUTE-1")
    assert changed_paths(doc, new) == [(*at, "configurationArguments", "waitDuration")]


def test_a_new_wait_by_attribute_is_configured_once_its_date_is_given():
    doc, key = insert_activity(journey_of(), "WAITBYATTRIBUTE", after=None)
    target = Target("activity", key)
    assert activity(doc, key)["metaData"]["isConfigured"] is False

    new, _ = applied(doc, target, waitEndDateAttributeExpression='{{Event.E."Birthday"}}')

    assert activity(new, key)["metaData"]["isConfigured"] is True
    assert errors_of(new, key) == []


# --- email ----------------------------------------------------------------------------------


def test_email_panel_shows_the_triggered_send_and_changes_only_the_subject(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    target = Target("activity", "EMAILV2-1")
    send = activity(doc, "EMAILV2-1")["configurationArguments"]["triggeredSend"]
    form = panel_form_for(doc, target)
    for name in ("emailId", "emailSubject", "preHeader", "senderProfileId", "isTrackingClicks"):
        assert form.initial[name] == send[name]

    new, summary = applied(doc, target, emailSubject="Welcome aboard")

    assert summary == "Email subject changed"
    at = where(doc, "EMAILV2-1")
    path = (*at, "configurationArguments", "triggeredSend", "emailSubject")
    assert changed_paths(doc, new) == [path]


def test_choosing_the_email_of_an_unconfigured_email_activity_marks_it_configured(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "16")
    target = Target("activity", "EMAILV2-1")
    assert panel_form_for(doc, target).initial["emailId"] is None

    new, summary = applied(doc, target, emailId="39077", isTrackingClicks=True)

    email = activity(new, "EMAILV2-1")
    assert email["configurationArguments"]["triggeredSend"] == {
        "emailId": 39077,
        "isTrackingClicks": True,
    }
    assert email["metaData"]["isConfigured"] is True
    assert summary == "Email ID changed; track clicks → yes"
    assert [p for p in validate(new) if p.activity_key == "EMAILV2-1"] == []


def test_an_email_id_kept_as_text_stays_text():
    email = new_activity("EMAILV2", "EMAILV2-1", name="Hello")
    email["configurationArguments"]["triggeredSend"]["emailId"] = "123"
    doc = journey_of(email)

    new, _ = applied(doc, Target("activity", "EMAILV2-1"), emailId="456")

    assert activity(new, "EMAILV2-1")["configurationArguments"]["triggeredSend"]["emailId"] == "456"


def test_an_email_id_that_is_not_a_number_or_is_emptied_is_refused(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    target = Target("activity", "EMAILV2-1")
    assert submit(doc, target, emailId="welcome").errors["emailId"] == ["Enter a whole number."]
    emptied = submit(doc, target, emailId="")
    assert emptied.errors["emailId"] == ["This needs a value once it has one; enter one."]


def test_suppression_lists_are_edited_comma_separated(real_fixtures_dir):
    doc = load(real_fixtures_dir, "07")
    target = Target("activity", "EMAILV2-1")
    new, summary = applied(doc, target, suppressionLists="List A, List B ,")
    send = activity(new, "EMAILV2-1")["configurationArguments"]["triggeredSend"]
    assert send["suppressionLists"] == ["List A", "List B"]
    assert summary == "Suppression lists changed"


def test_suppression_lists_of_objects_are_edited_as_json_keeping_their_shape(real_fixtures_dir):
    doc = load(real_fixtures_dir, "07")
    lists = [{"id": 7, "name": "Do not mail"}]
    at = where(doc, "EMAILV2-1")
    doc = set_field(
        doc, (*at, "configurationArguments", "triggeredSend", "suppressionLists"), lists
    )
    target = Target("activity", "EMAILV2-1")
    form = panel_form_for(doc, target)
    assert json.loads(form["suppressionLists"].value()) == lists

    edited = json.dumps([*lists, {"id": 8, "name": "Staff"}])
    new, _ = applied(doc, target, suppressionLists=edited)
    send = activity(new, "EMAILV2-1")["configurationArguments"]["triggeredSend"]
    assert send["suppressionLists"][1] == {"id": 8, "name": "Staff"}
    assert not submit(doc, target, suppressionLists='{"id": 8}').is_valid()


# --- decision split -------------------------------------------------------------------------


CONDITION = (
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    '<Condition Key="Event.E.Country" Operator="Equal" UiMetaData="{}"><Value><![CDATA[NL]]>'
    "</Value></Condition></ConditionSet></FilterDefinition>"
)


def test_decision_split_shows_each_path_with_its_condition(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    split = activity(doc, "MULTICRITERIADECISIONV2-1")
    form = panel_form_for(doc, Target("activity", "MULTICRITERIADECISIONV2-1"))
    assert form.initial["path_1_label"] == "send message"
    assert (
        form.initial["path_1_criteria"]
        == split["configurationArguments"]["criteria"]["default_path_1"]
    )
    assert form.initial["remainder_label"] == ""  # saved as null
    assert "remainder_criteria" not in form.fields


def test_decision_split_applies_a_new_condition_and_path_name(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    target = Target("activity", "MULTICRITERIADECISIONV2-1")

    new, summary = applied(doc, target, path_1_label="Dutch", path_1_criteria=CONDITION)

    at = where(doc, "MULTICRITERIADECISIONV2-1")
    assert sorted(changed_paths(doc, new)) == [
        (*at, "configurationArguments", "criteria", "default_path_1"),
        (*at, "outcomes", 0, "metaData", "criteriaDescription"),  # SFMC's copy, said anew
        (*at, "outcomes", 0, "metaData", "label"),
    ]
    assert summary == "Path 1 name → “Dutch”; path 1 condition → Country (entry data) equals NL"
    assert value_at(new, (*at, "outcomes", 0, "metaData", "criteriaDescription")) == (
        "Country (entry data) equals NL"
    )


def test_decision_split_refuses_a_condition_that_is_not_well_formed_xml(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    target = Target("activity", "MULTICRITERIADECISIONV2-1")
    form = submit(
        doc, target, path_1_criteria="<FilterDefinition><ConditionSet></FilterDefinition>"
    )
    assert not form.is_valid()
    message = form.errors["path_1_criteria"][0]
    assert message.startswith("This filter is not well-formed XML: <ConditionSet> is closed by")
    other_root = submit(doc, target, path_1_criteria="<Filter/>")
    assert other_root.errors["path_1_criteria"] == [
        "A filter must be a <FilterDefinition>, not <Filter>."
    ]


def test_an_unconfigured_decision_split_is_configured_once_every_path_has_a_condition(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "16")
    target = Target("activity", "MULTICRITERIADECISIONV2-1")
    assert panel_form_for(doc, target).initial["path_1_criteria"] == ""

    new, _ = applied(doc, target, path_1_criteria=CONDITION)

    split = activity(new, "MULTICRITERIADECISIONV2-1")
    assert split["configurationArguments"]["criteria"] == {"default_path_1": CONDITION}
    assert split["metaData"]["isConfigured"] is True
    assert [p for p in validate(new) if p.activity_key == "MULTICRITERIADECISIONV2-1"] == []


# --- random split ---------------------------------------------------------------------------


def test_random_split_shows_names_and_shares(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    form = panel_form_for(doc, Target("activity", "RANDOMSPLITV2-1"))
    assert [form.initial[f"path_{n}_percentage"] for n in range(1, 6)] == [20] * 5
    assert form.initial["path_3_name"] == "Path 3"


def test_random_split_applies_new_shares_with_their_labels(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    target = Target("activity", "RANDOMSPLITV2-1")

    new, summary = applied(
        doc, target, path_1_percentage="30", path_2_percentage="10", path_1_name="Control"
    )

    at = where(doc, "RANDOMSPLITV2-1")
    assert sorted(changed_paths(doc, new)) == [
        (*at, "outcomes", 0, "arguments", "percentage"),
        (*at, "outcomes", 0, "metaData", "label"),
        (*at, "outcomes", 0, "metaData", "name"),
        (*at, "outcomes", 1, "arguments", "percentage"),
        (*at, "outcomes", 1, "metaData", "label"),
    ]
    outcomes = activity(new, "RANDOMSPLITV2-1")["outcomes"]
    assert outcomes[0]["metaData"] == {"label": "30%", "name": "Control", "invalid": False}
    assert summary == "Path 1 name → “Control”; path 1 20% → 30%; path 2 20% → 10%"


def test_random_split_shares_must_add_up_to_100(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    form = submit(doc, Target("activity", "RANDOMSPLITV2-1"), path_1_percentage="10")
    assert not form.is_valid()
    assert form.non_field_errors() == ["The percentages add up to 90; they must add up to 100."]
    too_big = submit(doc, Target("activity", "RANDOMSPLITV2-1"), path_1_percentage="100")
    assert "path_1_percentage" in too_big.errors


def test_random_split_shares_are_one_group_saved_together_and_a_refusal_says_what_is_kept(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "10")
    form = panel_form_for(doc, Target("activity", "RANDOMSPLITV2-1"))
    shares = next(group for group in form.fieldsets if group.together)
    assert [bound.name for bound in shares.fields] == [f"path_{n}_percentage" for n in range(1, 6)]
    assert shares.together is not None and shares.together.total == 100
    assert all(note == "" for _, note in shares.rows)  # nothing refused yet

    refused = submit(doc, Target("activity", "RANDOMSPLITV2-1"), path_1_percentage="30")
    assert not refused.is_valid()
    notes = {bound.name: note for group in refused.fieldsets for bound, note in group.rows}
    assert notes["path_1_percentage"] == "Not saved: the journey still has “20”."
    assert notes["path_2_percentage"] == ""  # left alone: nothing to say


def test_a_wait_saves_its_number_and_unit_together(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    form = panel_form_for(doc, Target("activity", "WAITBYDURATION-2"))
    together = [group for group in form.fieldsets if group.together]
    assert [[bound.name for bound in group.fields] for group in together] == [
        ["waitDuration", "waitUnit"]
    ]
    assert together[0].together is not None and together[0].together.total is None
    names = [bound.name for group in form.fieldsets for bound in group.fields]
    assert sorted(names) == sorted(form.fields)  # every field drawn once


def test_random_split_shares_saved_as_text_stay_text(real_fixtures_dir):
    doc = load(real_fixtures_dir, "15")
    target = Target("activity", "RANDOMSPLITV2-1")
    form = panel_form_for(doc, target)
    first, second = (form.initial[f"path_{n}_percentage"] for n in (1, 2))

    new, _ = applied(
        doc, target, path_1_percentage=str(first + 5), path_2_percentage=str(second - 5)
    )

    outcomes = activity(new, "RANDOMSPLITV2-1")["outcomes"]
    assert outcomes[0]["arguments"]["percentage"] == str(first + 5)
    assert outcomes[0]["metaData"]["label"] == f"{first + 5}%"


# --- engagement split -----------------------------------------------------------------------


def test_engagement_split_offers_the_journeys_emails_by_name(real_fixtures_dir):
    doc = load(real_fixtures_dir, "13")
    form = panel_form_for(doc, Target("activity", "ENGAGEMENTSPLITV2-1"))
    email = activity(doc, "EMAILV2-1")
    assert form.fields["refActivityCustomerKey"].choices == [
        ("EMAILV2-1", f"{email['name']} (EMAILV2-1)")
    ]
    assert form.initial["refActivityCustomerKey"] == "EMAILV2-1"
    assert form.initial["statsTypeId"] == 6  # "Bounce RMT Abandoner Email"
    assert form["statsTypeId"].value() == 6


def test_engagement_split_can_check_clicks_on_given_links(real_fixtures_dir):
    doc = load(real_fixtures_dir, "13")
    target = Target("activity", "ENGAGEMENTSPLITV2-1")

    new, summary = applied(
        doc, target, statsTypeId="3", engagementUrls="https://a.example/1\r\nhttps://a.example/2"
    )

    config = activity(new, "ENGAGEMENTSPLITV2-1")["configurationArguments"]
    assert config["statsTypeId"] == 3
    assert config["engagementUrls"] == {"urls": ["https://a.example/1", "https://a.example/2"]}
    assert summary == "Contacts who → Clicked a link; only these links changed"


def test_engagement_split_refuses_links_unless_it_checks_clicks(real_fixtures_dir):
    doc = load(real_fixtures_dir, "13")
    form = submit(doc, Target("activity", "ENGAGEMENTSPLITV2-1"), engagementUrls="https://a.b")
    assert form.errors["engagementUrls"] == ["Links only apply when the split checks clicks."]


def test_engagement_split_pointed_at_another_email_follows_it_everywhere(real_fixtures_dir):
    doc, key = insert_activity(load(real_fixtures_dir, "13"), "EMAILV2", after="EMAILV2-1")
    doc = set_field(doc, (*where(doc, key), "name"), "Reminder")
    target = Target("activity", "ENGAGEMENTSPLITV2-1")

    new, summary = applied(doc, target, refActivityCustomerKey=key)

    split = activity(new, "ENGAGEMENTSPLITV2-1")
    assert split["configurationArguments"]["refActivityCustomerKey"] == key
    assert split["arguments"]["requestId"] == f"{{{{Interaction.{key}.RequestID}}}}"
    assert split["arguments"]["messageKey"] == f"{{{{Interaction.{key}.MessageKey}}}}"
    assert split["metaData"]["refActivityName"] == "Reminder"
    assert split["configurationArguments"]["triggeredSendId"] == ""
    assert summary == f"Email to check → Reminder ({key})"


# --- customer updates -----------------------------------------------------------------------


def test_update_contact_shows_field_value_lines(real_fixtures_dir):
    doc = load(real_fixtures_dir, "08")
    rows = activity(doc, "UPDATECONTACTDATAV2-2")["arguments"]["activityData"][
        "updateContactFields"
    ]
    form = panel_form_for(doc, Target("activity", "UPDATECONTACTDATAV2-2"))
    assert form.initial["dataExtensionId"] == rows[0]["dataExtensionId"]
    assert form["updateContactFields"].value() == (
        f"{rows[0]['field']} = 0\n{rows[1]['field']} = {{{{DateTime.Now}}}}"
    )


def test_update_contact_adds_a_row_and_keeps_untouched_rows_as_they_were(real_fixtures_dir):
    doc = load(real_fixtures_dir, "08")
    target = Target("activity", "UPDATECONTACTDATAV2-2")
    text = panel_form_for(doc, target)["updateContactFields"].value()

    new, summary = applied(doc, target, updateContactFields=text + "\r\nStatus = Lapsed = yes")

    old_rows = activity(doc, "UPDATECONTACTDATAV2-2")["arguments"]["activityData"][
        "updateContactFields"
    ]
    rows = activity(new, "UPDATECONTACTDATAV2-2")["arguments"]["activityData"][
        "updateContactFields"
    ]
    assert rows[:2] == old_rows and rows[0]["value"] == 0
    assert rows[2] == {
        "dataExtensionId": old_rows[0]["dataExtensionId"],
        "field": "Status",
        "value": "Lapsed = yes",
    }
    assert summary == "Fields to set changed"


def test_update_contact_refuses_a_line_without_equals_sign(real_fixtures_dir):
    doc = load(real_fixtures_dir, "04")
    target = Target("activity", "UPDATECONTACTDATAV2-1")
    form = submit(doc, target, updateContactFields="Email = x\nStatus")
    assert form.errors["updateContactFields"] == ["Line 2: write it as field = value."]


def test_update_contact_moved_to_another_data_extension_moves_every_row(real_fixtures_dir):
    doc = load(real_fixtures_dir, "12")
    target = Target("activity", "UPDATECONTACTDATAV2-1")
    new, _ = applied(doc, target, dataExtensionId="de-2")
    rows = activity(new, "UPDATECONTACTDATAV2-1")["arguments"]["activityData"][
        "updateContactFields"
    ]
    assert {row["dataExtensionId"] for row in rows} == {"de-2"}
    assert len(changed_paths(doc, new)) == len(rows)


def test_a_new_update_contact_needs_its_data_extension_and_becomes_configured():
    doc, key = insert_activity(journey_of(), "UPDATECONTACTDATAV2", after=None)
    target = Target("activity", key)
    missing = submit(doc, target, updateContactFields="Status = Active")
    assert missing.errors["dataExtensionId"] == ["Say which data extension these fields belong to."]

    new, _ = applied(doc, target, dataExtensionId="de-1", updateContactFields="Status = Active")

    update = activity(new, key)
    assert update["arguments"]["activityData"]["updateContactFields"] == [
        {"dataExtensionId": "de-1", "field": "Status", "value": "Active"}
    ]
    assert update["metaData"]["isConfigured"] is True
    assert errors_of(new, key) == []


def test_data_extension_update_sets_its_value(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")
    target = Target("activity", "DATAEXTENSIONUPDATE-1")
    form = panel_form_for(doc, target)
    assert form.initial["value"] == "{{DateTime.Now}}"
    assert form.initial["field"] == "4e875b26-0317-4525-bfa0-50c8d1b7a7b5"

    new, summary = applied(doc, target, value="Confirmed")

    at = where(doc, "DATAEXTENSIONUPDATE-1")
    assert changed_paths(doc, new) == [(*at, "arguments", "value")]
    assert summary == "Value changed"


# --- messages and flow ----------------------------------------------------------------------


def test_sms_panel_edits_the_sender_and_keeps_the_asset_number(real_fixtures_dir):
    doc = load(real_fixtures_dir, "07")
    target = Target("activity", "SMSSYNC-1")
    form = panel_form_for(doc, target)
    assert form.initial["messageId"] == "MTUyMTo2MjU6MA"
    assert form.initial["assetId"] == 52287 and form.initial["isOptIn"] is True

    new, summary = applied(doc, target, fromName="GREENPEACE", isOptIn=False)

    at = where(doc, "SMSSYNC-1")
    assert sorted(changed_paths(doc, new)) == [
        (*at, "configurationArguments", "fromName"),
        (*at, "configurationArguments", "isOptIn"),
    ]
    assert summary == "From name changed; opt-in message → no"


def test_an_sms_whose_message_is_cleared_becomes_not_configured_yet(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")
    new, _ = applied(doc, Target("activity", "SMSSYNC-1"), messageId="")
    sms = activity(new, "SMSSYNC-1")
    assert sms["configurationArguments"]["messageId"] == ""
    assert sms["metaData"]["isConfigured"] is False
    assert [p.code for p in validate(new) if p.activity_key == "SMSSYNC-1"] == ["not-configured"]


def test_send_time_optimisation_window_is_edited_in_hours(real_fixtures_dir):
    doc = load(real_fixtures_dir, "08")
    target = Target("activity", "STOWAIT-1")
    assert panel_form_for(doc, target).initial["slidingWindowHours"] == 24

    new, summary = applied(doc, target, slidingWindowHours="12")

    at = where(doc, "STOWAIT-1")
    assert changed_paths(doc, new) == [
        (*at, "configurationArguments", "params", "slidingWindowHours")
    ]
    assert summary == "Send within (hours) 24 → 12"
    assert "slidingWindowHours" in submit(doc, target, slidingWindowHours="0").errors


# --- custom activities ----------------------------------------------------------------------


def test_custom_activity_edits_its_url_timeout_and_input_arguments(real_fixtures_dir):
    doc = load(real_fixtures_dir, "09")
    target = Target("activity", "REST-1")
    form = panel_form_for(doc, target)
    assert form.initial["timeout"] == 10000
    assert json.loads(form["inArguments"].value()) == [{"discount": "15"}]

    new, summary = applied(doc, target, timeout="20000", inArguments='[{"discount": "20"}]')

    execute = activity(new, "REST-1")["arguments"]["execute"]
    assert execute["timeout"] == 20000 and execute["inArguments"] == [{"discount": "20"}]
    at = where(doc, "REST-1")
    assert sorted(changed_paths(doc, new)) == [
        (*at, "arguments", "execute", "inArguments", 0, "discount"),
        (*at, "arguments", "execute", "timeout"),
    ]
    assert summary == "Timeout (ms) 10000 → 20000; input arguments (JSON) changed"


def test_custom_activity_input_arguments_must_be_a_json_list(real_fixtures_dir):
    doc = load(real_fixtures_dir, "09")
    target = Target("activity", "REST-1")
    not_a_list = submit(doc, target, inArguments='{"discount": "20"}')
    assert not_a_list.errors["inArguments"] == ["inArguments: this must be a list ([...])."]
    broken = submit(doc, target, inArguments='[\n  {"discount": "20"\n  "x": 1}\n]')
    assert broken.errors["inArguments"] == [
        "inArguments: Expecting ',' delimiter at line 3, column 3"
    ]
    assert "url" in submit(doc, target, url="not a url").errors


def test_custom_split_renames_its_paths(real_fixtures_dir):
    doc = load(real_fixtures_dir, "09")
    target = Target("activity", "REST-2")
    form = panel_form_for(doc, target)
    assert form.initial["path_2_label"] == "Viewed Item"
    assert "'viewed_item'" in form.fields["path_2_label"].help_text

    new, summary = applied(doc, target, path_2_label="Looked at it")

    at = where(doc, "REST-2")
    assert changed_paths(doc, new) == [(*at, "outcomes", 1, "metaData", "label")]
    assert summary == "Path 2 name → “Looked at it”"


# --- JSON editor ----------------------------------------------------------------------------


def _unknown_activity_journey(real_fixtures_dir):
    """Fixture 01 with its email turned into a type the catalogue does not know."""
    doc = load(real_fixtures_dir, "01")
    email = activity(doc, "EMAILV2-1")
    email["type"] = "PUSHNOTIFICATION"
    email["configurationArguments"]["nested"] = {"z": 1.0, "a": [True, None, "ü"]}
    return doc


def test_json_editor_leaves_an_unknown_activity_byte_identical_when_unchanged(real_fixtures_dir):
    doc = _unknown_activity_journey(real_fixtures_dir)
    text = json.dumps(doc, ensure_ascii=False)
    form = submit(doc, Target("activity", "EMAILV2-1"))
    assert type(form) is JsonActivityForm
    assert form.title == "Activity PUSHNOTIFICATION · my custom activity name"
    assert form.title_hint == "EMAILV2-1"

    new, summary = form.apply(doc)

    assert json.dumps(new, ensure_ascii=False) == text
    assert summary == "No changes"


def test_json_editor_applies_exactly_what_the_user_typed(real_fixtures_dir):
    doc = _unknown_activity_journey(real_fixtures_dir)
    target = Target("activity", "EMAILV2-1")
    config = json.loads(panel_form_for(doc, target)["configurationArguments"].value())
    config["nested"]["z"] = 2

    new, summary = applied(doc, target, configurationArguments=json.dumps(config))

    at = where(doc, "EMAILV2-1")
    assert changed_paths(doc, new) == [(*at, "configurationArguments", "nested", "z")]
    assert summary == "Configuration arguments (JSON) changed"


def test_json_editor_names_the_section_line_and_column_of_a_syntax_error(real_fixtures_dir):
    doc = load(real_fixtures_dir, "07")
    form = submit(
        doc, Target("activity", "SALESCLOUDACTIVITY-1"), arguments='{\n  "a": 1\n  "b": 2\n}'
    )
    assert form.errors["arguments"] == ["arguments: Expecting ',' delimiter at line 3, column 3"]
    assert submit(doc, Target("activity", "SALESCLOUDACTIVITY-1"), metaData="[]").errors[
        "metaData"
    ] == ["metaData: this must be an object ({...})."]
    assert (
        "arguments"
        in submit(doc, Target("activity", "SALESCLOUDACTIVITY-1"), arguments="NaN").errors
    )


def test_json_editor_reports_errors_the_result_would_have_but_not_warnings(real_fixtures_dir):
    doc = load(real_fixtures_dir, "11")
    target = Target("activity", "ABNTESTSTOP-1")
    config = activity(doc, "ABNTESTSTOP-1")["configurationArguments"]
    emptied = json.dumps({**config, "aBnStartActivityKey": ""})

    form = submit(doc, target, configurationArguments=emptied)
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "Path Optimizer Winner needs the Path Optimizer it belongs to before it can be pushed."
    ]

    meta = {**activity(doc, "ABNTESTSTOP-1")["metaData"], "isConfigured": False}
    new, _ = applied(doc, target, configurationArguments=emptied, metaData=json.dumps(meta))
    assert errors_of(new, "ABNTESTSTOP-1") == []
    assert [p.severity for p in validate(new) if p.activity_key == "ABNTESTSTOP-1"] == ["warning"]


def test_json_editor_renames_path_optimizer_paths_where_journey_builder_keeps_them(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "11")
    target = Target("activity", "ABNTEST-1")
    assert panel_form_for(doc, target).initial["path_3_label"] == "Path 3"

    new, summary = applied(doc, target, path_3_label="Long copy")

    at = where(doc, "ABNTEST-1")
    assert changed_paths(doc, new) == [(*at, "outcomes", 2, "metaData", "pathName")]
    assert summary == "Path 3 name → “Long copy”"


# --- entry source ---------------------------------------------------------------------------


def test_trigger_panel_shows_an_api_event_entry_source_by_its_name(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")
    trigger = doc["triggers"][0]
    form = panel_form_for(doc, Target("trigger"))
    assert not form.fields["type"].disabled and form.initial["type"] == "APIEvent"
    assert dict(form.fields["type"].choices)["APIEvent"] == "API event"
    assert form.initial["eventDefinitionKey"] == trigger["metaData"]["eventDefinitionKey"]
    assert form.initial["schemaVersionId"] == 133
    assert form.initial["criteria"] == trigger["configurationArguments"]["criteria"]
    assert "criteria" not in json.loads(form["otherConfiguration"].value())
    assert "POST /interaction/v1/events" in form.explanation


def test_trigger_panel_changes_the_filter_only(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")

    new, summary = applied(doc, Target("trigger"), criteria=CONDITION)

    assert changed_paths(doc, new) == [("triggers", 0, "configurationArguments", "criteria")]
    assert summary == "Entry source: entry filter → Country (entry data) equals NL"


def test_trigger_panel_other_settings_json_keeps_the_filter(real_fixtures_dir):
    doc = load(real_fixtures_dir, "02")
    config = doc["triggers"][0]["configurationArguments"]
    rest = {k: v for k, v in config.items() if k != "criteria"}

    new, _ = applied(doc, Target("trigger"), otherConfiguration=json.dumps({**rest, "x": 1}))

    assert new["triggers"][0]["configurationArguments"] == {**config, "x": 1}


# --- goal and exit criteria -----------------------------------------------------------------


def test_goal_panel_shows_the_goal_and_edits_its_target(real_fixtures_dir):
    doc = load(real_fixtures_dir, "14")
    goal = doc["goals"][0]
    form = panel_form_for(doc, Target("goal"))
    assert form.initial["criteria"] == goal["configurationArguments"]["criteria"]
    assert form.initial["isExitCriteria"] is True
    assert form.initial["conversionUnit"] == "wholenumber"
    assert form.initial["conversionValue"] == "10"
    assert form.title == "Goal · GOAL"

    new, summary = applied(doc, Target("goal"), conversionValue="25", isExitCriteria=False)

    assert sorted(changed_paths(doc, new)) == [
        ("goals", 0, "metaData", "conversionValue"),
        ("goals", 0, "metaData", "isExitCriteria"),
    ]
    assert new["goals"][0]["metaData"]["conversionValue"] == "25"
    assert summary == "Goal: exit contacts when the goal is met → no; target changed"


def test_goal_target_is_checked(real_fixtures_dir):
    doc = load(real_fixtures_dir, "13")  # a percentage goal
    assert submit(doc, Target("goal"), conversionValue="150").errors["conversionValue"] == [
        "A percentage target is at most 100."
    ]
    assert submit(doc, Target("goal"), conversionValue="ten").errors["conversionValue"] == [
        "Enter a whole number, e.g. 10."
    ]
    emptied = submit(doc, Target("goal"), criteria="")
    assert emptied.errors["criteria"] == [
        "Give a condition, or remove the goal with the button below."
    ]


def test_goal_panel_creates_a_goal_in_sfmc_shape(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    form = panel_form_for(doc, Target("goal"))
    assert form.title == "New goal" and "remove" not in form.fields
    without_condition = submit(doc, Target("goal"), conversionValue="5")
    assert without_condition.errors["criteria"] == ["Give the condition to create the goal."]

    new, summary = applied(
        doc, Target("goal"), criteria=CONDITION, conversionUnit="percentage", conversionValue="5"
    )

    assert new["goals"] == [
        {
            "key": "GOAL",
            "name": "GOAL",
            "description": "",
            "type": "Event",
            "outcomes": [],
            "arguments": {
                "startActivityKey": "{{Context.StartActivityKey}}",
                "dequeueReason": "{{Context.DequeueReason}}",
                "lastExecutedActivityKey": "{{Context.LastExecutedActivityKey}}",
            },
            "configurationArguments": {"criteria": CONDITION},
            "metaData": {
                "isExitCriteria": False,
                "conversionUnit": "percentage",
                "conversionValue": "5",
                "configurationDescription": "Country (entry data) equals NL",
            },
        }
    ]
    assert changed_paths(doc, new) == [("goals",)]
    assert summary == "Goal added"


def test_exit_criteria_panel_edits_and_creates(real_fixtures_dir):
    doc = load(real_fixtures_dir, "17")
    new, summary = applied(doc, Target("exit"), name="Appointment passed")
    assert changed_paths(doc, new) == [("exits", 0, "name")]
    assert summary == "Exit criteria: name changed"

    removed = {**doc, "exits": []}
    created, summary = applied(removed, Target("exit"), name="Left", criteria=CONDITION)
    assert created["exits"] == [
        {
            "key": "EXITCRITERIA",
            "name": "Left",
            "description": "",
            "type": "ExitCriteria",
            "outcomes": [],
            "arguments": {},
            "configurationArguments": {"criteria": CONDITION},
            "metaData": {"criteriaDescription": "Country (entry data) equals NL"},
        }
    ]
    assert summary == "Exit criteria added"


def test_an_empty_new_goal_panel_changes_nothing(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    new, summary = applied(doc, Target("goal"))
    assert new == doc and summary == "No changes"


# --- settings -------------------------------------------------------------------------------


def test_settings_panel_shows_the_journey_settings(real_fixtures_dir):
    doc = load(real_fixtures_dir, "07")
    form = panel_form_for(doc, Target("settings"))
    assert form.initial["name"] == doc["name"]
    assert form.initial["entryMode"] == "MultipleEntries"
    assert form.initial["email"] == doc["defaults"]["email"]
    assert form.initial["mobileNumber"] == doc["defaults"]["mobileNumber"]
    labels = dict(form.fields["entryMode"].choices)
    assert labels["OnceAndDone"] == "No re-entry"
    assert labels["SingleEntryAcrossAllVersions"] == "Re-entry only after exiting"


def test_settings_panel_changes_entry_mode_with_a_readable_summary(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    new, summary = applied(doc, Target("settings"), entryMode="MultipleEntries")
    assert changed_paths(doc, new) == [("entryMode",)]
    assert summary == "Settings: entry mode → Re-entry anytime"


def test_settings_panel_edits_default_addresses_one_per_line(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    email = '{{Event.DEAudience-43e30247-bd89-0efd-f944-0bd50f5632b1."Email"}}'
    new, summary = applied(
        doc, Target("settings"), email=f"{email}\r\n{{{{Contact.Default.Email}}}}\r\n"
    )
    assert new["defaults"]["email"] == [email, "{{Contact.Default.Email}}"]
    assert new["defaults"]["properties"] == doc["defaults"]["properties"]
    assert changed_paths(doc, new) == [("defaults", "email")]
    assert summary == "Settings: email address attribute changed"


def test_settings_panel_refuses_characters_sfmc_refuses_and_an_empty_name(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    form = submit(doc, Target("settings"), name="Welcome & <b>thanks</b>")
    assert form.errors["name"] == ["SFMC does not accept & / < > in a journey name."]
    assert "description" in submit(doc, Target("settings"), description="50/50 test").errors
    assert submit(doc, Target("settings"), name="").errors["name"] == ["This field is required."]


def test_settings_panel_keeps_an_unknown_entry_mode_until_changed(real_fixtures_dir):
    doc = {**load(real_fixtures_dir, "10"), "entryMode": "SomethingNew"}
    form = panel_form_for(doc, Target("settings"))
    assert ("SomethingNew", "SomethingNew (as saved)") in form.fields["entryMode"].choices
    assert submit(doc, Target("settings")).is_valid()


# --- shared behaviour -----------------------------------------------------------------------


def test_an_edit_the_journey_refuses_is_shown_as_a_form_error(real_fixtures_dir):
    doc = load(real_fixtures_dir, "01")
    at = where(doc, "MULTICRITERIADECISIONV2-1")
    doc = set_field(doc, (*at, "configurationArguments", "criteria"), "not an object")
    form = submit(doc, Target("activity", "MULTICRITERIADECISIONV2-1"), path_1_criteria=CONDITION)
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "There is no field at .activities[0].configurationArguments.criteria.default_path_1."
    ]
