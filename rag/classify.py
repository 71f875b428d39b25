"""Find sentences about an attribute that its cue words miss: a classifier per attribute, trained on weak
labels from the cues themselves (the sentences the cue-based pass read a value from), over character
n-grams and, when an index is at hand, the sentences' own vectors.

It is a Rocchio classifier (the positive centroid minus the negative centroid) with a threshold set from
the training scores: halfway between the lowest-scoring fifth of the positives and nearly every negative.
Cheap (one matrix product per corpus), deterministic, and conservative: a sentence it flags only becomes a
fact when a reader anchored by its own pattern reads a value there (see :func:`rag.facts.extract_facts`).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

NGRAM_DIM = 2048
MIN_POSITIVES = 3
POSITIVE_QUANTILE = 0.2  # the low end of the weakly labelled positives …
NEGATIVE_QUANTILE = 0.998  # … and the high end of the negatives: the threshold lies between


def ngram_features(texts: Sequence[str], dim: int = NGRAM_DIM) -> sparse.csr_matrix:
    """Character 1–3-grams hashed into ``dim`` buckets (crc32, signed), L2-normalised rows; sparse, so a
    folder of a hundred contracts costs megabytes, not gigabytes."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, text in enumerate(texts):
        text = "".join(text.split())
        for n in (1, 2, 3):
            for i in range(len(text) - n + 1):
                h = zlib.crc32(text[i : i + n].encode("utf-8"))
                rows.append(row)
                cols.append(h % dim)
                vals.append(1.0 if (h >> 16) & 1 else -1.0)
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), dim), dtype=np.float32)
    x.sum_duplicates()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sparse.csr_matrix(sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ x)


def features(texts: Sequence[str], vectors: np.ndarray | None = None) -> sparse.csr_matrix:
    """n-gram features, with the sentence vectors appended (each part L2-normalised) when given."""
    grams = ngram_features(texts)
    if vectors is None or len(vectors) != len(texts):
        return grams
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    dense = sparse.csr_matrix((vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32))
    return sparse.csr_matrix(sparse.hstack([grams, dense]))


@dataclass(frozen=True, slots=True)
class Classifier:
    weights: Mapping[str, np.ndarray]  # attribute -> direction (positive centroid − negative centroid)
    thresholds: Mapping[str, float]

    def flagged(self, x: sparse.csr_matrix) -> dict[str, np.ndarray]:
        """Per attribute, the rows of ``x`` whose score reaches its threshold."""
        return {a: np.flatnonzero(x @ w >= self.thresholds[a]) for a, w in self.weights.items()}


def train(x: sparse.csr_matrix, labels: Mapping[str, np.ndarray]) -> Classifier:
    """One direction and threshold per attribute with at least ``MIN_POSITIVES`` weak positives."""
    weights: dict[str, np.ndarray] = {}
    thresholds: dict[str, float] = {}
    for attribute, positive in labels.items():
        if int(positive.sum()) < MIN_POSITIVES or int((~positive).sum()) == 0:
            continue
        w = np.asarray(x[positive].mean(axis=0) - x[~positive].mean(axis=0)).ravel()
        scores = x @ w
        low_positive = float(np.quantile(scores[positive], POSITIVE_QUANTILE))
        high_negative = float(np.quantile(scores[~positive], NEGATIVE_QUANTILE))
        weights[attribute] = w
        # halfway between the bulk of the positives and nearly all negatives (a 1-D max-margin cut)
        thresholds[attribute] = max(high_negative, (low_positive + high_negative) / 2)
    return Classifier(weights, thresholds)
