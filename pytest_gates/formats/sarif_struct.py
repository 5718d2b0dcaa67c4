"""A SARIF result as msgspec decodes it for the fast reader, and that result -> one finding.

Only the members a finding is made of are declared: msgspec skips the others (code flows,
related locations, fixes...) without building them, which is most of the speed of the fast
reader.  The types are strict where the severity decision is cached (a ``ruleIndex`` that is
not an integer, a ``level`` that is not a string) and loose where the streamed reader is
(``Any``): a result that does not fit fails to decode, and the streamed reader reads the file.
:func:`struct_maker` gives the same findings as :func:`.sarif_make.maker` gives for the same
result built as a dict (``tests/test_formats_sarif.py`` compares them on every corpus file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import msgspec
from msgspec import UNSET, Struct, UnsetType

from .sarif_make import CACHE_LIMIT, NOT_IN_EFFECT, Made, first_value, message_text, one_line
from .sarif_rules import Rule, RunContext

__all__ = ["RESULTS", "Result", "struct_maker"]

F = TypeVar("F")


class ToolComponentRef(Struct, frozen=True, gc=False):
    index: int | None = None
    guid: str | None = None
    name: str | None = None


class RuleRef(Struct, frozen=True, gc=False):
    id: str | None = None
    index: int | None = None
    toolComponent: ToolComponentRef | None = None


class Message(Struct, gc=False):
    text: Any = None
    markdown: Any = None
    id: Any = None
    arguments: Any = UNSET  # "arguments" present (even null) sends the text through message_text


class Snippet(Struct, gc=False):
    text: Any = None


class ArtifactLocation(Struct, gc=False):
    uri: Any = None


class Region(Struct, gc=False):
    startLine: Any = None
    snippet: Snippet | None = None


class PhysicalLocation(Struct, gc=False):
    artifactLocation: ArtifactLocation | None = None
    region: Region | None = None


class Location(Struct, gc=False):
    physicalLocation: PhysicalLocation | None = None


class Properties(Struct, gc=False, rename={"score": "security-severity"}):
    score: Any = None
    tags: tuple[Any, ...] | None = None
    issue_severity: Any = None


class Suppression(Struct, gc=False):
    status: Any = None


class Result(Struct, gc=False):
    ruleId: str | None = None
    ruleIndex: int | None = None
    rule: RuleRef | None = None
    level: str | None = None
    kind: str | None = None
    message: Message | None = None
    locations: tuple[Location, ...] | None = None
    properties: Properties | None = None
    fingerprints: dict[str, Any] | None = None
    partialFingerprints: dict[str, Any] | None = None
    baselineState: Any = None
    suppressions: tuple[Suppression, ...] | None = None


RESULTS = msgspec.json.Decoder(list[Result])
"""Decodes a JSON array of results."""


def _as_dict(result: Result) -> dict[str, Any]:
    """What :meth:`RunContext.resolve` reads, as the dict the streamed reader would have."""
    ref: dict[str, Any] | None = None
    if result.rule is not None:
        component = result.rule.toolComponent
        ref = {
            "id": result.rule.id,
            "index": result.rule.index,
            "toolComponent": None if component is None else msgspec.structs.asdict(component),
        }
    return {"ruleIndex": result.ruleIndex, "ruleId": result.ruleId, "rule": ref}


def struct_maker(
    ctx: RunContext, report: str, twin: Callable[..., Any], finding_class: type[F]
) -> Callable[[Result], F]:
    """The function that turns a decoded result of this run into a finding.

    It raises what :func:`.sarif_make.maker`'s function raises for the same result (Wait,
    Malformed, TypeError...).
    """
    tool, run = ctx.tool, ctx.index
    driver, driver_len = ctx.driver, ctx.driver_len
    cache: dict[tuple[Any, ...], Made] = {}

    def decide(result: Result) -> Made:
        ref, index = result.rule, result.ruleIndex
        rule: Rule | None
        if index is not None and 0 <= index < driver_len and ref is None:
            rule = driver[index]
        else:
            rule = ctx.resolve(_as_dict(result))
        rule_id = result.ruleId
        if rule_id is None:
            rule_id = ref.id if ref is not None else None
            if rule_id is None:
                rule_id = rule.id if rule is not None else ""
        props = result.properties
        found = (props.score, props.tags, props.issue_severity) if props is not None else None
        return (rule, rule_id, *ctx.decide(rule, rule_id, result.level, result.kind, found))

    def make(result: Result) -> F:
        props = result.properties
        key: tuple[Any, ...] = (
            result.ruleIndex,
            result.ruleId,
            result.rule,
            result.level,
            result.kind,
        )
        if props is not None:
            # With its type: 9 and 9.0 are equal keys but "security-severity 9" is not "9.0".
            key += (props.score, type(props.score), props.tags, props.issue_severity)
        try:
            made = cache[key]
        except KeyError:
            made = decide(result)
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[key] = made
        except TypeError:  # an array or object in properties
            made = decide(result)
        rule, rule_id, severity, decided_by, level = made
        message = result.message
        if message is None:
            text = rule.text if rule is not None else ""
        else:
            text = message.text
            arguments = message.arguments
            if type(text) is not str or arguments is not UNSET:
                if type(arguments) is UnsetType:
                    arguments = None
                text = message_text(text, message.markdown, message.id, arguments, rule)
        path, line, line_text = "", None, ""
        locations = result.locations
        if locations:
            physical = locations[0].physicalLocation
            if physical is not None:
                artifact = physical.artifactLocation
                if artifact is not None and type(artifact.uri) is str:
                    path = artifact.uri
                region = physical.region
                if region is not None:
                    if type(region.startLine) is int:
                        line = region.startLine
                    snippet = region.snippet
                    if snippet is not None and type(snippet.text) is str:
                        line_text = snippet.text.strip()
        prints = result.fingerprints or result.partialFingerprints
        baseline = result.baselineState
        suppressed = False
        if result.suppressions:
            suppressed = True
            for suppression in result.suppressions:
                if suppression.status in NOT_IN_EFFECT:
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
        finding.__class__ = finding_class
        return cast(F, finding)

    return make
