"""The composer: intents, cited lookups, comparisons that follow the contracts, honest refusals."""

from __future__ import annotations

import re
import shutil
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pytest

from core.protocols import Retriever
from core.records import Answer, Clause, Hit, Provider, Span
from index.embed import HashingEmbedder
from index.store import build_index, load_index
from rag.answer import Composer
from rag.facts import build_table
from rag.pipeline import composer_for as make_composer
from rag.settings import BUNDLED_CONTRACTS
from rag.understand import analyze, normalise, with_history
from tests.samples import retriever_over

STARRY_HEAD = "星河云服务协议\n本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
LUMEN_HEAD = "流明云服务协议\n本协议是杭州流明数据科技有限公司（以下简称“流明云”）与您订立的协议。\n"
STARRY = (
    STARRY_HEAD + "一、 数据与费用\n"
    "1. 服务期满或协议终止后，星河云将继续保存您的数据 90 个自然日，逾期删除。\n"
    "2. 逾期付款的，星河云每日按应付金额的千分之一收取滞纳金。\n"
)


#: The backend this test runs against (set per test by ``_every_backend``: each runs on both).
SEARCH = {"backend": "local"}


@pytest.fixture(autouse=True)
def _every_backend(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SEARCH, "backend", backend)


def composer_for(folder: Path, index_dir: Path, backend: str | None = None) -> Composer:
    embedder = HashingEmbedder()
    build_index(folder, index_dir, embedder)
    index = load_index(index_dir, embedder)
    retriever = retriever_over(backend or SEARCH["backend"], index, embedder)
    return make_composer(index, retriever, build_table(index.clauses, index.documents, index.providers))


