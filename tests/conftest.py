from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import UserFactory

REPO_DIR = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_DIR.parent / "shared" / "fixtures" / "sfmc-real"


@pytest.fixture(scope="session")
def real_fixtures_dir() -> Path:
    if not FIXTURES_DIR.is_dir():
        pytest.fail(f"the real SFMC fixtures are missing: expected {FIXTURES_DIR}")
    return FIXTURES_DIR


# Personas, in the spirit of healthchecks' alice/bob/charlie.
@pytest.fixture
def editor(db):
    return UserFactory(username="edna", roles=["Editors"])


@pytest.fixture
def approver(db):
    return UserFactory(username="arlo", roles=["Approvers"])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", is_staff=True, is_superuser=True)
