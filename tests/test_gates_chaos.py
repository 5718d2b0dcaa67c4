"""The ``chaos`` gate kind.

Journal summaries on real chaostoolkit journals (tests/data/chaos/journals), then real
experiments run in-process through chaoslib: the example's kill-service experiment against
the real example shop, supervised (the service is killed and comes back) and not (nothing
restarts it), and invalid, malformed, deviating and secret-bearing experiments.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
from chaos_shop import SupervisedShop, broken_supervised_shop, supervised_shop, wait_for_new_pid
from secrecy import assert_hidden, run_output
from shopsvc import SHOP, start_shop

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.formats.chaos_journal import read_journal, summarise
from pytest_gates.formats.chaos_secrets import redact_journal, redact_text
from pytest_gates.formats.errors import FormatError
from pytest_gates.gates.chaos import ChaosGate

from conftest import DATA, REPO, Profile

JOURNALS = DATA / "chaos" / "journals"
EXPERIMENTS = DATA / "chaos" / "experiments"
KILL = REPO / "examples" / "shop" / "chaos" / "kill-service.json"
SECRET = "s3cr3t-token-for-chaos-tests"
__all__ = ["broken_supervised_shop", "supervised_shop"]  # fixtures, imported for their use


def journal(name: str) -> Any:
    return read_journal(JOURNALS / f"chaostoolkit-1.19-chaoslib-1.44-{name}.json")


def gate(experiments: list[str], **settings: Any) -> ChaosGate:
    defaults = {
        "tests": [],
        "min_tests": 1,
        "allow_skipped": False,
        "configuration": {},
        "secrets": {},
        "rollback_strategy": None,
        "allow_failed_activities": False,
    }
    return ChaosGate({**defaults, "experiments": experiments, **settings})


def run_one(root: Path, pattern: str, evidence: Path, **settings: Any) -> Outcome:
    ctx = RunContext("chaos", root, evidence_root=evidence)
    (check,) = gate([pattern], **settings).checks(ctx)
    return check.run(ctx)


def evidence_text(root: Path, outcome: Outcome) -> str:
    return "".join((root / e).read_text() for e in outcome.evidence)


# -- journal summaries (corpus journals) ---------------------------------------------------


def test_completed_journal_lists_probes_activities_and_rollbacks() -> None:
    summary = journal("completed")
    assert summary.passed
    assert summary.verdict() == "completed: steady state met before and after the method (2 probes)"
    lines = summary.lines()
    assert lines[:4] == [
        "experiment 'Service stays healthy when a cache file is touched': status completed,"
        " deviated false",
        "steady state before the method: met",
        "  + target-file-exists: tolerance true, value true: met",
        "  + latency-under-200ms: tolerance range [0, 200], value 120: met",
    ]
    assert "  list-directory (action): succeeded - exit 0, stdout '__init__.py'" in lines
    assert "  read-uptime (probe): succeeded - exit 0, stdout '510.14 679.55'" in lines
    assert lines[-2:] == ["rollbacks:", "  noop-rollback (action): succeeded - exit 0"]


def test_deviated_journal_names_the_probe_after_the_method() -> None:
    summary = journal("deviated")
    assert not summary.passed
    assert summary.verdict() == (
        "steady state not met after the method (deviated): probe 'marker-file-exists'"
        " value false not within tolerance true"
    )
    lines = summary.lines()
    after = lines.index("steady state after the method: NOT MET")
    assert lines[after + 1] == "  - marker-file-exists: tolerance true, value false: NOT MET"
    assert "  restore-marker-file (action): succeeded - exit 0" in lines


def test_failed_journal_stops_before_the_method() -> None:
    summary = journal("failed")
    assert not summary.passed
    assert summary.verdict() == (
        "steady state not met before the method: probe 'dependency-reachable' failed:"
        " ActivityFailed: probe exploded on purpose; the method did not run"
    )
    lines = summary.lines()
    assert "method: not run" in lines
    assert "steady state after the method: not checked" in lines
    assert lines[-1] == "rollbacks: none declared"


def test_interrupted_journal() -> None:
    summary = journal("interrupted")
    assert not summary.passed
    assert summary.verdict().startswith("interrupted:")
    assert "  exit-gracefully (action): unfinished" in summary.lines()
    assert "  failing-action (action): succeeded - exit 1" in summary.lines()


def test_continuous_journal_counts_the_checks_during_the_method() -> None:
    summary = journal("continuous")
    assert len(summary.during) == 2
    assert "steady state during the method: 2 checks, 1 not met" in summary.lines()
    assert summary.verdict().startswith("steady state not met after the method (deviated)")


def test_an_exploration_without_a_hypothesis_fails() -> None:
    """Finding 5: chaoslib completes it (and `chaos run` exits 0), but nothing was verified.
    (It passed with a note before.)"""
    summary = journal("no-hypothesis")
    assert (summary.status, summary.deviated) == ("completed", False)
    assert not summary.passed
    assert not summary.passes(allow_failed_activities=True)
    assert summary.verdict() == (
        "no steady-state hypothesis with probes: the run verified nothing"
        " (chaoslib completes such an experiment whatever happens)"
    )
    assert (
        "  python-action-that-raises (action): failed - ActivityFailed: probe exploded on purpose"
    ) in summary.lines()


@pytest.mark.parametrize(
    ("name", "passed"),
    [
        ("completed", True),
        ("continuous", False),
        ("deviated", False),
        ("dry-activities", True),
        ("failed", False),
        ("interrupted", False),
        ("no-hypothesis", False),
    ],
)
def test_passed_only_when_completed_not_deviated_and_steady(name: str, passed: bool) -> None:
    summary = journal(name)
    assert summary.passed is passed
    if summary.passed:
        assert summary.status == "completed"
        assert not summary.deviated


def completed_with_first_action(**run: Any) -> dict[str, Any]:
    data = json.loads((JOURNALS / "chaostoolkit-1.19-chaoslib-1.44-completed.json").read_text())
    data["run"][0].update(run)
    return data


def test_a_failed_method_activity_fails_unless_allowed() -> None:
    data = completed_with_first_action(
        status="failed", output=None, exception=["ActivityFailed: ActivityFailed: no such pod\n"]
    )
    summary = summarise(data)
    assert not summary.passed
    assert summary.verdict() == (
        "method activity 'list-directory' failed: ActivityFailed: no such pod;"
        " the fault may not have been injected"
    )
    assert summary.passes(allow_failed_activities=True)
    assert summary.verdict(allow_failed_activities=True) == (
        "completed: steady state met before and after the method (2 probes);"
        " note: 1 method activity failed (list-directory)"
    )


def test_a_process_action_that_exits_non_zero_failed() -> None:
    output = {"status": 1, "stdout": "", "stderr": "kill: no such process\n"}
    summary = summarise(completed_with_first_action(output=output))
    assert not summary.passed  # chaoslib records the action as succeeded
    assert summary.verdict() == (
        "method activity 'list-directory' exited non-zero (exit 1);"
        " the fault may not have been injected"
    )
    assert "  list-directory (action): succeeded - exit 1" in summary.lines()


def test_a_method_without_activities_injected_nothing() -> None:
    data = completed_with_first_action()
    data["run"] = []
    summary = summarise(data)
    assert not summary.passes(allow_failed_activities=True)
    assert summary.verdict() == "the method ran no activity: no fault was injected"


def test_a_hypothesis_failing_before_the_method_never_passes() -> None:
    data = json.loads((JOURNALS / "chaostoolkit-1.19-chaoslib-1.44-completed.json").read_text())
    data["steady_states"]["before"]["steady_state_met"] = False
    data["steady_states"]["before"]["probes"][1]["tolerance_met"] = False
    data["steady_states"]["after"], data["run"] = None, []
    summary = summarise(data)  # chaoslib writes status completed, deviated false here
    assert not summary.passed
    assert summary.verdict() == (
        "steady state not met before the method: probe 'latency-under-200ms' value 120 not"
        " within tolerance range [0, 200]; the method did not run"
    )


def test_a_breach_during_the_method_fails_even_when_chaoslib_did_not_deviate() -> None:
    data = json.loads((JOURNALS / "chaostoolkit-1.19-chaoslib-1.44-continuous.json").read_text())
    data["deviated"] = False  # what chaoslib writes for continuous checks without fail-fast
    data["status"] = "completed"
    data["steady_states"]["after"] = data["steady_states"]["before"]
    summary = summarise(data)
    assert not summary.passed
    assert summary.verdict().startswith("steady state not met during the method (1 of 2 checks)")


def test_steady_state_broken_during_the_method_fails(tmp_path: Path) -> None:
    """Finding 1: a real during-method-only run whose probe fails at every check; chaoslib
    writes completed and not deviated."""
    outcome = run_one(EXPERIMENTS, "own-during-breach.json", tmp_path / "ev")
    assert outcome.status is Status.FAILED, outcome.details
    assert outcome.measured == {"status": "completed", "deviated": False}
    assert re.fullmatch(
        r"steady state not met during the method \((\d+) of \1 checks\): probe"
        r" 'false-exits-0' value exit 1 not within tolerance 0",
        outcome.summary,
    ), outcome.summary
    assert "hypothesis strategy: during-method-only" in outcome.details


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (EXPERIMENTS / "generated-deviated.json", "not a Chaos Toolkit journal"),
        (EXPERIMENTS / "own-truncated.json", "malformed JSON at line"),
        (EXPERIMENTS / "nowhere.json", "file not found"),
    ],
)
def test_what_is_not_a_journal(path: Path, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        read_journal(path)


def test_redact_journal_keeps_references_and_blanks_values() -> None:
    data = json.loads((JOURNALS / "chaostoolkit-1.19-chaoslib-1.44-deviated.json").read_text())
    data["experiment"]["secrets"] = {
        "shop": {"token": {"type": "env", "key": "SHOP_TOKEN"}, "inline": "inline-value"}
    }
    data["run"][0]["output"]["stdout"] = f"token={SECRET}\n"
    data["run"][0]["exception"] = [f"ActivityFailed: GET /?t={SECRET} refused\n"]
    redacted = redact_journal(data, [SECRET, "inline-value"])
    text = json.dumps(redacted)
    assert SECRET not in text
    assert "inline-value" not in text
    assert redacted["experiment"]["secrets"] == {
        "shop": {"token": {"type": "env", "key": "SHOP_TOKEN"}, "inline": "***"}
    }
    assert redacted["run"][0]["output"]["stdout"] == "token=***\n"
    assert data["run"][0]["output"]["stdout"] == f"token={SECRET}\n"  # a copy
    assert redact_text("abc", ["abc"]) == "***"
    assert redact_text("abcdef", ["abc"]) == "abcdef"  # too short to replace inside text


# -- the gate: collection and settings -----------------------------------------------------


def test_one_check_per_experiment_named_by_stem(tmp_path: Path) -> None:
    for name in ("a/kill.json", "b/kill.yaml", "b/latency.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    ctx = RunContext("chaos", tmp_path)
    checks = gate(["**/*.json", "**/*.yaml"]).checks(ctx)
    assert [(c.name, c.location) for c in checks] == [
        ("a/kill.json", "a/kill.json"),
        ("b/kill.yaml", "b/kill.yaml"),
        ("latency", "b/latency.json"),
    ]


def test_no_experiment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"no chaos experiment matches chaos/\*\.json \(under "):
        gate(["chaos/*.json"]).checks(RunContext("chaos", tmp_path))


def test_settings_checks_never_echo_a_secret() -> None:
    problems = ChaosGate.check_settings(
        {"experiments": [], "secrets": {"shop": SECRET}, "configuration": {}}
    )
    assert problems[0] == "'experiments' needs at least one glob"
    assert "scope 'shop' is not a mapping (value not shown)" in problems[1]
    assert SECRET not in " ".join(problems)


# -- the gate: real experiments through chaoslib -------------------------------------------


def test_example_kills_the_service_and_the_supervisor_restarts_it(
    supervised_shop: SupervisedShop, tmp_path: Path
) -> None:
    before = supervised_shop.service_pid()
    config = {"shop_url": supervised_shop.url, "pidfile": str(supervised_shop.pidfile)}
    outcome = run_one(REPO, str(KILL), tmp_path / "evidence", configuration=config)
    after = supervised_shop.service_pid()
    assert outcome.status is Status.PASSED, outcome.details
    assert after != before  # really killed, really restarted
    assert outcome.summary == "completed: steady state met before and after the method (3 probes)"
    assert outcome.measured == {"status": "completed", "deviated": False}
    assert "  + served-by-the-pidfile-process: tolerance true, value true: met" in outcome.details
    assert f'kill-service-process (action): succeeded - {{"killed_pid": {before},' in (
        outcome.details
    )
    journal_path = Path(outcome.evidence[0])
    assert journal_path == tmp_path / "evidence" / "chaos" / "kill-service.journal.json"
    saved = json.loads(journal_path.read_text())
    assert saved["run"][0]["output"] == {"killed_pid": before, "signal": "SIGKILL"}
    assert saved["run"][1]["output"]["pid"] == after
    assert "Action: kill-service-process" in Path(outcome.evidence[1]).read_text()


def test_example_without_a_supervisor_fails_after_the_method(tmp_path: Path) -> None:
    shop = start_shop(tmp_path)
    try:
        config = {"shop_url": shop.url, "pidfile": str(shop.pidfile), "restart_within": 1}
        outcome = run_one(REPO, str(KILL), tmp_path / "evidence", configuration=config)
        assert shop.process.poll() is not None  # killed, and nothing started it again
    finally:
        shop.stop()
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith(
        "steady state not met after the method (deviated): probe 'health-answers-200' failed:"
        f" ActivityFailed: failed to connect to {shop.url}/api/health"
    )
    assert outcome.measured == {"status": "failed", "deviated": True}
    assert "wait-for-restart (probe): failed - ActivityFailed: the shop did not come back" in (
        outcome.details
    )
    assert "  (2 later probes not run)" in outcome.details


def test_example_against_a_broken_release_fails_before_the_method(
    tmp_path: Path, broken_supervised_shop: SupervisedShop
) -> None:
    shop = broken_supervised_shop
    before = shop.service_pid()
    config = {"shop_url": shop.url, "pidfile": str(shop.pidfile)}
    outcome = run_one(REPO, str(KILL), tmp_path / "evidence", configuration=config)
    assert shop.service_pid() == before  # the method did not run: nothing was killed
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "steady state not met before the method: probe 'products-answer-200' value HTTP 500"
        " not within tolerance 200; the method did not run"
    )
    assert "method: not run" in outcome.details


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "chaostoolkit-well-formed-experiment.json",
            r"invalid experiment \(InvalidActivity\): an activity must have a type$",
        ),
        ("own-truncated.json", r"malformed JSON: Expecting value: line 6 column 1"),
        ("own-malformed.yaml", r"Failed parsing YAML experiment: while parsing a flow sequence"),
        ("own-not-a-mapping.json", r"not a Chaos Toolkit experiment \(a mapping is expected"),
    ],
)
def test_invalid_or_malformed_experiments_are_errors(
    name: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(GateError, match=message):
        run_one(EXPERIMENTS, name, tmp_path)
    assert not (tmp_path / "chaos").exists()  # nothing ran


def test_validation_sees_the_configuration_the_gate_gives(tmp_path: Path) -> None:
    experiment = {
        "title": "needs a variable",
        "description": "an env reference without a default",
        "configuration": {"where": {"type": "env", "key": "GATES_CHAOS_TEST_UNSET"}},
        "steady-state-hypothesis": {
            "title": "true exits 0",
            "probes": [
                {
                    "type": "probe",
                    "name": "true-exits-0",
                    "tolerance": 0,
                    "provider": {"type": "process", "path": "true"},
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "echo",
                "provider": {"type": "process", "path": "echo", "arguments": "${where}"},
            }
        ],
    }
    (tmp_path / "exp.json").write_text(json.dumps(experiment))
    with pytest.raises(GateError, match="environment key that does not exist"):
        run_one(tmp_path, "exp.json", tmp_path / "ev")
    outcome = run_one(tmp_path, "exp.json", tmp_path / "ev", configuration={"where": "here"})
    assert outcome.status is Status.PASSED
    assert "  echo (action): succeeded - exit 0, stdout 'here'" in outcome.details


def test_deviated_experiment_fails_and_plays_its_rollback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the experiment works on ./marker.txt
    (tmp_path / "marker.txt").write_text("")
    outcome = run_one(EXPERIMENTS, "generated-deviated.json", tmp_path / "ev")
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "steady state not met after the method (deviated): probe 'marker-file-exists'"
        " value false not within tolerance true"
    )
    assert outcome.measured == {"status": "completed", "deviated": True}
    assert "  restore-marker-file (action): succeeded - exit 0" in outcome.details
    assert (tmp_path / "marker.txt").exists()  # the rollback restored it


@pytest.mark.parametrize(
    ("setting", "played", "source"),
    [
        (None, False, "never (the experiment's runtime.rollbacks.strategy)"),
        ("always", True, "always (the gate's rollback_strategy)"),
    ],
)
def test_rollback_strategy_gate_over_experiment(
    setting: str | None, played: bool, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the experiment touches ./tests/conftest.py
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("")
    name = "chaostoolkit-runtime-rollbacks-strategy.json"
    outcome = run_one(EXPERIMENTS, name, tmp_path / "ev", rollback_strategy=setting)
    assert outcome.status is Status.PASSED
    assert f"rollback strategy: {source}; hypothesis strategy: default" in outcome.details
    assert ("  pretend-to-delete-file (action): succeeded - exit 0" in outcome.details) is played
    assert ("rollbacks: 1 declared, none played" in outcome.details) is not played


@pytest.mark.parametrize("source", ["gate", "env"])
def test_secrets_never_reach_the_outcome_or_the_evidence(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "env":
        monkeypatch.setenv("SHOP_TOKEN_FOR_CHAOS_TESTS", SECRET)  # chaoslib reads os.environ
        secrets = {}
    else:
        secrets = {"shop": {"token": SECRET, "inline": "another-secret-value"}}
    outcome = run_one(EXPERIMENTS, "own-secret-echo.json", tmp_path / "ev", secrets=secrets)
    assert outcome.status is Status.FAILED
    shown = outcome.summary + outcome.details + evidence_text(REPO, outcome)
    for value in (SECRET, "another-secret-value", "inline-secret-in-the-file"):
        assert value not in shown
    assert "failed to connect to http://127.0.0.1:9/?token=***" in outcome.summary
    assert "  + echo-token: tolerance 0, value exit 0, stdout '*** ***': met" in outcome.details
    saved = json.loads(Path(outcome.evidence[0]).read_text())
    assert saved["experiment"]["secrets"]["shop"] == {
        "token": {"type": "env", "key": "SHOP_TOKEN_FOR_CHAOS_TESTS"},
        "inline": "***",
    }


def test_yaml_experiment_and_undeclared_configuration(tmp_path: Path) -> None:
    shutil.copyfile(EXPERIMENTS / "own-explore.yaml", tmp_path / "explore.yaml")
    (tmp_path / "inside").mkdir()
    (tmp_path / "inside" / "only-file.txt").write_text("")
    config = {"folder": str(tmp_path / "inside"), "nope": 1}
    outcome = run_one(tmp_path, "*.yaml", tmp_path / "ev", configuration=config)
    # Finding 5: an exploration without a hypothesis verified nothing (it passed before).
    assert outcome.status is Status.FAILED
    assert outcome.measured == {"status": "completed", "deviated": False}
    assert outcome.summary.startswith("no steady-state hypothesis with probes: the run verified")
    assert "  list-folder (probe): succeeded - exit 0, stdout 'only-file.txt'" in outcome.details
    assert (
        "configuration keys the experiment does not declare (ignored by chaoslib): nope"
    ) in outcome.details


def test_a_fault_that_was_never_injected_fails(tmp_path: Path) -> None:
    """Finding 5: the method's only action raised; chaoslib completes the run, not
    deviated, with the steady state met before and after."""
    outcome = run_one(EXPERIMENTS, "own-fault-not-injected.json", tmp_path / "ev")
    assert outcome.status is Status.FAILED, outcome.details
    assert outcome.measured == {"status": "completed", "deviated": False}
    assert outcome.summary.startswith("method activity 'remove-a-missing-file' failed: ")
    assert outcome.summary.endswith(
        "; the fault may not have been injected (setting 'allow_failed_activities')"
    )
    assert "  remove-a-missing-file (action): failed - " in outcome.details


def test_allow_failed_activities_passes_with_a_note(tmp_path: Path) -> None:
    name = "own-fault-not-injected.json"
    outcome = run_one(EXPERIMENTS, name, tmp_path / "ev", allow_failed_activities=True)
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.summary == (
        "completed: steady state met before and after the method (1 probes);"
        " note: 1 method activity failed (remove-a-missing-file)"
    )


def small_experiment(method: list[Any], strategy: str = "default") -> dict[str, Any]:
    probe = {"type": "probe", "name": "true-exits-0", "tolerance": 0}
    probe["provider"] = {"type": "process", "path": "true"}
    return {
        "title": "small",
        "description": "written by the test",
        "runtime": {"hypothesis": {"strategy": strategy}},
        "steady-state-hypothesis": {"title": "true exits 0", "probes": [probe]},
        "method": method,
    }


@pytest.mark.parametrize(
    ("method", "strategy", "summary"),
    [
        ([], "default", "the method ran no activity: no fault was injected"),
        (
            [{"type": "action", "name": "kill", "provider": {"type": "process", "path": "false"}}],
            "default",
            "method activity 'kill' exited non-zero (exit 1); the fault may not have been"
            " injected (setting 'allow_failed_activities')",
        ),
        (
            [{"type": "action", "name": "kill", "provider": {"type": "process", "path": "true"}}],
            "before-method-only",
            "the steady state was not checked during or after the method (hypothesis strategy"
            " before-method-only?): nothing verified that it held",
        ),
    ],
    ids=["empty-method", "action-exits-1", "before-method-only"],
)
def test_what_chaoslib_completes_but_verified_nothing_fails(
    method: list[Any], strategy: str, summary: str, tmp_path: Path
) -> None:
    (tmp_path / "exp.json").write_text(json.dumps(small_experiment(method, strategy)))
    outcome = run_one(tmp_path, "exp.json", tmp_path / "ev")
    assert outcome.measured == {"status": "completed", "deviated": False}
    assert outcome.status is Status.FAILED, outcome.details
    assert outcome.summary == summary


def test_a_process_action_that_exits_0_passes(tmp_path: Path) -> None:
    kill = {"type": "action", "name": "kill", "provider": {"type": "process", "path": "true"}}
    (tmp_path / "exp.json").write_text(json.dumps(small_experiment([kill])))
    outcome = run_one(tmp_path, "exp.json", tmp_path / "ev")
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.summary == "completed: steady state met before and after the method (1 probes)"


# -- end to end: pytest --gate ---------------------------------------------------------------


def verdict_cases(pytester: pytest.Pytester) -> dict[str, ET.Element]:
    root = ET.parse(pytester.path / "gate-verdict.xml").getroot()
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_gate_run_against_the_supervised_shop(
    pytester: pytest.Pytester, profile: Profile, supervised_shop: SupervisedShop
) -> None:
    before = supervised_shop.service_pid()
    # A timeout makes the engine run the experiment in a helper thread: no signal handlers.
    profile(
        f"""
        gates:
          chaos:
            kind: chaos
            timeout: 120
            experiments: [{KILL}]
            configuration:
              shop_url: ${{SHOP_URL:-{supervised_shop.url}}}
              pidfile: {supervised_shop.pidfile}
        """
    )
    result = pytester.runpytest("--gate=pr", "-v")
    assert result.ret == 0, result.stdout.str()
    assert supervised_shop.service_pid() != before
    result.stdout.fnmatch_lines(
        ["*gate:pr::chaos[[]kill-service[]] PASSED*", "*gate:pr::chaos PASSED*"]
    )
    result.stdout.re_match_lines([r"chaos\s+chaos\s+passed\s+tests 1, passed 1, .*deviated 0"])
    journal_path = ".gate-evidence/chaos/kill-service.journal.json"
    saved = json.loads((pytester.path / journal_path).read_text())
    assert saved["run"][0]["output"]["killed_pid"] == before
    out = verdict_cases(pytester)["gate:pr::chaos[kill-service]"].findtext("system-out") or ""
    assert f"[[ATTACHMENT|{journal_path}]]" in out
    assert "[[ATTACHMENT|.gate-evidence/chaos/kill-service.log]]" in out


def test_gate_run_against_an_unsupervised_shop(
    pytester: pytest.Pytester, profile: Profile, tmp_path: Path
) -> None:
    shop = start_shop(tmp_path)
    profile(
        f"""
        gates:
          chaos:
            kind: chaos
            experiments: [{KILL}]
            configuration: {{shop_url: "{shop.url}", pidfile: "{shop.pidfile}", restart_within: 1}}
        """
    )
    try:
        result = pytester.runpytest("--gate=pr")
    finally:
        shop.stop()
    assert result.ret == 1
    out = result.stdout.str()
    assert (
        "FAILED: steady state not met after the method (deviated): probe 'health-answers-200'"
        f" failed: ActivityFailed: failed to connect to {shop.url}/api/health"
    ) in out
    assert "FAILED gate:pr::chaos[kill-service] - FAILED: steady state not met after the" in out
    assert "re-run this gate: pytest --gate=pr --gate-only chaos" in out
    result.stdout.re_match_lines([r"chaos\s+chaos\s+failed\s+tests 1, passed 0, failed 1"])
    case = verdict_cases(pytester)["gate:pr::chaos[kill-service]"]
    assert case.find("failure") is not None


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_gate_run_invalid_deviated_and_secret_experiments(
    pytester: pytest.Pytester, profile: Profile, monkeypatch: pytest.MonkeyPatch, xdist: list[str]
) -> None:
    monkeypatch.setenv("CHAOS_TEST_TOKEN", SECRET)
    (pytester.path / "marker.txt").write_text("")  # for the deviating experiment
    profile(
        f"""
        gates:
          broken:
            kind: chaos
            experiments:
              - {EXPERIMENTS}/chaostoolkit-well-formed-experiment.json
              - {EXPERIMENTS}/own-truncated.json
            min_tests: 2
          deviated:
            kind: chaos
            experiments: [{EXPERIMENTS}/generated-deviated.json]
          secret:
            kind: chaos
            experiments: [{EXPERIMENTS}/own-secret-echo.json]
            secrets:
              shop: {{token: "${{CHAOS_TEST_TOKEN}}", inline: x-inline-secret}}
        """
    )
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == 1
    out = result.stdout.str()
    result.stdout.re_match_lines(
        [
            r"broken\s+chaos\s+failed\s+tests 2, passed 0, ",
            r"deviated\s+chaos\s+failed\s+tests 1, passed 0, failed 1, .*deviated 1",
            r"secret\s+chaos\s+failed\s+tests 1, passed 0, failed 1",
        ]
    )
    assert "invalid experiment (InvalidActivity): an activity must have a type" in out
    assert "own-truncated.json: malformed JSON" in out
    assert "probe 'marker-file-exists' value false not within tolerance true" in out
    assert "failed to connect to http://127.0.0.1:9/?token=***" in out
    assert_hidden(run_output(pytester, result), SECRET, "x-inline-secret")
    assert (pytester.path / ".gate-evidence/secret/own-secret-echo.journal.json").exists()
    assert (pytester.path / "marker.txt").exists()  # rolled back


def test_gate_run_fault_not_injected_and_allow_failed_activities(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    profile(
        f"""
        gates:
          strict:
            kind: chaos
            experiments: [{EXPERIMENTS}/own-fault-not-injected.json]
          lenient:
            kind: chaos
            allow_failed_activities: true
            experiments: [{EXPERIMENTS}/own-fault-not-injected.json]
        """
    )
    result = pytester.runpytest("--gate=pr")
    assert result.ret == 1
    result.stdout.re_match_lines(
        [
            r"strict\s+chaos\s+failed\s+tests 1, passed 0, failed 1",
            r"lenient\s+chaos\s+passed\s+tests 1, passed 1, ",
        ]
    )
    out = result.stdout.str()
    assert "FAILED: method activity 'remove-a-missing-file' failed: " in out
    cases = verdict_cases(pytester)
    assert cases["gate:pr::strict[own-fault-not-injected]"].find("failure") is not None
    assert cases["gate:pr::lenient[own-fault-not-injected]"].find("failure") is None


def test_a_timed_out_experiment_is_an_error(pytester: pytest.Pytester, profile: Profile) -> None:
    profile(
        f"""
        gates:
          slow:
            kind: chaos
            timeout: 1
            experiments: [{EXPERIMENTS}/own-slow.json]
        """
    )
    # In a subprocess: the gate's timeout interrupts the run with a SIGALRM timer.
    result = pytester.runpytest_subprocess("--gate=pr")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*timed out after 1 s (setting 'timeout'): interrupted*"])
    result.stdout.re_match_lines([r"slow\s+chaos\s+failed\s+tests 1, passed 0, failed 0, errors 1"])


def test_a_timed_out_experiment_stops_and_plays_its_rollbacks(
    pytester: pytest.Pytester, profile: Profile
) -> None:
    """The gate's timeout interrupts the run inside chaoslib (InterruptExecution, as on
    SIGTERM): the experiment stops in its 30 s pause, never reaches its next action, and its
    rollback plays; nothing keeps running behind the later gates."""
    shutil.copyfile(EXPERIMENTS / "own-slow-rollback.json", pytester.path / "slow.json")
    profile(
        """
        gates:
          slow:
            kind: chaos
            timeout: 2
            rollback_strategy: always
            experiments: [slow.json]
        """
    )
    result = pytester.runpytest_subprocess("--gate=pr")
    assert result.ret == 1
    out = result.stdout.str()
    assert "ERROR gate:pr::slow[slow] - ERROR: timed out after 2 s (setting 'timeout'):" in out
    assert "interrupted (InterruptExecution)" in out
    assert (pytester.path / "started.txt").exists()
    assert (pytester.path / "rolled-back.txt").exists()
    assert not (pytester.path / "late.txt").exists()
    journals = list((pytester.path / ".gate-evidence" / "slow").glob("*.journal.json"))
    assert [json.loads(j.read_text())["status"] for j in journals] == ["interrupted"]


# -- the example's supervisor ---------------------------------------------------------------


def test_the_supervisor_restarts_the_service_and_stops_cleanly(
    supervised_shop: SupervisedShop,
) -> None:
    first = supervised_shop.service_pid()
    assert int(supervised_shop.pidfile.read_text()) == first
    os.kill(first, signal.SIGKILL)
    second = wait_for_new_pid(supervised_shop, first)
    assert int(supervised_shop.pidfile.read_text()) == second
    assert supervised_shop.stop() == 0  # SIGTERM: the service stopped, a clean exit
    assert not supervised_shop.pidfile.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(supervised_shop.url + "/api/health", timeout=2)


def test_the_supervisor_gives_up_on_a_service_that_cannot_start(tmp_path: Path) -> None:
    with socket.socket() as taken:  # the service cannot bind: it dies at once, every time
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = [sys.executable, str(SHOP / "supervise.py"), "--port", str(port)]
        args += ["--pidfile", str(tmp_path / "shop.pid"), "--restart-sec", "0"]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "died 5 times within 1 s of starting; giving up" in done.stderr
    assert not (tmp_path / "shop.pid").exists()
