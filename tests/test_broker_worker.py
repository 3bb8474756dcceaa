"""A real worker process on the embedded broker, with kombu#1551's window held open.

A producer process (what the web side does: `check_worker.delay`) is held between creating the
message file and writing it, and keeps it held until the worker has run a second task sent in
the meantime: so the worker certainly looked at the queue during the window. With kombu's own
transport the worker takes the empty file and dies (JSONDecodeError); with journeys/broker.py it
stays alive and runs each task exactly once. A corrupt file waiting in the queue is set aside.
Side effects are counted in the database (`worker.checked` audit events), not timed.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid

import pytest

from tests.test_push_processes import World, wait_for

pytestmark = pytest.mark.integration


def checked(nonce: str) -> int:
    from journeys.models import AuditEvent

    return AuditEvent.objects.filter(action="worker.checked", details__nonce=nonce).count()


def send(nonce: str) -> dict:
    from journeys.tasks import check_worker

    check_worker.delay(nonce)
    return {}


def send_during_a_held_write(held: str, other: str) -> dict:
    """Send `held` with its write held open until the worker has run `other`, sent meanwhile."""
    from kombu.transport import filesystem

    from journeys import broker
    from journeys.tasks import check_worker

    in_window, release = threading.Event(), threading.Event()
    for module in (broker, filesystem):  # whichever transport the settings chose
        real = module.dumps

        def dumps(obj, real=real):
            if held in str(obj):
                in_window.set()
                release.wait(120)
            return real(obj)

        module.dumps = dumps
    writer = threading.Thread(target=check_worker.delay, args=(held,))
    writer.start()
    assert in_window.wait(60), "the held message was never written"
    check_worker.delay(other)
    ran_other = wait_for(lambda: checked(other) == 1, timeout=45)
    release.set()
    writer.join(60)
    return {"ran_other_during_the_window": ran_other}


class BrokerWorld(World):
    def _command(self, name: str, *args) -> list[str]:
        command = super()._command(name, *args)
        command[2] = command[2].replace("tests.test_push_processes", "tests.test_broker_worker")
        return command

    def checked(self, nonce: str) -> int:
        with sqlite3.connect(self.env["DB_NAME"]) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM journeys_auditevent"
                " WHERE action = 'worker.checked' AND details LIKE ?",
                (f'%"{nonce}"%',),
            ).fetchone()
        return count


@pytest.fixture
def world(tmp_path):
    if os.environ.get("CELERY_BROKER_URL", "filesystem://") != "filesystem://":
        pytest.skip("about the embedded broker")
    env = {**os.environ, "DEBUG": "True", "LOG_LEVEL": "WARNING"}
    env.update(VAR_DIR=str(tmp_path / "var"), DB_NAME=str(tmp_path / "world.sqlite3"))
    env["DJANGO_SETTINGS_MODULE"] = "journeys.settings"
    env.pop("DB_ENGINE", None)
    world = BrokerWorld(tmp_path, env)
    world.manage("migrate", "-v0")
    try:
        yield world
    finally:
        world.stop()


def test_a_worker_survives_the_window_and_runs_each_task_exactly_once(world, tmp_path):
    queue = tmp_path / "var" / "celery" / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    (queue / "0000_garbage.celery.msg").write_bytes(b"")  # what kombu's writer can leave
    worker = world.start_worker("alone")
    held, other, last = (uuid.uuid4().hex for _ in range(3))

    result = world.call("send_during_a_held_write", held, other)

    assert result == {"ran_other_during_the_window": True}
    assert wait_for(lambda: world.checked(held) == 1, timeout=60)
    world.call("send", last)  # sent after everything else: once it ran, nothing is in flight
    assert wait_for(lambda: world.checked(last) == 1, timeout=60)
    assert worker.poll() is None, (tmp_path / "alone.log").read_text()
    assert [world.checked(n) for n in (held, other, last)] == [1, 1, 1]
    assert not [p for p in queue.iterdir() if p.name.endswith(".msg")]
    assert [p.name for p in (queue / "corrupt").iterdir()] == ["0000_garbage.celery.msg"]
    assert "is not a message" in (tmp_path / "alone.log").read_text()
