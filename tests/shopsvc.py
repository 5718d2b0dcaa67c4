"""Start the example shop service (examples/shop/service.py) for real, on a free port.

Import the ``shop_service`` fixture (a healthy service) or ``broken_shop`` (``--broken``),
or call :func:`start_shop`.  The service is a real process; the fixtures stop it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import requests

SHOP = Path(__file__).parent.parent / "examples" / "shop"


@dataclass
class Shop:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    pidfile: Path

    STOP_WITHIN = 10.0  # seconds after SIGTERM before the process is killed

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it lingers; its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(self.STOP_WITHIN)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_shop(tmp: Path, *, broken: bool = False) -> Shop:
    return launch(Shop, "service.py", tmp, broken=broken)


S = TypeVar("S", bound=Shop)


def launch(kind: type[S], script: str, tmp: Path, *args: str, broken: bool = False) -> S:
    """Start ``examples/shop/<script>`` on a free port with a pid file in ``tmp``; return
    it once /api/health answers."""
    port = free_port()
    pidfile = tmp / f"shop-{port}.pid"
    command = [sys.executable, str(SHOP / script), "--port", str(port), "--pidfile", str(pidfile)]
    command += [*args] + (["--broken"] if broken else [])
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shop = kind(f"http://127.0.0.1:{port}", port, process, pidfile)
    try:
        wait_healthy(shop.url, process)
    except RuntimeError:
        shop.stop()
        raise
    return shop


def wait_healthy(url: str, process: subprocess.Popen[bytes], within: float = 20) -> None:
    """Poll /api/health until it answers 200 (no sleeps to guess readiness)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"the process exited with {process.returncode}: {err}")
        try:
            if requests.get(url + "/api/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on {url} within {within} s")


@pytest.fixture
def shop_service(tmp_path: Path) -> Iterator[Shop]:
    """The example shop service, healthy (a real process)."""
    shop = start_shop(tmp_path)
    yield shop
    shop.stop()


@pytest.fixture
def broken_shop(tmp_path: Path) -> Iterator[Shop]:
    """The example shop service started with --broken."""
    shop = start_shop(tmp_path, broken=True)
    yield shop
    shop.stop()
