"""SMS activities pick their MobileConnect message by name and their keyword and short code in
selects by name; the card shows the message's name (id on hover); an id the refreshed catalog
lacks is a warning in the editor and on the review. The simulator's demo catalog over real HTTP
(the demo "Win-back" journey ends with an SMS)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from journeys.services.catalog import refresh_catalog
from journeys.sfmc.simulator import demo
from tests.test_push_service import edited, import_demo

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
KEY = "SMSSYNC-1"
WIN_BACK_TEXT = "Win-back - A last text"


def sms_config(draft):
    draft.refresh_from_db()
    activity = next(a for a in draft.document["activities"] if a["key"] == KEY)
    return activity["configurationArguments"]


@pytest.fixture
def draft(editor, sim_connection, demo_journeys):
    assert refresh_catalog(sim_connection.pk) == ""
    return import_demo(editor, sim_connection, "demo-win-back")


@pytest.fixture
def signed_in(client, editor):
    client.force_login(editor)
    return client


def panel(client, draft):
    url = reverse("journeys:draft-panel", args=[draft.pk]) + f"?target=activity:{KEY}"
    return client.get(url, headers=HTMX).content.decode()


def select_of(html, name):
    found = re.search(rf'<select name="{name}" id="id_{name}">(.*?)</select>', html, re.S)
    assert found, f"no select {name}"
    return found.group(1)


def test_the_panel_names_the_message_and_offers_keyword_and_code_by_name(signed_in, draft):
    html = panel(signed_in, draft)

    picked = html.split('class="picked"', 1)[1].split("</p>", 1)[0]
    assert f'title="SMS message {demo.SMS_MESSAGE_ID}">{WIN_BACK_TEXT}</strong>' in picked
    assert "Text: We miss you! Reply COMEBACK for 15% off your next order." in picked
    assert 'placeholder="Search SMS messages by name"' in html
    keywords = select_of(html, "keywordId")
    assert (
        f'<option value="{demo.SMS_KEYWORD_ID}" selected>COMEBACK (on 55123)</option>' in keywords
    )
    assert ">INFO (on 447700900123)</option>" in keywords
    codes = select_of(html, "codeId")
    assert f'<option value="{demo.SMS_CODE_ID}" selected>55123 (short code · US)</option>' in codes
    assert 'name="assetId"' in html and "Content asset ID" in html  # nothing lists those


def test_sms_messages_are_searched_by_name_or_text_and_bring_their_keyword_and_code(
    signed_in, draft
):
    url = reverse("journeys:draft-catalog-search", args=[draft.pk])

    by_text = signed_in.get(url, {"kind": "sms_message", "catalog_q": "on its way"}).content
    everything = signed_in.get(url, {"kind": "sms_message"}).content.decode()

    html = by_text.decode()
    assert html.count('class="pick"') == 1 and "<strong>Order shipped</strong>" in html
    assert 'data-pick-detail="Text: Your order is on its way."' in html
    fill = re.search(r'data-pick-fill="([^"]*)"', html).group(1).replace("&quot;", '"')
    assert '"keywordId": "' in fill and '"codeId": "' in fill and demo.SMS_CODE_ID not in fill
    names = re.findall(r"<strong>([^<]+)</strong>", everything)
    assert names == ["Order shipped", "Welcome text", WIN_BACK_TEXT]


def test_choosing_another_message_keyword_and_code_by_their_ids_saves_them(signed_in, draft):
    html = panel(signed_in, draft)
    long_code = re.search(r'<option value="([^"]+)">447700900123 \(long code', html).group(1)
    info = re.search(r'<option value="([^"]+)">INFO \(on 447700900123\)', html).group(1)
    order_shipped = demo.mobile_id("603", 78)

    response = signed_in.post(
        reverse("journeys:draft-panel", args=[draft.pk]) + f"?target=activity:{KEY}",
        {
            "revision": draft.revision_number,
            "name": "A last text",
            "messageId": order_shipped,
            "keywordId": info,
            "codeId": long_code,
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    config = sms_config(draft)
    assert (config["messageId"], config["keywordId"], config["codeId"]) == (
        order_shipped,
        info,
        long_code,
    )
    assert "Order shipped" in panel(signed_in, draft)


def test_the_card_shows_the_message_name_with_its_text_and_id_on_hover(signed_in, draft):
    html = signed_in.get(reverse("journeys:draft", args=[draft.pk])).content.decode()

    card = html.split(f'data-key="{KEY}"', 1)[1].split("</a>", 1)[0]
    assert re.search(r'<text class="node-type"[^>]*>Win-back - A last t…</text>', card)
    title = re.search(r"<title>(.*?)</title>", card).group(1)
    assert title == (
        f"A last text · SMS · {WIN_BACK_TEXT} · Text: We miss you! Reply COMEBACK for 15% off "
        f"your next order. (SMS message {demo.SMS_MESSAGE_ID})"
    )


def test_an_sms_id_the_catalog_lacks_is_a_warning_in_the_editor_and_on_the_review(
    signed_in, editor, draft
):
    draft = edited(
        editor,
        draft,
        lambda d: d["activities"][-1]["configurationArguments"].update(keywordId="bm9wZTo4Njow"),
    )
    words = "The SMS keyword bm9wZTo4Njow is not in SFMC&#x27;s catalog"

    editor_html = signed_in.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    review_html = signed_in.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()

    assert words in editor_html
    assert "bm9wZTo4Njow (not in SFMC&#x27;s catalog)" in select_of(
        panel(signed_in, draft), "keywordId"
    )
    warnings = review_html.split('id="catalog-warnings"', 1)[1].split("</div>", 1)[0]
    assert words in warnings and f'data-key="{KEY}"' in warnings


def test_without_mobile_connect_the_id_fields_stay_free_and_nothing_is_flagged(
    signed_in, editor, sim_connection, demo_journeys
):
    demo_journeys.configure(mobile_connect_available=False)
    assert refresh_catalog(sim_connection.pk) == ""
    draft = import_demo(editor, sim_connection, "demo-win-back")

    html = panel(signed_in, draft)

    assert f'name="keywordId" value="{demo.SMS_KEYWORD_ID}"' in html
    assert '<select name="codeId"' not in html
    assert "is not in SFMC" not in html
    assert f"SMS message {demo.SMS_MESSAGE_ID} (name not known yet)" in html
