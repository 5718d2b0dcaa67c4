"""Read a coverage report into line and branch totals, as its producer counts them.

The format is detected from the content, never from the file name: Cobertura XML (root
``<coverage>``: coverage.py, Cobertura, istanbul, scoverage ...), JaCoCo XML (root ``<report>``),
coverage.py JSON (``coverage json``) and lcov tracefiles.  Imports no pytest.  This module
sniffs the content and dispatches; each format is read by its own module (``cobertura``,
``jacoco``, ``coveragepy_json``, ``lcov``) on the helpers in ``_coverage_common``.

Rules (``CoverageTotals.source`` says which one produced a result):

* Cobertura whose root carries ``lines-valid`` and ``lines-covered``: those totals, read from the
  root start tag alone (the rest of the file is not parsed, so this is O(1) at any size, and a file
  that breaks further on still reads).  ``branches-valid``/``branches-covered`` likewise.
* Cobertura without them: the whole file is streamed and every ``<line>`` is counted except the
  copies under ``<methods>``/``<method>``; covered means hits > 0.  Branches come from
  ``condition-coverage="50% (1/2)"`` on ``branch="true"`` lines (without it, as scoverage writes,
  the line is one branch, covered when hit).  This is how Cobertura and coverage.py compute
  their root rates.  If the file is malformed after a root that has ``line-rate``, that rate is
  used (the producer's figure, as above) and the counts and branches are None.
* JaCoCo: the ``LINE`` and ``BRANCH`` counters that are direct children of ``<report>``; a missing
  counter means 0 (JaCoCo omits empty counters).
* coverage.py JSON: ``covered_lines / num_statements`` (what ``coverage xml`` writes as line-rate)
  and ``covered_branches / num_branches``; ``percent_covered`` mixes in branches: not used.
* lcov: LH/LF and BRH/BRF summed over the records; a record without them is counted from its DA
  (BRDA) lines.  A record must end with ``end_of_record``, so a truncated file is an error.

No lines at all gives ``lines_valid == 0`` and ``line_percent is None``; no branch data gives
``branch_percent is None``: no percentage is invented for nothing measured.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from . import cobertura, jacoco
from ._coverage_common import BOM, SUPPORTED, Attrs, CoverageTotals
from .coveragepy_json import read_coveragepy_json
from .errors import FormatError, open_report
from .lcov import read_lcov
from .xmlsafe import StopParsing, make_parser, parse_file

__all__ = ["SUPPORTED", "CoverageTotals", "read_coverage"]

_SNIFF = 1 << 16


def read_coverage(path: str | os.PathLike[str]) -> CoverageTotals:
    """Read the totals of the coverage report at ``path``.

    Raises :class:`FormatError` (one line: the file and the reason) for a missing, empty,
    truncated, malformed, hostile or unsupported file.
    """
    kind = _sniff(path)
    if kind == "xml":
        return _read_xml(path)
    if kind == "json":
        return read_coveragepy_json(path)
    return read_lcov(path)


def _sniff(path: str | os.PathLike[str]) -> str:
    with open_report(path) as fh:
        lead = fh.read(_SNIFF).removeprefix(BOM).lstrip()
        while not lead and (chunk := fh.read(_SNIFF)):
            lead = chunk.lstrip()
        lead += fh.read(max(0, 80 - len(lead)))
    if not lead:
        raise FormatError(path, "file is empty")
    if lead.startswith(b"<"):
        return "xml"
    if lead.startswith((b"{", b"[")):
        return "json"
    if lead.startswith((b"TN:", b"SF:")):
        return "lcov"
    hint = ""
    if lead.startswith(b"SQLite format 3\x00"):
        hint = " (an SQLite database: coverage.py's .coverage data? run `coverage xml` first)"
    elif lead.startswith(b"\x1f\x8b"):
        hint = " (gzip-compressed: decompress it first)"
    start = lead[:24].decode("utf-8", "replace")
    raise FormatError(
        path, f"not a coverage report: starts with {start!r}{hint}; supported: {SUPPORTED}"
    )


def _read_xml(path: str | os.PathLike[str]) -> CoverageTotals:
    """Cobertura or JaCoCo, told apart by the root element, in one streamed parse."""
    parser = make_parser()
    cobertura.intern_names(parser)
    root: list[Attrs] = []
    done: list[CoverageTotals] = []
    finish: list[Callable[[], CoverageTotals]] = []

    def on_root(name: str, attrs: Attrs) -> None:
        if name == "coverage":
            root.append(attrs)
            totals = cobertura.root_totals(path, attrs)
            if totals is not None:
                done.append(totals)
                raise StopParsing
            finish.append(cobertura.counter(path, parser, attrs))
        elif name == "report":
            finish.append(jacoco.counter(path, parser))
        else:
            raise FormatError(
                path, f"XML root <{name}> is not a coverage report; supported: {SUPPORTED}"
            )

    parser.StartElementHandler = on_root
    try:
        parse_file(path, parser)
    except KeyError:
        raise cobertura.missing_hits(path, parser) from None
    except FormatError as exc:
        fallback = cobertura.rate_fallback(path, root[0], exc) if root else None
        if fallback is None:
            raise
        return fallback
    return done[0] if done else finish[0]()
