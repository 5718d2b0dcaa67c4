"""Suite gates: gates whose verdict is made from member items run in the same session.

A suite gate (:class:`~pytest_gates.api.SuiteGate`) owns

* the pytest tests collected from its ``tests`` paths: they keep their own node ids,
  conftests and fixtures, and appear in the verdict as testcases of their own;
* the checks its kind declares (:meth:`SuiteGate.checks`), one :class:`CheckItem` each.

Its own item (the gate's verdict line) runs after them and hands their results
(:class:`~pytest_gates.api.Member`) to :meth:`SuiteGate.evaluate_suite`.  Results are
gathered per process; under pytest-xdist a gate and all its members are scheduled on one
worker (see :func:`gate_scope`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .api import Check, GateError, Member, Outcome, Status, SuiteGate
from .context import RunContext
from .spec import GateSpec
from .state import STATE_KEY

# On a member item (and the collectors of its tests): the id of the gate that owns it.
MEMBER_OF = pytest.StashKey[str]()
# On a member item: values it recorded for its gate (e.g. latencies), and its evidence.
MEMBER_DATA = pytest.StashKey[dict[str, Any]]()
MEMBER_EVIDENCE = pytest.StashKey[list[str]]()
# On a member item: callbacks that save evidence when the member fails (a screenshot...).
ON_FAILURE = pytest.StashKey[list[Callable[[pytest.Item], list[str]]]]()
# On a check item: its outcome's status (an error is not a failure).
CHECK_STATUS = pytest.StashKey[str]()
BINDINGS = pytest.StashKey[dict[str, "SuiteBinding"]]()
RESULTS = pytest.StashKey[dict[str, dict[str, Member]]]()


@dataclass
class SuiteBinding:
    """A suite gate in this run: its spec, its gate object, and a context for fixtures."""

    spec: GateSpec
    gate: SuiteGate
    ctx: RunContext
    problems: list[str] = field(default_factory=list)  # fail the gate (error)

    @property
    def settings(self) -> dict[str, Any]:
        return self.gate.settings

    def record(self, item: pytest.Item, key: str, value: Any) -> None:
        """Add ``value`` to the list ``key`` of the member's data (e.g. a latency)."""
        item.stash.setdefault(MEMBER_DATA, {}).setdefault(key, []).append(value)

    def on_failure(self, item: pytest.Item, callback: Callable[[pytest.Item], list[str]]) -> None:
        """Call ``callback(item)`` if the member fails; it returns evidence file paths."""
        item.stash.setdefault(ON_FAILURE, []).append(callback)


def bindings(config: pytest.Config) -> dict[str, SuiteBinding]:
    return config.stash.setdefault(BINDINGS, {})


def binding_for(item: pytest.Item) -> SuiteBinding:
    """The suite gate that owns ``item`` (a clear error for a test outside every suite)."""
    gate_id = owner(item)
    found = bindings(item.config).get(gate_id) if gate_id else None
    if found is None:
        raise pytest.UsageError(
            f"{item.nodeid} uses a pytest-gates suite fixture, but no suite gate owns it: run"
            " it through a gate profile (pytest --gate=PROFILE) whose suite gate lists it"
            " under 'tests'"
        )
    return found


def owner(node: pytest.Item | pytest.Collector) -> str | None:
    """The suite gate id that owns this node, from the node or its parents."""
    for parent in reversed(node.listchain()):
        found = parent.stash.get(MEMBER_OF, None)
        if found is not None:
            return found
    return None


