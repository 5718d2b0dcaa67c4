"""Alertmanager label matchers (``severity="critical"``, ``team=~"shop|pay"``, ``!=``,
``!~``): parsed, printed back in a canonical form, and matched against an alert's labels
the way Alertmanager does (a missing label is the empty string; regular expressions are
anchored at both ends).

The syntax is Alertmanager's (``pkg/labels/parse.go``): a label name, an operator, and a
value that may be in double quotes, where ``\\"``, ``\\\\`` and ``\\n`` are escapes.
Alertmanager's regular expressions are Go's RE2; Python's ``re`` agrees on the common
syntax, and the constructs RE2 lacks (lookaround, backreferences, atomic groups) are refused
so that the gate and the server cannot disagree about them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Matcher", "MatcherError", "parse_matcher", "parse_matchers"]

OPERATORS = ("=~", "!~", "!=", "=")  # the two-character ones first
_SYNTAX = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)
_NOT_RE2_GROUPS = ("(?=", "(?!", "(?<=", "(?<!", "(?>", "(?P=")
_ESCAPES = {"n": "\n", '"': '"', "\\": "\\"}


class MatcherError(ValueError):
    """A matcher that cannot be parsed; the message says why."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # one of OPERATORS
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(f"(?:{self.value})", actual, re.DOTALL) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        """Canonical form, as Alertmanager prints it: ``name op "escaped value"``."""
        escaped = self.value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


def parse_matcher(text: str) -> Matcher:
    """One matcher; raises MatcherError with the reason."""
    found = _SYNTAX.match(text)
    if found is None:
        raise MatcherError(
            "expected a label name, an operator (=, !=, =~, !~) and a value,"
            ' e.g. severity="critical"'
        )
    name, op, raw = found.groups()
    value = _unquote(raw)
    if op in ("=~", "!~"):
        if not _re2_compatible(value):
            raise MatcherError(
                "lookaround, backreferences and atomic groups are not RE2 syntax"
                " (Alertmanager's regular expressions)"
            )
        try:
            re.compile(f"(?:{value})")
        except re.error as exc:
            raise MatcherError(f"bad regular expression: {exc}") from None
    return Matcher(name, op, value)


def parse_matchers(texts: list[str]) -> tuple[list[Matcher], list[str]]:
    """All matchers of a list: (the good ones, one problem per bad one, naming it)."""
    good: list[Matcher] = []
    problems: list[str] = []
    for i, text in enumerate(texts, 1):
        try:
            good.append(parse_matcher(text))
        except MatcherError as exc:
            problems.append(f"matcher {i} {text!r}: {exc}")
    return good, problems


def _re2_compatible(pattern: str) -> bool:
    """False for the Python-only constructs, outside escapes and character classes."""
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if not in_class and pattern[i + 1 : i + 2] in tuple("123456789"):
                return False
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] == "]" else 1  # "[]...]": the ] is literal
            continue
        elif char == "(" and pattern.startswith(_NOT_RE2_GROUPS, i):
            return False
        i += 1
    return True


def _unquote(raw: str) -> str:
    if not raw.startswith('"'):
        if raw.startswith(("=", "~")):  # Alertmanager would take "team==shop" as "=shop"
            raise MatcherError(
                f'an unquoted value starting with {raw[0]!r}: did you mean name="value"?'
                " (quote a value that really starts with it)"
            )
        if '"' in raw:
            raise MatcherError('a value with a double quote must be quoted: name="a \\" b"')
        return raw
    if len(raw) < 2 or not raw.endswith('"') or _escaped_end(raw):
        raise MatcherError("the value's closing double quote is missing")
    out: list[str] = []
    body = raw[1:-1]
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            # Alertmanager keeps a backslash before any other character as it is.
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if char == '"':
            raise MatcherError('an unescaped double quote inside the value (write \\")')
        out.append(char)
        i += 1
    return "".join(out)


def _escaped_end(raw: str) -> bool:
    """True when the final quote is escaped (an odd run of backslashes before it)."""
    run = len(raw) - 1 - len(raw[:-1].rstrip("\\"))
    return run % 2 == 1
