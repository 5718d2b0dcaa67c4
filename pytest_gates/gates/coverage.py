"""Kind ``coverage``: line and branch coverage from Cobertura, coverage.py JSON, lcov or JaCoCo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.coverage import read_coverage
from ..formats.errors import FormatError


class CoverageGate(Gate):
    """Compares the report's line (and branch) coverage to minimum percentages."""

    kind = "coverage"
    description = "line/branch coverage from a Cobertura, coverage.py JSON, lcov or JaCoCo report"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "report": Setting(str, required=True, help="the coverage report (format from content)"),
        "min_line": Setting(float, default=None, minimum=0, help="minimum line coverage, percent"),
        "min_branch": Setting(
            float, default=None, minimum=0, help="minimum branch coverage, percent"
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        if settings["min_line"] is None and settings["min_branch"] is None:
            problems.append("set 'min_line' and/or 'min_branch' (percent)")
        for key in ("min_line", "min_branch"):
            if settings[key] is not None and settings[key] > 100:
                problems.append(f"'{key}' is a percentage (0-100), got {settings[key]:g}")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        path = ctx.path(self.settings["report"])
        try:
            totals = read_coverage(path)
        except FormatError as exc:
            raise GateError(f"cannot read coverage report {exc}") from None
        measured: dict[str, str] = {}
        threshold: dict[str, str] = {}
        broken: list[str] = []
        checks = [
            (
                "line",
                self.settings["min_line"],
                totals.line_percent,
                totals.lines_covered,
                totals.lines_valid,
                "lines",
            ),
            (
                "branch",
                self.settings["min_branch"],
                totals.branch_percent,
                totals.branches_covered,
                totals.branches_valid,
                "branches",
            ),
        ]
        for name, minimum, percent, covered, valid, unit in checks:
            if minimum is None:
                continue
            if percent is None:
                raise GateError(
                    f"{path}: the {totals.format} report has no {name} coverage data"
                    f" ({valid or 0} {unit} measured), so min_{name} cannot be checked"
                )
            shown = _pct(percent, minimum)
            measured[name] = shown
            threshold[name] = f">= {minimum:g}%"
            if percent < minimum:
                missed = ""
                if covered is not None and valid is not None:
                    missed = f" ({valid - covered:,} of {valid:,} {unit} missed)"
                broken.append(f"{name} coverage {shown} < {minimum:g}%{missed}")
        details = "\n".join(
            [
                f"report: {path} ({totals.format})",
                f"numbers: {totals.source}",
                _line("lines", totals.lines_covered, totals.lines_valid, totals.line_percent),
                _line(
                    "branches",
                    totals.branches_covered,
                    totals.branches_valid,
                    totals.branch_percent,
                ),
            ]
        )
        kw: dict[str, Any] = {"measured": measured, "threshold": threshold, "details": details}
        if broken:
            return Outcome.failed("; ".join(broken) + f" in {path.name}", **kw)
        parts = ", ".join(f"{k} coverage {v} ({threshold[k]})" for k, v in measured.items())
        return Outcome.passed(f"{parts} in {path.name}", **kw)


def _pct(value: float, against: float) -> str:
    """Two decimals, more when rounding would hide which side of the threshold it is on."""
    for digits in (2, 4, 6):
        text = f"{value:.{digits}f}"
        if (float(text) < against) == (value < against):
            return text + "%"
    return f"{value!r}%"


def _line(unit: str, covered: int | None, valid: int | None, percent: float | None) -> str:
    if percent is None and valid is None:
        return f"{unit}: not in the report"
    counts = f"{covered:,} of {valid:,} covered" if valid is not None else "counts not given"
    rate = f"{percent:.2f}%" if percent is not None else "n/a"
    return f"{unit}: {rate} ({counts})"
