"""What a draft's pages show about SFMC drift: the banner and the background check's state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from journeys.models import Draft
from journeys.permissions import can_edit_draft
from journeys.services import merging
from journeys.services.remote import RemoteCheck, remote_check_state

register = template.Library()


@dataclass(frozen=True)
class DriftPanel:
    drift: merging.Drift | None
    check: RemoteCheck
    can_update: bool  # "Update my draft" applies: an editor, and no merge is open already


@register.simple_tag
def draft_drift(draft: Draft, user: Any) -> DriftPanel:
    """`{% draft_drift draft user as panel %}`."""
    drift = merging.drift(draft)
    can_update = (
        drift is not None
        and can_edit_draft(user, draft)
        and merging.open_session_for(draft) is None
    )
    return DriftPanel(drift=drift, check=remote_check_state(draft.journey), can_update=can_update)
