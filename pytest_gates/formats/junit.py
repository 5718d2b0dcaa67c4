"""Read JUnit XML reports into one summary: counts, failing cases, flaky cases.

Knows nothing of pytest.  The files are streamed through the safe expat parser of
:mod:`pytest_gates.formats.xmlsafe` with a small state machine, so memory does not grow with
the number of testcases, only with the number of failing ones.

How a report is counted:

* Counts come from the ``<testcase>`` elements, never from the ``tests``/``failures``/
  ``errors``/``skipped`` attributes, which many tools get wrong (a suite saying ``tests="6"``
  with no ``<testcase>`` in it counts 0 tests).
* The root element is ``<testsuites>`` or ``<testsuite>``; suites nest to any depth, and a
  testcase counts wherever it sits under the root (also directly in a parent suite).  Any other
  root is not a JUnit report and raises :class:`FormatError`.
* One testcase is one test, whatever its children: ``<error>`` beats ``<failure>`` beats
  ``<skipped>`` beats passed.  pytest's xfail (``<skipped type="pytest.xfail">``) is skipped.
  Only the direct children of a ``<testcase>`` decide; attributes such as ``status="disabled"``
  do not (a testcase with no result child passed).
* Maven Surefire reruns: ``<flakyFailure>``/``<flakyError>`` without a ``<failure>``/``<error>``
  means the test passed on a rerun: it counts as passed, and as flaky.  ``<rerunFailure>``/
  ``<rerunError>`` come with a real ``<failure>``/``<error>``: the test failed (and should one
  ever come alone, it still counts as a failure/error).
* A test reported more than once (same ``classname`` and ``name``, across all the files of one
  :func:`read_junit` call) that failed or errored and then passed in a later entry counts once,
  as passed, and as flaky: the earlier failing entries are taken back (its flaky case points at
  the first failing entry, where the evidence is).  Any other repetition
  counts as separate tests, as Jenkins does.  A testcase without a ``name`` is never merged
  (there is nothing to tell it apart from the next nameless one).
* An ``<error>`` or ``<failure>`` directly inside a ``<testsuite>`` (a class that failed to
  load, a crashed fixture) counts as one errored test named after the suite (once per suite,
  ``classname`` empty, ``line`` that of the ``<error>``/``<failure>``): the suite did not run, so
  the report must not look green.
* A case's ``message`` is one line: the first non-blank line of the ``message`` attribute, or of
  the element's text when the attribute is missing or empty, or else its ``type`` attribute;
  whitespace runs are collapsed and the line is cut to 200 characters.
* The same file given twice (same absolute path) is read once; an empty list of paths is a
  :class:`ValueError`.
* A missing, empty, truncated or malformed file, a document declaring entities (XXE, "billion
  laughs") and a non-JUnit root all raise :class:`FormatError` naming the file and the reason;
  a UTF-8 byte order mark, a missing XML declaration, and odd ``time``/``timestamp`` values are
  fine (they are not read).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import FormatError
from .xmlsafe import make_parser, parse_file

__all__ = ["CaseResult", "JUnitSummary", "read_junit"]

MESSAGE_LIMIT = 200

# Bits of a testcase's result, from its direct children.
_SKIP = 1
_FLAKY = 2
_FAIL = 4
_ERR = 8

_RESULT_BITS = {
    "error": _ERR,
    "failure": _FAIL,
    "skipped": _SKIP,
    "flakyFailure": _FLAKY,
    "flakyError": _FLAKY,
    # Surefire only writes these next to a real <failure>/<error>; counting them as one keeps a
    # (hypothetical) lone rerun result from passing.
    "rerunFailure": _FAIL,
    "rerunError": _ERR,
}
_SUITE_RESULTS = frozenset({"error", "failure"})
_ROOTS = frozenset({"testsuites", "testsuite"})


@dataclass(frozen=True)
class CaseResult:
    """One testcase that did not simply pass."""

    name: str
    classname: str
    outcome: str
    """``"failure"``, ``"error"``, ``"flaky"`` or ``"skipped"`` (:func:`read_junit` lists no
    skipped cases)."""
    message: str
    """One line: the first line of the ``message`` attribute or of the element's text."""
    report: str
    """Path of the report file the case came from."""
    line: int
    """Line of the ``<testcase>`` in that file."""


@dataclass(frozen=True)
class JUnitSummary:
    """What a set of JUnit XML reports says, counted from the ``<testcase>`` elements.

    ``tests == passed + failures + errors + skipped``; ``flaky`` tests are counted in ``passed``.
    """

    files: tuple[str, ...]
    tests: int
    passed: int
    failures: int
    errors: int
    skipped: int
    flaky: int
    failing: tuple[CaseResult, ...]
    """The first ``keep`` failed or errored cases, in file order."""
    flaky_cases: tuple[CaseResult, ...]
    """The first ``keep`` flaky cases."""


def _first_line(text: str) -> str:
    """The first non-blank line of ``text``, whitespace collapsed, cut to MESSAGE_LIMIT chars."""
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line:
            if len(line) > MESSAGE_LIMIT:
                return line[: MESSAGE_LIMIT - 1] + "\u2026"
            return line
    return ""