def collect_suite(
    parent: pytest.Collector, binding: SuiteBinding, rootdir: Path
) -> Iterator[pytest.Item | pytest.Collector]:
    """The member collectors and check items of one suite gate, in order."""
    spec, ihook = binding.spec, parent.ihook
    for value in binding.settings.get("tests") or []:
        path = binding.ctx.path(value)
        if not path.exists():
            binding.problems.append(
                f"test path {value!r} does not exist ({path}); setting 'tests' of gate"
                f" {spec.id!r} at {spec.location}"
            )
            continue
        path = path.resolve()
        cols: list[pytest.Collector]
        if path.is_dir():
            col = ihook.pytest_collect_directory(path=path, parent=parent)
            cols = [col] if col is not None else []
        else:
            cols = list(ihook.pytest_collect_file(file_path=path, parent=parent))
        if not cols:
            binding.problems.append(
                f"test path {value!r} holds nothing pytest collects (is it a test_*.py file"
                f" or a folder of them?); setting 'tests' of gate {spec.id!r}"
            )
        for col in cols:
            col.stash[MEMBER_OF] = spec.id
            yield col
    try:
        checks = list(binding.gate.checks(binding.ctx))
    except GateError as exc:
        binding.problems.append(str(exc))
        checks = []
    seen: set[str] = set()
    for check in checks:
        if check.name in seen:
            binding.problems.append(f"two checks of gate {spec.id!r} are named {check.name!r}")
            continue
        seen.add(check.name)
        item = CheckItem.from_parent(parent, name=f"{spec.id}[{check.name}]", check=check)
        item.stash[MEMBER_OF] = spec.id
        yield item


