"""The one exception every format reader raises for input it cannot read."""

from __future__ import annotations

import os
from typing import BinaryIO


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
