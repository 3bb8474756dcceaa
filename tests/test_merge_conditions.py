"""Conditions on the merge screen: each side's filter said in words, the value of my own built in
the side panel's condition builder (its buttons re-draw it with htmx, or the whole screen
without JavaScript), the result stored as filter XML; a wait whose number one side changed and
whose unit the other changed is one conflict; sentences name activities, never keys."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from journeys.domain.conditions import Condition, parse_filter
from journeys.domain.document import put_body
from journeys.models import Draft, MergeSession
from journeys.services.remote import client_for
from tests.test_condition_builder import posted
from tests.test_push_service import approved_demo, approved_now, edited, remote_doc
from tests.test_push_views import conflicted, remote_edit

HTMX = {"HX-Request": "true"}
FIELD = "custom-0"


def goal_criteria(document):
    return document["goals"][0]["configurationArguments"]["criteria"]


def change_goal(old, new):
    def change(document):
        config = document["goals"][0]["configurationArguments"]
        config["criteria"] = config["criteria"].replace(old, new)

    return change


def sfmc_edits(connection, change):
    """Someone changes the journey in SFMC meanwhile."""
    theirs = remote_doc(connection)
    change(theirs)
    body = put_body(theirs, version=theirs["version"], modified_date=theirs["modifiedDate"])
    client_for(connection).put_journey(body)


@pytest.fixture
def session(editor, approver, sim_connection, demo_journeys, simulator):
    """The goal "Made a first purchase": HasPurchased equals False in the approved draft,
    does not equal True in SFMC; one conflict."""
    draft = approved_demo(editor, approver, sim_connection)
    mine = edited(editor, draft, change_goal("[CDATA[True]]", "[CDATA[False]]"))
    draft = approved_now(editor, approver, mine)
    sfmc_edits(sim_connection, change_goal('Operator="Equal"', 'Operator="NotEqual"'))
    session = conflicted(editor, draft)
    assert [c["path"][0] for c in session.conflicts] == ["goals"]
    return session


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


def fieldset(html, number):
    """Conflict `number`'s fieldset (its condition builder has fieldsets of its own)."""
    start = html.index(f'id="conflict-{number}"')
    ends = [html.find(end, start) for end in ('<fieldset class="conflict', "</form>")]
    return html[start : min(end for end in ends if end != -1)]


def merge_page(client, session):
    return client.get(reverse("journeys:merge", args=[session.pk])).content.decode()


def conditions_url(session):
    return reverse("journeys:merge-conditions", args=[session.pk]) + f"?field={FIELD}"


def conditions(xml):
    found = []

    def walk(items):
        for item in items:
            if isinstance(item, Condition):
                found.append((item.key, item.operator, item.value))
            else:
                walk(getattr(item, "items", []))

    walk(parse_filter(xml).groups)
    return found


def test_each_sides_condition_is_said_in_words_and_mine_is_built_in_the_builder(as_editor, session):
    html = fieldset(merge_page(as_editor, session), 1)

    assert "Goal &#x27;Made a first purchase&#x27; — condition" in html
    has_purchased = '<span class="attribute" title="Members.HasPurchased">HasPurchased (Members)'
    values = re.findall(r'<p class="value">(.*?)</p>', html, re.S)
    assert values == [
        f"{has_purchased}</span> equals True",
        f"{has_purchased}</span> equals False",
        f"{has_purchased}</span> does not equal True",
    ]
    assert '<div class="condition-builder" id="cb-custom-0"' in html
    assert f'hx-post="{conditions_url(session)}"'.replace("&", "&amp;") in html
    assert "<FilterDefinition" not in html  # the XML only escaped, behind "Show XML"


