"""The ``approvals`` kind against local servers that answer as GitHub's and GitLab's REST
APIs document (tests/fake_github.py, tests/fake_gitlab.py): no patching, real HTTP."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from fake_gitlab import FakeGitLab
from httpfake import FakeServer, Response, fake_server
from secrecy import assert_hidden, run_output, shown

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.gates.approvals import ApprovalsGate

from conftest import Profile

__all__ = ["fake_server"]  # the fixture, imported for this module's tests

TOKEN = "ghp_S3cretT0kenValue0123456789abcdef"
GL_TOKEN = "glpat-S3cretGitLabToken42"
DEFAULTS: dict[str, Any] = {
    name: setting.default for name, setting in ApprovalsGate.settings_schema.items()
}


@pytest.fixture
def github(fake_server: FakeServer) -> FakeGitHub:
    fake = FakeGitHub(TOKEN)
    fake.base = fake_server.url
    fake_server.route = fake.route
    return fake


@pytest.fixture
def gitlab(fake_server: FakeServer) -> FakeGitLab:
    fake = FakeGitLab(GL_TOKEN)
    fake_server.route = fake.route
    return fake


def evaluate(tmp_path: Path, env: dict[str, str] | None = None, **settings: Any) -> Outcome:
    gate = ApprovalsGate({**DEFAULTS, **settings})
    return gate.evaluate(RunContext("approvals", tmp_path, environ=env or {}))


def gh(server: FakeServer, tmp_path: Path, number: str = "42", **kw: Any) -> Outcome:
    env = {"GITHUB_TOKEN": TOKEN, **kw.pop("env", {})}
    settings = {"provider": "github", "repo": "octo/shop", "number": number, "api_url": server.url}
    return evaluate(tmp_path, env, **{**settings, **kw})


# -- GitHub ----------------------------------------------------------------------------


def test_two_approvals_pass_and_the_request_is_authenticated(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    github.review(pull, "bob", "COMMENTED")
    github.review(pull, "bob", "APPROVED")
    outcome = gh(fake_server, tmp_path, min_approvals=2)
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.summary == "2 approvals >= 2 on octo/shop#42 (alice, bob)"
    assert outcome.measured == {"approvals": 2, "changes requested": 0}
    assert outcome.threshold == {"approvals": ">= 2", "changes requested": "<= 0"}
    assert [r.path for r in fake_server.requests] == [
        "/repos/octo/shop/pulls/42",
        "/repos/octo/shop/pulls/42/reviews",
    ]
    for req in fake_server.requests:
        assert req.headers["Authorization"] == f"Bearer {TOKEN}"
        assert req.headers["Accept"] == "application/vnd.github+json"
    assert fake_server.requests[1].query == {"per_page": "100"}
    assert 'pull request octo/shop#42 "Add checkout" by dave (open)' in outcome.details
    assert "inputs: provider github, repo octo/shop from setting 'repo'" in outcome.details
    assert "the token in GITHUB_TOKEN" in outcome.details
    assert_hidden(shown(outcome), TOKEN)


def test_reviews_on_two_pages_are_all_read(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    for i in range(120):  # 120 comments, then the only approval is on page 2
        github.review(pull, f"user{i % 7}", "COMMENTED")
    github.review(pull, "carol", "APPROVED")
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.summary == "1 approval >= 1 on octo/shop#42 (carol)"
    pages = [r.query for r in fake_server.requests if r.path.endswith("/reviews")]
    assert pages == [{"per_page": "100"}, {"per_page": "100", "page": "2"}]
    assert "121 review(s) on 2 page(s)" in outcome.details


def test_the_author_does_not_count(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "dave", "APPROVED")
    github.review(pull, "Dave", "APPROVED")  # logins are case-insensitive
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.summary == "0 approvals < min_approvals 1 on octo/shop#42 (approved by nobody)"
    assert "not counted: dave is the author (APPROVED, APPROVED)" in outcome.details


def test_changes_requested_after_approval_supersedes_it(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    github.review(pull, "carol", "APPROVED")
    github.review(pull, "carol", "CHANGES_REQUESTED")
    github.review(pull, "carol", "COMMENTED")  # a comment does not lift it
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.summary == ("changes requested by carol on octo/shop#42 (approved by alice)")
    assert outcome.measured == {"approvals": 1, "changes requested": 1}
    assert (
        "approval superseded: carol approved (review 81 at 2026-03-01T10:01:00Z), then"
        " requested changes (review 82 at 2026-03-01T10:02:00Z)" in outcome.details
    )
    # The standing change request can be allowed; the approval still does not count.
    outcome = gh(fake_server, tmp_path, block_on_changes_requested=False, min_approvals=2)
    assert outcome.summary == ("1 approval < min_approvals 2 on octo/shop#42 (approved by alice)")
    assert outcome.measured == {"approvals": 1}


def test_approval_after_changes_requested_counts(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "carol", "CHANGES_REQUESTED")
    github.review(pull, "carol", "APPROVED")
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.PASSED
    assert outcome.measured == {"approvals": 1, "changes requested": 0}


def test_a_dismissed_approval_does_not_count(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "erin", "APPROVED")
    github.review(pull, "erin", "DISMISSED")  # GitHub sets a dismissed review's state
    github.review(pull, "frank", "DISMISSED")
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.measured == {"approvals": 0, "changes requested": 0}
    assert "approval dismissed: erin (review 81 is DISMISSED, not counted" in outcome.details
    assert "review dismissed: frank" in outcome.details


def test_the_same_reviewer_approving_twice_counts_once(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave", head="d" * 40)
    github.review(pull, "alice", "APPROVED", commit="e" * 40)
    github.review(pull, "alice", "APPROVED")
    github.review(pull, "bob", "APPROVED", commit="e" * 40)
    github.review(pull, None, "APPROVED")  # a deleted account
    github.review(pull, "gina", "PENDING")
    outcome = gh(fake_server, tmp_path, min_approvals=3)
    assert outcome.status is Status.FAILED
    # alice approved the head again; bob's approval is of an earlier commit: stale.
    assert outcome.summary == (
        "1 approval < min_approvals 3 on octo/shop#42 (approved by alice; stale: bob on eeeeeee)"
    )
    assert "approved: alice (review 81 at 2026-03-01T10:01:00Z, approved 2 times" in (
        outcome.details
    )
    assert (
        "stale, not counted: bob approved commit eeeeeee, not the head ddddddd"
        " (review 82 at 2026-03-01T10:02:00Z)" in outcome.details
    )
    outcome = gh(fake_server, tmp_path, min_approvals=2, require_current_head=False)
    assert outcome.summary == "2 approvals >= 2 on octo/shop#42 (alice, bob)"
    assert "approved: bob (review 82 at 2026-03-01T10:02:00Z, on an earlier commit eeeeeee)" in (
        outcome.details
    )
    assert "not counted: 1 review(s) by deleted accounts" in outcome.details
    assert "not counted: 1 pending (unsubmitted) review(s)" in outcome.details


def test_an_approval_of_an_earlier_commit_is_stale(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    # Review finding 8: head bbbb, bob approved aaaa, then more code was pushed.
    pull = github.pull("octo/shop", 42, "dave", head="b" * 40)
    github.review(pull, "bob", "APPROVED", commit="a" * 40)
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "0 approvals < min_approvals 1 on octo/shop#42 (approved by nobody; stale: bob on aaaaaaa)"
    )
    assert outcome.measured == {"approvals": 0, "changes requested": 0}
    assert "only approvals of the head commit bbbbbbbbbbbb count (require_current_head)" in (
        outcome.details
    )
    github.review(pull, "bob", "APPROVED")  # bob approves the head too
    assert gh(fake_server, tmp_path).summary == "1 approval >= 1 on octo/shop#42 (bob)"


def test_a_review_naming_no_commit_is_stale(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "bob", "APPROVED")
    pull.reviews[-1]["commit_id"] = None  # GitHub answers null for a commit it lost
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.FAILED
    assert "stale, not counted: bob approved no named commit" in outcome.details


def test_a_closed_pull_request_that_was_not_merged_fails(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    head = "c" * 40
    pull = github.pull("octo/shop", 42, "dave", head=head, state="closed")
    github.review(pull, "alice", "APPROVED")
    outcome = gh(fake_server, tmp_path, number=None, env={"GITHUB_SHA": head})
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "pull request octo/shop#42 is closed without being merged on octo/shop#42"
        " (approved by alice)"
    )
    assert outcome.measured["closed unmerged"] == 1


def test_github_enterprise_api_url(fake_server: FakeServer, tmp_path: Path) -> None:
    github = FakeGitHub(TOKEN, prefix="/api/v3")
    github.base = fake_server.url
    fake_server.route = github.route
    pull = github.pull("octo/shop", 7, "dave")
    for i in range(101):
        github.review(pull, f"r{i}", "APPROVED")
    outcome = gh(fake_server, tmp_path, number="7", api_url=fake_server.url + "/api/v3/")
    assert outcome.status is Status.PASSED
    assert outcome.measured["approvals"] == 101
    assert [r.path for r in fake_server.requests] == [
        "/api/v3/repos/octo/shop/pulls/7",
        "/api/v3/repos/octo/shop/pulls/7/reviews",
        "/api/v3/repos/octo/shop/pulls/7/reviews",
    ]


def test_inputs_from_github_actions_variables(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "octo/shop",
        "GITHUB_REF": "refs/pull/42/merge",
        "GITHUB_API_URL": fake_server.url,
        "GITHUB_TOKEN": TOKEN,
    }
    outcome = evaluate(tmp_path, env)
    assert outcome.status is Status.PASSED, outcome.details
    assert (
        "inputs: provider github (GITHUB_ACTIONS=true), repo octo/shop from GITHUB_REPOSITORY,"
        " the token in GITHUB_TOKEN, number 42 from GITHUB_REF" in outcome.details
    )
    assert f"source: GitHub API {fake_server.url} (GITHUB_API_URL)" in outcome.details


def test_the_pull_request_of_a_merge_commit(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    merge = "f" * 40
    pull = github.pull("octo/shop", 42, "dave", merged=True, merge_commit_sha=merge)
    github.review(pull, "alice", "APPROVED")
    github.review(pull, "bob", "APPROVED")
    env = {"GITHUB_SHA": merge, "GITHUB_REF": "refs/heads/main"}
    outcome = gh(fake_server, tmp_path, number=None, env=env, min_approvals=2)
    assert outcome.status is Status.PASSED, outcome.details
    assert fake_server.requests[0].path == f"/repos/octo/shop/commits/{merge}/pulls"
    assert "commit ffffffffffff from GITHUB_SHA" in outcome.details
    assert "(merged)" in outcome.details


def test_a_commit_without_pull_request_has_no_approvals(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    outcome = gh(fake_server, tmp_path, number=None, commit="1234567890abcdef")
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "0 approvals < min_approvals 1 on commit 1234567890ab of octo/shop (approved by nobody)"
    )
    assert "no pull request contains commit 1234567890abcdef: nobody reviewed it" in (
        outcome.details
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            {"token": "wrong"},
            r"GitHub API rejected the credentials \(401 Unauthorized, the token in GITHUB_TOKEN\)"
            r" for GET /repos/octo/shop/pulls/42: Bad credentials",
        ),
        (
            {"number": "43"},
            r"GitHub API found nothing at GET /repos/octo/shop/pulls/43 \(404 Not Found: Not"
            r" Found\); check the settings \(a private resource also answers 404 when the token"
            r" in GITHUB_TOKEN cannot see it\)",
        ),
        (
            {"rate_limited": True},
            r"GitHub API rate limit hit \(403 Forbidden\) for GET /repos/octo/shop/pulls/42: API"
            r" rate limit exceeded for user ID 1.; the limit resets at 2030-03-17 17:46:40 UTC",
        ),
        (
            {"secondary_limit": True},
            r"GitHub API rate limit hit \(403 Forbidden\) .*secondary rate limit.*; retry after"
            r" 60 s",
        ),
        (
            {"failures": 5},
            r"GitHub API answered 502 Bad Gateway for GET /repos/octo/shop/pulls/42: Server"
            r" Error \(3 tries\)",
        ),
        ({"env": {}}, r"no token: the environment variable GITHUB_TOKEN is not set or empty"),
        ({"number": "abc"}, r"'number' \(from setting 'number'\) is not a pull/merge request"),
        ({"repo": "octo"}, r"'repo' \(from setting 'repo'\) must be owner/name"),
    ],
    ids=[
        "bad-token",
        "not-found",
        "rate-limit",
        "secondary-limit",
        "5xx",
        "no-token",
        "bad-number",
        "bad-repo",
    ],
)
def test_errors(
    fake_server: FakeServer,
    github: FakeGitHub,
    tmp_path: Path,
    setup: dict[str, Any],
    message: str,
) -> None:
    github.pull("octo/shop", 42, "dave")
    env = {"GITHUB_TOKEN": setup.pop("token", TOKEN)}
    env = setup.pop("env", env)
    for key in ("rate_limited", "secondary_limit", "failures"):
        if key in setup:
            setattr(github, key, setup.pop(key))
    settings = {"provider": "github", "repo": "octo/shop", "number": "42", **setup}
    with pytest.raises(GateError, match=message) as info:
        evaluate(tmp_path, env, api_url=fake_server.url, **settings)
    assert TOKEN not in str(info.value)


def test_a_5xx_is_retried(fake_server: FakeServer, github: FakeGitHub, tmp_path: Path) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    github.failures = 2
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.PASSED
    assert len(fake_server.requests) == 4  # 2 x 502, then the pull request and its reviews


def test_a_server_that_is_down_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(GateError, match=r"cannot reach GitHub API at http://127\.0\.0\.1:\d+: "):
        evaluate(
            tmp_path,
            {"GITHUB_TOKEN": TOKEN},
            provider="github",
            repo="octo/shop",
            number="1",
            api_url=url,
        )


def test_a_link_to_another_host_is_not_followed(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    inner = github.route

    def route(req: Any) -> Response:
        resp = inner(req)
        if req.path.endswith("/reviews"):
            resp.headers["Link"] = '<http://evil.example/steal?page=2>; rel="next"'
        return resp

    fake_server.route = route
    with pytest.raises(GateError, match=r"pointed the gate to another host \(http://evil"):
        gh(fake_server, tmp_path)


def test_a_redirect_on_the_same_host_is_followed(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    # GitHub answers 301 for a renamed repository; the token goes only to the same host.
    pull = github.pull("octo/shop-renamed", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    inner = github.route

    def route(req: Any) -> Response:
        if req.path.startswith("/repos/octo/shop/"):
            moved = req.path.replace("/octo/shop/", "/octo/shop-renamed/")
            return Response(301, {"message": "Moved Permanently"}, {"Location": moved})
        return inner(req)

    fake_server.route = route
    outcome = gh(fake_server, tmp_path)
    assert outcome.status is Status.PASSED
    assert [r.path for r in fake_server.requests] == [
        "/repos/octo/shop/pulls/42",
        "/repos/octo/shop-renamed/pulls/42",
        "/repos/octo/shop/pulls/42/reviews",
        "/repos/octo/shop-renamed/pulls/42/reviews",
    ]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in fake_server.requests)


def test_the_api_message_never_echoes_the_token(fake_server: FakeServer, tmp_path: Path) -> None:
    fake_server.route = lambda req: Response(
        400, {"message": f"bad header {req.headers['Authorization']}"}
    )
    with pytest.raises(GateError) as info:
        gh(fake_server, tmp_path)
    assert str(info.value) == (
        "GitHub API answered 400 Bad Request for GET /repos/octo/shop/pulls/42:"
        " bad header Bearer ***"
    )


# -- GitLab ----------------------------------------------------------------------------


def gl(server: FakeServer, tmp_path: Path, **kw: Any) -> Outcome:
    env = {"GITLAB_TOKEN": GL_TOKEN, **kw.pop("env", {})}
    settings = {"provider": "gitlab", "project": "group/shop", "number": "7"}
    settings["api_url"] = server.url + "/api/v4"
    return evaluate(tmp_path, env, **{**settings, **kw})


def test_gitlab_approvals_without_the_author(
    fake_server: FakeServer, gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gitlab.mr(
        12, "group/shop", 7, "dave", approved_by=["alice", "dave", "bob"], approvals_required=2
    )
    outcome = gl(fake_server, tmp_path, min_approvals=2)
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.summary == "2 approvals >= 2 on group/shop!7 (alice, bob)"
    assert outcome.measured == {"approvals": 2}
    assert [r.path for r in fake_server.requests] == [
        "/api/v4/projects/group%2Fshop/merge_requests/7",
        "/api/v4/projects/group%2Fshop/merge_requests/7/approvals",
    ]
    assert all(r.headers["Authorization"] == f"Bearer {GL_TOKEN}" for r in fake_server.requests)
    assert "not counted: dave is the author" in outcome.details
    assert (
        "GitLab's own approval rules (not used by this gate): approvals_required 2,"
        " approvals_left 0" in outcome.details
    )
    assert_hidden(shown(outcome), GL_TOKEN)
    outcome = gl(fake_server, tmp_path, min_approvals=3)
    assert outcome.summary == (
        "2 approvals < min_approvals 3 on group/shop!7 (approved by alice, bob)"
    )


def test_gitlab_a_closed_merge_request_fails(
    fake_server: FakeServer, gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gitlab.mr(12, "group/shop", 7, "dave", approved_by=["alice"], state="closed")
    outcome = gl(fake_server, tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith("merge request group/shop!7 is closed without being merged")
    assert "GitLab lists approvals without their commit" in outcome.details


def test_gitlab_ci_variables_and_the_merge_request_of_a_commit(
    fake_server: FakeServer, gitlab: FakeGitLab, tmp_path: Path
) -> None:
    sha = "9" * 40
    gitlab.mr(
        12, "group/shop", 7, "dave", state="merged", merge_commit_sha=sha, approved_by=["alice"]
    )
    env = {
        "GITLAB_CI": "true",
        "CI_PROJECT_ID": "12",
        "CI_COMMIT_SHA": sha,
        "CI_API_V4_URL": fake_server.url + "/api/v4",
        "GITLAB_TOKEN": GL_TOKEN,
    }
    outcome = evaluate(tmp_path, env)
    assert outcome.status is Status.PASSED, outcome.details
    assert fake_server.requests[0].path == (
        f"/api/v4/projects/12/repository/commits/{sha}/merge_requests"
    )
    assert (
        "inputs: provider gitlab (GITLAB_CI=true), project 12 from CI_PROJECT_ID, the token in"
        " GITLAB_TOKEN, commit 999999999999 from CI_COMMIT_SHA" in outcome.details
    )
    env["CI_MERGE_REQUEST_IID"] = "8"
    with pytest.raises(
        GateError, match="GitLab API found nothing at GET /api/v4/projects/12/merge_requests/8"
    ):
        evaluate(tmp_path, env)


@pytest.mark.parametrize(
    ("token", "rate_limited", "message"),
    [
        (
            "nope",
            False,
            r"GitLab API rejected the credentials \(401 Unauthorized, the token in"
            r" GITLAB_TOKEN\) for GET /api/v4/projects/group%2Fshop/merge_requests/7: 401",
        ),
        (
            GL_TOKEN,
            True,
            r"GitLab API rate limit hit \(429 Too Many Requests\) .*: Retry later;"
            r" retry after 30 s",
        ),
    ],
    ids=["bad-token", "rate-limit"],
)
def test_gitlab_errors(
    fake_server: FakeServer,
    gitlab: FakeGitLab,
    tmp_path: Path,
    token: str,
    rate_limited: bool,
    message: str,
) -> None:
    gitlab.mr(12, "group/shop", 7, "dave")
    gitlab.rate_limited = rate_limited
    with pytest.raises(GateError, match=message):
        gl(fake_server, tmp_path, env={"GITLAB_TOKEN": token})


def test_gitlab_private_token_header_is_accepted_by_the_fake(
    fake_server: FakeServer, gitlab: FakeGitLab
) -> None:
    # The fake answers both documented ways of sending an access token.
    import requests

    gitlab.mr(12, "group/shop", 7, "dave")
    url = fake_server.url + "/api/v4/projects/12/merge_requests/7"
    assert requests.get(url, headers={"PRIVATE-TOKEN": GL_TOKEN}, timeout=5).status_code == 200
    assert requests.get(url, headers={"PRIVATE-TOKEN": "x"}, timeout=5).status_code == 401


# -- settings --------------------------------------------------------------------------


def test_check_settings() -> None:
    problems = ApprovalsGate.check_settings(
        {
            **DEFAULTS,
            "provider": "github",
            "project": "x",
            "token": "t",
            "token_env": "not a name",
            "api_url": "ftp://x",
        }
    )
    assert problems == [
        "'project' is for GitLab; GitHub takes 'repo' (owner/name)",
        "set 'token' or 'token_env', not both",
        "'token_env' must be the name of an environment variable",
        "'api_url' must start with http:// or https://",
    ]
    assert ApprovalsGate.check_settings({**DEFAULTS, "provider": "gitlab", "repo": "a/b"}) == [
        "'repo' is for GitHub; GitLab takes 'project' (an id or a path)"
    ]


def test_provider_auto_needs_a_ci(tmp_path: Path) -> None:
    with pytest.raises(GateError, match="provider auto: neither GITHUB_ACTIONS nor GITLAB_CI"):
        evaluate(tmp_path, {})


def test_token_env_names_another_variable(
    fake_server: FakeServer, github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    outcome = gh(fake_server, tmp_path, token_env="REVIEW_TOKEN", env={"REVIEW_TOKEN": TOKEN})
    assert outcome.status is Status.PASSED
    assert "the token in REVIEW_TOKEN" in outcome.details
    with pytest.raises(GateError, match="the environment variable REVIEW_TOKEN is not set"):
        gh(fake_server, tmp_path, token_env="REVIEW_TOKEN", env={"GITHUB_TOKEN": ""})


# -- end to end ------------------------------------------------------------------------


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["no-xdist", "xdist"])
def test_end_to_end_the_token_stays_secret(
    pytester: pytest.Pytester,
    profile: Profile,
    fake_server: FakeServer,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    xdist: list[str],
) -> None:
    pull = github.pull("octo/shop", 42, "dave")
    github.review(pull, "alice", "APPROVED")
    github.review(pull, "carol", "APPROVED")
    github.review(pull, "carol", "CHANGES_REQUESTED")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("PR_NUMBER", "42")
    monkeypatch.setenv("GITHUB_API", fake_server.url)
    profile(
        "gates:\n"
        "  review:\n"
        "    kind: approvals\n"
        "    provider: github\n"
        "    repo: octo/shop\n"
        "    number: ${PR_NUMBER}\n"
        "    api_url: ${GITHUB_API}\n"
        "  two:\n"
        "    kind: approvals\n"
        "    provider: github\n"
        "    repo: octo/shop\n"
        "    number: ${PR_NUMBER}\n"
        "    api_url: ${GITHUB_API}\n"
        "    token: ${GITHUB_TOKEN}\n"
        "    min_approvals: 2\n"
        "    block_on_changes_requested: false\n",
    )
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "FAILED: changes requested by carol on octo/shop#42 (approved by alice)",
            "*approval superseded: carol approved*then requested changes*",
            "*re-run this gate: pytest --gate=pr --gate-only review",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED: 1 approval < min_approvals 2 on octo/shop#42 (approved by alice)",
            "inputs: *the token in setting 'token'*",
            "*re-run this gate: pytest --gate=pr --gate-only two",
        ]
    )
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert '<property name="gate.review.measured" value="approvals 1, changes requested 1" />' in (
        verdict
    )
    assert_hidden(run_output(pytester, result), TOKEN)
