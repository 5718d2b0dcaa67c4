"""Read SARIF 2.1.0 logs into findings, one per result, each with a severity and why.

Knows nothing of pytest.  The file is streamed (ijson, with its C backend when installed):
memory does not grow with the number of results, only with the rules of a run.

What is read from each result:

* ``tool`` is the run's ``tool.driver.name``; ``rule_id`` the result's ``ruleId``, else
  ``rule.id``, else the id of the rule found by index.
* Rules are declared in ``tool.driver.rules`` and ``tool.extensions[].rules``.  A result names
  its rule by ``ruleIndex``/``rule.index`` (with ``rule.toolComponent.index`` pointing into the
  extensions), else by ``ruleId``/``rule.id``: the full id, then its hierarchical prefixes
  (``a/b/c``, ``a/b``, ``a``).  A result without a rule, or with an undeclared id, is read
  without one.  An index outside its rules array is an error (the file is not valid SARIF, and
  the rule it means is unknown).
* ``message`` is one line of ``message.text`` (else the rule's ``messageStrings[message.id]``,
  else its ``shortDescription``), ``{0}`` placeholders filled from ``message.arguments``,
  cut to 200 characters, whitespace collapsed; ``path``/``line``/``line_text`` come from the
  first location (``artifactLocation.uri``, ``region.startLine``, ``region.snippet.text``).
* ``fingerprint``: ``fingerprints``, else ``partialFingerprints``: the value of a single key;
  of several keys, all ``key=value`` pairs in key order joined with ``;``.
  ``suppressed``: the result has suppressions, none of them ``underReview`` or
  ``rejected``.  ``baseline_state`` is ``baselineState`` as written.

The severity is decided by the first row of this table that applies:

===  ============================================  ===========================================
row  what decides                                  severity
===  ============================================  ===========================================
1    ``overrides[tool name]`` (the tool name is    the override
     compared case-insensitively)
2a   ``properties["security-severity"]`` on the    number or numeric string: >= 9.0 critical,
     result                                        >= 7.0 high, >= 4.0 medium, > 0 low, 0 info;
                                                   word: critical, high, medium (moderate),
                                                   low, info (informational, none,
                                                   negligible), in any case
2b   the same on the result's rule                 as 2a
3a   Trivy's severity tag: ``properties.tags`` of  CRITICAL critical, HIGH high, MEDIUM
     the result, then of its rule, holds           medium, LOW low, UNKNOWN info
     CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN
3b   Bandit's ``properties.issue_severity`` on     a word, as in 2a
     the result
3c   CodeQL's ``properties["problem.severity"]``   error high, warning medium,
     on the rule                                   recommendation low
4a   the result's ``level``                        error high, warning medium, note low,
                                                   none info
4b   the result's ``kind``, if not ``fail``        info (level none)
4c   the first ``ruleConfigurationOverrides``      as 4a
     entry of ``runs[].invocations[]`` whose
     descriptor names the rule (by index or id)
     and sets ``configuration.level``
4d   the rule's ``defaultConfiguration.level``     as 4a
4e   nothing else                                  medium (level warning)
===  ============================================  ===========================================

``decided_by`` names the row, e.g. ``override Gitleaks=critical``, ``security-severity 9.8 on
the result``, ``security-severity 'HIGH' on rule CVE-2024-1``, ``Trivy severity tag CRITICAL on
rule CVE-2024-1`` (or ``on the result``), ``Bandit issue_severity MEDIUM``, ``CodeQL
problem.severity warning on rule js/xss``, ``level error on the result``, ``kind notApplicable``,
``ruleConfigurationOverrides level note``, ``rule defaultConfiguration.level warning``,
``default level warning``.

A value a row does not understand (security-severity "n/a" or negative, issue_severity
UNDEFINED, an unknown level) is skipped: the next row decides.  ``level`` is always the
effective level of row 4, whichever row decided the severity.

Reading order and memory.  A run's ``tool`` and ``invocations`` usually come before its
``results``, but JSON does not promise it (ruff writes ``results`` first).  A result is turned
into a finding as soon as what decides it has been read; results waiting for a later ``tool``
or ``invocations`` are held, in order, up to 2,000 per run.  Beyond that the run's results from
the first held one on (and those of the runs after it) are dropped and read again from the file
in a second pass, once pass 1 has read the whole file: memory stays bounded, at the cost of
reading the file twice.  Findings come in file order.

Errors.  :func:`read_sarif` returns an iterator; reading problems raise :class:`FormatError`
(naming the file and the reason) while iterating, possibly after findings from the part of the
file before the problem: use a report only once it has been read to the end.  Raised for: a
missing or empty file; invalid JSON or a truncated file; a JSON document that is not a SARIF log
(not an object, no ``version``, no ``runs``); a version other than 2.1.0; parts of the log with
the wrong type (``results`` not an array, a result not an object, ...); an out-of-range rule
index; ``runs: []`` or a run without ``results`` ("the scanner reported no results section"),
unless ``allow_empty=True``.  ``results: []`` is zero findings.  A UTF-8 byte order mark is fine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields, make_dataclass
from itertools import chain
from types import MappingProxyType
from typing import Any, BinaryIO

import ijson  # type: ignore[import-untyped]  # ijson ships no type hints

from .errors import FormatError, open_report
from .sarif_severity import MESSAGE_LIMIT, SEVERITIES, Malformed, RunContext, Wait, explain, maker

__all__ = ["MESSAGE_LIMIT", "SEVERITIES", "Finding", "read_sarif"]

PENDING_LIMIT = 2_000
"""Results of a run held while waiting for its ``tool``/``invocations``; beyond: a second pass."""

_CHUNK = 1 << 16
_BACKEND: str = ijson.backend  # yajl2_c when ijson's wheel has its C extension (it should)
_BOM = b"\xef\xbb\xbf"
_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})
# What a held result keeps (the rest can be large: codeFlows, stacks, relatedLocations).
_RESULT_KEYS = frozenset(
    [
        "ruleId",
        "ruleIndex",
        "rule",
        "level",
        "kind",
        "message",
        "locations",
        "properties",
        "fingerprints",
        "partialFingerprints",
        "baselineState",
        "suppressions",
    ]
)
_RUN_KEYS = frozenset({"tool", "invocations", "results"})
_RESULTS_KEY = frozenset({"results"})
_ROOT_KEYS = frozenset({"version", "runs"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One SARIF result, with the severity the table gives it."""

    tool: str
    """``tool.driver.name`` ("" if missing)."""
    rule_id: str
    """``ruleId``, else ``rule.id``, else the id of the rule found by index, else ""."""
    severity: str
    """One of :data:`SEVERITIES`."""
    decided_by: str
    """Which row of the table decided, e.g. ``security-severity 9.8 on the result``."""
    level: str
    """The effective SARIF level: error, warning, note or none."""
    message: str
    """One line, at most 200 characters."""
    path: str
    """The first location's ``artifactLocation.uri`` ("" if none)."""
    line: int | None
    """Its ``region.startLine``."""
    line_text: str
    """Its ``region.snippet.text``, stripped ("" if none): for baseline matching."""
    fingerprint: str
    """``fingerprints`` else ``partialFingerprints``: one key's value, or all sorted pairs."""
    baseline_state: str
    """``baselineState`` or ""."""
    suppressed: bool
    """Suppressions present, none of them underReview or rejected."""
    report: str
    """Path of the SARIF file."""
    run: int
    """Index of the run in the file."""


