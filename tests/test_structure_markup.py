"""Markup that real contracts carry (Markdown, HTML remnants, kramdown anchors, YAML front matter, JSX
residue, MkDocs admonitions): never in a clause id or a heading title, gone from display text, while
offsets still index the raw file. Every contract here is written by the test."""

from __future__ import annotations

import re

import pytest

from core.records import Clause, Document
from core.text import strip_markup
from index.segment import Segmentation, segment

#: Markup that must not survive into an id, a heading title or display text.
LEFTOVER = re.compile(
    r"\*\*|__|</?[A-Za-z][^>]*>|\{(?:[#.:]|[ \t]+[.#])|&[a-z]+;|^#|!!!|^---|\]\(|\{/\*", re.MULTILINE
)


def read(text: str, doc_id: str = "t.md") -> Segmentation:
    result = segment(Document(doc_id, text, "md", "utf-8", ""), "测试云")
    previous_end = 0
    for clause in result.clauses:
        assert text[clause.start : clause.end] == clause.text
        assert clause.start >= previous_end, f"{clause.clause_id} overlaps the clause before it"
        previous_end = clause.end
        for sentence in clause.sentences:
            assert text[sentence.start : sentence.end] == sentence.text
        assert not LEFTOVER.search(clause.clause_id), clause.clause_id
        assert not any(LEFTOVER.search(title) for title in clause.heading_path), clause.heading_path
        assert not LEFTOVER.search(clause.display_text), clause.display_text
    ids = [c.clause_id for c in result.clauses]
    assert len(ids) == len(set(ids)), ids
    for heading in result.headings:
        assert not LEFTOVER.search(heading.title), heading.title
    return result


def by_id(result: Segmentation) -> dict[str, Clause]:
    return {c.clause_id: c for c in result.clauses}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ('<div id="d" align="right"><b>2019年11月版</b></div>', "2019年11月版"),
        ("**<u>1.2 服务规则以官网为准。**</u>", "1.2 服务规则以官网为准。"),
        ("## 提示条款 {#section_9qx_bly_ui0 .section}", "提示条款"),
        ("[下载 PDF](terms.pdf){ .md-button }", "下载 PDF"),
        ("---\ntitle: 服务条款\nhide:\n  - navigation\n---\n正文", "正文"),
        ("双方&nbsp;同意&amp;确认", "双方 同意&确认"),
        ("第一行<br>第二行<br/>第三行", "第一行\n第二行\n第三行"),
        ('<span id="fujian1"></span>', ""),
        ("详见 [腾讯云官网](https://cloud.tencent.com/product/ocr) 展示", "详见 腾讯云官网 展示"),
        ("[可接受使用政策](</docs/aup.md>) (AUP)", "可接受使用政策 (AUP)"),
        ("|服务可用性\t|赔偿比例|\n|---|---|\n|低于99%|10%|", "服务可用性\t|赔偿比例\n\n低于99%|10%"),
        ("- **要求您支付违约金。**", "要求您支付违约金。"),
        ("- (ii). 及时更新信息。", "(ii). 及时更新信息。"),
        ("可用性 =（1 - 不可用分钟数 / 总分钟数）\\* 100%", "可用性 =（1 - 不可用分钟数 / 总分钟数）* 100%"),
        ('!!! tip "提示"\n    - 本协议由星河公司提供。', ' "提示"\n本协议由星河公司提供。'),
        ('{/* 社区版 */}<p>您确认{" "}已阅读。</p>', "您确认 已阅读。"),
        ('<div className="terms"><>条款</></div>', "条款"),
        (
            '<!DOCTYPE html>\n<?php include "head.php"; ?><p>充值协议 - <?=SITE()["name"]?></p>',
            "\n充值协议 - ",
        ),
        ("<p>第一条 费用</p>\n<?php $form = ActiveForm::begin(); echo $x;", "第一条 费用\n"),
    ],
)
def test_strip_markup_shows_what_a_reader_sees(raw: str, shown: str) -> None:
    assert strip_markup(raw).strip() == shown.strip()


@pytest.mark.parametrize(
    "kept",
    [
        "滞纳金=应付服务费用*0.3%*拖欠天数",  # a single * multiplies
        "网站地址：<http://www.west.cn>",  # an autolink, not a tag
        "服务（“服务”）是指 {{entityName}} 提供的产品。",  # a template placeholder is the text itself
        "可用性<99%时赔偿",  # a comparison, not a tag
        "甲方 | 乙方",  # an inner table pipe
    ],
)
def test_strip_markup_keeps_text_that_only_looks_like_markup(kept: str) -> None:
    assert strip_markup(kept) == kept


