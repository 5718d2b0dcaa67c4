"""Cobertura XML (root ``<coverage>``): the root's totals, else every ``<line>`` counted.

The rules are in :mod:`pytest_gates.formats.coverage`.  :func:`read_coverage` creates the parser
and, on the root start tag, calls :func:`root_totals`, then :func:`counter` if the root carries
no totals; on a parse error it asks :func:`rate_fallback` for the root's line-rate.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from xml.parsers import expat

from ._coverage_common import SUPPORTED, Attrs, CoverageTotals, make_totals, plural, whole
from .errors import FormatError

__all__ = ["counter", "intern_names", "missing_hits", "rate_fallback", "root_totals"]

# Hits that mean "covered" without a conversion: the common case on millions of <line>s.
_POSITIVE_HITS = frozenset(str(n) for n in range(1, 1000))
_CONDITION = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")

# Spelled in this module only: the compiler shares one constant per module, so these are the
# very objects the handlers below compare and look up.
_NAMES = ("line", "hits", "branch", "condition-coverage", "class", "methods", "method")


def intern_names(parser: expat.XMLParserType) -> None:
    """Seed ``parser``, before it parses anything, with the names the handlers here compare."""
    # expat hands out its interned copy of each name: make it our constant, so that the hot
    # comparisons and lookups below match by identity.
    parser.intern.update((name, name) for name in _NAMES)


def missing_hits(path: str | os.PathLike[str], parser: expat.XMLParserType) -> FormatError:
    """The error for the KeyError that :func:`counter`'s line handler lets escape."""
    # The one unguarded lookup, attrs["hits"]: a try in the line handler costs 1% of a pass.
    return FormatError(path, f"line {parser.CurrentLineNumber}: <line> without hits")


def rate_fallback(
    path: str | os.PathLike[str], root: Attrs, exc: FormatError
) -> CoverageTotals | None:
    """The root's line-rate when the file is malformed after the root; None: re-raise ``exc``."""
    # Same trust as the root-totals rule: the producer wrote the rate before the damage.
    rate = _rate(root.get("line-rate"))
    if rate is None or not exc.reason.startswith("malformed XML"):
        return None
    source = (
        f"root attribute line-rate={root['line-rate']} of <coverage> (the producer's "
        f"rate); lines not counted: {exc.reason}"
    )
    return CoverageTotals("cobertura", None, None, 100.0 * rate, None, None, None, source)


def _pair(path: str | os.PathLike[str], attrs: Attrs, valid: str, covered: str) -> tuple[int, int]:
    v = whole(path, f"root attribute {valid}", attrs[valid])
    c = whole(path, f"root attribute {covered}", attrs[covered])
    if c > v:
        raise FormatError(path, f"root says {covered}={c} > {valid}={v}")
    return v, c


def _rate(value: str | None) -> float | None:
    try:
        rate = float(value.replace(",", ".")) if value is not None else math.nan
    except ValueError:
        return None
    return rate if 0.0 <= rate <= 1.0 else None


def _rate_note(attrs: Attrs, valid: int, covered: int) -> str:
    text = attrs.get("line-rate")
    rate = _rate(text)
    if rate is None or text is None or not valid:
        return ""
    # Producers round the rate (coverage.py to 4 significant digits, scoverage to 2 decimals):
    # only a difference beyond half a unit of the last digit written is a disagreement.
    decimals = len(text.partition(".")[2] or text.partition(",")[2])
    if abs(rate - covered / valid) <= 0.5 * 10.0**-decimals + 1e-9:
        return ""
    return f"; note: the root line-rate={text} disagrees"


def root_totals(path: str | os.PathLike[str], attrs: Attrs) -> CoverageTotals | None:
    """The totals the root start tag carries, or None when it has no lines-valid/lines-covered."""
    if "clover" in attrs:
        raise FormatError(
            path, f"Clover XML (<coverage clover=...>) is not supported; supported: {SUPPORTED}"
        )
    if "lines-valid" not in attrs or "lines-covered" not in attrs:
        return None
    lines = _pair(path, attrs, "lines-valid", "lines-covered")
    branches = None
    what = "lines-valid/lines-covered"
    if "branches-valid" in attrs and "branches-covered" in attrs:
        branches = _pair(path, attrs, "branches-valid", "branches-covered")
        what += " and branches-valid/branches-covered"
    source = (
        f"root attributes {what} of <coverage> (the producer's totals; the rest of the file was "
        f"not read){_rate_note(attrs, *lines)}"
    )
    return make_totals("cobertura", lines, branches, source)