@pytest.fixture(scope="module")
def extended_composer(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Composer:
    folder = tmp_path_factory.mktemp("contracts")
    for path in BUNDLED_CONTRACTS.iterdir():
        shutil.copy(path, folder)
    (folder / "星河.txt").write_text(STARRY, encoding="utf-8")
    return composer_for(folder, tmp_path_factory.mktemp("index"), backend)


def check_citations(answer: Answer, composer: Composer) -> None:
    """Every marker has a citation, every citation a marker, and each is the exact text."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == set(range(1, len(answer.citations) + 1))
    documents = composer.retriever.index.documents
    for c in answer.citations:
        assert documents[c.doc_id].text[c.start : c.end] == c.text


PROVIDERS = [
    Provider("码尚云", "上海码昶信息技术咨询中心"),
    Provider("西部数码", "成都西维数码科技有限公司"),
    Provider("京东云-微电云", "京东云计算有限公司", ("京东云", "微电云")),
]


@pytest.mark.parametrize(
    ("question", "intent", "topic", "providers"),
    [
        ("哪家数据保留期最长？", "superlative", "data_retention", ()),
        ("哪家滞纳金最低？", "superlative", "late_fee", ()),
        ("西部数码逾期付款怎么收滞纳金？", "lookup", "late_fee", ("西部数码",)),
        ("各家的争议解决方式分别是什么？", "listing", "dispute", ()),
        ("码尚云的保密条款在协议终止后还有效吗？", "yes_no", "confidentiality", ("码尚云",)),
        ("京东云能不能拿我们公司当案例去做推广？", "yes_no", None, ("京东云-微电云",)),
        ("阿里云的数据保留期是多久？", "out_of_scope", "data_retention", ()),
        ("码尚云账上没钱了会发生什么？", "open", None, ("码尚云",)),
        ("平台挂了一整天我能拿到什么补偿？", "listing", "outage", ()),
        ("码尚云被黑客攻了导致我用不了，他们要负责吗？", "yes_no", "attack", ("码尚云",)),
    ],
)
def test_question_analysis(question: str, intent: str, topic: str | None, providers: tuple[str, ...]) -> None:
    analysis = analyze(question, PROVIDERS)
    assert (analysis.intent, analysis.topic, analysis.providers) == (intent, topic, providers)


def test_longest_retention_names_the_winner_first_with_citations(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("哪家数据保留期最长？")
    assert not answer.refused and answer.intent == "superlative"
    text = answer.answer
    assert text.index("码尚云") < text.index("讯众云通信") < text.index("软通云商城")
    assert "30 个自然日" in text and "7日" in text
    # no value was read for them, and clauses close to the question speak of deleting data: the answer
    # does not claim these contracts are silent (issue 10: 未约定 only where the reading is sure)
    assert "京东云-微电云、西部数码的合同中没有读出明确的合同终止后的数据保留期" in text
    check_citations(answer, bundled_composer)
    assert [c.clause_id for c in answer.citations] == ["4.3", "5.(3)", "八.1"]


def test_a_new_contract_changes_the_comparison(extended_composer: Composer) -> None:
    longest = extended_composer.ask("哪家数据保留期最长？")
    assert re.search(r"最长的是星河云：.*90 个自然日", longest.answer)
    assert longest.answer.index("星河云") < longest.answer.index("码尚云")
    highest = extended_composer.ask("哪家滞纳金最高？")
    assert re.search(r"最高的是西部数码.*其次是星河云（每日 0.1%.*码尚云（每日 0.05%", highest.answer)
    lowest = extended_composer.ask("哪家滞纳金最低？")
    assert lowest.answer.startswith("逾期付款滞纳金（每日）最低的是码尚云")
    check_citations(highest, extended_composer)


def test_lookup_quotes_the_decisive_words(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("西部数码逾期付款怎么收滞纳金？")
    assert answer.answer == "西部数码：每日 0.3%，“滞纳金=应付服务费用*0.3%*拖欠天数”[1]。"
    assert answer.citations[0].clause_id == "2.2.2"
    assert "0.3%" in answer.citations[0].text


def test_listing_covers_every_provider(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("合同纠纷一般去哪里打官司？")
    for forum in (
        "北京仲裁委员会",
        "上海市浦东新区人民法院",
        "北京市大兴区",
        "成都市青羊区人民法院",
        "讯众云通信所在地",
    ):
        assert forum in answer.answer
    assert len(answer.citations) == 5
    check_citations(answer, bundled_composer)


def test_yes_no_from_a_boolean_fact(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("码尚云的保密条款在协议终止后还有效吗？")
    assert answer.answer.startswith("码尚云：是，")
    assert answer.citations[0].clause_id == "6.4"


@pytest.mark.parametrize(
    ("question", "fragment"),
    [
        ("阿里云的数据保留期是多久？", "没有阿里云的合同"),
        ("京东云的滞纳金标准是多少？", "京东云-微电云的合同中没有关于逾期付款滞纳金（每日）的约定"),
        ("西部数码的数据在服务终止后保留多久？", "西部数码的合同中没有找到明确回答这个问题的条款"),
        ("帮我写一首关于春天的诗", "没有找到明确回答这个问题的条款"),
        ("码尚云支持比特币付款吗？", "码尚云的合同中没有"),
    ],
)
def test_refusals_say_so_and_cite_nothing(bundled_composer: Composer, question: str, fragment: str) -> None:
    answer = bundled_composer.ask(question)
    assert answer.refused
    assert fragment in answer.answer
    assert answer.citations == ()
    assert "[" not in answer.answer


def test_a_provider_not_named_in_the_question_can_be_given(bundled_composer: Composer) -> None:
    answer = bundled_composer.ask("滞纳金怎么收？", provider="码尚云")
    assert answer.answer.startswith("（范围：按所选服务商码尚云）码尚云：每日 0.05%")  # the scope is said


class _OneClauseRetriever:
    """A retriever that is nothing but the protocol: always the same clause."""

    def __init__(self, hit: Hit) -> None:
        self.hit = hit
        self.asked: list[tuple[str, int, object]] = []

    def search(self, question: str, k: int = 5, *, providers: Collection[str] | None = None) -> list[Hit]:
        self.asked.append((question, k, providers))
        return [self.hit]

    def search_vector(self, question: str, providers: Collection[str] | None = None) -> np.ndarray:
        return np.zeros(8, dtype=np.float32)  # no classifier reads it here


def test_the_composer_needs_only_the_retriever_protocol(bundled_composer: Composer) -> None:
    """Any Retriever works: providers, tokenizer and IDF are the composer's arguments, not an index's."""
    text = "数据中心发生火灾时，双方应共同启动应急预案并互相通报进展。"
    clause = Clause(
        "x.txt", "码尚云", "9.9", "clause", ("应急",), 0, len(text), text, (Span(0, len(text), text),)
    )
    stub = _OneClauseRetriever(Hit(clause, 1.0, clause.sentences[0], (("dense", 0.95),)))
    composer = Composer(
        stub,
        bundled_composer.table,
        providers=bundled_composer.providers,
        tokenizer=bundled_composer.tokenizer,
        idf=bundled_composer.idf,
    )
    assert isinstance(stub, Retriever)
    question = "码尚云的数据中心发生火灾时双方应启动什么？"
    answer = composer.ask(question)
    # the retriever gets the normalised question (NFKC: ？ → ?)
    assert not answer.refused and stub.asked[0] == (normalise(question), 5, ["码尚云"])
    assert answer.citations[0].clause_id == "9.9" and answer.citations[0].text == text


def contracts_composer(tmp_path: Path, files: dict[str, str]) -> Composer:
    """A composer over a folder of these contracts (file name → text), indexed with the hashing embedder."""
    folder = tmp_path / "contracts"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return composer_for(folder, tmp_path / "index")


def starry_composer(tmp_path: Path, body: str) -> Composer:
    """A composer over one contract of 星河云 (its parties sentence, then ``body``)."""
    return contracts_composer(tmp_path, {"星河.txt": STARRY_HEAD + body})


def lumen_composer(tmp_path: Path, body: str) -> Composer:
    """A composer over one contract of 流明云 (its parties sentence, then ``body``)."""
    return contracts_composer(tmp_path, {"lumen.txt": LUMEN_HEAD + body})


def test_a_list_lead_in_is_cited_with_its_items_never_alone(tmp_path: Path) -> None:
    """…下述情况披露：is no answer; quoted with the clauses under it (or the items after it in the same
    clause), cited as the one passage they make."""
    composer = lumen_composer(
        tmp_path,
        "一、 信息披露\n"
        "1. 您应知悉您的数据在下述情况下将被流明云披露：\n"
        "1.1 依据法律法规的规定，应司法机关的要求披露；\n"
        "1.2 经您事先书面同意向第三方披露；\n"
        "1.3 为维护流明云的合法权益而披露。\n"
        "2. 流明云在以下情况下可暂停服务："
        "您欠费超过十五日；您违反法律法规；您的账号存在安全风险。\n",
    )
    answer = composer.ask("流明云什么情况下会披露我的数据？")
    check_citations(answer, composer)
    ids = [c.clause_id for c in answer.citations]
    assert not answer.refused and ids == ["一.1"]
    # the items (numbered 1.1 … under 1.) come with their lead-in, in one citation from the lead-in on
    passage = answer.citations[0].text
    assert passage.startswith("您应知悉") and passage.rstrip().endswith("为维护流明云的合法权益而披露。")
    assert "1.2 经您事先书面同意" in passage
    assert "司法机关" in answer.answer and answer.answer.count("[1]") == 1
    paused = composer.ask("流明云在哪些情况下可以暂停服务？")
    check_citations(paused, composer)
    quoted = next(c for c in paused.citations if c.clause_id == "一.2")
    assert quoted.text.rstrip().endswith("安全风险。") and "欠费超过十五日" in quoted.text


def test_a_short_item_is_quoted_after_its_lead_in_and_markup_is_not_shown(tmp_path: Path) -> None:
    """长期未使用账户 alone says nothing: a short item of a list is quoted after the lead-in above it (two
    citations: the items between are not cited), and the quote shows no markup or markup's line breaks."""
    composer = lumen_composer(
        tmp_path,
        "一、 服务终止\n"
        "1. **平台终止**：在以下情况下，流明云有权立即暂停或终止您的服务：\n"
        "1.1 违反本协议任何条款\n"
        "1.2 违反法律法规\n"
        "1.3 长期未使用账户\n"
        "1.4 平台停止运营\n"
        "2. <strong>余额</strong>：账户余额长期有效，\n"
        "   可随时申请提现到您绑定的银行账户中，提现不收取手续费。\n",
    )
    idle = composer.ask("流明云的账户长期未使用会怎么样？")
    check_citations(idle, composer)
    assert [c.clause_id for c in idle.citations] == ["一.1", "1.3"]
    assert "有权立即暂停或终止您的服务：长期未使用账户" in idle.answer and "**" not in idle.answer
    assert "违反法律法规" not in " ".join(c.text for c in idle.citations)
    cash = composer.ask("流明云账户余额提现收手续费吗？")
    check_citations(cash, composer)
    assert "长期有效，可随时申请提现" in cash.answer and "<strong>" not in cash.answer


def test_a_fact_read_from_a_lead_in_is_cited_with_its_items(tmp_path: Path) -> None:
    """以下情况可申请退款：says refunds exist only with the items under it: the fact's citation is the
    lead-in and its items, the one passage they make."""
    composer = lumen_composer(
        tmp_path,
        "一、 退款政策\n"
        "1. 以下情况可申请退款：\n"
        "1.1 账户注销时的剩余余额\n"
        "1.2 因平台原因导致的重大服务故障\n"
        "2. 退款需通过平台客服申请，审核通过后原路退回。\n",
    )
    answer = composer.ask("流明云能退款吗？")
    check_citations(answer, composer)
    cited = next(c for c in answer.citations if c.clause_id == "一.1")
    assert cited.text.startswith("以下情况可申请退款：") and cited.text.endswith("重大服务故障")


def test_a_quote_that_points_below_is_followed_by_the_clause_after_it(tmp_path: Path) -> None:
    """…只对超出部分进行扣费，具体介绍见下。 announces what the next clause says: both are quoted and
    cited."""
    composer = lumen_composer(
        tmp_path,
        "一、 计费\n"
        "1. 每个流明云账号每天享有 500 次免费接口调用额度，只对超出免费额度的部分进行扣费，具体介绍见下。\n"
        "2. 单日超过 500 次的部分按照每次 1 分钱计算，每天生成账单。\n"
        "3. 账单可在控制台查看。\n",
    )
    answer = composer.ask("流明云超出免费额度以后怎么扣费？")
    check_citations(answer, composer)
    assert [c.clause_id for c in answer.citations][-2:] == ["一.1", "一.2"]
    assert "1 分钱" in answer.answer and "控制台" not in answer.answer


def test_a_follow_up_with_a_new_subject_asks_the_previous_question_of_it(tmp_path: Path) -> None:
    """那语音识别呢？ after 对话检索每天有多少免费额度？ asks the free quota of speech recognition (the
    previous question after its own subject), and says so; 那适用哪里的法律？ asks a question of its own."""
    composer = lumen_composer(
        tmp_path,
        "一、 计费\n"
        "1. 对话检索：每日单个用户可以免费请求对话检索接口 500 次，超出部分按次计费。\n"
        "2. 语音识别：每日单个用户可以免费请求语音识别 10 分钟，超出部分按秒计费。\n"
        "3. 本协议适用中华人民共和国法律。\n",
    )
    first = "流明云的对话检索每天有多少免费额度？"
    voice = composer.ask("那语音识别呢？", history=[first])
    check_citations(voice, composer)
    assert voice.citations[0].clause_id == "一.2" and "按上一问：语音识别" in voice.answer
    law, query = with_history("那适用哪里的法律？", [first], composer.providers)
    assert not law.read_as and "免费额度" not in query


def test_a_long_question_whose_story_hides_the_answer_is_searched_by_what_it_asks(tmp_path: Path) -> None:
    """A long question tells its story first (保险公司, 身份证, 保单照片, 法务…): when nothing answers the
    whole of it, the parts that ask are searched on their own; no refusal when they find it."""
    composer = lumen_composer(
        tmp_path,
        "一、 用户信息\n"
        "1. 您上传用户个人信息之前，应已取得用户合法、充分且明确的授权。\n"
        "2. 流明云按月出具账单，您应在收到账单后七日内付款。\n",
    )
    question = (
        "我们是一家保险公司，想用流明云识别客户的身份证和保单照片，法务同事很担心合规风险。"
        "我们在上传用户个人信息之前需要满足什么条件？"
    )
    answer = composer.ask(question)
    check_citations(answer, composer)
    assert not answer.refused and answer.citations[0].clause_id == "一.1"


def test_a_one_part_question_the_quote_leaves_unanswered_gets_the_sentence_that_answers_it(
    tmp_path: Path,
) -> None:
    """低频归档存储 可用性: the clause says it after the standard storage's, which the fact quotes; a question
    asking one thing is still answered by the cited clause's sentence that says it, quoted after the fact."""
    composer = lumen_composer(
        tmp_path,
        "一、 服务可用性\n"
        "1. 流明云承诺标准存储类型服务可用性为99.95%。低频和归档存储类型服务可用性为99.9%。\n"
        "2. 可用性按自然月统计。\n",
    )
    answer = composer.ask("流明云 低频和归档存储 可用性")
    check_citations(answer, composer)
    assert "99.9%" in answer.answer.replace("99.95%", "")
    assert any(c.text.startswith("低频和归档存储") for c in answer.citations)


def test_a_clause_that_says_what_is_asked_beats_a_fact_of_the_same_topic(tmp_path: Path) -> None:
    """退款要扣多少手续费？ is on the refund topic, but the refund fact only says refunds exist: the clause
    that names the fee answers. A question the fact answers stays with the fact."""
    composer = lumen_composer(
        tmp_path,
        "一、 退款\n"
        "1. 预付费购买的云主机，您可申请退款，流明云按剩余服务期限按比例退款。\n"
        "2. 办理退款时，流明云收取退款金额的百分之二作为手续费。\n",
    )
    fee = composer.ask("流明云退款要扣多少手续费？")
    check_citations(fee, composer)
    assert not fee.refused and fee.citations[0].clause_id == "一.2"
    refund = composer.ask("流明云的云主机能退款吗？")
    check_citations(refund, composer)
    assert refund.citations[0].clause_id == "一.1"


def test_a_clause_without_the_value_asked_for_never_replaces_the_fact(tmp_path: Path) -> None:
    """违约金怎么算？ asks for a rate: a clause that says more of the question's words but states no rate
    (扣除所欠费用及违约金) does not replace the late-fee fact."""
    composer = lumen_composer(
        tmp_path,
        "一、 费用\n"
        "1. 费用未按时结清的，每逾期一日，按所欠费用的千分之一向流明云支付违约金。\n"
        "2. 您逾期付款的，流明云有权直接从您的预付费余额中扣除所欠费用及逾期付款违约金。\n",
    )
    answer = composer.ask("流明云逾期付款的违约金怎么算？")
    check_citations(answer, composer)
    assert answer.citations[0].clause_id == "一.1" and "0.1%" in answer.answer


class _StubTopics:
    """A question classifier that always names one topic."""

    def __init__(self, topic: str) -> None:
        self.asked: list[str] = []
        self._topic = topic

    def topic(self, question: str, vector: np.ndarray | None = None) -> tuple[str | None, float]:
        self.asked.append(question)
        assert vector is not None  # read by the vector its search embedded, not encoded again
        return self._topic, 0.9


def test_the_classifiers_topic_counts_only_where_a_retrieved_clause_holds_such_a_fact(tmp_path: Path) -> None:
    """A question across providers in words no question word covers gets the fact table's answer for the
    classifier's topic, saying how it was read — but only when a clause found for it holds a fact of that
    topic; a question about one provider keeps the clause that says most of it."""
    composer = contracts_composer(
        tmp_path,
        {
            "starry.txt": (
                STARRY_HEAD + "一、 数据\n1. 服务到期后，星河云将继续保存您的数据 90 个自然日，逾期删除。\n"
            ),
            "lumen.txt": (
                LUMEN_HEAD + "一、 数据\n1. 服务到期后，流明云将继续保存您的数据 30 个自然日，届满后删除。\n"
            ),
        },
    )
    question = "服务到期后我的东西还在吗？"
    assert analyze(normalise(question), composer.providers).topic is None  # no question word says it
    composer.topics = _StubTopics("data_retention")  # type: ignore[assignment]
    answer = composer.ask(question)
    check_citations(answer, composer)
    assert "理解为问：合同终止后的数据保留期" in answer.answer
    assert {c.provider for c in answer.citations} == {"星河云", "流明云"}
    assert "90" in answer.answer and "30" in answer.answer
    composer.topics = _StubTopics("late_fee")  # type: ignore[assignment]
    disagreed = composer.ask(question)  # no clause found for it holds a late fee: not taken
    assert "理解为问" not in disagreed.answer and "滞纳金" not in disagreed.answer
    composer.topics = _StubTopics("data_retention")  # type: ignore[assignment]
    one = composer.ask("星河云服务到期后我的东西还在吗？")
    check_citations(one, composer)
    assert "理解为问" not in one.answer and one.citations[0].clause_id == "一.1"


def test_an_answer_states_a_few_facts_per_contract_and_the_tier_a_stated_figure_falls_in(
    tmp_path: Path,
) -> None:
    """General terms first, at most FACTS_SHOWN per contract, the rest counted (cited nowhere); a question
    that states an availability gets the tier holding it, not every tier."""
    composer = lumen_composer(
        tmp_path,
        "一、 服务可用性\n"
        "1. 流明云承诺服务可用性不低于99.9%。\n"
        "二、 赔偿标准\n"
        "| 服务可用性 | 赔偿代金券金额 |\n|---|---|\n"
        "|低于99.9%但等于或高于99%|月度服务费的10%|\n"
        "|低于99%但等于或高于95%|月度服务费的25%|\n"
        "|低于95%但等于或高于90%|月度服务费的50%|\n"
        "|低于90%|月度服务费的100%|\n",
    )
    tier = composer.ask("流明云某个月可用性只有96%，能拿到多少赔偿？")
    check_citations(tier, composer)
    assert "25%" in tier.answer and "10%" not in tier.answer and "100%" not in tier.answer
    every = composer.ask("流明云的SLA赔偿标准是什么？")
    check_citations(every, composer)
    assert len(every.citations) == 3 and "另有 2 条针对具体产品或情形的约定" in every.answer


def test_a_topic_whose_value_was_not_read_is_answered_from_a_clause_that_says_it(tmp_path: Path) -> None:
    """The fact table reads no liability cap (the wording has no 不超过), yet a clause on the topic says it:
    the answer quotes that clause rather than refusing. A clause that shares only a side word (上限 of
    an upload limit, not 赔偿 or 责任) is never quoted for the topic."""
    composer = contracts_composer(
        tmp_path,
        {
            "朗云.txt": (
                "朗云服务协议\n本协议是杭州朗云科技有限公司（以下简称“朗云”）与您订立的协议。\n"
                "1. 责任限制\n1.1 在任何情况下，朗云的全部赔偿责任总额以一百美元或您过去十二个月"
                "支付的费用为上限。\n"
                "2. 其他\n2.1 朗云将按月向您寄送账单。\n"
            ),
            "晴空.txt": (
                "晴空服务协议\n本协议是杭州晴空科技有限公司（以下简称“晴空”）与您订立的协议。\n"
                "1. 使用\n1.1 晴空每个账号每日上传文件的数量上限为一千个。\n"
                "2. 其他\n2.1 晴空将按月向您寄送账单。\n"
            ),
        },
    )
    assert not composer.table.cell("朗云", "liability_cap")  # nothing read: the clause has no 不超过
    answer = composer.ask("朗云的赔偿责任上限是多少？")
    assert not answer.refused
    assert [c.clause_id for c in answer.citations] == ["1.1"] and "一百美元" in answer.citations[0].text
    check_citations(answer, composer)
    assert composer.ask("晴空的赔偿责任上限是多少？").refused


def test_each_part_of_a_question_the_quote_leaves_unanswered_is_quoted_from_the_same_clause(
    tmp_path: Path,
) -> None:
    """争议怎么解决？仲裁用什么语言？: the dispute fact quotes the arbitration sentence; the language is
    another sentence of the same clause, quoted after it. A question of one part gets the fact alone."""
    composer = starry_composer(
        tmp_path,
        "8. 争议解决\n8.1 因本协议产生的任何争议，双方应提交杭州仲裁委员会仲裁解决。"
        "仲裁语言为中文。"
        "仲裁费用由败诉方承担。\n9. 其他\n9.1 星河云将按月向您寄送账单。\n",
    )
    alone = composer.ask("星河云的争议怎么解决？")
    assert not alone.refused and "仲裁语言" not in alone.answer
    both = composer.ask("星河云的争议怎么解决？仲裁用什么语言？")
    assert len(both.citations) == len(alone.citations) + 1
    assert both.citations[-1].clause_id == "8.1" and both.citations[-1].text == "仲裁语言为中文。"
    assert "仲裁语言为中文" in both.answer
    check_citations(both, composer)


def test_a_fact_mentioned_without_a_figure_is_quoted_with_its_sentence(tmp_path: Path) -> None:
    """继续存储 alone says nothing a user can act on; the sentence around it (仅在一定的缓冲期内) does."""
    composer = starry_composer(
        tmp_path,
        "1. 数据\n1.1 服务期满或协议终止后，星河云仅在一定的缓冲期（以您所订购的服务适用的"
        "专有条款、"
        "产品文档、服务说明、控制台页面及官网公告等载明的时限为准）内继续存储您的用户业务数据。\n",
    )
    (fact,) = composer.table.cell("星河云", "data_retention")
    assert fact.state == "mentioned" and "缓冲期" not in fact.wording  # the decisive words alone: 继续存储
    answer = composer.ask("星河云服务终止后数据保留多久？")
    assert "仅在一定的缓冲期" in answer.answer
    check_citations(answer, composer)


def test_who_the_provider_is_is_answered_with_the_entity_where_the_contract_names_it(tmp_path: Path) -> None:
    composer = starry_composer(tmp_path, STARRY.removeprefix(STARRY_HEAD))
    for question in ("星河云的签约主体是哪家公司？", "星河云 运营主体"):
        answer = composer.ask(question)
        assert not answer.refused and "杭州星河数据科技有限公司" in answer.answer
        assert "杭州星河数据科技有限公司" in answer.citations[0].text
        check_citations(answer, composer)


def test_a_court_named_by_a_place_defined_elsewhere_is_answered_with_that_place(tmp_path: Path) -> None:
    composer = starry_composer(
        tmp_path,
        "九、 争议解决\n1. 本协议签订地为浙江省杭州市西湖区。本协议适用中华人民共和国法律。\n"
        "2. 因本协议产生的争议，双方应提交本协议签订地有管辖权的人民法院诉讼解决。\n",
    )
    answer = composer.ask("星河云出了纠纷去哪个法院？")
    assert "浙江省杭州市西湖区" in answer.answer
    assert any(c.text == "本协议签订地为浙江省杭州市西湖区。" for c in answer.citations)
    check_citations(answer, composer)


class _ListRetriever:
    """A retriever returning fixed hits in a fixed order."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits

    def search(self, question: str, k: int = 5, *, providers: Collection[str] | None = None) -> list[Hit]:
        return self.hits[:k]

    def search_vector(self, question: str, providers: Collection[str] | None = None) -> np.ndarray:
        return np.zeros(8, dtype=np.float32)  # no classifier reads it here


def test_a_clause_saying_clearly_more_of_the_question_beats_a_closer_ranked_one(
    bundled_composer: Composer,
) -> None:
    """Retrieval ranks a clause that says one of the question's words first; the composer quotes the one
    that says clearly more of them, and keeps retrieval's order when two say about as much."""
    texts = ["码尚云的机房每年巡检一次。", "机房发生火灾时，码尚云应启动应急预案并通报进展。"]
    clauses = [
        Clause("x.txt", "码尚云", f"9.{n}", "clause", (), 0, len(t), t, (Span(0, len(t), t),))
        for n, t in enumerate(texts, start=1)
    ]
    hits = [Hit(c, 1.0, c.sentences[0], (("dense", 0.95),)) for c in clauses]
    composer = Composer(
        _ListRetriever(hits),
        bundled_composer.table,
        providers=bundled_composer.providers,
        tokenizer=bundled_composer.tokenizer,
        idf=bundled_composer.idf,
    )
    answer = composer.ask("码尚云的机房发生火灾时应启动什么预案？")
    assert [c.clause_id for c in answer.citations] == ["9.2"]
    assert composer.ask("码尚云的机房多久巡检一次？").citations[0].clause_id == "9.1"


def test_a_clause_the_fact_points_at_is_cited_only_when_the_quoted_words_point_at_it(tmp_path: Path) -> None:
    """可用性不低于99.9% is the fact; the same sentence's 根据本协议第2条约定获得赔偿 lies outside the quoted
    words, so clause 2 (how compensation works) is no evidence for the availability asked about."""
    composer = starry_composer(
        tmp_path,
        "1. 星河云提供的本服务可用性不低于99.9%，如未达到上述可用性标准，您可以根据本协议"
        "第2条约定获得赔偿。\n2. 如服务可用性低于标准，您有权按照如下条款约定获得代金券赔偿：\n"
        "2.1 低于99.9%但等于或高于99%的，赔偿月度服务费的10%。\n",
    )
    (fact,) = composer.table.cell("星河云", "sla_availability")
    assert [r.clause_id for r in fact.refs] == ["2"]  # resolved, and still not cited
    answer = composer.ask("星河云承诺的服务可用性是多少？")
    check_citations(answer, composer)
    assert not answer.refused and "99.9%" in answer.answer
    assert "2" not in [c.clause_id for c in answer.citations]


def test_the_same_words_in_two_clauses_are_stated_once(tmp_path: Path) -> None:
    composer = starry_composer(
        tmp_path,
        "1. 服务可用性\n1.1 对于单实例维度，星河云承诺一个服务周期内产品服务的服务可用性不低于99%；\n"
        "1.2 对于多实例维度，星河云承诺一个服务周期内产品服务的服务可用性不低于99%。\n",
    )
    answer = composer.ask("星河云承诺的服务可用性是多少？")
    check_citations(answer, composer)
    assert not answer.refused and answer.answer.count("不低于99%") == 1 and len(answer.citations) == 1


def test_only_the_list_items_an_answer_shows_are_cited(tmp_path: Path) -> None:
    """A long list is shown up to a readable length and then ……; an item cut off is not cited: the one
    passage cited ends with the last item shown."""
    items = "".join(
        f"1.{n} 您的账号在第{n}类情形下存在被他人冒用、盗用、用于发送垃圾信息或者违法内容的安全风险，"
        "星河云可以在不事先通知的情况下采取措施。\n"
        for n in range(1, 7)
    )
    composer = lumen_composer(tmp_path, "一、 账号冻结\n1. 流明云在以下情况下可冻结您的账号：\n" + items)
    answer = composer.ask("流明云什么情况下会冻结我的账号？")
    check_citations(answer, composer)
    assert not answer.refused and "……" in answer.answer
    (passage,) = answer.citations
    assert passage.clause_id == "一.1" and passage.text.startswith("流明云在以下情况下")
    shown = [n for n in range(1, 7) if f"第{n}类情形" in answer.answer]
    assert 0 < len(shown) < 6
    assert f"1.{shown[-1]} " in passage.text and f"1.{shown[-1] + 1} " not in passage.text


def test_a_run_jieba_glued_together_weighs_as_the_words_inside_it(tmp_path: Path) -> None:
    """我存的东西 cuts as 我存 / 东西: 我存 is no word, and no clause can say it; it must not count as an
    unanswered part of the question (存 is, when a contract uses it alone)."""
    composer = lumen_composer(tmp_path, "一、 数据\n1. 您存在流明云的东西，未经您授权，流明云不得访问。\n")
    assert not composer.tokenizer.known("我存") and composer.tokenizer.known("东西")
    weights, _ = composer.explained("员工能随便看我存的东西吗？", "", ())
    assert "我存" not in weights and "东西" in weights


def test_english_contract_words_in_a_chinese_question_find_the_chinese_clause(tmp_path: Path) -> None:
    """bill / pay / suspend are the contract's 账单 / 支付 / 暂停 (the everyday-word table's English part)."""
    composer = lumen_composer(
        tmp_path,
        "一、 费用\n1. 您应在收到账单之日起15日内支付服务费。\n"
        "2. 流明云有权在您欠费时暂停服务。\n"
        "二、 其他\n1. 本协议自您点击同意之日起生效。\n",
    )
    answer = composer.ask("流明云的 bill 收到以后多久之内要 pay？")
    check_citations(answer, composer)
    assert not answer.refused and answer.citations[0].clause_id == "一.1"
    assert "15日" in answer.answer


def test_variant_and_everyday_account_words_find_the_contracts_word(tmp_path: Path) -> None:
    """帐号 (a variant users type) and 账号 find a clause that says 账户."""
    composer = lumen_composer(
        tmp_path,
        "一、 账户\n1. 您的流明云账户仅限本人使用，不可转让、不可赠与、不可继承。\n"
        "二、 其他\n1. 本协议自您点击同意之日起生效。\n",
    )
    clause = "您的流明云账户仅限本人使用，不可转让、不可赠与、不可继承。"
    for question in ("流明云的帐号能转让给别人吗？", "流明云的账号能转让给别人吗？"):
        answer = composer.ask(question)
        check_citations(answer, composer)
        assert not answer.refused and answer.citations[0].clause_id == "一.1"
        _, said = composer.explained(question, clause, ("流明云",))
        assert {"转让"} < said and ({"帐号", "账号"} & said)  # the account word counts as said


def test_a_contract_the_question_singles_out_answers_and_its_follow_ups_stay_with_it(tmp_path: Path) -> None:
    """星河云 has a general agreement and an object-storage agreement: a question naming 对象存储 is answered
    from that contract, and so is a follow-up in the same conversation that names nothing."""
    composer = contracts_composer(
        tmp_path,
        {
            "general.txt": STARRY_HEAD + "一、 服务中断\n1. 服务中断时，星河云将尽快恢复服务，"
            "中断超过24小时的，您可以要求星河云赔偿。\n二、 发票\n1. 星河云按月为您开具发票。\n",
            "storage.txt": "星河云对象存储服务条款\n"
            "为使用星河云对象存储服务（以下简称“本服务”），您应当阅读本条款。本条款是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
            "一、 服务中断\n1. 本服务中断的，星河云延长您的服务期。\n"
            "二、 发票\n1. 对象存储的费用按季度开具发票。\n",
        },
    )
    answer = composer.ask("星河云对象存储服务中断了怎么处理？")
    check_citations(answer, composer)
    assert not answer.refused and answer.citations[0].doc_id == "storage.txt"
    follow = composer.ask("发票怎么开？", history=["星河云对象存储服务中断了怎么处理？"])
    check_citations(follow, composer)
    assert not follow.refused and follow.citations[0].doc_id == "storage.txt"


def test_a_share_is_highest_not_longest_and_a_verdict_is_said_once(tmp_path: Path) -> None:
    """哪家可用性最高？ ranks percentages: 最高, not 最长 (a duration's word); a yes/no answer whose fact
    already says 否 (否，已付费用不予退还) does not say it twice."""
    composer = contracts_composer(
        tmp_path,
        {
            "星河.txt": STARRY_HEAD + "一、 服务\n1. 星河云承诺服务可用性不低于99.95%。\n"
            "2. 服务费一经支付，不予退还。\n",
            "lumen.txt": LUMEN_HEAD + "一、 服务\n1. 流明云承诺服务可用性不低于99.9%。\n",
        },
    )
    ranked = composer.ask("哪家可用性最高？")
    check_citations(ranked, composer)
    assert "最高的是星河云" in ranked.answer and "最长" not in ranked.answer
    refund = composer.ask("星河云的服务费能退吗？")
    check_citations(refund, composer)
    assert refund.answer.startswith("星河云：否，") and "否，否" not in refund.answer


def test_a_title_word_in_the_question_singles_out_that_contract_of_the_provider(tmp_path: Path) -> None:
    """星河云 has domain terms and a storage SLA; 域名 in the question (its title's own word, 域名服务 to
    jieba) singles out the domain terms, whose refund clause answers alone; 服务 / 协议 (in every title)
    single out nothing."""
    head = "本协议是星河云与您订立的协议。\n"
    composer = contracts_composer(
        tmp_path,
        {
            "domain.md": "\n\n## 域名服务协议\n\n" + head + "一、 费用\n"
            "1. 域名注册成功后，所缴纳的费用不予退还。\n",
            "storage.md": "# 对象存储服务等级协议（SLA）\n\n" + head + "一、 费用\n"
            "1. 服务终止的，已付费用不予退还。\n",
        },
    )
    answer = composer.ask("星河云的域名注册成功以后还能退款吗？")
    check_citations(answer, composer)
    assert not answer.refused and {c.doc_id for c in answer.citations} == {"domain.md"}
    both = composer.ask("星河云的服务协议里已付费用能退款吗？")
    assert {c.doc_id for c in both.citations} == {"domain.md", "storage.md"}


def test_a_follow_up_that_names_one_contract_of_the_provider_keeps_the_topic(tmp_path: Path) -> None:
    """那星河云域名呢？ after a retention question: 域名 names one of 星河云's contracts (its title's
    word), so it is the same question about that contract, not a new one."""
    head = "本协议是星河云与您订立的协议。\n"
    composer = contracts_composer(
        tmp_path,
        {
            "domain.md": "## 域名服务协议\n\n"
            + head
            + "一、 数据\n1. 服务期满后，星河云将保留您的数据30天。\n",
            "storage.md": "# 对象存储服务协议\n\n"
            + head
            + "一、 数据\n1. 服务期满后，星河云将保留您的数据7天。\n",
            "lumen.txt": LUMEN_HEAD + "一、 数据\n1. 服务期满后，流明云将保留您的数据15天。\n",
        },
    )
    answer = composer.ask("那星河云域名呢？", history=["流明云到期后数据保留多久？"])
    check_citations(answer, composer)
    assert answer.answer.startswith("（按上一问：") and "30" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"domain.md"}


