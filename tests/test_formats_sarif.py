"""SARIF reader: the corpus, each row of the severity table, rule lookup, streaming, real tools."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson
import pytest

from pytest_gates.formats import sarif
from pytest_gates.formats.errors import FormatError
from pytest_gates.formats.sarif import SEVERITIES, Finding, read_sarif

SARIF = Path(__file__).parent / "data" / "sarif"

# Worked out by hand from each file (see the comments), then checked against the reader:
# file -> (critical, high, medium, low, info, suppressed).
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    # Bandit: issue_severity decides (row 3): LOW x3 (note), HIGH x2 (error), MEDIUM (no level).
    "bandit-1.9.4.sarif": (0, 2, 1, 3, 0, 0),
    # No level, no security-severity: rule problem.severity recommendation x57, error x11,
    # warning x4; the 27 extensions have no rules.
    "codeql-2.5.4-cli-extensions.sarif": (0, 11, 4, 57, 0, 0),
    # defaultConfiguration {} but problem.severity warning -> medium.
    "codeql-cli-empty-defaultConfiguration.sarif": (0, 0, 1, 0, 0, 0),
    "codeql-empty-results.sarif": (0, 0, 0, 0, 0, 0),
    # Rule without properties or defaultConfiguration, result without level: default warning.
    "codeql-invalid-uri.sarif": (0, 0, 1, 0, 0, 0),
    # Run 0: recommendation -> low; run 1: recommendation -> low, warning -> medium (problem
    # .severity beats defaultConfiguration.level note).
    "codeql-lgtm-multiple-runs.sarif": (0, 0, 1, 2, 0, 0),
    # Five runs without "results": read only with allow_empty (NO_RESULTS_SECTION).
    "codeql-runs-without-results-null-tool-name.sarif": (0, 0, 0, 0, 0, 0),
    # security-severity 9.9 (a JSON number) on the rule beats level warning.
    "cppcheck-one-vuln-secsev.sarif": (1, 0, 0, 0, 0, 0),
    "devskim-no-results.sarif": (0, 0, 0, 0, 0, 0),
    # Levels only: error x1, note x3.
    "dockle-0.3.15.sarif": (0, 1, 0, 3, 0, 0),
    "empty-runs-array.sarif": (0, 0, 0, 0, 0, 0),  # runs: [] (allow_empty)
    # No ruleId, no level, properties without a severity: 8 x default warning.
    "gitleaks-7.5-no-ruleId.sarif": (0, 0, 8, 0, 0, 0),
    "gitleaks-empty-runs.sarif": (0, 0, 0, 0, 0, 0),  # runs: [] (allow_empty)
    # ruleId "test-rule" is not declared; tags tag1-3 are not severities: default warning.
    "gitleaks-v8-simple.sarif": (0, 0, 1, 0, 0, 0),
    # Levels only (the rules' tags are CVE ids): warning, error, note.
    "govulncheck-1.3.0.sarif": (0, 1, 1, 1, 0, 0),
    # Rule security-severity strings: 9.8 x1, 7.5 x5 + 7.8 x6, 5.3 + 6.1 x2 + 6.5, 2.1 x6.
    "grype-0.34-security-severity.sarif": (1, 11, 4, 6, 0, 0),
    # Result 0: no level, properties owasp/cwe only -> warning; result 1: error.
    "njsscan.sarif": (0, 1, 1, 0, 0, 0),
    # issue_severity (row 3) beats the levels: HIGH x7, MEDIUM x1, LOW x2, CRITICAL x1.
    "pysa-taint-baselineState-new.sarif": (1, 7, 1, 2, 0, 0),
    # Results come before tool; every rule has problem.severity error (and level error).
    "ruff-0.17.6.sarif": (0, 6, 0, 0, 0, 0),
    "sarif-spec-appendix-k1-minimal.sarif": (0, 0, 0, 0, 0, 0),
    # One result, level error, suppression accepted.
    "sarif-spec-appendix-k4-extensions-suppressed.sarif": (0, 1, 0, 0, 0, 1),
    "sarif-spec-minimal-two-runs.sarif": (0, 0, 0, 0, 0, 0),
    # Five results, level error.
    "sarifsdk-baselineState-all.sarif": (0, 5, 0, 0, 0, 0),
    # none -> info; kind open -> info; "ExplicitDefaultLevel/ShouldBeNote" finds the rule by
    # its prefix, whose default error is overridden to note by the invocation -> low;
    # warning -> medium; error -> high.
    "sarifsdk-invocation-ruleConfigurationOverrides.sarif": (0, 1, 1, 1, 2, 0),
    # Three rules share the id SHARED-ID: ruleIndex 1 (no default) -> warning; level none with
    # kind notApplicable -> info; ruleIndex 0 (default error) -> high.  By id it would be 0.
    "sarifsdk-kind-notApplicable-level-none.sarif": (0, 1, 1, 0, 1, 0),
    # none, kind informational, note, no level (rule without default -> warning), error.
    "sarifsdk-level-defaults-no-rule-config.sarif": (0, 1, 1, 1, 2, 0),
    "sarifsdk-multiple-runs-baseline.sarif": (0, 3, 0, 0, 0, 0),
    # Rule security-severity "3.0" (run 0) and "9.0" (run 1); result "severity" is not read.
    "sarifsdk-nessus-converted-multirun-secsev.sarif": (1, 0, 0, 1, 0, 0),
    # Rule security-severity 8.0 and 3.0 as JSON numbers.
    "sarifsdk-security-severity-as-number.sarif": (0, 1, 0, 1, 0, 0),
    "sarifsdk-suppression-external-accepted.sarif": (0, 1, 0, 0, 0, 1),
    # error x4, warning x1; the first is suppressed (accepted); "message": null elsewhere.
    "sarifsdk-suppressions-accepted-justification.sarif": (0, 4, 1, 0, 0, 1),
    # Rule security-severity words: CRITICAL x34, HIGH x1, MEDIUM x42 ("properties": {}).
    "semgrep-oss-1.69-security-severity-words.sarif": (34, 1, 42, 0, 0, 0),
    # All level note; the tags (BAD_PRACTICE, ...) are not severities.
    "spotbugs-extensions-note.sarif": (0, 0, 0, 56, 0, 0),
    # No levels: 5 x warning.  Suppressions without status count (3); [] does not.
    "suppressions-kinds-no-status.sarif": (0, 0, 5, 0, 0, 3),
    # Rule security-severity 8.0 x7, 5.5 x1, 2.0 x3 (agreeing with tags and levels).
    "trivy-config-dockerfile-terraform.sarif": (0, 7, 1, 3, 0, 0),
    "trivy-config-terraform.sarif": (0, 5, 1, 2, 0, 0),
    # security-severity "9.1" -> critical (the level says error).
    "trivy-image-critical-cvss.sarif": (1, 0, 0, 0, 0, 0),
}
NO_RESULTS_SECTION = {
    "codeql-runs-without-results-null-tool-name.sarif": 'runs[0]: no "results" key',
    "empty-runs-array.sarif": '"runs" is empty',
    "gitleaks-empty-runs.sarif": '"runs" is empty',
}
INVALID = {
    "invalid-codeql-results-not-array.sarif": "runs[0]: results is not an array",
    "invalid-json-syntax-error.sarif": "not valid JSON: invalid object key (must be a string)",
    # The result names rule index 3 of a driver with one rule: which rule is meant is unknown.
    "invalid-sarifsdk-extensions-bad-indexes.sarif": (
        "runs[0].results[0]: ruleIndex 3 is out of range (tool.driver has 1 rule)"
    ),
}


def counts(findings: list[Finding]) -> tuple[int, ...]:
    by = Counter(finding.severity for finding in findings)
    return (*(by[severity] for severity in SEVERITIES), sum(f.suppressed for f in findings))


def write(tmp_path: Path, runs: Any, name: str = "report.sarif", **root: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"version": "2.1.0", **root, "runs": runs}))
    return path


def run(results: list[Any], rules: list[Any] | None = None, name: str = "Scanner", **more: Any):
    return {"tool": {"driver": {"name": name, "rules": rules or []}}, **more, "results": results}


def one(tmp_path: Path, result: dict[str, Any], rules: list[Any] | None = None, **more: Any):
    (finding,) = read_sarif(write(tmp_path, [run([result], rules, **more)]))
    return finding


def reason(path: Path, **kwargs: Any) -> str:
    with pytest.raises(FormatError) as info:
        list(read_sarif(path, **kwargs))
    assert str(info.value).startswith(f"{path}: ")
    return info.value.reason


# -- the corpus -------------------------------------------------------------------------------


def test_every_corpus_file_is_expected_or_invalid() -> None:
    files = {path.name for path in SARIF.glob("*.sarif")}
    assert files == EXPECTED.keys() | INVALID.keys()
    assert all(name.startswith("invalid-") for name in INVALID)
    assert not any(name.startswith("invalid-") for name in EXPECTED)
    assert NO_RESULTS_SECTION.keys() <= EXPECTED.keys()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_counts(name: str) -> None:
    findings = list(read_sarif(SARIF / name, allow_empty=name in NO_RESULTS_SECTION))
    assert counts(findings) == EXPECTED[name]
    for finding in findings:
        assert finding.severity in SEVERITIES
        assert finding.level in ("error", "warning", "note", "none")
        assert finding.report == str(SARIF / name)
        assert len(finding.message) <= sarif.MESSAGE_LIMIT
        assert "\n" not in finding.message


@pytest.mark.parametrize("name", sorted(NO_RESULTS_SECTION))
def test_no_results_section_is_an_error_unless_allowed(name: str) -> None:
    got = reason(SARIF / name)
    assert got.startswith(NO_RESULTS_SECTION[name])
    assert got.endswith("the scanner reported no results section")


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_corpus_files(name: str) -> None:
    assert reason(SARIF / name).startswith(INVALID[name])


@pytest.fixture
def all_findings() -> dict[str, list[Finding]]:
    return {name: list(read_sarif(SARIF / name, allow_empty=True)) for name in sorted(EXPECTED)}


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_same_findings_whatever_the_chunk_size(
    monkeypatch: pytest.MonkeyPatch, all_findings: dict[str, list[Finding]], chunk: int
) -> None:
    """Each chunk boundary leaves the document half-built somewhere else."""
    monkeypatch.setattr(sarif, "_CHUNK", chunk)
    for name, expected in all_findings.items():
        if chunk == 1 and (SARIF / name).stat().st_size > 30_000:
            continue  # byte by byte: the small files are enough
        assert list(read_sarif(SARIF / name, allow_empty=True)) == expected, name


def test_python_backend_gives_the_same_findings(
    monkeypatch: pytest.MonkeyPatch, all_findings: dict[str, list[Finding]]
) -> None:
    monkeypatch.setattr(sarif, "_BACKEND", "python")
    for name, expected in all_findings.items():
        assert list(read_sarif(SARIF / name, allow_empty=True)) == expected, name


def test_ijson_c_backend_is_used() -> None:
    assert ijson.backend == "yajl2_c"
    assert sarif._BACKEND == "yajl2_c"


def test_corpus_details() -> None:
    """A few fields worked out by hand."""
    trivy = list(read_sarif(SARIF / "trivy-image-critical-cvss.sarif"))
    assert [(f.tool, f.rule_id, f.severity, f.decided_by, f.level) for f in trivy] == [
        (
            "Trivy",
            "CVE-2021-36159",
            "critical",
            "security-severity '9.1' on rule CVE-2021-36159",
            "error",
        ),
    ]
    assert trivy[0].path == "library/alpine"
    assert trivy[0].line == 1
    assert trivy[0].message.startswith("Package: apk-tools Installed Version: 2.10.6-r0 ")
    semgrep = next(read_sarif(SARIF / "semgrep-oss-1.69-security-severity-words.sarif"))
    assert semgrep.decided_by.startswith("security-severity 'MEDIUM' on rule ")
    assert semgrep.fingerprint  # fingerprints.matchBasedId/v1
    bandit = list(read_sarif(SARIF / "bandit-1.9.4.sarif"))
    assert [f.decided_by for f in bandit][2:5] == [
        "Bandit issue_severity HIGH",
        "Bandit issue_severity HIGH",
        "Bandit issue_severity MEDIUM",
    ]
    assert bandit[4].level == "warning"  # MEDIUM results carry no level
    overrides = list(read_sarif(SARIF / "sarifsdk-invocation-ruleConfigurationOverrides.sarif"))
    assert [(f.level, f.decided_by) for f in overrides] == [
        ("none", "level none on the result"),
        ("none", "kind open"),
        ("note", "ruleConfigurationOverrides level note"),
        ("warning", "level warning on the result"),
        ("error", "level error on the result"),
    ]
    gitleaks = list(read_sarif(SARIF / "gitleaks-v8-simple.sarif"))
    assert [(f.rule_id, f.decided_by, f.fingerprint) for f in gitleaks] == [
        # several partialFingerprints: all of them, in key order
        (
            "test-rule",
            "default level warning",
            "author=John Doe;commitMessage=opps;commitSha=0000000000000000;date=10-19-2003;"
            "email=johndoe@gmail.com",
        ),
    ]
    runs = list(read_sarif(SARIF / "sarifsdk-multiple-runs-baseline.sarif"))
    assert [(f.run, f.rule_id, f.baseline_state) for f in runs] == [
        (0, "TST0001", "new"),
        (0, "TST0002", "new"),
        (1, "TST0003", "new"),
    ]
    nameless = list(
        read_sarif(SARIF / "codeql-runs-without-results-null-tool-name.sarif", allow_empty=True)
    )
    assert nameless == []


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"  \n\t ", "no JSON in the file, only whitespace"),
        (
            b'<?xml version="1.0"?><testsuite/>',
            "not JSON: the file starts with '<?xml version=\"1.0\"?'",
        ),
        (b"[1, 2]", "not a SARIF log: the JSON document is an array, not an object"),
        (b'"2.1.0"', "not a SARIF log: the JSON document is not an object"),
        (
            b'{"name": "pkg", "private": true}',
            'not a SARIF log: the JSON object has neither "version" nor "runs"',
        ),
        (b'{"version": "2.1.0"}', 'no "runs" key'),
        (b'{"runs": []}', 'not a SARIF log: no "version" key'),
        (b'{"version": "2.0.0", "runs": []}', "\"version\" is '2.0.0': only SARIF 2.1.0 is read"),
        (b'{"version": "2.1.0", "runs": [], }', "not valid JSON"),
        (b'{"version": "2.1.0", "runs": []} {}', "not valid JSON: trailing garbage"),
        (
            b'{"version": "2.1.0", "runs": [{"results": [{"message": {"text": "\xff"}}]}]}',
            "not valid JSON: invalid bytes in UTF8 string",
        ),
        (b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [', "truncated"),
        (b'{"version": "2.1.0", "runs": {}}', '"runs" is not an array'),
        (b'{"version": "2.1.0", "runs": [[]]}', "runs[0] is not an object"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": [], "results": []}]}',
            "runs[0]: tool is not an object",
        ),
        ('\ufeff{"version": "2.1.0", "runs": []}'.encode("utf-16"), "UTF-16 encoded"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.sarif"
    path.write_bytes(content)
    assert reason(path).startswith(expected)


def test_truncated_real_file(tmp_path: Path) -> None:
    data = (SARIF / "grype-0.34-security-severity.sarif").read_bytes()
    path = tmp_path / "cut.sarif"
    path.write_bytes(data[: len(data) // 2])
    got = reason(path)
    assert got == "truncated: the file ends in the middle of the JSON document"


def test_results_twice_in_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen when the first array was read in an earlier chunk (in one chunk the second
    replaces the first, as in json.loads)."""
    monkeypatch.setattr(sarif, "_CHUNK", 16)
    path = tmp_path / "twice.sarif"
    path.write_text('{"version": "2.1.0", "runs": [{"results": [{}], "results": [{}]}]}')
    assert reason(path) == 'runs[0]: "results" appears twice'


