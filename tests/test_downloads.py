"""Downloads: the file name comes from the journey's key, which is any text SFMC or an upload
gave; the Content-Disposition header always says attachment and carries the whole name safely
(RFC 6266: a quoted ASCII name, or filename* for anything else), never a 500."""

from __future__ import annotations

from email.message import Message

import pytest
from django.urls import reverse

from journeys.models import Draft, Journey, RemoteSnapshot
from journeys.services.drafts import create_new_journey
from tests.factories import ConnectionFactory

HOSTILE_KEYS = {
    "quote": 'evil.html"; dummy="',
    "crlf": "evil\r\nSet-Cookie: x=1",
    "non-ascii": "Reise-nach-Zürich-✈",
    "backslash": "a\\b",
}


def _draft_with_key(editor, key: str) -> Draft:
    draft = create_new_journey(editor, ConnectionFactory(), "Download me")
    Journey.objects.filter(pk=draft.journey_id).update(key=key)
    draft.refresh_from_db()
    return draft


def _read_disposition(header: str) -> tuple[str, str | None]:
    """The disposition and file name, as a standards parser (Python's email package) reads them."""
    message = Message()
    message["Content-Disposition"] = header
    return message.get_content_disposition() or "", message.get_filename()


def _download(client, editor, key: str, which: str):
    draft = _draft_with_key(editor, key)
    if which == "draft":
        url = reverse("journeys:draft-download", args=[draft.pk])
        expected = f"{key}-draft{draft.pk}-r{draft.revision_number}.json"
    else:
        snapshot = RemoteSnapshot.objects.create(
            journey=draft.journey,
            version=3,
            modified_date="2026-01-01T00:00:00",
            status="Draft",
            document=draft.document,
            content_hash=draft.content_hash,
        )
        url = reverse("journeys:snapshot-download", args=[snapshot.pk])
        expected = f"{key}-v3.json"
    client.force_login(editor)
    return client.get(url), expected


@pytest.mark.parametrize("which", ["draft", "snapshot"])
@pytest.mark.parametrize("key", HOSTILE_KEYS.values(), ids=HOSTILE_KEYS.keys())
def test_a_download_is_an_attachment_named_by_the_whole_key(client, editor, key, which):
    response, expected = _download(client, editor, key, which)
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert _read_disposition(header) == ("attachment", expected)
