"""Registers the built-in gate kinds, the same way a third-party plugin would."""

from __future__ import annotations

import pytest

from .kinds import KindRegistry

# Kind name -> "module:Class". Imported when a profile uses the kind, not before: runs
# without --gate, and profiles without e.g. a selenium gate, do not pay for them.
BUILTIN_KINDS = {
    "junit": "pytest_gates.gates.junit:JUnitGate",
    "coverage": "pytest_gates.gates.coverage:CoverageGate",
    "sarif": "pytest_gates.gates.sarif:SarifGate",
    "sonar": "pytest_gates.gates.sonar:SonarGate",
    "document": "pytest_gates.gates.document:DocumentGate",
    "selenium": "pytest_gates.gates.selenium:SeleniumGate",
    "api": "pytest_gates.gates.http_api:ApiGate",
    "chaos": "pytest_gates.gates.chaos:ChaosGate",
    "health": "pytest_gates.gates.health:HealthGate",
    "benchmark": "pytest_gates.gates.benchmark:BenchmarkGate",
    "change-ticket": "pytest_gates.gates.change_ticket:ChangeTicketGate",
    "verdict": "pytest_gates.gates.verdict:VerdictGate",
    "approvals": "pytest_gates.gates.approvals:ApprovalsGate",
    "incidents": "pytest_gates.gates.incidents:IncidentsGate",
}


@pytest.hookimpl(trylast=True)
def pytest_gates_register_kinds(registry: KindRegistry) -> None:
    for name, target in BUILTIN_KINDS.items():
        registry.add_lazy(name, target, source=f"pytest-gates (built-in kind {name!r})")
