"""Kind ``sarif``: security and lint findings from SARIF files, by one severity model."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.errors import FormatError
from ..formats.sarif import SEVERITIES, Finding, read_sarif
from . import report_files

if TYPE_CHECKING:
    from ..formats.waivers import Waiver

SHOWN = 10  # findings listed per failing severity
EXPLAINED = 200  # findings listed one by one with --gate-explain


class SarifGate(Gate):
    """Counts findings per severity (and per tool) and compares them to limits."""

    kind = "sarif"
    description = "findings of SARIF files (Trivy, Gitleaks, Semgrep, CodeQL, Bandit, Ruff...)"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "reports": Setting(list, required=True, help="globs of SARIF files (rootdir-relative)"),
        "max": Setting(dict, default=None, help="limit per severity, e.g. {critical: 0, high: 5}"),
        "fail_on": Setting(
            str, default=None, choices=SEVERITIES, help="no finding at or above this severity"
        ),
        "severity": Setting(
            dict, default=None, help="per-tool severity, e.g. {Gitleaks: critical}"
        ),
        "new_only": Setting(bool, default=False, help="count only baselineState new/updated"),
        "baseline": Setting(str, default=None, help="an earlier SARIF: its findings don't count"),
        "waivers": Setting(str, default=None, help="a YAML file of expiring waivers"),
        "allow_empty": Setting(bool, default=False, help="accept runs without a results section"),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        limits = settings["max"] or {}
        for sev, limit in limits.items():
            if sev not in SEVERITIES:
                problems.append(f"'max' has {sev!r}; severities are {', '.join(SEVERITIES)}")
            elif isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                problems.append(f"'max' {sev}: must be a whole number >= 0, got {limit!r}")
        for tool, sev in (settings["severity"] or {}).items():
            if sev not in SEVERITIES:
                problems.append(f"'severity' {tool}: {sev!r} is not one of {', '.join(SEVERITIES)}")
        if not limits and settings["fail_on"] is None:
            problems.append("set 'max' (limits per severity) and/or 'fail_on' (a severity)")
        if not settings["reports"]:
            problems.append("'reports' needs at least one glob")
        return problems

    def limits(self) -> dict[str, int]:
        limits: dict[str, int] = dict(self.settings["max"] or {})
        fail_on = self.settings["fail_on"]
        if fail_on is not None:
            for sev in SEVERITIES[: SEVERITIES.index(fail_on) + 1]:
                limits[sev] = 0
        return {sev: limits[sev] for sev in SEVERITIES if sev in limits}

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        patterns: list[str] = s["reports"]
        paths = report_files(ctx, patterns, "SARIF file", "scanner")
        overrides: dict[str, str] = dict(s["severity"] or {})
        try:
            waivers = _waivers(ctx, s["waivers"])
            baseline = _Baseline.read(ctx.path(s["baseline"])) if s["baseline"] else None
            tally = _Tally(ctx.explain)
            today = dt.date.fromtimestamp(ctx.now())
            for path in paths:
                for finding in read_sarif(path, overrides=overrides, allow_empty=s["allow_empty"]):
                    tally.add(finding, s["new_only"], baseline, waivers, today)
        except FormatError as exc:
            raise GateError(f"cannot read {exc}") from None
        return tally.outcome(self.limits(), paths, waivers, today)


class _Baseline:
    """Findings of an earlier scan: by fingerprint, else by rule + file + line text."""

    def __init__(self) -> None:
        self.fingerprints: set[str] = set()
        self.keys: set[tuple[str, str, str]] = set()

    @classmethod
    def read(cls, path: Path) -> _Baseline:
        baseline = cls()
        for f in read_sarif(path, allow_empty=True):
            if f.fingerprint:
                baseline.fingerprints.add(f.fingerprint)
            baseline.keys.add((f.rule_id, f.path, f.line_text))
        return baseline

    def __contains__(self, f: Finding) -> bool:
        if f.fingerprint and f.fingerprint in self.fingerprints:
            return True
        return (f.rule_id, f.path, f.line_text) in self.keys


class _Tally:
    def __init__(self, explain: bool) -> None:
        self.counts: Counter[str] = Counter()
        self.by_tool: dict[str, Counter[str]] = {}
        self.examples: dict[str, list[Finding]] = {sev: [] for sev in SEVERITIES}
        self.suppressed = self.waived = self.baselined = self.not_new = 0
        self.waiver_hits: Counter[Waiver] = Counter()
        self.explain = explain
        self.decided: Counter[tuple[str, str]] = Counter()
        self.explained: list[str] = []

    def add(
        self,
        f: Finding,
        new_only: bool,
        baseline: _Baseline | None,
        waivers: Iterable[Waiver],
        today: dt.date,
    ) -> None:
        if self.explain:
            self.decided[(f.severity, _rule_of(f.decided_by))] += 1
            if len(self.explained) < EXPLAINED:
                self.explained.append(f"  {_line(f)}  <- {f.decided_by}")
        if f.suppressed:
            self.suppressed += 1
            return
        if new_only and f.baseline_state not in ("new", "updated"):
            self.not_new += 1
            return
        if baseline is not None and f in baseline:
            self.baselined += 1
            return
        for waiver in waivers:
            if waiver.matches(f.tool, f.rule_id, f.path, f.fingerprint):
                self.waiver_hits[waiver] += 1
                if not waiver.expired(today):
                    self.waived += 1
                    return
        self.counts[f.severity] += 1
        tool = f.tool or "?"
        counts = self.by_tool.get(tool)
        if counts is None:
            counts = self.by_tool[tool] = Counter()
        counts[f.severity] += 1
        shown = self.examples[f.severity]
        if len(shown) < SHOWN:
            shown.append(f)

    def outcome(
        self, limits: dict[str, int], paths: list[Path], waivers: list[Waiver], today: dt.date
    ) -> Outcome:
        over = [sev for sev, limit in limits.items() if self.counts[sev] > limit]
        expired = [w for w in waivers if w.expired(today)]
        unused = [w for w in waivers if not self.waiver_hits[w] and not w.expired(today)]
        where = f"in {len(paths)} SARIF file{'s' if len(paths) != 1 else ''}"
        counts = ", ".join(f"{sev} {self.counts[sev]}" for sev in SEVERITIES)
        # Severities with a limit or a finding, then what was not counted.
        measured: dict[str, Any] = {
            sev: self.counts[sev] for sev in SEVERITIES if sev in limits or self.counts[sev]
        }
        measured.update(suppressed=self.suppressed, waived=self.waived)
        if self.baselined:
            measured["baselined"] = self.baselined
        threshold = {sev: f"<= {limit}" for sev, limit in limits.items()}

        lines = [f"findings {where}: {counts}"]
        lines += [f"  {p}" for p in paths[:20]]
        for tool, per in sorted(self.by_tool.items()):
            lines.append(f"  {tool}: " + ", ".join(f"{sev} {per[sev]}" for sev in SEVERITIES))
        limit_text = ", ".join(f"{sev} <= {n}" for sev, n in limits.items())
        lines.append(f"limits: {limit_text}")
        not_counted = [
            f"{self.suppressed} suppressed in the SARIF",
            f"{self.waived} waived",
            f"{self.baselined} in the baseline",
        ]
        if self.not_new:
            not_counted.append(f"{self.not_new} not new (new_only)")
        lines.append("not counted: " + ", ".join(not_counted))
        for sev in over:
            lines.append(f"{sev} findings (first {min(SHOWN, self.counts[sev])}):")
            lines += [f"  {_line(f)}" for f in self.examples[sev]]
        lines += [f"EXPIRED {w.describe()}" for w in expired]
        lines += [f"advisory: unused {w.describe()} (it matched no finding)" for w in unused]
        if self.explain:
            lines.append("how each severity was decided (severity, rule of the table: count):")
            lines += [
                f"  {sev:8} {rule}: {n:,}"
                for (sev, rule), n in sorted(
                    self.decided.items(), key=lambda kv: (SEVERITIES.index(kv[0][0]), kv[0][1])
                )
            ]
            lines.append(f"first {len(self.explained)} findings:")
            lines += self.explained
        details = "\n".join(lines)

        broken = [f"{sev} {self.counts[sev]} > {limits[sev]}" for sev in over]
        if expired:
            broken.append(
                f"{len(expired)} expired waiver{'s' if len(expired) != 1 else ''}"
                f" ({', '.join(w.rule for w in expired)})"
            )
        kw: dict[str, Any] = {"measured": measured, "threshold": threshold, "details": details}
        if broken:
            tools = "; ".join(
                f"{tool}: " + ", ".join(f"{sev} {per[sev]}" for sev in over if per[sev])
                for tool, per in sorted(self.by_tool.items())
                if any(per[sev] for sev in over)
            )
            tools = f" ({tools})" if tools else ""
            return Outcome.failed(", ".join(broken) + f"{tools} {where}", **kw)
        return Outcome.passed(f"{counts} {where} (limits: {limit_text})", **kw)


def _line(f: Finding) -> str:
    where = f"{f.path}:{f.line}" if f.line else (f.path or f.report)
    return f"{f.severity.upper():8} {f.tool or '?'} {f.rule_id or '(no rule)'} {where} {f.message}"


def _rule_of(decided_by: str) -> str:
    """The row of the severity table, without the finding's own value."""
    for row in (
        "override",
        "security-severity",
        "Trivy severity tag",
        "Bandit issue_severity",
        "CodeQL problem.severity",
        "level",
        "kind",
        "ruleConfigurationOverrides",
        "rule defaultConfiguration.level",
        "default level",
    ):
        if decided_by.startswith(row):
            return row + (" on the rule" if " on rule" in decided_by else "")
    return decided_by


def _waivers(ctx: GateContext, setting: str | None) -> list[Waiver]:
    """The waivers file's entries (its YAML reader is imported only when one is set)."""
    if not setting:
        return []
    from ..formats.waivers import read_waivers

    return read_waivers(ctx.path(setting))
