"""The ``sonar`` gate kind against a fake SonarQube Web API served on 127.0.0.1 (real HTTP,
nothing patched): the scanner's flow (report-task.txt -> api/ce/task -> analysisId ->
api/qualitygates/project_status), every gate status, failed tasks, auth errors, retries,
budgets, the project-key flow, and the token kept out of every output."""

from __future__ import annotations

import logging
import os
import shutil
import ssl
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_sonar import DOC_CONDITIONS, TOKEN, FakeSonar, report_task, sonar_time
from httpfake import FakeServer, Response
from secrecy import assert_hidden, run_output

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.formats.errors import FormatError
from pytest_gates.formats.sonar import Condition, parse_project_status, read_report_task
from pytest_gates.gates.sonar import SonarGate

from conftest import DATA

TASK = "AYhSC2-LY0CHkWJxvNA9"
ANALYSIS = "AYhSC3WDE6ILQDIMAPIp"
FAST = {"poll_interval": 0.05, "wait": 10.0}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """One real server for the module (stopping one takes 0.5 s); each test gets a fresh
    FakeSonar state and request log on it."""
    started = FakeServer().start()
    yield started
    started.stop()


@pytest.fixture
def sonar(server: FakeServer) -> FakeSonar:
    server.requests.clear()
    return FakeSonar(server)