def test_missing_file(tmp_path: Path) -> None:
    assert reason(tmp_path / "nowhere.sarif") == "file not found"


def test_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.sarif"
    path.write_bytes(b"\xef\xbb\xbf" + (SARIF / "dockle-0.3.15.sarif").read_bytes())
    assert counts(list(read_sarif(path))) == EXPECTED["dockle-0.3.15.sarif"]


def test_empty_runs_and_runs_without_results(tmp_path: Path) -> None:
    empty = write(tmp_path, [], "empty.sarif")
    assert reason(empty) == '"runs" is empty: the scanner reported no results section'
    assert list(read_sarif(empty, allow_empty=True)) == []
    no_results = write(tmp_path, [{"tool": {"driver": {"name": "x"}}}], "none.sarif")
    assert reason(no_results) == (
        'runs[0]: no "results" key: the scanner reported no results section'
    )
    assert list(read_sarif(no_results, allow_empty=True)) == []
    null = write(tmp_path, [{"tool": {"driver": {"name": "x"}}, "results": None}], "null.sarif")
    assert reason(null).startswith('runs[0]: no "results" key')
    zero = write(tmp_path, [run([])], "zero.sarif")
    assert list(read_sarif(zero)) == []


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (42, "runs[0].results[1] is not an object"),
        ({"message": "text"}, "runs[0].results[1]: message is not an object"),
        ({"locations": {"uri": "x"}}, "runs[0].results[1]: locations is not an array"),
        (
            {"locations": [{"physicalLocation": [1]}]},
            "runs[0].results[1]: locations[0].physicalLocation is not an object",
        ),
        ({"level": ["error"]}, "runs[0].results[1]: level is not a string"),
        ({"suppressions": [1]}, "runs[0].results[1]: suppressions[0] is not an object"),
        ({"fingerprints": ["a"]}, "runs[0].results[1]: fingerprints is not an object"),
        (
            {"ruleIndex": 2},
            "runs[0].results[1]: ruleIndex 2 is out of range (tool.driver has 1 rule)",
        ),
        ({"ruleIndex": "0"}, "runs[0].results[1]: ruleIndex '0' is out of range"),
        (
            {"rule": {"index": 0, "toolComponent": {"index": 1}}},
            "runs[0].results[1]: rule.toolComponent.index 1 is out of range "
            "(tool.extensions has 0 components)",
        ),
    ],
)
def test_bad_results_are_named(tmp_path: Path, result: Any, expected: str) -> None:
    path = write(tmp_path, [run([{"level": "note"}, result], [{"id": "R1"}])])
    assert reason(path).startswith(expected)


