"""pytest-benchmark's JSON report (``pytest --benchmark-json=FILE``, or a saved run under
``.benchmarks/``): the statistics of each benchmark, in seconds.

The shape (pytest-benchmark 3.x to 5.x): ``{"machine_info": {...}, "commit_info": {...},
"benchmarks": [{"name", "fullname", "group", "params", "stats": {"min", "max", "mean",
"stddev", "rounds", "median", "iqr", "q1", "q3", "ops", ...}, ...}], "datetime", "version"}``.
Knows nothing of pytest.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, TypeGuard

from .errors import FormatError, read_json

TIME_STATS = ("min", "max", "mean", "median")


@dataclass(frozen=True)
class Benchmark:
    name: str
    fullname: str
    group: str | None
    stats: dict[str, float]  # min, max, mean, median (seconds) and ops (per second)
    rounds: int

    @property
    def key(self) -> str:
        """What identifies it across runs (a baseline): the full node id."""
        return self.fullname or self.name


@dataclass(frozen=True)
class BenchmarkReport:
    path: str
    version: str
    datetime: str
    commit: str  # shown: 12 characters, "+dirty" when the tree had changes
    machine: str
    benchmarks: list[Benchmark]
    commit_id: str = ""  # as written ("" when pytest-benchmark knew none)

    def describe(self) -> str:
        parts = [f"pytest-benchmark {self.version or '?'}"]
        if self.datetime:
            parts.append(self.datetime)
        if self.commit:
            parts.append(f"commit {self.commit}")
        return f"{self.path} ({', '.join(parts)})"


def read_benchmark_json(path: str | os.PathLike[str]) -> BenchmarkReport:
    """Read and check a report; anything that is not one is a :class:`FormatError`."""
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
        raise FormatError(
            path,
            "not a pytest-benchmark JSON report: no 'benchmarks' list"
            f" (found: {keys or 'nothing'})",
        )
    benchmarks = [_benchmark(path, n, b) for n, b in enumerate(doc["benchmarks"])]
    commit: Any = doc.get("commit_info") if isinstance(doc.get("commit_info"), dict) else {}
    commit_id = str(commit.get("id") or "").strip()
    # pytest-benchmark's words for "not in a repository" and "git/hg failed"
    if commit_id in ("unversioned", "unknown"):
        commit_id = ""
    shown = commit_id[:12] + ("+dirty" if commit.get("dirty") else "") if commit_id else ""
    return BenchmarkReport(
        path=os.fspath(path),
        version=str(doc.get("version") or ""),
        datetime=str(doc.get("datetime") or ""),
        commit=shown,
        machine=_machine(doc.get("machine_info")),
        benchmarks=benchmarks,
        commit_id=commit_id,
    )


def _benchmark(path: str | os.PathLike[str], n: int, raw: Any) -> Benchmark:
    where = f"benchmarks[{n}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise FormatError(path, f"{where} has no 'name': not a pytest-benchmark JSON report")
    stats = raw.get("stats")
    if not isinstance(stats, dict):
        raise FormatError(path, f"{where} ({raw['name']}) has no 'stats'")
    values: dict[str, float] = {}
    for key in TIME_STATS:
        value = stats.get(key)
        if not _number(value) or value < 0:
            raise FormatError(
                path, f"{where} ({raw['name']}): stats.{key} is {value!r}, not a duration"
            )
        values[key] = float(value)
    ops = stats.get("ops")
    if ops is None and values["mean"] > 0:
        ops = 1.0 / values["mean"]  # reports before pytest-benchmark 3.1 have no 'ops'
    if not _number(ops) or ops < 0:
        raise FormatError(path, f"{where} ({raw['name']}): stats.ops is {ops!r}, not a rate")
    values["ops"] = float(ops)
    rounds = stats.get("rounds")
    return Benchmark(
        name=raw["name"],
        fullname=str(raw.get("fullname") or ""),
        group=raw.get("group") if isinstance(raw.get("group"), str) else None,
        stats=values,
        rounds=rounds if isinstance(rounds, int) else 0,
    )


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _machine(info: Any) -> str:
    """'cpu brand, python implementation version' when the report says."""
    if not isinstance(info, dict):
        return ""
    cpu: Any = info.get("cpu") if isinstance(info.get("cpu"), dict) else {}
    brand = cpu.get("brand_raw") or cpu.get("brand") or info.get("processor") or ""
    python = " ".join(
        str(info[k]) for k in ("python_implementation", "python_version") if info.get(k)
    )
    return ", ".join(p for p in (str(brand), python) if p)
