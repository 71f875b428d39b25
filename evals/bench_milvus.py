"""``make bench``, the Milvus part: the same builds searched by FAISS + bm25s and by Milvus, in one run.

For the bundled contracts (the configured model) and for the synthetic corpus of ``evals.bench`` (hashing
vectors), with query vectors computed first (the latency is the search's): the time to publish the build's
rows into Milvus, the memory that adds, and search latency p50/p95 per mode for the local backend (the peer
measured in the same run) and Milvus, fused per clause (``RAG_MILVUS_FUSION=clause``) and by
``hybrid_search``'s RRFRanker (``engine``). Milvus is Milvus Lite in this process by default (its memory is
this process's RSS growth) or the server ``RAG_MILVUS_URI`` names; how often the top k equals the local
backend's is reported beside the latency (per mode: the same clauses, or the same scores where the
synthetic corpus's repeated sentences make several clauses tie).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.protocols import Embedder
from evals.dataset import DATA, load_questions
from index.embed import HashingEmbedder
from index.milvus_store import MilvusConfig
from index.store import build_index, load_index
from index.structures import SearchIndex
from rag.milvus_retrieve import MilvusRetriever, open_milvus_retriever
from rag.retrieve import MODES, HybridRetriever
from rag.settings import BUNDLED_CONTRACTS, Settings


def rss_mb() -> float:
    """This process's resident memory now (not its peak)."""
    with open("/proc/self/status", encoding="ascii") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return round(kb / 1024, 1)


def _config(settings: Settings, folder: Path, name: str) -> MilvusConfig:
    uri = settings.milvus_uri or str(folder / "bench-milvus.db")
    return MilvusConfig(uri, settings.milvus_token, f"bench_{name}", max(settings.milvus_timeout, 60.0))


def compare(
    index: SearchIndex, embedder: Embedder, config: MilvusConfig, queries: Sequence[str], repeats: int, k: int
) -> dict[str, Any]:
    """Publish ``index`` into Milvus and time the same searches on both backends."""
    from evals.bench import search_fn, timed

    before = rss_mb()
    started = time.perf_counter()
    milvus = open_milvus_retriever(index, embedder, config, search_cache=0)
    publish_s = time.perf_counter() - started
    engine = MilvusRetriever(
        index, embedder, milvus.client, milvus.collection, config, engine_fusion=True, search_cache=0
    )
    local = HybridRetriever(index, embedder, search_cache=0)
    latency: dict[str, dict[str, float]] = {}
    for mode in MODES:
        latency[f"FAISS + bm25s {mode}"] = timed(search_fn(local, mode, k), queries, repeats, warmup=None)
        latency[f"Milvus {mode}"] = timed(search_fn(milvus, mode, k), queries, repeats, warmup=None)
    latency["Milvus hybrid, engine RRF (hybrid_search)"] = timed(
        search_fn(engine, "hybrid", k), queries, repeats, warmup=None
    )
    agree = {mode: float(np.mean([_same(local, milvus, q, k, mode) for q in queries])) for mode in MODES}
    agree["hybrid, engine RRF"] = float(np.mean([_same(local, engine, q, k, "hybrid") for q in queries]))
    milvus.client.drop_collection(milvus.collection)
    return {
        "uri": "Milvus Lite (embedded)" if config.embedded else config.uri,
        "publish_seconds": round(publish_s, 2),
        "rows": len(index.clauses) + len(index.sentence_owner),
        "rss_growth_mb": round(rss_mb() - before, 1),
        "latency": latency,
        "top_k_same_as_local": {name: round(share, 3) for name, share in agree.items()},
    }


def _same(local: HybridRetriever, other: HybridRetriever, query: str, k: int, mode: str) -> bool:
    """The same top ``k``: the same clauses, or the same scores (the synthetic corpus repeats sentences, and
    which of several identical clauses comes first is arbitrary)."""
    want = local.search(query, k, mode=mode)  # type: ignore[arg-type]
    got = other.search(query, k, mode=mode)  # type: ignore[arg-type]
    if [h.clause for h in want] == [h.clause for h in got]:
        return True
    return len(want) == len(got) and bool(
        np.allclose([h.score for h in want], [h.score for h in got], rtol=1e-4, atol=1e-6)
    )


def bench_bundled(settings: Settings, repeats: int) -> dict[str, Any]:
    from rag.pipeline import embedder_for

    embedder = embedder_for(settings)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(BUNDLED_CONTRACTS, Path(tmp) / "index", embedder)
        index = load_index(Path(tmp) / "index", embedder)
        texts = {d: doc.text for d, doc in index.documents.items()}
        questions = [q.question for q in load_questions(texts)]
        questions += [q.question for q in load_questions(texts, DATA / "heldout_questions.jsonl")]
        return compare(index, embedder, _config(settings, Path(tmp), "bundled"), questions, repeats, 5)


def bench_synthetic(settings: Settings, n_clauses: int, repeats: int) -> dict[str, Any]:
    from evals.bench import CachedQueries, synthetic_contracts

    with tempfile.TemporaryDirectory() as tmp:
        folder, index_dir = Path(tmp) / "contracts", Path(tmp) / "index"
        folder.mkdir()
        synthetic_contracts(folder, n_clauses)
        build_index(folder, index_dir, HashingEmbedder(), kind="flat")
        embedder = CachedQueries(HashingEmbedder())
        index = load_index(index_dir, embedder, verify=False)
        sentences = [s.text for c in index.clauses[:2000] for s in c.sentences]
        # 30 questions (the local backend answers 100 in evals.bench): Milvus Lite scans in Python
        queries = [str(s)[:30] for s in np.random.default_rng(11).choice(sentences, size=30)]
        for query in queries:  # query vectors first: latency below is the search alone
            embedder.encode_queries([query])
        out = compare(index, embedder, _config(settings, Path(tmp), "synthetic"), queries, repeats, 10)
        return {"clauses": len(index.clauses), **out}


def print_milvus(title: str, result: dict[str, Any]) -> None:
    from evals.bench import print_table

    agree = ", ".join(f"{name} {share:.0%}" for name, share in result["top_k_same_as_local"].items())
    print(
        f"\n{title}: {result['rows']} rows published into {result['uri']} in {result['publish_seconds']} s, "
        f"memory +{result['rss_growth_mb']} MB; top k as the local backend's: {agree}"
    )
    print_table(f"search, {title}", result["latency"])
