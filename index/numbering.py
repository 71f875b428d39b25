"""Numbering markers: which lines start a numbered item, of which family, at which depth, and the tree
they form. Used by :mod:`index.segment`, which turns markers into clauses and headings."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from core.numbers import CN_DIGITS, cn_to_int
from core.records import Span

# Characters that, right after a dotted number, show it is a cross-reference or a quantity
# (``11.5.14.2的试验``, ``2.2 和 2.3``, ``3.5%``, ``1.5倍``), not a clause number.
_NOT_AFTER_NUMBER = set("的条款项和与或及至到中所规、，,%％‰倍元万千日天个小年月号时分秒-~～/")

_LEAD_MARKUP = re.compile(r"(?:[ \t\u3000]+|\*\*|__|\[bookmark:[^\]\n]*\])+")
_MD_HEADING = re.compile(r"#{1,6}[ \t]+")
_WORD_COUNTER = re.compile(
    r"\d{1,3}\.[ \t]+(?=(?:\[bookmark:[^\]\n]*\])?\d{1,3}(?:\.\d{1,3})*(?:\.|[ \t]|$|[^\d.%％]))"
)

_DOTTED = re.compile(r"(\d{1,3}(?:\.\d{1,3})*)(\.|．)?")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("article", re.compile(rf"第([{CN_DIGITS}\d]+)条")),
    ("chapter", re.compile(rf"第([{CN_DIGITS}\d]+)(章|节|编|部分)")),
    ("cn-dun", re.compile(rf"([{CN_DIGITS}]+)[、．]")),
    ("cn-paren", re.compile(rf"[（(]([{CN_DIGITS}]+)[）)]")),
    ("num-paren", re.compile(r"[（(](\d{1,3})[）)]")),
    ("num-dun", re.compile(r"(\d{1,3})、")),
    ("num-rparen", re.compile(r"(\d{1,3})[）)]")),
    ("circled", re.compile(r"([\u2460-\u2473])")),
    ("alpha", re.compile(r"([a-zA-Z])[)）]")),
)
_ALPHA_SPACE = re.compile(r"([a-zA-Z])[ \t]+(?=[^\x00-\x7f])")


@dataclass(slots=True)
class Line:
    start: int
    end: int  # end of the line's text, newline excluded
    content: int  # first character after leading whitespace and markup


@dataclass(slots=True)
class Marker:
    line: int
    family: str
    label: str  # the number as it appears in an id: "一", "(1)", "a", "4.3"
    number: str  # the number as written: "一、", "（1）", "4.3"
    value: int | None
    depth: int  # dotted depth (1 for "1.", 2 for "1.1"); 0 for other families
    spans: list[Span]  # the counter and the number token
    body_start: int  # first body character (may be on the next line)
    body_line: int  # the line the body starts on
    md_level: int = 0
    parent: int | None = None
    children: int = 0
    heading: bool = False
    clause_id: str = ""
    title: str = ""


def split_lines(text: str) -> list[Line]:
    out: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        m = _LEAD_MARKUP.match(text, pos, end)
        content = m.end() if m else pos
        out.append(Line(pos, end, content))
        pos = end + 1
    return out


def skip_markup(text: str, pos: int, end: int) -> int:
    m = _LEAD_MARKUP.match(text, pos, end)
    return m.end() if m else pos


def trim_end(text: str, start: int, end: int) -> int:
    """Move ``end`` back over whitespace and trailing emphasis markers."""
    while end > start:
        if text[end - 1].isspace():
            end -= 1
        elif text[end - 2 : end] in ("**", "__") and end - 2 >= start:
            end -= 2
        else:
            break
    return end


def _dotted_marker(text: str, pos: int, end: int) -> tuple[str, str, int, int] | None:
    """Match ``1.`` / ``1.1`` / ``3.1.3.5.1`` at ``pos``: (label, number, depth, end) or None."""
    m = _DOTTED.match(text, pos, end)
    if not m:
        return None
    number, dot = m.group(1), m.group(2)
    after = m.end()
    nxt = text[after] if after < end else ""
    # The first visible character after the number tells a cross-reference ("2.2 和 2.3") from a marker.
    visible = text[after:end].lstrip(" \t\u3000")[:1]
    if visible in _NOT_AFTER_NUMBER and visible:
        return None
    depth = number.count(".") + 1
    if depth == 1 and not dot:
        return None  # a bare "3" is not a clause number ("1、" and "1)" are other families)
    if nxt.isdigit() or nxt in _NOT_AFTER_NUMBER:
        return None
    if depth == 1 and nxt not in ("", " ", "\t", "\u3000") and nxt.isascii():
        return None  # "1.a", "1.5": not a list number
    if depth > 1 and nxt.isascii() and nxt not in ("", " ", "\t") and not dot:
        return None  # "1.1x": a version or a quantity
    written = text[pos:after]
    return number, written, depth, after


def _match_marker(
    text: str, pos: int, end: int, prev_alpha: str | None
) -> tuple[str, str, str, int, int] | None:
    """The marker at ``pos``: (family, label, written, depth, end_of_marker) or None."""
    dotted = _dotted_marker(text, pos, end)
    if dotted:
        number, written, depth, after = dotted
        return f"dotted-{depth}", number, written, depth, after
    for family, pattern in _PATTERNS:
        m = pattern.match(text, pos, end)
        if not m:
            continue
        after = m.end()
        label = m.group(1)
        if family == "article" and after < end and text[after] in "规定之中的所款":
            return None  # "第二十三条规定": a cross-reference that happens to start a line
        if family == "chapter" or family == "article":
            label = m.group(0)
        elif family in ("cn-paren", "num-paren"):
            label = f"({label})"
        elif family == "alpha":
            label = label.lower()
        return family, label, text[pos:after], 0, after
    m = _ALPHA_SPACE.match(text, pos, end)
    if m and prev_alpha is not None and ord(m.group(1).lower()) == ord(prev_alpha) + 1:
        return "alpha", m.group(1).lower(), m.group(1), 0, m.end()
    return None


def find_markers(text: str, lines: list[Line]) -> list[Marker]:
    markers: list[Marker] = []
    prev_alpha: str | None = None
    consumed: set[int] = set()
    for i, line in enumerate(lines):
        if i in consumed or line.content >= line.end:
            continue
        pos = line.content
        spans: list[Span] = []
        md_level = 0
        md = _MD_HEADING.match(text, line.start, line.end)
        if md:
            md_level = text[line.start : md.end()].count("#")
            pos = skip_markup(text, md.end(), line.end)
        counter = _WORD_COUNTER.match(text, pos, line.end)
        if counter:
            spans.append(Span(pos, counter.end(), text[pos : counter.end()]))
            pos = skip_markup(text, counter.end(), line.end)
        found = _match_marker(text, pos, line.end, prev_alpha)
        if found is None and not md_level:
            continue
        if found is None:  # a Markdown heading without a number: its title is its label
            family, label, written, depth, after = "md", "", "", 0, pos
        else:
            family, label, written, depth, after = found
            spans.append(Span(pos, pos + len(written), written))
        if md_level:
            family = f"md-{md_level}"
        prev_alpha = label if family == "alpha" else None
        body_start, body_line = skip_markup(text, after, line.end), i
        if trim_end(text, body_start, line.end) <= body_start:  # number alone: body on the next line
            j = i + 1
            while j < len(lines) and lines[j].content >= lines[j].end:
                j += 1
            if j < len(lines) and peek_marker(text, lines[j]) is None:
                body_start, body_line = lines[j].content, j
                consumed.add(j)
            else:
                body_start = line.end
        value = cn_to_int(label.strip("()")) if family != "chapter" and family != "article" else None
        if family.startswith("dotted"):
            value = int(label.split(".")[-1])
        markers.append(
            Marker(
                line=i,
                family=family,
                label=label,
                number=written.strip(),
                value=value,
                depth=depth,
                spans=spans,
                body_start=body_start,
                body_line=body_line,
                md_level=md_level,
            )
        )
    return markers


def peek_marker(text: str, line: Line) -> tuple[str, str, str, int, int] | None:
    pos = line.content
    counter = _WORD_COUNTER.match(text, pos, line.end)
    if counter:
        pos = skip_markup(text, counter.end(), line.end)
    if _MD_HEADING.match(text, line.start, line.end):
        return ("md", "", "", 0, pos)
    return _match_marker(text, pos, line.end, None)


def body_start_index(markers: list[Marker]) -> int:
    """Index of the first marker of the body: the longest run of the top-level numbering."""
    if not markers:
        return 0
    top = markers[0].family
    runs: list[tuple[int, int]] = []  # (first marker index, number of top-level markers)
    last_value: int | None = None
    for idx, marker in enumerate(markers):
        if marker.family != top:
            continue
        restart = marker.value is not None and last_value is not None and marker.value <= 1 < last_value
        if restart or not runs:
            runs.append((idx, 0))
        runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        last_value = marker.value
    best = max(runs, key=lambda run: (run[1], run[0]))
    return best[0]


def build_tree(markers: list[Marker]) -> None:
    stack: list[int] = []
    for idx, marker in enumerate(markers):
        same = next((k for k in range(len(stack)) if markers[stack[k]].family == marker.family), None)
        if same is not None:
            del stack[same:]
        elif marker.depth:
            deeper = next((k for k in range(len(stack)) if markers[stack[k]].depth > marker.depth), None)
            if deeper is not None:
                del stack[deeper:]
        if stack:
            marker.parent = stack[-1]
            markers[stack[-1]].children += 1
        stack.append(idx)


def assign_ids(markers: list[Marker]) -> None:
    seen: Counter[str] = Counter()
    for marker in markers:
        if marker.depth >= 2:
            own = marker.label
        else:
            label = marker.label or marker.title or "§"
            own = f"{markers[marker.parent].clause_id}.{label}" if marker.parent is not None else label
        seen[own] += 1
        marker.clause_id = own if seen[own] == 1 else f"{own}~{seen[own]}"
