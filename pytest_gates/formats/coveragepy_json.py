"""coverage.py JSON (``coverage json``): statements and branches from ``totals``.

The rules are in :mod:`pytest_gates.formats.coverage`.
"""

from __future__ import annotations

import os

from ._coverage_common import SUPPORTED, CoverageTotals, make_totals
from .errors import FormatError, read_json

__all__ = ["read_coveragepy_json"]


def read_coveragepy_json(path: str | os.PathLike[str]) -> CoverageTotals:
    """Read the totals of the coverage.py JSON report at ``path``."""
    doc = read_json(path)
    if not (
        isinstance(doc, dict)
        and isinstance(doc.get("meta"), dict)
        and isinstance(doc.get("totals"), dict)
    ):
        what = f"keys {', '.join(sorted(doc)[:6])}" if isinstance(doc, dict) else type(doc).__name__
        raise FormatError(
            path,
            f"JSON ({what}) is not a coverage.py report (no meta/totals); supported: {SUPPORTED}",
        )
    totals = doc["totals"]

    def pair(valid: str, covered: str) -> tuple[int, int]:
        numbers: list[int] = []
        for key in (valid, covered):
            value = totals.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FormatError(path, f"totals.{key}={value!r} is not a whole number")
            numbers.append(value)
        v, c = numbers
        if c > v:
            raise FormatError(path, f"totals.{covered}={c} > totals.{valid}={v}")
        return v, c

    lines = pair("num_statements", "covered_lines")
    branches = None
    if "num_branches" in totals or "covered_branches" in totals:
        branches = pair("num_branches", "covered_branches")
    source = (
        "totals.covered_lines/num_statements (statements only, as `coverage xml` line-rate; "
        "totals.percent_covered mixes in branches and is not used)"
    )
    return make_totals("coverage.py-json", lines, branches, source)
