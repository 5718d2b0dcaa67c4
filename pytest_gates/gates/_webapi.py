"""JSON over HTTP for the kinds that ask a web API (GitHub, GitLab, Alertmanager,
PagerDuty): request deadlines from the gate's timeout, brief retries of 5xx answers and
dropped connections, one clear GateError per failure, and the credential never in a message.

Requests go only to the API's own origin: redirects and pagination links that point
elsewhere are refused, since the credential travels in a header with every request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ..api import GateContext, GateError
from ._http import Answer, NoAnswer, Retry, get, is_http_url, origin
from ._httptext import api_message, credential_values, redact, shown_url

# 3 tries of a 5xx or a dropped line, 0.25 s and 0.75 s apart, each leaving 0.5 s to answer.
RETRY = Retry(attempts=3, backoff=0.25, factor=3.0, room=0.5)
MAX_REDIRECTS = 3
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def token_problems(settings: Mapping[str, Any]) -> list[str]:
    """Profile checks of the ``token`` / ``token_env`` settings (values never echoed)."""
    problems = []
    if settings["token"] and settings["token_env"]:
        problems.append("set 'token' or 'token_env', not both")
    if settings["token_env"] and not _VAR_NAME.match(settings["token_env"]):
        problems.append("'token_env' must be the name of an environment variable")
    return problems


def token_of(
    ctx: GateContext, settings: Mapping[str, Any], default_env: str | None, hint: str = ""
) -> tuple[str | None, str]:
    """The token (setting ``token``, else the variable ``token_env`` names, else
    ``default_env``) and where it came from ("the token in GITHUB_TOKEN"); (None, "") when
    there is no variable to read.  An empty variable is a GateError naming it."""
    if settings["token"]:
        return settings["token"], "the token in setting 'token'"
    name = settings["token_env"] or default_env
    if name is None:
        return None, ""
    token = (ctx.env(name) or "").strip()
    if not token:
        raise GateError(f"no token: the environment variable {name} is not set or empty{hint}")
    return token, f"the token in {name}"


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
        if not is_http_url(base_url):
            raise GateError(f"{service} URL must start with http:// or https:// and name a host")
        parts = urlsplit(base_url)
        self.ctx = ctx
        self.service = service
        self._base = base_url.rstrip("/")
        self.base_url = shown_url(self._base)  # in messages: without user:password@
        self.origin = origin(base_url)
        self.headers = dict(headers or {})
        self.secrets = [secret] if secret else []
        if parts.password:  # requests sends user:password@ as basic auth
            self.secrets += credential_values("basic", f"{parts.username}:{parts.password}")
        self.credential = credential
        self.asked: list[str] = []  # "GET /path" of every answered request, for the details

    def url(self, path: str) -> str:
        return path if "://" in path else self._base + path

    def get_json(self, path: str, params: Any = None) -> tuple[Any, Mapping[str, str], Any]:
        """GET a JSON document: (body, headers, parsed Link header) of a 2xx answer."""
        answer = self.get(path, params)
        resp = answer.resp
        try:
            body = answer.json()
        except ValueError:
            ctype = resp.headers.get("Content-Type", "no content type")
            raise GateError(
                f"{self.service} answered GET {self._show(resp.url)} with something that is"
                f" not JSON ({ctype}, {len(answer.body)} bytes)"
            ) from None
        return body, resp.headers, resp.links

    def get(self, path: str, params: Any = None) -> Answer:
        """GET ``path`` (or an absolute URL of the same origin): a 2xx answer, else GateError.

        ``params``: a mapping, or a list of pairs for repeated keys (``statuses[]``)."""
        url = self.url(path)
        self._checkorigin(url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                answer = get(
                    self.ctx,
                    url,
                    params=params,
                    headers=self.headers,
                    allow_redirects=False,
                    retry=RETRY,
                )
            except NoAnswer as exc:
                fail = "no usable answer from" if exc.answered else "cannot reach"
                problem = f"{fail} {self.service} at {self.base_url}: {exc.reason}"
                raise GateError(self._redact(problem)) from None
            resp = answer.resp
            if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                # Followed by hand: requests keeps custom credential headers on redirects.
                url, params = resp.next.url if resp.next else resp.headers["Location"], None
                self._checkorigin(url)
                continue
            self._raise_for(answer)
            self.asked.append(f"GET {self._show(resp.url)}")
            return answer
        raise GateError(f"{self.service} redirected more than {MAX_REDIRECTS} times from {path}")

    def _checkorigin(self, url: str) -> None:
        if origin(url) != self.origin:
            parts = urlsplit(url)
            raise GateError(
                f"{self.service} pointed the gate to another host ({parts.scheme}://"
                f"{parts.hostname}); refusing to send {self.credential or 'the request'} there"
            )

    def _raise_for(self, answer: Answer) -> None:
        resp, status = answer.resp, answer.status
        if status < 400:
            if status >= 300:
                raise GateError(f"{self.service} answered {status} without a Location to follow")
            return
        what = f"GET {self._show(resp.url)}"
        said = api_message(answer.body, self.secrets)
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
            tries = f"{answer.tries} tries" if answer.tries > 1 else "no time left to retry"
            problem = f"{self.service} answered {code} for {what}{said} ({tries})"
        else:
            problem = f"{self.service} answered {code} for {what}{said}"
        raise GateError(self._redact(problem))

    def _show(self, url: str) -> str:
        """A URL as shown in messages: the path (and query) below the base URL's host."""
        parts = urlsplit(url)
        return parts.path + (f"?{unquote(parts.query)}" if parts.query else "")

    def _redact(self, text: str) -> str:
        return redact(text, self.secrets)


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
