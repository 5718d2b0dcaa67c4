"""The ``sonar`` gate's verdicts: a quality gate status, or a failed analysis task, turned
into an Outcome that explains itself (each condition, the dashboard, where it was read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from ..api import Outcome
from ..formats.sonar import CeTask, Condition, GateStatus

SHOWN_IN_SUMMARY = 5  # conditions named in the one-line summary; details list them all


def gate_verdict(
    gate: GateStatus,
    pass_on: Sequence[str],
    subject: str,
    dashboard: str,
    lines: Sequence[str],
    evidence: tuple[str, ...],
    explain: bool,
) -> Outcome:
    """OK passes; ERROR fails; WARN follows ``pass_on``; NONE is an error."""
    status = gate.status
    bad = gate.with_status("ERROR") if status == "ERROR" else gate.with_status("WARN")
    measured: dict[str, Any] = {"gate": status}
    threshold: dict[str, Any] = {"gate": " or ".join(pass_on)}
    for c in bad:
        measured[c.metric] = c.actual_text()
        threshold[c.metric] = c.requirement() or "(not given)"
    head = [f"quality gate {status} on {subject}"]
    if bad:
        head.append(f"conditions in {status} ({len(bad)}):")
        head += [f"  {c.describe()}" for c in bad]
    others = [c for c in gate.conditions if c not in bad]
    if others and explain:
        head.append("other conditions:")
        head += [f"  {c.status} {c.describe()}" for c in others]
    elif others:
        head.append(f"other conditions: {_counts(others)}")
    head.append(f"dashboard: {dashboard}")
    kw: dict[str, Any] = {
        "measured": measured,
        "threshold": threshold,
        "details": "\n".join([*head, *lines]),
        "evidence": evidence,
    }
    if status == "NONE":
        return Outcome.error(
            f"no quality gate is attached to {subject} (status NONE): assign one in"
            f" SonarQube (project settings, Quality Gate); {dashboard}",
            **kw,
        )
    listed = _listed(bad)
    if status in pass_on:
        extra = f" (accepted by pass_on): {listed}" if bad else ""
        return Outcome.passed(f"quality gate {status}{extra} on {subject}", **kw)
    verb = "failed" if status == "ERROR" else "warn"
    return Outcome.failed(
        f"quality gate {status}: {len(bad)} condition{'s' if len(bad) != 1 else ''} {verb}:"
        f" {listed}; {dashboard}",
        **kw,
    )


def task_verdict(
    task: CeTask, task_url: str, subject: str, lines: Sequence[str], evidence: tuple[str, ...]
) -> Outcome:
    """A task that ended FAILED or CANCELED: the analysis failed on the server."""
    why = task.error_message or "no error message"
    if task.error_type:
        why += f" ({task.error_type})"
    verb = "was canceled" if task.status == "CANCELED" else "failed"
    return Outcome.error(
        f"the analysis of {subject} {verb} on the server (task {task.id} {task.status}):"
        f" {_first_line(why)}; {task_url}",
        measured={"task": task.status},
        threshold={"task": "SUCCESS"},
        details="\n".join([*lines, f"task error: {why}", f"task: {task_url}"]),
        evidence=evidence,
    )


def where(branch: str | None, pull_request: str | None) -> str:
    if pull_request:
        return f" (pull request {pull_request})"
    return f" (branch {branch})" if branch else ""


def dashboard_url(
    host: str, key: str, branch: str | None = None, pull_request: str | None = None
) -> str:
    query = {"id": key}
    if pull_request:
        query["pullRequest"] = pull_request
    elif branch:
        query["branch"] = branch
    return f"{host}/dashboard?{urlencode(query)}"


def ago(seconds: float) -> str:
    if seconds < 0:
        return "in the future"
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _listed(conditions: Sequence[Condition]) -> str:
    shown = [c.short() for c in conditions[:SHOWN_IN_SUMMARY]]
    more = len(conditions) - SHOWN_IN_SUMMARY
    return ", ".join(shown) + (f" and {more} more (see below)" if more > 0 else "")


def _counts(conditions: Sequence[Condition]) -> str:
    counts: dict[str, int] = {}
    for c in conditions:
        counts[c.status or "?"] = counts.get(c.status or "?", 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items())


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= 200 else line[:197] + "..."
