"""What a catalog refresh costs, and how fast a picker finds an email or data extension by name.

Run from the repository root (about 20 s on 2 cores):

    .venv/bin/python -m bench.bench_catalog [emails] [data_extensions]

A throwaway SQLite database in a temporary directory (VAR_DIR) and the simulator in a thread of
this process, served over real HTTP; the simulator is bulk-seeded (`POST /_sim/catalog/bulk`)
with 5,000 emails and 2,000 data extensions of 8 fields each (16,000 field rows) on top of
its demo catalog.

* refresh: `services.catalog.refresh_catalog` (what the worker runs: every kind fetched from
  SFMC over REST and SOAP with paging, then each kind replaced in one transaction), wall time
  and DB queries, median of 3; and the same fetches alone (no database), the least a refresh
  must do;
* search: the picker's search over the cache (`views.catalog` `_emails` / `_data_extensions`:
  a name containing the typed text, 20 at most) and the whole htmx request through
  django.test.Client (permissions, the first-load check, the rendered list), median of 51,
  each as a multiple of a bare indexed query (the exact name on the (connection, name) index).
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_domain import median_ms
from bench.bench_editor import count_queries
from bench.bench_editor import median_ms as warm_median_ms
from bench.bench_push import setup_django

EMAILS = 5000
DATA_EXTENSIONS = 2000
FIELDS_PER_DATA_EXTENSION = 8
REFRESHES = 3
SEARCHES = 51


@dataclass(frozen=True)
class Figure:
    name: str
    median_ms: float | None
    ratio: float | None = None  # to the row's yardstick
    queries: int | None = None


def seed(simulator: Any, emails: int, data_extensions: int) -> None:
    """Bulk-seed the simulator's catalog over its HTTP controls."""
    payload = {
        "emails": emails,
        "data_extensions": data_extensions,
        "fields": FIELDS_PER_DATA_EXTENSION,
    }
    simulator.control("POST", "catalog/bulk", payload)


def refresh_figures(connection: Any, runs: int = REFRESHES) -> list[Figure]:
    """A whole refresh (fetch + replace), its queries, and the fetches alone.

    No warm-up run here: each refresh takes seconds, and the first is no colder than the rest
    (the simulator's catalog is in memory, the cache tables are replaced whole every time).
    """
    from django.db import connection as database
    from django.test.utils import CaptureQueriesContext

    from journeys.services import catalog as service
    from journeys.services.remote import client_for

    queries: list[int] = []

    def refresh() -> None:
        with CaptureQueriesContext(database) as captured:
            error = service.refresh_catalog(connection.pk)
        if error:
            raise RuntimeError(error)
        queries.append(len(captured.captured_queries))

    def fetch_only() -> None:
        client = client_for(connection)
        for fetch in service._FETCHES.values():
            fetch(client)

    fetched = median_ms(fetch_only, runs)  # no warm-up: each run takes seconds
    whole = median_ms(refresh, runs)
    # The first refresh also creates the per-kind rows; later ones replace a loaded cache.
    if len(set(queries[1:])) != 1:
        raise RuntimeError(f"the refreshes made different numbers of queries: {queries}")
    return [
        Figure("catalog refresh (fetch + replace every kind)", whole, whole / fetched, queries[-1]),
        Figure("  the first refresh of the connection (queries)", None, None, queries[0]),
        Figure("  the fetches alone over HTTP (yardstick)", fetched, 1.0, 0),
    ]


@dataclass(frozen=True)
class Search:
    """One named search input: what the picker's kind is, the name sought, what is typed."""

    words: str  # "email", "data extension"
    kind: str  # the search URL's kind
    model: Any
    name: str
    typed: str


