"""Answer-level evaluation: citation precision/recall, answer accuracy, refusal accuracy, exact spans.

Ours is compared in the same run with two baselines that never refuse:

* **bm25-top-clause**: the top BM25 clause is the answer (and its citation);
* **dense-3x500**: the three best 500-character chunks by the same embedding model, what a generic RAG
  framework retrieves and shows as 出处.

Definitions (ALCE-style, checked deterministically):

* citation precision: citations that overlap a gold span, over all citations shown (a citation on an
  unanswerable question supports nothing);
* citation recall: gold spans of answerable questions that some citation overlaps;
* answer accuracy: answerable questions answered (not refused) with every key fact in the answer text and,
  for comparisons, the expected winner named first;
* refusal accuracy: unanswerable questions refused, over all unanswerable questions (a refusal of an
  answerable question is counted separately as a false refusal, and costs answer accuracy);
* exact spans: citations whose text is exactly ``document_text[start:end]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

import numpy as np

from core.records import Answer, Citation
from evals.dataset import DATA, Question
from evals.metrics import overlaps

ANSWERS = DATA / "answers.jsonl"
HELDOUT_ANSWERS = DATA / "heldout_answers.jsonl"
UNANSWERABLE = DATA / "unanswerable.jsonl"


@dataclass(frozen=True, slots=True)
class AnswerGold:
    key_facts: tuple[str, ...]
    refuse: bool
    first: str | None = None


def load_answer_gold(path: Path = ANSWERS) -> dict[str, AnswerGold]:
    gold = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            gold[row["id"]] = AnswerGold(
                tuple(row.get("key_facts", ())), bool(row.get("refuse")), row.get("first")
            )
    return gold


def _correct(answer: Answer, gold: AnswerGold) -> bool:
    if answer.refused or not all(k in answer.answer for k in gold.key_facts):
        return False
    if gold.first:
        positions = [answer.answer.find(p) for p in (gold.first,)]
        named = [i for i in positions if i >= 0]
        others = [answer.answer.find(c.provider) for c in answer.citations if c.provider != gold.first]
        return bool(named) and all(named[0] <= o for o in others if o >= 0)
    return True


def score_answers(
    results: Sequence[tuple[Question, AnswerGold, Answer]], texts: dict[str, str]
) -> dict[str, float]:
    citations: list[tuple[Question, Citation]] = [(q, c) for q, _, a in results for c in a.citations]
    supported = [
        any(overlaps((c.doc_id, c.start, c.end), (g.doc_id, g.start, g.end)) for g in q.gold)
        for q, c in citations
    ]
    answerable = [(q, g, a) for q, g, a in results if not g.refuse]
    gold_spans = [(g, a) for q, _, a in answerable for g in q.gold]
    covered = [
        any(overlaps((c.doc_id, c.start, c.end), (g.doc_id, g.start, g.end)) for c in a.citations)
        for g, a in gold_spans
    ]
    return {
        "citation_precision": round(mean(supported), 4) if supported else 0.0,
        "citation_recall": round(mean(covered), 4) if covered else 0.0,
        "answer_accuracy": round(mean(_correct(a, g) for _, g, a in answerable), 4),
        "refusal_accuracy": round(mean(a.refused for _, g, a in results if g.refuse), 4)
        if any(g.refuse for _, g, _ in results)
        else 0.0,
        "false_refusals": sum(a.refused for _, g, a in answerable),
        "exact_spans": round(mean(texts[c.doc_id][c.start : c.end] == c.text for _, c in citations), 4)
        if citations
        else 0.0,
        "citations_per_answer": round(len(citations) / max(1, sum(not a.refused for _, _, a in results)), 2),
    }


def bm25_top_clause(retriever: Any) -> Callable[[str], Answer]:
    def answer(question: str) -> Answer:
        hits = retriever.search(question, 1, mode="bm25")
        if not hits:  # no word of the question occurs in any clause
            return Answer(question, "", True, "baseline", ())
        c = hits[0].clause
        citation = Citation.of(c)
        return Answer(question, c.text, False, "baseline", (citation,))

    return answer


def dense_chunks(retriever: Any, size: int = 500, top: int = 3) -> Callable[[str], Answer]:
    """Fixed 500-character chunks of every document, embedded once; the top three are the answer."""
    index = retriever.index
    chunks: list[Citation] = []
    for doc_id, doc in index.documents.items():
        provider = index.providers[doc_id].name
        for start in range(0, len(doc.text), size):
            end = min(len(doc.text), start + size)
            chunks.append(
                Citation(doc_id, provider, f"chunk{start // size}", start, end, doc.text[start:end])
            )
    vectors = retriever.embedder.encode_documents([c.text for c in chunks])

    def answer(question: str) -> Answer:
        q = retriever.embedder.encode_queries([question])[0]
        best = np.argsort(-(vectors @ q))[:top]
        cited = tuple(chunks[i] for i in best)
        return Answer(question, "\n".join(c.text for c in cited), False, "baseline", cited)

    return answer


def evaluate_answers(
    ask: Callable[[str], Answer],
    questions: Sequence[Question],
    gold: dict[str, AnswerGold],
    texts: dict[str, str],
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    results = [(q, gold.get(q.qid, AnswerGold((), True)), ask(q.question)) for q in questions]
    failures = [
        {
            "id": q.qid,
            "question": q.question,
            "answer": a.answer,
            "refused": a.refused,
            "expected_refusal": g.refuse,
        }
        for q, g, a in results
        if (a.refused != g.refuse) or (not g.refuse and not _correct(a, g))
    ]
    return score_answers(results, texts), failures