def test_bad_override_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="override for 'Gitleaks': 'severe' is not a severity"):
        read_sarif(tmp_path / "any.sarif", overrides={"Gitleaks": "severe"})


# -- the severity table, row by row ------------------------------------------------------------


def test_row1_override_beats_everything_and_matches_any_case() -> None:
    findings = list(
        read_sarif(SARIF / "gitleaks-7.5-no-ruleId.sarif", overrides={"gitleaks": "Critical"})
    )
    assert {(f.severity, f.decided_by, f.level) for f in findings} == {
        ("critical", "override Gitleaks=critical", "warning")
    }
    trivy = next(read_sarif(SARIF / "trivy-image-critical-cvss.sarif", overrides={"TRIVY": "low"}))
    assert (trivy.severity, trivy.decided_by) == ("low", "override Trivy=low")
    other = next(read_sarif(SARIF / "trivy-image-critical-cvss.sarif", overrides={"grype": "low"}))
    assert other.severity == "critical"


@pytest.mark.parametrize(
    ("value", "severity", "label"),
    [
        (10, "critical", "10"),
        (9.0, "critical", "9.0"),
        (8.99, "high", "8.99"),
        (7.0, "high", "7.0"),
        (6.9, "medium", "6.9"),
        (4, "medium", "4"),
        (3.9, "low", "3.9"),
        (0.1, "low", "0.1"),
        (0, "info", "0"),
        ("9.8", "critical", "'9.8'"),
        (" 7.5 ", "high", "' 7.5 '"),
        ("0.0", "info", "'0.0'"),
        ("CRITICAL", "critical", "'CRITICAL'"),
        ("High", "high", "'High'"),
        ("moderate", "medium", "'moderate'"),
        ("low", "low", "'low'"),
        ("Informational", "info", "'Informational'"),
    ],
)
def test_row2_security_severity_on_the_result(
    tmp_path: Path, value: object, severity: str, label: str
) -> None:
    finding = one(tmp_path, {"level": "note", "properties": {"security-severity": value}})
    assert (finding.severity, finding.decided_by) == (
        severity,
        f"security-severity {label} on the result",
    )
    assert finding.level == "note"


