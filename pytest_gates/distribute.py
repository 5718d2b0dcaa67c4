"""pytest-xdist scheduling for ``--gate`` runs: one unit of work per gate.

Used instead of xdist's default ``load`` distribution (``pytest_xdist_make_scheduler``):
every gate is its own scope, so gates still run in parallel, while a suite gate's members
and its verdict item run in order on one worker, which therefore sees all their results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

from .api import SuiteGate
from .state import STATE_KEY
from .suite import gate_scope


class GateScheduling(LoadScopeScheduling):  # type: ignore[misc]
    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        state = config.stash[STATE_KEY]
        assert state.profile is not None
        self._profile = state.profile.name
        self._suites: dict[str, list[str]] = {}
        for spec in state.profile.gates:
            kind = state.kinds.get(spec.kind)
            if kind is not None and issubclass(kind, SuiteGate):
                self._suites[spec.id] = [
                    _relative(state.rootdir, p) for p in spec.settings.get("tests") or []
                ]

    def _split_scope(self, nodeid: str) -> str:
        return gate_scope(nodeid, self._profile, self._suites)


def _relative(rootdir: Path, value: str) -> str:
    path = Path(value)
    path = path if path.is_absolute() else rootdir / path
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
