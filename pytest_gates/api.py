"""The public Gate API: what a gate kind author writes against.

A gate kind is a class with a ``kind`` name, a ``settings`` schema and an
``evaluate(ctx)`` method that returns an :class:`Outcome`.  It never touches the file
system, the network, the environment or the clock except through the :class:`GateContext`
it is given, so that a gate is unit-testable without pytest and its inputs can be
recorded and replayed.

This module imports no pytest.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol, runtime_checkable

__all__ = [
    "Check",
    "Gate",
    "GateContext",
    "GateError",
    "Member",
    "Outcome",
    "Setting",
    "Status",
    "SuiteGate",
]


class Status(enum.StrEnum):
    """The three verdicts of a gate."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


class GateError(Exception):
    """Raise from ``evaluate`` when the gate cannot be evaluated (missing, empty or
    malformed evidence, an unreachable server...).  The gate's status becomes ``error``
    (which blocks) and the message is shown without a traceback."""


@dataclass(frozen=True)
class Outcome:
    """What a gate found.

    ``measured`` and ``threshold`` map a short name to a value (``{"line": "87.50%"}``,
    ``{"line": ">= 80%"}``); they fill the summary table and the verdict's properties.
    ``summary`` is one line ("measured against threshold"); ``details`` is free text
    (the first failing tests, the files read...).
    """

    status: Status
    summary: str
    measured: Mapping[str, Any] = field(default_factory=dict)
    threshold: Mapping[str, Any] = field(default_factory=dict)
    details: str = ""
    evidence: tuple[str, ...] = ()

    @classmethod
    def passed(cls, summary: str, **kw: Any) -> Outcome:
        return cls(Status.PASSED, summary, **kw)

    @classmethod
    def failed(cls, summary: str, **kw: Any) -> Outcome:
        return cls(Status.FAILED, summary, **kw)

    @classmethod
    def error(cls, summary: str, **kw: Any) -> Outcome:
        return cls(Status.ERROR, summary, **kw)

    def measured_text(self) -> str:
        return _join(self.measured)

    def threshold_text(self) -> str:
        return _join(self.threshold)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (travels from pytest-xdist workers to the controller)."""
        return {
            "status": self.status.value,
            "summary": self.summary,
            "measured": {k: _plain(v) for k, v in self.measured.items()},
            "threshold": {k: _plain(v) for k, v in self.threshold.items()},
            "details": self.details,
            "evidence": list(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            Status(data["status"]),
            data["summary"],
            measured=dict(data.get("measured", {})),
            threshold=dict(data.get("threshold", {})),
            details=data.get("details", ""),
            evidence=tuple(data.get("evidence", ())),
        )


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _join(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


@dataclass(frozen=True)
class Setting:
    """One setting of a gate kind, validated when the profile loads.

    ``type`` is one of ``str``, ``int``, ``float``, ``bool``, ``list`` (of strings; a single
    string is accepted and becomes a one-item list) or ``dict``.  ``minimum`` bounds
    numbers.  ``help`` is shown by ``--gate-list`` and in the README.
    """

    type: type
    default: Any = None
    required: bool = False
    help: str = ""
    minimum: float | None = None
    choices: tuple[Any, ...] = ()


@runtime_checkable
class GateContext(Protocol):
    """Everything a gate may touch.  All I/O goes through here."""

    @property
    def gate_id(self) -> str: ...

    @property
    def rootdir(self) -> Path: ...

    @property
    def rerun_command(self) -> str: ...

    @property
    def explain(self) -> bool:
        """True when the user asked for this gate's full explanation (``--gate-explain``)."""
        ...

    def path(self, value: str) -> Path:
        """Resolve a setting's path against the rootdir (absolute paths stay as they are)."""
        ...

    def glob(self, patterns: Iterable[str]) -> list[Path]:
        """Files matching the patterns (relative to the rootdir, ``**`` recursive), sorted."""
        ...

    def open(self, path: Path) -> IO[bytes]:
        """Open an evidence file for binary reading."""
        ...

    def env(self, name: str, default: str | None = None) -> str | None: ...

    def http(self) -> Any:
        """A ``requests.Session`` for this gate."""
        ...

    def now(self) -> float:
        """Wall-clock time (seconds since the epoch)."""
        ...

    def monotonic(self) -> float: ...

    def remaining(self) -> float | None:
        """Seconds left before the gate's timeout, or None when it has none."""
        ...

    def evidence_dir(self) -> Path:
        """A folder of this gate's own to save evidence into (created on demand)."""
        ...


class Gate:
    """Base class of a gate kind.

    Subclasses set ``kind`` (the name used in profiles), ``description`` and ``settings``,
    and implement :meth:`evaluate`.  ``self.settings`` holds the validated settings with
    defaults filled in.  The constructor must not do I/O.
    """

    kind: ClassVar[str] = ""
    description: ClassVar[str] = ""
    settings_schema: ClassVar[Mapping[str, Setting]] = {}

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)

    def evaluate(self, ctx: GateContext) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        """Problems that involve several settings (each one is type-checked already).

        Called when the profile loads; each returned string becomes a profile error.
        """
        return []