# A failing entry stays a plain tuple until the end, when only `keep` become CaseResults:
# (name, classname, outcome, message, report, line), and with its sequence number first.
_Case = tuple[str, str, str, str, str, int]
_Record = tuple[int, str, str, str, str, str, int]


class _Failing:
    """The failing entries of one (classname, name) key, so a later pass can take them back."""

    __slots__ = ("errors", "failures", "records")

    def __init__(self) -> None:
        self.failures = 0
        self.errors = 0
        # The first entry is always kept (a later pass reports it as flaky), at most `keep`.
        self.records: list[_Record] = []


class _Tally:
    """Counts and failing cases across the files of one read_junit call.

    Memory is bounded by the failing keys: passed and skipped testcases leave only a count.
    """

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.passed = 0
        self.failures = 0
        self.errors = 0
        self.skipped = 0
        self.flaky = 0
        self.seq = 0
        self.by_key: dict[tuple[str, str], _Failing] = {}
        # Failing entries that no later pass can take back (nameless, suite-level).
        self.fixed: list[_Record] = []
        self.flaky_cases: list[CaseResult] = []

    def fail(self, case: _Case, *, mergeable: bool) -> None:
        """Count a failed or errored entry; ``mergeable`` if a later pass may take it back."""
        name, classname, outcome = case[:3]
        error = outcome == "error"
        if error:
            self.errors += 1
        else:
            self.failures += 1
        self.seq += 1
        record: _Record = (self.seq, *case)
        if not mergeable:
            if len(self.fixed) < self.keep:
                self.fixed.append(record)
            return
        entry = self.by_key.get((classname, name))
        if entry is None:
            entry = self.by_key[classname, name] = _Failing()
        if error:
            entry.errors += 1
        else:
            entry.failures += 1
        if not entry.records or len(entry.records) < self.keep:
            entry.records.append(record)

    def add_flaky(self, name: str, classname: str, message: str, report: str, line: int) -> None:
        self.flaky += 1
        if len(self.flaky_cases) < self.keep:
            self.flaky_cases.append(CaseResult(name, classname, "flaky", message, report, line))

    def passed_after_failing(self, entry: _Failing, already_flaky: bool) -> None:
        """A pass of a key that failed before: its failing entries are taken back."""
        self.failures -= entry.failures
        self.errors -= entry.errors
        if not already_flaky:
            # Reported where it failed: that is where the evidence is.
            _, name, classname, _, message, report, line = entry.records[0]
            self.add_flaky(name, classname, message, report, line)

    def failing(self) -> tuple[CaseResult, ...]:
        records = list(self.fixed)
        for entry in self.by_key.values():
            records.extend(entry.records)
        records.sort()
        return tuple(CaseResult(*record[1:]) for record in records[: self.keep])


