"""Rules, the severity table, and one result -> one finding, for the SARIF reader.

:mod:`pytest_gates.formats.sarif` streams the file and documents the rules (its docstring has
the table).  Here: a run's rules are compacted into :class:`Rule` objects once its ``tool`` has
been read, with the rule half of the table worked out in advance, and :func:`maker` gives the
function that turns each result into a finding, the reader's hot path.  Knows nothing of pytest,
nor of how the file is read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

__all__ = [
    "LEVEL_SEVERITY",
    "MESSAGE_LIMIT",
    "SEVERITIES",
    "Malformed",
    "Rule",
    "RunContext",
    "Wait",
    "explain",
    "maker",
]

SEVERITIES = ("critical", "high", "medium", "low", "info")
"""Most to least severe."""

LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
"""SARIF ``level`` -> severity (row 4 of the table)."""

MESSAGE_LIMIT = 200

Decision = tuple[str, str]
"""(severity, decided_by)."""
F = TypeVar("F")

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
_PROBLEM = {"error": "high", "warning": "medium", "recommendation": "low"}
_NOT_SET = -1  # SARIF's default for an index property: "no index"
_NOT_IN_EFFECT = frozenset({"underReview", "rejected"})
_RESULT_LEVELS: dict[Any, tuple[str, str]] = {
    level: (level, f"level {level} on the result") for level in LEVEL_SEVERITY
}
_PLACEHOLDER = re.compile(r"\{(\d+)\}")


class Malformed(Exception):
    """Part of a run that the reader cannot use; the reader adds where it is."""


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
    """Row 3: Trivy's severity among ``properties.tags``, or None."""
    if type(tags) is list:
        for tag in tags:
            if type(tag) is str and tag in _TAGS:
                return _TAGS[tag], f"Trivy severity tag {tag} {where}"
    return None


def result_decision(props: Mapping[str, Any], rule: Rule | None) -> Decision | None:
    """Rows 2 and 3 for a result that has ``properties`` (None: row 4 decides)."""
    found = security_severity(props.get("security-severity"), "on the result")
    if found is not None:
        return found
    if rule is not None and rule.security is not None:
        return rule.security
    found = severity_tag(props.get("tags"), "on the result")
    if found is not None:
        return found
    if rule is not None and rule.tag is not None:
        return rule.tag
    issue = props.get("issue_severity")
    if type(issue) is str and issue.strip().lower() in _WORDS:
        return _WORDS[issue.strip().lower()], f"Bandit issue_severity {issue}"
    return rule.problem if rule is not None else None


def _level(value: object) -> str | None:
    """A valid SARIF level (any case), or None."""
    if type(value) is str:
        low = value.lower()
        if low in LEVEL_SEVERITY:
            return low
    return None


