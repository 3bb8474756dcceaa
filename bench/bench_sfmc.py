"""Client round trips against the simulator over real HTTP, and listing 1,000 journeys.

Run from the repository root: .venv/bin/python -m bench.bench_sfmc [round_trips]

Measures, each with a median (and p95) latency:
* GET of one journey (extras=all) through SFMCClient: token cached, one HTTP request each;
* versioned PUT through SFMCClient, each based on the previous answer's modifiedDate (server-side
  validation with the domain validator included);
* listing 1,000 seeded journeys with iter_journeys, 50 and 500 per page.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from journeys.domain.document import put_body
from journeys.sfmc.client import SFMCClient, TokenCache
from journeys.sfmc.simulator import demo
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET, start_simulator

SEEDED = 1000


def timed(action: Callable[[], Any], rounds: int) -> list[float]:
    """Seconds per call of ``action``."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def report(label: str, samples: list[float]) -> None:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)
    print(
        f"{label:<42} n={len(samples):>4}  median {median * 1000:7.2f} ms  "
        f"p95 {p95 * 1000:7.2f} ms  {1 / median:8.1f}/s"
    )


def bench_round_trips(client: SFMCClient, rounds: int) -> None:
    created = client.create_journey({**demo.welcome_series(), "key": "bench-journey"})
    report("GET journey (extras=all)", timed(lambda: client.get_journey(created["id"]), rounds))

    current = created
    counter = iter(range(rounds))

    def put_once() -> None:
        nonlocal current
        body = put_body(current, version=1, modified_date=current["modifiedDate"])
        current = client.put_journey({**body, "name": f"Bench {next(counter)}"})

    report("PUT journey (versioned, validated)", timed(put_once, rounds))


def bench_listing(client: SFMCClient, seed: Callable[[dict[str, Any]], object]) -> None:
    for number in range(SEEDED):
        seed({**demo.welcome_series(), "key": f"bench-{number:04d}", "name": f"Bench {number}"})
    for page_size in (50, 500):
        pages = -(-(SEEDED + 1) // page_size)

        def list_all(size: int = page_size) -> None:
            assert len(list(client.iter_journeys(page_size=size))) == SEEDED + 1

        samples = timed(list_all, 5)
        report(f"list {SEEDED + 1} journeys, {page_size}/page ({pages} pages)", samples)
        report(f"  one page of {page_size}", [s / pages for s in samples])


def main(rounds: int = 300) -> None:
    """Start a simulator on a temporary file, run every benchmark, print the figures."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as directory:
        simulator = start_simulator(Path(directory) / "bench.sqlite3")
        try:
            client = SFMCClient(
                simulator.base_url,
                simulator.base_url,
                CLIENT_ID,
                CLIENT_SECRET,
                allowed_host_suffixes=[".rest.marketingcloudapis.com"],
                allow_insecure_hosts=[simulator.host_port],
                token_cache=TokenCache(),
            )
            started = time.perf_counter()
            bench_round_trips(client, rounds)
            bench_listing(client, simulator.app.interactions.create)
            print(f"total {time.perf_counter() - started:.1f} s")
        finally:
            simulator.stop()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
