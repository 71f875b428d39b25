"""``make bench``: index build and search latency, with peers timed in the same run.

Part 1, the bundled contracts with the real model: build time and texts/s; warm search latency p50/p95 per
mode, query embedding included; peers on the same tokens and vectors: rank-bm25 (``BM25Okapi``) and a numpy
brute-force dot product.

Part 2, a synthetic corpus of ≥ 100k clauses made by recombining real clause sentences into contracts that go
through the real segmenter, tokenizer, BM25 and FAISS; vectors come from the hashing embedder (no model
needed to embed 300k texts). Search latency excludes query embedding here (the query vectors are computed
first), so it measures the FAISS and BM25 work: ours vs rank-bm25 vs numpy brute force.

First, the two encoders of the bundled model, each in fresh processes of its own (RSS is per process):
ONNX Runtime (``bundled:e5-small``, the default; two query threads, two indexing threads) and
sentence-transformers on torch (``bundled:e5-small-torch``): cold start of a process that encodes one query
and its RSS, warm single-query latency, and indexing throughput on the bundled contracts (batches as
``rag index`` makes them).

Then the machine's float32 ceiling under indexing and serving (``evals/bench_ceiling.py``): the FLOPs
the encoder spends, the rate it reaches against numpy's sgemm on the same shapes, and what that leaves.

Then the Milvus backend beside FAISS + bm25s on the same builds (``evals/bench_milvus.py``).

Absolute times drift on shared machines; ratios against the peers measured in the same run do not.
Prints a table and writes ``build/bench/bench.json``.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.protocols import Embedder
from evals.dataset import DATA, load_questions
from evals.report import write_report
from index.corpus import build_corpus
from index.embed import HashingEmbedder
from index.store import build_index, load_index
from index.structures import set_search_threads
from rag.retrieve import MODES, HybridRetriever, provider_names_in
from rag.settings import BUNDLED_CONTRACTS, Settings

OUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "bench.json"


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(samples_ms, 50)), 2),
        "p95_ms": round(float(np.percentile(samples_ms, 95)), 2),
        "n": len(samples_ms),
    }


def timed(
    fn: Callable[[Any], Any], queries: Sequence[Any], repeats: int, warmup: int | None = 5
) -> dict[str, float]:
    """p50/p95 over ``repeats`` passes, after warming up on ``warmup`` queries (None: all of them); a query
    is whatever ``fn`` takes (a question, a vector)."""
    for q in queries[:warmup]:
        fn(q)
    samples = []
    for _ in range(repeats):
        for q in queries:
            started = time.perf_counter()
            fn(q)
            samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class CachedQueries:
    """An embedder that remembers query vectors: after a warm-up pass, latency excludes query embedding."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id, self.weights_hash, self.dim = inner.model_id, inner.weights_hash, inner.dim
        self.vectors: dict[str, np.ndarray] = {}

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_documents(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            if text not in self.vectors:
                self.vectors[text] = self.inner.encode_queries([text])[0]
        return np.stack([self.vectors[t] for t in texts])


def peers(retriever: HybridRetriever, k: int) -> tuple[dict[str, Callable[[str], Any]], float]:
    """rank-bm25 over the same tokens and a numpy dot product over the same vectors, and the seconds
    rank-bm25 took to build its index."""
    from rank_bm25 import BM25Okapi

    from index.structures import bm25_text

    index = retriever.index
    started = time.perf_counter()
    okapi = BM25Okapi([index.tokenizer.tokenize(bm25_text(c)) or [""] for c in index.clauses])
    build_s = time.perf_counter() - started
    matrix = np.ascontiguousarray(index.all_vectors)  # the same clause + sentence vectors FAISS holds

    def rank_bm25(query: str) -> list[int]:
        scores = okapi.get_scores(index.tokenizer.tokenize(query))
        return list(np.argpartition(-scores, k)[:k])

    def numpy_dense(query: str) -> list[int]:
        scores = matrix @ retriever.embedder.encode_queries([query])[0]
        return list(np.argpartition(-scores, k)[:k])

    return {"rank-bm25 (BM25Okapi)": rank_bm25, "numpy brute force (dense)": numpy_dense}, round(build_s, 2)


def search_fn(retriever: HybridRetriever, mode: str, k: int) -> Callable[[str], Any]:
    providers = list(retriever.index.providers.values())

    def run(query: str) -> Any:
        named = provider_names_in(query, providers) or None
        return retriever.search(query, k, mode=mode, providers=named)  # type: ignore[arg-type]

    return run


ENCODERS = {"onnx": "bundled:e5-small", "torch": "bundled:e5-small-torch"}
#: A fresh process that imports only what encoding needs, loads the model and encodes one query.
COLD_PROBE = """
import json, resource, sys, time
from pathlib import Path
from index.embed import make_embedder
embedder = make_embedder(sys.argv[1], Path(sys.argv[2]))
embedder.encode_queries(["哪家数据保留期最长？"])
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
print(json.dumps({"rss_mb": round(rss / 1024, 1), "torch_imported": "torch" in sys.modules,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def _probe(args: Sequence[str]) -> tuple[dict[str, Any], float]:
    """Run a probe process; its JSON line and its wall time in seconds."""
    import subprocess

    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def encoder_probe(model: str, repeats: int) -> dict[str, Any]:
    """In this (fresh) process: warm single-query latency, then indexing throughput on the bundled
    contracts into a temporary index, then peak RSS."""
    settings = Settings(embed_model=model)
    from rag.pipeline import embedder_for

    corpus_texts = {d: doc.text for d, doc in build_corpus(BUNDLED_CONTRACTS).documents.items()}
    questions = [q.question for q in load_questions(corpus_texts)]
    embedder = embedder_for(settings)
    out: dict[str, Any] = {"query": timed(lambda q: embedder.encode_queries([q]), questions, repeats)}
    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(BUNDLED_CONTRACTS, Path(tmp), embedder, batch_size=settings.embed_batch_size)
    out["texts_embedded"] = report.embedded
    out["index_seconds"] = round(report.seconds, 2)
    out["texts_per_second"] = round(report.embedded / report.seconds, 1)
    out["peak_rss_mb"] = peak_rss_mb()  # model, queries and an index build in one process
    if model == ENCODERS["onnx"]:  # the same model with the other query thread count
        other = 1 if settings.embed_threads > 1 else 2
        alt = embedder_for(settings.model_copy(update={"embed_threads": other}))
        out["query_alt_threads"] = {
            "threads": other,
            **timed(lambda q: alt.encode_queries([q]), questions, repeats),
        }
    return out


def bench_encoders(settings: Settings, cold_runs: int, repeats: int) -> dict[str, Any]:
    """ONNX vs torch for the bundled model, each measured in processes of its own, interleaved."""
    from index.e5_wheel import ensure_onnx

    ensure_onnx(settings.model_cache_dir)  # materialised and exported before anything is timed
    cold: dict[str, list[tuple[dict[str, Any], float]]] = {name: [] for name in ENCODERS}
    for _ in range(cold_runs):
        for name, model in ENCODERS.items():
            cold[name].append(_probe(["-c", COLD_PROBE, model, str(settings.model_cache_dir)]))
    result: dict[str, Any] = {}
    for name, model in ENCODERS.items():
        warm, _ = _probe(["-m", "evals.bench", "--probe-encoder", model, "--repeats", str(repeats)])
        result[name] = {
            "model": model,
            "cold_start_seconds": round(float(np.median([s for _, s in cold[name]])), 2),
            "cold_rss_mb": float(np.median([c["rss_mb"] for c, _ in cold[name]])),
            "cold_peak_rss_mb": float(np.median([c["peak_rss_mb"] for c, _ in cold[name]])),
            "torch_imported": any(c["torch_imported"] for c, _ in cold[name]),
            **warm,
        }
    return result


def print_encoders(encoders: dict[str, Any]) -> None:
    print(
        "\nbundled model, ONNX Runtime vs sentence-transformers/torch (each in its own processes)\n"
        "| encoder | cold start s | RSS MB (peak) | query p50 ms | query p95 ms | indexing texts/s | "
        "peak RSS indexing MB | torch imported |\n|---|---|---|---|---|---|---|---|"
    )
    for name, e in encoders.items():
        print(
            f"| {name} | {e['cold_start_seconds']} | {e['cold_rss_mb']} ({e['cold_peak_rss_mb']}) | "
            f"{e['query']['p50_ms']} | {e['query']['p95_ms']} | {e['texts_per_second']} | "
            f"{e['peak_rss_mb']} | {e['torch_imported']} |"
        )
        if "query_alt_threads" in e:
            alt = e["query_alt_threads"]
            print(
                f"| {name}, {alt['threads']} query thread(s) | | | {alt['p50_ms']} | {alt['p95_ms']} | | | |"
            )


def bench_bundled(settings: Settings, repeats: int) -> dict[str, Any]:
    from rag.pipeline import embedder_for

    embedder = embedder_for(settings)
    embedder.encode_queries(["预热"])  # load the model outside the build timing
    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(BUNDLED_CONTRACTS, Path(tmp), embedder)
        texts = report.embedded
        index = load_index(Path(tmp), embedder)
    set_search_threads(settings.search_threads)
    retriever = HybridRetriever(index, embedder, fusion=settings.fusion, rrf_k=settings.rrf_k)
    corpus_texts = {d: doc.text for d, doc in index.documents.items()}
    questions = [q.question for q in load_questions(corpus_texts)]
    questions += [q.question for q in load_questions(corpus_texts, DATA / "heldout_questions.jsonl")]
    # search timed without the search cache (the query-vector cache stays, as before); ask with it, as served
    uncached = HybridRetriever(index, embedder, fusion=settings.fusion, rrf_k=settings.rrf_k, search_cache=0)
    latency = {f"ours {mode}": timed(search_fn(uncached, mode, 5), questions, repeats) for mode in MODES}
    for name, fn in peers(retriever, 5)[0].items():
        latency[name] = timed(fn, questions, repeats)
    from evals.answers import UNANSWERABLE
    from rag.facts import build_table
    from rag.pipeline import composer_for

    composer = composer_for(index, retriever, build_table(index.clauses, index.documents, index.providers))
    asked = questions + [q.question for q in load_questions(corpus_texts, UNANSWERABLE)]
    latency["ours ask (answer composed)"] = timed(composer.ask, asked, repeats)
    return {
        "corpus": {"documents": report.documents, "clauses": report.clauses, "texts_embedded": texts},
        "build_seconds": round(report.seconds, 2),
        "texts_per_second": round(texts / report.seconds, 1),
        "clauses_per_second": round(report.clauses / report.seconds, 1),
        "latency_including_query_embedding": latency,
        "peak_rss_mb": peak_rss_mb(),
    }


#: A neighbour: a process keeping one core busy (the other core is the bench's).
BURNER = "while True:\n    pass"


def _encode_one(encoder: Embedder, question: str) -> np.ndarray:
    return encoder.encode_queries([question])


def bench_noisy(settings: Settings, repeats: int, n_vectors: int = 264_000) -> dict[str, Any]:
    """Warm hybrid search on the bundled corpus, and FAISS flat (1 and 2 OpenMP threads) against numpy brute
    force over ``n_vectors`` random unit vectors, each quiet and with a neighbour burning one core."""
    import subprocess

    import faiss

    from rag.pipeline import open_pipeline

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((n_vectors, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(384)
    flat.add(vectors)
    queries = list(vectors[rng.choice(n_vectors, 50, replace=False)])
    pipeline = open_pipeline(settings, progress=False)
    texts = {d: doc.text for d, doc in pipeline.index.documents.items()}
    questions = [q.question for q in load_questions(texts)]
    # the query encoder's thread count and spinning, measured in both conditions (they set the defaults)
    from index.onnx_encoder import OnnxEmbedder

    cache = settings.model_cache_dir
    encoders = {
        "1 thread": OnnxEmbedder(cache, threads=1),
        "2 threads, sleeping (default)": OnnxEmbedder(cache, threads=2),
        "2 threads, spinning": OnnxEmbedder(cache, threads=2, spin_queries=True),
    }
    rows: dict[str, dict[str, float]] = {}
    for condition in ("quiet", "one core busy"):
        burner = subprocess.Popen([sys.executable, "-c", BURNER]) if condition != "quiet" else None
        try:
            time.sleep(0.5 if burner else 0)
            for threads in (1, 2):
                set_search_threads(threads)
                rows[f"{condition}: FAISS flat, {threads} thread(s)"] = timed(
                    lambda q: flat.search(q.reshape(1, -1), 100), queries, repeats
                )
            rows[f"{condition}: numpy brute force"] = timed(
                lambda q: np.argpartition(-(vectors @ q), 100)[:100], queries, repeats
            )
            set_search_threads(settings.search_threads)
            for label, encoder in encoders.items():
                rows[f"{condition}: ONNX query encoding, {label}"] = timed(
                    functools.partial(_encode_one, encoder), questions, repeats
                )
            pipeline.retriever.clear_query_cache()
            rows[f"{condition}: ours hybrid, bundled corpus (query embedding included)"] = timed(
                lambda q: pipeline.retriever.search(q, 5), questions, repeats
            )
        finally:
            if burner is not None:
                burner.kill()
                burner.wait()
    return {"vectors": n_vectors, "search_threads": settings.search_threads, "latency": rows}


def synthetic_contracts(folder: Path, clauses: int, per_file: int = 1000, seed: int = 7) -> int:
    """Contracts of recombined real sentences, numbered 1.1 … so they go through the real segmenter."""
    corpus = build_corpus(BUNDLED_CONTRACTS)
    sentences = [s.text for c in corpus.clauses if c.kind == "clause" for s in c.sentences]
    rng = np.random.default_rng(seed)
    written = 0
    for f in range(-(-clauses // per_file)):
        lines = [
            f"合成云服务协议{f}",
            f"本协议是测试{f}号数据科技有限公司（以下简称“合成云{f}”）与您订立的协议。",
        ]
        for section in range(per_file // 20):
            lines.append(f"{section + 1}. 第{section + 1}部分")
            for item in range(20):
                body = "".join(rng.choice(sentences, size=int(rng.integers(1, 4))))
                lines.append(f"{section + 1}.{item + 1} {body}")
                written += 1
        (folder / f"synthetic_{f:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


def bench_synthetic(n_clauses: int, repeats: int, kind: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder, index_dir = Path(tmp) / "contracts", Path(tmp) / "index"
        folder.mkdir()
        synthetic_contracts(folder, n_clauses)
        started = time.perf_counter()
        report = build_index(folder, index_dir, HashingEmbedder(), kind=kind)  # type: ignore[arg-type]
        build_s = time.perf_counter() - started
        index = load_index(index_dir, HashingEmbedder(), verify=False)
    sentences = [s.text for c in index.clauses[:2000] for s in c.sentences]
    rng = np.random.default_rng(11)
    queries = [str(s)[:30] for s in rng.choice(sentences, size=100)]
    embedder = CachedQueries(HashingEmbedder())
    set_search_threads(Settings().search_threads)
    retriever = HybridRetriever(index, embedder, search_cache=0)  # every search computed, none recalled
    latency = {
        f"ours {mode}": timed(search_fn(retriever, mode, 10), queries, repeats, warmup=None) for mode in MODES
    }
    peer_fns, peer_build_seconds = peers(retriever, 10)
    for name, fn in peer_fns.items():
        latency[name] = timed(fn, queries, 1 if "rank-bm25" in name else repeats, warmup=None)
    return {
        "clauses": report.clauses,
        "vectors": len(index.all_vectors),
        "index_kind": index.manifest.index_kind,
        "build_seconds": round(build_s, 1),
        "rank_bm25_build_seconds": peer_build_seconds,
        "latency_excluding_query_embedding": latency,
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_load(settings: Settings, clients: int, seconds: float, *, distinct: bool = False) -> dict[str, Any]:
    """``clients`` concurrent loops posting mixed questions to ``/v1/ask`` on 127.0.0.1 for ``seconds``;
    a third of the way in, a contract changes and ``rag index`` runs: the server must swap without a
    failed request. The server runs ``settings.embed_model``. ``distinct``: every question made new (a
    number appended), so no request finds its query vector or search cached."""
    import os
    import random
    import shutil
    import socket
    import subprocess
    import threading
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from evals.answers import UNANSWERABLE
    from rag.pipeline import embedder_for

    corpus_texts = {d: doc.text for d, doc in build_corpus(BUNDLED_CONTRACTS).documents.items()}
    questions = [q.question for q in load_questions(corpus_texts)]
    questions += [q.question for q in load_questions(corpus_texts, UNANSWERABLE)]
    with tempfile.TemporaryDirectory() as tmp:
        folder, index_dir = Path(tmp) / "contracts", Path(tmp) / "index"
        shutil.copytree(BUNDLED_CONTRACTS, folder)
        embedder = embedder_for(settings)
        build_index(folder, index_dir, embedder)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {
            **os.environ,
            "RAG_CONTRACTS_DIR": str(folder),
            "RAG_INDEX_DIR": str(index_dir),
            "RAG_RELOAD_CHECK_SECONDS": "1",
            "RAG_EMBED_MODEL": settings.embed_model,
        }
        rag = str(Path(sys.executable).parent / "rag")
        server = subprocess.Popen(
            [rag, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:
                        first_build = json.loads(r.read())["build"]
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            stop_at = time.monotonic() + seconds
            samples: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()

            def client(seed: int) -> None:
                rng = random.Random(seed)
                with httpx.Client(base_url=base, timeout=30) as http:
                    while time.monotonic() < stop_at:
                        question = rng.choice(questions)
                        question += f" 编号{rng.randrange(10**9)}" if distinct else ""
                        started = time.perf_counter()
                        try:
                            response = http.post("/v1/ask", json={"question": question})
                            ok = response.status_code == 200
                            problem = "" if ok else f"HTTP {response.status_code}"
                        except httpx.HTTPError as exc:
                            ok, problem = False, type(exc).__name__
                        elapsed = (time.perf_counter() - started) * 1000
                        with lock:
                            samples.append(elapsed) if ok else errors.append(problem)

            with ThreadPoolExecutor(clients) as pool:
                futures = [pool.submit(client, i) for i in range(clients)]
                time.sleep(seconds / 3)
                changed = folder / "002_111862d00bf5977e.txt"
                changed.write_text(
                    changed.read_text(encoding="utf-8") + "12. 补充条款\n12.1 本条为压力测试追加。\n",
                    encoding="utf-8",
                )
                reindex_started = time.perf_counter()
                build_index(folder, index_dir, embedder)
                reindex_s = time.perf_counter() - reindex_started
                for future in futures:
                    future.result()
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
                last_build = json.loads(r.read())["build"]
        finally:
            server.terminate()
            server.wait(timeout=15)
    total = len(samples) + len(errors)
    return {
        "model": settings.embed_model,
        "distinct": distinct,
        "clients": clients,
        "seconds": seconds,
        "requests": total,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "throughput_rps": round(total / seconds, 1),
        **percentiles(samples),
        "reindex_seconds": round(reindex_s, 1),
        "index_swapped": first_build != last_build,
    }


def print_table(title: str, latency: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}\n| method | p50 ms | p95 ms | n |\n|---|---|---|---|")
    for name, row in latency.items():
        print(f"| {name} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | {row['n']} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evals.bench", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=101_000, help="synthetic clauses (0 to skip)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--clients", type=int, default=20, help="concurrent clients in the load test (0 to skip)"
    )
    parser.add_argument("--load-seconds", type=float, default=60.0, help="duration of the load test")
    parser.add_argument(
        "--cold-runs", type=int, default=3, help="cold starts per encoder, ONNX vs torch (0 to skip)"
    )
    parser.add_argument(
        "--noisy",
        type=int,
        default=1,
        help="1: repeat warm search with a neighbour burning a core (0 to skip)",
    )
    parser.add_argument(
        "--milvus", type=int, default=1, help="1: the Milvus backend beside FAISS + bm25s (0 to skip)"
    )
    parser.add_argument(
        "--ceiling", type=int, default=1, help="1: the machine's float32 ceiling under indexing and serving"
    )
    parser.add_argument("--probe-encoder", help=argparse.SUPPRESS)  # internal: one encoder's warm probe
    args = parser.parse_args(argv)
    if args.probe_encoder:
        print(json.dumps(encoder_probe(args.probe_encoder, args.repeats)))
        return 0

    settings = Settings()
    result: dict[str, Any] = {}
    if args.cold_runs:
        result["encoders"] = bench_encoders(settings, args.cold_runs, args.repeats)
        print_encoders(result["encoders"])
    result["bundled"] = bench_bundled(settings, args.repeats)
    b = result["bundled"]
    print(
        f"bundled: {b['corpus']['documents']} documents, {b['corpus']['clauses']} clauses, "
        f"{b['corpus']['texts_embedded']} texts embedded in {b['build_seconds']}s "
        f"({b['texts_per_second']} texts/s, {b['clauses_per_second']} clauses/s); "
        f"peak RSS {b['peak_rss_mb']} MB"
    )
    print_table(
        "warm search, bundled corpus, query embedding included", b["latency_including_query_embedding"]
    )
    if args.ceiling:
        from evals.bench_ceiling import bench_ceiling, print_ceiling

        result["ceiling"] = bench_ceiling(settings, clients=args.clients or 20)
        builds = {name: e["texts_per_second"] for name, e in result.get("encoders", {}).items()}
        print_ceiling(result["ceiling"], builds)
    if args.synthetic:
        for kind in ("flat", "hnsw"):
            s = bench_synthetic(args.synthetic, args.repeats, kind)
            result[f"synthetic_{kind}"] = s
            print(
                f"\nsynthetic: {s['clauses']} clauses ({s['vectors']} vectors, {s['index_kind']}) built in "
                f"{s['build_seconds']}s (rank-bm25 index alone: {s['rank_bm25_build_seconds']}s); "
                f"peak RSS {s['peak_rss_mb']} MB"
            )
            print_table(
                f"search at {s['clauses']} clauses ({kind}), query embedding excluded",
                s["latency_excluding_query_embedding"],
            )
    if args.milvus:
        from evals import bench_milvus

        result["milvus_bundled"] = bench_milvus.bench_bundled(settings, args.repeats)
        bench_milvus.print_milvus(
            "Milvus, bundled corpus (query vectors cached: the search alone)", result["milvus_bundled"]
        )
        if args.synthetic:
            result["milvus_synthetic"] = bench_milvus.bench_synthetic(settings, args.synthetic, args.repeats)
            n = result["milvus_synthetic"]["clauses"]
            bench_milvus.print_milvus(f"Milvus, {n} synthetic clauses (flat)", result["milvus_synthetic"])
    if args.noisy:
        result["noisy"] = bench_noisy(settings, args.repeats)
        print_table(
            f"noisy neighbour: {result['noisy']['vectors']} random vectors (k = 100) and the bundled corpus",
            result["noisy"]["latency"],
        )
    if args.clients:
        from index.embed import BUNDLED_TORCH_MODEL

        torch_settings = settings.model_copy(update={"embed_model": BUNDLED_TORCH_MODEL})
        runs = {
            "load": bench_load(settings, args.clients, args.load_seconds),
            "load_torch_peer": bench_load(torch_settings, args.clients, args.load_seconds),
            "load_distinct": bench_load(settings, args.clients, args.load_seconds, distinct=True),
            # every question new, so each request pays its query encoding: the encoders' own difference
            "load_distinct_torch_peer": bench_load(
                torch_settings, args.clients, args.load_seconds, distinct=True
            ),
        }
        print(f"\nload: {args.clients} clients × {args.load_seconds:g} s on 127.0.0.1 against POST /v1/ask")
        for name, load in runs.items():
            result[name] = load
            print(
                f"  {load['model']}{' (every question new)' if load['distinct'] else ''}: "
                f"{load['requests']} requests, {load['errors']} errors {load['error_kinds'] or ''}, "
                f"{load['throughput_rps']} req/s, p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms; "
                f"reindex during the run {load['reindex_seconds']} s, index swapped: {load['index_swapped']}"
            )
        ratio = runs["load"]["throughput_rps"] / max(runs["load_torch_peer"]["throughput_rps"], 1e-9)
        new = runs["load_distinct"]["throughput_rps"] / max(
            runs["load_distinct_torch_peer"]["throughput_rps"], 1e-9
        )
        print(f"  throughput vs the torch server in this run: {ratio:.2f}× (every question new: {new:.2f}×)")
    write_report(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
