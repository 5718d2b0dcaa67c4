"""Kind ``benchmark``: pytest-benchmark results within limits and not slower than a baseline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.benchmark import Benchmark, BenchmarkReport, read_benchmark_json
from ..formats.errors import FormatError
from ..verdict import REVISION_VARIABLES, revision

MAX_STATS = ("mean", "median", "max")  # limits in milliseconds (at most)
MIN_STATS = ("ops",)  # limits in operations per second (at least)
REGRESSION_STATS = ("mean", "median", "min", "max")
SHOWN = 5  # failing benchmarks named in the one-line summary


@dataclass
class _Row:
    bench: Benchmark
    checks: list[tuple[str, bool]] = field(default_factory=list)  # (text, ok)
    change: float | None = None  # percent against the baseline
    in_baseline: bool = False

    @property
    def over(self) -> list[str]:
        return [text for text, ok in self.checks if not ok]


class BenchmarkGate(Gate):
    """Each benchmark matched by a ``limits`` glob must meet its limits; with a ``baseline``,
    none may be more than ``max_regression`` percent slower."""

    kind = "benchmark"
    description = "pytest-benchmark results within limits and against a baseline"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "report": Setting(str, required=True, help="a pytest-benchmark JSON (--benchmark-json)"),
        "limits": Setting(
            dict, default=None, help="name glob -> {mean|median|max: ms at most, ops: at least}"
        ),
        "baseline": Setting(str, default=None, help="an earlier pytest-benchmark JSON"),
        "max_regression": Setting(
            float, default=None, minimum=0, help="percent slower than the baseline allowed"
        ),
        "regression_stat": Setting(
            str, default="mean", choices=REGRESSION_STATS, help="the statistic compared"
        ),
        "check_revision": Setting(
            bool, default=True, help="the report must be of this run's commit (commit_info.id)"
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        limits = settings["limits"]
        if not limits and settings["max_regression"] is None:
            problems.append("set 'limits' and/or 'max_regression' (with 'baseline')")
        if settings["max_regression"] is not None and not settings["baseline"]:
            problems.append("'max_regression' needs a 'baseline' (an earlier benchmark JSON)")
        for glob, rule in (limits or {}).items():
            if not isinstance(rule, dict) or not rule:
                problems.append(
                    f"'limits' {glob!r}: give a mapping such as {{mean: 5, ops: 1000}},"
                    f" got {rule!r}"
                )
                continue
            for stat, value in rule.items():
                if stat not in MAX_STATS + MIN_STATS:
                    problems.append(
                        f"'limits' {glob!r}: unknown {stat!r}; use mean, median, max"
                        " (milliseconds, at most) or ops (per second, at least)"
                    )
                elif _number(value) is None:
                    # Not echoed: the value may come from a variable (never shown expanded).
                    shown = repr(value) if not isinstance(value, str) else "a string"
                    problems.append(f"'limits' {glob!r} {stat}: must be a number > 0, got {shown}")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        report = _read(ctx, s["report"], "benchmark report")
        if not report.benchmarks:
            raise GateError(
                f"no benchmark in {report.path}: were they skipped or disabled"
                " (--benchmark-skip, --benchmark-disable)?"
            )
        revision_line = self._check_revision(ctx, report)
        rows = {b.key: _Row(b) for b in report.benchmarks}
        limits = {
            glob: {stat: float(_number(v) or 0) for stat, v in rule.items()}
            for glob, rule in (s["limits"] or {}).items()
        }
        unmatched = []
        for glob, rule in limits.items():
            matched = [r for r in rows.values() if _matches(glob, r.bench)]
            if not matched:
                unmatched.append(glob)
            for row in matched:
                row.checks.extend(_check(row.bench, stat, float(v)) for stat, v in rule.items())
        if unmatched:
            names = ", ".join(b.name for b in report.benchmarks[:10])
            more = ", ..." if len(report.benchmarks) > 10 else ""
            raise GateError(
                f"limit{'s' if len(unmatched) > 1 else ''} {', '.join(map(repr, unmatched))}"
                f" match{'' if len(unmatched) > 1 else 'es'} no benchmark in {report.path}"
                f" (benchmarks: {names}{more}); a limit that checks nothing never passes"
            )
        lines = [f"report: {report.describe()}", revision_line]
        missing: list[str] = []
        stat = s["regression_stat"]
        if s["baseline"]:
            base = _read(ctx, s["baseline"], "baseline")
            lines.append(f"baseline: {base.describe()}")
            if base.machine and report.machine and base.machine != report.machine:
                lines.append(
                    f"note: the baseline ran on another machine ({base.machine}; this run:"
                    f" {report.machine}): timings may not compare"
                )
            missing = _compare(rows, base, stat)
            if s["max_regression"] is not None and not any(r.in_baseline for r in rows.values()):
                raise GateError(
                    f"the baseline {base.path} has none of the {len(rows)} benchmarks of"
                    f" {report.path}: nothing to compare (is it the baseline of this suite?)"
                )
        return self._outcome(list(rows.values()), limits, missing, lines)

    def _check_revision(self, ctx: GateContext, report: BenchmarkReport) -> str:
        """The details line on the report's commit; an error when it is not this run's."""
        if not self.settings["check_revision"]:
            return "revision: not checked (check_revision is false)"
        if not report.commit_id:
            return (
                "revision: not checked: the report names no commit (pytest-benchmark ran"
                " outside a git repository)"
            )
        run = revision(ctx.rootdir, ctx.env)
        if run == "unknown":
            return (
                "revision: not checked: this run's commit is unknown (no CI variable such as"
                " GITHUB_SHA, and the rootdir is not a git checkout)"
            )
        source = next((n for n in REVISION_VARIABLES if ctx.env(n) == run), "git HEAD")
        if not same_commit(report.commit_id, run):
            raise GateError(
                f"the benchmark report {report.path} is of commit {report.commit_id[:12]}, but"
                f" this run is of {run[:12]} ({source}): its results are not of the code under"
                " test (a stale or downloaded report?); run the benchmarks in this job, or set"
                " check_revision: false"
            )
        dirty = " (uncommitted changes when it ran)" if report.commit.endswith("+dirty") else ""
        return (
            f"revision: the report's commit {report.commit_id[:12]} is this run's ({source}){dirty}"
        )

    def _outcome(
        self,
        rows: list[_Row],
        limits: dict[str, dict[str, float]],
        missing: list[str],
        lines: list[str],
    ) -> Outcome:
        s = self.settings
        stat, max_reg = s["regression_stat"], s["max_regression"]
        over = [r for r in rows if r.over]
        regressed = [
            r for r in rows if max_reg is not None and r.change is not None and r.change > max_reg
        ]
        measured: dict[str, Any] = {"benchmarks": len(rows)}
        threshold: dict[str, Any] = {}
        if limits:
            measured["over limits"] = len(over)
            threshold["over limits"] = "0"
        changes = [r for r in rows if r.change is not None]
        if max_reg is not None and missing:
            measured["baseline benchmarks not run"] = len(missing)
            threshold["baseline benchmarks not run"] = "0"
        if changes:
            worst = max(changes, key=lambda r: r.change or 0.0)
            measured[f"worst {stat} change"] = f"{worst.change:+.1f}% ({worst.bench.name})"
        if max_reg is not None:
            threshold[f"{stat} change"] = f"<= +{max_reg:g}% vs baseline"
        lines.append(f"benchmarks ({len(rows)}): checks against limits; {stat} against baseline")
        for r in rows:
            lines.append(_describe(r, stat, max_reg, bool(s["baseline"])))
        if missing:
            lines.append(
                f"in the baseline, not in this run ({len(missing)}): " + ", ".join(missing[:20])
            )
        for glob, rule in limits.items():
            lines.append(f"limit {glob}: " + ", ".join(_rule(k, v) for k, v in rule.items()))
        kw: dict[str, Any] = {"measured": measured, "threshold": threshold}
        kw["details"] = "\n".join(lines)
        broken = []
        if over:
            named = "; ".join(f"{r.bench.name} {', '.join(r.over)}" for r in over[:SHOWN])
            more = f"; and {len(over) - SHOWN} more" if len(over) > SHOWN else ""
            broken.append(
                f"{len(over)} of {len(rows)} benchmarks over their limits ({named}{more})"
            )
        if regressed:
            named = "; ".join(f"{r.bench.name} {r.change:+.1f}%" for r in regressed[:SHOWN])
            more = f"; and {len(regressed) - SHOWN} more" if len(regressed) > SHOWN else ""
            broken.append(
                f"{len(regressed)} slower than the baseline by more than {max_reg:g}%"
                f" on {stat} ({named}{more})"
            )
        if max_reg is not None and missing:
            named = ", ".join(missing[:SHOWN]) + (", ..." if len(missing) > SHOWN else "")
            one = len(missing) == 1
            broken.append(
                f"{len(missing)} benchmark{'' if one else 's'} of the baseline did not run"
                f" ({named}): {'its' if one else 'their'} regression cannot be measured;"
                f" run {'it' if one else 'them'}, or update the baseline if"
                f" {'it was' if one else 'they were'} removed"
            )
        if broken:
            return Outcome.failed("; ".join(broken), **kw)
        text = f"{len(rows)} benchmarks"
        if limits:
            checked = sum(1 for r in rows if r.checks)
            text += f", {checked} checked, all within their limits"
        if changes:
            text += f"; worst {stat} change vs baseline {measured[f'worst {stat} change']}"
            if max_reg is not None:
                text += f" (<= +{max_reg:g}%)"
        return Outcome.passed(text, **kw)


def same_commit(a: str, b: str) -> bool:
    """Two commit ids name the same commit: equal, or one abbreviates the other (7+)."""
    a, b = a.strip().lower(), b.strip().lower()
    if len(a) < 7 or len(b) < 7:
        return a == b
    return a.startswith(b) or b.startswith(a)


def _number(value: Any) -> float | None:
    """A limit > 0: a YAML number, or a numeric string (a ``${VAR}`` expands to a string)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return None
    return float(value)


