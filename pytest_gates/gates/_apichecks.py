"""The declared checks of the ``api`` gate: reading and validating their declarations,
sending each request and judging its answer (status, JSON subset, latency).  Knows
nothing of pytest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests

from ..api import GateContext, Outcome
from ..validate import hint
from ._apiclient import ApiSession, difference
from ._http import BodyTooBig, read_body
from ._httptext import network_reason, shown_url

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CHECK_KEYS = (
    "name",
    "method",
    "path",
    "headers",
    "json",
    "status",
    "json_subset",
    "max_latency_ms",
)
MAX_BODY = 8 << 20  # bytes of an answer a check reads; more is an error
SHOWN_BODY = 500  # characters of a body shown in a failed check's message


@dataclass(frozen=True)
class ApiCheck:
    """One declared request and what its answer must be."""

    name: str
    method: str
    path: str
    index: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    status: int = 200
    subset: Any = None
    has_subset: bool = False
    max_latency_ms: float | None = None


def run_check(check: ApiCheck, session: ApiSession, ctx: GateContext) -> Outcome:
    """Send the check's request with ``session`` (closed after) and judge the answer."""
    url = session.url(check.path)
    what = f"{check.method} {shown_url(url)}"
    kwargs: dict[str, Any] = {"headers": check.headers, "allow_redirects": False, "stream": True}
    if check.has_body:
        kwargs["json"] = check.body
    timeout = session.request_timeout()
    started = ctx.monotonic()
    try:
        try:
            resp = session.request(check.method, url, timeout=timeout, **kwargs)
            try:
                body: bytes | None = read_body(resp, MAX_BODY)
            except BodyTooBig:
                body = None
            finally:
                resp.close()
        except requests.ConnectionError as exc:
            reason = network_reason(exc)
            return Outcome.error(
                f"cannot reach {what}: {reason}",
                measured={"unreachable": f"{shown_url(url)}: {reason}"},
            )
        except requests.Timeout:
            return Outcome.failed(
                f"{what}: no answer within {timeout:g} s (setting 'timeout')",
                measured={"latency_ms": round(timeout * 1000, 1)},
            )
        except requests.RequestException as exc:
            # Sent, and it broke off: a request all the same (the suite's verdict counts it).
            return Outcome.error(
                f"{what}: {network_reason(exc)}", measured={"latency_ms": _since(ctx, started)}
            )
    finally:
        session.close()
    if body is None:
        return Outcome.error(
            f"{what} answered more than {MAX_BODY:,} bytes",
            measured={"latency_ms": _since(ctx, started)},
        )
    return judge(check, what, resp, body, _since(ctx, started))


def _since(ctx: GateContext, started: float) -> float:
    return round((ctx.monotonic() - started) * 1000, 1)


def judge(check: ApiCheck, what: str, resp: Any, body: bytes, latency: float) -> Outcome:
    """The check's verdict on an answer."""
    measured: dict[str, Any] = {"status": resp.status_code, "latency_ms": latency}
    threshold: dict[str, Any] = {"status": f"== {check.status}"}
    problems = []
    if resp.status_code != check.status:
        problems.append(f"status {resp.status_code}, expected {check.status}")
    if check.has_subset:
        threshold["json"] = "contains json_subset"
        try:
            doc = json.loads(body) if body else None
        except ValueError:  # also bad UTF-8
            doc = None
        if doc is None and body.strip() != b"null":
            ctype = resp.headers.get("Content-Type", "no content type")
            problems.append(f"the answer is not JSON ({ctype})")
        else:
            found = difference(check.subset, doc)
            if found:
                problems.append(found)
    if check.max_latency_ms is not None:
        threshold["latency_ms"] = f"<= {check.max_latency_ms:g}"
        if latency > check.max_latency_ms:
            problems.append(f"latency {latency:g} ms > max_latency_ms {check.max_latency_ms:g}")
    text = body[:SHOWN_BODY].decode("utf-8", "replace")
    more = f" (first {SHOWN_BODY} of {len(body):,} bytes)" if len(body) > SHOWN_BODY else ""
    details = "\n".join(
        [
            f"request: {what}",
            f"answer: {resp.status_code} {resp.reason or ''}".rstrip()
            + f", {len(body):,} bytes, {resp.headers.get('Content-Type', 'no content type')}",
            f"body{more}: {' '.join(text.split())}",
            f"latency: {latency:g} ms",
        ]
    )
    kw: dict[str, Any] = {"measured": measured, "threshold": threshold, "details": details}
    if problems:
        return Outcome.failed(f"{what}: " + "; ".join(problems), **kw)
    return Outcome.passed(f"{what}: {resp.status_code} in {latency:g} ms", **kw)


