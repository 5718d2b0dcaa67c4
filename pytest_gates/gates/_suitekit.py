"""Small helpers the suite kinds share (``api``, ``selenium``, ``chaos``): the values a
member recorded, and evidence files named safely and shown rootdir-relative."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

MAX_STEM = 120  # characters of a name kept in an evidence file name


def values(value: Any) -> list[Any]:
    """What a member recorded under one key: nothing, one value, or a list of them."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


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
