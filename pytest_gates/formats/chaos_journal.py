"""Chaos Toolkit journals (the ``journal.json`` of chaostoolkit-lib 1.x): what ran, and
whether the steady state held.

Knows nothing of pytest or chaoslib: a journal is JSON data.  The rules:

* An experiment passed when its journal's ``status`` is ``completed``, it did not deviate
  (``deviated: false``), the steady-state hypothesis, when it ran before the method, was
  met, and every check of it during the method (continuous strategies) was met.  The last
  two rules are ours: chaoslib ends an experiment whose hypothesis fails *before* the
  method with ``status: completed`` and ``deviated: false`` (the method never ran), and it
  sets ``deviated`` for a check during the method only with fail-fast.
* Something must have been verified and injected: an experiment without a hypothesis with
  probes, one whose hypothesis was checked neither during nor after the method, one whose
  method ran no activity, and (unless allowed) one with a method activity that failed, did
  not pass, although chaoslib completes them.  A method action of the ``process`` provider
  that exited non-zero counts as failed (chaoslib records it as succeeded).
* A probe of a hypothesis is met when its run ``succeeded`` and its ``tolerance_met`` is
  true; a probe that raised is not met, and its value is the exception's last line.
* Values are shown short: an HTTP provider's output as ``HTTP 200``, a process provider's as
  ``exit 0, stdout '...'``, anything else as JSON cut to 120 characters.

:mod:`pytest_gates.formats.chaos_secrets` removes secret values before a journal is saved or
shown.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FormatError, read_json

__all__ = [
    "ActivityResult",
    "Hypothesis",
    "JournalSummary",
    "ProbeResult",
    "read_journal",
    "summarise",
]

_SHORT = 120


@dataclass(frozen=True)
class ProbeResult:
    """One probe of a steady-state hypothesis run."""

    name: str
    tolerance: str
    value: str
    met: bool
    status: str  # succeeded | failed

    def line(self) -> str:
        mark = "+" if self.met else "-"
        verdict = "met" if self.met else "NOT MET"
        return f"  {mark} {self.name}: tolerance {self.tolerance}, value {self.value}: {verdict}"


@dataclass(frozen=True)
class Hypothesis:
    """One run of the steady-state hypothesis (before or after the method)."""

    met: bool
    probes: tuple[ProbeResult, ...]

    def first_unmet(self) -> ProbeResult | None:
        return next((p for p in self.probes if not p.met), None)


@dataclass(frozen=True)
class ActivityResult:
    """One activity of the method or of the rollbacks."""

    name: str
    type: str  # action | probe
    status: str  # succeeded | failed | unfinished
    detail: str  # the output, short, or the exception's last line
    exit_status: int | None = None  # a process provider's exit code

    @property
    def failed(self) -> bool:
        """Did not do its work: not succeeded, or an action whose process exited non-zero."""
        if self.status != "succeeded":
            return True
        return self.type == "action" and self.exit_status not in (None, 0)

    def line(self) -> str:
        text = f"  {self.name} ({self.type}): {self.status}"
        return text + (f" - {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class JournalSummary:
    """What a journal says, in the terms a verdict needs."""

    title: str
    status: str
    deviated: bool
    before: Hypothesis | None  # None: the hypothesis did not run before the method
    after: Hypothesis | None
    during: tuple[Hypothesis, ...]  # continuous hypothesis runs
    method: tuple[ActivityResult, ...]
    rollbacks: tuple[ActivityResult, ...]
    declared_probes: int
    declared_rollbacks: int

    @property
    def passed(self) -> bool:
        """Passed by the strict rules (a failed method activity fails the experiment)."""
        return self.failure() is None

    def passes(self, *, allow_failed_activities: bool = False) -> bool:
        return self.failure(allow_failed_activities=allow_failed_activities) is None

    @property
    def failed_activities(self) -> list[ActivityResult]:
        return [a for a in self.method if a.failed]

    def failure(self, *, allow_failed_activities: bool = False) -> str | None:
        """Why the experiment did not pass (one line), or None when it passed."""
        if self.before is not None and not self.before.met:
            probe = self.before.first_unmet()
            what = _probe_verdict(probe) if probe else "not met"
            return f"steady state not met before the method: {what}; the method did not run"
        if self.after is not None and not self.after.met:
            probe = self.after.first_unmet()
            what = _probe_verdict(probe) if probe else "not met"
            return f"steady state not met after the method (deviated): {what}"
        unmet_during = [h for h in self.during if not h.met]
        if unmet_during:
            # chaoslib sets ``deviated`` for continuous checks only with fail-fast: a
            # breach while the fault was on is a failure either way.
            probe = unmet_during[0].first_unmet()
            what = _probe_verdict(probe) if probe else "not met"
            return (
                f"steady state not met during the method ({len(unmet_during)} of"
                f" {len(self.during)} checks): {what}"
            )
        if self.status == "aborted":
            return "aborted: the method raised an unexpected error (see the run log)"
        if self.status == "interrupted":
            return "interrupted: a control, a signal or an activity stopped the run"
        if self.status != "completed":
            return f"status {self.status}"
        if self.deviated:
            return "deviated"
        if not self.declared_probes:
            return (
                "no steady-state hypothesis with probes: the run verified nothing"
                " (chaoslib completes such an experiment whatever happens)"
            )
        if self.after is None and not self.during:
            return (
                "the steady state was not checked during or after the method"
                " (hypothesis strategy before-method-only?): nothing verified that it held"
            )
        if not self.method:
            return "the method ran no activity: no fault was injected"
        failed = self.failed_activities
        if failed and not allow_failed_activities:
            first = failed[0]
            if first.status == "succeeded":
                what = f"{first.name!r} exited non-zero ({first.detail})"
            else:
                what = f"{first.name!r} {first.status}"
                what += f": {first.detail}" if first.detail else ""
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            return f"method activity {what}{more}; the fault may not have been injected"
        return None

    def verdict(self, *, allow_failed_activities: bool = False) -> str:
        """One line: why the experiment passed or not."""
        failure = self.failure(allow_failed_activities=allow_failed_activities)
        if failure is not None:
            return failure
        phases = [
            when
            for when, ran in (
                ("before", self.before is not None),
                ("during", bool(self.during)),
                ("after", self.after is not None),
            )
            if ran
        ]
        checked = " and ".join([", ".join(phases[:-1]), phases[-1]] if len(phases) > 1 else phases)
        text = f"completed: steady state met {checked} the method ({self.declared_probes} probes)"
        failed = self.failed_activities
        if failed:
            names = ", ".join(a.name for a in failed)
            what = "activity" if len(failed) == 1 else "activities"
            text += f"; note: {len(failed)} method {what} failed ({names})"
        return text

    def lines(self) -> list[str]:
        """The explanation: hypothesis before, method, hypothesis after, rollbacks."""
        out = [
            f"experiment {self.title!r}: status {self.status},"
            f" deviated {str(self.deviated).lower()}"
        ]
        out += _hypothesis_lines("before the method", self.before, self.declared_probes)
        if self.method:
            out.append("method:")
            out += [a.line() for a in self.method]
        elif self.before is not None and not self.before.met:
            out.append("method: not run")
        else:
            out.append("method: no activity ran")
        if self.during:
            unmet = sum(1 for h in self.during if not h.met)
            out.append(
                f"steady state during the method: {len(self.during)} checks, {unmet} not met"
            )
        out += _hypothesis_lines("after the method", self.after, self.declared_probes)
        if self.rollbacks:
            out.append("rollbacks:")
            out += [a.line() for a in self.rollbacks]
        elif self.declared_rollbacks:
            out.append(
                f"rollbacks: {self.declared_rollbacks} declared, none played (the rollback"
                " strategy 'default' skips them when the run failed or was interrupted,"
                " 'deviated' when it did not deviate, 'never' always)"
            )
        else:
            out.append("rollbacks: none declared")
        return out


def _probe_verdict(probe: ProbeResult) -> str:
    if probe.status != "succeeded":
        return f"probe {probe.name!r} failed: {probe.value}"
    return f"probe {probe.name!r} value {probe.value} not within tolerance {probe.tolerance}"


def _hypothesis_lines(when: str, hypo: Hypothesis | None, declared: int) -> list[str]:
    if hypo is None:
        if not declared:
            return [f"steady state {when}: no hypothesis declared"]
        return [f"steady state {when}: not checked"]
    verdict = "met" if hypo.met else "NOT MET"
    lines = [f"steady state {when}: {verdict}"]
    lines += [p.line() for p in hypo.probes]
    if len(hypo.probes) < declared:
        lines.append(f"  ({declared - len(hypo.probes)} later probes not run)")
    return lines


# -- reading ---------------------------------------------------------------------------


def read_journal(path: str | os.PathLike[str]) -> JournalSummary:
    """Summarise a journal file; a file that is not a journal is a :class:`FormatError`."""
    data = read_json(path)
    try:
        return summarise(data)
    except ValueError as exc:
        raise FormatError(path, str(exc)) from None


def summarise(journal: Mapping[str, Any]) -> JournalSummary:
    """The summary of a journal (a ``dict`` as chaoslib returns it or as read from JSON)."""
    if not isinstance(journal, Mapping) or "status" not in journal:
        raise ValueError("not a Chaos Toolkit journal (no 'status')")
    experiment = journal.get("experiment") or {}
    hypo = experiment.get("steady-state-hypothesis") or {}
    states = journal.get("steady_states") or {}
    return JournalSummary(
        title=str(experiment.get("title") or "(untitled)"),
        status=str(journal.get("status")),
        deviated=bool(journal.get("deviated")),
        before=_hypothesis(states.get("before")),
        after=_hypothesis(states.get("after")),
        during=tuple(h for h in map(_hypothesis, states.get("during") or []) if h is not None),
        method=tuple(_activity(r) for r in journal.get("run") or []),
        rollbacks=tuple(_activity(r) for r in journal.get("rollbacks") or []),
        declared_probes=len(hypo.get("probes") or []),
        declared_rollbacks=len(experiment.get("rollbacks") or []),
    )


def _hypothesis(state: Any) -> Hypothesis | None:
    if not isinstance(state, Mapping):
        return None
    probes = tuple(_probe(r) for r in state.get("probes") or [])
    return Hypothesis(met=bool(state.get("steady_state_met")), probes=probes)


def _probe(run: Mapping[str, Any]) -> ProbeResult:
    activity = run.get("activity") or {}
    status = str(run.get("status") or "unfinished")
    value = _error(run) if status == "failed" else short_value(run.get("output"))
    return ProbeResult(
        name=str(activity.get("name") or activity.get("ref") or "(unnamed)"),
        tolerance=tolerance_text(activity.get("tolerance")),
        value=value,
        met=status == "succeeded" and bool(run.get("tolerance_met")),
        status=status,
    )


def _activity(run: Mapping[str, Any]) -> ActivityResult:
    activity = run.get("activity") or {}
    status = str(run.get("status") or "unfinished")
    if status == "failed":
        detail = _error(run)
    elif run.get("output") is not None:
        detail = short_value(run.get("output"))
    else:
        detail = ""
    output = run.get("output")
    provider = activity.get("provider") or {}
    exit_status = None
    if provider.get("type") == "process" and isinstance(output, Mapping):
        code = output.get("status")
        exit_status = code if isinstance(code, int) else None
    return ActivityResult(
        name=str(activity.get("name") or activity.get("ref") or "(unnamed)"),
        type=str(activity.get("type") or "activity"),
        status=status,
        detail=detail,
        exit_status=exit_status,
    )


_QUALIFIED = re.compile(r"\b(?:[A-Za-z_]\w*\.)+([A-Z]\w*)")


def _error(run: Mapping[str, Any]) -> str:
    """The exception's last line, without module paths or chaoslib's doubled prefix."""
    lines = [str(x).strip() for x in run.get("exception") or []]
    lines = [x for x in lines if x]
    if not lines:
        return "failed (no exception recorded)"
    text = _QUALIFIED.sub(r"\1", lines[-1])
    name, sep, rest = text.partition(": ")
    while sep and rest.startswith(name + ": "):
        rest = rest[len(name) + 2 :]
    return _cut(f"{name}{sep}{rest}")


def short_value(value: Any) -> str:
    """An activity's output in a few words."""
    if isinstance(value, Mapping):
        keys = set(value)
        if {"status", "headers", "body"} <= keys:
            return f"HTTP {value['status']}"
        if {"status", "stdout", "stderr"} <= keys:
            text = f"exit {value['status']}"
            out = str(value.get("stdout") or "").strip()
            return text + (f", stdout {_cut(out.splitlines()[0], 60)!r}" if out else "")
    return _cut(json.dumps(value, default=str, ensure_ascii=False))


def tolerance_text(tolerance: Any) -> str:
    """A tolerance as a reader would say it (``200``, ``range [0, 200]``, ``regex ...``)."""
    if isinstance(tolerance, Mapping):
        kind = tolerance.get("type")
        target = f" of {tolerance['target']}" if tolerance.get("target") else ""
        if kind == "range":
            return f"range {json.dumps(tolerance.get('range'))}{target}"
        if kind == "regex":
            return f"regex {tolerance.get('pattern')!r}{target}"
        if kind == "jsonpath":
            text = f"jsonpath {tolerance.get('path')!r}{target}"
            if "expect" in tolerance:
                text += f" == {json.dumps(tolerance['expect'], default=str)}"
            if tolerance.get("count") is not None:
                text += f" count {tolerance['count']}"
            return _cut(text)
        if kind == "probe":
            provider = tolerance.get("provider") or {}
            where = ".".join(str(p) for p in (provider.get("module"), provider.get("func")) if p)
            return f"probe {tolerance.get('name') or where or provider.get('path') or '?'}"
    return _cut(json.dumps(tolerance, default=str, ensure_ascii=False))


def _cut(text: str, limit: int = _SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
