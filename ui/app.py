"""The Streamlit chat for business users (``make run``): a thin client over the same pipeline as the API.

Three pages: 问答 (chat with cited answers; each citation expands to its clause with the cited words
highlighted), 对比 (the provider × attribute fact table with citations, and a chart of a numeric attribute),
合同 (a contract's clause tree, to read around a citation). No retrieval logic lives here.

Contract text, answers and names read from contracts are shown as text, never as Markdown: a clause that
says ``[官方客服](https://evil.example)`` or ``7*24`` is shown with those characters. Text goes out either
through ``st.text`` or as one raw HTML block of escaped text (Markdown reads nothing inside an HTML block,
not even a bare URL); labels, which only take Markdown, get every special character backslash-escaped.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import streamlit as st

from core.records import Answer, Citation, Clause
from rag.catalog import ATTRIBUTES
from rag.pipeline import Pipeline, open_pipeline
from rag.settings import Settings

EXAMPLES = (
    "哪家数据保留期最长？",
    "西部数码逾期付款怎么收滞纳金？",
    "平台挂了一整天我能拿到什么补偿？",
    "合同纠纷一般去哪里打官司？",
)
ALL = "全部服务商"
CHARTABLE = ("data_retention", "late_fee", "outage_multiplier", "termination_notice", "force_majeure_notice")
LOADING = "正在加载模型与索引…"

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


@st.cache_resource(show_spinner=False)
def pipeline() -> Pipeline:
    p = open_pipeline(Settings(), progress=False)
    p.warm()  # the model loads on its first query: answer one now, not on the user's first question
    return p


def clause_of(p: Pipeline, citation: Citation) -> Clause | None:
    return p.index.clause(citation.doc_id, citation.clause_id)


def highlighted(clause: Clause, start: int, end: int) -> str:
    """The clause as HTML with the cited span in <mark>; every piece of contract text is escaped."""
    a, b = max(0, start - clause.start), min(len(clause.text), end - clause.start)
    text = clause.text
    return f"{as_html(text[:a])}<mark>{as_html(text[a:b])}</mark>{as_html(text[b:])}"


def show_citations(p: Pipeline, answer: Answer) -> None:
    for n, c in enumerate(answer.citations, start=1):
        clause = clause_of(p, c)
        with st.expander(f"[{n}] {markdown_literal(c.provider)} 第 {markdown_literal(c.clause_id)} 条"):
            if clause is None:
                show_html(as_html(c.text), "cited")
                continue
            path = " > ".join(clause.heading_path)
            show_html(as_html(f"{c.doc_id} · {path}" if path else c.doc_id), caption=True)
            show_html(highlighted(clause, c.start, c.end), "cited")


def chat_page(p: Pipeline) -> None:
    st.title("合同问答")
    st.caption("每一句回答都引用合同原文；合同未约定的，会直说。")
    names = [ALL, *p.table.providers]
    provider = st.sidebar.selectbox("只看某家服务商", names, key="provider")
    messages = st.session_state.setdefault("messages", [])
    columns = st.columns(len(EXAMPLES))
    clicked = None
    for column, example in zip(columns, EXAMPLES, strict=True):
        if column.button(example, key=f"example-{example}"):
            clicked = example
    typed = st.chat_input("输入你的问题，例如：哪家数据保留期最长？")
    question = clean_question(typed or clicked or "")
    if question:
        history = [m.question for m in messages][-10:]  # a follow-up (那码尚云呢？) reuses the last topic
        answer = p.composer.ask(question, None if provider == ALL else provider, history)
        messages.append(answer)
    for answer in messages:
        with st.chat_message("user"):
            st.text(answer.question)
        with st.chat_message("assistant"):
            st.text(answer.answer)
            show_citations(p, answer)
            if answer.related:
                related = "；".join(f"{c.provider} 第 {c.clause_id} 条" for c in answer.related)
                show_html(as_html(f"可能相关（不作为依据）：{related}"), caption=True)


def comparison_page(p: Pipeline) -> None:
    st.title("服务商对比")
    table = p.table
    rows = {}
    for key, spec in ATTRIBUTES.items():
        row = {}
        for provider in table.providers:
            facts = table.cell(provider, key)
            row[provider] = "；".join(f"{f.display} [{f.citation.clause_id}]" for f in facts) or "未约定"
        rows[spec.label] = row
    st.dataframe(pd.DataFrame.from_dict(rows, orient="index"), width="stretch")
    st.caption("方括号内是条款号；下面可展开每一格的原文出处。")

    numeric = [k for k in CHARTABLE if k in ATTRIBUTES]
    chosen = st.selectbox(
        "图表：选择一个数值属性", numeric, format_func=lambda k: ATTRIBUTES[k].label, key="chart"
    )
    values = {}
    for provider in table.providers:
        nums = [float(f.value) for f in table.cell(provider, chosen) if isinstance(f.value, int | float)]
        if nums:
            values[provider] = max(nums)
    if values:
        st.bar_chart(pd.Series(values, name=f"{ATTRIBUTES[chosen].label}（{ATTRIBUTES[chosen].unit}）"))
    else:
        st.info("没有合同约定这一项的数值。")
    untold = [p_ for p_ in table.providers if p_ not in values]
    if untold:
        show_html(as_html("未约定：" + "、".join(untold)), caption=True)

    st.subheader("出处")
    for key, spec in ATTRIBUTES.items():
        facts = [f for f in table.facts if f.attribute == key]
        if not facts:
            continue
        with st.expander(spec.label):
            for f in facts:
                clause = clause_of(p, f.citation)
                where = f" 第 {as_html(f.citation.clause_id)} 条：{as_html(f.display)}"
                show_html(f"<strong>{as_html(f.provider)}</strong>{where}")
                if clause is not None:
                    show_html(highlighted(clause, f.citation.start, f.citation.end), "cited")


def document_page(p: Pipeline) -> None:
    st.title("合同原文")
    index = p.index
    labels = {d: f"{index.providers[d].name}（{d}）" for d in index.documents}
    doc_id = st.selectbox("合同", list(labels), format_func=labels.get, key="doc")
    headings = {h.clause_id: h for h in index.headings if h.doc_id == doc_id}
    shown: set[str] = set()
    for clause in (c for c in index.clauses if c.doc_id == doc_id):
        for depth, title in enumerate(clause.heading_path):
            key = " > ".join(clause.heading_path[: depth + 1])
            if key not in shown:
                shown.add(key)
                level = min(depth + 3, 6)
                st.markdown(f"<h{level}>{as_html(title)}</h{level}>", unsafe_allow_html=True)
        label = clause.clause_id if clause.kind == "clause" else f"（{clause.clause_id}）"
        show_html(f"<code>{as_html(label)}</code> {as_html(clause.display_text)}", "clause")
    del headings


def main() -> None:
    st.set_page_config(page_title="合同问答", page_icon="📑", layout="wide")
    st.markdown(
        "<style>.cited mark{background:#ffe58f;padding:0 2px}"
        ".plain,.cited,.clause{white-space:pre-wrap;overflow-wrap:anywhere}</style>",
        unsafe_allow_html=True,
    )
    try:
        with st.spinner(LOADING):  # shown while the model loads and warms up, not after
            p = pipeline()
    except Exception as exc:  # a clear message, never a stack trace
        st.error(f"无法加载索引：{markdown_literal(str(exc))}")
        st.stop()
    pages = {"问答": chat_page, "对比": comparison_page, "合同": document_page}
    page = st.sidebar.radio("页面", list(pages), key="page")
    pages[page](p)


if __name__ == "__main__":  # streamlit runs the script as __main__; tests import the helpers
    main()
