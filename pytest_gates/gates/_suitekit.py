"""Small helpers the suite kinds share (``api``, ``selenium``, ``chaos``): the values a
member recorded, the error of a suite that never reached the system under test, and
evidence files named safely and shown rootdir-relative."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..api import Member, Outcome, Status

MAX_STEM = 120  # characters of a name kept in an evidence file name


def values(value: Any) -> list[Any]:
    """What a member recorded under one key: nothing, one value, or a list of them."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def untouched(outcome: Outcome, members: Sequence[Member], why: str) -> Outcome:
    """``outcome`` made an error saying ``why``, for a suite whose members never reached
    the system under test: their results say nothing about it, pass or fail.  When no
    member ran at all, the failed outcome (``min_tests``) already says so and is kept."""
    counts: dict[str, int] = {}
    for m in members:
        counts[m.status] = counts.get(m.status, 0) + 1
    ran = sum(counts.get(s, 0) for s in ("passed", "failed", "error"))
    if outcome.status is Status.ERROR or (not ran and outcome.status is not Status.PASSED):
        return outcome
    text = (
        f"{len(members)} members: {counts.get('passed', 0)} passed,"
        f" {counts.get('failed', 0)} failed, {counts.get('error', 0)} errors,"
        f" {counts.get('skipped', 0)} skipped"
    )
    if counts.get("xfailed"):
        text += f", {counts['xfailed']} xfailed"
    return replace(outcome, status=Status.ERROR, summary=f"{why} ({text})")


def evidence_stem(name: str, default: str = "test") -> str:
    """A file name stem from a node id or a member name: safe characters only, short,
    still unique."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or default
    if len(stem) > MAX_STEM:
        digest = hashlib.sha1(name.encode()).hexdigest()[:10]
        stem = f"{stem[: MAX_STEM - 11]}-{digest}"
    return stem


def relative(path: Path, rootdir: Path) -> str:
    """``path`` relative to the rootdir when under it (as CI attachment plugins resolve
    evidence), else as it is."""
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return str(path)
