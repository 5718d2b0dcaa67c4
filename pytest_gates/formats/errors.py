"""The one exception every format reader raises for input it cannot read."""

from __future__ import annotations

import os


class FormatError(ValueError):
    """A report file could not be read: missing, empty, malformed, hostile or of the wrong format.

    ``str(error)`` is one line that names the file and the reason, ready for a verdict.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