def parse_checks(raw: Any) -> tuple[list[ApiCheck], list[str]]:
    """The declared checks and the problems of their declarations (values never shown:
    they may come from variables)."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], ["'checks' must be a list of mappings (method, path, status...)"]
    checks, problems = [], []
    for i, entry in enumerate(raw):
        where = f"checks[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a mapping (method, path, status...)")
            continue
        bad = _check_problems(entry, where)
        if bad:
            problems += bad
            continue
        method = str(entry.get("method", "GET")).upper()
        checks.append(
            ApiCheck(
                name=str(entry.get("name") or f"{method} {entry['path']}"),
                method=method,
                path=entry["path"],
                index=i,
                headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()},
                body=entry.get("json"),
                has_body="json" in entry,
                status=entry.get("status", 200),
                subset=entry.get("json_subset"),
                has_subset="json_subset" in entry,
                max_latency_ms=entry.get("max_latency_ms"),
            )
        )
    names = [c.name for c in checks]
    problems += [
        f"two checks are named {n!r}: give one a 'name'"
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    return checks, problems


def _check_problems(entry: dict[Any, Any], where: str) -> list[str]:
    problems = [
        f"{where}: unknown key {key!r}{hint(str(key), CHECK_KEYS)}"
        for key in entry
        if key not in CHECK_KEYS
    ]
    path = entry.get("path")
    if not isinstance(path, str) or not path.strip():
        problems.append(f"{where}: 'path' is required (a path below base_url, or a URL)")
    elif "://" in path and not path.startswith(("http://", "https://")):
        problems.append(f"{where}: 'path' must be a path or an http(s):// URL")
    method = entry.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        problems.append(f"{where}: 'method' must be one of {', '.join(METHODS)}")
    status = entry.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        problems.append(f"{where}: 'status' must be an HTTP status code (100-599)")
    limit = entry.get("max_latency_ms")
    if limit is not None and (
        not isinstance(limit, int | float) or isinstance(limit, bool) or limit <= 0
    ):
        problems.append(f"{where}: 'max_latency_ms' must be a number > 0")
    name = entry.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or "]" in name):
        problems.append(f"{where}: 'name' must be a non-empty string without ']'")
    problems += header_problems(entry.get("headers", {}), f"{where}: 'headers'")
    if "json" in entry and str(method).upper() in ("GET", "HEAD"):
        problems.append(f"{where}: a {method} request has no 'json' body")
    return problems


def header_problems(headers: Any, what: str) -> list[str]:
    if not isinstance(headers, dict):
        return [f"{what} must be a mapping of header names to values"]
    return [
        f"{what}: the value of {key!r} must be a string or a number"
        for key, value in headers.items()
        if not isinstance(value, str | int | float) or isinstance(value, bool)
    ]


def auth_problems(auth: Any) -> list[str]:
    if auth is None:
        return []
    if not isinstance(auth, dict) or len(auth) != 1 or next(iter(auth)) not in ("bearer", "basic"):
        return ["'auth' must be {bearer: TOKEN} or {basic: USER:PASSWORD} (values from ${VARS})"]
    kind, value = next(iter(auth.items()))
    if not isinstance(value, str) or not value:
        return [f"'auth' {kind} is empty or not a string (is its variable set?)"]
    if kind == "basic" and ":" not in value:
        return ["'auth' basic must be USER:PASSWORD"]
    return []
