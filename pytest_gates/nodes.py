"""The pytest nodes: a collector for the profile and one Item per gate."""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .api import Gate, GateError, Outcome, Status, SuiteGate
from .context import RunContext
from .profile import GateSpec, ProfileError
from .state import OUTCOME_KEY, STATE_KEY, GateState
from .suite import SuiteBinding, bindings, collect_suite, members_of


class ProfileCollectError(Exception):
    """The profile cannot be used; shown as a collection error (exit code 2)."""


class GateProfileNode(pytest.Directory):
    """Stands for the rootdir in a ``--gate`` run: its children are the profile's gates."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        state = self.config.stash[STATE_KEY]
        if state.problem is not None:
            raise ProfileCollectError(state.problem)
        assert state.profile is not None
        for spec in state.profile.gates:
            kind = state.kinds.get(spec.kind)
            if spec.error is None and kind is not None and issubclass(kind, SuiteGate):
                binding = self._bind(spec, kind)
                if binding is not None:
                    yield from collect_suite(self, binding, state.rootdir)
            yield GateItem.from_parent(self, name=spec.id, spec=spec)

    def _bind(self, spec: GateSpec, kind: type[SuiteGate]) -> SuiteBinding | None:
        """Make the suite gate's object and context (kept for its fixtures and items)."""
        state = self.config.stash[STATE_KEY]
        ctx = RunContext(
            spec.id,
            state.rootdir,
            rerun_command=state.rerun_command(spec.id),
            evidence_root=state.evidence_root,
            explain=spec.id in state.explain,
        )
        try:
            gate = kind(spec.settings)
        except Exception:  # a bug in the kind: the gate item meets it again and reports it
            return None
        binding = SuiteBinding(spec, gate, ctx)
        bindings(self.config)[spec.id] = binding
        return binding

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, ProfileCollectError | ProfileError):
            state = self.config.stash[STATE_KEY]
            return f"gate profile {state.gate_arg!r} is broken:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))


class GateFailure(Exception):
    """Raised by a blocking gate whose status is failed or error."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        super().__init__(outcome.summary)


class GateTimeout(Exception):
    pass


class GateItem(pytest.Item):
    """One gate of the profile."""

    def __init__(self, *, spec: GateSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.add_marker(pytest.mark.gate)
        self.keywords[spec.kind] = True

    @property
    def state(self) -> GateState:
        return self.config.stash[STATE_KEY]

    def runtest(self) -> None:
        spec, state = self.spec, self.state
        rerun = state.rerun_command(spec.id)
        if spec.error is not None:
            outcome = Outcome.error(spec.error)
        else:
            timeout = spec.timeout if spec.timeout is not None else state.default_timeout
            ctx = RunContext(
                spec.id,
                state.rootdir,
                rerun_command=rerun,
                evidence_root=state.evidence_root,
                timeout=timeout,
                explain=spec.id in state.explain,
            )
            try:
                binding = bindings(self.config).get(spec.id)
                gate: Gate = binding.gate if binding else state.kinds[spec.kind](spec.settings)
                outcome = self._evaluate(gate, ctx, timeout)
                if not isinstance(outcome, Outcome):
                    raise TypeError(
                        f"{type(gate).__name__}.evaluate() returned {outcome!r}, not an Outcome"
                    )
            except GateError as exc:
                outcome = Outcome.error(str(exc))
            except GateTimeout:
                outcome = Outcome.error(
                    f"timed out after {timeout:g} s without a verdict (setting 'timeout')"
                )
            except Exception as exc:
                # A bug in a gate: fail closed, and keep the traceback for its author.
                outcome = Outcome.error(
                    f"the gate raised {type(exc).__name__}: {exc}",
                    details=traceback.format_exc(),
                )
                self.stash[OUTCOME_KEY] = outcome
                self.ihook.pytest_gates_outcome(item=self, spec=spec, outcome=outcome)
                if spec.blocking:
                    raise
            finally:
                ctx.close()
        self.stash[OUTCOME_KEY] = outcome
        self.ihook.pytest_gates_outcome(item=self, spec=spec, outcome=outcome)
        if outcome.status is not Status.PASSED and spec.blocking:
            raise GateFailure(outcome)

    def _evaluate(self, gate: Gate, ctx: RunContext, timeout: float | None) -> Any:
        if not isinstance(gate, SuiteGate):
            return call_with_timeout(gate.evaluate, ctx, timeout)
        binding = bindings(self.config)[self.spec.id]
        if binding.problems:
            raise GateError("\n".join(binding.problems))
        members = members_of(self.config, self.spec.id)
        return call_with_timeout(lambda c: gate.evaluate_suite(c, members), ctx, timeout)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        rerun = f"re-run this gate: {self.state.rerun_command(self.spec.id)}"
        if isinstance(excinfo.value, GateFailure):
            return explain(excinfo.value.outcome, self.spec) + "\n" + rerun
        # A bug in the gate: show its traceback from the gate's own code down.
        excinfo.traceback = excinfo.traceback.filter(_not_internal)
        base = super().repr_failure(excinfo, style=style)
        if hasattr(base, "addsection"):
            base.addsection("re-run", rerun)
            return base
        return f"{base}\n{rerun}"

    def reportinfo(self) -> tuple[str, int, str]:
        return str(self.spec.file), self.spec.line - 1, f"gate {self.spec.id} ({self.spec.kind})"


_INTERNAL = (f"{os.sep}_pytest{os.sep}", f"{os.sep}pluggy{os.sep}", __file__)


def _not_internal(entry: Any) -> bool:
    path = str(entry.path)
    return not any(part in path for part in _INTERNAL)


def explain(outcome: Outcome, spec: GateSpec) -> str:
    """The text of a verdict: status and summary, measured vs threshold, details."""
    where = f"gate {spec.id!r} (kind {spec.kind}) defined at {spec.location}"
    return describe(outcome, where)


def describe(outcome: Outcome, where: str) -> str:
    """An outcome as text (a gate's or a check's), ending with where it is declared."""
    lines = [f"{outcome.status.value.upper()}: {outcome.summary}"]
    if outcome.measured:
        lines.append(f"measured:  {outcome.measured_text()}")
    if outcome.threshold:
        lines.append(f"threshold: {outcome.threshold_text()}")
    if outcome.details:
        lines.append(outcome.details.rstrip())
    lines.extend(f"evidence: {e}" for e in outcome.evidence)
    if where:
        lines.append(where)
    return "\n".join(lines)


def call_with_timeout(
    fn: Callable[[RunContext], Any], ctx: RunContext, timeout: float | None
) -> Any:
    """Run ``fn(ctx)``, in a helper thread when there is a timeout."""
    if not timeout:
        return fn(ctx)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn(ctx)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"gate-{ctx.gate_id}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise GateTimeout()
    if "error" in box:
        raise box["error"]
    return box["result"]
