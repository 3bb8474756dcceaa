"""Activities said by name in sentences (domain/catalog.py): never by key."""

from __future__ import annotations

from journeys.domain.catalog import activity_name, activity_title, named_keys, new_activity
from journeys.domain.merge_words import item_words

WAIT = {
    "key": "WAITBYDURATION-1",
    "type": "WAIT",
    "configurationArguments": {"waitDuration": 2, "waitUnit": "DAYS"},
}


def test_an_activity_is_said_by_its_name_else_by_its_default_name():
    email = new_activity("EMAILV2", "EMAILV2-1", name="Welcome")
    assert (activity_name(email), activity_title(email)) == ("Welcome", "Email 'Welcome'")
    assert activity_title(WAIT) == "Wait 2 days"
    assert activity_title(new_activity("EMAILV2", "EMAILV2-1")) == "Email"
    assert activity_title({"key": "X-1", "type": "SOMETHINGNEW", "name": " "}) == "SOMETHINGNEW"
    assert item_words("activities", WAIT, "WAITBYDURATION-1") == "Wait 2 days"


def test_sfmc_sentences_get_names_for_whole_keys_only():
    titles = {"EMAILV2-1": "Email 'Welcome'", "EMAILV2-10": "Email 'Bye'"}
    said = named_keys("Activity EMAILV2-1 leads to EMAILV2-10; EMAILV2-100 and XEMAILV2-1.", titles)
    assert said == "Activity Email 'Welcome' leads to Email 'Bye'; EMAILV2-100 and XEMAILV2-1."
    assert named_keys("no keys here", {}) == "no keys here"


def test_the_activity_label_of_an_activity_without_a_name_is_its_default_name():
    from django.template import Context, Template

    label = Template("{% load words_tags %}{% activity_label doc key %}")
    html = label.render(Context({"doc": {"activities": [WAIT]}, "key": "WAITBYDURATION-1"}))
    assert html == '<span class="activity-name" title="WAITBYDURATION-1">Wait 2 days</span>'
