"""What the editor bar shows about pushing a draft (the push status and the drift banner)."""

from __future__ import annotations

from typing import Any

from django import template

from journeys.models import Draft
from journeys.presentation.push import PushPanel, push_panel

register = template.Library()


@register.simple_tag
def draft_push_panel(draft: Draft, user: Any) -> PushPanel:
    """`{% draft_push_panel draft user as panel %}`: latest push, Push button, drift, merge."""
    return push_panel(user, draft)
