"""Markup seen from the segmenter: where a line's words start and end, which lines hold nothing but
markup, the YAML front matter, list bullets and tables, all as offsets into the raw text.

:func:`core.text.strip_markup` turns markup into display text; this module never changes the text, it
only moves offsets past markup (``**<u>1.2 …``, ``… 。**</u>``, ``<span id="x"></span>``), so clause
spans stay exact while no markup enters a clause number, a title or the ends of a clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.text import ATTRIBUTE_LIST, BOOKMARK, FRONT_MATTER, HTML_TAG, TABLE_CELL, strip_markup

#: Markup that may stand before a line's first word or a clause number: whitespace (including
#: ideographic and no-break spaces, and the line breaks inside an HTML tag or heading that is one line),
#: emphasis, Word bookmarks, HTML/JSX tags, kramdown anchors, entities.
LEAD_MARKUP = re.compile(
    rf"(?:[ \t\r\n\u3000\u00a0]+|\*\*|__|\*(?![\s*])|{BOOKMARK.pattern}|{HTML_TAG.pattern}"
    rf"|{ATTRIBUTE_LIST.pattern}|&nbsp;|&#160;|&emsp;|&ensp;|\{{[ \t]*\"[ \t]*\"[ \t]*\}})+"
)
#: Where a line ends: a newline, an HTML line break left in the text, or the end of an HTML block
#: (paragraph, division, heading, list item) with more text after it on the same line.
LINE_BREAK = re.compile(r"\n|<br[ \t]*/?>|</(?:p|div|h[1-6]|li)[ \t]*>(?=[ \t]*[^\s])", re.IGNORECASE)
#: An HTML heading tag at a line start (``<h2>一、总则</h2>``): read like a Markdown heading.
HTML_HEADING = re.compile(r"[ \t]*<h([1-6])(?:[ \t][^<>\n]*)?>", re.IGNORECASE)
#: A list bullet (Markdown ``-``/``*``/``+`` followed by a space, or a bullet character); MkDocs
#: admonition openers (``!!! tip``) and blockquote marks are skipped the same way.
BULLET = re.compile(r"(?:[-*+](?=[ \t])|[•·●○■□◆◇▪▫])[ \t]*")
ADMONITION = re.compile(r"(?:!!!|\?\?\?\+?)[ \t]*[\w-]+(?:[ \t]+\"[^\"\n]*\")?[ \t]*")
QUOTE = re.compile(r">(?=[ \t])[ \t]*")
#: Markdown heading hashes (up to three spaces of indentation, as CommonMark allows).
MD_HEADING = re.compile(r"[ ]{0,3}(#{1,6})[ \t]+")
#: Table rules: ``|---|:--:|``, ``---|---`` (GFM), with or without outer pipes.
TABLE_RULE = re.compile(
    r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)+\|?[ \t]*"  # ---|--- or |---|---|
    r"|[ \t]*\|[ \t]*:?-{2,}:?[ \t]*\|[ \t]*"  # a one-column rule |---|
)
#: A link rendered as a widget (``[下载 PDF](x.pdf){ .md-button }``): page chrome, not contract text.
LINK_WIDGET = re.compile(r"[ \t]*!?\[[^\]\n]*\]\([^)\n]*\)[ \t]*\{:?[ \t]*[.#][^{}\n]*\}[ \t]*")
#: A horizontal rule or a bullet with nothing after it: markup only.
RULE_LINE = re.compile(r"[ \t]*(?:-{3,}|\*{3,}|_{3,}|[-*+])[ \t]*")
#: Cells of a table flattened to text (``服务可用性 | 赔偿代金券金额``): a pipe with spaces around it.
PLAIN_CELL = re.compile(r"[ \t]\|[ \t]")
#: A run of flattened rows this long (header included) is read as a table.
MIN_PLAIN_TABLE_LINES = 3
#: A line that is an HTML table row (see :func:`index.numbering.split_lines`: a row is one line).
HTML_ROW = re.compile(r"[ \t]*<tr\b", re.IGNORECASE)
#: An HTML cell's opening and closing tags.
CELL_OPEN = re.compile(r"<t[dh]\b[^>]*>", re.IGNORECASE)
CELL_CLOSE = re.compile(r"</t[dh][ \t]*>", re.IGNORECASE)

_TRAIL_SIMPLE = ("**", "__", "&nbsp;", "&#160;", "*")


def skip_markup(text: str, pos: int, end: int) -> int:
    """The first position at or after ``pos`` that is not leading markup."""
    m = LEAD_MARKUP.match(text, pos, end)
    return m.end() if m else pos


def skip_line_lead(text: str, pos: int, end: int) -> int:
    """Skip markup, blockquote marks and admonition openers at a line start (not bullets: a bullet
    starts an item of its own, see :func:`bullet_end`)."""
    while True:
        nxt = skip_markup(text, pos, end)
        m = QUOTE.match(text, nxt, end) or ADMONITION.match(text, nxt, end)
        if not m:
            return nxt
        pos = m.end()


def bullet_end(text: str, pos: int, end: int) -> int | None:
    """End of the list bullet at ``pos`` and the markup after it, or None when there is no bullet."""
    if text.startswith(("**", "__"), pos):
        return None
    m = BULLET.match(text, pos, end)
    return skip_markup(text, m.end(), end) if m else None


def trim_end(text: str, start: int, end: int) -> int:
    """Move ``end`` back over whitespace and trailing markup: emphasis markers, closing tags
    (``**</u>``), kramdown anchors, bookmarks and no-break-space entities."""
    while end > start:
        last = text[end - 1]
        if last.isspace():
            end -= 1
            continue
        simple = next((s for s in _TRAIL_SIMPLE if text.startswith(s, max(start, end - len(s)), end)), "")
        if simple:
            end -= len(simple)
            continue
        opener = {">": "<", "}": "{", "]": "["}.get(last)
        cut = text.rfind(opener, start, end) if opener else -1
        if cut >= 0 and any(p.fullmatch(text, cut, end) for p in (HTML_TAG, ATTRIBUTE_LIST, BOOKMARK)):
            end = cut
            continue
        return end
    return end


def front_matter_end(text: str) -> int:
    """End offset of the YAML front matter (``---`` … ``---`` at the start of the file), or 0."""
    m = FRONT_MATTER.match(text)
    return m.end() if m else 0


def is_markup_only(text: str, start: int, end: int) -> bool:
    """Whether a line shows nothing to a reader: tags, anchors, a rule, a lone bullet, a table rule, a
    button."""
    if start >= end:
        return True
    if any(p.fullmatch(text, start, end) for p in (RULE_LINE, TABLE_RULE, LINK_WIDGET)):
        return True
    return not strip_markup(text[start:end]).strip()


@dataclass(slots=True)
class Table:
    """A table found in the lines: its header line, the rule under it (None for flattened text tables)
    and its body rows, all as line indexes."""

    header: int
    rule: int | None
    rows: list[int] = field(default_factory=list)


def find_tables(text: str, spans: list[tuple[int, int]]) -> list[Table]:
    """Tables in the lines given as (start, end) spans: GFM tables (a header line with pipes,
    then a rule, then rows holding a pipe, with or without outer pipes) and flattened tables (at least
    :data:`MIN_PLAIN_TABLE_LINES` consecutive lines with the same number of `` | `` separators)."""
    tables: list[Table] = []
    i = 0
    while i < len(spans):
        start, end = spans[i]
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        j = i
        while j < len(spans) and spans[j][0] < spans[j][1] and HTML_ROW.match(text, *spans[j]):
            j += 1
        if j - i >= 2:  # HTML rows: the first is the header (<th> cells or not)
            tables.append(Table(i, None, list(range(i + 1, j))))
            i = j
            continue
        if "|" in text[start:end] and nxt and TABLE_RULE.fullmatch(text, *nxt):
            table = Table(i, i + 1)
            j = i + 2
            while j < len(spans) and spans[j][0] < spans[j][1] and "|" in text[spans[j][0] : spans[j][1]]:
                table.rows.append(j)
                j += 1
            tables.append(table)
            i = j
            continue
        width = len(PLAIN_CELL.findall(text, start, end))
        j = i
        while j < len(spans) and width and len(PLAIN_CELL.findall(text, *spans[j])) == width:
            j += 1
        if j - i >= MIN_PLAIN_TABLE_LINES:
            tables.append(Table(i, None, list(range(i + 1, j))))
            i = j
            continue
        i += 1
    return tables


def cell_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A table row's words: from its first cell to its last, outer pipes and markup excluded."""
    if HTML_ROW.match(text, start, end):
        first = CELL_OPEN.search(text, start, end)
        closes = list(CELL_CLOSE.finditer(text, start, end))
        if first is None or not closes:
            return start, start
        start, end = first.end(), closes[-1].start()
        while True:  # past the markup and the line breaks before the first cell's words
            nxt = skip_markup(text, start, end)
            nxt += nxt < end and text[nxt] == "\n"
            if nxt == start:
                return start, trim_end(text, start, end)
            start = nxt
    start = skip_markup(text, start, end)
    while start < end and text[start] == "|":
        start = skip_markup(text, start + 1, end)
    end = trim_end(text, start, end)
    while end > start and text[end - 1] == "|":
        end = trim_end(text, start, end - 1)
    return start, end


def header_title(text: str, start: int, end: int) -> str:
    """A table header as a heading title: its cells' display text joined with `` | ``."""
    raw = TABLE_CELL.findall(text, start, end) or text[start:end].strip().strip("|").split("|")
    cells = [strip_markup(c).strip() for c in raw]
    return " | ".join(c for c in cells if c)
