"""GitHub REST API (github.com and GitHub Enterprise Server): a pull request, its reviews
(every page), and the pull request a commit came from."""

from __future__ import annotations

from typing import Any

from ..api import GateError
from ._reviews import Approvals, Review, an_object, decide, the_request
from ._webapi import WebApi

PER_PAGE = 100  # the API's maximum
MAX_PAGES = 100  # 10,000 reviews: beyond that something loops


def headers(token: str) -> dict[str, str]:
    return {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": "2022-11-28",
    }


def collect(api: WebApi, repo: str, number: int, require_current_head: bool = True) -> Approvals:
    """``GET /repos/{repo}/pulls/{number}`` (the author, the head commit), then every page
    of ``GET /repos/{repo}/pulls/{number}/reviews``, decided by :func:`decide` (each
    review's ``commit_id`` against the head's ``sha``)."""
    pull = an_object(api.get_json(f"/repos/{repo}/pulls/{number}")[0], "GitHub", "pull request")
    author = _login(pull.get("user"))
    head = pull.get("head")
    head = head if isinstance(head, dict) else {}
    reviews, pages = _reviews(api, f"/repos/{repo}/pulls/{number}/reviews")
    head_sha = str(head.get("sha") or "")
    result = decide(reviews, author or "", head_sha, require_current_head)
    result.target = f"{repo}#{number}"
    result.title = str(pull.get("title") or "")
    result.author = author or "(unknown)"
    result.state = "merged" if pull.get("merged_at") else str(pull.get("state") or "")
    result.url = str(pull.get("html_url") or "")
    result.lines.insert(
        0, f"{len(reviews)} review(s) on {pages} page(s), latest decisive state per reviewer"
    )
    if require_current_head:
        result.lines.insert(
            1, f"only approvals of the head commit {head_sha[:12]} count (require_current_head)"
        )
    return result


def pull_for_commit(api: WebApi, repo: str, sha: str) -> int | None:
    """The pull request that brought ``sha`` in (``GET /repos/{repo}/commits/{sha}/pulls``):
    the merged one whose merge commit it is, else the only one; None when there is none."""
    body = api.get_json(f"/repos/{repo}/commits/{sha}/pulls", {"per_page": PER_PAGE})[0]
    if not isinstance(body, list):
        raise GateError(f"GitHub answered the pull requests of commit {sha[:12]} with a non-list")
    pulls = [p for p in body if isinstance(p, dict) and isinstance(p.get("number"), int)]
    merged_here = [p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == sha]
    return the_request(pulls, merged_here, "number", "pull request", repo, sha)


def _reviews(api: WebApi, path: str) -> tuple[list[Review], int]:
    reviews: list[Review] = []
    url: str | None = path
    params: dict[str, Any] | None = {"per_page": PER_PAGE}
    seen: set[str] = set()
    pages = 0
    while url is not None:
        body, _, links = api.get_json(url, params)
        if not isinstance(body, list):
            raise GateError(f"GitHub answered {path} with a {type(body).__name__}, not a list")
        reviews.extend(_review(item) for item in body)
        pages += 1
        url, params = links.get("next", {}).get("url"), None
        if url is not None and (url in seen or pages >= MAX_PAGES):
            raise GateError(f"GitHub's pages of {path} do not end (page {pages}: {url})")
        if url is not None:
            seen.add(url)
    return reviews, pages


def _review(item: Any) -> Review:
    if not isinstance(item, dict) or not isinstance(item.get("state"), str):
        raise GateError(f"GitHub listed a review without a state: {str(item)[:120]}")
    rid = item.get("id")
    return Review(
        id=rid if isinstance(rid, int) else None,
        login=_login(item.get("user")),
        state=item["state"].upper(),
        submitted_at=str(item.get("submitted_at") or ""),
        commit_id=str(item.get("commit_id") or ""),
    )


def _login(user: Any) -> str | None:
    if isinstance(user, dict) and isinstance(user.get("login"), str):
        return str(user["login"])
    return None
