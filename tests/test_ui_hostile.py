"""The Streamlit UI with hostile input: contract text that is Markdown or HTML is shown as the characters it
is (no live link, no italics from ``7*24``, no script), the model is loaded and warmed up behind a spinner
before the first question, and invisible characters typed into the chat do not change the answer.

What the browser would make of a Markdown string is checked with markdown-it (CommonMark): contract text
must reach it only inside a single raw HTML block, which Markdown never reads (not even a bare URL).
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from ui.app import as_html, clean_question, markdown_literal

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
EVIL = "evil.example"
HOSTILE = """恶意云服务协议
本协议是恶意云科技有限公司（以下简称“恶意云”）与您就恶意云服务所订立的协议。
第一条 服务支持
1.1 恶意云提供7*24小时技术支持，如需帮助请联系[官方客服](https://evil.example/phish)，**粗体**提示<script>alert(1)</script>。
1.2 客服热线见&#91;客服页面&#93;(https://evil.example/entity)，服务时间为7*24小时，另有*重要*说明。
第二条 费用
2.1 您逾期付款的，恶意云按每日0.05%收取滞纳金，详见[官方客服](https://evil.example/phish)。
"""
#: The provider's name is contract data too (here from providers.toml): it lands in labels and captions.
HOSTILE_NAME = "恶意*云*[官网](https://evil.example/name)"
#: The only tags the app writes around contract text.
OWN_TAGS = re.compile(
    r"</?(?:div|mark|br|code|strong|small|table|thead|tbody|tr|th|td|h[1-6])"
    r'(?: class="[a-z ]+")?(?: data-clause="[^"<>]*")?>'
)
INVISIBLE = ("\u200b", "\u00ad", "\ufeff", "\x00")

commonmark = MarkdownIt("commonmark", {"html": True}).enable("strikethrough")


def inert(markdown: str) -> bool:
    """Markdown reads none of ``markdown``: it is one raw HTML block of the app's own tags and escaped
    text (no ``<`` from the contract survives), so no link, emphasis, autolink or script can come of it."""
    tokens = commonmark.parse(markdown)
    return (
        [t.type for t in tokens] == ["html_block"]
        and "\n" not in markdown.strip()
        and "<" not in OWN_TAGS.sub("", markdown)
        and ">" not in OWN_TAGS.sub("", markdown)
    )


def label_is_literal(label: str) -> bool:
    """A Markdown-only label renders as its text: no link, emphasis or HTML, no bare URL to autolink."""
    rendered = commonmark.renderInline(label)
    return not re.search(r"<(?:a|em|strong|del|script)\b", rendered) and not re.search(
        r"(?i)https?:|www\.|\w@\w", label.replace("\\", "")
    )


def start(monkeypatch: pytest.MonkeyPatch, index_dir: Path, contracts_dir: Path | None = None) -> AppTest:
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    if contracts_dir is not None:
        monkeypatch.setenv("RAG_CONTRACTS_DIR", str(contracts_dir))
    import streamlit as st

    st.cache_resource.clear()  # another test's index may be cached
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A contracts folder with the hostile contract, indexed with the hashing embedder."""
    from index.embed import HashingEmbedder
    from index.store import build_index

    root = tmp_path_factory.mktemp("hostile")
    contracts = root / "contracts"
    contracts.mkdir()
    (contracts / "evil.txt").write_text(HOSTILE, encoding="utf-8")
    (contracts / "providers.toml").write_text(f'["evil.txt"]\nname = "{HOSTILE_NAME}"\n', encoding="utf-8")
    build_index(contracts, root / "index", HashingEmbedder())
    return contracts, root / "index"


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch, hostile_folder: tuple[Path, Path]) -> Iterator[AppTest]:
    contracts, index_dir = hostile_folder
    yield start(monkeypatch, index_dir, contracts)
    import streamlit as st

    st.cache_resource.clear()  # the next test's app must not get this index


def markdown_values(at: AppTest) -> list[str]:
    """Every Markdown string on the page (captions included), wherever it sits."""
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def assert_contract_text_is_inert(at: AppTest) -> None:
    values = [v for v in markdown_values(at) if EVIL in v or "恶意" in v]
    assert values, "the page shows no contract text"
    for value in values:
        assert inert(value), value
        assert not re.search(r"<(?:a|em|script)\b", commonmark.render(value)), value


# Markdown and HTML in contract text -------------------------------------------------------------------


def test_an_answer_and_its_citations_show_contract_markup_as_text(hostile: AppTest) -> None:
    hostile.chat_input[0].set_value("如何联系官方客服？").run()
    assert not hostile.exception
    question, answer = (m.text[0].value for m in hostile.chat_message)
    assert question == "如何联系官方客服？"
    # st.text: the characters as written (Markdown would italicise 7*24); the quote shows the clause as a
    # reader sees it, without the contract's markup (link syntax, ** and tags); the citation keeps it all
    assert "“恶意云提供7*24小时技术支持，如需帮助请联系官方客服，粗体提示" in answer
    assert "](https://evil.example/phish)" not in answer and "<script>" not in answer
    assert not hostile.chat_message[0].markdown  # the question is text as well
    html = hostile.expander[0].markdown[0].value
    assert inert(html)
    assert "<mark>恶意云提供7*24小时技术支持，如需帮助请联系[官方客服](https://evil.example/phish)" in html
    assert "**粗体**提示&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_contract_text_is_inert(hostile)
    label = hostile.expander[0].label
    assert label.startswith("[1] ") and label.endswith(" 第 1.1 条") and label_is_literal(label)


def test_italics_markers_in_an_answer_stay_asterisks(hostile: AppTest) -> None:
    hostile.chat_input[0].set_value("客服服务时间是多久？").run()
    assert not hostile.exception
    answer = hostile.chat_message[1].text[0].value
    assert "“恶意云提供7*24小时技术支持”[1]" in answer and "“服务时间为7*24小时”[2]" in answer
    cited = [e for e in hostile.expander if e.label.startswith("[")]
    assert len(cited) == 2
    assert all(inert(e.markdown[0].value) for e in cited)
    assert_contract_text_is_inert(hostile)


def test_related_clauses_name_the_provider_as_text(hostile: AppTest) -> None:
    hostile.chat_input[0].set_value("付款方式有哪些").run()
    assert not hostile.exception
    related = [c.value for c in hostile.caption if "可能相关" in c.value]
    assert len(related) == 1 and inert(related[0])
    assert as_html(HOSTILE_NAME) in related[0]


def test_the_contract_page_shows_links_and_asterisks_as_text(hostile: AppTest) -> None:
    hostile.sidebar.radio(key="page").set_value("合同").run()
    hostile.selectbox(key="doc").select("evil.txt").run()
    assert not hostile.exception
    texts = markdown_values(hostile)
    assert "<h3>服务支持</h3>" in texts
    # the display text drops plain Markdown links, but an entity-encoded one only appears after decoding
    clause = next(t for t in texts if 'data-clause="evil.txt#1.2"><code>第 1.2 条</code>' in t)
    assert "客服热线见[客服页面](https://evil.example/entity)，服务时间为7*24小时，另有*重要*说明。" in clause
    assert_contract_text_is_inert(hostile)


def test_the_comparison_page_shows_facts_and_names_as_text(hostile: AppTest) -> None:
    hostile.sidebar.radio(key="page").set_value("对比").run()
    assert not hostile.exception
    (table,) = [v for v in markdown_values(hostile) if '<div class="facts">' in v]
    assert f"<th>{as_html(HOSTILE_NAME)}</th>" in table  # the provider's name, escaped, heads its column
    assert inert(table) and "<small>第 1.1 条</small>" in table
    assert_contract_text_is_inert(hostile)


@pytest.mark.parametrize(
    "text",
    [
        "[官方客服](https://evil.example/phish)",
        "**粗体** 7*24 _斜_ ~~删~~ `代码` <script>alert(1)</script> $x$ :red[红]",
        "见 https://evil.example/x、www.evil.example 或 a@evil.example",
        "第一行\n\n# 第二行",
    ],
)
def test_markdown_literal_and_as_html_keep_every_character(text: str) -> None:
    label = markdown_literal(text)
    assert label_is_literal(label)
    shown = html.unescape(commonmark.renderInline(label)).replace("\u2060", "")
    assert shown == " ".join(text.splitlines())  # every character, none of it read as Markdown
    assert inert(f'<div class="plain">{as_html(text)}</div>')


# Start-up: the model loads and warms up behind the spinner ------------------------------------------------


def test_the_model_is_loaded_and_warmed_up_behind_the_spinner_before_any_question(
    monkeypatch: pytest.MonkeyPatch, hashing_index_dir: Path
) -> None:
    import streamlit as st

    from index.embed import HashingEmbedder

    spinning: list[str] = []
    queries: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    real_spinner, real_encode = st.spinner, HashingEmbedder.encode_queries

    @contextlib.contextmanager
    def spinner(text: str = "", *args: object, **kwargs: object) -> Iterator[None]:
        spinning.append(text)
        try:
            with real_spinner(text, *args, **kwargs):  # type: ignore[arg-type]
                yield
        finally:
            spinning.pop()

    def encode_queries(self: HashingEmbedder, texts: list[str]):  # type: ignore[no-untyped-def]
        queries.append((tuple(texts), tuple(spinning)))
        return real_encode(self, texts)

    monkeypatch.setattr(st, "spinner", spinner)
    monkeypatch.setattr(HashingEmbedder, "encode_queries", encode_queries)
    at = start(monkeypatch, hashing_index_dir)
    assert queries, "nothing was encoded at start-up: the first question would load the model"
    assert all(during == ("正在加载模型与索引…",) for _, during in queries)
    assert not at.chat_message  # no question was asked
    queries.clear()
    at.run()  # a rerun finds everything loaded: nothing is encoded again
    assert queries == []


# Invisible characters typed into the chat ------------------------------------------------------------


def ask(monkeypatch: pytest.MonkeyPatch, index_dir: Path, question: str) -> tuple[str, list[str], list[str]]:
    """Answer text, citation labels and cited clause HTML for ``question`` asked in a fresh chat."""
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return (
        at.chat_message[1].text[0].value,
        [e.label for e in at.expander if e.label.startswith("[")],
        [e.markdown[0].value for e in at.expander if e.label.startswith("[")],
    )


@pytest.mark.parametrize("char", INVISIBLE, ids=["zwsp", "soft-hyphen", "bom", "nul"])
def test_invisible_characters_typed_in_the_chat_do_not_change_the_answer(
    monkeypatch: pytest.MonkeyPatch, hashing_index_dir: Path, char: str
) -> None:
    import streamlit as st

    st.cache_resource.clear()
    plain = ask(monkeypatch, hashing_index_dir, "码尚云的滞纳金标准")
    assert plain[0].startswith("码尚云：") and plain[1]
    for typed in (f"码尚云的滞{char}纳金标准", f"{char}码尚{char}云的滞纳金标准{char}"):
        assert ask(monkeypatch, hashing_index_dir, typed) == plain


def test_all_invisible_characters_at_once_and_a_question_of_nothing_but_them(
    monkeypatch: pytest.MonkeyPatch, hashing_index_dir: Path
) -> None:
    import streamlit as st

    st.cache_resource.clear()
    plain = ask(monkeypatch, hashing_index_dir, "码尚云的滞纳金标准")
    assert ask(monkeypatch, hashing_index_dir, "码" + "".join(INVISIBLE) + "尚云的滞纳金标准") == plain
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.chat_input[0].set_value("\x00\x00 ").run()  # nothing left to ask: no message, no error
    assert not at.exception and not at.chat_message


def test_clean_question_drops_control_characters_only() -> None:
    assert clean_question(" 码尚云\x00的滞纳\x07金\x7f标准\x85 ") == "码尚云的滞纳金标准"
    assert clean_question("西部数码\t逾期\n付款") == "西部数码\t逾期\n付款"
    assert clean_question("滞\u200b纳金") == "滞\u200b纳金"  # invisible characters: normalise's job