def _dict(value: object, what: str) -> dict[str, Any]:
    """``value`` if it is an object, {} if it is absent (null), else Malformed."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise Malformed(f"{what} is not an object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list:
        raise Malformed(f"{what} is not an array")
    return value


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _text(value: object) -> str:
    """The ``text`` of a message-like object, or ""."""
    if type(value) is dict:
        text = value.get("text")
        if type(text) is str:
            return text
    return ""


class Rule:
    """A reportingDescriptor, cut down to what the table and the message need."""

    __slots__ = (
        "component",
        "decision",
        "default_level",
        "fallback",
        "id",
        "index",
        "problem",
        "security",
        "strings",
        "tag",
        "text",
    )

    def __init__(self, raw: object, index: int, component: int, where: str) -> None:
        raw = _dict(raw, where)
        rule_id = raw.get("id")
        self.id: str = rule_id if type(rule_id) is str else ""
        self.index = index
        self.component = component  # -1: the driver, else tool.extensions[component]
        props = _dict(raw.get("properties"), f"{where}.properties")
        on_rule = f"on rule {self.id}"
        self.security = security_severity(props.get("security-severity"), on_rule)
        self.tag = severity_tag(props.get("tags"), on_rule)
        problem = props.get("problem.severity")
        self.problem: Decision | None = None
        if type(problem) is str and problem.lower() in _PROBLEM:
            self.problem = _PROBLEM[problem.lower()], f"CodeQL problem.severity {problem} {on_rule}"
        # Rows 2-3 for a result without properties of its own.
        self.decision = self.security or self.tag or self.problem
        config = raw.get("defaultConfiguration")
        self.default_level = _level(config.get("level")) if type(config) is dict else None
        # Row 4 for a result without level/kind; set by RunContext once invocations are known.
        self.fallback: tuple[str, str] = ("warning", "default level warning")
        strings = raw.get("messageStrings")
        self.strings: dict[str, str] = {}
        if type(strings) is dict:
            self.strings = {key: _text(value) for key, value in strings.items()}
        self.text = _text(raw.get("shortDescription")) or _text(raw.get("fullDescription"))


def _default_fallback(default_level: str | None) -> tuple[str, str]:
    if default_level is not None:
        return default_level, f"rule defaultConfiguration.level {default_level}"
    return "warning", "default level warning"


class RunContext:
    """What a run says about its results: tool name, rules, invocation overrides.

    Built from the run's ``tool`` as soon as it has been read; :meth:`set_invocations` completes
    it (with ``[]`` when the run has none).
    """

    def __init__(self, index: int, tool: object, overrides: Mapping[str, str]) -> None:
        self.index = index
        tool = _dict(tool, "tool")
        driver = _dict(tool.get("driver"), "tool.driver")
        name = driver.get("name")
        self.tool: str = name if type(name) is str else ""
        severity = overrides.get(self.tool.casefold())
        self.override: Decision | None = None
        if severity is not None:
            self.override = severity, f"override {self.tool}={severity}"
        self.driver = self._rules(driver, -1, "tool.driver")
        self.driver_len = len(self.driver)
        self.extensions: list[list[Rule]] = []
        self.extension_names: dict[str, int] = {}
        for number, ext in enumerate(_list(tool.get("extensions"), "tool.extensions")):
            where = f"tool.extensions[{number}]"
            ext = _dict(ext, where)
            self.extensions.append(self._rules(ext, number, where))
            for key in ("guid", "name"):
                if type(ext.get(key)) is str:
                    self.extension_names.setdefault(ext[key], number)
        # By id: the driver first, then the extensions in order (first declaration wins).
        self.by_id: dict[str, Rule] = {}
        self.component_ids: list[dict[str, Rule]] = []
        for rules in (self.driver, *self.extensions):
            ids: dict[str, Rule] = {}
            for rule in rules:
                ids.setdefault(rule.id, rule)
                self.by_id.setdefault(rule.id, rule)
            self.component_ids.append(ids)
        # Row 4 for results without a rule: ruleConfigurationOverrides by id, else "warning".
        self.id_levels: dict[str, tuple[str, str]] = {}
        self.ready = False

    @staticmethod
    def _rules(component: dict[str, Any], number: int, where: str) -> list[Rule]:
        rules = _list(component.get("rules"), f"{where}.rules")
        return [Rule(raw, i, number, f"{where}.rules[{i}]") for i, raw in enumerate(rules)]

    def set_invocations(self, invocations: object) -> None:
        """Apply ``ruleConfigurationOverrides`` (first match wins) and finish the context."""
        levels: dict[Rule, str] = {}
        for number, invocation in enumerate(_list(invocations, "invocations")):
            where = f"invocations[{number}]"
            invocation = _dict(invocation, where)
            overrides = invocation.get("ruleConfigurationOverrides")
            for i, item in enumerate(_list(overrides, f"{where}.ruleConfigurationOverrides")):
                at = f"{where}.ruleConfigurationOverrides[{i}]"
                item = _dict(item, at)
                level = _level(_dict(item.get("configuration"), f"{at}.configuration").get("level"))
                if level is None:
                    continue  # e.g. only "enabled": not read
                descriptor = _dict(item.get("descriptor"), f"{at}.descriptor")
                rule = self._lookup(descriptor, descriptor.get("index"), f"{at}.descriptor")
                if rule is not None:
                    levels.setdefault(rule, level)
                elif type(descriptor.get("id")) is str:
                    label = f"ruleConfigurationOverrides level {level}"
                    self.id_levels.setdefault(descriptor["id"], (level, label))
        for rules in (self.driver, *self.extensions):
            for rule in rules:
                if rule in levels:
                    rule.fallback = levels[rule], f"ruleConfigurationOverrides level {levels[rule]}"
                else:
                    rule.fallback = _default_fallback(rule.default_level)
        self.ready = True

    def resolve(self, result: dict[str, Any]) -> Rule | None:
        """The rule of a result: by index (``ruleIndex``/``rule.index``), else by id (``ruleId``/
        ``rule.id``, then its hierarchical prefixes ``a/b`` and ``a``), else None.

        An index outside its rules array is Malformed: the result names a rule that is not there.
        """
        ref = _dict(result.get("rule"), "rule")
        index = result.get("ruleIndex")
        if index is None or index == _NOT_SET:
            index = ref.get("index")
        rule_id = result.get("ruleId")
        if type(rule_id) is not str:
            rule_id = ref.get("id")
        return self._lookup(ref, index, "rule", rule_id, "ruleIndex")

    def _lookup(
        self,
        ref: dict[str, Any],
        index: object,
        where: str,
        rule_id: object = None,
        index_name: str = "",
    ) -> Rule | None:
        component = _dict(ref.get("toolComponent"), f"{where}.toolComponent")
        if rule_id is None:
            rule_id = ref.get("id")
        rules, ids, owner = self.driver, self.by_id, "tool.driver"
        number = component.get("index")
        if number is None or number == _NOT_SET:
            named = component.get("guid") or component.get("name")
            number = self.extension_names.get(named) if type(named) is str else None
        if number is not None:
            if type(number) is not int or not 0 <= number < len(self.extensions):
                raise Malformed(
                    f"{where}.toolComponent.index {number!r} is out of range "
                    f"(tool.extensions has {_count(len(self.extensions), 'component')})"
                )
            rules, ids = self.extensions[number], self.component_ids[number + 1]
            owner = f"tool.extensions[{number}]"
        if index is not None and index != _NOT_SET:
            if type(index) is not int or not 0 <= index < len(rules):
                raise Malformed(
                    f"{index_name or where + '.index'} {index!r} is out of range "
                    f"({owner} has {_count(len(rules), 'rule')})"
                )
            return rules[index]
        if type(rule_id) is str:
            while True:
                rule = ids.get(rule_id)
                if rule is not None or "/" not in rule_id:
                    return rule
                rule_id = rule_id.rpartition("/")[0]
        return None

    def fallback(self, rule: Rule | None, rule_id: str) -> tuple[str, str]:
        """Row 4 after the result's own level and kind: overrides, rule default, warning."""
        if rule is not None:
            return rule.fallback
        while True:
            found = self.id_levels.get(rule_id)
            if found is not None:
                return found
            if "/" not in rule_id:
                return "warning", "default level warning"
            rule_id = rule_id.rpartition("/")[0]


