"""Numbering as real contracts write it: numbers without a trailing dot or with a spaced mark, glued to
the text, inside emphasis, followed by TABs or runs of spaces, full-width separators, section words,
articles and paragraphs, bracketed letters and roman numerals, bold run-in titles. Each test writes its
own small contract and checks ids, texts and heading paths."""

from __future__ import annotations

import pytest

from core.records import Clause, Document
from index.segment import segment


def seg(text: str) -> dict[str, Clause]:
    result = segment(Document("t.md", text, "md", "utf-8", ""), "测试云")
    for clause in result.clauses:
        assert text[clause.start : clause.end] == clause.text
    ids = [c.clause_id for c in result.clauses]
    assert len(ids) == len(set(ids)), ids
    return {c.clause_id: c for c in result.clauses}


def numbered(found: dict[str, Clause]) -> list[str]:
    return [cid for cid, c in found.items() if c.kind == "clause"]


def test_arabic_sections_with_a_spaced_enumeration_comma() -> None:
    found = seg(
        "1 、总则\n1.1 您确认已阅读本协议。\n2、账户\n2.1 您应保管密码。\n"
        "10 、 免责条款\n10.1 不可抗力免责。\n"
    )
    assert numbered(found) == ["1.1", "2.1", "10.1"]
    assert found["10.1"].heading_path == ("免责条款",)


def test_markdown_headings_numbered_without_a_dot() -> None:
    found = seg("## 1 总则\n\n### 1.1 定义\n\n1.1.1 本服务指云主机。\n\n## 2 费用\n\n2.1 按月付费。\n")
    assert numbered(found) == ["1.1.1", "2.1"]
    assert found["1.1.1"].heading_path == ("总则", "定义")
    assert found["2.1"].heading_path == ("费用",)


def test_a_bare_number_outside_a_heading_is_text() -> None:
    found = seg("一、费用\n1. 费用按月结算。\n3 个工作日内开具发票。\n")
    assert numbered(found) == ["一.1"]
    assert found["一.1"].text == "费用按月结算。\n3 个工作日内开具发票。"


@pytest.mark.parametrize(
    ("line", "clause_id", "body"),
    [
        ("8.1先付费的服务：期限届满为止。", "8.1", "先付费的服务：期限届满为止。"),
        ("3.5.1**您不得从事以下行为：**", "3.5.1", "您不得从事以下行为："),
        ("**16.1.2如果欠费超过24小时，暂停服务。**", "16.1.2", "如果欠费超过24小时，暂停服务。"),
        ("**<u>1.2 服务规则以官网为准。**</u>", "1.2", "服务规则以官网为准。"),
        ("1.1     您同意受本协议约束。", "1.1", "您同意受本协议约束。"),
        ("6.3\t公司不承担间接损失。", "6.3", "公司不承担间接损失。"),
        ("4.3\t    公司有权迁移数据。", "4.3", "公司有权迁移数据。"),
        ("11.2．本协议以中文为准。", "11.2", "本协议以中文为准。"),
        ("**3.2.12．如您违反约定，阿里云有权暂停服务。**", "3.2.12", "如您违反约定，阿里云有权暂停服务。"),
        ("6.2.1． 国家机关依法查询时提供配合；", "6.2.1", "国家机关依法查询时提供配合；"),
        ("7.3 与本服务相关的知识产权归星河云所有。", "7.3", "与本服务相关的知识产权归星河云所有。"),
        ("7.1. 项目到期后，您应及时续费。", "7.1", "项目到期后，您应及时续费。"),
    ],
)
def test_how_a_dotted_number_is_written(line: str, clause_id: str, body: str) -> None:
    found = seg(f"一、条款\n{line}\n")
    assert numbered(found) == [clause_id]
    assert found[clause_id].display_text == body


def test_a_number_broken_by_a_space_continues_the_numbering() -> None:
    found = seg("3.2. 先付费：\n3.2. 1 在您付费之后开始提供服务。\n3.2.2. 服务期满可续费。\n")
    assert "3.2.1" in found
    assert found["3.2.1"].text == "在您付费之后开始提供服务。"


def test_a_quantity_after_the_expected_number_is_still_that_clause() -> None:
    found = seg(
        "一、定义\n1.6单实例服务不可用分钟数：之和。\n1.7月度服务费：客户就单个实例所支付的服务费。\n"
    )
    assert numbered(found) == ["1.6", "1.7"]
    assert found["1.7"].text == "月度服务费：客户就单个实例所支付的服务费。"


