"""HTTP for the ``api`` gate: a requests Session bound to a base URL (defaults, retries,
credentials only for that origin, latency measured), the JSON subset comparison of the
declared checks, and latency percentiles.  Knows nothing of pytest.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from ._http import Retry, origin, request_timeout
from ._httptext import auth_header, credential_values, network_reason, shown_url

# Header names whose values are credentials: scrubbed from every message.
SECRET_HEADER = re.compile(r"auth|token|key|secret|cookie|session|passw|credential", re.I)
RETRY_STATUSES = (502, 503, 504)


def join(base_url: str, path: str) -> str:
    """``path`` below ``base_url`` (its path prefix kept); an absolute URL stays as it is."""
    if "://" in path:
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def secrets_of(headers: Mapping[str, str], auth: Mapping[str, str] | None) -> list[str]:
    """The values never to show: credentials from ``auth`` and credential-like headers."""
    found = [v for k, v in headers.items() if SECRET_HEADER.search(k) and v]
    for kind, value in (auth or {}).items():
        found += credential_values(kind, value) if value else []
    # Longest first, so that a secret containing another is replaced whole.
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


class OriginAuth(requests.auth.AuthBase):
    """Adds the credential only to requests for the base URL's origin."""

    def __init__(self, base_url: str, auth: Mapping[str, str]) -> None:
        self.origin = origin(base_url)
        scheme, credential = next(iter(auth.items()))
        self.header = auth_header(scheme, credential)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if origin(r.url or "") == self.origin:
            r.headers["Authorization"] = self.header
        return r

    def __repr__(self) -> str:  # never the credential
        return "OriginAuth(***)"


class ApiSession(requests.Session):
    """A Session bound to ``base_url``: relative paths join it; ``timeout`` is the default
    per request (shortened by ``deadline()``, seconds left, when given); ``retries`` retry
    connection failures and 502/503/504 of idempotent methods; each answered request's
    latency (ms until the answer is read, retries included; with ``stream=True``, until
    its headers; for a timeout, until it gave up) goes to ``on_latency``, each request
    that could not connect to ``on_unreachable``."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        deadline: Callable[[], float | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_latency: Callable[[float], None] | None = None,
        on_unreachable: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.headers.update(dict(headers or {}))
        if auth:
            self.auth = OriginAuth(self.base_url, auth)
        retry = Retry(
            attempts=retries + 1,
            statuses=RETRY_STATUSES,
            backoff=0.2,
            cap=2.0,
            broken_answers=False,  # an answer that broke off may have changed something
            retry_after=False,  # a long Retry-After would outlive the gate
        )
        adapter = HTTPAdapter(max_retries=retry.for_urllib3())
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.timeout = timeout
        self._deadline = deadline
        self._clock = clock
        self._on_latency = on_latency
        self._on_unreachable = on_unreachable

    def url(self, path: str) -> str:
        return join(self.base_url, path)

    def request_timeout(self) -> float:
        return request_timeout(self.timeout, self._deadline() if self._deadline else None)

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        target = self.url(url.decode() if isinstance(url, bytes) else url)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.request_timeout()
        started = self._clock()
        try:
            resp = super().request(method, target, *args, **kwargs)
        except requests.ConnectionError as exc:
            if self._on_unreachable is not None:
                self._on_unreachable(f"{shown_url(target)}: {network_reason(exc)}")
            raise
        except requests.Timeout:
            # Sent, never answered in time: it counts, with the time it was waited for.
            if self._on_latency is not None:
                self._on_latency(round((self._clock() - started) * 1000, 3))
            raise
        if self._on_latency is not None:
            self._on_latency(round((self._clock() - started) * 1000, 3))
        return resp


# -- JSON subset -------------------------------------------------------------------------


def difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where ``actual`` does not contain ``expected``: dicts by key (recursively; other keys
    are ignored), lists element by element (same length), scalars equal (a bool is not a
    number).  None when it matches."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {_kind(actual)}"
        for key, want in expected.items():
            where = _child(path, str(key))
            if key not in actual:
                return f"{where}: missing (expected {_short(want)})"
            found = difference(want, actual[key], where)
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path}: expected an array, got {_kind(actual)}"
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found = difference(want, got, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, bool) != isinstance(actual, bool) or expected != actual:
        return f"{path}: expected {_short(expected)}, got {_short(actual)}"
    return None


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{path}[{key!r}]"


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return _short(value)


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- latency -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_stats(values: list[float]) -> dict[str, Any]:
    """``requests``, ``p50_ms``, ``p95_ms``, ``max_ms`` (rounded to 0.1 ms)."""
    if not values:
        return {"requests": 0}
    return {
        "requests": len(values),
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "max_ms": round(max(values), 1),
    }