def test_a_follow_up_naming_another_contract_is_answered_from_that_contract_alone(tmp_path: Path) -> None:
    """星河云对象存储 (a table per storage class) then 那星河云短信呢？: 短信 singles out the SMS SLA,
    whose own availability answers; the storage table's row the earlier question named (标准存储) is not
    closer, and the provider's name, written in some titles, decides nothing."""
    head = "本协议是星河云与您订立的协议。\n"
    composer = contracts_composer(
        tmp_path,
        {
            "storage.md": "# 星河云对象存储服务等级协议\n\n" + head + "一、 服务可用性承诺\n"
            "1. 星河云对象存储分别承诺服务可用性如下：\n\n|存储类型|服务可用性标准|\n|---|---|\n"
            "|标准存储|99.9%|\n|低频存储|99.0%|\n",
            "sms.md": "# 星河云短信服务等级协议\n\n"
            + head
            + "一、 服务可用性\n1. 星河云提供的本服务可用性不低于 95%。\n",
        },
    )
    first = "星河云对象存储标准存储的可用性是多少？"
    assert "99.9" in composer.ask(first).answer
    answer = composer.ask("那星河云短信呢？", history=[first])
    check_citations(answer, composer)
    assert "95" in answer.answer and {c.doc_id for c in answer.citations} == {"sms.md"}


