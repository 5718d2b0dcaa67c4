"""Kind ``sonar``: the SonarQube / SonarCloud quality gate of the analysis this pipeline
submitted, found the way the scanner itself finds it: ``report-task.txt`` -> poll
``api/ce/task`` -> the task's ``analysisId`` -> ``api/qualitygates/project_status``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.errors import FormatError
from ..formats.sonar import (
    TASK_TERMINAL,
    CeTask,
    ReportTask,
    parse_project_status,
    parse_task,
    read_report_task,
)
from ._http import is_http_url
from ._httptext import redact, redact_outcome
from .sonar_api import GaveUp, SonarApi
from .sonar_verdict import (
    ago,
    check_ci,
    check_file_age,
    check_task_age,
    dashboard_url,
    gate_verdict,
    task_verdict,
    where,
)

# Where the scanners write report-task.txt: CLI, Maven, Gradle, .NET.
REPORT_TASK_PLACES = (
    ".scannerwork/report-task.txt",
    "target/sonar/report-task.txt",
    "build/sonar/report-task.txt",
    ".sonarqube/out/.sonar/report-task.txt",
)
GATE_WORDS = ("OK", "WARN")
STATUS_PATH = "api/qualitygates/project_status"


@dataclass
class _Budget:
    """How long the gate may wait for the server, and why that long."""

    start: float
    seconds: float
    why: str  # "setting 'wait'" or "the gate's timeout"

    @property
    def deadline(self) -> float:
        return self.start + self.seconds

    def text(self) -> str:
        return f"{self.seconds:g} s ({self.why})"


class SonarGate(Gate):
    """Waits for the analysis task, then reads the quality gate of *that* analysis."""

    kind = "sonar"
    description = "SonarQube / SonarCloud quality gate of this pipeline's analysis"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "host_url": Setting(str, help="server URL (default: $SONAR_HOST_URL, else serverUrl)"),
        "token": Setting(str, help="a user token (default: $SONAR_TOKEN); never shown"),
        "report_task": Setting(
            str, help="the scanner's report-task.txt (default: looked for where scanners write it)"
        ),
        "project_key": Setting(str, help="without a report task: read this project's gate"),
        "branch": Setting(str, help="with project_key: the branch"),
        "pull_request": Setting(str, help="with project_key: the pull request id"),
        "main_branch": Setting(
            bool, default=False, help="with project_key alone: read the main branch (opt-in)"
        ),
        "max_age_hours": Setting(
            float,
            default=24.0,
            minimum=0,
            help="oldest report task / analysis task accepted, in hours (0: any age)",
        ),
        "organization": Setting(str, help="SonarCloud organization (checked against the task)"),
        "wait": Setting(float, default=300.0, minimum=0, help="seconds to wait for the server"),
        "poll_interval": Setting(float, default=5.0, minimum=0.01, help="seconds between polls"),
        "pass_on": Setting(list, default=["OK"], help="gate statuses that pass: OK, WARN"),
        "ca_bundle": Setting(str, help="PEM file of the CA that signed the server's certificate"),
    }

    def __init__(self, settings: Mapping[str, Any]) -> None:
        super().__init__(settings)
        # Replaceable so that tests can record the pauses; the clock stays ctx.monotonic().
        self.sleep: Callable[[float], None] = time.sleep

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        for word in settings.get("pass_on") or []:
            if word.upper() not in GATE_WORDS:
                problems.append(f"'pass_on' may hold OK and WARN, not {word!r}")
        branch, pull_request = settings.get("branch"), settings.get("pull_request")
        if branch and pull_request:
            problems.append("set 'branch' or 'pull_request', not both")
        if (branch or pull_request) and not settings.get("project_key"):
            problems.append("'branch' and 'pull_request' go with 'project_key'")
        if settings.get("main_branch") and (branch or pull_request):
            problems.append(
                "'main_branch' reads the main branch: not with 'branch' or 'pull_request'"
            )
        elif settings.get("main_branch") and not settings.get("project_key"):
            problems.append("'main_branch' goes with 'project_key'")
        host = settings.get("host_url")
        if host and not is_http_url(host):
            problems.append("'host_url' must start with http:// or https://")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        token, token_source = self._token(ctx)
        try:
            outcome = self._evaluate(ctx, token, token_source)
        except GateError as exc:
            # Belt and braces: a server or proxy could echo what it was sent.
            raise GateError(redact(str(exc), [token])) from None
        return redact_outcome(outcome, [token])

    def _evaluate(self, ctx: GateContext, token: str, token_source: str) -> Outcome:
        s = self.settings
        report, found_note = self._report_task(ctx)
        if report is not None:
            check_file_age(Path(report.path), ctx.now(), s["max_age_hours"])
        host, host_note = self._host(ctx, report)
        budget = _Budget(ctx.monotonic(), s["wait"], "setting 'wait'")
        remaining = ctx.remaining()
        if remaining is not None:  # end with our own explanation before the gate's timeout
            left = max(0.0, remaining - min(1.0, remaining / 10))
            if left < budget.seconds:
                budget = _Budget(budget.start, round(left, 1), "the gate's timeout")
        api = SonarApi(
            ctx,
            host,
            token,
            token_source,
            deadline=budget.deadline,
            backoff=min(s["poll_interval"], 1.0),
            sleep=self.sleep,
            verify=self._verify(ctx),
        )
        lines = [f"server: {host} ({host_note}); token from {token_source}"]
        evidence: list[str] = []
        if report is not None:
            lines.append(found_note)
            task, history, body = self._wait_for_task(ctx, api, report, budget)
            evidence.append(_save(ctx, "ce-task.json", body, token))
            polls = f"{len(history)} poll{'s' if len(history) != 1 else ''}"
            lines.append(
                f"analysis task {task.id}: {' -> '.join(history)}"
                f" ({polls} in {ctx.monotonic() - budget.start:.1f} s)"
            )
            org = s["organization"]
            if org and task.organization and task.organization != org:
                raise GateError(
                    f"task {task.id} belongs to organization {task.organization},"
                    f" not {org} (setting 'organization')"
                )
            lines.append(check_task_age(task, ctx.now(), s["max_age_hours"]))
            lines.append(f"this run: {check_ci(task, ctx.env)}")
            key = report.project_key or task.component_key or "?"
            subject = f"project {key}{where(task.branch, task.pull_request)}"
            dashboard = report.dashboard_url or dashboard_url(host, key)
            task_url = report.ce_task_url or api.url("api/ce/task", {"id": task.id})
            if task.status != "SUCCESS":
                return task_verdict(task, task_url, subject, lines, tuple(evidence))
            if not task.analysis_id:
                raise GateError(f"task {task.id} succeeded without an analysisId: not an analysis")
            query = {"analysisId": task.analysis_id}
            not_found = f"analysis {task.analysis_id} (of task {task.id})"
            subject = f"analysis {task.analysis_id} of {subject}"
        else:
            key, branch, pull_request = s["project_key"], s["branch"], s["pull_request"]
            on = where(branch, pull_request) or " (main branch)"
            query = {"projectKey": key}
            if branch:
                query["branch"] = branch
            if pull_request:
                query["pullRequest"] = pull_request
            lines.append(
                f"{found_note}: read the gate of the latest analysis of project {key}{on};"
                " it may predate this run (give 'report_task' to check this run's analysis)"
            )
            not_found = f"project {key}{on}"
            subject = f"the latest analysis of project {key}{on}"
            dashboard = dashboard_url(host, key, branch, pull_request)
        url = api.url(STATUS_PATH, query)
        try:
            body = api.get(STATUS_PATH, query, not_found)
            gate = parse_project_status(body)
        except GaveUp as exc:
            raise GateError(f"gave up after {budget.text()}: {exc}") from None
        except ValueError as exc:
            raise GateError(f"unexpected answer from {url}: {exc}") from None
        evidence.append(_save(ctx, "project-status.json", body, token))
        lines.append(f"read: {url}")
        pass_on = ["OK", *(w.upper() for w in s["pass_on"] if w.upper() != "OK")]
        return gate_verdict(gate, pass_on, subject, dashboard, lines, tuple(evidence), ctx.explain)

    def _wait_for_task(
        self, ctx: GateContext, api: SonarApi, report: ReportTask, budget: _Budget
    ) -> tuple[CeTask, list[str], Any]:
        """Poll ``api/ce/task`` until SUCCESS, FAILED or CANCELED (or the budget is spent)."""
        task_id = report.ce_task_id
        history: list[str] = []
        url = report.ce_task_url or api.url("api/ce/task", {"id": task_id})
        while True:
            try:
                body = api.get("api/ce/task", {"id": task_id}, f"analysis task {task_id}")
                task = parse_task(body, task_id)
            except GaveUp as exc:
                last = history[-1] if history else "unknown (no answer yet)"
                raise GateError(
                    f"gave up on analysis task {task_id} after {budget.text()}:"
                    f" last status {last}; {exc}"
                ) from None
            except ValueError as exc:
                raise GateError(f"unexpected answer from {url}: {exc}") from None
            history.append(task.status)
            if task.status in TASK_TERMINAL:
                return task, history, body
            if ctx.monotonic() + self.settings["poll_interval"] > budget.deadline:
                raise GateError(
                    f"analysis task {task_id} still {task.status} after"
                    f" {ctx.monotonic() - budget.start:.1f} s of {budget.text()}:"
                    f" the server is busy or the task is stuck; {url}"
                )
            self.sleep(self.settings["poll_interval"])

    # -- inputs ---------------------------------------------------------------------------

    def _token(self, ctx: GateContext) -> tuple[str, str]:
        token = self.settings["token"]
        if token:
            same = ctx.env("SONAR_TOKEN") == token
            return token, "setting 'token'" + (" (= $SONAR_TOKEN)" if same else "")
        token = ctx.env("SONAR_TOKEN")
        if token:
            return token, "variable SONAR_TOKEN"
        raise GateError(
            "no token: set the variable SONAR_TOKEN (or the setting 'token') to a user token"
            " with 'Browse' permission on the project"
        )

    def _report_task(self, ctx: GateContext) -> tuple[ReportTask | None, str]:
        s = self.settings
        if s["report_task"]:
            path = ctx.path(s["report_task"])
            if not path.is_file():
                raise GateError(
                    f"no report task at {path} (setting 'report_task'): did the scanner run"
                    " and upload its analysis?"
                )
            return self._read(ctx, path), self._found(ctx, path)
        found = [ctx.path(p) for p in REPORT_TASK_PLACES if ctx.path(p).is_file()]
        if len(found) > 1:
            names = ", ".join(str(p) for p in found)
            raise GateError(f"several report tasks: {names}; say which with 'report_task'")
        if found:
            return self._read(ctx, found[0]), self._found(ctx, found[0])
        if s["project_key"]:
            missing = "no report task in " + ", ".join(REPORT_TASK_PLACES)
            if not (s["branch"] or s["pull_request"] or s["main_branch"]):
                raise GateError(
                    f"{missing}; 'project_key' alone names no analysis of this change: set"
                    " 'branch' or 'pull_request' (or 'main_branch: true' to read the main"
                    " branch's latest analysis)"
                )
            return None, missing
        raise GateError(
            f"no report-task.txt in {', '.join(REPORT_TASK_PLACES)} (under {ctx.rootdir}):"
            " did the scanner run and upload its analysis? (or set 'report_task', or"
            " 'project_key' to read the project's latest gate)"
        )

    def _read(self, ctx: GateContext, path: Path) -> ReportTask:
        try:
            with ctx.open(path) as f:
                report = read_report_task(f.read(), str(path))
        except FormatError as exc:
            raise GateError(f"cannot read report task {exc}") from None
        except OSError as exc:
            raise GateError(f"cannot read report task {path}: {exc.strerror or exc}") from None
        key, org = self.settings["project_key"], self.settings["organization"]
        if key and report.project_key and report.project_key != key:
            raise GateError(
                f"{path} is for project {report.project_key}, not {key} (setting 'project_key')"
            )
        if org and report.organization and report.organization != org:
            raise GateError(
                f"{path} is for organization {report.organization}, not {org}"
                " (setting 'organization')"
            )
        return report

    def _found(self, ctx: GateContext, path: Path) -> str:
        return f"report task: {path} (written {ago(ctx.now() - path.stat().st_mtime)})"

    def _host(self, ctx: GateContext, report: ReportTask | None) -> tuple[str, str]:
        host, note = self.settings["host_url"], "setting 'host_url'"
        if not host and ctx.env("SONAR_HOST_URL"):
            host, note = ctx.env("SONAR_HOST_URL"), "variable SONAR_HOST_URL"
        if not host and report is not None and report.server_url:
            host, note = report.server_url, f"serverUrl in {report.path}"
        if not host:
            raise GateError("no server: set the variable SONAR_HOST_URL or the setting 'host_url'")
        if not is_http_url(host):
            raise GateError(f"the server URL from {note} must start with http:// or https://")
        used = report.server_url if report is not None else None
        if used and used.rstrip("/") != host.rstrip("/"):
            note += f"; the scanner used {used}"
        return host.rstrip("/"), note

    def _verify(self, ctx: GateContext) -> bool | str:
        if not self.settings["ca_bundle"]:
            return True
        path = ctx.path(self.settings["ca_bundle"])
        if not path.is_file():
            raise GateError(f"no CA bundle at {path} (setting 'ca_bundle')")
        return str(path)


def _save(ctx: GateContext, name: str, body: Any, token: str) -> str:
    """Keep the server's answer as evidence (it never holds the token; redacted anyway)."""
    path = ctx.evidence_dir() / name
    path.write_text(redact(json.dumps(body, indent=2), [token]) + "\n", encoding="utf-8")
    return str(path)
