"""The ``sonar`` gate's verdicts: a quality gate status, or a failed analysis task, turned
into an Outcome that explains itself (each condition, the dashboard, where it was read)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..api import GateError, Outcome
from ..formats.sonar import CeTask, Condition, GateStatus

SHOWN_IN_SUMMARY = 5  # conditions named in the one-line summary; details list them all
_PULL_REF = re.compile(r"^refs/pull/(\d+)/(?:merge|head)$")
_BRANCH_REF = "refs/heads/"


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


def ci_change(env: Callable[[str], str | None]) -> tuple[str, str, str] | str:
    """What this CI run builds, from GitHub Actions' and GitLab CI's variables:
    (``"pull request"``, number, variable), (``"branch"``, name, variable),
    (``"head branch"``, name, ``GITHUB_HEAD_REF``) for a pull request event whose number is
    not in ``GITHUB_REF`` (pull_request_target), or a note saying why there is nothing to
    compare."""
    ref = env("GITHUB_REF") or ""
    found = _PULL_REF.match(ref)
    if found:
        return "pull request", found.group(1), "GITHUB_REF"
    iid = (env("CI_MERGE_REQUEST_IID") or "").strip()
    if iid:
        return "pull request", iid, "CI_MERGE_REQUEST_IID"
    head = (env("GITHUB_HEAD_REF") or "").strip()
    if head:
        return "head branch", head, "GITHUB_HEAD_REF"
    if ref.startswith(_BRANCH_REF):
        return "branch", ref[len(_BRANCH_REF) :], "GITHUB_REF"
    tag = (env("CI_COMMIT_TAG") or "").strip()
    if ref or tag:
        built = f"{ref} (GITHUB_REF)" if ref else f"tag {tag} (CI_COMMIT_TAG)"
        return f"this run builds no branch or pull request: {built}"
    name = (env("CI_COMMIT_REF_NAME") or "").strip()
    if name:
        return "branch", name, "CI_COMMIT_REF_NAME"
    return "no CI variable names a branch or pull request"


def check_file_age(path: Path, now: float, limit: float) -> None:
    """A report task written more than ``limit`` hours ago (0: any age) is a GateError."""
    age = now - path.stat().st_mtime
    if limit and age > limit * 3600:
        raise GateError(
            f"report task {path} was written {age / 3600:.1f} h ago, more than"
            f" max_age_hours {limit:g}: not this run's analysis (did the scanner run in"
            " this job?)"
        )


def check_task_age(task: CeTask, now: float, limit: float) -> str:
    """A task submitted more than ``limit`` hours ago is a GateError; else a note."""
    try:
        submitted = task.submitted_epoch()
    except ValueError as exc:
        raise GateError(f"analysis task {task.id}: submittedAt is {exc}") from None
    if submitted is None:
        return f"task submitted: not said by the server (max_age_hours {limit:g} unchecked)"
    age = now - submitted
    if limit and age > limit * 3600:
        raise GateError(
            f"analysis task {task.id} was submitted at {task.submitted_at}"
            f" ({age / 3600:.1f} h ago), more than max_age_hours {limit:g}: not this"
            " run's analysis (is report-task.txt left over from another build?)"
        )
    return f"task submitted: {task.submitted_at} ({ago(age)})"


def check_ci(task: CeTask, env: Callable[[str], str | None]) -> str:
    """The task's pull request or branch against this CI run's: a GateError naming both when
    they differ, else a note for the details."""
    ours = ("pull request", task.pull_request) if task.pull_request else ("branch", task.branch)
    if ours[1] is None:
        return "not compared: the task names no branch or pull request"
    ci = ci_change(env)
    if isinstance(ci, str):
        return f"not compared: {ci}"
    kind, value, variable = ci
    if kind == "head branch":  # a pull request of unknown number, from branch `value`
        if ours[0] == "pull request":
            return f"not compared: {variable} names the pull request's branch, not its number"
        kind = "a pull request from branch"
    if (ours[0], ours[1]) == (kind, value):
        return f"{kind} {value} = {variable}"
    raise GateError(
        f"analysis task {task.id} analysed {ours[0]} {ours[1]}, but this run is for {kind}"
        f" {value} ({variable}): not this run's analysis (is report-task.txt left over from"
        " another build?)"
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
