"""The resolved form of a profile: frozen dataclasses and the profile errors.  No pytest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ProfileError(Exception):
    """A profile that cannot be used; each line of the message is ``file:line: problem``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ProfileNotFound(Exception):
    """``--gate NAME`` named no profile in the search path."""


@dataclass(frozen=True)
class GateSpec:
    """One gate of a resolved profile."""

    id: str
    kind: str
    settings: Mapping[str, Any]
    raw_settings: Mapping[str, Any]
    description: str = ""
    blocking: bool = True
    timeout: float | None = None
    origin: str = ""
    file: Path = Path()
    line: int = 0
    error: str | None = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    description: str
    gates: tuple[GateSpec, ...]
    chain: tuple[str, ...] = field(default=())

    def gate(self, gate_id: str) -> GateSpec:
        for spec in self.gates:
            if spec.id == gate_id:
                return spec
        raise KeyError(gate_id)


@dataclass
class MergedGate:
    """A gate's settings after ``extends`` merging, with where each key was written."""

    values: dict[str, Any]
    lines: dict[str, tuple[Path, int]]
    file: Path
    line: int
    origin: str
