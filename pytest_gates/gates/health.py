"""Kind ``health``: URLs answer as expected, several times in a row, before a deadline."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..api import Gate, GateContext, Outcome, Setting
from ._http import NoAnswer, get, is_http_url
from ._httptext import shown_url

MAX_HEALTH_BODY = 1 << 20  # bytes of a health answer that are read and checked
SHOWN_ATTEMPTS = 20  # attempts listed per URL in the details


@dataclass
class _Attempt:
    at: float  # seconds since the gate started
    ok: bool
    what: str  # "HTTP 200", "HTTP 503 (expected 200)", "connection refused"...
    latency: float | None  # seconds until the whole answer was read; None without an answer


@dataclass
class _Probe:
    url: str
    attempts: list[_Attempt] = field(default_factory=list)
    ok_streak: int = 0
    fail_streak: int = 0
    best_streak: int = 0
    healthy_at: float | None = None

    def add(self, attempt: _Attempt) -> None:
        self.attempts.append(attempt)
        if attempt.ok:
            self.ok_streak, self.fail_streak = self.ok_streak + 1, 0
            self.best_streak = max(self.best_streak, self.ok_streak)
        else:
            self.ok_streak, self.fail_streak = 0, self.fail_streak + 1

    def latencies(self) -> list[float]:
        return [a.latency for a in self.attempts if a.latency is not None]


class HealthGate(Gate):
    """Polls every URL each ``interval`` seconds until each has ``successes`` good answers in
    a row (then it is healthy and no longer polled), one has ``failure_limit`` bad answers in
    a row, or the ``deadline`` passes."""

    kind = "health"
    description = "URLs answer with the expected status and body, several times in a row"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "urls": Setting(list, required=True, help="URLs to GET (http:// or https://)"),
        "status": Setting(int, default=200, minimum=100, help="expected HTTP status"),
        "contains": Setting(str, default=None, help="a substring the body must contain"),
        "json": Setting(dict, default=None, help="a subset the JSON body must match"),
        "interval": Setting(float, default=5.0, minimum=0, help="seconds between rounds"),
        "deadline": Setting(
            float, default=60.0, minimum=0, help="seconds for every URL to become healthy"
        ),
        "successes": Setting(
            int, default=1, minimum=1, help="good answers in a row each URL needs"
        ),
        "failure_limit": Setting(
            int, default=None, minimum=1, help="bad answers in a row that end the gate early"
        ),
        "request_timeout": Setting(
            float, default=10.0, minimum=0.001, help="seconds one request may take"
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        if not settings["urls"]:
            problems.append("'urls' needs at least one URL")
        for url in settings["urls"]:
            if not is_http_url(url):
                problems.append(f"'urls': {shown_url(url)!r} is not an http(s):// URL")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        start = ctx.monotonic()
        end = start + s["deadline"]
        bounded = False
        remaining = ctx.remaining()
        if remaining is not None:
            # Stop a little before the gate's timeout, to give an explained verdict.
            limit = start + remaining - min(1.0, remaining * 0.1)
            bounded, end = limit < end, min(end, limit)
        probes = [_Probe(url) for url in dict.fromkeys(s["urls"])]
        stopped: _Probe | None = None
        first = True
        while True:
            round_start = ctx.monotonic()
            for probe in probes:
                if probe.healthy_at is not None:
                    continue
                now = ctx.monotonic()
                if not first and now >= end:
                    break
                # The deadline is the last moment an attempt starts; it gets its full time.
                timeout = s["request_timeout"]
                if remaining is not None:
                    timeout = min(timeout, start + remaining - now)
                if timeout <= 0:
                    break
                probe.add(self._attempt(ctx, probe.url, timeout, start))
                if probe.ok_streak >= s["successes"]:
                    probe.healthy_at = ctx.monotonic() - start
                if s["failure_limit"] and probe.fail_streak >= s["failure_limit"]:
                    stopped = probe
                    break
            first = False
            if stopped or all(p.healthy_at is not None for p in probes):
                break
            next_round = round_start + s["interval"]
            if max(next_round, ctx.monotonic()) >= end:
                break
            time.sleep(max(0.0, next_round - ctx.monotonic()))
        return self._outcome(probes, stopped, ctx.monotonic() - start, bounded)

    def _attempt(self, ctx: GateContext, url: str, timeout: float, start: float) -> _Attempt:
        began = ctx.monotonic()
        at = began - start
        headers = {"User-Agent": "pytest-gates health", "Cache-Control": "no-cache"}
        try:
            # Redirects are not followed: a 302 to a login page must not pass for healthy.
            answer = get(
                ctx,
                url,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                limit=MAX_HEALTH_BODY,
            )
        except NoAnswer as exc:
            return _Attempt(at, False, exc.reason, None)
        latency = ctx.monotonic() - began
        problem = self._check(answer.status, answer.body, answer.resp.encoding)
        what = f"HTTP {answer.status}" + (f" ({problem})" if problem else "")
        return _Attempt(at, problem is None, what, latency)

    def _check(self, status: int, body: bytes, encoding: str | None) -> str | None:
        s = self.settings
        if status != s["status"]:
            return f"expected {s['status']}"
        if s["contains"] is not None:
            text = body.decode(encoding or "utf-8", "replace")
            if s["contains"] not in text:
                return f"body does not contain {s['contains']!r}"
        if s["json"] is not None:
            try:
                doc = json.loads(body)
            except ValueError:
                return "body is not JSON"
            return json_subset(s["json"], doc)
        return None

    def _outcome(
        self, probes: list[_Probe], stopped: _Probe | None, elapsed: float, bounded: bool
    ) -> Outcome:
        s = self.settings
        n = len(probes)
        healthy = [p for p in probes if p.healthy_at is not None]
        attempts = sum(len(p.attempts) for p in probes)
        every = [lat for p in probes for lat in p.latencies()]
        measured: dict[str, Any] = {"healthy": f"{len(healthy)} of {n} URLs", "attempts": attempts}
        if every:
            measured["latency p50"] = _ms(statistics.median(every))
            measured["latency max"] = _ms(max(every))
        threshold: dict[str, Any] = {
            "healthy": f"{n} of {n} URLs",
            "successes": f">= {s['successes']} in a row each",
            "deadline": f"{s['deadline']:g} s",
        }
        if s["failure_limit"]:
            threshold["failures"] = f"< {s['failure_limit']} in a row"
        expect = [f"HTTP {s['status']}"]
        if s["contains"] is not None:
            expect.append(f"body containing {s['contains']!r}")
        if s["json"] is not None:
            expect.append(f"JSON matching {json.dumps(s['json'], sort_keys=True)[:200]}")
        lines = [
            f"expected: {', '.join(expect)}; {s['successes']} in a row per URL, every"
            f" {s['interval']:g} s, within {s['deadline']:g} s (redirects not followed)"
        ]
        for p in probes:
            lines.extend(_explain(p))
        kw: dict[str, Any] = {"measured": measured, "threshold": threshold}
        kw["details"] = "\n".join(lines)
        if len(healthy) == n:
            lat = f"; latency p50 {measured['latency p50']}, max {measured['latency max']}"
            return Outcome.passed(
                f"{n} URL{'s' if n != 1 else ''} healthy ({s['successes']} in a row each)"
                f" after {elapsed:.1f} s, {attempts} attempts{lat}",
                **kw,
            )
        if stopped is not None:
            return Outcome.failed(
                f"{shown_url(stopped.url)}: {stopped.fail_streak} failures in a row"
                f" (failure_limit {s['failure_limit']}), last: {stopped.attempts[-1].what}",
                **kw,
            )
        why = "the gate's timeout" if bounded else f"deadline {s['deadline']:g} s"
        sick = [p for p in probes if p.healthy_at is None]
        listed = "; ".join(
            f"{shown_url(p.url)} (last: {p.attempts[-1].what if p.attempts else 'not tried'},"
            f" best {p.best_streak} of {s['successes']} in a row)"
            for p in sick[:3]
        )
        more = f"; and {len(sick) - 3} more" if len(sick) > 3 else ""
        return Outcome.failed(f"{len(sick)} of {n} URLs not healthy by {why}: {listed}{more}", **kw)


def json_subset(want: Any, got: Any, where: str = "$") -> str | None:
    """None when ``got`` contains ``want`` (objects: recursively, key by key; anything else,
    lists included: equal), else what differs first."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{where} is {_json(got)}, expected an object"
        for key, value in want.items():
            here = f"{where}.{key}"
            if str(key) not in got:
                return f"{here} is missing"
            problem = json_subset(value, got[str(key)], here)
            if problem:
                return problem
        return None
    if want != got or isinstance(want, bool) != isinstance(got, bool):
        return f"{where} is {_json(got)}, expected {_json(want)}"
    return None


def _json(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _explain(p: _Probe) -> list[str]:
    lat = p.latencies()
    timing = f"; latency p50 {_ms(statistics.median(lat))}, max {_ms(max(lat))}" if lat else ""
    state = "NOT healthy" if p.healthy_at is None else f"healthy at +{p.healthy_at:.1f} s"
    head = f"{shown_url(p.url)}: {state}, {len(p.attempts)} attempts{timing}"
    lines = [head]
    shown = p.attempts[-SHOWN_ATTEMPTS:]
    if len(p.attempts) > len(shown):
        lines.append(f"  ... {len(p.attempts) - len(shown)} earlier attempts")
    for a in shown:
        took = f"  {_ms(a.latency)}" if a.latency is not None else ""
        lines.append(f"  +{a.at:.2f} s  {'ok  ' if a.ok else 'FAIL'}  {a.what}{took}")
    return lines
