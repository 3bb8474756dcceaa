"""The condition builder of the side panel: what it posts becomes the filter XML, untouched
filters stay byte for byte, unfinished or unreadable input is said and nothing is lost; its
re-draw view; the validator's filter problems; branch labels in plain words."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from journeys.canvas import build_canvas
from journeys.domain.conditions import AttributeWords, ConditionGroup, parse_filter, words_text
from journeys.domain.merge_words import Documents, side_value
from journeys.domain.validate import validate
from journeys.panel_forms import Target, panel_form_for
from journeys.services.drafts import create_draft_from_upload, save_revision
from journeys.templatetags.words_tags import said
from tests.factories import ConnectionFactory

HTMX = {"HX-Request": "true"}
SPLIT = "MULTICRITERIADECISIONV2-1"
EVENT = "DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e"
GOLD = (
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    f'<Condition IsEphemeralAttribute="true" Key="Event.{EVENT}.Tier" Operator="Equal" '
    'UiMetaData="{}"><Value><![CDATA[Gold]]></Value></Condition>'
    '<Condition Key="Contact_Salesforce_1.Points" Operator="GreaterThanOrEqual" '
    'UiMetaData="{&quot;groupToSetRelationshipId&quot;:&quot;fe96&quot;}">'
    "<Value><![CDATA[500]]></Value></Condition>"
    "<Weird>kept</Weird>"
    "</ConditionSet></FilterDefinition>"
)


class FormReader(HTMLParser):
    """What a browser would post for the forms of a page: inputs, selects, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
            self.data[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in attrs or self._select not in self.data:
                self.data[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self.data[name] = name, ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def posted(html: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(html)
    data = reader.data
    data.pop("csrfmiddlewaretoken", None)
    return data


def journey(real_fixtures_dir) -> dict:
    doc = json.loads(
        (real_fixtures_dir / "01-mcdev-api-multistep-decision-email-waits.json").read_text()
    )
    split = next(a for a in doc["activities"] if a["type"] == "MULTICRITERIADECISION")
    split["key"] = SPLIT
    for activity in doc["activities"]:
        for outcome in activity.get("outcomes") or []:
            if outcome.get("next") == "MULTICRITERIADECISION-1":
                outcome["next"] = SPLIT
    split["configurationArguments"]["criteria"]["default_path_1"] = GOLD
    return doc


def rendered(form) -> str:
    """The panel form's condition builders as the template draws them."""
    from django.template.loader import render_to_string

    html = ""
    for name in form.fields:
        bound = form[name]
        if hasattr(bound, "builder"):
            context = {"builder": bound.builder, "url": "/conditions/"}
            html += render_to_string("journeys/_condition_builder.html", context)
        elif not bound.field.disabled:
            html += f'<input name="{name}" value="{bound.value() or ""}">'
    return html


def browser_post(doc, target, **changes) -> dict[str, str]:
    data = posted(rendered(panel_form_for(doc, target)))
    data.update(changes)
    return data


def valid_form(doc, **changes):
    """The split's panel posted back with `changes`, checked valid."""
    target = Target("activity", SPLIT)
    form = panel_form_for(doc, target, browser_post(doc, target, **changes))
    assert form.is_valid(), form.errors
    return form


def criteria(doc, outcome="default_path_1"):
    split = next(a for a in doc["activities"] if a["key"] == SPLIT)
    return split["configurationArguments"]["criteria"][outcome]


# --- the field --------------------------------------------------------------------------------


def test_the_builder_shows_names_types_and_the_part_it_does_not_understand(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    builder = panel_form_for(doc, Target("activity", SPLIT))["path_1_criteria"].builder
    tier, points, weird = builder.root.children
    assert (tier.key_text, tier.key_title, tier.operator) == (
        "Tier (entry data)",
        f"Event.{EVENT}.Tier",
        "Equal",
    )
    assert (points.compare_as, points.operator, points.values[0].kind) == (
        "number",
        "GreaterThanOrEqual",
        "number",
    )
    assert "Contains" not in dict(points.operator_choices)  # not for numbers
    assert (weird.kind, weird.raw) == ("unknown", "<Weird>kept</Weird>")
    assert builder.preview == (
        "Tier (entry data) equals Gold and Points (Contact) is at least 500 and "
        "(not understood: an element SFMC filters do not use: <Weird>)"
    )
    html = rendered(panel_form_for(doc, Target("activity", SPLIT)))
    assert f'title="Event.{EVENT}.Tier"' in html  # the full path on hover
    assert "Not understood" in html and "&lt;Weird&gt;kept&lt;/Weird&gt;" in html


def test_a_page_posted_back_unchanged_changes_nothing(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    target = Target("activity", SPLIT)
    form = panel_form_for(doc, target, browser_post(doc, target))
    assert form.is_valid(), form.errors
    assert form.changed_data == []


def test_changing_one_value_rewrites_only_that_value_and_keeps_the_unknown_part(
    real_fixtures_dir,
):
    doc = journey(real_fixtures_dir)
    target = Target("activity", SPLIT)
    data = browser_post(doc, target, **{"path_1_criteria-n1-value": "750"})
    form = panel_form_for(doc, target, data)
    assert form.is_valid(), form.errors
    new, summary = form.apply(doc)
    assert criteria(new) == GOLD.replace("[500]", "[750]")
    words = (
        "Tier (entry data) equals Gold and Points (Contact) is at least 750 "
        "and (not understood: an element SFMC filters do not use: <Weird>)"
    )
    assert summary == f"Path 1 condition → {words}"
    # SFMC's own copy of the path's condition ("Email is not null") is said anew.
    outcome = next(a for a in new["activities"] if a["key"] == SPLIT)["outcomes"][0]
    assert outcome["metaData"]["criteriaDescription"] == words


def test_untouched_filters_stay_byte_for_byte_when_another_field_is_saved(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    spaced = GOLD.replace("><Condition", ">\n  <Condition")  # odd spacing, still untouched
    next(a for a in doc["activities"] if a["key"] == SPLIT)["configurationArguments"]["criteria"][
        "default_path_1"
    ] = spaced
    target = Target("activity", SPLIT)
    form = panel_form_for(doc, target, browser_post(doc, target, path_1_label="VIP"))
    assert form.is_valid(), form.errors
    new, _ = form.apply(doc)
    assert criteria(new) == spaced
    assert form.changed_data == ["path_1_label"]
    outcome = next(a for a in new["activities"] if a["key"] == SPLIT)["outcomes"][0]
    assert outcome["metaData"]["criteriaDescription"] == "Email is not null"  # untouched


def test_a_tree_built_in_the_builder_becomes_the_filter_xml(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    target = Target("activity", SPLIT)
    data = browser_post(doc, target, **{"path_1_criteria-n-join": "OR"})
    data["path_1_criteria-action"] = "add-group n"
    builder = panel_form_for(doc, target, data)["path_1_criteria"].builder
    assert builder.root.children[-1].children[0].focus == "key"  # the new condition's attribute
    assert builder.pending == [
        "Condition 4.1: Choose an attribute.",
        "Group 4: This group has no conditions.",  # (the unfinished condition is left out)
    ]
    data = posted(rendered(panel_form_for(doc, target, data)))
    data.update(
        {
            "path_1_criteria-n3_0-key": "Tier (entry data)",  # by name, from the list
            "path_1_criteria-n3_0-value": "Platinum",
        }
    )
    form = panel_form_for(doc, target, data)
    assert form.is_valid(), form.errors
    new, _ = form.apply(doc)
    root = parse_filter(criteria(new)).groups[0]
    assert isinstance(root, ConditionGroup) and root.operator == "OR"
    added = root.items[3]
    assert isinstance(added, ConditionGroup) and added.operator == "AND"
    assert [(c.key, c.operator, c.value) for c in added.items] == [
        (f"Event.{EVENT}.Tier", "Equal", "Platinum")
    ]
    assert criteria(new).count("<Weird>kept</Weird>") == 1


def test_removing_and_moving_keep_every_other_part_verbatim(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    moved = valid_form(doc, **{"path_1_criteria-action": "up n1"}).cleaned_data
    tier = GOLD[GOLD.index("<Condition IsE") : GOLD.index("<Condition Key")]
    points = GOLD[GOLD.index("<Condition Key") : GOLD.index("<Weird>")]
    assert moved["path_1_criteria"] == GOLD.replace(tier + points, points + tier)
    removed = valid_form(doc, **{"path_1_criteria-action": "remove n0"}).cleaned_data
    assert removed["path_1_criteria"] == GOLD.replace(tier, "")


def test_an_unfinished_condition_is_not_saved_and_says_what_is_missing(real_fixtures_dir):
    form = valid_form(journey(real_fixtures_dir), **{"path_1_criteria-n0-value": ""})
    assert "path_1_criteria" not in form.changed_data  # the stored filter stays
    builder = form["path_1_criteria"].builder
    assert builder.waiting
    assert builder.pending == ["Condition 1: Tier (entry data) equals: give a value."]


def test_the_xml_box_wins_when_an_expert_edits_it(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    target = Target("activity", SPLIT)
    xml = GOLD.replace("Gold", "Silver").replace("<Weird>kept</Weird>", "")
    data = browser_post(doc, target, path_1_criteria=xml, **{"path_1_criteria-n1-value": "9"})
    form = panel_form_for(doc, target, data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["path_1_criteria"] == xml
    assert form["path_1_criteria"].builder.root.children[0].values[0].value == "Silver"


@pytest.mark.parametrize(
    "tree",
    ["{not json", '"a string"', '{"type": "condition"}', '{"type": "group", "items": [1]}'],
)
def test_a_tree_the_builder_cannot_read_gets_a_clear_error_and_loses_nothing(
    real_fixtures_dir, tree
):
    doc = journey(real_fixtures_dir)
    target = Target("activity", SPLIT)
    data = browser_post(doc, target, **{"path_1_criteria-tree": tree, "path_1_label": "VIP"})
    form = panel_form_for(doc, target, data)
    assert not form.is_valid()
    assert form.errors["path_1_criteria"][0].startswith(
        "The condition builder sent something it cannot read"
    )
    builder = form["path_1_criteria"].builder
    assert builder.shown == GOLD and builder.xml_open  # the XML is there to fix it by hand
    assert form["path_1_label"].value() == "VIP"


def test_goal_exit_and_entry_panels_edit_their_filter_in_the_builder(real_fixtures_dir):
    doc = json.loads((real_fixtures_dir / "14-coh-goal-and-exit-criteria.json").read_text())
    for kind in ("goal", "exit", "trigger"):
        form = panel_form_for(doc, Target(kind))  # type: ignore[arg-type]
        assert hasattr(form["criteria"], "builder"), kind
    goal = panel_form_for(doc, Target("goal"))["criteria"].builder
    assert goal.preview == "Converted (Risk Management Info) is true"


# --- the re-draw view and the panel without JavaScript ------------------------------------------


@pytest.fixture
def draft(editor, real_fixtures_dir):
    document = journey(real_fixtures_dir)
    return create_draft_from_upload(
        editor, ConnectionFactory(), json.dumps(document).encode()
    ).draft


def builder_url(draft, field="path_1_criteria"):
    url = reverse("journeys:draft-conditions", args=[draft.pk])
    return f"{url}?target=activity:{SPLIT}&field={field}"


def panel_url(draft):
    return reverse("journeys:draft-panel", args=[draft.pk]) + f"?target=activity:{SPLIT}"


def press(client, draft, action):
    """A builder button pressed in the browser: its own htmx request; (response, form data)."""
    data = browser_post(draft.document, Target("activity", SPLIT))
    data["path_1_criteria-action"] = action
    headers = {**HTMX, "HX-Trigger-Name": "path_1_criteria-action"}
    return client.post(builder_url(draft), data, headers=headers), data


def test_a_builder_button_redraws_the_builder_and_saves_nothing(client, editor, draft):
    client.force_login(editor)
    response, _ = press(client, draft, "add-condition n")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="condition-builder" id="cb-path_1_criteria"')
    assert 'id="id_path_1_criteria-n3-key"' in html and "autofocus" in html
    assert "HX-Trigger-After-Swap" not in response  # unfinished: nothing to save
    before = draft.revision_number
    draft.refresh_from_db()
    assert draft.revision_number == before


def test_a_finished_change_by_button_asks_the_panel_to_save_it(client, editor, draft):
    client.force_login(editor)
    response, data = press(client, draft, "remove n2")
    assert json.loads(response["HX-Trigger-After-Swap"]) == {
        "conditions-changed": {"target": "#panel .panel-form"}
    }
    # The same button's value sent along by a later auto-save of the panel does nothing.
    data["revision"] = str(draft.revision_number)
    client.post(panel_url(draft), data, headers=HTMX)
    draft.refresh_from_db()
    assert criteria(draft.document) == GOLD


def test_an_unknown_builder_or_target_is_not_found(client, editor, draft):
    client.force_login(editor)
    assert (
        client.post(builder_url(draft, field="path_1_label"), {}, headers=HTMX).status_code == 404
    )
    url = reverse("journeys:draft-conditions", args=[draft.pk]) + "?target=activity:NOPE&field=x"
    assert client.post(url, {}, headers=HTMX).status_code == 404


def test_without_javascript_a_builder_button_redraws_the_panel_and_save_saves(
    client, editor, draft
):
    client.force_login(editor)
    data = browser_post(draft.document, Target("activity", SPLIT))
    data["revision"] = str(draft.revision_number)
    response = client.post(panel_url(draft), {**data, "path_1_criteria-action": "remove n2"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert criteria(draft.document) == GOLD  # not saved by the button
    again = posted(response.content.decode().split('id="panel"', 1)[1].split("</form>")[0])
    again["revision"] = str(draft.revision_number)
    assert client.post(panel_url(draft), again).status_code == 302
    draft.refresh_from_db()
    assert criteria(draft.document) == GOLD.replace("<Weird>kept</Weird>", "")


# --- the validator and the canvas -------------------------------------------------------------


def test_the_validator_flags_filter_problems_where_they_are(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    empty_value = GOLD.replace("[Gold]", "[]")
    stranger = GOLD.replace(EVENT, "DEAudience-someone-else")
    split = next(a for a in doc["activities"] if a["key"] == SPLIT)
    split["configurationArguments"]["criteria"]["default_path_1"] = empty_value
    doc["exits"] = [{"key": "EXITCRITERIA", "configurationArguments": {"criteria": stranger}}]
    found = {(p.severity, p.path, p.message) for p in validate(doc) if p.code.startswith("filter")}
    path = "$.activities[{}].configurationArguments.criteria.default_path_1".format(
        doc["activities"].index(split)
    )
    assert ("error", path, "Path “send message”: Tier (entry data) equals: give a value.") in found
    assert (
        "warning",
        "$.exits[0].configurationArguments.criteria",
        "Exit criteria: “Tier (entry data)” is not in this journey's entry data "
        "(another entry source's event).",
    ) in found


def test_a_branch_without_its_own_name_is_labelled_by_its_condition(real_fixtures_dir):
    doc = journey(real_fixtures_dir)
    split = next(a for a in doc["activities"] if a["key"] == SPLIT)
    edge = next(e for e in build_canvas(doc, []).layout.edges if e.outcome_key == "default_path_1")
    named = build_canvas(doc, []).edge_label(edge)
    assert named[0] == "send message"  # the name a person gave wins; the condition on hover
    assert named[1].startswith("send message: Tier (entry data) equals Gold and Points")
    unnamed = copy.deepcopy(doc)
    next(a for a in unnamed["activities"] if a["key"] == SPLIT)["outcomes"][0]["metaData"][
        "label"
    ] = "Path 1"
    canvas = build_canvas(unnamed, [])
    edge = next(e for e in canvas.layout.edges if e.outcome_key == "default_path_1")
    label, full = canvas.edge_label(edge)
    # Said short on the canvas (field names only), the whole explanation on hover.
    assert label.startswith("Tier equals Gold and Points is at least 500 and (not understood")
    assert full.startswith("Tier (entry data) equals Gold and Points (Contact) is at least 500")
    assert split["outcomes"][0]["metaData"]["label"] == "send message"


NO_DOCUMENTS = Documents(base={}, ours={}, theirs={}, merged={})


def test_the_merge_screen_says_each_sides_conditions_in_plain_words():
    conflict = {
        "id": "c1",
        "kind": "delete-vs-modify",
        "description": "SFMC deleted the branch you changed",
        "path": ["activities", SPLIT, "configurationArguments", "criteria", "default_path_1"],
        "base": {"present": True, "value": GOLD},
        "ours": {"present": True, "value": GOLD.replace("Gold", "Silver")},
        "theirs": {"present": False, "value": None},
    }
    sides = {
        name: (value.present, words_text(value.words))
        for name in ("base", "ours", "theirs")
        for value in [side_value(conflict["path"], name, conflict[name], NO_DOCUMENTS, {})]
    }
    assert sides["ours"] == (
        True,
        "Tier (entry data) equals Silver and Points (Contact) is at least 500 and "
        "(not understood: an element SFMC filters do not use: <Weird>)",
    )
    assert sides["theirs"] == (False, "(not there)")


def test_condition_lines_name_attributes_with_their_full_path_on_hover(client, editor, draft):
    """The compare list (and the review's, which is the same list) and the merge screen."""
    doc = copy.deepcopy(draft.document)
    split = next(a for a in doc["activities"] if a["key"] == SPLIT)
    criteria = split["configurationArguments"]["criteria"]
    criteria["default_path_1"] = criteria["default_path_1"].replace("Gold", "Silver")
    save_revision(editor, draft, doc, expected_revision=1, summary="Silver")
    client.force_login(editor)
    page = client.get(
        reverse("journeys:draft-compare", args=[draft.pk]), {"a": "rev:1", "b": "rev:2"}
    ).content.decode()
    tier = f'<span class="attribute" title="Event.{EVENT}.Tier">Tier (entry data)</span>'
    assert f"Branch &#x27;send message&#x27;: {tier} equals Gold → {tier} equals Silver" in page

    conflict = {
        "id": "c1",
        "kind": "both-modified",
        "description": "Both sides changed the branch",
        "path": ["activities", SPLIT, "configurationArguments", "criteria", "default_path_1"],
        **{side: {"present": True, "value": GOLD} for side in ("base", "ours", "theirs")},
    }
    words = side_value(conflict["path"], "ours", conflict["ours"], NO_DOCUMENTS, {}).words
    assert AttributeWords("Points (Contact)", "Contact_Salesforce_1.Points") in words
    html = said(words)
    assert html.startswith(tier) and "<Weird>" not in html and "&lt;Weird&gt;" in html