MARKDOWN_CONTRACT = """---
title: 服务条款
hide:
  - navigation
---

<div id="d" align="right"><b>2024年11月版</b></div>

# 星河云服务协议 {#concept_1 .concept}

!!! tip
    - 本协议由星河云计算有限公司提供。
    - 请您仔细阅读全部条款。

## 第一条 通则 {#section_a .section}
1.1 星河云服务指云主机与存储服务。

**<u>1.2 服务规则以星河云官网展示为准。**</u>

## 第二条 费用
**2.1 您应按时足额支付费用。**

**<u>2.2 逾期付款的，每日按所欠费用的千分之一支付违约金。</u>**

<span id="fujian1"></span>

## 第三条 其他
3.1 本协议以中文为准。

[下载 PDF](terms.pdf){ .md-button }
"""


def test_markdown_markup_stays_out_of_ids_titles_and_clause_ends() -> None:
    result = read(MARKDOWN_CONTRACT)
    found = by_id(result)
    assert [c for c in found if found[c].kind == "clause"] == ["1.1", "1.2", "2.1", "2.2", "3.1"]
    assert found["1.2"].text == "服务规则以星河云官网展示为准。"
    assert found["2.2"].text == "逾期付款的，每日按所欠费用的千分之一支付违约金。"
    assert found["3.1"].text == "本协议以中文为准。"  # the download button is page chrome
    assert found["1.1"].heading_path == ("通则",)
    assert [h.title for h in result.headings] == ["通则", "费用", "其他"]
    assert found["标题"].text.startswith("星河云服务协议")
    assert found["标题"].display_text.strip() == "星河云服务协议"
    front = "".join(c.text for c in result.clauses)
    assert "navigation" not in front  # YAML front matter is no clause text


def test_admonition_bullets_before_the_body_are_preamble() -> None:
    found = by_id(read(MARKDOWN_CONTRACT))
    preamble = [c.text for c in found.values() if c.kind == "preamble"]
    assert "本协议由星河云计算有限公司提供。" in preamble
    assert "请您仔细阅读全部条款。" in preamble
    assert "2024年11月版" in preamble


HTML_CONTRACT = """<div class="terms">
<h2>一、总则</h2>
<p>1.1 本协议适用于云主机服务。</p>
<p>1.2 双方应遵守&nbsp;法律法规。<br>1.3 未尽事宜另行约定。</p>
<h2>二、费用</h2>
<p>2.1 <b>您应按月付费。</b></p>
</div>
"""


def test_html_remnants_headings_line_breaks_and_entities() -> None:
    result = read(HTML_CONTRACT, "t.txt")
    found = by_id(result)
    assert list(found) == ["1.1", "1.2", "1.3", "2.1"]
    assert found["1.2"].display_text == "双方应遵守 法律法规。"
    assert found["1.3"].text == "未尽事宜另行约定。"  # <br> ends a line
    assert found["2.1"].text == "您应按月付费。"  # no tag at either end
    assert found["2.1"].heading_path == ("费用",)
    assert [(h.clause_id, h.title) for h in result.headings] == [("一", "总则"), ("二", "费用")]


JSX_CONTRACT = """{/* 社区版协议 */}
<div className="terms">
<h1>星河云网站使用协议</h1>
<p>1 、总则</p>
<p>1.1 您确认已阅读本协议{" "}全部内容。</p>
<p>2 、账户</p>
<p>2.1 您应妥善保管账户及 / 或密码。</p>
</div>
"""


def test_jsx_residue_is_markup() -> None:
    found = by_id(read(JSX_CONTRACT, "t.txt"))
    assert [c for c in found if found[c].kind == "clause"] == ["1.1", "2.1"]
    assert found["1.1"].display_text == "您确认已阅读本协议 全部内容。"
    assert found["2.1"].heading_path == ("账户",)
    assert found["标题"].display_text == "星河云网站使用协议"


VUE_CONTRACT = """<template>
  <div class="agreement">
    <h3>一、总则</h3>
    <p v-if="edition === 'saas'">1. 本协议适用于{{ productName }}。</p>
    <p>2. 双方应遵守法律。</p>
  </div>
</template>
"""


def test_vue_template_residue_is_markup_and_placeholders_are_text() -> None:
    found = by_id(read(VUE_CONTRACT, "t.txt"))
    assert list(found) == ["一.1", "一.2"]
    assert found["一.1"].text == "本协议适用于{{ productName }}。"
    assert found["一.2"].heading_path == ("总则",)


OLD_PAGE = (
    '<%@ Page Language="C#" Title="服务条款" %>\r\n<html>\r\n<body>\r\n'
    '<table cellSpacing=0>\r\n<tr><td style="width: 160px"\r\n        valign="top">\r\n'
    "<!--menu-->\r\n</td>\r\n"
    '<td>\r\n<DIV\r\n      style="FONT-SIZE: 12px">\r\n'
    "<P\r\n      align=center><STRONG>感谢您选择星河云的在线客服系统。</STRONG></P><P \r\n"
    '      align="center"><STRONG>1. 术语解释</STRONG></P>\r\n'
    "<P>1.1 <SPAN\r\n      class=style_z>客服系统</SPAN>是星河云提供的网站实时交流系统。</P>\r\n"
    "<P>1.2 续费系指客户在服务期届满后继续支付费用。</P>\r\n"
    '<P align="center"><STRONG>2. 费用</STRONG></P>\r\n<P>2.1 客户应在注册后五个工作日内付费。</P>\r\n'
    "</DIV>\r\n</td></tr>\r\n</table>\r\n</body>\r\n</html>\r\n"
)


