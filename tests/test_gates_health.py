"""The ``health`` gate kind against a real local HTTP server (``tests/httpfake.py``)."""

from __future__ import annotations

import itertools
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpfake import FakeServer, Request, Response
from secrecy import assert_hidden, shown

from pytest_gates.api import Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.gates.health import HealthGate, json_subset

from conftest import Profile

DEFAULTS: dict[str, Any] = {
    "status": 200,
    "contains": None,
    "json": None,
    "interval": 0.01,
    "deadline": 30.0,
    "successes": 1,
    "failure_limit": None,
    "request_timeout": 5.0,
}
ATTEMPT = re.compile(r"  \+\d+\.\d\d s  (ok|FAIL) *  (.*?)  \d+\.\d ms$")
UP = {"status": "UP", "components": {"db": {"status": "UP"}, "disk": {"status": "UP"}}}


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A real local HTTP server (tests/httpfake.py), fresh for each test."""
    fake = FakeServer().start()
    yield fake
    fake.stop()


def evaluate(urls: list[str], timeout: float | None = None, **settings: Any) -> Outcome:
    gate = HealthGate({**DEFAULTS, "urls": urls, **settings})
    ctx = RunContext("health", Path.cwd(), timeout=timeout)
    try:
        return gate.evaluate(ctx)
    finally:
        ctx.close()


def sequence(*responses: Response, then: Response | None = None) -> Any:
    """A route answering these responses in order, then ``then`` (default: the last) forever."""
    queue = iter(responses)
    last = then or responses[-1]

    def route(req: Request) -> Response:
        return next(queue, last)

    return route


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens there now: connection refused


def test_down_then_up_passes_once_up_enough_times_in_a_row(server: FakeServer) -> None:
    server.route = sequence(
        Response(503, {"status": "DOWN"}), Response(503, "starting"), Response(200, UP)
    )
    url = server.url + "/actuator/health"
    outcome = evaluate([url], successes=3, json={"status": "UP"})
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.summary.startswith("1 URL healthy (3 in a row each) after ")
    assert ", 5 attempts; latency p50 " in outcome.summary
    assert outcome.measured["healthy"] == "1 of 1 URLs"
    assert outcome.measured["attempts"] == 5
    assert set(outcome.measured) == {"healthy", "attempts", "latency p50", "latency max"}
    assert outcome.threshold == {
        "healthy": "1 of 1 URLs",
        "successes": ">= 3 in a row each",
        "deadline": "30 s",
    }
    details = outcome.details.splitlines()
    assert details[1].startswith(f"{url}: healthy at +")
    assert [ATTEMPT.match(line).groups() for line in details[2:]] == [  # type: ignore[union-attr]
        ("FAIL", "HTTP 503 (expected 200)"),
        ("FAIL", "HTTP 503 (expected 200)"),
        ("ok", "HTTP 200"),
        ("ok", "HTTP 200"),
        ("ok", "HTTP 200"),
    ]
    assert [r.path for r in server.requests] == ["/actuator/health"] * 5


def test_a_dropped_connection_then_up(server: FakeServer) -> None:
    server.route = sequence(Response(drop=True), Response(200, "OK"))
    outcome = evaluate([server.url + "/healthz"], contains="OK")
    assert outcome.status is Status.PASSED
    assert "FAIL  connection closed without an answer" in outcome.details


def test_flapping_never_reaches_the_streak_before_the_deadline(server: FakeServer) -> None:
    answers = itertools.cycle([Response(200, UP), Response(500, {"status": "DOWN"})])
    server.route = lambda req: next(answers)
    outcome = evaluate([server.url + "/health"], successes=2, deadline=0.3)
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith(
        f"1 of 1 URLs not healthy by deadline 0.3 s: {server.url}/health (last: HTTP "
    )
    assert outcome.summary.endswith(", best 1 of 2 in a row)")
    assert outcome.measured["healthy"] == "0 of 1 URLs"
    assert outcome.measured["attempts"] >= 2
    assert "FAIL  HTTP 500 (expected 200)" in outcome.details


def test_a_wrong_body_fails_at_the_failure_limit(server: FakeServer) -> None:
    server.route = lambda req: Response(200, "maintenance mode")
    url = server.url + "/"
    outcome = evaluate([url], contains="OK", failure_limit=3)
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        f"{url}: 3 failures in a row (failure_limit 3), last: HTTP 200 (body does not contain 'OK')"
    )
    assert outcome.threshold["failures"] == "< 3 in a row"
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("body", "want", "last"),
    [
        (UP, {"status": "UP", "components": {"db": {"status": "UP"}}}, None),
        (
            {**UP, "components": {"db": {"status": "DOWN"}}},
            {"components": {"db": {"status": "UP"}}},
            'HTTP 200 ($.components.db.status is "DOWN", expected "UP")',
        ),
        ({"status": "UP"}, {"checks": []}, "HTTP 200 ($.checks is missing)"),
        ("<html>ok</html>", {"status": "UP"}, "HTTP 200 (body is not JSON)"),
        ({"up": 1}, {"up": True}, "HTTP 200 ($.up is 1, expected true)"),
    ],
    ids=["subset", "nested-differs", "missing-key", "not-json", "bool-is-not-1"],
)
def test_json_subset(server: FakeServer, body: Any, want: Any, last: str | None) -> None:
    server.route = lambda req: Response(200, body)
    outcome = evaluate([server.url + "/health"], json=want, failure_limit=1)
    if last is None:
        assert outcome.status is Status.PASSED
    else:
        assert outcome.status is Status.FAILED
        assert outcome.summary.endswith(f"last: {last}")


def test_an_unreachable_port_fails_naming_the_reason() -> None:
    url = f"http://127.0.0.1:{closed_port()}/health"
    outcome = evaluate([url], failure_limit=2)
    assert outcome.status is Status.FAILED
    assert (
        outcome.summary == f"{url}: 2 failures in a row (failure_limit 2), last: connection refused"
    )
    assert "latency p50" not in outcome.measured
    assert outcome.measured == {"healthy": "0 of 1 URLs", "attempts": 2}


def test_a_redirect_is_not_followed(server: FakeServer) -> None:
    server.route = lambda req: (
        Response(302, "", headers={"Location": "/login"})
        if req.path == "/health"
        else Response(200, "OK")
    )
    outcome = evaluate([server.url + "/health"], failure_limit=1)
    assert outcome.summary.endswith("last: HTTP 302 (expected 200)")


def test_a_slow_answer_times_out(server: FakeServer) -> None:
    server.route = lambda req: Response(200, "OK", delay=2.0)
    outcome = evaluate([server.url + "/h"], request_timeout=0.2, failure_limit=1)
    assert outcome.status is Status.FAILED
    assert outcome.summary.endswith("last: timed out after 0.2 s")


def test_every_url_must_be_healthy(server: FakeServer) -> None:
    server.route = lambda req: Response(200, "OK") if req.path == "/a" else Response(503, "no")
    a, b = server.url + "/a", server.url + "/b"
    outcome = evaluate([a, b], deadline=0.2)
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith(f"1 of 2 URLs not healthy by deadline 0.2 s: {b} (last:")
    assert outcome.measured["healthy"] == "1 of 2 URLs"
    # The healthy one is not polled again.
    assert sum(r.path == "/a" for r in server.requests) == 1
    assert f"{a}: healthy at +" in outcome.details
    assert f"{b}: NOT healthy" in outcome.details


def test_the_gate_timeout_bounds_the_deadline(server: FakeServer) -> None:
    server.route = lambda req: Response(503, "no")
    outcome = evaluate([server.url + "/h"], timeout=0.5, deadline=60.0)
    assert outcome.status is Status.FAILED
    assert "not healthy by the gate's timeout" in outcome.summary


def test_credentials_in_a_url_are_not_shown(server: FakeServer) -> None:
    server.route = lambda req: Response(401, "who are you")
    host = server.url.removeprefix("http://")
    outcome = evaluate([f"http://probe:s3cret-pw@{host}/h"], failure_limit=1)
    assert_hidden(shown(outcome), "s3cret-pw")
    assert f"http://{host}/h: 1 failures in a row" in outcome.summary


def test_settings_are_checked() -> None:
    assert HealthGate.check_settings({"urls": ["localhost:8080/health", "ftp://x/"]}) == [
        "'urls': 'localhost:8080/health' is not an http(s):// URL",
        "'urls': 'ftp://x/' is not an http(s):// URL",
    ]
    assert HealthGate.check_settings({"urls": []}) == ["'urls' needs at least one URL"]


def test_json_subset_rules() -> None:
    assert json_subset({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3}) is None
    assert json_subset({"a": [1, 2]}, {"a": [1, 2, 3]}) == "$.a is [1, 2, 3], expected [1, 2]"
    assert json_subset({"a": 1}, [1]) == "$ is [1], expected an object"


def test_end_to_end(
    pytester: pytest.Pytester,
    profile: Profile,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.route = sequence(Response(503, "deploying"), Response(200, UP))
    monkeypatch.setenv("GATE_HEALTH_URLS", server.url + "/actuator/health")
    profile(
        """
        gates:
          health:
            kind: health
            urls: ["${GATE_HEALTH_URLS}", "${GATE_HEALTH_URLS}/liveness"]
            json: {status: UP}
            successes: 2
            interval: 0.01
            deadline: 30
        """,
        name="production",
    )
    result = pytester.runpytest("--gate=production")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["health  health  passed  healthy 2 of 2 URLs, attempts 5, *"])
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert '<property name="gate.health.status" value="passed" />' in verdict

    server.route = lambda req: Response(200, {"status": "DOWN"})
    result = pytester.runpytest("--gate=production", "-o", "gate_timeout=1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "FAILED: 2 of 2 URLs not healthy by the gate's timeout: *",
            "threshold: healthy 2 of 2 URLs, successes >= 2 in a row each, deadline 30 s",
            f"{server.url}/actuator/health: NOT healthy, * attempts; latency p50 *",
            '  +0.* s  FAIL  HTTP 200 ($.status is "DOWN", expected "UP")  *',
        ]
    )
