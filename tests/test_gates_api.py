"""The ``api`` gate kind: declared checks and ``gate_api`` tests against the real example shop
service (a real process), and against tests/httpfake.py where a test needs to see the
headers sent or to script an answer (503s, a slow answer, an echo of the credentials)."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
from httpfake import FakeServer, Request, Response, fake_server
from secrecy import assert_hidden, run_output
from shopsvc import SHOP, Shop, broken_shop, free_port, shop_service

from pytest_gates.api import Member, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.gates._apiclient import ApiSession, difference, latency_stats, percentile
from pytest_gates.gates.http_api import ApiGate

from conftest import Profile

__all__ = ["broken_shop", "fake_server", "shop_service"]  # fixtures, imported for their use

API_TESTS = SHOP / "tests" / "api" / "test_shop_api.py"
TOKEN = "tok-5ecret-0f-the-api-gate"  # must never be shown
DEFAULTS: dict[str, Any] = {
    "tests": [],
    "min_tests": 1,
    "allow_skipped": False,
    "headers": {},
    "auth": None,
    "timeout": 10.0,
    "retries": 2,
    "checks": [],
}


def gate(base_url: str, **settings: Any) -> ApiGate:
    values = {**DEFAULTS, "base_url": base_url, **settings}
    assert ApiGate.check_settings(values) == []
    return ApiGate(values)


def run_checks(g: ApiGate, tmp_path: Path) -> dict[str, Outcome]:
    ctx = RunContext("api", tmp_path)
    return {check.name: check.run(ctx) for check in g.checks(ctx)}


# -- JSON subset and latency figures -----------------------------------------------------


def test_json_subset_compares_dicts_by_key_and_lists_element_wise() -> None:
    actual = {"status": "ok", "items": [{"id": 1, "name": "Coffee"}, {"id": 2}], "n": 2}
    assert difference({"status": "ok"}, actual) is None
    assert difference({"items": [{"id": 1}, {}]}, actual) is None
    assert difference({"items": [{"id": 1}, {"id": 3}]}, actual) == (
        "$.items[1].id: expected 3, got 2"
    )
    assert difference({"items": [{"id": 1}]}, actual) == "$.items: expected 1 items, got 2"
    assert difference({"missing": True}, actual) == "$.missing: missing (expected true)"
    assert difference({"n": True}, actual) == "$.n: expected true, got 2"
    assert difference({"n": 2.0}, actual) is None
    assert difference({"a b": 1}, {"a b": "1"}) == "$['a b']: expected 1, got \"1\""
    assert difference([{"x": 1}], {"x": 1}) == "$: expected an array, got an object"


def test_latency_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(20, 0, -1)]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert latency_stats(values) == {"requests": 20, "p50_ms": 10.0, "p95_ms": 19.0, "max_ms": 20.0}
    assert latency_stats([]) == {"requests": 0}


def test_the_verdict_gives_latency_over_tests_and_checks(tmp_path: Path) -> None:
    g = gate("http://127.0.0.1:1", tests=["tests/api"])
    members = [
        Member("t.py::test_a", "passed", data={"latency_ms": [4.0, 2.0, 9.5]}),
        Member("gate:pr::api[health]", "passed", data={"status": 200, "latency_ms": 3.0}),
    ]
    outcome = g.evaluate_suite(RunContext("api", tmp_path), members)
    assert outcome.status is Status.PASSED
    assert outcome.measured["requests"] == 4
    assert (outcome.measured["p50_ms"], outcome.measured["p95_ms"]) == (3.0, 9.5)
    assert outcome.measured["max_ms"] == 9.5
    assert "latency over 4 requests: p50 3.0 ms, p95 9.5 ms, max 9.5 ms" in outcome.details


def test_a_suite_that_made_no_request_is_an_error(tmp_path: Path) -> None:
    g = gate("http://127.0.0.1:1/v1", tests=["tests/api"])
    ctx = RunContext("api", tmp_path)
    quiet = [Member("t.py::test_a", "passed"), Member("t.py::test_b", "failed", "boom")]
    outcome = g.evaluate_suite(ctx, quiet[:1])
    assert outcome.status is Status.ERROR
    assert outcome.summary == (
        "the api suite made no request to http://127.0.0.1:1/v1: none of its 1 members sent"
        " one through the gate_api fixture or a declared check (1 members: 1 passed,"
        " 0 failed, 0 errors, 0 skipped)"
    )
    assert outcome.measured["requests"] == 0
    # Failing tests that never reached the API: the same error (not a verdict on the API).
    outcome = g.evaluate_suite(ctx, quiet)
    assert outcome.status is Status.ERROR
    assert outcome.summary.startswith("the api suite made no request to http://127.0.0.1:1/v1")
    assert "  FAILED t.py::test_b - boom" in outcome.details
    # Nothing ran at all: min_tests already says so.
    outcome = g.evaluate_suite(ctx, [Member("t.py::test_a", "skipped", "no")])
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith("0 ran < min_tests 1")
    assert "latency: no request was made through gate_api or a check" in outcome.details


# -- settings ----------------------------------------------------------------------------


def test_declarations_are_checked_when_the_profile_loads() -> None:
    settings = {
        **DEFAULTS,
        "base_url": "127.0.0.1:8080",
        "auth": {"bearer": ""},
        "headers": {"X-Api-Key": ["a"]},
        "checks": [
            {"path": "/a", "stauts": 200},
            {"method": "FETCH", "path": "/b", "status": 999, "max_latency_ms": 0},
            {"method": "GET", "path": "/c", "json": {"a": 1}},
            "GET /d",
            {"path": "/e"},
            {"path": "/e"},
        ],
    }
    assert ApiGate.check_settings(settings) == [
        "'base_url' must start with http:// or https:// and name a host",
        "'headers': the value of 'X-Api-Key' must be a string or a number",
        "'auth' bearer is empty or not a string (is its variable set?)",
        "checks[0]: unknown key 'stauts'; did you mean 'status'?",
        "checks[1]: 'method' must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
        "checks[1]: 'status' must be an HTTP status code (100-599)",
        "checks[1]: 'max_latency_ms' must be a number > 0",
        "checks[2]: a GET request has no 'json' body",
        "checks[3] must be a mapping (method, path, status...)",
        "two checks are named 'GET /e': give one a 'name'",
    ]
    assert ApiGate.check_settings({**DEFAULTS, "base_url": "http://h"}) == [
        "kind 'api' needs 'tests' (pytest paths using the gate_api fixture) or 'checks'"
        " (requests declared here), or both"
    ]
    problems = ApiGate.check_settings(
        {**DEFAULTS, "base_url": "http://h", "tests": ["t"], "auth": {"token": TOKEN}}
    )
    assert problems == [
        "'auth' must be {bearer: TOKEN} or {basic: USER:PASSWORD} (values from ${VARS})"
    ]
    assert ApiGate.check_settings(
        {**DEFAULTS, "base_url": "http://h", "tests": ["t"], "auth": {"basic": TOKEN}}
    ) == ["'auth' basic must be USER:PASSWORD"]


# -- declared checks against the real service --------------------------------------------

SHOP_CHECKS = [
    {"name": "health", "path": "/api/health", "json_subset": {"status": "ok"}},
    {
        "path": "/api/products",
        "json_subset": [{"name": "Coffee beans"}, {"name": "Tea leaves"}, {"name": "Cocoa"}],
        "max_latency_ms": 5000,
    },
    {"name": "unknown product", "path": "/api/products/999", "status": 404},
    {
        "name": "add to cart",
        "method": "post",
        "path": "/api/cart",
        "json": {"product": 1, "qty": 2},
        "status": 201,
        "json_subset": {"items": 2, "total": "25.00"},
    },
]


def test_checks_pass_against_the_real_service(tmp_path: Path, shop_service: Shop) -> None:
    outcomes = run_checks(gate(shop_service.url, checks=SHOP_CHECKS), tmp_path)
    assert list(outcomes) == ["health", "GET /api/products", "unknown product", "add to cart"]
    for outcome in outcomes.values():
        assert outcome.status is Status.PASSED, outcome.summary
    health = outcomes["health"]
    assert health.summary.startswith(f"GET {shop_service.url}/api/health: 200 in ")
    assert health.measured["status"] == 200
    assert health.measured["latency_ms"] > 0
    assert health.threshold == {"status": "== 200", "json": "contains json_subset"}
    assert outcomes["GET /api/products"].threshold["latency_ms"] == "<= 5000"


def test_a_failed_check_shows_url_statuses_json_path_and_body(
    tmp_path: Path, broken_shop: Shop
) -> None:
    checks = [*SHOP_CHECKS, {"name": "tea", "path": "/api/health", "json_subset": {"st": 1}}]
    outcomes = run_checks(gate(broken_shop.url, checks=checks), tmp_path)
    assert outcomes["health"].status is Status.PASSED
    products = outcomes["GET /api/products"]
    assert products.status is Status.FAILED
    assert products.summary == (
        f"GET {broken_shop.url}/api/products: status 500, expected 200;"
        " $: expected an array, got an object"
    )
    assert f"request: GET {broken_shop.url}/api/products" in products.details
    assert 'body: {"error": "database unavailable"}' in products.details
    assert outcomes["add to cart"].summary == (
        f"POST {broken_shop.url}/api/cart: status 500, expected 201; $.items: missing (expected 2)"
    )
    assert outcomes["tea"].summary.endswith("/api/health: $.st: missing (expected 1)")


def test_a_long_body_is_cut_in_the_message(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.route = lambda req: Response(500, "x" * 5000)
    outcome = run_checks(gate(fake_server.url, checks=[{"path": "/big"}]), tmp_path)["GET /big"]
    assert outcome.status is Status.FAILED
    assert "body (first 500 of 5,000 bytes): " + "x" * 500 + "\n" in outcome.details


def test_latency_above_the_limit_fails(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.route = lambda req: Response(200, {"ok": True}, delay=0.3)
    checks = [{"path": "/slow", "max_latency_ms": 50}]
    outcome = run_checks(gate(fake_server.url, checks=checks), tmp_path)["GET /slow"]
    assert outcome.status is Status.FAILED
    assert "> max_latency_ms 50" in outcome.summary
    assert outcome.measured["latency_ms"] >= 300


def test_no_answer_within_the_timeout_fails(tmp_path: Path, fake_server: FakeServer) -> None:
    fake_server.route = lambda req: Response(200, {}, delay=1.0)
    g = gate(fake_server.url, timeout=0.2, checks=[{"path": "/slow"}])
    outcome = run_checks(g, tmp_path)["GET /slow"]
    assert outcome.status is Status.FAILED
    assert (
        outcome.summary == f"GET {fake_server.url}/slow: no answer within 0.2 s (setting 'timeout')"
    )


def test_503_is_retried_for_get_only(tmp_path: Path, fake_server: FakeServer) -> None:
    answers = iter([Response(503, {}), Response(503, {}), Response(200, {"ok": True})])
    fake_server.route = lambda req: next(answers) if req.method == "GET" else Response(503, {})
    checks = [{"path": "/flaky"}, {"method": "POST", "path": "/order", "json": {}, "status": 201}]
    outcomes = run_checks(gate(fake_server.url, checks=checks), tmp_path)
    assert outcomes["GET /flaky"].status is Status.PASSED
    assert outcomes["POST /order"].status is Status.FAILED
    assert [r.method for r in fake_server.requests] == ["GET", "GET", "GET", "POST"]


def test_an_unreachable_base_url_is_an_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    outcome = run_checks(gate(url, checks=[{"path": "/api/health"}]), tmp_path)["GET /api/health"]
    assert outcome.status is Status.ERROR
    assert outcome.summary == f"cannot reach GET {url}/api/health: connection refused"
    verdict = gate(url, checks=[{"path": "/x"}]).evaluate_suite(
        RunContext("api", tmp_path),
        [Member("gate:pr::api[GET /x]", "error", data=dict(outcome.measured))],
    )
    assert verdict.status is Status.ERROR
    assert verdict.summary == (
        f"cannot reach {url}/api/health: connection refused (1 of 1 members could not connect)"
    )


# -- the session of gate_api -------------------------------------------------------------


def test_a_request_without_an_answer_in_time_still_counts(fake_server: FakeServer) -> None:
    fake_server.route = lambda req: Response(200, {}, delay=1.0)
    seen: list[float] = []
    session = ApiSession(fake_server.url, timeout=0.2, retries=0, on_latency=seen.append)
    with session, pytest.raises(requests.Timeout):
        session.get("/slow")
    assert len(seen) == 1
    assert seen[0] >= 200


def test_the_session_joins_paths_and_sends_credentials_only_to_its_origin(
    fake_server: FakeServer,
) -> None:
    other = FakeServer().start()
    try:
        fake_server.route = other.route = lambda req: Response(200, {"path": req.path})
        seen: list[float] = []
        session = ApiSession(
            fake_server.url + "/v1/",
            headers={"X-Team": "shop"},
            auth={"bearer": TOKEN},
            on_latency=seen.append,
        )
        with session:
            assert session.get("/health").json() == {"path": "/v1/health"}
            assert session.get("items").json() == {"path": "/v1/items"}
            session.get(other.url + "/elsewhere")
        assert len(seen) == 3
        assert all(ms > 0 for ms in seen)
        first = fake_server.requests[0].headers
        assert (first["Authorization"], first["X-Team"]) == (f"Bearer {TOKEN}", "shop")
        assert "Authorization" not in other.requests[0].headers
        assert TOKEN not in repr(session.auth)
    finally:
        other.stop()


# -- end to end: pytest --gate -----------------------------------------------------------


def api_project(pytester: pytest.Pytester) -> None:
    target = pytester.path / "tests" / "api"
    target.mkdir(parents=True)
    shutil.copyfile(API_TESTS, target / "test_shop_api.py")


def verdict(pytester: pytest.Pytester) -> ET.Element:
    return ET.parse(pytester.path / "gate-verdict.xml").getroot()


def cases(pytester: pytest.Pytester) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in verdict(pytester).iter("testcase")}


def props(pytester: pytest.Pytester) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in verdict(pytester).iter("property")}


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_example_api_suite_passes_with_latency(
    pytester: pytest.Pytester, profile: Profile, shop_service: Shop, xdist: list[str]
) -> None:
    api_project(pytester)
    profile(
        f"""
        gates:
          api:
            kind: api
            tests: [tests/api]
            base_url: {shop_service.url}
            min_tests: 5
        """
    )
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == 0, result.stdout.str()
    result.stdout.re_match_lines(
        [r"api\s+api\s+passed\s+tests 5, passed 5, .*requests 8, p50_ms [\d.]+, p95_ms"]
    )
    measured = props(pytester)["gate.api.measured"]
    assert "requests 8, p50_ms " in measured
    assert ", max_ms " in measured
    assert "latency over 8 requests: p50" in (cases(pytester)["api"].findtext("system-out") or "")


def test_the_example_api_suite_fails_against_a_broken_shop(
    pytester: pytest.Pytester, profile: Profile, broken_shop: Shop
) -> None:
    api_project(pytester)
    profile(
        f"gates:\n  api:\n    kind: api\n    tests: [tests/api]\n    base_url: {broken_shop.url}\n"
    )
    result = pytester.runpytest("--gate=pr")
    assert result.ret == 1
    out = result.stdout.str()
    assert "FAILED: 4 failed of 5 members" in out
    assert (
        "FAILED tests/api/test_shop_api.py::test_products - AssertionError:"
        f" GET {broken_shop.url}/api/products answered 500: "
        '{"error": "database unavailable"}'
    ) in out
    result.stdout.re_match_lines([r"api\s+api\s+failed\s+tests 5, passed 1, failed 4"])


CHECKS_PROFILE = """
gates:
  api-checks:
    kind: api
    base_url: {url}
    checks:
      - name: health
        path: /api/health
        json_subset: {{status: ok}}
      - path: /api/products
        json_subset: [{{name: Coffee beans}}, {{name: Tea leaves}}, {{name: Cocoa}}]
      - name: unknown product
        path: /api/products/999
        status: 404
      - name: add to cart
        method: POST
        path: /api/cart
        json: {{product: 1, qty: 1}}
        status: 201
    min_tests: 4
