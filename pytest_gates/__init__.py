"""pytest-gates: release quality gates as pytest items, one JUnit verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import (
        SUITE_SETTINGS,
        Check,
        Gate,
        GateContext,
        GateError,
        Member,
        Outcome,
        Setting,
        Status,
        SuiteGate,
    )
    from .kinds import KindRegistry

__all__ = [
    "SUITE_SETTINGS",
    "Check",
    "Gate",
    "GateContext",
    "GateError",
    "KindRegistry",
    "Member",
    "Outcome",
    "Setting",
    "Status",
    "SuiteGate",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy, so that the format readers (pytest_gates.formats.*) import without the gate API.
    if name == "KindRegistry":
        from .kinds import KindRegistry

        return KindRegistry
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'pytest_gates' has no attribute {name!r}")
