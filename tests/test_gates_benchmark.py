"""The ``benchmark`` gate kind on real pytest-benchmark JSON: the corpus report, and one made
here by running pytest-benchmark on a tiny module."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.formats.benchmark import read_benchmark_json
from pytest_gates.gates.benchmark import BenchmarkGate, duration

from conftest import DATA, Profile

REPORT = DATA / "benchmark" / "pytest-benchmark-5.3.1.json"
DEFAULTS: dict[str, Any] = {
    "limits": None,
    "baseline": None,
    "max_regression": None,
    "regression_stat": "mean",
    "check_revision": True,
}
BENCH_MODULE = """
import time

def test_sum(benchmark):
    assert benchmark(sum, range(100)) == 4950

def test_sleep(benchmark):
    benchmark(time.sleep, 0.002)
"""


def evaluate(root: Path, environ: dict[str, str] | None = None, **settings: Any) -> Outcome:
    gate = BenchmarkGate({**DEFAULTS, "report": "bench.json", **settings})
    return gate.evaluate(RunContext("perf", root, environ=environ))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copyfile(REPORT, tmp_path / "bench.json")
    return tmp_path


def derive(src: Path, dest: Path, scale: dict[str, float], **changes: Any) -> Path:
    """A variant of a real report: ``scale`` multiplies the named benchmarks' times."""
    doc = json.loads(src.read_text())
    for bench in doc["benchmarks"]:
        factor = scale.get(bench["name"], 1.0)
        for key in ("min", "max", "mean", "median"):
            bench["stats"][key] *= factor
        bench["stats"]["ops"] /= factor
    doc.update(changes)
    dest.write_text(json.dumps(doc))
    return dest


def test_the_corpus_report_within_limits_passes(root: Path) -> None:
    outcome = evaluate(root, limits={"test_benchmark_*": {"mean": 0.01, "max": 1}})
    assert outcome.status is Status.PASSED
    assert outcome.summary == "4 benchmarks, 4 checked, all within their limits"
    assert outcome.measured == {"benchmarks": 4, "over limits": 0}
    assert outcome.threshold == {"over limits": "0"}
    lines = outcome.details.splitlines()
    assert (
        lines[0] == f"report: {root / 'bench.json'}"
        " (pytest-benchmark 5.3.1, 2026-11-28T04:45:18.860441+00:00)"
    )
    assert (
        "  ok   tests/test_demo.py::test_benchmark_add [34 rounds]:"
        " mean 78.95 ns <= 0.01 ms; max 121.8 ns <= 1 ms"
    ) in lines
    assert "limit test_benchmark_*: mean <= 0.01 ms, max <= 1 ms" in lines


def test_a_benchmark_over_its_limit_fails_with_value_and_limit(root: Path) -> None:
    outcome = evaluate(
        root,
        limits={
            "test_benchmark_divide*": {"ops": 8_000_000},
            "*::test_benchmark_add": {"median": 0.00005},
        },
    )
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "2 of 4 benchmarks over their limits (test_benchmark_add median 69.11 ns > 5e-05 ms;"
        " test_benchmark_divide[1] ops 6,775,068/s < 8,000,000/s)"
    )
    assert outcome.measured == {"benchmarks": 4, "over limits": 2}
    assert (
        "  ok   tests/test_demo.py::test_benchmark_divide[3] [5 rounds]:"
        " ops 8,729,050/s >= 8,000,000/s"
    ) in outcome.details
    assert (
        "  ok   tests/test_demo.py::test_benchmark_classify [50 rounds]:"
        " mean 88.77 ns, ops 11,264,943/s (no limit)"
    ) in outcome.details


def test_a_limit_matching_no_benchmark_is_an_error(root: Path) -> None:
    with pytest.raises(
        GateError,
        match=r"limits 'test_checkout\*', 'test_login' match no benchmark in .*bench.json"
        r" \(benchmarks: test_benchmark_add, test_benchmark_classify, .*\); a limit that checks"
        " nothing never passes",
    ):
        evaluate(
            root, limits={"test_checkout*": {"mean": 5}, "test_login": {"ops": 1}, "*": {"max": 9}}
        )


