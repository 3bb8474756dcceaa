"""Template comments never reach the page.

Django's `{# … #}` ends at the line's end: one spread over lines is printed as text. Longer
comments need `{% comment %}`.
"""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse

from tests.test_push_service import approved_demo
from tests.test_push_views import conflicted, remote_edit

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_spreads_a_short_comment_over_lines():
    spread = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") != line.count("#}")
    ]
    assert spread == []


def test_the_review_compare_and_merge_pages_print_no_comment(
    client, editor, approver, sim_connection, demo_journeys, simulator
):
    draft = approved_demo(editor, approver, sim_connection)
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, draft)
    client.force_login(editor)
    pages = {
        "review": reverse("journeys:draft-review", args=[draft.pk]),
        "compare": reverse("journeys:draft-compare", args=[draft.pk]),
        "merge": reverse("journeys:merge", args=[session.pk]),
    }
    for name, url in pages.items():
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, name
        assert 'class="canvas readonly' in html, name  # the read-only canvas was drawn
        assert "{#" not in html and "#}" not in html, name
        assert "{% comment" not in html and "A read-only canvas:" not in html, name
