"""``make eval``: measure retrieval and answers on the development set, in one run.

Retrieval: bm25 vs dense vs hybrid (hit@k, recall@k, MRR@10, character precision/recall). Answers: the
composer vs two baselines (the top BM25 clause; the top three dense 500-character chunks) on citation
precision/recall, answer accuracy, refusal accuracy and exact spans, over the dev questions plus questions
the contracts cannot answer. Prints tables, writes JSON, and compares with the expected scores recorded in
``evals/expected.json``: OK at or above, OKish within the tolerance, FAIL below (exit code 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

from evals.dataset import DATA, DEV_QUESTIONS, Question, load_questions
from evals.metrics import Item, char_precision_recall, hit_at, mrr_at, recall_at
from evals.report import write_report
from rag.retrieve import MODES, HybridRetriever, provider_names_in

EXPECTED = Path(__file__).resolve().parent / "expected.json"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "build" / "eval" / "eval.json"
TOLERANCE = 0.02
METRICS: dict[str, Callable[[Sequence[Item], Sequence[Item]], float]] = {
    "hit@1": lambda r, g: hit_at(r, g, 1),
    "hit@5": lambda r, g: hit_at(r, g, 5),
    "hit@10": lambda r, g: hit_at(r, g, 10),
    "recall@5": lambda r, g: recall_at(r, g, 5),
    "recall@10": lambda r, g: recall_at(r, g, 10),
    "mrr@10": lambda r, g: mrr_at(r, g, 10),
}


@dataclass(frozen=True, slots=True)
class Ranked:
    clauses: list[Item]  # whole clauses, for hit/recall/MRR
    spans: list[Item]  # the spans returned, for character precision/recall


def rank(retriever: HybridRetriever, question: Question, mode: str, k: int = 10) -> Ranked:
    providers = provider_names_in(question.question, retriever.index.providers.values()) or None
    hits = retriever.search(question.question, k, mode=mode, providers=providers)  # type: ignore[arg-type]
    return Ranked(
        [(h.clause.doc_id, h.clause.start, h.clause.end) for h in hits],
        [(h.clause.doc_id, h.span.start, h.span.end) for h in hits],
    )


def score(results: list[tuple[Question, Ranked]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, metric in METRICS.items():
        out[name] = mean(metric(r.clauses, [(g.doc_id, g.start, g.end) for g in q.gold]) for q, r in results)
    for k in (1, 5):
        pr = [
            char_precision_recall(r.spans, [(g.doc_id, g.start, g.end) for g in q.gold], k)
            for q, r in results
        ]
        out[f"char_p@{k}"] = mean(p for p, _ in pr)
        out[f"char_r@{k}"] = mean(r for _, r in pr)
    return {k: round(v, 4) for k, v in out.items()}


def evaluate_retrieval(retriever: HybridRetriever, questions: list[Question]) -> dict[str, Any]:
    """Scores per mode, on all questions and on the colloquial ones."""
    report: dict[str, Any] = {}
    for mode in MODES:
        started = time.perf_counter()
        results = [(q, rank(retriever, q, mode)) for q in questions]
        elapsed = time.perf_counter() - started
        colloquial = [(q, r) for q, r in results if q.style == "colloquial"]
        report[mode] = {
            "all": score(results),
            "colloquial": score(colloquial),
            "seconds_per_question": round(elapsed / len(questions), 4),
            "misses@5": [
                q.qid
                for q, r in results
                if not hit_at(r.clauses, [(g.doc_id, g.start, g.end) for g in q.gold], 5)
            ],
        }
    return report


def table(report: dict[str, Any], subsets: Sequence[str] = ("all", "colloquial")) -> str:
    columns = ["hit@1", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "char_p@5", "char_r@5"]
    lines = [f"| mode | subset | {' | '.join(columns)} |", "|" + "---|" * (len(columns) + 2)]
    for mode in MODES:
        for subset in subsets:
            row = report[mode][subset]
            lines.append(f"| {mode} | {subset} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
    return "\n".join(lines)


def answer_table(report: dict[str, dict[str, float]]) -> str:
    columns = [
        "citation_precision",
        "citation_recall",
        "answer_accuracy",
        "refusal_accuracy",
        "false_refusals",
        "exact_spans",
        "citations_per_answer",
    ]
    lines = [f"| system | {' | '.join(columns)} |", "|" + "---|" * (len(columns) + 1)]
    for name, row in report.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:g}" for c in columns) + " |")
    return "\n".join(lines)


def compare(report: dict[str, Any], expected: dict[str, Any]) -> tuple[bool, list[str]]:
    """pyserini-style verdicts for every expected score."""
    ok = True
    lines = []
    for mode, subsets in expected.items():
        if mode.startswith("_"):
            continue
        for subset, metrics in subsets.items():
            for metric, want in metrics.items():
                got = report[mode][subset][metric]
                verdict = "OK" if got >= want else "OKish" if got >= want - TOLERANCE else "FAIL"
                ok &= verdict != "FAIL"
                lines.append(f"{verdict:5} {mode}/{subset}/{metric}: {got:.3f} (expected ≥ {want:.3f})")
    return ok, lines


def main(argv: Sequence[str] | None = None) -> int:
    from evals.answers import (
        HELDOUT_ANSWERS,
        UNANSWERABLE,
        bm25_top_clause,
        dense_chunks,
        evaluate_answers,
        load_answer_gold,
    )
    from rag.pipeline import open_pipeline
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="evals.run", description=__doc__)
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS)
    parser.add_argument(
        "--heldout",
        type=Path,
        default=DATA / "heldout_questions.jsonl",
        help="questions written after tuning stopped: reported, never tuned on, not gating",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON report")
    parser.add_argument("--expected", type=Path, default=EXPECTED)
    args = parser.parse_args(argv)

    pipeline = open_pipeline(Settings())
    texts = {doc_id: doc.text for doc_id, doc in pipeline.index.documents.items()}
    questions = load_questions(texts, args.questions)
    heldout = load_questions(texts, args.heldout) if args.heldout else []
    report = {
        "model": pipeline.index.manifest.to_dict()["model"],
        "fusion": pipeline.retriever.fusion,
        "questions": len(questions),
        "colloquial": sum(q.style == "colloquial" for q in questions),
        "retrieval": evaluate_retrieval(pipeline.retriever, questions),
    }
    print(f"dev set: {len(questions)} questions ({report['colloquial']} colloquial)")
    print(f"model: {report['model']['id']}, fusion: {pipeline.retriever.fusion}\n")
    print(table(report["retrieval"]))
    if heldout:
        report["heldout"] = evaluate_retrieval(pipeline.retriever, heldout)
        print(f"\nheld-out set (not tuned on, not gating): {len(heldout)} colloquial questions\n")
        print(table(report["heldout"], subsets=("all",)))
    unanswerable = load_questions(texts, UNANSWERABLE)
    gold = load_answer_gold()
    systems = {
        "ours (rule-based composer)": pipeline.composer.ask,
        "baseline: top BM25 clause": bm25_top_clause(pipeline.retriever),
        "baseline: top 3 dense 500-char chunks": dense_chunks(pipeline.retriever),
    }
    report["answers"] = {}
    for name, ask in systems.items():
        scores, failures = evaluate_answers(ask, questions + unanswerable, gold, texts)
        report["answers"][name] = scores
        if name.startswith("ours"):
            report["answer_failures"] = failures
    print(f"\nanswers: {len(questions)} answerable + {len(unanswerable)} unanswerable questions\n")
    print(answer_table(report["answers"]))
    if heldout:
        scores, failures = evaluate_answers(
            pipeline.composer.ask, heldout, load_answer_gold(HELDOUT_ANSWERS), texts
        )
        report["heldout_answers"] = scores
        report["heldout_answer_failures"] = failures
        print(f"\nheld-out answers (not tuned on, not gating): {len(heldout)} colloquial questions\n")
        print(answer_table({"ours (rule-based composer)": scores}))
    write_report(args.out, report)
    expected = json.loads(args.expected.read_text(encoding="utf-8"))
    ok, lines = compare(
        report["retrieval"], {k: v for k, v in expected["retrieval"].items() if not k.startswith("_")}
    )
    answers_ok, answer_lines = compare(
        {"answers": {"all": report["answers"]["ours (rule-based composer)"]}},
        {"answers": {"all": expected["answers"]}},
    )
    ok &= answers_ok
    lines += answer_lines
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
