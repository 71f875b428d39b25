"""The Streamlit chat for business users (``make run``): a thin client over the same pipeline as the API.

Four pages: 问答 (chat with cited answers: each citation expands to its clause with the cited words
highlighted and opens the contract there; 👍 / 👎 feedback; a new conversation), 对比 (the provider ×
attribute table, downloads, a chart: ``ui/compare.py``), 合同 (a contract with search, scrolled to a cited
clause: ``ui/contract.py``), 上传合同 (add or remove contracts: ``ui/upload.py``). No retrieval logic
lives here. Everything read from contracts or typed by users is shown as text, never as Markdown
(``ui/common.py``).
"""

from __future__ import annotations

import streamlit as st

from core.records import Answer
from rag.feedback import FeedbackError, FeedbackStore
from rag.pipeline import Pipeline, open_pipeline
from rag.settings import Settings
from ui.common import (
    as_html,
    clause_label,
    clause_of,
    clean_question,
    conversation,
    highlighted,
    markdown_literal,
    new_conversation,
    show_html,
    title_of,
)
from ui.compare import comparison_page
from ui.contract import document_page, open_in_contract
from ui.upload import upload_page

__all__ = ["as_html", "clean_question", "main", "markdown_literal"]

EXAMPLES = (
    "哪家数据保留期最长？",
    "西部数码逾期付款怎么收滞纳金？",
    "平台挂了一整天我能拿到什么补偿？",
    "合同纠纷一般去哪里打官司？",
)
ALL = "全部服务商"
LOADING = "正在加载模型与索引…"
ANSWERING = "正在查找相关条款…"


@st.cache_resource(show_spinner=False)
def pipeline() -> Pipeline:
    p = open_pipeline(Settings(), progress=False)
    p.warm()  # the model loads on its first query: answer one now, not on the user's first question
    return p


def as_text(answer: Answer) -> str:
    """The answer with its citations written out, to copy into a mail or a ticket."""
    cited = [
        f"[{n}] {c.provider} {clause_label(c.clause_id)}：{c.text}" for n, c in enumerate(answer.citations, 1)
    ]
    return "\n".join([f"问：{answer.question}", f"答：{answer.answer}", *cited])


def show_citations(p: Pipeline, answer: Answer, turn: int) -> None:
    for n, c in enumerate(answer.citations, start=1):
        clause = clause_of(p, c)
        with st.expander(
            f"[{n}] {markdown_literal(c.provider)} {markdown_literal(clause_label(c.clause_id))}"
        ):
            if clause is None:
                show_html(as_html(c.text), "cited")
                continue
            path = " > ".join(clause.heading_path)
            show_html(
                as_html(f"{title_of(p, c.doc_id)} · {path}" if path else title_of(p, c.doc_id)), caption=True
            )
            show_html(highlighted(clause, c.start, c.end), "cited")
            st.button("在合同中查看", key=f"open-{turn}-{n}", on_click=open_in_contract, args=(c,))


def _feedback(p: Pipeline, answer: Answer, turn: int, verdict: str) -> None:
    comment = st.session_state.get(f"comment-{turn}", "")
    try:
        FeedbackStore(p.settings.index_dir).add(answer, verdict, comment)
        st.session_state[f"rated-{turn}"] = verdict
    except (FeedbackError, OSError) as exc:
        st.session_state[f"rated-{turn}"] = f"error: {exc}"


def show_answer(p: Pipeline, answer: Answer, turn: int) -> None:
    st.text(answer.answer)
    show_citations(p, answer, turn)
    if answer.related:
        related = "；".join(f"{c.provider} {clause_label(c.clause_id)}" for c in answer.related)
        show_html(as_html(f"可能相关（不作为依据）：{related}"), caption=True)
    rated = st.session_state.get(f"rated-{turn}")
    if rated in ("up", "down"):
        show_html(as_html("已记录你的反馈，谢谢。"), caption=True)
    else:
        if rated:
            st.error(markdown_literal(f"反馈未能保存：{rated.removeprefix('error: ')}"))
        up, down, comment = st.columns([1, 1, 6])
        up.button("👍 有用", key=f"up-{turn}", on_click=_feedback, args=(p, answer, turn, "up"))
        down.button("👎 不对", key=f"down-{turn}", on_click=_feedback, args=(p, answer, turn, "down"))
        comment.text_input("补充说明（可选）", key=f"comment-{turn}", label_visibility="collapsed",
                           placeholder="补充说明（可选），再点 👍 或 👎")  # fmt: skip
    with st.expander("复制回答（含引用原文）"):
        st.code(as_text(answer), language=None, wrap_lines=True)


