"""Published npm packages for the conformance tests, installed once into ``var/node/`` (gitignored).

``npm_package("sfmc-sdk", "2.1.2")`` installs that exact version (with ``npm install --prefix``)
into ``var/node/sfmc-sdk-2.1.2/`` the first time and reuses it afterwards (npm's own cache makes
a reinstall in another checkout quick). The install goes to a temporary folder that is renamed
into place, so an interrupted or concurrent install never leaves a half-filled folder behind.

Without node or npm the test is skipped with the reason, except under CI (``CI`` set to anything
but "", "0" or "false"), where it fails: CI must run it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_DIR / "var" / "node"
INSTALL_TIMEOUT = 300


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require_tools(*names: str) -> dict[str, str]:
    """The path of each command; skips (outside CI) or fails (under CI) when one is missing."""
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        reason = f"{' and '.join(missing)} not found on PATH: install Node.js (with npm) to run it"
        if under_ci():
            pytest.fail(f"{reason} (CI=true: this test must not be skipped)")
        pytest.skip(reason)
    return {name: str(path) for name, path in found.items()}


def npm_package(name: str, version: str) -> Path:
    """The npm prefix holding ``node_modules/<name>`` at ``version``, installed if missing."""
    prefix = CACHE_DIR / f"{name}-{version}"
    if installed_version(prefix, name) == version:
        return prefix
    npm = require_tools("node", "npm")["npm"]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-{version}-", dir=CACHE_DIR))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is for every user of the checkout
    try:
        command = [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund"]
        result = subprocess.run(
            [*command, f"{name}@{version}"],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
        if result.returncode != 0 or installed_version(staging, name) != version:
            pytest.fail(f"npm could not install {name}@{version}:\n{result.stderr[-2000:]}")
        if prefix.exists():  # left broken (e.g. node_modules deleted by hand)
            shutil.rmtree(prefix)
        try:
            staging.rename(prefix)
        except OSError:
            if installed_version(prefix, name) != version:  # not a concurrent install's win
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return prefix


def installed_version(prefix: Path, name: str) -> str | None:
    manifest = prefix / "node_modules" / name / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return str(version) if version else None
