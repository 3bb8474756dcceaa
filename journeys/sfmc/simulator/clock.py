"""SFMC's timestamp format: ``YYYY-MM-DDTHH:MM:SS[.fff]``, no time zone, trailing zeros trimmed."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime

NEVER_PUBLISHED = "0001-01-01T00:00:00"

_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?")


def now_ms() -> int:
    """Milliseconds since the epoch, wall clock."""
    return time.time_ns() // 1_000_000


def format_ms(ms: int) -> str:
    """Format like real modifiedDate values: ``2024-05-04T17:25:57.9`` (no fraction when .000)."""
    seconds, millis = divmod(ms, 1000)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += "." + f"{millis:03d}".rstrip("0")
    return text


def format_seconds(ms: int) -> str:
    """Format like real lastPublishedDate values, which carry whole seconds only."""
    return format_ms(ms - ms % 1000)


def parse_ms(text: object) -> int | None:
    """Parse an SFMC timestamp to milliseconds (digits past the millisecond are ignored)."""
    if not isinstance(text, str):
        return None
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = (match.group(7) or "").ljust(3, "0")[:3]
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return calendar.timegm(moment.timetuple()) * 1000 + int(fraction)
