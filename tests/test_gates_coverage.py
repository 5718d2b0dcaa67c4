"""The ``coverage`` gate kind on real reports, without pytest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.gates.coverage import CoverageGate

from conftest import DATA

COVERAGE = DATA / "coverage"


def evaluate(report: str | Path, root: Path = COVERAGE, **limits: float) -> Outcome:
    settings = {"report": str(report), "min_line": None, "min_branch": None, **limits}
    return CoverageGate(settings).evaluate(RunContext("coverage", root))


def test_line_coverage_passes_and_fails_against_the_minimum() -> None:
    # coverage.py 7.17 with --branch: root line-rate 0.7778 (21 of 27 statements), branches 6/6
    passed = evaluate("coveragepy-7.17-cobertura-branch.xml", min_line=77.7, min_branch=100)
    assert passed.status is Status.PASSED
    assert passed.measured == {"line": "77.78%", "branch": "100.00%"}
    assert passed.threshold == {"line": ">= 77.7%", "branch": ">= 100%"}
    failed = evaluate("coveragepy-7.17-cobertura-branch.xml", min_line=80)
    assert failed.status is Status.FAILED
    assert failed.summary == (
        "line coverage 77.78% < 80% (6 of 27 lines missed) in coveragepy-7.17-cobertura-branch.xml"
    )
    assert "numbers: root attributes lines-valid/lines-covered" in failed.details


def test_rounding_never_hides_which_side_of_the_threshold() -> None:
    # 77.777...% against 77.78: two decimals would print "77.78% < 77.78%"
    failed = evaluate("coveragepy-7.17-cobertura-branch.xml", min_line=77.78)
    assert failed.status is Status.FAILED
    assert failed.measured == {"line": "77.7778%"}


@pytest.mark.parametrize(
    "report",
    [
        "coveragepy-7.17-cobertura-branch.xml",
        "coveragepy-7.17-branch.json",
        "coveragepy-7.17-branch.lcov",
    ],
)
def test_the_same_data_measures_the_same_in_every_format(report: str) -> None:
    outcome = evaluate(report, min_line=50, min_branch=50)
    assert outcome.measured == {"line": "77.78%", "branch": "100.00%"}


def test_branch_coverage_of_jacoco_and_lcov() -> None:
    assert evaluate("jacoco-report.xml", min_branch=60).summary == (
        "branch coverage 50.00% < 60% (2 of 4 branches missed) in jacoco-report.xml"
    )
    assert evaluate("istanbul-lcov-with-virtual-source.lcov", min_branch=80).status is Status.PASSED


def test_the_example_report_passes_the_builtin_threshold() -> None:
    root = Path(__file__).parent.parent / "examples" / "webshop"
    outcome = evaluate("coverage.xml", root=root, min_line=50)
    assert outcome.status is Status.PASSED
    assert outcome.measured == {"line": "97.50%"}


@pytest.mark.parametrize(
    ("report", "limits", "message"),
    [
        ("missing.xml", {"min_line": 50}, "missing.xml: file not found"),
        ("cobertura-empty-lines.xml", {"min_line": 50}, "has no line coverage data"),
        ("coveragepy-4.0-cobertura-empty-source.xml", {"min_branch": 50}, "no branch coverage"),
        ("SOURCES.md", {"min_line": 50}, "cannot read coverage report"),
    ],
)
def test_fail_closed(report: str, limits: dict[str, float], message: str) -> None:
    with pytest.raises(GateError, match=message):
        evaluate(report, **limits)


def test_hostile_xml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><coverage line-rate="&b;"/>'
    )
    with pytest.raises(GateError, match="entities are not allowed"):
        evaluate("bomb.xml", root=tmp_path, min_line=1)


def test_settings_need_a_threshold_and_percentages() -> None:
    base = {"report": "c.xml", "min_line": None, "min_branch": None}
    assert CoverageGate.check_settings(base) == ["set 'min_line' and/or 'min_branch' (percent)"]
    assert CoverageGate.check_settings({**base, "min_line": 120.0}) == [
        "'min_line' is a percentage (0-100), got 120"
    ]
