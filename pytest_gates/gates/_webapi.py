"""JSON over HTTP for the kinds that ask a web API (GitHub, GitLab, Alertmanager,
PagerDuty): request deadlines from the gate's timeout, brief retries of 5xx answers and
dropped connections, one clear GateError per failure, and the credential never in a message.

Requests go only to the API's own origin: redirects and pagination links that point
elsewhere are refused, since the credential travels in a header with every request.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ..api import GateContext, GateError

REQUEST_TIMEOUT = 30.0  # seconds per request when the gate has no timeout of its own
BACKOFF = (0.25, 0.75)  # waits before the 2nd and 3rd attempt after a 5xx or a dropped line
MAX_REDIRECTS = 3


class WebApi:
    """One API at ``base_url`` (``https://api.github.com``, ``https://host/api/v3`` ...).

    ``credential`` says where the secret came from ("the token in GITHUB_TOKEN"): errors
    name it, never the secret, which is also scrubbed from any text an API sends back.
    """

    def __init__(
        self,
        ctx: GateContext,
        service: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secret: str | None = None,
        credential: str = "",
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GateError(f"{service} URL must start with http:// or https:// and name a host")
        self.ctx = ctx
        self.service = service
        self._base = base_url.rstrip("/")
        # Shown in messages: without user:password@ (requests sends those as basic auth).
        host = parts.netloc.rpartition("@")[2]
        self.base_url = f"{parts.scheme}://{host}{parts.path}".rstrip("/")
        self.origin = _origin(base_url)
        self.headers = dict(headers or {})
        self.secrets = [x for x in (secret, parts.password) if x]
        self.credential = credential
        self._tries = 0
        self.asked: list[str] = []  # "GET /path" of every answered request, for the details

    def url(self, path: str) -> str:
        return path if "://" in path else self._base + path

    def get_json(self, path: str, params: Any = None) -> tuple[Any, Mapping[str, str], Any]:
        """GET a JSON document: (body, headers, parsed Link header) of a 2xx answer."""
        resp = self.get(path, params)
        try:
            body = resp.json()
        except ValueError:
            ctype = resp.headers.get("Content-Type", "no content type")
            raise GateError(
                f"{self.service} answered GET {self._show(resp.url)} with something that is"
                f" not JSON ({ctype}, {len(resp.content)} bytes)"
            ) from None
        return body, resp.headers, resp.links

    def get(self, path: str, params: Any = None) -> Any:
        """GET ``path`` (or an absolute URL of the same origin): a 2xx response, else GateError.

        ``params``: a mapping, or a list of pairs for repeated keys (``statuses[]``)."""
        url = self.url(path)
        self._check_origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._attempts(url, params)
            if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                # Followed by hand: requests keeps custom credential headers on redirects.
                url, params = resp.next.url if resp.next else resp.headers["Location"], None
                self._check_origin(url)
                continue
            self._raise_for(resp)
            self.asked.append(f"GET {self._show(resp.url)}")
            return resp
        raise GateError(f"{self.service} redirected more than {MAX_REDIRECTS} times from {path}")

    def _attempts(self, url: str, params: Any) -> Any:
        import requests

        http = self.ctx.http()
        for attempt in range(len(BACKOFF) + 1):
            timeout = self._timeout()
            try:
                resp = http.get(
                    url,
                    params=params,
                    headers=self.headers,
                    timeout=timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                problem = f"cannot reach {self.service} at {self.base_url}: {_short(exc)}"
                if attempt == len(BACKOFF) or not self._wait(BACKOFF[attempt]):
                    raise GateError(self._redact(problem)) from None
                continue
            if resp.status_code >= 500 and attempt < len(BACKOFF) and self._wait(BACKOFF[attempt]):
                continue
            self._tries = attempt + 1
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def _timeout(self) -> float:
        remaining = self.ctx.remaining()
        if remaining is None:
            return REQUEST_TIMEOUT
        if remaining <= 0.05:
            raise GateError(f"the gate's timeout ran out before {self.service} answered")
        return min(REQUEST_TIMEOUT, remaining)

    def _wait(self, seconds: float) -> bool:
        """Wait before a retry; False when the gate's deadline leaves no room for one."""
        remaining = self.ctx.remaining()
        if remaining is not None and remaining < seconds + 0.5:
            return False
        time.sleep(seconds)
        return True

    def _check_origin(self, url: str) -> None:
        if _origin(url) != self.origin:
            parts = urlsplit(url)
            raise GateError(
                f"{self.service} pointed the gate to another host ({parts.scheme}://"
                f"{parts.hostname}); refusing to send {self.credential or 'the request'} there"
            )

    def _raise_for(self, resp: Any) -> None:
        status = resp.status_code
        if status < 400:
            if status >= 300:
                raise GateError(f"{self.service} answered {status} without a Location to follow")
            return
        what = f"GET {self._show(resp.url)}"
        said = _api_message(resp)
        said = f": {said}" if said else ""
        code = f"{status} {resp.reason or ''}".strip()
        cred = self.credential or "no credential"
        headers = resp.headers
        remaining = headers.get("X-RateLimit-Remaining", headers.get("RateLimit-Remaining"))
        if status == 429 or (status == 403 and (remaining == "0" or "Retry-After" in headers)):
            problem = f"{self.service} rate limit hit ({code}) for {what}{said}; {_when(headers)}"
        elif status == 401:
            problem = f"{self.service} rejected the credentials ({code}, {cred}) for {what}{said}"
        elif status == 403:
            problem = (
                f"{self.service} refused access ({code}) to {what}{said};"
                f" does {cred} have read permission?"
            )
        elif status == 404:
            problem = (
                f"{self.service} found nothing at {what} ({code}{said}); check the settings"
                f" (a private resource also answers 404 when {cred} cannot see it)"
            )
        elif status >= 500:
            tries = f"{self._tries} tries" if self._tries > 1 else "no time left to retry"
            problem = f"{self.service} answered {code} for {what}{said} ({tries})"
        else:
            problem = f"{self.service} answered {code} for {what}{said}"
        raise GateError(self._redact(problem))

    def _show(self, url: str) -> str:
        """A URL as shown in messages: the path (and query) below the base URL's host."""
        parts = urlsplit(url)
        return parts.path + (f"?{unquote(parts.query)}" if parts.query else "")

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _api_message(resp: Any) -> str:
    """The API's own one-line explanation of an error, if it gave one."""
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip()
        return " ".join(text.split())[:200] if text and "<" not in text[:1] else ""
    if isinstance(body, str):  # Alertmanager: "bad matcher format: ..."
        return " ".join(body.split())[:200]
    if isinstance(body, dict):
        for key in ("message", "error", "error_description"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value:
                return " ".join(value.split())[:200]
    return ""


def _when(headers: Mapping[str, str]) -> str:
    retry = headers.get("Retry-After")
    if retry:
        return f"retry after {retry} s"
    reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset") or ""
    if not reset.isdigit():
        return "try again later"
    if int(reset) > 1_000_000_000:  # a Unix time (GitHub, GitLab), else seconds (PagerDuty)
        at = dt.datetime.fromtimestamp(int(reset), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"the limit resets at {at}"
    return f"the limit resets in {reset} s"


def _short(exc: Exception) -> str:
    text = str(exc).split(": ")[-1].strip(" )'\"") or type(exc).__name__
    return f"{type(exc).__name__} ({text[:160]})"
