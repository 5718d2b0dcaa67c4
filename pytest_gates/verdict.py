"""The JUnit XML verdict and the end-of-run summary table.

Built from the reports, like pytest's own junitxml: it runs on the controller only, so
with pytest-xdist the workers' reports arrive here and one file is written, atomically,
also when the run is interrupted.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from .state import STATE_KEY

REVISION_VARIABLES = (
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
    "BUILDKITE_COMMIT",
    "CIRCLE_SHA1",
    "BITBUCKET_COMMIT",
    "BUILD_SOURCEVERSION",
    "TRAVIS_COMMIT",
    "DRONE_COMMIT_SHA",
    "GIT_COMMIT",
)
# Characters XML 1.0 cannot carry, even escaped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class GateResult:
    id: str
    kind: str
    blocking: bool
    status: str  # passed | failed | error | not-evaluated
    summary: str
    measured: str
    threshold: str
    text: str
    duration: float = 0.0

    @property
    def blocks(self) -> bool:
        return self.status != "passed" and self.blocking


@dataclass
class MemberCase:
    """A test or check of a suite gate: its own testcase in the verdict."""

    gate: str
    nodeid: str
    status: str  # passed | failed | error | skipped | xfailed
    message: str
    text: str
    duration: float
    evidence: list[str]


class Verdict:
    """A plugin object registered on the controller of a ``--gate`` run."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config = config
        self.path = path
        self.results: dict[str, GateResult] = {}
        self.members: dict[str, MemberCase] = {}
        self.expected: list[str] = []
        self.problems: list[str] = []
        self.started = time.time()
        self.interrupted = False
        self.written: str | None = None

    # -- gathering ------------------------------------------------------------------
    def _gate_ids(self, nodeids: list[str]) -> list[str]:
        prefix = f"gate:{self.config.stash[STATE_KEY].profile_name}::"
        # Gate items only: not a suite's tests, nor its checks (``<id>[<check>]``).
        return [
            n[len(prefix) :]
            for n in nodeids
            if n.startswith(prefix) and "[" not in n[len(prefix) :]
        ]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.expected = self._gate_ids([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.expected = self._gate_ids(ids)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append(report.longreprtext)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        member = getattr(report, "gate_member", None)
        if member is not None:
            self._member(report, member)
        gate = getattr(report, "gate", None)
        if gate is None or report.when != "call":
            return
        status = gate["status"]
        text = gate["text"]
        if report.failed and report.longreprtext:
            text = report.longreprtext
        self.results[gate["id"]] = GateResult(
            id=gate["id"],
            kind=gate["kind"],
            blocking=gate["blocking"],
            status=status,
            summary=gate["summary"],
            measured=gate["measured"],
            threshold=gate["threshold"],
            text=text,
            duration=report.duration,
        )

    def _member(self, report: pytest.TestReport, info: dict[str, Any]) -> None:
        from .suite import member_status, message_of

        case = self.members.get(report.nodeid)
        status = info.get("status") or member_status(report, case.status if case else None)
        if case is None:
            case = MemberCase(info["gate"], report.nodeid, status, "", "", 0.0, [])
            self.members[report.nodeid] = case
        if status != case.status or (status != "passed" and not case.text):
            case.status = status
            if status != "passed":
                case.text = report.longreprtext
                case.message = message_of(report).splitlines()[0] if message_of(report) else status
        case.duration += report.duration
        case.evidence = list(info.get("evidence", case.evidence))

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    # -- verdict --------------------------------------------------------------------
    def gates(self) -> list[GateResult]:
        rows = [self.results[g] for g in self.expected if g in self.results]
        rows += [r for g, r in self.results.items() if g not in self.expected]
        for gate_id in self.expected:
            if gate_id not in self.results:
                rows.append(
                    GateResult(
                        gate_id,
                        "?",
                        True,
                        "not-evaluated",
                        "not evaluated: the run ended before this gate ran",
                        "",
                        "",
                        "The run was interrupted or stopped (-x/--maxfail) before this gate was"
                        " evaluated; an unevaluated gate never passes.",
                    )
                )
        return rows

    def partial(self) -> str:
        """How this run left gates or members out ('' when it evaluated the whole profile):
        such a verdict is for a developer, and an earlier-stage ``verdict`` gate refuses it."""
        opt, state = self.config.option, self.config.stash[STATE_KEY]
        reasons = []
        if state.only:
            reasons.append(f"--gate-only {','.join(state.only)}")
        if getattr(opt, "keyword", ""):
            reasons.append(f"-k {opt.keyword!r}")
        if getattr(opt, "markexpr", ""):
            reasons.append(f"-m {opt.markexpr!r}")
        if getattr(opt, "deselect", None):
            reasons.append(f"--deselect ({len(opt.deselect)})")
        return "; ".join(reasons)

    def passed(self) -> bool:
        rows = self.gates()
        return (
            bool(rows)
            and not self.problems
            and not self.interrupted
            and not any(r.blocks for r in rows)
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.INTERRUPTED and not self.problems:
            self.interrupted = True
        if self.config.stash[STATE_KEY].problem is not None:
            # A broken profile is exit code 2, also under pytest-xdist (which would say 1).
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        if not self.gates() and not self.problems:
            # -k / --gate-only left nothing to evaluate: a bad invocation, never a pass.
            self.problems.append("no gate was selected (check -k and --gate-only)")
            if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
        self.written = "passed" if self.passed() else "failed"
        if self.written == "passed" and session.exitstatus == pytest.ExitCode.TESTS_FAILED:
            # Only members of advisory suite gates failed: reported, not failing the run.
            session.exitstatus = pytest.ExitCode.OK
        write_atomic(self.path, self.to_xml())
        self.config.hook.pytest_gates_verdict_written(
            config=self.config, path=str(self.path), verdict=self.written
        )

    def to_xml(self) -> bytes:
        state = self.config.stash[STATE_KEY]
        profile = state.profile_name
        classname = f"gates.{profile}"
        rows = self.gates()
        suite = ET.Element(
            "testsuite",
            {
                "name": classname,
                "hostname": platform.node(),
                "timestamp": datetime.fromtimestamp(self.started, UTC).isoformat(
                    timespec="seconds"
                ),
                "time": f"{time.time() - self.started:.3f}",
            },
        )
        props = ET.SubElement(suite, "properties")
        verdict = "passed" if self.passed() else "failed"
        _prop(props, "gate.profile", profile)
        _prop(props, "gate.verdict", verdict)
        _prop(props, "gate.revision", revision(state.rootdir))
        if self.interrupted:
            _prop(props, "gate.interrupted", "true")
        partial = self.partial()
        if partial:
            _prop(props, "gate.partial", partial)
        failures = errors = skipped = 0
        by_gate: dict[str, list[MemberCase]] = {}
        for member in self.members.values():
            by_gate.setdefault(member.gate, []).append(member)
        for row in rows:
            for member in by_gate.pop(row.id, []):
                f, e, s = _member_case(suite, f"{classname}.{row.id}", member, row.blocking)
                failures, errors, skipped = failures + f, errors + e, skipped + s
            _prop(props, f"gate.{row.id}.status", row.status)
            _prop(props, f"gate.{row.id}.measured", row.measured)
            _prop(props, f"gate.{row.id}.threshold", row.threshold)
            if not row.blocking:
                _prop(props, f"gate.{row.id}.blocking", "false")
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "classname": classname,
                    "name": row.id,
                    "time": f"{row.duration:.3f}",
                },
            )
            message = _clean(row.summary.splitlines()[0] if row.summary else row.status)
            if row.blocks and row.status == "failed":
                failures += 1
                el = ET.SubElement(
                    case, "failure", {"type": f"gate.{row.kind}", "message": message}
                )
                el.text = _clean(row.text)
            elif row.blocks:
                errors += 1
                kind = "gate.not-evaluated" if row.status == "not-evaluated" else "gate.error"
                el = ET.SubElement(case, "error", {"type": kind, "message": message})
                el.text = _clean(row.text)
            out = ET.SubElement(case, "system-out")
            prefix = (
                ""
                if row.blocking or row.status == "passed"
                else (f"ADVISORY (blocking: false), not failing the run: {row.status.upper()}\n")
            )
            out.text = _clean(prefix + row.text)
        for problem in self.problems:
            errors += 1
            case = ET.SubElement(suite, "testcase", {"classname": classname, "name": "profile"})
            el = ET.SubElement(
                case,
                "error",
                {
                    "type": "gate.profile",
                    "message": _clean(problem.splitlines()[0] if problem else ""),
                },
            )
            el.text = _clean(problem)
        tests = len(rows) + len(self.problems) + len(self.members)
        counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors)}
        suite.attrib.update({**counts, "skipped": str(skipped)})
        root = ET.Element(
            "testsuites", {"name": "pytest-gates", **counts, "time": suite.attrib["time"]}
        )
        root.append(suite)
        ET.indent(root)
        data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return data + b"\n"

    # -- terminal -------------------------------------------------------------------
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        rows = self.gates()
        tr = terminalreporter
        tr.write_sep("=", "gate verdict", bold=True)
        table = [("gate", "kind", "status", "measured", "threshold")]
        for r in rows:
            status = r.status if r.blocking or r.status == "passed" else f"{r.status} (advisory)"
            table.append((r.id, r.kind, status, r.measured, r.threshold))
        widths = [min(48, max(len(row[i]) for row in table)) for i in range(5)]
        for n, row in enumerate(table):
            line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            markup = {}
            if n:
                markup = (
                    {"green": True}
                    if row[2] == "passed"
                    else {"yellow": True}
                    if "advisory" in row[2]
                    else {"red": True}
                )
            tr.write_line(line.rstrip(), **markup)
        for r in rows:
            if not r.blocking and r.status != "passed":
                tr.write_line(f"advisory {r.id}: {r.summary}", yellow=True)
        for gate_id in self.config.stash[STATE_KEY].explain:
            explained = self.results.get(gate_id)
            if explained is not None:
                tr.write_sep("-", f"explanation of gate {gate_id}")
                tr.write_line(explained.text)
        for problem in self.problems:
            for n, line in enumerate(problem.splitlines()):
                tr.write_line(f"ERROR: {line}" if n == 0 else f"  {line}", red=True)
        verdict = self.written or ("passed" if self.passed() else "failed")
        partial = self.partial()
        if partial:
            tr.write_line(
                f"partial run ({partial}): the verdict covers the selected gates only, and a"
                " 'verdict' gate of a later stage will not accept it",
                yellow=True,
            )
        tr.write_line(
            f"verdict: {verdict.upper()}{' (partial)' if partial else ''} ({self.path})",
            green=verdict == "passed",
            red=verdict != "passed",
            bold=True,
        )


