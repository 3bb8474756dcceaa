"""The SFMC Interaction API client: tokens, journeys, publish, with typed errors.

It wraps the remote API and nothing else (no Django, no models). Every request has explicit
(connect, read) timeouts and never follows redirects. Retries, with exponential backoff and full
jitter, cover 429 (honouring Retry-After), 5xx and connection errors for idempotent calls (GET,
DELETE, the token, publishStatus). A PUT or POST is only re-sent when it certainly did not reach
SFMC (connection refused, connect timeout, 429, 503); when the answer to a write is lost (read
timeout, dropped connection, 502/504) the client raises ``ResponseLost`` so the caller can GET
and compare rather than risk a false conflict.

Updates go to ``PUT /interaction/v1/interactions/key:{key}``, as mcdev does: the key is the
journey's stable identity and the body must carry it anyway.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError

from . import answers
from .errors import (
    MalformedAnswer,
    RateLimited,
    RemoteError,
    ResponseLost,
    SFMCError,
    SlowAnswer,
    error_from_response,
    json_body,
    redacted,
    retry_after_seconds,
)
from .hosts import check_base_url
from .soap import SOAP_PATH

logger = logging.getLogger(__name__)

API_PATH = "/interaction/v1/interactions"
TOKEN_PATH = "/v2/token"
REFRESH_MARGIN = 300.0
DEFAULT_TOKEN_LIFETIME = 1080.0
MAX_TOKEN_LIFETIME = 86400.0  # a longer one is not believed: the default is used instead
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
CacheKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class Page:
    """One page of ``GET /interactions``: ``count`` is the total number of matches."""

    items: list[dict[str, Any]]
    count: int
    page: int
    page_size: int


@dataclass(frozen=True)
class AccessToken:
    value: str
    rest_base_url: str
    refresh_at: float
    soap_base_url: str = ""


class TokenCache:
    """Access tokens shared in-process, one per connection; thread-safe, one fetch at a time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[CacheKey, AccessToken] = {}
        self._fetch_locks: dict[CacheKey, threading.Lock] = {}

    def get(
        self,
        key: CacheKey,
        fetch: Callable[[], tuple[str, str, float, str]],
        *,
        rejected: str | None = None,
        force: bool = False,
    ) -> AccessToken:
        """The cached token, or a fresh one when it is due, ``rejected`` or ``force`` is set.

        ``fetch`` returns (token, REST base URL, lifetime in seconds, SOAP base URL or "").
        """
        with self._lock:
            fetch_lock = self._fetch_locks.setdefault(key, threading.Lock())
        with fetch_lock:
            with self._lock:
                cached = self._tokens.get(key)
            usable = cached is not None and self._clock() < cached.refresh_at
            if cached is not None and usable and not force and cached.value != rejected:
                return cached
            value, rest_base_url, lifetime, soap_base_url = fetch()
            # Refresh ~5 minutes early, or halfway through a short lifetime.
            margin = min(REFRESH_MARGIN, lifetime / 2)
            refresh_at = self._clock() + lifetime - margin
            token = AccessToken(value, rest_base_url, refresh_at, soap_base_url)
            with self._lock:
                self._tokens[key] = token
            return token

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


_SHARED_TOKENS = TokenCache()


