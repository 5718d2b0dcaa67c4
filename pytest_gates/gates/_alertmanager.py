"""Prometheus Alertmanager API v2: the alerts that are firing and neither silenced nor
inhibited, one line each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..api import GateError
from ..formats.alertmatchers import Matcher
from ._webapi import WebApi


def firing(
    api: WebApi, matchers: Sequence[Matcher]
) -> tuple[list[tuple[str, str]], list[str], int]:
    """``GET /api/v2/alerts?active=true&silenced=false&inhibited=false&unprocessed=true``
    with one ``filter`` per matcher: ((name, line) per alert that counts, notes, how many
    alerts are active in all).

    The same rules are applied again here (state, silencedBy, inhibitedBy, the matchers),
    so that a proxy or server that ignores a parameter cannot hide nor add an alert:
    an alert counts only when both agree it is active and selected.  Unprocessed alerts
    (not yet run through silences and inhibitions) count: the gate fails closed.

    With matchers, every active alert is fetched too (the same query without ``filter``):
    while alerts are active, a matcher whose label none of them carries selects nothing,
    which is a typo far more often than a choice, and is a GateError."""
    selected, dropped = _active(api, matchers)
    notes = []
    if dropped:
        notes.append(
            f"{dropped} alert(s) in the answer were silenced, inhibited or not selected by the"
            " matchers when checked here: not counted (does the server ignore 'filter'?)"
        )
    total = len(selected)
    if matchers:
        everything = _active(api, ())[0]
        total = len(everything)
        seen = sorted({name for labels, _ in everything for name in labels})
        for m in matchers if everything else ():
            if m.name not in seen:
                raise GateError(
                    f"matcher {m} names the label {m.name!r}, which none of the {total} active"
                    f" alert(s) in Alertmanager has (labels seen: {', '.join(seen)}): a typo?"
                    " It would select nothing"
                )
        notes.insert(0, f"{len(selected)} of {total} active alert(s) match the matchers")
    found = []
    for labels, alert in selected:
        status = alert.get("status")
        status = status if isinstance(status, dict) else {}
        since = str(alert.get("startsAt") or "")
        name = _name(labels)
        state = str(status.get("state") or "?")
        found.append((since, name, _line(name, alert, since, state)))
    return [(name, line) for _, name, line in sorted(found)], notes, total


def _active(
    api: WebApi, matchers: Sequence[Matcher]
) -> tuple[list[tuple[dict[str, str], dict[str, Any]]], int]:
    """The active alerts the server lists for ``matchers`` and this side agrees on:
    ((labels, alert) each, how many in the answer were dropped here)."""
    params = [
        ("active", "true"),
        ("silenced", "false"),
        ("inhibited", "false"),
        ("unprocessed", "true"),
        *(("filter", str(m)) for m in matchers),
    ]
    body = api.get_json("/api/v2/alerts", params)[0]
    if not isinstance(body, list):
        raise GateError(f"Alertmanager answered /api/v2/alerts with a {type(body).__name__}")
    kept: list[tuple[dict[str, str], dict[str, Any]]] = []
    dropped = 0
    for alert in body:
        labels, status = _labels(alert), alert.get("status")
        status = status if isinstance(status, dict) else {}
        muted = (
            status.get("state") == "suppressed"
            or status.get("silencedBy")
            or (status.get("inhibitedBy"))
        )
        if muted or not all(m.matches(labels) for m in matchers):
            dropped += 1
            continue
        kept.append((labels, alert))
    return kept, dropped


def _labels(alert: Any) -> dict[str, str]:
    labels = alert.get("labels") if isinstance(alert, dict) else None
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise GateError(f"Alertmanager listed an alert without labels: {str(alert)[:120]}")
    return labels


def _name(labels: dict[str, str]) -> str:
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "alertname")
    return f"{labels.get('alertname', '(no alertname)')}{{{rest}}}"


def _line(name: str, alert: dict[str, Any], since: str, state: str) -> str:
    annotations = alert.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    summary = annotations.get("summary") or annotations.get("description") or ""
    summary = " ".join(str(summary).split())[:200]
    line = f"{name} since {since or '?'}"
    if state != "active":
        line += f" ({state})"
    return line + (f": {summary}" if summary else "")
