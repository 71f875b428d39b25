"""jieba tokenisation for BM25: precise mode, the contract dictionary, splits, stop words, expansions."""

from __future__ import annotations

import pytest

from core.text import abbreviated_in
from index.textproc import ChineseTokenizer


@pytest.fixture(scope="module")
def tok() -> ChineseTokenizer:
    return ChineseTokenizer(extra_words=["码尚云", "西部数码"])


def test_precise_mode_has_no_overlapping_tokens(tok: ChineseTokenizer) -> None:
    text = "住房公积金管理中心的服务期限为三十个自然日"
    tokens = tok.tokenize(text)
    # Search mode would emit 公积 / 积金 / 公积金; precise mode covers each character at most once:
    # the tokens are found one after another in the text, never overlapping.
    pos = 0
    for token in tokens:
        found = text.find(token, pos)
        assert found >= pos, f"{token} overlaps the token before it"
        pos = found + len(token)
    assert "公积金" in tokens and not ({"公积", "积金"} & set(tokens))


@pytest.mark.parametrize("term", ["自然日", "工作日", "滞纳金", "违约金", "不可抗力", "数据备份", "服务期限"])
def test_contract_terms_stay_whole(tok: ChineseTokenizer, term: str) -> None:
    assert term in tok.tokenize(f"双方约定{term}条款如下")


def test_provider_names_from_the_corpus_stay_whole(tok: ChineseTokenizer) -> None:
    assert tok.tokenize("码尚云和西部数码")[:2] == ["码尚云", "西部数码"]


def test_legal_compounds_are_indexed_by_their_parts(tok: ChineseTokenizer) -> None:
    tokens = tok.tokenize("向上海市浦东新区人民法院提起诉讼，有管辖权的法院")
    assert {"人民", "法院", "管辖", "权"} <= set(tokens)


def test_stop_words_and_punctuation_are_dropped(tok: ChineseTokenizer) -> None:
    assert tok.tokenize("您的数据是否会被删除？") == ["数据", "删除"]


def test_markup_is_not_a_token(tok: ChineseTokenizer) -> None:
    assert tok.tokenize("**滞纳金**") == ["滞纳金"]


def test_everyday_words_expand_to_contract_words(tok: ChineseTokenizer) -> None:
    assert {"故障", "中断"} <= set(tok.expansions("平台挂了一整天"))
    assert {"诉讼", "法院"} <= set(tok.expansions("去哪里打官司"))
    # a one-character key counts only as a word of its own: 告 in 公告 is not 起诉
    assert "诉讼" not in tok.expansions("以网站公告方式通知")


@pytest.mark.parametrize(
    ("word", "text", "said"),
    [
        ("先用后付", "对于特殊达成的先使用服务后付款情况", True),  # the first character of each word
        ("调价", "星河有权调整价格", True),
        ("调价", "星河有权调整费用标准", False),  # 价 too far away or absent
        ("账单", "账户余额清单", False),  # in order but spread over six characters
        ("SLA", "S L A", False),  # Chinese words only
        ("续", "续费", False),  # one character is no abbreviation
    ],
)
def test_abbreviations_are_read_as_the_words_they_shorten(word: str, text: str, said: bool) -> None:
    assert abbreviated_in(word, text) is said


def test_remembered_tokens_are_the_same_and_cannot_be_changed_by_a_caller(tok: ChineseTokenizer) -> None:
    text = "逾期付款的，每日按未付金额的万分之五支付滞纳金。"
    first = tok.tokenize(text)
    first.append("被调用方改动")
    again = tok.tokenize(text)
    assert "被调用方改动" not in again
    assert again == ChineseTokenizer().tokenize(text)  # a fresh tokenizer, nothing remembered
    long = "甲方" * 400  # too long to remember: tokenised every time, same tokens
    assert tok.tokenize(long) == tok.tokenize(long) and long not in tok._memo