@pytest.mark.parametrize(
    "value", ["n/a", "", "-1", -2.5, "nan", "inf", True, None, [9.0], {"score": 9}]
)
def test_row2_values_not_understood_fall_through(tmp_path: Path, value: object) -> None:
    finding = one(tmp_path, {"level": "note", "properties": {"security-severity": value}})
    assert (finding.severity, finding.decided_by) == ("low", "level note on the result")


def test_row2_result_beats_rule_and_rule_beats_row3(tmp_path: Path) -> None:
    rules = [{"id": "CVE-1", "properties": {"security-severity": "HIGH", "tags": ["LOW"]}}]
    both = one(tmp_path, {"ruleIndex": 0, "properties": {"security-severity": 2}}, rules)
    assert (both.severity, both.decided_by) == ("low", "security-severity 2 on the result")
    rule = one(
        tmp_path,
        {"ruleIndex": 0, "properties": {"tags": ["CRITICAL"], "issue_severity": "LOW"}},
        rules,
    )
    assert (rule.severity, rule.decided_by) == ("high", "security-severity 'HIGH' on rule CVE-1")
    bare = one(tmp_path, {"ruleId": "CVE-1", "level": "note"}, rules)
    assert (bare.severity, bare.decided_by, bare.level) == (
        "high",
        "security-severity 'HIGH' on rule CVE-1",
        "note",
    )


def test_row3_trivy_tags_result_then_rule(tmp_path: Path) -> None:
    rules = [{"id": "AVD-1", "properties": {"tags": ["misconfiguration", "MEDIUM"]}}]
    on_rule = one(tmp_path, {"ruleIndex": 0, "level": "error"}, rules)
    assert (on_rule.severity, on_rule.decided_by) == (
        "medium",
        "Trivy severity tag MEDIUM on rule AVD-1",
    )
    on_result = one(tmp_path, {"ruleIndex": 0, "properties": {"tags": ["x", "CRITICAL"]}}, rules)
    assert (on_result.severity, on_result.decided_by) == (
        "critical",
        "Trivy severity tag CRITICAL on the result",
    )
    unknown = one(tmp_path, {"properties": {"tags": ["UNKNOWN"]}})
    assert (unknown.severity, unknown.level) == ("info", "warning")
    # Not severities: other words, other case, "HIGH CONFIDENCE" (Semgrep), categories.
    for tags in (["high"], ["HIGH CONFIDENCE"], ["MALICIOUS_CODE"], "HIGH"):
        plain = one(tmp_path, {"level": "note", "properties": {"tags": tags}})
        assert plain.decided_by == "level note on the result", tags


def test_row3_rule_tag_beats_issue_severity_which_beats_problem_severity(tmp_path: Path) -> None:
    rules = [
        {"id": "T", "properties": {"tags": ["LOW"]}},
        {"id": "Q", "properties": {"problem.severity": "recommendation"}},
    ]
    tag = one(tmp_path, {"ruleIndex": 0, "properties": {"issue_severity": "HIGH"}}, rules)
    assert tag.decided_by == "Trivy severity tag LOW on rule T"
    issue = one(tmp_path, {"ruleIndex": 1, "properties": {"issue_severity": "HIGH"}}, rules)
    assert (issue.severity, issue.decided_by) == ("high", "Bandit issue_severity HIGH")
    undefined = one(
        tmp_path, {"ruleIndex": 1, "properties": {"issue_severity": "UNDEFINED"}}, rules
    )
    assert (undefined.severity, undefined.decided_by) == (
        "low",
        "CodeQL problem.severity recommendation on rule Q",
    )


@pytest.mark.parametrize(
    ("problem", "severity"), [("error", "high"), ("warning", "medium"), ("recommendation", "low")]
)
def test_row3_codeql_problem_severity(tmp_path: Path, problem: str, severity: str) -> None:
    rules = [
        {
            "id": "js/x",
            "properties": {"problem.severity": problem},
            "defaultConfiguration": {"level": "note"},
        }
    ]
    finding = one(tmp_path, {"ruleId": "js/x"}, rules)
    assert (finding.severity, finding.decided_by, finding.level) == (
        severity,
        f"CodeQL problem.severity {problem} on rule js/x",
        "note",
    )


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("error", "high"),
        ("warning", "medium"),
        ("note", "low"),
        ("none", "info"),
        ("Error", "high"),
    ],
)
def test_row4_level_on_the_result(tmp_path: Path, level: str, severity: str) -> None:
    rules = [{"id": "R", "defaultConfiguration": {"level": "error"}}]
    finding = one(tmp_path, {"ruleIndex": 0, "level": level}, rules)
    assert (finding.severity, finding.level, finding.decided_by) == (
        severity,
        level.lower(),
        f"level {level} on the result",
    )


@pytest.mark.parametrize("kind", ["notApplicable", "pass", "open", "review", "informational"])
def test_row4_kind_other_than_fail_is_info(tmp_path: Path, kind: str) -> None:
    rules = [{"id": "R", "defaultConfiguration": {"level": "error"}}]
    finding = one(tmp_path, {"ruleIndex": 0, "kind": kind}, rules)
    assert (finding.severity, finding.level, finding.decided_by) == ("info", "none", f"kind {kind}")


def test_row4_kind_fail_and_unknown_levels_go_on(tmp_path: Path) -> None:
    rules = [{"id": "R", "defaultConfiguration": {"level": "error"}}]
    for result in ({"kind": "fail"}, {"level": "fatal"}, {"level": 3}):
        finding = one(tmp_path, {"ruleIndex": 0, **result}, rules)
        assert (finding.severity, finding.decided_by) == (
            "high",
            "rule defaultConfiguration.level error",
        )


def test_row4_rule_configuration_overrides(tmp_path: Path) -> None:
    rules = [
        {"id": "A", "defaultConfiguration": {"level": "error"}},
        {"id": "B", "defaultConfiguration": {"level": "error"}},
        {"id": "C"},
    ]
    invocations = [
        {
            "ruleConfigurationOverrides": [
                {"descriptor": {"id": "A"}, "configuration": {"level": "note"}},
                {"descriptor": {"index": 1}, "configuration": {"level": "warning"}},
                {"descriptor": {"index": 2}, "configuration": {"enabled": False}},  # no level
                {"descriptor": {"id": "Undeclared"}, "configuration": {"level": "none"}},
            ]
        },
        {
            "ruleConfigurationOverrides": [
                {"descriptor": {"id": "A"}, "configuration": {"level": "error"}},  # second: ignored
            ]
        },
    ]
    results = [
        {"ruleId": "A"},
        {"ruleIndex": 1},
        {"ruleIndex": 2},
        {"ruleId": "Undeclared/x"},
        {"ruleId": "A", "level": "error"},
    ]
    path = write(tmp_path, [run(results, rules, invocations=invocations)])
    assert [(f.level, f.decided_by, f.severity) for f in read_sarif(path)] == [
        ("note", "ruleConfigurationOverrides level note", "low"),
        ("warning", "ruleConfigurationOverrides level warning", "medium"),
        ("warning", "default level warning", "medium"),
        ("none", "ruleConfigurationOverrides level none", "info"),
        ("error", "level error on the result", "high"),
    ]


