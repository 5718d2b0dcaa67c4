"""Checks that a secret (a token, a password) never shows: not in an outcome, and nowhere a
``pytest --gate`` run wrote to (terminal, verdict, evidence, any file it left)."""

from __future__ import annotations

import pytest

from pytest_gates.api import Outcome


def shown(outcome: Outcome) -> str:
    """All an outcome can show: summary, details, measured, threshold, evidence paths."""
    return repr(outcome.to_dict())


def run_output(pytester: pytest.Pytester, result: pytest.RunResult) -> str:
    """The run's terminal output and every file in the project but the profiles (the
    test's input, which may hold a secret inline): the verdict, the evidence, caches..."""
    texts = [result.stdout.str(), result.stderr.str()]
    for path in sorted(pytester.path.rglob("*")):
        if path.is_file() and "gate_profiles" not in path.parts:
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def assert_hidden(text: str, *secrets: str) -> None:
    """None of ``secrets`` occurs in ``text``."""
    assert secrets, "name the secrets that must not show"
    for secret in secrets:
        assert secret not in text
