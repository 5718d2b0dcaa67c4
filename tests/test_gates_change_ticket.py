"""The ``change-ticket`` gate kind: ids from a variable or a real commit trailer, verified
against local HTTP servers answering as ServiceNow's Table API and Jira's issue API do."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from httpfake import FakeServer, Request, Response
from secrecy import assert_hidden, run_output

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.gates.change_ticket import ChangeTicketGate, resolve

from conftest import Profile

TOKEN = "snow-s3cret-token-value"
DEFAULTS: dict[str, Any] = {
    "pattern": "CHG[0-9]{7}",
    "variable": None,
    "trailer": "Change",
    "verify_url": None,
    "field": None,
    "allowed": [],
    "token": None,
    "auth": "bearer",
}
# ServiceNow Table API: GET /api/now/table/change_request?sysparm_query=number=CHG...
# answers 200 {"result": [records]} (an empty list when nothing matches); 401 with
# {"error": {"message", "detail"}, "status": "failure"} without valid credentials.
CHANGES = {
    "CHG0012345": {"state": "Scheduled", "approval": "approved"},
    "CHG0054321": {"state": "Assess", "approval": "requested"},
}
SNOW_URL = (
    "/api/now/table/change_request?sysparm_query=number={id}"
    "&sysparm_fields=number,state,approval&sysparm_limit=2"
)
# Jira REST API v2: GET /rest/api/2/issue/{key} answers the issue, or 404 with errorMessages.
ISSUES = {"OPS-42": "Approved", "OPS-43": "In Review"}


def servicenow(req: Request) -> Response:
    if req.headers.get("Authorization") not in (f"Bearer {TOKEN}", _basic("svc-gate", TOKEN)):
        return Response(
            401,
            {
                "error": {
                    "message": "User Not Authenticated",
                    "detail": "Required to provide Auth information",
                },
                "status": "failure",
            },
        )
    if req.path != "/api/now/table/change_request":
        return Response(400, {"error": {"message": "Invalid table"}, "status": "failure"})
    query = req.query.get("sysparm_query", "")
    number = query.removeprefix("number=") if query.startswith("number=") else None
    if number is None:  # an invalid query part is ignored: every record comes back
        records = [_record(n) for n in CHANGES]
    else:
        records = [_record(number)] if number in CHANGES else []
    limit = int(req.query.get("sysparm_limit", "10000"))
    return Response(200, {"result": records[:limit]}, headers={"X-Total-Count": str(len(records))})


def _record(number: str) -> dict[str, str]:
    return {"number": number, "sys_id": f"sys-{number.lower()}", **CHANGES[number]}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def jira(req: Request) -> Response:
    key = req.path.removeprefix("/rest/api/2/issue/")
    if key not in ISSUES:
        return Response(
            404,
            {
                "errorMessages": ["Issue does not exist or you do not have permission to see it."],
                "errors": {},
            },
        )
    return Response(
        200,
        {
            "expand": "renderedFields,names,schema",
            "id": "10042",
            "self": f"https://jira.example.com/rest/api/2/issue/{key}",
            "key": key,
            "fields": {"summary": "Release 4.2", "status": {"name": ISSUES[key], "id": "10001"}},
        },
    )


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path)
    repo.write("app.py", "x = 1\n")
    repo.commit("Deploy checkout v4.2\n\nMoves the checkout.\n\nChange: CHG0012345\n")
    return repo


def evaluate(root: Path, environ: dict[str, str] | None = None, **settings: Any) -> Outcome:
    gate = ChangeTicketGate({**DEFAULTS, **settings})
    ctx = RunContext("change", root, environ=environ or {})
    try:
        return gate.evaluate(ctx)
    finally:
        ctx.close()


def test_the_trailer_of_the_head_commit(repo: GitRepo) -> None:
    outcome = evaluate(repo.path)
    head = repo.head()[:12]
    assert outcome.status is Status.PASSED
    assert outcome.summary == f"change ticket CHG0012345 (from trailer 'Change' of HEAD {head})"
    assert outcome.measured == {"ticket": "CHG0012345"}
    assert outcome.threshold == {"ticket": "matches CHG[0-9]{7}"}
    assert f"HEAD commit {head} 'Deploy checkout v4.2'" in outcome.details


def test_the_variable_wins_over_the_trailer(repo: GitRepo) -> None:
    outcome = evaluate(repo.path, {"CHANGE_TICKET": " CHG0054321\n"}, variable="CHANGE_TICKET")
    assert outcome.summary == "change ticket CHG0054321 (from variable CHANGE_TICKET)"


def test_no_ticket_fails_saying_where_it_looked(repo: GitRepo) -> None:
    repo.commit("Fix typo")
    head = repo.head()[:12]
    outcome = evaluate(repo.path, variable="CHANGE_TICKET")
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "no change ticket: variable CHANGE_TICKET is not set;"
        f" HEAD commit {head} has no 'Change' trailer"
    )
    assert outcome.measured == {"ticket": "none"}
    assert "add a trailer line 'Change: <ticket id>' to the commit message" in outcome.details


def test_an_id_not_matching_the_pattern_fails(repo: GitRepo) -> None:
    repo.commit("Hotfix\n\nchange: TBD\nSigned-off-by: Ada <ada@example.com>\n")
    outcome = evaluate(repo.path)
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        f"ticket id 'TBD' (from trailer 'Change' of HEAD {repo.head()[:12]})"
        " does not match CHG[0-9]{7}"
    )


def test_outside_git_without_a_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"variable CHANGE_TICKET is not set; cannot read the HEAD"):
        evaluate(tmp_path, variable="CHANGE_TICKET")


def test_servicenow_approved_change_passes(repo: GitRepo, server: FakeServer) -> None:
    server.route = servicenow
    outcome = evaluate(
        repo.path,
        verify_url=server.url + SNOW_URL,
        field="result.0.state",
        allowed=["Scheduled", "Implement"],
        token=TOKEN,
    )
    assert outcome.status is Status.PASSED, outcome.summary
    assert outcome.summary == (
        f"change ticket CHG0012345 verified (from trailer 'Change' of HEAD {repo.head()[:12]}),"
        " result.0.state Scheduled"
    )
    assert outcome.measured == {"ticket": "CHG0012345", "result.0.state": "Scheduled"}
    assert outcome.threshold == {
        "ticket": "matches CHG[0-9]{7}",
        "ticket system": "HTTP 2xx",
        "result.0.state": "in Scheduled, Implement",
    }
    (req,) = server.requests
    assert req.query["sysparm_query"] == "number=CHG0012345"
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "with the token of setting 'token' (bearer): HTTP 200" in outcome.details
    assert TOKEN not in outcome.summary + outcome.details


def test_servicenow_change_not_yet_approved_fails(repo: GitRepo, server: FakeServer) -> None:
    server.route = servicenow
    settings = {"verify_url": server.url + SNOW_URL, "token": TOKEN, "field": "result.0.approval"}
    env = {"CHANGE_TICKET": "CHG0054321"}
    outcome = evaluate(repo.path, env, variable="CHANGE_TICKET", allowed=["approved"], **settings)
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "ticket CHG0054321 result.0.approval is 'requested', not one of: approved"
    )
    assert outcome.measured["result.0.approval"] == "requested"


def test_servicenow_unknown_change_fails(repo: GitRepo, server: FakeServer) -> None:
    server.route = servicenow
    env = {"CHANGE_TICKET": "CHG0000001"}
    outcome = evaluate(
        repo.path, env, variable="CHANGE_TICKET", verify_url=server.url + SNOW_URL, token=TOKEN
    )
    assert outcome.status is Status.FAILED
    assert outcome.summary == "ticket CHG0000001 not found (the ticket system returned no record)"


def test_servicenow_query_that_selects_many_records_is_an_error(
    repo: GitRepo, server: FakeServer
) -> None:
    server.route = servicenow
    url = server.url + "/api/now/table/change_request?sysparm_query=numbr={id}&sysparm_limit=2"
    with pytest.raises(GateError, match="returned 2 records for CHG0012345; make verify_url"):
        evaluate(repo.path, verify_url=url, token=TOKEN, field="result.0.state", allowed=["x"])


def test_servicenow_basic_auth(repo: GitRepo, server: FakeServer) -> None:
    server.route = servicenow
    outcome = evaluate(
        repo.path, verify_url=server.url + SNOW_URL, token=f"svc-gate:{TOKEN}", auth="basic"
    )
    assert outcome.status is Status.PASSED
    assert server.requests[0].headers["Authorization"] == _basic("svc-gate", TOKEN)


def test_a_refused_token_is_an_error_that_never_shows_it(repo: GitRepo, server: FakeServer) -> None:
    # A server that echoes what it was sent must not make the token appear either.
    server.route = lambda req: Response(
        401, {"error": {"message": f"bad credentials {req.headers.get('Authorization')}"}}
    )
    with pytest.raises(GateError) as info:
        evaluate(repo.path, verify_url=server.url + SNOW_URL, token="wrong-" + TOKEN)
    assert str(info.value) == (
        "the ticket system refused the request for CHG0012345 (HTTP 401: bad credentials"
        " Bearer ***); check the token in setting 'token'"
    )


def test_a_basic_password_echoed_back_is_scrubbed(repo: GitRepo, server: FakeServer) -> None:
    server.route = lambda req: Response(
        403, {"errorMessages": [f"user svc-gate with password {TOKEN} may not browse"]}
    )
    with pytest.raises(GateError) as info:
        evaluate(
            repo.path, verify_url=server.url + "/i/{id}", token=f"svc-gate:{TOKEN}", auth="basic"
        )
    assert TOKEN not in str(info.value)
    assert "(HTTP 403: user svc-gate with password *** may not browse)" in str(info.value)


def test_jira_issue_status(tmp_path: Path, server: FakeServer) -> None:
    server.route = jira
    repo = GitRepo(tmp_path)
    repo.commit("Release\n\nChange: OPS-42\n")
    settings = {
        "pattern": "OPS-[0-9]+",
        "verify_url": server.url + "/rest/api/2/issue/{id}",
        "field": "fields.status.name",
        "allowed": ["approved", "Done"],
        "token": TOKEN,
    }
    outcome = evaluate(tmp_path, **settings)
    assert outcome.status is Status.PASSED
    assert outcome.measured["fields.status.name"] == "Approved"
    outcome = evaluate(tmp_path, {"T": "OPS-43"}, variable="T", **settings)
    assert (
        outcome.summary
        == "ticket OPS-43 fields.status.name is 'In Review', not one of: approved, Done"
    )
    outcome = evaluate(tmp_path, {"T": "OPS-9"}, variable="T", **settings)
    assert outcome.summary == (
        "ticket OPS-9 not found (HTTP 404: Issue does not exist or you do not have permission"
        " to see it.)"
    )


def test_an_answer_for_another_ticket_fails(repo: GitRepo, server: FakeServer) -> None:
    server.route = lambda req: Response(200, {"key": "OPS-1", "fields": {}})
    outcome = evaluate(repo.path, verify_url=server.url + "/rest/api/2/issue/{id}")
    assert outcome.summary == "the ticket system answered for OPS-1, not CHG0012345"


@pytest.mark.parametrize(
    ("response", "field", "message"),
    [
        (Response(500, "oops"), None, "answered HTTP 500 for CHG0012345"),
        (Response(200, "<html>login</html>"), "state", "answer for CHG0012345 is not JSON"),
        (
            Response(200, {"fields": {"status": {}}}),
            "fields.status.name",
            r"has no fields.status.name: no 'name' in fields.status \(keys: \)",
        ),
        (
            Response(200, {"fields": {"status": {"name": "A"}}}),
            "fields.status",
            r"fields.status is \{\"name\": \"A\"\}, not a value",
        ),
        (Response(drop=True), None, "cannot GET ticket system http://.*: connection closed"),
    ],
    ids=["5xx", "not-json", "no-field", "not-a-value", "dropped"],
)
def test_answers_that_cannot_be_judged_are_errors(
    repo: GitRepo, server: FakeServer, response: Response, field: str | None, message: str
) -> None:
    server.route = lambda req: response
    allowed = ["x"] if field else []
    with pytest.raises(GateError, match=message):
        evaluate(repo.path, verify_url=server.url + "/t/{id}", field=field, allowed=allowed)


def login_redirect(req: Request) -> Response:
    """A ticket system behind an SSO: the API URL redirects to a login page answering 200."""
    if req.path == "/login":
        return Response(200, b"<html>Sign in</html>", headers={"Content-Type": "text/html"})
    return Response(302, b"", headers={"Location": f"/login?next={req.path}"})


@pytest.mark.parametrize("field", [None, "fields.status.name"], ids=["no-field", "field"])
def test_a_redirect_to_a_login_page_is_an_error_naming_it(
    repo: GitRepo, server: FakeServer, field: str | None
) -> None:
    """Finding 6: the redirect was followed and the login page's 200 passed."""
    server.route = login_redirect
    allowed = ["Approved"] if field else []
    with pytest.raises(GateError) as info:
        evaluate(
            repo.path,
            verify_url=server.url + "/rest/api/2/issue/{id}",
            field=field,
            allowed=allowed,
        )
    assert str(info.value) == (
        f"the ticket system answered HTTP 302 for CHG0012345, a redirect to"
        f" /login?next=/rest/api/2/issue/CHG0012345, not the ticket (a login page?); point"
        f" verify_url at the API itself ({server.url}/rest/api/2/issue/CHG0012345)"
    )
    assert [r.path for r in server.requests] == ["/rest/api/2/issue/CHG0012345"]  # not followed


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            Response(200, b"<html>Sign in</html>", headers={"Content-Type": "text/html"}),
            r"answer for CHG0012345 is not JSON \(text/html\)$",
        ),
        (Response(200, ["CHG0012345"]), "answer for CHG0012345 is a JSON list, not an object"),
        (
            Response(200, {"ok": True}),
            r"answer for CHG0012345 names no ticket \(no 'number' or 'key' in its record;"
            r" keys: ok\)",
        ),
        (
            Response(200, {"result": [{"state": "Scheduled"}]}),
            r"names no ticket \(no 'number' or 'key' in its record; keys: state\): select the"
            " number field",
        ),
    ],
    ids=["html", "json-list", "json-without-record", "servicenow-without-number"],
)
def test_without_field_a_2xx_answer_must_name_the_ticket(
    repo: GitRepo, server: FakeServer, response: Response, message: str
) -> None:
    """Finding 6: any 2xx page passed when no 'field' was set."""
    server.route = lambda req: response
    with pytest.raises(GateError, match=message):
        evaluate(repo.path, verify_url=server.url + "/t/{id}")


