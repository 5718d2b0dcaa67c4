"""What the coverage readers share: the result type, the list of formats, small helpers.

Kept apart from :mod:`pytest_gates.formats.coverage` (which re-exports the public names) so that
the per-format readers can use them without importing the dispatcher that imports them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import FormatError

SUPPORTED = (
    "Cobertura XML (root <coverage>), JaCoCo XML (root <report>), "
    "coverage.py JSON (`coverage json`: meta and totals), lcov (TN:/SF:/DA:/end_of_record)"
)

BOM = b"\xef\xbb\xbf"

Attrs = dict[str, str]


@dataclass(frozen=True)
class CoverageTotals:
    """Line and branch totals of one coverage report.

    ``line_percent`` and ``branch_percent`` are 0..100, or None when there is nothing to divide
    by (no lines, no branch data).  The counts are None only when the report gives a rate alone.
    ``source`` is one line saying how the numbers were obtained.
    """

    format: str
    lines_valid: int | None
    lines_covered: int | None
    line_percent: float | None
    branches_valid: int | None
    branches_covered: int | None
    branch_percent: float | None
    source: str


def make_totals(
    fmt: str, lines: tuple[int, int], branches: tuple[int, int] | None, source: str
) -> CoverageTotals:
    valid, covered = lines
    b_valid, b_covered = branches if branches is not None else (None, None)
    line_percent, branch_percent = percent(covered, valid), percent(b_covered, b_valid)
    return CoverageTotals(
        fmt, valid, covered, line_percent, b_valid, b_covered, branch_percent, source
    )


def percent(covered: int | None, valid: int | None) -> float | None:
    return None if covered is None or not valid else 100.0 * covered / valid


def plural(count: int, word: str, words: str = "") -> str:
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def whole(path: str | os.PathLike[str], where: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise FormatError(path, f"{where}={value!r} is not a whole number")
    return number
