"""The rule-based answer composer: question analysis, fact lookups, comparisons, extractive answers, refusals.

No LLM: every sentence of an answer is built from a cited span, and the value it states (a number, a court,
a rate) occurs inside that span. When nothing retrieved supports an answer the composer says so
(``refused``) and presents no citation as support.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from core.protocols import Retriever
from core.records import Answer, Citation, Clause, Fact, Hit, Provider
from core.text import abbreviated_in, strip_markup
from index.textproc import ChineseTokenizer
from rag.catalog import about
from rag.complete import completed
from rag.draft import (
    Draft,
    definitions_last,
    fact_verdict,
    joined,
    list_items,
    one_span,
    quote,
    quoted_for,
    referenced,
    shown_list,
    value_sentence,
    with_items,
)
from rag.facts import ATTRIBUTES, FactTable, facts_shown
from rag.identity import identity_answer
from rag.names import names_spelled_right
from rag.references import PATTERNS
from rag.rerank import Reranker, feature_rows
from rag.retrieve import without_names
from rag.topics import QuestionTopics, inferred_topic
from rag.understand import (
    QUESTION_FILLER,
    Analysis,
    asked_types,
    asks_besides,
    asks_identity,
    focused,
    gives_asked_first,
    normalise,
    states_value,
    verdict,
    with_history,
)

#: How much more of a question (IDF-weighted share) a found clause must say than the cited facts' clauses to
#: answer instead of them, when it carries the topic's cues and states a value of the type asked. Calibrated
#: on dev set v2 (answers right of 280): without this step 172; comparing cited sentences, margin 0.35 → 175,
#: 0.25 → 176, 0.15 → 178, 0.05 → 182 (181 with the cue check); comparing clauses with both checks, 0.1 → 180
#: (0.05 → 179, 0 → 173 without the value check).
CLOSER_MARGIN = 0.1
VALUE_MARGIN = 0.3  # coverage a clause stating the asked kind of value may lack (0.1 → 0.3: probe 2 +1)
#: The model's similarity from which a clause saying some of a question (coverage ≥ 0.1) answers. Over dev
#: and three private probes (right answers + unanswerables refused): 0.9 → 0.89 gained 1 + 0 + 2 + 2; 0.88
#: gained on unseen contracts but refused 2 fewer unanswerables on dev and probe 2.
MIN_DENSE = 0.89
TOKEN_CACHE = 8192  # clause texts and questions whose tokens the composer keeps
FACTS_SHOWN = 3  # facts stated per contract in a lookup or listing (general terms first)
CANDIDATES = 30  # retrieved clauses the reranker re-scores
RELATED = 3  # closest clauses listed (never as support) when nothing answers the question
_SCOPE_NOTE = {"filter": "按所选服务商", "history": "沿用上文的"}


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
        min_coverage: float = 0.3,
        min_dense: float = MIN_DENSE,
        reranker: Reranker | None = None,
        clauses: Sequence[Clause] = (),
        topics: QuestionTopics | None = None,
        texts: Mapping[str, str] | None = None,
    ) -> None:
        self.reranker = reranker
        self.texts = texts or {}  # the documents' texts, so a list and its items are cited as one passage
        self.topics = topics
        self.clause_of = {(c.doc_id, c.clause_id): c for c in clauses}
        self.children = list_items(clauses)  # a clause's items: the clauses under it
        self.retriever = retriever
        self.table = table
        self.providers = list(providers)
        self.tokenizer = tokenizer
        self.idf = idf
        self.min_coverage = min_coverage
        self.min_dense = min_dense
        # a question is read against many clauses, and clauses recur across questions: tokenise each once
        self._tokens = lru_cache(maxsize=TOKEN_CACHE)(lambda text: frozenset(tokenizer.tokenize(text)))
        self._asked = lru_cache(maxsize=TOKEN_CACHE)(self._without_providers)
        self._words = lru_cache(maxsize=TOKEN_CACHE)(self._question_words)

    def _without_providers(self, question: str, providers: tuple[str, ...]) -> str:
        named = [p for p in self.providers if p.name in providers]
        return without_names(question, named) if named else question

    # --- fact answers ---------------------------------------------------------------------------------

    def _facts(
        self, provider: str, attributes: Sequence[str], documents: Sequence[str] = (), question: str = ""
    ) -> list[Fact]:
        """The provider's facts; only the named contract's when the question singles one out, and only a
        product section's when the question names that product (弹性容器实例 among Alibaba's 20)."""
        facts = [f for a in attributes for f in self.table.cell(provider, a)]
        # the contract the question singles out, when the provider has it (its other contracts answer
        # only for a provider the question names no contract of)
        ours = [f for f in facts if f.citation.doc_id in documents]
        chosen = (
            ours if ours or any(d in self.table.documents.get(provider, ()) for d in documents) else facts
        )
        named = [f for f in chosen if f.qualifier and normalise(f.qualifier) in question]
        return named or chosen

    def _statement(self, draft: Draft, fact: Fact) -> str:
        words = quote(fact)
        where = self.table.document_label(fact)
        if fact.qualifier and fact.qualifier not in fact.display:  # a product's own terms, an SLA tier
            where += f"{fact.qualifier}："
        # a clause the fact points at, cited only when the words shown make the reference (签订地, 第3条)
        pointing = any(p.search(fact.display + words) for _, p in PATTERNS)
        refs = "".join(
            f"（所指第 {r.clause_id} 条{referenced(r)}{draft.cite(r)}）" for r in fact.refs if pointing
        )
        marks = draft.cite(with_items(fact.citation, self.children, self.texts))  # a lead-in: with its items
        return f"{where}{fact.display}{('，' + words) if words else ''}{marks}{refs}"

    def _label(self, analysis: Analysis) -> str:
        return ATTRIBUTES[analysis.attributes[0]].label

    def _from_facts(self, question: str, analysis: Analysis) -> Answer | None:
        targets = list(analysis.providers) or list(self.table.providers)
        found = {p: self._facts(p, analysis.attributes, analysis.documents, question) for p in targets}
        stated = [p for p in targets if found[p]]
        missing = [p for p in targets if not found[p]]
        label = self._label(analysis)
        if not stated:
            return None
        draft = Draft()
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
                if ATTRIBUTES[primary].type != "duration":  # a rate, a share, a multiple: 最高 / 最低
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
                shown, left = facts_shown(found[p], question, FACTS_SHOWN)
                statements = "；".join(self._statement(draft, f) for f in shown)
                statements += f"；另有 {left} 条针对具体产品或情形的约定" if left else ""
                prefix = ""
                if analysis.intent == "yes_no":
                    prefix = fact_verdict(found[p]) + "，"
                    if all(f.display.startswith(prefix) for f in shown):  # 否，已付费用不予退还: said once
                        statements = re.sub(rf"(^|》|；){prefix}", r"\1", statements)
                draft.add(f"{p}：{prefix}{statements}")
        if missing:
            draft.add(self._missing(question, analysis, missing, label))
        return Answer(question, "。".join(draft.parts) + "。", False, analysis.intent, tuple(draft.citations))

    # --- extractive answers ---------------------------------------------------------------------------

    def coverage(self, question: str, hit: Hit, providers: Sequence[str]) -> float:
        """Share of the question's content words (IDF-weighted) that the hit's clause says, directly or
        through the everyday-word table (挂了 is covered by 故障). Words that only ask (多少, 什么) and the
        providers' names do not count."""
        return self.text_coverage(question, " ".join((*hit.clause.heading_path, hit.clause.text)), providers)

    def text_coverage(self, question: str, text: str, providers: Sequence[str]) -> float:
        """:meth:`coverage` of any text (a cited sentence rather than a whole clause)."""
        weight, explained = self.explained(question, text, providers)
        total = sum(weight.values())
        return sum(weight[w] for w in explained) / total if total else 0.0

    def explained(
        self, question: str, text: str, providers: Sequence[str]
    ) -> tuple[dict[str, float], set[str]]:
        """The question's content words with their IDF weights, and those of them the text says: literally,
        through the everyday-word table, or as an abbreviation (先用后付)."""
        asked = self._asked(question, tuple(providers))
        words = [w for w in dict.fromkeys(self._words(asked)) if w not in QUESTION_FILLER]
        said = self._tokens(text)
        explained = {w for w in words if w in said}
        for key, expansion in self.tokenizer.synonyms.items():
            if key in asked and any(self._tokens(e) & said for e in expansion):
                explained.update(w for w in words if w in key or key in w)
        explained.update(w for w in words if w not in explained and abbreviated_in(w, text))
        top = max(self.idf.values(), default=1.0)
        return {w: self.idf.get(w, top) for w in words}, explained

    def _question_words(self, question: str) -> tuple[str, ...]:
        """The question's words, where a run jieba's HMM glued together (我存 of 我存的, 会受 of 会受影响)
        that no contract uses stands as the corpus words inside it (存, 受), or as nothing: an artefact of
        the cut must not weigh as a word no clause says."""
        out: list[str] = []
        for word in self.tokenizer.tokenize(question):
            if word in self.idf or self.tokenizer.known(word) or word.isascii():
                out.append(word)
            else:
                out.extend(p for p in self.tokenizer.pieces(word) if p in self.idf)
        return tuple(out)

    def _context(self, citation: Citation) -> str:
        """The cited clause under its headings (a fact's sentence leans on its neighbours)."""
        clause = self.clause_of.get((citation.doc_id, citation.clause_id))
        return f"{' '.join(clause.heading_path)} {clause.text}" if clause else citation.text

    def _on_topic(self, question: str, answer: Answer | None, analysis: Analysis) -> Answer | None:
        """An extractive answer kept only when its clause is about the question's topic and says the
        words that made the question about it (付款方式 is not answered by a clause on 逾期付款)."""
        if answer is None or not answer.citations:
            return None
        said = self._context(answer.citations[0])
        topic_words = (w for a in analysis.attributes for w in ATTRIBUTES[a].question_words)
        asked = " ".join(w for w in topic_words if w in question)
        words, explained = self.explained(asked, said, ())
        topical = set(words) <= explained
        return answer if topical and about(said, analysis.attributes, concept=True) else None

    def _closer_clause(self, question: str, analysis: Analysis, facts: Answer) -> Answer:
        """A question on a catalog topic that asks for what the facts do not say (退款要扣多少手续费？ is
        about refunds, but the refund fact says only that refunds exist): when a clause found for the
        question says clearly more of it than every cited fact, that clause answers instead."""

        said = max(
            (self.text_coverage(question, self._context(c), analysis.providers) for c in facts.citations),
            default=0.0,
        )
        extractive = self._extractive(question, analysis)
        if extractive is None or not extractive.citations:
            return facts
        if analysis.documents and extractive.citations[0].doc_id not in analysis.documents:
            return facts  # the facts are the singled-out contract's; another contract's clause is not closer
        found = self._context(extractive.citations[0])
        on_topic = about(found, analysis.attributes)  # still the question's topic, as the facts are
        # what the question asks for (怎么算 → a rate) and the facts give: the clause must give it too
        wanted = asked_types(question)
        asked = {ATTRIBUTES[a].type for a in analysis.attributes} & wanted
        gives = not asked or states_value(asked, extractive.citations[0].text)
        # the question asks for a kind of value none of the topic's facts is (赔偿最晚什么时候提？ asks a
        # duration of a topic whose facts are percentages): a clause on the topic stating one answers
        other = not asked and states_value(wanted, extractive.citations[0].text)
        if on_topic and other:  # both when another part of the question asks what the facts say
            return joined(facts, extractive) if asks_besides(question, wanted) else extractive
        closer = self.text_coverage(question, found, analysis.providers)
        return extractive if on_topic and gives and closer >= said + CLOSER_MARGIN else facts

    def supported(
        self, question: str, hit: Hit, providers: Sequence[str], coverage: float | None = None
    ) -> bool:
        """Evidence strong enough to answer from: the clause says most of what the question asks about, or
        says some of it and the model finds it very close in meaning (paraphrases share few words).
        ``coverage``: the hit's :meth:`coverage` when the caller has it already."""
        coverage = self.coverage(question, hit, providers) if coverage is None else coverage
        dense = dict(hit.scores).get("dense", 0.0)
        return coverage >= self.min_coverage or (coverage >= 0.1 and dense >= self.min_dense)

    def _strong(self, question: str, analysis: Analysis) -> list[Hit]:
        """Candidates good enough to answer from, best first: by the reranker when one is trained, else
        those the coverage gate passes in retrieval order, a clause saying clearly more of the question
        (coverage ahead by twice the closer margin) moved first; only the contract the question singles out
        when one of its clauses is among them."""
        providers = list(analysis.providers) or None
        if self.reranker is None:
            hits = self.retriever.search(question, 5, providers=providers)
            if analysis.documents:  # the question (or its conversation) singles out one of several contracts
                hits = [h for h in hits if h.clause.doc_id in analysis.documents] or hits
            cover = {id(h): self.coverage(question, h, analysis.providers) for h in hits}
            strong = [h for h in hits if self.supported(question, h, analysis.providers, cover[id(h)])]
            if strong:  # a clause saying clearly more of the question comes before a closer-ranked one
                best = max(strong, key=lambda h: cover[id(h)])
                if cover[id(best)] >= cover[id(strong[0])] + CLOSER_MARGIN * 2:
                    strong = [best, *(h for h in strong if h is not best)]
                strong = gives_asked_first(question, definitions_last(question, strong), cover, VALUE_MARGIN)
            return strong
        hits = self.retriever.search(question, CANDIDATES, providers=providers)
        if not hits:
            return []
        p = self.reranker.probabilities(feature_rows(self, question, hits, analysis.providers))
        return [hits[i] for i in np.argsort(-p, kind="stable") if p[i] >= self.reranker.threshold]

    def _extractive(self, question: str, analysis: Analysis) -> Answer | None:
        providers = list(analysis.providers) or None
        focus = focused(question)  # nothing clear for a long question: what it asks, without its story
        strong = self._strong(question, analysis) or (self._strong(focus, analysis) if focus else [])
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
        draft = Draft()
        for hit in chosen:
            hit = value_sentence(question, hit, lambda t: self.text_coverage(question, t, analysis.providers))
            quoted = quoted_for(hit, self.children)
            if not quoted:
                continue
            c, first = hit.clause, quoted[0]
            lead = (
                f"{c.provider}：{verdict(strip_markup(first.text))}，"
                if analysis.intent == "yes_no"
                else c.provider
            )
            shown, cited = shown_list(quoted)
            cited = one_span(cited, self.texts.get(c.doc_id))
            marks = "".join(draft.cite(q) for q in cited)  # only what the answer shows
            draft.add(f"{lead}合同第 {c.clause_id} 条：“{shown}”{marks}")
        if not draft.parts:
            return None
        return Answer(question, "；".join(draft.parts) + "。", False, analysis.intent, tuple(draft.citations))

    # --- public ---------------------------------------------------------------------------------------

    def _missing(self, question: str, analysis: Analysis, missing: Sequence[str], label: str) -> str:
        """未约定 only where the contract is confidently silent; elsewhere say nothing was read clearly."""
        silent = [p for p in missing if self._confidently_absent(question, replace(analysis, providers=(p,)))]
        unclear = [p for p in missing if p not in silent]
        parts = [f"{'、'.join(silent)}的合同未约定{label}"] if silent else []
        parts += [f"{'、'.join(unclear)}的合同中没有读出明确的{label}"] if unclear else []
        return "；".join(parts)

    def _related(self, question: str, analysis: Analysis) -> tuple[Citation, ...]:
        """Up to three closest clauses that share some of what the question asks about (none for 写一首诗)."""
        hits = self.retriever.search(question, RELATED, providers=list(analysis.providers) or None)
        return tuple(h.citation for h in hits if self.coverage(question, h, analysis.providers) >= 0.1)

    def _confidently_absent(self, question: str, analysis: Analysis) -> bool:
        """No fact was read, and none of the five clauses closest to the question carries at least half of
        the attribute's cue groups: only then may an answer say the contract does not address it."""
        for hit in self.retriever.search(question, 5, providers=list(analysis.providers) or None):
            if about(" ".join((*hit.clause.heading_path, hit.clause.display_text)), analysis.attributes):
                return False  # a close clause speaks of it: the reading may have missed its value
        return True

    def _scoped(self, question: str, provider: str | None, history: Sequence[str]) -> tuple[Analysis, str]:
        """Scope precedence: a provider the question names, then the conversation's, then the filter."""
        question = names_spelled_right(question, self.providers)
        earlier = [names_spelled_right(normalise(h), self.providers) for h in history]
        analysis, query = with_history(question, earlier, self.providers)
        if provider and not analysis.providers and analysis.intent != "out_of_scope":
            analysis = replace(analysis, providers=(provider,), scope="filter")
        if len(analysis.providers) == 1 and not analysis.documents:
            docs, words = self.table.titled(query, analysis.providers[0], self._content_words)
            # 那UCloud对象存储呢？: a follow-up about one contract of the provider keeps the earlier topic
            if earlier and docs and not analysis.read_as:
                bare = question
                for word in words:
                    bare = bare.replace(word, "")
                again, again_query = with_history(bare, earlier, self.providers)
                if again.read_as and again.providers == analysis.providers:
                    analysis, query = again, again_query
            analysis = replace(analysis, documents=docs)
        return analysis, query

    def _content_words(self, text: str) -> list[str]:
        return [w for w in self.tokenizer.tokenize(text) if w not in QUESTION_FILLER]

    def ask(self, question: str, provider: str | None = None, history: Sequence[str] = ()) -> Answer:
        asked = question.strip()
        analysis, query = self._scoped(normalise(asked), provider, history)
        if analysis.intent == "out_of_scope":
            names = "、".join(analysis.unknown_providers)
            corpus = "、".join(self.table.providers)
            text = f"已收录的合同中没有{names}的合同，无法回答。已收录的服务商：{corpus}。"
            return Answer(asked, text, True, analysis.intent, ())
        if asks_identity(query):
            identity = identity_answer(asked, analysis, self.providers, self.clause_of.values())
            if identity is not None:
                return identity
        guess = None  # the classifier's reading, asked only where it is used (it embeds the question)
        if not analysis.attributes and len(analysis.providers) != 1:
            guess = inferred_topic(self.topics, query, analysis, self.retriever, self.table)
            analysis = guess  # a comparison across providers needs the fact table (unchanged if no topic)
        if analysis.attributes:  # a topic the fact table covers: its facts
            answer = self._from_facts(query, analysis)
            if answer is not None and analysis.intent in ("lookup", "yes_no", "open"):
                answer = self._closer_clause(query, analysis, answer)
            elif answer is None:  # no value read for any provider asked: a clause on the topic may say it
                answer = self._on_topic(query, self._extractive(query, analysis), analysis)
        else:
            answer = self._extractive(query, analysis)
            if answer is None:  # nothing clear found: the classifier's topic, if it has one
                guess = guess or inferred_topic(self.topics, query, analysis, self.retriever, self.table)
                if guess.attributes:
                    analysis = guess
                    answer = self._from_facts(query, analysis)
        note = "".join(
            f"（{n}）"
            for n in (
                analysis.read_as,
                f"范围：{_SCOPE_NOTE[analysis.scope]}{'、'.join(analysis.providers)}"
                if analysis.scope in _SCOPE_NOTE
                else "",
            )
            if n
        )
        if answer is not None:
            answer = completed(answer, query, analysis.providers, self.clause_of, self.explained)
            return replace(answer, question=asked, answer=note + answer.answer)
        scope = "、".join(analysis.providers) + "的" if analysis.providers else ""
        if analysis.attributes and self._confidently_absent(query, analysis):
            text = f"已收录的{scope}合同中没有关于{self._label(analysis)}的约定。"
            return Answer(asked, note + text, True, analysis.intent, ())
        text = f"已收录的{scope}合同中没有找到明确回答这个问题的条款。"
        return Answer(asked, note + text, True, analysis.intent, (), self._related(query, analysis))
