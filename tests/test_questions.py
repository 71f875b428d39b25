"""Questions in anyone's words: normalised input, tolerant provider names, follow-ups, scope precedence and
refusals that never claim a contract is silent when the reading is not sure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.records import Provider
from rag.answer import Composer
from rag.cli import main
from rag.names import names_spelled_right, providers_named
from rag.understand import normalise, verdict, with_history

PROVIDERS = (
    Provider("码尚云", "上海码昶信息技术咨询中心"),
    Provider("讯众云通信", "北京讯众通信技术股份有限公司", ("讯众", "云通讯")),
    Provider("西部数码", "成都西维数码科技有限公司"),
    Provider("Zeabur", "Zeabur Inc."),
    Provider("互动网络", None, ("LiveSupport",)),
)


def test_input_is_normalised_before_anything() -> None:
    assert normalise("码尚云的滞\u200b纳金\u00ad标准？") == "码尚云的滞纳金标准?"
    assert normalise("碼尚雲的滯納金標準是多少") == "码尚云的滞纳金标准是多少"
    assert normalise("ＳＬＡ　可用性") == "SLA 可用性"


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("马尚云的滞纳金是多少", ["码尚云"]),  # one wrong character in a name of three
        ("迅众云通信怎么收费", ["讯众云通信"]),
        ("zeabur 能退款吗", ["Zeabur"]),  # Latin case
        ("讯众和西部数码比较", ["讯众云通信", "西部数码"]),
        ("西部的天气", []),  # two characters are never matched loosely
        ("LiveSuport 能退款吗", ["互动网络"]),  # one missing in a long name
        ("讯众云通讯信怎么收费", ["讯众云通信"]),  # one extra
        ("LiveSupprot 能退款吗", ["互动网络"]),  # two neighbours swapped in a long name
        ("Zeabru 能退款吗", ["Zeabur"]),
        ("码云尚的滞纳金", []),  # never in a short one
    ],
)
def test_providers_are_matched_tolerantly(question: str, named: list[str]) -> None:
    assert sorted(providers_named(question, PROVIDERS)) == sorted(named)


def test_a_follow_up_reuses_the_topic_with_the_new_provider() -> None:
    analysis, query = with_history("那码尚云呢？", ["西部数码逾期付款怎么收滞纳金？"], PROVIDERS)
    assert analysis.providers == ("码尚云",) and analysis.attributes[0] == "late_fee"
    assert analysis.read_as.startswith("按上一问") and "码尚云" in query and "西部数码" not in query
    flipped, _ = with_history("那最短的呢？", ["哪家数据保留期最长？"], PROVIDERS)
    assert (flipped.intent, flipped.direction) == ("superlative", "min")
    fresh, _ = with_history("码尚云的争议去哪个法院？", ["西部数码逾期付款怎么收滞纳金？"], PROVIDERS)
    assert fresh.topic == "dispute" and fresh.read_as == ""  # a new topic is a new question


def test_answers_to_follow_ups_say_how_they_were_read(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("那码尚云呢？", history=["西部数码逾期付款怎么收滞纳金？"])
    assert answer.answer.startswith("（按上一问：逾期付款滞纳金（每日））码尚云：每日 0.05%")
    assert not answer.refused and answer.citations


def test_a_provider_named_in_the_question_wins_over_the_filter(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("西部数码逾期付款怎么收滞纳金？", provider="京东云-微电云")
    assert answer.answer.startswith("西部数码：") and "京东云" not in answer.answer


def test_zero_width_and_traditional_characters_do_not_change_the_answer(bundled_composer: Composer) -> None:
    plain = bundled_composer.ask("码尚云的滞纳金标准")
    assert bundled_composer.ask("码尚云的滞\u200b纳金标准").answer == plain.answer
    assert bundled_composer.ask("碼尚雲的滯納金標準").answer == plain.answer


def test_not_found_is_not_silent(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("码尚云支持比特币付款吗？")
    assert answer.refused and "没有找到明确回答这个问题的条款" in answer.answer
    assert answer.citations == () and "[" not in answer.answer
    assert bundled_composer.ask("帮我写一首关于春天的诗").related == ()  # nothing related to an off-topic ask


def test_api_takes_the_conversation(hashing_index_dir: Path) -> None:
    from rag.api import create_app
    from rag.settings import Settings

    settings = Settings(index_dir=hashing_index_dir, embed_model="hashing")
    with TestClient(create_app(settings)) as client:
        body = {"question": "那码尚云呢？", "history": ["西部数码逾期付款怎么收滞纳金？"]}
        answer = client.post("/v1/ask", json=body).json()
        assert answer["answer"].startswith("（按上一问") and answer["citations"]
        too_long = client.post("/v1/ask", json={"question": "那码尚云呢？", "history": ["滞纳金" * 200]})
        assert too_long.status_code == 422 and "history.0: 600 characters" in too_long.json()["detail"]


def test_cli_jsonl_accepts_conversations(
    hashing_index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setenv("RAG_INDEX_DIR", str(hashing_index_dir))
    monkeypatch.setenv("RAG_EMBED_MODEL", "hashing")
    lines = [
        "码尚云的滞纳金标准",
        json.dumps({"question": "那西部数码呢？", "history": ["码尚云的滞纳金标准"]}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["ask", "--jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[1]["answer"].startswith("（按上一问") and "西部数码" in rows[1]["answer"]
    monkeypatch.setattr("sys.stdin", io.StringIO('{"history": []}\n'))
    assert main(["ask", "--jsonl"]) == 2
    assert 'needs "question"' in capsys.readouterr().err


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("腾讯云有权暂停提供服务。", "是"),
        ("您不得将账号转让给第三方。", "否"),
        ("已收取的费用不予退还。", "否"),
        ("如您逾期付款超过15天，腾讯云有权解除协议。", "视情况"),
        ("除法律另有规定外，码尚云将删除您的数据。", "视情况"),
    ],
)
def test_yes_no_verdicts_come_from_the_deciding_words(sentence: str, expected: str) -> None:
    assert verdict(sentence) == expected


def test_mixed_english_questions_find_their_topic() -> None:
    from rag.understand import analyze

    assert analyze("码尚云的 late fee 怎么算", PROVIDERS).topic == "late_fee"
    assert analyze("Zeabur 的 refund 政策", PROVIDERS).topic == "refund"
    assert analyze("西部数码 downtime 怎么赔", PROVIDERS).topic == "outage"


def test_the_reranker_round_trips_and_gates_open_answers(bundled_composer: Composer) -> None:
    import dataclasses

    import numpy as np

    from rag.rerank import FEATURES, Reranker, feature_rows

    n = len(FEATURES)
    model = Reranker(np.ones(n), 0.0, np.zeros(n), np.ones(n), threshold=0.5)
    assert Reranker.from_dict(model.to_dict()).threshold == 0.5
    with pytest.raises(ValueError, match="other features"):
        Reranker.from_dict({**model.to_dict(), "features": ["rank"]})
    question = "码尚云的账号可以借给别人用吗？"
    strict = dataclasses.replace(model, threshold=1.01)  # no probability reaches it: nothing is good enough
    bundled_composer.reranker = strict
    try:
        assert bundled_composer.ask(question).refused
        bundled_composer.reranker = dataclasses.replace(model, threshold=0.0)
        answer = bundled_composer.ask(question)
        assert not answer.refused and answer.citations
        hits = bundled_composer.retriever.search(question, 5)
        assert feature_rows(bundled_composer, question, hits, ()).shape == (len(hits), n)
    finally:
        bundled_composer.reranker = None


def test_a_providers_own_name_beats_another_providers_alias() -> None:
    from rag.retrieve import provider_names_in

    providers = (Provider("腾讯云", None, ("Tencent Cloud",)), Provider("中国联通", None, ("联通", "腾讯云")))
    assert provider_names_in("腾讯云的滞纳金", providers) == ["腾讯云"]
    assert provider_names_in("联通的滞纳金", providers) == ["中国联通"]


def test_a_product_name_singles_out_one_of_a_providers_contracts() -> None:
    from rag.understand import documents_named

    providers = (
        Provider("阿里云", None, ("Serverless 应用引擎", "SAE", "Aliyun"), "sae.md"),
        Provider("阿里云", None, ("AnalyticDB", "Aliyun"), "adb.md"),
    )
    assert documents_named("阿里云 sae 欠费多久释放实例", providers) == ("sae.md",)
    assert documents_named("阿里云欠费多久释放实例", providers) == ()


def test_the_kind_of_answer_asked_decides_between_topics() -> None:
    from rag.understand import analyze

    assert analyze("码尚云欠费多久会删数据？", PROVIDERS).topic == "freeze"
    assert analyze("码尚云欠费怎么收滞纳金？", PROVIDERS).topic == "late_fee"


def test_of_two_overlapping_topic_words_the_one_ending_later_is_asked() -> None:
    """SLA赔偿上限 asks the cap of the SLA's compensation (the head comes last), SLA赔偿申请 its claim; and
    封顶 is everyday wording of a cap."""
    from rag.understand import analyze

    assert analyze("码尚云 SLA 赔偿上限", PROVIDERS).topic == "liability_cap"
    assert analyze("码尚云 SLA 赔偿申请", PROVIDERS).topic == "sla_claim"
    assert analyze("码尚云 SLA 赔偿", PROVIDERS).topic == "sla"
    assert analyze("码尚云的赔偿封顶是多少？", PROVIDERS).topic == "liability_cap"
    assert analyze("码尚云 SLA封顶", PROVIDERS).topic == "liability_cap"  # words that meet: the later one


def test_a_follow_up_with_a_topic_but_no_provider_keeps_the_provider() -> None:
    analysis, _ = with_history("那服务到期以后数据保留多久？", ["码尚云逾期付款怎么收滞纳金？"], PROVIDERS)
    assert analysis.providers == ("码尚云",) and analysis.intent == "lookup" and analysis.scope == "history"
    listing, _ = with_history("各家的数据保留期分别是多少？", ["码尚云逾期付款怎么收滞纳金？"], PROVIDERS)
    assert listing.providers == ()  # an explicit listing asks about every provider


def test_a_long_name_with_a_typo_beats_a_short_alias_inside_it() -> None:
    """腾讯企业油: the mail product's name with one wrong character, not the push service's alias 腾讯."""
    providers = (
        Provider("腾讯云", None, ("腾讯企业邮", "企业邮"), doc_id="mail.md"),
        Provider("TPNS", None, ("腾讯", "移动推送"), doc_id="push.md"),
    )
    assert providers_named("腾讯企业油的可用性标准是多少？", providers) == ["腾讯云"]
    assert providers_named("腾讯的推送协议", providers) == ["TPNS"]  # the short alias still works alone
    assert providers_named("腾讯云的滞纳金", providers) == ["腾讯云"]


def test_a_name_read_with_a_typo_is_written_right_and_nothing_else_is() -> None:
    """马尚云 → 码尚云 and CDNetwarks → CDNetworks, so the question is searched with the contract's words; a
    window one character off a short name inside other words (腾讯企业 ~ 腾讯云) is left alone."""
    providers = (
        Provider("腾讯云", None, ("腾讯", "企业邮"), doc_id="t.md"),
        Provider("码尚云", None, (), doc_id="m.md"),
        Provider("CDNetworks", None, (), doc_id="c.md"),
    )
    assert names_spelled_right("马尚云的滞纳金是多少", providers) == "码尚云的滞纳金是多少"
    assert names_spelled_right("cdnetwarks 的仲裁在哪", providers) == "CDNetworks 的仲裁在哪"
    untouched = "腾讯企业邮的邮箱容量，西部数码的云服务器"
    assert names_spelled_right(untouched, providers) == untouched


def test_short_follow_ups_in_several_shapes_reuse_the_previous_question() -> None:
    previous = "码尚云有没有7*24小时的工单服务？"
    for follow in ("西部数码有没有？", "那西部数码呢？", "西部数码也有吗？", "西部数码怎么样？"):
        analysis, query = with_history(follow, [previous], PROVIDERS)
        assert analysis.providers == ("西部数码",) and analysis.read_as.startswith("按上一问"), follow
        assert "工单" in query and "码尚云" not in query


def test_a_follow_up_asking_about_a_new_topic_is_a_new_question() -> None:
    analysis, _ = with_history("那他们的争议解决方式呢？", ["Zeabur 的赔偿上限是多少？"], PROVIDERS)
    assert analysis.topic == "dispute" and analysis.providers == ("Zeabur",)
    assert not analysis.read_as.startswith("按上一问")


def test_a_follow_up_with_words_of_its_own_asks_something_new_in_the_same_scope() -> None:
    """那适用哪里的法律？ after a question on disputes asks about the governing law, not the court again; it
    keeps the provider of the conversation."""
    analysis, query = with_history("那适用哪里的法律？", ["讯众云通信的争议怎么解决？"], PROVIDERS)
    assert analysis.providers == ("讯众云通信",) and analysis.scope == "history"
    assert not analysis.read_as and "法律" in query
    same, _ = with_history("那码尚云呢？", ["讯众云通信的争议怎么解决？"], PROVIDERS)
    assert same.read_as.startswith("按上一问") and same.topic == "dispute"


def test_the_attribute_the_question_points_at_comes_first() -> None:
    from rag.understand import analyze

    keys = analyze("码尚云的SLA没达标能拿多少代金券？", PROVIDERS).attributes
    assert keys[0] == "sla_compensation" and "sla_availability" in keys
    assert analyze("码尚云的可用性承诺是多少？", PROVIDERS).attributes[0] == "sla_availability"
    assert analyze("码尚云 SLA 赔偿 比例", PROVIDERS).attributes[0] == "sla_compensation"  # terse: SLA赔偿


def test_a_question_word_said_with_words_inside_it_still_names_the_topic() -> None:
    """我不续费了数据还能保存多久？ says 数据…保存 (the issue's first example); a word far apart does not."""
    from rag.understand import _topic

    assert _topic(normalise("我不续费了数据还能保存多久？")) == "data_retention"
    assert _topic(normalise("合同结束数据会被删除吗")) == "data_retention"
    assert _topic(normalise("数据中心的机房在哪个城市，能不能保存在国内")) != "data_retention"


@pytest.mark.parametrize(
    ("question", "attributes"),
    [
        # two asks, two topics: the notice first (said first and ranked), then the refund
        ("星河云要终止服务得提前多久通知？没用完的预付费会退款吗？", ("termination_notice", "refund")),
        ("滞纳金怎么算？发票要在多久内申请？", ("late_fee", "invoice_deadline")),
        # one word of two topics (欠费: late fee and freeze) is one ask, not two
        ("欠费了多久会停我的服务删数据？", ("freeze_grace",)),
        # 提前几天通知 asks for the price notice's own value: no second topic
        ("涨价会提前几天通知？", ("price_change_notice",)),
        # a topic word in a part that asks nothing is context: 宕机 here, the ask is liability for attacks
        ("服务商被黑客攻击导致宕机，他们要负责吗？", ("attack_exemption",)),
    ],
)
def test_a_question_that_asks_two_things_gets_both_topics(question: str, attributes: tuple[str, ...]) -> None:
    from rag.understand import analyze

    analysis = analyze(normalise(question), [])
    assert analysis.attributes[: len(attributes)] == attributes
    assert set(analysis.attributes) == set(attributes)


@pytest.mark.parametrize("question", ["涨价会提前几天通知？", "星河云调价，会提前多久通知老客户？"])
def test_a_notice_about_prices_is_the_price_change_notice(question: str) -> None:
    from rag.understand import analyze

    assert analyze(normalise(question), []).attributes[0] == "price_change_notice"


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("码尚云注册成功以后还能退款不？", "yes_no"),  # A-not-A, the 不 at the end
        ("码尚云停机一天算不算违约？", "yes_no"),  # X不X
        ("码尚云到期数据会删掉没？", "yes_no"),
        ("码尚云的不可抗力怎么算？", "open"),  # 不 inside a word is no question form
    ],
)
def test_yes_no_questions_in_their_spoken_forms(question: str, intent: str) -> None:
    from rag.understand import analyze

    assert analyze(normalise(question), PROVIDERS).intent == intent


