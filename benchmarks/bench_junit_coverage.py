#!/usr/bin/env python3
"""Benchmark the JUnit and coverage readers of pytest-gates against their peers.

Generates the inputs into benchmarks/data/ when missing (benchmarks/generate.py), then runs
every command in a fresh interpreter, so start-up and imports are included: 1 uncounted
warm-up run, then the median of --repeat counted runs (wall time, peak RSS, MB/s), printed
as one markdown table.  Every command prints its counts; the script exits 1 when a command
fails or when the counts of the commands that read the same input disagree.

Peak RSS is ru_maxrss of the measured process, read with os.wait4 by a minimal launcher
(`python -I -S`, about 8 MiB).  Linux charges the RSS high-water mark of the parent's memory
at exec() to the child, so spawning straight from this (bigger) process would raise the
floor of every figure to this process's own size.  The machinery is in _measure.py, shared
with bench_sarif.py.

  python benchmarks/bench_junit_coverage.py            # full: JUnit 15.7 MB, Cobertura 176 MB
  python benchmarks/bench_junit_coverage.py --quick --repeat 1  # small sizes, a few seconds
  python benchmarks/bench_junit_coverage.py --only junit --repeat 5
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _measure import (
    HERE,
    Row,
    agree,
    compile_package,
    ensure,
    measure,
    ratio,
    report,
    table,
    verdict,
)

# The measured programs.  Each gets one input path and prints `key=value` pairs.
LIST_XML = (
    "import os, sys\n"
    "d = sys.argv[1]\n"
    "paths = [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith('.xml')]\n"
)
J_GATES = (
    LIST_XML
    + """\
from pytest_gates.formats.junit import read_junit
s = read_junit(paths)
print(f"tests={s.tests} failures={s.failures} errors={s.errors} skipped={s.skipped}",
      f"passed={s.passed} flaky={s.flaky}")
"""
)
J_JUNITPARSER = (
    LIST_XML
    + """\
from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite
t = f = e = k = 0
for p in paths:
    xml = JUnitXml.fromfile(p)
    for suite in [xml] if isinstance(xml, TestSuite) else xml:
        for case in suite:
            t += 1
            r = case.result
            if r:
                kinds = {type(x) for x in r}
                if Error in kinds: e += 1
                elif Failure in kinds: f += 1
                elif Skipped in kinds: k += 1
print(f"tests={t} failures={f} errors={e} skipped={k}")
"""
)
J_ITERPARSE = (
    LIST_XML
    + """\
import xml.etree.ElementTree as ET
c = dict.fromkeys(("testcase", "failure", "error", "skipped"), 0)
for p in paths:
    for _, el in ET.iterparse(p):
        if el.tag in c: c[el.tag] += 1
print(f"tests={c['testcase']} failures={c['failure']} errors={c['error']} skipped={c['skipped']}")
"""
)
J_EXPAT = (
    LIST_XML
    + """\
import xml.parsers.expat as E
c = dict.fromkeys(("testcase", "failure", "error", "skipped"), 0)
def start(name, attrs):
    if name in c: c[name] += 1
for p in paths:
    x = E.ParserCreate(); x.StartElementHandler = start
    with open(p, "rb") as fh: x.ParseFile(fh)
print(f"tests={c['testcase']} failures={c['failure']} errors={c['error']} skipped={c['skipped']}")
"""
)
C_GATES = """\
import sys
from pytest_gates.formats.coverage import read_coverage
t = read_coverage(sys.argv[1])
print(f"lines_valid={t.lines_valid} lines_covered={t.lines_covered} line_percent={t.line_percent}",
      f"branches_valid={t.branches_valid} branches_covered={t.branches_covered}",
      f"branch_percent={t.branch_percent} source={t.source}")
"""
C_EXPAT = """\
import sys, xml.parsers.expat as E
n = c = 0
def start(name, a):
    global n, c
    if name == "line": n += 1; c += a["hits"] != "0"
