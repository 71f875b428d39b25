"""How well the question side alone tells which catalog topic a question asks about, across styles:
``python -m evals.question_topics``.

The example bank (``rag/question_bank.jsonl``: per topic and per style — colloquial, terse, long-winded,
mixed English, typo/繁體 — example questions, plus questions about no catalog topic) was written by a
helper that never saw the rules or the eval questions. Leave-one-style-out: a classifier trained on four
styles predicts the fifth. Printed per feature set (character n-grams as a peer, and the bundled model's
query vectors, which the product uses): macro-F1 over the topics (``none`` included as a class), the AUROC
of "in the catalog or not" (the highest topic probability against ``none`` questions), and per threshold
how many questions get a topic and how many of those the right one. The issue's bar for relying on the
question side: macro-F1 ≥ 0.85 and AUROC ≥ 0.90.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from evals.report import write_report
from rag.classify import ngram_features
from rag.settings import Settings
from rag.topics import BANK_FILE, NONE, THRESHOLD, load_bank, new_model
from rag.understand import normalise

OUT = Path(__file__).resolve().parent.parent / "build" / "eval" / "question_topics.json"


def leave_one_style_out(x: np.ndarray, topics: Sequence[str], styles: Sequence[str]) -> dict[str, Any]:
    """Macro-F1 and in-catalog AUROC of a classifier trained on the other styles, per held-out style."""
    topics_a, styles_a = np.asarray(topics), np.asarray(styles)
    predicted = np.empty(len(topics), dtype=object)
    in_catalog = np.zeros(len(topics))
    for style in sorted(set(styles)):
        test = styles_a == style
        model = new_model().fit(x[~test], topics_a[~test])
        p = model.predict_proba(x[test])
        classes = list(model.classes_)
        predicted[test] = [classes[i] for i in p.argmax(axis=1)]
        topical = [i for i, c in enumerate(classes) if c != NONE]
        in_catalog[test] = p[:, topical].max(axis=1)
    per_style = {
        style: round(
            float(f1_score(topics_a[styles_a == style], predicted[styles_a == style], average="macro")), 3
        )
        for style in sorted(set(styles))
    }
    truth_in = topics_a != NONE
    thresholds = {}
    for t in sorted({0.3, 0.5, 0.7, 0.9, THRESHOLD}):
        taken = (predicted != NONE) & (in_catalog >= t)
        right = taken & (predicted == topics_a)
        thresholds[t] = {
            "answered": round(
                float(taken[truth_in].mean()), 3
            ),  # share of in-catalog questions given a topic
            "precision": round(float(right.sum() / max(1, taken.sum())), 3),
            "none_taken": round(float(taken[~truth_in].mean()), 3),  # off-catalog questions given a topic
        }
    return {
        "thresholds": thresholds,
        "macro_f1": round(float(f1_score(topics_a, predicted, average="macro")), 3),
        "accuracy": round(float(np.mean(predicted == topics_a)), 3),
        "auroc_in_catalog": round(float(roc_auc_score(truth_in, in_catalog)), 3),
        "per_style_macro_f1": per_style,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evals.question_topics", description=__doc__)
    parser.add_argument("--bank", type=Path, default=BANK_FILE)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-vectors", action="store_true", help="character n-grams only (no model)")
    args = parser.parse_args(argv)
    bank = load_bank(args.bank)
    texts = [normalise(q.question) for q in bank]
    topics, styles = [q.topic for q in bank], [q.style for q in bank]
    grams = ngram_features(texts).toarray()
    sets: dict[str, np.ndarray] = {"character n-grams": grams}
    if not args.no_vectors:
        from rag.pipeline import embedder_for

        vectors = embedder_for(Settings()).encode_queries(texts)
        sets["query vectors (bundled model)"] = vectors
    print(f"{len(bank)} questions, {len(set(topics))} classes (none included), styles: {sorted(set(styles))}")
    print("| features | macro-F1 | accuracy | AUROC in catalog | macro-F1 per held-out style |")
    print("|---|---|---|---|---|")
    report = {}
    for name, x in sets.items():
        r = leave_one_style_out(x, topics, styles)
        report[name] = r
        shown = ", ".join(f"{s} {v:.2f}" for s, v in r["per_style_macro_f1"].items())
        print(
            f"| {name} | {r['macro_f1']:.3f} | {r['accuracy']:.3f} | {r['auroc_in_catalog']:.3f} | {shown} |"
        )
    for name, r in report.items():
        print(f"\n{name}, taking the topic when its probability ≥ t (leave-one-style-out):")
        print("| t | in-catalog questions given a topic | right among those | off-catalog given a topic |")
        print("|---|---|---|---|")
        for t, v in r["thresholds"].items():
            print(f"| {t} | {v['answered']:.3f} | {v['precision']:.3f} | {v['none_taken']:.3f} |")
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