def counter(
    path: str | os.PathLike[str], parser: expat.XMLParserType, root: Attrs
) -> Callable[[], CoverageTotals]:
    """Install handlers that count the lines; return the function that makes the result.

    The line handler runs millions of times and costs about what a bare pyexpat pass counting
    hits != "0" costs: validation is off the common path, and it closes over few variables
    (CPython copies every closure variable into each call's frame).
    """
    covered = missed = 0
    rare = _CoberturaRare(path, parser)

    def start(name: str, attrs: Attrs) -> None:
        nonlocal covered, missed
        if name == "line":
            hits = attrs["hits"]  # a KeyError here is reported by missing_hits()
            if hits in _POSITIVE_HITS:
                covered += 1
            elif hits == "0" or not rare.hit(hits):
                missed += 1
            else:
                covered += 1
            if "branch" in attrs and attrs["branch"] == "true":
                condition = attrs.get("condition-coverage")
                if condition in rare.conditions:
                    rare.conditions[condition] += 1
                else:
                    rare.new_condition(condition, hits)
        else:
            rare.element(name)

    def result() -> CoverageTotals:
        rare.fold()
        valid = covered + missed
        why = "the root has line-rate only" if "line-rate" in root else "the root carries no totals"
        source = (
            f"counted from {valid:,} <line> elements in "
            f"{plural(rare.classes, 'class', 'classes')} ({why}){_rate_note(root, valid, covered)}"
        )
        return make_totals(
            "cobertura", (valid, covered), (rare.branches[0], rare.branches[1]), source
        )

    rare.start = start
    parser.StartElementHandler = start
    return result


class _CoberturaRare:
    """The Cobertura counter's uncommon paths: other elements, odd values, branch sums."""

    def __init__(self, path: str | os.PathLike[str], parser: expat.XMLParserType) -> None:
        self.path, self.parser = path, parser
        # condition-coverage strings are few ("50% (1/2)" ...): count them, parse each once.
        self.conditions: dict[str | None, int] = {}
        self.parsed: dict[str | None, tuple[int, int]] = {}
        self.branches = [0, 0]
        self.classes = self.depth = 0
        self.start: Callable[[str, Attrs], None] | None = None

    def element(self, name: str) -> None:
        if name == "class":
            self.classes += 1
        elif name == "methods" or name == "method":
            # Method lines repeat the class's own: skip the subtree, watching ends only there.
            self.depth = 1
            self.parser.StartElementHandler = self.skip_start
            self.parser.EndElementHandler = self.skip_end

    def skip_start(self, name: str, attrs: Attrs) -> None:
        self.depth += 1

    def skip_end(self, name: str) -> None:
        self.depth -= 1
        if not self.depth:
            self.parser.StartElementHandler = self.start
            self.parser.EndElementHandler = None

    def error(self, why: str) -> FormatError:
        return FormatError(self.path, f"line {self.parser.CurrentLineNumber}: {why}")

    def hit(self, hits: str) -> bool:
        try:
            number = float(hits)
        except ValueError:
            number = math.nan
        if not number >= 0:
            raise self.error(f"<line> has hits={hits!r}, not a count")
        return number > 0

    def new_condition(self, text: str | None, hits: str) -> None:
        if text is None:
            # scoverage: branch="true" without condition-coverage is one branch, taken if hit.
            self.branches[0] += 1
            self.branches[1] += hits in _POSITIVE_HITS or (hits != "0" and self.hit(hits))
            return
        match = _CONDITION.search(text)
        if match is None or int(match[1]) > int(match[2]):
            raise self.error(f"condition-coverage={text[:40]!r} is not 'P% (hit/all)'")
        if len(text) > 40:  # not cached: memory stays bounded on hostile input
            self.branches[0] += int(match[2])
            self.branches[1] += int(match[1])
            return
        if len(self.parsed) >= 1000:
            self.fold()
        self.parsed[text] = int(match[2]), int(match[1])
        self.conditions[text] = 1

    def fold(self) -> None:
        for text, count in self.conditions.items():
            total, done = self.parsed[text]
            self.branches[0] += total * count
            self.branches[1] += done * count
        self.conditions.clear()
        self.parsed.clear()