class SFMCClient:
    """One SFMC business unit (auth and REST base URLs plus an installed package's credentials)."""

    def __init__(
        self,
        auth_base_url: str,
        rest_base_url: str,
        client_id: str,
        client_secret: str,
        account_id: str | None = None,
        *,
        allowed_host_suffixes: Sequence[str],
        allow_insecure_hosts: Sequence[str] = (),
        session: requests.Session | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 30.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        token_cache: TokenCache | None = None,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``deadline``: seconds, from now, within which every call of this client ends (a client
        made for one interactive request); each read timeout and retry is cut to the time left
        and, once it is gone, a call raises ``SlowAnswer``. None: only the retry policy bounds."""
        self._allowed = (tuple(allowed_host_suffixes), tuple(allow_insecure_hosts))
        self.auth_base_url = check_base_url(auth_base_url, *self._allowed)
        self.rest_base_url = check_base_url(rest_base_url, *self._allowed)
        self.client_id = client_id
        self.account_id = account_id
        self._client_secret = client_secret
        self._session = session or requests.Session()
        self._timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._clock = clock
        self._ends_at = None if deadline is None else clock() + deadline
        self._tokens = token_cache or _SHARED_TOKENS
        # The secret's digest keeps two packages with one client id from sharing a token.
        digest = hashlib.sha256(client_secret.encode()).hexdigest()[:16]
        self._cache_key: CacheKey = (self.auth_base_url, client_id, account_id or "", digest)

    def __repr__(self) -> str:
        return f"<SFMCClient {self.rest_base_url} client_id={self.client_id!r}>"

    # tokens

    def get_token(self) -> str:
        """A valid access token (cached in-process, refreshed before it expires)."""
        return self._access_token().value

    def _access_token(self, *, rejected: str | None = None, force: bool = False) -> AccessToken:
        return self._tokens.get(self._cache_key, self._fetch_token, rejected=rejected, force=force)

    def _fetch_token(self) -> tuple[str, str, float, str]:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        if self.account_id:
            body["account_id"] = self.account_id
        url = self.auth_base_url + TOKEN_PATH
        response = self._send("POST", url, TOKEN_PATH, json_body=body, idempotent=True)
        if response.status_code != 200:
            raise self._error(response, "POST", TOKEN_PATH)
        # Checked before the cache keeps it: a token that cannot be sent is never stored.
        data = _json_object(response, TOKEN_PATH)
        value = answers.access_token(data, TOKEN_PATH)
        lifetime = data.get("expires_in", DEFAULT_TOKEN_LIFETIME)
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float):
            lifetime = DEFAULT_TOKEN_LIFETIME
        if not (math.isfinite(lifetime) and 0 < lifetime <= MAX_TOKEN_LIFETIME):
            lifetime = DEFAULT_TOKEN_LIFETIME
        served_rest_url = answers.optional_url(data, "rest_instance_url", TOKEN_PATH)
        rest_base_url = (
            check_base_url(served_rest_url, *self._allowed)
            if served_rest_url
            else self.rest_base_url
        )
        # The SOAP base URL is checked against the same allow-list, only when one is served.
        served_soap_url = answers.optional_url(data, "soap_instance_url", TOKEN_PATH)
        soap_base_url = check_base_url(served_soap_url, *self._allowed) if served_soap_url else ""
        logger.info("Fetched an SFMC access token for client %s", self.client_id)
        return value, rest_base_url, float(lifetime), soap_base_url

    # journeys

    def list_journeys(
        self,
        page: int = 1,
        page_size: int = 50,
        status: str | None = None,
        name_or_description: str | None = None,
        order_by: str | None = None,
        most_recent_version_only: bool = True,
        extras: str | None = None,
    ) -> Page:
        """One page of journeys; without ``extras`` the items carry no activities or triggers."""
        params: dict[str, Any] = {
            "$page": page,
            "$pageSize": page_size,
            "mostRecentVersionOnly": "true" if most_recent_version_only else "false",
        }
        optional = {
            "status": status,
            "nameOrDescription": name_or_description,
            "$orderBy": order_by,
            "extras": extras,
        }
        params.update({name: value for name, value in optional.items() if value})
        data = _json_object(self._call("GET", API_PATH, params=params), API_PATH)
        items = answers.journey_list(data, API_PATH)
        return Page(
            items=items,
            count=answers.whole_number(data.get("count", len(items)), "count", API_PATH),
            page=answers.whole_number(data.get("page", page), "page", API_PATH, minimum=1),
            page_size=answers.whole_number(
                data.get("pageSize", page_size), "pageSize", API_PATH, minimum=1
            ),
        )

    def iter_journeys(
        self,
        page_size: int = 50,
        status: str | None = None,
        name_or_description: str | None = None,
        order_by: str | None = None,
        most_recent_version_only: bool = True,
        extras: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every matching journey, page by page; stops at ``count`` or on a short page."""
        page, seen = 1, 0
        while True:
            result = self.list_journeys(
                page=page,
                page_size=page_size,
                status=status,
                name_or_description=name_or_description,
                order_by=order_by,
                most_recent_version_only=most_recent_version_only,
                extras=extras,
            )
            yield from result.items
            seen += len(result.items)
            if not result.items or seen >= result.count or len(result.items) < result.page_size:
                return
            page += 1

    def list_versions(self, journey_id: str) -> list[dict[str, Any]]:
        """Every version of one journey (by its id), newest first; no activities."""
        params = {"id": journey_id, "mostRecentVersionOnly": "false", "$pageSize": 500}
        data = _json_object(self._call("GET", API_PATH, params=params), API_PATH)
        items = answers.journey_list(data, API_PATH)
        return sorted(items, key=lambda item: int(item["version"]), reverse=True)

    def get_journey(
        self,
        id_or_key: str,
        *,
        by_key: bool = False,
        version: int | None = None,
        extras: str = "all",
    ) -> dict[str, Any]:
        """One version; the latest when ``version`` is None (NotFound when that one is
        Deleted, even if older versions are not)."""
        params: dict[str, Any] = {"extras": extras} if extras else {}
        if version is not None:
            params["versionNumber"] = version
        path = _journey_path(id_or_key, by_key)
        return _journey(self._call("GET", path, params=params), path)

    def create_journey(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a journey: version 1 of a new key, or version N+1 of a key whose latest is not
        a Draft. Raises DraftExists when the key already has a Draft."""
        response = self._call("POST", API_PATH, json_body=dict(body), idempotent=False)
        return _written_journey(response, "POST", API_PATH, body)

    def put_journey(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT a Draft version; ``body`` must carry key, version and the modifiedDate it was
        based on. Returns the journey as SFMC now has it (fetched again when SFMC answers 304
        "no change")."""
        for field in ("key", "version", "modifiedDate"):
            if body.get(field) in (None, ""):
                raise ValueError(f"a PUT body needs {field}")
        key = str(body["key"])
        path = _journey_path(key, by_key=True)
        response = self._call("PUT", path, json_body=dict(body), idempotent=False)
        if response.status_code == 304:
            logger.info("SFMC already had this content for journey %s; nothing changed", key)
            return self.get_journey(key, by_key=True, version=int(body["version"]))
        return _written_journey(response, "PUT", path, body)

    def delete_journey(
        self, id_or_key: str, *, by_key: bool = False, version: int | None = None
    ) -> str:
        """Delete one version, or every version when ``version`` is None; returns the id.

        SFMC answers the bare id as text; a JSON-quoted id is accepted as well."""
        params = {"versionNumber": version} if version is not None else None
        path = _journey_path(id_or_key, by_key)
        text = self._call("DELETE", path, params=params).text.strip()
        try:
            data = json.loads(text)
        except ValueError:
            data = text
        if not isinstance(data, str) or not data:
            raise RemoteError(f"SFMC answered {path} without the id of the deleted journey.")
        return data

    def publish(self, journey_id: str, version: int, *, by_key: bool = False) -> str:
        """Start publishing a version; returns the status id to poll with publish_status."""
        path = f"{API_PATH}/publishAsync/{_ref_segment(journey_id, by_key)}"
        response = self._call(
            "POST", path, params={"versionNumber": version}, json_body={}, idempotent=False
        )
        data = _json_object(response, path)
        if not isinstance(data.get("statusId"), str):
            raise RemoteError(f"SFMC answered {path} without a statusId.")
        return str(data["statusId"])

    def publish_status(self, status_id: str) -> dict[str, Any]:
        """``{statusId, status: PublishInProcess | PublishCompleted | Error, errors, warnings}``."""
        path = f"{API_PATH}/publishStatus/{quote(status_id, safe='')}"
        return _json_object(self._call("GET", path), path)

    def stop(self, id_or_key: str, *, by_key: bool = False, version: int | None = None) -> None:
        """Stop a running version (every running one when ``version`` is None)."""
        path = f"{API_PATH}/stop/{_ref_segment(id_or_key, by_key)}"
        params = {"versionNumber": version} if version is not None else None
        self._call("POST", path, params=params, json_body={}, idempotent=False)

    def test_connection(self) -> str:
        """Fetch a fresh token and list one journey; a readable summary, or the typed error."""
        token = self._access_token(force=True)
        page = self.list_journeys(page=1, page_size=1)
        host = urlsplit(token.rest_base_url).netloc
        return f"Connected to {host}: the API user can see {page.count} journey(s)."

    # other APIs (the catalog: journeys/sfmc/catalog.py)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a REST path (retried like every read) and return its JSON."""
        return json_body(self._call("GET", path, params=params), path)

    def query_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST a read-only query (e.g. ``/asset/v1/content/assets/query``): safe to re-send."""
        return json_body(self._call("POST", path, json_body=dict(body)), path)

    def soap_post(self, envelope: Callable[[str, str], bytes], action: str) -> bytes:
        """POST ``envelope(token, url)`` to ``{soap}/Service.asmx``; a read, so retried like GET.

        Refreshes the token once when SFMC answers 401. Raises the typed errors of REST calls.
        """
        token = self._access_token()
        for attempt in range(2):
            if not token.soap_base_url:
                raise RemoteError("The SFMC token endpoint did not say where its SOAP API is.")
            url = token.soap_base_url + SOAP_PATH
            response = self._send(
                "POST",
                url,
                SOAP_PATH,
                data=envelope(token.value, url),
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action},
                idempotent=True,
            )
            if response.status_code != 401 or attempt == 1:
                break
            token = self._access_token(rejected=token.value)
        if response.status_code >= 300 and not _is_soap_fault(response):
            raise self._error(response, "POST", SOAP_PATH, token.value)
        return response.content

    # transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """An authenticated API call; refreshes the token once if SFMC answers 401."""
        token = self._access_token()
        for attempt in range(2):
            response = self._send(
                method,
                token.rest_base_url + path,
                path,
                params=params,
                json_body=json_body,
                headers={"Authorization": f"Bearer {token.value}"},
                idempotent=idempotent,
            )
            if response.status_code != 401 or attempt == 1:
                break
            logger.info("SFMC refused the access token on %s %s; fetching a new one", method, path)
            token = self._access_token(rejected=token.value)
        if response.status_code >= 300 and response.status_code != 304:
            raise self._error(response, method, path, token.value)
        return response

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> requests.Response:
        """One request with the retry policy; returns the final answer, whatever its status."""
        attempt = 0
        while True:
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=dict(headers or {}),
                    timeout=self._timeouts_now(method, path),
                    allow_redirects=False,
                )
            except requests.exceptions.ContentDecodingError:
                # An answer arrived but cannot be read (e.g. "gzip" that is not): for a write,
                # SFMC may have applied it; a read would only be answered alike again.
                if not idempotent:
                    raise _lost(method, path, json_body, "its answer could not be read") from None
                raise MalformedAnswer(
                    f"SFMC answered {method} {path} with a body that does not decode as it says."
                ) from None
            except _TRANSPORT_ERRORS as exc:
                delay = self._transport_retry_delay(
                    exc, attempt, method, path, json_body, idempotent
                )
            else:
                status = response.status_code
                if not idempotent and status in (502, 504):
                    raise _lost(method, path, json_body, f"HTTP {status} from a gateway")
                if not _retryable(status, idempotent) or attempt >= self.max_retries:
                    return response
                delay = self._retry_delay(response, attempt, method, path)
                if not self._time_left_for(delay):
                    return response  # no time for another try: the caller reports this answer
                logger.warning("SFMC %s %s answered %s; retrying", method, path, status)
            self._sleep(delay)
            attempt += 1

    def _timeouts_now(self, method: str, path: str) -> tuple[float, float]:
        """(connect, read) timeouts, cut to the deadline's time left; SlowAnswer when none is."""
        if self._ends_at is None:
            return self._timeout
        left = self._ends_at - self._clock()
        if left <= 0:
            raise self._slow(method, path)
        connect, read = self._timeout
        return min(connect, left), min(read, left)

    def _time_left_for(self, delay: float) -> bool:
        """Whether, after waiting ``delay``, the deadline leaves time for another try."""
        return self._ends_at is None or self._clock() + delay < self._ends_at

    def _slow(self, method: str, path: str) -> SlowAnswer:
        return SlowAnswer(
            f"SFMC is slow: it did not answer {method} {path} in time. Try again in a moment."
        )

    def _transport_retry_delay(
        self,
        exc: Exception,
        attempt: int,
        method: str,
        path: str,
        json_body: Any,
        idempotent: bool,
    ) -> float:
        """How long to wait before re-sending after a network failure, or raise."""
        cause = _describe(exc)
        if not idempotent and not _never_sent(exc):
            raise _lost(method, path, json_body, cause) from exc
        delay = self._backoff(attempt)
        out_of_time = not self._time_left_for(delay)
        if out_of_time and isinstance(exc, requests.Timeout):
            raise self._slow(method, path) from exc
        if attempt >= self.max_retries or out_of_time:
            raise RemoteError(
                f"Could not reach SFMC for {method} {path} after {attempt + 1} attempt(s): {cause}."
            ) from exc
        logger.warning("SFMC %s %s failed (%s); retrying", method, path, cause)
        return delay

    def _backoff(self, attempt: int) -> float:
        """Full jitter: anywhere between 0 and the capped exponential step."""
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))

    def _retry_delay(
        self, response: requests.Response, attempt: int, method: str, path: str
    ) -> float:
        retry_after = retry_after_seconds(response)
        if retry_after is None:
            return self._backoff(attempt)
        if retry_after > self.backoff_max:
            # Longer than this client will wait in-line: let the caller reschedule.
            raise self._error(response, method, path)
        return retry_after

    def _error(
        self, response: requests.Response, method: str, path: str, token: str = ""
    ) -> SFMCError:
        # The secret alone and as a Basic credential, whose base64 spellings are redacted too.
        secrets = (self._client_secret, f"{self.client_id}:{self._client_secret}", token)
        if 300 <= response.status_code < 400:
            location = redacted(response.headers.get("Location", ""), secrets)
            return SFMCError(
                f"SFMC answered {method} {path} with a redirect (HTTP {response.status_code}) "
                f"to {location[:200]!r}; redirects are never followed.",
                status=response.status_code,
            )
        error = error_from_response(response, method=method, path=path, redact=secrets)
        if isinstance(error, RateLimited):
            logger.warning("SFMC rate limited %s %s", method, path)
        return error