"""


def test_declared_checks_are_items(
    pytester: pytest.Pytester, profile: Profile, shop_service: Shop
) -> None:
    profile(CHECKS_PROFILE.format(url=shop_service.url))
    result = pytester.runpytest("--gate=pr", "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*gate:pr::api-checks[[]health[]] PASSED*",
            "*gate:pr::api-checks[[]GET /api/products[]] PASSED*",
            "*gate:pr::api-checks[[]add to cart[]] PASSED*",
            "*gate:pr::api-checks PASSED*",
        ]
    )
    result.stdout.re_match_lines([r"api-checks\s+api\s+passed\s+tests 4, passed 4.*requests 4"])
    assert len(cases(pytester)) == 5


def test_declared_checks_fail_against_a_broken_shop(
    pytester: pytest.Pytester, profile: Profile, broken_shop: Shop
) -> None:
    profile(CHECKS_PROFILE.format(url=broken_shop.url))
    result = pytester.runpytest("--gate=pr")
    assert result.ret == 1
    out = result.stdout.str()
    assert f"FAILED: GET {broken_shop.url}/api/products: status 500, expected 200" in out
    assert 'body: {"error": "database unavailable"}' in out
    assert "FAILED: 3 failed of 4 members" in out
    failure = cases(pytester)["gate:pr::api-checks[unknown product]"].find("failure")
    assert failure is not None
    assert "status 500, expected 404" in (failure.text or "")


def test_a_broken_declaration_is_a_profile_error(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile(
        """
        gates:
          api:
            kind: api
            base_url: http://127.0.0.1:8080
            checks:
              - path: /api/health
                stauts: 200
        """
    )
    result = pytester.runpytest("--gate=pr")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*gate 'api': checks[[]0]: unknown key 'stauts'; did you mean 'status'?"]
    )


ECHO_TESTS = """
def test_whoami(gate_api):
    resp = gate_api.get("/whoami")
    assert resp.status_code == 200, resp.text