def search_figures(
    connection: Any, http: Any, draft: Any, emails: int, data_extensions: int, runs: int = SEARCHES
) -> list[Figure]:
    """Picker searches by name over the cache, each against a bare indexed query."""
    from journeys.catalog_models import CatalogDataExtension, CatalogEmail

    # Names the bulk seeding gives (catalog_demo.add_bulk), the middle one of each kind, and
    # what a person types: part of the name, in any case (the search ignores case).
    email, de = f"{emails // 2:05d}", f"{data_extensions // 2:05d}"
    searches = [
        Search("email", "email", CatalogEmail, f"Campaign email {email}", f"email {email}"),
        Search(
            "data extension",
            "data_extension",
            CatalogDataExtension,
            f"Audience {de}",
            f"DIENCE {de}",
        ),
    ]
    return [f for s in searches for f in _search_rows(connection, http, draft, s, runs)]


def _search_rows(connection: Any, http: Any, draft: Any, search: Search, runs: int) -> list[Figure]:
    from django.urls import reverse

    from journeys.views import catalog as views

    url = reverse("journeys:draft-catalog-search", args=[draft.pk])
    picker_search = views._emails if search.kind == "email" else views._data_extensions

    def bare() -> list[Any]:
        return list(search.model.objects.filter(connection=connection, name=search.name)[:20])

    def found() -> list[dict[str, Any]]:
        return list(picker_search(connection, search.typed))

    def request() -> Any:
        query = {"kind": search.kind, "catalog_q": search.typed}
        response = http.get(url, query, HTTP_HX_REQUEST="true")
        if response.status_code != 200 or search.name.encode() not in response.content:
            raise RuntimeError(f"search for {search.typed!r} failed: {response.status_code}")
        return response

    if len(bare()) != 1 or not any(r["name"] == search.name for r in found()):
        raise RuntimeError(f"the {search.words} {search.name!r} was not found")
    bare_ms, search_ms = warm_median_ms(bare, runs), warm_median_ms(found, runs)
    request_ms, (queries, _) = warm_median_ms(request, runs), count_queries(request)
    said = f"{search.words} by name ({search.typed!r})"
    return [
        Figure(f"{said}: picker search", search_ms, search_ms / bare_ms),
        Figure(f"{said}: htmx request", request_ms, request_ms / bare_ms, queries),
        Figure("  bare indexed query, exact name (yardstick)", bare_ms, 1.0, 1),
    ]


def table(figures: list[Figure]) -> str:
    lines = [f"{'what':<58}{'median':>12}{'ratio':>9}{'queries':>9}", "-" * 88]
    for figure in figures:
        ratio = f"{figure.ratio:8.1f}×" if figure.ratio is not None else ""
        queries = f"{figure.queries:>9}" if figure.queries is not None else ""
        median = f"{figure.median_ms:>9.2f} ms" if figure.median_ms is not None else " " * 12
        lines.append(f"{figure.name:<58}{median}{ratio:>9}{queries}")
    return "\n".join(lines)


def editor_and_draft(connection: Any) -> tuple[Any, Any]:
    import json

    from journeys.services.drafts import create_draft_from_upload
    from journeys.sfmc.simulator import demo
    from tests.factories import UserFactory

    user = UserFactory(username="bench-catalog-edna", roles=["Editors"])
    raw = json.dumps(demo.welcome_series()).encode()
    return user, create_draft_from_upload(user, connection, raw).draft


def main(emails: int = EMAILS, data_extensions: int = DATA_EXTENSIONS) -> None:
    from tests.sfmc_server import start_simulator

    with tempfile.TemporaryDirectory() as var_dir:
        simulator = start_simulator(Path(var_dir) / "simulator.sqlite3")
        try:
            started = time.perf_counter()
            setup_django(var_dir, simulator)
            from django.test import Client

            from journeys.services.remote import ensure_simulator_connection

            seed(simulator, emails, data_extensions)
            connection = ensure_simulator_connection()
            print(
                f"catalog: {emails:,} bulk emails, {data_extensions:,} bulk data extensions of "
                f"{FIELDS_PER_DATA_EXTENSION} fields (+ the demo catalog); SQLite in {var_dir}"
            )
            figures = refresh_figures(connection)
            user, draft = editor_and_draft(connection)
            http = Client(SERVER_NAME="localhost")
            http.force_login(user)
            figures += search_figures(connection, http, draft, emails, data_extensions)
            print(table(figures))
            print(f"total {time.perf_counter() - started:.1f} s")
        finally:
            simulator.stop()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
