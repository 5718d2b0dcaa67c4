"""The ``junit`` gate kind on real reports, without pytest runs (a RunContext is enough)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_gates.api import GateError, Status
from pytest_gates.context import RunContext
from pytest_gates.gates.junit import JUnitGate

from conftest import DATA

DEFAULTS = {"min_tests": 1, "max_failures": 0, "max_errors": 0, "max_skipped": None}


def evaluate(root: Path, **settings: object):  # type: ignore[no-untyped-def]
    gate = JUnitGate({**DEFAULTS, **settings})
    return gate.evaluate(RunContext("tests", root))


def project(tmp_path: Path, *names: str) -> Path:
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in names:
        shutil.copyfile(DATA / "junit" / name, reports / name)
    return tmp_path


def test_failures_and_errors_fail_with_the_failing_tests_listed(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest-9.2-xunit2-fail-error-skip-xfail.xml")
    outcome = evaluate(root, reports=["reports/*.xml"])
    assert outcome.status is Status.FAILED
    assert outcome.summary == "1 failed > max_failures 0; 1 errors > max_errors 0 in 1 report"
    assert outcome.measured == {"tests": 14, "failures": 1, "errors": 1, "skipped": 2}
    assert outcome.threshold == {"tests": ">= 1", "failures": "<= 0", "errors": "<= 0"}
    assert "FAILURE tests.test_demo::test_divide_fails - assert 0.5 == 0.4" in outcome.details
    assert "ERROR tests.test_demo::test_error_in_setup" in outcome.details


def test_limits_can_allow_failures_and_bound_skips(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest-9.2-xunit2-fail-error-skip-xfail.xml")
    assert evaluate(root, reports=["reports/*.xml"], max_failures=1, max_errors=1).status is (
        Status.PASSED
    )
    outcome = evaluate(root, reports=["reports/*.xml"], max_failures=1, max_errors=1, max_skipped=1)
    assert outcome.status is Status.FAILED
    assert outcome.summary == "2 skipped > max_skipped 1 in 1 report"
    outcome = evaluate(root, reports=["reports/*.xml"], max_failures=1, max_errors=1, min_tests=60)
    assert outcome.summary == "14 tests < min_tests 60 in 1 report"


def test_several_files_and_a_flaky_rerun(tmp_path: Path) -> None:
    root = project(
        tmp_path, "surefire-3.0.2-flakyFailure.xml", "go-junit-report-pass-fail-skip.xml"
    )
    outcome = evaluate(root, reports=["reports/surefire*.xml", "reports/go-*.xml"], max_failures=1)
    assert outcome.status is Status.PASSED
    assert (
        outcome.summary == "6 tests: 3 passed, 1 failed, 0 errors, 2 skipped, 1 flaky in 2 reports"
    )
    assert "flaky tests (failed, then passed on a rerun):" in outcome.details


def test_the_example_reports_pass() -> None:
    root = Path(__file__).parent.parent / "examples" / "webshop"
    outcome = evaluate(root, reports=["reports/junit/*.xml"], min_tests=60)
    assert outcome.status is Status.PASSED
    assert outcome.measured == {"tests": 60, "failures": 0, "errors": 0, "skipped": 0}


@pytest.mark.parametrize(
    ("files", "pattern", "message"),
    [
        ([], "reports/*.xml", r"no JUnit report matches reports/\*.xml \(under "),
        (["jest-junit-empty-testsuites.xml"], "reports/*.xml", "no testcase in 1 report"),
        (["invalid-pytest-truncated.xml"], "reports/*.xml", "malformed XML at line 11"),
        (["invalid-xxe-attack.xml"], "reports/*.xml", "refused: the document declares entity"),
        (["invalid-non-junit-root.xml"], "reports/*.xml", "not a JUnit XML report"),
    ],
)
def test_fail_closed(tmp_path: Path, files: list[str], pattern: str, message: str) -> None:
    root = project(tmp_path, *files)
    with pytest.raises(GateError, match=message):
        evaluate(root, reports=[pattern])


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_bytes(b"")
    with pytest.raises(GateError, match=r"r.xml: file is empty"):
        evaluate(tmp_path, reports=["r.xml"])


def test_an_absolute_glob_and_recursion(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    shutil.copyfile(DATA / "junit" / "go-junit-report-pass-fail-skip.xml", deep / "r.xml")
    assert evaluate(tmp_path, reports=["**/r.xml"], max_failures=1).measured["tests"] == 5
    assert (
        evaluate(Path("/"), reports=[str(tmp_path / "**" / "*.xml")], max_failures=1).measured[
            "tests"
        ]
        == 5
    )
