"""The one exception every format reader raises for input it cannot read."""

from __future__ import annotations

import json
import os
from typing import Any, BinaryIO


class FormatError(ValueError):
    """A report file could not be read: missing, empty, malformed, hostile or of the wrong format.

    ``str(error)`` is one line that names the file and the reason, ready for a verdict.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def open_report(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a report for binary reading; a file that cannot be opened is a FormatError."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise FormatError(path, "file not found") from None
    except IsADirectoryError:
        raise FormatError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise FormatError(path, f"cannot open: {exc.strerror or exc}") from None


def read_json(path: str | os.PathLike[str]) -> Any:
    """The JSON document of a report file (UTF-8, a BOM allowed); a file that is missing,
    empty, not UTF-8, malformed or nested too deeply is a FormatError."""
    with open_report(path) as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text at byte {exc.start}") from None
    if not text.strip():
        raise FormatError(path, "file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        truncated = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) - 1 else ""
        raise FormatError(path, f"malformed JSON at {where}: {exc.msg}{truncated}") from None
    except RecursionError:
        raise FormatError(path, "refused: JSON nested too deeply") from None
