"""The outline of a Markdown document: its headings, and which of them have content.

Enough of CommonMark to tell a written document from a template: ATX headings (``## Steps``,
with an optional closing ``##``) and setext headings (a line underlined with ``===`` or
``---``); fenced code blocks (```` ``` ```` or ``~~~``), whose lines are content and never
headings (a ``# comment`` in a shell snippet is not a heading); HTML comments, YAML front
matter, thematic breaks and blank lines, which are not content.  Knows nothing of pytest.

Nor are the marks of an unfilled template content: placeholder lines (``TODO``, ``TBD``,
``TK``, ``FIXME`` at the start of a line or list item, ``...`` alone, an empty list item or
an empty unchecked ``- [ ]``), a table's header and separator rows, and table rows whose
cells are all empty or placeholders.  They are counted in ``Outline.placeholders``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_WORD = re.compile(r"\w+")
_MARKERS = re.compile(r"^(?:>\s*)*(?:(?:[-*+]|\d{1,9}[.)])(?:\s+|$))?(?:\[[ xX]?\](?:\s+|$))?")
# TK (a journalist's "to come") only in capitals: "tk" may be a word.
_PLACEHOLDER = re.compile(r"^(?:(?:TODO|TBD|FIXME|(?-i:TK))\b|(?:\.{3,}|…)$)", re.IGNORECASE)
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")


@dataclass
class Heading:
    level: int
    text: str
    line: int
    has_content: bool = False
    words: int = 0  # content words of its section, sub-sections included

    @property
    def key(self) -> str:
        return heading_key(self.text)


@dataclass
class Outline:
    headings: list[Heading] = field(default_factory=list)
    content_lines: int = 0
    words: int = 0
    placeholders: int = 0  # template lines not counted as content (TODO, empty rows...)


def is_placeholder(line: str) -> bool:
    """A line that only holds a template's mark: ``TODO: ...``, ``TBD``, ``...``, an empty
    list item or unchecked box (``- [ ]``), a table row with only empty or such cells."""
    text = line.strip()
    if "|" in text:
        cells = [c.strip() for c in text.strip("|").split("|")]
        return all(not _WORD.search(c) or is_placeholder(c) for c in cells)
    rest = _MARKERS.sub("", text, count=1).strip().strip("*_`").strip()
    if not rest:
        return True
    return bool(_PLACEHOLDER.match(rest))


def heading_key(text: str) -> str:
    """How headings compare: case-insensitive, spaces collapsed, emphasis markers dropped."""
    text = " ".join(text.split()).strip("*_` ")
    return text.casefold()


def outline(text: str) -> Outline:
    """Headings (with whether their section has content) and the amount of content."""
    lines = text.splitlines()
    items: list[Heading | int] = []  # headings and the line numbers of content lines
    out = Outline()
    fence: str | None = None
    in_comment = False
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        for n in range(1, len(lines)):
            if lines[n].strip() in ("---", "..."):
                start = n + 1
                break
    paragraph = False  # the previous line is paragraph text (a setext underline may follow)
    for n in range(start, len(lines)):
        line, lineno = lines[n], n + 1
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            elif line.strip():
                items.append(lineno)
            continue
        if in_comment:
            in_comment = "-->" not in line
            continue
        stripped = line.strip()
        opening = _FENCE.match(line)
        if opening:
            fence, paragraph = opening.group(1), False
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped[4:]
            rest = stripped.split("-->", 1)[1].strip() if not in_comment else ""
            if rest:
                items.append(lineno)
            paragraph = False
            continue
        if not stripped:
            paragraph = False
            continue
        setext = _SETEXT.match(line)
        if paragraph and setext and items and isinstance(items[-1], int):
            # The paragraph line above was a heading, not content.
            text_line = items.pop()
            assert isinstance(text_line, int)
            level = 1 if setext.group(1)[0] == "=" else 2
            items.append(Heading(level, lines[text_line - 1].strip(), text_line))
            paragraph = False
            continue
        if _BREAK.match(line):
            paragraph = False
            continue
        atx = _ATX.match(line)
        if atx:
            items.append(Heading(len(atx.group(1)), (atx.group(2) or "").strip(), lineno))
            paragraph = False
            continue
        if "|" in stripped and _TABLE_SEP.match(line):
            # A table: its header row above is a label, like a heading, not content.
            if paragraph and items and isinstance(items[-1], int):
                items.pop()
                out.placeholders += 1
            out.placeholders += 1
            paragraph = False
            continue
        if is_placeholder(line):
            out.placeholders += 1
            paragraph = False
            continue
        items.append(lineno)
        paragraph = True
    for i, item in enumerate(items):
        if isinstance(item, int):
            out.content_lines += 1
            out.words += len(_WORD.findall(lines[item - 1]))
            continue
        out.headings.append(item)
        for later in items[i + 1 :]:
            if isinstance(later, Heading):
                if later.level <= item.level:
                    break
                continue
            item.has_content = True
            item.words += len(_WORD.findall(lines[later - 1]))
    return out
