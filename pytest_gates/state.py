"""Typed keys for the plugin's state in ``config.stash`` / ``item.stash``."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .api import Gate, Outcome

if TYPE_CHECKING:
    from .profile import Profile


@dataclass
class GateState:
    """What one ``--gate`` run knows; lives in ``config.stash[STATE_KEY]``."""

    gate_arg: str
    rootdir: Path
    profile_dirs: list[Path]
    cli_profile_dirs: list[str]
    kinds: Mapping[str, type[Gate]] = field(default_factory=dict)
    kind_sources: dict[str, str] = field(default_factory=dict)
    profile: Profile | None = None
    problem: str | None = None
    only: list[str] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)
    default_timeout: float | None = None
    evidence_root: Path | None = None

    @property
    def profile_name(self) -> str:
        if self.profile is not None:
            return self.profile.name
        return (
            Path(self.gate_arg).stem if self.gate_arg.endswith((".yaml", ".yml")) else self.gate_arg
        )

    def rerun_command(self, gate_id: str) -> str:
        """The command that re-runs just ``gate_id``, as a developer would type it."""
        parts = ["pytest", f"--gate={self.gate_arg}"]
        parts += [f"--gate-profiles={d}" for d in self.cli_profile_dirs]
        parts += ["--gate-only", gate_id]
        return shlex.join(parts)


STATE_KEY = pytest.StashKey[GateState]()
OUTCOME_KEY = pytest.StashKey[Outcome]()