def test_regression_against_a_baseline(root: Path) -> None:
    # The baseline was faster for add (this run is 25% slower), slower for divide[1].
    derive(
        REPORT,
        root / "base.json",
        {"test_benchmark_add": 0.8, "test_benchmark_divide[1]": 1.25},
    )
    outcome = evaluate(root, baseline="base.json", max_regression=10)
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "1 slower than the baseline by more than 10% on mean (test_benchmark_add +25.0%)"
    )
    assert outcome.measured == {"benchmarks": 4, "worst mean change": "+25.0% (test_benchmark_add)"}
    assert outcome.threshold == {"mean change": "<= +10% vs baseline"}
    assert (
        "  FAIL tests/test_demo.py::test_benchmark_add [34 rounds]:"
        " mean 78.95 ns, ops 12,665,721/s (no limit); mean +25.0% vs baseline (REGRESSION)"
    ) in outcome.details
    assert "mean -20.0% vs baseline" in outcome.details
    outcome = evaluate(root, baseline="base.json", max_regression=30)
    assert outcome.status is Status.PASSED
    assert outcome.summary == (
        "4 benchmarks; worst mean change vs baseline +25.0% (test_benchmark_add) (<= +30%)"
    )


def test_regression_on_another_statistic_with_limits(root: Path) -> None:
    derive(REPORT, root / "base.json", {"test_benchmark_classify": 0.5})
    outcome = evaluate(
        root,
        baseline="base.json",
        max_regression=50,
        regression_stat="median",
        limits={"*": {"mean": 1}},
    )
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "1 slower than the baseline by more than 50% on median (test_benchmark_classify +100.0%)"
    )
    assert outcome.threshold == {"over limits": "0", "median change": "<= +50% vs baseline"}


def test_new_and_vanished_benchmarks_and_another_machine_are_reported(root: Path) -> None:
    doc = json.loads(REPORT.read_text())
    gone = dict(doc["benchmarks"][0], name="test_gone", fullname="tests/test_old.py::test_gone")
    doc["benchmarks"] = [doc["benchmarks"][0], gone]
    doc["machine_info"]["cpu"]["brand_raw"] = "Intel Xeon"
    (root / "base.json").write_text(json.dumps(doc))
    # Without max_regression the baseline is only shown: a vanished benchmark is reported.
    outcome = evaluate(root, baseline="base.json", limits={"*": {"mean": 1}})
    assert outcome.status is Status.PASSED
    assert (
        "  ok   tests/test_demo.py::test_benchmark_classify [50 rounds]: mean 88.77 ns"
        in outcome.details
    )
    assert "new: not in the baseline" in outcome.details
    assert "in the baseline, not in this run (1): tests/test_old.py::test_gone" in outcome.details
    assert (
        "note: the baseline ran on another machine (Intel Xeon, CPython 3.11.7; this run:"
        " AMD EPYC, CPython 3.11.7): timings may not compare"
    ) in outcome.details
    # Under max_regression a benchmark of the baseline that did not run fails the gate: its
    # regression cannot be measured (it used to pass, listed only in the details).
    outcome = evaluate(root, baseline="base.json", max_regression=5)
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "1 benchmark of the baseline did not run (tests/test_old.py::test_gone):"
        " its regression cannot be measured; run it, or update the baseline if it was removed"
    )
    assert outcome.measured["baseline benchmarks not run"] == 1
    assert outcome.threshold["baseline benchmarks not run"] == "0"


def test_the_revision_of_the_report_is_checked(root: Path) -> None:
    doc = json.loads(REPORT.read_text())
    doc["commit_info"].update(id="1" * 40, dirty=False)
    (root / "bench.json").write_text(json.dumps(doc))
    limits = {"*": {"max": 1}}
    with pytest.raises(
        GateError,
        match=r"the benchmark report .*bench.json is of commit 111111111111, but this run is of"
        r" ffffffffffff \(GITHUB_SHA\): its results are not of the code under test \(a stale"
        r" or downloaded report\?\); run the benchmarks in this job, or set check_revision: false",
    ):
        evaluate(root, limits=limits, environ={"GITHUB_SHA": "f" * 40})
    # The same commit (a short id too) passes, and says it was checked.
    outcome = evaluate(root, limits=limits, environ={"CI_COMMIT_SHA": "1" * 40})
    assert outcome.status is Status.PASSED
    assert (
        f"revision: the report's commit {'1' * 12} is this run's (CI_COMMIT_SHA)"
        in outcome.details.splitlines()
    )
    outcome = evaluate(root, limits=limits, environ={"GITHUB_SHA": "f" * 40}, check_revision=False)
    assert outcome.status is Status.PASSED
    assert "revision: not checked (check_revision is false)" in outcome.details
    # pytest-benchmark outside a repository writes "unversioned": nothing to compare.
    shutil.copyfile(REPORT, root / "bench.json")
    outcome = evaluate(root, limits=limits, environ={"GITHUB_SHA": "f" * 40})
    assert outcome.status is Status.PASSED
    assert (
        "revision: not checked: the report names no commit (pytest-benchmark ran outside"
        " a git repository)"
    ) in outcome.details