def _member_case(
    suite: ET.Element, classname: str, member: MemberCase, blocking: bool
) -> tuple[int, int, int]:
    """Write one member's testcase; returns the (failures, errors, skipped) it adds."""
    case = ET.SubElement(
        suite,
        "testcase",
        {"classname": classname, "name": member.nodeid, "time": f"{member.duration:.3f}"},
    )
    message = _clean(member.message[:500])
    out_lines = []
    counted = (0, 0, 0)
    if member.status == "skipped":
        ET.SubElement(case, "skipped", {"message": message}).text = _clean(member.text)
        counted = (0, 0, 1)
    elif member.status in ("failed", "error") and not blocking:
        out_lines.append(f"ADVISORY (blocking: false), not failing the run: {member.status}")
        out_lines.append(member.text)
    elif member.status == "failed":
        el = ET.SubElement(case, "failure", {"type": "gate.member", "message": message})
        el.text = _clean(member.text)
        counted = (1, 0, 0)
    elif member.status == "error":
        el = ET.SubElement(case, "error", {"type": "gate.member", "message": message})
        el.text = _clean(member.text)
        counted = (0, 1, 0)
    # Jenkins (JUnit attachments plugin) and GitLab read this line form in system-out.
    out_lines += [f"[[ATTACHMENT|{path}]]" for path in member.evidence]
    if out_lines:
        ET.SubElement(case, "system-out").text = _clean("\n".join(out_lines))
    return counted


def _prop(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "property", {"name": name, "value": _clean(value)})


def _clean(text: str) -> str:
    return _ILLEGAL_XML.sub("\ufffd", text)


def revision(rootdir: Path, getenv: Callable[[str], str | None] = os.environ.get) -> str:
    """The commit under test: from the CI's variables, else from git, else 'unknown'."""
    for name in REVISION_VARIABLES:
        value = getenv(name)
        if value:
            return value
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=rootdir,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