def test_a_long_name_said_shortened_names_its_provider_when_nothing_else_does() -> None:
    """网易云存储 for 网易云对象存储服务: four characters or more, from the name's first two, in its order; a
    two-character prefix alone (网易的) or another provider's name said exactly decides otherwise."""
    providers = (
        Provider("星澜蜂巢", None, ("星澜云对象存储服务", "SOS"), doc_id="s.md"),
        Provider("码尚云", None, (), doc_id="m.md"),
        Provider("七星云", None, ("对象存储服务",), doc_id="q.md"),
    )
    assert providers_named("我放在星澜云存储上的文件会删干净吗", providers) == ["星澜蜂巢"]
    assert providers_named("华为云对象存储 OBS 的赔偿标准", providers) == []  # a product word, no brand
    assert providers_named("星澜的对象存储", providers) == []
    assert providers_named("码尚云和星澜云存储哪个好", providers) == ["码尚云"]


def test_a_topic_word_inside_a_providers_name_names_no_topic() -> None:
    """support of LiveSupport is no question about support hours; the same word said apart still is."""
    from rag.understand import analyze

    providers = (Provider("互动网络", None, ("LiveSupport",)),)
    assert analyze("LiveSupport 到期不续费会怎么处理？", providers).attributes == ()
    assert analyze("LiveSupport 的 support 几点到几点？", providers).attributes != ()


