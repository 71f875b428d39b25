"""Answers to questions in users' own words over a mixed folder: ``python -m evals.conversations``.

The question set (``evals/data/heldout2_questions.jsonl``) was written from the contracts alone by a helper
who never saw the rules, before any tuning for it, over the bundled five and the development corpus'
held-out companies; it is reported, never tuned on. Styles: colloquial, terse, long-winded, mixed English,
typos, 繁體, comparisons, yes/no, follow-ups with their conversation, unanswerable. The folder the questions
are asked over holds all 21 contracts (the bundled five and the 16 of ``evals/corpus``), as a user's would.

An answer is right only when it is not refused, contains every key fact, and at least one citation overlaps
a gold span (key facts alone can be hit by quoting long clauses); ``related`` clauses are never scored.
Three baselines in the same run: the top BM25 clause, the top retrieved span, and the top three 500-character
dense chunks. ``--contracts DIR --questions FILE`` asks your own questions (same format) over your own folder.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

from core.records import Answer, Hit
from evals.answers import bm25_top_clause, dense_chunks
from evals.dataset import DATA
from evals.metrics import overlaps
from evals.reading import CORPUS, wilson
from evals.report import write_report

QUESTIONS = DATA / "heldout2_questions.jsonl"
#: The development twin (written the same way over the bundled five and the dev companies): tuned on.
DEV_QUESTIONS = DATA / "dev2_questions.jsonl"
ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "contracts"
WORK = ROOT / "build" / "eval"


@dataclass(frozen=True, slots=True)
class Asked:
    qid: str
    question: str
    style: str
    history: tuple[str, ...]
    gold: tuple[tuple[str, int, int], ...]  # every occurrence of every gold quote
    key_facts: tuple[str, ...]
    refuse: bool


def mixed_folder(target: Path) -> Path:
    """The bundled contracts and the development corpus in one folder, their providers.toml merged."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    manifests = []
    for folder in (BUNDLED, CORPUS / "contracts"):
        for path in sorted(folder.iterdir()):
            if path.name == "providers.toml":
                manifests.append(path.read_text(encoding="utf-8"))
            elif path.is_file():
                shutil.copy(path, target / path.name)
    (target / "providers.toml").write_text("\n".join(manifests), encoding="utf-8")
    return target


def load_asked(texts: dict[str, str], path: Path = QUESTIONS) -> list[Asked]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        spans = []
        for g in row.get("gold", []):
            text, start = texts[g["doc_id"]], texts[g["doc_id"]].find(g["quote"])
            if start < 0:
                raise ValueError(f"{path.name} {row['id']}: quote not found in {g['doc_id']}")
            while start >= 0:
                spans.append((g["doc_id"], start, start + len(g["quote"])))
                start = text.find(g["quote"], start + 1)
        out.append(
            Asked(
                row["id"],
                row["question"],
                row.get("style", ""),
                tuple(row.get("history", ())),
                tuple(spans),
                tuple(row.get("key_facts", ())),
                bool(row.get("refuse")),
            )
        )
    return out


def _supports(answer: Answer, q: Asked) -> list[bool]:
    return [any(overlaps((c.doc_id, c.start, c.end), g) for g in q.gold) for c in answer.citations]


def right(answer: Answer, q: Asked) -> bool:
    """Not refused, every key fact present, and a citation on a gold span."""
    facts = all(k in answer.answer for k in q.key_facts)
    return not answer.refused and facts and any(_supports(answer, q))


def score(results: Sequence[tuple[Asked, Answer]], texts: dict[str, str]) -> dict[str, Any]:
    answerable = [(q, a) for q, a in results if not q.refuse]
    unanswerable = [(q, a) for q, a in results if q.refuse]
    shown = [s for q, a in results for s in (_supports(a, q) if not q.refuse else [False] * len(a.citations))]
    covered = [
        any(overlaps((c.doc_id, c.start, c.end), g) for c in a.citations)
        for q, a in answerable
        for g in q.gold[:1]
    ]
    correct = sum(right(a, q) for q, a in answerable)
    refused = sum(a.refused for _, a in unanswerable)
    cites = [c for _, a in results for c in a.citations]
    return {
        "answer_accuracy": f"{correct}/{len(answerable)} = {correct / max(1, len(answerable)):.2f} "
        f"{wilson(correct, len(answerable))}",
        "key_facts_only": round(
            mean(all(k in a.answer for k in q.key_facts) and not a.refused for q, a in answerable), 3
        )
        if answerable
        else 0.0,
        "citation_precision": round(mean(shown), 3) if shown else 0.0,
        "citation_recall": round(mean(covered), 3) if covered else 0.0,
        "refusal_accuracy": f"{refused}/{len(unanswerable)}",
        "false_refusals": f"{sum(a.refused for _, a in answerable)}/{len(answerable)}",
        "exact_spans": round(mean(texts[c.doc_id][c.start : c.end] == c.text for c in cites), 3)
        if cites
        else 0.0,
    }


