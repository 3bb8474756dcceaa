"""Validate, pause, resume and the audit log: what a journey goes through besides save and publish.

Behaviours the API notes leave UNVERIFIED, and what the simulator does:

* validateAsync stays ValidateInProcess for ``publish_delay`` seconds, then runs the publish
  checks (checks.py) on the version as it is then; a version that is no longer a Draft by then
  ends in Error "Cannot validate interaction in <status> status." (errorCode "30000").
* pause answers ``{"status": "Accepted"}`` like resume; both need versionNumber or
  allVersions=true (400 otherwise). allVersions pauses every Published version and resumes every
  Paused one; a Paused version resumes to Published.
* The pause options (PausedDays >= 1, GuardrailAction stop|resume|none, ExtendWaitEndDates and
  RetainContactInjectionWhileJourneyPaused booleans) are checked, then ignored: the simulator
  runs no contacts, so a pause never ends by itself.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from .audit import action_named
from .checks import status_answer
from .envelopes import malformed, not_found
from .interactions import Interactions, JourneyRef
from .store import PublishRequest

ACCEPTED = {"status": "Accepted"}
PAUSE_OPTIONS: dict[str, type] = {
    "PausedDays": int,
    "ExtendWaitEndDates": bool,
    "GuardrailAction": str,
    "RetainContactInjectionWhileJourneyPaused": bool,
}
GUARDRAIL_ACTIONS = ("stop", "resume", "none")


class Lifecycle:
    """The lifecycle operations of one simulator, on top of its Interactions."""

    def __init__(self, interactions: Interactions) -> None:
        self.interactions = interactions
        self.store = interactions.store

    def validate(self, ref: JourneyRef, version: int | None) -> PublishRequest:
        """validateAsync: queue a check of a Draft; it settles after ``publish_delay``."""
        with self.store.transaction():
            item, request = self.interactions.draft_request(ref, version, "validate")
            self.store.add_validate_request(request)
            self.interactions.audit.record(item, "Validate", self.interactions.actor(None))
        return request

    def validate_status(self, status_id: str) -> dict[str, Any]:
        """The validateStatus answer for one request (checked once its delay has passed)."""
        with self.store.transaction():
            request = self.store.validate_request(status_id)
            if request is None:
                raise not_found("Validate status not found.")
            if not request.settled and request.ready_at <= time.time():
                items = self.interactions.check(request.journey_id, request.version, "validate")[1]
                self.store.mark_validate_settled(status_id, items)
                request = dataclasses.replace(request, settled=True, errors=items)
        return status_answer(request, "Validate")

    def pause(
        self, ref: JourneyRef, version: int | None, all_versions: bool, options: dict[str, Any]
    ) -> list[int]:
        """Published → Paused; returns the paused version numbers."""
        _check_pause_options(options)
        chosen = _chosen_version(version, all_versions)
        return self.interactions.transition(ref, chosen, ("Published",), "Paused", "Pause")

    def resume(self, ref: JourneyRef, version: int | None, all_versions: bool) -> list[int]:
        """Paused → Published; returns the resumed version numbers."""
        chosen = _chosen_version(version, all_versions)
        return self.interactions.transition(ref, chosen, ("Paused",), "Published", "Resume")

    def audit(
        self, ref: JourneyRef, action: str, version: int | None, page: int, size: int
    ) -> dict[str, Any]:
        """One page of the journey's audit log, newest first."""
        try:
            wanted = action_named(action)
        except ValueError as exc:
            raise malformed(str(exc)) from None
        journey_id = self.interactions.journey_id(ref)
        return self.interactions.audit.page(journey_id, wanted, version, page, size)


def _chosen_version(version: int | None, all_versions: bool) -> int | None:
    if all_versions:
        return None
    if version is None:
        raise malformed("versionNumber is required unless allVersions is true.")
    return version


def _check_pause_options(options: dict[str, Any]) -> None:
    for name, kind in PAUSE_OPTIONS.items():
        value = options.get(name)
        if value is not None and type(value) is not kind:
            raise malformed(f"{name} must be a {kind.__name__}.")
    days = options.get("PausedDays")
    if days is not None and days < 1:
        raise malformed("PausedDays must be at least 1.")
    guardrail = options.get("GuardrailAction")
    if guardrail is not None and guardrail.lower() not in GUARDRAIL_ACTIONS:
        raise malformed(f"GuardrailAction must be one of {', '.join(GUARDRAIL_ACTIONS)}.")
