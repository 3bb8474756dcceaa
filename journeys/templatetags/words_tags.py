"""Plain words on pages: attributes by name, each with its full path on hover."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from journeys.domain.catalog import activity_name
from journeys.domain.catalog_changes import CatalogWords
from journeys.domain.conditions import AttributeWords, Segment
from journeys.domain.diff import ActivityWords
from journeys.domain.document import items

register = template.Library()


@register.filter
def said(words: str | tuple[Segment, ...]) -> SafeString:
    """`{{ line|said }}`: a line of plain words (a string, or the domain's parts), escaped, with
    each attribute as `<span class="attribute" title="its key">its name</span>` and each
    catalog object (an email, a data extension...) as `<span class="catalog-name" title="email
    808714">Welcome</span>` and each activity as `<span class="activity-name" title="its
    key">Email 'Welcome'</span>`."""
    parts = (words,) if isinstance(words, str) else words
    return mark_safe(  # noqa: S308 - every part is escaped here
        "".join(
            str(conditional_escape(part))
            if isinstance(part, str)
            else format_html(
                '<span class="{}" title="{}">{}</span>', _css_class(part), part.key, part.name
            )
            for part in parts
        )
    )


def _css_class(part: AttributeWords) -> str:
    if isinstance(part, ActivityWords):
        return "activity-name"
    return "catalog-name" if isinstance(part, CatalogWords) else "attribute"


@register.simple_tag(takes_context=True)
def activity_label(context: template.Context, document: object, key: str) -> SafeString:
    """`{% activity_label draft.document problem.activity_key %}`: the activity's name with its
    key on hover (an activity without a name by its default name); the key alone when the
    document has no activity of that key.
    The names of one document are collected once per render, not once per label."""
    slot = f"activity-names-{id(document)}"
    names = context.render_context.get(slot)
    if names is None:
        names = context.render_context[slot] = _activity_names(document)
    name = names.get(key)
    if not name:
        return format_html("{}", key)
    return format_html('<span class="activity-name" title="{}">{}</span>', key, name)


def _activity_names(document: object) -> dict[str, str]:
    """Key to name of every activity of a stored document, whatever odd shapes it holds."""
    return {
        activity["key"]: activity_name(activity)
        for activity in items(document, "activities")
        if isinstance(activity.get("key"), str)
    }
