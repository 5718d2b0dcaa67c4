"""The severity scale and the rows of the table that need no run context (rows 2 and 3).

:mod:`pytest_gates.formats.sarif` documents the whole table; :mod:`.sarif_rules` applies rows
1 and 4 (they need the run: its tool name, rules and invocations) and puts the rows together.
Knows nothing of pytest, nor of how the file is read.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sarif_rules import Rule

__all__ = [
    "LEVEL_SEVERITY",
    "SEVERITIES",
    "Decision",
    "level_of",
    "result_decision",
    "score_severity",
    "security_severity",
    "severity_tag",
]

SEVERITIES = ("critical", "high", "medium", "low", "info")
"""Most to least severe."""

LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
"""SARIF ``level`` -> severity (row 4 of the table)."""

Decision = tuple[str, str]
"""(severity, decided_by)."""

# Row 2 words and Bandit's issue_severity.  GitHub advisories say "moderate", Grype says
# "negligible"; anything else (UNDEFINED, UNKNOWN, "n/a") is not understood: the next row decides.
_WORDS = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "info": "info",
    "informational": "info",
    "none": "info",
    "negligible": "info",
}
# Trivy writes exactly one of these in properties.tags.  Upper case only: other tools' tags such
# as "HIGH CONFIDENCE" or SpotBugs' "MALICIOUS_CODE" are not severities.  Trivy scores UNKNOWN
# as security-severity 0.0, hence info.
_TAGS = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "medium",
    "LOW": "low",
    "UNKNOWN": "info",
}
PROBLEM_SEVERITY = {"error": "high", "warning": "medium", "recommendation": "low"}
"""CodeQL's ``problem.severity`` -> severity (row 3c)."""


def score_severity(score: float) -> str:
    """CVSS-style score -> severity (GitHub code scanning's bands)."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low" if score > 0 else "info"


def security_severity(value: object, where: str) -> Decision | None:
    """Row 2: a ``security-severity`` value (number, numeric string or word), or None."""
    if type(value) is str:
        word = _WORDS.get(value.strip().lower())
        if word is not None:
            return word, f"security-severity {value!r} {where}"
        try:
            score = float(value)
        except ValueError:
            return None
        label = repr(value)
    elif type(value) is int or type(value) is float:  # not bool
        score = value
        label = str(value)
    else:
        return None
    if not math.isfinite(score) or score < 0:
        return None
    return score_severity(score), f"security-severity {label} {where}"


def severity_tag(tags: object, where: str) -> Decision | None:
    """Row 3: Trivy's severity among ``properties.tags`` (a JSON array), or None."""
    if type(tags) is list or type(tags) is tuple:  # tuple: the msgspec reader's arrays
        for tag in tags:
            if type(tag) is str and tag in _TAGS:
                return _TAGS[tag], f"Trivy severity tag {tag} {where}"
    return None


def result_decision(
    score: object, tags: object, issue: object, rule: Rule | None
) -> Decision | None:
    """Rows 2 and 3 from a result's ``properties`` values ``security-severity``, ``tags`` and
    ``issue_severity`` (None when absent) and its rule; None: row 4 decides."""
    found = security_severity(score, "on the result")
    if found is not None:
        return found
    if rule is not None and rule.security is not None:
        return rule.security
    found = severity_tag(tags, "on the result")
    if found is not None:
        return found
    if rule is not None and rule.tag is not None:
        return rule.tag
    if type(issue) is str and issue.strip().lower() in _WORDS:
        return _WORDS[issue.strip().lower()], f"Bandit issue_severity {issue}"
    return rule.problem if rule is not None else None


def level_of(value: object) -> str | None:
    """A valid SARIF level (any case), or None."""
    if type(value) is str:
        low = value.lower()
        if low in LEVEL_SEVERITY:
            return low
    return None


def properties_of(props: Any) -> tuple[object, object, object]:
    """The values of ``properties`` that rows 2 and 3 read from a result (a dict)."""
    return props.get("security-severity"), props.get("tags"), props.get("issue_severity")
