"""Serve the simulator: ``python -m journeys.sfmc.simulator --port 8765 --data FILE``.

``--rest-instance-url``/``--soap-instance-url`` set what the token answers (by default the
simulator's own address); they are start-up settings, so a reset keeps them, like
``--business-units "MID=Name,MID=Name"`` (the parent first; see config.py). ``--https`` serves
TLS with a self-signed certificate kept in ``--cert-dir`` (see tls.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from werkzeug.serving import make_server

from . import create_app, tls
from .config import SimConfig, parse_business_units

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main(argv: list[str] | None = None) -> int:
    """Run until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m journeys.sfmc.simulator")
    parser.add_argument("--host", default="127.0.0.1", help="loopback only (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data", type=Path, default=Path("var/simulator.sqlite3"))
    parser.add_argument("--seed-demo", action="store_true", help="create missing demo journeys")
    parser.add_argument("--client-id", default=SimConfig.client_id)
    parser.add_argument("--client-secret", default=SimConfig.client_secret)
    parser.add_argument("--publish-delay", type=float, default=SimConfig.publish_delay)
    parser.add_argument("--rest-instance-url", default="", help="the token's rest_instance_url")
    parser.add_argument("--soap-instance-url", default="", help="the token's soap_instance_url")
    parser.add_argument(
        "--business-units",
        type=parse_business_units,
        default=SimConfig.business_units,
        help='"MID=Name,MID=Name": the parent business unit, then its children',
    )
    parser.add_argument("--https", action="store_true", help="serve TLS (self-signed)")
    parser.add_argument("--cert-dir", type=Path, default=Path("var/simulator-tls"))
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK:
        parser.error("the simulator has unauthenticated controls; it only listens on loopback")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args.data.parent.mkdir(parents=True, exist_ok=True)
    config = SimConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        publish_delay=args.publish_delay,
        rest_instance_url=args.rest_instance_url,
        soap_instance_url=args.soap_instance_url,
        business_units=args.business_units,
    )
    app = create_app(args.data, config)
    if args.seed_demo:
        created = app.business_units.seed_demo()
        print(f"Demo journeys created: {', '.join(created) or 'none (already there)'}")
    ssl_context = tls.ensure_certificate(args.cert_dir) if args.https else None
    server = make_server(args.host, args.port, app, threaded=True, ssl_context=ssl_context)
    scheme = "https" if args.https else "http"
    print(f"SFMC simulator on {scheme}://{args.host}:{server.port}/ (controls: /_sim/)", flush=True)
    if ssl_context:
        print(f"Certificate to trust: {ssl_context[0]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