class CheckFailure(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        super().__init__(outcome.summary)


class CheckItem(pytest.Item):
    """One declared check of a suite gate (an API check, a chaos experiment)."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        from .nodes import GateTimeout, call_with_timeout

        binding = binding_for(self)
        spec = binding.spec
        state = self.config.stash[STATE_KEY]
        timeout = spec.timeout if spec.timeout is not None else state.default_timeout
        ctx = RunContext(
            spec.id,
            binding.ctx.rootdir,
            rerun_command=binding.ctx.rerun_command,
            evidence_root=binding.ctx.evidence_root,
            timeout=timeout,
        )
        try:
            if timeout and self.check.interrupt is not None and can_interrupt():
                outcome = run_interruptible(self.check, ctx, timeout)
            else:
                outcome = call_with_timeout(self.check.run, ctx, timeout)
        except GateError as exc:
            outcome = Outcome.error(str(exc))
        except GateTimeout:
            outcome = Outcome.error(f"timed out after {timeout:g} s (setting 'timeout')")
        finally:
            ctx.close()
        data = self.stash.setdefault(MEMBER_DATA, {})
        data.update(outcome.measured)
        self.stash.setdefault(MEMBER_EVIDENCE, []).extend(outcome.evidence)
        self.stash[CHECK_STATUS] = outcome.status.value
        if outcome.status is not Status.PASSED:
            raise CheckFailure(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailure):
            from .nodes import describe

            where = f"declared at {self.check.location}" if self.check.location else ""
            return describe(excinfo.value.outcome, where)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[str, int | None, str]:
        binding = binding_for(self)
        return str(binding.spec.file), binding.spec.line - 1, f"check {self.name}"


def can_interrupt() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def run_interruptible(check: Check, ctx: RunContext, timeout: float) -> Outcome:
    """Run ``check`` on this (main) thread; after ``timeout`` s raise its ``interrupt()``
    exception inside it, so that it stops (and cleans up) rather than running on unseen."""
    assert check.interrupt is not None
    make = check.interrupt
    raised: list[BaseException] = []

    def on_alarm(signum: int, frame: Any) -> None:
        raised.append(make())
        raise raised[-1]

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        outcome = check.run(ctx)
    except BaseException as exc:
        if not raised or exc is not raised[-1]:
            raise
        outcome = Outcome.error("interrupted")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if not raised:
        return outcome
    return Outcome.error(
        f"timed out after {timeout:g} s (setting 'timeout'): interrupted"
        f" ({type(raised[-1]).__name__}); it reported: {outcome.summary}",
        measured=outcome.measured,
        threshold=outcome.threshold,
        details=outcome.details,
        evidence=outcome.evidence,
    )


# -- results ------------------------------------------------------------------------------


def member_status(report: pytest.TestReport, previous: str | None) -> str:
    """The member's status after this phase's report."""
    if report.when in ("setup", "call"):
        if report.failed:
            return "error" if report.when == "setup" else "failed"
        if report.skipped:
            return "xfailed" if hasattr(report, "wasxfail") else "skipped"
        return "passed"
    # teardown: an error there spoils a passed member.
    if report.failed and previous in (None, "passed", "xfailed"):
        return "error"
    return previous or "passed"


def message_of(report: pytest.TestReport) -> str:
    """One line: the skip reason, or the exception of a failure (not the whole traceback)."""
    longrepr = report.longrepr
    if report.skipped and hasattr(report, "wasxfail"):
        return f"expected to fail: {report.wasxfail}" if report.wasxfail else "expected to fail"
    if report.skipped and isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    if isinstance(longrepr, str):  # a check's own explanation: its first line is the summary
        return longrepr.strip().splitlines()[0] if longrepr.strip() else report.outcome
    message = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    if message:
        return str(message)
    text = report.longreprtext.strip()
    return text.splitlines()[-1] if text else report.outcome


def record_report(config: pytest.Config, report: pytest.TestReport) -> None:
    """Fold one phase's report of a member into this process's results."""
    info = getattr(report, "gate_member", None)
    if info is None:
        return
    results = config.stash.setdefault(RESULTS, {}).setdefault(info["gate"], {})
    previous = results.get(report.nodeid)
    status = info.get("status") or member_status(report, previous.status if previous else None)
    changed = previous is None or status != previous.status
    message = message_of(report) if changed and status != "passed" else ""
    results[report.nodeid] = Member(
        nodeid=report.nodeid,
        status=status,
        message=message or (previous.message if previous else ""),
        duration=(previous.duration if previous else 0.0) + report.duration,
        data=info.get("data", {}),
        evidence=tuple(info.get("evidence", ())),
    )


def annotate_member(item: pytest.Item, report: pytest.TestReport) -> None:
    """Give a member's report its gate, data and evidence (saved by the failure callbacks
    while its fixtures are alive): a plain dict that travels to the pytest-xdist controller."""
    gate_id = owner(item)
    if gate_id is None:
        return
    evidence = item.stash.setdefault(MEMBER_EVIDENCE, [])
    if report.failed and report.when in ("setup", "call"):
        for callback in item.stash.get(ON_FAILURE, []):
            evidence.extend(callback(item))
    info: dict[str, Any] = {
        "gate": gate_id,
        "data": jsonable(item.stash.get(MEMBER_DATA, {})),
        "evidence": list(evidence),
    }
    if report.when == "call" and item.stash.get(CHECK_STATUS, None) == "error":
        info["status"] = "error"  # a check that could not evaluate: not a failure
    report.gate_member = info  # type: ignore[attr-defined]


class MemberResults:
    """A plugin object in each process of a ``--gate`` run (xdist workers too)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record_report(self.config, report)


def jsonable(value: Any) -> Any:
    """A JSON-safe copy (reports travel from pytest-xdist workers to the controller)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def members_of(config: pytest.Config, gate_id: str) -> list[Member]:
    return list(config.stash.get(RESULTS, {}).get(gate_id, {}).values())


def gate_scope(nodeid: str, profile: str, suites: dict[str, list[str]]) -> str:
    """The pytest-xdist scheduling scope of a node id: its gate, so that a suite gate's
    members and its verdict item run on one worker (``suites``: gate id -> test paths
    relative to the rootdir, posix)."""
    prefix = f"gate:{profile}::"
    if nodeid.startswith(prefix):
        return nodeid[len(prefix) :].split("[", 1)[0]
    for gate_id, paths in suites.items():
        for path in paths:
            path = path.rstrip("/")
            if path in (".", "") or nodeid == path or nodeid.startswith((path + "/", path + "::")):
                return gate_id
    return nodeid
