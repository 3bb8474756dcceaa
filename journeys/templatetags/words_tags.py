"""Plain words on pages: attributes by name, each with its full path on hover."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from journeys.domain.conditions import Segment

register = template.Library()


@register.filter
def said(words: str | tuple[Segment, ...]) -> SafeString:
    """`{{ line|said }}`: a line of plain words (a string, or the domain's parts), escaped, with
    each attribute as `<span class="attribute" title="its key">its name</span>`."""
    parts = (words,) if isinstance(words, str) else words
    return mark_safe(  # noqa: S308 - every part is escaped here
        "".join(
            str(conditional_escape(part))
            if isinstance(part, str)
            else format_html('<span class="attribute" title="{}">{}</span>', part.key, part.name)
            for part in parts
        )
    )