def test_a_baseline_sharing_no_benchmark_is_an_error(root: Path) -> None:
    doc = json.loads(REPORT.read_text())
    for b in doc["benchmarks"]:
        b["name"], b["fullname"] = "other_" + b["name"], "other.py::" + b["name"]
    (root / "base.json").write_text(json.dumps(doc))
    with pytest.raises(GateError, match=r"has none of the 4 benchmarks of .*: nothing to compare"):
        evaluate(root, baseline="base.json", max_regression=5)


def test_a_missing_baseline_is_an_error(root: Path) -> None:
    with pytest.raises(GateError, match=r"cannot read baseline .*nope.json: file not found"):
        evaluate(root, baseline="nope.json", max_regression=5)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"cannot read benchmark report .*bench.json: file not found"),
        (b"", "file is empty"),
        (
            REPORT.read_bytes()[:5000],
            r"malformed JSON at line \d+, column \d+: .* \(the file looks truncated\)",
        ),
        (b"{'benchmarks': []}", "malformed JSON at line 1, column 2"),
        (
            (DATA / "coverage" / "coveragepy-7.17-branch.json").read_bytes(),
            r"not a pytest-benchmark JSON report: no 'benchmarks' list"
            r" \(found: meta, files, totals\)",
        ),
        (b'{"benchmarks": []}', r"no benchmark in .*: were they skipped or disabled"),
        (b'{"benchmarks": [{"name": "t", "stats": {"mean": "fast"}}]}', r"stats.min is None"),
        (b'{"benchmarks": [{"name": "t"}]}', r"benchmarks\[0\] \(t\) has no 'stats'"),
        (b'{"benchmarks": [1]}', r"benchmarks\[0\] has no 'name'"),
    ],
    ids=[
        "missing",
        "empty",
        "truncated",
        "not-json",
        "coverage-json",
        "no-benchmarks",
        "bad-stat",
        "no-stats",
        "not-a-benchmark",
    ],
)
def test_unreadable_reports_are_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    if content is not None:
        (tmp_path / "bench.json").write_bytes(content)
    with pytest.raises(GateError, match=message):
        evaluate(tmp_path, limits={"*": {"mean": 1}})


def test_settings_are_checked() -> None:
    check = BenchmarkGate.check_settings
    assert check(DEFAULTS) == ["set 'limits' and/or 'max_regression' (with 'baseline')"]
    assert check({**DEFAULTS, "max_regression": 5.0}) == [
        "'max_regression' needs a 'baseline' (an earlier benchmark JSON)"
    ]
    limits = {"a": 5, "b": {"p99": 1, "ops": -1, "max": True, "mean": "fast", "median": "2.5"}}
    assert check({**DEFAULTS, "limits": limits}) == [
        "'limits' 'a': give a mapping such as {mean: 5, ops: 1000}, got 5",
        "'limits' 'b': unknown 'p99'; use mean, median, max (milliseconds, at most)"
        " or ops (per second, at least)",
        "'limits' 'b' ops: must be a number > 0, got -1",
        "'limits' 'b' max: must be a number > 0, got True",
        "'limits' 'b' mean: must be a number > 0, got a string",
    ]


def test_duration_picks_a_unit() -> None:
    assert [duration(x) for x in (7.895e-08, 1.5e-05, 0.0012345, 2.5)] == [
        "78.95 ns",
        "15 us",
        "1.234 ms",
        "2.5 s",
    ]


def run_benchmarks(pytester: pytest.Pytester, name: str, *args: str) -> Path:
    """Run real pytest-benchmark on a tiny module; return its --benchmark-json report."""
    pytester.makepyfile(test_perf=BENCH_MODULE)
    report = pytester.path / name
    report.parent.mkdir(parents=True, exist_ok=True)  # pytest-benchmark does not create it
    with pytest.MonkeyPatch.context() as mp:
        # Under pytest-xdist (this suite with -n) pytest-benchmark would see the worker's
        # variable and disable itself in the inner run.
        mp.delenv("PYTEST_XDIST_WORKER", raising=False)
        result = pytester.runpytest(
            "test_perf.py",
            f"--benchmark-json={report}",
            "--benchmark-min-rounds=3",
            "--benchmark-max-time=0.01",
            "-p",
            "no:cacheprovider",
            *args,
        )
    result.assert_outcomes(passed=1 if args else 2, deselected=1 if args else 0)
    return report


