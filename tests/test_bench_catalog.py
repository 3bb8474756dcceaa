"""The catalog benchmark runs end to end on a small catalog (it is a figure, not a test: no
timing is asserted, only that every row is measured and every search finds its name)."""

from __future__ import annotations

import pytest
from django.test import Client

from bench import bench_catalog
from journeys.catalog_models import CatalogDataExtension, CatalogEmail

pytestmark = pytest.mark.django_db


def test_the_catalog_bench_refreshes_a_seeded_catalog_and_finds_names_in_it(
    simulator, sim_connection
):
    bench_catalog.seed(simulator, emails=40, data_extensions=12)

    refresh = bench_catalog.refresh_figures(sim_connection, runs=2)
    user, draft = bench_catalog.editor_and_draft(sim_connection)
    http = Client(SERVER_NAME="localhost")
    http.force_login(user)
    searches = bench_catalog.search_figures(sim_connection, http, draft, 40, 12, runs=1)

    assert CatalogEmail.objects.filter(connection=sim_connection, name__startswith="Campaign")
    assert CatalogDataExtension.objects.filter(connection=sim_connection).count() >= 12
    assert refresh[0].queries and refresh[0].ratio
    names = [figure.name for figure in searches]
    assert "email by name ('email 00020'): htmx request" in names
    assert "data extension by name ('DIENCE 00006'): picker search" in names
    assert all(f.median_ms and f.median_ms > 0 for f in searches)
    assert "catalog refresh" in bench_catalog.table(refresh + searches)
