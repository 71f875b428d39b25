"""The hybrid retriever over Milvus (``RAG_BACKEND=milvus``): a second :class:`core.protocols.Retriever`.

Milvus does the searching: the dense request (the query vector) and the sparse request (the question's
BM25 token counts against the build's own BM25 weights, ``index/milvus_store.py``) run in the engine with
the provider filter in each request and the rows grouped by clause (a clause scores by its best row, its
own or one of its sentences', as locally). Two ways to fuse them (``RAG_MILVUS_FUSION``):

- ``clause`` (default): each method's grouped top ``candidates`` come back and are fused by reciprocal rank
  per clause, exactly as the local retriever fuses: the same hits as FAISS + bm25s (tested);
- ``engine``: one ``hybrid_search`` call with Milvus' ``RRFRanker``; Milvus fuses the methods' *rows* before
  grouping them by clause (a clause and its sentences take separate ranks), so rankings differ a little
  from the local backend's (measured in the README).

Everything after the ranking (spans, each method's score of a hit, the caches) is the local retriever's,
so nothing above it changes.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np

from core.protocols import Embedder
from core.records import Hit
from index.milvus_store import (
    MilvusConfig,
    MilvusError,
    build_properties,
    collection_name,
    connect,
    explain,
    mismatch,
    properties_of,
    publish,
    vocabulary,
)
from index.structures import HNSW_EF_SEARCH, SearchIndex
from rag.retrieve import SEARCH_CACHE, HybridRetriever, Mode

if TYPE_CHECKING:
    from pymilvus import MilvusClient


class MilvusRetriever(HybridRetriever):
    """Dense + BM25 retrieval run by Milvus over the collection holding ``index``'s build."""

    def __init__(
        self,
        index: SearchIndex,
        embedder: Embedder,
        client: MilvusClient,
        collection: str,
        config: MilvusConfig,
        *,
        rrf_k: int = 60,
        candidates: int = 50,
        expand: bool = True,
        expand_dense: bool = True,
        search_cache: int = SEARCH_CACHE,
        engine_fusion: bool = False,
    ) -> None:
        super().__init__(
            index,
            embedder,
            fusion="rrf",
            rrf_k=rrf_k,
            candidates=candidates,
            expand=expand,
            expand_dense=expand_dense,
            search_cache=search_cache,
        )
        self.client = client
        self.collection = collection
        self.config = config
        self.engine_fusion = engine_fusion
        self._keys = vocabulary(index)
        self._wanted = build_properties(index)  # what the collection must record (checked by problem())

    def problem(self) -> str | None:
        """Why searches cannot run now (Milvus unreachable, the collection gone), None when they can."""
        try:
            found = properties_of(self.client, self.collection)
        except Exception as exc:  # any client failure is reported, not raised: /readyz says it
            return explain(exc, self.config)
        return mismatch(found, self._wanted, self.collection)

    def _search(self, question: str, k: int, providers: Collection[str] | None, mode: Mode) -> list[Hit]:
        n, tokens, dense_query = self._prepare(question, k, providers, mode)
        query_vec = self._query_vector(dense_query) if mode in ("dense", "hybrid") else None
        requests = self._requests(query_vec, tokens, providers, n)
        if mode == "hybrid" and self.engine_fusion:
            fused = self._hybrid(requests, n)
            top = sorted(fused, key=lambda r: (-fused[r], r))[:k]
            return self._hits(fused, k, query_vec, tokens, self._method_scores(top, query_vec, tokens))
        methods = {"dense": "dense", "bm25": "sparse"}
        ranked = {
            method: self._grouped(field, requests[field], n) if field in requests else {}
            for method, field in methods.items()
            if mode in (method, "hybrid")
        }
        fused = self._rrf(ranked) if mode == "hybrid" else ranked[mode]
        return self._hits(fused, k, query_vec, tokens, ranked)

    def _requests(
        self, query_vec: np.ndarray | None, tokens: list[str], providers: Collection[str] | None, n: int
    ) -> dict[str, dict[str, Any]]:
        """The engine's searches by vector field: data, search parameters, limit and provider filter."""
        names = ", ".join(json.dumps(p, ensure_ascii=False) for p in sorted(providers or ()))
        expr = f"provider in [{names}]" if providers else ""
        out: dict[str, dict[str, Any]] = {}
        if query_vec is not None:
            params = {"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, n)}}
            out["dense"] = {"data": [query_vec.tolist()], "param": params, "limit": n, "expr": expr}
        counts: dict[int, float] = {}
        for token in tokens:  # bm25s adds a repeated query token once per repetition
            key = self._keys.get(token)
            if key is not None:
                counts[key] = counts.get(key, 0.0) + 1.0
        if counts:
            out["sparse"] = {"data": [counts], "param": {"metric_type": "IP"}, "limit": n, "expr": expr}
        return out

    def _grouped(self, field: str, request: dict[str, Any], n: int) -> dict[int, float]:
        """Clause row → its best row's score on one vector field (Milvus groups the rows by clause)."""
        result = self._call(
            self.client.search,
            self.collection,
            data=request["data"],
            anns_field=field,
            search_params=request["param"],
            limit=n,
            filter=request["expr"],
            group_by_field="owner",
            output_fields=["owner"],
        )
        return {int(h["entity"]["owner"]): float(h["distance"]) for h in result[0]}

    def _hybrid(self, requests: dict[str, dict[str, Any]], n: int) -> dict[int, float]:
        """Clause row → score of Milvus' own ``hybrid_search``: RRF over the two methods' rows, then the
        rows grouped by clause."""
        from pymilvus import AnnSearchRequest, RRFRanker

        if not requests:
            return {}
        searches = [AnnSearchRequest(anns_field=field, **r) for field, r in requests.items()]
        result = self._call(
            self.client.hybrid_search,
            self.collection,
            searches,
            RRFRanker(self.rrf_k),
            limit=n,
            group_by_field="owner",
            output_fields=["owner"],
        )
        return {int(h["entity"]["owner"]): float(h["distance"]) for h in result[0]}

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """A search call; retried once (a channel idle for long can fail its first call), then one line."""
        try:
            try:
                return method(*args, **kwargs)
            except Exception:
                return method(*args, **kwargs)
        except Exception as exc:  # pymilvus raises MilvusException and grpc errors: one line for the user
            raise MilvusError(explain(exc, self.config)) from None

    def _method_scores(
        self, rows: list[int], query_vec: np.ndarray | None, tokens: list[str]
    ) -> dict[str, dict[int, float]]:
        """Each method's score of these clause rows, as the local retriever reports them: the best of the
        clause's own row and its sentences' (the reranker and the composer's evidence check read them)."""
        index = self.index
        out: dict[str, dict[int, float]] = {}
        if query_vec is not None:
            dense = {}
            for row in rows:
                own = [float(index.vectors[row] @ query_vec)]
                own += (index.sentence_vectors[index.sentence_rows.get(row, [])] @ query_vec).tolist()
                dense[row] = max(own)
            out["dense"] = dense
        if tokens and rows:
            clause = _bm25_of(index.bm25, tokens, rows)
            sentence_rows = {r: index.sentence_rows.get(r, []) for r in rows}
            sentence = _bm25_of(index.sentence_bm25, tokens, [i for s in sentence_rows.values() for i in s])
            best = {r: max([clause[r], *(sentence[i] for i in sentence_rows[r])]) for r in rows}
            out["bm25"] = {r: s for r, s in best.items() if s > 0}
        return out


def _bm25_of(bm25: Any, tokens: list[str], docs: list[int]) -> dict[int, float]:
    """bm25s' score of ``tokens`` for just these documents (its precomputed weights summed per token)."""
    scores = bm25.scores
    indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
    wanted = np.asarray(sorted(set(docs)), dtype=np.int64)
    if not len(wanted):
        return {}
    total = np.zeros(len(wanted), dtype=np.float32)
    for token_id in bm25.get_tokens_ids(tokens):
        column = np.asarray(indices[indptr[token_id] : indptr[token_id + 1]], dtype=np.int64)
        where = np.searchsorted(wanted, column)
        inside = (where < len(wanted)) & (wanted[np.minimum(where, len(wanted) - 1)] == column)
        np.add.at(total, where[inside], np.asarray(data[indptr[token_id] : indptr[token_id + 1]])[inside])
    return {int(d): float(s) for d, s in zip(wanted.tolist(), total.tolist(), strict=True)}


def open_milvus_retriever(
    index: SearchIndex, embedder: Embedder, config: MilvusConfig, **kwargs: Any
) -> MilvusRetriever:
    """The retriever over ``index``'s build in Milvus, publishing the build first when Milvus does not hold
    it yet (a collection another build or model made is never searched: :class:`MilvusError`)."""
    client = connect(config)
    name = collection_name(config, index.root.name)
    try:
        if not client.has_collection(name) or properties_of(client, name).get("rag.complete") != "yes":
            name = publish(client, config, index)
        else:
            client.load_collection(name)
        found = properties_of(client, name)
    except MilvusError:
        raise
    except Exception as exc:
        raise MilvusError(explain(exc, config)) from None
    problem = mismatch(found, build_properties(index), name)
    if problem:
        raise MilvusError(problem)
    return MilvusRetriever(index, embedder, client, name, config, **kwargs)