def test_without_field_a_record_naming_the_ticket_passes(
    tmp_path: Path, server: FakeServer
) -> None:
    server.route = jira
    repo = GitRepo(tmp_path)
    repo.commit("Release\n\nChange: OPS-42\n")
    url = server.url + "/rest/api/2/issue/{id}"
    outcome = evaluate(tmp_path, pattern="OPS-[0-9]+", verify_url=url, token=TOKEN)
    assert outcome.status is Status.PASSED, outcome.summary
    assert outcome.summary.startswith("change ticket OPS-42 verified (from trailer")
    assert f"GET {server.url}/rest/api/2/issue/OPS-42 with the token" in outcome.details
    assert "the answer's record names OPS-42" in outcome.details


def test_a_servicenow_single_record_answer_names_its_ticket(
    repo: GitRepo, server: FakeServer
) -> None:
    # GET /api/now/table/change_request/{sys_id} answers {"result": {record}}.
    server.route = lambda req: Response(200, {"result": {"number": "CHG0099999"}})
    outcome = evaluate(repo.path, verify_url=server.url + "/api/now/table/change_request/{id}")
    assert outcome.status is Status.FAILED
    assert outcome.summary == "the ticket system answered for CHG0099999, not CHG0012345"


def test_resolve_dotted_paths() -> None:
    doc = {"result": [{"state": "-2", "active": True}], "empty": []}
    assert resolve(doc, "result.0.state") == (True, "-2")
    assert resolve(doc, "result.0.active") == (True, "true")
    assert resolve(doc, "empty.0.state") == (False, "empty")
    assert resolve(doc, "result.x") == (False, "result is a list of 1")