def test_a_question_asking_a_kind_of_value_its_topic_facts_are_not(tmp_path: Path) -> None:
    """没达标的赔偿最晚什么时候要提？ is on the SLA topic, whose facts are percentages; it asks a date, so the
    clause on the topic stating one answers. Asked beside what the facts say (能拿到什么赔偿？), both."""
    composer = starry_composer(
        tmp_path,
        "1. 星河云提供的本服务可用性不低于99.9%。\n"
        "2. 可用性低于99.9%但等于或高于99%的，赔偿月度服务费的10%；低于99%的，赔偿月度服务费的25%。\n"
        "3. 服务没达标的赔偿，最晚须在相关月份结束后两（2）个月内提出。\n",
    )
    answer = composer.ask("星河云没达标的赔偿最晚什么时候提出？")
    check_citations(answer, composer)
    assert not answer.refused and "两（2）个月" in answer.answer
    assert [c.clause_id for c in answer.citations] == ["3"]
    both = composer.ask("星河云没达标能拿到什么赔偿？没达标的赔偿最晚什么时候提出？")
    check_citations(both, composer)
    assert "10%" in both.answer and "两（2）个月" in both.answer
    assert {"2", "3"} <= {c.clause_id for c in both.citations}


def test_a_long_clause_is_quoted_by_its_sentence_stating_the_kind_of_value_asked(tmp_path: Path) -> None:
    """多久？ over a long clause whose closest sentence states no length of time: the clause's sentence that
    states one is quoted instead."""
    composer = starry_composer(
        tmp_path,
        "3. 体验实例\n我们为每个应用免费赠送一个体验实例，免费体验实例能运行开发者的云引擎代码。"
        "体验实例不能扩容，也不能绑定自定义域名，部署后即可使用，日志保留在控制台中供开发者随时查看、搜索和下载到本地。"
        "每次最多 18 个小时，超出后会被强制休眠，休眠后有新的请求则重新启动。\n",
    )
    answer = composer.ask("星河云的免费体验实例一天最多能运行多久？")
    check_citations(answer, composer)
    assert not answer.refused and "18 个小时" in answer.answer
    assert all("赠送" not in c.text for c in answer.citations)
