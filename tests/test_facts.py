"""Facts read by rule from the bundled contracts (expectations written by hand) and from new contracts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.corpus import Corpus, build_corpus
from rag.facts import FactTable, build_table

A, B, C, D, E = "软通云商城", "讯众云通信", "码尚云", "京东云-微电云", "西部数码"


@pytest.fixture(scope="module")
def table(bundled: Corpus) -> FactTable:
    return build_table(bundled.clauses, bundled.documents, bundled.providers)


def values(table: FactTable, provider: str, attribute: str) -> list[tuple[object, str]]:
    return [(f.value, f.citation.clause_id) for f in table.cell(provider, attribute)]


def table_of(folder: Path) -> FactTable:
    """The fact table of the contracts a test wrote into ``folder``."""
    corpus = build_corpus(folder)
    return build_table(corpus.clauses, corpus.documents, corpus.providers)


def read_one(write_contract: Callable[..., Path], name: str, text: str) -> FactTable:
    """The fact table of one contract the test writes."""
    return table_of(write_contract(name, text).parent)


EXPECTED = [
    (C, "data_retention", (30.0, "4.3")),
    (B, "data_retention", (7.0, "5.(3)")),
    (A, "data_retention", (0.0, "八.2")),
    (C, "freeze_grace", (30.0, "7.2.2")),
    (C, "late_fee", (0.05, "7.4")),
    (E, "late_fee", (0.3, "2.2.2")),
    (C, "liability_cap", ("年服务费的 25%", "8.4")),
    (E, "liability_cap", ("违约服务的费用", "7.6")),
    (A, "liability_cap", ("已支付的费用", "九.3")),
    (E, "outage_multiplier", (100.0, "4.7")),
    (E, "outage_multiplier", (50.0, "4.7")),
    (C, "outage_extension", (1.0, "8.2")),
    (C, "outage_termination", (72.0, "8.2")),
    (A, "dispute", ("仲裁：北京仲裁委员会", "十一.1")),
    (C, "dispute", ("诉讼：上海市浦东新区人民法院", "10.2")),
    (E, "dispute", ("诉讼：成都市青羊区人民法院", "10.2")),
    (A, "invoice_deadline", (15.0, "六.2")),
    (C, "termination_notice", (30.0, "7.3.4")),
    (D, "termination_notice", (10.0, "12.3.(3)")),
    (D, "cure_period", (10.0, "12.2.(1)")),
    (E, "force_majeure_notice", (5.0, "8.3")),
    (E, "force_majeure_proof", (20.0, "8.3")),
    (C, "support_hours", ("7×24", "3.2.2.1")),
    (C, "backup_responsibility", ("用户", "3.1.9")),
    (E, "backup_responsibility", ("用户", "3.8")),
    (C, "confidentiality_survives", (True, "6.4")),
    (D, "confidentiality_survives", (True, "8.5")),
    (C, "attack_exemption", ("免责", "9.2.1.4")),
    (A, "unilateral_changes", (True, "一.2")),
    (E, "unilateral_changes", (True, "3.1")),
]


@pytest.mark.parametrize(("provider", "attribute", "expected"), EXPECTED)
def test_bundled_facts(table: FactTable, provider: str, attribute: str, expected: tuple[object, str]) -> None:
    assert expected in values(table, provider, attribute)


@pytest.mark.parametrize(
    ("provider", "attribute"),
    [
        (D, "data_retention"),
        (E, "data_retention"),
        (D, "late_fee"),
        (A, "late_fee"),
        (B, "outage_multiplier"),
    ],
)
def test_what_a_contract_does_not_say_stays_empty(table: FactTable, provider: str, attribute: str) -> None:
    assert table.cell(provider, attribute) == []


def test_every_fact_cites_exact_words_that_contain_its_wording(bundled: Corpus, table: FactTable) -> None:
    assert len(table.facts) >= 40
    for fact in table.facts:
        c = fact.citation
        assert bundled.documents[c.doc_id].text[c.start : c.end] == c.text
        assert fact.wording in c.text
        assert c.provider == fact.provider


def test_numbers_stated_by_a_fact_occur_in_its_citation(table: FactTable) -> None:
    for fact in table.facts:
        if isinstance(fact.value, float) and fact.attribute not in ("outage_extension",) and fact.value:
            number = f"{fact.value:g}"
            assert number in fact.citation.text or any(
                cn in fact.citation.text for cn in ("五日", "二十日", "一小时", "万分之五", "一个月")
            ), (fact.attribute, fact.citation.text)


NEW = (
    "星河云服务协议\n本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
    "一、 数据与费用\n"
    "1. 服务期满或协议终止后，星河云将继续保存您的数据 90 个自然日，逾期删除。\n"
    "2. 逾期付款的，星河云每日按应付金额的千分之一收取滞纳金。\n"
    "3. 因本协议产生的争议，提交杭州仲裁委员会仲裁解决。\n"
)


def test_a_new_contract_gets_its_own_facts(write_contract: Callable[..., Path]) -> None:
    table = read_one(write_contract, "星河.txt", NEW)
    assert values(table, "星河云", "data_retention") == [(90.0, "一.1")]
    assert values(table, "星河云", "late_fee") == [(pytest.approx(0.1), "一.2")]
    assert values(table, "星河云", "dispute") == [("仲裁：杭州仲裁委员会", "一.3")]


def test_data_kept_for_a_user_who_does_not_renew_and_numbers_restated_in_digits(
    write_contract: Callable[..., Path],
) -> None:
    """Not renewing ends the service as expiry does (为未及时续费用户的数据保留30天), and 九十 (90) 天 is
    90 days: both are the retention the contract states, not 未约定."""
    head = "本协议是星河云与您就云存储服务订立的协议。\n一、 数据\n"
    folder = write_contract("a.txt", head + "1. 星河云为未及时续费用户的数据保留30天，期满后删除。\n").parent
    write_contract(
        "b.txt",
        head.replace("星河云", "流明云")
        + "1. 当您终止订购或订购期满时，流明云会将您的客户数据保留至少九十 (90) 天以便于您提取。\n",
    )
    table = table_of(folder)
    assert values(table, "星河云", "data_retention") == [(30.0, "一.1")]
    assert values(table, "流明云", "data_retention") == [(90.0, "一.1")]


def test_a_contract_without_a_title_is_named_by_what_its_opening_says_it_is_about() -> None:
    from rag.facts import _title

    text = "**本服务条款是星河云与您，就您使用图像识别服务（以下简称“本服务”）的相关事项签订的合同。**\n"
    assert _title("terms.md", [], text) == "图像识别服务条款"
    agreement = "本协议是星河云与您，就您使用星河云服务的相关事项签订的合同。\n"
    assert _title("a.md", [], agreement) == "星河云服务协议"
    assert _title("b.md", [], "1. 总则\n1.1 星河云提供服务。\n") == "b"  # nothing said: the file name


def test_an_answer_counts_other_provisions_not_repeats_of_the_same_words() -> None:
    """facts_shown: per contract the general terms first, at most ``most``; a repeat of the same words
    under another condition is neither shown twice nor counted as another provision."""
    from core.records import Citation, Fact
    from rag.facts import facts_shown

    def fact(display: str, text: str, qualifier: str = "", doc: str = "a.txt") -> Fact:
        citation = Citation(doc, "星河云", "1", 0, len(text), text)
        return Fact("星河云", "data_retention", 7.0, "天", display, text, citation, qualifier)

    facts = [
        fact("保留 7 日", "产品甲到期后保留 7 日。", "产品甲"),
        fact("保留 30 日", "协议终止后保留 30 日。"),
        fact("保留 30 日", "协议终止后保留 30 日。"),  # the same words again (another condition)
        fact("保留 15 日", "产品乙到期后保留 15 日。", "产品乙"),
        fact("保留 5 日", "产品丙到期后保留 5 日。", "产品丙"),
        fact("保留 9 日", "另一份合同保留 9 日。", doc="b.txt"),
    ]
    shown, left = facts_shown(facts, "数据保留多久？", 2)
    assert [f.display for f in shown] == ["保留 30 日", "保留 7 日", "保留 9 日"]
    assert left == 2  # 产品乙 and 产品丙, not the repeat


def test_a_cap_of_the_fees_paid_in_months_counted_in_words_and_digits(
    write_contract: Callable[..., Path],
) -> None:
    """不超过责任产生前十二 (12) 个月…支付的款项: the cap is the last 12 months' fees, shown in digits."""
    table = read_one(
        write_contract,
        "c.txt",
        "本协议是星河云与您就云服务订立的协议。\n一、 责任\n"
        "1. 星河云在本协议项下的责任总额不超过责任产生前十二 (12) 个月期间您就相关服务支付的款项。\n",
    )
    (fact,) = table.cell("星河云", "liability_cap")
    assert fact.display == "过往 12 个月已支付的费用" and fact.citation.clause_id == "一.1"


