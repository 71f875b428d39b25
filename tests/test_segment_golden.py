"""Golden expectations for the five bundled contracts, written by hand from reading them."""

from __future__ import annotations

import pytest

from core.records import Clause
from index.corpus import Corpus


def clauses(corpus: Corpus, doc_id: str) -> dict[str, Clause]:
    return {c.clause_id: c for c in corpus.segmentations[doc_id].clauses}


# (doc_id, total clauses, numbered-clause ids that must exist, ids that must not exist)
GOLDEN_COUNTS = [
    # 2 preamble lines + 一(3) 二(5) 三(3) 四(4) 五(4) 六(2) 七(3) 八(2) 九(4) 十(3) 十一(1)
    (
        "000_9e585a3fd0b47425.txt",
        36,
        ["一.1", "二.5", "三.2", "六.2", "八.1", "八.2", "九.3", "十一.1"],
        ["一", "1"],
    ),
    # title + preamble + 1(body) 2(intro+5) 3(10, numbering jumps 5→9) 4(10) 5(7) 6(3) 7(7) 8(body) 9(3)
    (
        "001_d0ab719c5a823c3c.txt",
        50,
        [
            "1",
            "2",
            "2.(5)",
            "3.(5)",
            "3.(9)",
            "3.(13)",
            "5.(2).a",
            "5.(2).d",
            "5.(3)",
            "7.(1).b",
            "8",
            "9.(3)",
        ],
        ["3.(6)", "3.(7)", "3.(8)"],
    ),
    # title + preamble + 83 numbered clauses; 3.1, 3.2, 9.1, 9.2 are headings
    (
        "002_111862d00bf5977e.txt",
        85,
        [
            "1.1",
            "3.1.3.5.1",
            "3.1.3.5.8",
            "3.1.3.10",
            "3.2.2.2",
            "4.3",
            "7.3.4",
            "8.4",
            "9.2.1.5",
            "9.3",
            "11.2",
        ],
        ["3.1", "3.2", "9.1", "9.2", "1", "10"],
    ),
    # 2 preamble paragraphs + 63 clauses (14 Markdown sections)
    (
        "003_f9bd3b27cea2d084.txt",
        65,
        ["1", "1.1", "2", "4.4", "9", "12.2.(1)", "12.2.(7)", "12.3.(3)", "13.3", "14.3"],
        ["12.2.(8)"],
    ),
    # 31 front-matter lines (form + 2 titles + preamble) + 104 clauses; 3.5.1.3 and 5.2 twice, 7.3 missing
    (
        "004_ff0b5367f7bd4376.txt",
        135,
        ["一", "2.1", "2.2.1", "3.5.1.3", "3.5.1.3~2", "5.2", "5.2~2", "4.7", "7.2.7", "7.4", "11.5"],
        ["7.3", "2.2", "二"],
    ),
]


@pytest.mark.parametrize(("doc_id", "total", "present", "absent"), GOLDEN_COUNTS)
def test_bundled_contract_has_the_expected_clauses(
    bundled: Corpus, doc_id: str, total: int, present: list[str], absent: list[str]
) -> None:
    found = clauses(bundled, doc_id)
    assert len(bundled.segmentations[doc_id].clauses) == total
    assert not [cid for cid in present if cid not in found]
    assert not [cid for cid in absent if cid in found]


EXACT_TEXTS = [
    (
        "002_111862d00bf5977e.txt",
        "4.3",
        "除法定及码尚云和您另行约定外，自本协议执行期满或因任何原因导致本协议提前终止之日起的 30 个自然日内，"
        "码尚云将继续存储您的数据，逾期将不再保留您数据，您需自行承担其数据被销毁后引发的一切后果。",
    ),
    (
        "004_ff0b5367f7bd4376.txt",
        "4.7",
        "因西部数码云服务器故障导致客户服务器无法使用的,弹性云主机按照故障时间100倍/台赔偿,套餐云主机按照故障时间"
        "50倍/台赔偿,赔偿总额不超过支付的单台云服务器费用的总额;百倍赔偿仅限服务时长的补偿,不用于折算现金及代金券。"
        "故障的时间=故障解决时间-故障开始时间。",
    ),
    (
        "000_9e585a3fd0b47425.txt",
        "八.2",
        "账号终止后，本公司没有义务为您保留原账号中或与之相关的任何信息，或转发任何未曾阅读或发送的信息给您或第三方。",
    ),
    ("001_d0ab719c5a823c3c.txt", "7.(1).b", "由于Internet上的通路阻塞造成您网站访问速度下降；"),
    ("001_d0ab719c5a823c3c.txt", "2", "为有效保障您使用本服务的合法权益，您理解并同意接受以下规则："),
    ("002_111862d00bf5977e.txt", "3.1.3.5.2", "涉及国家秘密和 / 或安全的信息；"),
    ("002_111862d00bf5977e.txt", "6.4", "本条款不因本协议的终止而失效。"),
    ("003_f9bd3b27cea2d084.txt", "8.5", "本保密条款在本协议因任何原因终止后仍有效。"),
    ("003_f9bd3b27cea2d084.txt", "12.2.(2)", "销售或提供国家禁止流通、限制流通商品或提供非法服务的。"),
    ("004_ff0b5367f7bd4376.txt", "3.5.2.2", "涉及国家秘密和/或安全的信息;"),
    ("004_ff0b5367f7bd4376.txt", "10.1", "本服务条款受中华人民共和国法律管辖。"),
]


