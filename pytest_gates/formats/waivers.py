"""Waivers of security findings: a YAML list of reviewed exceptions that expire.

```yaml
- rule: CVE-2023-1234            # required: a rule id (fnmatch patterns allowed)
  path: "vendor/**"              # optional: a glob on the finding's file
  fingerprint: "abc123"          # optional: only the finding with this fingerprint
  tool: Trivy                    # optional: the tool name (case-insensitive)
  reason: not reachable from our code
  owner: team-payments
  expires: 2027-03-31            # required: a date; after it the waiver no longer counts
```

Imports no pytest.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from dataclasses import dataclass

import yaml

from .errors import FormatError, open_report

REQUIRED = ("rule", "reason", "owner", "expires")
KNOWN = (*REQUIRED, "path", "fingerprint", "tool")


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    owner: str
    expires: dt.date
    path: str = ""
    fingerprint: str = ""
    tool: str = ""
    where: str = ""  # file:entry, for messages

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def matches(self, tool: str, rule_id: str, path: str, fingerprint: str) -> bool:
        if not fnmatch.fnmatchcase(rule_id, self.rule):
            return False
        if self.tool and self.tool.lower() != tool.lower():
            return False
        if self.fingerprint and self.fingerprint != fingerprint:
            return False
        return not self.path or fnmatch.fnmatchcase(path, self.path)

    def describe(self) -> str:
        scope = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("path", self.path),
                ("tool", self.tool),
                ("fingerprint", self.fingerprint),
            )
            if v
        )
        scope = f" ({scope})" if scope else ""
        return (
            f"waiver for {self.rule}{scope} at {self.where}, owner {self.owner},"
            f" expires {self.expires.isoformat()}: {self.reason}"
        )


def read_waivers(path: str | os.PathLike[str]) -> list[Waiver]:
    """Read and validate a waivers file; every problem is a FormatError naming the entry."""
    with open_report(path) as fh:
        raw = fh.read()
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"not a valid YAML waivers file: {exc}") from None
    if data is None:
        return []
    if isinstance(data, dict) and "waivers" in data:
        data = data["waivers"]
    if not isinstance(data, list):
        raise FormatError(
            path, "a waivers file is a list of entries (rule, reason, owner, expires)"
        )
    waivers = []
    for n, entry in enumerate(data, 1):
        where = f"{os.fspath(path)}#{n}"
        if not isinstance(entry, dict):
            raise FormatError(path, f"entry {n} is not a mapping")
        unknown = sorted(set(map(str, entry)) - set(KNOWN))
        if unknown:
            raise FormatError(path, f"entry {n}: unknown key(s) {', '.join(unknown)}")
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            raise FormatError(path, f"entry {n}: missing {', '.join(missing)}")
        expires = entry["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise FormatError(
                    path, f"entry {n}: expires {expires!r} is not a date (YYYY-MM-DD)"
                ) from None
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        if not isinstance(expires, dt.date):
            raise FormatError(path, f"entry {n}: expires must be a date (YYYY-MM-DD)")
        waivers.append(
            Waiver(
                rule=str(entry["rule"]),
                reason=str(entry["reason"]),
                owner=str(entry["owner"]),
                expires=expires,
                path=str(entry.get("path") or ""),
                fingerprint=str(entry.get("fingerprint") or ""),
                tool=str(entry.get("tool") or ""),
                where=where,
            )
        )
    return waivers