# -- suite gates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A member of a suite gate that the kind declares (an API check, a chaos experiment).

    Each check becomes its own pytest item, named ``<gate id>[<name>]``; ``run`` returns
    the check's Outcome (or raises GateError).  ``data`` of the outcome's ``measured`` is
    handed to the suite's verdict with the member (e.g. a latency).
    """

    name: str
    run: Callable[[GateContext], Outcome]
    location: str = ""  # where it is declared (a file), shown in reports
    # With a timeout, checks run in a helper thread that cannot be stopped. A check that can
    # be interrupted gives the exception to raise in it instead (chaoslib's
    # InterruptExecution, which stops the experiment and plays its rollbacks): it then runs
    # on the main thread and, when the time is up, that exception is raised there (SIGALRM).
    interrupt: Callable[[], BaseException] | None = None


@dataclass(frozen=True)
class Member:
    """What a suite gate's verdict sees of one member (a pytest test or a declared check)."""

    nodeid: str
    status: str  # passed | failed | error | skipped | xfailed
    message: str = ""
    duration: float = 0.0
    data: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()


SUITE_SETTINGS: Mapping[str, Setting] = {
    "tests": Setting(
        list, default=[], help="pytest test paths (files or folders) this gate runs and owns"
    ),
    "min_tests": Setting(int, default=1, minimum=0, help="fewest members that must run"),
    "allow_skipped": Setting(
        bool,
        default=False,
        help="skipped and xfailed members do not fail the gate (default: they do)",
    ),
}


class SuiteGate(Gate):
    """A gate whose verdict is made from member items that run in the same session.

    Members are the pytest tests collected from the ``tests`` setting (they keep their own
    node ids and fixtures) and the :meth:`checks` the kind declares.  The gate's own item
    runs after its members and calls :meth:`evaluate_suite` with their results.  Kinds add
    their settings to :data:`SUITE_SETTINGS`.
    """

    settings_schema: ClassVar[Mapping[str, Setting]] = SUITE_SETTINGS

    def checks(self, ctx: GateContext) -> Sequence[Check]:
        """The declared members (collected before the run; raise GateError if impossible)."""
        return ()

    def evaluate(self, ctx: GateContext) -> Outcome:  # pragma: no cover - not used for suites
        raise GateError(f"kind {self.kind!r} is a suite: its verdict comes from its members")

    def evaluate_suite(self, ctx: GateContext, members: Sequence[Member]) -> Outcome:
        """Passes when every member passed (skips only with ``allow_skipped``) and at least
        ``min_tests`` ran.  Kinds may extend the measured values (e.g. latency)."""
        return suite_outcome(self.settings, members)


def suite_outcome(
    settings: Mapping[str, Any],
    members: Sequence[Member],
    *,
    measured: Mapping[str, Any] | None = None,
    threshold: Mapping[str, Any] | None = None,
    extra: str = "",
) -> Outcome:
    """The default verdict of a suite: counts, limits, and the failing members listed."""
    counts = {s: 0 for s in ("passed", "failed", "error", "skipped", "xfailed")}
    for m in members:
        counts[m.status] = counts.get(m.status, 0) + 1
    # An expected failure (xfail) ran but proved nothing passes: it is not counted as run,
    # and like a skip it fails the gate unless allow_skipped.
    ran = counts["passed"] + counts["failed"] + counts["error"]
    minimum = int(settings.get("min_tests", 1))
    allow_skipped = bool(settings.get("allow_skipped", False))
    broken = []
    if ran < minimum:
        broken.append(f"{ran} ran < min_tests {minimum}")
    if counts["failed"]:
        broken.append(f"{counts['failed']} failed")
    if counts["error"]:
        broken.append(f"{counts['error']} errors")
    if counts["skipped"] and not allow_skipped:
        broken.append(f"{counts['skipped']} skipped (allow_skipped is false)")
    if counts["xfailed"] and not allow_skipped:
        broken.append(f"{counts['xfailed']} xfailed (allow_skipped is false)")
    all_measured = {
        "tests": len(members),
        "passed": counts["passed"],
        "failed": counts["failed"],
        "errors": counts["error"],
        "skipped": counts["skipped"],
        **({"xfailed": counts["xfailed"]} if counts["xfailed"] else {}),
        **(measured or {}),
    }
    all_threshold = {
        "tests": f">= {minimum}",
        "failed": "<= 0",
        "errors": "<= 0",
        **({} if allow_skipped else {"skipped": "<= 0"}),
        **(threshold or {}),
    }
    text = (
        f"{len(members)} members: {counts['passed']} passed, {counts['failed']} failed,"
        f" {counts['error']} errors, {counts['skipped']} skipped"
    )
    if counts["xfailed"]:
        text += f", {counts['xfailed']} xfailed"
    lines = [text]
    bad = [m for m in members if m.status in ("failed", "error")]
    if not allow_skipped:
        bad += [m for m in members if m.status in ("skipped", "xfailed")]
    if bad:
        lines.append("not passed:")
        for m in bad[:50]:
            msg = m.message.strip().splitlines()[0][:300] if m.message.strip() else ""
            lines.append(f"  {m.status.upper()} {m.nodeid}" + (f" - {msg}" if msg else ""))
        if len(bad) > 50:
            lines.append(f"  ... and {len(bad) - 50} more")
    if extra:
        lines.append(extra.rstrip())
    evidence = tuple(e for m in members for e in m.evidence)
    kw: dict[str, Any] = {
        "measured": all_measured,
        "threshold": all_threshold,
        "details": "\n".join(lines),
        "evidence": evidence,
    }
    if broken:
        return Outcome.failed("; ".join(broken) + f" of {len(members)} members", **kw)
    return Outcome.passed(text, **kw)
