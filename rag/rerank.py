"""A small learned reranker for open questions: which of the ~30 retrieved clauses answers the question.

The ranking is the ceiling of an extractive answer, and fused retrieval scores alone put the right clause
first less than half the time on questions in users' words. This model re-scores each candidate from
features a careful reader would use: the fused rank and both retrieval scores, how much of the question
the clause covers (after the everyday-word table), whether the span holds the kind of answer the question
asks for (a duration for 多久, an amount for 多少钱, a court for 哪里…), modality (能不能 ↔ 有权 / 不得), the
headings, a list lead-in, and whether the provider is the one acting. A logistic regression, trained by
``python -m evals.train_reranker`` on development questions only (cross-validated by contract) and stored
as data in ``rag/reranker.json``; a threshold on its probability decides when a clause is good enough to
answer from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from core.numbers import money, rates, time_spans
from core.records import Hit
from core.text import strip_markup
from rag.facts import GENERIC_SELF

FEATURES = (
    "inverse_rank",
    "dense",
    "bm25",
    "coverage",
    "answer_type",
    "modality",
    "heading",
    "lead_in",
    "negation",
    "self_named",
    "short",
)
MODEL_FILE = "reranker.json"

#: What kind of answer a question asks for, and how a span shows it holds one.
_ASKS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(r"多久|多长时间|几天|多少天|几个月|期限|多长|多少个工作日|什么时候"),
    "amount": re.compile(r"多少钱|赔多少|金额|多少费用|赔偿多少|费用多少|上限"),
    "rate": re.compile(r"比例|百分之|几个点|费率|多少%|滞纳金多少"),
    "place": re.compile(r"哪里|哪个法院|在哪|什么地方|管辖|去哪"),
    "party": re.compile(r"谁|哪一方|由谁|哪方"),
}
_HOLDS = {
    "duration": lambda s: bool(time_spans(s)),
    "amount": lambda s: bool(money(s) or rates(s)),
    "rate": lambda s: bool(rates(s)),
    "place": lambda s: bool(re.search(r"法院|仲裁|所在地|管辖", s)),
    "party": lambda s: bool(re.search(r"您|用户|甲方|乙方|服务商|客户", s)),
}
_MODAL_QUESTION = re.compile(r"能不能|能否|可不可以|可以吗|是否|会不会|有没有|要不要|吗[？?]?\s*$")
_MODAL_SPAN = re.compile(r"有权|可以|不得|无权|应当|须|不予|禁止|不可|有义务|无需|无须")
_NEGATION = re.compile(r"不得|不能|无权|不予|不可|禁止|不承担|无需|无须")


def candidate_features(
    question: str, hit: Hit, rank: int, coverage: float, self_names: Sequence[str], heading_overlap: float
) -> list[float]:
    """The feature vector of one retrieved candidate (see ``FEATURES``)."""
    span = strip_markup(hit.span.text)
    clause = strip_markup(hit.clause.text)
    scores = dict(hit.scores)
    asked = [kind for kind, pattern in _ASKS.items() if pattern.search(question)]
    typed = 1.0 if asked and any(_HOLDS[k](span) for k in asked) else (0.0 if asked else 0.5)
    modal = 1.0 if _MODAL_QUESTION.search(question) and _MODAL_SPAN.search(span) else 0.0
    return [
        1.0 / rank,
        float(scores.get("dense", 0.0)),
        float(np.log1p(max(scores.get("bm25", 0.0), 0.0))),
        coverage,
        typed,
        modal,
        heading_overlap,
        1.0 if clause.rstrip().endswith(("：", ":")) else 0.0,
        1.0 if _NEGATION.search(span) else 0.0,
        1.0 if any(n and n in clause for n in self_names) else 0.0,
        1.0 if len(span) <= 60 else 0.0,
    ]


def heading_overlap(composer: Any, question: str, hit: Hit) -> float:
    """IDF-weighted share of the question's content words that the clause's headings carry."""
    words = list(dict.fromkeys(composer._content_words(question)))
    if not words:
        return 0.0
    heading = set(composer.tokenizer.tokenize(" ".join(hit.clause.heading_path)))
    top = max(composer.idf.values(), default=1.0)
    weight = {w: composer.idf.get(w, top) for w in words}
    return sum(weight[w] for w in words if w in heading) / sum(weight.values())


def feature_rows(composer: Any, question: str, hits: Sequence[Hit], named: Sequence[str]) -> np.ndarray:
    """The features of each candidate, read by a :class:`rag.answer.Composer` (its providers, coverage,
    tokenizer and IDF)."""
    rows = []
    for rank, hit in enumerate(hits, start=1):
        owner = next((p for p in composer.providers if p.name == hit.clause.provider), None)
        self_names = (*(owner.names if owner else ()), *GENERIC_SELF)
        coverage = composer.coverage(question, hit, named)
        overlap = heading_overlap(composer, question, hit)
        rows.append(candidate_features(question, hit, rank, coverage, self_names, overlap))
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)


@dataclass(frozen=True, slots=True)
class Reranker:
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float  # the probability from which a clause is good enough to answer from

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "weights": self.weights.round(6).tolist(),
            "bias": round(self.bias, 6),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "threshold": round(self.threshold, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reranker:
        if data.get("features") != list(FEATURES):
            raise ValueError(
                f"{MODEL_FILE} was trained on other features; run python -m evals.train_reranker"
            )
        vectors = [np.asarray(data[k], dtype=np.float64) for k in ("weights", "mean", "scale")]
        return cls(vectors[0], float(data["bias"]), vectors[1], vectors[2], float(data["threshold"]))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")


def load_reranker() -> Reranker | None:
    """The trained model shipped with the package, or None when there is none yet."""
    resource = files("rag") / MODEL_FILE
    if not resource.is_file():
        return None
    return Reranker.from_dict(json.loads(resource.read_text(encoding="utf-8")))
