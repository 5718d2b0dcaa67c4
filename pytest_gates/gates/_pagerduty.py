"""PagerDuty REST API v2: the incidents that are triggered or acknowledged, one line each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from ..api import GateError
from ._webapi import WebApi

LIMIT = 100  # the API's largest page
MAX_OFFSET = 10_000  # classic pagination stops here


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Token token={token}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }


def check_services(api: WebApi, services: Sequence[str]) -> list[str]:
    """``GET /services/{id}`` for each id: a GateError naming an id that does not exist or
    cannot be read (a mistyped id would list no incidents and pass); a note naming them."""
    shown = []
    for sid in services:
        try:
            body = api.get_json(f"/services/{quote(sid, safe='')}")[0]
        except GateError as exc:
            raise GateError(
                f"PagerDuty service {sid} (setting 'services') does not exist or cannot be"
                f" read: {exc}"
            ) from None
        service = body.get("service") if isinstance(body, dict) else None
        if not isinstance(service, dict) or service.get("id") != sid:
            raise GateError(f"PagerDuty answered /services/{sid} without that service")
        name = service.get("name") or service.get("summary") or "?"
        shown.append(f"{sid} {name} ({service.get('status') or '?'})")
    return [f"services: {', '.join(shown)}"] if shown else []


def open_incidents(api: WebApi, services: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Every page of ``GET /incidents?statuses[]=triggered&statuses[]=acknowledged
    &service_ids[]=...&date_range=all``: (name, line) per incident.  Without
    ``date_range=all`` the API lists only incidents created in the last 30 days, and an
    older one can still be open."""
    params: list[tuple[str, Any]] = [
        ("statuses[]", "triggered"),
        ("statuses[]", "acknowledged"),
        *(("service_ids[]", s) for s in services),
        ("date_range", "all"),
        ("limit", LIMIT),
    ]
    found: dict[str, tuple[tuple[str, int], str, str]] = {}
    dropped = pages = offset = 0
    while True:
        body = api.get_json("/incidents", [*params, ("offset", offset)])[0]
        incidents = body.get("incidents") if isinstance(body, dict) else None
        if not isinstance(incidents, list):
            raise GateError("PagerDuty answered /incidents without an 'incidents' list")
        pages += 1
        for incident in incidents:
            if not isinstance(incident, dict) or not isinstance(incident.get("id"), str):
                raise GateError(f"PagerDuty listed an incident without an id: {incident!r:.120}")
            service = incident.get("service")
            service_id = service.get("id") if isinstance(service, dict) else None
            if incident.get("status") not in ("triggered", "acknowledged") or (
                services and service_id not in services
            ):
                dropped += 1
                continue
            since = str(incident.get("created_at") or "")
            number = incident.get("incident_number")
            order = (since, number if isinstance(number, int) else 0)
            found[incident["id"]] = (order, *_describe(incident, since))
        if not body.get("more"):
            break
        step = body.get("limit") if isinstance(body.get("limit"), int) else LIMIT
        offset += max(1, step)
        if not incidents or offset >= MAX_OFFSET:
            raise GateError(
                f"PagerDuty's pages of /incidents do not end (page {pages}, offset {offset})"
            )
    notes = [f"{pages} page(s) of incidents read"]
    if dropped:
        notes.append(
            f"{dropped} incident(s) in the answer were resolved or of other services when"
            " checked here: not counted"
        )
    return [(name, line) for _, name, line in sorted(found.values())], notes


def _describe(incident: dict[str, Any], since: str) -> tuple[str, str]:
    number = incident.get("incident_number")
    title = " ".join(str(incident.get("title") or incident.get("summary") or "").split())[:200]
    name = f"#{number} {title[:80]}"
    service = incident.get("service")
    service_name = service.get("summary") if isinstance(service, dict) else None
    parts = [str(incident.get("status")), f"since {since or '?'}"]
    if service_name:
        parts.insert(1, f"service {service_name}")
    line = f"#{number} [{incident.get('urgency') or '?'}] {title} ({', '.join(parts)})"
    url = incident.get("html_url")
    return name, line + (f" {url}" if url else "")