def test_a_report_written_by_pytest_benchmark_here(pytester: pytest.Pytester) -> None:
    report = run_benchmarks(pytester, "bench.json")
    parsed = read_benchmark_json(report)
    assert [b.name for b in parsed.benchmarks] == ["test_sum", "test_sleep"]
    assert parsed.benchmarks[1].stats["min"] >= 0.002  # time.sleep(0.002) sleeps at least that
    outcome = evaluate(
        pytester.path, limits={"test_sleep": {"median": 60_000}, "test_sum": {"max": 60_000}}
    )
    assert outcome.status is Status.PASSED
    # A sleep of 2 ms cannot run 10,000 times a second: a real failure, from real numbers.
    outcome = evaluate(pytester.path, limits={"test_sleep": {"ops": 10_000}})
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith("1 of 2 benchmarks over their limits (test_sleep ops ")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Gate", "-c", "user.email=gate@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_report_of_another_commit_is_an_error(pytester: pytest.Pytester) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git (pytest-benchmark reads the commit from it)")
    git(pytester.path, "init", "-q")
    (pytester.path / "README").write_text("bench\n")
    git(pytester.path, "add", "README")
    git(pytester.path, "commit", "-q", "-m", "first")
    head = git(pytester.path, "rev-parse", "HEAD")
    report = run_benchmarks(pytester, "bench.json")
    assert json.loads(report.read_text())["commit_info"]["id"] == head
    limits = {"*": {"max": 60_000}}
    # No CI variable: this run's revision is the rootdir's git HEAD, the report's commit.
    outcome = evaluate(pytester.path, environ={}, limits=limits)
    assert outcome.status is Status.PASSED
    assert f"revision: the report's commit {head[:12]} is this run's (git HEAD)" in (
        outcome.details
    )
    # CI says this run is of another commit: the report is not of the code under test.
    other = "ab" * 20
    with pytest.raises(
        GateError,
        match=rf"is of commit {head[:12]}, but this run is of {other[:12]} \(GITHUB_SHA\)",
    ):
        evaluate(pytester.path, environ={"GITHUB_SHA": other}, limits=limits)
    # A new commit after the benchmarks ran: git HEAD moved on, the report is stale.
    git(pytester.path, "commit", "-q", "--allow-empty", "-m", "second")
    with pytest.raises(GateError, match=r"\(git HEAD\): its results are not of the code"):
        evaluate(pytester.path, environ={}, limits=limits)


def test_a_benchmark_that_vanished_from_the_run_fails(pytester: pytest.Pytester) -> None:
    run_benchmarks(pytester, "baseline.json")
    run_benchmarks(pytester, "bench.json", "-k", "test_sum")
    outcome = evaluate(pytester.path, baseline="baseline.json", max_regression=1000)
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith(
        "1 benchmark of the baseline did not run (test_perf.py::test_sleep)"
    )


def test_end_to_end(
    pytester: pytest.Pytester, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_benchmarks(pytester, "reports/benchmark.json")
    baseline = derive(
        pytester.path / "reports" / "benchmark.json",
        pytester.path / "baseline.json",
        {"test_sum": 0.5},  # the baseline's sum was twice as fast
    )
    assert baseline.is_file()
    profile(
        """
        gates:
          performance:
            kind: benchmark
            report: ${GATE_BENCHMARK_JSON:-reports/benchmark.json}
            limits:
              "test_*": {median: "${GATE_BENCHMARK_MAX_MEDIAN_MS:-60000}"}
              test_sleep: {ops: 1}
            baseline: ${GATE_BENCHMARK_BASELINE:-baseline.json}
            max_regression: ${GATE_BENCHMARK_MAX_REGRESSION:-10}
        """,
        name="staging",
    )
    result = pytester.runpytest("--gate=staging")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "FAILED: 1 slower than the baseline by more than 10% on mean (test_sum +100.0%)",
            "measured:  benchmarks 2, over limits 0, worst mean change +100.0% (test_sum)",
            "threshold: over limits 0, mean change <= +10% vs baseline",
            "  FAIL test_perf.py::test_sum * mean +100.0% vs baseline (REGRESSION)",
            "re-run this gate: pytest --gate=staging --gate-only performance",
        ]
    )
    monkeypatch.setenv("GATE_BENCHMARK_MAX_REGRESSION", "150")
    result = pytester.runpytest("--gate=staging")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["performance  benchmark  passed  benchmarks 2, over limits 0, *"])
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert '<property name="gate.performance.status" value="passed" />' in verdict
    assert (
        '<property name="gate.performance.threshold"'
        ' value="over limits 0, mean change &lt;= +150% vs baseline" />'
    ) in verdict
