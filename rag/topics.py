"""Which catalog topic a question asks about, from the question's own words when its question words say
nothing: a classifier trained on the example bank.

The bank (``rag/question_bank.jsonl``) is data: per catalog topic and per style (colloquial, terse keywords,
long-winded, mixed English, typos / 繁體) example questions, plus questions about no catalog topic
(``none``); the catalog's own ``examples`` join it. Features are the retriever's model's query vectors of
the questions (``rag index`` stores them with the index), the model a multinomial logistic regression,
fitted when first needed — about a second with scikit-learn's import, which ``Pipeline.warm`` pays at
start-up for the API and the UI — so opening the pipeline costs nothing.

Its word alone never decides: :meth:`rag.answer.Composer.ask` takes its topic only when the probability clears
``threshold`` (calibrated leave-one-style-out by ``python -m evals.question_topics``) AND a sentence the
retriever finds for the question is one the fact table read a fact of that topic from — contract wording is
stable where users' wording is not.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from core.protocols import Retriever
from rag.catalog import ATTRIBUTES, Attribute
from rag.facts import FactTable
from rag.understand import Analysis, ordered_attributes

BANK_FILE = Path(str(files("rag") / "question_bank.jsonl"))
NONE = "none"
#: Regularisation and the probability a topic needs; leave-one-style-out on the bank (python -m
#: evals.question_topics): at 0.5, 0.75 of in-catalog questions get a topic, 0.993 of them the right one,
#: and no off-catalog question gets one.
C = 100.0
THRESHOLD = 0.5
AGREEMENT = 10  # clauses retrieved for a question among which a fact of the classifier's topic must be
STYLES = ("colloquial", "terse", "long", "english_mix", "typo_trad")


class BankError(ValueError):
    """The example bank is malformed; the message names the file, the line and the field."""


@dataclass(frozen=True, slots=True)
class Example:
    topic: str
    style: str
    question: str


def load_bank(path: Path = BANK_FILE, catalog: Mapping[str, Attribute] = ATTRIBUTES) -> list[Example]:
    """The bank's examples, checked: every topic a catalog topic or ``none``, every style known."""
    topics = {a.topic for a in catalog.values()} | {NONE}
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            row: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BankError(f"{where}: not JSON ({exc.msg})") from None
        for name in ("topic", "style", "question"):
            if not isinstance(row.get(name), str) or not row[name].strip():
                raise BankError(f"{where}.{name}: required, a non-empty string")
        if row["topic"] not in topics:
            raise BankError(f"{where}.topic: {row['topic']!r} is not a catalog topic or {NONE!r}")
        if row["style"] not in STYLES:
            raise BankError(f"{where}.style: {row['style']!r} is not one of {', '.join(STYLES)}")
        out.append(Example(row["topic"], row["style"], row["question"]))
    return out


def training_set(
    bank: Sequence[Example], catalog: Mapping[str, Attribute] = ATTRIBUTES
) -> tuple[list[str], list[str]]:
    """(questions, topics): the bank plus each attribute's catalog examples."""
    texts = [e.question for e in bank]
    labels = [e.topic for e in bank]
    for attribute in catalog.values():
        texts.extend(attribute.examples)
        labels.extend([attribute.topic] * len(attribute.examples))
    return texts, labels


def new_model() -> Any:
    """The classifier, unfitted (scikit-learn is imported only when one is needed)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000)


class QuestionTopics:
    """A multinomial logistic regression over the bundled model's query vectors of the bank's questions
    (leave-one-style-out it beat character n-grams by far: see ``python -m evals.question_topics``)."""

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        encode: Callable[[Sequence[str]], np.ndarray],
        *,
        threshold: float = THRESHOLD,
        vectors: np.ndarray | None = None,
        vector_of: Callable[[str], np.ndarray] | None = None,
    ) -> None:
        """``vectors``: the texts' query vectors when the index stored them (else ``encode`` computes them
        on first use); ``vector_of``: a question's vector (the retriever's cached one), else ``encode``."""
        self.vector_of = vector_of
        self.texts, self.labels = list(texts), list(labels)
        self.encode = encode
        self.threshold = threshold
        self._vectors = vectors
        self._model: Any = None
        self._lock = threading.Lock()
        self.classes: list[str] = []

    def train(self) -> Any:
        """The fitted model (fitted on first call, once however many threads ask)."""
        with self._lock:
            return self._fit()

    def _fit(self) -> Any:
        if self._model is None:
            x = self._vectors if self._vectors is not None else self.encode(self.texts)
            model = new_model()
            model.fit(np.asarray(x, dtype=np.float64), np.asarray(self.labels))
            self.classes = [str(c) for c in model.classes_]
            self._model = model
        return self._model

    def probabilities(self, question: str, vector: np.ndarray | None = None) -> dict[str, float]:
        """Topic → probability for a (normalised) question, or for its ``vector`` when the caller has it."""
        model = self.train()
        if vector is None:
            vector = self.vector_of(question) if self.vector_of else self.encode([question])[0]
        p = model.predict_proba(np.asarray(vector, dtype=np.float64).reshape(1, -1))[0]
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}

    def topic(self, question: str, vector: np.ndarray | None = None) -> tuple[str | None, float]:
        """The most probable catalog topic and its probability; None when ``none`` wins or the best is
        below the threshold."""
        p = self.probabilities(question, vector)
        best = max((c for c in p if c != NONE), key=p.__getitem__)
        if p[best] < self.threshold or p.get(NONE, 0.0) >= p[best]:
            return None, p[best]
        return best, p[best]


def inferred_topic(
    topics: QuestionTopics | None,
    question: str,
    analysis: Analysis,
    retriever: Retriever,
    table: FactTable,
) -> Analysis:
    """No question word names a topic: the classifier's topic, taken only when one of the clauses the
    retriever finds for the question holds a fact of that topic (both sides agree). The composer uses it
    where the fact table is needed (a question across providers) or nothing else answers: a question about
    one provider in words of its own is better answered by the clause that says most of it."""
    if topics is None or analysis.topic is not None or analysis.intent == "out_of_scope":
        return analysis
    providers = list(analysis.providers) or None
    # the vector the search embeds (names of the filtered providers out, everyday words in): one encoding
    topic, _ = topics.topic(question, retriever.search_vector(question, providers))
    if topic is None:
        return analysis
    keys = [k for k, a in ATTRIBUTES.items() if a.topic == topic]
    facts = [f for f in table.facts if f.attribute in keys]
    hits = retriever.search(question, AGREEMENT, providers=providers)
    if not any(
        f.citation.doc_id == h.clause.doc_id
        and f.citation.start < h.clause.end
        and h.clause.start < f.citation.end
        for h in hits
        for f in facts
    ):
        return analysis
    intent = analysis.intent
    if intent == "open":
        intent = "lookup" if analysis.providers else "listing"
    attributes = ordered_attributes(question, keys)
    read_as = analysis.read_as or f"理解为问：{ATTRIBUTES[attributes[0]].label}"
    return replace(analysis, topic=topic, attributes=attributes, intent=intent, read_as=read_as)