"""


def test_credentials_are_sent_and_never_shown(
    pytester: pytest.Pytester,
    profile: Profile,
    fake_server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def echo(req: Request) -> Response:  # a server that repeats the credentials it got
        status = 200 if req.path == "/whoami" else 403
        return Response(
            status, {"you": req.headers.get("Authorization"), "key": req.headers.get("X-Api-Key")}
        )

    fake_server.route = echo
    monkeypatch.setenv("API_TOKEN", TOKEN)
    monkeypatch.setenv("API_KEY", "key-0f-the-api-gate")
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_echo.py").write_text(ECHO_TESTS)
    profile(
        f"""
        gates:
          api:
            kind: api
            base_url: {fake_server.url}
            tests: [tests/test_echo.py]
            auth: {{bearer: "${{API_TOKEN}}"}}
            headers: {{X-Api-Key: "${{API_KEY}}"}}
            checks:
              - name: admin
                path: /admin
        """
    )
    result = pytester.runpytest("--gate=pr", "-v")
    assert result.ret == 1
    sent = [(r.path, r.headers.get("Authorization")) for r in fake_server.requests]
    assert sent == [("/whoami", f"Bearer {TOKEN}"), ("/admin", f"Bearer {TOKEN}")]
    out = result.stdout.str() + result.stderr.str()
    assert "status 403, expected 200" in out
    assert 'body: {"you": "Bearer ***", "key": "***"}' in out
    assert_hidden(run_output(pytester, result), TOKEN, "key-0f-the-api-gate")

    listing = pytester.runpytest("--gate=pr", "--gate-list")
    assert_hidden(run_output(pytester, listing), TOKEN, "key-0f-the-api-gate")


HEALTH_TEST = """
def test_health(gate_api):
    assert gate_api.get("/api/health").status_code == 200
