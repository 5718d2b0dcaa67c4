"""PagerDuty's REST API v2 ``GET /incidents``, served by tests/httpfake.py.

It answers as https://developer.pagerduty.com/api-reference/ (List incidents) documents:
``Authorization: Token token=<key>``; ``statuses[]``, ``service_ids[]`` (repeatable),
``limit`` (default 25, at most 100), ``offset``, ``total``; without ``date_range=all`` (or
``since``/``until``) only incidents created in the last 30 days are listed; the page is
``{"incidents": [...], "limit", "offset", "total", "more"}``; ``GET /services/{id}`` (Get a
service) answers ``{"service": {"id", "type": "service", "summary", "name", "status", ...}}``
for a known service and 404 otherwise; errors are
``{"error": {"message", "code"}}`` (401 code 2006, 429 rate limit with ``ratelimit-*``).

PagerDuty repeats query keys (``statuses[]=triggered&statuses[]=acknowledged``): the route
reads them from httpfake's ``Request.query_all``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from httpfake import FakeServer, Request, Response

SERVICES = {"PSHOP01": "Shop API", "PPAY001": "Payments"}  # the account's services


@dataclass
class Incident:
    number: int
    title: str
    status: str = "triggered"
    urgency: str = "high"
    service: str = "PSHOP01"
    age_days: float = 0.1


class FakePagerDuty:
    def __init__(self, server: FakeServer, token: str) -> None:
        self.server = server
        self.token = token
        self.incidents: list[Incident] = []
        self.rate_limited = False

    def add(self, number: int, title: str, **kw: Any) -> Incident:
        incident = Incident(number, title, **kw)
        self.incidents.append(incident)
        return incident

    def route(self, req: Request) -> Response:
        if req.headers.get("Authorization") != f"Token token={self.token}":
            return Response(401, {"error": {"message": "Unauthorized", "code": 2006}})
        if self.rate_limited:
            return Response(
                429,
                {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                {"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "17"},
            )
        if req.path.startswith("/services/"):
            return self._service(req.path.removeprefix("/services/"))
        if req.path != "/incidents":
            return Response(404, {"error": {"message": "Not Found", "code": 2100}})
        query = req.query_all
        statuses = query.get("statuses[]", [])
        services = query.get("service_ids[]", [])
        every_date = query.get("date_range") == ["all"]
        limit = min(int(query.get("limit", ["25"])[-1]), 100)
        offset = int(query.get("offset", ["0"])[-1])
        matching = [
            i
            for i in self.incidents
            if (not statuses or i.status in statuses)
            and (not services or i.service in services)
            and (every_date or i.age_days <= 30)
        ]
        page = matching[offset : offset + limit]
        return Response(
            200,
            {
                "incidents": [self._json(i) for i in page],
                "limit": limit,
                "offset": offset,
                "total": len(matching) if query.get("total") == ["true"] else None,
                "more": offset + limit < len(matching),
            },
        )

    def _service(self, sid: str) -> Response:
        if sid not in SERVICES:
            return Response(404, {"error": {"message": "Not Found", "code": 2100}})
        return Response(
            200,
            {
                "service": {
                    "id": sid,
                    "type": "service",
                    "summary": SERVICES[sid],
                    "name": SERVICES[sid],
                    "status": "active",
                    "self": f"https://api.pagerduty.com/services/{sid}",
                    "html_url": f"https://acme.pagerduty.com/service-directory/{sid}",
                    "escalation_policy": {
                        "id": "PESC001",
                        "type": "escalation_policy_reference",
                        "summary": "Shop on-call",
                    },
                }
            },
        )

    def _json(self, i: Incident) -> dict[str, Any]:
        created = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC) - dt.timedelta(days=i.age_days)
        stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = f"PINC{i.number:04d}"
        return {
            "id": pid,
            "type": "incident",
            "summary": f"[#{i.number}] {i.title}",
            "self": f"https://api.pagerduty.com/incidents/{pid}",
            "html_url": f"https://acme.pagerduty.com/incidents/{pid}",
            "incident_number": i.number,
            "title": i.title,
            "created_at": stamp,
            "updated_at": stamp,
            "status": i.status,
            "incident_key": f"key-{i.number}",
            "service": {
                "id": i.service,
                "type": "service_reference",
                "summary": SERVICES.get(i.service, "?"),
                "self": f"https://api.pagerduty.com/services/{i.service}",
                "html_url": f"https://acme.pagerduty.com/service-directory/{i.service}",
            },
            "assignments": [],
            "last_status_change_at": stamp,
            "urgency": i.urgency,
            "priority": None,
            "escalation_policy": {
                "id": "PESC001",
                "type": "escalation_policy_reference",
                "summary": "Shop on-call",
            },
            "teams": [],
            "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
        }
