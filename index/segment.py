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
from dataclasses import dataclass, field, replace

from core.records import Clause, ClauseKind, Document, Heading, Span
from core.text import strip_markup
from index.numbering import (
    Line,
    Marker,
    assign_ids,
    body_start_index,
    build_tree,
    find_markers,
    skip_markup,
    split_lines,
    trim_end,
)

#: Bump when segmentation output changes, so old indexes are rebuilt rather than misread.
SEGMENTER_VERSION = "2026.11-1"

_SENTENCE_END = re.compile(r"[。！？!?；;]+[”’」』）)\]】]*|\n+")
_TITLE_WORDS = re.compile(r"(协议|合同|条款|章程|规则|细则|须知|声明|政策)(书)?$")
_SENTENCE_PUNCT = set("。；;！？!?：:，,")

#: Ids of un-numbered front-matter clauses.
TITLE_ID = "标题"
PREAMBLE_ID = "前言"


@dataclass(frozen=True, slots=True)
class Segmentation:
    """The result of segmenting one document."""

    doc_id: str
    provider: str
    clauses: tuple[Clause, ...]
    headings: tuple[Heading, ...]
    markers: tuple[Span, ...]  # numbering tokens (and Word list counters): not body text


@dataclass(slots=True)
class _Open:
    clause_id: str
    kind: ClauseKind
    path: tuple[str, ...]
    number: str
    start: int
    end: int
    lines: list[int] = field(default_factory=list)


def _is_title(text: str) -> bool:
    text = strip_markup(text).strip()
    return 0 < len(text) <= 30 and not (set(text) & _SENTENCE_PUNCT)


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
    start = skip_markup(text, start, end)
    while start < end and text[start] == "\n":
        start = skip_markup(text, start + 1, end)
    end = trim_end(text, start, end)
    if end > start and strip_markup(text[start:end]).strip():
        spans.append(Span(start, end, text[start:end]))


def _mark_headings(text: str, lines: list[Line], markers: list[Marker]) -> None:
    """Give every marker its title (its first body line) and decide which markers are headings: a short
    title with a body or children, a Markdown heading, a chapter, or a number with no text."""
    by_line = {m.line for m in markers}
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


class _Writer:
    """Turns lines and their markers into clauses and headings, in document order."""

    def __init__(self, document: Document, provider: str, lines: list[Line], markers: list[Marker]):
        self.document, self.text, self.provider = document, document.text, provider
        self.lines, self.markers = lines, markers
        self.clauses: list[Clause] = []
        self.headings: list[Heading] = []
        self.open: _Open | None = None
        self.seen_ids: Counter[str] = Counter()

    def clause(self, clause_id: str, kind: ClauseKind, path: tuple[str, ...], start: int, end: int) -> Clause:
        text = self.text
        return Clause(
            doc_id=self.document.doc_id,
            provider=self.provider,
            clause_id=clause_id,
            kind=kind,
            heading_path=path,
            start=start,
            end=end,
            text=text[start:end],
            sentences=split_sentences(text, start, end),
        )

    def close(self) -> None:
        current, self.open = self.open, None
        if current is not None and current.end > current.start:
            clause = self.clause(current.clause_id, current.kind, current.path, current.start, current.end)
            self.clauses.append(replace(clause, number=current.number))

    def path_of(self, marker: Marker) -> tuple[str, ...]:
        titles: list[str] = []
        node: Marker | None = marker
        while node is not None:
            if node.heading and node.title:
                titles.append(node.title)
            node = self.markers[node.parent] if node.parent is not None else None
        return tuple(reversed(titles))

    def front_matter(self, end_line: int) -> None:
        """One un-numbered clause per non-blank line before the body (title lines are kind "title")."""
        text = self.text
        for line in self.lines[:end_line]:
            end = trim_end(text, line.content, line.end)
            if end <= line.content:
                continue
            words = text[line.content : end]
            is_title = _is_title(words) and bool(_TITLE_WORDS.search(strip_markup(words).strip()))
            base = TITLE_ID if is_title else PREAMBLE_ID
            self.seen_ids[base] += 1
            n = self.seen_ids[base]
            clause_id = (base if n == 1 else f"{base}~{n}") if is_title else f"{base}.{n}"
            kind: ClauseKind = "title" if is_title else "preamble"
            self.clauses.append(self.clause(clause_id, kind, (), line.content, end))

    def marker(self, here: Marker) -> Marker | None:
        """A numbered line: a heading (returned, so text below can become its body) or a new clause."""
        self.close()
        line, text = self.lines[here.line], self.text
        if here.heading:
            start = line.start if not here.spans else here.spans[0].start
            end = trim_end(text, line.start, self.lines[here.body_line].end)
            depth = len(self.path_of(here))
            self.headings.append(Heading(self.document.doc_id, here.clause_id, here.title, start, end, depth))
            return here
        body_end = trim_end(text, here.body_start, self.lines[here.body_line].end)
        self.open = _Open(
            here.clause_id, "clause", self.path_of(here), here.number, here.body_start, body_end
        )
        return None

    def plain(self, start: int, end: int, last_heading: Marker | None) -> None:
        """An un-numbered line: it continues the open clause, becomes the body of the heading above, or
        (after a closed structure with nothing open) is kept as an un-numbered clause."""
        if self.open is not None:
            self.open.end = end
        elif last_heading is not None:
            h = last_heading
            self.open = _Open(h.clause_id, "clause", self.path_of(h), h.number, start, end)
        else:
            self.seen_ids[PREAMBLE_ID] += 1
            self.open = _Open(f"{PREAMBLE_ID}.{self.seen_ids[PREAMBLE_ID]}", "preamble", (), "", start, end)

    def body(self, start_line: int) -> None:
        by_line = {m.line: m for m in self.markers}
        body_lines = {m.body_line for m in self.markers if m.body_line != m.line}
        last_heading: Marker | None = None
        for i in range(start_line, len(self.lines)):
            line = self.lines[i]
            here = by_line.get(i)
            if here is not None:
                last_heading = self.marker(here)
                continue
            if i in body_lines or line.content >= line.end:
                continue
            end = trim_end(self.text, line.content, line.end)
            if end > line.content:
                self.plain(line.content, end, last_heading)
        self.close()


def segment(document: Document, provider: str = "") -> Segmentation:
    """Split a contract into clauses numbered the way the contract numbers them."""
    text = document.text
    lines = split_lines(text)
    markers = find_markers(text, lines)
    first = body_start_index(markers)
    front_end_line = markers[first].line if markers else len(lines)
    markers = markers[first:]
    build_tree(markers)
    _mark_headings(text, lines, markers)
    assign_ids(markers)
    writer = _Writer(document, provider, lines, markers)
    writer.front_matter(front_end_line)
    writer.body(front_end_line)
    spans = tuple(s for m in markers for s in m.spans)
    return Segmentation(document.doc_id, provider, tuple(writer.clauses), tuple(writer.headings), spans)


def _next_nonblank(lines: list[Line], start: int, text: str) -> int | None:
    for j in range(start, len(lines)):
        if trim_end(text, lines[j].content, lines[j].end) > lines[j].content:
            return j
    return None
