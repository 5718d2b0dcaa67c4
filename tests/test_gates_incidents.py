"""The ``incidents`` kind: against a real Prometheus Alertmanager (tests/alertmanager.py),
and a local server that answers as PagerDuty's REST API documents (tests/fake_pagerduty.py);
and the Alertmanager matcher syntax."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alertmanager import Alertmanager, alertmanager, iso
from fake_pagerduty import FakePagerDuty
from httpfake import FakeServer
from secrecy import assert_hidden, shown

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.formats.alertmatchers import MatcherError, parse_matcher, parse_matchers
from pytest_gates.gates.incidents import IncidentsGate

from conftest import Profile

__all__ = ["alertmanager"]  # the fixture, imported for this module's tests

PD_TOKEN = "u+PagerDutyS3cretKey_xyz"
DEFAULTS: dict[str, Any] = {
    name: setting.default for name, setting in IncidentsGate.settings_schema.items()
}
CRITICAL_SHOP = {"alertname": "HighErrorRate", "severity": "critical", "team": "shop"}


def evaluate(tmp_path: Path, env: dict[str, str] | None = None, **settings: Any) -> Outcome:
    gate = IncidentsGate({**DEFAULTS, **settings})
    return gate.evaluate(RunContext("incidents", tmp_path, environ=env or {}))


def am(server: Alertmanager, tmp_path: Path, **settings: Any) -> Outcome:
    return evaluate(tmp_path, provider="alertmanager", url=server.url, **settings)


# -- Alertmanager, for real --------------------------------------------------------------


def test_a_firing_critical_alert_fails_and_is_listed(
    alertmanager: Alertmanager, tmp_path: Path
) -> None:
    alertmanager.fire(CRITICAL_SHOP, annotations={"summary": "5xx above 5% for 10 minutes"})
    outcome = am(alertmanager, tmp_path, matchers=['severity="critical"'])
    assert outcome.status is Status.FAILED, outcome.details
    assert outcome.summary == (
        f"1 firing alert > max_active 0 in Alertmanager {alertmanager.url}:"
        ' HighErrorRate{severity="critical", team="shop"}'
    )
    assert outcome.measured == {"active": 1}
    assert outcome.threshold == {"active": "<= 0"}
    details = outcome.details.splitlines()
    assert details[0] == (
        f'1 firing alert in Alertmanager {alertmanager.url} (severity="critical";'
        " 1 of 1 active alerts match), at most 0 allowed"
    )
    # The filtered list, then every active alert (to tell "nothing matches" from a typo).
    assert details[1] == (
        "source: GET /api/v2/alerts?active=true&silenced=false&inhibited=false"
        '&unprocessed=true&filter=severity="critical"; GET /api/v2/alerts?active=true'
        "&silenced=false&inhibited=false&unprocessed=true"
    )
    assert "1 of 1 active alert(s) match the matchers" in outcome.details
    assert details[-1].startswith('  HighErrorRate{severity="critical", team="shop"} since 20'), (
        details
    )
    assert details[-1].endswith(": 5xx above 5% for 10 minutes")


def test_nothing_firing_passes(alertmanager: Alertmanager, tmp_path: Path) -> None:
    outcome = am(alertmanager, tmp_path)
    assert outcome.status is Status.PASSED
    assert outcome.summary == (
        f"0 firing alerts <= 0 in Alertmanager {alertmanager.url} (all alerts)"
    )


def test_a_silenced_alert_does_not_count(alertmanager: Alertmanager, tmp_path: Path) -> None:
    alertmanager.fire(CRITICAL_SHOP)
    assert am(alertmanager, tmp_path).status is Status.FAILED
    alertmanager.silence(alertname="HighErrorRate")
    outcome = am(alertmanager, tmp_path, matchers=['severity="critical"'])
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.measured == {"active": 0}


def test_an_inhibited_alert_does_not_count(alertmanager: Alertmanager, tmp_path: Path) -> None:
    warning = {"alertname": "DiskFilling", "severity": "warning", "team": "shop"}
    alertmanager.fire(warning)
    outcome = am(alertmanager, tmp_path, matchers=['team="shop"'])
    assert outcome.summary.endswith('DiskFilling{severity="warning", team="shop"}')
    alertmanager.fire({"alertname": "Maintenance", "team": "ops"})
    alertmanager.wait_for_status(warning, "inhibitedBy")
    outcome = am(alertmanager, tmp_path, matchers=['team="shop"'])
    assert outcome.status is Status.PASSED, outcome.details


def test_matchers_select_the_team(alertmanager: Alertmanager, tmp_path: Path) -> None:
    alertmanager.fire(CRITICAL_SHOP)
    other = am(alertmanager, tmp_path, matchers=['severity="critical"', 'team=~"pay|ops"'])
    assert other.status is Status.PASSED, other.details
    assert other.summary.endswith(
        '(severity="critical", team=~"pay|ops"; 0 of 1 active alerts match)'
    )
    mine = am(alertmanager, tmp_path, matchers=['team=~"shop|pay"', 'severity!="info"'])
    assert mine.status is Status.FAILED
    # A regular expression matches the whole value, as in Alertmanager.
    assert am(alertmanager, tmp_path, matchers=['team=~"sh"']).status is Status.PASSED
    assert am(alertmanager, tmp_path, matchers=['team!~"sh.*"']).status is Status.PASSED


def test_a_typo_in_a_matchers_label_is_an_error(alertmanager: Alertmanager, tmp_path: Path) -> None:
    # Review finding 7: 'sevrity' selects nothing, so a critical alert went unseen.
    alertmanager.fire(CRITICAL_SHOP)
    with pytest.raises(GateError) as info:
        am(alertmanager, tmp_path, matchers=['sevrity="critical"'])
    assert str(info.value) == (
        "matcher sevrity=\"critical\" names the label 'sevrity', which none of the 1 active"
        " alert(s) in Alertmanager has (labels seen: alertname, severity, team): a typo?"
        " It would select nothing"
    )


def test_no_active_alert_at_all_cannot_tell_a_typo_and_passes(
    alertmanager: Alertmanager, tmp_path: Path
) -> None:
    outcome = am(alertmanager, tmp_path, matchers=['sevrity="critical"'])
    assert outcome.status is Status.PASSED
    assert outcome.summary.endswith('(sevrity="critical"; 0 of 0 active alerts match)')


def test_max_active(alertmanager: Alertmanager, tmp_path: Path) -> None:
    alertmanager.fire(CRITICAL_SHOP)
    outcome = am(alertmanager, tmp_path, max_active=1)
    assert outcome.status is Status.PASSED
    assert outcome.threshold == {"active": "<= 1"}
    alertmanager.fire({"alertname": "CheckoutSlow", "severity": "critical", "team": "shop"})
    alertmanager.fire({"alertname": "Backlog", "severity": "critical", "team": "shop"})
    alertmanager.fire({"alertname": "Zeta", "severity": "critical", "team": "shop"})
    outcome = am(alertmanager, tmp_path, max_active=1)
    assert outcome.status is Status.FAILED
    assert outcome.measured == {"active": 4}
    assert outcome.summary.endswith("; +1 more")
    assert outcome.details.count(" since ") == 4


def test_a_resolved_alert_does_not_count(alertmanager: Alertmanager, tmp_path: Path) -> None:
    alertmanager.fire(CRITICAL_SHOP, startsAt=iso(-600), endsAt=iso(-60))
    assert am(alertmanager, tmp_path).status is Status.PASSED


def test_alertmanager_down_is_an_error(alertmanager: Alertmanager, tmp_path: Path) -> None:
    alertmanager.stop()
    with pytest.raises(GateError, match=r"cannot reach Alertmanager at http://127\.0\.0\.1:\d+: "):
        am(alertmanager, tmp_path)


def test_a_matcher_from_a_variable_is_checked_again(
    alertmanager: Alertmanager, tmp_path: Path
) -> None:
    with pytest.raises(GateError, match=r"matcher 1 'team=~\"\(\"': bad regular expression"):
        am(alertmanager, tmp_path, matchers=['team=~"("'])


def test_not_an_alertmanager_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(GateError, match="cannot reach Alertmanager"):
        evaluate(tmp_path, provider="alertmanager", url=f"http://user:pw-123@127.0.0.1:{port}")
    with pytest.raises(GateError, match=r"no Alertmanager: set 'url'"):
        evaluate(tmp_path, provider="alertmanager")


def test_end_to_end(
    pytester: pytest.Pytester,
    profile: Profile,
    alertmanager: Alertmanager,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alertmanager.fire(CRITICAL_SHOP, annotations={"summary": "checkout errors"})
    alertmanager.fire({"alertname": "Noise", "severity": "info", "team": "shop"})
    monkeypatch.setenv("ALERTMANAGER_URL", alertmanager.url)
    profile(
        "gates:\n"
        "  incidents:\n"
        "    kind: incidents\n"
        "    provider: alertmanager\n"
        "    url: ${ALERTMANAGER_URL}\n"
        "    matchers: ['severity=~\"critical|page\"', 'team=\"shop\"']\n"
        "  pay-incidents:\n"
        "    kind: incidents\n"
        "    provider: alertmanager\n"
        "    url: ${ALERTMANAGER_URL}\n"
        "    matchers: ['team=\"pay\"']\n",
        name="production",
    )
    result = pytester.runpytest("--gate=production")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED: 1 firing alert > max_active 0 in Alertmanager http://127.0.0.1:*:"
            ' HighErrorRate{severity="critical", team="shop"}',
            "measured:  active 1",
            "threshold: active <= 0",
            "active:",
            '  HighErrorRate{severity="critical", team="shop"} since *: checkout errors',
            "re-run this gate: pytest --gate=production --gate-only incidents",
        ]
    )
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert '<property name="gate.incidents.measured" value="active 1" />' in verdict
    assert '<property name="gate.pay-incidents.status" value="passed" />' in verdict


def test_a_bad_matcher_breaks_the_profile_with_its_reason(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile(
        "gates:\n"
        "  incidents:\n"
        "    kind: incidents\n"
        "    provider: alertmanager\n"
        "    url: http://alertmanager:9093\n"
        "    matchers: ['severity=\"critical\"', 'team==shop', 'x=~\"(a)\\\\1\"']\n",
        name="production",
    )
    result = pytester.runpytest("--gate=production")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*production.yaml:2: gate 'incidents': matcher 2 'team==shop': an unquoted value"
            " starting with '=': did you mean name=\"value\"?*",
        ]
    )
    result.stdout.re_match_lines(
        [r".*production.yaml:2: gate 'incidents': matcher 3 .*: lookaround, backreferences"]
    )


# -- matcher syntax ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "critical"}, True),
        (' severity = "critical" ', {"severity": "warning"}, False),
        ('team!="shop"', {}, True),  # a missing label is the empty string
        ('team=""', {}, True),
        ('team=~"shop|pay"', {"team": "pay"}, True),
        ('team=~"shop|pay"', {"team": "shopping"}, False),  # anchored
        ('team!~"shop|pay"', {"team": "shopping"}, True),
        ('summary="say \\"hi\\""', {"summary": 'say "hi"'}, True),
        ('path="a\\\\b"', {"path": "a\\b"}, True),
        ('msg="two\\nlines"', {"msg": "two\nlines"}, True),
        ('path="c:\\temp"', {"path": "c:\\temp"}, True),  # a lone backslash stays
        ('team=~"a,b"', {"team": "a,b"}, True),
        ('op="=="', {"op": "=="}, True),
    ],
)
def test_matchers_match_like_alertmanager(
    text: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_matcher(text).matches(labels) is expected


def test_matchers_print_canonically() -> None:
    assert str(parse_matcher("team =~ shop|pay")) == 'team=~"shop|pay"'
    assert str(parse_matcher('a="q\\"q\\\\"')) == 'a="q\\"q\\\\"'


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("severity", "expected a label name, an operator"),
        ('1abc="x"', "expected a label name"),
        ('a="open', "closing double quote is missing"),
        ('a="x\\"', "closing double quote is missing"),
        ('a="x"y"', "unescaped double quote inside the value"),
        ('a=x"y', "a value with a double quote must be quoted"),
        ("a=~~x", "an unquoted value starting with '~'"),
        ('a=~"("', "bad regular expression"),
        ('a=~"x(?=y)"', "lookaround"),
        ('a=~"(?P<n>x)(?P=n)"', "lookaround, backreferences"),
    ],
)
def test_bad_matchers(text: str, reason: str) -> None:
    with pytest.raises(MatcherError, match=reason):
        parse_matcher(text)


def test_re2_check_skips_escapes_and_classes() -> None:
    assert parse_matcher('a=~"\\\\(?=x"').value == "\\(?=x"  # an escaped parenthesis
    assert parse_matcher('a=~"[(?!]"').matches({"a": "!"})
    good, problems = parse_matchers(['a="1"', "b", 'c=~"d"'])
    assert [str(m) for m in good] == ['a="1"', 'c=~"d"']
    assert problems == [
        "matcher 2 'b': expected a label name, an operator (=, !=, =~, !~) and a value,"
        ' e.g. severity="critical"'
    ]


def test_check_settings() -> None:
    assert IncidentsGate.check_settings(
        {**DEFAULTS, "provider": "pagerduty", "matchers": ['a="b"'], "url": "api.pagerduty.com"}
    ) == [
        "'matchers' select Alertmanager alerts; PagerDuty takes 'services'",
        "'url' must start with http:// or https://",
    ]
    assert IncidentsGate.check_settings(
        {**DEFAULTS, "provider": "alertmanager", "services": ["P1"], "token_env": "a b"}
    ) == [
        "'services' are PagerDuty service ids; Alertmanager takes 'matchers'",
        "'token_env' must be the name of an environment variable",
    ]


# -- PagerDuty, as documented --------------------------------------------------------------


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    server = FakeServer().start()
    fake = FakePagerDuty(server, PD_TOKEN)
    server.route = fake.route
    yield fake
    server.stop()


def pd(fake: FakePagerDuty, tmp_path: Path, **settings: Any) -> Outcome:
    env = {"PAGERDUTY_TOKEN": PD_TOKEN, **settings.pop("env", {})}
    return evaluate(tmp_path, env, provider="pagerduty", url=fake.server.url, **settings)


def test_pagerduty_open_incidents_on_two_pages(pagerduty: FakePagerDuty, tmp_path: Path) -> None:
    for n in range(1, 151):
        pagerduty.add(n, f"incident {n}", status="resolved" if n % 3 == 0 else "acknowledged")
    pagerduty.add(500, "Checkout is down", urgency="high", age_days=2)
    outcome = pd(pagerduty, tmp_path, max_active=10)
    assert outcome.status is Status.FAILED
    assert outcome.measured == {"active": 101}
    assert outcome.summary == (
        f"101 open incidents > max_active 10 in PagerDuty API {pagerduty.server.url}:"
        " #500 Checkout is down; #1 incident 1; #2 incident 2; +98 more"
    )
    offsets = [r.query["offset"] for r in pagerduty.server.requests]
    assert offsets == ["0", "100"]
    assert "2 page(s) of incidents read" in outcome.details
    assert (
        "  #500 [high] Checkout is down (triggered, service Shop API, since"
        " 2026-02-27T12:00:00Z) https://acme.pagerduty.com/incidents/PINC0500"
    ) in outcome.details
    first = pagerduty.server.requests[0]
    assert first.headers["Authorization"] == f"Token token={PD_TOKEN}"
    assert first.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert_hidden(shown(outcome), PD_TOKEN)


def test_pagerduty_old_incidents_and_services(pagerduty: FakePagerDuty, tmp_path: Path) -> None:
    # Without date_range=all the API lists only the last 30 days: this one would be missed.
    pagerduty.add(7, "Payments degraded", status="acknowledged", service="PPAY001", age_days=45)
    outcome = pd(pagerduty, tmp_path, services=["PPAY001"])
    assert outcome.status is Status.FAILED
    assert outcome.summary.endswith(": #7 Payments degraded")
    outcome = pd(pagerduty, tmp_path, services=["PSHOP01"])
    assert outcome.status is Status.PASSED
    assert outcome.summary == (
        f"0 open incidents <= 0 in PagerDuty API {pagerduty.server.url} (PSHOP01)"
    )


def test_pagerduty_an_unknown_service_id_is_an_error(
    pagerduty: FakePagerDuty, tmp_path: Path
) -> None:
    # A mistyped service id would list no incidents of it: checked before counting.
    pagerduty.add(7, "Payments degraded", service="PPAY001")
    with pytest.raises(GateError) as info:
        pd(pagerduty, tmp_path, services=["PPAY001", "PPAY00l"])
    assert str(info.value).startswith(
        "PagerDuty service PPAY00l (setting 'services') does not exist or cannot be read:"
        " PagerDuty API found nothing at GET /services/PPAY00l (404 Not Found: Not Found)"
    )
    assert not any(r.path == "/incidents" for r in pagerduty.server.requests)
    outcome = pd(pagerduty, tmp_path, services=["PPAY001"])
    assert outcome.status is Status.FAILED
    assert "services: PPAY001 Payments (active)" in outcome.details


def test_pagerduty_nothing_open_passes(pagerduty: FakePagerDuty, tmp_path: Path) -> None:
    pagerduty.add(1, "old", status="resolved")
    outcome = pd(pagerduty, tmp_path)
    assert outcome.status is Status.PASSED
    assert outcome.measured == {"active": 0}
    assert "the token in PAGERDUTY_TOKEN" in outcome.details


@pytest.mark.parametrize(
    ("env", "rate_limited", "message"),
    [
        (
            {"PAGERDUTY_TOKEN": "wrong"},
            False,
            r"PagerDuty API rejected the credentials \(401"
            r" Unauthorized, the token in PAGERDUTY_TOKEN\) for GET /incidents\?.*: Unauthorized",
        ),
        (
            {},
            True,
            r"PagerDuty API rate limit hit \(429 Too Many Requests\) for GET /incidents.*:"
            r" Rate Limit Exceeded; the limit resets in 17 s",
        ),
        (
            {"PAGERDUTY_TOKEN": ""},
            False,
            "no token: the environment variable PAGERDUTY_TOKEN is not set or empty",
        ),
    ],
    ids=["bad-token", "rate-limit", "no-token"],
)
def test_pagerduty_errors(
    pagerduty: FakePagerDuty,
    tmp_path: Path,
    env: dict[str, str],
    rate_limited: bool,
    message: str,
) -> None:
    pagerduty.rate_limited = rate_limited
    with pytest.raises(GateError, match=message) as info:
        pd(pagerduty, tmp_path, env=env)
    assert PD_TOKEN not in str(info.value)
