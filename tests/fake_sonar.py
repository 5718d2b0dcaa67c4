"""A fake SonarQube / SonarCloud Web API on ``tests/httpfake.py``'s real local server.

It answers ``GET api/ce/task`` and ``GET api/qualitygates/project_status`` with the shapes
of the SonarQube Web API examples (``task-example.json``, ``project_status-example.json``
of SonarSource/sonarqube) and its error answers: ``{"errors": [{"msg": ...}]}`` with 400,
401, 403 or 404.  A user token is accepted as the login of HTTP Basic with an empty
password, or as ``Authorization: Bearer`` (both documented for SonarQube >= 10; Basic is
the one documented for 9.x and SonarCloud).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from httpfake import FakeServer, Request, Response

TOKEN = "squ_0123456789abcdef0123456789abcdef01234567"  # looks like a real user token

# The conditions of SonarQube's own project_status example (values are strings;
# errorThreshold is missing on some).
DOC_CONDITIONS: list[dict[str, Any]] = [
    {
        "status": "ERROR",
        "metricKey": "new_coverage",
        "comparator": "LT",
        "errorThreshold": "85",
        "actualValue": "82.50562381034781",
    },
    {
        "status": "ERROR",
        "metricKey": "new_blocker_violations",
        "comparator": "GT",
        "errorThreshold": "0",
        "actualValue": "14",
    },
    {
        "status": "ERROR",
        "metricKey": "new_critical_violations",
        "comparator": "GT",
        "errorThreshold": "0",
        "actualValue": "1",
    },
    {
        "status": "OK",
        "metricKey": "new_sqale_debt_ratio",
        "comparator": "GT",
        "errorThreshold": "5",
        "actualValue": "0.6562109862671661",
    },
    {"status": "OK", "metricKey": "reopened_issues", "comparator": "GT", "actualValue": "0"},
    {"status": "ERROR", "metricKey": "open_issues", "comparator": "GT", "actualValue": "17"},
    {"status": "OK", "metricKey": "skipped_tests", "comparator": "GT", "actualValue": "0"},
]


def report_task(
    url: str,
    task_id: str = "AYhSC2-LY0CHkWJxvNA9",
    project: str = "my-project",
    organization: str | None = None,
    dashboard_query: str = "",
) -> str:
    """``report-task.txt`` as the scanner writes it (ReportPublisher.dumpMetadata)."""
    lines = [f"organization={organization}"] if organization else []
    lines += [
        f"projectKey={project}",
        f"serverUrl={url}",
        "serverVersion=10.4.1.88267",
        f"dashboardUrl={url}/dashboard?id={project}{dashboard_query}",
        f"ceTaskId={task_id}",
        f"ceTaskUrl={url}/api/ce/task?id={task_id}",
    ]
    return "\n".join(lines) + "\n"


def sonar_time(when: datetime | None = None) -> str:
    """A date as the Web API writes it (``DateUtils.formatDateTime``: 2023-05-25T10:34:21+0200)."""
    return (when or datetime.now().astimezone()).strftime("%Y-%m-%dT%H:%M:%S%z")


def _errors(status: int, *msgs: str) -> Response:
    return Response(status, {"errors": [{"msg": m} for m in msgs]})


@dataclass
class FakeSonar:
    """State of the fake server; tests add tasks and gates, then point the gate at ``url``."""

    server: FakeServer
    token: str = TOKEN
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)  # analysisId -> status
    projects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)  # task ids / project keys
    faults: list[Response] = field(default_factory=list)  # served first, one per request

    def __post_init__(self) -> None:
        self.server.route = self.route

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def add_task(
        self,
        task_id: str,
        statuses: Iterable[str],
        analysis_id: str = "AYhSC3WDE6ILQDIMAPIp",
        project: str = "my-project",
        **extra: Any,
    ) -> None:
        """A task answering each status in turn (the last one from then on); submitted now
        unless ``submittedAt`` is given.  A branch or pull request analysis carries
        ``branch`` + ``branchType: BRANCH`` or ``pullRequest`` (TaskFormatter)."""
        answers = []
        submitted = sonar_time()
        for status in statuses:
            task: dict[str, Any] = {
                "id": task_id,
                "type": "REPORT",
                "componentId": "AYhNmk00XxCL_lBVBziT",
                "componentKey": project,
                "componentName": project,
                "componentQualifier": "TRK",
                "status": status,
                "submittedAt": submitted,
                "submitterLogin": "ci-bot",
                "hasScannerContext": True,
                "warningCount": 0,
                "warnings": [],
                **extra,
            }
            if status != "PENDING":
                task["startedAt"] = task["submittedAt"]
            if status in ("SUCCESS", "FAILED", "CANCELED"):
                task["executedAt"] = task["submittedAt"]
                task["executionTimeMs"] = 2840
            if status == "SUCCESS":
                task["analysisId"] = analysis_id
            answers.append(task)
        self.tasks[task_id] = answers

    def add_gate(
        self, analysis_id: str, status: str, conditions: list[dict[str, Any]] | None = None
    ) -> None:
        self.gates[analysis_id] = _project_status(status, conditions)

    def add_project_gate(
        self,
        key: str,
        status: str,
        conditions: list[dict[str, Any]] | None = None,
        branch: str = "",
        pull_request: str = "",
    ) -> None:
        self.projects[(key, branch, pull_request)] = _project_status(status, conditions)

    def route(self, req: Request) -> Response:
        if self.faults:
            return self.faults.pop(0)
        if not self._authenticated(req.headers):
            return Response(401, "")  # SonarQube answers a bad token with an empty 401
        if req.path == "/api/ce/task":
            return self._task(req.query)
        if req.path == "/api/qualitygates/project_status":
            return self._status(req.query)
        return _errors(404, f"Unknown url : {req.path}")

    def _authenticated(self, headers: Mapping[str, str]) -> bool:
        auth = headers.get("Authorization", "")
        if auth == f"Bearer {self.token}":
            return True
        if auth.startswith("Basic "):
            return base64.b64decode(auth[6:]).decode() == f"{self.token}:"
        return False

    def _task(self, query: Mapping[str, str]) -> Response:
        task_id = query.get("id", "")
        if task_id in self.forbidden:
            return _errors(403, "Insufficient privileges")
        answers = self.tasks.get(task_id)
        if not answers:
            return _errors(404, f"No activity found for task '{task_id}'")
        task = answers.pop(0) if len(answers) > 1 else answers[0]
        return Response(200, {"task": task})

    def _status(self, query: Mapping[str, str]) -> Response:
        analysis, key = query.get("analysisId"), query.get("projectKey")
        if bool(analysis) == bool(key):
            return _errors(400, "Either 'analysisId', 'projectId' or 'projectKey' must be provided")
        if analysis:
            if analysis not in self.gates:
                return _errors(404, f"Analysis with id '{analysis}' is not found")
            return Response(200, self.gates[analysis])
        assert key is not None
        if key in self.forbidden:
            return _errors(403, "Insufficient privileges")
        branch, pr = query.get("branch", ""), query.get("pullRequest", "")
        found = self.projects.get((key, branch, pr))
        if found is None:
            where = f" on branch '{branch}'" if branch else f" on pull request '{pr}'" if pr else ""
            return _errors(404, f"Project '{key}'{where} not found")
        return Response(200, found)


def _project_status(status: str, conditions: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "projectStatus": {
            "status": status,
            "ignoredConditions": False,
            "conditions": list(conditions or []),
            "period": {"mode": "PREVIOUS_VERSION", "date": "2023-05-20T10:00:00+0200"},
        }
    }
