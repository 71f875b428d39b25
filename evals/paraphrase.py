"""Paraphrase robustness: ``python -m evals.paraphrase``.

``evals/data/paraphrase_questions.jsonl`` asks each of 32+ facts in five styles (colloquial, terse keywords,
long-winded, mixed English, a typo or 繁體), written from the contracts alone by a helper that never saw the
rules, over the bundled five and the development companies; never tuned on. A fact counts as robust when
all five of its questions are answered right (not refused, every key fact present, a citation on the gold
span: the strict scoring of :mod:`evals.conversations`). The top retrieved span is the baseline.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.records import Answer
from evals.conversations import WORK, Asked, load_asked, mixed_folder, right
from evals.dataset import DATA
from evals.reading import wilson
from evals.report import write_report

QUESTIONS = DATA / "paraphrase_questions.jsonl"
STYLES = 5


def groups_of(path: Path = QUESTIONS) -> dict[str, str]:
    """Question id → the fact (group) it asks about."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["id"]: r["group"] for r in rows}


def robustness(results: Sequence[tuple[Asked, bool]], groups: dict[str, str]) -> dict[str, Any]:
    """Share of facts answered right in every style, right per style, and right overall."""
    by_group: dict[str, list[bool]] = {}
    by_style: dict[str, list[bool]] = {}
    for q, ok in results:
        by_group.setdefault(groups[q.qid], []).append(ok)
        by_style.setdefault(q.style, []).append(ok)
    complete = [v for v in by_group.values() if len(v) == STYLES]
    robust = sum(all(v) for v in complete)
    answered = sum(ok for _, ok in results)
    return {
        "facts_right_in_all_5": f"{robust}/{len(complete)} = {robust / max(1, len(complete)):.2f} "
        f"{wilson(robust, len(complete))}",
        "facts_right_in_at_least_one": f"{sum(any(v) for v in complete)}/{len(complete)}",
        "questions_right": f"{answered}/{len(results)} = {answered / max(1, len(results)):.2f}",
        "per_style": {s: f"{sum(v)}/{len(v)}" for s, v in sorted(by_style.items())},
    }


def main(argv: Sequence[str] | None = None) -> int:
    from rag.pipeline import open_pipeline
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="evals.paraphrase", description=__doc__)
    parser.add_argument("--out", type=Path, default=WORK / "paraphrase.json")
    args = parser.parse_args(argv)
    folder = mixed_folder(WORK / "mixed-contracts")
    pipeline = open_pipeline(
        Settings(contracts_dir=folder, index_dir=WORK / "mixed-index"), progress=False, update=True
    )
    texts = {d: doc.text for d, doc in pipeline.index.documents.items()}
    asked, groups = load_asked(texts, QUESTIONS), groups_of(QUESTIONS)

    def top_span(q: Asked) -> Answer:
        hits = pipeline.search(q.question, 1)
        if not hits:
            return Answer(q.question, "", True, "baseline", ())
        return Answer(q.question, hits[0].span.text, False, "baseline", (hits[0].citation,))

    systems: dict[str, Callable[[Asked], Answer]] = {
        "ours (rule-based composer)": lambda q: pipeline.composer.ask(q.question, history=q.history),
        "baseline: top retrieved span": top_span,
    }
    report = {}
    for name, ask in systems.items():
        results = [(q, right(ask(q), q)) for q in asked]
        report[name] = robustness(results, groups)
    print(f"paraphrase robustness ({QUESTIONS.name}): {len(set(groups.values()))} facts × {STYLES} styles\n")
    print("| system | facts right in all 5 | facts right in ≥ 1 | questions right | per style |")
    print("|---|---|---|---|---|")
    for name, r in report.items():
        styles = ", ".join(f"{k} {v}" for k, v in r["per_style"].items())
        print(
            f"| {name} | {r['facts_right_in_all_5']} | {r['facts_right_in_at_least_one']} "
            f"| {r['questions_right']} | {styles} |"
        )
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
