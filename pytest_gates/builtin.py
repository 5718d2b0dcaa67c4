"""Registers the built-in gate kinds, the same way a third-party plugin would."""

from __future__ import annotations

import importlib

import pytest

from .kinds import KindError, KindRegistry

# "module:Class", one per kind. Imported inside the hook, not at module level: runs
# without --gate should not pay for them.
BUILTIN_KINDS = (
    "pytest_gates.gates.junit:JUnitGate",
    "pytest_gates.gates.coverage:CoverageGate",
    "pytest_gates.gates.sarif:SarifGate",
    "pytest_gates.gates.sonar:SonarGate",
    "pytest_gates.gates.document:DocumentGate",
    "pytest_gates.gates.selenium:SeleniumGate",
    "pytest_gates.gates.http_api:ApiGate",
    "pytest_gates.gates.chaos:ChaosGate",
    "pytest_gates.gates.health:HealthGate",
    "pytest_gates.gates.benchmark:BenchmarkGate",
    "pytest_gates.gates.change_ticket:ChangeTicketGate",
    "pytest_gates.gates.verdict:VerdictGate",
    "pytest_gates.gates.approvals:ApprovalsGate",
    "pytest_gates.gates.incidents:IncidentsGate",
)


@pytest.hookimpl(trylast=True)
def pytest_gates_register_kinds(registry: KindRegistry) -> None:
    for target in BUILTIN_KINDS:
        module, _, name = target.partition(":")
        try:
            cls = getattr(importlib.import_module(module), name)
        except Exception as exc:  # a broken install: the profile is unusable, say why (exit 2)
            raise KindError(f"cannot load the built-in gate kind {target}: {exc!r}") from exc
        registry.add(cls, source=f"pytest-gates (built-in kind {cls.kind!r})")
