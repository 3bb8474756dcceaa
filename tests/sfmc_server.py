"""Start the SFMC simulator on an ephemeral 127.0.0.1 port in a background thread.

Use it as a fixture: ``yield from running_simulator(tmp_path / "sim.sqlite3")``, or call
``start_simulator`` directly when a test needs to stop and restart on the same data file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

from journeys.sfmc.simulator import SimConfig, SimulatorApp, create_app
from journeys.sfmc.simulator.tls import ensure_certificate

CLIENT_ID = SimConfig.client_id
CLIENT_SECRET = SimConfig.client_secret


@dataclass
class RunningSimulator:
    """A simulator serving on ``base_url`` until ``stop()``."""

    app: SimulatorApp
    server: BaseWSGIServer
    thread: threading.Thread
    data_path: Path
    http: requests.Session = field(default_factory=requests.Session)
    certificate: Path | None = None

    def __post_init__(self) -> None:
        if self.certificate is not None:
            self.http.verify = str(self.certificate)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.certificate else "http"
        return f"{scheme}://127.0.0.1:{self.server.port}"

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        """Call ``/_sim/<path>`` with a JSON body and return the decoded JSON answer."""
        response = self.http.request(
            method, f"{self.base_url}/_sim/{path}", json=payload if payload is not None else {}
        )
        response.raise_for_status()
        return response.json()

    def add_fault(self, kind: str, **spec: Any) -> Any:
        return self.control("POST", "faults", {"kind": kind, **spec})

    def configure(self, **settings: Any) -> Any:
        return self.control("POST", "config", settings)

    def request_log(self, **filters: Any) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.base_url}/_sim/requests", params=filters)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()
        return entries

    def token(self, account_id: str | int | None = None) -> str:
        """A fresh access token for raw HTTP calls (bound to business unit ``account_id``)."""
        grant = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        if account_id is not None:
            grant["account_id"] = str(account_id)
        response = self.http.post(f"{self.base_url}/v2/token", json=grant)
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.http.close()
        self.app.store.close()


class ApiSession(requests.Session):
    """Raw HTTP to the simulator's API: paths relative to its base URL, a bearer token, timeouts."""

    def __init__(self, simulator: RunningSimulator, account_id: str | int | None = None) -> None:
        super().__init__()
        self.base_url = simulator.base_url
        self.headers["Authorization"] = f"Bearer {simulator.token(account_id)}"

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)


def start_simulator(
    data_path: Path, config: SimConfig | None = None, *, tls_dir: Path | None = None
) -> RunningSimulator:
    """Serve a simulator on 127.0.0.1 with an ephemeral port; state lives in ``data_path``.

    With ``tls_dir`` it serves HTTPS with the self-signed certificate kept there.
    """
    app = create_app(data_path, config)
    keys = ensure_certificate(tls_dir) if tls_dir is not None else None
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=keys)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    certificate = Path(keys[0]) if keys else None
    return RunningSimulator(app, server, thread, data_path, certificate=certificate)


def running_simulator(
    data_path: Path, config: SimConfig | None = None
) -> Iterator[RunningSimulator]:
    """Generator body for a pytest fixture: start, yield, stop."""
    simulator = start_simulator(data_path, config)
    try:
        yield simulator
    finally:
        simulator.stop()