def chat_page(p: Pipeline) -> None:
    st.title("合同问答")
    st.caption("每一句回答都引用合同原文；合同未约定的，会直说。")
    names = [ALL, *p.table.providers]
    provider = st.sidebar.selectbox("只看某家服务商", names, key="provider")
    if provider != ALL:
        st.sidebar.caption(f"当前只看{provider}；问题里点名的服务商优先。")
    if st.sidebar.button("新对话", key="new-chat"):
        st.query_params["c"] = new_conversation()
        st.session_state.pop("messages", None)
    if "c" not in st.query_params:
        st.query_params["c"] = new_conversation()
    # the conversation survives a page reload: its id is in the address, its messages in the server's memory
    messages = st.session_state.setdefault("messages", conversation(st.query_params["c"]))
    columns = st.columns(len(EXAMPLES))
    clicked = None
    for column, example in zip(columns, EXAMPLES, strict=True):
        if column.button(example, key=f"example-{example}"):
            clicked = example
    typed = st.chat_input("输入你的问题，例如：哪家数据保留期最长？")
    question = clean_question(typed or clicked or "")
    for turn, answer in enumerate(messages):
        with st.chat_message("user"):
            st.text(answer.question)
        with st.chat_message("assistant"):
            show_answer(p, answer, turn)
    if question:  # the question stays on screen while it is answered
        with st.chat_message("user"):
            st.text(question)
        with st.chat_message("assistant"):
            history = [m.question for m in messages][-10:]  # a follow-up (那码尚云呢？) reuses the last topic
            with st.spinner(ANSWERING):
                answer = p.composer.ask(question, None if provider == ALL else provider, history)
            messages.append(answer)
            show_answer(p, answer, len(messages) - 1)


def main() -> None:
    st.set_page_config(page_title="合同问答", page_icon="📑", layout="wide")
    st.markdown(
        "<style>.cited mark,.clause mark{background:#ffe58f;padding:0 2px}"
        ".plain,.cited,.clause{white-space:pre-wrap;overflow-wrap:anywhere}"
        ".clause.focus{background:#fffbe6;border-left:3px solid #faad14;padding-left:6px}"
        ".facts{overflow-x:auto}.facts table{border-collapse:collapse;font-size:14px}"
        ".facts th,.facts td{border:1px solid #ddd;padding:4px 8px;vertical-align:top;white-space:normal;"
        "min-width:9em}.facts tbody th,.facts thead th:first-child{position:sticky;left:0;background:#fafafa}"
        ".facts td.absent{color:#999;font-style:italic}"
        # the file uploader's English chrome (Drag and drop…, Browse files) in Chinese; the limit is ours
        '[data-testid="stFileUploaderDropzoneInstructions"]{display:none}'
        '[data-testid="stFileUploaderDropzone"] button>*{display:none}'
        '[data-testid="stFileUploaderDropzone"] button::after{content:"选择文件";font-size:14px}'
        "</style>",
        unsafe_allow_html=True,
    )
    try:
        with st.spinner(LOADING):  # shown while the model loads and warms up, not after
            p = pipeline()
    except Exception as exc:  # a clear message, never a stack trace
        st.error(f"无法加载索引：{markdown_literal(str(exc))}")
        st.stop()
    pages = {"问答": chat_page, "对比": comparison_page, "合同": document_page, "上传合同": upload_page}
    page = st.sidebar.radio("页面", list(pages), key="page")
    pages[page](p)


if __name__ == "__main__":  # streamlit runs the script as __main__; tests import the helpers
    main()
