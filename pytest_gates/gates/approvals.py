"""Kind ``approvals``: enough distinct reviewers approved the pull request (GitHub) or
merge request (GitLab)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from . import _github, _gitlab
from ._http import is_http_url
from ._reviews import Approvals
from ._webapi import WebApi, token_of, token_problems

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_PULL_REF = re.compile(r"^refs/pull/(\d+)/(?:merge|head)$")

# Per provider: where each input comes from when its setting is empty (CI variables).
_CI: Mapping[str, Mapping[str, Any]] = {
    "github": {
        "service": "GitHub API",
        "api_url": ("GITHUB_API_URL", "https://api.github.com"),
        "where": ("repo", ("GITHUB_REPOSITORY",)),
        "token_env": "GITHUB_TOKEN",
        "commit": ("GITHUB_SHA",),
        "noun": "pull request",
    },
    "gitlab": {
        "service": "GitLab API",
        "api_url": ("CI_API_V4_URL", "https://gitlab.com/api/v4"),
        "where": ("project", ("CI_MERGE_REQUEST_PROJECT_ID", "CI_PROJECT_ID")),
        "token_env": "GITLAB_TOKEN",
        "commit": ("CI_COMMIT_SHA",),
        "noun": "merge request",
    },
}


class ApprovalsGate(Gate):
    """Counts distinct approvers other than the author and compares to ``min_approvals``."""

    kind = "approvals"
    description = "approving reviews of the pull request (GitHub) or merge request (GitLab)"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "provider": Setting(
            str,
            default="auto",
            choices=("auto", "github", "gitlab"),
            help="github, gitlab, or auto (GITHUB_ACTIONS / GITLAB_CI tell)",
        ),
        "repo": Setting(str, default=None, help="GitHub owner/name (default: GITHUB_REPOSITORY)"),
        "project": Setting(
            str, default=None, help="GitLab project id or path (default: CI_PROJECT_ID)"
        ),
        "number": Setting(
            str,
            default=None,
            help="PR / MR number (default: GITHUB_REF refs/pull/N/..., CI_MERGE_REQUEST_IID)",
        ),
        "commit": Setting(
            str,
            default=None,
            help="without a number: the PR / MR this commit came from (default: GITHUB_SHA,"
            " CI_COMMIT_SHA)",
        ),
        "api_url": Setting(
            str,
            default=None,
            help="API root (default: GITHUB_API_URL / CI_API_V4_URL, else the public one)",
        ),
        "token": Setting(str, default=None, help="the token itself, from a variable: ${VAR}"),
        "token_env": Setting(
            str, default=None, help="variable holding the token (GITHUB_TOKEN / GITLAB_TOKEN)"
        ),
        "min_approvals": Setting(int, default=1, minimum=1, help="fewest distinct approvers"),
        "require_current_head": Setting(
            bool,
            default=True,
            help="GitHub: only approvals of the head commit count (earlier ones are stale)",
        ),
        "block_on_changes_requested": Setting(
            bool, default=True, help="GitHub: a reviewer's standing change request fails the gate"
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        # Values may come from variables: never echo them.
        problems = []
        if settings["provider"] == "github" and settings["project"]:
            problems.append("'project' is for GitLab; GitHub takes 'repo' (owner/name)")
        if settings["provider"] == "gitlab" and settings["repo"]:
            problems.append("'repo' is for GitHub; GitLab takes 'project' (an id or a path)")
        problems += token_problems(settings)
        api_url = settings["api_url"]
        if api_url and not is_http_url(api_url):
            problems.append("'api_url' must start with http:// or https://")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        provider, inputs = self._provider(ctx)
        ci = _CI[provider]
        key, envs = ci["where"]
        where, where_from = _pick(ctx, s[key], key, envs)
        if not where:
            raise GateError(
                f"no {'repository' if provider == 'github' else 'project'}: set {key!r}"
                f" (in CI, {' or '.join(envs)} gives it)"
            )
        if provider == "github" and not _REPO.match(where):
            raise GateError(f"{key!r} (from {where_from}) must be owner/name")
        inputs.append(f"{key} {where} from {where_from}")
        api_env, api_default = ci["api_url"]
        api_url, api_from = _pick(ctx, s["api_url"], "api_url", (api_env,))
        api_url, api_from = (api_url, api_from) if api_url else (api_default, "the default")
        hint = (
            f" (it must hold a {ci['service']} token that can read the repository; or set"
            " 'token_env')"
        )
        token, credential = token_of(ctx, s, ci["token_env"], hint)
        inputs.append(credential)
        module: Any = _github if provider == "github" else _gitlab
        api = WebApi(
            ctx,
            ci["service"],
            api_url,
            headers=module.headers(token or ""),
            secret=token,
            credential=credential,
        )
        number = self._number(ctx, provider, inputs)
        if number is None:
            sha, sha_from = _pick(ctx, s["commit"], "commit", ci["commit"])
            if not sha:
                raise GateError(
                    f"no {ci['noun']} to check: set 'number' (e.g. number: ${{PR_NUMBER}}) or"
                    " 'commit', or run in a GitHub Actions pull_request workflow or a GitLab"
                    " merge request pipeline"
                )
            if not _SHA.match(sha):
                raise GateError(f"'commit' (from {sha_from}) is not a commit id")
            inputs.append(f"commit {sha[:12]} from {sha_from}")
            lookup = module.pull_for_commit if provider == "github" else module.mr_for_commit
            number = lookup(api, where, sha)
            if number is None:
                result = Approvals(target=f"commit {sha[:12]} of {where}")
                result.lines.append(f"no {ci['noun']} contains commit {sha}: nobody reviewed it")
                return self._outcome(result, api, api_from, inputs, ci["noun"])
        result = module.collect(api, where, number, s["require_current_head"])
        return self._outcome(result, api, api_from, inputs, ci["noun"])

    def _provider(self, ctx: GateContext) -> tuple[str, list[str]]:
        provider = self.settings["provider"]
        if provider != "auto":
            return provider, [f"provider {provider}"]
        if ctx.env("GITHUB_ACTIONS") == "true":
            return "github", ["provider github (GITHUB_ACTIONS=true)"]
        if ctx.env("GITLAB_CI") == "true":
            return "gitlab", ["provider gitlab (GITLAB_CI=true)"]
        raise GateError(
            "provider auto: neither GITHUB_ACTIONS nor GITLAB_CI is 'true' here;"
            " set 'provider: github' or 'provider: gitlab'"
        )

    def _number(self, ctx: GateContext, provider: str, inputs: list[str]) -> int | None:
        text, text_from = _pick(ctx, self.settings["number"], "number", ())
        if not text and provider == "github":
            match = _PULL_REF.match(ctx.env("GITHUB_REF") or "")
            text, text_from = (match.group(1), "GITHUB_REF") if match else ("", "")
        if not text and provider == "gitlab":
            text, text_from = _pick(ctx, None, "number", ("CI_MERGE_REQUEST_IID",))
        if not text:
            return None
        if not text.lstrip("#!").isdigit() or int(text.lstrip("#!")) == 0:
            raise GateError(f"'number' (from {text_from}) is not a pull/merge request number")
        inputs.append(f"number {text.lstrip('#!')} from {text_from}")
        return int(text.lstrip("#!"))

    def _outcome(
        self, result: Approvals, api: WebApi, api_from: str, inputs: list[str], noun: str
    ) -> Outcome:
        need: int = self.settings["min_approvals"]
        block = self.settings["block_on_changes_requested"]
        count, blockers = len(result.approvers), result.changes_requested
        measured: dict[str, Any] = {"approvals": count}
        threshold: dict[str, Any] = {"approvals": f">= {need}"}
        closed = result.state == "closed"  # closed without being merged ("merged" otherwise)
        if closed:
            measured["closed unmerged"] = 1
            threshold["closed unmerged"] = "0"
        if block and api.service.startswith("GitHub"):
            measured["changes requested"] = len(blockers)
            threshold["changes requested"] = "<= 0"
        head = f"{noun} {result.target}"
        if result.title:
            head += f' "{result.title}" by {result.author} ({result.state})'
        lines = [head + (f" {result.url}" if result.url else "")]
        asked = (
            api.asked if len(api.asked) <= 6 else [*api.asked[:5], f"... {len(api.asked)} in all"]
        )
        lines.append(f"source: {api.service} {api.base_url} ({api_from}): {'; '.join(asked)}")
        lines.append("inputs: " + ", ".join(inputs))
        lines += result.lines
        lines.append(
            "rule: distinct reviewers other than the author; on GitHub each reviewer's latest"
            " APPROVED / CHANGES_REQUESTED / DISMISSED review decides (COMMENTED does not)"
        )
        who = ", ".join(result.approvers) or "nobody"
        if result.stale:
            who += f"; stale: {', '.join(result.stale)}"
        kw: dict[str, Any] = {
            "measured": measured,
            "threshold": threshold,
            "details": "\n".join(lines),
        }
        broken = []
        if closed:
            broken.append(f"{noun} {result.target} is closed without being merged")
        if count < need:
            broken.append(f"{_approvals(count)} < min_approvals {need}")
        if blockers and "changes requested" in threshold:
            broken.append(f"changes requested by {', '.join(blockers)}")
        if broken:
            return Outcome.failed(
                f"{'; '.join(broken)} on {result.target} (approved by {who})", **kw
            )
        return Outcome.passed(f"{_approvals(count)} >= {need} on {result.target} ({who})", **kw)


def _pick(
    ctx: GateContext, value: str | None, setting: str, envs: tuple[str, ...]
) -> tuple[str, str]:
    """The setting if given, else the first CI variable set: (value, where it came from)."""
    if value and value.strip():
        return value.strip(), f"setting {setting!r}"
    for name in envs:
        found = (ctx.env(name) or "").strip()
        if found:
            return found, name
    return "", ""


def _approvals(n: int) -> str:
    return f"{n} approval{'s' if n != 1 else ''}"
