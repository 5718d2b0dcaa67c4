"""Start the example shop under its supervisor (examples/shop/supervise.py), for real.

``supervised_shop`` yields a :class:`SupervisedShop`: the supervisor process, the shop's URL
and the pid file the supervisor keeps.  Stopping sends SIGTERM to the supervisor (which
stops the service) and, should anything be left, kills the service by its pid file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from shopsvc import SHOP, free_port, wait_healthy


@dataclass
class SupervisedShop:
    url: str
    port: int
    supervisor: subprocess.Popen[bytes]
    pidfile: Path

    def service_pid(self) -> int:
        """The pid the running service reports on /api/health."""
        pid: int = requests.get(self.url + "/api/health", timeout=5).json()["pid"]
        return pid

    def stop(self) -> int | None:
        """Stop the supervisor (and so the service); returns its exit code."""
        if self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(15)
            except subprocess.TimeoutExpired:
                # It did not stop its service either: kill both.
                child = _read_pid(self.pidfile)
                self.supervisor.kill()
                self.supervisor.wait()
                if child is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)
        if self.supervisor.stderr:
            self.supervisor.stderr.close()
        return self.supervisor.returncode


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def wait_for_new_pid(shop: SupervisedShop, old: int, within: float = 20) -> int:
    """Poll /api/health until a process other than ``old`` answers; its pid."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            pid = shop.service_pid()
        except requests.RequestException:
            pid = old
        if pid != old:
            return pid
        time.sleep(0.05)
    raise RuntimeError(f"no new service process answered on {shop.url} within {within} s")


def start_supervised(tmp: Path, *, broken: bool = False) -> SupervisedShop:
    port = free_port()
    pidfile = tmp / f"shop-{port}.pid"
    args = [sys.executable, str(SHOP / "supervise.py"), "--port", str(port)]
    args += ["--pidfile", str(pidfile), "--restart-sec", "0.2"] + (["--broken"] if broken else [])
    supervisor = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shop = SupervisedShop(f"http://127.0.0.1:{port}", port, supervisor, pidfile)
    try:
        wait_healthy(shop.url, supervisor)
    except RuntimeError:
        shop.stop()
        raise
    return shop


@pytest.fixture
def supervised_shop(tmp_path: Path) -> Iterator[SupervisedShop]:
    shop = start_supervised(tmp_path)
    yield shop
    shop.stop()
