"""Running git for the gate kinds that read the repository (``document``, ``change-ticket``).

git runs as a subprocess in the gate's rootdir (or a folder given), with an English locale so
that its messages can be told apart ("not a git repository" versus "dubious ownership"),
and with a timeout bounded by the gate's own.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..api import GateContext, GateError

GIT_TIMEOUT = 30.0  # seconds for one git command when the gate has no timeout of its own


class GitMissing(Exception):
    """git is not installed (no ``git`` executable on PATH)."""


@dataclass(frozen=True)
class GitResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def reason(self) -> str:
        """git's own one-line complaint (its last stderr line)."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.returncode}"


def git(ctx: GateContext, *args: str, cwd: Path | None = None) -> GitResult:
    """Run ``git args...`` in ``cwd`` (default: the rootdir); never raises for git's exit code.

    Raises :class:`GitMissing` when git is not installed and :class:`GateError` when it does
    not answer in time.
    """
    timeout = GIT_TIMEOUT
    remaining = ctx.remaining()
    if remaining is not None:
        timeout = min(timeout, remaining)
    if timeout <= 0:
        raise GateError(f"no time left to run git {' '.join(args)} (setting 'timeout')")
    # LC_ALL=C: git's messages in English, so that "not a git repository" can be recognised.
    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": "", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or ctx.rootdir,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
            env=env,
        )
    except FileNotFoundError:
        raise GitMissing("git is not installed (no 'git' on PATH)") from None
    except subprocess.TimeoutExpired:
        raise GateError(f"git {' '.join(args)} did not answer within {timeout:g} s") from None
    return GitResult(done.returncode, done.stdout, done.stderr)


def work_tree(ctx: GateContext, where: Path | None = None) -> Path | None:
    """The top folder of the git work tree containing ``where`` (default: the rootdir).

    None when it is not in a git work tree.  Any other git failure (for example "detected
    dubious ownership" in a CI container) is a :class:`GateError`: it must not pass for
    "not in git".
    """
    done = git(ctx, "rev-parse", "--show-toplevel", cwd=where)
    if done.ok and done.stdout.strip():
        return Path(done.stdout.strip())
    if "not a git repository" in done.stderr:
        return None
    raise GateError(f"git cannot read the repository at {where or ctx.rootdir}: {done.reason()}")


def shallow_boundary(ctx: GateContext) -> set[str]:
    """Commits where a shallow clone's history is cut (empty for a full clone)."""
    done = git(ctx, "rev-parse", "--is-shallow-repository")
    if not done.ok or done.stdout.strip() != "true":
        return set()
    path = git(ctx, "rev-parse", "--git-path", "shallow")
    if not path.ok:
        return set()
    shallow = Path(path.stdout.strip())
    if not shallow.is_absolute():
        shallow = ctx.rootdir / shallow
    try:
        with ctx.open(shallow) as fh:
            text = fh.read().decode("ascii", "replace")
    except OSError:
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}
