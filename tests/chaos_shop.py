"""Start the example shop under its supervisor (examples/shop/supervise.py), for real.

``supervised_shop`` (and ``broken_supervised_shop``) yield a :class:`SupervisedShop`: the
supervisor process, the shop's URL and the pid file the supervisor keeps.  Stopping sends
SIGTERM to the supervisor (which stops the service) and, should anything be left, kills
the service by its pid file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from shopsvc import Shop, launch


@dataclass
class SupervisedShop(Shop):
    """The shop under its supervisor: ``process`` is the supervisor."""

    STOP_WITHIN = 15.0

    def service_pid(self) -> int:
        """The pid the running service reports on /api/health."""
        pid: int = requests.get(self.url + "/api/health", timeout=5).json()["pid"]
        return pid

    def kill(self) -> None:
        # It did not stop its service either: kill both.
        child = _read_pid(self.pidfile)
        super().kill()
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


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
    return launch(SupervisedShop, "supervise.py", tmp, "--restart-sec", "0.2", broken=broken)


@pytest.fixture
def supervised_shop(tmp_path: Path) -> Iterator[SupervisedShop]:
    shop = start_supervised(tmp_path)
    yield shop
    shop.stop()


@pytest.fixture
def broken_supervised_shop(tmp_path: Path) -> Iterator[SupervisedShop]:
    """The supervised shop started with --broken."""
    shop = start_supervised(tmp_path, broken=True)
    yield shop
    shop.stop()
