"""Secret values out of Chaos Toolkit journals, log lines and messages.

Knows nothing of pytest or chaoslib.  A secret is any leaf value of a ``secrets`` mapping
(``{scope: {name: value}}``); it is replaced by ``***`` wherever it occurs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REDACTED", "redact_journal", "redact_text", "secret_values"]

REDACTED = "***"


def secret_values(*sources: Any) -> list[str]:
    """Every leaf value of secret mappings (``{scope: {name: value}}`` or flat), longest
    first so that a secret containing another is replaced whole."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)
        elif isinstance(node, str | int | float) and not isinstance(node, bool):
            text = str(node)
            if text.strip():
                found.add(text)

    for source in sources:
        walk(source)
    return sorted(found, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by ``***``.

    Values of 4 characters or more are replaced wherever they occur; shorter ones only when
    they are the whole text (replacing every ``"a"`` would garble everything).
    """
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
        elif text == secret:
            return REDACTED
    return text


def redact_journal(journal: Any, secrets: Iterable[str]) -> Any:
    """A copy of the journal with secret values replaced, and the experiment's own
    ``secrets`` section blanked except for references (``{"type": "env", "key": ...}``
    names a variable, not a value)."""
    values = list(secrets)

    def walk(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {str(k): walk(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v) for v in node]
        if isinstance(node, str):
            return redact_text(node, values)
        if isinstance(node, int | float) and not isinstance(node, bool):
            return REDACTED if str(node) in values else node
        return node

    copy = walk(journal)
    experiment = copy.get("experiment") if isinstance(copy, dict) else None
    if isinstance(experiment, dict) and isinstance(experiment.get("secrets"), dict):
        experiment["secrets"] = {
            scope: _blank(section) for scope, section in experiment["secrets"].items()
        }
    return copy


def _blank(section: Any) -> Any:
    if isinstance(section, dict):
        if section.get("type") in ("env", "vault"):
            return section
        return {k: _blank(v) for k, v in section.items()}
    return REDACTED