def _read(ctx: GateContext, value: str, what: str) -> BenchmarkReport:
    try:
        return read_benchmark_json(ctx.path(value))
    except FormatError as exc:
        raise GateError(f"cannot read {what} {exc}") from None


def _matches(glob: str, bench: Benchmark) -> bool:
    return fnmatchcase(bench.name, glob) or fnmatchcase(bench.fullname, glob)


def _check(bench: Benchmark, stat: str, limit: float) -> tuple[str, bool]:
    value = bench.stats[stat]
    if stat in MIN_STATS:
        ok = value >= limit
        return f"ops {value:,.0f}/s {'>=' if ok else '<'} {_num(limit)}/s", ok
    ok = value * 1000 <= limit
    return f"{stat} {duration(value)} {'<=' if ok else '>'} {limit:g} ms", ok


def _compare(rows: dict[str, _Row], base: BenchmarkReport, stat: str) -> list[str]:
    """Set each row's change against the baseline; return the baseline's benchmarks not run."""
    by_key = {b.key: b for b in base.benchmarks}
    by_name: dict[str, list[Benchmark]] = {}
    for b in base.benchmarks:
        by_name.setdefault(b.name, []).append(b)
    used = set()
    for key, row in rows.items():
        old = by_key.get(key)
        if old is None and len(by_name.get(row.bench.name, [])) == 1:
            old = by_name[row.bench.name][0]  # the same test, moved to another module
        if old is None:
            continue
        used.add(old.key)
        row.in_baseline = True
        if old.stats[stat] > 0:
            row.change = (row.bench.stats[stat] - old.stats[stat]) / old.stats[stat] * 100
    return [b.key for b in base.benchmarks if b.key not in used]


