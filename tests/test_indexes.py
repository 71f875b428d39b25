"""The index pieces against references: BM25 by hand, FAISS against numpy, HNSW against exact search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from index.corpus import Corpus
from index.embed import HashingEmbedder
from index.structures import ANN_THRESHOLD, build_bm25, build_faiss, choose_kind, compute_idf


def test_bm25_scores_match_a_hand_computation() -> None:
    # Lucene BM25 (bm25s method="lucene", k1=1.2, b=0.75):
    #   idf = ln(1 + (N - df + 0.5) / (df + 0.5));  score = idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))
    docs = [["滞纳金", "万分之五"], ["滞纳金", "滞纳金", "逾期", "支付"], ["不可抗力"]]
    retriever = build_bm25(docs)
    n, avgdl, k1, b = 3, (2 + 4 + 1) / 3, 1.2, 0.75
    idf = math.log(1 + (n - 2 + 0.5) / (2 + 0.5))  # 滞纳金 occurs in 2 of 3 documents

    def expected(tf: int, dl: int) -> float:
        return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))

    scores = retriever.get_scores(["滞纳金"])
    assert scores == pytest.approx([expected(1, 2), expected(2, 4), 0.0], rel=1e-5)
    assert compute_idf(docs)["滞纳金"] == pytest.approx(idf)


def test_bm25_weight_mask_keeps_only_the_allowed_documents() -> None:
    retriever = build_bm25([["数据"], ["数据", "保留"], ["数据"]])
    scores = retriever.get_scores(["数据"], weight_mask=np.array([0, 1, 0], dtype=np.float32))
    assert scores[0] == scores[2] == 0.0 and scores[1] > 0


def random_unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Clustered, like real embeddings (uniform random vectors are a pathological case for any ANN index).
    centres = rng.normal(size=(50, dim))
    vectors = centres[rng.integers(0, 50, n)] + 0.6 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_flat_index_equals_numpy_brute_force() -> None:
    vectors = random_unit_vectors(2000, 64, seed=1)
    queries = random_unit_vectors(20, 64, seed=2)
    index = build_faiss(vectors, "flat")
    scores, ids = index.search(queries, 10)
    reference = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    assert (ids == reference).all()
    assert scores[:, 0] == pytest.approx((queries @ vectors.T).max(axis=1), rel=1e-5)


def test_hnsw_recall_against_exact_search_is_at_least_095(bundled: Corpus) -> None:
    # 20k clauses recombined from real contract sentences, embedded with the hashing embedder.
    sentences = [s.text for c in bundled.clauses for s in c.sentences]
    rng = np.random.default_rng(5)

    def synthetic(n: int) -> list[str]:
        return ["".join(rng.choice(sentences, size=int(rng.integers(1, 4)))) for _ in range(n)]

    embedder = HashingEmbedder()
    vectors = embedder.encode_documents(synthetic(20_000))
    queries = embedder.encode_queries(synthetic(200))
    exact = queries @ vectors.T
    kth = np.sort(exact, axis=1)[:, -10]
    _, approx = build_faiss(vectors, "hnsw").search(queries, 10)
    # Recombined clauses repeat, so several vectors tie: a result counts when its exact similarity reaches
    # the 10th best exact similarity, whichever of the tied ids the index returned.
    recall = np.mean([(exact[i, approx[i]] >= kth[i] - 1e-6).mean() for i in range(len(queries))])
    assert recall >= 0.95, recall


def test_index_kind_is_chosen_by_size_and_validated() -> None:
    assert choose_kind("auto", ANN_THRESHOLD) == "flat"
    assert choose_kind("auto", ANN_THRESHOLD + 1) == "hnsw"
    assert choose_kind("flat", 10**9) == "flat"
    with pytest.raises(ValueError, match="unknown index kind 'ivf'; valid: auto, flat, hnsw"):
        choose_kind("ivf", 10)  # type: ignore[arg-type]


def test_hashing_embedder_is_deterministic_normalised_and_lexical() -> None:
    embedder = HashingEmbedder(128)
    a, b, c = embedder.encode_documents(["逾期付款的滞纳金", "逾期付款的滞纳金标准", "不可抗力事件"])
    assert np.allclose(a, HashingEmbedder(128).encode_queries(["逾期付款的滞纳金"])[0])
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-6)
    assert a @ b > a @ c