"""


def test_an_unreachable_base_url_makes_the_gate_an_error(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_health.py").write_text(HEALTH_TEST)
    url = f"http://127.0.0.1:{free_port()}"
    profile(
        f"""
        gates:
          api:
            kind: api
            base_url: {url}
            tests: [tests/test_health.py]
            checks:
              - path: /api/health
        """
    )
    result = pytester.runpytest("--gate=pr")
    assert result.ret == 1
    result.stdout.re_match_lines([r"api\s+api\s+error\s+tests 2, passed 0"])
    out = result.stdout.str()
    assert f"ERROR: cannot reach {url}/api/health: connection refused" in out
    assert "(2 of 2 members could not connect)" in out


NO_FIXTURE_TESTS = """
import json
import os
import urllib.request


def test_health_without_the_fixture():
    with urllib.request.urlopen(os.environ["SHOP_URL"] + "/api/health") as resp:
        assert json.load(resp)["status"] == "ok"


def test_arithmetic():
    assert 1 + 1 == 2
"""


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_suite_that_never_used_gate_api_is_an_error(
    pytester: pytest.Pytester,
    profile: Profile,
    shop_service: Shop,
    monkeypatch: pytest.MonkeyPatch,
    xdist: list[str],
) -> None:
    # The tests pass (one even reaches the real shop), but not through gate_api: the gate
    # saw no request, measured no latency, and cannot vouch for the API.
    monkeypatch.setenv("SHOP_URL", shop_service.url)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_plain.py").write_text(NO_FIXTURE_TESTS)
    profile(
        f"""
        gates:
          api:
            kind: api
            base_url: {shop_service.url}
            tests: [tests/test_plain.py]
            min_tests: 2
        """
    )
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == 1, result.stdout.str()
    result.stdout.re_match_lines([r"api\s+api\s+error\s+tests 2, passed 2, .*requests 0"])
    assert (
        f"ERROR: the api suite made no request to {shop_service.url}: none of its 2 members"
        " sent one through the gate_api fixture or a declared check"
    ) in result.stdout.str()
    assert props(pytester)["gate.api.status"] == "error"
