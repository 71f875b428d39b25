"""Layouts the segmenter must get right, one small hand-written contract each."""

from __future__ import annotations

import pytest

from core.numbers import cn_to_int
from core.records import Clause, Document
from index.segment import segment


def seg(text: str) -> dict[str, Clause]:
    result = segment(Document("t.txt", text, "txt", "utf-8", ""), "测试云")
    for clause in result.clauses:
        assert text[clause.start : clause.end] == clause.text
    return {c.clause_id: c for c in result.clauses}


def test_cross_references_at_a_line_start_are_not_headings() -> None:
    text = (
        "一、 服务\n"
        "1. 服务商提供主机服务。\n"
        "2.2 和 2.3 的规定同样适用于本条。\n"
        "第二十三条规定的情形除外。\n"
        "11.5.14.2的试验结果以书面为准。\n"
        "2. 相关要求详见 2.2 和 2.3，依据《电信条例》第二十三条规定执行。\n"
    )
    found = seg(text)
    assert list(found) == ["一.1", "一.2"]
    assert found["一.1"].text.endswith("11.5.14.2的试验结果以书面为准。")
    assert found["一.2"].text == "相关要求详见 2.2 和 2.3，依据《电信条例》第二十三条规定执行。"


def test_articles_and_chapters_number_the_clauses() -> None:
    text = (
        "第一章 总则\n"
        "第一条 本协议适用于云主机服务。\n"
        "第二条 费用\n"
        "用户应按月支付费用。\n"
        "（一）逾期付款的，按日收取万分之五的滞纳金；\n"
        "（二）逾期超过三十日的，服务商可以终止服务。\n"
        "第二章 附则\n"
        "第三条 本协议自签署之日起生效。\n"
    )
    found = seg(text)
    assert list(found) == [
        "第一章.第一条",
        "第一章.第二条",
        "第一章.第二条.(一)",
        "第一章.第二条.(二)",
        "第二章.第三条",
    ]
    assert found["第一章.第二条"].text == "用户应按月支付费用。"
    assert found["第一章.第二条"].heading_path == ("总则", "费用")
    assert found["第一章.第二条.(二)"].text == "逾期超过三十日的，服务商可以终止服务。"


def test_word_export_numbers_with_the_body_on_the_next_line() -> None:
    text = "1. 4.用户数据\n2. 4.1\n数据保留 30 个自然日。\n3. 4.2\n逾期删除。\n"
    found = seg(text)
    assert list(found) == ["4.1", "4.2"]
    assert found["4.1"].text == "数据保留 30 个自然日。"
    assert found["4.2"].heading_path == ("用户数据",)


def test_markdown_heading_with_bold_numbered_items() -> None:
    text = "#### 3. 服务费用\n\n3.1 费用按月结算。\n\n**3.2 逾期将收取滞纳金。**\n"
    found = seg(text)
    assert list(found) == ["3.1", "3.2"]
    assert found["3.2"].text == "逾期将收取滞纳金。"
    assert found["3.1"].heading_path == ("服务费用",)


def test_duplicated_numbers_are_disambiguated_and_gaps_kept() -> None:
    text = "5.1 甲条。\n5.2 乙条。\n5.2 丙条。\n5.4 丁条。\n"
    assert list(seg(text)) == ["5.1", "5.2", "5.2~2", "5.4"]


def test_preamble_and_title_are_their_own_clauses() -> None:
    text = "星河云服务协议\n本协议由您与星河公司签订。\n一、 总则\n1. 您已阅读本协议。\n"
    result = segment(Document("t.txt", text, "txt", "utf-8", ""), "星河云")
    kinds = [(c.clause_id, c.kind) for c in result.clauses]
    assert kinds == [("标题", "title"), ("前言.1", "preamble"), ("一.1", "clause")]


def test_restarted_numbering_makes_the_earlier_part_front_matter() -> None:
    text = (
        "服务订购单\n一、产品：云主机\n二、数量：1\n"
        "服务协议\n一、服务内容\n1. 提供云主机。\n二、费用\n1. 按月付费。\n三、其他\n1. 未尽事宜另行协商。\n"
    )
    found = seg(text)
    assert [cid for cid, c in found.items() if c.kind == "clause"] == ["一.1", "二.1", "三.1"]
    assert found["前言.2"].text == "一、产品：云主机"
    assert found["标题"].text == "服务协议"


def test_circled_and_right_paren_numbers() -> None:
    text = "1、 范围\n1) 主机；\n2) 存储；\n① 备份。\n"
    found = seg(text)
    assert list(found) == ["1.1", "1.2", "1.2.①"]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十三", 23),
        ("一百零五", 105),
        ("7", 7),
        ("两", 2),
    ],
)
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert cn_to_int(numeral) == value


def test_empty_and_unnumbered_documents() -> None:
    assert seg("") == {}
    found = seg("本协议没有编号。\n第二段。\n")
    assert [c.kind for c in found.values()] == ["preamble", "preamble"]


def test_hyphenated_numbers_under_articles_and_a_range_that_is_no_number() -> None:
    """1-1 / 1-2-1 / 1-2-2 (the body on the next line) number clauses as 1.1 / 1.2.1 …; 7-10 个工作日 inside a
    sentence, and a telephone number, are not numbers of clauses."""
    text = (
        "第一条 术语\n"
        "1-1 用户通过星河云注册域名。\n"
        "1-2 域名注册的术语含义如下：\n"
        "1-2-1 域名注册：是指用户通过星河云注册域名。\n"
        "1-2-2\n"
        "域名注册成功：指域名被注册管理机构确认。\n"
        "第二条 费用\n"
        "2-1 退款将在 7-10 个工作日内到账，客服电话 400-810-8888。\n"
    )
    found = seg(text)
    assert [k for k in found if k[0].isdigit()] == ["1.1", "1.2", "1.2.1", "1.2.2", "2.1"]
    assert found["1.2.2"].text.startswith("域名注册成功")
    assert found["2.1"].text.endswith("400-810-8888。")
