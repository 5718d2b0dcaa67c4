"""The ``sarif`` gate kind: limits, fail_on, overrides, suppressions, waivers, baseline,
new-only, explanations; on SARIF written here and on real scanner output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.gates.sarif import SarifGate

from conftest import DATA

DEFAULTS: dict[str, Any] = {
    "max": None,
    "fail_on": None,
    "severity": None,
    "new_only": False,
    "baseline": None,
    "waivers": None,
    "allow_empty": False,
}


def result(
    rule: str, sev: float | None = None, level: str | None = None, **extra: Any
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "ruleId": rule,
        "message": {"text": f"{rule} found"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": extra.pop("uri", "app/main.py")},
                    "region": {
                        "startLine": extra.pop("line", 3),
                        "snippet": {"text": extra.pop("text", "x = 1")},
                    },
                }
            }
        ],
    }
    if sev is not None:
        r["properties"] = {"security-severity": str(sev)}
    if level is not None:
        r["level"] = level
    r.update(extra)
    return r


def sarif(path: Path, tool: str, results: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                "runs": [{"tool": {"driver": {"name": tool, "rules": []}}, "results": results}],
            }
        )
    )
    return path


def evaluate(root: Path, explain: bool = False, **settings: Any) -> Outcome:
    settings.setdefault("reports", ["reports/*.sarif"])
    gate = SarifGate({**DEFAULTS, **settings})
    return gate.evaluate(RunContext("vulns", root, explain=explain))


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    sarif(
        tmp_path / "reports" / "trivy.sarif",
        "Trivy",
        [
            result("CVE-1", 9.8),
            result("CVE-2", 9.1, uri="vendor/lib.py"),
            result("CVE-3", 7.5),
            result("CVE-4", 5.0),
            result("CVE-5", 0.0),
        ],
    )
    sarif(tmp_path / "reports" / "gitleaks.sarif", "gitleaks", [result("aws-key")])
    return tmp_path


def test_limits_per_severity_and_per_tool(scan: Path) -> None:
    outcome = evaluate(scan, max={"critical": 0, "high": 5})
    assert outcome.status is Status.FAILED
    assert outcome.summary == "critical 2 > 0 (Trivy: critical 2) in 2 SARIF files"
    assert outcome.measured == {
        "critical": 2,
        "high": 1,
        "medium": 2,
        "info": 1,
        "suppressed": 0,
        "waived": 0,
    }
    assert outcome.threshold == {"critical": "<= 0", "high": "<= 5"}
    assert "  Trivy: critical 2, high 1, medium 1, low 0, info 1" in outcome.details
    assert "  gitleaks: critical 0, high 0, medium 1, low 0, info 0" in outcome.details
    assert "CRITICAL Trivy CVE-1 app/main.py:3 CVE-1 found" in outcome.details
    assert "CRITICAL Trivy CVE-2 vendor/lib.py:3 CVE-2 found" in outcome.details


def test_fail_on_and_a_tool_override(scan: Path) -> None:
    outcome = evaluate(scan, fail_on="high", severity={"Trivy": "low", "gitleaks": "critical"})
    assert outcome.status is Status.FAILED
    assert outcome.summary == "critical 1 > 0 (gitleaks: critical 1) in 2 SARIF files"
    assert outcome.threshold == {"critical": "<= 0", "high": "<= 0"}


def test_suppressed_findings_do_not_count(tmp_path: Path) -> None:
    accepted = [{"kind": "external", "status": "accepted"}]
    review = [{"kind": "inSource", "status": "underReview"}]
    sarif(
        tmp_path / "reports" / "s.sarif",
        "Semgrep",
        [
            result("r1", 9.5, suppressions=accepted),
            result("r2", 9.5, suppressions=review),
        ],
    )
    outcome = evaluate(tmp_path, max={"critical": 0})
    assert outcome.measured["critical"] == 1
    assert outcome.measured["suppressed"] == 1


def test_waivers_active_expired_and_unused(scan: Path) -> None:
    (scan / "waivers.yaml").write_text(
        "- rule: CVE-1\n  reason: not reachable\n  owner: team-a\n  expires: 2999-01-01\n"
        "- rule: CVE-*\n  path: vendor/*\n  tool: trivy\n  reason: vendored\n  owner: team-b\n"
        "  expires: 2999-01-01\n"
        "- rule: CVE-404\n  reason: old\n  owner: team-c\n  expires: 2999-01-01\n"
    )
    outcome = evaluate(scan, max={"critical": 0}, waivers="waivers.yaml")
    assert outcome.status is Status.PASSED
    assert outcome.measured["waived"] == 2
    assert "advisory: unused waiver for CVE-404 at" in outcome.details

    (scan / "waivers.yaml").write_text(
        "- rule: CVE-1\n  reason: not reachable\n  owner: team-a\n  expires: 2020-01-01\n"
    )
    outcome = evaluate(scan, max={"high": 10}, waivers="waivers.yaml")
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith("1 expired waiver (CVE-1)")
    assert "EXPIRED waiver for CVE-1 at " in outcome.details
    assert "owner team-a, expires 2020-01-01: not reachable" in outcome.details


def test_bad_waivers_file_is_an_error(scan: Path) -> None:
    (scan / "waivers.yaml").write_text("- rule: CVE-1\n  owner: me\n  expires: soon\n")
    with pytest.raises(GateError, match=r"waivers.yaml: entry 1: missing reason"):
        evaluate(scan, max={"critical": 0}, waivers="waivers.yaml")


def test_baseline_by_fingerprint_else_rule_file_line_text(tmp_path: Path) -> None:
    old = [
        result("CVE-1", 9.8, partialFingerprints={"primaryLocationLineHash": "aaa"}),
        result("CVE-2", 9.8, text="import yaml"),
    ]
    new = [
        result("CVE-1", 9.8, line=40, partialFingerprints={"primaryLocationLineHash": "aaa"}),
        result("CVE-2", 9.8, line=50, text="import yaml"),
        result("CVE-3", 9.8),
    ]
    sarif(tmp_path / "baseline" / "old.sarif", "Trivy", old)
    sarif(tmp_path / "reports" / "new.sarif", "Trivy", new)
    outcome = evaluate(tmp_path, max={"critical": 0}, baseline="baseline/old.sarif")
    assert outcome.measured["critical"] == 1
    assert outcome.measured["baselined"] == 2
    assert "CVE-3" in outcome.details


def test_new_only_counts_new_and_updated(tmp_path: Path) -> None:
    sarif(
        tmp_path / "reports" / "s.sarif",
        "CodeQL",
        [
            result("a", 9.8, baselineState="new"),
            result("b", 9.8, baselineState="updated"),
            result("c", 9.8, baselineState="unchanged"),
            result("d", 9.8, baselineState="absent"),
            result("e", 9.8),
        ],
    )
    assert evaluate(tmp_path, max={"critical": 0}, new_only=True).measured["critical"] == 2
    assert evaluate(tmp_path, max={"critical": 0}).measured["critical"] == 5


def test_explain_says_which_rule_decided_each_severity(scan: Path) -> None:
    outcome = evaluate(scan, explain=True, max={"critical": 10})
    assert "how each severity was decided" in outcome.details
    assert "critical security-severity: 2" in " ".join(outcome.details.split())
    assert "CRITICAL Trivy CVE-1 app/main.py:3 CVE-1 found  <- security-severity" in outcome.details


@pytest.mark.parametrize(
    ("files", "settings", "message"),
    [
        ([], {}, r"no SARIF file matches reports/\*.sarif"),
        (["invalid-json-syntax-error.sarif"], {}, "invalid-json-syntax-error.sarif"),
        (["empty-runs-array.sarif"], {}, "no results section"),
    ],
)
def test_fail_closed(
    tmp_path: Path, files: list[str], settings: dict[str, Any], message: str
) -> None:
    (tmp_path / "reports").mkdir()
    for name in files:
        shutil.copyfile(DATA / "sarif" / name, tmp_path / "reports" / name)
    with pytest.raises(GateError, match=message):
        evaluate(tmp_path, max={"critical": 0}, **settings)


def test_allow_empty(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    shutil.copyfile(DATA / "sarif" / "empty-runs-array.sarif", tmp_path / "reports" / "e.sarif")
    outcome = evaluate(tmp_path, max={"critical": 0}, allow_empty=True)
    assert outcome.status is Status.PASSED


def test_settings_are_checked() -> None:
    base = {**DEFAULTS, "reports": ["a"]}
    assert SarifGate.check_settings(base) == [
        "set 'max' (limits per severity) and/or 'fail_on' (a severity)"
    ]
    assert SarifGate.check_settings({**base, "max": {"critcal": 0, "high": -1}}) == [
        "'max' has 'critcal'; severities are critical, high, medium, low, info",
        "'max' high: must be a whole number >= 0, got -1",
    ]
    assert SarifGate.check_settings({**base, "fail_on": "high", "severity": {"X": "bad"}}) == [
        "'severity' X: 'bad' is not one of critical, high, medium, low, info"
    ]


def test_gitleaks_any_finding_blocks(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    shutil.copyfile(DATA / "sarif" / "gitleaks-v8-simple.sarif", tmp_path / "reports" / "g.sarif")
    outcome = evaluate(tmp_path, fail_on="info", severity={"gitleaks": "critical"})
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith("critical ")


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["no-xdist", "xdist"])
def test_gate_explain_end_to_end(pytester: pytest.Pytester, xdist: list[str]) -> None:
    sarif(
        pytester.path / "reports" / "trivy.sarif",
        "Trivy",
        [result("CVE-1", 9.8), result("CVE-2", 5.0)],
    )
    (pytester.path / "gate_profiles").mkdir()
    (pytester.path / "gate_profiles" / "sec.yaml").write_text(
        "gates:\n"
        "  vulns: {kind: sarif, reports: [reports/*.sarif], max: {critical: 1}}\n"
        "  other: {kind: sarif, reports: [reports/*.sarif], fail_on: medium}\n"
    )
    result_ = pytester.runpytest("--gate=sec", "--gate-explain", "vulns", *xdist)
    assert result_.ret == pytest.ExitCode.OK
    result_.assert_outcomes(passed=1)
    assert "other" not in result_.stdout.str().split("gate verdict")[1]
    result_.stdout.fnmatch_lines(
        [
            "*- explanation of gate vulns -*",
            "PASSED: critical 1, high 0, medium 1, low 0, info 0 in 1 SARIF file"
            " (limits: critical <= 1)",
            "how each severity was decided*",
            "*CRITICAL Trivy CVE-1 app/main.py:3 CVE-1 found  <- security-severity*",
        ]
    )
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert (
        '<property name="gate.vulns.measured"'
        ' value="critical 1, medium 1, suppressed 0, waived 0" />' in verdict
    )
    result_ = pytester.runpytest("--gate=sec", "--gate-only", "other")
    assert result_.ret == pytest.ExitCode.TESTS_FAILED
    result_.stdout.fnmatch_lines(
        ["FAILED: critical 1 > 0, medium 1 > 0 (Trivy: critical 1, medium 1) in 1 SARIF file"]
    )
