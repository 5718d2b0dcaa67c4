"""Read a coverage report into line and branch totals, as its producer counts them.

The format is detected from the content, never from the file name: Cobertura XML (root
``<coverage>``: coverage.py, Cobertura, istanbul, scoverage ...), JaCoCo XML (root ``<report>``),
coverage.py JSON (``coverage json``) and lcov tracefiles.  Imports no pytest.

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

import itertools
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat

from .errors import FormatError, open_report
from .xmlsafe import StopParsing, make_parser, parse_file

__all__ = ["SUPPORTED", "CoverageTotals", "read_coverage"]

SUPPORTED = (
    "Cobertura XML (root <coverage>), JaCoCo XML (root <report>), "
    "coverage.py JSON (`coverage json`: meta and totals), lcov (TN:/SF:/DA:/end_of_record)"
)

_BOM = b"\xef\xbb\xbf"
_SNIFF = 1 << 16
# Hits that mean "covered" without a conversion: the common case on millions of <line>s.
_POSITIVE_HITS = frozenset(str(n) for n in range(1, 1000))
_CONDITION = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")

Attrs = dict[str, str]
_NAMES = ("line", "hits", "branch", "condition-coverage", "class", "methods", "method")


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


def read_coverage(path: str | os.PathLike[str]) -> CoverageTotals:
    """Read the totals of the coverage report at ``path``.

    Raises :class:`FormatError` (one line: the file and the reason) for a missing, empty,
    truncated, malformed, hostile or unsupported file.
    """
    kind = _sniff(path)
    if kind == "xml":
        return _read_xml(path)
    if kind == "json":
        return _read_json(path)
    return _read_lcov(path)


def _totals(
    fmt: str, lines: tuple[int, int], branches: tuple[int, int] | None, source: str
) -> CoverageTotals:
    valid, covered = lines
    b_valid, b_covered = branches if branches is not None else (None, None)
    line_percent, branch_percent = _percent(covered, valid), _percent(b_covered, b_valid)
    return CoverageTotals(
        fmt, valid, covered, line_percent, b_valid, b_covered, branch_percent, source
    )


def _percent(covered: int | None, valid: int | None) -> float | None:
    return None if covered is None or not valid else 100.0 * covered / valid


def _plural(count: int, word: str, words: str = "") -> str:
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def _sniff(path: str | os.PathLike[str]) -> str:
    with open_report(path) as fh:
        lead = fh.read(_SNIFF).removeprefix(_BOM).lstrip()
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


# ---------------------------------------------------------------- XML (Cobertura, JaCoCo)


def _read_xml(path: str | os.PathLike[str]) -> CoverageTotals:
    parser = make_parser()
    # expat hands out its interned copy of each name: make it our constant, so that the hot
    # comparisons and lookups below match by identity.
    parser.intern.update((name, name) for name in _NAMES)
    root: list[Attrs] = []
    done: list[CoverageTotals] = []
    finish: list[Callable[[], CoverageTotals]] = []

    def on_root(name: str, attrs: Attrs) -> None:
        if name == "coverage":
            root.append(attrs)
            totals = _cobertura_root(path, attrs)
            if totals is not None:
                done.append(totals)
                raise StopParsing
            finish.append(_cobertura_counter(path, parser, attrs))
        elif name == "report":
            finish.append(_jacoco_counter(path, parser))
        else:
            raise FormatError(
                path, f"XML root <{name}> is not a coverage report; supported: {SUPPORTED}"
            )

    parser.StartElementHandler = on_root
    try:
        parse_file(path, parser)
    except KeyError:
        # The one unguarded lookup, attrs["hits"]: a try in the line handler costs 1% of a pass.
        raise FormatError(path, f"line {parser.CurrentLineNumber}: <line> without hits") from None
    except FormatError as exc:
        # Same trust as the root-totals rule: the producer wrote the rate before the damage.
        rate = _rate(root[0].get("line-rate")) if root else None
        if rate is None or not exc.reason.startswith("malformed XML"):
            raise
        source = (
            f"root attribute line-rate={root[0]['line-rate']} of <coverage> (the producer's "
            f"rate); lines not counted: {exc.reason}"
        )
        return CoverageTotals("cobertura", None, None, 100.0 * rate, None, None, None, source)
    return done[0] if done else finish[0]()


def _whole(path: str | os.PathLike[str], where: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise FormatError(path, f"{where}={value!r} is not a whole number")
    return number


def _pair(path: str | os.PathLike[str], attrs: Attrs, valid: str, covered: str) -> tuple[int, int]:
    v = _whole(path, f"root attribute {valid}", attrs[valid])
    c = _whole(path, f"root attribute {covered}", attrs[covered])
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


def _cobertura_root(path: str | os.PathLike[str], attrs: Attrs) -> CoverageTotals | None:
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
    return _totals("cobertura", lines, branches, source)


def _cobertura_counter(
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
            hits = attrs["hits"]  # a KeyError here is reported by _read_xml
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
            f"{_plural(rare.classes, 'class', 'classes')} ({why}){_rate_note(root, valid, covered)}"
        )
        return _totals("cobertura", (valid, covered), (rare.branches[0], rare.branches[1]), source)

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


def _jacoco_counter(
    path: str | os.PathLike[str], parser: expat.XMLParserType
) -> Callable[[], CoverageTotals]:
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
                missed = _whole(path, f"{where} missed", attrs.get("missed", ""))
                hit = _whole(path, f"{where} covered", attrs.get("covered", ""))
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
        return _totals("jacoco", lines, branches, source)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    return result


# ---------------------------------------------------------------- coverage.py JSON


def _read_json(path: str | os.PathLike[str]) -> CoverageTotals:
    with open_report(path) as fh:
        data = fh.read()
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise FormatError(path, f"malformed JSON at {where}: {exc.msg}") from None
    except RecursionError:
        raise FormatError(path, "refused: JSON nested too deeply") from None
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
    return _totals("coverage.py-json", lines, branches, source)


# ---------------------------------------------------------------- lcov


def _read_lcov(path: str | os.PathLike[str]) -> CoverageTotals:
    lines = [0, 0]
    branches = [0, 0]
    has_branches = False
    records = from_da = 0
    seen: set[int] = set()  # hashes of the SF: paths, only for the note on repeats
    duplicates = 0
    record: dict[bytes, int] | None = None
    da = [0, 0, 0, 0]  # DA lines, hit DA lines, BRDA entries, taken BRDA entries
    opened = 0
    number = 0

    def bad(why: str) -> FormatError:
        return FormatError(path, f"line {number}: {why}")

    with open_report(path) as fh:
        first = fh.readline().removeprefix(_BOM)
        for number, raw in enumerate(itertools.chain([first], fh), 1):
            text = raw.strip()
            key, sep, value = text.partition(b":")
            try:
                if key == b"DA" and record is not None:
                    da[0] += 1
                    da[1] += int(value.split(b",")[1]) > 0
                elif key == b"BRDA" and record is not None:
                    taken = value.split(b",")[3]
                    da[2] += 1
                    da[3] += taken != b"-" and int(taken) > 0
                elif key in (b"LF", b"LH", b"BRF", b"BRH") and record is not None:
                    record[key] = int(value)
                    if record[key] < 0:
                        raise ValueError
                elif key == b"SF":
                    if record is not None:
                        raise bad(f"SF: before the end_of_record of the record at line {opened}")
                    record, da, opened = {}, [0, 0, 0, 0], number
                    duplicates += hash(value) in seen
                    seen.add(hash(value))
                elif text == b"end_of_record":
                    if record is None:
                        raise bad("end_of_record without an SF: record")
                    found, hit = record.get(b"LF"), record.get(b"LH")
                    if found is None or hit is None:
                        found, hit = da[0], da[1]
                        from_da += 1
                    brf, brh = record.get(b"BRF"), record.get(b"BRH")
                    if brf is None or brh is None:
                        brf, brh = (da[2], da[3]) if da[2] else (None, None)
                    if hit > found or (brf is not None and brh is not None and brh > brf):
                        raise bad("more hit than found (LH > LF or BRH > BRF)")
                    lines[0] += found
                    lines[1] += hit
                    if brf is not None and brh is not None:
                        has_branches = True
                        branches[0] += brf
                        branches[1] += brh
                    records += 1
                    record = None
                elif text and not (sep and key.isalpha() and key.isupper()):
                    raise bad(f"not an lcov record: {text[:40].decode('utf-8', 'replace')!r}")
                elif key in (b"DA", b"BRDA", b"LF", b"LH", b"BRF", b"BRH"):
                    raise bad(f"{key.decode()}: outside a record (no SF: before it)")
            except FormatError:
                raise
            except (ValueError, IndexError):
                raise bad(f"malformed {key.decode('utf-8', 'replace')}: record") from None
    if record is not None:
        raise FormatError(
            path, f"truncated: the record that starts at line {opened} has no end_of_record"
        )
    source = f"LH/LF summed over {_plural(records, 'lcov record')}"
    if has_branches:
        source += " (branches: BRH/BRF)"
    if from_da:
        source += f"; DA lines counted where LF/LH are missing ({_plural(from_da, 'record')})"
    if duplicates:
        source += (
            f"; note: a repeated SF: path in {_plural(duplicates, 'record')}, summed not merged"
        )
    branch_pair = (branches[0], branches[1]) if has_branches else None
    return _totals("lcov", (lines[0], lines[1]), branch_pair, source)
