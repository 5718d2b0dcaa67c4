"""The built-in gate kinds, one module each, and what they share."""

from __future__ import annotations

from pathlib import Path

from ..api import GateContext, GateError


def report_files(ctx: GateContext, patterns: list[str], what: str, producer: str) -> list[Path]:
    """The files matching ``patterns``; none is an error (fail closed), never an empty pass."""
    paths = ctx.glob(patterns)
    if not paths:
        raise GateError(
            f"no {what} matches {', '.join(patterns)} (under {ctx.rootdir});"
            f" did the {producer} run and write its report?"
        )
    return paths
