"""The client's address, for django-axes' login lockout (AXES_CLIENT_IP_CALLABLE).

Behind the TLS proxy every request comes from the proxy's address: keyed on it, five anonymous
bad logins would lock an account for everyone. With TRUSTED_PROXY_COUNT=n, each of the n proxies
in front appends the address it received from to X-Forwarded-For, so the client is the n-th entry
from the right; entries further left are whatever the client sent and are never trusted. With 0
(the default, nothing in front) the header is ignored: REMOTE_ADDR.
"""

from __future__ import annotations

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count: int = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(forwarded) < count:
        return remote  # it did not come through every trusted proxy
    try:
        return str(ip_address(forwarded[-count]))
    except ValueError:
        return remote
