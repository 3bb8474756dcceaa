"""The merge screen in plain words, through Django's test client against the simulator: each
conflict named as a marketer knows it, its values as text, its own value typed in the side
panel's widget (never JSON for a name), errors numbered as the screen numbers the conflicts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from journeys.domain.conditions import words_text
from journeys.domain.diff import MISSING
from journeys.domain.merge_words import Documents, conflict_title, side_value
from journeys.merge_forms import custom_input
from journeys.models import Draft, MergeSession
from journeys.sfmc.simulator.demo import birthday_offer, welcome_series
from tests.test_push_service import approved_demo, approved_now, edited
from tests.test_push_views import conflicted, remote_edit

WAIT = "WAITBYDURATION-1"


def _wait_three_days(document):
    wait = next(a for a in document["activities"] if a["key"] == WAIT)
    wait["configurationArguments"]["waitDuration"] = 3


@pytest.fixture
def session(editor, approver, sim_connection, demo_journeys, simulator):
    """Both sides renamed the journey and changed the first wait: two conflicts."""
    draft = approved_demo(editor, approver, sim_connection)
    draft = approved_now(editor, approver, edited(editor, draft, _wait_three_days))
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    remote_edit(simulator, "change-wait", activity_key=WAIT, duration=5)
    return conflicted(editor, draft)


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


def fieldset(html, number):
    pattern = rf'<fieldset class="conflict[^"]*" id="conflict-{number}".*?</fieldset>'
    return re.search(pattern, html, re.S)[0]


def resolve_url(session):
    return reverse("journeys:merge-resolve", args=[session.pk])


def choices(session, **overrides):
    """Keep mine everywhere, but for the given fields."""
    posted = {f"choice-{i}": "ours" for i in range(len(session.conflicts))}
    return {**posted, **overrides}


def index_of(session, last):
    return next(i for i, c in enumerate(session.conflicts) if c["path"][-1] == last)


def test_each_conflict_is_named_as_a_marketer_knows_it_with_its_values_as_text(as_editor, session):
    html = as_editor.get(reverse("journeys:merge", args=[session.pk])).content.decode()

    name = fieldset(html, index_of(session, "name") + 1)
    assert re.search(r'<legend title="name">\d\. Journey — name</legend>', name)
    assert "Welcome series (spring)" in name and "Renamed in SFMC" in name
    assert '<input type="text" name="custom-' in name  # the name typed as text
    wait = fieldset(html, index_of(session, "waitDuration") + 1)
    legend = re.search(r"<legend[^>]*>(.*?)</legend>", wait)[1]
    assert legend.endswith("Wait &#x27;Wait 2 days&#x27; — duration")
    assert 'title="activities › WAITBYDURATION-1 › configurationArguments › waitDuration"' in wait
    for words in ("2 days", "3 days", "5 days"):
        assert f'<p class="value">{words}</p>' in wait
    assert 'type="number"' in wait and '<option value="DAYS" selected>days</option>' in wait
    assert "JSON" not in name + wait and "<pre>" not in name + wait


def test_a_plain_name_and_a_wait_in_number_and_unit_resolve_the_conflicts(as_editor, session):
    name, wait = index_of(session, "name"), index_of(session, "waitDuration")
    posted = choices(
        session,
        **{
            f"choice-{name}": "custom",
            f"custom-{name}": "Both, combined",
            f"choice-{wait}": "custom",
            f"custom-{wait}_0": "1",
            f"custom-{wait}_1": "WEEKS",
        },
    )

    response = as_editor.post(resolve_url(session), posted)

    assert response.status_code == 302, response.content.decode()
    draft = Draft.objects.get(pk=session.draft_id)
    assert draft.document["name"] == "Both, combined"
    activity = next(a for a in draft.document["activities"] if a["key"] == WAIT)
    assert activity["configurationArguments"]["waitDuration"] == 7  # a week, in its days
    assert activity["configurationArguments"]["waitUnit"] == "DAYS"


def test_a_bad_custom_number_is_said_next_to_its_conflict_as_the_screen_numbers_it(
    as_editor, session
):
    wait = index_of(session, "waitDuration")
    posted = choices(session, **{f"choice-{wait}": "custom", f"custom-{wait}_0": "soon"})

    response = as_editor.post(resolve_url(session), posted)

    html = response.content.decode()
    assert response.status_code == 400
    said = f"Conflict {wait + 1}: Enter a whole number."
    assert f"<li>{said}</li>" in html.split('id="merge-form-errors"', 1)[1].split("</div>", 1)[0]
    assert said in fieldset(html, wait + 1)
    assert "Conflict 0" not in html and "Choice-" not in html
    assert 'value="soon"' in fieldset(html, wait + 1)  # what was typed is kept
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.OPEN


def test_a_duration_in_a_unit_the_wait_cannot_count_in_is_refused_with_a_reason(as_editor, session):
    wait = index_of(session, "waitDuration")
    posted = choices(
        session,
        **{f"choice-{wait}": "custom", f"custom-{wait}_0": "5", f"custom-{wait}_1": "HOURS"},
    )
    html = as_editor.post(resolve_url(session), posted).content.decode()
    assert f"Conflict {wait + 1}: This wait counts in whole days: 5 hours is not." in html


# the words and widgets, on the demo journeys (no database)


def _documents(ours, theirs=None):
    return Documents(base=ours, ours=ours, theirs=theirs or ours, merged=ours)


def _conflict(path, base, ours, theirs, kind="both-modified"):
    sides = {"base": base, "ours": ours, "theirs": theirs}
    return {
        "id": f"{kind}:{path}",
        "kind": kind,
        "path": list(path),
        "activity_key": path[1] if path[0] == "activities" else None,
        "description": "",
        **{
            n: {"present": v is not MISSING, "value": None if v is MISSING else v}
            for n, v in sides.items()
        },
    }


def _or_none(value):
    return None if value is MISSING else value


def test_an_email_subject_and_a_branch_condition_are_named_by_what_marketers_see():
    welcome, birthday = _documents(welcome_series()), _documents(birthday_offer())
    subject = ("activities", "EMAILV2-1", "configurationArguments", "triggeredSend", "emailSubject")
    assert conflict_title(subject, welcome) == "Email 'Welcome aboard' — subject"
    branch = ("activities", "MULTICRITERIADECISIONV2-1", "configurationArguments", "criteria")
    assert conflict_title((*branch, "default_path_1"), birthday) == "Branch 'Gold' — condition"
    assert conflict_title(("name",), welcome) == "Journey — name"
    wait = ("activities", "WAITBYDURATION-2", "configurationArguments", "waitDuration")
    assert conflict_title(wait, welcome) == "Wait 'Wait 1 day' — duration"


def test_each_value_gets_the_side_panels_widget_and_json_only_for_a_whole_object():
    welcome = _documents(welcome_series())
    subject = ("activities", "EMAILV2-1", "configurationArguments", "triggeredSend", "emailSubject")
    text = custom_input(_conflict(subject, "Welcome aboard", "Hello", "Hi"), welcome)
    assert text.kind == "text" and text.panel_label == "Email subject"
    email = ("activities", "EMAILV2-1", "configurationArguments", "triggeredSend", "emailId")
    assert custom_input(_conflict(email, 1101, 1102, 1103), welcome).kind == "number"
    activity = next(a for a in welcome.ours["activities"] if a["key"] == "EMAILV2-2")
    whole = _conflict(("activities", "EMAILV2-2"), activity, MISSING, {**activity, "name": "x"})
    assert custom_input(whole, welcome).kind == "json"
    theirs = side_value(whole["path"], "theirs", whole["theirs"], welcome, {})
    assert words_text(theirs.words) == "Email 'x'" and '"name": "x"' in theirs.json
    ours = side_value(whole["path"], "ours", whole["ours"], welcome, {})
    assert (ours.present, words_text(ours.words), ours.json) == (False, "(not there)", "")


def test_a_value_typed_without_picking_its_radio_is_the_pick(as_editor, session):
    name = index_of(session, "name")
    posted = choices(session, **{f"custom-{name}": "Typed, not picked"})
    del posted[f"choice-{name}"]

    response = as_editor.post(resolve_url(session), posted)

    assert response.status_code == 302
    assert Draft.objects.get(pk=session.draft_id).document["name"] == "Typed, not picked"


def test_where_a_branch_goes_next_is_chosen_among_the_activities_by_name():
    welcome = _documents(welcome_series())
    path = ("activities", "ENGAGEMENTSPLITV2-1", "outcomes", "yes", "next")
    conflict = _conflict(path, "EMAILV2-2", "EMAILV2-3", "WAITBYDURATION-2", "both-relinked")
    assert conflict_title(path, welcome).endswith("— next step")
    ours = side_value(path, "ours", conflict["ours"], welcome, {})
    assert words_text(ours.words) == "Email 'Did you see our welcome?'"
    field = custom_input(conflict, welcome).field
    assert ("EMAILV2-3", "Email 'Did you see our welcome?'") in field.choices
    assert "ENGAGEMENTSPLITV2-1" not in dict(field.choices)  # not back to itself
