"""Markup that contracts carry from their editors and publishing pipelines.

Contracts arrive as Word exports, Markdown, MDX/MkDocs pages and HTML or JSX stripped to text, so the
raw text carries emphasis (``**``, ``<b>``, ``<u>``), Word bookmarks, heading hashes, list bullets,
table pipes, HTML tags and entities, kramdown/DITA anchors (``{#section_9qx .section}``), YAML front
matter, JSX residue and MkDocs admonitions. Offsets always refer to the raw text; only display strings
drop this markup. What counts as markup is data: :data:`DISPLAY_RULES` is a table of (pattern,
replacement) applied in order, so a new kind of residue is a row, not a branch.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

#: Word bookmarks exported as text, e.g. ``[bookmark: _GoBack]``.
BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]")
#: Markdown emphasis markers and heading hashes at a line start.
EMPHASIS = re.compile(r"\*\*|__")
HEADING_HASHES = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)
#: YAML front matter: ``---`` at the very start, ``key: value`` lines, a closing ``---``.
FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\n(?:[ \t]*(?:[\w-]+[ \t]*:.*|-[ \t].*|#.*|)\n)*?---[ \t]*(?:\n|\Z)"
)
#: An HTML/JSX/XML tag (``<div align="right">``, ``</u>``, ``<br/>``, ``<o:p>``, ``<>``); not an autolink
#: such as ``<http://…>`` and not a comparison such as ``<99%``.
HTML_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:[ \t\r\n]+[^<>]*?)?[ \t]*/?>|</?>")
#: What a browser never shows as text: HTML comments, ``<script>`` and ``<style>`` elements (a Vue or
#: JSX page keeps its code and style sheet beside the template), server code of an ASP, JSP or PHP page
#: (``<?php … ?>``, ``<?= … ?>``; a PHP file may leave its last block open), the document type line.
HIDDEN_ELEMENT = re.compile(
    r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1[ \t]*>|<%.*?%>|<\?(?:php\b|=).*?(?:\?>|\Z)|<!DOCTYPE[^>]*>",
    re.DOTALL | re.IGNORECASE,
)
#: An HTML table row of data, ``<tr>`` to ``</tr>`` (its cells may stand on lines of their own); not a
#: row of a page's layout table, whose cells hold paragraphs, lists, headings or other tables.
TABLE_ROW = re.compile(
    r"<tr\b[^>]*>(?:(?!<(?:tr|table|p|div|h[1-6]|ul|ol|li)\b).)*?</tr[ \t]*>", re.DOTALL | re.IGNORECASE
)
#: An HTML heading element, ``<h2>`` to ``</h2>``, short enough to be a title (its text may stand on a line
#: of its own between the tags).
HEADING_ELEMENT = re.compile(r"<h([1-6])\b[^>]*>[^<]{0,200}</h\1[ \t]*>", re.IGNORECASE)
#: An HTML table cell with its content (group 1).
TABLE_CELL = re.compile(r"<t[dh]\b[^>]*>(.*?)</t[dh][ \t]*>", re.DOTALL | re.IGNORECASE)
#: Between two cells of an HTML row: ``</td>`` then whitespace then ``<td …>``.
CELL_GAP = re.compile(r"</t[dh][ \t]*>\s*<t[dh]\b[^>]*>", re.IGNORECASE)
#: kramdown / DITA attribute lists: ``{#section_9qx_bly_ui0 .section}``, ``{: .note}``, ``{ .md-button }``.
ATTRIBUTE_LIST = re.compile(
    r"\{:?[ \t]*(?:[#.][\w-]+|[\w-]+=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s{}]+))"
    r"(?:[ \t]+(?:[#.][\w-]+|[\w-]+=(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s{}]+)))*[ \t]*\}"
)
#: Character entities: ``&nbsp;``, ``&amp;``, ``&#160;``, ``&#x3000;``.
ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

#: A Markdown link or image: ``[text](url "title")``, ``[text](<url>)``; group 1 is what a reader sees.
MARKDOWN_LINK = re.compile(
    r"!?\[([^\]\n]*)\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:[ \t]+\"[^\"\n]*\")?\)"
)
_TABLE_RULE = r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*"

#: (pattern, replacement) in the order they are applied. Line-anchored rules use MULTILINE.
DISPLAY_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (FRONT_MATTER, ""),
    (HIDDEN_ELEMENT, ""),  # HTML comments, scripts and style sheets
    (CELL_GAP, " | "),  # an HTML table row reads like a Markdown one: 低于99% | 月度服务费用的25%
    (re.compile(r"\{/\*.*?\*/\}", re.DOTALL), ""),  # JSX comments
    (re.compile(r"\{[ \t]*(?:\"[ \t]*\"|'[ \t]*')[ \t]*\}"), " "),  # JSX spaces {" "}
    # a source line break inside a wrapped word or sentence (仲裁委⏎   员会), between Chinese characters,
    # the next line indented (an HTML page's wrapped paragraph): joined; <br> below stays a line break
    (re.compile(r"(?<=[\u4e00-\u9fff])[ \t]*\r?\n[ \t]+(?=[\u4e00-\u9fff，、])"), ""),
    (re.compile(r"<br[ \t]*/?>", re.IGNORECASE), "\n"),
    (HTML_TAG, ""),
    (ATTRIBUTE_LIST, ""),
    (BOOKMARK, ""),
    (re.compile(r"^[ \t]*(?:!!!|\?\?\?\+?)[ \t]*[\w-]+", re.MULTILINE), ""),  # MkDocs admonitions
    # Links and images show their text: [腾讯云官网](https://…) → 腾讯云官网.
    (MARKDOWN_LINK, r"\1"),
    (HEADING_HASHES, ""),
    (re.compile(rf"^{_TABLE_RULE}$", re.MULTILINE), ""),  # table separator rows |---|---|
    (re.compile(r"^[ \t]*(?:-{3,}|\*{3,}|_{3,}|-)[ \t]*$", re.MULTILINE), ""),  # rules, lone bullets
    (re.compile(r"^[ \t]*(?:[-*+>](?=[ \t])|[•·●○■□◆◇▪▫])[ \t]*", re.MULTILINE), ""),  # bullets, quotes
    (re.compile(r"^[ \t]*\|[ \t]*|[ \t]*\|[ \t]*$", re.MULTILINE), ""),  # a table row's outer pipes
    (EMPHASIS, ""),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])"), r"\1"),  # Markdown escapes: \* → *
)


def _entity(match: re.Match[str]) -> str:
    decoded = html.unescape(match.group(0))
    return decoded.replace("\u00a0", " ") if decoded != match.group(0) else decoded


def strip_markup(text: str) -> str:
    """Text as a reader should see it: none of the markup listed in :data:`DISPLAY_RULES`, entities
    decoded (``&nbsp;`` is a space). A single ``*`` is kept: in ``费用*0.3%`` it multiplies."""
    for pattern, replacement in DISPLAY_RULES:
        text = pattern.sub(replacement, text)
    return ENTITY.sub(_entity, text)


def abbreviated_in(word: str, text: str) -> bool:
    """``word`` reads as a Chinese abbreviation of something ``text`` says: its characters in order, the
    whole within twice its length (先用后付 in 先使用服务后付款, 调价 in 调整价格). A word said whole counts
    too (the tokenizer may cut the text differently: 腾讯企业邮服务 holds 企业). Chinese words only."""
    if len(word) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
        return False
    pattern = _in_order(word)
    start = text.find(word[0])
    while start >= 0:
        m = pattern.match(text, start)
        if m and m.end() - m.start() <= 2 * len(word):
            return True
        start = text.find(word[0], start + 1)
    return False


@lru_cache(maxsize=4096)
def _in_order(word: str) -> re.Pattern[str]:
    """``word``'s characters in order, at most ``len(word)`` others between two of them."""
    return re.compile(".{0,%d}?".join(map(re.escape, word)) % ((len(word),) * (len(word) - 1)))
