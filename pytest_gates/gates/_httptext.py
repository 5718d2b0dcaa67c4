"""What the gate kinds show of HTTP: URLs without credentials, a short reason for a network
failure, an API's own error message, and secrets (tokens, passwords) replaced by ``***``."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from ..api import Outcome

SHOWN_MESSAGE = 300  # characters of an API's error message shown


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
    after = f" after {timeout:g} s" if timeout else ""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timed out" + after
    # A read timeout while streaming the body arrives as a ConnectionError.
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return "timed out" + after
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return "connection refused"
    if any(s in text for s in ("Name or service not known", "Failed to resolve", "getaddrinfo")):
        return "host name not resolved"
    if any(s in text for s in ("RemoteDisconnected", "Connection reset", "Connection aborted")):
        return "connection closed without an answer"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error ({cause(exc)})"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    return f"{type(exc).__name__} ({cause(exc)})"


def cause(exc: BaseException, limit: int = 160) -> str:
    """The innermost cause of a requests/urllib3 error, without the pool's repr nor any
    ``user:password@`` of a URL in it."""
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
    text = re.sub(r"//[^/@\s]*@", "//", " ".join(text.split("): ", 1)[-1].split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def auth_header(scheme: str, credential: str) -> str:
    """``Authorization`` for a ``bearer`` token or ``basic`` ``user:password``."""
    if scheme == "basic":
        return "Basic " + base64.b64encode(credential.encode()).decode()
    return f"Bearer {credential}"


def credential_values(scheme: str, credential: str) -> list[str]:
    """What a credential may be echoed back as: itself; for ``basic`` ``user:password``,
    also its base64 form and the password alone."""
    found = [credential]
    if scheme == "basic":
        found += [auth_header("basic", credential)[6:], credential.partition(":")[2]]
    return [v for v in found if v]


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (a server may echo what it was sent);
    longest first, so that a secret containing another goes whole."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def redact_outcome(outcome: Outcome, secrets: Iterable[str]) -> Outcome:
    """``outcome`` with its summary and details redacted."""
    hidden = list(secrets)
    summary, details = redact(outcome.summary, hidden), redact(outcome.details, hidden)
    return dataclasses.replace(outcome, summary=summary, details=details)


def api_message(body: bytes, secrets: Iterable[str] = ()) -> str:
    """The API's own one-line explanation in an error answer ('' when it gave none),
    redacted, then cut: SonarQube's ``errors[].msg``, Jira's ``errorMessages``, GitHub's and
    GitLab's ``message``, ServiceNow's and PagerDuty's ``error.message`` (with ServiceNow's
    ``detail``), OAuth's ``error`` / ``error_description``, Alertmanager's JSON string, or
    a plain-text body (not an HTML page)."""
    try:
        said = _said(json.loads(body))
    except ValueError:  # also bad UTF-8
        text = body.decode("utf-8", "replace").strip()
        said = "" if text.startswith("<") else text
    said = " ".join(redact(said, secrets).split())
    return said if len(said) <= SHOWN_MESSAGE else said[: SHOWN_MESSAGE - 3] + "..."


def _said(doc: Any) -> str:
    if isinstance(doc, str):
        return doc
    if not isinstance(doc, dict):
        return ""
    errors = doc.get("errors")
    if isinstance(errors, list):
        msgs = [e["msg"] for e in errors if isinstance(e, dict) and isinstance(e.get("msg"), str)]
        if any(msgs):
            return "; ".join(m for m in msgs if m)
    messages = doc.get("errorMessages")
    if isinstance(messages, list) and messages:
        return "; ".join(str(m) for m in messages[:3])
    for key in ("message", "error", "error_description"):
        value = doc.get(key)
        if isinstance(value, dict):
            detail = value.get("detail")
            value = value.get("message")
            if isinstance(value, str) and value and detail:
                value = f"{value} ({detail})"
        if isinstance(value, str) and value:
            return value
    return ""