def test_row4_overrides_into_an_extension(tmp_path: Path) -> None:
    tool = {"driver": {"name": "D"}, "extensions": [{"name": "pack", "rules": [{"id": "X"}]}]}
    invocations = [
        {
            "ruleConfigurationOverrides": [
                {
                    "descriptor": {"index": 0, "toolComponent": {"index": 0}},
                    "configuration": {"level": "error"},
                }
            ]
        }
    ]
    result = {"rule": {"index": 0, "toolComponent": {"index": 0}}}
    path = write(tmp_path, [{"tool": tool, "invocations": invocations, "results": [result]}])
    (finding,) = read_sarif(path)
    assert (finding.rule_id, finding.level, finding.severity) == ("X", "error", "high")


def test_row4_default_configuration_then_warning(tmp_path: Path) -> None:
    rules = [{"id": "R", "defaultConfiguration": {"level": "note"}}, {"id": "S"}]
    default = one(tmp_path, {"ruleIndex": 0}, rules)
    assert (default.severity, default.decided_by) == ("low", "rule defaultConfiguration.level note")
    nothing = one(tmp_path, {"ruleIndex": 1}, rules)
    assert (nothing.severity, nothing.level, nothing.decided_by) == (
        "medium",
        "warning",
        "default level warning",
    )


# -- rule lookup ------------------------------------------------------------------------------


RULES = [
    {"id": "D0", "properties": {"security-severity": "1.0"}},
    {"id": "a/b", "properties": {"security-severity": "5.0"}},
    {"id": "a", "properties": {"security-severity": "8.0"}},
]
EXTENSIONS = [
    {"name": "first", "rules": [{"id": "E0", "properties": {"security-severity": "9.5"}}]},
    {
        "name": "second",
        "guid": "g-2",
        "rules": [
            {"id": "F0", "properties": {"tags": ["LOW"]}},
            {"id": "D0", "properties": {"tags": ["HIGH"]}},
        ],
    },
]


def lookup(tmp_path: Path, *results: dict[str, Any]) -> list[tuple[str, str]]:
    tool = {"driver": {"name": "T", "rules": RULES}, "extensions": EXTENSIONS}
    path = write(tmp_path, [{"tool": tool, "results": list(results)}])
    return [(f.rule_id, f.decided_by) for f in read_sarif(path)]


def test_rules_by_index_id_extension_and_prefix(tmp_path: Path) -> None:
    assert lookup(
        tmp_path,
        {"ruleIndex": 1},  # index: the id comes from the rule
        {"ruleId": "D0"},  # id: the driver before the extensions
        {"rule": {"id": "E0"}},  # id found in an extension
        {"rule": {"index": 1, "toolComponent": {"index": 1}}},
        {"ruleId": "D0", "rule": {"toolComponent": {"name": "second"}}},  # id within a component
        {"ruleId": "F0", "rule": {"toolComponent": {"guid": "g-2"}}},
        {"ruleId": "a/b/c/d"},  # hierarchical: a/b/c/d, a/b/c, a/b
        {"ruleId": "a/x"},  # then a
        {"ruleId": "nope/a"},  # undeclared
        {"ruleIndex": -1, "ruleId": "a"},  # -1 is "no index"
        {"message": {"text": "no rule at all"}},
    ) == [
        ("a/b", "security-severity '5.0' on rule a/b"),
        ("D0", "security-severity '1.0' on rule D0"),
        ("E0", "security-severity '9.5' on rule E0"),
        ("D0", "Trivy severity tag HIGH on rule D0"),
        ("D0", "Trivy severity tag HIGH on rule D0"),
        ("F0", "Trivy severity tag LOW on rule F0"),
        ("a/b/c/d", "security-severity '5.0' on rule a/b"),
        ("a/x", "security-severity '8.0' on rule a"),
        ("nope/a", "default level warning"),
        ("a", "security-severity '8.0' on rule a"),
        ("", "default level warning"),
    ]


def test_rule_index_beats_a_different_id(tmp_path: Path) -> None:
    assert lookup(tmp_path, {"ruleId": "D0", "ruleIndex": 2}) == [
        ("D0", "security-severity '8.0' on rule a")
    ]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"ruleIndex": 3}, "ruleIndex 3 is out of range (tool.driver has 3 rules)"),
        ({"rule": {"index": -2}}, "ruleIndex -2 is out of range (tool.driver has 3 rules)"),
        (
            {"rule": {"index": 2, "toolComponent": {"index": 1}}},
            "ruleIndex 2 is out of range (tool.extensions[1] has 2 rules)",
        ),
        (
            {"rule": {"index": 0, "toolComponent": {"index": 2}}},
            "rule.toolComponent.index 2 is out of range (tool.extensions has 2 components)",
        ),
    ],
)
def test_bad_rule_indexes(tmp_path: Path, result: dict[str, Any], expected: str) -> None:
    with pytest.raises(FormatError) as info:
        lookup(tmp_path, result)
    assert info.value.reason == f"runs[0].results[0]: {expected}"


# -- the other fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suppressions", "suppressed"),
    [
        (None, False),
        ([], False),
        ([{"kind": "inSource"}], True),
        ([{"kind": "external", "status": "accepted"}], True),
        ([{"kind": "external", "status": "underReview"}], False),
        ([{"kind": "external", "status": "rejected"}], False),
        (
            [
                {"kind": "inSource", "status": "accepted"},
                {"kind": "external", "status": "rejected"},
            ],
            False,
        ),
    ],
)
def test_suppressed(tmp_path: Path, suppressions: Any, suppressed: bool) -> None:
    assert one(tmp_path, {"suppressions": suppressions}).suppressed is suppressed


def test_baseline_state_and_fingerprints(tmp_path: Path) -> None:
    both = one(
        tmp_path,
        {
            "baselineState": "unchanged",
            "fingerprints": {"z/v1": "zz", "b/v1": "bb"},
            "partialFingerprints": {"a": "aa"},
        },
    )
    assert (both.baseline_state, both.fingerprint) == ("unchanged", "b/v1=bb;z/v1=zz")
    partial = one(tmp_path, {"fingerprints": {}, "partialFingerprints": {"k2": 2, "k1": 1}})
    assert (partial.baseline_state, partial.fingerprint) == ("", "k1=1;k2=2")
    assert one(tmp_path, {}).fingerprint == ""


