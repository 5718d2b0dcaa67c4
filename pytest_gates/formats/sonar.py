"""SonarQube / SonarCloud artifacts: the scanner's ``report-task.txt`` and the JSON answers
of the Web API endpoints the ``sonar`` gate reads (``api/ce/task``,
``api/qualitygates/project_status``).

``report-task.txt`` is what every scanner (CLI, Maven, Gradle, .NET) writes after it uploads
an analysis: ``key=value`` lines, UTF-8, e.g.::

    organization=my-org
    projectKey=my-project
    serverUrl=https://sonarcloud.io
    serverVersion=8.0.0.884
    dashboardUrl=https://sonarcloud.io/dashboard?id=my-project
    ceTaskId=AW2LcrjNeWHkXTI8--hG
    ceTaskUrl=https://sonarcloud.io/api/ce/task?id=AW2LcrjNeWHkXTI8--hG

Nothing here does I/O or knows pytest: readers take bytes or parsed JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import FormatError

MAX_REPORT_TASK = 64 * 1024  # a real one is ~400 bytes; anything bigger is not one
TASK_TERMINAL = ("SUCCESS", "FAILED", "CANCELED")
TASK_WAITING = ("PENDING", "IN_PROGRESS")
GATE_STATUSES = ("OK", "WARN", "ERROR", "NONE")
# comparator: (symbol when the condition is in error, what passing needs)
COMPARATORS = {"LT": ("<", ">="), "GT": (">", "<="), "EQ": ("==", "!="), "NE": ("!=", "==")}
RATINGS = {"1": "A", "2": "B", "3": "C", "4": "D", "5": "E"}


@dataclass(frozen=True)
class ReportTask:
    """What the scanner wrote about the analysis it submitted."""

    path: str
    values: Mapping[str, str]

    @property
    def ce_task_id(self) -> str:
        return self.values["ceTaskId"]

    @property
    def project_key(self) -> str | None:
        return self.values.get("projectKey")

    @property
    def server_url(self) -> str | None:
        return self.values.get("serverUrl")

    @property
    def dashboard_url(self) -> str | None:
        return self.values.get("dashboardUrl")

    @property
    def ce_task_url(self) -> str | None:
        return self.values.get("ceTaskUrl")

    @property
    def organization(self) -> str | None:
        return self.values.get("organization")


def read_report_task(data: bytes, path: str) -> ReportTask:
    """Parse ``report-task.txt``; a file without ``ceTaskId`` is a FormatError."""
    if not data.strip():
        raise FormatError(path, "file is empty (the scanner did not finish its upload?)")
    if len(data) > MAX_REPORT_TASK:
        raise FormatError(path, f"{len(data):,} bytes: too big for a scanner report task")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text (byte {exc.start})") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise FormatError(path, f"line {number} is not key=value: {_cut(line)!r}")
        values[key.strip()] = value.strip()
    if not values.get("ceTaskId"):
        raise FormatError(
            path, "no ceTaskId: not a scanner report task (keys: " + ", ".join(values) + ")"
        )
    return ReportTask(path, values)


@dataclass(frozen=True)
class CeTask:
    """One Compute Engine task (``api/ce/task`` answer, ``task`` object)."""

    id: str
    status: str
    analysis_id: str | None = None
    component_key: str | None = None
    organization: str | None = None  # SonarCloud
    branch: str | None = None
    pull_request: str | None = None
    error_message: str | None = None
    error_type: str | None = None
    submitted_at: str | None = None  # as the server wrote it: 2023-05-25T10:34:21+0200

    def submitted_epoch(self) -> float | None:
        """``submittedAt`` in seconds since the epoch (None when the answer had none)."""
        return None if self.submitted_at is None else sonar_time(self.submitted_at)


def sonar_time(text: str) -> float:
    """A Web API date-time (``DateUtils.formatDateTime``: ``yyyy-MM-dd'T'HH:mm:ssZ``, e.g.
    ``2023-05-25T10:34:21+0200``) in seconds since the epoch; ValueError if it is not one."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        raise ValueError(f"not a SonarQube date-time: {_cut(text)!r}") from None


