"""How long a text may be where it enters: one place, derived from the models' fields.

The database's limits are the models' `max_length` (a varchar on PostgreSQL; SQLite stores any
length, so the check must be explicit, not left to the engine). What is sent to SFMC is also
bounded by SFMC's own limits (API notes §1.3, §5.1):

* a journey key: at most 200 characters, which mcdev's maintainers confirmed (`maxKeyLength`);
* a journey name: no source states a limit, so it is the setting SFMC_JOURNEY_NAME_MAX_LENGTH,
  by default 200 (like the key's; the form for a new journey always allowed 200).

Values SFMC answers are stored only if they fit (`check_fits`): an answer that does not raises
TooLongToStore, an SFMCError, so every caller already says it in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models

from journeys.models import Journey
from journeys.sfmc.errors import SFMCError

# API notes §1.3 and §5.1: "Max key length 200 [MCDEV maxKeyLength "confirmed"]".
SFMC_KEY_MAX_LENGTH = 200


class TooLongToStore(SFMCError):
    """A value (from SFMC's answer) is longer than the column that keeps it."""


def max_length(model: type[models.Model], name: str) -> int | None:
    """The field's max_length (None for a field without one, e.g. a TextField)."""
    field = model._meta.get_field(name)
    return getattr(field, "max_length", None)


def journey_key_limit() -> int:
    """The longest journey key accepted: what the database keeps and SFMC accepts."""
    return min(max_length(Journey, "key") or SFMC_KEY_MAX_LENGTH, SFMC_KEY_MAX_LENGTH)


def journey_name_limit() -> int:
    """The longest journey name accepted: what the database keeps and SFMC accepts."""
    stored = max_length(Journey, "name") or settings.SFMC_JOURNEY_NAME_MAX_LENGTH
    return min(stored, int(settings.SFMC_JOURNEY_NAME_MAX_LENGTH))


def length_refusal(what: str, value: Any, limit: int) -> str:
    """Why `value` is refused as `what` ("" when it fits), e.g. "The journey's name is 450
    characters long; at most 200 are allowed."."""
    if not isinstance(value, str) or len(value) <= limit:
        return ""
    return f"{what} is {len(value)} characters long; at most {limit} are allowed."


def check_fits(model: type[models.Model], values: Mapping[str, Any]) -> None:
    """Raise TooLongToStore when a text among `values` (field name → value) is longer than
    its field of `model` keeps."""
    for name, value in values.items():
        limit = max_length(model, name)
        if limit is None or not isinstance(value, str) or len(value) <= limit:
            continue
        field = model._meta.get_field(name)
        label = f"{model._meta.verbose_name} {getattr(field, 'verbose_name', name)}"
        raise TooLongToStore(
            f"SFMC's answer cannot be stored here: the {label} is {len(value)} characters "
            f"long, and at most {limit} are kept."
        )