def by_style(results: Sequence[tuple[Asked, Answer]]) -> dict[str, str]:
    styles: dict[str, list[bool]] = {}
    for q, a in results:
        styles.setdefault(q.style, []).append(a.refused if q.refuse else right(a, q))
    return {s: f"{sum(v)}/{len(v)}" for s, v in sorted(styles.items())}


def ceiling(search: Callable[[str, int], list[Hit]], asked: Sequence[Asked]) -> dict[str, dict[str, Any]]:
    """How often a gold span is among the top 1 / 5 / 20 retrieved candidates (the ranking is what any
    answer is chosen from), per kind of answer the question asks (多久 → duration …; others: other)."""
    from rag.understand import asked_types, normalise

    rows: dict[str, list[int]] = {}
    for q in asked:
        if q.refuse or q.history:
            continue
        spans = [
            (h.citation.doc_id, h.citation.start, h.citation.end) for h in search(normalise(q.question), 20)
        ]
        first = next((i for i, s in enumerate(spans) if any(overlaps(s, g) for g in q.gold)), None)
        kinds = sorted(asked_types(q.question)) or ["other"]
        for kind in (kinds[0], "all"):
            rows.setdefault(kind, []).append(first if first is not None else 99)
    return {
        kind: {
            "n": len(ranks),
            **{f"top{k}": round(sum(r < k for r in ranks) / len(ranks), 2) for k in (1, 5, 20)},
        }
        for kind, ranks in sorted(rows.items(), key=lambda kv: (kv[0] == "all", kv[0]))
    }


def run(
    systems: dict[str, Callable[[Asked], Answer]], asked: Sequence[Asked], texts: dict[str, str]
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name, ask in systems.items():
        results = [(q, ask(q)) for q in asked]
        report[name] = {"scores": score(results, texts), "styles": by_style(results)}
        if name.startswith("ours"):
            report[name]["wrong"] = [
                {"id": q.qid, "question": q.question, "history": list(q.history), "answer": a.answer}
                for q, a in results
                if (a.refused != q.refuse) or (not q.refuse and not right(a, q))
            ]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    from rag.pipeline import open_pipeline
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="evals.conversations", description=__doc__)
    parser.add_argument("--split", choices=("dev", "heldout"), default="heldout")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--ours-only", action="store_true", help="skip the baselines (quicker comparisons)")
    parser.add_argument(
        "--contracts", type=Path, help="ask over this folder instead (your own contracts; needs --questions)"
    )
    parser.add_argument("--questions", type=Path, help="a question file in the same format (your own)")
    args = parser.parse_args(argv)
    if args.contracts and not args.questions:
        parser.error("--contracts needs --questions (the questions asked over that folder)")
    path = args.questions or (DEV_QUESTIONS if args.split == "dev" else QUESTIONS)
    name = path.stem if args.questions else args.split
    out = args.out or WORK / f"conversations-{name}.json"
    if args.contracts:
        folder, index_dir = args.contracts, WORK / f"index-{args.contracts.parent.name}-{args.contracts.name}"
    else:
        folder, index_dir = mixed_folder(WORK / "mixed-contracts"), WORK / "mixed-index"
    pipeline = open_pipeline(Settings(contracts_dir=folder, index_dir=index_dir), progress=False, update=True)
    texts = {d: doc.text for d, doc in pipeline.index.documents.items()}
    asked = load_asked(texts, path)
    top_clause, chunks = bm25_top_clause(pipeline.retriever), dense_chunks(pipeline.retriever)

    def top_span(q: Asked) -> Answer:
        hits = pipeline.search(q.question, 1)
        return (
            Answer(q.question, hits[0].span.text, False, "baseline", (hits[0].citation,))
            if hits
            else Answer(q.question, "", True, "baseline", ())
        )

    systems: dict[str, Callable[[Asked], Answer]] = {
        "ours (rule-based composer)": lambda q: pipeline.composer.ask(q.question, history=q.history),
        "baseline: top retrieved span": top_span,
        "baseline: top BM25 clause": lambda q: top_clause(q.question),
        "baseline: top 3 dense 500-char chunks": lambda q: chunks(q.question),
    }
    if args.ours_only:
        systems = dict(list(systems.items())[:1])
    report = run(systems, asked, texts)
    print(
        f"{name} conversations ({path.name}): {len(asked)} questions over {len(texts)} contracts"
        + (" (not tuned on, not gating)\n" if name == "heldout" else "\n")
    )
    keys = list(next(iter(report.values()))["scores"])
    print("| system | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, part in report.items():
        print(f"| {name} | " + " | ".join(str(part["scores"][k]) for k in keys) + " |")
    print(
        "\nright per style (ours): "
        + ", ".join(f"{s} {v}" for s, v in report[next(iter(report))]["styles"].items())
    )
    report["ceiling"] = ceiling(pipeline.search, asked)
    print("\nceiling: a gold span among the retrieved candidates, by the kind of answer asked")
    print("| answer type | questions | top 1 | top 5 | top 20 |\n|---|---|---|---|---|")
    for kind, row in report["ceiling"].items():
        print(f"| {kind} | {row['n']} | {row['top1']} | {row['top5']} | {row['top20']} |")
    write_report(out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
