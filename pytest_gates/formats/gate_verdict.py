"""A pytest-gates verdict read back: the JUnit XML that ``pytest --gate=NAME`` writes.

Its ``<testsuite>`` properties say ``gate.profile``, ``gate.verdict`` (passed | failed),
``gate.revision``, maybe ``gate.interrupted``, and per gate ``gate.<id>.status``,
``.measured``, ``.threshold`` and ``.blocking`` (``false`` for advisory gates); a failed or
errored gate's ``<testcase>`` has a ``<failure>``/``<error>`` whose ``message`` is its
one-line verdict.  Parsed with the hostile-input-safe expat of :mod:`.xmlsafe` (no entities,
no external DTDs).  Knows nothing of pytest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .errors import FormatError
from .xmlsafe import make_parser, parse_file

TOP = ("profile", "verdict", "revision", "interrupted", "partial")


@dataclass
class GateLine:
    id: str
    status: str = ""
    measured: str = ""
    threshold: str = ""
    blocking: bool = True
    message: str = ""  # the <failure>/<error> message of its testcase


@dataclass
class GateVerdict:
    path: str
    suite: str
    profile: str
    verdict: str
    revision: str
    interrupted: bool
    timestamp: str
    partial: str = ""  # how the run left gates out (-k, --gate-only...); '' = whole profile
    gates: dict[str, GateLine] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # testcases 'profile': a broken profile

    def not_passed(self) -> list[GateLine]:
        return [g for g in self.gates.values() if g.status != "passed"]


def read_verdict(path: str | os.PathLike[str]) -> GateVerdict:
    """Read a verdict; a file that is not one is a :class:`FormatError`."""
    suites: list[dict[str, Any]] = []
    stack: list[str] = []
    case: dict[str, str] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        parent = stack[-1] if stack else None
        if not stack and name not in ("testsuites", "testsuite"):
            raise FormatError(path, f"not a JUnit XML verdict: the root element is <{name}>")
        stack.append(name)
        if name == "testsuite":
            suites.append({"attrs": attrs, "props": {}, "cases": []})
        elif name == "property" and parent == "properties" and len(stack) >= 3:
            if stack[-3] == "testsuite" and suites:
                suites[-1]["props"][attrs.get("name", "")] = attrs.get("value", "")
        elif name == "testcase" and suites:
            case.clear()
            case["name"] = attrs.get("name", "")
            suites[-1]["cases"].append(case.copy())
        elif name in ("failure", "error") and parent == "testcase" and suites:
            suites[-1]["cases"][-1]["message"] = attrs.get("message", "")

    def end(name: str) -> None:
        stack.pop()

    parser = make_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parse_file(path, parser)
    ours = [s for s in suites if "gate.profile" in s["props"]]
    if not ours:
        raise FormatError(
            path,
            "not a pytest-gates verdict: no testsuite has a gate.profile property"
            f" ({len(suites)} testsuite{'s' if len(suites) != 1 else ''} read)",
        )
    if len(ours) > 1:
        raise FormatError(path, f"{len(ours)} gate verdicts in one file; expected one")
    return _verdict(path, ours[0])


def _verdict(path: str | os.PathLike[str], suite: dict[str, Any]) -> GateVerdict:
    props: dict[str, str] = suite["props"]
    result = GateVerdict(
        path=os.fspath(path),
        suite=suite["attrs"].get("name", ""),
        profile=props.get("gate.profile", ""),
        verdict=props.get("gate.verdict", ""),
        revision=props.get("gate.revision", ""),
        interrupted=props.get("gate.interrupted") == "true",
        timestamp=suite["attrs"].get("timestamp", ""),
        partial=props.get("gate.partial", ""),
    )
    for name, value in props.items():
        rest = name.removeprefix("gate.")
        if rest == name or rest in TOP or "." not in rest:
            continue
        gate_id, key = rest.rsplit(".", 1)
        line = result.gates.setdefault(gate_id, GateLine(gate_id))
        if key == "status":
            line.status = value
        elif key == "measured":
            line.measured = value
        elif key == "threshold":
            line.threshold = value
        elif key == "blocking":
            line.blocking = value != "false"
    for case in suite["cases"]:
        if case["name"] in result.gates and case.get("message"):
            result.gates[case["name"]].message = case["message"]
        elif case["name"] == "profile" and "message" in case:
            result.problems.append(case["message"])
    return result
