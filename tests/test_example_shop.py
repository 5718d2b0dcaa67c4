"""End to end: the example shop's staging gate (E2E in real headless Chromium, API tests,
declared API checks, a real chaostoolkit experiment that kills the service) against the
real service kept up by its supervisor, exactly as the README runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from chaos_shop import SupervisedShop, broken_supervised_shop, supervised_shop

from conftest import REPO

EXAMPLE = REPO / "examples" / "shop"
__all__ = ["broken_supervised_shop", "supervised_shop"]  # fixtures, imported for their use


@pytest.fixture
def shop_copy(tmp_path: Path) -> Path:
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None and not Path(f"/usr/bin/{tool}").exists():
            pytest.skip(f"{tool} is not installed (Debian packages chromium, chromium-driver)")
    copy = tmp_path / "shop"
    shutil.copytree(
        EXAMPLE,
        copy,
        ignore=shutil.ignore_patterns(".gate-evidence", "gate-verdict.xml", "*.pid", "__pycache__"),
    )
    return copy


def run_staging(copy: Path, shop: SupervisedShop) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOP_URL": shop.url, "SHOP_PIDFILE": str(shop.pidfile)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--gate=staging", "-p", "no:cacheprovider"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def verdict_cases(copy: Path) -> dict[str, ET.Element]:
    root = ET.parse(copy / "gate-verdict.xml").getroot()
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_the_shop_passes_its_staging_gate(shop_copy: Path, supervised_shop: SupervisedShop) -> None:
    before = supervised_shop.service_pid()
    done = run_staging(shop_copy, supervised_shop)
    assert done.returncode == 0, done.stdout + done.stderr
    for gate, kind in (
        ("e2e", "selenium"),
        ("api", "api"),
        ("api-checks", "api"),
        ("chaos", "chaos"),
    ):
        assert any(
            line.split()[:3] == [gate, kind, "passed"] for line in done.stdout.splitlines()
        ), done.stdout
    # The chaos experiment really killed the service; the supervisor started a new one.
    assert supervised_shop.service_pid() != before
    cases = verdict_cases(shop_copy)
    assert len(cases) == 4 + 3 + 5 + 5 + 1
    assert "tests/e2e/test_shop_page.py::test_adding_to_cart_updates_counter_and_total" in cases
    assert "gate:staging::chaos[kill-service]" in cases


def test_a_broken_shop_fails_staging_with_evidence(
    shop_copy: Path, broken_supervised_shop: SupervisedShop
) -> None:
    done = run_staging(shop_copy, broken_supervised_shop)
    assert done.returncode == 1, done.stdout + done.stderr
    for gate in ("e2e", "api", "api-checks", "chaos"):
        assert any(
            line.split()[:3] == [gate, *line.split()[1:2], "failed"]
            for line in done.stdout.splitlines()
        ), gate
    assert "verdict: FAILED" in done.stdout
    assert "steady state not met before" in done.stdout
    cases = verdict_cases(shop_copy)
    failed = cases["tests/e2e/test_shop_page.py::test_three_products_are_listed"]
    assert failed.find("failure") is not None
    attachments = [
        line[len("[[ATTACHMENT|") : -2]
        for line in (failed.findtext("system-out") or "").splitlines()
        if line.startswith("[[ATTACHMENT|")
    ]
    assert sorted(Path(a).suffix for a in attachments) == [".html", ".png"]
    for attachment in attachments:
        path = shop_copy / attachment if not os.path.isabs(attachment) else Path(attachment)
        assert path.stat().st_size > 0
    png = next(shop_copy.glob(".gate-evidence/e2e/*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (shop_copy / ".gate-evidence" / "chaos" / "kill-service.journal.json").is_file()
