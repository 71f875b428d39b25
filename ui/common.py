"""What every page of the Streamlit app shares: contract text, answers and names shown as text, never as
Markdown. A clause that says ``[官方客服](https://evil.example)`` or ``7*24`` is shown with those characters:
text goes out either through ``st.text`` or as one raw HTML block of escaped text (Markdown reads nothing
inside an HTML block, not even a bare URL); labels, which only take Markdown, get every special character
backslash-escaped."""

from __future__ import annotations

import html
import re
import threading
import uuid
from collections import OrderedDict

import streamlit as st

from core.records import Answer, Citation, Clause
from rag.pipeline import Pipeline

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: What Markdown reads in a line of text (CommonMark backslash-escapes any ASCII punctuation); ``.`` and
#: ``-`` only matter at a line start, which a label never begins with.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~$:&^=])")
#: Where GitHub-flavoured Markdown would make a link of bare text (https://…, www.…, a@b.c), even escaped.
_AUTOLINK = re.compile(r"(?i)(?:https?|ftp|mailto|www)(?=[:.])|(?=@)")
#: Control characters (NUL…) that typed or pasted text may carry; tab and line ends are whitespace.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def as_html(text: str) -> str:
    """``text`` as HTML that shows exactly these characters: escaped, line breaks as ``<br>``, so that an
    HTML block built from it is one line (a blank line would end the block and let Markdown in)."""
    return _LINE_BREAK.sub("<br>", html.escape(text))


def markdown_literal(text: str) -> str:
    """``text`` for a place that only takes Markdown (an expander label, an alert), shown as written:
    specials backslash-escaped, would-be autolinks broken by an invisible word joiner, one line."""
    text = _AUTOLINK.sub(lambda m: m.group(0) + "\u2060", " ".join(text.splitlines()))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def show_html(body: str, css: str = "plain", *, caption: bool = False) -> None:
    """``body`` (HTML built with :func:`as_html`) as one raw HTML block: Markdown interprets none of it."""
    block = f'<div class="{css}">{body}</div>'
    (st.caption if caption else st.markdown)(block, unsafe_allow_html=True)


def clean_question(text: str) -> str:
    """What the user typed without control characters (a pasted NUL would split a word); invisible
    characters such as U+200B are the pipeline's (``normalise``)."""
    return _CONTROL.sub("", text).strip()


def clause_of(p: Pipeline, citation: Citation) -> Clause | None:
    return p.index.clause(citation.doc_id, citation.clause_id)


def highlighted(clause: Clause, start: int, end: int) -> str:
    """The clause as HTML with the cited span in <mark>; every piece of contract text is escaped."""
    a, b = max(0, start - clause.start), min(len(clause.text), end - clause.start)
    text = clause.text
    return f"{as_html(text[:a])}<mark>{as_html(text[a:b])}</mark>{as_html(text[b:])}"


def clause_label(clause_id: str) -> str:
    """How a reader names a clause: 第 7.4 条; a paragraph before the first numbered clause is 前言."""
    return "前言" if clause_id.startswith("前言") else f"第 {clause_id} 条"


def title_of(p: Pipeline, doc_id: str) -> str:
    """The contract as users know it: its provider and title (not its file name)."""
    return f"{p.index.providers[doc_id].name}《{p.table.titles.get(doc_id, doc_id)}》"


#: conversations kept in this server process (ids in the page address), the oldest dropped past the limit
CONVERSATIONS = 500
_conversations: OrderedDict[str, list[Answer]] = OrderedDict()
_conversations_lock = threading.Lock()


def new_conversation() -> str:
    return uuid.uuid4().hex[:16]


def conversation(conversation_id: str) -> list[Answer]:
    """The messages of a conversation (the same list every time it is asked for, empty when new)."""
    key = conversation_id[:32]
    with _conversations_lock:
        messages = _conversations.pop(key, [])
        _conversations[key] = messages
        while len(_conversations) > CONVERSATIONS:
            _conversations.popitem(last=False)
        return messages
