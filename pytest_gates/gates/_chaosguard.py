"""What running chaoslib in the pytest process must keep tidy: ``sys.path``, warnings, and
the ``chaostoolkit`` logger (redacted, collected into a run log, restored afterwards)."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

from ..formats.chaos_secrets import redact_text


@contextlib.contextmanager
def on_sys_path(folder: Path) -> Iterator[None]:
    entry = str(folder.resolve())
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)


@contextlib.contextmanager
def collected_warnings() -> Iterator[list[str]]:
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield notes
    for w in caught:
        if issubclass(w.category, ResourceWarning):
            continue  # chaoslib's HTTP provider leaves its sessions to the garbage collector
        text = f"chaoslib warning ({w.category.__name__}): {w.message}"
        if text not in notes:
            notes.append(text)


class _Redact(logging.Filter):
    """Redacts every record of the ``chaostoolkit`` logger before any handler sees it
    (its own run log, pytest's capture, a handler the project installed)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
            record.exc_text = None
        record.msg = redact_text(text, self.secrets)
        record.args = ()
        return True


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        self.lines.append(f"[{stamp} {record.levelname}] {record.getMessage()}")


@contextlib.contextmanager
def run_log(secrets: list[str]) -> Iterator[list[str]]:
    logger = logging.getLogger("chaostoolkit")
    lines: list[str] = []
    redact, collect = _Redact(secrets), _Collect(lines)
    level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addFilter(redact)
    logger.addHandler(collect)
    try:
        yield lines
    finally:
        logger.removeHandler(collect)
        logger.removeFilter(redact)
        logger.setLevel(level)
