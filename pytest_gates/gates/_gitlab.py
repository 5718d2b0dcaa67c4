"""GitLab REST API v4 (gitlab.com and self-managed): a merge request, its approvals, and
the merge request a commit came from."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..api import GateError
from ._reviews import Approvals, an_object, the_request
from ._webapi import WebApi


def headers(token: str) -> dict[str, str]:
    # "Authorization: Bearer" takes personal, project and group access tokens (as the
    # PRIVATE-TOKEN header does) and OAuth tokens too (which PRIVATE-TOKEN does not).
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def project_path(project: str) -> str:
    """A numeric id as it is, a ``group/sub/name`` path URL-encoded (``/`` as ``%2F``)."""
    return project if project.isdigit() else quote(project, safe="")


def collect(api: WebApi, project: str, iid: int, require_current_head: bool = True) -> Approvals:
    """``GET /projects/:id/merge_requests/:iid`` (the author) and
    ``GET /projects/:id/merge_requests/:iid/approvals`` (``approved_by``)."""
    base = f"/projects/{project_path(project)}/merge_requests/{iid}"
    mr = an_object(api.get_json(base)[0], "GitLab", "merge request")
    state = an_object(api.get_json(base + "/approvals")[0], "GitLab", "approval state")
    author = _username(mr.get("author")) or ""
    approved_by = state.get("approved_by")
    if not isinstance(approved_by, list):
        raise GateError(f"GitLab's approvals of {project}!{iid} have no 'approved_by' list")
    result = Approvals(
        target=f"{project}!{iid}",
        title=str(mr.get("title") or ""),
        author=author or "(unknown)",
        state=str(mr.get("state") or ""),
        url=str(mr.get("web_url") or ""),
    )
    seen: set[str] = set()
    for entry in approved_by:
        name = _username(entry.get("user") if isinstance(entry, dict) else None)
        if name is None:
            raise GateError(f"GitLab listed an approval without a user: {str(entry)[:120]}")
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        if name.lower() == author.lower():
            result.lines.append(f"not counted: {name} is the author")
        else:
            result.approvers.append(name)
            result.lines.append(f"approved: {name}")
    result.lines.insert(0, f"{len(approved_by)} approval(s) in approved_by")
    if require_current_head:
        # The approvals API names no commit per approval; whether a push resets them is the
        # project's "Reset approvals on push" setting, which this gate does not read.
        result.lines.append(
            "require_current_head: GitLab lists approvals without their commit; approvals"
            " of earlier commits are dropped only if the project resets approvals on push"
        )
    rules = [
        f"{key} {state[key]}"
        for key in ("approvals_required", "approvals_left")
        if isinstance(state.get(key), int)
    ]
    if rules:
        result.lines.append(
            f"GitLab's own approval rules (not used by this gate): {', '.join(rules)}"
        )
    return result


def mr_for_commit(api: WebApi, project: str, sha: str) -> int | None:
    """The merge request that brought ``sha`` in
    (``GET /projects/:id/repository/commits/:sha/merge_requests``): the merged one whose
    merge or squash commit it is, else the only one; None when there is none."""
    path = f"/projects/{project_path(project)}/repository/commits/{sha}/merge_requests"
    body = api.get_json(path)[0]
    if not isinstance(body, list):
        raise GateError(f"GitLab answered the merge requests of commit {sha[:12]} with a non-list")
    mrs = [m for m in body if isinstance(m, dict) and isinstance(m.get("iid"), int)]
    merged_here = [
        m
        for m in mrs
        if m.get("state") == "merged"
        and sha in (m.get("merge_commit_sha"), m.get("squash_commit_sha"))
    ]
    return the_request(mrs, merged_here, "iid", "merge request", project, sha)


def _username(user: Any) -> str | None:
    if isinstance(user, dict) and isinstance(user.get("username"), str):
        return str(user["username"])
    return None
