"""Train the open-question reranker (``rag/reranker.json``) on development questions only.

``python -m evals.train_reranker``: the dev questions over the bundled five (``dev_questions.jsonl``) and,
when present, the second dev set over the development corpus (``dev2_questions.jsonl``, asked over the
mixed folder of ``evals.conversations``). Held-out questions are never read. For each question the top
``CANDIDATES`` retrieved clauses become rows (label: the clause overlaps a gold span); a logistic regression
is cross-validated grouped by contract (a contract's questions are never in train and test at once), and
the answering threshold is the one that maximises right minus twice wrong top answers across the folds
(precision first). The final model is fitted on all rows and written with its threshold.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.metrics import overlaps

OUT = Path(__file__).resolve().parent.parent / "rag" / "reranker.json"


def rows_for(
    pipeline: Any, questions: Sequence[tuple[str, tuple[str, ...], tuple[tuple[str, int, int], ...]]]
) -> list[dict[str, Any]]:
    """Feature rows per question: (question, history, gold spans) → candidates with labels."""
    from rag.answer import CANDIDATES
    from rag.rerank import feature_rows
    from rag.understand import normalise

    composer = pipeline.composer
    out = []
    for question, history, gold in questions:
        analysis, query = composer._scoped(normalise(question), None, history)
        hits = pipeline.retriever.search(query, CANDIDATES, providers=list(analysis.providers) or None)
        if not hits:
            continue
        x = feature_rows(composer, query, hits, analysis.providers)
        y = [any(overlaps((h.clause.doc_id, h.clause.start, h.clause.end), g) for g in gold) for h in hits]
        out.append({"x": x, "y": np.asarray(y), "group": gold[0][0]})
    return out


def _dev_questions(pipeline: Any) -> list[tuple[str, tuple[str, ...], tuple[tuple[str, int, int], ...]]]:
    from evals.dataset import load_questions

    texts = {d: doc.text for d, doc in pipeline.index.documents.items()}
    return [
        (q.question, (), tuple((g.doc_id, g.start, g.end) for g in q.gold))
        for q in load_questions(texts)
        if q.gold
    ]


def _dev2_questions(
    pipeline: Any, path: Path
) -> list[tuple[str, tuple[str, ...], tuple[tuple[str, int, int], ...]]]:
    from evals.conversations import load_asked

    texts = {d: doc.text for d, doc in pipeline.index.documents.items()}
    return [(q.question, q.history, q.gold) for q in load_asked(texts, path) if not q.refuse and q.gold]


def _fit(rows: Sequence[dict[str, Any]]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.vstack([r["x"] for r in rows])
    y = np.concatenate([r["y"] for r in rows])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    return scaler, model


def _top(rows: Sequence[dict[str, Any]], scaler: Any, model: Any) -> list[tuple[float, bool, bool]]:
    """Per question: the best candidate's probability, whether it is right, whether retrieval's was."""
    out = []
    for r in rows:
        p = model.predict_proba(scaler.transform(r["x"]))[:, 1]
        best = int(np.argmax(p))
        out.append((float(p[best]), bool(r["y"][best]), bool(r["y"][0])))
    return out


def cross_validate(
    rows: Sequence[dict[str, Any]], folds: int = 5
) -> tuple[list[tuple[float, bool, bool]], float]:
    groups = sorted({r["group"] for r in rows})
    tops: list[tuple[float, bool, bool]] = []
    for k in range(folds):
        test_groups = set(groups[k::folds])
        train = [r for r in rows if r["group"] not in test_groups]
        test = [r for r in rows if r["group"] in test_groups]
        if train and test and any(r["y"].any() for r in train):
            tops += _top(test, *_fit(train))
    best_t, best_gain = 0.5, -1e9
    for t in np.linspace(0.02, 0.98, 97):
        gain = sum(right - 2 * (not right) for p, right, _ in tops if p >= t)
        if gain > best_gain:
            best_t, best_gain = float(t), gain
    return tops, best_t


def main(argv: Sequence[str] | None = None) -> int:
    from evals.conversations import WORK, mixed_folder
    from rag.pipeline import open_pipeline
    from rag.rerank import Reranker
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="evals.train_reranker", description=__doc__)
    parser.add_argument(
        "--dev2", type=Path, default=Path(__file__).resolve().parent / "data" / "dev2_questions.jsonl"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    bundled = open_pipeline(Settings(), progress=False, update=True)
    rows = rows_for(bundled, _dev_questions(bundled))
    if args.dev2.is_file():
        mixed = open_pipeline(
            Settings(contracts_dir=mixed_folder(WORK / "mixed-contracts"), index_dir=WORK / "mixed-index"),
            progress=False,
            update=True,
        )
        rows += rows_for(mixed, _dev2_questions(mixed, args.dev2))
    tops, threshold = cross_validate(rows)
    answered = [(right, base) for p, right, base in tops if p >= threshold]
    summary = {
        "questions": len(rows),
        "retrieval_top1_right": round(float(np.mean([b for _, _, b in tops])), 3),
        "reranked_top1_right": round(float(np.mean([r for _, r, _ in tops])), 3),
        "threshold": round(threshold, 3),
        "answered": len(answered),
        "answered_right": sum(r for r, _ in answered),
    }
    print(json.dumps(summary, ensure_ascii=False))
    scaler, model = _fit(rows)
    reranker = Reranker(model.coef_[0], float(model.intercept_[0]), scaler.mean_, scaler.scale_, threshold)
    reranker.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
