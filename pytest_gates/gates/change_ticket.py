"""Kind ``change-ticket``: the release names a change ticket, and the ticket system approves it.

The id comes from an environment variable or from a trailer of the HEAD commit
(``Change: CHG0012345``); it must match ``pattern``.  With ``verify_url`` the ticket system
is asked (ServiceNow's Table API, Jira's issue API, or anything answering a JSON object),
without following redirects; without ``field`` its record must name the ticket
(``number``, Jira's ``key``), with ``field`` one value of its answer must be in ``allowed``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ._git import GitMissing, git
from ._http import NoAnswer, get, is_http_url
from ._httptext import api_message, auth_header, credential_values, redact, shown_url

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRAILER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


class ChangeTicketGate(Gate):
    """The ticket id (variable, else HEAD commit trailer) matches ``pattern``; optionally the
    ticket system answers 2xx for it, with ``field`` in ``allowed``."""

    kind = "change-ticket"
    description = "a change ticket named by the release, and approved in the ticket system"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "pattern": Setting(str, required=True, help="regex the whole ticket id must match"),
        "variable": Setting(str, default=None, help="environment variable holding the id"),
        "trailer": Setting(str, default="Change", help="trailer of the HEAD commit ('' = none)"),
        "verify_url": Setting(str, default=None, help="URL template with {id}; must answer 2xx"),
        "field": Setting(str, default=None, help="dotted path of a value in the JSON answer"),
        "allowed": Setting(list, default=[], help="values of 'field' that pass (any case)"),
        "token": Setting(str, default=None, help="credential for verify_url (from a variable)"),
        "auth": Setting(
            str, default="bearer", choices=("bearer", "basic"), help="bearer, or basic user:pw"
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        try:
            re.compile(settings["pattern"])
        except re.error as exc:
            problems.append(f"'pattern' is not a valid regex: {exc}")
        if settings["variable"] is not None and not _NAME.match(settings["variable"]):
            problems.append(f"'variable' {settings['variable']!r} is not a variable name")
        if settings["trailer"] and not _TRAILER.match(settings["trailer"]):
            problems.append(f"'trailer' {settings['trailer']!r} is not a trailer key")
        if not settings["variable"] and not settings["trailer"]:
            problems.append("set 'variable' and/or 'trailer': where does the ticket id come from?")
        url = settings["verify_url"]
        if url is not None:
            if "{id}" not in url:
                problems.append("'verify_url' must contain {id} (where the ticket id goes)")
            if not is_http_url(url):
                problems.append(f"'verify_url' {shown_url(url)!r} is not an http(s):// URL")
        if settings["field"] and url is None:
            problems.append("'field' needs 'verify_url' (the answer it is read from)")
        if bool(settings["field"]) != bool(settings["allowed"]):
            problems.append("'field' and 'allowed' go together (the value and what may pass)")
        if settings["token"] is not None and url is None:
            problems.append("'token' is only used with 'verify_url'")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        ids, source, lines = self._ticket_ids(ctx)
        pattern = s["pattern"]
        threshold: dict[str, str] = {"ticket": f"matches {pattern}"}
        if s["verify_url"]:
            threshold["ticket system"] = "HTTP 2xx"
        if s["field"]:
            threshold[s["field"]] = "in " + ", ".join(s["allowed"])
        measured: dict[str, Any] = {"ticket": ", ".join(ids) or "none"}
        kw: dict[str, Any] = {"measured": measured, "threshold": threshold}
        if not ids:
            kw["details"] = "\n".join(lines)
            return Outcome.failed(f"no change ticket: {source}", **kw)
        bad = [i for i in ids if not re.fullmatch(pattern, i)]
        if bad:
            kw["details"] = "\n".join(lines)
            return Outcome.failed(
                f"ticket id {', '.join(map(repr, bad))} ({source}) does not match {pattern}", **kw
            )
        broken = []
        for ticket in ids:
            if s["verify_url"]:
                problem, value = self._verify(ctx, ticket, lines)
                if value is not None:
                    measured[s["field"]] = value
                if problem:
                    broken.append(problem)
        kw["details"] = "\n".join(lines)
        if broken:
            return Outcome.failed("; ".join(broken), **kw)
        verified = " verified" if s["verify_url"] else ""
        value = f", {s['field']} {measured[s['field']]}" if s["field"] else ""
        return Outcome.passed(f"change ticket {', '.join(ids)}{verified} ({source}){value}", **kw)

    def _ticket_ids(self, ctx: GateContext) -> tuple[list[str], str, list[str]]:
        """The ids, where they came from (or why there is none), and lines of explanation."""
        s = self.settings
        lines: list[str] = []
        tried: list[str] = []
        if s["variable"]:
            value = (ctx.env(s["variable"]) or "").strip()
            if value:
                lines.append(f"ticket id from environment variable {s['variable']}")
                return [value], f"from variable {s['variable']}", lines
            tried.append(f"variable {s['variable']} is not set")
        if not s["trailer"]:
            return [], "; ".join(tried), lines
        fmt = f"--format=%H%n%s%n%(trailers:key={s['trailer']},valueonly,unfold)"
        try:
            done = git(ctx, "log", "-1", fmt)
        except GitMissing as exc:
            raise GateError("; ".join([*tried, f"cannot read the HEAD commit: {exc}"])) from None
        if not done.ok:
            raise GateError(
                "; ".join(
                    [*tried, f"cannot read the HEAD commit in {ctx.rootdir}: {done.reason()}"]
                )
            )
        commit, subject, *values = [*done.stdout.splitlines(), "", ""]
        ids = list(dict.fromkeys(v.strip() for v in values if v.strip()))
        lines.append(f"HEAD commit {commit[:12]} {subject!r}")
        where = f"trailer {s['trailer']!r} of HEAD {commit[:12]}"
        if ids:
            lines.append(f"ticket id{'s' if len(ids) > 1 else ''} from {where}: {', '.join(ids)}")
            return ids, f"from {where}", lines
        tried.append(f"HEAD commit {commit[:12]} has no {s['trailer']!r} trailer")
        lines.append(f"add a trailer line '{s['trailer']}: <ticket id>' to the commit message")
        return [], "; ".join(tried), lines

    def _verify(
        self, ctx: GateContext, ticket: str, lines: list[str]
    ) -> tuple[str | None, str | None]:
        """Ask the ticket system; return (why it fails or None, the field's value or None)."""
        s = self.settings
        url = s["verify_url"].replace("{id}", quote(ticket, safe=""))
        headers = {"Accept": "application/json"}
        token: str | None = s["token"]
        secrets = credential_values(s["auth"], token) if token else []
        if token:
            headers["Authorization"] = auth_header(s["auth"], token)
        auth = f"with the token of setting 'token' ({s['auth']})" if token else "without a token"
        try:
            # Never follow a redirect: a login page (an SSO, an expired session) answers 200
            # at the end of one, and it is no evidence about the ticket.
            answer = get(ctx, url, headers=headers, allow_redirects=False)
        except NoAnswer as exc:
            reason = redact(exc.reason, secrets)
            raise GateError(f"cannot GET ticket system {shown_url(url)}: {reason}") from None
        status, body = answer.status, answer.body
        lines.append(f"GET {shown_url(url)} {auth}: HTTP {status}")
        said = api_message(body, secrets)
        if 300 <= status < 400:
            location = answer.resp.headers.get("Location")
            where = f" to {redact(shown_url(location), secrets)}" if location else " (no Location)"
            raise GateError(
                f"the ticket system answered HTTP {status} for {ticket}, a redirect{where}, not"
                f" the ticket (a login page?); point verify_url at the API itself"
                f" ({shown_url(url)})"
            )
        if status in (404, 410):
            return f"ticket {ticket} not found (HTTP {status}{': ' + said if said else ''})", None
        if status in (401, 403):
            raise GateError(
                f"the ticket system refused the request for {ticket} (HTTP {status}"
                f"{': ' + said if said else ''}); check the token in setting 'token'"
            )
        if not 200 <= status < 300:
            raise GateError(
                f"the ticket system answered HTTP {status} for {ticket}"
                f"{': ' + said if said else ''} ({shown_url(url)})"
            )
        doc = _json_object(ticket, answer.resp.headers.get("Content-Type"), body)
        problem = self._identity(ticket, doc, lines, named=not s["field"])
        if problem or not s["field"]:
            return problem, None
        found, value = resolve(doc, s["field"])
        if not found:
            if value == "empty":
                return f"ticket {ticket}: the answer has no record at {s['field']}", None
            raise GateError(f"the ticket system's answer for {ticket} has no {s['field']}: {value}")
        lines.append(f"{s['field']} = {value!r} (allowed: {', '.join(s['allowed'])})")
        if value.casefold() not in {a.casefold() for a in s["allowed"]}:
            allowed = ", ".join(s["allowed"])
            return f"ticket {ticket} {s['field']} is {value!r}, not one of: {allowed}", value
        return None, value

    def _identity(
        self, ticket: str, doc: dict[str, Any], lines: list[str], *, named: bool
    ) -> str | None:
        """A ServiceNow-style ``{"result": [...]}`` must hold exactly one record, and a record
        that names its ticket (``number``, Jira's ``key``) must name this one.  With
        ``named`` (no ``field`` to judge), the record must name it: a 2xx JSON answer alone
        is no evidence that the ticket exists."""
        record: Any = doc
        if isinstance(doc.get("result"), list):
            records = doc["result"]
            if not records:
                return f"ticket {ticket} not found (the ticket system returned no record)"
            if len(records) > 1:
                raise GateError(
                    f"the ticket system returned {len(records)} records for {ticket}; make"
                    " verify_url select exactly one (e.g. sysparm_query=number={id})"
                )
            record = records[0]
        elif isinstance(doc.get("result"), dict):  # ServiceNow's single record (by sys_id)
            record = doc["result"]
        name = record.get("number", record.get("key")) if isinstance(record, dict) else None
        if isinstance(name, str):
            if name.casefold() != ticket.casefold():
                return f"the ticket system answered for {name}, not {ticket}"
            lines.append(f"the answer's record names {name}")
        elif named:
            keys = ", ".join(list(record)[:12]) if isinstance(record, dict) else "none"
            raise GateError(
                f"the ticket system's answer for {ticket} names no ticket (no 'number' or"
                f" 'key' in its record; keys: {keys}): select the number field (ServiceNow"
                " sysparm_fields=number,...), or set 'field' and 'allowed' to judge the answer"
            )
        return None


def _json_object(ticket: str, content_type: str | None, body: bytes) -> dict[str, Any]:
    """The answer as a JSON object; anything else (a login page...) cannot be judged."""
    try:
        doc = json.loads(body)
    except ValueError:
        kind = f" ({content_type})" if content_type else ""
        raise GateError(f"the ticket system's answer for {ticket} is not JSON{kind}") from None
    if not isinstance(doc, dict):
        raise GateError(
            f"the ticket system's answer for {ticket} is a JSON {type(doc).__name__}, not an"
            " object (a ServiceNow or Jira record)"
        )
    return doc


def resolve(doc: Any, path: str) -> tuple[bool, str]:
    """The value at a dotted path (``result.0.state``, ``fields.status.name``) as text.

    Returns (True, value), or (False, why): ``"empty"`` when an empty list is in the way.
    """
    here: Any = doc
    walked: list[str] = []
    for part in path.split("."):
        if isinstance(here, list):
            if not here:
                return False, "empty"
            if not part.isdigit() or int(part) >= len(here):
                return False, f"{'.'.join(walked) or 'the answer'} is a list of {len(here)}"
            here = here[int(part)]
        elif isinstance(here, dict):
            if part not in here:
                keys = ", ".join(list(here)[:12])
                return False, f"no {part!r} in {'.'.join(walked) or 'the answer'} (keys: {keys})"
            here = here[part]
        else:
            return False, f"{'.'.join(walked)} is {json.dumps(here)[:40]}, not an object"
        walked.append(part)
    if isinstance(here, dict | list) or here is None:
        return False, f"{path} is {json.dumps(here)[:60]}, not a value (point 'field' at one)"
    return True, str(here).lower() if isinstance(here, bool) else str(here)