# A frozen dataclass sets each field through object.__setattr__: about 4 us for 14 fields, as
# much as all the rest of a finding.  Findings are built as this plain twin with the same slots,
# then become Findings: the layout is the same, so the class can be swapped (see
# sarif_severity.maker).
_FindingTwin = make_dataclass(
    "_FindingTwin", [(f.name, f.type) for f in fields(Finding)], slots=True
)


def read_sarif(
    path: str | os.PathLike[str],
    *,
    overrides: Mapping[str, str] = _NO_OVERRIDES,
    allow_empty: bool = False,
) -> Iterator[Finding]:
    """Stream the findings of a SARIF 2.1.0 file (see the module docstring for the rules).

    ``overrides`` maps a tool name (case-insensitive) to the severity of all its findings.
    ``allow_empty`` accepts ``runs: []`` and runs without ``results``.  A bad override is a
    :class:`ValueError` here; problems with the file raise :class:`FormatError` while iterating.
    """
    table: dict[str, str] = {}
    for tool, severity in overrides.items():
        if type(severity) is not str or severity.lower() not in SEVERITIES:
            raise ValueError(
                f"override for {tool!r}: {severity!r} is not a severity; "
                f"known: {', '.join(SEVERITIES)}"
            )
        table[tool.casefold()] = severity.lower()
    return _Pass(os.fspath(path), table, allow_empty).findings()


