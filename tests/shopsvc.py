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

import pytest
import requests

SHOP = Path(__file__).parent.parent / "examples" / "shop"


@dataclass
class Shop:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    pidfile: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_shop(tmp: Path, *, broken: bool = False) -> Shop:
    port = free_port()
    pidfile = tmp / f"shop-{port}.pid"
    args = [sys.executable, str(SHOP / "service.py"), "--port", str(port)]
    args += ["--pidfile", str(pidfile)] + (["--broken"] if broken else [])
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shop = Shop(f"http://127.0.0.1:{port}", port, process, pidfile)
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
