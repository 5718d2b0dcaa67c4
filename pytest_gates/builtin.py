"""Registers the built-in gate kinds, the same way a third-party plugin would."""

from __future__ import annotations

import pytest

from .kinds import KindRegistry


@pytest.hookimpl(trylast=True)
def pytest_gates_register_kinds(registry: KindRegistry) -> None:
    # Imported here, not at module level: runs without --gate should not pay for them.
    from .gates.coverage import CoverageGate
    from .gates.junit import JUnitGate
    from .gates.sarif import SarifGate

    for cls in (JUnitGate, CoverageGate, SarifGate):
        registry.add(cls, source=f"pytest-gates (built-in kind {cls.kind!r})")
