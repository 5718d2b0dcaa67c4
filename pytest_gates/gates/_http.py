"""One HTTP GET for the kinds that fetch a single document (``change-ticket``, ``verdict``,
``health``): a deadline from the gate's timeout, short reasons for network failures, and a
secret (a token) never in a message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from ..api import GateContext, GateError

REQUEST_TIMEOUT = 30.0  # seconds per request when the gate has no timeout of its own
MAX_BODY = 32 << 20  # bytes read from one answer; more is refused (a wrong URL, a hostile server)


def request_timeout(ctx: GateContext, limit: float = REQUEST_TIMEOUT) -> float:
    """Seconds one request may take: ``limit``, less when the gate's timeout is closer."""
    remaining = ctx.remaining()
    timeout = limit if remaining is None else min(limit, remaining)
    if timeout <= 0:
        raise GateError("no time left for the HTTP request (setting 'timeout')")
    return timeout


def shown_url(url: str) -> str:
    """The URL without credentials in it (``https://user:pw@host`` -> ``https://host``)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def network_reason(exc: BaseException, timeout: float | None = None) -> str:
    """A short reason for a failed request: 'connection refused', 'timed out after 2 s'..."""
    text = repr(exc)
    # A read timeout while streaming the body arrives as a ConnectionError.
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return f"timed out after {timeout:g} s" if timeout else "timed out"
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return "connection refused"
    if any(s in text for s in ("Name or service not known", "Failed to resolve", "getaddrinfo")):
        return "host name not resolved"
    if any(s in text for s in ("RemoteDisconnected", "Connection reset", "Connection aborted")):
        return "connection closed without an answer"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (certificate or handshake)"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    return type(exc).__name__


def scrub(text: str, secret: str | None) -> str:
    """``text`` with the secret replaced (a server may echo what it was sent)."""
    if secret:
        text = text.replace(secret, "***")
    return text


def get(
    ctx: GateContext,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    what: str = "",
    limit: float = REQUEST_TIMEOUT,
    allow_redirects: bool = True,
) -> tuple[Any, bytes]:
    """GET ``url``; return the response and its body (at most :data:`MAX_BODY` bytes).

    Any network failure is a :class:`GateError` naming ``what`` and the URL, never the secret.
    The status code is the caller's to judge.
    """
    timeout = request_timeout(ctx, limit)
    shown = shown_url(url)
    label = f"{what} " if what else ""
    try:
        resp = ctx.http().get(
            url,
            headers=headers or {},
            timeout=timeout,
            stream=True,
            allow_redirects=allow_redirects,
        )
        try:
            body = read_body(resp)
        finally:
            resp.close()
    except requests.RequestException as exc:
        reason = scrub(network_reason(exc, timeout), secret)
        raise GateError(f"cannot GET {label}{shown}: {reason}") from None
    except BodyTooBig:
        raise GateError(f"{label}{shown} answered more than {MAX_BODY:,} bytes") from None
    return resp, body


class BodyTooBig(Exception):
    pass


def read_body(resp: Any, limit: int = MAX_BODY) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(65536):
        size += len(chunk)
        if size > limit:
            raise BodyTooBig()
        chunks.append(chunk)
    return b"".join(chunks)
