"""Template tags only format what the view passed: none loads data behind the view's back (no
models, services, permissions or presentation code, which read the database). Views pass the
context their templates need (journeys/presentation/ builds it)."""

from __future__ import annotations

from pathlib import Path

from tests.test_domain_purity import imported_modules

TAGS_DIR = Path(__file__).resolve().parent.parent / "journeys" / "templatetags"
LOADERS = ("journeys.models", "journeys.services", "journeys.permissions", "journeys.presentation")


def loads_data(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in LOADERS)


def test_the_check_sees_a_tag_that_would_load_data():
    source = "from journeys.models import Draft\nfrom journeys.services import merging\n"
    assert [m for m in imported_modules(source) if loads_data(m)] == [
        "journeys.models",
        "journeys.services",
    ]


def test_no_template_tag_imports_what_reads_the_database():
    found = {
        path.name: [m for m in imported_modules(path.read_text()) if loads_data(m)]
        for path in sorted(TAGS_DIR.glob("*.py"))
    }
    assert len(found) >= 2  # __init__.py and words_tags.py at least: the walk found them
    assert {name: modules for name, modules in found.items() if modules} == {}
