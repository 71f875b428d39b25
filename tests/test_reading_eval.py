"""The reading eval's own arithmetic: value agreement, coverage, goldens, intervals."""

from __future__ import annotations

from core.records import Citation, Clause, Document, Fact
from evals.reading import golden_hits, structure, value_agrees, wilson
from index.segment import segment

CITE = Citation("a.txt", "甲云", "1", 0, 1, "甲")


def _fact(value: object) -> Fact:
    return Fact("甲云", "late_fee", value, "%/日", "", "", CITE)  # type: ignore[arg-type]


def test_values_agree_in_the_gold_normalised_form() -> None:
    assert value_agrees(_fact(0.1), {"type": "rate_per_day", "value": 0.1})
    assert not value_agrees(_fact(0.05), {"type": "rate_per_day", "value": 0.1})
    assert value_agrees(_fact(None), {"type": "duration", "value": None})  # stated without a figure
    assert not value_agrees(_fact(0.0), {"type": "duration", "value": None})
    assert value_agrees(_fact("诉讼：杭州市西湖区人民法院"), {"type": "place", "value": "诉讼"})
    assert value_agrees(_fact("20000 元"), {"type": "enum", "value": "金额"})
    assert value_agrees(_fact(True), {"type": "yes_no", "value": True})
    assert value_agrees(_fact("x"), None)  # no normalised gold: the cited words decide


def test_coverage_is_the_share_outside_preamble() -> None:
    text = "甲云服务协议\n前言一句话。\n一、 总则\n1. 第一条内容很长很长很长。\n2. 第二条内容。\n"
    seg = segment(Document("a.txt", text, "txt", "utf-8", "0"), "甲云")
    result = structure(seg.clauses, text)
    preamble = len("前言一句话。")
    total = len("".join(text.split())) - len("甲云服务协议")
    assert result["coverage_all"] == round(1 - preamble / total, 3)
    assert result["coverage_body"] == 1.0 and result["clauses"] == 2 and result["depth"] == 2


def test_goldens_match_exactly_or_by_prefix() -> None:
    clause = Clause("a.txt", "甲云", "4.3", "clause", (), 0, 8, "数据保留三十日。")
    assert golden_hits([clause], [{"clause_id": "4.3", "text": "数据保留三十日。"}]) == (1, [])
    assert golden_hits([clause], [{"clause_id": "4.3", "text": "数据保留", "note": "prefix"}]) == (1, [])
    assert golden_hits([clause], [{"clause_id": "4.3", "text": "数据保留"}]) == (0, ["4.3"])
    assert golden_hits([clause], [{"clause_id": "4.4", "text": "数据保留三十日。"}]) == (0, ["4.4"])


def test_wilson_interval_brackets_the_rate() -> None:
    low, high = wilson(15, 51)
    assert low < 15 / 51 < high and low >= 0.0 and high <= 1.0
    assert wilson(0, 0) == (0.0, 1.0)