def test_a_clause_stating_the_kind_of_value_asked_is_quoted_first() -> None:
    """续费提前几天？ asks for a duration: among candidates about as good, the clause that states one comes
    before a closer-ranked one that states none; nothing moves when the first states one, or when the
    clause that does says clearly less of the question."""
    from core.records import Clause, Hit, Span
    from rag.understand import gives_asked_first

    def hit(clause_id: str, text: str) -> Hit:
        clause = Clause("d.md", "星河云", clause_id, "clause", (), 0, len(text), text)
        return Hit(clause, 1.0, Span(0, len(text), text))

    none, days = (
        hit("4.3", "用户续费的，服务期限延长至有效期满之日。"),
        hit("5.9", "用户应在期满之前至少20日续费。"),
    )
    cover = {id(none): 0.62, id(days): 0.6}
    assert gives_asked_first("续费提前几天", [none, days], cover, 0.1) == [days, none]
    assert gives_asked_first("续费怎么办理", [none, days], cover, 0.1) == [none, days]  # no value asked
    assert gives_asked_first("续费提前几天", [days, none], cover, 0.1) == [days, none]
    cover[id(days)] = 0.3
    assert gives_asked_first("续费提前几天", [none, days], cover, 0.1) == [none, days]


def test_cash_is_about_the_form_of_compensation_only_when_compensation_is_asked() -> None:
    from rag.understand import _topic

    assert _topic(normalise("SLA 没达标的赔偿能退现金吗？")) == "compensation_form"
    assert _topic(normalise("可以用现金付款吗？")) != "compensation_form"