# -- one result -> one finding ---------------------------------------------------------------


class Wait(Exception):
    """The level of this result may come from the run's invocations, not read yet."""


def maker(
    ctx: RunContext, report: str, twin: Callable[..., Any], finding_class: type[F]
) -> Callable[[dict[str, Any]], F]:
    """The function that turns a result of this run into a finding (the hot path).

    It raises Wait for a result whose level may come from invocations not read yet.
    """
    tool, run = ctx.tool, ctx.index
    driver, driver_len = ctx.driver, ctx.driver_len
    resolve, override = ctx.resolve, ctx.override
    result_levels, level_severity = _RESULT_LEVELS, LEVEL_SEVERITY

    def make(result: dict[str, Any]) -> F:
        get = result.get
        index = get("ruleIndex")
        rule: Rule | None
        if type(index) is int and 0 <= index < driver_len and "rule" not in result:
            rule = driver[index]
        else:
            rule = resolve(result)
        rule_id = get("ruleId")
        if type(rule_id) is not str:
            ref = get("rule")
            rule_id = ref.get("id") if ref else None
            if type(rule_id) is not str:
                rule_id = rule.id if rule is not None else ""
        found = result_levels.get(get("level"))  # the fast path: a valid level
        if found is None:
            found = _level_fallback(result, rule, rule_id, ctx)
        level, by_level = found
        props = get("properties")
        if override is not None:
            severity, decided_by = override
        else:
            decision = (
                result_decision(props, rule)
                if props
                else (rule.decision if rule is not None else None)
            )
            if decision is None:
                severity, decided_by = level_severity[level], by_level
            else:
                severity, decided_by = decision
        message: Any = get("message")
        text = message.get("text") if message else None
        if type(text) is not str or "arguments" in message:
            text = _message(message, rule)
        path, line, line_text = "", None, ""
        locations = get("locations")
        if locations:
            physical = locations[0].get("physicalLocation")
            if physical:
                artifact = physical.get("artifactLocation")
                if artifact:
                    uri = artifact.get("uri")
                    if type(uri) is str:
                        path = uri
                region = physical.get("region")
                if region:
                    start = region.get("startLine")
                    if type(start) is int:
                        line = start
                    snippet = region.get("snippet")
                    if snippet:
                        snip = snippet.get("text")
                        if type(snip) is str:
                            line_text = snip.strip()
        prints = get("fingerprints") or get("partialFingerprints")
        baseline = get("baselineState")
        suppressions = get("suppressions")
        suppressed = False
        if suppressions:
            suppressed = True
            for suppression in suppressions:
                if suppression.get("status") in _NOT_IN_EFFECT:
                    suppressed = False
                    break
        finding = twin(
            tool,
            rule_id,
            severity,
            decided_by,
            level,
            _one_line(text),
            path,
            line,
            line_text,
            _first_value(prints) if prints else "",
            baseline if type(baseline) is str else "",
            suppressed,
            report,
            run,
        )
        finding.__class__ = finding_class
        return cast(F, finding)

    return make