def _describe(r: _Row, stat: str, max_reg: float | None, has_baseline: bool) -> str:
    b = r.bench
    parts = [c for c, _ in r.checks] or [
        f"mean {duration(b.stats['mean'])}, ops {b.stats['ops']:,.0f}/s (no limit)"
    ]
    if r.change is not None:
        flag = " (REGRESSION)" if max_reg is not None and r.change > max_reg else ""
        parts.append(f"{stat} {r.change:+.1f}% vs baseline{flag}")
    elif r.in_baseline:
        parts.append(f"baseline {stat} is 0: no change computed")
    elif has_baseline:
        parts.append("new: not in the baseline")
    bad = r.over or (max_reg is not None and r.change is not None and r.change > max_reg)
    return f"  {'FAIL' if bad else 'ok  '} {b.key} [{b.rounds} rounds]: " + "; ".join(parts)


def _rule(stat: str, value: float) -> str:
    return f"ops >= {_num(value)}/s" if stat in MIN_STATS else f"{stat} <= {value:g} ms"


def _num(value: float) -> str:
    """1000000 -> '1,000,000'; 2.5 -> '2.5'."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,g}"


def duration(seconds: float) -> str:
    """Four significant digits in the unit that fits: '78.95 ns', '1.234 ms', '2.5 s'."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-9:.4g} ns"
