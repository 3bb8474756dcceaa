"""The team's rules on the canvas, in the review, and refusing approval while an error fails."""

from __future__ import annotations

import html
import json

import pytest
from django.urls import reverse

from journeys.models import Draft, TeamRule
from journeys.services import review
from journeys.services.drafts import create_new_journey, save_revision
from journeys.services.editing import apply_edit, structural_edit
from tests.factories import ConnectionFactory

WORDS = "The journey name “[TEST] Welcome” contains “[TEST]”: a test or placeholder left in."


@pytest.fixture
def connection(db):
    connection = ConnectionFactory()
    TeamRule.objects.create(connection=connection, rule_id="test-words", severity="error")
    TeamRule.objects.create(
        connection=connection, rule_id="names-match-configuration", severity="warning"
    )
    TeamRule.objects.create(  # off: never reported
        connection=connection, rule_id="goal-required", severity="error", enabled=False
    )
    return connection


@pytest.fixture
def draft(editor, connection):
    """A journey named with a test word and a 1-day wait named "Wait 4 days"."""
    draft = create_new_journey(editor, connection, "Welcome")
    draft = apply_edit(
        editor, draft, structural_edit("insert", {"type_id": "WAITBYDURATION"}), expected_revision=1
    ).draft
    doc = json.loads(json.dumps(draft.document))
    doc["name"] = "[TEST] Welcome"
    wait = next(a for a in doc["activities"] if a["type"] == "WAIT")
    wait["name"] = "Wait 4 days"
    return save_revision(editor, draft, doc, expected_revision=2, summary="named")


def _wait_key(draft: Draft) -> str:
    return next(a["key"] for a in draft.document["activities"] if a["type"] == "WAIT")


def test_the_canvas_shows_rule_problems_on_the_card_and_in_the_list(client, editor, draft):
    client.force_login(editor)
    page = html.unescape(client.get(reverse("journeys:draft", args=[draft.pk])).content.decode())
    wait_message = "Wait by Duration 'Wait 4 days' is named for 4 days, but it is set to 1 day."
    assert WORDS in page and wait_message in page
    assert f"warning: {wait_message}" in page  # on the wait's card, with its severity
    assert "journey has no goal" not in page  # a disabled rule says nothing
    assert "1 error" in page  # the test word counts as an error, not "Ready to push"


def test_the_review_lists_rule_problems_and_refuses_approval_with_the_reason(
    client, editor, approver, draft
):
    draft = review.submit_for_review(editor, draft, expected_revision=3, message="please")
    client.force_login(approver)
    page = html.unescape(
        client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()
    )
    listed = page.split('id="rule-problems"', 1)[1].split("</div>", 1)[0]
    assert f"<strong>Error</strong>: {WORDS}" in listed
    assert f'data-key="{_wait_key(draft)}"><strong>Warning</strong>' in listed
    assert "(errors block approval)" in listed
    refusal = f"This connection's team rules refuse approval: {WORDS}"
    assert f'<p class="hint refusal" id="rules-refusal">{refusal}</p>' in page
    assert 'id="approve-button" disabled aria-describedby="rules-refusal"' in page
    # Posted anyway: refused with the reason, and the draft stays in review.
    url = reverse("journeys:draft-decide", args=[draft.pk])
    answer = client.post(url, {"revision": 3, "decision": "approve", "comment": ""}, follow=True)
    assert "team rules refuse approval" in html.unescape(answer.content.decode())
    draft.refresh_from_db()
    assert draft.state == Draft.State.IN_REVIEW and not draft.approvals.exists()


def test_approval_is_refused_while_an_error_rule_fails_and_allowed_once_fixed(
    editor, approver, draft
):
    draft = review.submit_for_review(editor, draft, expected_revision=3, message="please")
    with pytest.raises(review.ReviewRefused) as refused:
        review.approve(approver, draft, expected_revision=3)
    assert refused.value.message == f"This connection's team rules refuse approval: {WORDS}"
    # Fixed: only the warning is left, and a warning does not block.
    draft = save_revision(
        editor, draft, {**draft.document, "name": "Welcome"}, expected_revision=3, summary="x"
    )
    draft = review.submit_for_review(editor, draft, expected_revision=4, message="fixed")
    approval = review.approve(approver, draft, expected_revision=4)
    assert approval.draft.state == Draft.State.APPROVED
