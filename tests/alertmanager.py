"""A real Prometheus Alertmanager (Debian package ``prometheus-alertmanager``) for tests:
started on 127.0.0.1 on a free port with clustering off, its storage in the test's
tmp_path, a ``null`` receiver and one inhibition rule (a firing ``Maintenance`` alert
inhibits ``severity="warning"`` alerts).  Import the ``alertmanager`` fixture."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

BINARY = "prometheus-alertmanager"
CONFIG = """\
route:
  receiver: "null"
receivers:
  - name: "null"
inhibit_rules:
  - source_matchers: ['alertname="Maintenance"']
    target_matchers: ['severity="warning"']
"""
READY_WITHIN = 30.0  # seconds; it is usually ready in about 0.1 s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def iso(seconds_from_now: float = 0.0) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Alertmanager:
    """A running Alertmanager; ``url`` is its base URL."""

    def __init__(self, binary: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "alertmanager.yml"
        config.write_text(CONFIG)
        self.log = folder / "alertmanager.log"
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.path={folder / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",  # empty: no cluster (else it binds :9094)
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        self._wait_until(self._ready, "to answer /-/ready")

    def _ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def _wait_until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + READY_WITHIN
        while not condition():
            if self.process.poll() is not None:
                raise RuntimeError(f"alertmanager exited: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"alertmanager took over {READY_WITHIN} s {what}")
            time.sleep(0.05)

    def fire(self, labels: dict[str, str], **fields: Any) -> None:
        """Raise (or update) an alert: ``POST /api/v2/alerts``."""
        alert = {"labels": labels, "startsAt": iso(-60), **fields}
        resp = requests.post(f"{self.url}/api/v2/alerts", json=[alert], timeout=5)
        assert resp.status_code == 200, resp.text

    def silence(self, **labels: str) -> str:
        """Silence alerts with these labels for an hour: ``POST /api/v2/silences``."""
        body = {
            "matchers": [
                {"name": k, "value": v, "isRegex": False, "isEqual": True}
                for k, v in labels.items()
            ],
            "startsAt": iso(),
            "endsAt": iso(3600),
            "createdBy": "pytest-gates tests",
            "comment": "maintenance window",
        }
        resp = requests.post(f"{self.url}/api/v2/silences", json=body, timeout=5)
        assert resp.status_code == 200, resp.text
        silence_id = str(resp.json()["silenceID"])
        self.wait_for_status(labels, "silencedBy")
        return silence_id

    def wait_for_status(self, labels: dict[str, str], field: str) -> None:
        """Poll until Alertmanager reports the alert with these labels as silenced or
        inhibited (``field``: silencedBy or inhibitedBy)."""

        def muted() -> bool:
            alerts = requests.get(f"{self.url}/api/v2/alerts", timeout=5).json()
            return any(labels.items() <= a["labels"].items() and a["status"][field] for a in alerts)

        self._wait_until(muted, f"to report {labels} in {field}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    binary = shutil.which(BINARY) or shutil.which(f"/usr/bin/{BINARY}")
    if binary is None:
        pytest.skip(
            f"{BINARY} is not installed (Debian package prometheus-alertmanager:"
            " apt-get install -y --no-install-recommends prometheus-alertmanager)"
        )
    server = Alertmanager(binary, tmp_path / "alertmanager")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
