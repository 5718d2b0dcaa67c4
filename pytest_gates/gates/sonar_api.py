"""A small SonarQube / SonarCloud Web API client for the ``sonar`` gate: GET with the token,
retries with backoff inside a deadline (:mod:`._http`, with SonarQube's own rules: 429 too,
doubling pauses, ``Retry-After`` honoured), and errors that name the token's *source*,
never its value.  No pytest here; all I/O goes through the GateContext."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from ..api import GateContext, GateError
from ._http import Answer, NoAnswer, Retry, get
from ._httptext import api_message, cause

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
        retry = Retry(
            attempts=None,
            statuses=RETRIED,
            backoff=self.backoff,
            cap=BACKOFF_CAP,
            retry_after=True,
        )
        try:
            answer = get(
                self.ctx,
                f"{self.host}/{path}",
                params=dict(params),
                auth=(self.token, ""),
                headers={"Accept": "application/json"},
                verify=self.verify,
                retry=retry,
                deadline=self.deadline,
                sleep=self.sleep,
            )
        except NoAnswer as exc:
            raise self._no_answer(url, exc) from None
        status = answer.status
        if status == 200:
            return self._json(answer, url)
        said = api_message(answer.body, [self.token])
        said = f"HTTP {status} {answer.resp.reason or ''}".rstrip() + (f": {said}" if said else "")
        if status in RETRIED:
            raise GaveUp(url, said, answer.tries)
        raise GateError(self._refused(status, said, url, not_found))

    def _no_answer(self, url: str, exc: NoAnswer) -> Exception:
        error = exc.error
        if isinstance(error, requests.exceptions.SSLError):
            return GateError(
                f"TLS with {self.host} failed ({cause(error)}); if the server uses a"
                " private CA, point 'ca_bundle' at its certificate (PEM)"
            )
        if isinstance(error, requests.exceptions.Timeout):
            return GaveUp(url, f"no answer within {exc.timeout:.1f} s", exc.tries)
        if isinstance(error, requests.exceptions.ConnectionError):
            return GaveUp(url, f"connection failed: {cause(error)}", exc.tries)
        if isinstance(error, requests.exceptions.ChunkedEncodingError):  # cut off mid-answer
            return GaveUp(url, f"answer broken off: {cause(error)}", exc.tries)
        return GateError(f"cannot call {url}: {exc.reason}")

    def _json(self, answer: Answer, url: str) -> Any:
        try:
            return answer.json()
        except ValueError:
            kind = answer.resp.headers.get("Content-Type", "no content type")
            raise GateError(
                f"{url} answered 200 with something that is not JSON ({kind}):"
                " is 'host_url' the SonarQube server itself (not a login page or proxy)?"
            ) from None

    def _refused(self, status: int, said: str, url: str, not_found: str) -> str:
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
