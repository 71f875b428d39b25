"""Numbering markers: which lines start a numbered item, of which family, at which depth; which lines
are Markdown headings, list bullets, and the header and rows of a table.

Used by :mod:`index.outline`, which arranges the markers into a tree and gives them ids, and by
:mod:`index.segment`, which turns them into clauses and headings. Numbering families are data
(:data:`PATTERNS`); markup around a number (``**<u>1.2``, ``- (ii).``, ``## 1 标题``) is skipped with
:mod:`index.cleanup`, never matched per case. Whether a dotted number is a clause or a reference
(``2.2 和 2.3``, ``1.5倍``) is read from what follows it and from the number before it: ``1.7月度服务费``
after 1.6 and ``3.2. 1`` after 3.2 continue the numbering.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from core.numbers import CN_DIGITS, cn_to_int
from core.records import Span
from core.text import HEADING_ELEMENT, HIDDEN_ELEMENT, HTML_TAG, TABLE_ROW, strip_markup
from index.cleanup import (
    HTML_HEADING,
    HTML_ROW,
    LINE_BREAK,
    MD_HEADING,
    Table,
    bullet_end,
    cell_span,
    find_tables,
    front_matter_end,
    header_title,
    is_markup_only,
    skip_line_lead,
    skip_markup,
    trim_end,
)

# Characters that, right after a dotted number, show it is a cross-reference or a quantity
# (``11.5.14.2的试验``, ``2.2 和 2.3``, ``3.5%``, ``1.5倍``), not a clause number.
_NOT_AFTER_NUMBER = set("的条款项和与或及至到中所规、，,%％‰倍元万千日天个小年月号时分秒-~～/")
_SPACES = ("", " ", "\t", "\u3000")
#: Of those, the connectors of a list of references (``2.2 和 2.3``, ``3.1 至 3.4``): they only show a
#: reference when another number follows them (``7.3 与本服务相关的…`` is clause 7.3).
_CONNECTORS = set("和与或及至到、，,~～-/")
_NUMBER_AFTER = re.compile(r"[ \t\u3000]*(?:第)?[\d（(]")

_WORD_COUNTER = re.compile(
    r"\d{1,3}\.[ \t]+(?=(?:\[bookmark:[^\]\n]*\])?\d{1,3}(?:\.\d{1,3})*(?:\.|[ \t]|$|[^\d.%％]))"
)
#: ``1.`` / ``1.1`` / ``3.2.12．`` / ``3.2. 1`` (an editor's space after an inner dot, checked in context).
#: ``1.1`` / ``3.1.3.5.1``, or hyphenated as some contracts write them (``1-2-1``, ``6-9-1．``).
_DOTTED = re.compile(r"(\d{1,3}(?:-\d{1,3})+|\d{1,3}(?:[.．][ ]?\d{1,3})*)([.．])?")
_DOTTED_TIGHT = re.compile(r"(\d{1,3}(?:[.．]\d{1,3})*)([.．])?")
_PAREN_DOT = r"(?:[.．](?!\d))?"  # ``(ii).`` / ``(四).``: a dot after the closing parenthesis

#: Numbering families: (family, pattern whose group 1 is the number). Order matters: the first match wins.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("article", re.compile(rf"第([{CN_DIGITS}\d]+)条")),
    ("chapter", re.compile(rf"第([{CN_DIGITS}\d]+)(章|节|编|部分)")),
    ("paragraph", re.compile(rf"第([{CN_DIGITS}\d]+)款")),
    ("item", re.compile(rf"第([{CN_DIGITS}\d]+)项")),
    ("cn-dun", re.compile(rf"([{CN_DIGITS}]+)[ \t\u3000]*(?:[、．：:]|\.(?!\d))")),
    ("cn-paren", re.compile(rf"[（(]([{CN_DIGITS}]+)[）)]{_PAREN_DOT}")),
    ("num-paren", re.compile(rf"[（(](\d{{1,3}})[）)]{_PAREN_DOT}")),
    ("num-dun", re.compile(r"(\d{1,3})[ \t\u3000]*、")),
    ("num-rparen", re.compile(r"(\d{1,3})[）)]")),
    ("circled", re.compile(r"([\u2460-\u2473])")),
    ("roman", re.compile(rf"[（(]([ivxlcdm]{{1,6}}|[IVXLCDM]{{1,6}})[）)]{_PAREN_DOT}")),
    ("alpha-paren", re.compile(rf"[（(]([a-zA-Z])[）)]{_PAREN_DOT}")),
    ("alpha", re.compile(r"([a-zA-Z])[)）]")),
)
#: Families whose label is the whole token (``第三条``), not just the numeral.
WORD_FAMILIES = ("article", "chapter", "paragraph", "item")
_ALPHA_SPACE = re.compile(r"([a-zA-Z])[ \t]+(?=[^\x00-\x7f])")
#: An annex or appendix heading (附件二, 附录, 附表1): starts a part of its own.
_ANNEX = re.compile(rf"(附件|附录|附表)[ \t]*([{CN_DIGITS}\d]{{1,3}}|[A-Za-z](?![A-Za-z]))?")
_ANNEX_AFTER = set(" \t\u3000：:、.．-—（(《“")
_SENTENCE = set("。；;！？!?，,")
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
#: Full-width digits and Latin letters as their ASCII forms (circled numbers stay as written).
_FULL_WIDTH = {
    cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}
#: Families without a written number: their items are counted (bullets, table rows).
COUNTED = ("bullet", "row")
#: Titles of a table of contents.
CONTENTS_TITLES = ("目录", "目 录", "contents", "table of contents")


@dataclass(slots=True)
class Line:
    start: int
    end: int  # end of the line's text, newline excluded
    content: int  # first character after leading whitespace and markup; == end for a blank line


@dataclass(slots=True)
class Marker:
    line: int
    family: str
    label: str  # the number as it appears in an id: "一", "(1)", "(a)", "4.3", "附件二"
    number: str  # the number as written: "一、", "（1）", "4.3"; "" for unnumbered headings and bullets
    value: int | None
    depth: int  # dotted depth (1 for "1.", 2 for "1.1"); 0 for other families
    spans: list[Span]  # the counter and the number token
    body_start: int  # first body character (may be on the next line)
    body_line: int  # the line the body starts on
    md_level: int = 0
    body_end: int = -1  # end of the body on its line (-1: up to the trimmed line end)
    part: bool = False  # an annex, or a heading before a restarted numbering: ids below it are prefixed
    parent: int | None = None
    children: int = 0
    heading: bool = False
    clause_id: str = ""
    title: str = ""
    runin: str = ""  # a bold title at the start of the body (**3.3. 后付费：**您可先…)
    numbering: str = ""  # the numbering family even on a Markdown heading ("cn-dun" for "## 一、")
    bulleted: bool = False  # a numbered list item behind a bullet ("- (ii). …")
    tight: bool = False  # follows its previous sibling without a blank line (a tight list)

    def __post_init__(self) -> None:
        self.numbering = self.numbering or self.family


@dataclass(slots=True)
class _Context:
    """What the previous markers tell about the next one (alpha vs roman, spaced dotted numbers)."""

    family: str = ""
    label: str = ""
    dotted: str = ""


def _inside(spans: list[tuple[int, int]], start: int, end: int, strict: bool = True) -> bool:
    """Whether ``start``–``end`` lies within one of the sorted, disjoint ``spans`` (strictly: not at its
    edges)."""
    i = bisect.bisect_right(spans, start, key=lambda span: span[0]) - 1
    if i < 0:
        return False
    a, b = spans[i]
    return a < start and end < b if strict else a <= start and end <= b


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans sorted, overlapping ones joined (a tag inside a heading element)."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def split_lines(text: str) -> list[Line]:
    """The lines of ``text`` (an HTML ``<br>`` ends a line too); front matter and lines holding only
    markup count as blank."""
    out: list[Line] = []
    skip_to = front_matter_end(text)
    hidden = [m.span() for m in HIDDEN_ELEMENT.finditer(text)]
    rows = [m.span() for m in TABLE_ROW.finditer(text)]
    # a tag (<P\n align=center>) or a heading (<h2>\n1. 合约定义\n</h2>) written over several lines
    tags = _merged(
        [m.span() for p in (HTML_TAG, HEADING_ELEMENT) for m in p.finditer(text) if "\n" in m.group()]
    )
    pos = 0
    for brk in (*LINE_BREAK.finditer(text), None):
        end = brk.start() if brk else len(text)
        if brk and (_inside(rows, end, end) or _inside(tags, end, end)):
            continue  # an HTML table row is one line, however its cells are laid out; so is a tag
        unseen = pos < skip_to or _inside(hidden, pos, end, strict=False)
        content = end if unseen or is_markup_only(text, pos, end) else skip_line_lead(text, pos, end)
        out.append(Line(pos, end, content))
        pos = brk.end() if brk else end
    return out


def _dotted(text: str, pos: int, end: int, ctx: _Context, bare_ok: bool) -> tuple[str, str, int, int] | None:
    """Match ``1.`` / ``1.1`` / ``3.1.3.5.1`` at ``pos``: (label, written, depth, end) or None."""
    m = _DOTTED.match(text, pos, end)
    if m and " " in m.group(1) and not _continues(_label(m.group(1)), ctx.dotted):
        m = _DOTTED_TIGHT.match(text, pos, end)  # "3.2. 1" is 3.2.1 only right after 3.2 or 3.2.x
    if not m:
        return None
    number, dot, after = m.group(1), m.group(2), m.end()
    label, depth = _label(number), number.count(".") + number.count("．") + number.count("-") + 1
    nxt = text[after] if after < end else ""
    lead = skip_markup(text, after, end)
    visible = text[lead] if lead < end else ""
    marked = lead > after and text[after] not in " \t\u3000"  # markup right after: "3.5.1**您"
    if _quantity_or_reference(text, after, lead, end, bool(dot)) and not (
        depth > 1 and _continues(label, ctx.dotted)
    ):
        return None
    if depth == 1 and not dot and not (bare_ok and nxt in _SPACES and not visible.isdigit()):
        return None  # a bare "3" is a clause number only in a heading ("## 1 总则")
    if nxt.isdigit():
        return None
    if depth == 1 and nxt not in _SPACES and nxt.isascii() and not marked:
        return None  # "1.a", "1.5": not a list number
    if depth > 1 and not dot and nxt not in _SPACES[:3] and nxt.isascii() and not marked:
        return None  # "1.1x": a version or a quantity
    return label, text[pos:after], depth, after


def _label(number: str) -> str:
    return number.replace("．", ".").replace("-", ".").replace(" ", "")


def _continues(label: str, previous: str) -> bool:
    """Whether ``label`` is the number expected after ``previous``: its next sibling, its first child,
    or the next number of an enclosing level (1.6 → 1.7, 3.2 → 3.2.1, 3.2.4 → 3.3)."""
    if not previous:
        return False
    *head, last = label.split(".")
    prev = previous.split(".")
    return (head == prev and last == "1") or any(
        head == prev[:k] and last == str(int(prev[k]) + 1) for k in range(len(prev)) if prev[k].isdigit()
    )


def _quantity_or_reference(text: str, after: int, lead: int, end: int, closed: bool) -> bool:
    """Whether what follows a dotted number shows a quantity or a cross-reference (``3.5%``, ``1.5倍``,
    ``11.5.14.2的``, ``2.2 和 2.3``) rather than a clause. A closing dot and a space (``7.1. 项目…``)
    settle it as a clause; a connector (和, 与, 至 …) shows a reference only when a number follows it."""
    nxt = text[after] if after < end else ""
    visible = text[lead] if lead < end else ""
    if nxt in _NOT_AFTER_NUMBER and nxt:
        return True
    if not visible or visible not in _NOT_AFTER_NUMBER or (closed and lead > after):
        return False
    if visible in _CONNECTORS and lead > after:
        return _NUMBER_AFTER.match(text, lead + 1, end) is not None
    return True


def _pattern(text: str, pos: int, end: int, ctx: _Context) -> tuple[str, str, str, int] | None:
    """The first family of :data:`PATTERNS` matching at ``pos``: (family, label, written, end)."""
    for family, pattern in PATTERNS:
        m = pattern.match(text, pos, end)
        if not m:
            continue
        after, label = m.end(), m.group(1)
        if family == "article" and after < end and text[after] in "规定之中的所款":
            return None  # "第二十三条规定": a cross-reference that happens to start a line
        if family == "roman" and len(label) == 1 and not (ctx.family == "roman" or label.lower() == "i"):
            continue  # "(c)" after "(b)" is a letter
        if family == "roman" and ctx.family == "alpha-paren" and _follows(label, ctx.label):
            continue  # "(i)" after "(h)"
        if family in WORD_FAMILIES:
            label = m.group(0)
        elif family in ("cn-paren", "num-paren", "roman", "alpha-paren"):
            label = f"({label.lower() if family != 'cn-paren' else label})"
        elif family == "alpha":
            label = label.lower()
        return family, label, text[pos:after], after
    return None


def _follows(label: str, previous: str) -> bool:
    """Whether letter ``(i)`` comes right after letter ``(h)``."""
    return ord(label[0].lower()) == ord(previous[1]) + 1


def _annex(text: str, pos: int, end: int) -> tuple[str, str, str, int] | None:
    """An annex heading line (``附件二：服务等级协议``, ``## 附件1``, ``附录 术语定义``)."""
    m = _ANNEX.match(text, pos, end)
    if not m:
        return None
    after = m.end()
    rest = strip_markup(text[after:end]).strip()
    if after < end and text[after] not in _ANNEX_AFTER and rest:
        return None  # "附件一所列价格…": a sentence that mentions an annex
    if len(rest) > 30 or set(rest) & _SENTENCE:
        return None
    label = m.group(1) + (m.group(2) or "")
    return "annex", label, text[pos:after], after


def _match_marker(
    text: str, pos: int, end: int, ctx: _Context, bare_ok: bool = False
) -> tuple[str, str, str, int, int] | None:
    """The marker at ``pos``: (family, label, written, depth, end_of_marker) or None."""
    dotted = _dotted(text, pos, end, ctx, bare_ok)
    if dotted:
        number, written, depth, after = dotted
        return f"dotted-{depth}", number, written, depth, after
    found = _pattern(text, pos, end, ctx) or _annex(text, pos, end)
    if found:
        family, label, written, after = found
        return family, label, written, 0, after
    m = _ALPHA_SPACE.match(text, pos, end)
    if m and ctx.family == "alpha" and ord(m.group(1).lower()) == ord(ctx.label) + 1:
        return "alpha", m.group(1).lower(), m.group(1), 0, m.end()
    return None


def _value(family: str, label: str) -> int | None:
    if family.startswith("dotted"):
        return int(label.split(".")[-1])
    if family in WORD_FAMILIES:
        return cn_to_int(label[1:-1] if family != "chapter" else re.sub(r"^第|(章|节|编|部分)$", "", label))
    if family == "roman":
        return _roman(label.strip("()"))
    if family == "alpha-paren":
        return ord(label[1]) - ord("a") + 1
    if family == "circled":
        return ord(label) - 0x2460 + 1
    return cn_to_int(label.strip("()"))


def _roman(numeral: str) -> int:
    total, last = 0, 0
    for ch in reversed(numeral.lower()):
        value = _ROMAN[ch]
        total, last = (total - value, last) if value < last else (total + value, value)
    return total


def find_markers(text: str, lines: list[Line]) -> list[Marker]:
    """Every numbered line, Markdown heading, list bullet and table (a header marker, then one marker
    per row), in document order."""
    markers: list[Marker] = []
    ctx = _Context()
    consumed: set[int] = set()
    tables = {t.header: t for t in _tables(text, lines)}
    for i, line in enumerate(lines):
        if i in consumed or (line.content >= line.end and i not in tables):
            continue
        if i in tables:
            markers.extend(_table_markers(text, lines, tables[i]))
            consumed.update(tables[i].rows)
            ctx = _Context(dotted=ctx.dotted)
            continue
        marker = _line_marker(text, lines, i, ctx, consumed)
        if marker is None:
            continue
        markers.append(marker)
        ctx = _Context(marker.numbering, marker.label, marker.label if marker.depth else ctx.dotted)
    return markers


def _tables(text: str, lines: list[Line]) -> list[Table]:
    skip_to = front_matter_end(text)
    spans = [(line.start, line.end) if line.start >= skip_to else (line.start, line.start) for line in lines]
    return find_tables(text, spans)


def _table_markers(text: str, lines: list[Line], table: Table) -> list[Marker]:
    head = lines[table.header]
    below = table.rule if table.rule is not None else table.header
    title = header_title(text, head.start if HTML_ROW.match(text, head.start) else head.content, head.end)
    out = [Marker(table.header, "table", "", "", None, 0, [], head.end, below, title=title)]
    for row in table.rows:
        start, end = cell_span(text, lines[row].start, lines[row].end)
        if end > start:
            out.append(Marker(row, "row", "", "", None, 0, [], start, row, body_end=end))
    return out


def _line_marker(text: str, lines: list[Line], i: int, ctx: _Context, consumed: set[int]) -> Marker | None:
    """The marker that starts line ``i``, or None for a plain line."""
    line = lines[i]
    pos, spans, md_level, bullet = line.content, [], 0, False
    md = MD_HEADING.match(text, line.start, line.end) or HTML_HEADING.match(text, line.start, line.end)
    if md:
        md_level = int(md.group(1)) if md.group(1).isdigit() else len(md.group(1))
        pos = skip_line_lead(text, md.end(), line.end)
    elif (after_bullet := bullet_end(text, pos, line.end)) is not None:
        bullet, pos = True, after_bullet
    counter = _WORD_COUNTER.match(text, pos, line.end)
    if counter:
        spans.append(Span(pos, counter.end(), text[pos : counter.end()]))
        pos = skip_markup(text, counter.end(), line.end)
    found = _match_marker(text, pos, line.end, ctx, bare_ok=bool(md_level))
    if found is None and not md_level and not bullet:
        return None
    if found is None:  # a Markdown heading without a number (its title is its label) or a bullet
        family, label, written, depth, after = ("md" if md_level else "bullet"), "", "", 0, pos
    else:
        family, label, written, depth, after = found
        spans.append(Span(pos, pos + len(written), written))
    numbering, family = family, (f"md-{md_level}" if md_level else family)
    if numbering == "md" and strip_markup(text[pos : line.end]).strip().lower() in CONTENTS_TITLES:
        numbering = "contents"  # a table of contents is never part of the body
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
    label = label.translate(_FULL_WIDTH)  # full-width digits and letters: （１） is (1)
    value = _value(numbering, label) if label else None
    return Marker(
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
        numbering=numbering,
        bulleted=bullet and found is not None,
    )


def peek_marker(text: str, line: Line) -> tuple[str, str, str, int, int] | None:
    """The marker a line would start, without context (used to tell a body line from the next item)."""
    pos = line.content
    if MD_HEADING.match(text, line.start, line.end) or HTML_HEADING.match(text, line.start, line.end):
        return ("md", "", "", 0, pos)
    if bullet_end(text, pos, line.end) is not None:
        return ("bullet", "", "", 0, pos)
    counter = _WORD_COUNTER.match(text, pos, line.end)
    if counter:
        pos = skip_markup(text, counter.end(), line.end)
    return _match_marker(text, pos, line.end, _Context())
