#!/usr/bin/env python3
"""Benchmark the SARIF reader and gate of pytest-gates against sarif-tools and bare ijson.

Generates the inputs into benchmarks/data/ when missing (`generate.py sarif`: 10k results =
10.9 MB, 200k = 206 MB, 1M = 1,027 MB, ~65 s to write), then runs every command in a fresh
interpreter (start-up and imports included), round-robin, with the launcher of _measure.py
(posix_spawn + wait4: wall, CPU, peak RSS).  10k and 200k: 1 uncounted warm-up run, then the
median of --repeat counted runs.  1M: no warm-up and --repeat-1m counted runs (default 1),
because one `sarif summary` run on it takes ~85 s and 4.3 GiB.  Each input is read through
once before its rows run, so every row finds it in the page cache.  The package is
byte-compiled first (as `pip install` does), so that its processes import it as installed:
with PYTHONDONTWRITEBYTECODE set, each one would otherwise compile every module from source
(~0.03 s each time), which ijson, installed with its bytecode, never does.

Rows, for each size:
  S(a1) `read_sarif(path)`: a Counter of (severity, suppressed) over every finding; prints
        the results, the suppressed ones, and the others by severity (what a gate counts).
  S(a2) `SarifGate(settings).evaluate(RunContext(...))`, `max: {critical: 0}`, defaults.
  S(b)  sarif-tools `sarif summary FILE` (json.load of the whole file, then per-result records).
  S(c)  ijson (yajl2_c) stream of whole result objects: the reference (raw limit).
  S(d)  the same with gc.disable().
  S(e)  msgspec typed decode of `level` only (holds the whole file in memory; if installed).

Every command prints its counts; the script exits 1 when a command fails or when counts
differ: the number of results between the generator (OUT.counts.json), S(a1), S(b), S(c),
S(d) and S(e); the per-level counts between the generator, S(b) and S(e); S(a1)'s suppressed
count and the generator's; S(a1)'s severities + suppressed and its results; the per-severity
and suppressed counts of S(a1) and S(a2) (no baseline, no waivers).  S(a1) and S(a2) are
skipped (with a note) while pytest_gates/formats/sarif.py or pytest_gates/gates/sarif.py do
not exist yet.

  python benchmarks/bench_sarif.py                     # 10k, 200k, 1M (~12 min)
  python benchmarks/bench_sarif.py --sizes 10k,200k --repeat 5
  python benchmarks/bench_sarif.py --quick --repeat 1  # 2,000 results, a few seconds
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

from _measure import (
    HERE,
    ROOT,
    Row,
    agree,
    compile_package,
    ensure,
    fmt,
    measure,
    ratio,
    report,
    table,
    verdict,
)

SEVERITIES = ("critical", "high", "medium", "low", "info")
LEVELS = ("error", "warning", "note", "none")
SIZES = {"10k": 10_000, "200k": 200_000, "1m": 1_000_000}
QUICK = 2_000
BIG = 1_000_000  # from this size on: --repeat-1m counted runs, no warm-up

# The measured programs.  Each gets one input path and prints `key=value` pairs.
A_READER = """\
import collections, sys
from pytest_gates.formats.sarif import read_sarif
c = collections.Counter((f.severity, f.suppressed) for f in read_sarif(sys.argv[1]))
sev = " ".join(f"{s}={c[s, False]}" for s in ("critical", "high", "medium", "low", "info"))
print(f"results={c.total()} suppressed={sum(n for (_, x), n in c.items() if x)} {sev}")
"""
A_GATE = """\
import re, sys
from pathlib import Path
from pytest_gates.context import RunContext
from pytest_gates.gates.sarif import SarifGate
p = Path(sys.argv[1])
settings = {k: s.default for k, s in SarifGate.settings_schema.items()}
settings.update(reports=[str(p)], max={"critical": 0})
out = SarifGate(settings).evaluate(RunContext("vulns", p.parent))
def count(value):  # "48", "1,234" or "critical 48" -> "48"
    m = re.search(r"\\d[\\d,]*", str(value))
    return m.group().replace(",", "") if m else str(value).replace(" ", "_")
print(f"status={out.status.value}", " ".join(f"{k}={count(v)}" for k, v in out.measured.items()))
"""
C_IJSON = """\
import sys, ijson
with open(sys.argv[1], "rb") as f:
    n = sum(1 for _ in ijson.items(f, "runs.item.results.item"))
print(f"results={n} backend={ijson.backend}")
"""
D_IJSON_NOGC = "import gc\ngc.disable()\n" + C_IJSON
E_MSGSPEC = """\
import collections, sys, msgspec
class R(msgspec.Struct):
    level: str = "warning"
