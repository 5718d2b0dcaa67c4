"""HTTP for the gate kinds, in one place: a GET with a deadline (the gate's timeout, or a
budget of the caller's), retries of what may pass by itself inside that deadline, and a
cap on the body read.  What is shown of it (URLs, reasons, an API's error message, secrets
redacted) is in :mod:`._httptext`.

On top: :mod:`._webapi` (JSON APIs with a token: GitHub, GitLab, Alertmanager, PagerDuty),
:mod:`.sonar_api` (SonarQube's Web API) and :mod:`._apiclient` (the ``api`` kind's Session,
which retries inside urllib3 by the same :class:`Retry` policy); ``health``,
``change-ticket`` and ``verdict`` call :func:`get` and :func:`fetch` themselves.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ..api import GateContext, GateError
from ._httptext import network_reason, redact, shown_url

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 30.0  # seconds per request when the caller names none
MIN_TIMEOUT = 0.1  # seconds a request gets however close its deadline
MAX_BODY = 32 << 20  # bytes read from one answer; more is refused (a wrong URL, a hostile server)


@dataclass(frozen=True)
class Retry:
    """Which failed requests are tried again, how often, and after which pauses.

    Tried again: a connection that failed (refused, reset, timed out), an answer whose
    status is in ``statuses``, and, with ``broken_answers``, a request that went out but
    whose answer did not come whole (a read timeout, an answer broken off mid-body: the
    server may have acted on it).  Never: TLS failures, malformed URLs, oversized answers.
    Pause *n* (from 0) is ``min(cap, backoff * factor**n)``, at least the ``Retry-After``
    seconds of the answer with ``retry_after``; a retry goes only when the deadline leaves
    ``room`` seconds after its pause.  ``attempts`` None: until the deadline.
    """

    attempts: int | None = 1  # tries in all
    statuses: Collection[int] = range(500, 600)
    backoff: float = 0.25
    factor: float = 2.0
    cap: float = 30.0
    broken_answers: bool = True
    retry_after: bool = False
    room: float = 0.0

    def pause(self, n: int) -> float:
        return min(self.cap, self.backoff * self.factor**n)

    def for_urllib3(self) -> Any:
        """This policy for a requests ``HTTPAdapter``: urllib3 retries a failed connection
        for any method (nothing was sent), statuses and broken answers for idempotent
        methods only, and pauses 0 s, then ``backoff * 2**n`` up to ``cap``."""
        from urllib3.util.retry import Retry as Urllib3Retry

        if self.attempts is None:
            raise ValueError("urllib3 retries need a number of attempts")
        n = self.attempts - 1
        return Urllib3Retry(
            total=n,
            connect=n,
            read=n if self.broken_answers else False,
            status=n,
            status_forcelist=self.statuses,
            allowed_methods=Urllib3Retry.DEFAULT_ALLOWED_METHODS,
            backoff_factor=self.backoff,
            backoff_max=self.cap,
            raise_on_status=False,
            respect_retry_after_header=self.retry_after,
        )


ONCE = Retry()


@dataclass
class Answer:
    """A whole answer of any status (the caller judges it): the closed response and its body."""

    resp: Any
    body: bytes
    tries: int = 1

    @property
    def status(self) -> int:
        return int(self.resp.status_code)

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body)


class NoAnswer(Exception):
    """No usable answer: ``reason`` says why ('connection refused', 'timed out after 2 s',
    'answer larger than 1,024 bytes'); ``error`` is the requests exception, if any."""

    def __init__(
        self,
        reason: str,
        *,
        error: BaseException | None = None,
        timeout: float = 0.0,
        tries: int = 1,
        answered: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason, self.error, self.timeout, self.tries = reason, error, timeout, tries
        self.answered = answered  # an answer came, but too big to read


def get(
    ctx: GateContext,
    url: str,
    *,
    params: Any = None,
    headers: Mapping[str, str] | None = None,
    auth: Any = None,
    verify: bool | str = True,
    timeout: float = REQUEST_TIMEOUT,
    allow_redirects: bool = True,
    limit: int = MAX_BODY,
    retry: Retry = ONCE,
    deadline: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """GET ``url`` through ``ctx.http()``: the :class:`Answer`, else :class:`NoAnswer`.

    Each try gets ``timeout`` seconds, less when the deadline is closer (``deadline``, a
    ``ctx.monotonic()`` value; else the gate's own timeout), but at least MIN_TIMEOUT: the
    first try always goes.  When the tries run out on a status in ``retry.statuses``, that
    last answer is returned (its ``tries`` say how many were made).
    """
    tries = 0
    while True:
        this = request_timeout(timeout, _left(ctx, deadline))
        tries += 1
        last: Answer | NoAnswer
        try:
            resp = ctx.http().get(
                url,
                params=params,
                headers=dict(headers or {}),
                auth=auth,
                verify=verify,
                timeout=this,
                stream=True,
                allow_redirects=allow_redirects,
            )
            try:
                body = read_body(resp, limit)
            finally:
                resp.close()
        except requests.RequestException as exc:
            last = NoAnswer(network_reason(exc, this), error=exc, timeout=this, tries=tries)
            if not _retryable(exc, retry):
                raise last from None
            wait = retry.pause(tries - 1)
        except BodyTooBig:
            reason = f"answer larger than {limit:,} bytes"
            raise NoAnswer(reason, timeout=this, tries=tries, answered=True) from None
        else:
            last = Answer(resp, body, tries)
            if resp.status_code not in retry.statuses:
                return last
            wait = retry.pause(tries - 1)
            if retry.retry_after:
                wait = max(wait, retry_after(resp.headers.get("Retry-After")))
        if not _again(retry, tries, _left(ctx, deadline), wait):
            if isinstance(last, NoAnswer):
                raise last
            return last
        problem = last.reason if isinstance(last, NoAnswer) else f"HTTP {last.status}"
        log.debug("GET %s: %s; trying again in %.2f s", shown_url(url), problem, wait)
        sleep(wait)


def fetch(
    ctx: GateContext,
    url: str,
    what: str,
    *,
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> Answer:
    """One GET of a document (a ticket, a verdict): the answer, whatever its status; no
    answer is a GateError naming ``what`` and the URL, never a secret."""
    try:
        return get(ctx, url, headers=headers)
    except NoAnswer as exc:
        reason = redact(exc.reason, secrets)
        raise GateError(f"cannot GET {what} {shown_url(url)}: {reason}") from None


def request_timeout(limit: float, left: float | None) -> float:
    """Seconds one request may take: ``limit``, less when the deadline (``left`` seconds
    away) is closer, never below MIN_TIMEOUT."""
    return limit if left is None else min(limit, max(MIN_TIMEOUT, left))


def is_http_url(url: str) -> bool:
    """An ``http://`` or ``https://`` URL that names a host."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a broken [IPv6] host
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a URL: where a credential may be sent."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _left(ctx: GateContext, deadline: float | None) -> float | None:
    return ctx.remaining() if deadline is None else deadline - ctx.monotonic()


def _again(retry: Retry, tries: int, left: float | None, wait: float) -> bool:
    if retry.attempts is not None and tries >= retry.attempts:
        return False
    if left is None:  # no deadline: only a counted number of tries
        return retry.attempts is not None
    return left >= wait + retry.room


def _retryable(exc: BaseException, retry: Retry) -> bool:
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.ReadTimeout):
        return retry.broken_answers
    if not isinstance(exc, requests.ConnectionError):
        return False
    if isinstance(exc, requests.ConnectTimeout):
        return True
    # urllib3's MaxRetryError says why: no connection (nothing sent), or a broken answer.
    inner = exc.args[0] if exc.args else None
    why = getattr(inner, "reason", inner)
    return isinstance(why, NewConnectionError | ConnectTimeoutError) or retry.broken_answers


def retry_after(value: str | None) -> float:
    """Seconds of a ``Retry-After`` header; 0 for none or an HTTP date."""
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


class BodyTooBig(Exception):
    pass


def read_body(resp: Any, limit: int = MAX_BODY) -> bytes:
    """The body of a streamed response; BodyTooBig past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(65536):
        size += len(chunk)
        if size > limit:
            raise BodyTooBig()
        chunks.append(chunk)
    return b"".join(chunks)
