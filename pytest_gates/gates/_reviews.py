"""How code reviews become approvals: the result both providers hand to the ``approvals``
kind, GitHub's rule for turning a pull request's review history into approvers, and what
both providers do alike (the request a commit came from, an answer that must be an object)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api import GateError

# The review states that set a reviewer's standing on GitHub.  COMMENTED does not: a
# reviewer who approves and then comments still approves (GitHub's reviewers list and
# branch protection agree).  A dismissed review's state becomes DISMISSED, and then it
# is that reviewer's latest word (the approval no longer counts) until they review again.
DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


@dataclass
class Approvals:
    """What a provider found for one pull/merge request."""

    target: str  # "octo/shop#42", "group/shop!7"
    approvers: list[str] = field(default_factory=list)  # counted, distinct, author excluded
    changes_requested: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # "bob on aaaaaaa": approved another commit
    title: str = ""
    author: str = ""
    state: str = ""
    url: str = ""
    lines: list[str] = field(default_factory=list)  # who approved, who did not count and why


@dataclass(frozen=True)
class Review:
    """One GitHub review, as ``GET /repos/{owner}/{repo}/pulls/{n}/reviews`` lists it."""

    id: int | None
    login: str | None  # None: the account was deleted ("ghost")
    state: str
    submitted_at: str = ""
    commit_id: str = ""


def decide(
    reviews: Iterable[Review], author: str, head: str, require_head: bool = True
) -> Approvals:
    """Each reviewer's latest APPROVED / CHANGES_REQUESTED / DISMISSED review decides;
    distinct reviewers; the author's own reviews never count; with ``require_head`` an
    approval counts only when its ``commit_id`` is ``head`` (else it is stale: it approved
    code that has changed since).  ``reviews`` in the API's (chronological) order.  Fills
    approvers, changes_requested, stale and the explanation."""
    if require_head and not head:
        raise GateError("the pull request names no head commit: cannot tell current approvals")
    result = Approvals(target="")
    names: dict[str, str] = {}
    history: dict[str, list[Review]] = {}
    commented: list[str] = []
    pending = ghosts = 0
    unknown: Counter[str] = Counter()
    deciding: dict[str, int] = {}  # reviewer -> position of their deciding review
    for i, review in enumerate(reviews):
        if review.login is None:
            ghosts += 1
            continue
        key = review.login.lower()  # GitHub logins are case-insensitive
        names.setdefault(key, review.login)
        if review.state == "PENDING":
            pending += 1
        elif review.state == "COMMENTED":
            if key not in commented:
                commented.append(key)
        elif review.state in DECISIVE:
            history.setdefault(key, []).append(review)
            deciding[key] = i
        else:
            unknown[review.state] += 1
    author_key = author.lower()
    lines = result.lines
    # In the order of each reviewer's deciding review.
    for key in sorted(history, key=deciding.__getitem__):
        name, reviews_of, last = names[key], history[key], history[key][-1]
        approvals = [r for r in reviews_of if r.state == "APPROVED"]
        if key == author_key:
            lines.append(f"not counted: {name} is the author ({_states(reviews_of)})")
            continue
        if last.state == "APPROVED" and require_head and last.commit_id != head:
            approved = f"commit {last.commit_id[:7]}" if last.commit_id else "no named commit"
            result.stale.append(f"{name} on {last.commit_id[:7] or '?'}")
            lines.append(
                f"stale, not counted: {name} approved {approved}, not the head {head[:7]}"
                f" ({_at(last)}); a new approval of the head would count"
            )
        elif last.state == "APPROVED":
            result.approvers.append(name)
            note = f"approved: {name} ({_at(last)}"
            if head and last.commit_id and last.commit_id != head:
                note += f", on an earlier commit {last.commit_id[:7]}"
            if len(approvals) > 1:
                note += f", approved {len(approvals)} times, counted once"
            lines.append(note + ")")
        elif last.state == "CHANGES_REQUESTED":
            result.changes_requested.append(name)
            if approvals:
                lines.append(
                    f"approval superseded: {name} approved ({_at(approvals[-1])}), then"
                    f" requested changes ({_at(last)})"
                )
            else:
                lines.append(f"changes requested: {name} ({_at(last)})")
        else:
            what = "approval" if approvals else "review"
            lines.append(
                f"{what} dismissed: {name} (review {last.id} is DISMISSED, not counted;"
                " a new approval would count)"
            )
    others = [names[k] for k in commented if k not in history and k != author_key]
    if others:
        lines.append(f"commented only (a comment neither approves nor withdraws): {_list(others)}")
    if pending:
        lines.append(f"not counted: {pending} pending (unsubmitted) review(s)")
    if ghosts:
        lines.append(f"not counted: {ghosts} review(s) by deleted accounts")
    for state, n in sorted(unknown.items()):
        lines.append(f"not counted: {n} review(s) in unknown state {state!r}")
    return result


def _at(review: Review) -> str:
    return f"review {review.id}" + (f" at {review.submitted_at}" if review.submitted_at else "")


def _states(reviews: list[Review]) -> str:
    return ", ".join(r.state for r in reviews)


def _list(names: list[str]) -> str:
    return ", ".join(names)


def the_request(
    found: Sequence[dict[str, Any]],
    merged_here: Sequence[dict[str, Any]],
    key: str,
    what: str,
    where: str,
    sha: str,
) -> int | None:
    """The pull request (``key`` ``number``) or merge request (``iid``) that brought
    commit ``sha`` in: the merged one whose merge commit it is, else the only one; None
    when there is none; several is a GateError that lists them."""
    if len(merged_here) == 1:
        return int(merged_here[0][key])
    if len(found) == 1:
        return int(found[0][key])
    if not found:
        return None
    mark = "!" if key == "iid" else "#"  # GitLab's !7, GitHub's #42
    listed = ", ".join(f"{mark}{f[key]}" for f in found[:10])
    raise GateError(
        f"{len(found)} {what}s of {where} contain commit {sha[:12]} ({listed});"
        " set 'number' to the one to check"
    )


def an_object(body: Any, provider: str, what: str) -> dict[str, Any]:
    """``body`` when it is a JSON object, else a GateError."""
    if not isinstance(body, dict):
        raise GateError(
            f"{provider} answered the {what} with a {type(body).__name__}, not an object"
        )
    return body