def test_a_cap_on_compensation_worded_with_should_not_exceed(write_contract: Callable[..., Path]) -> None:
    """…而支付的补偿总额不应超过您已向星河云支付的服务费用: a cap, worded with 补偿 and 不应超过."""
    table = read_one(
        write_contract,
        "c.txt",
        "本协议是星河云与您就云服务订立的协议。\n八、 责任限制\n"
        "1. 星河云在提供服务过程中因其过错给您带来损失的，"
        "而支付的补偿总额不应超过您已向星河云支付的服务费用。\n",
    )
    (fact,) = table.cell("星河云", "liability_cap")
    assert fact.citation.clause_id == "八.1" and "已支付" in fact.value


def test_a_cap_stated_as_a_share_of_the_months_fee(write_contract: Callable[..., Path]) -> None:
    """赔偿总额不超过…当月…月度服务费用（不含…）的25%: the cap is a quarter of that month's fee, not the
    fee."""
    table = read_one(
        write_contract,
        "sla.txt",
        "本协议规定了星河云向客户提供的CDN服务的可用性等级。\n三、 赔偿方案\n"
        "1. 赔偿方式仅限于代金券，且赔偿总额不超过未达到服务可用性承诺当月客户支付的月度服务费用"
        "（不含用代金券抵扣的费用）的25%。\n",
    )
    (fact,) = table.cell("星河云", "liability_cap")
    assert fact.display == "当月月度服务费的 25%" and fact.citation.clause_id == "三.1"


