"""Reading journey files for the command-line tools."""

from __future__ import annotations

import json
from pathlib import Path

from journeys.domain.document import DocumentError, Journey, load_journeys


def read_journeys(path: Path) -> list[Journey] | str:
    """The journeys in a JSON file (one, or a list envelope), or why it cannot be read."""
    try:
        return load_journeys(json.loads(path.read_bytes()))
    except (OSError, ValueError) as error:
        return error.message if isinstance(error, DocumentError) else str(error)