def _first_value(prints: Any) -> str:
    """One key: its value.  Several: every ``key=value`` in key order, joined with ";" (one
    key alone may not tell findings apart: Gitleaks' first key is the commit's author)."""
    if len(prints) == 1:
        value = next(iter(prints.values()))
        return value if type(value) is str else str(value)
    return ";".join(f"{key}={prints[key]}" for key in sorted(prints))


def _level_fallback(
    result: dict[str, Any], rule: Rule | None, rule_id: str, ctx: RunContext
) -> tuple[str, str]:
    """Row 4 when ``level`` is not one of the four in lower case; Wait for invocations."""
    level = result.get("level")
    if type(level) is str and level.lower() in LEVEL_SEVERITY:
        return level.lower(), f"level {level} on the result"
    kind = result.get("kind")
    if kind is not None and kind != "fail":
        return "none", f"kind {kind}"
    if not ctx.ready:
        raise Wait
    return ctx.fallback(rule, rule_id)


def _message(message: Any, rule: Rule | None) -> str:
    """The text of a message that is not a plain ``text``: markdown, messageStrings, arguments."""
    if not message:
        return rule.text if rule is not None else ""
    text = message.get("text")
    if type(text) is not str:
        text = message.get("markdown")
    if type(text) is not str:
        key = message.get("id")
        text = rule.strings.get(key, "") if rule is not None and type(key) is str else ""
        if not text:
            text = rule.text if rule is not None else ""
    arguments = message.get("arguments")
    if arguments and type(arguments) is list:

        def argument(match: re.Match[str]) -> str:
            number = int(match.group(1))
            return str(arguments[number]) if number < len(arguments) else match.group(0)

        text = _PLACEHOLDER.sub(argument, text)
    return text


def _one_line(text: str) -> str:
    """Whitespace collapsed, cut to MESSAGE_LIMIT characters (str methods, no regex or split
    unless needed: this runs for every result)."""
    cut = len(text) > MESSAGE_LIMIT
    if cut:
        text = text[: MESSAGE_LIMIT - 1]
    if "\n" in text:
        text = text.replace("\n", " ")
    if "  " in text or "\r" in text or "\t" in text:
        text = " ".join(text.split())
    elif text[:1] == " " or text[-1:] == " ":
        text = text.strip()
    return text + "\u2026" if cut else text


# Parts of a result that must be objects (dict) or arrays (list) when present.
_SHAPE: tuple[tuple[tuple[str | int, ...], type], ...] = (
    (("rule",), dict),
    (("rule", "toolComponent"), dict),
    (("message",), dict),
    (("message", "arguments"), list),
    (("locations",), list),
    (("locations", 0), dict),
    (("locations", 0, "physicalLocation"), dict),
    (("locations", 0, "physicalLocation", "artifactLocation"), dict),
    (("locations", 0, "physicalLocation", "region"), dict),
    (("locations", 0, "physicalLocation", "region", "snippet"), dict),
    (("properties",), dict),
    (("fingerprints",), dict),
    (("partialFingerprints",), dict),
    (("suppressions",), list),
)


def explain(result: dict[str, Any]) -> str:
    """Which part of a result has the wrong type ("" if none found)."""
    for key in ("level", "kind", "ruleId"):
        if result.get(key) is not None and type(result[key]) is not str:
            return f"{key} is not a string"
    for path, kind in _SHAPE:
        value: Any = result
        for step in path:
            if type(step) is int:
                value = value[step] if type(value) is list and len(value) > step else None
            else:
                value = value.get(step) if type(value) is dict else None
        if value is not None and type(value) is not kind:
            dotted = "".join(f"[{step}]" if type(step) is int else f".{step}" for step in path)
            what = "an object" if kind is dict else "an array"
            return f"{dotted[1:]} is not {what}"
    for number, suppression in enumerate(result.get("suppressions") or ()):
        if type(suppression) is not dict:
            return f"suppressions[{number}] is not an object"
    return ""
