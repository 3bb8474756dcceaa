"""The simulator's command line: instance URLs that survive resets and restarts, and HTTPS."""

from __future__ import annotations

import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from journeys.management.commands.dev import (
    simulator_business_unit_options,
    simulator_url_options,
)
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET

REPO = Path(__file__).resolve().parent.parent
REST = "https://mc0123456789abcdefghijklmnop.rest.marketingcloudapis.com/"
SOAP = "https://mc0123456789abcdefghijklmnop.soap.marketingcloudapis.com/"
GRANT = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


@contextmanager
def served(tmp_path, *options):
    """Run ``python -m journeys.sfmc.simulator`` on a free port; yield (base URL, cert or None)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "journeys.sfmc.simulator", "--port", "0"]
        + ["--data", str(tmp_path / "cli.sqlite3"), "--cert-dir", str(tmp_path / "tls")]
        + list(options),
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"https?://127\.0\.0\.1:\d+", first)
        assert match, first
        certificate = None
        if "--https" in options:
            certificate = process.stdout.readline().split(": ", 1)[1].strip()
        yield match.group(0), certificate
    finally:
        process.terminate()
        process.wait(timeout=10)


def token(base_url, verify=True):
    response = requests.post(f"{base_url}/v2/token", json=GRANT, timeout=5, verify=verify)
    response.raise_for_status()
    return response.json()


def token_status(base_url, account_id):
    grant = {**GRANT, "account_id": account_id}
    return requests.post(f"{base_url}/v2/token", json=grant, timeout=5).status_code


@pytest.mark.integration
def test_instance_urls_from_the_command_line_survive_a_reset_and_a_restart(tmp_path):
    options = ("--rest-instance-url", REST, "--soap-instance-url", SOAP)
    with served(tmp_path, *options) as (base_url, _):
        before = token(base_url)
        requests.post(f"{base_url}/_sim/reset", json={}, timeout=5).raise_for_status()
        after_reset = token(base_url)
    with served(tmp_path, *options) as (base_url, _):
        after_restart = token(base_url)

    for answer in (before, after_reset, after_restart):
        assert (answer["rest_instance_url"], answer["soap_instance_url"]) == (REST, SOAP)


@pytest.mark.integration
def test_https_serves_a_certificate_that_names_sfmc_hosts_and_is_kept(tmp_path):
    with served(tmp_path, "--https") as (base_url, certificate):
        answer = token(base_url, verify=certificate)
        first_pem = Path(certificate).read_bytes()
        with pytest.raises(requests.exceptions.SSLError):
            token(base_url)  # not trusted unless asked
    with served(tmp_path, "--https") as (base_url, certificate):
        assert Path(certificate).read_bytes() == first_pem

    assert base_url.startswith("https://")
    assert answer["rest_instance_url"].startswith("https://127.0.0.1:")
    assert b"BEGIN CERTIFICATE" in first_pem


def test_make_run_passes_the_instance_url_settings_to_the_simulator(settings):
    settings.SFMC_SIMULATOR_REST_INSTANCE_URL = REST
    settings.SFMC_SIMULATOR_SOAP_INSTANCE_URL = ""

    assert simulator_url_options() == ["--rest-instance-url", REST]


@pytest.mark.integration
def test_business_units_from_the_command_line_survive_a_reset(tmp_path):
    with served(tmp_path, "--business-units", "7001=Acme,7002=Acme Kids") as (base_url, _):
        before = [token_status(base_url, mid) for mid in ("7001", "7002", "510000456")]
        requests.post(f"{base_url}/_sim/reset", json={}, timeout=5).raise_for_status()
        after = [token_status(base_url, mid) for mid in ("7001", "7002", "510000456")]

    assert before == after == [200, 200, 400]


def test_make_run_passes_the_business_units_setting_to_the_simulator(settings):
    settings.SFMC_SIMULATOR_BUSINESS_UNITS = "7001=Acme,7002=Acme Kids"
    named = simulator_business_unit_options()
    settings.SFMC_SIMULATOR_BUSINESS_UNITS = ""

    assert named == ["--business-units", "7001=Acme,7002=Acme Kids"]
    assert simulator_business_unit_options() == []
