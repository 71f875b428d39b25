"""The 合同 page: one contract, every clause under its headings, a search box, and the clause a citation
points at highlighted and scrolled to (a citation's 在合同中查看 opens it here)."""

from __future__ import annotations

import html
import json

import streamlit as st
import streamlit.components.v1 as components

from core.records import Citation, Clause
from rag.pipeline import Pipeline
from ui.common import as_html, clause_label, highlighted, show_html, title_of

FOCUS = "focus"  # session key: the citation to show (doc_id, clause_id, start, end)


def open_in_contract(citation: Citation) -> None:
    """Callback of a citation's button: the 合同 page, at its contract, with the cited words marked."""
    st.session_state["page"] = "合同"
    st.session_state["doc"] = citation.doc_id
    st.session_state["doc-search"] = ""
    st.session_state[FOCUS] = (citation.doc_id, citation.clause_id, citation.start, citation.end)


def _found(text: str, query: str) -> str:
    """``text`` as HTML with every occurrence of ``query`` marked."""
    parts = text.split(query)
    return f"<mark>{as_html(query)}</mark>".join(as_html(p) for p in parts)


def _scroll_to(anchor: str) -> None:
    """Scroll the app (the iframe's parent, same origin) to the clause with this anchor once drawn."""
    target = json.dumps(f'[data-clause="{anchor}"]')
    components.html(
        "<script>let tries = 0; const go = () => {"
        f"const el = window.parent.document.querySelector({target});"
        "if (el) { el.scrollIntoView({block: 'center'}); } else if (tries++ < 50) { setTimeout(go, 100); }"
        "}; go();</script>",
        height=0,
    )


def _clause_html(clause: Clause, body: str, focused: bool) -> str:
    anchor = html.escape(f"{clause.doc_id}#{clause.clause_id}", quote=True)
    label = as_html(clause_label(clause.clause_id) if clause.kind == "clause" else f"（{clause.clause_id}）")
    css = "clause focus" if focused else "clause"
    return f'<div class="{css}" data-clause="{anchor}"><code>{label}</code> {body}</div>'


def document_page(p: Pipeline) -> None:
    st.title("合同原文")
    index = p.index
    labels = {d: f"{title_of(p, d)}（{d}）" for d in index.documents}
    doc_id = st.selectbox("合同", list(labels), format_func=labels.get, key="doc")
    query = st.text_input("在本合同中搜索", key="doc-search", placeholder="输入词语，例如：滞纳金").strip()
    focus = st.session_state.get(FOCUS)
    focus = focus if focus and focus[0] == doc_id else None
    clauses = [c for c in index.clauses if c.doc_id == doc_id]
    if query:
        clauses = [c for c in clauses if query in c.display_text]
        show_html(as_html(f"找到 {len(clauses)} 条含“{query}”的条款"), caption=True)
    shown: set[str] = set()
    for clause in clauses:
        for depth, title in enumerate(clause.heading_path):
            key = " > ".join(clause.heading_path[: depth + 1])
            if key not in shown:
                shown.add(key)
                level = min(depth + 3, 6)
                st.markdown(f"<h{level}>{as_html(title)}</h{level}>", unsafe_allow_html=True)
        focused = focus is not None and focus[1] == clause.clause_id
        if focused and focus is not None:
            body = highlighted(clause, focus[2], focus[3])
        elif query:
            body = _found(clause.display_text, query)
        else:
            body = as_html(clause.display_text)
        show_html(_clause_html(clause, body, focused), "plain")
    if focus is not None:
        _scroll_to(f"{focus[0]}#{focus[1]}")
