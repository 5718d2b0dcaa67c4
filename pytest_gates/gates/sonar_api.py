"""A small SonarQube / SonarCloud Web API client for the ``sonar`` gate: GET with the token,
retries with backoff inside a deadline, and errors that name the token's *source*, never
its value.  No pytest here; all I/O goes through the GateContext."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from ..api import GateContext, GateError
from ..formats.sonar import error_messages

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 30.0  # seconds, one request (the deadline may cut it shorter)
MIN_TIMEOUT = 0.1
BACKOFF_CAP = 30.0  # seconds between two retries at most
RETRIED = (429, 500, 502, 503, 504)


class GaveUp(Exception):
    """The deadline passed while the server kept failing (5xx, resets, timeouts)."""

    def __init__(self, url: str, problem: str, attempts: int) -> None:
        self.url, self.problem, self.attempts = url, problem, attempts
        super().__init__(f"{url}: {problem} ({attempts} attempt{'s' if attempts != 1 else ''})")


@dataclass
class SonarApi:
    """GETs JSON from ``host`` until ``deadline`` (a ``ctx.monotonic()`` value)."""

    ctx: GateContext
    host: str
    token: str
    token_source: str  # "variable SONAR_TOKEN", "setting 'token'": shown in auth errors
    deadline: float
    backoff: float  # first pause between retries, doubled each time
    sleep: Callable[[float], None]
    verify: bool | str = True

    def url(self, path: str, params: Mapping[str, str]) -> str:
        return f"{self.host}/{path}?{urlencode(params)}"

    def get(self, path: str, params: Mapping[str, str], not_found: str) -> Any:
        """The parsed JSON answer of ``GET host/path?params``.

        Retries 429, 5xx, dropped connections and timeouts until the deadline (then
        :class:`GaveUp`); 401/403/404 and other answers are a GateError at once.
        ``not_found`` names what a 404 means ("task X", "project K").
        """
        url = self.url(path, params)
        attempts, pause, problem = 0, self.backoff, ""
        while True:
            left = self.deadline - self.ctx.monotonic()
            if attempts and left <= 0:
                raise GaveUp(url, problem, attempts)
            attempts += 1
            timeout = max(MIN_TIMEOUT, min(REQUEST_TIMEOUT, left))
            retry_after = 0.0
            try:
                resp = self.ctx.http().get(
                    f"{self.host}/{path}",
                    params=dict(params),
                    auth=(self.token, ""),
                    headers={"Accept": "application/json"},
                    timeout=timeout,
                    verify=self.verify,
                )
            except requests.exceptions.SSLError as exc:
                raise GateError(
                    f"TLS with {self.host} failed ({_reason(exc)}); if the server uses a"
                    " private CA, point 'ca_bundle' at its certificate (PEM)"
                ) from None
            except requests.exceptions.Timeout:
                problem = f"no answer within {timeout:.1f} s"
            except requests.exceptions.ConnectionError as exc:
                problem = f"connection failed: {_reason(exc)}"
            except requests.exceptions.ChunkedEncodingError as exc:  # cut off mid-answer
                problem = f"answer broken off: {_reason(exc)}"
            except requests.exceptions.RequestException as exc:
                raise GateError(f"cannot call {url}: {type(exc).__name__}: {exc}") from None
            else:
                status = resp.status_code
                log.debug("GET %s -> %s", url, status)
                if status == 200:
                    return self._json(resp, url)
                messages = _messages(resp, self.token)
                if status not in RETRIED:
                    raise GateError(self._refused(status, resp.reason, url, messages, not_found))
                problem = f"HTTP {status} {resp.reason or ''}".rstrip() + messages
                retry_after = _retry_after(resp.headers.get("Retry-After"))
            log.debug("GET %s: %s; retrying", url, problem)
            wait = max(pause, retry_after)
            if self.ctx.monotonic() + wait >= self.deadline:
                raise GaveUp(url, problem, attempts)
            self.sleep(wait)
            pause = min(pause * 2, BACKOFF_CAP)

    def _json(self, resp: Any, url: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            kind = resp.headers.get("Content-Type", "no content type")
            raise GateError(
                f"{url} answered 200 with something that is not JSON ({kind}):"
                " is 'host_url' the SonarQube server itself (not a login page or proxy)?"
            ) from None

    def _refused(self, status: int, reason: str, url: str, messages: str, not_found: str) -> str:
        said = f"HTTP {status} {reason or ''}".rstrip() + messages
        if status == 401:
            return (
                f"{self.host} refused the token from {self.token_source} ({said}):"
                " it is wrong, expired or revoked; generate a new user token"
            )
        if status == 403:
            return (
                f"the token from {self.token_source} may not read {not_found} on"
                f" {self.host} ({said}): its user needs 'Browse' permission on the project"
            )
        if status == 404:
            return f"{not_found} not found on {self.host} ({said})"
        return f"{url} answered {said}"


def _messages(resp: Any, token: str) -> str:
    """The server's error messages; a token it echoes back is redacted."""
    try:
        msgs = error_messages(resp.json())
    except ValueError:
        msgs = []
    text = f": {'; '.join(msgs)}" if msgs else ""
    return text.replace(token, "***") if token else text


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0  # an HTTP date: the doubling pause will do


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, without the pool's repr."""
    seen, text = exc, str(exc)
    for _ in range(8):  # requests -> MaxRetryError.reason -> ProtocolError args -> ...
        text = str(seen)
        inner = getattr(seen, "reason", None)
        args = [a for a in seen.args if isinstance(a, BaseException)]
        if isinstance(inner, BaseException):
            seen = inner
        elif args:
            seen = args[-1]
        else:
            break
    # urllib3 prefixes the connection's repr: "HTTPConnection(host=..., port=...): <why>"
    return _cut(text.split("): ", 1)[-1])


def _cut(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
