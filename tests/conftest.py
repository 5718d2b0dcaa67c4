"""Shared fixtures; and in CI (GATES_FORBID_SKIPS=1) a skipped test fails the run."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and os.environ.get("GATES_FORBID_SKIPS"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped:
        terminalreporter.write_sep("=", "skips are failures here (GATES_FORBID_SKIPS=1)", red=True)
        for nodeid in _skipped:
            terminalreporter.write_line(f"SKIPPED {nodeid}", red=True)


@pytest.fixture
def data() -> Path:
    return DATA


Profile = Callable[..., Path]


@pytest.fixture
def profile(pytester: pytest.Pytester) -> Profile:
    """Write ``gate_profiles/<name>.yaml`` in the pytester project (dedented)."""

    def write(text: str, name: str = "pr") -> Path:
        folder = pytester.path / "gate_profiles"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.yaml"
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def copy_data(pytester: pytest.Pytester) -> Callable[[str, str], Path]:
    """Copy ``tests/data/<src>`` into the pytester project at ``dest``."""

    def copy(src: str, dest: str) -> Path:
        target = pytester.path / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / src, target)
        return target

    return copy


ECHO_KIND = '''
import pytest
from pytest_gates import Gate, GateError, Outcome, Setting


class Echo(Gate):
    """A gate whose verdict is its settings: for testing the engine."""

    kind = "echo"
    settings_schema = {
        "value": Setting(int, required=True),
        "min": Setting(int, default=0),
        "mode": Setting(str, default="normal"),
    }

    def evaluate(self, ctx):
        value, minimum, mode = self.settings["value"], self.settings["min"], self.settings["mode"]
        if mode == "raise":
            raise ValueError("a bug in the gate")
        if mode == "gate-error":
            raise GateError("the evidence is missing")
        if mode == "sleep":
            import time
            time.sleep(5)
        if mode == "interrupt":
            raise KeyboardInterrupt
        measured, threshold = {"value": value}, {"value": f">= {minimum}"}
        if value >= minimum:
            return Outcome.passed(
                f"value {value} >= {minimum}", measured=measured, threshold=threshold
            )
        return Outcome.failed(f"value {value} < {minimum}", measured=measured, threshold=threshold)


@pytest.hookimpl
def pytest_gates_register_kinds(registry):
    registry.add(Echo)
'''


@pytest.fixture
def echo_kind(pytester: pytest.Pytester) -> None:
    """A conftest.py that registers the ``echo`` test kind through the hook."""
    pytester.makeconftest(ECHO_KIND)
