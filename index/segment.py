"""Clause segmentation with exact spans.

The contract's own numbering is the clause id. The segmenter works in four passes:

1. **Lines → items.** Each line is blank (markup alone counts as blank; so does YAML front matter), plain
   text, a table, or starts with a numbering marker from one of the families Chinese contracts use
   (``一、``/``十三：``, ``（一）``, ``1、``/``1 、``, ``1.``, ``1.1`` … ``3.1.3.5.1``/``3.2.12．``,
   ``（1）``, ``1)``, ``a)``/``(a)``/``b ``, ``(ii).``, ``①``, ``第X条``/``第X章``/``第X款``, ``附件二``,
   Markdown ``#### 1. 标题`` or ``## 1 标题``), or is a list bullet. Markup around a number (``**<u>1.2``,
   ``- (i).``, ``3.5.1**您``) and Word-export list counters (``8. 4.3``) are skipped (:mod:`index.cleanup`);
   a marker alone on its line takes the next line as its body.
2. **Outline** (:mod:`index.outline`). The body is the heaviest run of the top-level numbering (a form or a
   numbered table of contents before it is front matter, kept as un-numbered title/preamble clauses); an
   annex or a heading before a restarted numbering starts a part whose ids are prefixed; the markers form
   a tree and get their ids.
3. **Headings.** A marker whose text is a short title with a body or children is a heading (never an empty
   clause), and so is a Markdown heading, a chapter and a table's header row; a bold title at the start of
   a clause (``**3.3. 后付费：**您可…``) is that clause's own title.
4. **Clauses.** Any other marker starts a clause; each table row is a clause of its own. Unnumbered
   paragraphs continue the open clause, or become the body of the heading just above them.

Every clause satisfies ``document.text[start:end] == text`` and its sentences carry their own offsets.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from core.records import Clause, ClauseKind, Document, Heading, Span
from core.text import strip_markup
from index.cleanup import MD_HEADING, bullet_end, skip_line_lead, skip_markup, trim_end
from index.numbering import Line, Marker, find_markers, split_lines
from index.outline import assign_ids, body_start_index, build_tree, label_articles, mark_parts

#: Bump when segmentation or provider output changes; builds also record a digest of the reading code
#: (index/manifest.py ``reader_version``), so an edit there alone also makes old indexes rebuilt.
SEGMENTER_VERSION = "2026.12-5"

#: Where a sentence ends: after 。！？；, at a line break (not the one between two cells of an HTML table
#: row: a row is one sentence), at ``<br>``.
_SENTENCE_END = re.compile(
    r"[。！？!?；;]+[”’」』）)\]】]*|\n++(?![ \t]*<t[dh]\b)|(?:<br[ \t]*/?>)+", re.IGNORECASE
)
_TITLE_WORDS = re.compile(r"(协议|合同|条款|章程|规则|细则|须知|声明|政策)(书)?$")
_SENTENCE_PUNCT = set("。；;！？!?：:，,")
_TITLE_LEAD = "：:、.．-— \t"

#: Characters of a line that wraps a sentence: a line this long (visible text, at least half) that stops
#: on a Chinese character is cut by the source's line width, not by the end of a sentence.
WRAPPED_LINE = 40

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
    row: bool = False
    marker: Marker | None = None  # the list item it started from, when it is one of a tight list


def _is_title(text: str) -> bool:
    text = strip_markup(text).strip()
    return 0 < len(text) <= 30 and not (set(text) & _SENTENCE_PUNCT)


def split_sentences(text: str, start: int, end: int) -> tuple[Span, ...]:
    """Sentences of ``text[start:end]`` with their own offsets (cut after 。！？；and at line breaks, except
    a line break inside a sentence wrapped in the source: …要求乙⏎方工程师 / …授权时⏎，可以…)."""
    spans: list[Span] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.group().startswith("\n") and _wrapped(text, m.start(), m.end(), end):
            continue
        _add_sentence(text, pos, m.end(), spans)
        pos = m.end()
    _add_sentence(text, pos, end, spans)
    return tuple(spans)


#: What a wrapped line may start with when it continues the sentence before it: a Chinese character, a
#: comma-like mark, or an amount with its unit (…发生前⏎1 个月内…), never a clause number (1.2 / 2、).
_CONTINUES = re.compile(
    r"[\u4e00-\u9fff，、,]|\d+(?:\.\d+)?\s*(?:个|日|天|小时|分钟|年|周|次|元|倍|万|千|百|[%％‰])"
)


def _wrapped(text: str, at: int, after: int, end: int) -> bool:
    """Whether the line break at ``at`` (its run ends at ``after``) only wraps a sentence: its line ends
    inside a sentence (on a Chinese character, and long: not a title) and the next line goes on with a
    Chinese character or a comma, not a number or a bullet."""
    line = max(text.rfind("\n", 0, at) + 1, at - WRAPPED_LINE)
    before = strip_markup(text[line:at]).strip()
    nxt = skip_markup(text, after, end)
    return (
        len(before) >= WRAPPED_LINE // 2
        and "\u4e00" <= before[-1] <= "\u9fff"
        and nxt < end
        and _CONTINUES.match(text, nxt) is not None
    )


def _add_sentence(text: str, start: int, end: int, spans: list[Span]) -> None:
    start = skip_markup(text, start, end)
    while start < end and text[start] == "\n":
        start = skip_markup(text, start + 1, end)
    end = trim_end(text, start, end)
    if end > start and strip_markup(text[start:end]).strip():
        spans.append(Span(start, end, text[start:end]))


def _mark_headings(text: str, lines: list[Line], markers: list[Marker]) -> None:
    """Give every marker its title (its first body line) and decide which markers are headings: a short
    title with a body or children, a Markdown heading, a chapter, a part, a table header, or a number
    with no text. A clause whose body opens with a bold title gets that title as ``runin``."""
    by_line = {m.line for m in markers}
    body_lines = {m.body_line for m in markers if m.body_line != m.line}
    for marker in markers:
        if marker.family == "table":
            marker.heading = True
            continue
        line = lines[marker.body_line]
        first_line = text[marker.body_start : line.end] if marker.body_start < line.end else ""
        marker.title = strip_markup(first_line).strip().lstrip(_TITLE_LEAD).rstrip(".．").strip()
        if marker.family == "row":
            continue
        nxt = _next_nonblank(lines, marker.body_line + 1, text)
        followed_by_text = nxt is not None and nxt not in by_line and nxt not in body_lines
        marker.heading = bool(
            marker.md_level
            or marker.family == "chapter"
            or marker.part
            or not marker.title
            or (_is_title(first_line) and (marker.children > 0 or followed_by_text))
        )
        if not marker.heading:
            marker.runin = _runin(text, line.start, line.end, marker.body_start)


def _runin(text: str, line_start: int, line_end: int, body_start: int) -> str:
    """The bold title a clause body opens with (``**3.3. 后付费：**您可先使用…``): emphasis open before
    the body that closes on the same line, with more words after it."""
    before = text[line_start:body_start]
    if before.count("**") % 2 == 0 and before.count("<b>") <= before.count("</b>"):
        return ""
    closes = (text.find(tag, body_start, line_end) for tag in ("**", "</b>"))
    close = min((i for i in closes if i >= 0), default=-1)
    if close < 0 or not strip_markup(text[close:line_end]).strip():
        return ""
    title = strip_markup(text[body_start:close]).strip().rstrip("：:")
    return title if _is_title(title) else ""


class _Writer:
    """Turns lines and their markers into clauses and headings, in document order."""

    def __init__(self, document: Document, provider: str, lines: list[Line], markers: list[Marker]):
        self.document, self.text, self.provider = document, document.text, provider
        self.lines, self.markers = lines, markers
        self.clauses: list[Clause] = []
        self.headings: list[Heading] = []
        self.open: _Open | None = None
        self.seen_ids: Counter[str] = Counter()
        self.taken = {m.clause_id for m in markers}
        self.emitted: set[str] = set()

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
            clause_id, n = current.clause_id, 1
            # Text after a table or a tight list continues what holds it, under a fresh id.
            while clause_id in self.emitted or (n > 1 and clause_id in self.taken):
                n += 1
                clause_id = f"{current.clause_id}~{n}"
            self.emitted.add(clause_id)
            clause = self.clause(clause_id, current.kind, current.path, current.start, current.end)
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
            if line.content >= line.end:
                continue
            start = line.content
            heading = MD_HEADING.match(text, line.start, line.end)
            if heading:
                start = skip_line_lead(text, heading.end(), line.end)
            after_bullet = bullet_end(text, start, line.end)
            start = start if after_bullet is None else after_bullet
            end = trim_end(text, start, line.end)
            if end <= start:
                continue
            words = text[start:end]
            is_title = _is_title(words) and bool(_TITLE_WORDS.search(strip_markup(words).strip()))
            base = TITLE_ID if is_title else PREAMBLE_ID
            self.seen_ids[base] += 1
            n = self.seen_ids[base]
            clause_id = (base if n == 1 else f"{base}~{n}") if is_title else f"{base}.{n}"
            kind: ClauseKind = "title" if is_title else "preamble"
            self.clauses.append(self.clause(clause_id, kind, (), start, end))

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
        body_end = here.body_end if here.body_end >= 0 else self.lines[here.body_line].end
        body_end = trim_end(text, here.body_start, body_end)
        path = self.path_of(here) + ((here.runin,) if here.runin else ())
        self.open = _Open(here.clause_id, "clause", path, here.number, here.body_start, body_end)
        self.open.row = here.family == "row"
        self.open.marker = here if here.tight and not self.open.row else None
        return None

    def plain(self, start: int, end: int, last_heading: Marker | None, after_blank: bool) -> None:
        """An un-numbered line: it continues the open clause, becomes the body of the heading above, or
        (after a closed structure with nothing open) is kept as an un-numbered clause. Text after a table
        is not part of its last row, and a paragraph set off by a blank line after a tight list is not
        part of its last item: they belong to what holds the table or the list."""
        item = self.open.marker if self.open is not None else None
        if item is not None and after_blank and item.parent is not None:
            self.close()
            last_heading = self.markers[item.parent]
        if self.open is not None and self.open.row:
            self.close()
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
        after_blank = False
        for i in range(start_line, len(self.lines)):
            line = self.lines[i]
            here = by_line.get(i)
            if here is not None:
                held = self._holder(here) if here.family == "row" else None
                last_heading = self.marker(here) or held or (last_heading if here.family == "row" else None)
                after_blank = False
                continue
            if i in body_lines or line.content >= line.end:
                after_blank = after_blank or line.content >= line.end
                continue
            end = trim_end(self.text, line.content, line.end)
            if end > line.content:
                self.plain(line.content, end, last_heading, after_blank)
            after_blank = False
        self.close()

    def _holder(self, row: Marker) -> Marker | None:
        """What holds a row's table (the text after the table continues it)."""
        table = self.markers[row.parent] if row.parent is not None else None
        return self.markers[table.parent] if table is not None and table.parent is not None else None


