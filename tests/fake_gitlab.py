"""GitLab's REST API v4 for merge requests and their approvals, served by tests/httpfake.py.

It answers as https://docs.gitlab.com/api/merge_requests/ and
https://docs.gitlab.com/api/merge_request_approvals/ document: ``GET
/projects/:id/merge_requests/:iid`` (author.username, sha, merge_commit_sha, web_url),
``GET /projects/:id/merge_requests/:iid/approvals`` (approvals_required, approvals_left,
approved_by: [{user: {...}}]), ``GET /projects/:id/repository/commits/:sha/merge_requests``;
``:id`` is a numeric id or the URL-encoded path (``group%2Fshop``).  Authentication with
``PRIVATE-TOKEN`` or ``Authorization: Bearer``; 401 ``{"message": "401 Unauthorized"}``,
404 ``{"message": "404 Project Not Found"}``, 429 with ``Retry-After`` and ``RateLimit-*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from httpfake import Request, Response


@dataclass
class MergeRequest:
    iid: int
    author: str
    title: str = "Add checkout"
    state: str = "opened"
    sha: str = "c" * 40
    merge_commit_sha: str | None = None
    squash_commit_sha: str | None = None
    approved_by: list[str] = field(default_factory=list)
    approvals_required: int = 0


class FakeGitLab:
    """``route`` for a FakeServer; ``projects[(id, path)][iid]`` are the merge requests."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.projects: dict[tuple[str, str], dict[int, MergeRequest]] = {}
        self.rate_limited = False

    def mr(self, project_id: int, path: str, iid: int, author: str, **kw: Any) -> MergeRequest:
        mr = MergeRequest(iid, author, **kw)
        self.projects.setdefault((str(project_id), path), {})[iid] = mr
        return mr

    def route(self, req: Request) -> Response:
        token = req.headers.get("PRIVATE-TOKEN") or req.headers.get("Private-Token")
        bearer = req.headers.get("Authorization", "")
        if token != self.token and bearer != f"Bearer {self.token}":
            return Response(401, {"message": "401 Unauthorized"})
        if self.rate_limited:
            return Response(
                429,
                "Retry later\n",
                {
                    "Retry-After": "30",
                    "RateLimit-Limit": "600",
                    "RateLimit-Observed": "601",
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": "1900000000",
                },
            )
        parts = req.path.split("/")
        # "", "api", "v4", "projects", ":id", ...
        if parts[:4] != ["", "api", "v4", "projects"] or len(parts) < 5:
            return Response(404, {"error": "404 Not Found"})
        found = self._project(unquote(parts[4]))
        if found is None:
            return Response(404, {"message": "404 Project Not Found"})
        (pid, path), mrs = found
        rest = parts[5:]
        if rest[:2] == ["repository", "commits"] and rest[3:] == ["merge_requests"]:
            sha = rest[2]
            return Response(
                200,
                [
                    self._mr_json(pid, path, m)
                    for m in mrs.values()
                    if sha in (m.sha, m.merge_commit_sha, m.squash_commit_sha)
                ],
            )
        if rest[:1] != ["merge_requests"] or len(rest) < 2 or not rest[1].isdigit():
            return Response(404, {"error": "404 Not Found"})
        mr = mrs.get(int(rest[1]))
        if mr is None:
            return Response(404, {"message": "404 Not found"})
        if len(rest) == 2:
            return Response(200, self._mr_json(pid, path, mr))
        if rest[2:] == ["approvals"]:
            return Response(200, self._approvals_json(pid, mr))
        return Response(404, {"error": "404 Not Found"})

    def _project(self, ref: str) -> tuple[tuple[str, str], dict[int, MergeRequest]] | None:
        for key, mrs in self.projects.items():
            if ref in key:
                return key, mrs
        return None

    def _mr_json(self, pid: str, path: str, mr: MergeRequest) -> dict[str, Any]:
        return {
            **_basics(pid, mr),
            "target_branch": "main",
            "source_branch": "feature",
            "author": _user(mr.author),
            "sha": mr.sha,
            "merge_commit_sha": mr.merge_commit_sha,
            "squash_commit_sha": mr.squash_commit_sha,
            "web_url": f"https://gitlab.example.com/{path}/-/merge_requests/{mr.iid}",
        }

    def _approvals_json(self, pid: str, mr: MergeRequest) -> dict[str, Any]:
        left = max(0, mr.approvals_required - len(mr.approved_by))
        return {
            **_basics(pid, mr),
            "merge_status": "can_be_merged" if not left else "cannot_be_merged",
            "approvals_required": mr.approvals_required,
            "approvals_left": left,
            "approved_by": [{"user": _user(name)} for name in mr.approved_by],
        }


def _user(username: str) -> dict[str, Any]:
    return {
        "id": sum(map(ord, username)),
        "username": username,
        "name": username.title(),
        "state": "active",
        "avatar_url": f"https://www.gravatar.com/avatar/{username}?s=80&d=identicon",
        "web_url": f"https://gitlab.example.com/{username}",
    }


def _basics(pid: str, mr: MergeRequest) -> dict[str, Any]:
    """What the merge request and its approvals answer both begin with."""
    return {
        "id": 5000 + mr.iid,
        "iid": mr.iid,
        "project_id": int(pid),
        "title": mr.title,
        "description": "",
        "state": mr.state,
        "created_at": "2026-03-01T09:00:00.000Z",
        "updated_at": "2026-03-01T11:00:00.000Z",
    }
