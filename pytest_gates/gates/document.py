"""Kind ``document``: a Markdown document (a rollback plan, a runbook) is written and current."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.markdown import Outline, heading_key, outline
from ._git import GitMissing, git, shallow_boundary, work_tree

DAY = 86400.0


class DocumentGate(Gate):
    """The document exists, has content, has the required headings (each with at least
    ``min_words`` words of content under it; placeholders such as TODO do not count) and,
    optionally, was changed within ``max_age_days`` (by git, else by file mtime)."""

    kind = "document"
    description = "a Markdown document exists, has the required headings, and is recent"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "path": Setting(str, required=True, help="the Markdown file, rootdir-relative"),
        "required_headings": Setting(
            list, default=[], help="headings it must have (any level, any case)"
        ),
        "max_age_days": Setting(
            float, default=None, minimum=0, help="last change at most this many days ago"
        ),
        "min_words": Setting(
            int,
            default=3,
            minimum=1,
            help="fewest words of content under each required heading (and in the document)",
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        if not settings["path"].strip():
            problems.append("'path' is empty")
        if any(not heading_key(h) for h in settings["required_headings"]):
            problems.append("'required_headings' has an empty heading")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        path = ctx.path(s["path"])
        required: list[str] = s["required_headings"]
        max_age: float | None = s["max_age_days"]
        min_words: int = s.get("min_words", 3)
        threshold: dict[str, str] = {"content": f">= {min_words} words"}
        if required:
            threshold["headings"] = "all of: " + ", ".join(required)
            threshold["words per heading"] = f">= {min_words}"
        if max_age is not None:
            threshold["age"] = f"<= {max_age:g} days"
        kw: dict[str, Any] = {"threshold": threshold}
        if not path.exists():
            return Outcome.failed(
                f"{s['path']} does not exist",
                measured={"exists": "no"},
                details=f"looked for {path}",
                **kw,
            )
        text = _read(ctx, path)
        doc = outline(text)
        measured: dict[str, Any] = {"words": doc.words}
        lines = [f"document: {path}", _shape(doc)]
        if doc.placeholders:
            lines.append(
                f"not counted as content: {doc.placeholders} template line"
                f"{'s' if doc.placeholders != 1 else ''} (TODO, TBD, TK, FIXME, '...', empty"
                " list items and table rows, table headers)"
            )
        broken: list[str] = []
        if not doc.content_lines:
            broken.append("it has no content (only headings, comments, placeholders or whitespace)")
        elif doc.words < min_words:
            words = f"{doc.words} word{'s' if doc.words != 1 else ''}"
            broken.append(f"it has {words} of content < min_words {min_words}")
        if required:
            found = {h.key: h for h in doc.headings}
            missing = [h for h in required if heading_key(h) not in found]
            hollow = [
                h
                for h in required
                if heading_key(h) in found and not found[heading_key(h)].has_content
            ]
            thin = [
                f"{h} ({found[heading_key(h)].words})"
                for h in required
                if heading_key(h) in found
                and found[heading_key(h)].has_content
                and found[heading_key(h)].words < min_words
            ]
            measured["headings"] = f"{len(required) - len(missing)} of {len(required)}"
            if missing:
                broken.append("missing heading" + _plural(missing) + ": " + ", ".join(missing))
            if hollow:
                broken.append(
                    "nothing written under heading" + _plural(hollow) + ": " + ", ".join(hollow)
                )
            if thin:
                broken.append(
                    f"fewer than min_words {min_words} words under heading"
                    + _plural(thin)
                    + ": "
                    + ", ".join(thin)
                )
        if max_age is not None:
            changed, source = self._last_change(ctx, path, max_age)
            age = max(0.0, (ctx.now() - changed) / DAY)
            measured["age"] = f"{age:.1f} days"
            when = dt.datetime.fromtimestamp(changed, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            lines.append(f"last changed: {when} ({age:.1f} days ago), from {source}")
            if age > max_age:
                broken.append(f"last changed {age:.1f} days ago > max_age_days {max_age:g}")
        kw.update(measured=measured, details="\n".join(lines))
        if broken:
            return Outcome.failed(f"{s['path']}: " + "; ".join(broken), **kw)
        parts = [f"{doc.words} words"]
        if required:
            parts.append(f"all {len(required)} required headings")
        if "age" in measured:
            parts.append(f"changed {measured['age']} ago")
        return Outcome.passed(f"{s['path']}: " + ", ".join(parts), **kw)

    def _last_change(self, ctx: GateContext, path: Path, max_age: float) -> tuple[float, str]:
        """When the file last changed, and where that date comes from (git, else mtime)."""
        try:
            top = work_tree(ctx)
        except GitMissing:
            return _mtime(path, "git is not installed")
        if top is None:
            return _mtime(path, f"{ctx.rootdir} is not in a git repository")
        try:
            path.resolve().relative_to(top.resolve())
        except ValueError:
            return _mtime(path, f"it is outside the git work tree {top}")
        done = git(ctx, "log", "-1", "--format=%H %ct", "--", str(path))
        if not done.ok:
            raise GateError(f"git log cannot date {path}: {done.reason()}")
        if not done.stdout.strip():
            return _mtime(path, "it is not committed in git")
        commit, stamp = done.stdout.split()
        changed = float(stamp)
        source = f"git: last commit touching it, {commit[:12]} (git log -1 -- {path.name})"
        if commit in shallow_boundary(ctx):
            # History is cut at this commit: the file may have changed long before it.
            if (ctx.now() - changed) / DAY > max_age:
                return changed, source + "; the clone is shallow, the real change is older still"
            raise GateError(
                f"cannot date {path.name}: the git clone is shallow and its history starts at"
                f" {commit[:12]}, which only says the file changed at or before that commit;"
                " fetch the full history (actions/checkout 'fetch-depth: 0', GitLab"
                " 'GIT_DEPTH: 0') or deepen it past the last change"
            )
        return changed, source


def _read(ctx: GateContext, path: Path) -> str:
    try:
        with ctx.open(path) as fh:
            data = fh.read()
    except IsADirectoryError:
        raise GateError(f"{path} is a directory, not a document") from None
    except OSError as exc:
        raise GateError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GateError(f"{path} is not UTF-8 text (byte {exc.start})") from None


def _mtime(path: Path, why: str) -> tuple[float, str]:
    return path.stat().st_mtime, f"the file's modification time ({why})"


def _shape(doc: Outline) -> str:
    if not doc.headings:
        return f"{doc.content_lines} content lines, {doc.words} words, no heading"
    shown = "; ".join(
        f"{'#' * h.level} {h.text} (line {h.line}, {h.words} words)"
        if h.has_content
        else f"{'#' * h.level} {h.text} (line {h.line}, empty)"
        for h in doc.headings[:30]
    )
    more = f"; ... and {len(doc.headings) - 30} more" if len(doc.headings) > 30 else ""
    return f"{doc.content_lines} content lines, {doc.words} words; headings: {shown}{more}"


def _plural(items: list[str]) -> str:
    return "s" if len(items) != 1 else ""