def segment(document: Document, provider: str = "") -> Segmentation:
    """Split a contract into clauses numbered the way the contract numbers them."""
    text = document.text
    lines = split_lines(text)
    markers = find_markers(text, lines)
    first = body_start_index(markers, len(text))
    front_end_line = markers[first].line if markers else len(lines)
    markers = markers[first:]
    mark_parts(markers)
    build_tree(markers)
    _mark_tight(lines, markers)
    _mark_headings(text, lines, markers)
    label_articles(markers)
    assign_ids(markers)
    writer = _Writer(document, provider, lines, markers)
    writer.front_matter(front_end_line)
    writer.body(front_end_line)
    spans = tuple(s for m in markers for s in m.spans)
    return Segmentation(document.doc_id, provider, tuple(writer.clauses), tuple(writer.headings), spans)


def _mark_tight(lines: list[Line], markers: list[Marker]) -> None:
    """Flag the items that follow their previous sibling without a blank line (a tight list)."""
    last: dict[int | None, Marker] = {}
    for marker in markers:
        key = marker.parent
        blank = marker.line > 0 and lines[marker.line - 1].content >= lines[marker.line - 1].end
        marker.tight = key in last and not blank and not marker.md_level
        last[key] = marker


def _next_nonblank(lines: list[Line], start: int, text: str) -> int | None:
    for j in range(start, len(lines)):
        if trim_end(text, lines[j].content, lines[j].end) > lines[j].content:
            return j
    return None
