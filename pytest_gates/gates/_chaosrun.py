"""Run one Chaos Toolkit experiment in this process through chaoslib (chaostoolkit-lib 1.x).

What ``chaos run --no-log-file`` does, without its CLI (chaoslib.experiment.run_experiment on
the main thread), and with the process kept tidy for the rest of the pytest session:

* chaoslib's own settings file (``~/.chaostoolkit/settings.yaml``) is never read: the
  settings are only the runtime strategies, so a developer's home folder cannot change a
  gate's result, and no global controls or notifications are loaded.
* The rollback strategy is the gate's ``rollback_strategy``, else the experiment's
  ``runtime.rollbacks.strategy``, else ``default`` (the CLI's precedence); the hypothesis
  strategy is the experiment's ``runtime.hypothesis.strategy``, else ``default``.
* chaoslib installs SIGTERM/SIGUSR1/SIGUSR2 handlers for the run, which only the main thread
  may do.  The engine runs a check on the main thread also with a ``timeout`` (it raises
  chaoslib's ``InterruptExecution`` there when the time is up, see ``ChaosGate``); only where
  that is impossible does it use a helper thread, and there the same
  :class:`chaoslib.run.Runner` runs without those handlers (nothing else differs).
* The ``chaostoolkit`` logger is neither configured nor silenced: while the experiment runs it
  logs at INFO into a run log (kept as evidence) and on to pytest's log capture, every record
  redacted of the secrets first.  Its level and handlers are restored afterwards.
* Warnings chaoslib raises (deprecated experiment features) are collected, not raised, so a
  project running with ``filterwarnings = error`` still gets a verdict.
* The experiment's folder is on ``sys.path`` while it runs, so a Python provider module can
  live beside the experiment (as it does when ``chaos run`` is started from that folder).
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..api import GateError
from ..formats.chaos_secrets import redact_text, secret_values
from ._chaosguard import collected_warnings, on_sys_path, run_log

ROLLBACK_STRATEGIES = ("default", "always", "never", "deviated")
INSTALL = "pip install 'pytest-gates[chaos]' (chaostoolkit-lib)"


class RunError(GateError):
    """The run could not finish; ``log`` is the run log so far (redacted), for evidence."""

    def __init__(self, message: str, log: list[str]) -> None:
        super().__init__(message)
        self.log = log


@dataclass
class RunResult:
    journal: dict[str, Any]
    secrets: list[str]  # every secret value (the gate's and the experiment's), for redaction
    strategies: str  # which rollback and hypothesis strategies ran, and where they came from
    log: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def chaoslib_version() -> str:
    try:
        import chaoslib  # type: ignore[import-untyped]
    except ImportError:
        raise GateError(f"chaostoolkit-lib is not installed: {INSTALL}") from None
    return str(chaoslib.__version__)


def load(path: Path) -> dict[str, Any]:
    """The experiment, read by chaoslib's loader (JSON, or YAML by extension)."""
    chaoslib_version()
    from chaoslib.exceptions import ChaosException  # type: ignore[import-untyped]
    from chaoslib.loader import load_experiment  # type: ignore[import-untyped]

    try:
        experiment = load_experiment(str(path), settings={})
    except json.JSONDecodeError as exc:
        raise GateError(f"{path}: malformed JSON: {exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise GateError(f"{path}: malformed experiment: {exc}") from None
    except ChaosException as exc:
        raise GateError(f"{path}: {' '.join(str(exc).split())}") from None
    if not isinstance(experiment, dict):
        got = "empty" if experiment is None else type(experiment).__name__
        raise GateError(
            f"{path}: not a Chaos Toolkit experiment (a mapping is expected, got {got})"
        )
    return experiment


def validate(
    path: Path,
    experiment: dict[str, Any],
    configuration: Mapping[str, Any],
    secrets: Mapping[str, Any],
) -> list[str]:
    """chaoslib's validation; an invalid experiment is a GateError with chaoslib's message.
    Returns the warnings it raised.

    chaoslib validates the configuration and secrets the experiment declares (an ``env``
    reference to a variable that is not set is invalid) before any value is given; it is
    handed a copy with the gate's values already in place, as the run will see them.
    """
    from chaoslib.exceptions import ChaosException
    from chaoslib.experiment import ensure_experiment_is_valid  # type: ignore[import-untyped]

    checked = dict(experiment)
    for key, given in (("configuration", configuration), ("secrets", secrets)):
        declared = experiment.get(key)
        if isinstance(declared, dict):
            checked[key] = {k: given.get(k, v) for k, v in declared.items()}
    with on_sys_path(path.parent), collected_warnings() as notes:
        try:
            ensure_experiment_is_valid(checked)
        except ChaosException as exc:
            text = redact_text(str(exc), secret_values(secrets, _inline_secrets(experiment)))
            raise GateError(f"{path}: invalid experiment ({type(exc).__name__}): {text}") from None
    return notes


def run(
    path: Path,
    experiment: dict[str, Any],
    configuration: Mapping[str, Any],
    secrets: Mapping[str, Any],
    rollback_strategy: str | None,
) -> RunResult:
    """Run a validated experiment; returns its journal (not yet redacted)."""
    from chaoslib.exceptions import ChaosException
    from chaoslib.types import Schedule, Strategy  # type: ignore[import-untyped]

    runtime = experiment.get("runtime") or {}
    declared = (runtime.get("rollbacks") or {}).get("strategy")
    rollbacks = rollback_strategy or declared or "default"
    source = (
        "the gate's rollback_strategy"
        if rollback_strategy
        else "the experiment's runtime.rollbacks.strategy"
        if declared
        else "chaoslib's default"
    )
    if rollbacks not in ROLLBACK_STRATEGIES:
        raise GateError(
            f"{path}: unknown rollback strategy {rollbacks!r} in runtime.rollbacks.strategy"
            f" (one of {', '.join(ROLLBACK_STRATEGIES)})"
        )
    hypothesis = (runtime.get("hypothesis") or {}).get("strategy") or "default"
    try:
        strategy = Strategy.from_string(
            "continuously" if hypothesis == "continously" else hypothesis
        )
    except ValueError:
        raise GateError(
            f"{path}: unknown hypothesis strategy {hypothesis!r} in runtime.hypothesis.strategy"
        ) from None
    notes = _ignored(experiment, configuration, secrets)
    experiment["dry"] = None  # as `chaos run` without --dry: a string here would be ignored
    settings = {"runtime": {"rollbacks": {"strategy": rollbacks}}}
    known = secret_values(secrets, _inline_secrets(experiment))
    spy = _spy(known)
    with (
        on_sys_path(path.parent),
        collected_warnings() as warned,
        run_log(known) as log,
    ):
        try:
            journal = _run(
                experiment,
                settings,
                (dict(configuration), dict(secrets)),
                strategy,
                Schedule(),
                spy,
            )
        except Exception as exc:
            # chaoslib's own errors (a configuration variable that is not set...) and any
            # other exception out of it: the experiment could not be evaluated.
            text = redact_text(" ".join(str(exc).split()), known)
            trace = "".join(traceback.format_exception(exc)).rstrip()
            log.append(redact_text(trace, known))
            what = "stopped the run" if isinstance(exc, ChaosException) else "raised"
            raise RunError(f"{path}: chaoslib {what} ({type(exc).__name__}): {text}", log) from None
    notes += warned
    if not isinstance(journal, dict):
        raise RunError(f"{path}: chaoslib returned no journal", log)
    strategies = f"rollback strategy: {rollbacks} ({source}); hypothesis strategy: {hypothesis}"
    return RunResult(journal=journal, secrets=known, strategies=strategies, log=log, notes=notes)


def _run(
    experiment: dict[str, Any],
    settings: dict[str, Any],
    experiment_vars: tuple[dict[str, Any], dict[str, Any]],
    strategy: Any,
    schedule: Any,
    spy: Any,
) -> Any:
    from chaoslib.experiment import run_experiment

    if threading.current_thread() is threading.main_thread():
        return run_experiment(
            experiment,
            settings=settings,
            experiment_vars=experiment_vars,
            strategy=strategy,
            schedule=schedule,
            event_handlers=[spy],
        )
    # What run_experiment does (activity cache, Runner), minus the signal handlers that
    # Python only lets the main thread install.
    from chaoslib.caching import cache_activities, clear_cache  # type: ignore[import-untyped]
    from chaoslib.run import Runner  # type: ignore[import-untyped]

    class ThreadRunner(Runner):  # type: ignore[misc]
        def run(
            self,
            experiment: Any,
            settings: Any = None,
            experiment_vars: Any = None,
            journal: Any = None,
        ) -> Any:
            self.configure(experiment, settings, experiment_vars)
            return self._run(
                self.strategy,
                self.schedule,
                experiment,
                journal,
                self.config,
                self.secrets,
                self.settings,
                self.event_registry,
            )

    try:
        cache_activities(experiment)
        with ThreadRunner(strategy, schedule) as runner:
            runner.register_event_handler(spy)
            return runner.run(experiment, settings, experiment_vars=experiment_vars)
    finally:
        clear_cache()


def _spy(known: list[str]) -> Any:
    """An event handler that adds the secrets chaoslib resolved (env, inline) to ``known``."""
    from chaoslib.run import RunEventHandler

    class Spy(RunEventHandler):  # type: ignore[misc]
        def running(
            self,
            experiment: Any,
            journal: Any,
            configuration: Any,
            secrets: Any,
            schedule: Any,
            settings: Any,
        ) -> None:
            for value in secret_values(secrets or {}):
                if value not in known:
                    known.append(value)
            known.sort(key=len, reverse=True)

    return Spy()


def _inline_secrets(experiment: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment's own secret values (not the env/vault references)."""
    found: dict[str, Any] = {}
    for scope, section in (experiment.get("secrets") or {}).items():
        if isinstance(section, dict):
            found[scope] = {
                k: v
                for k, v in section.items()
                if not (isinstance(v, dict) and v.get("type") in ("env", "vault"))
            }
    return found


def _ignored(
    experiment: Mapping[str, Any], configuration: Mapping[str, Any], secrets: Mapping[str, Any]
) -> list[str]:
    """chaoslib only overrides what the experiment declares: say what it will ignore."""
    notes = []
    declared = experiment.get("configuration") or {}
    extra = sorted(k for k in configuration if k not in declared)
    if extra:
        notes.append(
            f"configuration keys the experiment does not declare (ignored by chaoslib):"
            f" {', '.join(extra)}"
        )
    scopes = experiment.get("secrets") or {}
    extra = sorted(k for k in secrets if k not in scopes)
    if extra:
        notes.append(
            f"secret scopes the experiment does not declare (ignored by chaoslib):"
            f" {', '.join(extra)}"
        )
    return notes
