from __future__ import annotations

import ast
from pathlib import Path

DOMAIN_DIR = Path(__file__).resolve().parent.parent / "journeys" / "domain"


def imported_modules(source: str) -> list[str]:
    """Every module a Python source imports, including `importlib.import_module("x")` calls."""
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = ast.unparse(node.func)
            if called in ("__import__", "import_module", "importlib.import_module"):
                modules.append(str(node.args[0].value))
    return modules


def is_django(module: str) -> bool:
    return module == "django" or module.startswith("django.")


def test_the_import_finder_sees_every_way_of_importing_django():
    source = (
        "import os, django.db\n"
        "from django.conf import settings\n"
        "import importlib\n"
        "importlib.import_module('django.apps')\n"
        "__import__('django')\n"
        "import djangorestthing\n"
    )
    found = [module for module in imported_modules(source) if is_django(module)]
    assert found == ["django.db", "django.conf", "django.apps", "django"]


def test_no_domain_module_imports_django():
    sources = sorted(DOMAIN_DIR.rglob("*.py"))
    assert {"document.py", "validate.py", "graph.py", "catalog.py"} <= {p.name for p in sources}
    offenders = {
        str(path.relative_to(DOMAIN_DIR)): module
        for path in sources
        for module in imported_modules(path.read_text(encoding="utf-8"))
        if is_django(module)
    }
    assert offenders == {}