def test_message_location_and_snippet(tmp_path: Path) -> None:
    long = "word " * 100
    finding = one(
        tmp_path,
        {
            "message": {"text": f"  first line\n\tsecond   line  {long}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "src/app.py", "uriBaseId": "SRC"},
                        "region": {"startLine": 12, "snippet": {"text": "    password = 'x'\n"}},
                    }
                },
                {"physicalLocation": {"artifactLocation": {"uri": "other.py"}}},
            ],
        },
    )
    assert finding.message.startswith("first line second line word word ")
    # Cut to 199 characters first, then collapsed: a little shorter than the limit.
    assert sarif.MESSAGE_LIMIT - 10 < len(finding.message) <= sarif.MESSAGE_LIMIT
    assert finding.message.endswith("\u2026")
    assert (finding.path, finding.line, finding.line_text) == ("src/app.py", 12, "password = 'x'")
    bare = one(tmp_path, {"locations": [{"logicalLocations": [{"name": "f"}]}]})
    assert (bare.path, bare.line, bare.line_text, bare.message) == ("", None, "", "")


def test_message_strings_arguments_and_descriptions(tmp_path: Path) -> None:
    rules = [
        {
            "id": "R",
            "shortDescription": {"text": "Short description."},
            "messageStrings": {"default": {"text": "'{0}' is used {1} times, {2}."}},
        }
    ]
    texts = [
        f.message
        for f in read_sarif(
            write(
                tmp_path,
                [
                    run(
                        [
                            {"ruleIndex": 0, "message": {"id": "default", "arguments": ["x", 3]}},
                            {"ruleIndex": 0, "message": {"text": "Plain {0}.", "arguments": ["y"]}},
                            {"ruleIndex": 0, "message": {"markdown": "**Bold**"}},
                            {"ruleIndex": 0, "message": {"id": "unknown"}},
                            {"ruleIndex": 0, "message": None},
                            {"ruleIndex": 0},
                        ],
                        rules,
                    )
                ],
            )
        )
    ]
    assert texts == [
        "'x' is used 3 times, {2}.",
        "Plain y.",
        "**Bold**",
        "Short description.",
        "Short description.",
        "Short description.",
    ]


def test_tool_name_and_run_index(tmp_path: Path) -> None:
    runs = [
        run([{}], name="First"),
        {"tool": {"driver": {"name": None}}, "results": [{}]},
        {"results": [{}]},
    ]
    assert [(f.tool, f.run) for f in read_sarif(write(tmp_path, runs))] == [
        ("First", 0),
        ("", 1),
        ("", 2),
    ]


def test_findings_are_frozen_dataclasses_equal_to_ones_built_normally(tmp_path: Path) -> None:
    finding = one(tmp_path, {"ruleId": "R", "level": "error", "message": {"text": "m"}})
    assert type(finding) is Finding
    values = {field.name: getattr(finding, field.name) for field in dataclasses.fields(Finding)}
    assert finding == Finding(**values)
    assert hash(finding) == hash(Finding(**values))
    assert pickle.loads(pickle.dumps(finding)) == finding
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.severity = "info"  # type: ignore[misc]
    assert dataclasses.replace(finding, severity="info").severity == "info"


# -- reading order: results before tool or invocations ---------------------------------------


def reordered(tmp_path: Path, results: list[dict[str, Any]], name: str = "late.sarif") -> Path:
    """Runs 0 and 2 have their results first, tool and invocations last (as ruff writes them,
    or any JSON writer that sorts keys); run 1 has its tool first."""
    rules = [
        {"id": "SEC", "properties": {"security-severity": "9.5"}},
        {"id": "DEF", "defaultConfiguration": {"level": "error"}},
    ]
    invocations = [
        {
            "ruleConfigurationOverrides": [
                {"descriptor": {"id": "DEF"}, "configuration": {"level": "note"}}
            ]
        }
    ]
    first = {
        "results": results,
        "invocations": invocations,
        "tool": {"driver": {"name": "Late", "rules": rules}},
    }
    second = {"tool": {"driver": {"name": "Early"}}, "results": [{"level": "error"}]}
    third = {
        "results": [{"ruleId": "DEF"}] * 3,
        "tool": {"driver": {"name": "Last", "rules": rules}},
    }
    path = tmp_path / name
    # JSON keeps the key order given here.
    path.write_text(json.dumps({"runs": [first, second, third], "version": "2.1.0"}))
    return path


LATE_RESULTS = [
    {"ruleId": "SEC", "level": "note"},  # needs the rules (security-severity)
    {"ruleId": "DEF"},  # needs the invocations: overridden to note
    {"ruleIndex": 0},
    {"ruleId": "DEF", "level": "warning"},
]
LATE_FINDINGS = [
    ("Late", 0, "SEC", "critical", "note"),
    ("Late", 0, "DEF", "low", "note"),
    ("Late", 0, "SEC", "critical", "warning"),
    ("Late", 0, "DEF", "medium", "warning"),
    ("Early", 1, "", "high", "error"),
    *[("Last", 2, "DEF", "high", "error")] * 3,
]


