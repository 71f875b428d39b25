"""The outline of a contract: front matter and tables of contents before the body, parts after it
(annexes, product-specific terms that restart the numbering), headings without numbers, bullets and
tables whose rows are citable. Each test writes its own small contract."""

from __future__ import annotations

import pytest

from core.records import Clause, Document
from index.segment import Segmentation, segment


def read(text: str) -> Segmentation:
    result = segment(Document("t.md", text, "md", "utf-8", ""), "测试云")
    for clause in result.clauses:
        assert text[clause.start : clause.end] == clause.text
    ids = [c.clause_id for c in result.clauses]
    assert len(ids) == len(set(ids)), ids
    return result


def seg(text: str) -> dict[str, Clause]:
    return {c.clause_id: c for c in read(text).clauses}


def numbered(found: dict[str, Clause]) -> list[str]:
    return [cid for cid, c in found.items() if c.kind == "clause"]


ANNEXES = """星河云服务协议
一、服务
1.1 本服务指云主机。
二、附则
2.1 本协议自签署之日起生效。

附件一：价格表
1. 云主机每月100元。
2. 存储每月10元。

附件二 服务等级协议
1. 定义
1.1 服务可用性指可用时间占比。
1.2 服务周期为一个自然月。
2. 赔偿
2.1 可用性低于99%时赔偿10%。
"""


def test_annexes_are_parts_whose_ids_are_prefixed() -> None:
    result = read(ANNEXES)
    found = {c.clause_id: c for c in result.clauses}
    assert numbered(found) == [
        "1.1",
        "2.1",
        "附件一.1",
        "附件一.2",
        "附件二.1.1",
        "附件二.1.2",
        "附件二.2.1",
    ]
    assert found["附件二.1.2"].text == "服务周期为一个自然月。"
    assert found["附件二.1.2"].heading_path == ("服务等级协议", "定义")
    assert found["附件一.2"].heading_path == ("价格表",)
    assert ("附件二", "服务等级协议") in [(h.clause_id, h.title) for h in result.headings]


@pytest.mark.parametrize("mention", ["附件一为本协议的组成部分。", "附件一、二与本协议具有同等效力。"])
def test_a_sentence_that_mentions_an_annex_is_no_part(mention: str) -> None:
    found = seg(f"一、服务\n1. 本服务指云主机。\n2. 双方签署附件。\n{mention}\n")
    assert numbered(found) == ["一.1", "一.2"]
    assert found["一.2"].text.endswith(mention)


PRODUCT_TERMS = """# 星河云产品服务协议

## 通用条款

**1. 服务**

1.1. 星河云提供云主机。

**2. 费用**

2.1. 按月付费。

**3. 其他**

3.1. 未尽事宜另行协商。

## 产品专用条款 {#section_x .section}

**1.【日志服务】**

**1.1. 欠费后可继续使用24小时。**

**2.【搜索服务】**

**2.1如果欠费超过24小时，暂停服务。**

**2.2. 欠费超过30日的，终止服务。**
"""


def test_numbering_that_restarts_under_a_heading_is_a_part() -> None:
    found = seg(PRODUCT_TERMS)
    part = ["产品专用条款.1.1", "产品专用条款.2.1", "产品专用条款.2.2"]
    assert numbered(found) == ["1.1", "2.1", "3.1", *part]
    assert found["产品专用条款.2.1"].text == "如果欠费超过24小时，暂停服务。"
    assert found["产品专用条款.2.1"].heading_path == ("产品专用条款", "【搜索服务】")
    assert found["1.1"].heading_path == ("通用条款", "服务")


