"""A faithful fake of the SFMC Interaction API, served over real HTTP with its own SQLite file.

``python -m journeys.sfmc.simulator --port 8765 --data var/simulator.sqlite3 [--seed-demo]``.
Never import Django here: the simulator must not share the product's database or app registry.
"""

from __future__ import annotations

from pathlib import Path

from .app import SimulatorApp
from .config import SimConfig
from .store import Store


def create_app(data_path: Path | str, config: SimConfig | None = None) -> SimulatorApp:
    """A simulator whose state lives in ``data_path`` (created if missing)."""
    config = config or SimConfig()
    return SimulatorApp(Store(data_path, business_unit=config.business_units[0].mid), config)


__all__ = ("SimConfig", "SimulatorApp", "create_app")