@pytest.fixture
def project(tmp_path: Path, sonar: FakeSonar) -> Path:
    """A checkout where the sonar-scanner CLI wrote .scannerwork/report-task.txt."""
    write(tmp_path / ".scannerwork" / "report-task.txt", report_task(sonar.url))
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class Run:
    """Evaluates a SonarGate in a RunContext with its own environment; records pauses."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._contexts: list[RunContext] = []

    def __call__(
        self,
        root: Path,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        explain: bool = False,
        **settings: Any,
    ) -> Outcome:
        defaults = {k: s.default for k, s in SonarGate.settings_schema.items()}
        full = {**defaults, **FAST, **settings}
        assert SonarGate.check_settings(full) == []
        gate = SonarGate(full)
        real_sleep = gate.sleep

        def sleep(seconds: float) -> None:
            self.pauses.append(seconds)
            real_sleep(seconds)

        gate.sleep = sleep
        ctx = RunContext("sonar", root, environ=env or {}, timeout=timeout, explain=explain)
        self._contexts.append(ctx)
        return gate.evaluate(ctx)

    def close(self) -> None:
        for ctx in self._contexts:
            ctx.close()


@pytest.fixture
def run() -> Iterator[Run]:
    runner = Run()
    yield runner
    runner.close()


def env(sonar: FakeSonar, **extra: str) -> dict[str, str]:
    return {"SONAR_HOST_URL": sonar.url, "SONAR_TOKEN": TOKEN, **extra}


def paths(sonar: FakeSonar) -> list[str]:
    return [r.path for r in sonar.requests]


# -- report-task.txt ------------------------------------------------------------------------


def test_report_task_as_the_scanners_write_it() -> None:
    # SonarCloud, as written by a scanner (organization first; '=' inside the URLs).
    text = (
        b"organization=mmercan-github\n"
        b"projectKey=Sentinel.Api.HealthMonitoring\n"
        b"serverUrl=https://sonarcloud.io\n"
        b"serverVersion=8.0.0.884\n"
        b"dashboardUrl=https://sonarcloud.io/dashboard?id=Sentinel.Api.HealthMonitoring\n"
        b"ceTaskId=AW2LcrjNeWHkXTI8--hG\n"
        b"ceTaskUrl=https://sonarcloud.io/api/ce/task?id=AW2LcrjNeWHkXTI8--hG\n"
    )
    task = read_report_task(text, "report-task.txt")
    assert task.ce_task_id == "AW2LcrjNeWHkXTI8--hG"
    assert task.organization == "mmercan-github"
    assert task.project_key == "Sentinel.Api.HealthMonitoring"
    assert task.server_url == "https://sonarcloud.io"
    assert task.ce_task_url == "https://sonarcloud.io/api/ce/task?id=AW2LcrjNeWHkXTI8--hG"
    assert task.dashboard_url == "https://sonarcloud.io/dashboard?id=Sentinel.Api.HealthMonitoring"
    # A UTF-8 BOM and Windows line ends (the .NET scanner on Windows) read the same.
    crlf = b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n")
    assert read_report_task(crlf, "r").values == task.values


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"  \n", "file is empty"),
        (b"projectKey=a\nserverUrl=http://x\n", r"no ceTaskId: not a scanner report task"),
        (b"ceTaskId=A\nthis is not a property\n", "line 2 is not key=value"),
        (b"ceTaskId=\xff\xfe\n", "not UTF-8"),
        (b"ceTaskId=A\n" + b"#" * 70_000, "too big"),
    ],
)
def test_report_task_that_cannot_be_read(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_report_task(data, "report-task.txt")


def test_condition_values_are_shown_for_people() -> None:
    gate = parse_project_status(
        {"projectStatus": {"status": "ERROR", "conditions": DOC_CONDITIONS}}
    )
    coverage, blockers = gate.conditions[0], gate.conditions[1]
    assert coverage.short() == "new_coverage 82.51% < 85%"
    assert coverage.requirement() == ">= 85%"
    assert blockers.short() == "new_blocker_violations 14 > 0"
    rating = Condition("ERROR", "new_security_rating", "GT", "1", "5")
    assert rating.short() == "new_security_rating 5 (E) > 1 (A)"
    # Two decimals would read 80.00% < 80%: more decimals show which side it is on.
    close = Condition("ERROR", "coverage", "LT", "80", "79.99999")
    assert close.short() == "coverage 79.99999% < 80%"
    assert Condition("ERROR", "open_issues", "GT", None, "17").describe() == (
        "open_issues 17 (comparator GT, no error threshold in the answer, actual 17)"
    )


# -- the scanner's flow ---------------------------------------------------------------------


def test_pending_then_in_progress_then_success_and_gate_ok(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.add_task(TASK, ["PENDING", "IN_PROGRESS", "SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    outcome = run(project, env(sonar))
    assert outcome.status is Status.PASSED
    assert outcome.summary == f"quality gate OK on analysis {ANALYSIS} of project my-project"
    assert outcome.measured == {"gate": "OK"}
    assert outcome.threshold == {"gate": "OK"}
    assert paths(sonar) == ["/api/ce/task"] * 3 + ["/api/qualitygates/project_status"]
    assert [r.query for r in sonar.requests] == [{"id": TASK}] * 3 + [{"analysisId": ANALYSIS}]
    assert run.pauses == [0.05, 0.05]  # two polls waited poll_interval
    assert "analysis task AYhSC2-LY0CHkWJxvNA9: PENDING -> IN_PROGRESS -> SUCCESS" in (
        outcome.details
    )
    assert f"dashboard: {sonar.url}/dashboard?id=my-project" in outcome.details
    assert "token from variable SONAR_TOKEN" in outcome.details
    # The evidence: the server's own answers, kept beside the verdict.
    names = sorted(Path(p).name for p in outcome.evidence)
    assert names == ["ce-task.json", "project-status.json"]
    assert '"status": "OK"' in Path(outcome.evidence[1]).read_text()


def test_the_token_is_sent_as_basic_auth_with_an_empty_password(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    run(project, env(sonar))
    import base64

    expected = "Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode()
    assert {r.headers["Authorization"] for r in sonar.requests} == {expected}


def test_error_gate_lists_every_condition_in_error(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "ERROR", DOC_CONDITIONS)
    outcome = run(project, env(sonar))
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "quality gate ERROR: 4 conditions failed: new_coverage 82.51% < 85%,"
        " new_blocker_violations 14 > 0, new_critical_violations 1 > 0, open_issues 17;"
        f" {sonar.url}/dashboard?id=my-project"
    )
    assert outcome.measured == {
        "gate": "ERROR",
        "new_coverage": "82.51%",
        "new_blocker_violations": "14",
        "new_critical_violations": "1",
        "open_issues": "17",
    }
    assert outcome.threshold == {
        "gate": "OK",
        "new_coverage": ">= 85%",
        "new_blocker_violations": "<= 0",
        "new_critical_violations": "<= 0",
        "open_issues": "(not given)",
    }
    assert "conditions in ERROR (4):" in outcome.details
    assert (
        "  new_coverage 82.51% < 85% (comparator LT, threshold 85, actual 82.50562381034781)"
        in outcome.details
    )
    assert "other conditions: 3 OK" in outcome.details


def test_explain_lists_the_passed_conditions_too(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "ERROR", DOC_CONDITIONS)
    outcome = run(project, env(sonar), explain=True)
    assert "  OK new_sqale_debt_ratio 0.66% > 5%" in outcome.details
    assert "  OK skipped_tests 0 (comparator GT, no error threshold" in outcome.details


def test_more_than_five_failed_conditions_are_cut_in_the_summary_not_in_the_details(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    conditions = [
        {"status": "ERROR", "metricKey": f"m{i}", "comparator": "GT", "errorThreshold": "0",
         "actualValue": str(i)}
        for i in range(1, 8)
    ]  # fmt: skip
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "ERROR", conditions)
    outcome = run(project, env(sonar))
    assert "m5 5 > 0 and 2 more (see below)" in outcome.summary
    assert "  m7 7 > 0 (comparator GT, threshold 0, actual 7)" in outcome.details


def test_ok_with_no_conditions_passes(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK", [])
    outcome = run(project, env(sonar))
    assert outcome.status is Status.PASSED
    assert "other conditions" not in outcome.details


def test_none_is_an_error_no_gate_attached(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "NONE")
    outcome = run(project, env(sonar))
    assert outcome.status is Status.ERROR
    assert outcome.summary.startswith(
        f"no quality gate is attached to analysis {ANALYSIS} of project my-project (status NONE)"
    )
    assert outcome.measured == {"gate": "NONE"}


WARN = [
    {"status": "WARN", "metricKey": "new_duplicated_lines_density", "comparator": "GT",
     "errorThreshold": "3", "actualValue": "4.2"},
]  # fmt: skip


def test_warn_fails_by_default(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "WARN", WARN)
    outcome = run(project, env(sonar))
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith(
        "quality gate WARN: 1 condition warn: new_duplicated_lines_density 4.2% > 3%;"
    )
    assert outcome.threshold["gate"] == "OK"


def test_warn_passes_with_pass_on_warn(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "WARN", WARN)
    outcome = run(project, env(sonar), pass_on=["OK", "warn"])
    assert outcome.status is Status.PASSED
    assert outcome.summary == (
        "quality gate WARN (accepted by pass_on): new_duplicated_lines_density 4.2% > 3%"
        f" on analysis {ANALYSIS} of project my-project"
    )
    assert outcome.threshold["gate"] == "OK or WARN"


@pytest.mark.parametrize("status", ["FAILED", "CANCELED"])
def test_a_task_that_did_not_succeed_is_an_error(
    project: Path, sonar: FakeSonar, run: Run, status: str
) -> None:
    extra = {"errorMessage": "Date of analysis cannot be older than the date of the last"
             " known analysis on this project.", "hasErrorStacktrace": True}  # fmt: skip
    sonar.add_task(TASK, ["IN_PROGRESS", status], **(extra if status == "FAILED" else {}))
    outcome = run(project, env(sonar))
    assert outcome.status is Status.ERROR
    verb = "failed" if status == "FAILED" else "was canceled"
    assert outcome.summary.startswith(
        f"the analysis of project my-project {verb} on the server (task {TASK} {status}): "
    )
    assert outcome.summary.endswith(f"; {sonar.url}/api/ce/task?id={TASK}")
    if status == "FAILED":
        assert "Date of analysis cannot be older" in outcome.summary
    else:
        assert "no error message" in outcome.summary
    assert "/api/qualitygates/project_status" not in paths(sonar)
    assert outcome.measured == {"task": status}


# -- waiting and retrying -------------------------------------------------------------------


def test_waiting_past_wait_names_the_task_and_its_last_status(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.add_task(TASK, ["PENDING", "IN_PROGRESS"])
    with pytest.raises(GateError) as info:
        run(project, env(sonar), wait=0.3)
    message = str(info.value)
    assert message.startswith(f"analysis task {TASK} still IN_PROGRESS after ")
    assert "of 0.3 s (setting 'wait')" in message
    assert message.endswith(f"{sonar.url}/api/ce/task?id={TASK}")


def test_the_gates_timeout_bounds_the_wait(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["PENDING"])
    with pytest.raises(
        GateError, match=r"still PENDING after .* s of 0\.9 s \(the gate's timeout\)"
    ):
        run(project, env(sonar), timeout=1.0)


def test_a_slow_server_beyond_the_budget_is_an_error(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.faults = [Response(200, {}, delay=1.5)] * 5
    with pytest.raises(GateError) as info:
        run(project, env(sonar), wait=0.4)
    message = str(info.value)
    assert message.startswith(f"gave up on analysis task {TASK} after 0.4 s (setting 'wait'):")
    assert "last status unknown (no answer yet)" in message
    assert "no answer within" in message


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_are_retried_with_backoff(
    project: Path, sonar: FakeSonar, run: Run, status: int
) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    sonar.faults = [Response(status, {"errors": [{"msg": "busy"}]})] * 3
    outcome = run(project, env(sonar))
    assert outcome.status is Status.PASSED
    assert paths(sonar) == ["/api/ce/task"] * 4 + ["/api/qualitygates/project_status"]
    assert run.pauses == [0.05, 0.1, 0.2]  # doubling from min(poll_interval, 1 s)


def test_retry_after_is_honoured(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    sonar.faults = [Response(429, "", headers={"Retry-After": "0.3"})]
    assert run(project, env(sonar)).status is Status.PASSED
    assert run.pauses == [0.3]


def test_a_server_that_keeps_failing_gives_up_within_the_budget(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.faults = [Response(503, {"errors": [{"msg": "Service Unavailable"}]})] * 100
    with pytest.raises(GateError) as info:
        run(project, env(sonar), wait=0.5)
    message = str(info.value)
    assert "gave up on analysis task" in message
    assert "HTTP 503 Service Unavailable: Service Unavailable" in message
    assert "attempts)" in message


def test_a_dropped_connection_is_retried(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    sonar.faults = [Response(drop=True)]
    outcome = run(project, env(sonar))
    assert outcome.status is Status.PASSED
    assert paths(sonar).count("/api/ce/task") == 2


def test_connection_refused_until_the_budget_ends(project: Path, run: Run) -> None:
    server = FakeServer().start()  # then closed: nothing listens on its port any more
    url = server.url
    server.stop()
    write(project / ".scannerwork" / "report-task.txt", report_task(url))
    with pytest.raises(GateError, match=r"connection failed: .*refused"):
        run(project, {"SONAR_HOST_URL": url, "SONAR_TOKEN": TOKEN}, wait=0.3)


# -- HTTP errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "settings", "source"),
    [
        ({"SONAR_TOKEN": "squ_wrong"}, {}, "variable SONAR_TOKEN"),
        ({}, {"token": "squ_wrong"}, "setting 'token'"),
        ({"SONAR_TOKEN": "squ_wrong"}, {"token": "squ_wrong"}, "setting 'token' (= $SONAR_TOKEN)"),
    ],
)
def test_401_names_where_the_token_came_from_never_its_value(
    project: Path,
    sonar: FakeSonar,
    run: Run,
    environ: dict[str, str],
    settings: dict[str, Any],
    source: str,
) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    with pytest.raises(GateError) as info:
        run(project, {"SONAR_HOST_URL": sonar.url, **environ}, **settings)
    message = str(info.value)
    assert message == (
        f"{sonar.url} refused the token from {source} (HTTP 401 Unauthorized):"
        " it is wrong, expired or revoked; generate a new user token"
    )
    assert "squ_wrong" not in message


def test_403_shows_the_servers_message(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.forbidden.add(TASK)
    with pytest.raises(GateError) as info:
        run(project, env(sonar))
    assert str(info.value) == (
        f"the token from variable SONAR_TOKEN may not read analysis task {TASK} on {sonar.url}"
        " (HTTP 403 Forbidden: Insufficient privileges): its user needs 'Browse' permission"
        " on the project"
    )


def test_404_of_the_task_names_it(project: Path, sonar: FakeSonar, run: Run) -> None:
    with pytest.raises(GateError) as info:
        run(project, env(sonar))
    assert str(info.value) == (
        f"analysis task {TASK} not found on {sonar.url}"
        f" (HTTP 404 Not Found: No activity found for task '{TASK}')"
    )


def test_404_of_the_analysis_names_it(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    with pytest.raises(GateError) as info:
        run(project, env(sonar))
    assert str(info.value) == (
        f"analysis {ANALYSIS} (of task {TASK}) not found on {sonar.url}"
        f" (HTTP 404 Not Found: Analysis with id '{ANALYSIS}' is not found)"
    )


def test_an_answer_that_is_not_json_is_an_error(project: Path, sonar: FakeSonar, run: Run) -> None:
    sonar.faults = [Response(200, "<html>Please log in</html>")]
    with pytest.raises(GateError, match=r"answered 200 with something that is not JSON"):
        run(project, env(sonar))


def test_an_answer_of_the_wrong_shape_is_an_error(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.faults = [Response(200, {"task": {"status": "EXPLODED"}})]
    with pytest.raises(
        GateError, match=r"unexpected answer from .*: unknown task status 'EXPLODED'"
    ):
        run(project, env(sonar))


# -- the project-key flow, SonarCloud -------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "query", "where"),
    [
        ({"branch": "release/2.1"}, {"branch": "release/2.1"}, " (branch release/2.1)"),
        ({"pull_request": "5461"}, {"pullRequest": "5461"}, " (pull request 5461)"),
        ({"main_branch": True}, {}, ""),
    ],
)
def test_project_key_flow_without_a_report_task(
    tmp_path: Path,
    sonar: FakeSonar,
    run: Run,
    settings: dict[str, str],
    query: dict[str, str],
    where: str,
) -> None:
    sonar.add_project_gate(
        "my-project",
        "ERROR",
        DOC_CONDITIONS[:1],
        branch=settings.get("branch", ""),
        pull_request=settings.get("pull_request", ""),
    )
    outcome = run(tmp_path, env(sonar), project_key="my-project", **settings)
    assert outcome.status is Status.FAILED
    assert [r.query for r in sonar.requests] == [{"projectKey": "my-project", **query}]
    assert "/api/ce/task" not in paths(sonar)
    assert f"the latest analysis of project my-project{where}" in outcome.details
    assert "it may predate this run" in outcome.details
    dashboard = sonar.requests[0].query  # the dashboard link carries the same branch / PR
    assert f"{sonar.url}/dashboard?id=my-project" in outcome.summary
    assert all(
        v.replace("/", "%2F") in outcome.summary for k, v in dashboard.items() if k != "projectKey"
    )


def test_project_key_flow_404_names_the_project(tmp_path: Path, sonar: FakeSonar, run: Run) -> None:
    with pytest.raises(GateError) as info:
        run(tmp_path, env(sonar), project_key="nope", branch="main")
    assert str(info.value) == (
        f"project nope (branch main) not found on {sonar.url}"
        " (HTTP 404 Not Found: Project 'nope' on branch 'main' not found)"
    )


def test_a_report_task_wins_over_project_key_never_a_key_query(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    sonar.add_project_gate("my-project", "ERROR", DOC_CONDITIONS, branch="main")
    outcome = run(project, env(sonar), project_key="my-project", branch="main")
    assert outcome.status is Status.PASSED
    assert all("projectKey" not in r.query for r in sonar.requests)


def test_a_report_task_of_another_project_is_an_error(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    with pytest.raises(GateError, match=r"report-task.txt is for project my-project, not other"):
        run(project, env(sonar), project_key="other")
    assert sonar.requests == []


def test_sonarcloud_organization(tmp_path: Path, sonar: FakeSonar, run: Run) -> None:
    write(
        tmp_path / "target" / "sonar" / "report-task.txt",
        report_task(sonar.url, organization="acme", dashboard_query="&pullRequest=12"),
    )
    sonar.add_task(TASK, ["SUCCESS"], organization="acme", pullRequest="12")
    sonar.add_gate(ANALYSIS, "OK")
    # The host comes from the report task's serverUrl when SONAR_HOST_URL is not set.
    outcome = run(tmp_path, {"SONAR_TOKEN": TOKEN}, organization="acme")
    assert outcome.status is Status.PASSED
    assert outcome.summary.endswith("of project my-project (pull request 12)")
    assert f"server: {sonar.url} (serverUrl in {tmp_path}/target/sonar/report-task.txt)" in (
        outcome.details
    )
    with pytest.raises(GateError, match=r"is for organization acme, not other \(setting"):
        run(tmp_path, {"SONAR_TOKEN": TOKEN}, organization="other")


def test_a_task_of_another_organization_is_an_error(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.add_task(TASK, ["SUCCESS"], organization="someone-else")
    with pytest.raises(GateError, match=r"belongs to organization someone-else, not acme"):
        run(project, env(sonar), organization="acme")


# -- this run's analysis: not the main branch by default, not an old one, not another PR's ---


def test_project_key_alone_does_not_silently_read_the_main_branch(
    tmp_path: Path, sonar: FakeSonar, run: Run
) -> None:
    # The scanner never ran (no report task): the latest analysis of the main branch is
    # not this change's analysis.
    sonar.add_project_gate("my-project", "OK")
    with pytest.raises(GateError) as info:
        run(tmp_path, env(sonar), project_key="my-project")
    assert str(info.value).startswith("no report task in .scannerwork/report-task.txt, ")
    assert (
        "'project_key' alone names no analysis of this change: set 'branch' or"
        " 'pull_request' (or 'main_branch: true' to read the main branch's latest analysis)"
    ) in str(info.value)
    assert sonar.requests == []
    outcome = run(tmp_path, env(sonar), project_key="my-project", main_branch=True)
    assert outcome.status is Status.PASSED
    assert "the latest analysis of project my-project (main branch)" in outcome.summary


def test_main_branch_goes_with_project_key_not_with_branch() -> None:
    base = {k: s.default for k, s in SonarGate.settings_schema.items()}
    assert SonarGate.check_settings({**base, "project_key": "k", "main_branch": True}) == []
    assert SonarGate.check_settings(
        {**base, "project_key": "k", "branch": "b", "main_branch": True}
    ) == ["'main_branch' reads the main branch: not with 'branch' or 'pull_request'"]
    assert SonarGate.check_settings({**base, "main_branch": True}) == [
        "'main_branch' goes with 'project_key'"
    ]


def test_a_report_task_older_than_max_age_is_an_error(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    report = project / ".scannerwork" / "report-task.txt"
    forty_days_ago = datetime.now().timestamp() - 40 * 86400
    os.utime(report, (forty_days_ago, forty_days_ago))
    with pytest.raises(GateError) as info:
        run(project, env(sonar))
    assert str(info.value) == (
        f"report task {report} was written 960.0 h ago, more than max_age_hours 24:"
        " not this run's analysis (did the scanner run in this job?)"
    )
    assert sonar.requests == []
    assert run(project, env(sonar), max_age_hours=0).status is Status.PASSED
    assert run(project, env(sonar), max_age_hours=1000).status is Status.PASSED


def test_a_task_submitted_longer_ago_than_max_age_is_an_error(
    project: Path, sonar: FakeSonar, run: Run
) -> None:
    # A fresh file (restored from a cache, copied from an artifact) of an old analysis.
    old = sonar_time(datetime.now().astimezone() - timedelta(days=40))
    sonar.add_task(TASK, ["SUCCESS"], submittedAt=old)
    sonar.add_gate(ANALYSIS, "OK")
    with pytest.raises(GateError) as info:
        run(project, env(sonar))
    assert str(info.value).startswith(
        f"analysis task {TASK} was submitted at {old} (960.0 h ago), more than max_age_hours 24:"
    )
    assert "/api/qualitygates/project_status" not in paths(sonar)
    assert run(project, env(sonar), max_age_hours=0).status is Status.PASSED


@pytest.mark.parametrize(
    ("task", "ci", "message"),
    [
        (
            {"pullRequest": "12"},
            {"CI_MERGE_REQUEST_IID": "99"},
            "analysed pull request 12, but this run is for pull request 99 (CI_MERGE_REQUEST_IID)",
        ),
        (
            {"pullRequest": "12"},
            {"GITHUB_REF": "refs/pull/99/merge", "GITHUB_HEAD_REF": "feature"},
            "analysed pull request 12, but this run is for pull request 99 (GITHUB_REF)",
        ),
        (
            {"pullRequest": "12"},
            {"CI_COMMIT_REF_NAME": "main"},
            "analysed pull request 12, but this run is for branch main (CI_COMMIT_REF_NAME)",
        ),
        (
            {"branch": "main", "branchType": "BRANCH"},
            {"GITHUB_REF": "refs/pull/99/merge", "GITHUB_HEAD_REF": "feature"},
            "analysed branch main, but this run is for pull request 99 (GITHUB_REF)",
        ),
        (
            {"branch": "main", "branchType": "BRANCH"},
            {"GITHUB_REF": "refs/heads/release/2.1"},
            "analysed branch main, but this run is for branch release/2.1 (GITHUB_REF)",
        ),
        (
            {"branch": "old-feature", "branchType": "BRANCH"},
            {"CI_COMMIT_REF_NAME": "feature"},
            "analysed branch old-feature, but this run is for branch feature (CI_COMMIT_REF_NAME)",
        ),
    ],
)
def test_a_task_for_another_pull_request_or_branch_than_ci_is_an_error(
    project: Path,
    sonar: FakeSonar,
    run: Run,
    task: dict[str, str],
    ci: dict[str, str],
    message: str,
) -> None:
    sonar.add_task(TASK, ["SUCCESS"], **task)
    sonar.add_gate(ANALYSIS, "OK")
    with pytest.raises(GateError) as info:
        run(project, env(sonar, **ci))
    assert str(info.value) == (
        f"analysis task {TASK} {message}: not this run's analysis"
        " (is report-task.txt left over from another build?)"
    )
    assert "/api/qualitygates/project_status" not in paths(sonar)


@pytest.mark.parametrize(
    ("task", "ci", "note"),
    [
        (
            {"pullRequest": "99"},
            {"CI_MERGE_REQUEST_IID": "99", "CI_COMMIT_REF_NAME": "feature"},
            "pull request 99 = CI_MERGE_REQUEST_IID",
        ),
        (
            {"pullRequest": "99"},
            {"GITHUB_REF": "refs/pull/99/merge", "GITHUB_HEAD_REF": "feature"},
            "pull request 99 = GITHUB_REF",
        ),
        (
            {"branch": "release/2.1", "branchType": "BRANCH"},
            {"GITHUB_REF": "refs/heads/release/2.1"},
            "branch release/2.1 = GITHUB_REF",
        ),
        (
            {"branch": "v1.2", "branchType": "BRANCH"},
            {"CI_COMMIT_REF_NAME": "v1.2", "CI_COMMIT_TAG": "v1.2"},
            "not compared: this run builds no branch or pull request",
        ),
        (
            {},
            {"CI_COMMIT_REF_NAME": "feature"},
            "not compared: the task names no branch or pull request",
        ),
        ({"pullRequest": "99"}, {}, "not compared: no CI variable names a branch or pull request"),
    ],
)
def test_a_task_that_agrees_with_ci_passes_and_says_so(
    project: Path,
    sonar: FakeSonar,
    run: Run,
    task: dict[str, str],
    ci: dict[str, str],
    note: str,
) -> None:
    sonar.add_task(TASK, ["SUCCESS"], **task)
    sonar.add_gate(ANALYSIS, "OK")
    outcome = run(project, env(sonar, **ci))
    assert outcome.status is Status.PASSED
    assert f"this run: {note}" in outcome.details


# -- TLS with a private CA -----------------------------------------------------------------


@pytest.fixture
def tls_sonar() -> Iterator[FakeSonar]:
    """The fake server over real TLS, with a certificate of a private test CA."""
    server = FakeServer()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(DATA / "sonar" / "server.pem", DATA / "sonar" / "server-key.pem")
    # httpfake has no TLS option: wrap its listening socket before it starts serving.
    server._httpd.socket = context.wrap_socket(server._httpd.socket, server_side=True)
    server.url = server.url.replace("http://", "https://")
    server.start()
    yield FakeSonar(server)
    server.stop()


def test_a_private_ca_needs_ca_bundle(tmp_path: Path, tls_sonar: FakeSonar, run: Run) -> None:
    write(tmp_path / ".scannerwork" / "report-task.txt", report_task(tls_sonar.url))
    tls_sonar.add_task(TASK, ["SUCCESS"])
    tls_sonar.add_gate(ANALYSIS, "OK")
    with pytest.raises(GateError) as info:
        run(tmp_path, env(tls_sonar))
    assert str(info.value).startswith(f"TLS with {tls_sonar.url} failed (")
    assert "certificate verify failed" in str(info.value)
    assert str(info.value).endswith(
        "if the server uses a private CA, point 'ca_bundle' at its certificate (PEM)"
    )
    shutil.copyfile(DATA / "sonar" / "ca.pem", tmp_path / "ca.pem")
    assert run(tmp_path, env(tls_sonar), ca_bundle="ca.pem").status is Status.PASSED


# -- inputs that fail closed ----------------------------------------------------------------


def test_no_report_task_anywhere(tmp_path: Path, sonar: FakeSonar, run: Run) -> None:
    with pytest.raises(GateError) as info:
        run(tmp_path, env(sonar))
    assert str(info.value).startswith(
        "no report-task.txt in .scannerwork/report-task.txt, target/sonar/report-task.txt,"
        " build/sonar/report-task.txt, .sonarqube/out/.sonar/report-task.txt (under "
    )
    assert sonar.requests == []


def test_an_explicit_report_task_that_is_missing(
    tmp_path: Path, sonar: FakeSonar, run: Run
) -> None:
    with pytest.raises(
        GateError, match=r"no report task at .*build/x.txt \(setting 'report_task'\)"
    ):
        run(tmp_path, env(sonar), report_task="build/x.txt", project_key="my-project")


def test_several_report_tasks_are_ambiguous(project: Path, sonar: FakeSonar, run: Run) -> None:
    write(project / "build" / "sonar" / "report-task.txt", report_task(sonar.url))
    with pytest.raises(GateError, match=r"several report tasks: .*; say which with 'report_task'"):
        run(project, env(sonar))
    write(project / "custom.txt", report_task(sonar.url))
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    assert run(project, env(sonar), report_task="custom.txt").status is Status.PASSED


def test_every_scanner_location_is_found(tmp_path: Path, sonar: FakeSonar, run: Run) -> None:
    write(tmp_path / ".sonarqube/out/.sonar/report-task.txt", report_task(sonar.url))
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK")
    outcome = run(tmp_path, env(sonar))
    assert f"report task: {tmp_path}/.sonarqube/out/.sonar/report-task.txt (written" in (
        outcome.details
    )


def test_a_broken_report_task(tmp_path: Path, sonar: FakeSonar, run: Run) -> None:
    write(tmp_path / ".scannerwork" / "report-task.txt", "projectKey=a\n")
    with pytest.raises(GateError, match=r"cannot read report task .*: no ceTaskId"):
        run(tmp_path, env(sonar))


def test_no_token(project: Path, sonar: FakeSonar, run: Run) -> None:
    with pytest.raises(GateError, match=r"^no token: set the variable SONAR_TOKEN"):
        run(project, {"SONAR_HOST_URL": sonar.url})


def test_no_server(tmp_path: Path, run: Run) -> None:
    with pytest.raises(GateError, match=r"^no server: set the variable SONAR_HOST_URL"):
        run(tmp_path, {"SONAR_TOKEN": TOKEN}, project_key="k", branch="main")


def test_a_missing_ca_bundle(project: Path, sonar: FakeSonar, run: Run) -> None:
    with pytest.raises(GateError, match=r"no CA bundle at .*ca.pem \(setting 'ca_bundle'\)"):
        run(project, env(sonar), ca_bundle="ca.pem")


def test_settings_checked_when_the_profile_loads() -> None:
    base = {k: s.default for k, s in SonarGate.settings_schema.items()}
    assert SonarGate.check_settings(
        {**base, "pass_on": ["OK", "ERROR"], "branch": "b", "pull_request": "1", "host_url": "x"}
    ) == [
        "'pass_on' may hold OK and WARN, not 'ERROR'",
        "set 'branch' or 'pull_request', not both",
        "'branch' and 'pull_request' go with 'project_key'",
        "'host_url' must start with http:// or https://",
    ]


# -- the token stays secret -----------------------------------------------------------------


def test_the_token_never_appears_in_outcomes_evidence_or_logs(
    project: Path, sonar: FakeSonar, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # requests, urllib3 and the gate's own debug lines
    sonar.add_task(TASK, ["PENDING", "SUCCESS"])
    sonar.add_gate(ANALYSIS, "ERROR", DOC_CONDITIONS)
    sonar.faults = [Response(503, {"errors": [{"msg": f"echo of {TOKEN}"}]})]
    outcome = run(project, env(sonar))
    texts = [outcome.summary, outcome.details, str(outcome.to_dict())]
    texts += [Path(p).read_text() for p in outcome.evidence]
    texts += [r.getMessage() for r in caplog.records]
    assert any("/api/ce/task" in r.getMessage() for r in caplog.records)  # logs were captured
    assert not [t for t in texts if TOKEN in t]
    # A server that echoes the token in an error is redacted too.
    sonar.faults = [Response(400, {"errors": [{"msg": f"bad token {TOKEN}"}]})]
    with pytest.raises(GateError) as info:
        run(project, env(sonar))
    assert TOKEN not in str(info.value)
    assert "bad token ***" in str(info.value)


# -- end to end: pytest --gate=pr -----------------------------------------------------------

PROFILE = """\
gates:
  sonarqube:
    kind: sonar
    description: SonarQube quality gate passes
    poll_interval: 0.05
    wait: 10