def test_an_availability_commitment_stated_as_the_figure_itself(write_contract: Callable[..., Path]) -> None:
    """本公司向您承诺…服务可用性为99.95％ (full-width ％) is a 99.95 % commitment, as 不低于99.95% is."""
    table = read_one(
        write_contract,
        "sla.txt",
        "本协议是星河云与您就对象存储服务订立的协议。\n一、 服务可用性\n"
        "1. 本公司向您承诺对象存储的服务可用性为99.95％。\n",
    )
    assert values(table, "星河云", "sla_availability") == [(99.95, "一.1")]


def test_the_window_for_claiming_sla_compensation(write_contract: Callable[..., Path]) -> None:
    """赔偿申请必须…两（2）个月内提出 is a 60-day claim window; 每月第五（5）个工作日后…提出赔偿申请 opens the
    window and is no deadline."""
    table = read_one(
        write_contract,
        "sla.txt",
        "本协议是星河云与您就云主机服务订立的协议。\n一、 赔偿申请时限\n"
        "1. 客户可以在每月第五（5）个工作日后对上个月没有达到可用性的实例提出赔偿申请。\n"
        "2. 赔偿申请必须限于在服务没有达到可用性的相关月份结束后两（2）个月内提出。\n",
    )
    assert values(table, "星河云", "sla_claim_deadline") == [(60.0, "一.2")]


def test_where_the_data_centres_are(write_contract: Callable[..., Path]) -> None:
    """提供服务的数据中心应位于中华人民共和国 says where the data is kept, as 数据存储于中国境内 does."""
    table = read_one(
        write_contract,
        "loc.txt",
        "本协议是星河云与您就云服务订立的协议。\n一、 服务位置\n"
        "1. 提供服务的数据中心应位于中华人民共和国（不包括香港特别行政区）。\n",
    )
    assert values(table, "星河云", "data_location") == [("中华人民共和国", "一.1")]


def test_a_piece_of_the_providers_name_never_singles_out_a_contract() -> None:
    """Titles tokenised unevenly (七牛云对象存储服务 as one word, 七牛云 | 短信 in another): the question's
    七牛 or 七牛云 does not pick the titles that happen to hold it; 短信 picks the SMS terms; the whole name
    decides only when no other word does."""
    table = FactTable(
        ("七牛云",),
        (),
        titles={"kodo": "七牛云对象存储服务等级协议", "sms": "七牛云短信服务等级协议", "user": "七牛云协议"},
        documents={"七牛云": ("kodo", "sms", "user")},
    )
    words = {
        "七牛云对象存储服务等级协议": ["七牛云对象存储服务", "等级", "协议"],
        "七牛云短信服务等级协议": ["七牛云", "短信", "服务", "等级", "协议"],
        "七牛云协议": ["七牛云", "协议"],
    }

    def tokenize(text: str) -> list[str]:
        return words.get(text) or [w for w in ("七牛", "七牛云", "短信", "标准存储", "可用性") if w in text]

    assert table.titled("七牛 标准存储的可用性", "七牛云", tokenize) == ((), set())
    assert table.titled("那七牛云短信呢", "七牛云", tokenize) == (("sms",), {"短信"})
