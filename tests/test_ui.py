"""The Streamlit UI driven by AppTest: chat with examples and typed questions, the comparison page.

Questions and answers are ``st.text`` (never Markdown); contract text is one raw HTML block of escaped text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, hashing_index_dir: Path) -> AppTest:
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAG_INDEX_DIR", str(hashing_index_dir))
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_example_question_answers_with_highlighted_citations(app: AppTest) -> None:
    app.button(key="example-哪家数据保留期最长？").click().run()
    assert not app.exception
    answer = app.chat_message[1].text[0].value
    assert answer.startswith("合同终止后的数据保留期最长的是码尚云")
    labels = [e.label for e in app.expander]
    assert labels[0] == "[1] 码尚云 第 4.3 条"
    html = app.expander[0].markdown[0].value
    assert html.startswith('<div class="cited">')
    assert "<mark>除法定及码尚云和您另行约定外" in html and "30 个自然日" in html


def test_typed_question_with_provider_filter_and_history(app: AppTest) -> None:
    app.selectbox(key="provider").select("码尚云").run()
    app.chat_input[0].set_value("滞纳金怎么收？").run()
    app.chat_input[0].set_value("阿里云的滞纳金是多少？").run()
    assert not app.exception
    texts = [m.text[0].value for m in app.chat_message]
    assert texts[0] == "滞纳金怎么收？" and texts[1].startswith(
        "（范围：按所选服务商码尚云）码尚云：每日 0.05%"
    )
    assert texts[2] == "阿里云的滞纳金是多少？" and "没有阿里云的合同" in texts[3]


def test_comparison_page_shows_the_table_and_a_chart(app: AppTest) -> None:
    app.sidebar.radio(key="page").set_value("对比").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table.loc["合同终止后的数据保留期", "码尚云"] == "终止后保留 30 个自然日 [4.3]"
    assert table.loc["合同终止后的数据保留期", "西部数码"] == "未约定"
    assert len(app.get("vega_lite_chart")) == 1
    app.selectbox(key="chart").select("late_fee").run()
    assert "未约定" in app.caption[-1].value


def test_document_page_shows_the_clause_tree(app: AppTest) -> None:
    app.sidebar.radio(key="page").set_value("合同").run()
    app.selectbox(key="doc").select("002_111862d00bf5977e.txt").run()
    assert not app.exception
    texts = [m.value for m in app.markdown]
    assert any(t.startswith('<div class="clause"><code>4.3</code> 除法定及码尚云') for t in texts)
    assert "<h3>用户数据的保存、销毁与下载</h3>" in texts
