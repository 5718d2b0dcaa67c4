"""A JSON array decoded by msgspec a slice at a time, from a :class:`.sarif_bytes.Buffer`.

A slice starts at an element and is decoded as ``[`` + slice + ``]``; it decodes only if it ends
exactly after an element (JSON is read left to right, so the slice is read as it is in the file;
a cut inside an element leaves something open, and a cut after the array's end leaves data
after the closing bracket).  The cut is looked for with the bytes seen between two elements, as
far as the first member name of the next one (``},{"ruleId"`` in compact JSON; the indentation
too in pretty JSON; a double quote never appears unescaped inside a string, so only the
structure matches): the last such place within the slice.  When there is none, or the slice
does not decode, the elements are found one by one (msgspec reports where each one ends, see
:meth:`.sarif_bytes.Buffer.end_of`) and those found are decoded together; if they do not decode
either, :class:`.sarif_bytes.HandOver`.  Knows nothing of pytest.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import msgspec

from .sarif_bytes import CLOSE_ARRAY, CLOSE_OBJECT, COMMA, WHITESPACE, Buffer, HandOver

__all__ = ["element_at", "slices"]

_NEXT_KEY = re.compile(rb'\{[ \t\n\r]*"[^"\\]*"')


def slices(
    b: Buffer, decoder: msgspec.json.Decoder[list[Any]], size: int
) -> Generator[tuple[list[Any], int], None, None]:
    """The elements of the array from ``b.pos`` (an element's start) to its end, decoded
    ``size`` bytes at a time: (elements, index in ``b.buf`` of the first one, valid until the
    next step)."""
    between: bytes | None = None  # the bytes from one element's "}" to the next one's name
    to_next = 0  # from that "}" to the next element's "{"
    while True:
        b.fill(size)
        buf, pos = b.buf, b.pos
        if between is not None:
            cut = buf.rfind(between, pos, pos + size)
            if cut > pos:
                try:
                    batch = decoder.decode(_bracketed(buf, pos, cut + 1))
                except msgspec.MsgspecError:
                    pass  # not the end of an element after all: find them one by one
                else:
                    b.pos = cut + to_next
                    yield batch, pos
                    continue
        stop, after, closed = _elements(b, pos, pos + size)
        if stop is None:  # not one whole element in the buffer
            if not b.read(len(buf) - pos):
                raise HandOver
            continue
        try:
            batch = decoder.decode(_bracketed(buf, pos, stop))
        except msgspec.MsgspecError:
            raise HandOver from None
        if between is None and not closed:
            between, to_next = _between(buf, stop, after)
        b.pos = after
        yield batch, pos
        if closed:
            return


def element_at(b: Buffer, start: int, number: int) -> int:
    """Index in ``buf`` of element ``number`` of a slice starting at ``buf[start]``."""
    for _ in range(number):
        end = b.end_of(start)
        assert end is not None
        match = WHITESPACE.match(b.buf, end + 1)
        assert match is not None
        start = match.end()
    return start


def _elements(b: Buffer, pos: int, limit: int) -> tuple[int | None, int, bool]:
    """Elements of the array from ``pos`` (an element's start) while they start before
    ``limit`` and end in the buffer: (the comma or bracket after the last one, the start of
    the next element or the index after the bracket, whether the bracket closed the array)."""
    buf = b.buf
    stop: int | None = None
    after = pos
    while after < limit:
        end = b.end_of(after)
        if end is None:
            break
        stop = end
        if buf[end] == CLOSE_ARRAY:
            return stop, end + 1, True
        if buf[end] != COMMA:
            raise HandOver
        match = WHITESPACE.match(buf, end + 1)
        assert match is not None
        after = match.end()
        if after == len(buf):
            break
    return stop, after, False


def _bracketed(buf: bytes, start: int, stop: int) -> bytes:
    """``[`` + ``buf[start:stop]`` + ``]``, copied once."""
    return b"".join((b"[", memoryview(buf)[start:stop], b"]"))


def _between(buf: bytes, stop: int, after: int) -> tuple[bytes | None, int]:
    """What lies between the element ending before ``buf[stop]`` (a comma) and the name of the
    first member of the next one, at ``buf[after]``; None if they are not objects."""
    end = stop - 1
    while buf[end] in b" \t\n\r":
        end -= 1
    name = _NEXT_KEY.match(buf, after)
    if buf[end] != CLOSE_OBJECT or name is None:
        return None, 0
    return buf[end : name.end()], after - end