def _is_soap_fault(response: requests.Response) -> bool:
    """SFMC answers a SOAP fault with HTTP 500; the caller's parser reports its reason."""
    return response.status_code == 500 and b"Fault" in response.content[:4096]


def _retryable(status: int, idempotent: bool) -> bool:
    if status in (429, 503):
        return True
    return idempotent and status >= 500


def _never_sent(exc: Exception) -> bool:
    """True only when the request certainly never reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    return isinstance(getattr(reason, "reason", reason), ConnectTimeoutError)


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.ReadTimeout):
        return "no answer before the read timeout"
    if isinstance(exc, requests.ConnectTimeout):
        return "the connection timed out"
    if _never_sent(exc):
        return "the connection was refused or the host is unknown"
    return "the connection was closed before an answer arrived"


def _lost(method: str, path: str, body: Any, cause: str) -> ResponseLost:
    sent = body if isinstance(body, dict) else {}
    version = sent.get("version")
    return ResponseLost(
        f"SFMC may or may not have applied {method} {path} ({cause}). "
        "Fetch the journey and compare before sending it again.",
        method=method,
        path=path,
        key=sent.get("key"),
        version=version if isinstance(version, int) else None,
        modified_date=sent.get("modifiedDate"),
    )


def _ref_segment(id_or_key: str, by_key: bool) -> str:
    return f"key:{quote(id_or_key, safe='')}" if by_key else quote(id_or_key, safe="")


def _journey_path(id_or_key: str, by_key: bool) -> str:
    return f"{API_PATH}/{_ref_segment(id_or_key, by_key)}"


def _json_object(response: requests.Response, path: str) -> dict[str, Any]:
    data = json_body(response, path)
    if not isinstance(data, dict):
        raise MalformedAnswer(f"SFMC answered {path} with JSON that is not an object.")
    return data


def _journey(response: requests.Response, path: str) -> dict[str, Any]:
    return answers.journey(_json_object(response, path), path)


def _written_journey(
    response: requests.Response, method: str, path: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """The journey a write answered; an unreadable answer leaves unknown what SFMC applied."""
    try:
        return _journey(response, path)
    except MalformedAnswer as error:
        raise _lost(method, path, dict(body), "its answer could not be used") from error
