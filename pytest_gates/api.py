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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol, runtime_checkable

__all__ = [
    "Gate",
    "GateContext",
    "GateError",
    "Outcome",
    "Setting",
    "Status",
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