def _identity(fh: BinaryIO) -> tuple[int, ...]:
    st = os.fstat(fh.fileno())
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class _Target:
    """Hands the next C coroutine itself to ijson as the target's ``send``: its C coroutines
    then call each other directly instead of through a Python call per JSON event."""

    __slots__ = ("send",)

    def __init__(self, send: object) -> None:
        self.send = send


def _pipeline(first_map: dict[str, Any]) -> Any:
    """A push parser building the whole document; ``first_map`` becomes its root object.

    Every object is created by the map_type callable (a C iterator: no Python call per
    object) and attached to its parent as soon as it starts, so the partly built root can be
    looked at, and emptied of consumed results, after each chunk.
    """
    maps = _chain_maps(first_map)
    backend = ijson.get_backend(_BACKEND)
    if _BACKEND == "yajl2_c":
        items = backend.items_basecoro(_Target([]), "", maps)
        parse = backend.parse_basecoro(_Target(items))
        return backend.basic_parse_basecoro(_Target(parse), use_float=True)
    return backend.items_coro(ijson.sendable_list(), "", map_type=maps, use_float=True)


def _chain_maps(first: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return chain((first,), iter(dict, None)).__next__


def _last_key(node: dict[str, Any]) -> str | None:
    return next(reversed(node), None)


def _prune(node: dict[str, Any], keep: frozenset[str], complete: bool) -> None:
    """Drop the values the reader never looks at; trim one still being built if it is a list."""
    last = _last_key(node)
    for key, value in node.items():
        if key in keep or value is None or type(value) not in (dict, list):
            continue
        if complete or key != last:
            node[key] = None
        elif type(value) is list and len(value) > 1:
            del value[:-1]


_Later = dict[int, tuple[int, RunContext]]
"""Runs whose results are read in the second pass: run index -> (first result, context)."""


class _Pass:
    """One read of the file.

    Pass 1 reads every run.  Once a run has held too many results, its results from the first
    held one on, and all the results of the runs after it, are left to a second pass (``only``)
    that reads them again with the contexts pass 1 found: two reads at most, findings in order.
    """

    def __init__(
        self,
        path: str,
        overrides: Mapping[str, str],
        allow_empty: bool,
        identity: tuple[int, ...] | None = None,
        only: _Later | None = None,
    ) -> None:
        self.path = path
        self.overrides = overrides
        self.allow_empty = allow_empty
        self.identity = identity
        self.only = only
        self.later: _Later = {}
        self.root: dict[str, Any] = {}
        self.version_ok = False
        self.run = 0  # index of the run being read
        self.done = False  # a second pass has read its last run
        self._new_run()

    def _new_run(self) -> None:
        self.ctx: RunContext | None = None
        self.make: Callable[[dict[str, Any]], Finding] | None = None
        self.results: list[Any] | None = None
        self.seen = 0  # results taken out of the array so far
        self.pending: list[tuple[int, dict[str, Any]]] = []
        self.deferred_from: int | None = None

    def error(self, reason: str) -> FormatError:
        return FormatError(self.path, reason)

    # -- reading ------------------------------------------------------------------------------

    def findings(self) -> Iterator[Finding]:
        with open_report(self.path) as fh:
            identity = _identity(fh)
            if self.identity is None:
                self.identity = identity
            elif identity != self.identity:
                raise self.error("the file changed while it was being read")
            parser = _pipeline(self.root)
            for chunk in self._chunks(fh):
                try:
                    if chunk:
                        parser.send(chunk)
                    else:
                        parser.close()
                except ijson.JSONError as exc:
                    raise self.error(_json_reason(exc)) from None
                yield from self._advance(final=not chunk)
                if self.done:
                    return
        if self.later:
            again = _Pass(self.path, self.overrides, self.allow_empty, self.identity, self.later)
            yield from again.findings()

    def _chunks(self, fh: BinaryIO) -> Iterator[bytes]:
        """The file's bytes (BOM removed), checked to start like a JSON object; b"" at the end."""
        data = fh.read(_CHUNK)
        if not data:
            raise self.error("empty file")
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise self.error("UTF-16 encoded: SARIF is UTF-8 JSON")
        data = data.removeprefix(_BOM)
        while not data.strip():
            data = fh.read(_CHUNK)
            if not data:
                raise self.error("no JSON in the file, only whitespace")
        start = data.lstrip()[:1]
        if start != b"{":
            if start == b"[":
                raise self.error("not a SARIF log: the JSON document is an array, not an object")
            if start in b'"-0123456789tfn':
                raise self.error("not a SARIF log: the JSON document is not an object")
            shown = data.lstrip()[:20].decode("utf-8", "replace")
            raise self.error(f"not JSON: the file starts with {shown!r}")
        yield data
        while chunk := fh.read(_CHUNK):
            yield chunk
        yield b""

    # -- the document -------------------------------------------------------------------------

    def _advance(self, final: bool) -> list[Finding]:
        """Findings that the document read so far decides; frees what it no longer needs."""
        root = self.root
        out: list[Finding] = []
        if not self.version_ok and "version" in root:
            if root["version"] != "2.1.0":
                raise self.error(f'"version" is {root["version"]!r}: only SARIF 2.1.0 is read')
            self.version_ok = True
        _prune(root, _ROOT_KEYS, final)
        runs = root.get("runs")
        if runs is None:
            if final:
                raise self.error(self._not_sarif())
            return out
        if type(runs) is not list:
            raise self.error('"runs" is not an array')
        all_runs = final or _last_key(root) != "runs"
        while self.run < len(runs):
            run = runs[self.run]
            if type(run) is not dict:
                raise self.error(f"runs[{self.run}] is not an object")
            complete = all_runs or self.run < len(runs) - 1
            try:
                self._step(run, complete, out)
            except Malformed as exc:
                raise self.error(f"runs[{self.run}]: {exc}") from None
            if not complete or self.done:
                return out
            runs[self.run] = None
            self.run += 1
            self._new_run()
        if final:
            if not self.version_ok:
                raise self.error(self._not_sarif())
            if not runs and not self.allow_empty:
                raise self.error('"runs" is empty: the scanner reported no results section')
        return out

    def _not_sarif(self) -> str:
        if "runs" in self.root:
            return 'not a SARIF log: no "version" key (SARIF 2.1.0 says "version": "2.1.0")'
        if "version" in self.root:
            return 'no "runs" key: a SARIF log lists its runs in "runs"'
        return 'not a SARIF log: the JSON object has neither "version" nor "runs"'

    def _step(self, run: dict[str, Any], complete: bool, out: list[Finding]) -> None:
        """Read what has arrived of the current run."""
        last = _last_key(run)
        if self.only is not None and self.run not in self.only:
            _prune(run, frozenset(), complete)  # read in full by pass 1
            return
        if self.later and self.deferred_from is None:
            self.deferred_from = 0  # after a run left to the second pass, in order
        ctx, changed = self.ctx, False  # changed: held results may be decided now
        if ctx is None:
            if self.only is not None:
                ctx = self.only[self.run][1]
            elif "tool" in run and (complete or last != "tool"):
                ctx = RunContext(self.run, run["tool"], self.overrides)
                run["tool"] = None
            elif complete:
                ctx = RunContext(self.run, None, self.overrides)
            if ctx is not None:
                self.make = maker(ctx, self.path, _FindingTwin, Finding)
                self.ctx, changed = ctx, True
        if ctx is not None and not ctx.ready:
            if "invocations" in run and (complete or last != "invocations"):
                ctx.set_invocations(run["invocations"])
                run["invocations"] = None
                changed = True
            elif complete:
                ctx.set_invocations(None)
                changed = True
        _prune(run, _RUN_KEYS if self.only is None else _RESULTS_KEY, complete)
        if self.pending and changed:
            self._flush(out)
        results = run.get("results")
        if results is not None:
            if type(results) is not list:
                raise Malformed("results is not an array")
            if self.results is None:
                self.results = results
            elif results is not self.results:
                raise Malformed('"results" appears twice')
            taken = len(results) if complete or last != "results" else len(results) - 1
            if taken > 0:
                batch = results[:taken]
                del results[:taken]
                self._take(batch, out)
        if complete:
            if self.results is None and not self.allow_empty:
                raise Malformed('no "results" key: the scanner reported no results section')
            if self.only is not None:
                self.done = self.run == max(self.only)
            elif self.deferred_from is not None:
                assert ctx is not None
                self.later[self.run] = (self.deferred_from, ctx)

    def _take(self, batch: list[Any], out: list[Finding]) -> None:
        base = self.seen
        self.seen += len(batch)
        if self.only is not None:
            skip = self.only[self.run][0] - base
            if skip >= len(batch):
                return
            if skip > 0:
                base, batch = base + skip, batch[skip:]
        elif self.deferred_from is not None:
            return  # the second pass reads them
        made = 0 if self.pending else self._make(batch, base, out)
        if made < len(batch):
            self._hold(batch[made:], base + made)

    def _make(self, batch: list[Any], base: int, out: list[Finding]) -> int:
        """Findings for ``batch`` up to the first result that must wait; how many were made."""
        if self.make is None:
            return 0
        before = len(out)
        try:
            out += map(self.make, batch)  # a C loop; on Wait, out keeps what was made before
        except Wait:
            pass
        except (Malformed, AttributeError, TypeError, KeyError, IndexError, ValueError):
            made = len(out) - before
            self._raise_for(batch[made:], base + made)
        return len(out) - before

    def _hold(self, batch: list[Any], base: int) -> None:
        """Keep results that wait for the run's tool or invocations; too many: a second pass."""
        pending = self.pending
        for number, result in enumerate(batch, base):
            if type(result) is dict:
                for key in result.keys() - _RESULT_KEYS:
                    del result[key]
            pending.append((number, result))
        if len(pending) > PENDING_LIMIT:
            self.deferred_from = pending[0][0]
            pending.clear()

    def _flush(self, out: list[Finding]) -> None:
        """Findings for the held results that can now be decided, in order."""
        pending = self.pending
        made = self._make([result for _, result in pending], pending[0][0], out)
        del pending[:made]

    def _raise_for(self, batch: list[Any], base: int) -> None:
        """Find the result of ``batch`` that failed and say why (off the fast path)."""
        assert self.make is not None
        for number, result in enumerate(batch, base):
            where = f"runs[{self.run}].results[{number}]"
            if type(result) is not dict:
                raise self.error(f"{where} is not an object")
            try:
                self.make(result)
            except Malformed as exc:
                raise self.error(f"{where}: {exc}") from None
            except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
                raise self.error(f"{where}: {explain(result) or exc}") from None
        raise AssertionError("a result failed once and not twice")  # pragma: no cover


def _json_reason(exc: Exception) -> str:
    """One line from ijson's (yajl's) error, which spans three lines and may be a bytes repr."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1].replace("\\n", "\n")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else "invalid JSON"
    if "premature EOF" in first or "Incomplete JSON content" in first:  # yajl, python backend
        return "truncated: the file ends in the middle of the JSON document"
    for prefix in ("parse error: ", "lexical error: "):
        first = first.removeprefix(prefix)
    near = f" near {lines[1]!r}" if len(lines) > 2 else ""
    return f"not valid JSON: {first}{near}"
