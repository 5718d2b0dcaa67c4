"""A run's rules and invocations, and the severity decision for one result of the run.

:class:`RunContext` is built once a run's ``tool`` has been read (its rules cut down to
:class:`Rule` objects, with the rule half of the table worked out in advance) and completed by
its ``invocations``; :meth:`RunContext.decide` applies the table (see
:mod:`pytest_gates.formats.sarif`) to what a result says.  Knows nothing of pytest, nor of how
the file is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .sarif_severity import (
    LEVEL_SEVERITY,
    PROBLEM_SEVERITY,
    Decision,
    level_of,
    result_decision,
    security_severity,
    severity_tag,
)

__all__ = ["Decided", "Malformed", "Rule", "RunContext", "Wait"]

NOT_SET = -1  # SARIF's default for an index property: "no index"
_RESULT_LEVELS: dict[Any, tuple[str, str]] = {
    level: (level, f"level {level} on the result") for level in LEVEL_SEVERITY
}
_DEFAULT = ("warning", "default level warning")

Decided = tuple[str, str, str]
"""(severity, decided_by, effective level) of a result."""


class Malformed(Exception):
    """Part of a run that the reader cannot use; the reader adds where it is."""


class Wait(Exception):
    """The level of this result may come from the run's invocations, not read yet."""


def as_dict(value: object, what: str) -> dict[str, Any]:
    """``value`` if it is an object, {} if it is absent (null), else Malformed."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise Malformed(f"{what} is not an object")
    return value


def as_list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list:
        raise Malformed(f"{what} is not an array")
    return value


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def text_of(value: object) -> str:
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
        raw = as_dict(raw, where)
        rule_id = raw.get("id")
        self.id: str = rule_id if type(rule_id) is str else ""
        self.index = index
        self.component = component  # -1: the driver, else tool.extensions[component]
        props = as_dict(raw.get("properties"), f"{where}.properties")
        on_rule = f"on rule {self.id}"
        self.security = security_severity(props.get("security-severity"), on_rule)
        self.tag = severity_tag(props.get("tags"), on_rule)
        problem = props.get("problem.severity")
        self.problem: Decision | None = None
        if type(problem) is str and problem.lower() in PROBLEM_SEVERITY:
            self.problem = (
                PROBLEM_SEVERITY[problem.lower()],
                f"CodeQL problem.severity {problem} {on_rule}",
            )
        # Rows 2-3 for a result without properties of its own.
        self.decision = self.security or self.tag or self.problem
        config = raw.get("defaultConfiguration")
        self.default_level = level_of(config.get("level")) if type(config) is dict else None
        # Row 4 for a result without level/kind; set by RunContext once invocations are known.
        self.fallback: tuple[str, str] = _DEFAULT
        strings = raw.get("messageStrings")
        self.strings: dict[str, str] = {}
        if type(strings) is dict:
            self.strings = {key: text_of(value) for key, value in strings.items()}
        self.text = text_of(raw.get("shortDescription")) or text_of(raw.get("fullDescription"))


def _default_fallback(default_level: str | None) -> tuple[str, str]:
    if default_level is not None:
        return default_level, f"rule defaultConfiguration.level {default_level}"
    return _DEFAULT


class RunContext:
    """What a run says about its results: tool name, rules, invocation overrides.

    Built from the run's ``tool`` as soon as it has been read; :meth:`set_invocations` completes
    it (with ``[]`` when the run has none).
    """

    def __init__(self, index: int, tool: object, overrides: Mapping[str, str]) -> None:
        self.index = index
        tool = as_dict(tool, "tool")
        driver = as_dict(tool.get("driver"), "tool.driver")
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
        for number, ext in enumerate(as_list(tool.get("extensions"), "tool.extensions")):
            where = f"tool.extensions[{number}]"
            ext = as_dict(ext, where)
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
        rules = as_list(component.get("rules"), f"{where}.rules")
        return [Rule(raw, i, number, f"{where}.rules[{i}]") for i, raw in enumerate(rules)]

    def set_invocations(self, invocations: object) -> None:
        """Apply ``ruleConfigurationOverrides`` (first match wins) and finish the context."""
        levels: dict[Rule, str] = {}
        for number, invocation in enumerate(as_list(invocations, "invocations")):
            where = f"invocations[{number}]"
            invocation = as_dict(invocation, where)
            overrides = invocation.get("ruleConfigurationOverrides")
            for i, item in enumerate(as_list(overrides, f"{where}.ruleConfigurationOverrides")):
                at = f"{where}.ruleConfigurationOverrides[{i}]"
                item = as_dict(item, at)
                config = as_dict(item.get("configuration"), f"{at}.configuration")
                level = level_of(config.get("level"))
                if level is None:
                    continue  # e.g. only "enabled": not read
                descriptor = as_dict(item.get("descriptor"), f"{at}.descriptor")
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

    def resolve(self, result: Mapping[str, Any]) -> Rule | None:
        """The rule of a result: by index (``ruleIndex``/``rule.index``), else by id (``ruleId``/
        ``rule.id``, then its hierarchical prefixes ``a/b`` and ``a``), else None.

        An index outside its rules array is Malformed: the result names a rule that is not there.
        """
        ref = as_dict(result.get("rule"), "rule")
        index = result.get("ruleIndex")
        if index is None or index == NOT_SET:
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
        component = as_dict(ref.get("toolComponent"), f"{where}.toolComponent")
        if rule_id is None:
            rule_id = ref.get("id")
        rules, ids, owner = self.driver, self.by_id, "tool.driver"
        number = component.get("index")
        if number is None or number == NOT_SET:
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
        if index is not None and index != NOT_SET:
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

    def decide(
        self,
        rule: Rule | None,
        rule_id: str,
        level: object,
        kind: object,
        props: tuple[object, object, object] | None,
    ) -> Decided:
        """The table for one result: its rule, final rule id, ``level`` and ``kind`` as written,
        and ``props`` (its ``properties``' security-severity, tags and issue_severity; None
        without properties).  Raises Wait when the level may come from invocations not read yet.
        """
        found = _RESULT_LEVELS.get(level)  # the fast path: a valid level
        if found is None:
            found = self._level_fallback(level, kind, rule, rule_id)
        effective, by_level = found
        if self.override is not None:
            return (*self.override, effective)
        if props is not None:
            decision = result_decision(*props, rule)
        else:
            decision = rule.decision if rule is not None else None
        if decision is None:
            return LEVEL_SEVERITY[effective], by_level, effective
        return (*decision, effective)

    def _level_fallback(
        self, level: object, kind: object, rule: Rule | None, rule_id: str
    ) -> tuple[str, str]:
        """Row 4 when ``level`` is not one of the four in lower case; Wait for invocations."""
        if type(level) is str and level.lower() in LEVEL_SEVERITY:
            return level.lower(), f"level {level} on the result"
        if kind is not None and kind != "fail":
            return "none", f"kind {kind}"
        if not self.ready:
            raise Wait
        if rule is not None:
            return rule.fallback
        while True:
            found = self.id_levels.get(rule_id)
            if found is not None:
                return found
            if "/" not in rule_id:
                return _DEFAULT
            rule_id = rule_id.rpartition("/")[0]
