"""Kind ``verdict``: an earlier stage's verdict passed, for this profile and this revision.

Chains stages: production runs only what staging passed.  The verdict is the JUnit XML a
``pytest --gate=staging`` run wrote, read from a file (a downloaded CI artifact) or a URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.errors import FormatError
from ..formats.gate_verdict import GateVerdict, read_verdict
from ..verdict import revision, write_atomic
from ._http import fetch, is_http_url
from ._httptext import shown_url

SHOWN = 10  # gates named in the one-line summary


class VerdictGate(Gate):
    """The verdict is for ``profile``, says passed (every blocking gate passed) and is for
    the revision this run is for (CI variables, else ``git rev-parse HEAD``)."""

    kind = "verdict"
    description = "an earlier stage's verdict passed for the same revision"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "profile": Setting(str, required=True, help="the profile the verdict must be for"),
        "path": Setting(str, default=None, help="the verdict file (rootdir-relative)"),
        "url": Setting(str, default=None, help="or: a URL answering the verdict file"),
        "allow_partial": Setting(
            bool,
            default=False,
            help="accept a verdict of a run that left gates out (-k, -m, --gate-only)",
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        if (settings["path"] is None) == (settings["url"] is None):
            problems.append("set exactly one of 'path' and 'url' (where the verdict is)")
        url = settings["url"]
        if url is not None and not is_http_url(url):
            problems.append(f"'url' {shown_url(url)!r} is not an http(s):// URL")
        if not settings["profile"].strip():
            problems.append("'profile' is empty")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        want: str = s["profile"]
        lines: list[str] = []
        evidence: tuple[str, ...] = ()
        if s["url"]:
            path = self._download(ctx, s["url"], want)
            lines.append(f"verdict: {shown_url(s['url'])}, saved as {path}")
            evidence = (str(path),)
        else:
            path = ctx.path(s["path"])
            lines.append(f"verdict: {path}")
        try:
            found = read_verdict(path)
        except FormatError as exc:
            raise GateError(f"cannot read the {want} verdict {exc}") from None
        current = revision(ctx.rootdir, ctx.env)
        if current == "unknown":
            raise GateError(
                "this run's revision is unknown (no CI commit variable such as GITHUB_SHA or"
                f" CI_COMMIT_SHA, and {ctx.rootdir} is not a git checkout): cannot tell whether"
                f" the {want} verdict is for it"
            )
        lines.append(
            f"written {found.timestamp or '(no timestamp)'} by profile {found.profile!r}"
            f" (suite {found.suite!r}) for revision {found.revision or '(none)'};"
            f" this run: {current}"
        )
        lines.extend(_gate_line(g) for g in found.gates.values())
        lines.extend(f"  profile problem: {p}" for p in found.problems)
        if found.partial:
            lines.append(f"partial run: {found.partial}")
        measured = {
            "profile": found.profile,
            "verdict": found.verdict or "(none)",
            "revision": _short(found.revision) or "(none)",
        }
        threshold = {
            "profile": want,
            "verdict": "passed",
            "revision": f"{_short(current)} (this run)",
        }
        kw: dict[str, Any] = {"measured": measured, "threshold": threshold, "evidence": evidence}
        kw["details"] = "\n".join(lines)
        broken = _judge(found, want, current)
        if found.partial and not s["allow_partial"]:
            broken.append(
                f"the {want} verdict is of a partial run ({found.partial}): it does not"
                " vouch for the whole profile (setting allow_partial)"
            )
        if broken:
            return Outcome.failed("; ".join(broken), **kw)
        n = len(found.gates)
        return Outcome.passed(
            f"the {want} verdict passed ({n} gate{'s' if n != 1 else ''}) for revision"
            f" {_short(current)}",
            **kw,
        )

    def _download(self, ctx: GateContext, url: str, profile: str) -> Any:
        answer = fetch(ctx, url, "verdict", headers={"Accept": "application/xml"})
        if not 200 <= answer.status < 300:
            raise GateError(
                f"cannot get the {profile} verdict: {shown_url(url)} answered HTTP {answer.status}"
            )
        path = ctx.evidence_dir() / f"verdict-{profile}.xml"
        write_atomic(path, answer.body)
        return path


def _judge(found: GateVerdict, want: str, current: str) -> list[str]:
    """What keeps the verdict from vouching for this run (empty: it vouches)."""
    broken = []
    if found.profile != want:
        broken.append(f"the verdict is for profile {found.profile!r}, not {want!r}")
    blocking = [g for g in found.not_passed() if g.blocking]
    if found.verdict != "passed" or blocking or found.problems or found.interrupted:
        why = [f"{g.id} {g.status}" + (f" ({g.message})" if g.message else "") for g in blocking]
        why += [f"profile broken ({p})" for p in found.problems[:2]]
        if found.interrupted:
            why.append("the run was interrupted")
        more = f"; and {len(why) - SHOWN} more" if len(why) > SHOWN else ""
        listed = f": {'; '.join(why[:SHOWN])}{more}" if why else ""
        broken.append(f"the {found.profile} verdict is {found.verdict or 'not given'}{listed}")
    elif not found.gates:
        broken.append(f"the {found.profile} verdict lists no gate")
    theirs = found.revision.strip()
    if not theirs or theirs == "unknown":
        broken.append(
            f"the {found.profile} verdict does not name its revision"
            f" ({theirs or 'no gate.revision'}), so it cannot vouch for {_short(current)}"
        )
    elif theirs.casefold() != current.strip().casefold():
        broken.append(
            f"the {found.profile} verdict is for revision {theirs}, this run is for {current}"
        )
    return broken


def _gate_line(g: Any) -> str:
    advisory = " (advisory)" if not g.blocking else ""
    msg = f" - {g.message}" if g.message and g.status != "passed" else ""
    return f"  {g.id}: {g.status}{advisory}  {g.measured}{msg}"


def _short(rev: str) -> str:
    """A commit id shortened to 12 characters; other revisions as they are."""
    rev = rev.strip()
    if len(rev) == 40 and all(c in "0123456789abcdefABCDEF" for c in rev):
        return rev[:12]
    return rev
