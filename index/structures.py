"""The in-memory search structures of a build: FAISS over clause and sentence vectors, bm25s over jieba
tokens, IDF for span selection, and :class:`SearchIndex`, a loaded build holding them all."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core.records import Clause, Document, Heading, Provider
from index.manifest import Manifest
from index.textproc import ChineseTokenizer

IndexKind = Literal["auto", "flat", "hnsw"]
INDEX_KINDS: tuple[str, ...] = ("auto", "flat", "hnsw")
#: Above this many clauses ``auto`` picks HNSW. Exact search over 384-d float32 vectors costs ~0.1 ms per
#: 1,000 vectors here (see the README's benchmark), so 250k vectors is where it passes ~25 ms, half the
#: latency budget; below it exact search is both fast enough and perfectly accurate.
ANN_THRESHOLD = 250_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


@dataclass(slots=True)
class SearchIndex:
    """A loaded index: everything retrieval needs, in memory."""

    root: Path
    manifest: Manifest
    documents: dict[str, Document]
    providers: dict[str, Provider]
    clauses: list[Clause]
    headings: list[Heading]
    all_vectors: np.ndarray  # clause rows, then sentence rows (the FAISS index holds all of them)
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray  # (m, 2): clause row, sentence position
    faiss: Any  # the HNSW index; None for a flat build (searched exactly with numpy over all_vectors)
    bm25: Any
    sentence_bm25: Any
    tokenizer: ChineseTokenizer
    idf: dict[str, float]
    queries: tuple[str, ...] = ()  # texts the read path had embedded as queries at build time …
    query_vectors: np.ndarray | None = None  # … and their vectors (one row each)
    # Derived in __post_init__: clause row -> its sentence rows, and (doc_id, clause_id) -> clause.
    sentence_rows: dict[int, list[int]] = field(default_factory=dict, init=False, repr=False)
    _by_id: dict[tuple[str, str], Clause] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {(c.doc_id, c.clause_id): c for c in self.clauses}
        rows: dict[int, list[int]] = {}
        for row, (clause_row, _) in enumerate(self.sentence_owner.tolist()):
            rows.setdefault(int(clause_row), []).append(row)
        self.sentence_rows = rows

    def clause(self, doc_id: str, clause_id: str) -> Clause | None:
        """The clause with this id in this document, or None."""
        return self._by_id.get((doc_id, clause_id))


def embed_text(clause: Clause) -> str:
    """What the model sees for a clause: its heading path, then its text without markup."""
    path = " > ".join(clause.heading_path)
    return f"{path}：{clause.display_text}" if path else clause.display_text


def bm25_text(clause: Clause) -> str:
    return " ".join((*clause.heading_path, clause.display_text))


def choose_kind(kind: IndexKind, count: int, threshold: int = ANN_THRESHOLD) -> str:
    if kind not in INDEX_KINDS:
        raise ValueError(f"unknown index kind {kind!r}; valid: {', '.join(INDEX_KINDS)}")
    if kind == "auto":
        return "hnsw" if count > threshold else "flat"
    return kind


def set_search_threads(threads: int) -> None:
    """FAISS's OpenMP threads for this process (searches and builds)."""
    import faiss

    faiss.omp_set_num_threads(threads)


def build_faiss(vectors: np.ndarray, kind: str) -> Any:
    import faiss

    dim = vectors.shape[1]
    index: Any
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def compute_idf(token_lists: Sequence[Sequence[str]]) -> dict[str, float]:
    """BM25 (Lucene) IDF per token, ln(1 + (N − df + 0.5) / (df + 0.5)): weights words when picking spans."""
    n = len(token_lists)
    df: Counter[str] = Counter()
    for tokens in token_lists:
        df.update(set(tokens))
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


#: bm25s cannot index a corpus without a single token (a contract whose clauses are all one sentence has
#: no sentence rows); such an index holds this one placeholder document, which no query token matches.
EMPTY_PLACEHOLDER = "\x00empty"


def build_bm25(token_lists: Sequence[Sequence[str]]) -> Any:
    import bm25s

    corpus = [list(tokens) for tokens in token_lists]
    if not any(corpus):
        corpus = [[EMPTY_PLACEHOLDER]]
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index(corpus, show_progress=False)
    return retriever
