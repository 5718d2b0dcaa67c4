"""The GateContext handed to ``Gate.evaluate``: every file, variable, clock and HTTP call
a gate makes goes through here (so that a later version can record and replay them)."""

from __future__ import annotations

import glob as _glob
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any


class RunContext:
    """The context of one gate evaluation in a real run."""

    def __init__(
        self,
        gate_id: str,
        rootdir: Path,
        *,
        environ: Mapping[str, str] | None = None,
        rerun_command: str = "",
        evidence_root: Path | None = None,
        timeout: float | None = None,
        explain: bool = False,
    ) -> None:
        self._explain = explain
        self._gate_id = gate_id
        self._rootdir = rootdir
        self._environ = dict(os.environ if environ is None else environ)
        self._rerun = rerun_command
        self._evidence_root = evidence_root or rootdir / ".gate-evidence"
        self._deadline = time.monotonic() + timeout if timeout else None
        self._http: Any = None

    @property
    def gate_id(self) -> str:
        return self._gate_id

    @property
    def rootdir(self) -> Path:
        return self._rootdir

    @property
    def rerun_command(self) -> str:
        return self._rerun

    @property
    def explain(self) -> bool:
        return self._explain

    @property
    def evidence_root(self) -> Path:
        return self._evidence_root

    def path(self, value: str) -> Path:
        path = Path(os.path.expanduser(value))
        return path if path.is_absolute() else self._rootdir / path

    def glob(self, patterns: Iterable[str]) -> list[Path]:
        found: set[Path] = set()
        for pattern in patterns:
            pattern = os.path.expanduser(pattern)
            if os.path.isabs(pattern):
                matches = _glob.glob(pattern, recursive=True)
                found.update(Path(m) for m in matches)
            else:
                matches = _glob.glob(pattern, root_dir=self._rootdir, recursive=True)
                found.update(self._rootdir / m for m in matches)
        return sorted(p for p in found if p.is_file())

    def open(self, path: Path) -> IO[bytes]:
        return open(path, "rb")

    def env(self, name: str, default: str | None = None) -> str | None:
        return self._environ.get(name, default)

    def http(self) -> Any:
        if self._http is None:
            import requests

            self._http = requests.Session()
        return self._http

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def evidence_dir(self) -> Path:
        folder = self._evidence_root / self._gate_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