def test_a_condition_added_with_the_builders_button_is_merged_as_filter_xml(as_editor, session):
    page = fieldset(merge_page(as_editor, session), 1)
    data = {**posted(page), f"{FIELD}-action": "add-condition n"}
    data.pop("choice-0", None)
    headers = {**HTMX, "HX-Trigger-Name": f"{FIELD}-action"}

    redrawn = as_editor.post(conditions_url(session), data, headers=headers)

    assert redrawn.status_code == 200
    builder = redrawn.content.decode()
    assert builder.lstrip().startswith('<div class="condition-builder" id="cb-custom-0"')
    assert f'id="id_{FIELD}-n1-key"' in builder and "autofocus" in builder
    data = posted(builder)
    data.update(
        {
            "choice-0": "custom",
            f"{FIELD}-n1-key": "Email (entry data)",  # by name, as the list offers it
            f"{FIELD}-n1-value": "vip@example.com",
        }
    )
    response = as_editor.post(reverse("journeys:merge-resolve", args=[session.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    merged = goal_criteria(Draft.objects.get(pk=session.draft_id).document)
    email = "Event.DEAudience-5b0c1f7e-2d41-4c6a-9e0b-7a1d3c5e9f21.Email"
    assert conditions(merged) == [
        ("Members.HasPurchased", "Equal", "False"),  # mine, where the builder started
        (email, "Equal", "vip@example.com"),
    ]


def test_without_javascript_a_builder_button_redraws_the_screen_and_applies_nothing(
    as_editor, session
):
    page = fieldset(merge_page(as_editor, session), 1)
    data = {**posted(page), f"{FIELD}-action": "add-condition n"}

    response = as_editor.post(reverse("journeys:merge-resolve", args=[session.pk]), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{FIELD}-n1-key"' in fieldset(html, 1)
    assert 'id="merge-form-errors"' not in html and "Choose a value" not in html
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.OPEN


def test_unfinished_conditions_are_not_used_and_say_what_is_missing(as_editor, session):
    page = fieldset(merge_page(as_editor, session), 1)
    data = {**posted(page), f"{FIELD}-action": "add-condition n"}
    headers = {**HTMX, "HX-Trigger-Name": f"{FIELD}-action"}
    data = posted(as_editor.post(conditions_url(session), data, headers=headers).content.decode())

    response = as_editor.post(
        reverse("journeys:merge-resolve", args=[session.pk]), {**data, "choice-0": "custom"}
    )

    assert response.status_code == 400
    assert "Conflict 1: Finish the conditions first: Condition 2: Choose an attribute." in (
        response.content.decode()
    )


def test_a_builder_the_merge_does_not_have_is_not_found(as_editor, session):
    url = reverse("journeys:merge-conditions", args=[session.pk]) + "?field=choice-0"
    assert as_editor.post(url, {}, headers=HTMX).status_code == 404


# a wait's number against its unit; names, not keys

WAIT = "WAITBYDURATION-1"


def wait_config(document):
    return next(a for a in document["activities"] if a["key"] == WAIT)["configurationArguments"]


@pytest.fixture
def wait_session(editor, approver, sim_connection, demo_journeys, simulator):
    """The wait "Wait 2 days": 4 days in the approved draft, 2 weeks in SFMC."""
    draft = approved_demo(editor, approver, sim_connection)
    longer = edited(editor, draft, lambda d: wait_config(d).update(waitDuration=4))
    draft = approved_now(editor, approver, longer)
    sfmc_edits(sim_connection, lambda d: wait_config(d).update(waitUnit="WEEKS"))
    return conflicted(editor, draft)


def test_a_waits_number_against_its_unit_is_one_conflict_said_as_durations(as_editor, wait_session):
    [conflict] = wait_session.conflicts
    html = fieldset(merge_page(as_editor, wait_session), 1)

    assert "Wait &#x27;Wait 2 days&#x27; — duration</legend>" in html
    values = re.findall(r'<p class="value">(.*?)</p>', html, re.S)
    assert values == ["2 days", "4 days", "2 weeks"]
    page = merge_page(as_editor, wait_session)
    clean = page.split('id="clean-title"', 1)[1].split("</section>", 1)[0]
    assert "2 weeks" not in clean  # SFMC's unit is part of the conflict, not merged by itself
    response = as_editor.post(
        reverse("journeys:merge-resolve", args=[wait_session.pk]),
        {"choice-0": "custom", f"{FIELD}_0": "3", f"{FIELD}_1": "WEEKS"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    merged = wait_config(Draft.objects.get(pk=wait_session.draft_id).document)
    assert (merged["waitDuration"], merged["waitUnit"]) == (3, "WEEKS")
    assert conflict["kind"] == "changed-together"


def visible_text(html):
    """What people read: the text without tags, attributes (titles), scripts or what is
    folded away until asked for (a closed <details>: the JSON of a whole activity)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r"<details(?![^>]*\bopen\b)[^>]*>.*?</details>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def deleted_session(editor, approver, sim_connection, demo_journeys, simulator):
    """SFMC deleted the wait "Wait 2 days" whose duration the approved draft changed."""
    draft = approved_demo(editor, approver, sim_connection)
    longer = edited(editor, draft, lambda d: wait_config(d).update(waitDuration=4))
    draft = approved_now(editor, approver, longer)
    remote_edit(simulator, "remove-activity", activity_key=WAIT)
    return conflicted(editor, draft)


def test_a_conflicts_sentence_names_the_activity_with_its_key_only_on_hover(
    as_editor, deleted_session
):
    html = merge_page(as_editor, deleted_session)
    delete = next(
        number
        for number, conflict in enumerate(deleted_session.conflicts, start=1)
        if conflict["kind"] == "delete-vs-modify"
    )
    row = fieldset(html, delete)

    said = re.search(r'<p class="meta explanation">(.*?)</p>', row, re.S)[1]
    assert said == (
        f'<span class="activity-name" title="{WAIT}">Wait &#x27;Wait 2 days&#x27;</span> '
        "was deleted in SFMC but you changed its duration."
    )
    form = html.split('id="merge-form"', 1)[1]
    assert WAIT not in visible_text(form)


def test_a_random_splits_percentages_are_decided_together_by_path_name():
    from journeys.domain.merge import merge, resolve
    from journeys.domain.merge_words import Documents
    from journeys.merge_forms import MergeForm
    from tests.test_domain_merge import edited, journey, set_shares, shares, split, wait

    base = journey(split("S-1", "W-1", "W-2", "W-3"), wait("W-1"), wait("W-2"), wait("W-3"))
    ours, theirs = edited(base, set_shares(44, 23, 33)), edited(base, set_shares(34, 23, 43))
    result = merge(base, ours, theirs)
    conflicts = [conflict.as_dict() for conflict in result.conflicts]
    documents = Documents(base, ours, theirs, result.document)

    form = MergeForm(conflicts, documents)
    html = str(form[FIELD])
    assert re.findall(r'<label class="share">(Path \d) <input', html) == [
        "Path 1",
        "Path 2",
        "Path 3",
    ]
    assert 'value="44"' in html  # mine, to start from
    odd = {"choice-0": "custom", f"{FIELD}_0": "50", f"{FIELD}_1": "20", f"{FIELD}_2": "20"}
    refused = MergeForm(conflicts, documents, data=odd)
    assert not refused.is_valid()
    assert refused.numbered_errors() == [
        "Conflict 1: The percentages add up to 90; they must add up to 100."
    ]
    posted = MergeForm(conflicts, documents, data={**odd, f"{FIELD}_2": "30"})
    assert posted.is_valid(), posted.errors
    assert shares(resolve(result, posted.choices())) == [50, 20, 30]
