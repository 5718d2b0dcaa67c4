"""The ``verdict`` gate kind on real verdicts: each test first runs ``pytest --gate=staging``
with pytester in a real git checkout, then gates on the verdict that run wrote."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from httpfake import FakeServer, Response

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.formats.gate_verdict import read_verdict
from pytest_gates.gates.verdict import VerdictGate
from pytest_gates.verdict import REVISION_VARIABLES

from conftest import DATA, Profile

PASSING = "mocha-junit-reporter-no-xml-decl.xml"  # 109 testcases, all passed
FAILING = "pytest-9.2-xunit2-fail-error-skip-xfail.xml"  # 1 failure, 1 error
STAGING = """
    gates:
      unit-tests: {kind: junit, reports: [reports/junit/*.xml]}
      docs: {kind: junit, reports: [reports/junit/*.xml], min_tests: 1000, blocking: false}
"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<testsuites><testsuite name="gates.staging"><properties>
<property name="gate.profile" value="&lol2;"/></properties></testsuite></testsuites>
"""


@pytest.fixture(autouse=True)
def no_ci_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    """The revision comes from git here, whatever CI this suite runs in."""
    for name in REVISION_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start()
    yield fake
    fake.stop()


def stage(
    pytester: pytest.Pytester, profile: Profile, report: str, name: str = "staging"
) -> tuple[GitRepo, Path]:
    """A git checkout with a JUnit report; run the ``name`` gate profile on it for real."""
    repo = GitRepo(pytester.path)
    target = pytester.path / "reports" / "junit" / report
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "junit" / report, target)
    repo.write(".gitignore", "reports/\nartifacts/\n.gate-evidence/\n")
    repo.commit("release candidate")
    profile(STAGING, name=name)
    verdict = pytester.path / "artifacts" / f"{name}-verdict.xml"
    pytester.runpytest(f"--gate={name}", f"--gate-verdict={verdict}")
    assert verdict.is_file()
    return repo, verdict


def evaluate(root: Path, **settings: Any) -> Outcome:
    gate = VerdictGate(
        {"path": None, "url": None, "profile": "staging", "allow_partial": False, **settings}
    )
    ctx = RunContext("staging-passed", root)
    try:
        return gate.evaluate(ctx)
    finally:
        ctx.close()


def test_a_passed_verdict_for_this_revision_passes(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    repo, verdict = stage(pytester, profile, PASSING)
    head = repo.head()
    outcome = evaluate(pytester.path, path="artifacts/staging-verdict.xml")
    assert outcome.status is Status.PASSED, outcome.summary
    assert outcome.summary == f"the staging verdict passed (2 gates) for revision {head[:12]}"
    assert outcome.measured == {"profile": "staging", "verdict": "passed", "revision": head[:12]}
    assert outcome.threshold == {
        "profile": "staging",
        "verdict": "passed",
        "revision": f"{head[:12]} (this run)",
    }
    assert f"verdict: {verdict}" in outcome.details
    assert "  unit-tests: passed  tests 109, failures 0, errors 0, skipped 0" in outcome.details
    assert "  docs: failed (advisory)  tests 109, " in outcome.details


def test_a_partial_verdict_vouches_only_when_allowed(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    """A staging run with -k or --gate-only evaluated some gates only: its verdict says so
    (gate.partial), and production refuses it unless allow_partial."""
    repo, verdict = stage(pytester, profile, PASSING)
    pytester.runpytest("--gate=staging", "--gate-only", "unit-tests", f"--gate-verdict={verdict}")
    outcome = evaluate(pytester.path, path="artifacts/staging-verdict.xml")
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "the staging verdict is of a partial run (--gate-only unit-tests): it does not vouch"
        " for the whole profile (setting allow_partial)"
    )
    assert "partial run: --gate-only unit-tests" in outcome.details
    allowed = evaluate(pytester.path, path="artifacts/staging-verdict.xml", allow_partial=True)
    assert allowed.status is Status.PASSED, allowed.summary
    assert allowed.summary == f"the staging verdict passed (1 gate) for revision {repo.head()[:12]}"


def test_a_failed_verdict_fails_listing_its_failed_gates(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    stage(pytester, profile, FAILING)
    outcome = evaluate(pytester.path, path="artifacts/staging-verdict.xml")
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "the staging verdict is failed: unit-tests failed"
        " (1 failed > max_failures 0; 1 errors > max_errors 0 in 1 report)"
    )
    assert outcome.measured["verdict"] == "failed"


def test_a_verdict_for_another_revision_fails_naming_both(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    repo, _ = stage(pytester, profile, PASSING)
    tested = repo.head()
    repo.write("app.py", "changed after staging\n")
    now = repo.commit("a commit staging never saw")
    outcome = evaluate(pytester.path, path="artifacts/staging-verdict.xml")
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        f"the staging verdict is for revision {tested}, this run is for {now}"
    )


def test_the_ci_variable_names_this_run_s_revision(
    pytester: pytest.Pytester, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = stage(pytester, profile, PASSING)
    monkeypatch.setenv("GITHUB_SHA", "0" * 40)
    outcome = evaluate(pytester.path, path="artifacts/staging-verdict.xml")
    assert outcome.summary == (
        f"the staging verdict is for revision {repo.head()}, this run is for {'0' * 40}"
    )


def test_a_verdict_of_another_profile_fails(pytester: pytest.Pytester, profile: Profile) -> None:
    stage(pytester, profile, PASSING, name="pr")
    outcome = evaluate(pytester.path, path="artifacts/pr-verdict.xml")
    assert outcome.status is Status.FAILED
    assert outcome.summary == "the verdict is for profile 'pr', not 'staging'"


def test_this_run_without_a_revision_is_an_error(
    pytester: pytest.Pytester, profile: Profile, tmp_path: Path
) -> None:
    _, verdict = stage(pytester, profile, PASSING)
    with pytest.raises(GateError, match="this run's revision is unknown"):
        evaluate(tmp_path, path=str(verdict))


def test_a_verdict_without_a_revision_cannot_vouch(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    _, verdict = stage(pytester, profile, PASSING)
    text = verdict.read_text()
    start = text.index('<property name="gate.revision" value="') + len(
        '<property name="gate.revision" value="'
    )
    verdict.write_text(text[:start] + "unknown" + text[start + 40 :])
    outcome = evaluate(pytester.path, path=str(verdict))
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith(
        "the staging verdict does not name its revision (unknown), so it cannot vouch for "
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, r"cannot read the staging verdict .*staging-verdict.xml: file not found"),
        (lambda v: v.write_bytes(v.read_bytes()[: len(v.read_bytes()) // 2]), "malformed XML"),
        (lambda v: v.write_bytes(b""), "file is empty"),
        (lambda v: v.write_bytes(LAUGHS), "refused: the document declares entity 'lol'"),
        (
            lambda v: shutil.copyfile(DATA / "junit" / "invalid-xxe-attack.xml", v),
            "refused: the document declares entity",
        ),
        (
            lambda v: shutil.copyfile(DATA / "junit" / PASSING, v),
            "not a pytest-gates verdict: no testsuite has a gate.profile property",
        ),
        (lambda v: v.write_bytes(b"<coverage/>"), "the root element is <coverage>"),
    ],
    ids=["missing", "truncated", "empty", "billion-laughs", "xxe", "plain-junit", "not-junit"],
)
def test_unreadable_verdicts_are_errors(
    pytester: pytest.Pytester, profile: Profile, make: Any, message: str
) -> None:
    _, verdict = stage(pytester, profile, PASSING)
    if make is None:
        verdict.unlink()
    else:
        make(verdict)
    with pytest.raises(GateError, match=message):
        evaluate(pytester.path, path="artifacts/staging-verdict.xml")


def test_a_verdict_served_by_url(
    pytester: pytest.Pytester, profile: Profile, server: FakeServer
) -> None:
    _, verdict = stage(pytester, profile, PASSING)
    body = verdict.read_bytes()
    server.route = lambda req: (
        Response(200, body, headers={"Content-Type": "application/xml"})
        if req.path == "/artifacts/staging/gate-verdict.xml"
        else Response(404, "Not Found")
    )
    outcome = evaluate(pytester.path, url=server.url + "/artifacts/staging/gate-verdict.xml")
    assert outcome.status is Status.PASSED
    saved = pytester.path / ".gate-evidence" / "staging-passed" / "verdict-staging.xml"
    assert outcome.evidence == (str(saved),)
    assert saved.read_bytes() == body
    with pytest.raises(GateError, match=r"/nope.xml answered HTTP 404"):
        evaluate(pytester.path, url=server.url + "/nope.xml")


def test_the_reader_keeps_every_gate(pytester: pytest.Pytester, profile: Profile) -> None:
    repo, verdict = stage(pytester, profile, FAILING)
    found = read_verdict(verdict)
    assert (found.profile, found.verdict, found.revision) == ("staging", "failed", repo.head())
    assert [(g.id, g.status, g.blocking) for g in found.gates.values()] == [
        ("unit-tests", "failed", True),
        ("docs", "failed", False),
    ]
    assert found.gates["docs"].message == ""  # advisory: no <failure> element


def test_settings_are_checked() -> None:
    check = VerdictGate.check_settings
    assert check({"profile": "staging", "path": None, "url": None}) == [
        "set exactly one of 'path' and 'url' (where the verdict is)"
    ]
    assert check({"profile": " ", "path": "a", "url": "file:///x"}) == [
        "set exactly one of 'path' and 'url' (where the verdict is)",
        "'url' 'file:///x' is not an http(s):// URL",
        "'profile' is empty",
    ]


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["no-xdist", "xdist"])
def test_end_to_end_staging_then_production(
    pytester: pytest.Pytester, profile: Profile, xdist: list[str]
) -> None:
    repo, _ = stage(pytester, profile, PASSING)
    profile(
        """
        gates:
          staging-passed:
            kind: verdict
            profile: staging
            path: ${GATE_STAGING_VERDICT:-artifacts/staging-verdict.xml}
        """,
        name="production",
    )
    result = pytester.runpytest("--gate=production", *xdist)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "staging-passed  verdict  passed  profile staging, verdict passed,"
            f" revision {repo.head()[:12]}*"
        ]
    )
    verdict = read_verdict(pytester.path / "gate-verdict.xml")
    assert (verdict.profile, verdict.verdict) == ("production", "passed")
    assert verdict.revision == repo.head()

    repo.write("hotfix.py", "untested = True\n")
    repo.commit("hotfix straight to production")
    result = pytester.runpytest("--gate=production", *xdist)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "FAILED: the staging verdict is for revision *, this run is for *",
            "measured:  profile staging, verdict passed, revision *",
            "  unit-tests: passed  tests 109, failures 0, errors 0, skipped 0",
            "re-run this gate: pytest --gate=production --gate-only staging-passed",
        ]
    )
