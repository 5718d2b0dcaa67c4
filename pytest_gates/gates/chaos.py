"""Kind ``chaos``: Chaos Toolkit experiments, each one a member of the gate, run in-process
through chaoslib.

An experiment passes when chaoslib's journal says ``status: completed``, it did not deviate,
a steady-state hypothesis with probes held before, during and after the method (where it
ran), and every method activity succeeded unless ``allow_failed_activities`` (see
:mod:`pytest_gates.formats.chaos_journal`).
Its journal (secrets redacted) and run log are kept as evidence; the message walks through
the hypothesis before, the method, the hypothesis after and the rollbacks.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..api import (
    SUITE_SETTINGS,
    Check,
    GateContext,
    GateError,
    Member,
    Outcome,
    Setting,
    SuiteGate,
    suite_outcome,
)
from ..formats.chaos_journal import summarise
from ..formats.chaos_secrets import redact_journal, redact_text, secret_values
from . import _chaosrun
from ._chaosrun import ROLLBACK_STRATEGIES
from ._suitekit import evidence_stem, relative


class ChaosGate(SuiteGate):
    """One member per experiment file; the gate passes when every experiment passed."""

    kind = "chaos"
    description = "Chaos Toolkit experiments complete without deviating from the steady state"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        **SUITE_SETTINGS,
        "experiments": Setting(
            list, required=True, help="globs of Chaos Toolkit experiments (JSON or YAML)"
        ),
        "configuration": Setting(
            dict, default={}, help="values for the experiments' configuration (as chaos --var)"
        ),
        "secrets": Setting(
            dict, default={}, help="{scope: {name: value}} for the experiments; never shown"
        ),
        "rollback_strategy": Setting(
            str,
            default=None,
            choices=ROLLBACK_STRATEGIES,
            help="when rollbacks play (default: the experiment's runtime, else 'default')",
        ),
        "allow_failed_activities": Setting(
            bool,
            default=False,
            help="pass although a method activity failed (the fault may not have been injected)",
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        if not settings["experiments"]:
            problems.append("'experiments' needs at least one glob")
        for scope, section in (settings.get("secrets") or {}).items():
            if not isinstance(section, dict):
                # Never echo the value: it is a secret.
                problems.append(
                    f"'secrets' must map a scope to {{name: value}}; scope {scope!r} is not a"
                    " mapping (value not shown)"
                )
        return problems

    def checks(self, ctx: GateContext) -> Sequence[Check]:
        patterns: list[str] = self.settings["experiments"]
        paths = ctx.glob(patterns)
        if not paths:
            raise GateError(
                f"no chaos experiment matches {', '.join(patterns)} (under {ctx.rootdir});"
                " setting 'experiments'"
            )
        names = _names(paths, ctx.rootdir)
        return [
            Check(
                name,
                functools.partial(self._run, path, name),
                location=relative(path, ctx.rootdir),
                interrupt=_interrupt,
            )
            for path, name in zip(paths, names, strict=True)
        ]

    def evaluate_suite(self, ctx: GateContext, members: Sequence[Member]) -> Outcome:
        deviated = sum(1 for m in members if m.data.get("deviated") is True)
        return suite_outcome(
            self.settings, members, measured={"deviated": deviated}, threshold={"deviated": "<= 0"}
        )

    def _run(self, path: Path, name: str, ctx: GateContext) -> Outcome:
        shown = relative(path, ctx.rootdir)
        version = _chaosrun.chaoslib_version()
        experiment = _chaosrun.load(path)
        configuration: dict[str, Any] = dict(self.settings.get("configuration") or {})
        secrets: dict[str, Any] = dict(self.settings.get("secrets") or {})
        notes = _chaosrun.validate(path, experiment, configuration, secrets)
        try:
            result = _chaosrun.run(
                path, experiment, configuration, secrets, self.settings.get("rollback_strategy")
            )
        except _chaosrun.RunError as exc:
            log = _save_text(ctx, name, "log", exc.log, secret_values(secrets))
            raise GateError(f"{exc} (run log: {log})") from None
        journal = redact_journal(result.journal, result.secrets)
        evidence = (
            _save_text(ctx, name, "journal.json", [_json(journal)], result.secrets),
            _save_text(ctx, name, "log", result.log, result.secrets),
        )
        summary = summarise(journal)
        measured = {"status": summary.status, "deviated": summary.deviated}
        threshold = {"status": "completed", "deviated": "false"}
        lines = [f"experiment: {shown} (chaoslib {version})"]
        if configuration:
            lines.append(f"configuration from the gate: {', '.join(sorted(configuration))}")
        if secrets:
            lines.append(f"secrets from the gate (values not shown): {', '.join(sorted(secrets))}")
        lines += summary.lines()
        lines.append(result.strategies)
        lines += [redact_text(n, result.secrets) for n in notes + result.notes]
        lines += [f"journal: {evidence[0]}", f"run log: {evidence[1]}"]
        kw: dict[str, Any] = {
            "measured": measured,
            "threshold": threshold,
            "details": "\n".join(lines),
            "evidence": evidence,
        }
        allow = bool(self.settings.get("allow_failed_activities", False))
        verdict = summary.verdict(allow_failed_activities=allow)
        if summary.failed_activities and not allow and summary.passes(allow_failed_activities=True):
            verdict += " (setting 'allow_failed_activities')"
        verdict = redact_text(verdict, result.secrets)
        if summary.passes(allow_failed_activities=allow):
            return Outcome.passed(verdict, **kw)
        return Outcome.failed(verdict, **kw)


def _interrupt() -> BaseException:
    """What the engine raises in a run whose gate timeout ran out: chaoslib's own way to
    stop an experiment (as on SIGTERM); it marks the journal interrupted and plays the
    rollbacks its strategy allows."""
    from chaoslib.exceptions import InterruptExecution  # type: ignore[import-untyped]

    exc: BaseException = InterruptExecution("the gate's timeout ran out")
    return exc


def _names(paths: list[Path], rootdir: Path) -> list[str]:
    """Each experiment's member name: its file stem, or its path where stems collide."""
    stems = [p.stem for p in paths]
    names = []
    for path, stem in zip(paths, stems, strict=True):
        if stems.count(stem) == 1:
            names.append(stem)
        else:
            names.append(relative(path, rootdir))
    return names


def _json(journal: Any) -> str:
    return json.dumps(journal, indent=2, ensure_ascii=False, default=str)


def _save_text(
    ctx: GateContext, name: str, suffix: str, lines: list[str], secrets: list[str]
) -> str:
    """Write evidence (redacted once more, whatever the caller did) and return its path."""
    path = ctx.evidence_dir() / f"{evidence_stem(name, 'experiment')}.{suffix}"
    text = "\n".join(lines)
    path.write_text(redact_text(text, secrets) + "\n", encoding="utf-8")
    return relative(path, ctx.rootdir)  # rootdir-relative, as CI attachment plugins resolve them
