"""The Streamlit UI driven by AppTest: chat with examples and typed questions, the comparison page.

Questions and answers are ``st.text`` (never Markdown); contract text is one raw HTML block of escaped text.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.catalog import ATTRIBUTES

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


def test_comparison_page_shows_the_whole_table_downloads_and_a_chart(app: AppTest) -> None:
    app.sidebar.radio(key="page").set_value("对比").run()
    assert not app.exception
    table = next(m.value for m in app.markdown if '<div class="facts">' in m.value)
    assert table.count("<tr>") == 1 + len(ATTRIBUTES)  # every attribute a row, every provider a column
    for provider in ("码尚云", "西部数码", "讯众云通信", "软通云商城", "京东云-微电云"):
        assert f"<th>{provider}</th>" in table
    assert "终止后保留 30 个自然日 <small>第 4.3 条</small>" in table
    assert '<td class="absent">未约定</td>' in table
    assert {b.label for b in app.get("download_button")} == {"下载 CSV", "下载 Excel（XLSX）"}
    assert len(app.get("vega_lite_chart")) == 1
    app.selectbox(key="chart").select("late_fee").run()
    assert "未约定（不画作 0）" in app.caption[-1].value
    app.multiselect(key="cmp-providers").set_value(["码尚云", "西部数码"]).run()
    table = next(m.value for m in app.markdown if '<div class="facts">' in m.value)
    assert "<th>码尚云</th>" in table and "<th>讯众云通信</th>" not in table


def test_the_downloads_carry_the_citation_of_every_cell(
    hashing_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAG_INDEX_DIR", str(hashing_index_dir))
    from openpyxl import load_workbook

    from rag.pipeline import open_pipeline
    from rag.settings import Settings
    from ui.compare import EXPORT_COLUMNS, as_csv, as_xlsx, export_rows

    p = open_pipeline(Settings(), progress=False)
    rows = export_rows(p, ["码尚云", "西部数码"], ["data_retention"])
    assert ("西部数码", "合同终止后的数据保留期", "未约定", "", "", "") in rows
    (kept,) = [r for r in rows if r[0] == "码尚云"]
    assert kept[2] == "终止后保留 30 个自然日" and kept[4] == "第 4.3 条" and "30 个自然日" in kept[5]
    assert as_csv(rows).decode("utf-8-sig").splitlines()[0] == ",".join(EXPORT_COLUMNS)
    sheet = load_workbook(io.BytesIO(as_xlsx(rows))).active
    assert [c.value for c in sheet[1]] == list(EXPORT_COLUMNS)
    assert tuple(c.value or "" for c in sheet[3]) in rows and sheet.max_row == 1 + len(rows)


def test_document_page_shows_the_clause_tree_and_finds_words(app: AppTest) -> None:
    app.sidebar.radio(key="page").set_value("合同").run()
    app.selectbox(key="doc").select("002_111862d00bf5977e.txt").run()
    assert not app.exception
    texts = [m.value for m in app.markdown]
    assert any("<code>第 4.3 条</code> 除法定及码尚云" in t for t in texts)
    assert "<h3>用户数据的保存、销毁与下载</h3>" in texts
    app.text_input(key="doc-search").set_value("滞纳金").run()
    found = [m.value for m in app.markdown if "data-clause" in m.value]
    assert found and all("<mark>滞纳金</mark>" in t for t in found)
    assert any("含“滞纳金”的条款" in c.value for c in app.caption)


def test_a_citation_opens_its_contract_at_the_clause_with_the_words_marked(app: AppTest) -> None:
    app.button(key="example-哪家数据保留期最长？").click().run()
    app.button(key="open-0-1").click().run()
    assert not app.exception
    assert app.sidebar.radio(key="page").value == "合同"
    assert app.selectbox(key="doc").value == "002_111862d00bf5977e.txt"
    (focused,) = [m.value for m in app.markdown if 'class="clause focus"' in m.value]
    assert 'data-clause="002_111862d00bf5977e.txt#4.3"' in focused and "<mark>" in focused


def test_feedback_is_stored_with_the_answer_and_its_citations(app: AppTest, hashing_index_dir: Path) -> None:
    from rag.feedback import FeedbackStore

    before = len(FeedbackStore(hashing_index_dir).rows())
    app.button(key="example-哪家数据保留期最长？").click().run()
    app.text_input(key="comment-0").set_value("引用准确").run()
    app.button(key="down-0").click().run()
    assert not app.exception
    rows = FeedbackStore(hashing_index_dir).rows()
    assert len(rows) == before + 1
    row = rows[-1]
    assert (row["verdict"], row["comment"], row["question"]) == ("down", "引用准确", "哪家数据保留期最长？")
    assert "002_111862d00bf5977e.txt" in row["citations"]
    assert any("已记录你的反馈" in c.value for c in app.caption)


def test_the_upload_page_lists_the_loaded_contracts_with_the_index_date(app: AppTest) -> None:
    app.sidebar.radio(key="page").set_value("上传合同").run()
    assert not app.exception
    assert any(c.value.startswith('<div class="plain">索引建于 20') for c in app.caption)
    (listed,) = [m.value for m in app.markdown if "<th>条款数</th>" in m.value]
    assert listed.count("<tr>") == 1 + 5 and "码尚云《码尚云服务用户协议》" in listed


def test_a_conversation_survives_a_page_reload_and_a_new_one_starts_empty(app: AppTest) -> None:
    app.button(key="example-哪家数据保留期最长？").click().run()
    conversation_id = (
        app.query_params["c"][0] if isinstance(app.query_params["c"], list) else app.query_params["c"]
    )
    reloaded = AppTest.from_file(APP, default_timeout=60)  # a reload: a new session, the same address
    reloaded.query_params["c"] = conversation_id
    reloaded.run()
    assert not reloaded.exception
    said = [m.text[0].value for m in reloaded.chat_message]
    assert said[0] == "哪家数据保留期最长？" and said[1].startswith("合同终止后的数据保留期最长的是码尚云")
    reloaded.sidebar.button(key="new-chat").click().run()
    assert not reloaded.chat_message and reloaded.query_params["c"] != conversation_id