p = E.ParserCreate(); p.StartElementHandler = start
with open(sys.argv[1], "rb") as fh: p.ParseFile(fh)
print(f"lines_valid={n} lines_covered={c} line_percent={100 * c / n if n else 100.0}")
"""

JUNIT_KEYS = ("tests", "failures", "errors", "skipped")
COVERAGE_KEYS = ("lines_valid", "lines_covered")


def tree_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.suffix == ".xml")
    return path.stat().st_size


def junit_rows(data: Path, quick: bool) -> list[Row]:
    files, cases = (20, 2_000) if quick else (1_000, 100_000)
    d = ensure(
        data / f"junit-{files}x{cases}", ["junit", "--files", str(files), "--cases", str(cases)]
    )
    n = tree_bytes(d)
    size = f"{files:,} files / {cases:,} cases, {n / 1e6:.1f} MB"
    return [
        Row("J(a)", "pytest-gates `read_junit(paths)`", J_GATES, d, n, size),
        Row("J(b)", "junitparser: count every `case.result`", J_JUNITPARSER, d, n, size),
        Row("J(c)", "stdlib `ElementTree.iterparse` count", J_ITERPARSE, d, n, size, "raw limit"),
        Row("J(d)", "stdlib `pyexpat` StartElementHandler count", J_EXPAT, d, n, size, "raw limit"),
    ]


def coverage_rows(data: Path, quick: bool) -> list[Row]:
    files, lines = (100, 20_000) if quick else (20_000, 4_000_000)
    gen = ["cobertura", "--files", str(files), "--lines", str(lines)]
    full = ensure(data / f"cobertura-{files}x{lines}.xml", gen)
    bare = ensure(data / f"cobertura-{files}x{lines}-no-totals.xml", [*gen, "--no-totals"])
    n, m = full.stat().st_size, bare.stat().st_size
    size = f"{files:,} classes / {lines:,} lines, {{:.1f}} MB"
    return [
        Row("C(a)", "pytest-gates `read_coverage(path)`", C_GATES, full, n, size.format(n / 1e6)),
        Row(
            "C(b)",
            "pytest-gates `read_coverage`, `--no-totals` file",
            C_GATES,
            bare,
            m,
            size.format(m / 1e6),
            "must count every line",
        ),
        Row(
            "C(c)",
            "stdlib `pyexpat` StartElementHandler, count line hits",
            C_EXPAT,
            full,
            n,
            size.format(n / 1e6),
            "reference",
        ),
    ]


def show_result(row: Row, keys: tuple[str, ...]) -> str:
    if row.error:
        return "FAILED"
    parts = [f"{k}={row.result.get(k, '?')}" for k in keys]
    if "line_percent" in row.result:
        pct = row.result["line_percent"]
        parts.append(f"{float(pct):.2f}%" if pct not in ("None", "?") else f"{pct}%")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small inputs (smoke test)")
    ap.add_argument("--only", choices=("junit", "coverage"), help="run one half only")
    ap.add_argument("--repeat", type=int, default=3, help="counted runs per command (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="uncounted runs first (default 1)")
    ap.add_argument(
        "--data-dir", type=Path, default=HERE / "data", help="inputs (default benchmarks/data)"
    )
    a = ap.parse_args(argv)
    if a.repeat < 1 or a.warmup < 0:
        ap.error("--repeat must be >= 1 and --warmup >= 0")

    print(
        f"# pytest-gates reader benchmark: {time.strftime('%Y-%m-%d')}, "
        f"{platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"{a.warmup} warm-up + median of {a.repeat}{', --quick' if a.quick else ''}\n"
    )
    compile_package()
    judge = not a.quick
    lines: list[tuple[Row, str, str]] = []
    notes: list[str] = []
    problems: list[str] = []
    sections: list[tuple[str, Callable[[Path, bool], list[Row]], tuple[str, ...]]] = [
        ("junit", junit_rows, JUNIT_KEYS),
        ("coverage", coverage_rows, COVERAGE_KEYS),
    ]
    for name, make, keys in sections:
        if a.only and a.only != name:
            continue
        rows = make(a.data_dir, a.quick)
        measure(rows, a.warmup, a.repeat)
        problems += agree(rows, keys)
        if name == "coverage" and not (rows[0].error or rows[1].error):
            # root totals (a) and counted lines (b) must also agree on branches
            problems += agree(rows[:2], ("branches_valid", "branches_covered"))
        goals = dict.fromkeys((r.label for r in rows), "")
        if name == "junit":
            ra_c, ra_b = ratio(rows[0], rows[2]), ratio(rows[0], rows[1])
            goals["J(a)"] = (
                verdict(ra_b, 1.0, "faster than (b)", judge)
                + "; "
                + verdict(ra_c, 1.5, "within 1.5x of (c)", judge)
            )
            goals["J(b)"] = "ref. 0.51 s (PEERS.md)"
            goals["J(c)"] = "ref. 0.24-0.25 s (PEERS.md)"
            notes.append(
                f"JUnit: J(a)/J(c) = {ra_c:.2f}x (goal <= 1.5x), J(a)/J(b) = {ra_b:.2f}x (goal < 1)"
                if ra_c is not None and ra_b is not None
                else "JUnit ratios: n/a (a command failed)"
            )
        else:
            for r in rows[:2]:
                rc = ratio(r, rows[2])
                mem = f"peak RSS < 100 MiB: {'met' if r.rss < 100 else 'MISSED'}" if r.runs else "-"
                goals[r.label] = mem + "; " + verdict(rc, 1.0, "no slower than (c)", judge)
                shown = f"{rc:.2f}x" if rc is not None else "n/a"
                notes.append(f"Coverage {r.label}/C(c) = {shown} (goal <= 1x)")
            goals["C(c)"] = "ref. 3.84 s (PEERS.md)"
        lines += [(r, show_result(r, keys), goals[r.label]) for r in rows]

    return report(table(lines), notes, problems)


if __name__ == "__main__":
    sys.exit(main())
