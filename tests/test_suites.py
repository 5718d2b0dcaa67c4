"""Suite gates (engine): a gate that owns pytest tests and declared checks, run in the
same session, each member its own testcase in the verdict, the gate judged on them."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import Profile

SUITE_KIND = '''
import pytest
from pytest_gates import SUITE_SETTINGS, Check, GateError, Outcome, Setting, SuiteGate


class Demo(SuiteGate):
    """A suite kind for testing the engine: members are tests and declared checks."""

    kind = "demo"
    settings_schema = {
        **SUITE_SETTINGS,
        "checks": Setting(list, default=[]),
        "base_url": Setting(str, default=""),
    }

    def checks(self, ctx):
        found = []
        for value in self.settings["checks"]:
            if value == "broken":
                raise GateError("the check declarations cannot be read")
            found.append(Check(value, self._run(value), location="declared.yaml"))
        return found

    def _run(self, value):
        def run(ctx):
            if value == "slow":
                import time
                time.sleep(3)
            if value.startswith("err"):
                raise GateError(f"check {value} cannot reach its server")
            if value.startswith("fail"):
                return Outcome.failed(f"check {value} failed", measured={"latency_ms": 7})
            return Outcome.passed(f"check {value} ok", measured={"latency_ms": 3})
        return run

    def evaluate_suite(self, ctx, members):
        outcome = super().evaluate_suite(ctx, members)
        seen = [m.data.get("seen") for m in members if m.data.get("seen")]
        if seen:
            return Outcome(outcome.status, outcome.summary, measured={**outcome.measured,
                "seen": sum(len(s) for s in seen)}, threshold=outcome.threshold,
                details=outcome.details)
        return outcome


@pytest.hookimpl
def pytest_gates_register_kinds(registry):
    registry.add(Demo)
'''

TESTS = {
    "tests/e2e/test_shop.py": """
        def test_home(gate_suite, request):
            gate_suite.record(request.node, "seen", gate_suite.spec.id)
            assert gate_suite.spec.kind == "demo"

        def test_cart():
            assert 1 + 1 == 2
    """,
    "tests/e2e/test_broken.py": """
        def test_checkout():
            assert "total" == "0.00", "checkout total wrong"
    """,
    "tests/unit/test_unit.py": """
        def test_unit():
            pass
    """,
}


@pytest.fixture
def project(pytester: pytest.Pytester, echo_kind: None) -> pytest.Pytester:
    (pytester.path / "demo_kind.py").write_text(SUITE_KIND)
    (pytester.path / "conftest.py").write_text(
        'pytest_plugins = ["demo_kind"]\n' + (pytester.path / "conftest.py").read_text()
    )
    for name, body in TESTS.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return pytester


def verdict(pytester: pytest.Pytester) -> ET.Element:
    return ET.parse(pytester.path / "gate-verdict.xml").getroot()


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_suite_passes_and_members_are_testcases(project: pytest.Pytester, profile: Profile) -> None:
    profile(
        """
        gates:
          e2e:
            kind: demo
            tests: [tests/e2e/test_shop.py]
          other:
            kind: echo
            value: 1
        """
    )
    result = project.runpytest("--gate=pr", "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*tests/e2e/test_shop.py::test_home PASSED*", "*gate:pr::e2e PASSED*"]
    )
    result.stdout.re_match_lines([r"e2e\s+demo\s+passed\s+tests 2, passed 2, failed 0.*seen 1"])
    found = cases(verdict(project))
    assert set(found) == {
        "tests/e2e/test_shop.py::test_home",
        "tests/e2e/test_shop.py::test_cart",
        "e2e",
        "other",
    }
    assert found["tests/e2e/test_shop.py::test_home"].get("classname") == "gates.pr.e2e"
    assert verdict(project).find("testsuite").get("tests") == "4"  # type: ignore[union-attr]


def test_failing_member_fails_the_gate(project: pytest.Pytester, profile: Profile) -> None:
    profile(
        """
        gates:
          e2e:
            kind: demo
            tests: [tests/e2e]
        """
    )
    result = project.runpytest("--gate=pr")
    assert result.ret == 1
    out = result.stdout.str()
    assert "FAILED tests/e2e/test_broken.py::test_checkout" in out
    assert "FAILED: 1 failed of 3 members" in out
    assert "FAILED tests/e2e/test_broken.py::test_checkout - AssertionError: checkout total" in out
    assert "re-run this gate: pytest --gate=pr --gate-only e2e" in out
    root = verdict(project)
    member = cases(root)["tests/e2e/test_broken.py::test_checkout"]
    failure = member.find("failure")
    assert failure is not None
    assert "checkout total wrong" in (failure.text or "")
    assert cases(root)["e2e"].find("failure") is not None
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("4", "2")


def test_missing_path_and_empty_folder_fail_closed(
    project: pytest.Pytester, profile: Profile
) -> None:
    (project.path / "tests" / "empty").mkdir()
    profile(
        """
        gates:
          gone:
            kind: demo
            tests: [tests/nowhere]
          empty:
            kind: demo
            tests: [tests/empty]
        """
    )
    result = project.runpytest("--gate=pr")
    assert result.ret == 1
    result.stdout.re_match_lines([r"gone\s+demo\s+error", r"empty\s+demo\s+failed\s+tests 0"])
    out = result.stdout.str()
    assert "test path 'tests/nowhere' does not exist" in out
    assert "0 ran < min_tests 1" in out


def test_declared_checks_are_items(project: pytest.Pytester, profile: Profile) -> None:
    profile(
        """
        gates:
          api:
            kind: demo
            checks: [home, fail-cart]
            min_tests: 2
        """
    )
    result = project.runpytest("--gate=pr", "-v")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*gate:pr::api[[]home[]] PASSED*",
            "*gate:pr::api[[]fail-cart[]] FAILED*",
            "*gate:pr::api FAILED*",
        ]
    )
    out = result.stdout.str()
    assert "check fail-cart failed" in out
    assert "declared at declared.yaml" in out
    found = cases(verdict(project))
    assert found["gate:pr::api[fail-cart]"].find("failure") is not None
    assert found["gate:pr::api[home]"].find("failure") is None


def test_checks_that_cannot_be_declared_are_an_error(
    project: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  api:\n    kind: demo\n    checks: [broken]\n")
    result = project.runpytest("--gate=pr")
    assert result.ret == 1
    result.stdout.re_match_lines([r"api\s+demo\s+error"])
    assert "the check declarations cannot be read" in result.stdout.str()


def test_skipped_member_fails_unless_allowed(project: pytest.Pytester, profile: Profile) -> None:
    (project.path / "tests" / "skip").mkdir()
    (project.path / "tests" / "skip" / "test_s.py").write_text(
        "import pytest\n\ndef test_a():\n    pass\n\n"
        "def test_b():\n    pytest.skip('no browser here')\n\n"
        "@pytest.mark.xfail(reason='known bug')\ndef test_c():\n    assert False\n"
    )
    profile(
        """
        gates:
          strict:
            kind: demo
            tests: [tests/skip]
          lenient:
            kind: demo
            tests: [tests/skip]
            allow_skipped: true
        """
    )
    result = project.runpytest("--gate=pr")
    result.stdout.re_match_lines(
        [
            r"strict\s+demo\s+failed\s+tests 3, passed 1, failed 0, errors 0, skipped 1, xfailed 1",
            r"lenient\s+demo\s+passed",
        ]
    )
    out = result.stdout.str()
    assert "FAILED: 1 skipped (allow_skipped is false); 1 xfailed (allow_skipped" in out
    assert "SKIPPED tests/skip/test_s.py::test_b - no browser here" in out
    assert "XFAILED tests/skip/test_s.py::test_c - expected to fail: known bug" in out
    assert result.ret == 1


def test_only_expected_failures_never_pass(project: pytest.Pytester, profile: Profile) -> None:
    """xfailed members are not counted as run: all-xfail suites fail min_tests."""
    (project.path / "tests" / "xf").mkdir()
    (project.path / "tests" / "xf" / "test_x.py").write_text(
        "import pytest\n\n@pytest.mark.xfail\ndef test_a():\n    assert False\n\n"
        "@pytest.mark.xfail\ndef test_b():\n    assert False\n"
    )
    profile("gates:\n  xf:\n    kind: demo\n    tests: [tests/xf]\n    allow_skipped: true\n")
    result = project.runpytest("--gate=pr")
    assert result.ret == 1
    assert "FAILED: 0 ran < min_tests 1 of 2 members" in result.stdout.str()


def test_a_partial_run_says_so_in_the_verdict(project: pytest.Pytester, profile: Profile) -> None:
    profile("gates:\n  e2e:\n    kind: demo\n    tests: [tests/e2e/test_shop.py]\n")
    whole = project.runpytest("--gate=pr")
    assert whole.ret == 0
    assert "partial run" not in whole.stdout.str()
    props = {p.get("name"): p.get("value") for p in verdict(project).iter("property")}
    assert "gate.partial" not in props
    part = project.runpytest("--gate=pr", "-k", "test_home")
    assert part.ret == 0
    part.stdout.fnmatch_lines(["partial run (-k 'test_home'): *", "verdict: PASSED (partial) *"])
    props = {p.get("name"): p.get("value") for p in verdict(project).iter("property")}
    assert props["gate.partial"] == "-k 'test_home'"


def test_k_and_gate_only_select_within_suites(project: pytest.Pytester, profile: Profile) -> None:
    profile(
        """
        gates:
          e2e:
            kind: demo
            tests: [tests/e2e]
          unit:
            kind: demo
            tests: [tests/unit]
          other:
            kind: echo
            value: 1
        """
    )
    result = project.runpytest("--gate=pr", "-k", "test_home or test_cart", "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.re_match_lines([r"e2e\s+demo\s+passed\s+tests 2,"])
    assert "test_checkout" not in result.stdout.str()
    assert set(cases(verdict(project))) == {
        "tests/e2e/test_shop.py::test_home",
        "tests/e2e/test_shop.py::test_cart",
        "e2e",
    }

    result = project.runpytest("--gate=pr", "-k", "not test_checkout")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["collected 7 items / 1 deselected / 6 selected"])
    result.stdout.re_match_lines([r"e2e\s+demo\s+passed\s+tests 2,", r"unit\s+demo\s+passed"])

    result = project.runpytest("--gate=pr", "--gate-only", "unit", "-v")
    assert result.ret == 0
    assert set(cases(verdict(project))) == {"tests/unit/test_unit.py::test_unit", "unit"}

    result = project.runpytest("--gate=pr", "-k", "unit")  # a gate id selects its members
    assert result.ret == 0
    assert set(cases(verdict(project))) == {"tests/unit/test_unit.py::test_unit", "unit"}


def test_advisory_suite_does_not_fail_the_run(project: pytest.Pytester, profile: Profile) -> None:
    profile(
        """
        gates:
          e2e:
            kind: demo
            blocking: false
            tests: [tests/e2e]
        """
    )
    result = project.runpytest("--gate=pr")
    assert result.ret == 0, result.stdout.str()
    assert "verdict: PASSED" in result.stdout.str()
    member = cases(verdict(project))["tests/e2e/test_broken.py::test_checkout"]
    assert member.find("failure") is None
    assert "ADVISORY" in (member.findtext("system-out") or "")


def test_rootdir_as_suite_path(project: pytest.Pytester, profile: Profile) -> None:
    profile("gates:\n  all:\n    kind: demo\n    tests: [.]\n    min_tests: 3\n")
    result = project.runpytest("--gate=pr", "-k", "not test_checkout")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["collected 5 items / 1 deselected / 4 selected"])
    result.stdout.re_match_lines([r"all\s+demo\s+passed\s+tests 3,"])


@pytest.mark.parametrize("workers", ["2"])
def test_suites_under_xdist(project: pytest.Pytester, profile: Profile, workers: str) -> None:
    profile(
        """
        gates:
          e2e:
            kind: demo
            tests: [tests/e2e/test_shop.py]
          unit:
            kind: demo
            tests: [tests/unit]
          api:
            kind: demo
            checks: [a, b, c]
          one:
            kind: echo
            value: 1
          two:
            kind: echo
            value: 2
        """
    )
    result = project.runpytest("--gate=pr", "-n", workers)
    assert result.ret == 0, result.stdout.str()
    result.stdout.re_match_lines(
        [
            r"e2e\s+demo\s+passed\s+tests 2, passed 2.*seen 1",
            r"unit\s+demo\s+passed\s+tests 1, passed 1",
            r"api\s+demo\s+passed\s+tests 3, passed 3",
        ]
    )
    assert len(cases(verdict(project))) == 5 + 2 + 1 + 3


def test_suite_fixture_outside_a_gate_run(project: pytest.Pytester) -> None:
    result = project.runpytest("tests/e2e/test_shop.py")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*no suite gate owns it*"])


def test_verdict_with_members_is_valid_junit(
    project: pytest.Pytester, profile: Profile, data: Path
) -> None:
    import junitparser
    import xmlschema

    (project.path / "tests" / "skip").mkdir()
    (project.path / "tests" / "skip" / "test_s.py").write_text(
        "import pytest\n\ndef test_b():\n    pytest.skip('not here')\n"
    )
    profile(
        """
        gates:
          e2e:
            kind: demo
            tests: [tests/e2e, tests/skip]
          api:
            kind: demo
            checks: [ok, fail-x]
        """
    )
    result = project.runpytest("--gate=pr")
    assert result.ret == 1
    path = project.path / "gate-verdict.xml"
    xmlschema.XMLSchema(data / "schemas" / "junit-10.xsd").validate(path)
    suite = next(iter(junitparser.JUnitXml.fromfile(str(path))))
    # 4 tests + 2 checks + 2 gates; failures: test_checkout, fail-x, both gates; 1 skipped.
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (8, 4, 0, 1)


def test_a_check_that_cannot_evaluate_is_an_error(
    project: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  api:\n    kind: demo\n    checks: [ok, err-x]\n")
    result = project.runpytest("--gate=pr", "-v")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*gate:pr::api[[]err-x[]] ERROR*"])
    result.stdout.re_match_lines([r"api\s+demo\s+failed\s+tests 2, passed 1, failed 0, errors 1"])
    # The gate's list names the check's summary line, not the last line of its text.
    assert "ERROR gate:pr::api[err-x] - ERROR: check err-x cannot reach its server" in (
        result.stdout.str()
    )
    case = cases(verdict(project))["gate:pr::api[err-x]"]
    assert case.find("error") is not None
    assert case.find("failure") is None


def test_a_check_obeys_the_gate_timeout(project: pytest.Pytester, profile: Profile) -> None:
    profile("gates:\n  api:\n    kind: demo\n    checks: [ok, slow]\n")
    result = project.runpytest("--gate=pr", "-o", "gate_timeout=0.5")
    assert result.ret == 1
    assert "ERROR gate:pr::api[slow] - ERROR: timed out after 0.5 s" in result.stdout.str()
