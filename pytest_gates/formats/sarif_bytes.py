"""A JSON document walked at the byte level, in bounded memory, for the msgspec SARIF reader.

:class:`Buffer` holds the unread part of the file.  The reader walks the few levels of a SARIF
log by hand (the root object, ``runs``, each run's members) and lets msgspec do everything
else in C: find where a value ends (msgspec reports the byte where trailing data starts, see
:meth:`Buffer.end_of`), decode the values it needs, skip the others.  Any surprise (not JSON,
invalid UTF-8, a shape this reader does not handle) raises :class:`HandOver`: the streamed
reader then reads the file, and says what is wrong with it.  Knows nothing of pytest.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec

__all__ = ["SKIP_LIMIT", "Buffer", "HandOver"]

SKIP_LIMIT = 1 << 16
"""A value the reader does not need is skipped whole up to this size, else member by member."""

COMMA, COLON, QUOTE = ord(","), ord(":"), ord('"')
OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY = ord("{"), ord("}"), ord("["), ord("]")
WHITESPACE = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_TRAILING = "JSON is malformed: trailing characters (byte "
_TRUNCATED = "Input data was truncated"
_RAW = msgspec.json.Decoder(msgspec.Raw)
_ANY = msgspec.json.Decoder()
_KEY = msgspec.json.Decoder(str)


class HandOver(Exception):
    """This reader stops here: the streamed reader reads the file instead."""


class Buffer:
    """The unread bytes of a file: ``buf[pos:]``.  Positions are indexes into ``buf``, valid
    until the next :meth:`read`, which drops ``buf[:pos]``; ``buf[0]`` is byte ``base`` of the
    file."""

    def __init__(self, fh: BinaryIO, chunk: int) -> None:
        self.fh = fh
        self.chunk = chunk
        self.buf = b""
        self.pos = 0
        self.base = fh.tell()
        self.eof = False
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    def read(self, at_least: int = 0) -> bool:
        """Append the next ``max(chunk, at_least)`` bytes of the file; False at its end.

        Every byte is checked to be UTF-8 on the way in (msgspec does not check the strings
        it skips; yajl, in the streamed reader, rejects the file).
        """
        if self.eof:
            return False
        data = self.fh.read(max(self.chunk, at_least))
        try:
            if not data:
                self.eof = True
                self._utf8.decode(b"", final=True)
                return False
            if not data.isascii() or self._utf8.getstate()[0]:
                self._utf8.decode(data)
        except UnicodeDecodeError:
            raise HandOver from None
        self.buf = self.buf[self.pos :] + data
        self.base += self.pos
        self.pos = 0
        return True

    def seek(self, offset: int) -> None:
        """Go to byte ``offset`` of the file (the start of a value: UTF-8 checking restarts)."""
        if self.base <= offset <= self.base + len(self.buf):
            self.pos = offset - self.base
            return
        self.fh.seek(offset)
        self.buf, self.pos, self.base, self.eof = b"", 0, offset, False
        self._utf8.reset()

    def fill(self, size: int) -> None:
        """Read until ``size`` bytes are held (or the file ends)."""
        while len(self.buf) - self.pos < size and self.read(size):
            pass

    def peek(self) -> int:
        """The next byte that is not whitespace (``pos`` moves to it); -1 at the end."""
        while True:
            match = WHITESPACE.match(self.buf, self.pos)
            assert match is not None  # "*" matches the empty string
            self.pos = match.end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.read():
                return -1

    def take(self, *expected: int) -> int:
        """Consume the next byte that is not whitespace, which must be one of ``expected``."""
        byte = self.peek()
        if byte not in expected:
            raise HandOver
        self.pos += 1
        return byte

    def key(self) -> str:
        """Consume a member name and the colon after it."""
        if self.peek() != QUOTE:
            raise HandOver
        while (match := _STRING.match(self.buf, self.pos)) is None:
            if not self.read(len(self.buf) - self.pos):
                raise HandOver
        self.pos = match.end()
        try:
            name = _KEY.decode(match.group())
        except msgspec.MsgspecError:
            raise HandOver from None
        self.take(COLON)
        self.peek()
        return name

    def members(self) -> Iterator[str]:
        """The member names of the object whose ``{`` is next; after each one the caller reads
        or skips its value."""
        self.take(OPEN_OBJECT)
        if self.peek() == CLOSE_OBJECT:
            self.pos += 1
            return
        while True:
            yield self.key()
            if self.take(COMMA, CLOSE_OBJECT) == CLOSE_OBJECT:
                return

    def end_of(self, start: int) -> int | None:
        """Where the value at ``buf[start]`` ends: the index of the first byte after it that is
        not whitespace, or None when the buffer ends before that byte."""
        try:
            _RAW.decode(memoryview(self.buf)[start:])
        except msgspec.DecodeError as exc:
            text = str(exc)
            if text.startswith(_TRAILING):
                return start + int(text[len(_TRAILING) : -1]) - 1
            if text == _TRUNCATED:
                return None
            raise HandOver from None
        return None  # the value runs to the end of the buffer: what follows is not read yet

    def extent(self, limit: int | None = None) -> int | None:
        """:meth:`end_of` the value at ``pos``, reading as much as it takes; None once more
        than ``limit`` bytes are held and the value goes on."""
        while (end := self.end_of(self.pos)) is None:
            held = len(self.buf) - self.pos
            if limit is not None and held >= limit:
                return None
            if not self.read(held):
                raise HandOver  # the file ends inside the value
        return end

    def value(self) -> Any:
        """Decode the value at ``pos`` (objects as dicts, as the streamed reader builds them)."""
        end = self.extent()
        assert end is not None
        try:
            value = _ANY.decode(memoryview(self.buf)[self.pos : end])
        except msgspec.MsgspecError:
            raise HandOver from None  # e.g. a number out of range
        self.pos = end
        return value

    def skip(self) -> None:
        """Skip the value at ``pos``: whole when it is short, else member by member (memory
        stays bounded by the largest member)."""
        end = self.extent(SKIP_LIMIT)
        if end is not None:
            self.pos = end
            return
        first = self.buf[self.pos]
        if first == OPEN_OBJECT:
            for _ in self.members():
                self.skip()
        elif first == OPEN_ARRAY:
            self.pos += 1
            if self.peek() == CLOSE_ARRAY:
                self.pos += 1
                return
            while True:
                self.skip()
                if self.take(COMMA, CLOSE_ARRAY) == CLOSE_ARRAY:
                    return
        else:
            raise HandOver  # a string or number longer than SKIP_LIMIT
