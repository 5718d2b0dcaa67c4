"""JaCoCo XML (root ``<report>``): the report-level LINE and BRANCH counters.

The rules are in :mod:`pytest_gates.formats.coverage`, whose reader creates the parser and calls
:func:`counter` on the root start tag.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from xml.parsers import expat

from ._coverage_common import SUPPORTED, Attrs, CoverageTotals, make_totals, whole
from .errors import FormatError

__all__ = ["counter"]


def counter(
    path: str | os.PathLike[str], parser: expat.XMLParserType
) -> Callable[[], CoverageTotals]:
    """Install handlers that read the counters; return the function that makes the result."""
    depth = 1
    package_depth = 0
    jacoco = False
    report: dict[str, tuple[int, int]] = {}
    packages = {"LINE": [0, 0], "BRANCH": [0, 0]}

    def start(name: str, attrs: Attrs) -> None:
        nonlocal depth, package_depth, jacoco
        depth += 1
        if name == "counter":
            kind = attrs.get("type", "")
            if kind in packages and (depth == 2 or depth == package_depth + 1):
                where = f"line {parser.CurrentLineNumber}: <counter type={kind!r}"
                missed = whole(path, f"{where} missed", attrs.get("missed", ""))
                hit = whole(path, f"{where} covered", attrs.get("covered", ""))
                if depth == 2:
                    report[kind] = (missed + hit, hit)
                else:
                    packages[kind][0] += missed + hit
                    packages[kind][1] += hit
        elif name == "package":
            package_depth = depth
        if depth == 2:
            jacoco = jacoco or name in ("counter", "package", "group", "sessioninfo")

    def end(name: str) -> None:
        nonlocal depth, package_depth
        depth -= 1
        if name == "package":
            package_depth = 0

    def result() -> CoverageTotals:
        if not jacoco:
            raise FormatError(
                path, f"XML root <report> without JaCoCo content; supported: {SUPPORTED}"
            )
        lines, branches = report.get("LINE", (0, 0)), report.get("BRANCH", (0, 0))
        source = "report-level <counter type=LINE/BRANCH> of <report> (the producer's totals)"
        if "LINE" not in report:
            source += "; no LINE counter (JaCoCo omits empty counters): 0 lines"
        if packages["LINE"] != [0, 0] and list(lines) != packages["LINE"]:
            total, hit = packages["LINE"]
            source += f"; note: the <package> LINE counters add up to {hit:,} of {total:,}"
        return make_totals("jacoco", lines, branches, source)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    return result