def _make_reader(tally: _Tally) -> Callable[[str], None]:
    """A function that streams one report file into ``tally``.

    The expat handlers run once per element, so the common path (a testcase that passed) is
    kept to a few integer comparisons on closure variables; the rest is in helpers that run
    only for result elements, suites, and failing testcases.
    """
    by_key = tally.by_key
    parser = make_parser()
    path = ""
    passed = 0
    depth = 0
    case_depth = -1  # depth of the open <testcase>, -1 outside one
    case_attrs: dict[str, str] = {}
    case_line = 0
    bits = 0  # result bits of the open testcase
    messages: dict[int, str] = {}  # result bit -> message, for the open testcase
    suites: list[int] = []  # depths of the open <testsuite>s
    names: list[str] = []  # their names (only read for suite-level errors)
    errored_suites: set[int] = set()  # depths of open suites already counted as errored
    suite_error_line = 0
    # Text collection, for a result element without a message attribute.
    text: list[str] = []
    text_depth = -1
    text_bit = 0
    text_fallback = ""
    text_done = False

    def on_text(data: str) -> None:
        nonlocal text_done
        # Unsetting the handler from here would make pyexpat flush its buffer into this very
        # handler again (endless recursion), hence a flag.
        if text_done:
            return
        text.append(data)
        # Enough once one non-blank line is complete, or long enough to be cut.
        joined = "".join(text).lstrip()
        if len(joined) > MESSAGE_LIMIT or "\n" in joined or "\r" in joined:
            text_done = True

    def collect(attrs: dict[str, str], bit: int) -> str | None:
        """The message of a result element, or None once text collection has started."""
        nonlocal text_depth, text_bit, text_fallback, text_done
        message = _first_line(attrs.get("message", ""))
        if message:
            return message
        text.clear()
        text_done = False
        text_depth = depth
        text_bit = bit
        text_fallback = attrs.get("type", "")
        parser.CharacterDataHandler = on_text
        return None

    def end_collect() -> None:
        nonlocal text_depth
        parser.CharacterDataHandler = None
        text_depth = -1
        message = _first_line("".join(text)) or _first_line(text_fallback)
        if case_depth < 0:
            suite_error(message)
        else:
            messages[text_bit] = message

    def suite_error(message: str) -> None:
        suite = names[-1] or "<testsuite>"
        tally.fail((suite, "", "error", message, path, suite_error_line), mergeable=False)

    def result(tag: str, attrs: dict[str, str]) -> None:
        """A result element directly inside the open testcase."""
        nonlocal bits
        bit = _RESULT_BITS[tag]
        bits |= bit
        if bit != _SKIP and bit not in messages and text_depth < 0:
            message = collect(attrs, bit)
            if message is not None:
                messages[bit] = message

    def other(tag: str, attrs: dict[str, str]) -> None:
        """An element outside any testcase, other than <testcase>."""
        nonlocal suite_error_line
        if tag == "testsuite":
            suites.append(depth)
            names.append(attrs.get("name", ""))
        elif (
            tag in _SUITE_RESULTS
            and suites
            and suites[-1] == depth - 1
            and suites[-1] not in errored_suites
        ):
            errored_suites.add(suites[-1])
            suite_error_line = parser.CurrentLineNumber
            message = collect(attrs, _ERR)
            if message is not None:
                suite_error(message)

    def finish_case() -> None:
        """Count a testcase that had result children."""
        name = case_attrs.get("name", "")
        classname = case_attrs.get("classname", "")
        if bits & (_ERR | _FAIL):
            bit = _ERR if bits & _ERR else _FAIL
            outcome = "error" if bit == _ERR else "failure"
            message = messages.get(bit, "")
            tally.fail((name, classname, outcome, message, path, case_line), mergeable=bool(name))
        elif bits & _SKIP:
            tally.skipped += 1
        else:  # flaky: passed on a rerun
            tally.passed += 1
            tally.add_flaky(name, classname, messages.get(_FLAKY, ""), path, case_line)
            entry = by_key.pop((classname, name), None) if name else None
            if entry is not None:
                tally.passed_after_failing(entry, True)
        messages.clear()

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, case_depth, case_attrs, case_line, bits
        depth += 1
        if case_depth < 0:
            if tag == "testcase":
                case_depth = depth
                case_attrs = attrs
                case_line = parser.CurrentLineNumber
                bits = 0
            else:
                other(tag, attrs)
        elif depth == case_depth + 1 and tag in _RESULT_BITS:
            result(tag, attrs)

    def start_root(tag: str, attrs: dict[str, str]) -> None:
        if tag not in _ROOTS:
            raise FormatError(
                path,
                f"not a JUnit XML report: root element is <{tag}>, "
                "expected <testsuites> or <testsuite>",
            )
        parser.StartElementHandler = start
        start(tag, attrs)

    def end(tag: str) -> None:
        nonlocal depth, case_depth, passed
        if depth == case_depth:
            case_depth = -1
            if bits:
                finish_case()
            else:
                passed += 1
                if by_key:
                    name = case_attrs.get("name")
                    if name:
                        entry = by_key.pop((case_attrs.get("classname", ""), name), None)
                        if entry is not None:
                            tally.passed_after_failing(entry, False)
        elif depth == text_depth:
            end_collect()
        elif suites and depth == suites[-1]:
            suites.pop()
            names.pop()
            errored_suites.discard(depth)
        depth -= 1

    def read(report: str) -> None:
        nonlocal parser, path, passed, depth, case_depth, text_depth
        # Rebinding `parser` also drops the previous one (no cycle left behind but the last).
        parser = make_parser()
        path = report
        passed = depth = 0
        case_depth = text_depth = -1
        messages.clear()
        suites.clear()
        names.clear()
        errored_suites.clear()
        parser.StartElementHandler = start_root
        parser.EndElementHandler = end
        parse_file(path, parser)
        tally.passed += passed

    return read


def read_junit(paths: Iterable[str | os.PathLike[str]], *, keep: int = 20) -> JUnitSummary:
    """Read JUnit XML report files into one :class:`JUnitSummary`.

    ``keep`` bounds how many failing and flaky cases are returned (the counts are always
    complete).  Raises :class:`ValueError` for an empty ``paths`` or a negative ``keep``, and
    :class:`FormatError` for the first file that cannot be read (see the module docstring for
    what is counted and how).
    """
    if keep < 0:
        raise ValueError(f"keep must be >= 0, not {keep}")
    files: list[str] = []
    seen: set[str] = set()
    for p in paths:
        path = os.fspath(p)
        where = os.path.abspath(path)
        if where not in seen:
            seen.add(where)
            files.append(path)
    if not files:
        raise ValueError("read_junit() needs at least one report path")
    tally = _Tally(keep)
    read = _make_reader(tally)
    for path in files:
        read(path)
    return JUnitSummary(
        files=tuple(files),
        tests=tally.passed + tally.failures + tally.errors + tally.skipped,
        passed=tally.passed,
        failures=tally.failures,
        errors=tally.errors,
        skipped=tally.skipped,
        flaky=tally.flaky,
        failing=tally.failing(),
        flaky_cases=tuple(tally.flaky_cases),
    )
