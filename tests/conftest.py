from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import UserFactory
from tests.workers import running_thread_worker

REPO_DIR = Path(__file__).resolve().parent.parent
# Beside the checkout; a git worktree elsewhere names the directory in JOURNEYS_REAL_FIXTURES.
FIXTURES_DIR = Path(
    os.environ.get("JOURNEYS_REAL_FIXTURES")
    or REPO_DIR.parent / "shared" / "fixtures" / "sfmc-real"
)


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


@pytest.fixture
def simulator(tmp_path):
    """The SFMC simulator over real HTTP on an ephemeral 127.0.0.1 port, with its own storage."""
    from tests.sfmc_server import running_simulator

    yield from running_simulator(tmp_path / "simulator.sqlite3")


class SimClock:
    """The in-process simulator's clock (token expiry, publish delay, rate limit), stopped: a test
    moves it on with `advance` instead of sleeping and hoping nothing else took that long."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim_clock(monkeypatch):
    import time

    from journeys.sfmc.simulator import checks, faults, interactions, lifecycle, store

    clock = SimClock(time.time())
    # they use time.time() or .monotonic() only
    for module in (store, interactions, faults, lifecycle, checks):
        monkeypatch.setattr(module, "time", clock)
    return clock


@pytest.fixture
def sim_connection(db, simulator, settings):
    """A Connection to the running simulator, which the settings allow as the one http host."""
    from journeys.services.remote import ensure_simulator_connection

    settings.SFMC_SIMULATOR_ENABLED = True
    settings.SFMC_SIMULATOR_URL = simulator.base_url
    return ensure_simulator_connection()


@pytest.fixture
def demo_journeys(simulator):
    from journeys.sfmc.simulator import demo

    demo.seed(simulator.app.interactions)
    return simulator


def pytest_collection_modifyitems(config, items):
    # A transactional test flushes the database, which would take the migrations' data (the
    # role groups) away from every test after it: restore it, whatever the test's marker says.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture
def worker() -> Iterator[Any]:
    """A real Celery worker in a thread of the test process, on an empty queue."""
    with running_thread_worker() as w:
        yield w