def parse_task(body: Any, task_id: str) -> CeTask:
    """The ``task`` of an ``api/ce/task`` answer; ValueError if the shape is wrong."""
    task = body.get("task") if isinstance(body, dict) else None
    if not isinstance(task, dict) or not isinstance(task.get("status"), str):
        raise ValueError("no task.status in the answer")
    status = task["status"]
    if status not in TASK_TERMINAL + TASK_WAITING:
        raise ValueError(f"unknown task status {_cut(status)!r}")
    return CeTask(
        id=_str(task.get("id")) or task_id,
        status=status,
        analysis_id=_str(task.get("analysisId")),
        component_key=_str(task.get("componentKey")),
        organization=_str(task.get("organization")),
        branch=_str(task.get("branch")),
        pull_request=_str(task.get("pullRequest")),
        error_message=_str(task.get("errorMessage")),
        error_type=_str(task.get("errorType")),
        submitted_at=_str(task.get("submittedAt")),
    )


@dataclass(frozen=True)
class Condition:
    """One condition of a quality gate, as measured on an analysis (values are strings)."""

    status: str
    metric: str
    comparator: str
    error_threshold: str | None
    actual: str | None

    def requirement(self) -> str:
        """What passing needs, e.g. ``>= 80%``; empty when the server gave no threshold."""
        if self.error_threshold is None:
            return ""
        need = COMPARATORS.get(self.comparator, ("", f"not {self.comparator}"))[1]
        return f"{need} {show_value(self.metric, self.error_threshold)}"

    def actual_text(self) -> str:
        if self.actual is None:
            return "no value"
        return show_value(self.metric, self.actual, near=self.error_threshold)

    def short(self) -> str:
        """``new_coverage 82.51% < 80%`` (``open_issues 17`` when there is no threshold)."""
        if self.error_threshold is None:
            return f"{self.metric} {self.actual_text()}"
        symbol = COMPARATORS.get(self.comparator, (self.comparator,))[0]
        threshold = show_value(self.metric, self.error_threshold, near=self.actual)
        return f"{self.metric} {self.actual_text()} {symbol} {threshold}"

    def describe(self) -> str:
        """:meth:`short` and the raw values as the server gave them."""
        raw = [f"comparator {self.comparator}"]
        if self.error_threshold is None:
            raw.append("no error threshold in the answer")
        else:
            raw.append(f"threshold {self.error_threshold}")
        if self.actual is not None:
            raw.append(f"actual {self.actual}")
        return f"{self.short()} ({', '.join(raw)})"


@dataclass(frozen=True)
class GateStatus:
    """The ``projectStatus`` of ``api/qualitygates/project_status``."""

    status: str
    conditions: tuple[Condition, ...] = field(default_factory=tuple)

    def with_status(self, *statuses: str) -> list[Condition]:
        return [c for c in self.conditions if c.status in statuses]


def parse_project_status(body: Any) -> GateStatus:
    """The quality gate status; ValueError if the shape is wrong."""
    status = body.get("projectStatus") if isinstance(body, dict) else None
    if not isinstance(status, dict) or not isinstance(status.get("status"), str):
        raise ValueError("no projectStatus.status in the answer")
    if status["status"] not in GATE_STATUSES:
        raise ValueError(f"unknown quality gate status {_cut(status['status'])!r}")
    conditions = []
    for c in status.get("conditions") or []:
        if not isinstance(c, dict) or not isinstance(c.get("metricKey"), str):
            raise ValueError("a condition without metricKey")
        conditions.append(
            Condition(
                status=_str(c.get("status")) or "",
                metric=c["metricKey"],
                comparator=_str(c.get("comparator")) or "?",
                error_threshold=_str(c.get("errorThreshold")),
                actual=_str(c.get("actualValue")),
            )
        )
    return GateStatus(status["status"], tuple(conditions))


def show_value(metric: str, value: str, near: str | None = None) -> str:
    """A measure for people: ratings as letters, percentages with ``%``, two decimals
    (more when two decimals would hide which side of ``near`` the value is on)."""
    if metric.endswith("_rating") and value in RATINGS:
        return f"{value} ({RATINGS[value]})"
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    text = value
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        places = 2
        text = f"{number:.{places}f}"
        other = _decimal(near)
        while other is not None and places < 12 and Decimal(text) == other != number:
            places += 1
            text = f"{number:.{places}f}"
    percent = metric.endswith(("coverage", "density", "_ratio"))
    return text + ("%" if percent else "")


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) and value else None


def _cut(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
