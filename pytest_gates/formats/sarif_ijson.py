"""ijson plumbing for the streamed SARIF reader (:mod:`.sarif_pass`): the push parser, the
pruning of what it has built, the file's chunks, and yajl's errors in one line.

Knows nothing of pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, BinaryIO

import ijson  # type: ignore[import-untyped]  # ijson ships no type hints

from .sarif_make import BOM

__all__ = ["chunks", "json_reason", "last_key", "pipeline", "prune"]


class _Target:
    """Hands the next C coroutine itself to ijson as the target's ``send``: its C coroutines
    then call each other directly instead of through a Python call per JSON event."""

    __slots__ = ("send",)

    def __init__(self, send: object) -> None:
        self.send = send


def pipeline(first_map: dict[str, Any], backend_name: str) -> Any:
    """A push parser building the whole document; ``first_map`` becomes its root object.

    Every object is created by the map_type callable (a C iterator: no Python call per
    object) and attached to its parent as soon as it starts, so the partly built root can be
    looked at, and emptied of consumed results, after each chunk.
    """
    maps = _chain_maps(first_map)
    backend = ijson.get_backend(backend_name)
    if backend_name == "yajl2_c":
        items = backend.items_basecoro(_Target([]), "", maps)
        parse = backend.parse_basecoro(_Target(items))
        return backend.basic_parse_basecoro(_Target(parse), use_float=True)
    return backend.items_coro(ijson.sendable_list(), "", map_type=maps, use_float=True)


def _chain_maps(first: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return chain((first,), iter(dict, None)).__next__


def last_key(node: dict[str, Any]) -> str | None:
    return next(reversed(node), None)


def prune(node: dict[str, Any], keep: frozenset[str], complete: bool) -> None:
    """Drop the values the reader never looks at; trim one still being built if it is a list."""
    last = last_key(node)
    for key, value in node.items():
        if key in keep or value is None or type(value) not in (dict, list):
            continue
        if complete or key != last:
            node[key] = None
        elif type(value) is list and len(value) > 1:
            del value[:-1]


def chunks(fh: BinaryIO, size: int, error: Callable[[str], Exception]) -> Iterator[bytes]:
    """The file's bytes (BOM removed), checked to start like a JSON object; b"" at the end."""
    data = fh.read(size)
    if not data:
        raise error("empty file")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise error("UTF-16 encoded: SARIF is UTF-8 JSON")
    data = data.removeprefix(BOM)
    while not data.strip():
        data = fh.read(size)
        if not data:
            raise error("no JSON in the file, only whitespace")
    start = data.lstrip()[:1]
    if start != b"{":
        if start == b"[":
            raise error("not a SARIF log: the JSON document is an array, not an object")
        if start in b'"-0123456789tfn':
            raise error("not a SARIF log: the JSON document is not an object")
        shown = data.lstrip()[:20].decode("utf-8", "replace")
        raise error(f"not JSON: the file starts with {shown!r}")
    yield data
    while chunk := fh.read(size):
        yield chunk
    yield b""


def json_reason(exc: Exception) -> str:
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
