"""The embedded broker (journeys/broker.py) against kombu's own filesystem transport.

Races are made certain, not hoped for: a writer is held between creating a message file and
writing its content (its serialisation waits on an Event), and a reader runs in that window.
kombu's transport hands the reader an empty file and loses the message (kombu#1551); ours shows
the reader nothing until the message is whole, and every message is consumed exactly once.
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import queue as queues
import threading
import time
from collections import Counter
from contextlib import contextmanager, suppress
from pathlib import Path

import kombu
import pytest
from kombu.transport import filesystem

from journeys import broker

MESSAGE = {"body": "aGVsbG8=", "headers": {"id": "paused"}, "properties": {}}
OTHER = {"body": "b3RoZXI=", "headers": {"id": "other"}, "properties": {}}


def connect(root: Path, transport: type = broker.Transport, poll: float = 0.01):
    folder = root / "queue"
    folder.mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(root / "control"),
        "polling_interval": poll,
    }
    return kombu.Connection("filesystem://", transport=transport, transport_options=options)


@contextmanager
def paused(monkeypatch, module, attribute="dumps", when=lambda *args: True):
    """Hold every caller of `module.attribute` (for which `when(*args)`) until the block ends.

    Pausing `dumps` holds a writer after it created its file and before it writes it. Yields
    start: start(fn) runs fn in a writer thread and returns once that writer is held. Leaving
    the block lets the writer finish, and joins it."""
    held, release, writers = threading.Event(), threading.Event(), []
    real = getattr(module, attribute)

    def hold(*args):
        if when(*args):
            held.set()
            assert release.wait(60)
        return real(*args)

    monkeypatch.setattr(module, attribute, hold)

    def start(fn):
        writers.append(threading.Thread(target=fn))
        writers[-1].start()
        assert held.wait(60), "the writer never reached the pause"

    try:
        yield start
    finally:
        release.set()
        for writer in writers:
            writer.join(60)
        monkeypatch.setattr(module, attribute, real)


def test_kombus_transport_hands_a_reader_an_empty_file_and_loses_the_message(tmp_path, monkeypatch):
    """The upstream bug, made certain: this is what killed the worker (kombu#1551)."""
    producer = connect(tmp_path, filesystem.Transport).default_channel
    consumer = connect(tmp_path, filesystem.Transport).default_channel
    with paused(monkeypatch, filesystem) as start:
        start(lambda: producer._put("q", MESSAGE))
        with pytest.raises(json.JSONDecodeError):
            consumer._get("q")
    # The writer wrote into the file the reader had taken away: the message is gone.
    with pytest.raises(queues.Empty):
        consumer._get("q")


def test_our_transport_shows_a_message_only_when_whole_and_delivers_it_once(tmp_path, monkeypatch):
    producer = connect(tmp_path).default_channel
    consumer = connect(tmp_path).default_channel
    with paused(monkeypatch, broker, when=lambda obj: obj == MESSAGE) as start:
        start(lambda: producer._put("q", MESSAGE))
        # In the window the reader sees no part of the paused message, and other messages pass.
        producer._put("q", OTHER)
        assert consumer._get("q") == OTHER
        with pytest.raises(queues.Empty):
            consumer._get("q")
    assert consumer._get("q") == MESSAGE
    with pytest.raises(queues.Empty):
        consumer._get("q")
    assert not list((tmp_path / "queue" / ".tmp").iterdir())


def test_messages_come_out_in_the_order_they_were_put(tmp_path):
    producers = [connect(tmp_path).default_channel for _ in range(2)]
    consumer = connect(tmp_path).default_channel
    for number in range(20):
        producers[number % 2]._put("q", {"n": number})
    assert [consumer._get("q")["n"] for _ in range(20)] == list(range(20))


def test_a_file_taken_by_another_consumer_after_the_listing_is_skipped(tmp_path, monkeypatch):
    producer, first, second = (connect(tmp_path).default_channel for _ in range(3))
    producer._put("q", MESSAGE)
    taken, real_listdir = [], broker.os.listdir

    def listdir(path):
        names = real_listdir(path)
        if not taken:  # the first reader listed the file; the second one takes it now
            taken.append(None)
            taken[0] = second._get("q")
        return names

    monkeypatch.setattr(broker.os, "listdir", listdir)
    with pytest.raises(queues.Empty):
        first._get("q")
    assert taken == [MESSAGE]


def test_two_readers_of_one_file_only_one_gets_the_message(tmp_path, monkeypatch):
    producer, first, second = (connect(tmp_path).default_channel for _ in range(3))
    producer._put("q", MESSAGE)
    taken, real_message = [], broker._message

    def message(payload):
        if not taken:  # both have read the file; the second one claims it first
            taken.append(None)
            taken[0] = second._get("q")
        return real_message(payload)

    monkeypatch.setattr(broker, "_message", message)
    with pytest.raises(queues.Empty):
        first._get("q")
    assert taken == [MESSAGE]


def test_a_corrupt_file_is_set_aside_with_an_error_and_the_next_message_delivered(tmp_path, caplog):
    channel = connect(tmp_path).default_channel
    folder = tmp_path / "queue"
    (folder / "0000_empty.q.msg").write_bytes(b"")
    (folder / "0001_garbage.q.msg").write_bytes(b"{not json")
    channel._put("q", MESSAGE)

    assert channel._get("q") == MESSAGE
    assert sorted(p.name for p in (folder / "corrupt").iterdir()) == [
        "0000_empty.q.msg",
        "0001_garbage.q.msg",
    ]
    assert "0000_empty.q.msg is not a message" in caplog.text
    with pytest.raises(queues.Empty):
        channel._get("q")


def test_kombus_exchange_table_is_read_empty_while_being_created(tmp_path, monkeypatch):
    binder = connect(tmp_path, filesystem.Transport).default_channel
    publisher = connect(tmp_path, filesystem.Transport).default_channel
    # kombu creates the table file, then locks it, then writes it: hold it before the lock.
    with paused(
        monkeypatch, filesystem, "lock", when=lambda f, flags: flags == fcntl.LOCK_EX
    ) as start:
        start(lambda: binder._queue_bind("jobs", "q", None, "q"))
        with pytest.raises(json.JSONDecodeError):
            publisher.get_table("jobs")


def test_our_exchange_table_is_created_whole(tmp_path, monkeypatch):
    binder = connect(tmp_path).default_channel
    publisher = connect(tmp_path).default_channel
    with paused(monkeypatch, broker) as start:
        start(lambda: binder._queue_bind("jobs", "q", None, "q"))
        assert publisher.get_table("jobs") == []
    assert [q.queue for q in publisher.get_table("jobs")] == ["q"]


# A burst: several producer processes, two consumer processes, every message exactly once.

PRODUCERS, PER_PRODUCER, CONSUMERS = 4, 150, 2


def produce(root: str, producer: int) -> None:
    with connect(Path(root)) as connection:
        publisher = connection.Producer(serializer="json")
        target = kombu.Queue("burst", routing_key="burst")
        for number in range(PER_PRODUCER):
            publisher.publish([producer, number], routing_key="burst", declare=[target])


def consume(root: str, received, stop) -> None:
    with connect(Path(root)) as connection:

        def on_message(body, message):
            received.put(tuple(body))
            message.ack()

        target = kombu.Queue("burst", routing_key="burst")
        with connection.Consumer(target, callbacks=[on_message], accept=["json"]):
            while not stop.is_set():
                with suppress(TimeoutError):
                    connection.drain_events(timeout=0.2)


@pytest.mark.integration
def test_a_burst_from_several_producer_processes_is_consumed_exactly_once(tmp_path):
    context = multiprocessing.get_context("spawn")
    received, stop = context.Queue(), context.Event()
    consumers = [
        context.Process(target=consume, args=(str(tmp_path), received, stop))
        for _ in range(CONSUMERS)
    ]
    producers = [
        context.Process(target=produce, args=(str(tmp_path), number)) for number in range(PRODUCERS)
    ]
    for process in consumers + producers:
        process.start()
    expected = Counter((p, n) for p in range(PRODUCERS) for n in range(PER_PRODUCER))
    got: Counter = Counter()
    deadline = time.monotonic() + 120
    try:
        while sum(got.values()) < len(expected) and time.monotonic() < deadline:
            try:
                got[received.get(timeout=1)] += 1
            except queues.Empty:
                assert all(c.exitcode is None for c in consumers), "a consumer died"
    finally:
        stop.set()
        for process in producers + consumers:
            process.join(60)
    assert [p.exitcode for p in producers + consumers] == [0] * (PRODUCERS + CONSUMERS)
    while True:  # anything a consumer took after the count was reached would be a duplicate
        try:
            got[received.get(timeout=0.5)] += 1
        except queues.Empty:
            break
    assert got == expected
    folder = tmp_path / "queue"
    assert not [p for p in folder.iterdir() if p.name.endswith(".msg")]
    assert not (folder / "corrupt").exists()
