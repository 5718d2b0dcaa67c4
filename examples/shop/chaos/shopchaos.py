"""Python activities of the shop's chaos experiments (Chaos Toolkit ``python`` provider).

The gate puts this folder on ``sys.path`` while an experiment of this folder runs; with
``chaos run`` set ``PYTHONPATH=examples/shop/chaos``.  Only the standard library and
chaoslib are used.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from chaoslib.exceptions import ActivityFailed  # type: ignore[import-untyped]

__all__ = ["kill_service", "served_by_pidfile_process", "wait_until_healthy"]


def read_pid(pidfile: str) -> int:
    path = Path(pidfile)
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise ActivityFailed(f"cannot read the pid file {path}: {exc.strerror or exc}") from None
    if not text.isdigit():
        raise ActivityFailed(f"the pid file {path} holds no pid ({text[:40]!r})")
    return int(text)


def _gone(pid: int) -> bool:
    """True once the process has exited (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    # the state follows the command name, which is in parentheses and may hold spaces
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def kill_service(pidfile: str, signal_name: str = "SIGKILL", wait: float = 10) -> dict[str, Any]:
    """Kill the process whose pid is in ``pidfile`` and wait until it is gone."""
    pid = read_pid(pidfile)
    try:
        sig = signal.Signals[signal_name]
    except KeyError:
        raise ActivityFailed(f"unknown signal {signal_name!r}") from None
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        raise ActivityFailed(f"no process {pid} (a stale pid file {pidfile}?)") from None
    except PermissionError:
        raise ActivityFailed(f"not allowed to signal process {pid}") from None
    deadline = time.monotonic() + float(wait)
    while not _gone(pid):
        if time.monotonic() > deadline:
            raise ActivityFailed(f"process {pid} is still running {wait} s after {sig.name}")
        time.sleep(0.02)
    return {"killed_pid": pid, "signal": sig.name}


def _health(shop_url: str, timeout: float) -> dict[str, Any]:
    url = f"{shop_url.rstrip('/')}/api/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body: dict[str, Any] = json.loads(response.read())
            return body
    except urllib.error.HTTPError as exc:
        raise ActivityFailed(f"{url} answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise ActivityFailed(f"{url} does not answer: {exc}") from None


def served_by_pidfile_process(shop_url: str, pidfile: str, timeout: float = 3) -> bool:
    """Is the process answering ``/api/health`` the one the pid file names (the process
    the experiment kills and the supervisor restarts)?"""
    return _health(shop_url, float(timeout)).get("pid") == read_pid(pidfile)


def wait_until_healthy(shop_url: str, within: float = 15) -> dict[str, Any]:
    """Poll ``/api/health`` until it answers 200; fail after ``within`` seconds."""
    start = time.monotonic()
    last = ""
    while time.monotonic() - start < float(within):
        try:
            body = _health(shop_url, 1.0)
        except ActivityFailed as exc:
            last = str(exc)
            time.sleep(0.1)
            continue
        return {"pid": body.get("pid"), "seconds": round(time.monotonic() - start, 2)}
    raise ActivityFailed(
        f"the shop did not come back within {within} s (nothing restarted it?); last: {last}"
    )
