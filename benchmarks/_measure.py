"""Shared measuring machinery of the benchmark scripts (bench_junit_coverage.py, bench_sarif.py).

Every command runs in a fresh process, started by a minimal launcher (`python -I -S`, about
8 MiB) with os.posix_spawn and reaped with os.wait4: wall = spawn to reap, CPU = the child's
user + system time, peak RSS = its ru_maxrss.  Linux charges the RSS high-water mark of the
parent's memory at exec() to the child, so spawning straight from a (bigger) benchmark script
would raise the floor of every figure to the script's own size.
"""

from __future__ import annotations

import compileall
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GENERATE = HERE / "generate.py"

# Runs argv[1:] (no PATH search), waits with os.wait4, then prints one report line after the
# child's own output (both write to the same pipe, the child has exited by then).
LAUNCHER = """\
import os, sys, time
t = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, ru = os.wait4(pid, 0)
t = time.perf_counter() - t
cpu = ru.ru_utime + ru.ru_stime
print("@@bench", os.waitstatus_to_exitcode(status), repr(t), repr(cpu), ru.ru_maxrss, flush=True)
"""


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float


@dataclass
class Row:
    """One measured command.  ``code`` runs as ``python -c code PATH``; when ``argv`` is set,
    ``argv + [PATH]`` runs instead (``argv[0]`` an absolute path) and ``code`` is unused."""

    label: str
    what: str
    code: str
    path: Path
    nbytes: int
    size: str  # the input, in words
    note: str = ""
    argv: tuple[str, ...] = ()
    runs: list[Run] = field(default_factory=list)
    result: dict[str, str] = field(default_factory=dict)
    output: str = ""  # the child's stdout of the last run
    error: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss(self) -> float:
        return statistics.median(r.rss_mib for r in self.runs)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONSTARTUP", None)
    return env


def measure_once(code: str, path: Path, argv: tuple[str, ...] = ()) -> tuple[Run, str, str]:
    """One fresh-process run: (timing, child's stdout, error text or '')."""
    target = [*argv, str(path)] if argv else [sys.executable, "-c", code, str(path)]
    cmd = [sys.executable, "-I", "-S", "-c", LAUNCHER, *target]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), check=False)
    lines = proc.stdout.splitlines()
    report = lines[-1].split() if lines and lines[-1].startswith("@@bench ") else []
    if proc.returncode or len(report) != 5:
        return Run(0, 0, 0), "", f"launcher failed ({proc.returncode}): {proc.stderr[-2000:]}"
    _, rc, wall, cpu, maxrss = report
    out = "\n".join(lines[:-1])
    last = (proc.stderr.strip().splitlines() or [""])[-1]  # the exception, for a traceback
    err = "" if rc == "0" else f"exit {rc}: {last}"
    return Run(float(wall), float(cpu), int(maxrss) / 1024), out, err


def measure(rows: list[Row], warmup: int, repeat: int) -> None:
    """Round-robin: each round runs every command once, so background load hits all alike."""
    for i in range(warmup + repeat):
        for row in rows:
            if row.error:
                continue
            run, out, err = measure_once(row.code, row.path, row.argv)
            if err:
                row.error = err
                continue
            row.output = out
            row.result = dict(re.findall(r"(\w+)=(\S+)", out))
            if i >= warmup:
                row.runs.append(run)
        print(f"round {i + 1}/{warmup + repeat} done", file=sys.stderr)


def ensure(path: Path, args: list[str]) -> Path:
    """Generate ``path`` with generate.py unless it exists (atomically: via a .tmp name).

    Side files the generator writes next to its output (``OUT.tmp.counts.json``) are renamed
    along, before the output itself, so an existing output always has them."""
    if path.exists():
        return path
    tmp = path.with_name(path.name + ".tmp")
    if tmp.is_dir():
        shutil.rmtree(tmp)
    tmp.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    cmd = [sys.executable, str(GENERATE), args[0], str(tmp), *args[1:]]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    for side in path.parent.glob(tmp.name + ".*"):
        os.replace(side, path.with_name(path.name + side.name[len(tmp.name) :]))
    os.replace(tmp, path)
    print(f"generated {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def fmt(x: float) -> str:
    return f"{x:.3g}" if x < 100 else f"{x:,.0f}"


def agree(rows: list[Row], keys: tuple[str, ...]) -> list[str]:
    """Problems: failed rows, and rows whose counts differ from the first row's."""
    problems = [f"{r.label} {r.what}: {r.error}" for r in rows if r.error]
    ok = [r for r in rows if not r.error]
    for r in ok[1:]:
        want = {k: ok[0].result.get(k) for k in keys}
        got = {k: r.result.get(k) for k in keys}
        if got != want:
            problems.append(f"counts differ: {ok[0].label} {want} vs {r.label} {got}")
    return problems


def ratio(a: Row, b: Row) -> float | None:
    return a.wall / b.wall if a.runs and b.runs else None


def verdict(value: float | None, limit: float, text: str, judge: bool) -> str:
    if value is None:
        return f"{text}: n/a"
    if not judge:  # --quick: start-up dominates, the goals are for the full sizes
        return f"{text}: {value:.2f}x"
    return f"{text}: {value:.2f}x, {'met' if value <= limit else 'MISSED'}"


def table(rows: list[tuple[Row, str, str]], *, mark_single: bool = False) -> list[str]:
    """Markdown table; each item is (row, its result text, its goal text).  With
    ``mark_single``, a row of one counted run shows "(n=1)" instead of a min-max spread."""
    out = [
        "| # | command | input | median wall s (min-max) | CPU s | peak RSS MiB | MB/s | result "
        "| goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row, result, goal in rows:
        if row.runs:
            walls = [r.wall for r in row.runs]
            wall = f"{fmt(row.wall)} ({fmt(min(walls))}-{fmt(max(walls))})"
            if mark_single and len(walls) == 1:
                wall = f"{fmt(row.wall)} (n=1)"
            rss, mbs, cpu = f"{row.rss:.1f}", fmt(row.nbytes / 1e6 / row.wall), fmt(row.cpu)
        else:
            wall = rss = mbs = cpu = "-"
        what = f"{row.what} ({row.note})" if row.note else row.what
        cells = (row.label, what, row.size, wall, cpu, rss, mbs, result, goal)
        out.append("| " + " | ".join(cells) + " |")
    return out


def report(table_lines: list[str], notes: list[str], problems: list[str]) -> int:
    """Print the table, the notes and the problems; the exit status (1 on any problem)."""
    print("\n".join(table_lines))
    print()
    for note in notes:
        print(f"- {note}")
    for problem in problems:
        print(f"ERROR: {problem}")
    if not problems:
        print("- counts agree")
    return 1 if problems else 0


def compile_package() -> None:
    """Byte-compile pytest_gates as `pip install` would: with PYTHONDONTWRITEBYTECODE set (as
    here), every measured process would otherwise compile the package from source, while its
    peers (ijson, junitparser, sarif-tools) come with their bytecode."""
    compileall.compile_dir(str(ROOT / "pytest_gates"), quiet=2)
