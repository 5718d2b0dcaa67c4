"""The reader benchmarks still run: small inputs, one counted run, counts cross-checked.

No timings are asserted (they depend on the machine); the script itself exits non-zero when a
measured command fails or the readers and the bare parsers disagree on the counts.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_junit_coverage.py"


def run_quick(script: Path, data: Path) -> tuple[subprocess.CompletedProcess[str], list[str], int]:
    """Run a benchmark script on its quick inputs; (process, output lines, 'result' column)."""
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--repeat", "1", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| # |"))
    return proc, lines, [cell.strip() for cell in header.split("|")].index("result")


def test_bench_junit_coverage_quick(tmp_path: Path) -> None:
    proc, lines, column = run_quick(SCRIPT, tmp_path)
    rows = [line for line in lines if line.startswith(("| J(", "| C("))]
    labels = [row.split("|")[1].strip() for row in rows]
    assert labels == ["J(a)", "J(b)", "J(c)", "J(d)", "C(a)", "C(b)", "C(c)"], proc.stdout
    results = [row.split("|")[column] for row in rows]
    assert not any("FAILED" in r for r in results), proc.stdout
    assert all("tests=2000 " in r for r in results[:4]), proc.stdout
    assert len(set(results[:4])) == 1, proc.stdout  # every JUnit command counts the same
    assert all("lines_valid=20000 " in r for r in results[4:]), proc.stdout
    assert "- counts agree" in proc.stdout


SARIF_SCRIPT = SCRIPT.with_name("bench_sarif.py")
PACKAGE = SCRIPT.parent.parent / "pytest_gates"


def test_bench_sarif_quick(tmp_path: Path) -> None:
    proc, lines, column = run_quick(SARIF_SCRIPT, tmp_path)
    rows = {
        row.split("|")[1].strip(): row.split("|")[column].strip()
        for row in lines
        if row.startswith("| S(")
    }
    # the reader and the gate rows appear once their modules exist; sarif-tools comes with
    # the dev extra, msgspec is optional
    expected = {"S(c)", "S(d)"}
    if (PACKAGE / "formats" / "sarif.py").is_file():
        expected.add("S(a1)")
        if (PACKAGE / "gates" / "sarif.py").is_file():
            expected.add("S(a2)")
    if importlib.util.find_spec("sarif") is not None:
        expected.add("S(b)")
    assert expected <= set(rows) <= expected | {"S(e)"}, proc.stdout
    assert not any("FAILED" in r for r in rows.values()), proc.stdout
    for label in expected - {"S(a2)"}:
        assert rows[label].startswith("results=2000"), proc.stdout
    if "S(a1)" in rows:
        counts = dict(kv.split("=") for kv in rows["S(a1)"].split())
        severities = ("suppressed", "critical", "high", "medium", "low", "info")
        assert sum(int(counts[s]) for s in severities) == 2000, proc.stdout
    assert "- counts agree" in proc.stdout
