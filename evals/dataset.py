"""The development question set: questions with gold spans located by exact quote.

Each line of ``evals/data/dev_questions.jsonl`` is ``{"id", "question", "style", "gold": [{"doc_id",
"quote"}]}``; a gold span is where the quote occurs in the document text, so offsets never drift from the
words they stand for. A quote that is missing or ambiguous is an error naming the question.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
DEV_QUESTIONS = DATA / "dev_questions.jsonl"


@dataclass(frozen=True, slots=True)
class GoldSpan:
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Question:
    qid: str
    question: str
    style: str  # "formal" (reuses contract wording) or "colloquial" (a paraphrase)
    gold: tuple[GoldSpan, ...]


class DatasetError(ValueError):
    pass


def locate(quote: str, text: str, where: str) -> tuple[int, int]:
    start = text.find(quote)
    if start < 0:
        raise DatasetError(f"{where}: quote not found: {quote[:40]!r}")
    if text.find(quote, start + 1) >= 0:
        raise DatasetError(f"{where}: quote occurs more than once, make it longer: {quote[:40]!r}")
    return start, start + len(quote)


def load_questions(texts: Mapping[str, str], path: Path = DEV_QUESTIONS) -> list[Question]:
    """Questions with gold spans resolved against ``texts`` (doc_id → document text)."""
    questions: list[Question] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        where = f"{path.name}:{n} ({row['id']})"
        gold = []
        for g in row.get("gold", []):
            if g["doc_id"] not in texts:
                raise DatasetError(f"{where}: unknown doc_id {g['doc_id']}")
            start, end = locate(g["quote"], texts[g["doc_id"]], where)
            gold.append(GoldSpan(g["doc_id"], start, end))
        questions.append(Question(row["id"], row["question"], row.get("style", "formal"), tuple(gold)))
    return questions