"""


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["no-xdist", "xdist"])
def test_end_to_end_a_red_gate(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    sonar: FakeSonar,
    xdist: list[str],
) -> None:
    monkeypatch.setenv("SONAR_HOST_URL", sonar.url)
    monkeypatch.setenv("SONAR_TOKEN", TOKEN)
    write(pytester.path / ".scannerwork" / "report-task.txt", report_task(sonar.url))
    write(pytester.path / "gate_profiles" / "pr.yaml", PROFILE)
    sonar.add_task(TASK, ["PENDING", "IN_PROGRESS", "SUCCESS"])
    sonar.add_gate(ANALYSIS, "ERROR", DOC_CONDITIONS)
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED: quality gate ERROR: 4 conditions failed: new_coverage 82.51% < 85%,"
            " new_blocker_violations 14 > 0, new_critical_violations 1 > 0, open_issues 17;"
            f" {sonar.url}/dashboard?id=my-project",
            "measured:  gate ERROR, new_coverage 82.51%, new_blocker_violations 14,*",
            "threshold: gate OK, new_coverage >= 85%, new_blocker_violations <= 0,*",
            f"quality gate ERROR on analysis {ANALYSIS} of project my-project",
            "conditions in ERROR (4):",
            "  new_coverage 82.51% < 85% (comparator LT, threshold 85, actual 82.50562381034781)",
            "*re-run this gate: pytest --gate=pr --gate-only sonarqube",
        ]
    )
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert (
        '<property name="gate.sonarqube.measured" value="gate ERROR, new_coverage 82.51%,'
        ' new_blocker_violations 14, new_critical_violations 1, open_issues 17" />'
    ) in verdict
    assert 'message="quality gate ERROR: 4 conditions failed: new_coverage 82.51%' in verdict
    assert_hidden(run_output(pytester, result), TOKEN)


def test_end_to_end_a_refused_token_is_named_not_shown(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sonar: FakeSonar
) -> None:
    wrong = "squ_ffffffffffffffffffffffffffffffffffffffff"
    monkeypatch.setenv("SONAR_HOST_URL", sonar.url)
    monkeypatch.setenv("SONAR_TOKEN", wrong)
    write(pytester.path / "target" / "sonar" / "report-task.txt", report_task(sonar.url))
    write(pytester.path / "gate_profiles" / "pr.yaml", PROFILE + "    token: ${SONAR_TOKEN}\n")
    result = pytester.runpytest("--gate=pr", "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"ERROR: {sonar.url} refused the token from setting 'token' (= $SONAR_TOKEN)"
            " (HTTP 401 Unauthorized): it is wrong, expired or revoked; generate a new user token",
        ]
    )
    assert_hidden(run_output(pytester, result), wrong)


def test_end_to_end_a_green_gate_and_a_bad_setting(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sonar: FakeSonar
) -> None:
    monkeypatch.setenv("SONAR_HOST_URL", sonar.url)
    monkeypatch.setenv("SONAR_TOKEN", TOKEN)
    write(pytester.path / ".scannerwork" / "report-task.txt", report_task(sonar.url))
    write(pytester.path / "gate_profiles" / "pr.yaml", PROFILE)
    sonar.add_task(TASK, ["SUCCESS"])
    sonar.add_gate(ANALYSIS, "OK", DOC_CONDITIONS[3:4])
    result = pytester.runpytest("--gate=pr")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["sonarqube*sonar*passed*gate OK*gate OK*"])
    assert_hidden(run_output(pytester, result), TOKEN)
    write(pytester.path / "gate_profiles" / "pr.yaml", PROFILE + "    pass_on: [OK, ERROR]\n")
    result = pytester.runpytest("--gate=pr")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'pass_on' may hold OK and WARN, not 'ERROR'*"])
