"""The JUnit XML verdict: schema-valid, readable by junitparser, explained, atomic."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import junitparser
import pytest
import xmlschema

from conftest import DATA, Profile

pytestmark = pytest.mark.usefixtures("echo_kind")

SCHEMA = xmlschema.XMLSchema(DATA / "schemas" / "junit-10.xsd")
XDIST = [pytest.param([], id="no-xdist"), pytest.param(["-n", "2"], id="xdist")]
MIXED = """
    gates:
      good: {kind: echo, value: 5, min: 3}
      bad: {kind: echo, value: 1, min: 3}
      broken: {kind: echo, value: 1, mode: gate-error}
      soft: {kind: echo, value: 1, min: 3, blocking: false}
"""


def read(path: Path) -> tuple[ET.Element, dict[str, str]]:
    SCHEMA.validate(str(path))
    root = ET.parse(path).getroot()
    props = {p.get("name", ""): p.get("value", "") for p in root.iter("property")}
    return root, props


def assert_junitparser_agrees(path: Path) -> None:
    xml = junitparser.JUnitXml.fromfile(str(path))
    cases = ET.parse(path).getroot().findall(".//testcase")
    assert cases, "a verdict has at least one testcase"
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    parsed = [case for suite in suites for case in suite]
    assert len(parsed) == len(cases)
    xml.update_statistics()
    assert xml.tests == len(cases)
    failures = sum(1 for c in parsed for r in c.result if isinstance(r, junitparser.Failure))
    errors = sum(1 for c in parsed for r in c.result if isinstance(r, junitparser.Error))
    assert (xml.failures, xml.errors) == (failures, errors)


@pytest.mark.parametrize("xdist", XDIST)
def test_one_testcase_per_gate_with_failure_error_and_properties(
    pytester: pytest.Pytester, profile: Profile, xdist: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef")
    profile(MIXED)
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    path = pytester.path / "gate-verdict.xml"
    root, props = read(path)
    assert_junitparser_agrees(path)
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["good", "bad", "broken", "soft"]
    assert {c.get("classname") for c in cases.values()} == {"gates.pr"}

    failure = cases["bad"].find("failure")
    assert failure is not None
    assert failure.get("type") == "gate.echo"
    assert failure.get("message") == "value 1 < 3"
    assert "measured:  value 1\nthreshold: value >= 3" in (failure.text or "")
    assert (failure.text or "").endswith("re-run this gate: pytest --gate=pr --gate-only bad")

    error = cases["broken"].find("error")
    assert error is not None
    assert (error.get("type"), error.get("message")) == ("gate.error", "the evidence is missing")

    for name in ("good", "soft"):
        assert cases[name].find("failure") is None
        assert cases[name].find("error") is None
    soft = cases["soft"]
    out = soft.findtext("system-out") or ""
    assert out.startswith(
        "ADVISORY (blocking: false), not failing the run: FAILED\nFAILED: value 1 < 3"
    )

    assert props["gate.profile"] == "pr"
    assert props["gate.verdict"] == "failed"
    assert props["gate.revision"] == "0123456789abcdef"
    assert (
        props["gate.good.status"],
        props["gate.good.measured"],
        props["gate.good.threshold"],
    ) == ("passed", "value 5", "value >= 3")
    assert props["gate.bad.status"] == "failed"
    assert props["gate.broken.status"] == "error"
    assert (props["gate.soft.status"], props["gate.soft.blocking"]) == ("failed", "false")


@pytest.mark.parametrize("xdist", XDIST)
def test_a_passing_verdict(pytester: pytest.Pytester, profile: Profile, xdist: list[str]) -> None:
    profile(
        "gates:\n  a: {kind: echo, value: 1}\n"
        "  b: {kind: echo, value: 0, min: 1, blocking: false}\n"
    )
    assert pytester.runpytest("--gate=pr", *xdist).ret == pytest.ExitCode.OK
    path = pytester.path / "gate-verdict.xml"
    _, props = read(path)
    assert_junitparser_agrees(path)
    assert props["gate.verdict"] == "passed"
    # only the controller writes: exactly one verdict file, no temporary left behind
    assert sorted(p.name for p in pytester.path.iterdir() if "verdict" in p.name) == [
        "gate-verdict.xml"
    ]


def test_verdict_path_from_option_and_ini(pytester: pytest.Pytester, profile: Profile) -> None:
    profile("gates:\n  a: {kind: echo, value: 1}\n")
    pytester.makeini("[pytest]\ngate_verdict = out/ini-verdict.xml\n")
    pytester.runpytest("--gate=pr")
    assert (pytester.path / "out" / "ini-verdict.xml").exists()
    pytester.runpytest("--gate=pr", "--gate-verdict=cli/v.xml")
    read(pytester.path / "cli" / "v.xml")


def test_the_verdict_replaces_an_old_one_atomically(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  a: {kind: echo, value: 1}\n")
    old = pytester.path / "gate-verdict.xml"
    old.write_text("old")
    inode = old.stat().st_ino
    pytester.runpytest("--gate=pr")
    assert old.read_text().startswith("<?xml")
    assert old.stat().st_ino != inode, "written to a new file and renamed over the old one"


def test_revision_from_git(
    pytester: pytest.Pytester, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_gates.verdict import REVISION_VARIABLES

    for name in REVISION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    profile("gates:\n  a: {kind: echo, value: 1}\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=pytester.path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=pytester.path, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=pytester.path, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=pytester.path, capture_output=True, text=True, check=True
    ).stdout.strip()
    pytester.runpytest("--gate=pr")
    _, props = read(pytester.path / "gate-verdict.xml")
    assert props["gate.revision"] == head


def test_broken_profile_and_interrupted_verdicts_are_valid(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile("gates:\n  a: {kind: nope}\n")
    assert pytester.runpytest("--gate=pr").ret == pytest.ExitCode.INTERRUPTED
    root, props = read(pytester.path / "gate-verdict.xml")
    assert props["gate.verdict"] == "failed"
    (case,) = root.iter("testcase")
    assert case.get("name") == "profile"
    error = case.find("error")
    assert error is not None
    assert error.get("type") == "gate.profile"
    assert "unknown kind 'nope'" in (error.text or "")

    profile("gates:\n  a: {kind: echo, value: 1, mode: interrupt}\n  b: {kind: echo, value: 1}\n")
    pytester.runpytest_subprocess("--gate=pr")
    root, props = read(pytester.path / "gate-verdict.xml")
    assert_junitparser_agrees(pytester.path / "gate-verdict.xml")
    assert props["gate.verdict"] == "failed"
    assert props["gate.b.status"] == "not-evaluated"


def test_control_characters_in_messages_stay_valid_xml(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    pytester.makeconftest("""
        import pytest
        from pytest_gates import Gate, Outcome
        class Weird(Gate):
            kind = "weird"
            def evaluate(self, ctx):
                return Outcome.failed(
                    "bell \\x07 and <tag> & \\U0001F600", details="nul \\x00 here"
                )
        @pytest.hookimpl
        def pytest_gates_register_kinds(registry):
            registry.add(Weird)
    """)
    profile("gates:\n  w: {kind: weird}\n")
    pytester.runpytest("--gate=pr")
    root, _ = read(pytester.path / "gate-verdict.xml")
    failure = root.find(".//failure")
    assert failure is not None
    assert failure.get("message") == "bell \ufffd and <tag> & \U0001f600"