def test_a_clause_that_only_defines_a_term_comes_after_those_that_say_what_happens() -> None:
    """ "续费"系指… tells what a word means: a question about what happens at renewal is answered by a clause
    saying it first; a question asking what the word means keeps the definition first."""
    from core.records import Clause, Hit, Span
    from rag.draft import definitions_last

    def hit(clause_id: str, text: str) -> Hit:
        clause = Clause("d.md", "星河云", clause_id, "clause", (), 0, len(text), text)
        return Hit(clause, 1.0, Span(0, len(text), text))

    defined = hit("1.5", "“续费”系指客户在服务期届满后继续付费以获得服务的行为。")
    numbered = hit("1.6", "1.6 响应时间：指自星河云收到申告后回复的时间。")
    says = hit("5.2", "客户未在服务期届满前续费，星河云有权自届满之日的第二日终止服务。")
    assert definitions_last("到期不续费哪天停服务？", [defined, numbered, says]) == [says, defined, numbered]
    assert definitions_last("续费是什么意思？", [defined, says]) == [defined, says]


def test_a_question_asking_besides_the_value_its_topic_gives() -> None:
    """能拿到什么赔偿？从什么时候起可以提申请？ asks the compensation and, besides it, a date; a question all
    of whose asking parts want a date asks nothing besides."""
    from rag.understand import asks_besides

    assert asks_besides("我们能拿到什么赔偿？从什么时候起可以提申请？", {"duration"})
    assert not asks_besides("最早什么时候可以提申请，最晚又必须在什么时候之前提？", {"duration"})
    assert not asks_besides("赔偿最晚什么时候要提？", {"duration"})
    assert not asks_besides("能拿到什么赔偿？", {"duration"})


def test_a_topic_said_only_as_context_is_not_what_is_asked() -> None:
    """A topic whose words stand only in a part of the question that asks nothing is context (我们用的是
    在线客服系统…); the parts that ask must speak of it, by its words or the word for the thing itself
    (…可用性只有96%，能拿到多少赔偿？ asks of SLA compensation)."""
    from rag.understand import analyze

    context = "我们用码尚云的在线客服系统一年多了，地址换了没去更新资料，想问多久之内要通知他们？"
    assert analyze(context, PROVIDERS).topic is None
    assert analyze("码尚云的在线客服几点下班？", PROVIDERS).topic == "support"
    assert analyze("码尚云某个月可用性只有96%，能拿到多少赔偿？", PROVIDERS).topic == "sla"
    deleted = "上午开了4个实例，下午又删掉一个，最后剩3个。请问这一天的费用按几个实例算？"
    assert analyze(deleted, PROVIDERS).topic is None
