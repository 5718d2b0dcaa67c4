"""pytest-gates: release quality gates as pytest items, one JUnit verdict."""

from __future__ import annotations

from .api import Gate, GateContext, GateError, Outcome, Setting, Status
from .kinds import KindRegistry

__all__ = ["Gate", "GateContext", "GateError", "KindRegistry", "Outcome", "Setting", "Status"]
__version__ = "0.1.0"