def test_a_numbered_table_of_contents_is_front_matter() -> None:
    found = seg(
        "星河云服务协议\n目录\n一、总则\n二、费用\n三、其他\n\n"
        "一、总则\n1. 本协议适用于云主机。\n2. 双方应遵守法律。\n二、费用\n1. 按月付费。\n"
        "2. 逾期按日收取万分之五滞纳金。\n三、其他\n1. 未尽事宜另行协商。\n"
    )
    assert numbered(found) == ["一.1", "一.2", "二.1", "二.2", "三.1"]
    assert found["二.2"].heading_path == ("费用",)
    preamble = [c.text for c in found.values() if c.kind == "preamble"]
    assert preamble == ["目录", "一、总则", "二、费用", "三、其他"]


def test_an_unnumbered_table_of_contents_does_not_steal_the_structure() -> None:
    found = seg(
        "星河云服务协议\n目录\n总则\n账户\n其他\n本协议由星河云与您订立。\n"
        "1 、总则\n1.1 本协议适用于云主机。\n2、账户\n2.1 您应保管密码。\n3、其他\n3.1 未尽事宜另行协商。\n"
    )
    assert numbered(found) == ["1.1", "2.1", "3.1"]
    assert found["2.1"].heading_path == ("账户",)
    assert found["前言.5"].text == "本协议由星河云与您订立。"


def test_headings_without_numbers_do_not_enter_ids() -> None:
    found = seg(
        "## 六、 使用限制\n\n### 一般使用限制\n\n你保证不会：\n\n1. 侵犯他人权利；\n2. 违反法律。\n\n"
        "任何上述违反行为都是终止服务的理由。\n\n### 服务器检核\n\n用户不得：\n\n"
        "1. 架设代理服务；\n2. 规避网络管制。\n"
    )
    assert found["六.2"].text == "违反法律。"  # the paragraph after the tight list is not part of item 2
    assert found["六.2"].heading_path == ("使用限制", "一般使用限制")
    assert found["六.2~2"].text == "规避网络管制。"
    assert found["六.一般使用限制"].text == "你保证不会："
    assert found["六.一般使用限制~2"].text == "任何上述违反行为都是终止服务的理由。"


def test_unnumbered_headings_above_the_body_are_sections_not_front_matter() -> None:
    found = seg(
        "# 星河云服务协议\n\n## 提示条款\n\n请您仔细阅读本协议。\n\n**1. 服务**\n\n1.1. 星河云提供云主机。\n"
    )
    assert found["标题"].text == "星河云服务协议"
    assert found["提示条款"].text == "请您仔细阅读本协议。"
    assert found["1.1"].heading_path == ("提示条款", "服务")


def test_bullets_are_counted_items() -> None:
    found = seg(
        "### 第二条 服务费用\n2.5 您未按时付费的，星河云可以采取以下措施：\n"
        "- **按日收取万分之五的违约金。**\n- 暂停服务。\n"
        "### 第九条 责任限制\n9.1 下列情况造成的损失星河云不承担责任：\n"
        "9.1.1 不可抗力。\n9.1.2 基础运营商原因。\n- 网络安全事故。\n- 其他非星河云过错。\n"
    )
    assert found["2.5.•1"].display_text == "按日收取万分之五的违约金。"
    assert found["2.5.•2"].text == "暂停服务。"
    assert found["9.1.2"].text == "基础运营商原因。"  # the bullets after it are items of their own
    assert "网络安全事故。" in [c.text for c in found.values()]


GFM_TABLES = """## 3. 赔偿

#### 3.1 赔偿标准
（1）赔偿以代金券形式发放。
（2）赔偿金额按下表计算：

|服务月度的服务可用性\t|赔偿代金券金额|
|-------------------|-----------------------|
|低于99.9%但等于或高于99%\t|月度服务费的10%|
|低于99%|\t月度服务费的30%|

（3）赔偿总额不超过月度服务费。

#### 3.2 响应时长
响应时长如下表所示：

|服务内容|\t服务响应时长|
|---|---|
安全评估|\t2小时内响应
应急响应\t|1小时内响应

本表时长均按工作日计算。
"""


