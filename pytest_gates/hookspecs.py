"""The hooks pytest-gates adds to pytest.  This module is their contract and nothing else.

Implement them in a ``conftest.py`` or a plugin, decorated with ``@pytest.hookimpl()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import pytest

    from .api import Outcome
    from .kinds import KindRegistry
    from .profile import GateSpec

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_gates_register_kinds(registry: KindRegistry) -> None:
    """Register gate kinds: call ``registry.add(MyGate)`` for each class.

    Called once per run (and once for ``--gate-list``), after ``conftest.py`` files are
    loaded and before the profile is validated.  Every implementation is called; a kind
    name registered twice is an error that names both sources.  The built-in kinds are
    registered by a ``trylast`` implementation of this same hook.  Kinds of installed
    distributions can also come from the ``pytest_gates`` entry-point group
    (``name = "module:Class"``) without any hook.

    :param registry: the :class:`pytest_gates.kinds.KindRegistry` to add to.

    .. versionadded:: 0.1
    """


@hookspec
def pytest_gates_outcome(item: pytest.Item, spec: GateSpec, outcome: Outcome) -> None:
    """Called in the process that evaluated a gate, right after its evaluation.

    Every implementation is called; return values are ignored.  ``outcome`` is final:
    advisory gates (``blocking: false``) have their real status here even though they do
    not fail the run.

    .. versionadded:: 0.1
    """


@hookspec
def pytest_gates_verdict_written(config: pytest.Config, path: str, verdict: Any) -> None:
    """Called on the controller after the JUnit verdict was written to ``path``.

    ``verdict`` is ``"passed"`` or ``"failed"``.  Not called when no verdict is written
    (runs without ``--gate``, ``--gate-list``).

    .. versionadded:: 0.1
    """
