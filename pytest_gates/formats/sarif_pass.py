"""The streamed SARIF reader: any layout, any size, in bounded memory.

:func:`pytest_gates.formats.sarif.read_sarif` documents what is read and the reading order.
This reader handles every layout; the faster one (:mod:`.sarif_fast`) hands over to it what it
does not handle.  A push parser (ijson, with its C backend when installed) builds the document
as it arrives; after each chunk, consumed results and the parts the reader never looks at are
dropped, so memory does not grow with the number of results.  Knows nothing of pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

import ijson  # type: ignore[import-untyped]  # ijson ships no type hints

from .errors import FormatError
from .sarif_ijson import chunks, json_reason, last_key, pipeline, prune
from .sarif_make import Hooks, explain, maker
from .sarif_rules import Malformed, RunContext, Wait

__all__ = ["Pass"]

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


_Later = dict[int, tuple[int, RunContext]]
"""Runs whose results are read in the second pass: run index -> (first result, context)."""


class Pass:
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
        hooks: Hooks,
        identity: tuple[int, ...] | None = None,
        only: _Later | None = None,
    ) -> None:
        self.path = path
        self.hooks = hooks
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
        self.make: Callable[[dict[str, Any]], Any] | None = None
        self.results: list[Any] | None = None
        self.seen = 0  # results taken out of the array so far
        self.pending: list[tuple[int, dict[str, Any]]] = []
        self.deferred_from: int | None = None

    def error(self, reason: str) -> FormatError:
        return FormatError(self.path, reason)

    # -- reading ------------------------------------------------------------------------------

    def findings(self, fh: BinaryIO | None = None) -> Iterator[Any]:
        """The findings, in file order; ``fh``: the file, already open at its start."""
        if fh is None:
            with self.hooks.open(self.path) as opened:
                yield from self._read(opened)
        else:
            yield from self._read(fh)
        if self.later:
            again = Pass(
                self.path, self.overrides, self.allow_empty, self.hooks, self.identity, self.later
            )
            yield from again.findings()

    def _read(self, fh: BinaryIO) -> Iterator[Any]:
        identity = self.hooks.identity(fh)
        if self.identity is None:
            self.identity = identity
        elif identity != self.identity:
            raise self.error("the file changed while it was being read")
        parser = pipeline(self.root, self.hooks.backend or ijson.backend)
        for chunk in chunks(fh, self.hooks.chunk, self.error):
            try:
                if chunk:
                    parser.send(chunk)
                else:
                    parser.close()
            except ijson.JSONError as exc:
                raise self.error(json_reason(exc)) from None
            yield from self._advance(final=not chunk)
            if self.done:
                return

    # -- the document -------------------------------------------------------------------------

    def _advance(self, final: bool) -> list[Any]:
        """Findings that the document read so far decides; frees what it no longer needs."""
        root = self.root
        out: list[Any] = []
        if not self.version_ok and "version" in root:
            if root["version"] != "2.1.0":
                raise self.error(f'"version" is {root["version"]!r}: only SARIF 2.1.0 is read')
            self.version_ok = True
        prune(root, _ROOT_KEYS, final)
        runs = root.get("runs")
        if runs is None:
            if final:
                raise self.error(self._not_sarif())
            return out
        if type(runs) is not list:
            raise self.error('"runs" is not an array')
        all_runs = final or last_key(root) != "runs"
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

    def _step(self, run: dict[str, Any], complete: bool, out: list[Any]) -> None:
        """Read what has arrived of the current run."""
        last = last_key(run)
        if self.only is not None and self.run not in self.only:
            prune(run, frozenset(), complete)  # read in full by pass 1
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
                self.make = maker(ctx, self.path, self.hooks.twin, self.hooks.finding)
                self.ctx, changed = ctx, True
        if ctx is not None and not ctx.ready:
            if "invocations" in run and (complete or last != "invocations"):
                ctx.set_invocations(run["invocations"])
                run["invocations"] = None
                changed = True
            elif complete:
                ctx.set_invocations(None)
                changed = True
        prune(run, _RUN_KEYS if self.only is None else _RESULTS_KEY, complete)
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

    def _take(self, batch: list[Any], out: list[Any]) -> None:
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

    def _make(self, batch: list[Any], base: int, out: list[Any]) -> int:
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
        if len(pending) > self.hooks.pending_limit:
            self.deferred_from = pending[0][0]
            pending.clear()

    def _flush(self, out: list[Any]) -> None:
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
