"""The fast SARIF reader: msgspec decodes each run's results in slices of the file.

It gives the findings of the streamed reader (:mod:`.sarif_pass`), in the same order, in bounded
memory, several times faster: the results are not built as dicts by a Python-driven parser but
decoded by msgspec, in C, straight into :class:`.sarif_struct.Result` objects holding only what
a finding needs.  Results that come before their run's ``tool``, or whose level may come from
``invocations`` not read yet, are skipped (checked, not decoded) with everything after them and
read in a second pass (see :class:`FastReader`).  Anything else it does not expect raises
:class:`.sarif_bytes.HandOver`, and the streamed reader reads the file instead: not JSON, not
UTF-8, not a SARIF 2.1.0 log, a key twice, a part of a result with a type the structs do not
take, a rule index out of range...; it then says what is wrong, or reads what this reader does
not.

The ``results`` arrays are decoded a slice at a time (:mod:`.sarif_slices`).  Knows nothing of
pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any, BinaryIO

import msgspec
from msgspec import Struct

from .errors import FormatError
from .sarif_bytes import (
    CLOSE_ARRAY,
    COMMA,
    OPEN_ARRAY,
    OPEN_OBJECT,
    Buffer,
    HandOver,
)
from .sarif_make import BOM, Hooks
from .sarif_rules import RunContext, Wait
from .sarif_slices import element_at, slices
from .sarif_struct import RESULTS, Result, struct_maker

__all__ = ["SLICE_CHUNKS", "FastReader"]

SLICE_CHUNKS = 2
"""Bytes of results decoded at a time, in read sizes (2 x 64 KiB: about 120 results of 1 KB)."""

_NULL = ord("n")


class _Skipped(Struct, gc=False):
    """A result that is only checked, not read (msgspec skips all of its members)."""


_SKIP = msgspec.json.Decoder(list[_Skipped])


class FastReader:
    """One read of an open SARIF file; :meth:`batches` gives its findings, a list at a time.

    Like the streamed reader, it reads the file twice at most: results that come before their
    run's ``tool``, or that may take their level from ``invocations`` not read yet, are skipped
    (checked, not read) with everything after them, and read once the whole file has been
    (from the buffer when it still holds them, else from the file opened again).
    """

    def __init__(
        self,
        fh: BinaryIO,
        path: str,
        overrides: Mapping[str, str],
        allow_empty: bool,
        hooks: Hooks,
    ) -> None:
        self.buffer = Buffer(fh, hooks.chunk)
        self.slice = SLICE_CHUNKS * hooks.chunk
        self.path = path
        self.overrides = overrides
        self.allow_empty = allow_empty
        self.hooks = hooks
        self.identity = hooks.identity(fh)
        self.later: list[tuple[RunContext, int]] = []  # (run, file offset of its first result)

    def batches(self) -> Iterator[list[Any]]:
        """The findings, in file order, a list at a time; HandOver where this reader stops."""
        b = self.buffer
        b.fill(len(BOM))
        if b.buf.startswith(BOM):
            b.pos = len(BOM)
        seen: set[str] = set()
        runs = 0
        for key in b.members():
            if key in seen and key in ("version", "runs"):
                raise HandOver
            seen.add(key)
            if key == "version":
                if b.value() != "2.1.0":
                    raise HandOver
            elif key == "runs":
                runs = yield from self._runs()
            else:
                b.skip()
        if "version" not in seen or "runs" not in seen or not (runs or self.allow_empty):
            raise HandOver
        if b.peek() != -1:
            raise HandOver  # more after the document
        if self.later:
            yield from self._again()

    def _runs(self) -> Generator[list[Any], None, int]:
        """The findings of the ``runs`` array at ``pos``; returns the number of runs."""
        b = self.buffer
        b.take(OPEN_ARRAY)
        if b.peek() == CLOSE_ARRAY:
            b.pos += 1
            return 0
        index = 0
        while True:
            if b.peek() != OPEN_OBJECT:
                raise HandOver
            try:
                yield from self._run(index)
            except HandOver:
                raise
            except Exception:  # Malformed, a type error in a result...
                raise HandOver from None
            index += 1
            if b.take(COMMA, CLOSE_ARRAY) == CLOSE_ARRAY:
                return index

    def _run(self, index: int) -> Iterator[list[Any]]:
        b = self.buffer
        ctx: RunContext | None = None
        invocations: Any = None
        seen: set[str] = set()
        later: int | None = None  # file offset of the first result left for later
        for key in b.members():
            if key in seen and key in ("tool", "invocations", "results"):
                raise HandOver
            seen.add(key)
            if key == "tool":
                ctx = RunContext(index, b.value(), self.overrides)
                if "invocations" in seen:
                    ctx.set_invocations(invocations)
            elif key == "invocations":
                invocations = b.value()
                if ctx is not None:
                    ctx.set_invocations(invocations)
            elif key == "results" and b.peek() == _NULL:
                if b.value() is not None:
                    raise HandOver
                seen.discard("results")  # null: as if absent
            elif key == "results":
                b.take(OPEN_ARRAY)
                if b.peek() == CLOSE_ARRAY:
                    b.pos += 1
                elif ctx is None or self.later:  # no tool yet, or results already left
                    later = b.base + b.pos
                    self._skip_results()
                else:
                    make: Callable[[Result], Any]
                    make = struct_maker(ctx, self.path, self.hooks.twin, self.hooks.finding)
                    later = yield from self._results(make)
            else:
                b.skip()
        if "results" not in seen and not self.allow_empty:
            raise HandOver
        if ctx is None:
            ctx = RunContext(index, None, self.overrides)
        if not ctx.ready:
            ctx.set_invocations(invocations)
        if later is not None:
            self.later.append((ctx, later))

    def _results(self, make: Callable[[Result], Any]) -> Generator[list[Any], None, int | None]:
        """Findings for the results from ``pos`` on, until one must wait for the invocations:
        returns its file offset (None if none waits), after skipping it and the rest."""
        b = self.buffer
        decoded = slices(b, RESULTS, self.slice)
        for batch, start in decoded:
            out: list[Any] = []
            try:
                out += map(make, batch)  # a C loop; on Wait, out keeps what was made before
            except Wait:
                decoded.close()
                b.pos = element_at(b, start, len(out))
                later = b.base + b.pos
                if out:
                    yield out
                self._skip_results()
                return later
            yield out
        return None

    def _skip_results(self) -> None:
        for _ in slices(self.buffer, _SKIP, self.slice):
            pass

    def _again(self) -> Iterator[list[Any]]:
        """Findings for the results left for later, from the buffer if it still holds them,
        else from the file opened again (it must be the same file)."""
        b = self.buffer
        if self.later[0][1] >= b.base:
            yield from self._later(b)
            return
        with self.hooks.open(self.path) as fh:
            if self.hooks.identity(fh) != self.identity:
                raise FormatError(self.path, "the file changed while it was being read")
            yield from self._later(Buffer(fh, self.hooks.chunk))

    def _later(self, b: Buffer) -> Iterator[list[Any]]:
        self.buffer = b
        for ctx, offset in self.later:
            b.seek(offset)
            make: Callable[[Result], Any]
            make = struct_maker(ctx, self.path, self.hooks.twin, self.hooks.finding)
            for batch, _ in slices(self.buffer, RESULTS, self.slice):
                try:
                    yield list(map(make, batch))
                except Exception:  # nothing waits now: a result the streamed reader explains
                    raise HandOver from None
