"""One result (a dict, as a JSON parser builds it) -> one finding: the readers' hot path.

The severity decision depends on few parts of a result (its rule reference, level, kind and
three properties), so it is cached per run for results that have the same ones; the message,
location and fingerprint are read from every result.  Knows nothing of pytest, nor of how the
file is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar, cast

from .sarif_rules import Decided, Rule, RunContext
from .sarif_severity import properties_of

__all__ = [
    "BOM",
    "CACHE_LIMIT",
    "MESSAGE_LIMIT",
    "NOT_IN_EFFECT",
    "Hooks",
    "Made",
    "explain",
    "first_value",
    "maker",
    "message_text",
    "one_line",
]

MESSAGE_LIMIT = 200
BOM = b"\xef\xbb\xbf"
CACHE_LIMIT = 4_096
"""Decisions cached per run; beyond, the cache starts again (a run whose results all differ)."""

NOT_IN_EFFECT = frozenset({"underReview", "rejected"})
_PLACEHOLDER = re.compile(r"\{(\d+)\}")
F = TypeVar("F")


class Hooks:
    """What both readers take from :mod:`pytest_gates.formats.sarif` at each call (tests set
    them there): read size, ijson backend (None: ijson's own), held-results limit, how to open
    and identify the file, and the finding classes (see :func:`maker`)."""

    __slots__ = ("backend", "chunk", "finding", "identity", "open", "pending_limit", "twin")

    def __init__(
        self,
        chunk: int,
        backend: str | None,
        pending_limit: int,
        open: Callable[[str], BinaryIO],  # the hook is named after open()
        identity: Callable[[BinaryIO], tuple[int, ...]],
        twin: Callable[..., Any],
        finding: type,
    ) -> None:
        self.chunk = chunk
        self.backend = backend
        self.pending_limit = pending_limit
        self.open = open
        self.identity = identity
        self.twin = twin
        self.finding = finding


Made = tuple[Rule | None, str, str, str, str]
"""(rule, rule id, severity, decided_by, effective level)."""


def maker(
    ctx: RunContext, report: str, twin: Callable[..., Any], finding_class: type[F]
) -> Callable[[dict[str, Any]], F]:
    """The function that turns a result of this run into a finding.

    It raises Wait for a result whose level may come from invocations not read yet, Malformed
    (or AttributeError, TypeError...: see :func:`explain`) for a result it cannot read.
    """
    tool, run = ctx.tool, ctx.index
    driver, driver_len = ctx.driver, ctx.driver_len
    cache: dict[tuple[Any, ...], Made] = {}

    def decide(result: dict[str, Any]) -> Made:
        get = result.get
        index = get("ruleIndex")
        rule: Rule | None
        if type(index) is int and 0 <= index < driver_len and "rule" not in result:
            rule = driver[index]
        else:
            rule = ctx.resolve(result)
        rule_id = get("ruleId")
        if type(rule_id) is not str:
            ref = get("rule")
            rule_id = ref.get("id") if ref else None
            if type(rule_id) is not str:
                rule_id = rule.id if rule is not None else ""
        props = get("properties")
        decided: Decided = ctx.decide(
            rule, rule_id, get("level"), get("kind"), properties_of(props) if props else None
        )
        return (rule, rule_id, *decided)

    def make(result: dict[str, Any]) -> F:
        get = result.get
        if "rule" in result or get("properties"):
            made = decide(result)  # rarer shapes: not cached
        else:
            # Types too: 1, 1.0 and True are equal keys, but only 1 is a rule index, and
            # "kind 1" is not "kind True".
            index, kind = get("ruleIndex"), get("kind")
            key = (index, type(index), get("ruleId"), get("level"), kind, type(kind))
            try:
                made = cache[key]
            except KeyError:
                made = decide(result)
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                cache[key] = made
            except TypeError:  # an array or object where a string or number belongs
                made = decide(result)
        rule, rule_id, severity, decided_by, level = made
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
                if suppression.get("status") in NOT_IN_EFFECT:
                    suppressed = False
                    break
        finding = twin(
            tool,
            rule_id,
            severity,
            decided_by,
            level,
            one_line(text),
            path,
            line,
            line_text,
            first_value(prints) if prints else "",
            baseline if type(baseline) is str else "",
            suppressed,
            report,
            run,
        )
        # The twin has the finding's slots: it becomes one without a frozen __setattr__ per
        # field (see sarif.Finding).
        finding.__class__ = finding_class
        return cast(F, finding)

    return make


def first_value(prints: Any) -> str:
    """One key: its value.  Several: every ``key=value`` in key order, joined with ";" (one
    key alone may not tell findings apart: Gitleaks' first key is the commit's author)."""
    if len(prints) == 1:
        value = next(iter(prints.values()))
        return value if type(value) is str else str(value)
    return ";".join(f"{key}={prints[key]}" for key in sorted(prints))


def _message(message: Any, rule: Rule | None) -> str:
    if not message:
        return rule.text if rule is not None else ""
    return message_text(
        message.get("text"),
        message.get("markdown"),
        message.get("id"),
        message.get("arguments"),
        rule,
    )


def message_text(
    text: object, markdown: object, key: object, arguments: object, rule: Rule | None
) -> str:
    """The text of a message that is not a plain ``text``: markdown, messageStrings, arguments."""
    if type(text) is not str:
        text = markdown
    if type(text) is not str:
        text = rule.strings.get(key, "") if rule is not None and type(key) is str else ""
        if not text:
            text = rule.text if rule is not None else ""
    assert type(text) is str
    if arguments and (type(arguments) is list or type(arguments) is tuple):
        args: Any = arguments

        def argument(match: re.Match[str]) -> str:
            number = int(match.group(1))
            return str(args[number]) if number < len(args) else match.group(0)

        text = _PLACEHOLDER.sub(argument, text)
    return text


def one_line(text: str) -> str:
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