class Run(msgspec.Struct):
    results: list[R] = []
class Log(msgspec.Struct):
    runs: list[Run]
with open(sys.argv[1], "rb") as f:
    d = msgspec.json.decode(f.read(), type=Log)
c = collections.Counter(r.level for run in d.runs for r in run.results)
print(f"results={c.total()}", " ".join(f"{k}={c[k]}" for k in ("error", "warning", "note", "none")))
"""


def has_module(rel: str) -> bool:
    return (ROOT / rel).is_file()


def sarif_tools() -> Path | None:
    """The `sarif` console script next to this interpreter (the venv's), else on PATH."""
    here = Path(sys.executable).parent / "sarif"
    if here.is_file():
        return here
    found = [Path(d) / "sarif" for d in os.environ.get("PATH", "").split(os.pathsep)]
    return next((p for p in found if p.is_file() and os.access(p, os.X_OK)), None)


def summary_counts(out: str) -> dict[str, str]:
    """`sarif summary` prints "\\nerror: 307" and " - RULE: n" lines: the per-level counts."""
    found = dict(re.findall(r"^(error|warning|note|none): (\d+)$", out, re.M))
    counts = {k: found.get(k, "0") for k in LEVELS}
    return {"results": str(sum(int(v) for v in counts.values())), **counts}


def warm(path: Path) -> None:
    """Read the file once so that every row finds it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000:,}k"


def make_rows(data: Path, n: int, rows_wanted: set[str]) -> tuple[list[Row], dict[str, int]]:
    path = ensure(data / f"sarif-{n}.sarif", ["sarif", "--results", str(n)])
    counts = json.loads(path.with_name(path.name + ".counts.json").read_text())
    nbytes = path.stat().st_size
    size = f"{size_label(n)} results, {nbytes / 1e6:,.1f} MB"
    rows = []
    if "a1" in rows_wanted:
        rows.append(Row("S(a1)", "pytest-gates `read_sarif(path)`", A_READER, path, nbytes, size))
    if "a2" in rows_wanted:
        what = "pytest-gates `SarifGate.evaluate`, max critical 0"
        rows.append(Row("S(a2)", what, A_GATE, path, nbytes, size))
    tool = sarif_tools()
    if tool is not None:
        what = "sarif-tools `sarif summary FILE`"
        rows.append(
            Row("S(b)", what, "", path, nbytes, size, "json.load", argv=(str(tool), "summary"))
        )
    rows.append(
        Row("S(c)", "ijson yajl2_c, whole result objects", C_IJSON, path, nbytes, size, "reference")
    )
    rows.append(
        Row(
            "S(d)",
            "ijson yajl2_c, whole result objects, `gc.disable()`",
            D_IJSON_NOGC,
            path,
            nbytes,
            size,
        )
    )
    if "e" in rows_wanted:
        what = "msgspec typed decode, level only"
        rows.append(Row("S(e)", what, E_MSGSPEC, path, nbytes, size, "whole file in memory"))
    return rows, counts


def check(rows: list[Row], counts: dict[str, int]) -> list[str]:
    """Failed rows; results/level/suppressed counts that differ from the generator's."""
    problems = [f"{r.label} {r.size}: {r.error}" for r in rows if r.error]
    want_levels = {k: str(counts.get(f"level_{k}", 0)) for k in LEVELS}
    for r in rows:
        if r.error or r.label == "S(a2)":
            continue
        got = r.result.get("results")
        if got != str(counts["results"]):
            problems.append(
                f"{r.label} {r.size}: results={got}, the generator wrote {counts['results']}"
            )
        if r.label in ("S(b)", "S(e)"):
            levels = {k: r.result.get(k) for k in LEVELS}
            if levels != want_levels:
                problems.append(f"{r.label} {r.size}: levels {levels}, generator {want_levels}")
        if r.label == "S(a1)" and r.result.get("suppressed") != str(counts["suppressed"]):
            problems.append(
                f"S(a1) {r.size}: suppressed={r.result.get('suppressed')},"
                f" the generator wrote {counts['suppressed']}"
            )
    a1, a2 = by_label(rows, "S(a1)"), by_label(rows, "S(a2)")
    if a1 is not None and not a1.error:
        total = sum(int(a1.result.get(k, 0)) for k in ("suppressed", *SEVERITIES))
        if str(total) != a1.result.get("results"):
            problems.append(f"S(a1) {a1.size}: severities + suppressed = {total}, not all results")
        if a2 is not None:
            problems += agree([a1, a2], ("suppressed", *SEVERITIES))
    return problems + agree([r for r in rows if r.label != "S(a2)"], ("results",))


def by_label(rows: list[Row], label: str) -> Row | None:
    return next((r for r in rows if r.label == label), None)


def show(row: Row) -> str:
    if row.error:
        return "FAILED"
    keys = {
        "S(a1)": ("results", "suppressed", *SEVERITIES),
        "S(a2)": tuple(row.result),
        "S(b)": ("results", *LEVELS),
        "S(e)": ("results", *LEVELS),
    }.get(row.label, ("results",))
    return " ".join(f"{k}={row.result.get(k, '?')}" for k in keys)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help=f"one tiny input ({QUICK:,} results)")
    ap.add_argument(
        "--sizes", default="10k,200k,1m", help="comma-separated: 10k, 200k, 1m (default: all)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="counted runs, <1M (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="uncounted runs first, <1M (default 1)")
    ap.add_argument(
        "--repeat-1m", type=int, default=1, help="counted runs for 1M, no warm-up (default 1)"
    )
    ap.add_argument(
        "--data-dir", type=Path, default=HERE / "data", help="inputs (default benchmarks/data)"
    )
    a = ap.parse_args(argv)
    if a.repeat < 1 or a.warmup < 0 or a.repeat_1m < 1:
        ap.error("--repeat and --repeat-1m must be >= 1, --warmup >= 0")
    if a.quick:
        sizes = [QUICK]
    else:
        try:
            sizes = [SIZES[s.strip().lower()] for s in a.sizes.split(",") if s.strip()]
        except KeyError as exc:
            ap.error(f"--sizes: unknown size {exc}; choose from {', '.join(SIZES)}")

    wanted = {"e"} if importlib.util.find_spec("msgspec") else set()
    notes: list[str] = []
    if has_module("pytest_gates/formats/sarif.py"):
        wanted.add("a1")
    else:
        notes.append("S(a1) skipped: pytest_gates/formats/sarif.py does not exist yet")
    if not has_module("pytest_gates/gates/sarif.py"):
        notes.append("S(a2) skipped: pytest_gates/gates/sarif.py does not exist yet")
    elif "a1" not in wanted:
        notes.append("S(a2) skipped: the gate needs pytest_gates/formats/sarif.py")
    else:
        wanted.add("a2")
    if "e" not in wanted:
        notes.append("S(e) skipped: msgspec is not installed")
    if sarif_tools() is None:
        notes.append("S(b) skipped: no `sarif` command (pip install sarif-tools)")

    print(
        f"# pytest-gates SARIF benchmark: {time.strftime('%Y-%m-%d')}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}; <1M: {a.warmup} warm-up + median of "
        f"{a.repeat}; 1M: {a.repeat_1m} counted run(s), no warm-up"
        f"{', --quick' if a.quick else ''}\n"
    )
    compile_package()
    judge = not a.quick
    lines: list[tuple[Row, str, str]] = []
    problems: list[str] = []
    for n in sizes:
        rows, counts = make_rows(a.data_dir, n, wanted)
        warm(rows[0].path)
        big = n >= BIG
        measure(rows, 0 if big else a.warmup, a.repeat_1m if big else a.repeat)
        for r in rows:
            if r.label == "S(b)" and not r.error:
                r.result = summary_counts(r.output)
        problems += check(rows, counts)
        by = {r.label: r for r in rows}
        goals = dict.fromkeys(by, "")
        c = by["S(c)"]
        for label in ("S(a1)", "S(a2)"):
            r = by.get(label)
            if r is None:
                continue
            rc = ratio(r, c)
            b = by.get("S(b)")
            rb = ratio(b, r) if b is not None else None
            mem = f"peak RSS < 100 MiB: {'met' if r.rss < 100 else 'MISSED'}" if r.runs else "-"
            within = verdict(rc, 1.2, "within 1.2x of (c)", judge)
            faster = "(b) >= 10x slower: n/a"
            if rb is not None:
                faster = f"(b) >= 10x slower: {rb:.1f}x"
                if judge:
                    faster += ", met" if rb >= 10 else ", MISSED"
            goals[label] = f"{within}; {faster}; {mem}"
            cpu = ""  # CPU time ratios: less sensitive to other processes on a shared host
            if r.runs and c.runs:
                cpu = f" [CPU time: {r.cpu / c.cpu:.2f}x of (c)"
                cpu += f", (b) {b.cpu / r.cpu:.1f}x]" if b is not None and b.runs else "]"
            notes.append(
                f"{size_label(n)} {label}: {within}; {faster}; peak RSS "
                f"{fmt(r.rss) + ' MiB' if r.runs else 'n/a'} (goal < 100 MiB){cpu}"
            )
        lines += [(r, show(r), goals[r.label]) for r in rows]

    return report(table(lines, mark_single=True), notes, problems)


if __name__ == "__main__":
    sys.exit(main())
