"""Kind ``api``: an HTTP API answers as expected, from pytest tests (fixture ``gate_api``)
and from checks declared in the profile (each its own item), with its latency recorded.

The members are the tests listed in ``tests`` and the ``checks``; the gate passes when
all of them pass.  Every request through ``gate_api`` and every check is timed; the
verdict gives p50, p95 and max latency over all of them.  A base URL that cannot be
reached makes the gate an error (it could not evaluate), never a plain failure; so does a
suite that made no request at all (its tests never used ``gate_api`` and it declares no
checks): it said nothing about the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from ..api import (
    SUITE_SETTINGS,
    Check,
    GateContext,
    Member,
    Outcome,
    Setting,
    Status,
    SuiteGate,
    suite_outcome,
)
from ._apichecks import ApiCheck, auth_problems, header_problems, parse_checks, run_check
from ._apiclient import ApiSession, latency_stats, secrets_of
from ._http import is_http_url
from ._httptext import redact_outcome, shown_url
from ._suitekit import untouched, values

if TYPE_CHECKING:
    import pytest

    from ..suite import SuiteBinding


class ApiGate(SuiteGate):
    """Runs the API tests in ``tests`` and the declared ``checks``; all must pass."""

    kind = "api"
    description = "an HTTP API answers as expected (pytest tests and declared checks)"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        **SUITE_SETTINGS,
        "base_url": Setting(str, required=True, help="the API's base URL, http(s)://"),
        "headers": Setting(dict, default={}, help="headers sent with every request"),
        "auth": Setting(
            dict, default=None, help="{bearer: TOKEN} or {basic: USER:PASSWORD} (from ${VARS})"
        ),
        "timeout": Setting(float, default=10.0, minimum=0.001, help="seconds per request"),
        "retries": Setting(
            int, default=2, minimum=0, help="retries of connection failures and 502/503/504"
        ),
        # A list of mappings: Setting types know lists of strings only, so it is typed
        # loosely here and checked by check_settings.
        "checks": Setting(object, default=[], help="declared requests (see docs/kinds/api.md)"),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        if not is_http_url(settings["base_url"]):
            problems.append("'base_url' must start with http:// or https:// and name a host")
        problems += header_problems(settings["headers"], "'headers'")
        problems += auth_problems(settings["auth"])
        checks, check_problems = parse_checks(settings["checks"])
        problems += check_problems
        if not settings["tests"] and not checks and not check_problems:
            problems.append(
                "kind 'api' needs 'tests' (pytest paths using the gate_api fixture) or"
                " 'checks' (requests declared here), or both"
            )
        return problems

    # -- members ----------------------------------------------------------------------

    def checks(self, ctx: GateContext) -> Sequence[Check]:
        parsed, _ = parse_checks(self.settings["checks"])
        return [
            Check(c.name, self._runner(c), location=f"checks[{c.index}] of gate {ctx.gate_id!r}")
            for c in parsed
        ]

    def api_session(self, binding: SuiteBinding, item: pytest.Item) -> ApiSession:
        """The ``gate_api`` fixture's Session: base URL, headers, auth, timeout, retries;
        it records each request's latency (and connection failures) for the verdict."""

        def latency(ms: float) -> None:
            binding.record(item, "latency_ms", ms)

        def unreachable(reason: str) -> None:
            binding.record(item, "unreachable", reason)

        return self.session(binding.ctx, on_latency=latency, on_unreachable=unreachable)

    def session(self, ctx: GateContext, **kw: Any) -> ApiSession:
        s = self.settings
        return ApiSession(
            s["base_url"],
            headers={str(k): str(v) for k, v in s["headers"].items()},
            auth=s["auth"],
            timeout=s["timeout"],
            retries=s["retries"],
            deadline=ctx.remaining,
            clock=ctx.monotonic,
            **kw,
        )

    def secrets(self) -> list[str]:
        s = self.settings
        headers = {str(k): str(v) for k, v in s["headers"].items()}
        for check in parse_checks(s["checks"])[0]:
            headers.update(check.headers)
        return secrets_of(headers, s["auth"])

    def _runner(self, check: ApiCheck) -> Any:
        def run(ctx: GateContext) -> Outcome:
            return redact_outcome(run_check(check, self.session(ctx), ctx), self.secrets())

        return run

    # -- verdict ----------------------------------------------------------------------

    def evaluate_suite(self, ctx: GateContext, members: Sequence[Member]) -> Outcome:
        latencies = [float(v) for m in members for v in values(m.data.get("latency_ms"))]
        stats = latency_stats(latencies)
        lines = [f"base_url: {shown_url(self.settings['base_url'])}"]
        if latencies:
            lines.append(
                f"latency over {stats['requests']} requests: p50 {stats['p50_ms']} ms,"
                f" p95 {stats['p95_ms']} ms, max {stats['max_ms']} ms"
                " (until the answer was read, retries included)"
            )
        else:
            lines.append("latency: no request was made through gate_api or a check")
        outcome = suite_outcome(self.settings, members, measured=stats, extra="\n".join(lines))
        if not latencies and not any("unreachable" in m.data for m in members):
            outcome = untouched(
                outcome,
                members,
                f"the api suite made no request to {shown_url(self.settings['base_url'])}:"
                f" none of its {len(members)} members sent one through the gate_api fixture"
                " or a declared check",
            )
        unreachable = [
            reason
            for m in members
            if m.status != "passed"
            for reason in values(m.data.get("unreachable"))
        ]
        down = {m.nodeid for m in members if m.status != "passed" and "unreachable" in m.data}
        if unreachable:
            outcome = replace(
                outcome,
                status=Status.ERROR,
                summary=f"cannot reach {unreachable[0]} ({len(down)} of {len(members)}"
                " members could not connect)",
            )
        return redact_outcome(outcome, self.secrets())
