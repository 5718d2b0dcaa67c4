"""Kind ``junit``: test results from JUnit XML reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.errors import FormatError
from ..formats.junit import CaseResult, read_junit
from . import report_files


class JUnitGate(Gate):
    """Counts every ``<testcase>`` of the matched reports and compares to the limits."""

    kind = "junit"
    description = "test results from JUnit XML reports"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "reports": Setting(list, required=True, help="globs of JUnit XML files (rootdir-relative)"),
        "min_tests": Setting(int, default=1, minimum=0, help="fewest testcases that must run"),
        "max_failures": Setting(int, default=0, minimum=0, help="most failed testcases allowed"),
        "max_errors": Setting(int, default=0, minimum=0, help="most errored testcases allowed"),
        "max_skipped": Setting(int, default=None, minimum=0, help="most skipped (default: any)"),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        return [] if settings["reports"] else ["'reports' needs at least one glob"]

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        patterns: list[str] = s["reports"]
        paths = report_files(ctx, patterns, "JUnit report", "test step")
        try:
            summary = read_junit(paths)
        except FormatError as exc:
            raise GateError(f"cannot read JUnit report {exc}") from None
        where = f"in {len(paths)} report{'s' if len(paths) != 1 else ''}"
        if summary.tests == 0:
            raise GateError(f"no testcase {where} ({_names(paths)}): the reports are empty")

        measured = {
            "tests": summary.tests,
            "failures": summary.failures,
            "errors": summary.errors,
            "skipped": summary.skipped,
        }
        threshold: dict[str, str] = {
            "tests": f">= {s['min_tests']}",
            "failures": f"<= {s['max_failures']}",
            "errors": f"<= {s['max_errors']}",
        }
        broken = []
        if summary.tests < s["min_tests"]:
            broken.append(f"{summary.tests} tests < min_tests {s['min_tests']}")
        if summary.failures > s["max_failures"]:
            broken.append(f"{summary.failures} failed > max_failures {s['max_failures']}")
        if summary.errors > s["max_errors"]:
            broken.append(f"{summary.errors} errors > max_errors {s['max_errors']}")
        if s["max_skipped"] is not None:
            threshold["skipped"] = f"<= {s['max_skipped']}"
            if summary.skipped > s["max_skipped"]:
                broken.append(f"{summary.skipped} skipped > max_skipped {s['max_skipped']}")

        counts = (
            f"{summary.tests} tests: {summary.passed} passed, {summary.failures} failed,"
            f" {summary.errors} errors, {summary.skipped} skipped"
        )
        if summary.flaky:
            counts += f", {summary.flaky} flaky"
        lines = [counts + f" {where}:"]
        lines += [f"  {p}" for p in paths[:20]]
        if len(paths) > 20:
            lines.append(f"  ... and {len(paths) - 20} more")
        if summary.failing:
            lines.append("failing tests:")
            lines += [_case(c) for c in summary.failing]
            shown = len(summary.failing)
            if summary.failures + summary.errors > shown:
                lines.append(f"  ... and {summary.failures + summary.errors - shown} more")
        if summary.flaky_cases:
            lines.append("flaky tests (failed, then passed on a rerun):")
            lines += [_case(c) for c in summary.flaky_cases]
        details = "\n".join(lines)
        kw: dict[str, Any] = {"measured": measured, "threshold": threshold, "details": details}
        if broken:
            return Outcome.failed("; ".join(broken) + f" {where}", **kw)
        return Outcome.passed(counts + f" {where}", **kw)


def _case(case: CaseResult) -> str:
    name = f"{case.classname}::{case.name}" if case.classname else case.name
    msg = f" - {case.message}" if case.message else ""
    return f"  {case.outcome.upper()} {name}{msg} ({case.report}:{case.line})"


def _names(paths: list[Any]) -> str:
    shown = ", ".join(str(p) for p in paths[:3])
    return shown + (", ..." if len(paths) > 3 else "")
