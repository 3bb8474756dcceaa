"""Real Celery workers for the tests that need one in the test process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Upper bounds, not expectations: on a machine whose cores are busy a worker thread may take
# many seconds to start or stop; only a worker that never does is an error.
WORKER_LIMIT_SECONDS = 120


def _bounded_start_worker() -> Any:
    from celery.contrib.testing.worker import TestWorkController

    class BoundedStartWorker(TestWorkController):
        """Celery's test worker, whose wait for readiness has no limit: a worker thread that
        died while starting would hang the whole test run instead of failing one test."""

        def ensure_started(self) -> None:
            if not self._on_started.wait(WORKER_LIMIT_SECONDS):  # type: ignore[attr-defined]
                raise RuntimeError(f"the worker was not ready after {WORKER_LIMIT_SECONDS} s")

    return BoundedStartWorker


@contextmanager
def running_thread_worker() -> Iterator[Any]:
    """A real Celery worker in a thread of the test process, on an empty queue.

    Messages earlier tests left in the broker (a drift check enqueued when a page opened) are
    purged first, or this worker would run them for a database they no longer match.
    """
    from celery.contrib.testing.worker import start_worker
    from celery.worker import state as worker_state

    from journeys.celery import app

    app.control.purge()
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=WORKER_LIMIT_SECONDS,
            WorkController=_bounded_start_worker(),
        ) as w:
            yield w
    finally:
        # Celery leaves this at 0 when its worker thread outlived the shutdown timeout, and
        # every later worker would then stop before it is ready.
        worker_state.should_terminate = None
