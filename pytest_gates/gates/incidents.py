"""Kind ``incidents``: no (or few enough) active incidents, from Prometheus Alertmanager
(firing alerts that are neither silenced nor inhibited) or PagerDuty (triggered or
acknowledged incidents)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..api import Gate, GateContext, GateError, Outcome, Setting
from ..formats.alertmatchers import parse_matchers
from . import _alertmanager, _pagerduty
from ._http import is_http_url
from ._webapi import WebApi, token_of, token_problems

SHOWN = 50  # firing alerts / open incidents listed in the details
PAGERDUTY_URL = "https://api.pagerduty.com"


class IncidentsGate(Gate):
    """Counts what is firing and compares it to ``max_active``."""

    kind = "incidents"
    description = "active incidents in Alertmanager or PagerDuty"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        "provider": Setting(
            str, required=True, choices=("alertmanager", "pagerduty"), help="where to look"
        ),
        "url": Setting(
            str,
            default=None,
            help="Alertmanager base URL (required), or the PagerDuty API (default"
            f" {PAGERDUTY_URL})",
        ),
        "token": Setting(str, default=None, help="the token itself, from a variable: ${VAR}"),
        "token_env": Setting(
            str,
            default=None,
            help="variable holding the token (PagerDuty: PAGERDUTY_TOKEN; Alertmanager: none)",
        ),
        "matchers": Setting(
            list, default=[], help='Alertmanager label matchers, e.g. severity="critical"'
        ),
        "services": Setting(list, default=[], help="PagerDuty service ids (default: all)"),
        "max_active": Setting(int, default=0, minimum=0, help="most active incidents allowed"),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = parse_matchers(settings["matchers"])[1]
        pagerduty = settings["provider"] == "pagerduty"
        if pagerduty and settings["matchers"]:
            problems.append("'matchers' select Alertmanager alerts; PagerDuty takes 'services'")
        if not pagerduty and settings["services"]:
            problems.append("'services' are PagerDuty service ids; Alertmanager takes 'matchers'")
        problems += token_problems(settings)
        url = settings["url"]
        if url and not is_http_url(url):
            problems.append("'url' must start with http:// or https://")
        return problems

    def evaluate(self, ctx: GateContext) -> Outcome:
        s = self.settings
        pagerduty = s["provider"] == "pagerduty"
        service = "PagerDuty API" if pagerduty else "Alertmanager"
        url = (s["url"] or "").strip() or (PAGERDUTY_URL if pagerduty else "")
        if not url:
            raise GateError("no Alertmanager: set 'url' (e.g. url: ${ALERTMANAGER_URL})")
        if pagerduty:
            hint = " (a PagerDuty REST API key, read-only is enough)"
            token, credential = token_of(ctx, s, "PAGERDUTY_TOKEN", hint)
            headers = _pagerduty.headers(token or "")
        else:
            token, credential = token_of(ctx, s, None)
            headers = {"Accept": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
        api = WebApi(ctx, service, url, headers=headers, secret=token, credential=credential)
        matchers, problems = parse_matchers(s["matchers"])
        if problems:  # checked when the profile loads; a variable may still bring one
            raise GateError("; ".join(problems))
        if pagerduty:
            checked = _pagerduty.check_services(api, s["services"])
            active, notes = _pagerduty.open_incidents(api, s["services"])
            notes = checked + notes
            what, scope = "open incident", ", ".join(s["services"]) or "all services"
        else:
            active, notes, total = _alertmanager.firing(api, matchers)
            what, scope = "firing alert", ", ".join(map(str, matchers)) or "all alerts"
            if matchers:
                scope += f"; {len(active)} of {total} active alerts match"
        limit: int = s["max_active"]
        count = len(active)
        where = f"in {service} {api.base_url}"
        lines = [
            f"{_count(count, what)} {where} ({scope}), at most {limit} allowed",
            f"source: {'; '.join(api.asked)}" + (f" ({credential})" if credential else ""),
            *notes,
        ]
        if active:
            lines.append("active:")
            lines += [f"  {line}" for _, line in active[:SHOWN]]
            if count > SHOWN:
                lines.append(f"  ... and {count - SHOWN} more")
        kw: dict[str, Any] = {
            "measured": {"active": count},
            "threshold": {"active": f"<= {limit}"},
            "details": "\n".join(lines),
        }
        if count > limit:
            names = "; ".join(name for name, _ in active[:3])
            more = f"; +{count - 3} more" if count > 3 else ""
            return Outcome.failed(
                f"{_count(count, what)} > max_active {limit} {where}: {names}{more}", **kw
            )
        return Outcome.passed(f"{_count(count, what)} <= {limit} {where} ({scope})", **kw)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"
