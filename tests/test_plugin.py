"""Behaviour of ``pytest --gate``: collection, outcomes, exit codes, selection, listing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import Profile

pytestmark = pytest.mark.usefixtures("echo_kind")

XDIST = [pytest.param([], id="no-xdist"), pytest.param(["-n", "2"], id="xdist")]


def test_without_gate_a_run_is_what_it_was(pytester: pytest.Pytester, profile: Profile) -> None:
    (pytester.path / "conftest.py").unlink()  # its hook needs the plugin
    profile("gates:\n  g: {kind: echo, value: 1}\n")
    pytester.makepyfile(test_it="def test_ok(): pass\ndef test_bad(): assert 0\n")
    with_plugin = pytester.runpytest("-v")
    without_plugin = pytester.runpytest("-v", "-p", "no:gates")
    for result in (with_plugin, without_plugin):
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(["test_it.py::test_ok PASSED*", "test_it.py::test_bad FAILED*"])
        assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "gate verdict" not in with_plugin.stdout.str()
    assert not (pytester.path / "gate-verdict.xml").exists()


@pytest.mark.parametrize("xdist", XDIST)
def test_gates_replace_the_project_tests(
    pytester: pytest.Pytester, profile: Profile, xdist: list[str]
) -> None:
    profile("""
        gates:
          first: {kind: echo, value: 5, min: 3}
          second: {kind: echo, value: 7}
    """)
    pytester.makepyfile(test_it="def test_never_collected(): assert 0\n")
    result = pytester.runpytest("--gate=pr", *xdist)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    assert "test_never_collected" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*= gate verdict =*",
            "gate*kind*status*measured*threshold",
            "first*echo*passed*5*>= 3",
            "second*echo*passed*7*>= 0",
            "verdict: PASSED*gate-verdict.xml*",
        ]
    )


@pytest.mark.parametrize("xdist", XDIST)
def test_a_failed_gate_explains_and_gives_the_rerun_command(
    pytester: pytest.Pytester, profile: Profile, xdist: list[str]
) -> None:
    profile("gates:\n  ok: {kind: echo, value: 5}\n  low: {kind: echo, value: 2, min: 3}\n")
    result = pytester.runpytest("--gate=pr", *xdist)
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*_ gate low (echo) _*",
            "FAILED: value 2 < 3",
            "measured:  value 2",
            "threshold: value >= 3",
            "gate 'low' (kind echo) defined at *pr.yaml:3",
            "re-run this gate: pytest --gate=pr --gate-only low",
            "low*echo*failed*2*>= 3",
            "verdict: FAILED*",
        ]
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("gate-error", "ERROR: the evidence is missing"),
        ("raise", "*ValueError: a bug in the gate"),
    ],
)
def test_a_gate_that_cannot_evaluate_is_an_error_that_blocks(
    pytester: pytest.Pytester, profile: Profile, mode: str, expected: str
) -> None:
    profile(f"gates:\n  g: {{kind: echo, value: 1, mode: {mode}}}\n")
    result = pytester.runpytest("--gate=pr")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([expected, "*re-run this gate: pytest --gate=pr --gate-only g"])
    result.stdout.fnmatch_lines(["g*echo*error*", "verdict: FAILED*", "*1 error*"])


def test_a_bug_in_a_gate_keeps_its_traceback_from_the_gate_code(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  g: {kind: echo, value: 1, mode: raise}\n")
    result = pytester.runpytest("--gate=pr")
    result.stdout.fnmatch_lines(
        ['>*raise ValueError("a bug in the gate")', "conftest.py:*: ValueError"]
    )
    assert "_pytest/runner.py" not in result.stdout.str()


def test_timeout_is_an_error(pytester: pytest.Pytester, profile: Profile) -> None:
    profile("gates:\n  slow: {kind: echo, value: 1, mode: sleep, timeout: 0.2}\n")
    result = pytester.runpytest("--gate=pr")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["ERROR: timed out after 0.2 s without a verdict (setting 'timeout')"]
    )


def test_an_unset_variable_errors_that_gate_and_the_others_run(
    pytester: pytest.Pytester, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATES_TEST_UNSET", raising=False)
    profile(
        "gates:\n  a: {kind: echo, value: '${GATES_TEST_UNSET}'}\n  b: {kind: echo, value: 1}\n"
    )
    result = pytester.runpytest("--gate=pr")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["ERROR: environment variable GATES_TEST_UNSET is not set*"])


def test_advisory_failures_are_reported_but_do_not_fail(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("""
        gates:
          soft: {kind: echo, value: 1, min: 3, blocking: false}
          soft-error: {kind: echo, value: 1, mode: raise, blocking: false}
          hard: {kind: echo, value: 5}
    """)
    result = pytester.runpytest("--gate=pr", "-v")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*::soft ADVISORY*",
            "*::soft-error ADVISORY*",
            "soft*echo*failed (advisory)*",
            "soft-error*echo*error (advisory)*",
            "advisory soft: value 1 < 3",
            "verdict: PASSED*",
            "*1 passed, 2 advisory*",
        ]
    )


@pytest.mark.parametrize("xdist", XDIST)
def test_gate_only_and_k_select_a_subset(
    pytester: pytest.Pytester, profile: Profile, xdist: list[str]
) -> None:
    profile("""
        gates:
          alpha: {kind: echo, value: 1}
          beta: {kind: echo, value: 0, min: 1}
          gamma: {kind: echo, value: 1}
    """)
    result = pytester.runpytest("--gate=pr", "--gate-only", "alpha,gamma", *xdist)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result = pytester.runpytest("--gate=pr", "-k", "beta", *xdist)
    result.assert_outcomes(failed=1)
    assert "alpha" not in result.stdout.str().split("gate verdict")[1]


def test_gate_only_with_an_unknown_id_is_a_usage_error(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  alpha: {kind: echo, value: 1}\n")
    result = pytester.runpytest("--gate=pr", "--gate-only", "alhpa")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --gate-only: no gate 'alhpa' in profile 'pr'; its gates: alpha"]
    )


def test_selecting_nothing_is_a_usage_error_never_a_pass(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  alpha: {kind: echo, value: 1}\n")
    result = pytester.runpytest("--gate=pr", "-k", "nothing-matches")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["ERROR: no gate was selected*", "verdict: FAILED*"])


def test_unknown_profile_is_a_usage_error_listing_what_exists(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  a: {kind: echo, value: 1}\n", name="mine")
    result = pytester.runpytest("--gate=nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: unknown gate profile 'nope'; available: mine, pr, production, staging"
            f" (looked in: {pytester.path / 'gate_profiles'}, *)"
        ]
    )


@pytest.mark.parametrize("xdist", XDIST)
def test_a_broken_profile_exits_2_with_file_and_line(
    pytester: pytest.Pytester, profile: Profile, xdist: list[str]
) -> None:
    path = profile("gates:\n  a:\n    kind: echoo\n    value: 1\n")
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == pytest.ExitCode.INTERRUPTED  # 2
    result.stdout.fnmatch_lines(
        [
            "gate profile 'pr' is broken:",
            f"{path}:3: gate 'a': unknown kind 'echoo'; did you mean 'echo'?"
            " (known: api, approvals, benchmark, change-ticket, chaos, coverage, document,"
            " echo, health, incidents, junit, sarif, selenium, sonar, verdict)",
            "verdict: FAILED*",
        ]
    )
    assert (pytester.path / "gate-verdict.xml").exists()


def test_gate_list_prints_the_resolved_profile_and_evaluates_nothing(
    pytester: pytest.Pytester, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile("gates:\n  a: {kind: echo, value: 1, min: 0, mode: raise}\n", name="base")
    profile("""
        description: my PR gate
        extends: base
        gates:
          a: {min: 2}
          b: {kind: echo, value: 3, mode: '${GATES_SECRET_TOKEN}', blocking: false, timeout: 9}
    """)
    monkeypatch.setenv("GATES_SECRET_TOKEN", "s3cr3t")
    # --gate-list ends the run in pytest_cmdline_main, which in-process pytester can't follow
    result = pytester.runpytest_subprocess("--gate=pr", "--gate-list")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "gate profile 'pr' (*pr.yaml)",
            "  my PR gate",
            "  extends: base -> pr",
            "  2 gates:",
            "  a (echo, blocking) from pr < base at *pr.yaml:5",
            "    kind 'echo' from conftest.Echo",
            "    value: 1",
            "    min: 2",
            "    mode: raise",
            "    re-run: pytest --gate=pr --gate-only a",
            "  b (echo, advisory, timeout 9s) from pr at *pr.yaml:6",
            "    value: 3",
            "    min: 0  (default)",
            "    mode: ${GATES_SECRET_TOKEN}",
        ]
    )
    assert "s3cr3t" not in result.stdout.str()
    assert not (pytester.path / "gate-verdict.xml").exists()


def test_gate_list_of_a_broken_profile_exits_2(pytester: pytest.Pytester, profile: Profile) -> None:
    profile("gates:\n  a: {kind: echo, valeu: 1}\n")
    result = pytester.runpytest_subprocess("--gate=pr", "--gate-list")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*unknown setting 'valeu' for kind 'echo'; did you mean 'value'?"])


def test_gate_options_without_gate_are_usage_errors(pytester: pytest.Pytester) -> None:
    assert pytester.runpytest_subprocess("--gate-list").ret == pytest.ExitCode.USAGE_ERROR
    assert pytester.runpytest("--gate-only", "a").ret == pytest.ExitCode.USAGE_ERROR


def test_profile_search_order(pytester: pytest.Pytester, profile: Profile) -> None:
    profile("gates:\n  from-rootdir: {kind: echo, value: 1}\n")
    for folder, gate in (("cli", "from-cli"), ("ini", "from-ini")):
        (pytester.path / folder).mkdir()
        (pytester.path / folder / "pr.yaml").write_text(
            f"gates:\n  {gate}: {{kind: echo, value: 1}}\n"
        )
    pytester.makeini("[pytest]\ngate_profiles = ini\n")
    pytester.runpytest("--gate=pr", "--gate-profiles=cli").stdout.fnmatch_lines(
        ["from-cli*passed*"]
    )
    pytester.runpytest("--gate=pr").stdout.fnmatch_lines(["from-ini*passed*"])
    (pytester.path / "ini" / "pr.yaml").unlink()
    pytester.runpytest("--gate=pr").stdout.fnmatch_lines(["from-rootdir*passed*"])
    (pytester.path / "gate_profiles" / "pr.yaml").unlink()
    # the built-in pr profile: its gates read reports that this project doesn't have
    result = pytester.runpytest("--gate=pr")
    result.stdout.fnmatch_lines(["tests*junit*error*", "coverage*coverage*error*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_profile_given_by_path(pytester: pytest.Pytester) -> None:
    sub = pytester.mkdir("elsewhere")
    (sub / "custom.yml").write_text("gates:\n  x: {kind: echo, value: 1}\n")
    result = pytester.runpytest("--gate=elsewhere/custom.yml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["x*echo*passed*"])


def test_relative_paths_resolve_against_the_rootdir(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    # The profile lives in a sub-folder; the report path is relative to the rootdir.
    pytester.makeini("[pytest]\ngate_profiles = ci/profiles\n")
    folder = pytester.mkdir("ci") / "profiles"
    folder.mkdir()
    (folder / "cov.yaml").write_text(
        "gates:\n  c: {kind: coverage, report: out/coverage.xml, min_line: 50}\n"
    )
    out = pytester.mkdir("out")
    (out / "coverage.xml").write_text(
        '<coverage lines-valid="10" lines-covered="6" line-rate="0.6"></coverage>'
    )
    result = pytester.runpytest("--gate=cov")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["c*coverage*passed*60.00%*>= 50%"])


def test_interrupted_run_writes_a_failed_verdict_naming_unevaluated_gates(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("""
        gates:
          a: {kind: echo, value: 1}
          b: {kind: echo, value: 1, mode: interrupt}
          c: {kind: echo, value: 1}
    """)
    # in-process pytester re-raises the inner KeyboardInterrupt: use a subprocess
    result = pytester.runpytest_subprocess("--gate=pr")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    xml = (pytester.path / "gate-verdict.xml").read_text()
    assert '<property name="gate.verdict" value="failed" />' in xml
    assert '<property name="gate.interrupted" value="true" />' in xml
    assert '<property name="gate.a.status" value="passed" />' in xml
    assert '<property name="gate.c.status" value="not-evaluated" />' in xml
    assert 'type="gate.not-evaluated"' in xml


def test_exitfirst_leaves_later_gates_not_evaluated(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  a: {kind: echo, value: 0, min: 1}\n  b: {kind: echo, value: 1}\n")
    result = pytester.runpytest("--gate=pr", "-x")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["a*failed*", "b*?*not-evaluated*"])


def test_collect_only_lists_gates_and_writes_no_verdict(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  a: {kind: echo, value: 1}\n  b: {kind: echo, value: 2}\n")
    result = pytester.runpytest("--gate=pr", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["gate:pr::a", "gate:pr::b", "2 tests collected*"])
    assert not (pytester.path / "gate-verdict.xml").exists()


def test_gate_outcome_hook_sees_every_outcome(pytester: pytest.Pytester, profile: Profile) -> None:
    profile(
        "gates:\n  a: {kind: echo, value: 1}\n"
        "  b: {kind: echo, value: 0, min: 1, blocking: false}\n"
    )
    pytester.makepyfile(
        plugin_seen="""
        import pytest
        @pytest.hookimpl
        def pytest_gates_outcome(item, spec, outcome):
            print(f"SEEN {spec.id} {outcome.status.value}")
        @pytest.hookimpl
        def pytest_gates_verdict_written(config, path, verdict):
            print(f"VERDICT {verdict} {path}")
    """
    )
    pytester.syspathinsert()
    result = pytester.runpytest("--gate=pr", "-p", "plugin_seen", "-s")
    result.stdout.fnmatch_lines(
        ["*SEEN a passed*", "*SEEN b failed*", "*VERDICT passed *gate-verdict.xml"]
    )


def test_a_run_imports_only_the_kinds_its_profile_uses(
    pytester: pytest.Pytester, profile: Profile, data: Path
) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            prefixes = ("pytest_gates", "selenium", "chaoslib", "requests")
            with open("modules.txt", "w") as out:
                out.write(" ".join(m for m in sys.modules if m.startswith(prefixes)))
        """
    )
    shutil.copyfile(
        data / "junit" / "ant-junitreport-TESTS-TestSuites.xml", pytester.path / "report.xml"
    )
    profile("gates:\n  tests: {kind: junit, reports: [report.xml]}\n")
    result = pytester.runpytest_subprocess("--gate=pr", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    modules = (pytester.path / "modules.txt").read_text().split()
    assert "pytest_gates.gates.junit" in modules
    assert not any(m.startswith(("selenium", "chaoslib", "requests")) for m in modules), modules
    for kind in ("sonar", "selenium", "chaos", "approvals", "incidents", "http_api"):
        assert f"pytest_gates.gates.{kind}" not in modules


def test_a_run_without_gate_imports_no_gate_machinery(pytester: pytest.Pytester) -> None:
    (pytester.path / "conftest.py").unlink()  # the echo kind's hook imports the API
    pytester.makepyfile(
        test_it="""
        import sys

        def test_ok():
            pass

        def test_no_gate_modules():
            loaded = sorted(m for m in sys.modules if m.startswith("pytest_gates."))
            heavy = ("suite", "nodes", "verdict", "profile", "gates", "formats")
            assert not [m for m in loaded if m.split(".")[1] in heavy], loaded
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
