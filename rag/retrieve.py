"""Hybrid retrieval: dense (FAISS) and BM25 (jieba tokens) fused, filtered by provider, down to spans.

Each hit is a clause plus the span inside it that best matches the question: the best sentence of a
multi-sentence clause (scored by the sentence's own vector and its IDF-weighted word overlap), or the whole
clause when it is one sentence.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from typing import Any, Literal

import numpy as np

from core.protocols import Embedder
from core.records import Hit, Provider, Span
from index.structures import SearchIndex

Mode = Literal["bm25", "dense", "hybrid"]
Fusion = Literal["rrf", "weighted"]
MODES: tuple[str, ...] = ("bm25", "dense", "hybrid")
QUERY_CACHE = 256  # recent query vectors kept
SEARCH_CACHE = 512  # recent searches kept (question, k, providers, mode → hits)
FUSIONS: tuple[str, ...] = ("rrf", "weighted")


def provider_names_in(text: str, providers: Collection[Provider]) -> list[str]:
    """Providers a question names, by display name, alias or legal entity (longest names first). A name
    that is one provider's display name never selects another provider that merely has it as an alias
    (a line sold through 腾讯云 is not 腾讯云's contract)."""
    display = {p.name for p in providers}
    names = sorted(
        {
            (n, p.name)
            for p in providers
            for n in p.names
            if len(n) >= 2 and (n == p.name or n not in display)
        },
        key=lambda x: (-len(x[0]), x[0], x[1]),
    )
    found: list[str] = []
    rest = text
    for alias, provider in names:
        if alias in rest:
            rest = rest.replace(alias, "\0")
            if provider not in found:
                found.append(provider)
    return found


def without_names(text: str, providers: Collection[Provider]) -> str:
    """``text`` with these providers' names removed (longest first; a long name also when said with one
    wrong character, as :func:`rag.understand.providers_named` reads it).

    Once retrieval is restricted to a provider's clauses its name carries no information, and left in the
    question it pulls both rankings toward every short clause that happens to repeat the name.
    """
    names = sorted({n for p in providers for n in p.names}, key=len, reverse=True)
    spans: list[tuple[int, int]] = []
    for name in names:  # said exactly, longest first
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(name), text) if _free(m.span(), spans)]
    exact = list(spans)
    for name in (n for n in names if len(n) >= (5 if n.isascii() else 3)):  # said with one wrong character
        for i in range(len(text) - len(name) + 1):
            j = i + len(name)
            typo = sum(a != b for a, b in zip(name.lower(), text[i:j].lower(), strict=True)) == 1
            # 腾讯企业油 may hold the short name 腾讯 said exactly; 腾讯企 (of 腾讯企业邮) is no 腾讯云
            inside = all(i <= s and e <= j and e - s + 2 <= j - i for s, e in exact if s < j and i < e)
            if typo and inside and _free((i, j), [x for x in spans if x not in exact]):
                spans.append((i, j))
    gone = [any(s <= k < e for s, e in spans) for k in range(len(text))]
    first = [g and (k == 0 or not gone[k - 1]) for k, g in enumerate(gone)]  # a removed run becomes one space
    return "".join(" " if f else "" if g else ch for ch, g, f in zip(text, gone, first, strict=True))


def _free(span: tuple[int, int], taken: Sequence[tuple[int, int]]) -> bool:
    return all(span[1] <= s or e <= span[0] for s, e in taken)


def resolve_provider(name: str, providers: Collection[Provider]) -> str:
    """The provider a ``--provider`` value names (name, alias or entity); ValueError listing valid names."""
    for provider in providers:
        if name in provider.names:
            return provider.name
    valid = "、".join(sorted({p.name for p in providers}))
    raise ValueError(f"unknown provider {name!r}; known providers: {valid}")