def test_an_old_html_page_in_a_layout_table_reads_as_its_clauses() -> None:
    """A page laid out in a table (one row holding the whole text), tags written over several lines
    (<P\\r\\n align=center>), a paragraph closing and the next opening on one line, ASP server code: the
    clauses are the contract's own."""
    found = {c.clause_id: c for c in read(OLD_PAGE, "t.html").clauses}
    numbered = {k: c.display_text for k, c in found.items() if c.kind == "clause"}
    assert numbered == {
        "1.1": "客服系统是星河云提供的网站实时交流系统。",
        "1.2": "续费系指客户在服务期届满后继续支付费用。",
        "2.1": "客户应在注册后五个工作日内付费。",
    }
    assert found["2.1"].heading_path == ("费用",)
    shown = " ".join(c.display_text for c in found.values())
    assert "Page Language" not in shown and "valign" not in shown and "style" not in shown


def test_an_html_heading_whose_title_stands_on_its_own_line_is_a_heading() -> None:
    page = (
        "<h1>\n星河云服务条款\n</h1>\n<div>\n<h2>\n1. 合约定义\n</h2>\n</div>\n"
        "<span>\n1.1．本合约是用户与星河云之间的法律契约。\n</span>\n"
        "<div>\n<h2>\n2. 合法使用\n</h2>\n</div>\n<span>\n2.1 用户不得利用服务传播违法内容。<br>\n</span>\n"
    )
    found = {c.clause_id: c for c in read(page, "t.html").clauses}
    assert found["1.1"].heading_path == ("合约定义",) and found["2.1"].heading_path == ("合法使用",)
    assert found["1.1"].display_text == "本合约是用户与星河云之间的法律契约。"


def test_a_sentence_wrapped_over_lines_in_the_source_is_one_sentence() -> None:
    """A page whose paragraphs are wrapped at a fixed width (…要求乙⏎ 方工程师, …授权时⏎ ，可以…): the
    wrap is not a sentence end, so no citation starts with a comma or cuts a word; a line that ends a
    sentence, or a short title line, still ends it."""
    page = (
        "<p>1. 技术支持</p>\n<p>1.1 甲方需在与乙方签订的协议中指定授权人，只有授权人有权利要求乙\n"
        "      方工程师对其云主机进行操作；当甲方授权人无法以书面形式授权时\n"
        "      ，可以通过邮件向乙方工程师授权。</p>\n<p>1.2 服务时间为7天×24小时。\n"
        "乙方另行通知的除外。</p>\n"
    )
    found = {c.clause_id: c for c in read(page, "t.html").clauses}
    shown = [strip_markup(s.text) for s in found["1.1"].sentences]
    assert len(shown) == 2 and not shown[1].lstrip().startswith("，")
    assert "乙\n      方工程师" in found["1.1"].sentences[0].text
    assert [s.text for s in found["1.2"].sentences] == ["服务时间为7天×24小时。", "乙方另行通知的除外。"]


def test_a_sentence_wrapped_before_an_amount_is_one_sentence_a_clause_number_still_starts_one() -> None:
    """…不超过您在违约行为发生前⏎ 1 个月内…: a line going on with an amount and its unit continues the
    sentence (the cap reads 1 个月); a line starting with a clause number does not."""
    page = (
        "<p>1. 责任</p>\n<p>1.1 在任何情况下，平台对您所承担的违约赔偿责任总额不超过您在违约行为发生前\n"
        "      1 个月内向平台支付的费用总额。</p>\n<p>1.2 平台将按月出具账单并通知您，您应按时付款\n"
        "1.3 逾期付款的，平台有权暂停服务。</p>\n"
    )
    found = {c.clause_id: c for c in read(page, "t.html").clauses}
    (cap,) = found["1.1"].sentences
    assert "发生前\n      1 个月内" in cap.text
    assert "逾期" not in found["1.2"].text and "1.3" in found


def test_a_word_wrapped_onto_an_indented_line_reads_whole() -> None:
    """仲裁委⏎          员会 (an HTML page wrapped at a fixed width) shows as 仲裁委员会; a <br>, or a
    line that is not indented, stays a line break."""
    assert (
        strip_markup("提交中国国际经济贸易仲裁委\n          员会仲裁。")
        == "提交中国国际经济贸易仲裁委员会仲裁。"
    )
    assert strip_markup("授权时\n          ，可以通过邮件授权") == "授权时，可以通过邮件授权"
    assert strip_markup("第一行<br>第二行") == "第一行\n第二行"
    assert strip_markup("服务内容\n本服务为云主机") == "服务内容\n本服务为云主机"