@pytest.mark.parametrize(("doc_id", "clause_id", "text"), EXACT_TEXTS)
def test_clause_text_is_exactly_the_contract_wording(
    bundled: Corpus, doc_id: str, clause_id: str, text: str
) -> None:
    clause = clauses(bundled, doc_id)[clause_id]
    assert clause.text == text
    assert bundled.documents[doc_id].text[clause.start : clause.end] == text


HEADINGS = [
    ("000_9e585a3fd0b47425.txt", "八.1", ("服务终止",)),
    ("001_d0ab719c5a823c3c.txt", "5.(2).c", ("数据的保存、销毁与下载",)),
    ("002_111862d00bf5977e.txt", "9.1.2", ("免责条款", "不可抗力")),
    ("002_111862d00bf5977e.txt", "3.2.2.1", ("权利义务", "码尚云的权利、义务")),
    ("003_f9bd3b27cea2d084.txt", "1", ("术语和定义",)),
    ("004_ff0b5367f7bd4376.txt", "2.2.1", ("服务费用及支付", "支付")),
    ("004_ff0b5367f7bd4376.txt", "2.1", ("服务费用及支付", "服务费用")),
]


@pytest.mark.parametrize(("doc_id", "clause_id", "path"), HEADINGS)
def test_heading_path_lists_the_section_titles_above_the_clause(
    bundled: Corpus, doc_id: str, clause_id: str, path: tuple[str, ...]
) -> None:
    assert clauses(bundled, doc_id)[clause_id].heading_path == path


def test_section_titles_are_headings_not_empty_clauses(bundled: Corpus) -> None:
    headings = {
        (h.doc_id, h.clause_id): h.title for seg in bundled.segmentations.values() for h in seg.headings
    }
    assert headings[("000_9e585a3fd0b47425.txt", "三")] == "服务使用守则"
    assert headings[("002_111862d00bf5977e.txt", "9.2")] == "责任限制"
    assert headings[("003_f9bd3b27cea2d084.txt", "13")] == "争议解决条款及适用法律"
    assert headings[("004_ff0b5367f7bd4376.txt", "2.2")] == "支付"
    for seg in bundled.segmentations.values():
        assert all(c.text.strip() for c in seg.clauses)
        assert not [c for c in seg.clauses if c.text.strip() in {h.title for h in seg.headings}]


def test_word_export_counter_is_not_part_of_the_clause(bundled: Corpus) -> None:
    found = clauses(bundled, "002_111862d00bf5977e.txt")
    assert found["4.3"].number == "4.3"
    assert not any(c.text.startswith(("8. ", "2. ")) for c in found.values())
    assert found["10.1"].heading_path == ("法律适用及争议解决",)  # "1. [bookmark: _GoBack]10.法律适用…"


def test_front_matter_of_the_form_is_kept_apart_from_clause_one(bundled: Corpus) -> None:
    found = bundled.segmentations["004_ff0b5367f7bd4376.txt"].clauses
    first_numbered = next(i for i, c in enumerate(found) if c.kind == "clause")
    front = found[:first_numbered]
    assert {c.kind for c in front} == {"title", "preamble"}
    assert [c.text for c in front if c.kind == "title"] == ["云服务器服务合同", "云服务器服务协议"]
    assert any(c.text.startswith("一、您通过西部数码账号") for c in front)
    assert found[first_numbered].clause_id == "一"
    assert found[first_numbered].text.startswith("本协议中的服务是指西部数码官网")


def test_bookmarks_are_outside_clause_text_and_markup_dropped_for_display(bundled: Corpus) -> None:
    soft = clauses(bundled, "000_9e585a3fd0b47425.txt")["三.2"]
    assert soft.text.startswith("软通云商城将会以电子邮件")
    jd = clauses(bundled, "003_f9bd3b27cea2d084.txt")
    raw = bundled.documents["003_f9bd3b27cea2d084.txt"].text
    assert jd["13.3"].text.startswith("对于因合同争议")  # "13.3  **对于…**": emphasis left outside the span
    assert raw[jd["13.3"].start - 2 : jd["13.3"].start] == "**"
    assert raw[jd["13.3"].end : jd["13.3"].end + 2] == "**"
    assert not jd["4.4"].text.endswith("**")  # "**4.4 …**": the emphasis around the number is not text
    # A multiplication sign is not markup: 滞纳金=应付服务费用*0.3%*拖欠天数 stays as written.
    assert "应付服务费用*0.3%*拖欠天数" in clauses(bundled, "004_ff0b5367f7bd4376.txt")["2.2.2"].display_text


def test_sentences_split_a_clause_into_citable_spans(bundled: Corpus) -> None:
    clause = clauses(bundled, "000_9e585a3fd0b47425.txt")["十一.1"]
    assert [s.text for s in clause.sentences] == [
        "本协议之效力、解释、变更、执行与争议解决均适用中华人民共和国法律。",
        clause.sentences[1].text,
    ]
    assert clause.sentences[1].text.startswith("甲方和乙方一致同意")
    assert clause.sentences[1].text.endswith("北京仲裁委员会解决。")
