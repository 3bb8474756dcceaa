"""The benchmarks (see journeys/management/commands/bench.py)."""

# The benchmarks write far faster than a person (hundreds of revisions a minute, by one user, on
# one draft): they measure the editor, not the write limits, so they lift those (settings.py).
from __future__ import annotations

UNLIMITED_WRITES = {
    "JOURNEY_REVISIONS_PER_USER_PER_WINDOW": str(10**9),
    "JOURNEY_BYTES_PER_USER_PER_WINDOW": str(10**15),
    "JOURNEY_MAX_REVISIONS_PER_DRAFT": str(10**9),
}
