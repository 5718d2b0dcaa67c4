"""Streaming, hostile-input-safe XML parsing on top of the stdlib's expat.

Readers register expat handlers and call :func:`parse_file`.  Entity declarations (internal
or external, the "billion laughs" and XXE vectors) are refused, external DTDs are never
loaded, and every failure becomes a :class:`FormatError` naming the file and the line.
Memory stays bounded: the file is fed in fixed-size chunks and nothing is kept unless the
handlers keep it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

from .errors import FormatError, open_report

CHUNK = 1 << 20


class StopParsing(Exception):
    """Raise from a handler to end the parse early (for example once root attributes are read)."""


def _forbid_entity(name: str, *args: Any) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_unparsed(name: str, *args: Any) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def make_parser() -> expat.XMLParserType:
    """An expat parser with entity declarations and external references forbidden."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_unparsed
    parser.ExternalEntityRefHandler = _forbid_external
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.ordered_attributes = False
    return parser


def parse_file(
    path: str | os.PathLike[str],
    parser: expat.XMLParserType,
    *,
    on_empty: Callable[[], None] | None = None,
) -> bool:
    """Feed ``path`` to ``parser`` in chunks.

    Returns True when the whole document was parsed, False when a handler raised
    :class:`StopParsing`.  Raises :class:`FormatError` for a missing, empty, malformed or
    hostile file.  ``on_empty`` is not used by default: an empty file is an error.
    """
    seen = 0
    with open_report(path) as fh:
        try:
            while chunk := fh.read(CHUNK):
                seen += len(chunk)
                parser.Parse(chunk, False)
            if not seen:
                if on_empty is not None:
                    on_empty()
                    return True
                raise FormatError(path, "file is empty")
            parser.Parse(b"", True)
        except StopParsing:
            return False
        except EntitiesForbidden as exc:
            raise FormatError(
                path,
                f"refused: the document declares entity {exc.name!r} (entities are not allowed)",
            ) from None
        except ExternalReferenceForbidden as exc:
            raise FormatError(
                path, f"refused: the document references external entity {exc.sysid!r}"
            ) from None
        except expat.ExpatError as exc:
            reason = expat.ErrorString(exc.code) if exc.code else str(exc)
            if exc.lineno == 1 and exc.offset == 0:
                reason += " (this does not look like an XML file)"
            raise FormatError(
                path, f"malformed XML at line {exc.lineno}, column {exc.offset}: {reason}"
            ) from None
    return True
