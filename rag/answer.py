"""The rule-based answer composer: question analysis, fact lookups, comparisons, extractive answers, refusals.

No LLM: every sentence of an answer is built from a cited span, and the value it states (a number, a court,
a rate) occurs inside that span. When nothing retrieved supports an answer the composer says so
(``refused``) and presents no citation as support.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.protocols import Retriever
from core.records import Answer, Citation, Fact, Hit, Provider
from index.textproc import ChineseTokenizer
from rag.facts import ATTRIBUTES, FactTable
from rag.retrieve import provider_names_in, without_names

#: Cloud providers a user may ask about that are not in the corpus (general market names): naming one gets
#: an honest "not in the contracts" instead of another provider's clauses.
OTHER_PROVIDERS = (
    "阿里云",
    "腾讯云",
    "华为云",
    "百度智能云",
    "百度云",
    "金山云",
    "优刻得",
    "UCloud",
    "青云",
    "QingCloud",
    "天翼云",
    "移动云",
    "联通云",
    "火山引擎",
    "七牛云",
    "又拍云",
    "浪潮云",
    "AWS",
    "亚马逊云",
    "Azure",
    "微软云",
    "谷歌云",
    "Google Cloud",
    "Oracle Cloud",
    "IBM Cloud",
)

#: Per-topic words a question must also contain, where the topic word alone is ambiguous
#: (发票 can ask about the deadline or about what an invoice includes).
TOPIC_NEEDS = {
    "invoice": r"多久|几天|多少天|多少个工作日|期限|时间|什么时候|多长|内提出|之内",
    "freeze": r"多久|几天|多少天|期限|宽限|之内|内",
    "force_majeure": r"通知|告诉|证明|多久|几天|多少天|期限",
    "confidentiality": r"终止|到期|结束|之后|以后|失效|有效",
    "backup": r"谁|负责|义务|责任|需要|要不要|自己|吗",
    "dispute": r"哪|什么|怎么解决|如何解决|管辖|仲裁|去哪",
    "support": r"时间|几点|小时|多久|全天|24|什么时候|哪些|服务",
}
#: Words that ask, not say what about: left out when judging whether a clause covers a question.
_FILLER = (
    "多少 多长 时间 什么 哪里 哪儿 哪个 怎么办 怎么 怎样 如何 几天 几 规定 约定 条款 协议 合同 "
    "服务商 平台 公司 他们 我们 你们 要求 情况 问题 发生 需要 可以 能 一般 具体 有关 关于 提供"
)
QUESTION_FILLER = frozenset(_FILLER.split())

SHORT_CLAUSE = 120
_SUPERLATIVE_MAX = r"最长|最高|最多|最大|最久|最严|最贵|最晚"
_SUPERLATIVE_MIN = r"最短|最低|最少|最小|最快|最便宜|最宽松|最早"
_LISTING = r"各家|分别|每家|各个|所有|哪些家|哪几家|都是|一般"
_YES_NO = (
    r"是否|能不能|能否|可不可以|可否|会不会|有没有|要不要|需不需要|需要.*吗|吗[？?]?\s*$"
    r"|(?<![什怎这那多])么[？?]?\s*$"  # 么 ends a yes/no question, but not 什么 / 怎么
)


@dataclass(frozen=True, slots=True)
class Analysis:
    providers: tuple[str, ...]  # providers of the corpus the question names
    unknown_providers: tuple[str, ...]  # providers it names that the corpus does not have
    topic: str | None
    attributes: tuple[str, ...]
    intent: str  # lookup, superlative, listing, yes_no, open, out_of_scope
    direction: str | None = None  # "max" or "min" for superlatives


def analyze(question: str, providers: Collection[Provider]) -> Analysis:
    named = tuple(provider_names_in(question, providers))
    known = {n for p in providers for n in p.names}
    unknown = tuple(o for o in OTHER_PROVIDERS if o in question and not any(o in k or k in o for k in known))
    best: tuple[int, int, str] | None = None
    for key, attribute in ATTRIBUTES.items():
        for word in attribute.question_words:
            if word in question and (best is None or (attribute.priority, len(word)) > best[:2]):
                best = (attribute.priority, len(word), key)
    topic = ATTRIBUTES[best[2]].topic if best else None
    if topic in TOPIC_NEEDS and not re.search(TOPIC_NEEDS[topic], question):
        topic = None
    attributes = tuple(k for k, a in ATTRIBUTES.items() if a.topic == topic) if topic else ()
    direction = (
        "max"
        if re.search(_SUPERLATIVE_MAX, question)
        else "min"
        if re.search(_SUPERLATIVE_MIN, question)
        else None
    )
    if unknown and not named:
        intent = "out_of_scope"
    elif direction and re.search(r"哪家|哪个|哪一家|谁|哪", question):
        intent = "superlative"
    elif re.search(_LISTING, question):
        intent = "listing"
    elif re.search(_YES_NO, question):
        intent = "yes_no"
    elif topic and not named:
        intent = "listing"
    elif topic:
        intent = "lookup"
    else:
        intent = "open"
    return Analysis(named, unknown, topic, attributes, intent, direction)


@dataclass
class _Draft:
    """An answer being written: sentences with their citation markers."""

    parts: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    def cite(self, citation: Citation) -> str:
        for n, existing in enumerate(self.citations, start=1):
            if (existing.doc_id, existing.start, existing.end) == (
                citation.doc_id,
                citation.start,
                citation.end,
            ):
                return f"[{n}]"
        self.citations.append(citation)
        return f"[{len(self.citations)}]"

    def add(self, text: str) -> None:
        self.parts.append(text)


def _quote(fact: Fact) -> str:
    return f"“{fact.wording}”" if fact.wording and fact.wording not in fact.display else ""


class Composer:
    """Answers questions from the fact table and the retriever.

    What it needs to read a question is passed in, not reached through the retriever: the providers of the
    corpus, the tokenizer (with its everyday-word table) and the corpus' IDF, which weighs how much of a
    question a clause covers.
    """

    def __init__(
        self,
        retriever: Retriever,
        table: FactTable,
        *,
        providers: Collection[Provider],
        tokenizer: ChineseTokenizer,
        idf: Mapping[str, float],
        min_coverage: float = 0.5,
        min_dense: float = 0.9,
    ) -> None:
        self.retriever = retriever
        self.table = table
        self.providers = list(providers)
        self.tokenizer = tokenizer
        self.idf = idf
        self.min_coverage = min_coverage
        self.min_dense = min_dense

    # --- fact answers ---------------------------------------------------------------------------------

    def _facts(self, provider: str, attributes: Sequence[str]) -> list[Fact]:
        return [f for a in attributes for f in self.table.cell(provider, a)]

    def _statement(self, draft: _Draft, fact: Fact) -> str:
        quote = _quote(fact)
        where = self.table.document_label(fact)
        if fact.qualifier and fact.qualifier not in fact.display:  # a product's own terms, an SLA tier
            where += f"{fact.qualifier}："
        refs = "".join(f"（所指第 {r.clause_id} 条{draft.cite(r)}）" for r in fact.refs)
        return f"{where}{fact.display}{('，' + quote) if quote else ''}{draft.cite(fact.citation)}{refs}"

    def _label(self, analysis: Analysis) -> str:
        return ATTRIBUTES[analysis.attributes[0]].label

    def _from_facts(self, question: str, analysis: Analysis) -> Answer | None:
        targets = list(analysis.providers) or list(self.table.providers)
        found = {p: self._facts(p, analysis.attributes) for p in targets}
        stated = [p for p in targets if found[p]]
        missing = [p for p in targets if not found[p]]
        label = self._label(analysis)
        if not stated:
            return None
        draft = _Draft()
        if analysis.intent == "superlative":
            primary = analysis.attributes[0]
            ranked = []
            for p in stated:
                values = [f for f in found[p] if f.attribute == primary and isinstance(f.value, int | float)]
                if values:
                    pick = max if analysis.direction == "max" else min
                    ranked.append((p, pick(values, key=lambda f: float(f.value))))  # type: ignore[arg-type]
            reverse = analysis.direction == "max"
            ranked.sort(key=lambda pf: float(pf[1].value), reverse=reverse)  # type: ignore[arg-type]
            if ranked:
                top, fact = ranked[0]
                word = "最长" if reverse else "最短"
                if ATTRIBUTES[primary].unit in ("%/日", "倍"):
                    word = "最高" if reverse else "最低"
                draft.add(f"{label}{word}的是{top}：{self._statement(draft, fact)}")
                rest = [f"{p}（{self._statement(draft, f)}）" for p, f in ranked[1:]]
                if rest:
                    draft.add("其次是" + "、".join(rest))
            others = [p for p in stated if p not in {p for p, _ in ranked}]
            for p in others:
                draft.add(f"{p}：{'；'.join(self._statement(draft, f) for f in found[p])}")
        else:
            for p in stated:
                statements = "；".join(self._statement(draft, f) for f in found[p])
                prefix = ""
                if analysis.intent == "yes_no" and all(isinstance(f.value, bool) for f in found[p]):
                    prefix = "否，" if any(f.value is False for f in found[p]) else "是，"
                draft.add(f"{p}：{prefix}{statements}")
        if missing:
            draft.add(f"{'、'.join(missing)}的合同未约定{label}")
        return Answer(question, "。".join(draft.parts) + "。", False, analysis.intent, tuple(draft.citations))

    # --- extractive answers ---------------------------------------------------------------------------

    def coverage(self, question: str, hit: Hit, providers: Sequence[str]) -> float:
        """Share of the question's content words (IDF-weighted) that the hit's clause says, directly or
        through the everyday-word table (挂了 is covered by 故障). Words that only ask (多少, 什么) and the
        providers' names do not count."""
        tokenizer = self.tokenizer
        named = [p for p in self.providers if p.name in providers]

        text = without_names(question, named) if named else question
        words = [w for w in dict.fromkeys(tokenizer.tokenize(text)) if w not in QUESTION_FILLER]
        if not words:
            return 0.0
        clause_words = set(tokenizer.tokenize(" ".join((*hit.clause.heading_path, hit.clause.text))))
        explained = {w for w in words if w in clause_words}
        for key, expansion in tokenizer.synonyms.items():
            if key in text and any(set(tokenizer.tokenize(e)) & clause_words for e in expansion):
                explained.update(w for w in words if w in key or key in w)
        idf = self.idf
        top = max(idf.values(), default=1.0)
        weight = {w: idf.get(w, top) for w in words}  # a word the corpus never uses weighs the most
        return sum(weight[w] for w in explained) / sum(weight.values())

    def supported(self, question: str, hit: Hit, providers: Sequence[str]) -> bool:
        """Evidence strong enough to answer from: the clause says most of what the question asks about, or
        says some of it and the model finds it very close in meaning (paraphrases share few words)."""
        coverage = self.coverage(question, hit, providers)
        dense = dict(hit.scores).get("dense", 0.0)
        return coverage >= self.min_coverage or (coverage >= 0.1 and dense >= self.min_dense)

    def _extractive(self, question: str, analysis: Analysis) -> Answer | None:
        providers = list(analysis.providers) or None
        hits = self.retriever.search(question, 5, providers=providers)
        strong = [h for h in hits if self.supported(question, h, analysis.providers)]
        if not strong:
            return None
        chosen: list[Hit] = []
        if providers and len(providers) == 1:
            chosen = strong[:1]
        else:
            seen: set[str] = set()
            for hit in strong:
                if hit.clause.provider not in seen:
                    seen.add(hit.clause.provider)
                    chosen.append(hit)
            chosen = chosen[:3]
        draft = _Draft()
        for hit in chosen:
            c = hit.clause
            # A short clause is quoted whole (its sentences explain each other), a long one by its best
            # sentence.
            span = (
                (c.start, c.end, c.text)
                if len(c.text) <= SHORT_CLAUSE
                else (hit.span.start, hit.span.end, hit.span.text)
            )
            citation = Citation(c.doc_id, c.provider, c.clause_id, *span)
            draft.add(f"{c.provider}合同第 {c.clause_id} 条：“{span[2]}”{draft.cite(citation)}")
        return Answer(question, "；".join(draft.parts) + "。", False, analysis.intent, tuple(draft.citations))

    # --- public ---------------------------------------------------------------------------------------

    def ask(self, question: str, provider: str | None = None) -> Answer:
        question = question.strip()
        analysis = analyze(question, self.providers)
        if provider and analysis.intent != "out_of_scope":  # a filter never overrides 阿里云 in the question
            analysis = replace(analysis, providers=(provider,))
        if analysis.intent == "out_of_scope":
            names = "、".join(analysis.unknown_providers)
            corpus = "、".join(self.table.providers)
            return Answer(
                question,
                f"已收录的合同中没有{names}的合同，无法回答。已收录的服务商：{corpus}。",
                True,
                analysis.intent,
                (),
            )
        if analysis.attributes:  # a topic the fact table covers: its facts, or "not stated"
            answer = self._from_facts(question, analysis)
        else:
            answer = self._extractive(question, analysis)
        if answer is not None:
            return answer
        scope = "、".join(analysis.providers) + "的" if analysis.providers else ""
        what = f"关于{self._label(analysis)}的约定" if analysis.attributes else "能回答这个问题的约定"
        return Answer(question, f"已收录的{scope}合同中没有{what}。", True, analysis.intent, ())
