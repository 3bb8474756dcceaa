from __future__ import annotations

from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_DIR.parent / "shared" / "fixtures" / "sfmc-real"


@pytest.fixture(scope="session")
def real_fixtures_dir() -> Path:
    if not FIXTURES_DIR.is_dir():
        pytest.fail(f"the real SFMC fixtures are missing: expected {FIXTURES_DIR}")
    return FIXTURES_DIR
