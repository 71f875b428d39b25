"""Clause segmentation with exact spans.

The contract's own numbering is the clause id. The segmenter works in four passes:

1. **Lines → items.** Each line is either blank, plain text, or starts with a numbering marker from one of
   the families Chinese contracts use (``一、``, ``（一）``, ``1、``, ``1.``, ``1.1`` … ``3.1.3.5.1``,
   ``（1）``, ``1)``, ``a)``/``b ``, ``①``, ``第X条``, ``第X章``, Markdown ``#### 1. 标题``). Word-export list
   counters (``8. 4.3``) and markup (``**``, ``[bookmark: …]``) in front of a marker are skipped; a marker
   alone on its line takes the next line as its body.
2. **Front matter.** When the top-level numbering restarts (a contract form numbered 一…五 followed by the
   agreement numbered 一…十一), the longest run is the body; what comes before it is front matter, kept as
   un-numbered title/preamble clauses.
3. **Tree.** A stack of open markers: a marker of a family already open closes back to that level (a
   sibling); dotted numbers also close deeper dotted levels; any other family opens a child.
4. **Clauses.** A marker whose text is a short title with a body or children is a heading (never an empty
   clause); any other marker starts a clause. Unnumbered paragraphs continue the open clause, or become the
   body of the heading just above them.

Every clause satisfies ``document.text[start:end] == text`` and its sentences carry their own offsets.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rag.markup import strip_markup
from rag.normalize import parse_number
from rag.records import Clause, ClauseKind, Document, Heading, Span

CN_DIGITS = "零〇一二三四五六七八九十百千两"

# Characters that, right after a dotted number, show it is a cross-reference or a quantity
# (``11.5.14.2的试验``, ``2.2 和 2.3``, ``3.5%``, ``1.5倍``), not a clause number.
_NOT_AFTER_NUMBER = set("的条款项和与或及至到中所规、，,%％‰倍元万千日天个小年月号时分秒-~～/")

_LEAD_MARKUP = re.compile(r"(?:[ \t\u3000]+|\*\*|__|\[bookmark:[^\]\n]*\])+")
_MD_HEADING = re.compile(r"#{1,6}[ \t]+")
_WORD_COUNTER = re.compile(
    r"\d{1,3}\.[ \t]+(?=(?:\[bookmark:[^\]\n]*\])?\d{1,3}(?:\.\d{1,3})*(?:\.|[ \t]|$|[^\d.%％]))"
)
_SENTENCE_END = re.compile(r"[。！？!?；;]+[”’」』）)\]】]*|\n+")
_TITLE_WORDS = re.compile(r"(协议|合同|条款|章程|规则|细则|须知|声明|政策)(书)?$")
_SENTENCE_PUNCT = set("。；;！？!?：:，,")

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

#: Ids of un-numbered front-matter clauses.
TITLE_ID = "标题"
PREAMBLE_ID = "前言"


def cn_to_int(text: str) -> int | None:
    """Value of a Chinese or Arabic numeral such as ``十一``, ``二十三``, ``105``; None if not a numeral."""
    if not ((text.isascii() and text.isdigit()) or (text and all(ch in CN_DIGITS for ch in text))):
        return None
    value = parse_number(text)
    return int(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Segmentation:
    """The result of segmenting one document."""

    doc_id: str
    provider: str
    clauses: tuple[Clause, ...]
    headings: tuple[Heading, ...]
    markers: tuple[Span, ...]  # numbering tokens (and Word list counters): not body text


@dataclass(slots=True)
class _Line:
    start: int
    end: int  # end of the line's text, newline excluded
    content: int  # first character after leading whitespace and markup


@dataclass(slots=True)
class _Marker:
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


@dataclass(slots=True)
class _Open:
    clause_id: str
    kind: ClauseKind
    path: tuple[str, ...]
    number: str
    start: int
    end: int
    lines: list[int] = field(default_factory=list)


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        m = _LEAD_MARKUP.match(text, pos, end)
        content = m.end() if m else pos
        out.append(_Line(pos, end, content))
        pos = end + 1
    return out


def _skip(text: str, pos: int, end: int) -> int:
    m = _LEAD_MARKUP.match(text, pos, end)
    return m.end() if m else pos


def _trim_end(text: str, start: int, end: int) -> int:
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


def _find_markers(text: str, lines: list[_Line]) -> list[_Marker]:
    markers: list[_Marker] = []
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
            pos = _skip(text, md.end(), line.end)
        counter = _WORD_COUNTER.match(text, pos, line.end)
        if counter:
            spans.append(Span(pos, counter.end(), text[pos : counter.end()]))
            pos = _skip(text, counter.end(), line.end)
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
        body_start, body_line = _skip(text, after, line.end), i
        if _trim_end(text, body_start, line.end) <= body_start:  # number alone: body on the next line
            j = i + 1
            while j < len(lines) and lines[j].content >= lines[j].end:
                j += 1
            if j < len(lines) and _peek_marker(text, lines[j]) is None:
                body_start, body_line = lines[j].content, j
                consumed.add(j)
            else:
                body_start = line.end
        value = cn_to_int(label.strip("()")) if family != "chapter" and family != "article" else None
        if family.startswith("dotted"):
            value = int(label.split(".")[-1])
        markers.append(
            _Marker(
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


def _peek_marker(text: str, line: _Line) -> tuple[str, str, str, int, int] | None:
    pos = line.content
    counter = _WORD_COUNTER.match(text, pos, line.end)
    if counter:
        pos = _skip(text, counter.end(), line.end)
    if _MD_HEADING.match(text, line.start, line.end):
        return ("md", "", "", 0, pos)
    return _match_marker(text, pos, line.end, None)


def _body_start_index(markers: list[_Marker]) -> int:
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


def _build_tree(markers: list[_Marker]) -> None:
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


def _is_title(text: str) -> bool:
    text = strip_markup(text).strip()
    return 0 < len(text) <= 30 and not (set(text) & _SENTENCE_PUNCT)


def _assign_ids(markers: list[_Marker]) -> None:
    seen: Counter[str] = Counter()
    for marker in markers:
        if marker.depth >= 2:
            own = marker.label
        else:
            label = marker.label or marker.title or "§"
            own = f"{markers[marker.parent].clause_id}.{label}" if marker.parent is not None else label
        seen[own] += 1
        marker.clause_id = own if seen[own] == 1 else f"{own}~{seen[own]}"


def split_sentences(text: str, start: int, end: int) -> tuple[Span, ...]:
    """Sentences of ``text[start:end]`` with their own offsets (cut after 。！？；and at line breaks)."""
    spans: list[Span] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        _add_sentence(text, pos, m.end(), spans)
        pos = m.end()
    _add_sentence(text, pos, end, spans)
    return tuple(spans)


def _add_sentence(text: str, start: int, end: int, spans: list[Span]) -> None:
    start = _skip(text, start, end)
    while start < end and text[start] == "\n":
        start = _skip(text, start + 1, end)
    end = _trim_end(text, start, end)
    if end > start and strip_markup(text[start:end]).strip():
        spans.append(Span(start, end, text[start:end]))


def segment(document: Document, provider: str = "") -> Segmentation:
    """Split a contract into clauses numbered the way the contract numbers them."""
    text = document.text
    lines = _lines(text)
    markers = _find_markers(text, lines)
    first = _body_start_index(markers)
    front_end_line = markers[first].line if markers else len(lines)
    markers = markers[first:]
    _build_tree(markers)

    # Titles (text of the marker's first body line) and which markers are headings.
    by_line = {m.line: m for m in markers}
    body_lines = {m.body_line for m in markers if m.body_line != m.line}
    for marker in markers:
        line = lines[marker.body_line]
        first_line = text[marker.body_start : line.end] if marker.body_start < line.end else ""
        marker.title = strip_markup(first_line).strip()
        nxt = _next_nonblank(lines, marker.body_line + 1, text)
        followed_by_text = nxt is not None and nxt not in by_line and nxt not in body_lines
        marker.heading = bool(
            marker.md_level
            or marker.family == "chapter"
            or not marker.title
            or (_is_title(first_line) and (marker.children > 0 or followed_by_text))
        )
    _assign_ids(markers)

    clauses: list[Clause] = []
    headings: list[Heading] = []
    marker_spans: list[Span] = [s for m in markers for s in m.spans]
    open_: _Open | None = None
    seen_ids: Counter[str] = Counter()

    def close() -> None:
        nonlocal open_
        if open_ is not None and open_.end > open_.start:
            clauses.append(
                Clause(
                    doc_id=document.doc_id,
                    provider=provider,
                    clause_id=open_.clause_id,
                    kind=open_.kind,
                    heading_path=open_.path,
                    start=open_.start,
                    end=open_.end,
                    text=text[open_.start : open_.end],
                    sentences=split_sentences(text, open_.start, open_.end),
                    number=open_.number,
                )
            )
        open_ = None

    def path_of(marker: _Marker) -> tuple[str, ...]:
        titles: list[str] = []
        node: _Marker | None = marker
        while node is not None:
            if node.heading and node.title:
                titles.append(node.title)
            node = markers[node.parent] if node.parent is not None else None
        return tuple(reversed(titles))

    # Front matter: one un-numbered clause per non-blank line (title lines are kind "title").
    for line in lines[:front_end_line]:
        end = _trim_end(text, line.content, line.end)
        if end <= line.content:
            continue
        is_title = _is_title(text[line.content : end]) and bool(
            _TITLE_WORDS.search(strip_markup(text[line.content : end]).strip())
        )
        base = TITLE_ID if is_title else PREAMBLE_ID
        seen_ids[base] += 1
        n = seen_ids[base]
        clause_id = (base if n == 1 else f"{base}~{n}") if is_title else f"{base}.{n}"
        clauses.append(
            Clause(
                doc_id=document.doc_id,
                provider=provider,
                clause_id=clause_id,
                kind="title" if is_title else "preamble",
                heading_path=(),
                start=line.content,
                end=end,
                text=text[line.content : end],
                sentences=split_sentences(text, line.content, end),
            )
        )

    last_heading: _Marker | None = None
    for i in range(front_end_line, len(lines)):
        line = lines[i]
        here = by_line.get(i)
        if here is not None:
            close()
            if here.heading:
                headings.append(
                    Heading(
                        doc_id=document.doc_id,
                        clause_id=here.clause_id,
                        title=here.title,
                        start=line.start if not here.spans else here.spans[0].start,
                        end=_trim_end(text, line.start, lines[here.body_line].end),
                        depth=len(path_of(here)),
                    )
                )
                last_heading = here
            else:
                last_heading = None
                body_end = _trim_end(text, here.body_start, lines[here.body_line].end)
                open_ = _Open(here.clause_id, "clause", path_of(here), here.number, here.body_start, body_end)
            continue
        if i in body_lines or line.content >= line.end:
            continue
        end = _trim_end(text, line.content, line.end)
        if end <= line.content:
            continue
        if open_ is not None:
            open_.end = end
        elif last_heading is not None:
            open_ = _Open(
                last_heading.clause_id,
                "clause",
                path_of(last_heading),
                last_heading.number,
                line.content,
                end,
            )
        else:  # text after a closed structure with nothing open: keep it as an un-numbered clause
            seen_ids[PREAMBLE_ID] += 1
            open_ = _Open(f"{PREAMBLE_ID}.{seen_ids[PREAMBLE_ID]}", "preamble", (), "", line.content, end)
    close()
    return Segmentation(document.doc_id, provider, tuple(clauses), tuple(headings), tuple(marker_spans))


def _next_nonblank(lines: list[_Line], start: int, text: str) -> int | None:
    for j in range(start, len(lines)):
        if _trim_end(text, lines[j].content, lines[j].end) > lines[j].content:
            return j
    return None
