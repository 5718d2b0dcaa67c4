"""Read SARIF 2.1.0 logs into findings, one per result, each with a severity and why.

Knows nothing of pytest.  The file is streamed: memory does not grow with the number of
results, only with the rules of a run.  Two readers give the same findings: with msgspec
installed, :mod:`.sarif_fast` decodes the results in slices of the file (several times faster);
it hands over to :mod:`.sarif_pass` (ijson, with its C backend) what it does not handle, which
reads every layout and explains every error.

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
``results``, but JSON does not promise it (ruff and Semgrep write ``results`` first).  A result
is turned into a finding as soon as what decides it has been read.  The ijson reader holds the
results waiting for a later ``tool`` or ``invocations``, in order, up to 2,000 per run; the
fast reader holds none.  Beyond that, the run's results from the first waiting one on (and
those of the runs after it) are skipped and read again in a second pass, once the whole file
has been read (from the file opened again, unless the fast reader's buffer still holds them):
memory stays bounded, at the cost of reading the file twice.  Findings come in file order.

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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, make_dataclass
from itertools import islice
from types import MappingProxyType
from typing import Any, BinaryIO

from .errors import open_report
from .sarif_make import MESSAGE_LIMIT, Hooks
from .sarif_severity import SEVERITIES

try:
    from .sarif_bytes import HandOver
    from .sarif_fast import FastReader
except ImportError:  # msgspec is not installed: the streamed reader reads every file
    _FAST = False
else:
    _FAST = True

__all__ = ["MESSAGE_LIMIT", "SEVERITIES", "Finding", "read_sarif"]

PENDING_LIMIT = 2_000
"""Results of a run held while waiting for its ``tool``/``invocations``; beyond: a second pass."""

_CHUNK = 1 << 16
_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})


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
# sarif_make.maker).
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
    return _findings(os.fspath(path), table, allow_empty)


def _identity(fh: BinaryIO) -> tuple[int, ...]:
    st = os.fstat(fh.fileno())
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _hooks() -> Hooks:
    # Read at each call, so that tests can set them on this module.
    backend = globals().get("_BACKEND")
    return Hooks(_CHUNK, backend, PENDING_LIMIT, open_report, _identity, _FindingTwin, Finding)


def __getattr__(name: str) -> Any:
    """``_BACKEND``: ijson's backend (yajl2_c when its wheel has its C extension, as it should),
    looked up on first use: the streamed reader, and ijson with it, is imported only when a
    file needs it."""
    if name == "_BACKEND":
        import ijson  # type: ignore[import-untyped]  # ijson ships no type hints

        return ijson.backend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _findings(path: str, overrides: Mapping[str, str], allow_empty: bool) -> Iterator[Finding]:
    """The fast reader's findings until it hands over, then the streamed reader's from there
    (it reads the file from the start again: findings come in file order from both)."""
    hooks = _hooks()
    with hooks.open(path) as fh:
        done = 0
        if _FAST and fh.seekable():
            try:
                for batch in FastReader(fh, path, overrides, allow_empty, hooks).batches():
                    done += len(batch)
                    yield from batch
                return
            except HandOver:
                fh.seek(0)
        from .sarif_pass import Pass  # imports ijson: only when needed

        yield from islice(Pass(path, overrides, allow_empty, hooks).findings(fh), done, None)
