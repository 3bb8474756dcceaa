"""The SSRF guard for SFMC base URLs (reliability notes §3.4).

Only ``https://<one label>.<allowed suffix>`` on the default port, with no userinfo, path, query
or fragment, is accepted. Plain http is allowed only for an exact ``host:port`` listed in
``allow_insecure_hosts``: that is how the local simulator is reached, and nothing else.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from .errors import HostNotAllowed

_LABEL = re.compile(r"[a-z0-9-]{1,63}")
# Anything a parser might read differently from urlsplit: whitespace, controls, backslashes, %.
_SUSPICIOUS = re.compile(r"[\s\x00-\x1f\x7f\\%]")


def check_base_url(
    url: str, allowed_host_suffixes: Sequence[str], allow_insecure_hosts: Sequence[str] = ()
) -> str:
    """Return ``scheme://host[:port]`` for an allowed base URL, else raise HostNotAllowed."""
    if not isinstance(url, str) or not url or _SUSPICIOUS.search(url) or not url.isascii():
        raise _refused(url, "it is empty or contains characters a URL base never needs")
    if "?" in url or "#" in url:
        raise _refused(url, "a base URL has no query or fragment")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        raise _refused(url, "it is not a URL") from None
    if "@" in parts.netloc:
        raise _refused(url, "it carries a user name or password")
    if parts.path not in ("", "/"):
        raise _refused(url, "a base URL has no path")
    try:
        port = parts.port
    except ValueError:
        raise _refused(url, "its port is not a number") from None
    host = parts.hostname or ""
    scheme = parts.scheme.lower()
    if (
        port is not None
        and f"{host}:{port}" in allow_insecure_hosts
        and scheme in ("http", "https")
    ):
        return f"{scheme}://{host}:{port}"
    if scheme != "https":
        raise _refused(url, "only https is allowed")
    if port not in (None, 443):
        raise _refused(url, "only the default https port is allowed")
    if host.endswith(".") or _is_ip_address(host):
        raise _refused(url, "the host must be a Marketing Cloud host name")
    if not any(_matches(host, suffix) for suffix in allowed_host_suffixes):
        raise _refused(url, "the host is not on the Marketing Cloud allow-list")
    return f"https://{host}"


def _matches(host: str, suffix: str) -> bool:
    """``host`` is exactly one DNS label followed by ``suffix`` (leading dot optional)."""
    suffix = "." + suffix.lower().lstrip(".")
    if len(suffix) < 2 or not host.endswith(suffix):
        return False
    return _LABEL.fullmatch(host[: -len(suffix)]) is not None


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _refused(url: object, reason: str) -> HostNotAllowed:
    shown = repr(url) if len(repr(url)) <= 200 else repr(url)[:200] + "…"
    return HostNotAllowed(f"The SFMC address {shown} is not allowed: {reason}.")