def test_references_at_a_line_start_stay_text() -> None:
    found = seg("一、服务\n1. 服务商提供主机服务。\n2.2 和 2.3 的规定同样适用。\n3.5%的费用按月结算。\n")
    assert numbered(found) == ["一.1"]


@pytest.mark.parametrize(
    ("heading", "section"),
    [("## 十三： 合约终止", "十三"), ("## 一、 基本介绍", "一"), ("九. 保密条款", "九"), ("三 、其他", "三")],
)
def test_section_words_with_any_separator(heading: str, section: str) -> None:
    found = seg(f"{heading}\n\n你可以随时停止使用服务。\n\n我们也可以终止你的帐号。\n")
    assert numbered(found) == [section]
    assert found[section].text == "你可以随时停止使用服务。\n\n我们也可以终止你的帐号。"
    assert found[section].heading_path[-1] in heading


def test_articles_that_head_dotted_clauses_are_numbered_by_their_numeral() -> None:
    found = seg(
        "## 第一条 通则\n1.1 本协议适用于云服务。\n\n## 第九条 出口管制\n各方承诺遵守出口管制法律。\n"
        "\n## 第十条 其他\n10.1 本协议以中文为准。\n"
    )
    assert numbered(found) == ["1.1", "九", "10.1"]
    assert found["九"].text == "各方承诺遵守出口管制法律。"
    assert found["九"].heading_path == ("出口管制",)


def test_chapters_articles_and_paragraphs() -> None:
    found = seg(
        "第一章 总则\n第一条 适用范围\n第一款 本协议适用于云服务。\n"
        "第二款 双方应遵守法律。\n第二条 用户按月付费。\n"
    )
    assert numbered(found) == ["第一章.第一条.第一款", "第一章.第一条.第二款", "第一章.第二条"]
    assert found["第一章.第一条.第二款"].heading_path == ("总则", "适用范围")


def test_bracketed_letters_and_roman_numerals() -> None:
    text = (
        "2.3.1 您须对账户和密码保密。\n您同意：\n(a) 发现未经授权使用时立即通知；\n(b) 每次使用后正确退出。\n"
        "2.4 您承认并保证：\n- (i). 提供真实信息。\n- (ii). 及时更新联系信息。\n- (iii).保管密码。\n"
        "- (iv). 遵守法律。\n- (v).  不转让账户。\n"
    )
    found = seg(text)
    assert numbered(found) == [
        "2.3.1",
        "2.3.1.(a)",
        "2.3.1.(b)",
        "2.4",
        "2.4.(i)",
        "2.4.(ii)",
        "2.4.(iii)",
        "2.4.(iv)",
        "2.4.(v)",
    ]
    assert found["2.3.1"].text == "您须对账户和密码保密。\n您同意："
    assert found["2.4.(iii)"].text == "保管密码。"


def test_a_list_item_numbered_in_another_family_stays_in_its_list() -> None:
    found = seg(
        "6.2 公司不对以下事项负责：\n\n- (i). 数据丢失；\n- (ii). 配置错误；\n"
        "- (iii).第三方行为；或\n- (四).\t间接损失。\n"
    )
    assert numbered(found) == ["6.2", "6.2.(i)", "6.2.(ii)", "6.2.(iii)", "6.2.(四)"]
    assert found["6.2.(四)"].text == "间接损失。"


def test_letters_after_h_are_letters() -> None:
    lines = "".join(f"({ch}) 第{n}项内容；\n" for n, ch in enumerate("abcdefghij", 1))
    found = seg("1. 下列情形：\n" + lines)
    assert "1.(i)" in found and "1.(j)" in found
    assert found["1.(i)"].text == "第9项内容；"


def test_a_bold_run_in_title_is_the_clause_title() -> None:
    found = seg(
        "**3. 服务费用**\n\n**3.3. 后付费：**您可先使用后付费。\n\n**3.4. 阿里云保留暂停服务的权利。**\n"
    )
    assert found["3.3"].heading_path == ("服务费用", "后付费")
    assert found["3.3"].display_text == "后付费：您可先使用后付费。"
    assert found["3.4"].heading_path == ("服务费用",)
    assert found["3.4"].text == "阿里云保留暂停服务的权利。"


def test_full_width_digits_are_read_as_digits_and_circled_numbers_kept() -> None:
    found = seg("一、总则\n１．１ 本协议适用于云主机。\n（１）主机；\n（２）存储：\n① 对象存储。\n")
    assert numbered(found) == ["1.1", "1.1.(1)", "1.1.(2)", "1.1.(2).①"]
