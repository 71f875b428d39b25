"""Facts as data: the catalog is validated, generic readers read each value type, qualifiers travel with
facts, and a provider's several contracts are kept apart. Every contract here is written by the test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.records import Fact
from index.corpus import build_corpus
from rag.catalog import ATTRIBUTES, CatalogError, parse_catalog
from rag.facts import FLAGGED, FactTable, build_table, extract_facts, facts_shown

HEAD = "星河云服务协议\n本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"


def _table(write_contract: Callable[..., Path], body: str, name: str = "星河.txt") -> FactTable:
    folder = write_contract(name, HEAD + body).parent
    corpus = build_corpus(folder)
    return build_table(corpus.clauses, corpus.documents, corpus.providers)


def _values(table: FactTable, attribute: str) -> list[object]:
    return [f.value for f in table.facts if f.attribute == attribute]


# --- the catalog file --------------------------------------------------------------------------------


MINIMAL = """
[[attribute]]
key = "deposit"
label = "押金"
type = "money"
unit = "元"
topic = "deposit"
binds = "user"
question_words = ["押金"]
cue = [{ match = "押金" }]
read = [{ kind = "money", display = "押金 {value} 元" }]
"""


def test_adding_an_attribute_is_a_catalog_entry(write_contract: Callable[..., Path]) -> None:
    folder = write_contract(
        "星河.txt", HEAD + "一、 费用\n1. 开通服务时，您应向星河云缴纳押金五千元。\n"
    ).parent
    corpus = build_corpus(folder)
    facts = extract_facts(corpus.clauses, corpus.documents, corpus.providers, parse_catalog(MINIMAL))
    assert [(f.attribute, f.value, f.display) for f in facts] == [("deposit", 5000.0, "押金 5000 元")]
    assert facts[0].citation.text == "开通服务时，您应向星河云缴纳押金五千元。"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('type = "money"', 'type = "amount"'), r"attribute\[0\] \(deposit\)\.type: 'amount' is not one of"),
        (('kind = "money"', 'kind = "sum"'), r"\(deposit\)\.read\[0\]\.kind: 'sum' is not one of"),
        (('match = "押金"', 'match = "押金("'), r"\(deposit\)\.cue\[0\]\.match: invalid regular expression"),
        (('label = "押金"\n', ""), r"attribute\[0\]\.label: required"),
        (('binds = "user"', 'binds = "bank"'), r"\(deposit\)\.binds: 'bank' is not one of"),
    ],
)
def test_a_malformed_entry_is_refused_naming_attribute_and_field(
    change: tuple[str, str], message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(MINIMAL.replace(*change), "catalog.toml")


def test_a_key_defined_twice_is_refused() -> None:
    with pytest.raises(CatalogError, match=r"'deposit' is defined twice"):
        parse_catalog(MINIMAL + MINIMAL)


def test_every_catalog_attribute_has_a_label_readers_and_question_words_or_a_topic_sibling() -> None:
    topics_with_words = {a.topic for a in ATTRIBUTES.values() if a.question_words}
    for attribute in ATTRIBUTES.values():
        assert attribute.label and attribute.readers
        assert attribute.topic in topics_with_words, f"{attribute.key}: no question word asks about its topic"


# --- generic readers on contracts the tests write ------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "rate"),
    [
        ("每逾期一天，您还应按所欠费用1‰的标准向星河云支付违约金。", 0.1),
        ("星河云保留对您的欠费要求您按日承担万分之五的违约金的权利。", 0.05),
        ("每延期一日，您应当向星河云支付所欠费用千分之一的违约金。", 0.1),
        ("逾期付款的，星河云每日按应付金额的0.3%收取滞纳金。", 0.3),
    ],
)
def test_late_fees_are_read_whatever_they_are_called(
    write_contract: Callable[..., Path], sentence: str, rate: float
) -> None:
    table = _table(write_contract, f"一、 费用\n1. {sentence}\n")
    assert _values(table, "late_fee") == [pytest.approx(rate)]


def test_a_penalty_that_is_not_for_late_payment_is_not_a_late_fee(
    write_contract: Callable[..., Path],
) -> None:
    table = _table(write_contract, "一、 违约\n1. 任何一方违反本协议的，应向对方支付合同总额20%的违约金。\n")
    assert _values(table, "late_fee") == []


def test_sla_tier_rows_are_read_into_ranges(write_contract: Callable[..., Path]) -> None:
    body = (
        "一、 服务可用性\n1. 星河云承诺服务可用性不低于99.9%。\n二、 赔偿标准\n"
        "| 服务可用性 | 赔偿代金券金额 |\n|---|---|\n"
        "|低于99.9%但等于或高于99%|月度服务费的10%|\n|低于99%|月度服务费的30%|\n"
    )
    table = _table(write_contract, body)
    assert _values(table, "sla_availability") == [99.9]
    tiers = [(f.qualifier, f.value) for f in table.facts if f.attribute == "sla_compensation"]
    assert tiers == [("99%–99.9%", 10.0), ("低于 99%", 30.0)]


@pytest.mark.parametrize(
    ("sentence", "value", "display"),
    [
        (
            "您违反本协议的，星河云有权终止服务，已收取的费用不予退还。",
            False,
            "违约被终止时，已付费用不予退还",
        ),
        ("预付费购买的云主机支持自购买之日起72小时内申请退款。", True, "是，可申请退款"),
        ("以预付款方式收取的费用不予退还。", False, "否，已付费用不予退还"),
    ],
)
def test_refunds_yes_no_and_on_breach(
    write_contract: Callable[..., Path], sentence: str, value: bool, display: str
) -> None:
    table = _table(write_contract, f"一、 退款\n1. {sentence}\n")
    assert [(f.value, f.display) for f in table.facts if f.attribute == "refund"] == [(value, display)]


def test_price_change_notice_and_auto_renewal(write_contract: Callable[..., Path]) -> None:
    body = "一、 价格\n1. 星河云调整价格模型前将提前45天通知现有客户。\n2. 服务到期后将自动续费。\n"
    table = _table(write_contract, body)
    assert _values(table, "price_change_notice") == [45.0]
    assert _values(table, "auto_renewal") == [True]


# --- qualifiers and the three states -----------------------------------------------------------------


def test_conditions_travel_with_facts_and_keep_conditional_values_apart(
    write_contract: Callable[..., Path],
) -> None:
    body = (
        "一、 责任限制\n"
        "1. 如为包月服务发生故障，星河云的违约赔偿总额不超过故障所在服务期限内您已缴纳的服务费用总额。\n"
        "2. 如为按量付费服务，星河云的违约赔偿总额不超过过往12个月您已缴纳的服务费用总额。\n"
    )
    facts = [f for f in _table(write_contract, body).facts if f.attribute == "liability_cap"]
    assert [f.qualifiers for f in facts] == [("条件：如为包月服务发生故障",), ("条件：如为按量付费服务",)]


def test_cells_are_read_mentioned_or_absent(write_contract: Callable[..., Path]) -> None:
    body = "\n".join(
        [
            "一、 变更",
            "1. 星河云变更服务内容的，应提前通知您。",
            "2. 协议终止后星河云继续保存您的数据30个自然日。",
            "",
        ]
    )
    rows = {r["attribute"]: r for r in _table(write_contract, body).to_dicts()}
    assert rows["data_retention"]["state"] == "read" and rows["data_retention"]["value"] == 30.0
    assert rows["termination_notice"]["state"] == "mentioned" and rows["termination_notice"]["citation"]
    assert rows["late_fee"]["state"] == "absent" and rows["late_fee"]["display"] == "未约定"
    assert rows["late_fee"]["citation"] is None


# --- one provider, several contracts ----------------------------------------------------------------


def test_a_providers_contracts_are_kept_apart_and_named(write_contract: Callable[..., Path]) -> None:
    write_contract("星河-主协议.txt", HEAD + "一、 数据\n1. 协议终止后星河云继续保存您的数据30个自然日。\n")
    sla = "星河云服务等级协议\n本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
    folder = write_contract(
        "星河-SLA.txt", sla + "一、 数据\n1. 协议终止后星河云继续保存您的数据30个自然日。\n"
    ).parent
    corpus = build_corpus(folder)
    table = build_table(corpus.clauses, corpus.documents, corpus.providers)
    facts: list[Fact] = [f for f in table.facts if f.attribute == "data_retention"]
    assert sorted(f.citation.doc_id for f in facts) == ["星河-SLA.txt", "星河-主协议.txt"]
    assert {table.document_label(f) for f in facts} == {"《星河云服务等级协议》", "《星河云服务协议》"}


CAPTURED = """
[[attribute]]
key = "deposit"
label = "押金"
type = "text"
unit = ""
topic = "deposit"
binds = "user"
question_words = ["押金"]
cue = [{ match = "押金" }]
read = [
  { kind = "capture", pattern = "(?:押金|保证金)(?P<v>[\\\\d]+元)", value = "{v}", display = "押金 {v}" },
]
"""


def test_the_classifier_finds_a_sentence_the_cues_miss(write_contract: Callable[..., Path]) -> None:
    """Trained on the sentences the cue (押金) selects, it flags one worded 保证金; an anchored reader
    reads its value."""
    items = [f"{i}. 开通第{i}项服务前，您应向星河云缴纳押金{100 * i}元。" for i in range(1, 6)]
    items.append("6. 开通第6项服务前，您应向星河云缴纳保证金600元。")
    topics = ("友好协商", "书面通知", "保密义务", "知识产权", "数据安全", "服务变更", "不可抗力", "法律适用")
    items += [f"{i}. 双方应就第{i}项{topics[i % len(topics)]}事宜另行书面约定。" for i in range(7, 607)]
    folder = write_contract("星河.txt", HEAD + "一、 费用\n" + "\n".join(items) + "\n").parent
    corpus = build_corpus(folder)
    facts = extract_facts(corpus.clauses, corpus.documents, corpus.providers, parse_catalog(CAPTURED))
    assert [f.value for f in facts] == ["100元", "200元", "300元", "400元", "500元", "600元"]
    assert facts[-1].qualifiers == FLAGGED and not facts[0].qualifiers


def test_a_cross_reference_resolves_to_the_clause_it_points_at(write_contract: Callable[..., Path]) -> None:
    body = "\n".join(
        [
            "一、 使用规范",
            "1. 您不得利用星河云服务从事违法活动。",
            "2. 如您违反上述条款，星河云有权终止服务，已收取的费用不予退还。",
            "3. 如您违反第一.1条的约定，星河云有权暂停服务。",
            "",
        ]
    )
    table = _table(write_contract, body)
    refund = next(f for f in table.facts if f.attribute == "refund")
    assert [r.clause_id for r in refund.refs] == ["一.1"]
    assert refund.refs[0].text == "您不得利用星河云服务从事违法活动。"


def test_a_place_defined_elsewhere_resolves_to_the_sentence_defining_it(
    write_contract: Callable[..., Path],
) -> None:
    """本协议签订地有管辖权的人民法院 names no place; 本协议签订地为… in another clause does. A place stated
    where it is used (签订地（杭州市）) needs no definition, and an undefined one is left alone."""
    body = "\n".join(
        [
            "九、 争议解决",
            "1. 本协议签订地为浙江省杭州市西湖区。本协议适用中华人民共和国法律。",
            "2. 因本协议产生的争议，双方应提交本协议签订地有管辖权的人民法院诉讼解决。",
            "",
        ]
    )
    dispute = next(f for f in _table(write_contract, body).facts if f.attribute == "dispute")
    assert [(r.clause_id, r.text) for r in dispute.refs] == [("九.1", "本协议签订地为浙江省杭州市西湖区。")]
    undefined = "九、 争议解决\n1. 因本协议产生的争议，提交本协议签订地有管辖权的人民法院诉讼解决。\n"
    facts = _table(write_contract, undefined, "晴空.txt").facts
    alone = next(f for f in facts if f.attribute == "dispute" and f.citation.doc_id == "晴空.txt")
    assert alone.refs == ()


def test_a_value_is_kept_where_the_contract_deals_with_it_and_a_figure_beats_a_mention(
    write_contract: Callable[..., Path],
) -> None:
    body = "\n".join(
        [
            "一、 服务说明",
            "1. 星河云调整机房时，星河云应提前30天通知您。",
            "二、 服务变更与终止",
            "1. 星河云变更或终止服务的，星河云应提前30天通知您。",
            "2. 星河云变更服务规则的，将以公告方式提示您修改内容。",
            "",
        ]
    )
    facts = [f for f in _table(write_contract, body).facts if f.attribute == "termination_notice"]
    assert [(f.value, f.citation.clause_id) for f in facts] == [(30.0, "二.1")]


def test_arrears_grace_before_deletion(write_contract: Callable[..., Path]) -> None:
    sentence = "如您欠费满7日仍未补缴的，星河云将终止服务，实例将被释放且其中数据会被删除。"
    assert _values(_table(write_contract, f"一、 欠费\n1. {sentence}\n"), "freeze_grace") == [7.0]


@pytest.mark.parametrize(
    "sentence",
    [
        "若您逾期付款超过10天，星河云有权提前单方解除协议。",
        "若您逾期 10 天仍未支付，星河云有权单方终止本协议。",
    ],
)
def test_arrears_that_end_the_agreement_count_as_the_grace(
    write_contract: Callable[..., Path], sentence: str
) -> None:
    """Days of late payment after which the provider may end the agreement: the grace on arrears, read in
    days; a period after which data is deleted (逾期删除) is retention, not arrears."""
    table = _table(
        write_contract, f"一、 费用\n1. {sentence}\n2. 服务终止后，星河云保存您的数据30天，逾期删除。\n"
    )
    assert _values(table, "freeze_grace") == [10.0]
    assert _values(table, "data_retention") == [30.0]


def test_facts_in_a_products_own_terms_are_scoped_to_that_product(
    write_contract: Callable[..., Path],
) -> None:
    body = "\n".join(
        [
            "## 通用条款",
            "**1. 数据**",
            "**1.1. 协议终止后星河云继续保存您的数据30个自然日。**",
            "**2. 争议**",
            "**2.1. 争议提交杭州市西湖区人民法院诉讼解决。**",
            "## 专用服务条款",
            "**1.【对象存储服务】**",
            "**1.1. 对象存储服务到期后，星河云继续存储您的数据7日，届满后删除。**",
            "**2.【日志服务】**",
            "**2.1. 日志服务到期后，星河云继续存储您的数据15日，届满后删除。**",
            "",
        ]
    )
    facts = [f for f in _table(write_contract, body, "星河.md").facts if f.attribute == "data_retention"]
    assert [(f.value, f.qualifier) for f in facts] == [(30.0, ""), (7.0, "对象存储服务"), (15.0, "日志服务")]


def test_a_general_mention_stays_beside_a_products_figure(write_contract: Callable[..., Path]) -> None:
    body = "\n".join(
        [
            "## 通用条款",
            "**1. 数据**",
            "**1.1. 服务期届满后，星河云仅在一定的缓冲期内继续存储您的数据，缓冲期届满后删除。**",
            "**2. 争议**",
            "**2.1. 争议提交杭州市西湖区人民法院诉讼解决。**",
            "## 专用服务条款",
            "**1.【对象存储服务】**",
            "**1.1. 对象存储服务到期后，星河云继续存储您的数据7日，届满后删除。**",
            "",
        ]
    )
    facts = [f for f in _table(write_contract, body, "星河.md").facts if f.attribute == "data_retention"]
    assert [(f.value, f.qualifier, f.state) for f in facts] == [
        (None, "", "mentioned"),
        (7.0, "对象存储服务", "read"),
    ]


def test_arrears_that_stop_the_service_and_a_restated_week_are_not_support_hours(
    write_contract: Callable[..., Path],
) -> None:
    body = "\n".join(
        [
            "一、 欠费",
            "1. 如果您自欠费之日起的7日（7 X 24即168个小时）届满仍未补缴的，"
            "星河云将在您欠费满7日时终止为您提供服务；同时实例将被释放。",
            "二、 服务",
            "1. 星河云提供7×24小时的工单服务。",
            "",
        ]
    )
    table = _table(write_contract, body)
    freeze = [(f.value, f.citation.clause_id) for f in table.facts if f.attribute == "freeze_grace"]
    assert freeze == [(7.0, "一.1")]
    hours = [(f.value, f.citation.clause_id) for f in table.facts if f.attribute == "support_hours"]
    assert hours == [("7×24", "二.1")]
    funds = "一、 冻结\n1. 当存在如下情形之一时，星河云有权对您名下账户资金的部分或全部进行冻结：\n"
    table = _table(write_contract, funds, "资金.txt")
    mentions = [f for f in table.facts if f.attribute == "freeze_grace" and f.citation.doc_id == "资金.txt"]
    assert [(f.value, f.state) for f in mentions] == [(None, "mentioned")]


def test_sla_credit_in_a_table_cell_or_named_without_a_share(write_contract: Callable[..., Path]) -> None:
    body = "\n".join(
        [
            "一、 赔偿标准",
            "|服务可用性\t|赔偿代金券金额|",
            "|----|--|",
            "|服务响应时长超时|\t服务费的50%|",
            "",
        ]
    )
    cells = [f for f in _table(write_contract, body, "星河.md").facts if f.attribute == "sla_compensation"]
    row = "服务响应时长超时|\t服务费的50%"
    assert [(f.value, f.citation.text.strip("|\t ")) for f in cells] == [(50.0, row)]
    credit = "一、 责任\n1. 您同意，根据SLA授予的服务Credit是星河云未能提供服务的唯一补救措施。\n"
    table = _table(write_contract, credit, "责任.txt")
    named = [f for f in table.facts if f.attribute == "sla_compensation" and f.citation.doc_id == "责任.txt"]
    assert [(f.value, f.state) for f in named] == [(None, "mentioned")]


def test_sla_tiers_in_an_html_table_are_read_into_ranges(write_contract: Callable[..., Path]) -> None:
    body = (
        "<p>一、 赔偿标准</p>\n<p>1. 按下表以代金券赔偿：</p>\n<table>\n"
        "<tr><th>服务可用性</th><th>赔偿代金券金额</th></tr>\n"
        "<tr>\n  <td>低于99.9%但等于或高于99%</td>\n  <td>月度服务费用的10%</td>\n</tr>\n"
        "<tr>\n  <td>低于99%</td>\n  <td>月度服务费用的25%</td>\n</tr>\n</table>\n"
    )
    cells = [f for f in _table(write_contract, body, "星河.html").facts if f.attribute == "sla_compensation"]
    assert [(f.value, f.qualifier) for f in cells] == [(10.0, "99%–99.9%"), (25.0, "低于 99%")]
    assert cells[1].wording == "低于99% | 月度服务费用的25%"
    assert cells[1].citation.text == "低于99%</td>\n  <td>月度服务费用的25%"  # the row's own span
    asked = [("可用性掉到 99% 以下赔多少？", 25.0), ("不到99%呢", 25.0), ("只有99.5%赔多少", 10.0)]
    for question, share in asked:
        assert [f.value for f in facts_shown(cells, question, 3)[0]] == [share], question


def test_a_cap_said_as_a_highest_limit_and_availability_with_a_typo(
    write_contract: Callable[..., Path],
) -> None:
    body = (
        "一、 责任\n1. 星河云的赔偿金的最高限额为有关星河云一年服务期的服务费。\n"
        "二、 可用性\n1. 星河云提供的本服务可用性不低 90%。\n"
    )
    table = _table(write_contract, body)
    assert _values(table, "liability_cap") == ["1 年服务费"]
    assert _values(table, "sla_availability") == [90.0]


def test_availability_per_row_of_a_table_or_as_a_floor_and_a_claim_window_not_any_period(
    write_contract: Callable[..., Path],
) -> None:
    body = "\n".join(
        [
            "一、 服务可用性承诺",
            "1. 星河云对不同存储类型分别承诺服务可用性如下：",
            "|存储类型|服务可用性标准|",
            "|---|---|",
            "|标准存储|99.9%|",
            "|低频存储|99.0%|",
            "二、 在线率",
            "1. 对于付费用户，星河云承诺98%以上的正常在线率。",
            "三、 赔偿",
            "1. 在服务期内，星河云应当承担赔偿责任时，赔偿金的最高限额为一年服务期的服务费，"
            "客户申请时须提供证明。",
            "2. 赔偿申请须在相关月份结束后两（2）个月内提出。",
            "四、 补偿",
            "1. 用户应在服务不可用事件发生七个工作日内，及时申请补偿。",
            "",
        ]
    )
    table = _table(write_contract, body, "星河.md")
    shown = [(f.value, f.qualifier) for f in table.facts if f.attribute == "sla_availability"]
    assert shown == [(99.9, "标准存储"), (99.0, "低频存储"), (98.0, "")]
    assert [f.display for f in table.facts if f.attribute == "sla_claim_deadline"] == [
        "须在 两（2）个月内提出",
        "须在 七个工作日内提出",
    ]


def test_the_form_compensation_takes_is_read(write_contract: Callable[..., Path]) -> None:
    """代金券 only, service time only, or a form the SLA names (短信条数): what answers 能退现金吗？"""
    body = (
        "一、 赔偿\n1. 赔偿方式仅限于用于购买星河云产品的代金券，不得兑换现金。\n"
        "二、 补偿\n1. 百倍赔偿仅限服务时长的补偿，不用于折算现金。\n"
        "三、 短信\n1. 本服务赔偿以星河云发放赔偿金额对应的短信条数的形式实现。\n"
    )
    assert _values(_table(write_contract, body), "sla_compensation_form") == [
        "代金券",
        "服务时长",
        "短信条数",
    ]


def test_a_clause_states_a_value_once_and_deletion_not_done_is_not_deletion(
    write_contract: Callable[..., Path],
) -> None:
    body = "\n".join(
        [
            "一、 冻结",
            "1. 您必须在账号冻结后的30个自然日内解除冻结状态，否则星河云将删除您的数据。"
            "如果在冻结起的30个自然日内您解除冻结状态，则服务及数据可以继续使用。",
            "二、 到期",
            "1. 服务到期后如仍未续费，星河云将释放您的解析实例，但不删除您的解析数据。",
            "",
        ]
    )
    table = _table(write_contract, body)
    assert _values(table, "freeze_grace") == [30.0]
    assert 0.0 not in _values(table, "data_retention")


def test_hours_of_arrears_are_the_freeze_grace_not_retention_and_a_new_fee_is_a_price_notice(
    write_contract: Callable[..., Path],
) -> None:
    body = "\n".join(
        [
            "一、 欠费",
            "1. 如24小时届满，您仍未成功充值并足以支付所欠服务费用的，"
            "星河云将暂停提供服务，但仍保留您的配置信息。",
            "二、 收费",
            "1. 星河云不排除日后收取费用的可能，届时星河云将提前10个自然日发布公告公布收费政策。",
            "",
        ]
    )
    table = _table(write_contract, body)
    assert _values(table, "freeze_grace") == [1.0]
    assert _values(table, "data_retention") == []
    assert _values(table, "termination_notice") == []
    assert _values(table, "price_change_notice") == [10.0]
