"""Retrieval metrics: hit@k, recall@k, MRR@k, and character-span precision/recall@k (LegalBench-RAG).

A retrieved item is ``(doc_id, start, end)``. For hit/recall/MRR an item matches a gold span when the two
overlap in the same document. For the character metrics the retrieved spans and the gold spans are each
merged per document first, so overlapping results are not counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Item = tuple[str, int, int]


def overlaps(a: Item, b: Item) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def hit_at(retrieved: Sequence[Item], gold: Sequence[Item], k: int) -> float:
    return float(any(overlaps(r, g) for r in retrieved[:k] for g in gold))


def recall_at(retrieved: Sequence[Item], gold: Sequence[Item], k: int) -> float:
    if not gold:
        return 0.0
    return sum(any(overlaps(r, g) for r in retrieved[:k]) for g in gold) / len(gold)


def mrr_at(retrieved: Sequence[Item], gold: Sequence[Item], k: int) -> float:
    for rank, r in enumerate(retrieved[:k], start=1):
        if any(overlaps(r, g) for g in gold):
            return 1.0 / rank
    return 0.0


def merge(spans: Iterable[Item]) -> list[Item]:
    """Union of spans per document, as sorted non-overlapping spans."""
    out: list[Item] = []
    for doc, start, end in sorted(spans):
        if out and out[-1][0] == doc and start <= out[-1][2]:
            out[-1] = (doc, out[-1][1], max(out[-1][2], end))
        else:
            out.append((doc, start, end))
    return out


def _length(spans: Sequence[Item]) -> int:
    return sum(end - start for _, start, end in spans)


def _intersection(a: Sequence[Item], b: Sequence[Item]) -> int:
    return sum(max(0, min(x[2], y[2]) - max(x[1], y[1])) for x in a for y in b if x[0] == y[0])


def char_precision_recall(retrieved: Sequence[Item], gold: Sequence[Item], k: int) -> tuple[float, float]:
    got, want = merge(retrieved[:k]), merge(gold)
    inter = _intersection(got, want)
    precision = inter / _length(got) if got else 0.0
    recall = inter / _length(want) if want else 0.0
    return precision, recall