def test_markdown_table_rows_are_clauses_under_their_header() -> None:
    result = read(GFM_TABLES)
    found = {c.clause_id: c for c in result.clauses}
    row = found["3.1.(2).表1.1"]
    assert row.text == "低于99.9%但等于或高于99%\t|月度服务费的10%"
    assert row.heading_path == ("赔偿", "赔偿标准", "服务月度的服务可用性 | 赔偿代金券金额")
    assert found["3.1.(2).表1.2"].text == "低于99%|\t月度服务费的30%"
    assert found["3.1.(3)"].text == "赔偿总额不超过月度服务费。"
    no_outer_pipes = found["3.2.表1.1"]  # body rows without outer pipes
    assert no_outer_pipes.text == "安全评估|\t2小时内响应"
    assert no_outer_pipes.heading_path == ("赔偿", "响应时长", "服务内容 | 服务响应时长")
    assert found["3.2.表1.2"].text == "应急响应\t|1小时内响应"
    assert found["3.2~2"].text == "本表时长均按工作日计算。"  # after the table, not in its last row


def test_a_table_flattened_to_text_is_a_table() -> None:
    found = seg(
        "四、赔偿方案\n4.1赔偿标准\n（1）可按照下表获得赔偿：\n服务可用性 | 赔偿代金券金额\n"
        "低于99%但等于或高于98% | 月度服务费的10%\n低于98% | 月度服务费的25%\n（2）赔偿以代金券形式发放。\n"
    )
    assert found["4.1.(1).表1.2"].text == "低于98% | 月度服务费的25%"
    assert found["4.1.(1).表1.2"].heading_path == ("赔偿方案", "赔偿标准", "服务可用性 | 赔偿代金券金额")
    assert found["4.1.(2)"].text == "赔偿以代金券形式发放。"


HTML_PAGE = """<template>
  <div class="sla">
    <!-- 3、赔偿 这一节的说明 -->
    <p class="strong">3.赔偿方案</p>
    <p>3.1 按下表计算赔偿：</p>
    <table class="table">
      <tr class="topic">
        <th>服务可用性</th>
        <th>赔偿代金券金额</th>
      </tr>
      <tr>
        <td>低于99.9%但等于或高于99%</td>
        <td>月度服务费用的10%</td>
      </tr>
      <tr><td>低于99%</td><td>月度服务费用的25%</td></tr>
    </table>
    <p>3.2 赔偿申请须在两个月内提出。</p>
  </div>
</template>
<script>
export default { name: "sla", data() { return { title: "1. 不是条款" } } }
</script>
<style lang="sass">
.table { width: 100% }
</style>
"""


def test_html_table_rows_are_clauses_and_scripts_styles_comments_are_not_text() -> None:
    result = read(HTML_PAGE)
    found = {c.clause_id: c for c in result.clauses}
    first = found["3.1.表1.1"]
    assert first.display_text == "低于99.9%但等于或高于99% | 月度服务费用的10%"
    assert first.heading_path == ("赔偿方案", "服务可用性 | 赔偿代金券金额")
    assert [s.text for s in first.sentences] == [first.text]  # a row is one citable sentence
    assert found["3.1.表1.2"].display_text == "低于99% | 月度服务费用的25%"
    assert found["3.2"].display_text == "赔偿申请须在两个月内提出。"  # after the table, the code is not in it
    shown = " ".join(c.display_text for c in result.clauses)
    assert "export" not in shown and ".table" not in shown and "这一节" not in shown


def test_a_markdown_table_of_contents_with_links_is_front_matter() -> None:
    found = seg(
        "# 星河云服务协议\n\n## 目录\n\n- [总则](#总则)\n- [费用](#费用)\n\n"
        "## 一、总则\n\n1. 本协议适用于云主机。\n\n## 二、费用\n\n1. 按月付费。\n"
    )
    assert numbered(found) == ["一.1", "二.1"]
    assert [c.display_text for c in found.values() if c.kind == "preamble"] == ["目录", "总则", "费用"]