def summary(findings: Iterator[Finding]) -> list[tuple[str, int, str, str, str]]:
    return [(f.tool, f.run, f.rule_id, f.severity, f.level) for f in findings]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths opened by the reader (a second pass opens the file again)."""
    paths: list[str] = []
    real = sarif.open_report

    def counting(path: Any) -> Any:
        paths.append(str(path))
        return real(path)

    monkeypatch.setattr(sarif, "open_report", counting)
    return paths


def test_results_before_tool_and_invocations_are_held(tmp_path: Path, opened: list[str]) -> None:
    path = reordered(tmp_path, LATE_RESULTS)
    assert summary(read_sarif(path)) == LATE_FINDINGS
    assert opened == [str(path)]


@pytest.mark.parametrize(("chunk", "passes"), [(5, 2), (64, 2), (1 << 16, 1)])
def test_too_many_held_results_are_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str], chunk: int, passes: int
) -> None:
    """Results are held only while the rest of their run has not arrived: with one chunk for
    the whole file, none is.  Runs 0 and 2 both hold too many: still one second pass, which
    also reads run 1 (to keep the findings in order)."""
    monkeypatch.setattr(sarif, "PENDING_LIMIT", 2)
    monkeypatch.setattr(sarif, "_CHUNK", chunk)
    path = reordered(tmp_path, LATE_RESULTS)
    assert summary(read_sarif(path)) == LATE_FINDINGS
    assert opened == [str(path)] * passes


def test_second_pass_starts_at_the_first_held_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    """Tool first, invocations last: results with a level go out at once; the first one without
    starts the held part, which the second pass reads (in order, nothing twice)."""
    monkeypatch.setattr(sarif, "PENDING_LIMIT", 3)
    monkeypatch.setattr(sarif, "_CHUNK", 32)
    rules = [{"id": "DEF", "defaultConfiguration": {"level": "error"}}]
    results = [{"ruleId": "DEF", "level": "error", "message": {"text": str(i)}} for i in range(3)]
    results += [{"ruleId": "DEF", "message": {"text": str(i)}} for i in range(3, 9)]
    invocations = [
        {
            "ruleConfigurationOverrides": [
                {"descriptor": {"index": 0}, "configuration": {"level": "none"}}
            ]
        }
    ]
    path = write(
        tmp_path,
        [
            {
                "tool": {"driver": {"name": "T", "rules": rules}},
                "results": results,
                "invocations": invocations,
            }
        ],
    )
    findings = list(read_sarif(path))
    assert [(f.message, f.level) for f in findings] == [
        *((str(i), "error") for i in range(3)),
        *((str(i), "none") for i in range(3, 9)),
    ]
    assert len(opened) == 2


def test_file_changed_before_the_second_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "PENDING_LIMIT", 1)
    monkeypatch.setattr(sarif, "_CHUNK", 16)
    identities = iter([(1,), (2,)])
    monkeypatch.setattr(sarif, "_identity", lambda fh: next(identities))
    path = reordered(tmp_path, LATE_RESULTS)
    assert reason(path) == "the file changed while it was being read"


def test_held_results_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 results before the tool: a second pass, not 20,000 held results."""
    monkeypatch.setattr(sarif, "PENDING_LIMIT", 100)
    results = [
        {"ruleIndex": i % 2, "message": {"text": "x" * 200}, "codeFlows": [{"k": "v" * 50}]}
        for i in range(20_000)
    ]
    path = reordered(tmp_path, results)
    tracemalloc.start()
    try:
        severities = Counter(f.severity for f in read_sarif(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert severities == {"critical": 10_000, "low": 10_000, "high": 4}
    assert peak < 3_000_000, peak  # the file is 7 MB; its results as dicts would be ~100 MB


def test_memory_does_not_grow_with_results(tmp_path: Path) -> None:
    results = [
        {
            "ruleId": "R",
            "level": "warning",
            "message": {"text": "m" * 300},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"f{i}.py"}}}],
        }
        for i in range(20_000)
    ]
    path = write(tmp_path, [run(results), run(results)])
    tracemalloc.start()
    try:
        total = sum(1 for _ in read_sarif(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 40_000
    assert peak < 2_000_000, peak


def test_unused_run_and_root_members_are_dropped(tmp_path: Path) -> None:
    """A large array the reader does not use (artifacts) is trimmed while it is read."""
    artifacts = [{"location": {"uri": f"file{i}.py"}, "length": i} for i in range(20_000)]
    path = write(
        tmp_path,
        [{**run([{"level": "error"}]), "artifacts": artifacts}],
        inlineExternalProperties=artifacts,
    )
    tracemalloc.start()
    try:
        (finding,) = read_sarif(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert finding.severity == "high"
    assert peak < 1_000_000, peak


# -- real tools, run now ---------------------------------------------------------------------


PLANTED = """\
import os
import subprocess

import yaml

PASSWORD = "hunter2"


def run(command):
    return subprocess.call(command, shell=True)


def load(text):
    return yaml.load(text)
"""


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    source = tmp_path / "project" / "src" / "app.py"
    source.parent.mkdir(parents=True)
    source.write_text(PLANTED)
    return source.parent


def tool_sarif(planted: Path, *command: str) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=planted.parent, capture_output=True, check=False
    )
    assert done.returncode == 1, done.stderr  # 1: findings
    path = planted.parent / f"{command[0]}.sarif"
    path.write_bytes(done.stdout)
    return path


def test_real_ruff(planted: Path) -> None:
    path = tool_sarif(
        planted,
        "ruff",
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "F,S",
        "--output-format",
        "sarif",
        "src",
    )
    findings = list(read_sarif(path))
    # ruff writes results before tool; every result is level error and every rule has
    # problem.severity error.
    assert sorted((f.rule_id, f.severity, f.level, f.line) for f in findings) == [
        ("F401", "high", "error", 1),  # import os
        ("S105", "high", "error", 6),  # PASSWORD = "hunter2"
        ("S506", "high", "error", 14),  # yaml.load
        ("S602", "high", "error", 10),  # shell=True
    ]
    assert {f.decided_by for f in findings} == {
        f"CodeQL problem.severity error on rule {rule}" for rule in ("F401", "S105", "S506", "S602")
    }
    assert {f.tool for f in findings} == {"ruff"}
    assert all(f.path.endswith("/src/app.py") for f in findings)


def test_real_bandit(planted: Path) -> None:
    path = tool_sarif(planted, "bandit", "-r", "src", "-f", "sarif", "-q")
    findings = list(read_sarif(path))
    assert sorted((f.rule_id, f.severity, f.level, f.decided_by) for f in findings) == [
        ("B105", "low", "note", "Bandit issue_severity LOW"),  # hard-coded password
        ("B404", "low", "note", "Bandit issue_severity LOW"),  # import subprocess
        ("B506", "medium", "warning", "Bandit issue_severity MEDIUM"),  # yaml.load, no level
        ("B602", "high", "error", "Bandit issue_severity HIGH"),  # shell=True
    ]
    b602 = next(f for f in findings if f.rule_id == "B602")
    assert (b602.path, b602.line, b602.line_text) == (
        "src/app.py",
        10,
        "return subprocess.call(command, shell=True)",
    )


# -- the two readers: msgspec slices (fast) and the ijson stream ------------------------------


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> Any:
    """read_sarif with the fast reader turned off: the ijson reader reads every file."""

    def read(path: Path, **kwargs: Any) -> list[Finding]:
        with monkeypatch.context() as patch:
            patch.setattr(sarif, "_FAST", False)
            return list(read_sarif(path, **kwargs))

    return read


def fast_only(path: Path, **kwargs: Any) -> list[Finding]:
    """The fast reader alone: fails (HandOver) where it would hand over."""
    from pytest_gates.formats.sarif_fast import FastReader

    out: list[Finding] = []
    with open(path, "rb") as fh:
        reader = FastReader(fh, str(path), {}, kwargs.get("allow_empty", False), sarif._hooks())
        for batch in reader.batches():
            out += batch
    return out


def test_fast_reader_is_on() -> None:
    assert sarif._FAST  # msgspec is installed here (CI too)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fast_reader_reads_every_valid_corpus_file_as_the_stream_does(
    name: str, streamed: Any
) -> None:
    """Without handing over: results before tool (ruff, Semgrep, cppcheck) and results whose
    level comes from invocations or rules (CodeQL, Gitleaks, Grype) included."""
    expected = streamed(SARIF / name, allow_empty=True)
    assert fast_only(SARIF / name, allow_empty=True) == expected


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_files_get_the_stream_reason(name: str, streamed: Any) -> None:
    from pytest_gates.formats.sarif_bytes import HandOver

    with pytest.raises(HandOver):
        fast_only(SARIF / name)
    with pytest.raises(FormatError) as info:
        streamed(SARIF / name)
    assert reason(SARIF / name) == info.value.reason


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The benchmark's files (Trivy-like and Semgrep-like runs, 1 KB results), compact and
    indented, 3,000 results."""
    out = tmp_path_factory.mktemp("generated")
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"
    paths = {}
    for style in ("compact", "pretty"):
        path = out / f"{style}.sarif"
        more = ["--pretty"] if style == "pretty" else []
        subprocess.run(
            [sys.executable, str(script), "sarif", str(path), "--results", "3000", *more],
            check=True,
            capture_output=True,
        )
        paths[style] = path
    return paths


@pytest.mark.parametrize("style", ["compact", "pretty"])
@pytest.mark.parametrize("chunk", [1 << 10, 1 << 13, 1 << 16])
def test_fast_reader_slices_give_the_stream_findings(
    generated: dict[str, Path],
    streamed: Any,
    monkeypatch: pytest.MonkeyPatch,
    style: str,
    chunk: int,
) -> None:
    """Slices of 2 KB to 128 KB: cut between elements found by the bytes between them."""
    expected = streamed(generated[style])
    assert len(expected) == 3000
    monkeypatch.setattr(sarif, "_CHUNK", chunk)
    assert fast_only(generated[style]) == expected


def test_fast_reader_memory_is_bounded(generated: dict[str, Path]) -> None:
    tracemalloc.start()
    try:
        total = sum(1 for _ in read_sarif(generated["compact"]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 3000
    assert peak < 2_000_000, peak  # the file is 3.8 MB


def test_python_backend_of_the_stream(
    monkeypatch: pytest.MonkeyPatch, all_findings: dict[str, list[Finding]], streamed: Any
) -> None:
    monkeypatch.setattr(sarif, "_BACKEND", "python")
    for name, expected in all_findings.items():
        assert streamed(SARIF / name, allow_empty=True) == expected, name


@pytest.mark.parametrize(
    "result",
    [
        {"level": 3},  # not a string: the level is not understood, the next row decides
        {"ruleIndex": 0, "kind": True},
        {"locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}}}, 5]},
        {"properties": {"tags": "HIGH"}},  # not an array: not Trivy's tag
        {"properties": {"security-severity": [9.8]}},
        {"message": {"text": "m", "arguments": "x"}},
        {"suppressions": [{"status": 3}]},
        {"fingerprints": {"a": [1, 2]}},
        {"rule": {"id": 5}},
    ],
)
def test_results_the_structs_do_not_take_are_read_by_the_stream(
    tmp_path: Path, streamed: Any, result: dict[str, Any]
) -> None:
    path = write(tmp_path, [run([{"level": "note"}, result, {"level": "error"}], [{"id": "R1"}])])
    expected = streamed(path)
    assert len(expected) == 3
    assert list(read_sarif(path)) == expected


def test_hand_over_after_findings_keeps_order_and_reason(tmp_path: Path, streamed: Any) -> None:
    """Run 0 is read by the fast reader; run 1 has a bad rule index: the stream reads the
    file again, skips what was given already and says what is wrong."""
    good = run([{"ruleIndex": 0, "message": {"text": str(i)}} for i in range(5)], [{"id": "R"}])
    bad = run([{"level": "note"}, {"ruleIndex": 7}], [{"id": "R"}])
    path = write(tmp_path, [good, bad])
    got: list[Finding] = []
    with pytest.raises(FormatError) as info:
        got.extend(read_sarif(path))
    assert (
        info.value.reason
        == "runs[1].results[1]: ruleIndex 7 is out of range (tool.driver has 1 rule)"
    )
    assert [f.message for f in got] == ["0", "1", "2", "3", "4", ""]
    with pytest.raises(FormatError):
        streamed(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # in members the fast reader skips: msgspec does not check the strings it skips
        (
            b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [], "artifacts": ["\xff"]}]}',
            "not valid JSON: invalid bytes in UTF8 string",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [{"codeFlows": "\xc3"}]}]}',
            "not valid JSON: invalid bytes in UTF8 string",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [], "graphs": [1, 2,]}]}',
            "not valid JSON",
        ),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [{"stacks": [}]}]}',
            "not valid JSON",
        ),
        (b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [{}, ]}]}', "not valid JSON"),
        (b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [{} {}]}]}', "not valid JSON"),
        (b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [{}]}]}  x', "not valid JSON"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {}, "results": [{"level": "error"}]}',
            "truncated",
        ),
    ],
)
def test_bad_json_anywhere_is_an_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.sarif"
    path.write_bytes(content)
    assert reason(path).startswith(expected)


def test_large_skipped_members_are_checked_piece_by_piece(tmp_path: Path) -> None:
    """A member the reader does not use, larger than what it skips whole, is walked member by
    member (memory stays bounded) and still checked."""
    graphs = [{"nodes": [{"id": f"n{i}", "label": {"text": "x" * 50}}] * 3} for i in range(3000)]
    path = write(tmp_path, [{**run([{"level": "error"}]), "graphs": graphs}])
    assert [f.severity for f in fast_only(path)] == ["high"]
    broken = tmp_path / "broken.sarif"
    broken.write_bytes(path.read_bytes().replace(b'"n2999"', b'"n2999\xff"'))
    assert reason(broken).startswith("not valid JSON: invalid bytes in UTF8 string")


def test_results_left_for_later_are_read_from_the_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str], streamed: Any
) -> None:
    """Results before their tool, too many to stay in the buffer: skipped, then read again
    from the same file (one more open), in order with the runs after them."""
    monkeypatch.setattr(sarif, "_CHUNK", 1024)
    results = [
        {"ruleIndex": i % 2, "message": {"text": f"{i} " + "x" * 100}, "codeFlows": [{"k": "v"}]}
        for i in range(2_000)
    ]
    path = reordered(tmp_path, results)
    expected = streamed(path)
    opened.clear()
    got = fast_only(path)
    assert got == expected
    assert [f.message.split()[0] for f in got[:3]] == ["0", "1", "2"]
    assert len(opened) == 1  # fast_only opened the file itself: this is the second read


@pytest.mark.parametrize("chunk", [5, 7, 17, 29, 43])
def test_second_read_of_several_runs_with_multibyte_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: Any, chunk: int
) -> None:
    """Runs whose results come before their tool, read again one after the other from the
    file opened again: reads of odd sizes split the two-byte characters anywhere."""
    monkeypatch.setattr(sarif, "_CHUNK", chunk)
    rules = [{"id": "É", "shortDescription": {"text": "règle é"}}]
    results = [{"ruleId": "É", "message": {"text": "é" * (i % 5) + "ü"}} for i in range(30)]
    runs = [
        {
            "results": results,
            "ünused": "éé" * 20,  # where the last read of a run's results ends
            "tool": {"driver": {"name": f"Outil-ß{n}", "rules": rules}},
        }
        for n in range(3)
    ]
    path = tmp_path / "late.sarif"
    path.write_text(json.dumps({"version": "2.1.0", "runs": runs}, ensure_ascii=False))
    expected = streamed(path)
    assert len(expected) == 90
    assert fast_only(path) == expected
