"""GitHub's REST API for pull requests and reviews, served by tests/httpfake.py.

It answers as https://docs.github.com/en/rest/pulls documents: review objects (id,
node_id, user, body, state, html_url, pull_request_url, author_association, _links,
submitted_at, commit_id) in chronological order; ``per_page`` (default 30, max 100) and
``page`` with an absolute ``Link`` header (next, last, first, prev); ``X-RateLimit-*``
headers on every answer; 401 "Bad credentials", 404 "Not Found", 403 with
``X-RateLimit-Remaining: 0`` when the rate limit is used up; ``Authorization: Bearer`` or
``token`` accepted.  ``prefix`` is ``/api/v3`` for GitHub Enterprise Server.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from httpfake import Request, Response

DOCS = "https://docs.github.com/rest"
RESET = 1_900_000_000  # X-RateLimit-Reset: a Unix time


@dataclass
class Pull:
    number: int
    author: str
    head: str = "a" * 40
    title: str = "Add checkout"
    state: str = "open"
    merge_commit_sha: str | None = None
    merged: bool = False
    reviews: list[dict[str, Any]] = field(default_factory=list)


class FakeGitHub:
    """``route`` for a FakeServer; ``repos[(owner, name)][number]`` are the pull requests."""

    def __init__(self, token: str, prefix: str = "") -> None:
        self.token = token
        self.prefix = prefix
        self.pulls: dict[str, dict[int, Pull]] = {}
        self.rate_limited = False
        self.secondary_limit = False
        self.failures = 0  # answer this many requests with 502 first
        self._ids = itertools.count(80)
        self.base = ""  # the server's URL, for absolute links

    def pull(self, repo: str, number: int, author: str, **kw: Any) -> Pull:
        pull = Pull(number, author, **kw)
        self.pulls.setdefault(repo, {})[number] = pull
        return pull

    def review(
        self, pull: Pull, login: str | None, state: str, commit: str | None = None
    ) -> dict[str, Any]:
        rid = next(self._ids)
        minute = len(pull.reviews)
        api = f"{self.base}{self.prefix}"
        review = {
            "id": rid,
            "node_id": f"MDE3OlB1bGxSZXF1ZXN0UmV2aWV3{rid}",
            "user": None if login is None else _user(login),
            "body": "",
            "state": state,
            "html_url": f"https://github.com/octo/shop/pull/{pull.number}#pullrequestreview-{rid}",
            "pull_request_url": f"{api}/repos/octo/shop/pulls/{pull.number}",
            "author_association": "MEMBER",
            "_links": {
                "html": {"href": f"https://github.com/octo/shop/pull/{pull.number}"},
                "pull_request": {"href": f"{api}/repos/octo/shop/pulls/{pull.number}"},
            },
            "submitted_at": None if state == "PENDING" else f"2026-03-01T10:{minute:02d}:00Z",
            "commit_id": commit or pull.head,
        }
        pull.reviews.append(review)
        return review

    def route(self, req: Request) -> Response:
        limits = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "0" if self.rate_limited else "4999",
            "X-RateLimit-Reset": str(RESET),
            "X-RateLimit-Used": "5000" if self.rate_limited else "1",
            "X-RateLimit-Resource": "core",
        }
        auth = req.headers.get("Authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            return Response(401, {"message": "Bad credentials", "documentation_url": DOCS})
        if self.rate_limited:
            return Response(
                403,
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": DOCS,
                },
                limits,
            )
        if self.secondary_limit:
            return Response(
                403,
                {"message": "You have exceeded a secondary rate limit.", "documentation_url": DOCS},
                {**limits, "Retry-After": "60"},
            )
        if self.failures:
            self.failures -= 1
            return Response(502, {"message": "Server Error"}, limits)
        if not req.path.startswith(self.prefix + "/repos/"):
            return _not_found(limits)
        parts = req.path[len(self.prefix) + len("/repos/") :].split("/")
        repo = "/".join(parts[:2])
        rest = parts[2:]
        if rest[:1] == ["commits"] and rest[2:] == ["pulls"] and len(rest) == 3:
            return Response(200, self._pulls_of_commit(repo, rest[1]), limits)
        if rest[:1] != ["pulls"] or len(rest) < 2 or not rest[1].isdigit():
            return _not_found(limits)
        pull = self.pulls.get(repo, {}).get(int(rest[1]))
        if pull is None:
            return _not_found(limits)
        if len(rest) == 2:
            return Response(200, self._pull_json(repo, pull), limits)
        if rest[2:] == ["reviews"]:
            return self._page(req, pull.reviews, limits)
        return _not_found(limits)

    def _page(self, req: Request, items: list[dict[str, Any]], limits: dict[str, str]) -> Response:
        per_page = min(int(req.query.get("per_page", "30")), 100)
        page = int(req.query.get("page", "1"))
        last = max(1, -(-len(items) // per_page))
        body = items[(page - 1) * per_page : page * per_page]
        url = f"{self.base}{req.path}?per_page={per_page}&page="
        links = []
        if page < last:
            links += [f'<{url}{page + 1}>; rel="next"', f'<{url}{last}>; rel="last"']
        if page > 1:
            links += [f'<{url}1>; rel="first"', f'<{url}{page - 1}>; rel="prev"']
        headers = dict(limits)
        if links:
            headers["Link"] = ", ".join(links)
        return Response(200, body, headers)

    def _pull_json(self, repo: str, pull: Pull) -> dict[str, Any]:
        api = f"{self.base}{self.prefix}/repos/{repo}"
        return {
            "url": f"{api}/pulls/{pull.number}",
            "id": 1000 + pull.number,
            "node_id": f"MDExOlB1bGxSZXF1ZXN0{pull.number}",
            "html_url": f"https://github.com/{repo}/pull/{pull.number}",
            "number": pull.number,
            "state": "closed" if pull.merged else pull.state,
            "locked": False,
            "title": pull.title,
            "user": _user(pull.author),
            "body": "",
            "created_at": "2026-03-01T09:00:00Z",
            "updated_at": "2026-03-01T11:00:00Z",
            "closed_at": "2026-03-01T12:00:00Z" if pull.merged else None,
            "merged_at": "2026-03-01T12:00:00Z" if pull.merged else None,
            "merge_commit_sha": pull.merge_commit_sha,
            "head": {"label": "octo:feature", "ref": "feature", "sha": pull.head},
            "base": {"label": "octo:main", "ref": "main", "sha": "b" * 40},
            "draft": False,
            "merged": pull.merged,
        }

    def _pulls_of_commit(self, repo: str, sha: str) -> list[dict[str, Any]]:
        return [
            self._pull_json(repo, p)
            for p in self.pulls.get(repo, {}).values()
            if sha in (p.head, p.merge_commit_sha)
        ]


def _user(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": sum(map(ord, login)),
        "node_id": "MDQ6VXNlcjE=",
        "avatar_url": f"https://github.com/images/{login}.gif",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "Bot" if login.endswith("[bot]") else "User",
        "site_admin": False,
    }


def _not_found(limits: dict[str, str]) -> Response:
    return Response(404, {"message": "Not Found", "documentation_url": DOCS}, limits)