def test_settings_are_checked() -> None:
    check = ChangeTicketGate.check_settings
    assert check({**DEFAULTS, "pattern": "CHG[", "trailer": "Change ticket"}) == [
        "'pattern' is not a valid regex: unterminated character set at position 3",
        "'trailer' 'Change ticket' is not a trailer key",
    ]
    assert check({**DEFAULTS, "verify_url": "ftp://x/", "field": "a", "token": "t"}) == [
        "'verify_url' must contain {id} (where the ticket id goes)",
        "'verify_url' 'ftp://x/' is not an http(s):// URL",
        "'field' and 'allowed' go together (the value and what may pass)",
    ]
    assert check({**DEFAULTS, "trailer": "", "token": "t"}) == [
        "set 'variable' and/or 'trailer': where does the ticket id come from?",
        "'token' is only used with 'verify_url'",
    ]


def test_end_to_end(
    pytester: pytest.Pytester,
    profile: Profile,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.route = servicenow
    repo = GitRepo(pytester.path)
    repo.commit("Release 4.2\n\nChange: CHG0054321\n")
    monkeypatch.setenv("SNOW_URL", server.url)
    monkeypatch.setenv("SNOW_TOKEN", TOKEN)
    monkeypatch.delenv("CHANGE_TICKET", raising=False)
    profile(
        """
        gates:
          change-ticket:
            kind: change-ticket
            variable: CHANGE_TICKET
            trailer: Change
            pattern: "CHG[0-9]{7}"
            verify_url: "${SNOW_URL}/api/now/table/change_request\\
              ?sysparm_query=number={id}&sysparm_limit=2"
            field: result.0.state
            allowed: [Scheduled, Implement]
            token: ${SNOW_TOKEN}
        """,
        name="production",
    )
    result = pytester.runpytest("--gate=production")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "FAILED: ticket CHG0054321 result.0.state is 'Assess',"
            " not one of: Scheduled, Implement",
            "*ticket id from trailer 'Change' of HEAD *: CHG0054321",
            "GET http://127.0.0.1:*/api/now/table/change_request?sysparm_query=number=CHG0054321"
            "&sysparm_limit=2 with the token of setting 'token' (bearer): HTTP 200",
        ]
    )
    assert_hidden(run_output(pytester, result), TOKEN)
    monkeypatch.setenv("CHANGE_TICKET", "CHG0012345")
    result = pytester.runpytest("--gate=production")
    assert result.ret == pytest.ExitCode.OK
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert '<property name="gate.change-ticket.status" value="passed" />' in verdict
    assert_hidden(run_output(pytester, result), TOKEN)
