"""The simulator stands alone: no Django, and none of the editor's domain code, so that its checks
cannot share a bug with the editor's validator and hide it."""

from __future__ import annotations

import ast
from pathlib import Path

SIMULATOR_DIR = Path(__file__).resolve().parent.parent / "journeys" / "sfmc" / "simulator"
PACKAGE = "journeys.sfmc.simulator"
FORBIDDEN = ("django", "journeys.domain")


def imported_modules(source: str, package: str) -> list[str]:
    """Every module a source imports, relative imports resolved against ``package``.

    ``from x import y`` counts as importing both ``x`` and ``x.y`` (y may be a module).
    """
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            modules.append(base)
            modules.extend(f"{base}.{alias.name}" for alias in node.names)
        elif _is_import_call(node):
            modules.append(str(node.args[0].value))
    return modules


def _is_import_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and ast.unparse(node.func) in ("__import__", "import_module", "importlib.import_module")
    )


def _absolute(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_the_import_finder_sees_every_way_of_reaching_the_domain_or_django():
    source = (
        "import os, django.db\n"
        "from journeys.domain.validate import validate\n"
        "from journeys import domain\n"
        "from ...domain import graph\n"
        "from .. import client\n"
        "from . import store\n"
        "import importlib\n"
        "importlib.import_module('journeys.domain.graph')\n"
        "import journeys.domainish, djangorestthing\n"
    )
    found = [m for m in imported_modules(source, PACKAGE) if is_forbidden(m)]

    assert found == [
        "django.db",
        "journeys.domain.validate",
        "journeys.domain.validate.validate",
        "journeys.domain",
        "journeys.domain",
        "journeys.domain.graph",
        "journeys.domain.graph",
    ]


def test_no_simulator_module_imports_the_domain_or_django():
    sources = sorted(SIMULATOR_DIR.rglob("*.py"))
    assert {"interactions.py", "checks.py", "checks_graph.py", "checks_publish.py"} <= {
        path.name for path in sources
    }
    offenders = {
        str(path.relative_to(SIMULATOR_DIR)): module
        for path in sources
        for module in imported_modules(path.read_text(encoding="utf-8"), _package_of(path))
        if is_forbidden(module)
    }
    assert offenders == {}


def _package_of(path: Path) -> str:
    inner = path.parent.relative_to(SIMULATOR_DIR).parts
    return ".".join([PACKAGE, *inner])