class HybridRetriever:
    """Dense + BM25 retrieval over a loaded :class:`SearchIndex` (a :class:`core.protocols.Retriever`).

    ``fusion="rrf"`` (default) adds 1/(rrf_k + rank) from each ranking: robust to the two methods' very
    different score scales. ``fusion="weighted"`` min-max normalises each method's candidate scores and
    mixes them as ``weight × dense + (1 − weight) × bm25``.
    """

    def __init__(
        self,
        index: SearchIndex,
        embedder: Embedder,
        *,
        fusion: Fusion = "rrf",
        rrf_k: int = 60,
        weight: float = 0.5,
        candidates: int = 50,
        expand: bool = True,
        expand_dense: bool = True,
        search_cache: int = SEARCH_CACHE,
    ) -> None:
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; valid: {', '.join(FUSIONS)}")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"fusion weight must be between 0 and 1, got {weight}")
        self.index = index
        self.embedder = embedder
        self.fusion = fusion
        self.rrf_k = rrf_k
        self.weight = weight
        self.candidates = candidates
        self.expand = expand
        self.expand_dense = expand_dense
        # Title lines (云服务器服务合同) answer nothing; they are kept out of every ranking.
        self._searchable = np.asarray([c.kind != "title" for c in index.clauses], dtype=bool)
        self._base_mask = self._searchable.astype(np.float32)
        n_clauses = len(index.clauses)
        self._vector_owner = np.concatenate(
            [np.arange(n_clauses, dtype=np.int64), index.sentence_owner[:, 0].astype(np.int64)]
        )
        self._provider_of = np.asarray([c.provider for c in index.clauses], dtype=object)
        self._idf = index.idf
        # Answering one question searches it several times (the answer, per-provider checks, related
        # clauses): its query vector is computed once.
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        # ... and the same search (the answer, then the check that a closer clause says more) runs once
        self._searches: OrderedDict[tuple[Any, ...], list[Hit]] = OrderedDict()
        self.search_cache = search_cache  # 0: every search computed (a benchmark timing search itself)
        self._query_lock = threading.Lock()
        self._fusers: dict[str, Callable[[dict[str, dict[int, float]]], dict[int, float]]] = {
            "rrf": self._rrf,
            "weighted": self._weighted,
        }

    def problem(self) -> str | None:
        """Why searches cannot run now (None: they can; a backend on another machine may say more)."""
        return None

    def clear_query_cache(self) -> None:
        """Forget the cached query vectors and searches (a benchmark timing first-time queries)."""
        with self._query_lock:
            self._query_vectors.clear()
            self._searches.clear()

    def query_vector(self, text: str) -> np.ndarray:
        """The query's vector (cached: the composer's question classifier and search share it)."""
        return self._query_vector(text)

    def _query_vector(self, text: str) -> np.ndarray:
        with self._query_lock:
            cached = self._query_vectors.get(text)
            if cached is not None:
                self._query_vectors.move_to_end(text)
                return cached
        vector = np.asarray(self.embedder.encode_queries([text])[0], dtype=np.float32)
        with self._query_lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > QUERY_CACHE:
                self._query_vectors.popitem(last=False)
        return vector

    # --- candidates ---------------------------------------------------------------------------------

    def _mask(self, providers: Collection[str] | None) -> np.ndarray:
        """1.0 for the clauses a search may return: not a title, and of the named providers if any."""
        if not providers:
            return self._base_mask
        chosen = np.isin(self._provider_of, list(providers))
        return (chosen & self._searchable).astype(np.float32)

    def _dense(self, query_vec: np.ndarray, mask: np.ndarray, filtered: bool, n: int) -> dict[int, float]:
        """Clause score = best of the clause's own vector and its sentences' vectors.

        A long clause's vector averages all it says; a question about one sentence of it (a deadline in a
        paragraph about something else) matches that sentence far better than the whole.
        """
        index = self.index
        if index.faiss is not None and not filtered:  # HNSW over every clause and sentence vector
            total = index.faiss.ntotal
            scores, ids = index.faiss.search(query_vec.reshape(1, -1), min(4 * n, total))
            found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        else:  # exact scores: every vector of a flat build (one matrix product), or a provider's share
            rows = np.flatnonzero(mask[self._vector_owner] > 0) if filtered else None
            sims = index.all_vectors @ query_vec if rows is None else index.all_vectors[rows] @ query_vec
            if not len(sims):
                return {}
            top = np.argpartition(-sims, min(4 * n, len(sims) - 1))[: 4 * n]
            found = [(int(i if rows is None else rows[i]), float(sims[i])) for i in top]
        best: dict[int, float] = {}
        for vector_row, score in found:
            clause_row = int(self._vector_owner[vector_row])
            if mask[clause_row] > 0 and score > best.get(clause_row, -2.0):
                best[clause_row] = score
        return dict(sorted(best.items(), key=lambda kv: -kv[1])[:n])

    def _bm25(self, tokens: list[str], mask: np.ndarray, n: int) -> dict[int, float]:
        """Clause score = best of the clause's BM25 and its best sentence's BM25 (as for dense)."""
        index = self.index
        if not tokens or not len(index.clauses):
            return {}
        scores = index.bm25.get_scores(tokens, weight_mask=mask)
        if len(index.sentence_owner):
            owners = index.sentence_owner[:, 0]
            sentence_scores = index.sentence_bm25.get_scores(tokens, weight_mask=mask[owners])
            best = np.zeros_like(scores)
            np.maximum.at(best, owners, sentence_scores)
            scores = np.maximum(scores, best)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > n:
            positive = positive[np.argpartition(-scores[positive], n)[:n]]
        order = positive[np.argsort(-scores[positive], kind="stable")]
        return {int(i): float(scores[i]) for i in order}

    # --- fusion ---------------------------------------------------------------------------------------

    def _rrf(self, ranked: dict[str, dict[int, float]]) -> dict[int, float]:
        fused: dict[int, float] = {}
        for scores in ranked.values():
            for rank, row in enumerate(sorted(scores, key=lambda r: (-scores[r], r)), start=1):  # ties by row
                fused[row] = fused.get(row, 0.0) + 1.0 / (self.rrf_k + rank)
        return fused

    def _weighted(self, ranked: dict[str, dict[int, float]]) -> dict[int, float]:
        weights = {"dense": self.weight, "bm25": 1.0 - self.weight}
        fused: dict[int, float] = {}
        for method, scores in ranked.items():
            if not scores:
                continue
            low, high = min(scores.values()), max(scores.values())
            span = high - low or 1.0
            for row, score in scores.items():
                fused[row] = fused.get(row, 0.0) + weights[method] * (score - low) / span
        return fused

    # --- spans ----------------------------------------------------------------------------------------

    def _lexical(self, tokens: list[str], text: str) -> float:
        if not tokens:
            return 0.0
        present = set(self.index.tokenizer.tokenize(text))
        total = sum(self._idf.get(t, 0.0) for t in tokens) or 1.0
        return sum(self._idf.get(t, 0.0) for t in tokens if t in present) / total

    def best_span(self, row: int, query_vec: np.ndarray | None, tokens: list[str]) -> Span:
        clause = self.index.clauses[row]
        sentence_rows = self.index.sentence_rows.get(row)
        if not sentence_rows or len(clause.sentences) < 2:
            return Span(clause.start, clause.end, clause.text)
        scores = np.zeros(len(sentence_rows), dtype=np.float32)
        if query_vec is not None:
            scores += self.index.sentence_vectors[sentence_rows] @ query_vec
        if tokens:
            scores += np.asarray([self._lexical(tokens, s.text) for s in clause.sentences], dtype=np.float32)
        return clause.sentences[int(np.argmax(scores))]

    # --- public ---------------------------------------------------------------------------------------

    def search(
        self, question: str, k: int = 5, *, providers: Collection[str] | None = None, mode: Mode = "hybrid"
    ) -> list[Hit]:
        """The ``k`` best clauses for ``question``; ``providers`` restricts to those providers' clauses."""
        if not self.search_cache:
            return self._search(question, k, providers, mode)
        key = (question, k, tuple(sorted(providers)) if providers else None, mode)
        with self._query_lock:
            cached = self._searches.get(key)
            if cached is not None:
                self._searches.move_to_end(key)
                return list(cached)
        hits = self._search(question, k, providers, mode)
        with self._query_lock:
            self._searches[key] = hits
            while len(self._searches) > self.search_cache:
                self._searches.popitem(last=False)
        return list(hits)

    def _queries(self, question: str, providers: Collection[str] | None) -> tuple[str, list[str], str]:
        """The question without the providers it is filtered to, its everyday-word expansion, and the text
        the dense search embeds."""
        query = question
        if providers:
            named = [p for p in self.index.providers.values() if p.name in providers]
            query = without_names(query, named).strip() or query
        expansion = self.index.tokenizer.expansions(query) if self.expand else []
        dense_query = f"{query} {' '.join(expansion)}" if expansion and self.expand_dense else query
        return query, expansion, dense_query

    def search_vector(self, question: str, providers: Collection[str] | None = None) -> np.ndarray:
        """The vector a search for ``question`` (filtered to ``providers``) embeds: cached, so a classifier
        reading the same question after the search costs no second encoding."""
        return self._query_vector(self._queries(question, providers)[2])

    def _search(self, question: str, k: int, providers: Collection[str] | None, mode: Mode) -> list[Hit]:
        n, tokens, dense_query = self._prepare(question, k, providers, mode)
        mask = self._mask(providers)
        query_vec = None
        ranked: dict[str, dict[int, float]] = {}
        if mode in ("dense", "hybrid"):
            query_vec = self._query_vector(dense_query)
            ranked["dense"] = self._dense(query_vec, mask, bool(providers), n)
        if mode in ("bm25", "hybrid"):
            ranked["bm25"] = self._bm25(tokens, mask, n)
        fused = self._fusers[self.fusion](ranked) if mode == "hybrid" else ranked[mode]
        return self._hits(fused, k, query_vec, tokens, ranked)

    def _prepare(
        self, question: str, k: int, providers: Collection[str] | None, mode: Mode
    ) -> tuple[int, list[str], str]:
        """Checked arguments: the candidate count, the question's BM25 tokens (its everyday-word expansion
        included) and the text the dense search embeds."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; valid: {', '.join(MODES)}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        query, expansion, dense_query = self._queries(question, providers)
        tokenizer = self.index.tokenizer
        tokens = tokenizer.tokenize(query)
        tokens += [t for t in tokenizer.tokenize(" ".join(expansion)) if t not in tokens]
        return max(self.candidates, k), tokens, dense_query

    def _hits(
        self,
        fused: dict[int, float],
        k: int,
        query_vec: np.ndarray | None,
        tokens: list[str],
        ranked: dict[str, dict[int, float]],
    ) -> list[Hit]:
        """The ``k`` best rows of ``fused`` (ties by row) as hits: best span, each method's score."""
        order = sorted(fused, key=lambda r: (-fused[r], r))[:k]
        return [
            Hit(
                clause=self.index.clauses[row],
                score=float(fused[row]),
                span=self.best_span(row, query_vec, tokens),
                scores=tuple((m, s[row]) for m, s in ranked.items() if row in s),
            )
            for row in order
        ]
